"""Log lines under journald carry their syslog priority and no time; elsewhere the time."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path

from bridge.logsetup import JournalFormatter, syslog_priority
from tests.e2e import sandbox, write_config
from tests.forms import form_email
from tests.servers.dovecot import ImapAccount

ROOT = Path(__file__).resolve().parents[1]


def test_levels_map_to_syslog_priorities() -> None:
    """ERROR is <3>, WARNING <4>, INFO <6>, DEBUG <7>, CRITICAL <2>."""
    got = [syslog_priority(lv) for lv in (logging.CRITICAL, logging.ERROR, logging.WARNING,
                                          logging.INFO, logging.DEBUG)]
    assert got == [2, 3, 4, 6, 7]


def test_every_line_of_a_traceback_carries_the_prefix() -> None:
    """A multi-line record (a traceback) is prefixed on each line, so `journalctl -p err`
    shows all of it."""
    try:
        raise ValueError("boom")
    except ValueError:
        import sys as _sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "crash id=%s", (3,),
                                   _sys.exc_info())
    text = JournalFormatter().format(record)
    lines = text.splitlines()
    assert len(lines) > 2
    assert all(line.startswith("<3>") for line in lines)
    assert lines[0] == "<3>crash id=3"


def _poll_now(cfg: Path, stderr_path: Path, journal: bool) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("JOURNAL_STREAM", "INVOCATION_ID")}
    with stderr_path.open("wb") as stderr:
        if journal:
            st = os.fstat(stderr.fileno())
            env["JOURNAL_STREAM"] = f"{st.st_dev}:{st.st_ino}"
        subprocess.run([sys.executable, "-m", "bridge", "--config", str(cfg), "--poll-now"],
                       cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr, timeout=120)
    return stderr_path.read_text()


def test_journal_lines_have_priorities_and_terminal_lines_the_time(
    account: ImapAccount, tmp_path: Path
) -> None:
    """With stderr as the journal stream: `<3>portal.blocked …`, `<6>…`, no time; with stderr
    a file: each line starts with the date and time."""
    account.deliver(form_email(1))
    with sandbox() as sb:
        sb.configure(blocked=True)
        cfg = write_config(tmp_path / "c.toml", account, sb.webhook_url, processed_folder="")
        journal = _poll_now(cfg, tmp_path / "journal.log", journal=True)
        plain = _poll_now(cfg, tmp_path / "plain.log", journal=False)
    lines = [ln for ln in journal.splitlines() if ln.startswith("<")]
    assert any(ln.startswith("<3>portal.blocked ") for ln in lines), journal
    assert any(ln.startswith("<6>") for ln in lines), journal
    errors = [ln for ln in lines if ln.startswith("<3>")]
    assert all("portal.blocked" in ln for ln in errors), errors
    assert not re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", "\n".join(lines))
    logged = [ln for ln in plain.splitlines() if "portal.blocked" in ln]
    assert logged and all(re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ERROR ", ln)
                          for ln in logged), plain
