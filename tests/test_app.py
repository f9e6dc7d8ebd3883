"""The composition root (bridge.app): a config in, one mailbox wired, reloaded and closed."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bridge import app
from bridge.errors import ConfigError, LockHeld


def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "c.toml"
    path.write_text(
        '[imap]\nhost = "imap.example.ru"\nusername = "forms@example.ru"\npassword = "p-123"\n'
        '[bitrix24]\nwebhook_url = "https://portal.example.ru/rest/1/abcdefgh12345678/"\n'
        f'[store]\npath = "{tmp_path / "bridge.db"}"\n',
        encoding="utf-8",
    )
    return path


def test_the_config_is_found_by_argument_then_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--config wins over $MAILBRIDGE_CONFIG; with neither and no default file there is none."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MAILBRIDGE_CONFIG", "/from/env.toml")
    assert app.find_config("/given.toml") == Path("/given.toml")
    assert app.find_config(None) == Path("/from/env.toml")
    monkeypatch.delenv("MAILBRIDGE_CONFIG")
    assert app.find_config(None) is None
    with pytest.raises(ConfigError):
        app.load_config(None)


def test_loading_the_config_makes_its_secrets_redacted(tmp_path: Path) -> None:
    """The password and the webhook code of a loaded config never reach a log line."""
    from bridge.logsetup import REDACTOR

    cfg = app.load_config(config_file(tmp_path))
    assert cfg.imap.password == "p-123"
    text = REDACTOR.redact("login p-123 to /rest/1/abcdefgh12345678/")
    assert "p-123" not in text and "abcdefgh12345678" not in text


def test_a_wired_mailbox_reloads_and_releases_its_lock(tmp_path: Path) -> None:
    """MailboxApp builds a pipeline for the config, swaps it for a reloaded one (closing the
    old), and on close releases the ledger lock for the next process."""
    cfg = app.load_config(config_file(tmp_path))
    lock = app.lock_for(cfg)
    lock.acquire(wait=0)
    wired = app.MailboxApp(cfg, lock, serve=False)
    try:
        first = wired.pipeline
        with pytest.raises(LockHeld):
            app.lock_for(cfg).acquire(wait=0)
        new = dataclasses.replace(cfg, bitrix24=dataclasses.replace(cfg.bitrix24, source_id="X"))
        wired.apply(new)
        assert wired.cfg is new and wired.pipeline is not first
        assert wired.pipeline.s.lead.source_id == "X"
        assert wired.next_due() is None  # an empty ledger: nothing waits
    finally:
        wired.close(wait=0.1)
    again = app.lock_for(cfg)
    again.acquire(wait=0)
    again.release()


def test_a_pass_is_recorded_in_the_ledger(tmp_path: Path) -> None:
    """record_poll keeps the summary and marks a failed pass (None) as not ok."""
    from bridge.model import PollReport

    cfg = app.load_config(config_file(tmp_path))
    ledger = app.open_ledger(cfg)
    try:
        app.record_poll(ledger, PollReport(fetched=2, created=1))
        assert ledger.get_meta("last_poll_result") == app.summary_line(
            PollReport(fetched=2, created=1))
        assert ledger.get_meta("last_poll_ok") == "1"
        app.record_poll(ledger, None)
        assert ledger.get_meta("last_poll_result") == "failed"
        assert ledger.get_meta("last_poll_ok") == "0"
    finally:
        ledger.close()
