"""bridge.parsing.mime.decode: attached files (name encodings, inline images, type checks, limits).
"""

from __future__ import annotations

import base64

import pytest

from bridge.model import ParseOptions
from bridge.parsing.attachments import type_mismatch
from bridge.parsing.mime import decode
from tests.helpers.mimemail import (
    OPTS,
    PDF,
    file_part,
    multipart_of,
    text_part,
)

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 20 + b"readme.txt" + b"\x00" * 20
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
HTML_XLS = b"<html><body><table><tr><td>\xd2\xee\xe2\xe0\xf0</td></tr></table></body></html>"


def _one_file(disp: bytes, data: bytes = PDF, ctype: str = "application/octet-stream"):
    return decode(multipart_of(text_part(), file_part(ctype, disp, data)), OPTS)


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
    part = file_part('application/pdf; name="=?UTF-8?B?0JfQsNGP0LLQutCwLnBkZg==?="', b"", PDF)
    doc = decode(multipart_of(text_part(), part), OPTS)
    assert [a.filename for a in doc.attachments] == ["Заявка.pdf"]


def test_text_attachment_keeps_its_bytes_and_is_not_the_body() -> None:
    """A windows-1251 .txt attachment keeps its exact bytes and does not become the body."""
    data = "Реквизиты: ИНН 6600000000\r\n".encode("cp1251")
    part = (
        b'Content-Type: text/plain; charset=windows-1251; name="r.txt"\r\n'
        b"Content-Transfer-Encoding: 8bit\r\n"
        b'Content-Disposition: attachment; filename="r.txt"\r\n\r\n' + data
    )
    doc = decode(multipart_of(text_part("Тело письма"), part), OPTS)
    assert doc.text == "Тело письма"
    assert [(a.filename, a.data) for a in doc.attachments] == [("r.txt", data)]


def test_cid_referenced_image_skipped_unreferenced_inline_kept() -> None:
    """A cid:-referenced image is an HTML resource; an unreferenced inline named image is a file."""
    html = (
        b"Content-Type: text/html; charset=utf-8\r\n\r\n"
        b'<p>Hi</p><img src="cid:logo@site">'
    )
    logo = file_part(
        'image/png; name="logo.png"',
        b'Content-Disposition: inline; filename="logo.png"\r\n',
        PNG,
        b"Content-ID: <logo@site>\r\n",
    )
    photo = file_part(
        'image/jpeg; name="photo.JPEG"',
        b'Content-Disposition: inline; filename="photo.JPEG"\r\n',
        JPEG,
        b"Content-ID: <photo1>\r\n",
    )
    related = (
        b'Content-Type: multipart/related; boundary="REL"\r\n\r\n--REL\r\n' + html
        + b"\r\n--REL\r\n" + logo + b"\r\n--REL--\r\n"
    )
    doc = decode(multipart_of(related, photo), OPTS)
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
    parts = [text_part()]
    for i, data in enumerate([big, mid, mid, mid]):
        disp = f'Content-Disposition: attachment; filename="f{i}.pdf"\r\n'.encode()
        parts.append(file_part("application/pdf", disp, data))
    doc = decode(multipart_of(*parts), opts)
    assert [a.filename for a in doc.attachments] == ["f1.pdf", "f2.pdf"]
    assert [(r.filename, r.reason, r.size) for r in doc.rejected] == [
        ("f0.pdf", "size", len(big)), ("f3.pdf", "total", len(mid))
    ]


def test_duplicate_names_both_kept() -> None:
    """Two different files with the same name are both attached."""
    disp = b'Content-Disposition: attachment; filename="a.pdf"\r\n'
    doc = decode(
        multipart_of(text_part(), file_part("application/pdf", disp, PDF),
                     file_part("application/pdf", disp, PDF + b"x")),
        OPTS,
    )
    assert [a.filename for a in doc.attachments] == ["a.pdf", "a.pdf"]
    assert len({a.sha256 for a in doc.attachments}) == 2


def test_unnamed_file_gets_a_name() -> None:
    """A file part without a name gets attachment-N.ext from its content type."""
    doc = decode(
        multipart_of(text_part(),
                     file_part("application/pdf", b"Content-Disposition: attachment\r\n", PDF)),
        OPTS,
    )
    assert [a.filename for a in doc.attachments] == ["attachment-1.pdf"]
