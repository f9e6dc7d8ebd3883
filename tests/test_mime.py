"""bridge.parsing.mime.decode: structure, bodies, charsets, files and auto-mail classes."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import quopri
from collections import Counter
from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.errors import ParseError
from bridge.model import ParseOptions
from bridge.parsing.attachments import type_mismatch
from bridge.parsing.charsets import decode_bytes, decode_words, sniff
from bridge.parsing.classify import auto_kind
from bridge.parsing.doc import MailDoc
from bridge.parsing.mime import BIG_PART, decode, fast_path_stats, unflow
from tests.forms import form_email

# the shared corpus beside the repository; MAILBRIDGE_CORPUS points elsewhere (held-back sets)
CORPUS = Path(
    os.environ.get("MAILBRIDGE_CORPUS") or Path(__file__).resolve().parents[2] / "shared" / "corpus"
)
CASES = sorted(CORPUS.glob("*.eml"))
OPTS = ParseOptions()

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 20 + b"readme.txt" + b"\x00" * 20
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
HTML_XLS = b"<html><body><table><tr><td>\xd2\xee\xe2\xe0\xf0</td></tr></table></body></html>"


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


def _case(prefix: str):
    path = next(p for p in CASES if p.name.startswith(prefix))
    return decode(path.read_bytes(), OPTS)


# --- corpus specifics ------------------------------------------------------------------


def test_koi8r_raw_subject_and_body_are_sniffed() -> None:
    """A raw 8-bit KOI8-R subject is sniffed and decoded, and the koi8-r body reads right."""
    doc = _case("027")
    assert doc.subject == "Заказ с сайта"
    assert "raw 8-bit subject header sniffed" in doc.defects
    assert "Лебедев Андрей Николаевич" in (doc.text or "")


def test_flowed_delsp_message_is_joined() -> None:
    """Drupal's format=flowed; delsp=yes soft breaks are joined into one line."""
    doc = _case("023")
    assert (
        "двутавр 30Б1 — 12 т, швеллер 20П — 6 т, труба профильная 120х120х5 — 9 т. Просим"
        in (doc.text or "")
    )


def test_multipart_without_parts_is_text() -> None:
    """Declared multipart without delimiter lines: the body becomes the text, noted."""
    doc = _case("060")
    assert doc.text and "luda.s@bk.ru" in doc.text
    assert "multipart without parts, body read as text" in doc.defects


def test_no_charset_utf8_body_is_sniffed() -> None:
    """text/plain without a charset and 8-bit UTF-8 bytes decodes as UTF-8, not mojibake."""
    doc = _case("066")
    assert (doc.text or "").startswith("Имя: Зинаида")
    assert "no charset declared, bytes are utf-8" in doc.defects


def test_huge_body_is_whole() -> None:
    """The 2 MB body arrives whole (its digest matches the expected message)."""
    import hashlib

    doc = _case("064")
    exp = _load_expected(next(p for p in CASES if p.name.startswith("064")))
    text = doc.text or ""
    assert len(text) > 1_900_000
    message = text.split("Сообщение: ", 1)[1].rstrip("\n")
    assert message == exp["message"]
    assert hashlib.sha256(message.encode()).hexdigest() == exp["message_sha256"]


def test_bounce_has_no_forwarded() -> None:
    """A DSN is a bounce, and its returned message is not offered as a forward."""
    doc = _case("045")
    assert doc.auto_kind == "bounce"
    assert doc.forwarded is None


def test_outlook_forward_as_attachment() -> None:
    """The inner message of an Outlook forward is decoded with its own PDF and Reply-To."""
    doc = _case("054")
    assert doc.forwarded is not None
    inner = doc.forwarded
    assert [a.filename for a in inner.attachments] == ["Спецификация_труба.pdf"]
    assert inner.reply_to[0].addr == "ahmed.g@stroy-ekb.ru"
    assert "Ахмед Гасанов" in (inner.text or "")
    assert doc.attachments == () and doc.rejected == ()
    assert doc.from_ is not None and doc.from_.name == "Анна Ковалёва"


def test_autoreply_case() -> None:
    """The vacation auto-reply is classified as an auto-reply."""
    assert _case("046").auto_kind == "auto-reply"


def test_cid_logo_is_not_a_file() -> None:
    """The cid: logo of case 036 is in neither list; the PDF is accepted."""
    doc = _case("036")
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
    raw = _msg(f"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: {cte}", body)
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


# --- hand-built messages ---------------------------------------------------------------


def _msg(headers: str, body: bytes, *, nl: bytes = b"\r\n") -> bytes:
    head = "\r\n".join(
        ["From: Site <noreply@site.example>", "To: sales@rostferrum.ru", "Subject: Test",
         *headers.strip("\n").split("\n")]
    ) if headers else "From: Site <noreply@site.example>\r\nSubject: Test"
    return head.encode("utf-8", "surrogateescape").replace(b"\r\n", nl) + nl + nl + body


def _mixed(*parts: bytes, subtype: str = "mixed", top: str = "") -> bytes:
    body = b"".join(b"--BND\r\n" + p + b"\r\n" for p in parts) + b"--BND--\r\n"
    return _msg(
        f"MIME-Version: 1.0\nContent-Type: multipart/{subtype}; boundary=\"BND\"{top}", body
    )


def _text_part(text: str = "Имя: Иван") -> bytes:
    return b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + (
        text.encode()
    )


def _file_part(ctype: str, disp_params: bytes, data: bytes, extra: bytes = b"") -> bytes:
    b64 = base64.encodebytes(data).replace(b"\n", b"\r\n")
    return (
        f"Content-Type: {ctype}\r\n".encode()
        + b"Content-Transfer-Encoding: base64\r\n"
        + disp_params
        + extra
        + b"\r\n"
        + b64
    )


def _one_file(disp: bytes, data: bytes = PDF, ctype: str = "application/octet-stream"):
    return decode(_mixed(_text_part(), _file_part(ctype, disp, data)), OPTS)


@pytest.mark.parametrize(
    "disp",
    [
        pytest.param(
            b"Content-Disposition: attachment;\r\n filename*0*=utf-8''%D0%A1%D0%BF%D0%B5%D1%86;\r\n"
            b" filename*1*=%D0%B8%D1%84%D0%B8%D0%BA%D0%B0%D1%86%D0%B8%D1%8F.pdf\r\n",
            id="rfc2231-continuations",
        ),
        pytest.param(
            b"Content-Disposition: attachment; filename*=UTF-8''%D0%A1%D0%BF%D0%B5%D1%86%D0%B8"
            b"%D1%84%D0%B8%D0%BA%D0%B0%D1%86%D0%B8%D1%8F.pdf\r\n",
            id="rfc2231",
        ),
        pytest.param(
            b'Content-Disposition: attachment; filename="=?UTF-8?B?0KHQv9C10YbQuNGE0LjQutCw'
            b'?=\r\n =?UTF-8?B?0YbQuNGPLnBkZg==?="\r\n',
            id="rfc2047-in-quotes-two-words",
        ),
        pytest.param(
            b'Content-Disposition: attachment; filename="=?UTF-8?Q?=D0=A1=D0=BF=D0=B5=D1=86=D0'
            b'=B8=D1=84=D0=B8=D0=BA=D0=B0=D1=86=D0=B8=D1=8F=2Epdf?="\r\n',
            id="rfc2047-q",
        ),
        pytest.param(
            'Content-Disposition: attachment; filename="Спецификация.pdf"\r\n'.encode(),
            id="raw-utf8",
        ),
        pytest.param(
            'Content-Disposition: attachment; filename="Спецификация.pdf"\r\n'.encode("cp1251"),
            id="raw-cp1251",
        ),
        pytest.param(
            b"Content-Disposition: attachment; filename*=windows-1251''%D1%EF%E5%F6%E8%F4%E8"
            b"%EA%E0%F6%E8%FF.pdf\r\n",
            id="rfc2231-windows-1251",
        ),
        pytest.param(
            b"Content-Disposition: attachment; filename==?UTF-8?B?0KHQv9C10YbQuNGE0LjQutCw0YbQ"
            b"uNGPLnBkZg==?=\r\n",
            id="unquoted-encoded-word",
        ),
        pytest.param(
            b"Content-Disposition: attachment;\r\n filename=\"=?windows-1251?B?0e/l9uj06Org9uj/"
            b"LnBkZg==?=\"\r\n",
            id="rfc2047-windows-1251",
        ),
    ],
)
def test_filename_encodings(disp: bytes) -> None:
    """File names in every encoding mailers use decode to the same Unicode name."""
    doc = _one_file(disp)
    assert [a.filename for a in doc.attachments] == ["Спецификация.pdf"]
    assert doc.attachments[0].data == PDF


def test_name_param_fallback() -> None:
    """Without Content-Disposition the Content-Type name= gives the file name."""
    part = _file_part('application/pdf; name="=?UTF-8?B?0JfQsNGP0LLQutCwLnBkZg==?="', b"", PDF)
    doc = decode(_mixed(_text_part(), part), OPTS)
    assert [a.filename for a in doc.attachments] == ["Заявка.pdf"]


def test_text_attachment_keeps_its_bytes_and_is_not_the_body() -> None:
    """A windows-1251 .txt attachment keeps its exact bytes and does not become the body."""
    data = "Реквизиты: ИНН 6600000000\r\n".encode("cp1251")
    part = (
        b'Content-Type: text/plain; charset=windows-1251; name="r.txt"\r\n'
        b"Content-Transfer-Encoding: 8bit\r\n"
        b'Content-Disposition: attachment; filename="r.txt"\r\n\r\n' + data
    )
    doc = decode(_mixed(_text_part("Тело письма"), part), OPTS)
    assert doc.text == "Тело письма"
    assert [(a.filename, a.data) for a in doc.attachments] == [("r.txt", data)]


def test_cid_referenced_image_skipped_unreferenced_inline_kept() -> None:
    """A cid:-referenced image is an HTML resource; an unreferenced inline named image is a file."""
    html = (
        b"Content-Type: text/html; charset=utf-8\r\n\r\n"
        b'<p>Hi</p><img src="cid:logo@site">'
    )
    logo = _file_part(
        'image/png; name="logo.png"',
        b'Content-Disposition: inline; filename="logo.png"\r\n',
        PNG,
        b"Content-ID: <logo@site>\r\n",
    )
    photo = _file_part(
        'image/jpeg; name="photo.JPEG"',
        b'Content-Disposition: inline; filename="photo.JPEG"\r\n',
        JPEG,
        b"Content-ID: <photo1>\r\n",
    )
    related = (
        b'Content-Type: multipart/related; boundary="REL"\r\n\r\n--REL\r\n' + html
        + b"\r\n--REL\r\n" + logo + b"\r\n--REL--\r\n"
    )
    doc = decode(_mixed(related, photo), OPTS)
    assert doc.html and "cid:logo@site" in doc.html
    assert [a.filename for a in doc.attachments] == ["photo.JPEG"]
    assert doc.rejected == ()


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        pytest.param("Заявка.pdf", EXE, "type", id="exe-named-pdf"),
        pytest.param("фото.jpg", ZIP, "type", id="zip-named-jpg"),
        pytest.param("фото.png", PDF, "type", id="pdf-named-png"),
        pytest.param("прайс.xls", HTML_XLS, None, id="1c-html-named-xls"),
        pytest.param("прайс.xls", OLE2, None, id="ole2-xls"),
        pytest.param("письмо.doc", OLE2, None, id="ole2-doc"),
        pytest.param("заявка.docx", ZIP, None, id="zip-docx"),
        pytest.param("заметка.txt", "Привет".encode("cp1251"), None, id="txt-no-magic"),
        pytest.param("BMW.txt", b"BMW X5 2019, price?", None, id="txt-weak-signature"),
        pytest.param("Фото.JPEG", JPEG, None, id="upper-case-ext"),
        pytest.param("script.js", b"alert(1)", "type", id="disallowed-ext"),
        pytest.param("noext", PDF, "type", id="no-extension"),
    ],
)
def test_type_checks(name: str, data: bytes, reason: str | None) -> None:
    """Allow-list and magic bytes: recognisably other content is rejected, no magic is fine."""
    disp = f'Content-Disposition: attachment; filename="{name}"\r\n'.encode()
    doc = _one_file(disp, data)
    if reason is None:
        assert [(a.filename, a.data) for a in doc.attachments] == [(name, data)]
        assert doc.rejected == ()
    else:
        assert doc.attachments == ()
        assert [(r.filename, r.reason) for r in doc.rejected] == [(name, reason)]


def test_type_mismatch_reports_kind() -> None:
    """type_mismatch names the detected kind, and None for agreeing or magic-less content."""
    assert type_mismatch("pdf", EXE) == "exe"
    assert type_mismatch("pdf", PDF) is None
    assert type_mismatch("xlsx", ZIP) is None
    assert type_mismatch("doc", ZIP) == "zip"


def test_size_and_total_limits() -> None:
    """Over max_size -> "size"; past the cumulative max_total -> "total"; order decides."""
    opts = ParseOptions(max_size_bytes=3000, max_total_bytes=5000)
    big = PDF + b"0" * 3100
    mid = PDF + b"1" * 2000
    parts = [_text_part()]
    for i, data in enumerate([big, mid, mid, mid]):
        disp = f'Content-Disposition: attachment; filename="f{i}.pdf"\r\n'.encode()
        parts.append(_file_part("application/pdf", disp, data))
    doc = decode(_mixed(*parts), opts)
    assert [a.filename for a in doc.attachments] == ["f1.pdf", "f2.pdf"]
    assert [(r.filename, r.reason, r.size) for r in doc.rejected] == [
        ("f0.pdf", "size", len(big)), ("f3.pdf", "total", len(mid))
    ]


def test_duplicate_names_both_kept() -> None:
    """Two different files with the same name are both attached."""
    disp = b'Content-Disposition: attachment; filename="a.pdf"\r\n'
    doc = decode(
        _mixed(_text_part(), _file_part("application/pdf", disp, PDF),
               _file_part("application/pdf", disp, PDF + b"x")),
        OPTS,
    )
    assert [a.filename for a in doc.attachments] == ["a.pdf", "a.pdf"]
    assert len({a.sha256 for a in doc.attachments}) == 2


def test_unnamed_file_gets_a_name() -> None:
    """A file part without a name gets attachment-N.ext from its content type."""
    doc = decode(
        _mixed(_text_part(), _file_part("application/pdf", b"Content-Disposition: attachment\r\n",
                                        PDF)),
        OPTS,
    )
    assert [a.filename for a in doc.attachments] == ["attachment-1.pdf"]


# --- bodies, charsets and headers --------------------------------------------------------


def test_alternative_picks_plain_and_html() -> None:
    """multipart/alternative gives both bodies, CRLF turned into LF."""
    alt = (
        b'Content-Type: multipart/alternative; boundary="ALT"\r\n\r\n--ALT\r\n'
        + _text_part("строка 1\r\nстрока 2")
        + b"\r\n--ALT\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        + "<b>Имя</b>".encode()
        + b"\r\n--ALT--\r\n"
    )
    doc = decode(_mixed(alt), OPTS)
    assert doc.text == "строка 1\nстрока 2"
    assert doc.html == "<b>Имя</b>"


def test_utf8_label_on_cp1251_bytes() -> None:
    """A utf-8 label on windows-1251 bytes is detected and noted."""
    raw = _msg("Content-Type: text/plain; charset=utf-8", "Здравствуйте, нужна арматура".encode(
        "cp1251"))
    doc = decode(raw, OPTS)
    assert doc.text == "Здравствуйте, нужна арматура"
    assert any("utf-8" in d for d in doc.defects)


def test_unknown_charset_name_with_koi8() -> None:
    """An unknown charset label (x-unknown) falls back to sniffing (KOI8-R here)."""
    raw = _msg("Content-Type: text/plain; charset=x-unknown",
               "Прошу выслать прайс на уголок".encode("koi8-r"))
    assert decode(raw, OPTS).text == "Прошу выслать прайс на уголок"


@pytest.mark.parametrize(
    ("real", "label"),
    [("cp1251", "iso-8859-1"), ("cp1251", "koi8-r"), ("koi8-r", "windows-1251")],
)
def test_single_byte_mislabel_is_corrected(real: str, label: str) -> None:
    """A Russian body under a wrong single-byte label is read in the charset it really is."""
    text = "Здравствуйте! Сколько стоит лист г/к 3 мм? Нужно 40 листов, счёт на ООО."
    got, note = decode_bytes(text.encode(real), label)
    assert got == text
    assert note and "mislabelled" in note


def test_correct_western_label_is_kept() -> None:
    """Real Latin-1 text under its own label is not 'corrected' into Cyrillic."""
    text = "Très bien, merci. À bientôt! Grüße aus München"
    assert decode_bytes(text.encode("latin-1"), "iso-8859-1") == (text, None)


def test_cp1251_label_on_utf8_bytes() -> None:
    """A single-byte label on valid UTF-8 bytes: the UTF-8 reading wins."""
    text, note = decode_bytes("Телефон".encode(), "windows-1251")
    assert text == "Телефон" and note


def test_html_meta_charset() -> None:
    """An HTML part without a charset parameter uses its <meta charset>."""
    body = '<meta http-equiv="Content-Type" content="text/html; charset=windows-1251"><b>Имя</b>'
    raw = _msg("Content-Type: text/html", body.encode("cp1251"))
    assert "<b>Имя</b>" in (decode(raw, OPTS).html or "")


@pytest.mark.parametrize(
    "phrase",
    ["Заказ с сайта", "ЗАЯВКА С САЙТА", "ФИО: Щукин Ю.Ю.", "съёмка, объём", "Re: Запрос КП"],
)
@pytest.mark.parametrize("charset", ["koi8-r", "cp1251"])
def test_sniff_prefers_real_words(phrase: str, charset: str) -> None:
    """KOI8-R and windows-1251 bytes of short phrases (also all capitals) are told apart."""
    assert sniff(phrase.encode(charset))[0] == phrase


@pytest.mark.parametrize("phrase", ["Grüße aus München", "Très bien, merci. À bientôt!"])
def test_sniff_western_text_is_not_read_as_cyrillic(phrase: str) -> None:
    """Western cp1252 text is not turned into Cyrillic mojibake."""
    assert sniff(phrase.encode("cp1252"))[0] == phrase


def test_encoded_words_split_character() -> None:
    """A UTF-8 character split across two encoded words is rejoined."""
    raw = "Привет".encode()
    a, b = base64.b64encode(raw[:3]).decode(), base64.b64encode(raw[3:]).decode()
    assert decode_words(f"=?UTF-8?B?{a}?= =?UTF-8?B?{b}?=") == "Привет"


def test_display_names_and_malformed_from() -> None:
    """Encoded display names decode; a From without closing bracket still yields the address."""
    raw = _msg(
        'Reply-To: "=?UTF-8?B?0JjQstCw0L0=?=" <ivan@mail.example>', b"x"
    ).replace(b"From: Site <noreply@site.example>", "From: Пётр <petr@mail.example".encode())
    doc = decode(raw, OPTS)
    assert doc.reply_to[0].name == "Иван" and doc.reply_to[0].addr == "ivan@mail.example"
    assert doc.from_ is not None and doc.from_.addr == "petr@mail.example"


@pytest.mark.parametrize(
    ("value", "name", "addr"),
    [
        pytest.param(b"ivan@mail.example (Ivan Petrov)", "Ivan Petrov", "ivan@mail.example",
                     id="comment-name"),
        pytest.param("Иван <ivan@mail.example>".encode("cp1251"), "Иван", "ivan@mail.example",
                     id="raw-cp1251-name"),
        pytest.param(b'"Petrov, Ivan" <ivan@mail.example>', "Petrov, Ivan", "ivan@mail.example",
                     id="comma-in-quotes"),
        pytest.param(b"Ivan Petrov", "Ivan Petrov", "", id="name-only"),
        pytest.param(b"=?UTF-8?B?0JjQstCw0L0=?= ivan@mail.example>", "Иван", "ivan@mail.example",
                     id="unbalanced"),
    ],
)
def test_malformed_from_variants(value: bytes, name: str, addr: str) -> None:
    """Odd From headers still give the display name and the address."""
    raw = _msg("", b"x").replace(b"From: Site <noreply@site.example>", b"From: " + value)
    doc = decode(raw, OPTS)
    assert doc.from_ is not None
    assert (doc.from_.name, doc.from_.addr) == (name, addr)


def test_date_without_zone_is_aware() -> None:
    """A Date with the unknown zone -0000 is still timezone-aware; garbage gives None."""
    doc = decode(_msg("Date: Mon, 16 Nov 2026 10:00:00 -0000", b"x"), OPTS)
    assert doc.date is not None and doc.date.tzinfo is not None
    assert decode(_msg("Date: вчера", b"x"), OPTS).date is None


def test_missing_date_falls_back_to_received() -> None:
    """Without a Date header the newest Received timestamp is the date, noted in defects."""
    doc = _case("058")
    assert doc.date is not None and doc.date.isoformat() == "2026-11-18T09:10:00+05:00"
    assert "no usable Date header, date taken from Received" in doc.defects
    assert decode(_msg("", b"x"), OPTS).date is None


def test_eml_file_attachment_is_a_forward() -> None:
    """An .eml attached as application/octet-stream is read as the forwarded message."""
    inner = _mixed(
        _text_part("Имя: Ахмед"),
        _file_part("application/pdf", b'Content-Disposition: attachment; filename="a.pdf"\r\n',
                   PDF),
    )
    part = _file_part("application/octet-stream",
                      b'Content-Disposition: attachment; filename="fwd.eml"\r\n', inner)
    doc = decode(_mixed(_text_part("См. вложение"), part), OPTS)
    assert doc.attachments == () and doc.rejected == ()
    assert doc.forwarded is not None
    assert doc.forwarded.text == "Имя: Ахмед"
    assert [a.filename for a in doc.forwarded.attachments] == ["a.pdf"]


def test_qp_errors_are_kept_verbatim() -> None:
    """Broken quoted-printable escapes are left as they are, the rest is decoded."""
    head = "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable"
    raw = _msg(head, b"=D0=98=D0=BC=D1=8F: =ZZ =D0=98=D0=B2=D0=B0=D0=BD=\r\n=D0=BE=D0=B2")
    assert decode(raw, OPTS).text == "Имя: =ZZ Иванов"


def test_multiline_encoded_subject_and_headers_map() -> None:
    """A subject folded over several encoded words decodes whole; headers are lower-cased."""
    raw = _msg(
        "Subject: =?UTF-8?B?0KDQvtGB0YLQpNC10YDRgNGD0Lw=?=\n =?UTF-8?B?INC30LDRj9Cy0LrQsA==?=\n"
        "X-Custom: one\nX-Custom: two",
        b"x",
    ).replace(b"Subject: Test\r\n", b"", 1)
    doc = decode(raw, OPTS)
    assert doc.subject == "РостФеррум заявка"
    assert doc.headers["x-custom"] == "one"
    assert doc.header_all["x-custom"] == ("one", "two")


def test_nul_bytes_removed_and_noted() -> None:
    """NUL bytes vanish from the text and a defect says so."""
    doc = decode(_msg("Content-Type: text/plain; charset=utf-8", "Имя:\x00 Иван".encode()), OPTS)
    assert doc.text == "Имя: Иван"
    assert any("NUL" in d for d in doc.defects)


def test_nul_in_headers_removed_binary_attachment_kept() -> None:
    """NULs go from headers and text, but an 8-bit attachment keeps its exact bytes."""
    data = PDF + b"\x00\x01\x00binary"
    part = (
        b"Content-Type: application/pdf\r\nContent-Transfer-Encoding: binary\r\n"
        b'Content-Disposition: attachment; filename="a.pdf"\r\n\r\n' + data
    )
    raw = _mixed(_text_part("Имя:\x00 Иван"), part).replace(b"Subject: Test", b"Subj\x00ect: Test")
    doc = decode(b"\x00" + raw, OPTS)
    assert doc.subject == "Test"
    assert doc.text == "Имя: Иван"
    assert [a.data for a in doc.attachments] == [data]


def test_base64_errors_are_repaired() -> None:
    """A base64 body with junk and missing padding still decodes."""
    enc = base64.b64encode("Имя: Иван Петров".encode()).rstrip(b"=")
    raw = _msg("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64",
               enc[:8] + b"!!\r\n" + enc[8:])
    assert (decode(raw, OPTS).text or "").startswith("Имя: Иван")


def test_email_package_message_roundtrip() -> None:
    """A message built with the email package decodes its body and RFC 2231 attachment."""
    m = EmailMessage()
    m["From"] = "Сайт <noreply@site.example>"
    m["Subject"] = "Заявка: Иван"
    m.set_content("Имя: Иван\nТелефон: 89123456789\n")
    m.add_attachment(PDF, maintype="application", subtype="pdf", filename="Счёт №1.pdf")
    doc = decode(m.as_bytes(), OPTS)
    assert doc.subject == "Заявка: Иван"
    assert doc.text == "Имя: Иван\nТелефон: 89123456789\n"
    assert [a.filename for a in doc.attachments] == ["Счёт №1.pdf"]


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
    raw = b"From noreply@site.example Mon Nov 16 10:00:00 2026\n" + _msg("", b"Hello", nl=b"\n")
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
    raw = _mixed(
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
    raw = _mixed(b"Content-Type: text/plain\r\n\r\nFYI",
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


_NESTED = _mixed(
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
        pytest.param(_mixed(_attachment("a.pdf", _pdf(3000))[:-200] + b"\r\n--BND\r\n"
                            + _attachment("b.pdf", _pdf(3000))), True, id="double-boundary"),
        pytest.param(_mixed(_inject(_attachment("a.pdf", _pdf(3000)), b"--BNDAA\r\n")), False,
                     id="boundary-prefix-in-base64"),
        pytest.param(_mixed(_inject(_attachment("a.pdf", _pdf(3000)), b"--BND\r\n")), True,
                     id="boundary-line-in-base64"),
        pytest.param(_mixed(_inject(_attachment("a.pdf", _pdf(3000)), b"--BND--  \r\n")), True,
                     id="close-boundary-in-base64"),
        pytest.param(_mixed(_inject(_attachment("a.pdf", _pdf(3000)), b"A!B\r\n")), True,
                     id="base64-junk"),
        pytest.param(_mixed(_attachment("a.pdf", _pdf(3001))[:-7]), True, id="base64-cut"),
        pytest.param(_mixed(_attachment("a.pdf", _pdf(3000)).replace(b"base64", b"x-uuencode")),
                     True, id="uuencode-label"),
        pytest.param(_mixed(_attachment("a.pdf", _pdf(3000), cte="binary")), True, id="binary"),
        pytest.param(_mixed(b"Content-Type: message/rfc822\r\n\r\n"
                            + form_email(3, file_size=3000)), True, id="rfc822"),
        pytest.param(_mixed(b"Content-Type: message/rfc822\r\n"
                            b"Content-Transfer-Encoding: base64\r\n\r\n"
                            + base64.encodebytes(form_email(3, file_size=3000))), False,
                     id="rfc822-base64"),
        pytest.param(_mixed(b"Content-Type: message/delivery-status\r\n\r\nAction: failed\r\n\r\n"
                            + b"X: y\r\n" * 100, _attachment("a.pdf", _pdf(3000))), True,
                     id="delivery-status"),
        pytest.param(_mixed(b"Content-Type: text/plain\r\n" + _attachment("a.pdf", _pdf(3000))),
                     True, id="header-after-header"),
        pytest.param(_mixed(b"no headers\r\n" + _attachment("a.pdf", _pdf(3000))), False,
                     id="no-header-separator"),
        pytest.param(_mixed(b"\r\n" + base64.encodebytes(_pdf(3000))), True, id="no-headers"),
        pytest.param(_mixed(_attachment("a.pdf", _pdf(3000)).replace(b"\r\n\r\n", b"\r\n")),
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
