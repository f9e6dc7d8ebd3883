"""Hostile attachments: deceptive names, markup dressed as images/PDF, broken base64."""

from __future__ import annotations

import base64
import hashlib
from email.message import EmailMessage
from pathlib import Path

import pytest

from bridge.model import ParseOptions
from bridge.parsing import parse_message
from bridge.parsing.attachments import type_mismatch
from bridge.parsing.filecontent import base64_damage, markup_kind
from bridge.parsing.filenames import MAX_NAME_BYTES, safe_filename
from tests.e2e import run, sandbox, write_config
from tests.servers.dovecot import ImapAccount

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HTML = b"<!DOCTYPE html><html><body><script>location='https://evil.example'</script></body></html>"
SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>'


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("sch\u200bet\u2066.pdf", "schet.pdf"),
        ("a\x1b[2Jb\x07.pdf", "a[2Jb.pdf"),
        ("CON.pdf", "_CON.pdf"),
        ("nul", "_nul"),
        ("com1.tar.gz", "_com1.tar.gz"),
        ("Lpt9 .txt", "_Lpt9 .txt"),
        ("console.pdf", "console.pdf"),
        ('what?<x>:"y"|*.pdf', "what__x___y___.pdf"),
        ("report.pdf. . ", "report.pdf"),
        ("\u202e\u200b", ""),
        ("Счёт №5.pdf", "Счёт №5.pdf"),
    ],
)
def test_safe_filename(raw: str, safe: str) -> None:
    """Bidi, zero-width and control characters go; reserved and forbidden names are defused."""
    assert safe_filename(raw) == safe


def test_long_name_is_bounded_keeping_the_extension() -> None:
    """A 1000-letter name is cut to the byte bound and keeps its .pdf."""
    name = safe_filename("Я" * 1000 + ".pdf")
    assert name.endswith("Я.pdf") and len(name.encode()) <= MAX_NAME_BYTES


@pytest.mark.parametrize(("ext", "data", "kind"), [
    ("jpg", HTML, "html"), ("pdf", b"\n  <html><body>x</body></html>", "html"),
    ("png", SVG, "svg"), ("jpeg", b"\xef\xbb\xbf<svg></svg>", "svg"),
])
def test_markup_under_image_or_pdf_is_a_mismatch(ext: str, data: bytes, kind: str) -> None:
    """HTML or SVG content under an image or PDF name is detected as such."""
    assert markup_kind(ext, data) == kind
    assert type_mismatch(ext, data) == kind


def test_html_saved_as_xls_or_doc_is_still_accepted() -> None:
    """1C exports (HTML saved as .xls/.doc) stay accepted (SPEC §3); a real PDF too."""
    assert type_mismatch("xls", HTML) is None and type_mismatch("doc", HTML) is None
    assert type_mismatch("pdf", PDF) is None


@pytest.mark.parametrize(("encoded", "broken"), [
    (base64.encodebytes(PDF), False),
    (base64.b64encode(PDF).rstrip(b"="), False),
    (base64.b64encode(PDF)[:-4] + b"!@#$", True),
    (base64.b64encode(b"ab") + base64.b64encode(b"cd"), True),
    (base64.b64encode(PDF)[:-3] + b"\r\n", True),
])
def test_base64_damage(encoded: bytes, broken: bool) -> None:
    """Sound base64 (even without padding) passes; bad bytes, inner padding, bad length fail."""
    assert (base64_damage(encoded) is not None) is broken


def _mail_with_files() -> bytes:
    msg = EmailMessage()
    msg["From"] = "noreply@rostferrum.ru"
    msg["To"] = "zayavki@rostferrum.ru"
    msg["Subject"] = "Заявка с сайта"
    msg["Date"] = "Mon, 30 Nov 2026 09:00:00 +0000"
    msg["Message-ID"] = "<files1@rostferrum.ru>"
    msg.set_content("Имя: Иван Петров\nТелефон: +7 912 345-67-89\nСообщение: см. файлы\n")
    msg.add_attachment(PDF, maintype="application", subtype="pdf", filename="CON.pdf")
    msg.add_attachment(PDF, maintype="application", subtype="pdf",
                       filename="Смета" + "о" * 300 + ".pdf")
    msg.add_attachment(b"MZ\x90\x00" + b"\x00" * 60, maintype="application",
                       subtype="octet-stream", filename="invoice\u202efdp.exe")
    msg.add_attachment(HTML, maintype="image", subtype="jpeg", filename="photo.jpg")
    msg.add_attachment(SVG, maintype="application", subtype="pdf", filename="scan.pdf")
    raw = msg.as_bytes()
    # a PDF whose base64 was damaged on the way: bytes outside the alphabet mid-body
    broken = base64.encodebytes(PDF * 3)
    broken = broken[:20] + b"\xd0\x9f!!" + broken[24:]
    tail = (
        b"Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
        b'Content-Disposition: attachment; filename="broken.pdf"\r\n\r\n' + broken + b"\r\n"
    )
    boundary = msg.get_boundary().encode()
    return raw.replace(b"--" + boundary + b"--", b"--" + boundary + b"\r\n" + tail
                       + b"--" + boundary + b"--")


def test_parse_rejects_the_hostile_files_with_reasons() -> None:
    """The parser keeps the sound PDFs under safe names and rejects the rest with reasons."""
    form = parse_message(_mail_with_files(), ParseOptions())
    names = [a.filename for a in form.attachments]
    assert names[0] == "_CON.pdf"
    assert names[1].endswith(".pdf") and len(names[1].encode()) <= MAX_NAME_BYTES
    rejected = {r.filename: r.reason for r in form.rejected_attachments}
    assert rejected == {"invoicefdp.exe": "type", "photo.jpg": "type", "scan.pdf": "type",
                        "broken.pdf": "damaged"}


def test_hostile_files_through_dovecot(account: ImapAccount, tmp_path: Path) -> None:
    """Through real Dovecot: only sound files are uploaded, the lead names the rejected ones."""
    account.deliver(_mail_with_files())
    with sandbox() as sb:
        cfg = write_config(tmp_path / "config.toml", account, sb.webhook_url)
        code, _, err = run("--config", str(cfg), "--poll-now")
        assert code == 0, err
        leads = sb.portal.list_leads()
        assert len(leads) == 1
        lead_id = int(leads[0]["ID"])
        files = sb.portal.lead_files(lead_id)
        assert files[0][0] == "_CON.pdf"
        assert {hashlib.sha256(d).hexdigest() for _, d in files} == {
            hashlib.sha256(PDF).hexdigest()}
        comments = sb.portal.lead(lead_id)["COMMENTS"]
        for name in ("invoicefdp.exe", "photo.jpg", "scan.pdf", "broken.pdf"):
            assert name in comments
        assert "\u202e" not in comments and "повреждён" in comments
