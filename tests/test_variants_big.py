"""Variants whose messages carry 10 MiB files: built in code, too large to keep in tests/variants.

They are checked with the same comparison as the data variants (tests/variants/README.md).
"""

from __future__ import annotations

import hashlib
from typing import Any

from bridge.parsing import parse_message
from bridge.parsing.report import to_json
from tests.helpers.mailbuild import (
    BIG_PDF,
    EXACT_10MIB,
    FAKE_PDF,
    TXT_1251,
    attachment,
    b64_lines,
    leaf,
    multipart,
    phpmailer,
    rfc2047_name,
)
from tests.helpers.variantcheck import problems


def _file(name: str, data: bytes) -> dict[str, str]:
    return {"filename": name, "sha256": hashlib.sha256(data).hexdigest()}


def _check(raw: bytes, expected: dict[str, Any]) -> None:
    found = problems(to_json(parse_message(raw)), expected)
    assert not found, "\n".join(found)


def test_pdf_that_is_exe_and_oversize() -> None:
    """A .pdf that is an executable and a .pdf over 10 MiB are rejected; the .txt is kept."""
    raw = phpmailer(multipart("mixed", "b1=_Kq3mXz8", [
        leaf("text/plain", "Имя: Тимур\nТелефон: 89125554433\nСообщение: Файлы во вложении.\n"),
        attachment(rfc2047_name("счет.pdf"), FAKE_PDF, "application/pdf"),
        attachment(rfc2047_name("чертёж.pdf"), BIG_PDF, "application/pdf"),
        attachment(rfc2047_name("размеры.txt"), TXT_1251, "text/plain"),
    ]), subject="Заявка с сайта", frm="РостФеррум <noreply@rostferrum.ru>", smtp=True)
    _check(raw, {
        "is_form": True, "create_lead": True,
        "name": "Тимур", "phone": "+79125554433", "email": None, "message": "Файлы во вложении.",
        "attachments": [_file("размеры.txt", TXT_1251)],
        "rejected_attachments": [{"filename": "счет.pdf", "reason": "type"},
                                 {"filename": "чертёж.pdf", "reason": "size"}],
    })


def test_attachment_exactly_10mib_and_name_only_in_content_type() -> None:
    """A file of exactly 10 MiB named only in Content-Type is kept; a TNEF blob is rejected."""
    raw = phpmailer(multipart("mixed", "b1=_att3", [
        leaf("text/plain", "Имя: Карина\nТелефон: 89127770000\nСообщение: Чертёж.\n"),
        b'Content-Type: application/pdf; name="plan.pdf"\r\nContent-Transfer-Encoding: base64\r\n'
        b"\r\n" + b64_lines(EXACT_10MIB),
        attachment(rfc2047_name("winmail.dat"), b"\x78\x9f\x3e\x22" + b"\x00" * 40,
                   "application/ms-tnef"),
    ]), subject="Заявка", frm="noreply@rostferrum.ru", smtp=True)
    _check(raw, {
        "is_form": True, "create_lead": True,
        "name": "Карина", "phone": "+79127770000", "email": None, "message": "Чертёж.",
        "attachments": [_file("plan.pdf", EXACT_10MIB)],
        "rejected_attachments": [{"filename": "winmail.dat", "reason": "type"}],
    })
