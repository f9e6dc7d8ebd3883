"""The blocked state (SPEC §4 class 4): a portal-wide setup error keeps mail, sends nothing,
says why once per interval and resumes by itself; real Dovecot and the sandbox portal."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import run, sandbox, write_config
from tests.forms import form_email
from tests.running import StatusSocket, daemon_env
from tests.servers.dovecot import ImapAccount

ROOT = Path(__file__).resolve().parents[1]
INTERVAL = 0.4  # bitrix24.health_interval in these tests (fractional seconds)


def config(tmp_path: Path, account: ImapAccount, url: str, extra: str = "") -> Path:
    return write_config(tmp_path / "c.toml", account, url, processed_folder="",
                        bitrix_extra=f"health_interval = {INTERVAL}\n{extra}")


def status(cfg: Path) -> dict[str, Any]:
    code, out, err = run("--config", str(cfg), "status", "--json")
    assert code == 0, err
    return json.loads(out)


def wait_for(predicate, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def origin_ids(sb: Any) -> list[str]:
    return [lead["ORIGIN_ID"] for lead in sb.portal.list_leads()]


def test_daemon_blocked_by_a_revoked_webhook_keeps_mail_and_resumes(
    account: ImapAccount, tmp_path: Path
) -> None:
    """A blocked webhook: the daemon keeps running, takes every new mail into the ledger,
    sends nothing, logs the error with its fix once per health_interval, shows it in status
    and the systemd STATUS line, and pushes everything once the webhook is restored."""
    status_socket = StatusSocket(tmp_path / "notify.sock")
    account.deliver(form_email(1))
    stderr_path = tmp_path / "daemon.log"
    with sandbox() as sb, stderr_path.open("wb") as stderr:
        sb.configure(blocked=True)
        cfg = config(tmp_path, account, sb.webhook_url)
        proc = subprocess.Popen([sys.executable, "-m", "bridge", "--config", str(cfg)],
                                cwd=ROOT, env=daemon_env(status_socket.path),
                                stdout=subprocess.DEVNULL, stderr=stderr)
        try:
            assert wait_for(lambda: status(cfg)["blocked"] is not None), "never blocked"
            blocked_at = time.monotonic()
            account.deliver(form_email(2))
            account.deliver(form_email(3))
            assert wait_for(lambda: sum(status(cfg)["states"].values()) == 3), status(cfg)
            assert wait_for(lambda: any("BLOCKED" in s for s in status_socket.drain()))
            state = status(cfg)
            assert "bitrix24.webhook_url" in state["blocked"]["why"]
            assert {k for k, v in state["states"].items() if v} <= {"received", "parsed", "failed"}
            assert proc.poll() is None, "the daemon must not exit while blocked"
            time.sleep(4 * INTERVAL)  # let it re-check a few times while blocked
            assert sb.portal.lead_add_calls == 0
            assert sb.portal.list_leads() == []
            code, out, _ = run("--config", str(cfg), "status")
            assert code == 0 and "BLOCKED" in out and "webhook_url" in out
            blocked_for = time.monotonic() - blocked_at
            sb.configure(blocked=False)
            assert wait_for(lambda: len(sb.portal.list_leads()) == 3), "did not resume"
            assert wait_for(lambda: status(cfg)["blocked"] is None)
            account.deliver(form_email(4))
            assert wait_for(lambda: len(sb.portal.list_leads()) == 4), "new mail after resume"
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)
            status_socket.close()
        ids = origin_ids(sb)
        assert len(ids) == len(set(ids)) == 4  # no duplicates
        assert sb.portal.lead_add_calls == 4
    assert proc.returncode == 0
    log = stderr_path.read_text()
    blocked_lines = [ln for ln in log.splitlines() if "portal.blocked" in ln]
    assert all(" ERROR " in ln and "bitrix24.webhook_url" in ln for ln in blocked_lines)
    # re-checked each interval while blocked, never once per poll or per message
    assert 2 <= len(blocked_lines) <= blocked_for / INTERVAL + 4, len(blocked_lines)
    assert "portal.unblocked" in log
    assert "XXXXXXXXXXXXXXXX" not in log


def test_poll_now_takes_mail_into_the_ledger_and_exits_78_while_blocked(
    account: ImapAccount, tmp_path: Path
) -> None:
    """--poll-now against a revoked webhook: the mail is in the ledger, nothing is sent or
    marked, exit 78 with the fix; once restored the next run sends it (0 duplicates)."""
    uid = account.deliver(form_email(1))
    with sandbox() as sb:
        cfg = config(tmp_path, account, sb.webhook_url)
        sb.configure(blocked=True)
        code, _, err = run("--config", str(cfg), "--poll-now")
        assert code == 78, err
        assert "blocked" in err and "bitrix24.webhook_url" in err
        state = status(cfg)
        assert sum(state["states"].values()) == 1 and state["blocked"] is not None
        account.deliver(form_email(2))
        code, _, err = run("--config", str(cfg), "--poll-now")
        assert code == 78, err
        assert sum(status(cfg)["states"].values()) == 2
        assert sb.portal.lead_add_calls == 0
        assert "\\Seen" not in account.flags(uid)
        sb.configure(blocked=False)
        code, _, err = run("--config", str(cfg), "--poll-now")
        assert code == 0, err
        assert status(cfg)["blocked"] is None
        assert len(set(origin_ids(sb))) == len(origin_ids(sb)) == 2


def test_poll_now_blocked_on_a_portal_without_rest_on_its_plan(
    account: ImapAccount, tmp_path: Path
) -> None:
    """REST not on the portal's plan (ACCESS_DENIED): blocked with the fix, nothing sent."""
    account.deliver(form_email(1))
    with sandbox() as sb:
        sb.configure(rest_available=False)
        cfg = config(tmp_path, account, sb.webhook_url)
        code, _, err = run("--config", str(cfg), "--poll-now")
        assert code == 78, err
        assert "commercial" in status(cfg)["blocked"]["why"]
        assert sb.portal.lead_add_calls == 0


def test_an_invisible_first_lead_blocks_until_the_read_right_is_granted(
    account: ImapAccount, tmp_path: Path
) -> None:
    """A webhook user whose CRM role reads only own leads cannot see a lead assigned to
    someone else: the read-back blocks the bridge naming the access right; once granted,
    the bridge resumes and sends the waiting mail, with no duplicate."""
    account.deliver(form_email(1))
    with sandbox() as sb:
        sb.configure(users=[{"id": 1, "admin": False, "lead_read": "own"},
                            {"id": 5, "name": "Manager"}])
        cfg = config(tmp_path, account, sb.webhook_url)
        cfg.write_text(cfg.read_text().replace("responsible_user_id = 1",
                                               "responsible_user_id = 5"))
        code, _, err = run("--config", str(cfg), "--poll-now")
        assert code == 78, err
        assert sb.portal.lead_add_calls == 1  # the first lead exists; reading it back failed
        why = status(cfg)["blocked"]["why"]
        assert "Access permissions" in why and "Read" in why
        account.deliver(form_email(2))
        code, _, err = run("--config", str(cfg), "--poll-now")
        assert code == 78, err
        assert sb.portal.lead_add_calls == 1  # nothing is sent while blocked
        sb.configure(users=[{"id": 1, "admin": False, "lead_read": "all"}])
        code, _, err = run("--config", str(cfg), "--poll-now")
        assert code == 0, err
        assert status(cfg)["blocked"] is None
        ids = origin_ids(sb)
        assert len(ids) == len(set(ids)) == 2


def test_a_visible_first_lead_is_read_back_once(account: ImapAccount, tmp_path: Path) -> None:
    """The first lead is read back by its ORIGIN_ID and the result recorded; later runs do not
    read back again."""
    account.deliver(form_email(1))
    with sandbox() as sb:
        cfg = config(tmp_path, account, sb.webhook_url)
        assert run("--config", str(cfg), "--poll-now")[0] == 0
        lists = sb.portal.stats()["by_method"].get("crm.lead.list", 0)
        assert lists == 2  # the new ledger's first-pass lookup (SPEC §4), then the read-back
        account.deliver(form_email(2))
        assert run("--config", str(cfg), "--poll-now")[0] == 0
        assert sb.portal.stats()["by_method"].get("crm.lead.list", 0) == lists
        assert len(sb.portal.list_leads()) == 2


def test_a_simple_crm_portal_blocks_before_any_lead(account: ImapAccount, tmp_path: Path) -> None:
    """In simple CRM mode a lead becomes a deal at once and lead lookups are blind: blocked
    with 'crm.target = "deal"' before anything is sent."""
    account.deliver(form_email(1))
    with sandbox() as sb:
        sb.configure(crm_mode=2)
        cfg = config(tmp_path, account, sb.webhook_url)
        code, _, err = run("--config", str(cfg), "--poll-now")
        assert code == 78, err
        assert 'crm.target = "deal"' in status(cfg)["blocked"]["why"]
        assert sb.portal.lead_add_calls == 0
        assert sum(status(cfg)["states"].values()) == 1


@pytest.mark.parametrize(("fallback", "expected"), [(0, "1"), (7, "7")])
def test_an_inactive_responsible_user_falls_back(
    account: ImapAccount, tmp_path: Path, fallback: int, expected: str
) -> None:
    """A responsible user who is inactive: the lead goes to bitrix24.fallback_user_id (0 =
    the webhook's user), an error line names it, and the bridge is not blocked."""
    account.deliver(form_email(1))
    with sandbox() as sb:
        sb.configure(users=[{"id": 5, "active": False}, {"id": 7}])
        cfg = config(tmp_path, account, sb.webhook_url, extra=f"fallback_user_id = {fallback}")
        cfg.write_text(cfg.read_text().replace("responsible_user_id = 1",
                                               "responsible_user_id = 5"))
        code, _, err = run("--config", str(cfg), "--poll-now")
        assert code == 0, err
        assert "lead.responsible_inactive user=5" in err and "ERROR" in err
        leads = sb.portal.list_leads()
        assert [lead["ASSIGNED_BY_ID"] for lead in leads] == [expected]
        assert status(cfg)["blocked"] is None


def test_a_role_that_reads_no_leads_blocks_with_the_access_right(
    account: ImapAccount, tmp_path: Path
) -> None:
    """A webhook user whose role may not read leads at all: the read-back is refused with
    Access denied, the bridge is blocked naming the access right, and the next mail waits."""
    account.deliver(form_email(1))
    with sandbox() as sb:
        sb.configure(users=[{"id": 1, "admin": False, "lead_read": "none"}])
        cfg = config(tmp_path, account, sb.webhook_url)
        code, _, err = run("--config", str(cfg), "--poll-now")
        assert code == 78, err
        why = status(cfg)["blocked"]["why"]
        assert "Access denied" in why and "Access permissions" in why
        account.deliver(form_email(2))
        assert run("--config", str(cfg), "--poll-now")[0] == 78
        # a new ledger looks the mail up before it creates it (SPEC §4): refused, nothing sent
        assert sb.portal.lead_add_calls == 0


def test_overload_limit_blocks_until_support_lifts_it(
    account: ImapAccount, tmp_path: Path
) -> None:
    """OVERLOAD_LIMIT (REST blocked by support) blocks with 'contact Bitrix24 support'; the
    mail waits in the ledger and is sent once the block is lifted."""
    account.deliver(form_email(1))
    with sandbox() as sb:
        sb.configure(overloaded=True)
        cfg = config(tmp_path, account, sb.webhook_url)
        code, _, err = run("--config", str(cfg), "--poll-now")
        assert code == 78, err
        assert "contact Bitrix24 support" in status(cfg)["blocked"]["why"]
        assert sb.portal.lead_add_calls == 0
        sb.configure(overloaded=False)
        assert run("--config", str(cfg), "--poll-now")[0] == 0
        assert len(sb.portal.list_leads()) == 1
