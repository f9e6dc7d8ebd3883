"""Alarms and notices end to end: --poll-now runs and the daemon on a real Dovecot and the
sandbox portal, speaking through the Telegram and webhook stand-ins."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bridge.healthfile import health_path
from tests.e2e import run, sandbox, write_config
from tests.forms import ODD_LAYOUT, form_email
from tests.helpers.waiting import wait_for
from tests.running import StatusSocket, daemon_env
from tests.servers.dovecot import ImapAccount
from tests.servers.notify_stubs import TOKEN, HttpStub
from tests.test_notify_cli import telegram_table

ROOT = Path(__file__).resolve().parents[1]


def test_poll_now_alarms_announces_and_keeps_the_health_file(
    account: ImapAccount, tmp_path: Path, tg: HttpStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A form e-mail and an unknown layout through --poll-now: one lead notice (name, phone,
    link), one unrecognised alarm (id only), a health file without client data that makes
    `status --health` exit 65, the textfile metrics, and `status --json` fields."""
    account.deliver(form_email(7))
    account.deliver(ODD_LAYOUT.encode())
    for key in ("BRIDGE_IMAP_PASSWORD", "BITRIX24_WEBHOOK_URL"):
        monkeypatch.delenv(key, raising=False)
    with sandbox() as sb:
        cfg = write_config(tmp_path / "c.toml", account, sb.webhook_url, extra=(
            "[notify]\non_lead = true\n" + telegram_table(tg)
            + '[metrics]\ntextfile = "m.prom"\n'
            + '[parsing]\nunrecognised = "quarantine"\n'))
        code, out, err = run("--config", str(cfg), "--poll-now")
        assert code == 65, out + err
        lead_id = int(sb.portal.list_leads()[0]["ID"])
    texts = tg.texts
    assert len(texts) == 2, texts
    lead = next(t for t in texts if t.startswith("new lead"))
    alarm = next(t for t in texts if t.startswith("ALARM"))
    assert "Клиент Номер7" in lead and "+79120000007" in lead
    assert f"{sb.webhook_url.split('/rest/')[0]}/crm/lead/details/{lead_id}/" in lead
    assert "not recognised" in alarm and "Степан" not in alarm and "555" not in alarm
    assert TOKEN not in out + err

    hfile = health_path(tmp_path / "bridge.db")
    text = hfile.read_text()
    assert "Степан" not in text and "Клиент" not in text and "New request" not in text
    assert stat.S_IMODE(os.stat(hfile).st_mode) == 0o644
    data = json.loads(text)
    assert data["unrecognised_24h"] == 1 and data["last_success_at"]
    code, out, _ = run("--config", str(cfg), "status", "--health")
    assert code == 65, out
    assert "mailbridge_leads_created_total 1.0" in (tmp_path / "m.prom").read_text()

    status = json.loads(run("--config", str(cfg), "status", "--json")[1])
    assert status["blocked"] is None
    assert status["last_poll"]["created"] == 1 and status["last_poll"]["quarantined"] == 1
    assert status["last_poll_ok"] is True and status["unrecognised_24h"] == 1
    assert status["states"]["quarantined"] == 1


def test_a_refused_login_alarms_the_daemon_goes_on_and_a_reload_resolves_it(
    account: ImapAccount, tmp_path: Path, hook: HttpStub
) -> None:
    """A wrong IMAP password: --poll-now exits 78 naming imap.password, but the daemon keeps
    running (logged at error priority, retried with backoff), sends one mailbox alarm after
    notify.mailbox_minutes, and after the password is fixed and SIGHUP one resolved follows,
    the waiting mail becomes a lead, and SIGTERM ends it with 0 (no "stopped" alarm). The
    systemd STATUS line names the refusal meanwhile."""

    def kinds_seen() -> list[tuple[str, str]]:
        return [(r.body["kind"], r.body["event"]) for r in hook.requests]

    account.deliver(form_email(3))
    with sandbox() as sb:
        cfg = write_config(tmp_path / "c.toml", account, sb.webhook_url, extra=(
            f'[notify]\nmailbox_minutes = 0.02\n[notify.webhook]\nurl = "{hook.url}/h"\n'))
        good = cfg.read_text().replace("poll_interval = 60", "poll_interval = 1")
        cfg.write_text(good.replace(f'password = "{account.password}"',
                                    'password = "WRONGPASSXXXX"'))
        code, _, err = run("--config", str(cfg), "--poll-now")
        assert code == 78 and "imap.password" in err  # a one-shot run: a config problem
        status = StatusSocket(tmp_path / "notify.sock")
        proc = subprocess.Popen([sys.executable, "-m", "bridge", "--config", str(cfg)],
                                cwd=ROOT, env=daemon_env(status.path),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert wait_for(lambda: ("mailbox_unreachable", "alarm") in kinds_seen())
            assert wait_for(lambda: status.says("STATUS=MAILBOX REFUSED"))
            assert proc.poll() is None  # still running
            assert sb.portal.list_leads() == []
            cfg.write_text(good)
            proc.send_signal(signal.SIGHUP)
            assert wait_for(lambda: ("mailbox_unreachable", "resolved") in kinds_seen())
            assert wait_for(lambda: len(sb.portal.list_leads()) == 1)
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=30)
            status.close()
    assert proc.returncode == 0, err
    assert kinds_seen() == [("mailbox_unreachable", "alarm"), ("mailbox_unreachable", "resolved")]
    alarm = hook.requests[0].body
    assert "imap login refused" in alarm["reason"] and "imap.password" in alarm["reason"]
    refused = [line for line in err.splitlines() if "mailbox.refused" in line]
    assert refused and all("ERROR" in line or line.startswith("<3>") for line in refused)
    assert len(refused) < 30  # once per retry with backoff, not a tight loop
    assert "WRONGPASSXXXX" not in err + json.dumps([r.body for r in hook.requests])


def test_a_ledger_corrupted_under_the_daemon_stops_it_with_one_stopped_alarm(
    account: ImapAccount, tmp_path: Path, hook: HttpStub
) -> None:
    """What still stops the daemon (exit 78, not restarted) is announced before it exits: a
    ledger replaced by a damaged file raises one "stopped" alarm naming LedgerCorrupt."""
    with sandbox() as sb:
        cfg = write_config(tmp_path / "c.toml", account, sb.webhook_url,
                           extra=f'[notify.webhook]\nurl = "{hook.url}/h"\n')
        cfg.write_text(cfg.read_text().replace("poll_interval = 60", "poll_interval = 1"))
        proc = subprocess.Popen([sys.executable, "-m", "bridge", "--config", str(cfg)],
                                cwd=ROOT, env=daemon_env(),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert wait_for(health_path(tmp_path / "bridge.db").exists)  # the daemon started
            broken = tmp_path / "broken.db"
            broken.write_bytes(b"this is not an SQLite file at all\n" * 100)
            for side in tmp_path.glob("bridge.db-*"):
                side.unlink()
            broken.replace(tmp_path / "bridge.db")  # a new inode: the daemon reopens it
            proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.terminate()
            _, err = proc.communicate(timeout=30)
    assert proc.returncode == 78, err
    stopped = [r.body for r in hook.requests if r.body["kind"] == "stopped"]
    assert len(stopped) == 1 and stopped[0]["event"] == "alarm", err
    assert stopped[0]["reason"].startswith("LedgerCorrupt"), stopped


def test_blocked_portal_alarms_once_and_resolves_across_poll_now_runs(
    account: ImapAccount, tmp_path: Path, hook: HttpStub
) -> None:
    """A revoked webhook blocks the portal (the health check's portal_blocked meta): one
    alarm with the fix over two blocked runs, one resolved when the portal accepts again;
    the metrics textfile shows mailbridge_blocked 1, then 0."""
    account.deliver(form_email(5))
    with sandbox() as sb:
        cfg = write_config(tmp_path / "c.toml", account, sb.webhook_url, extra=(
            f'[notify.webhook]\nurl = "{hook.url}/h"\n[metrics]\ntextfile = "m.prom"\n'))
        sb.configure(blocked=True)
        assert run("--config", str(cfg), "--poll-now")[0] == 78
        assert "mailbridge_blocked 1.0" in (tmp_path / "m.prom").read_text()
        assert run("--config", str(cfg), "status", "--health")[0] == 78
        assert run("--config", str(cfg), "--poll-now")[0] == 78
        sb.configure(blocked=False)
        code, _, err = run("--config", str(cfg), "--poll-now")
        assert code == 0, err
        assert "mailbridge_blocked 0.0" in (tmp_path / "m.prom").read_text()
    events = [(r.body["kind"], r.body["event"]) for r in hook.requests]
    assert events == [("portal_blocked", "alarm"), ("portal_blocked", "resolved")]
    assert "bitrix24.webhook_url" in hook.requests[0].body["reason"]
    assert "XXXXXXXXXXXXXXXX" not in json.dumps([r.body for r in hook.requests])


def test_vanished_file_field_alarms_once_and_resolves_when_it_is_back(
    account: ImapAccount, tmp_path: Path, hook: HttpStub
) -> None:
    """A named file field gone from the portal: the first --poll-now raises one
    file_field_vanished alarm (mail with files waits); once the field is back, the next run
    sends the files and one resolved (the alarm state survives between runs)."""
    from tests.e2e import corpus

    account.deliver(corpus("029-rostferrum-all-types-base64"))
    with sandbox() as sb:
        sb.portal.set_file_field("UF_CRM_1701234567")
        sb.portal.remove_userfield("UF_CRM_1701234567")
        cfg = write_config(tmp_path / "config.toml", account, sb.webhook_url,
                           extra=f'[notify.webhook]\nurl = "{hook.url}/h"\n')
        cfg.write_text(cfg.read_text().replace('field = "auto"', 'field = "UF_CRM_1701234567"'))
        assert run("--config", str(cfg), "--poll-now")[0] == 75
        assert run("--config", str(cfg), "--poll-now")[0] == 75
        sb.portal.set_file_field("UF_CRM_1701234567")
        time.sleep(0.3)  # retry.backoff_cap in tests is 0.2 s
        code, _, err = run("--config", str(cfg), "--poll-now")
        assert code == 0, err
    events = [(r.body["kind"], r.body["event"]) for r in hook.requests]
    assert events == [("file_field_vanished", "alarm"), ("file_field_vanished", "resolved")]
    assert "UF_CRM_1701234567" in hook.requests[0].body["reason"]


def test_inactive_responsible_user_alarms_once_and_resolves(
    account: ImapAccount, tmp_path: Path, hook: HttpStub
) -> None:
    """An inactive responsible user (the health check's responsible_inactive meta): one
    alarm keyed by the user id while leads go to the fallback user; one resolved once the
    user is active again."""
    from tests.test_blocked import INTERVAL
    from tests.test_blocked import config as blocked_config

    account.deliver(form_email(8))
    with sandbox() as sb:
        sb.configure(users=[{"id": 5, "active": False}, {"id": 7}])
        cfg = blocked_config(tmp_path, account, sb.webhook_url, extra="fallback_user_id = 7")
        cfg.write_text(cfg.read_text().replace("responsible_user_id = 1",
                                               "responsible_user_id = 5")
                       + f'\n[notify.webhook]\nurl = "{hook.url}/h"\n')
        assert run("--config", str(cfg), "--poll-now")[0] == 0
        sb.configure(users=[{"id": 5, "active": True}, {"id": 7}])
        account.deliver(form_email(9))
        time.sleep(INTERVAL + 0.1)  # --poll-now re-checks the portal once the check is stale
        code, _, err = run("--config", str(cfg), "--poll-now")
        assert code == 0, err
        assigned = sorted(lead["ASSIGNED_BY_ID"] for lead in sb.portal.list_leads())
    assert assigned == ["5", "7"]
    events = [(r.body["kind"], r.body["key"], r.body["event"]) for r in hook.requests]
    assert events == [("inactive_user", "5", "alarm"), ("inactive_user", "5", "resolved")]




def test_a_lead_made_from_the_whole_text_alarms_until_the_sender_is_read_again(
    account: ImapAccount, tmp_path: Path, hook: HttpStub
) -> None:
    """With parsing.unrecognised = "lead" the unreadable form becomes a lead and raises one
    unrecognised alarm (ledger id only) that `status --health` counts; it resolves once a later
    form from the same sender is read whole (the labels were extended), and never repeats."""
    account.deliver(ODD_LAYOUT.encode())
    with sandbox() as sb:
        cfg = write_config(tmp_path / "c.toml", account, sb.webhook_url,
                           extra=f'[notify.webhook]\nurl = "{hook.url}/h"\n')
        code, out, err = run("--config", str(cfg), "--poll-now")
        assert code == 0, out + err
        assert len(sb.portal.list_leads()) == 1
        events = [(r.body["kind"], r.body["event"]) for r in hook.requests]
        assert events == [("unrecognised", "alarm")]
        assert "Степан" not in json.dumps([r.body for r in hook.requests])
        assert run("--config", str(cfg), "status", "--health")[0] == 65
        assert run("--config", str(cfg), "--poll-now")[0] == 0  # nothing new: still raised
        assert len(hook.requests) == 1

        cfg.write_text(cfg.read_text() + (
            '\n[parsing.labels]\nname = ["Позывной заказчика"]\nphone = ["Связь"]\n'))
        account.deliver(ODD_LAYOUT.replace("odd-1@", "odd-2@")
                        .replace("Степан Разин", "Емельян Пугачёв")
                        .replace("555-44-33", "555-44-34").encode())
        code, out, err = run("--config", str(cfg), "--poll-now")
        assert code == 0, out + err
        assert len(sb.portal.list_leads()) == 2
    events = [(r.body["kind"], r.body["event"]) for r in hook.requests]
    assert events == [("unrecognised", "alarm"), ("unrecognised", "resolved")]
