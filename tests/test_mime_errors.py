"""bridge.parsing.mime: format=flowed, unreadable input, auto-mail classes and absurd nesting.
"""

from __future__ import annotations

import pytest

from bridge.errors import ParseError
from bridge.parsing.classify import auto_kind
from bridge.parsing.mime import decode, unflow
from tests.helpers.mimemail import (
    OPTS,
    raw_message,
)

# --- flowed ------------------------------------------------------------------------------


def test_unflow_delsp_yes() -> None:
    """delsp=yes deletes the soft-break space; a hard break stays."""
    assert unflow("Добрый де \nнь!\nВторая", delsp=True) == "Добрый день!\nВторая"


def test_unflow_delsp_no_and_signature() -> None:
    """delsp=no keeps the space; '-- ' is never a soft break; space-stuffing is undone."""
    assert unflow("one \ntwo\n-- \n From me", delsp=False) == "one two\n-- \nFrom me"


def test_unflow_quote_depth_breaks_paragraph() -> None:
    """A change in quote depth ends a flowed paragraph."""
    assert unflow("> quoted \nplain", delsp=False) == "> quoted \nplain"


# --- errors and classification -----------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"\r\n\r\n  \n", id="blank"),
        pytest.param(b"\x00\x00", id="nuls"),
        pytest.param(b"just some text without headers\r\n", id="no-header"),
        pytest.param(b"%PDF-1.4 binary", id="pdf"),
    ],
)
def test_not_a_message_raises_parse_error(raw: bytes) -> None:
    """Bytes without a header block raise ParseError with a message saying why."""
    with pytest.raises(ParseError, match=r"empty|header"):
        decode(raw, OPTS)


def test_mbox_from_line_tolerated() -> None:
    """A leading mbox 'From ' line is dropped, not taken as the absence of headers."""
    raw = (b"From noreply@site.example Mon Nov 16 10:00:00 2026\n"
           + raw_message("", b"Hello", nl=b"\n"))
    assert decode(raw, OPTS).text == "Hello"


@pytest.mark.parametrize(
    ("headers", "kind"),
    [
        ({"from": "MAILER-DAEMON@mx.example (Mail Delivery System)"}, "bounce"),
        ({"return-path": "<>", "subject": "Delivery Status Notification (Failure)"}, "bounce"),
        ({"auto-submitted": "auto-replied"}, "auto-reply"),
        ({"auto-submitted": "no"}, None),
        ({"x-autorespond": "yes"}, "auto-reply"),
        ({"precedence": "auto_reply"}, "auto-reply"),
        ({"subject": "Out of Office: Re: заявка"}, "auto-reply"),
        ({"subject": "Автоответ: Re: КП"}, "auto-reply"),
        ({"list-unsubscribe": "<mailto:u@list.example>"}, "bulk mail"),
        ({"precedence": "bulk"}, "bulk mail"),
        ({"subject": "Заявка с сайта", "return-path": "<>"}, None),
        ({"from": "postmaster@site.example", "subject": "Заявка с сайта"}, None),
        ({"from": "postmaster@mx.example", "subject": "Undelivered Mail Returned"}, "bounce"),
        ({"from": "Mail Delivery Subsystem <x@mx.example>"}, "bounce"),
        ({"x-failed-recipients": "a@b.example"}, "bounce"),
        ({"auto-submitted": "auto-generated"}, "auto-reply"),
        ({"list-id": "<news.site.example>"}, "bulk mail"),
        ({"subject": "Новая заявка"}, None),
    ],
)
def test_auto_kind_headers(headers: dict[str, str], kind: str | None) -> None:
    """Header rules mark bounces, auto-replies and bulk mail, and leave forms alone."""
    assert auto_kind(headers) == kind


def test_auto_kind_structure() -> None:
    """multipart/report and a delivery-status part mark a bounce."""
    assert auto_kind({}, content_type="multipart/report", report_type="delivery-status") == "bounce"
    assert auto_kind({}, part_types={"message/delivery-status"}) == "bounce"


def test_absurd_nesting_degrades_instead_of_raising() -> None:
    """Thousands of nested multiparts (a recursion bomb) still give a MailDoc with a note."""
    depth = 1500
    body = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i)
        for i in range(depth)
    )
    body += b"Content-Type: text/plain\r\n\r\nhello\r\n"
    body += b"".join(b"--b%d--\r\n" % i for i in reversed(range(depth)))
    doc = decode(b"From: a@site.example\r\nSubject: deep\r\n" + body, OPTS)
    assert doc.subject == "deep"
    assert doc.text is not None and "hello" in doc.text
    assert any("unreadable" in d for d in doc.defects)


def test_deep_nesting_is_cut_at_max_part_depth() -> None:
    """Parts nested deeper than MAX_PART_DEPTH are ignored, with a note, not walked."""
    from bridge.parsing.mime import MAX_PART_DEPTH

    depth = MAX_PART_DEPTH + 5
    body = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i)
        for i in range(depth)
    )
    body += b"Content-Type: text/plain\r\n\r\nhello\r\n"
    body += b"".join(b"--b%d--\r\n" % i for i in reversed(range(depth)))
    doc = decode(b"From: a@site.example\r\nSubject: deep\r\n" + body, OPTS)
    assert doc.text is None
    assert "parts nested too deep, the deeper ones are ignored" in doc.defects
