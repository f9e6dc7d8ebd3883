"""bridge.parsing.mime: big parts of a multipart message (the skeleton parse) decode exactly as
the slow path does, on built, damaged and corpus mail.
"""

from __future__ import annotations

import base64
import hashlib
import quopri

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.errors import ParseError
from bridge.model import ParseOptions
from bridge.parsing.charsets import decode_bytes
from bridge.parsing.doc import MailDoc
from bridge.parsing.mime import BIG_PART, decode, fast_path_stats
from tests.forms import form_email
from tests.helpers.mimemail import (
    CASES,
    OPTS,
    PDF,
    multipart_of,
)

# --- big parts of a multipart message (the skeleton parse) ----------------------------------


def _same_as_slow(raw: bytes, big_part: int | None = 1) -> MailDoc | None:
    """Decode with the big-part path and without it; both must give the same result."""
    try:
        slow = decode(raw, OPTS, big_part=None)
    except ParseError as exc:
        with pytest.raises(ParseError) as info:
            decode(raw, OPTS, big_part=big_part)
        assert str(info.value) == str(exc)
        return None
    fast = decode(raw, OPTS, big_part=big_part)
    assert fast == slow
    return fast


def _taken(raw: bytes, big_part: int | None = 1) -> tuple[MailDoc | None, dict[str, int]]:
    """The result (checked against the slow path) and how the counters moved meanwhile."""
    before = fast_path_stats()
    doc = _same_as_slow(raw, big_part)
    after = fast_path_stats()
    return doc, {k: after[k] - before[k] for k in after}


def _pdf(size: int, seed: int = 0) -> bytes:
    block = hashlib.sha256(b"%d" % seed).digest() + bytes(range(256))
    return (PDF + block * (size // len(block) + 1))[:size]


def _attachment(name: str, data: bytes, *, cte: str = "base64", nl: bytes = b"\r\n") -> bytes:
    if cte == "base64":
        body = base64.encodebytes(data).replace(b"\n", nl)
    elif cte == "quoted-printable":
        body = quopri.encodestring(data).replace(b"\n", nl)
    else:
        body = data
    head = (f'Content-Type: application/pdf; name="{name}"\r\n'
            f'Content-Disposition: attachment; filename="{name}"\r\n'
            f"Content-Transfer-Encoding: {cte}\r\n\r\n").encode()
    return head.replace(b"\r\n", nl) + body


def test_big_form_attachment_takes_the_fast_path() -> None:
    """A form e-mail with a big PDF is cut into a skeleton and its PDF is byte-identical."""
    raw = form_email(7, file_size=2 * 1024 * 1024)
    doc, moved = _taken(raw, BIG_PART)
    assert moved == {"skeletons": 1, "big_parts": 1, "fallbacks": 0}
    assert doc is not None
    [att] = doc.attachments
    assert att.filename == "Спецификация-7.pdf"
    assert len(att.data) == 2 * 1024 * 1024 and att.data.startswith(b"%PDF-1.4")
    assert doc.text is not None and "Клиент Номер7" in doc.text


def test_three_big_attachments_are_identical() -> None:
    """Three 1 MiB files, base64, QP and 8bit, each come out byte for byte as the slow path."""
    files = [_pdf(1 << 20, i) for i in range(3)]
    raw = multipart_of(
        "Content-Type: text/plain; charset=utf-8\r\n\r\nИмя: Иван".encode(),
        _attachment("a.pdf", files[0]),
        _attachment("b.pdf", files[1], cte="quoted-printable"),
        _attachment("c.pdf", files[2].replace(b"\r", b"").replace(b"\n", b"\r\n"), cte="8bit"),
    )
    doc, moved = _taken(raw, BIG_PART)
    assert moved == {"skeletons": 1, "big_parts": 3, "fallbacks": 0}
    assert doc is not None
    assert [a.filename for a in doc.attachments] == ["a.pdf", "b.pdf", "c.pdf"]
    assert doc.attachments[0].data == files[0]
    assert doc.attachments[2].data == files[2].replace(b"\r", b"").replace(b"\n", b"\r\n")


def test_forwarded_form_attachment_takes_the_fast_path() -> None:
    """A form forwarded as an attachment has its big PDF cut out of the outer message too."""
    inner = form_email(9, file_size=1024 * 1024)
    raw = multipart_of(b"Content-Type: text/plain\r\n\r\nFYI",
                       b"Content-Type: message/rfc822\r\n\r\n" + inner)
    doc, moved = _taken(raw, BIG_PART)
    assert moved == {"skeletons": 1, "big_parts": 1, "fallbacks": 0}
    assert doc is not None and doc.forwarded is not None
    assert [a.filename for a in doc.forwarded.attachments] == ["Спецификация-9.pdf"]
    assert doc.forwarded.attachments == decode(inner, OPTS, big_part=None).attachments


def test_small_multipart_is_not_cut() -> None:
    """A multipart message below BIG_PART is parsed as a whole, as before."""
    raw = form_email(8, file_size=1000)
    _, moved = _taken(raw, BIG_PART)
    assert moved == {"skeletons": 0, "big_parts": 0, "fallbacks": 0}


def _inject(part: bytes, line: bytes) -> bytes:
    """``part`` with ``line`` inserted after the first line of its body."""
    head, sep, body = part.partition(b"\r\n\r\n")
    first, nl, rest = body.partition(b"\r\n")
    return head + sep + first + nl + line + rest


_NESTED = multipart_of(
    b'Content-Type: multipart/alternative; boundary="ALT"\r\n\r\n'
    + "--ALT\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nИмя: Иван\r\n".encode()
    + "--ALT\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Имя: Иван</p>\r\n".encode()
    + b"--ALT--\r\n",
    _attachment("a.pdf", _pdf(5000)),
)


@pytest.mark.parametrize(
    ("raw", "taken"),
    [
        pytest.param(_NESTED, True, id="nested"),
        pytest.param(_NESTED.replace(b"\r\n", b"\n"), True, id="lf-only"),
        pytest.param(_NESTED.replace(b"\r\n", b"\r"), False, id="cr-only"),
        pytest.param(_NESTED.replace(b"--BND--\r\n", b""), True, id="no-close-boundary"),
        pytest.param(_NESTED.replace(b"--ALT--\r\n", b""), True, id="no-inner-close"),
        pytest.param(_NESTED.replace(b"--BND--", b"--BND--\r\nepilogue\r\n--BND"), True,
                     id="epilogue"),
        pytest.param(multipart_of(_attachment("a.pdf", _pdf(3000))[:-200] + b"\r\n--BND\r\n"
                                  + _attachment("b.pdf", _pdf(3000))), True, id="double-boundary"),
        pytest.param(multipart_of(_inject(_attachment("a.pdf", _pdf(3000)), b"--BNDAA\r\n")), False,
                     id="boundary-prefix-in-base64"),
        pytest.param(multipart_of(_inject(_attachment("a.pdf", _pdf(3000)), b"--BND\r\n")), True,
                     id="boundary-line-in-base64"),
        pytest.param(multipart_of(_inject(_attachment("a.pdf", _pdf(3000)), b"--BND--  \r\n")),
                     True, id="close-boundary-in-base64"),
        pytest.param(multipart_of(_inject(_attachment("a.pdf", _pdf(3000)), b"A!B\r\n")), True,
                     id="base64-junk"),
        pytest.param(multipart_of(_attachment("a.pdf", _pdf(3001))[:-7]), True, id="base64-cut"),
        pytest.param(multipart_of(_attachment("a.pdf", _pdf(3000)).replace(b"base64",
                                                                             b"x-uuencode")),
                     True, id="uuencode-label"),
        pytest.param(multipart_of(_attachment("a.pdf", _pdf(3000), cte="binary")), True,
                     id="binary"),
        pytest.param(multipart_of(b"Content-Type: message/rfc822\r\n\r\n"
                                  + form_email(3, file_size=3000)), True, id="rfc822"),
        pytest.param(multipart_of(b"Content-Type: message/rfc822\r\n"
                                  b"Content-Transfer-Encoding: base64\r\n\r\n"
                                  + base64.encodebytes(form_email(3, file_size=3000))), False,
                     id="rfc822-base64"),
        pytest.param(multipart_of(b"Content-Type: message/delivery-status\r\n\r\n"
                                  b"Action: failed\r\n\r\n"
                                  + b"X: y\r\n" * 100, _attachment("a.pdf", _pdf(3000))), True,
                     id="delivery-status"),
        pytest.param(multipart_of(b"Content-Type: text/plain\r\n"
                                  + _attachment("a.pdf", _pdf(3000))),
                     True, id="header-after-header"),
        pytest.param(multipart_of(b"no headers\r\n" + _attachment("a.pdf", _pdf(3000))), False,
                     id="no-header-separator"),
        pytest.param(multipart_of(b"\r\n" + base64.encodebytes(_pdf(3000))), True, id="no-headers"),
        pytest.param(multipart_of(_attachment("a.pdf", _pdf(3000)).replace(b"\r\n\r\n", b"\r\n")),
                     False, id="no-blank-line"),
    ],
)
def test_big_part_path_equals_slow_path(raw: bytes, taken: bool) -> None:
    """Odd structures decode the same with every body cut out as with the plain parse."""
    _, moved = _taken(raw)
    assert (moved["big_parts"] > 0) is taken, moved


@st.composite
def _damaged_multipart(draw: st.DrawFn) -> bytes:
    """A multipart corpus case or big-part case with damaged boundaries, line ends or bytes."""
    data = bytearray(draw(st.sampled_from(_MULTIPART_SAMPLES)))
    for op in draw(st.lists(st.integers(0, 4), min_size=1, max_size=3)):
        if not data:
            break
        if op == 0:  # byte flips
            for _ in range(draw(st.integers(1, 10))):
                data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        elif op == 1:  # truncation
            data = data[: draw(st.integers(0, len(data)))]
        elif op == 2:  # boundary lines damaged or repeated
            old = draw(st.sampled_from([b"\r\n--", b"\n--"]))
            new = draw(st.sampled_from([b"\r\n-", b"\r\n--x", b"\n--", b"\r--", b"\r\n\r\n--"]))
            data = bytearray(bytes(data).replace(old, new, draw(st.integers(1, 3))))
        elif op == 3:  # inserted lines: blank, boundary-like, header-like, padding
            junk = draw(st.sampled_from([b"\r\n", b"\n", b"\r", b"=", b"--", b"--BND\r\n",
                                         b"a:b\r\n", b"From x\r\n", b"\r\n\r\n"]))
            pos = draw(st.integers(0, len(data)))
            data[pos:pos] = junk
        else:  # line endings
            data = bytearray(bytes(data).replace(b"\r\n", draw(st.sampled_from([b"\n", b"\r"]))))
    return bytes(data)


_MULTIPART_SAMPLES = [
    p.read_bytes() for p in CASES if p.stat().st_size < 200_000 and b"boundary" in p.read_bytes()
] + [_NESTED]


@settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(_damaged_multipart())
def test_big_part_path_equals_slow_path_on_damaged_mail(raw: bytes) -> None:
    """On damaged multipart mail, cutting out every body changes nothing in the result."""
    _same_as_slow(raw)


def test_text_declared_base64_but_sent_as_is() -> None:
    """A body labelled base64 whose bytes are plain 8-bit text is read as that text."""
    body = "Имя: Герман\r\nТелефон: 89121234599\r\n".encode()
    raw = (b"From: a@b.example\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
           + body)
    assert decode(raw, ParseOptions()).text == "Имя: Герман\nТелефон: 89121234599\n"


def test_damaged_base64_is_still_base64() -> None:
    """A real base64 body with a stray character and no padding still decodes."""
    enc = base64.b64encode("Имя: Вадим\r\n".encode()).rstrip(b"=")
    raw = (b"From: a@b.example\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
           + enc[:4] + b"." + enc[4:] + b"\r\n")
    assert decode(raw, ParseOptions()).text == "Имя: Вадим\n"


def test_raw_latin1_name_is_not_read_as_cp866() -> None:
    """Undeclared 8-bit 'ü' in a Western name is Latin-1, not the cp866 '№' inside a word."""
    assert decode_bytes("Müller Angebot.pdf".encode("latin-1"), None)[0] == "Müller Angebot.pdf"
    assert decode_bytes("Заказ № 5".encode("cp1251"), None)[0] == "Заказ № 5"


def test_broken_header_line_does_not_end_the_headers() -> None:
    """An ASCII line without a colon among the headers is dropped, the fields after it kept."""
    raw = (b"From: a@b.example\r\nSubject: x\r\nX-Originating-Script 1001:send.php\r\n"
           b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=windows-1251\r\n\r\n"
           + "Имя: Серафима\r\n".encode("cp1251"))
    doc = decode(raw, ParseOptions())
    assert doc.text == "Имя: Серафима\n"
    assert doc.headers.get("content-type", "").startswith("text/plain")
