"""Escape sequences and control characters from mail are shown escaped in terminal output."""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path

from bridge.terminal import SafeStream, escape, one_line
from tests.e2e import run, sandbox, write_config
from tests.servers.dovecot import ImapAccount

# clear screen, set the window title (OSC 0), an 8-bit CSI, a bidi override, a bell
EVIL = "\x1b[2J\x1b]0;pwned\x07\x9b31m\u202eтсет"
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _evil_form() -> bytes:
    subject = "=?utf-8?B?" + base64.b64encode(f"Заявка {EVIL}".encode()).decode() + "?="
    body = (f"Имя: Иван {EVIL}\nТелефон: +7 912 345-67-89\n"
            f"Сообщение: нужна арматура {EVIL}\n")
    return (
        "From: noreply@rostferrum.ru\r\nTo: zayavki@rostferrum.ru\r\n"
        f"Subject: {subject}\r\nDate: Mon, 30 Nov 2026 09:00:00 +0000\r\n"
        "Message-ID: <evil1@rostferrum.ru>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    ).encode() + base64.encodebytes(body.encode())


def test_escape_shows_controls_and_keeps_text() -> None:
    """ESC, BEL, C1 and bidi overrides become visible \\uXXXX; letters and newlines stay."""
    shown = escape(f"a\n{EVIL}")
    assert not RAW_CONTROL.search(shown)
    assert "\\u001b[2J" in shown and "\\u202e" in shown and shown.startswith("a\n")
    assert "\n" not in one_line("a\nb") and "\\u000a" in one_line("a\nb")


def test_safe_stream_keeps_json_valid() -> None:
    """JSON written through the guard still parses to the same value."""
    out = io.StringIO()
    SafeStream(out).write(json.dumps({"s": EVIL}, ensure_ascii=False))
    assert not RAW_CONTROL.search(out.getvalue())
    assert json.loads(out.getvalue()) == {"s": EVIL}


def test_parse_human_output_is_escaped(tmp_path: Path) -> None:
    """`parse` (human output) shows the client's escape sequences escaped."""
    eml = tmp_path / "evil.eml"
    eml.write_bytes(_evil_form())
    code, out, _ = run("parse", str(eml))
    assert code == 0
    assert "Иван" in out and "\\u001b" in out
    assert not RAW_CONTROL.search(out)


def test_status_retry_and_summary_escape_a_hostile_subject(account: ImapAccount,
                                                           tmp_path: Path) -> None:
    """Through real Dovecot: a quarantined mail's Subject is escaped in status and retry."""
    account.deliver(_evil_form())
    with sandbox() as sb:
        sb.portal.inject("crm.lead.add", "html", times=5, status=400)
        cfg = write_config(tmp_path / "c.toml", account, sb.webhook_url)
        cfg.write_text(cfg.read_text().replace("[retry]\n", "[retry]\nmax_attempts = 1\n"))
        outputs = []
        code, out, err = run("--config", str(cfg), "--poll-now")
        assert code == 65, err
        outputs += [out, err]
        code, out, err = run("--config", str(cfg), "status")
        assert code == 0 and "Заявка" in out and "\\u001b[2J" in out
        outputs += [out, err]
        status = json.loads(run("--config", str(cfg), "status", "--json")[1])
        assert status["errors"][0]["subject"] == f"Заявка {EVIL}"
        code, out, err = run("--config", str(cfg), "retry", "--all")
        assert code == 0 and "\\u001b]0;pwned\\u0007" in out
        outputs += [out, err]
        for text in outputs:
            assert not RAW_CONTROL.search(text), text


def test_log_lines_are_escaped_and_stay_one_line() -> None:
    """A log message carrying an escape sequence or a newline is escaped on one line."""
    import logging

    from bridge.logsetup import RedactingFilter

    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "imap.error text=%s",
                               (f"bad\n{EVIL}",), None)
    RedactingFilter().filter(record)
    assert not RAW_CONTROL.search(record.getMessage())
    assert "\n" not in record.getMessage() and "\\u001b" in record.getMessage()


def test_check_escapes_what_the_server_echoes(account: ImapAccount, tmp_path: Path) -> None:
    """`check` shows escaped the escape sequences a server echoes back in its error text."""
    with sandbox() as sb:
        cfg = write_config(tmp_path / "c.toml", account, sb.webhook_url)
        cfg.write_text(cfg.read_text().replace(
            'folder = "INBOX"', 'folder = "Leads\\u001b[2J\\u001b]0;pwned\\u0007"'))
        code, out, err = run("--config", str(cfg), "check")
    assert code == 78 and "imap.folder" in out
    assert not RAW_CONTROL.search(out + err), out


def test_tracebacks_in_logs_are_escaped() -> None:
    """An exception whose text carries an escape sequence is logged escaped."""
    import logging
    import sys

    from bridge.logsetup import RedactingFilter

    try:
        raise RuntimeError(f"server said {EVIL}")
    except RuntimeError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", (), sys.exc_info())
    RedactingFilter().filter(record)
    assert record.exc_text and "\\u001b[2J" in record.exc_text
    assert not RAW_CONTROL.search(record.exc_text)


def test_emoji_joiners_are_left_alone() -> None:
    """A zero-width joiner inside an emoji sequence is not a control: it is shown as it is."""
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert escape(f"Семья {family}") == f"Семья {family}"
