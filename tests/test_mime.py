"""bridge.parsing.mime.decode: bodies, charsets and headers of hand-built messages.
"""

from __future__ import annotations

import base64
from email.message import EmailMessage

import pytest

from bridge.parsing.charsets import decode_bytes, decode_words, sniff
from bridge.parsing.mime import decode
from tests.helpers.mimemail import (
    OPTS,
    PDF,
    corpus_doc,
    file_part,
    multipart_of,
    raw_message,
    text_part,
)

# --- bodies, charsets and headers --------------------------------------------------------


def test_alternative_picks_plain_and_html() -> None:
    """multipart/alternative gives both bodies, CRLF turned into LF."""
    alt = (
        b'Content-Type: multipart/alternative; boundary="ALT"\r\n\r\n--ALT\r\n'
        + text_part("строка 1\r\nстрока 2")
        + b"\r\n--ALT\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        + "<b>Имя</b>".encode()
        + b"\r\n--ALT--\r\n"
    )
    doc = decode(multipart_of(alt), OPTS)
    assert doc.text == "строка 1\nстрока 2"
    assert doc.html == "<b>Имя</b>"


def test_utf8_label_on_cp1251_bytes() -> None:
    """A utf-8 label on windows-1251 bytes is detected and noted."""
    raw = raw_message("Content-Type: text/plain; charset=utf-8",
                      "Здравствуйте, нужна арматура".encode("cp1251"))
    doc = decode(raw, OPTS)
    assert doc.text == "Здравствуйте, нужна арматура"
    assert any("utf-8" in d for d in doc.defects)


def test_unknown_charset_name_with_koi8() -> None:
    """An unknown charset label (x-unknown) falls back to sniffing (KOI8-R here)."""
    raw = raw_message("Content-Type: text/plain; charset=x-unknown",
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
    raw = raw_message("Content-Type: text/html", body.encode("cp1251"))
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
    raw = raw_message(
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
    raw = raw_message("", b"x").replace(b"From: Site <noreply@site.example>", b"From: " + value)
    doc = decode(raw, OPTS)
    assert doc.from_ is not None
    assert (doc.from_.name, doc.from_.addr) == (name, addr)


def test_date_without_zone_is_aware() -> None:
    """A Date with the unknown zone -0000 is still timezone-aware; garbage gives None."""
    doc = decode(raw_message("Date: Mon, 16 Nov 2026 10:00:00 -0000", b"x"), OPTS)
    assert doc.date is not None and doc.date.tzinfo is not None
    assert decode(raw_message("Date: вчера", b"x"), OPTS).date is None


def test_missing_date_falls_back_to_received() -> None:
    """Without a Date header the newest Received timestamp is the date, noted in defects."""
    doc = corpus_doc("058")
    assert doc.date is not None and doc.date.isoformat() == "2026-11-18T09:10:00+05:00"
    assert "no usable Date header, date taken from Received" in doc.defects
    assert decode(raw_message("", b"x"), OPTS).date is None


def test_eml_file_attachment_is_a_forward() -> None:
    """An .eml attached as application/octet-stream is read as the forwarded message."""
    inner = multipart_of(
        text_part("Имя: Ахмед"),
        file_part("application/pdf", b'Content-Disposition: attachment; filename="a.pdf"\r\n',
                  PDF),
    )
    part = file_part("application/octet-stream",
                     b'Content-Disposition: attachment; filename="fwd.eml"\r\n', inner)
    doc = decode(multipart_of(text_part("См. вложение"), part), OPTS)
    assert doc.attachments == () and doc.rejected == ()
    assert doc.forwarded is not None
    assert doc.forwarded.text == "Имя: Ахмед"
    assert [a.filename for a in doc.forwarded.attachments] == ["a.pdf"]


def test_qp_errors_are_kept_verbatim() -> None:
    """Broken quoted-printable escapes are left as they are, the rest is decoded."""
    head = "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable"
    raw = raw_message(head, b"=D0=98=D0=BC=D1=8F: =ZZ =D0=98=D0=B2=D0=B0=D0=BD=\r\n=D0=BE=D0=B2")
    assert decode(raw, OPTS).text == "Имя: =ZZ Иванов"


def test_multiline_encoded_subject_and_headers_map() -> None:
    """A subject folded over several encoded words decodes whole; headers are lower-cased."""
    raw = raw_message(
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
    raw = raw_message("Content-Type: text/plain; charset=utf-8", "Имя:\x00 Иван".encode())
    doc = decode(raw, OPTS)
    assert doc.text == "Имя: Иван"
    assert any("NUL" in d for d in doc.defects)


def test_nul_in_headers_removed_binary_attachment_kept() -> None:
    """NULs go from headers and text, but an 8-bit attachment keeps its exact bytes."""
    data = PDF + b"\x00\x01\x00binary"
    part = (
        b"Content-Type: application/pdf\r\nContent-Transfer-Encoding: binary\r\n"
        b'Content-Disposition: attachment; filename="a.pdf"\r\n\r\n' + data
    )
    raw = multipart_of(text_part("Имя:\x00 Иван"), part)
    raw = raw.replace(b"Subject: Test", b"Subj\x00ect: Test")
    doc = decode(b"\x00" + raw, OPTS)
    assert doc.subject == "Test"
    assert doc.text == "Имя: Иван"
    assert [a.data for a in doc.attachments] == [data]


def test_base64_errors_are_repaired() -> None:
    """A base64 body with junk and missing padding still decodes."""
    enc = base64.b64encode("Имя: Иван Петров".encode()).rstrip(b"=")
    raw = raw_message("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64",
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
