"""bridge.parsing.mime.decode on the shared corpus: files, clean bodies, and the cases that pin
a decoder rule (KOI8-R, flowed, huge bodies, bounces, forwards, the big-body fast path).
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from pathlib import Path

import pytest

from bridge.parsing.mime import decode
from tests.helpers.mimemail import (
    CASES,
    OPTS,
    corpus_doc,
    raw_message,
)


def _load_expected(path: Path) -> dict:
    return json.loads(path.with_name(path.name[: -len(".eml")] + ".expected.json").read_text())


def _files_of(doc):
    """Accepted and rejected files of a message, the forwarded message's included."""
    acc, rej = list(doc.attachments), list(doc.rejected)
    if doc.forwarded is not None:
        acc += doc.forwarded.attachments
        rej += doc.forwarded.rejected
    return acc, rej


@pytest.mark.parametrize("path", [pytest.param(p, id=p.stem) for p in CASES])
def test_corpus_attachments(path: Path) -> None:
    """Every corpus case yields exactly the expected accepted and rejected files."""
    expected = _load_expected(path)
    doc = decode(path.read_bytes(), OPTS)
    acc, rej = _files_of(doc)
    assert Counter((a.filename, a.sha256) for a in acc) == Counter(
        (a["filename"], a["sha256"]) for a in expected.get("attachments") or []
    )
    assert Counter((r.filename, r.reason) for r in rej) == Counter(
        (r["filename"], r["reason"]) for r in expected.get("rejected_attachments") or []
    )
    for a, e in zip(
        sorted(acc, key=lambda a: a.sha256),
        sorted(expected.get("attachments") or [], key=lambda e: e["sha256"]),
        strict=True,
    ):
        assert a.size == e["size"]


@pytest.mark.parametrize("path", [pytest.param(p, id=p.stem) for p in CASES])
def test_corpus_structure(path: Path) -> None:
    """Every corpus case has a fully decoded subject and clean bodies (no CR, NUL or U+FFFD)."""
    doc = decode(path.read_bytes(), OPTS)
    assert "=?" not in doc.subject and "\ufffd" not in doc.subject
    for body in (doc.text, doc.html):
        if body is not None:
            assert "\r" not in body and "\x00" not in body and "\ufffd" not in body


# --- corpus specifics ------------------------------------------------------------------


def test_koi8r_raw_subject_and_body_are_sniffed() -> None:
    """A raw 8-bit KOI8-R subject is sniffed and decoded, and the koi8-r body reads right."""
    doc = corpus_doc("027")
    assert doc.subject == "Заказ с сайта"
    assert "raw 8-bit subject header sniffed" in doc.defects
    assert "Лебедев Андрей Николаевич" in (doc.text or "")


def test_flowed_delsp_message_is_joined() -> None:
    """Drupal's format=flowed; delsp=yes soft breaks are joined into one line."""
    doc = corpus_doc("023")
    assert (
        "двутавр 30Б1 — 12 т, швеллер 20П — 6 т, труба профильная 120х120х5 — 9 т. Просим"
        in (doc.text or "")
    )


def test_multipart_without_parts_is_text() -> None:
    """Declared multipart without delimiter lines: the body becomes the text, noted."""
    doc = corpus_doc("060")
    assert doc.text and "luda.s@bk.ru" in doc.text
    assert "multipart without parts, body read as text" in doc.defects


def test_no_charset_utf8_body_is_sniffed() -> None:
    """text/plain without a charset and 8-bit UTF-8 bytes decodes as UTF-8, not mojibake."""
    doc = corpus_doc("066")
    assert (doc.text or "").startswith("Имя: Зинаида")
    assert "no charset declared, bytes are utf-8" in doc.defects


def test_huge_body_is_whole() -> None:
    """The 2 MB body arrives whole (its digest matches the expected message)."""
    import hashlib

    doc = corpus_doc("064")
    exp = _load_expected(next(p for p in CASES if p.name.startswith("064")))
    text = doc.text or ""
    assert len(text) > 1_900_000
    message = text.split("Сообщение: ", 1)[1].rstrip("\n")
    assert message == exp["message"]
    assert hashlib.sha256(message.encode()).hexdigest() == exp["message_sha256"]


def test_bounce_has_no_forwarded() -> None:
    """A DSN is a bounce, and its returned message is not offered as a forward."""
    doc = corpus_doc("045")
    assert doc.auto_kind == "bounce"
    assert doc.forwarded is None


def test_outlook_forward_as_attachment() -> None:
    """The inner message of an Outlook forward is decoded with its own PDF and Reply-To."""
    doc = corpus_doc("054")
    assert doc.forwarded is not None
    inner = doc.forwarded
    assert [a.filename for a in inner.attachments] == ["Спецификация_труба.pdf"]
    assert inner.reply_to[0].addr == "ahmed.g@stroy-ekb.ru"
    assert "Ахмед Гасанов" in (inner.text or "")
    assert doc.attachments == () and doc.rejected == ()
    assert doc.from_ is not None and doc.from_.name == "Анна Ковалёва"


def test_autoreply_case() -> None:
    """The vacation auto-reply is classified as an auto-reply."""
    assert corpus_doc("046").auto_kind == "auto-reply"


def test_cid_logo_is_not_a_file() -> None:
    """The cid: logo of case 036 is in neither list; the PDF is accepted."""
    doc = corpus_doc("036")
    assert [a.filename for a in doc.attachments] == ["Коммерческий запрос.pdf"]
    assert doc.rejected == ()


@pytest.mark.parametrize("cte", ["8bit", "base64", "quoted-printable"])
def test_big_single_part_body_fast_path(cte: str) -> None:
    """A single-part body past BIG_MESSAGE decodes exactly like a small one."""
    import quopri

    from bridge.parsing.mime import BIG_MESSAGE

    line = "Арматура А500С d12 — 1,000 т; цена 54000\r\n"
    text = "Имя: Павел\r\n" + line * (BIG_MESSAGE // len(line.encode()) + 10)
    data = text.encode()
    if cte == "base64":
        body = base64.encodebytes(data).replace(b"\n", b"\r\n")
    elif cte == "quoted-printable":
        body = quopri.encodestring(data).replace(b"\n", b"\r\n")
    else:
        body = data
    raw = raw_message(
        f"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: {cte}", body)
    assert len(raw) > BIG_MESSAGE
    doc = decode(raw, OPTS)
    assert doc.text == text.replace("\r\n", "\n")
    assert doc.subject == "Test"


def test_lf_only_equals_crlf() -> None:
    """A bare-LF message decodes to the same text as its CRLF form."""
    raw = next(p for p in CASES if p.name.startswith("065")).read_bytes()
    a = decode(raw, OPTS)
    b = decode(raw.replace(b"\n", b"\r\n"), OPTS)
    assert a.text == b.text and a.subject == b.subject and a.text
