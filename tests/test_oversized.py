"""Mail over imap.max_message_mb is never fetched whole, yet its enquiry becomes a lead."""

from __future__ import annotations

import re
import time
from email.message import EmailMessage
from pathlib import Path

import pytest

from bridge.config import load
from bridge.errors import ConfigError
from bridge.model import ParseOptions
from bridge.oversized import leaves, oversized_identity, stand_in
from bridge.parsing import parse_message
from tests.e2e import run, sandbox, write_config
from tests.servers.dovecot import ImapAccount

PDF_HEAD = b"%PDF-1.4\n1 0 obj<<>>endobj\n"


def _big_form(file_mb: float, n: int = 1) -> bytes:
    msg = EmailMessage()
    msg["From"] = "noreply@rostferrum.ru"
    msg["To"] = "zayavki@rostferrum.ru"
    msg["Subject"] = f"Заявка с сайта {n}"
    msg["Date"] = "Mon, 30 Nov 2026 09:00:00 +0000"
    msg["Message-ID"] = f"<big{n}@rostferrum.ru>"
    msg.set_content(f"Имя: Иван Петров\nТелефон: +7 912 345-67-8{n}\n"
                    "Сообщение: Прошу счёт по спецификации во вложении\n")
    msg.add_alternative("<p>Имя: Иван Петров<br>Телефон: +7 912 345-67-8"
                        f"{n}</p>", subtype="html")
    body = PDF_HEAD + bytes(range(256)) * int(file_mb * 4096)
    msg.add_attachment(body, maintype="application", subtype="pdf",
                       filename="Спецификация.pdf")
    msg.add_attachment(b"PK\x03\x04" + b"\x00" * 100, maintype="application",
                       subtype="zip", filename="чертежи.zip")
    return msg.as_bytes()


def test_stand_in_keeps_text_and_names_the_files() -> None:
    """From a BODYSTRUCTURE and the text parts, the stand-in parses to the same client data."""
    structure = (
        [
            ([(b"text", b"plain", (b"charset", b"utf-8"), None, None, b"8bit", 60, 2, None,
               None, None, None),
              (b"text", b"html", (b"charset", b"utf-8"), None, None, b"8bit", 40, 1, None,
               None, None, None)],
             b"alternative", (b"boundary", b"x"), None, None, None),
            (b"application", b"pdf", (b"name", b"=?utf-8?B?0KHRh9GR0YIucGRm?="), None, None,
             b"base64", 9_000_000, None, (b"attachment", (b"filename",
                                                          b"=?utf-8?B?0KHRh9GR0YIucGRm?=")),
             None, None),
        ],
        b"mixed", (b"boundary", b"y"), None, None, None,
    )
    parts = list(leaves(structure))
    assert [p.section for p in parts] == ["1.1", "1.2", "2"]
    assert [p.is_body_text for p in parts] == [True, True, False]
    header = (b"From: noreply@rostferrum.ru\r\nSubject: x\r\nMessage-ID: <a@b>\r\n"
              b"Content-Type: multipart/mixed;\r\n boundary=y\r\n")
    text = "Имя: Иван Петров\nТелефон: +7 912 345-67-89\n".encode()
    raw = stand_in(header, [(parts[0], text), (parts[1], b"<p>x</p>")], [parts[2]])
    form = parse_message(raw, ParseOptions())
    assert form.name == "Иван Петров" and form.phone == "+79123456789"
    assert [(r.filename, r.reason, r.size) for r in form.rejected_attachments] == [
        ("Счёт.pdf", "message_size", 9_000_000)]
    assert not form.attachments


def test_identity_is_header_size_and_internaldate() -> None:
    """The identity changes with the header, RFC822.SIZE or INTERNALDATE, nothing else."""
    from datetime import UTC, datetime

    when = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    base = oversized_identity(b"Subject: a\r\n", 100, when)
    assert base == oversized_identity(b"Subject: a\n", 100, when)
    assert base != oversized_identity(b"Subject: b\r\n", 100, when)
    assert base != oversized_identity(b"Subject: a\r\n", 101, when)
    assert base != oversized_identity(b"Subject: a\r\n", 100, when.replace(minute=1))


@pytest.mark.parametrize("value", ["0", "-1", '"big"'])
def test_max_message_mb_is_validated(tmp_path: Path, value: str) -> None:
    """imap.max_message_mb must be a positive integer; the error names the key."""
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[imap]\nhost = "imap.example.ru"\nusername = "u"\npassword = "p"\n'
                   f"max_message_mb = {value}\n"
                   '[bitrix24]\nwebhook_url = "https://p.bitrix24.ru/rest/1/XXXXXXXXXXXXXXXX/"\n',
                   encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load(cfg, env={})
    assert str(info.value).startswith("imap.max_message_mb")


def _bytes_sent(account: ImapAccount) -> list[int]:
    """``out=`` of every finished IMAP session of the account, from Dovecot's own log
    (waiting for the bridge's session, which fetched the 0.1 MB mail whole, to be logged)."""
    deadline = time.monotonic() + 5
    while True:
        log = account.server.log_tail(400)
        sent = [int(m.group(1)) for m in re.finditer(
            rf"imap\({re.escape(account.user)}\).*Logged out in=\d+ out=(\d+)", log)]
        if max(sent, default=0) > 100 * 1024 or time.monotonic() > deadline:
            return sent
        time.sleep(0.1)


def test_too_large_mail_through_dovecot(account: ImapAccount, tmp_path: Path) -> None:
    """max_message_mb = 1 and a 2 MB mail: one lead with the client's data that names the
    files left on the server; the ledger holds a small stand-in; a small mail is untouched;
    the next pass creates nothing more."""
    account.deliver(_big_form(2.0, 1))
    account.deliver(_big_form(0.1, 2))
    with sandbox() as sb:
        cfg = write_config(tmp_path / "config.toml", account, sb.webhook_url,
                           imap_extra="max_message_mb = 1")
        code, out, err = run("--config", str(cfg), "--poll-now")
        assert code == 0, err
        assert "created=2" in out
        leads = [sb.portal.lead(int(lead["ID"])) for lead in sb.portal.list_leads()]
        assert len(leads) == 2
        big = next(v for v in leads if v["PHONE"][0]["VALUE"] == "+79123456781")
        small = next(v for v in leads if v["PHONE"][0]["VALUE"] == "+79123456782")
        assert big["NAME"] == "Иван Петров"
        assert "Прошу счёт по спецификации" in big["COMMENTS"]
        assert "Спецификация.pdf" in big["COMMENTS"] and "чертежи.zip" in big["COMMENTS"]
        assert "max_message_mb" in big["COMMENTS"]
        assert sb.portal.lead_files(int(big["ID"])) == []
        assert [n for n, _ in sb.portal.lead_files(int(small["ID"]))] == ["Спецификация.pdf"]
        # Dovecot logs the bytes it sent per session: the 2.8 MB mail never left whole.
        assert 100 * 1024 < max(_bytes_sent(account)) < 512 * 1024
        code, out, _ = run("--config", str(cfg), "--poll-now")
        assert code == 0 and "created=0" in out
        assert len(sb.portal.list_leads()) == 2


def test_single_part_and_rfc2231_names() -> None:
    """A single-part mail is section 1; an RFC 2231 file name survives into the stand-in."""
    single = (b"text", b"plain", (b"charset", b"utf-8"), None, None, b"base64", 90_000_000,
              1_000_000, None, None, None, None)
    (leaf,) = leaves(single)
    assert (leaf.section, leaf.is_body_text, leaf.size) == ("1", True, 90_000_000)
    pdf = (b"application", b"pdf", None, None, None, b"base64", 70_000_000, None,
           (b"attachment", (b"filename*", b"utf-8''%D0%A1%D1%87%D1%91%D1%82.pdf")), None, None)
    raw = stand_in(b"From: a@b.example\r\nSubject: x\r\n",
                   [(leaf, "Имя: Иван\n".encode())], list(leaves(pdf)))
    form = parse_message(raw, ParseOptions())
    assert [(r.filename, r.reason) for r in form.rejected_attachments] == [
        ("Счёт.pdf", "message_size")]
