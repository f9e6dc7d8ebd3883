"""A lookup too early is a duplicate: unknown outcomes are looked up only
``bitrix24.max_request_seconds`` after the request's last byte, proven with the sandbox's
late-commit fault (the portal commits after the client gave up), real Dovecot and the CLI."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bridge.config import load as load_config
from bridge.errors import ConfigError
from tests.bitrix_fixtures import origin_counts
from tests.e2e import corpus, run, sandbox, write_config
from tests.servers.dovecot import ImapAccount
from tests.servers.slowhttp import wait_until

ROOT = Path(__file__).resolve().parents[1]
DEADLINE = 0.5  # bitrix24.timeout: the base of the overall deadline
BOUND = 10 * DEADLINE  # catches a hang, never a timing assertion


def calls(sb, method: str) -> int:
    return int(sb.portal.stats()["by_method"].get(method, 0))


def poll(cfg: Path) -> int:
    return run("--config", str(cfg), "--poll-now")[0]


def test_max_request_seconds_defaults_to_60_and_takes_fractions(tmp_path: Path) -> None:
    """The key defaults to the cloud's 60 s, takes fractional seconds, refuses negatives."""
    base = ('[imap]\nhost = "imap.example.ru"\nusername = "u"\npassword = "p"\n'
            '[bitrix24]\nwebhook_url = "https://p.bitrix24.ru/rest/1/XXXXXXXXXXXXXXXX/"\n')
    path = tmp_path / "c.toml"
    path.write_text(base, encoding="utf-8")
    assert load_config(path, env={}).bitrix24.max_request_seconds == 60
    path.write_text(base + "max_request_seconds = 2.5\n", encoding="utf-8")
    assert load_config(path, env={}).bitrix24.max_request_seconds == 2.5
    path.write_text(base + "max_request_seconds = -1\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert info.value.key == "bitrix24.max_request_seconds"


def test_a_dripping_portal_cannot_hold_poll_now(account: ImapAccount, tmp_path: Path) -> None:
    """crm.lead.add answered one byte every 0.2 s: --poll-now ends at the request's deadline
    with 75 (outcome unknown), and a later run finds the lead instead of sending it again."""
    account.deliver(corpus("001-cf7-default-ru"))
    with sandbox() as sb:
        sb.portal.inject("crm.lead.add", "drip", times=1, seconds=0.2)
        cfg = write_config(tmp_path / "config.toml", account, sb.webhook_url,
                           crm_timeout=DEADLINE, max_request_seconds=1.0)
        started = time.monotonic()
        assert poll(cfg) == 75
        assert time.monotonic() - started < BOUND
        time.sleep(1.0)
        assert poll(cfg) == 0
        assert list(origin_counts(sb).values()) == [1]
        assert calls(sb, "crm.lead.add") == 1
        assert account.uids("INBOX") == []


@pytest.mark.parametrize("cut", ["hold", "drop"])
def test_a_lookup_before_the_late_commit_would_duplicate(
    account: ImapAccount, tmp_path: Path, cut: str
) -> None:
    """The control: with max_request_seconds shorter than the portal's late commit, the
    lookup finds nothing, the lead is sent again, and the late commit makes a second one."""
    account.deliver(corpus("001-cf7-default-ru"))
    with sandbox() as sb:
        sb.portal.inject("crm.lead.add", "late_commit", times=1, commit_after=3.0, cut=cut)
        cfg = write_config(tmp_path / "config.toml", account, sb.webhook_url,
                           crm_timeout=DEADLINE, max_request_seconds=0)
        codes = [poll(cfg)]
        while codes[-1] != 0 and len(codes) < 10:
            time.sleep(0.2)
            codes.append(poll(cfg))
        assert codes[-1] == 0, codes
        # the portal finishes the first request after the client gave up
        assert wait_until(lambda: len(sb.portal.list_leads()) >= 2, 10.0)
        assert list(origin_counts(sb).values()) == [2]


@pytest.mark.parametrize("cut", ["hold", "drop"])
def test_the_lookup_waits_for_the_late_commit_and_finds_one_lead(
    account: ImapAccount, tmp_path: Path, cut: str
) -> None:
    """With max_request_seconds above the late commit, no run looks up or sends before it
    (not even after `retry --all`), --poll-now exits 75 instead of sleeping, and the run
    after it finds the late lead: exactly one lead."""
    account.deliver(corpus("001-cf7-default-ru"))
    with sandbox() as sb:
        sb.portal.inject("crm.lead.add", "late_commit", times=1, commit_after=1.0, cut=cut)
        cfg = write_config(tmp_path / "config.toml", account, sb.webhook_url,
                           crm_timeout=DEADLINE, max_request_seconds=4.0)
        assert poll(cfg) == 75
        # a new ledger's first pass looks the message up once before it is sent (SPEC §4)
        first_pass = calls(sb, "crm.lead.list")
        assert first_pass <= 1
        assert poll(cfg) == 75
        assert run("--config", str(cfg), "retry", "--all")[0] == 0
        assert poll(cfg) == 75
        # Had a run slept for the lookup instead of exiting 75, it would have looked up.
        assert calls(sb, "crm.lead.list") == first_pass  # (a held request is logged at its end)
        codes = []
        for _ in range(40):
            time.sleep(0.25)
            codes.append(poll(cfg))
            if codes[-1] == 0:
                break
        assert codes[-1] == 0, codes
        assert list(origin_counts(sb).values()) == [1]
        assert calls(sb, "crm.lead.add") == 1
        assert account.uids("INBOX") == []


def test_the_daemon_schedules_the_lookup(account: ImapAccount, tmp_path: Path) -> None:
    """The daemon (scheduled poll every 60 s, no IDLE) wakes for the lookup itself,
    max_request_seconds after the cut-off request, and finds the late lead."""
    account.deliver(corpus("001-cf7-default-ru"))
    with sandbox() as sb:
        sb.portal.inject("crm.lead.add", "late_commit", times=1, commit_after=1.5, cut="hold")
        cfg = write_config(tmp_path / "config.toml", account, sb.webhook_url,
                           crm_timeout=DEADLINE, max_request_seconds=2.0,
                           imap_extra="idle = false")
        proc = subprocess.Popen([sys.executable, "-m", "bridge", "--config", str(cfg)],
                                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            end = time.monotonic() + 30
            while time.monotonic() < end and (calls(sb, "crm.lead.list") == 0
                                              or account.uids("INBOX")):
                time.sleep(0.1)
            time.sleep(1.6)  # past the late commit, had the first request not been found
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=15)
        assert proc.returncode == 0, err.decode()
        assert account.uids("INBOX") == [], err.decode()
        assert list(origin_counts(sb).values()) == [1]
        assert calls(sb, "crm.lead.add") == 1
