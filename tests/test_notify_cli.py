"""[notify] config rules, `notify-test`, `status --json`/`--health`, and a --poll-now that
alarms and announces through the stand-ins (real Dovecot, real sandbox)."""

from __future__ import annotations

import json
import logging
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bridge import logsetup
from bridge.healthfile import evaluate, health_path
from tests.e2e import run, sandbox, write_config
from tests.forms import ODD_LAYOUT, form_email
from tests.servers.dovecot import ImapAccount, new_account
from tests.servers.notify_stubs import CHAT, TOKEN, HttpStub, SmtpStub
from tests.test_config import BITRIX, IMAP, error_of, load_text, write


def telegram_table(stub: HttpStub, token: str = TOKEN) -> str:
    return (f'[notify.telegram]\nbot_token = "{token}"\nchat_id = "{CHAT}"\n'
            f'api_url = "{stub.url}"\n')


# ------------------------------------------------------------------------- config


def test_alarm_mail_to_the_mailbox_we_read_is_a_config_error(tmp_path: Path) -> None:
    """notify.email.to naming imap.username is refused: the alarm would be read back."""
    err = error_of(tmp_path, IMAP + BITRIX + (
        '[notify.email]\nhost = "127.0.0.1"\nsecurity = "plain"\nfrom = "a@example.ru"\n'
        'to = ["admin@example.ru", "Forms@Example.ru"]\n'))
    assert err.key == "notify.email.to" and "mailbox mailbridge reads" in str(err)


def test_telegram_token_sources_env_file_credential(tmp_path: Path) -> None:
    """The bot token comes from the env var, then bot_token_file, then the credential."""
    (tmp_path / "tok").write_text("111:FILEXXXXXXXX\n")
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "telegram-bot-token").write_text("222:CREDXXXXXXXX")
    base = IMAP + BITRIX + '[notify.telegram]\nchat_id = "1"\n'
    env_cfg = load_text(tmp_path, base + 'bot_token_file = "tok"\n',
                        {"BRIDGE_TELEGRAM_BOT_TOKEN": "333:ENVXXXXXXXX"})
    file_cfg = load_text(tmp_path, base + 'bot_token_file = "tok"\n')
    cred_cfg = load_text(tmp_path, base, {"CREDENTIALS_DIRECTORY": str(creds)})
    assert env_cfg.notify.telegram and env_cfg.notify.telegram.bot_token == "333:ENVXXXXXXXX"
    assert file_cfg.notify.telegram and file_cfg.notify.telegram.bot_token == "111:FILEXXXXXXXX"
    assert cred_cfg.notify.telegram and cred_cfg.notify.telegram.bot_token == "222:CREDXXXXXXXX"
    assert "CREDXXXX" not in repr(cred_cfg)


def test_empty_credential_counts_as_absent(tmp_path: Path) -> None:
    """The units' SetCredential=NAME:- fallbacks: a "-" or empty credential means not set
    (no proxy; the inline token stays in force)."""
    creds = tmp_path / "creds"
    creds.mkdir()
    for name in ("telegram-bot-token", "telegram-proxy", "smtp-password", "notify-webhook-url"):
        (creds / name).write_text("-\n" if "proxy" in name else "")
    cfg = load_text(tmp_path, IMAP + BITRIX + '[notify.telegram]\nchat_id = "1"\n'
                    'bot_token = "444:INLINEXXXXX"\n', {"CREDENTIALS_DIRECTORY": str(creds)})
    assert cfg.notify.telegram is not None
    assert (cfg.notify.telegram.bot_token, cfg.notify.telegram.proxy) == ("444:INLINEXXXXX", "")


@pytest.mark.parametrize("table,key", [
    ('[notify.telegram]\nbot_token = "1:X"\n', "notify.telegram.chat_id"),
    ('[notify.telegram]\nchat_id = "1"\n', "notify.telegram.bot_token"),
    ('[notify.telegram]\nbot_token = "1:X"\nchat_id = "1"\nproxy = "socks5://h:1"\n',
     "notify.telegram.proxy"),
    ('[notify.telegram]\nbot_token = "1:X"\nchat_id = "1"\napi_url = "http://tg.example"\n',
     "notify.telegram.api_url"),
    ('[notify.webhook]\nurl = "http://hooks.example/XXXXXXXX"\n', "notify.webhook.url"),
    ('[notify.email]\nhost = "smtp.example.ru"\nsecurity = "plain"\nto = ["a@b.ru"]\n'
     'from = "c@d.ru"\n', "notify.email.security"),
    ('[notify]\nrepeat_minutes = 0\n', "notify.repeat_minutes"),
    ('[notify.slack]\nurl = "x"\n', "notify.slack"),
])
def test_notify_values_are_checked(tmp_path: Path, table: str, key: str) -> None:
    """Each [notify] rule is a ConfigError naming its key."""
    err = error_of(tmp_path, IMAP + BITRIX + table)
    assert err.key == key, str(err)


def test_webhook_url_secret_never_in_the_error(tmp_path: Path) -> None:
    """A refused notification webhook URL is not echoed (it is a secret)."""
    err = error_of(tmp_path, IMAP + BITRIX + '[notify.webhook]\nurl = "ftp://h/SECRETXXXX"\n')
    assert "SECRETXXXX" not in str(err)


def test_channel_secrets_are_redacted_from_logs(tmp_path: Path, tg: HttpStub,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    """Once a command has loaded the secrets, the token, SMTP password, proxy password and
    webhook URL are masked in every log line, and none shows in the command's output."""
    cfg = write(tmp_path, IMAP + BITRIX + telegram_table(tg) + (
        'proxy = "http://user:PROXYPASSXXX@127.0.0.1:9"\n'
        '[notify.webhook]\nurl = "http://127.0.0.1:9/hooks/HOOKPATHXXXX"\n'
        '[notify.email]\nhost = "127.0.0.1"\nsecurity = "plain"\nusername = "u"\n'
        'password = "SMTPPASSXXXX"\nfrom = "a@example.ru"\nto = ["b@example.ru"]\n'))
    code, out, err = run("--config", str(cfg), "notify-test")  # loads every secret
    assert code == 69, out + err
    record = logging.LogRecord("x", logging.ERROR, "", 0,
                               "GET /bot%s/x %s %s %s", (TOKEN, "PROXYPASSXXX",
                                                         "/hooks/HOOKPATHXXXX", "SMTPPASSXXXX"),
                               None)
    logsetup.REDACTOR.filter(record)
    for secret in (TOKEN, "PROXYPASSXXX", "HOOKPATHXXXX", "SMTPPASSXXXX"):
        assert secret not in record.getMessage()
        assert secret not in out + err


# ------------------------------------------------------------------------- notify-test


def test_notify_test_sends_on_every_channel(tmp_path: Path, tg: HttpStub, hook: HttpStub) -> None:
    """All channels answer: one test message on each, exit 0, no secret in the output."""
    smtp = SmtpStub()
    try:
        cfg = write(tmp_path, IMAP + BITRIX + telegram_table(tg) + (
            f'[notify.webhook]\nurl = "{hook.url}/hooks/XXXXXXXX"\n'
            f'[notify.email]\nhost = "127.0.0.1"\nport = {smtp.port}\nsecurity = "plain"\n'
            'from = "alerts@example.ru"\nto = ["admin@example.ru"]\n'))
        code, out, err = run("--config", str(cfg), "notify-test")
        assert code == 0, out + err
        assert out.count("✓") == 3
        assert len(tg.requests) == 1 and len(hook.requests) == 1 and len(smtp.messages) == 1
        assert hook.requests[0].body["event"] == "test"
        assert TOKEN not in out + err and "XXXXXXXX" not in out + err
    finally:
        smtp.close()


def test_notify_test_exit_codes(tmp_path: Path, tg: HttpStub) -> None:
    """78 a channel is misconfigured (refused token), 69 unreachable, 78 no channel at all."""
    dead = HttpStub()
    dead_url = dead.url
    dead.close()
    bad = write(tmp_path, IMAP + BITRIX + telegram_table(tg, token="9:WRONGXXXXXXX"), "a.toml")
    down = write(tmp_path, IMAP + BITRIX + f'[notify.webhook]\nurl = "{dead_url}/x"\n',
                 "b.toml")
    none = write(tmp_path, IMAP + BITRIX, "c.toml")
    code, out, _ = run("--config", str(bad), "notify-test")
    assert code == 78 and "bot token was refused" in out and "WRONGXXXXXXX" not in out
    code, out, _ = run("--config", str(down), "notify-test")
    assert code == 69 and "webhook" in out
    code, out, _ = run("--config", str(none), "notify-test")
    assert code == 78 and "no notification channel" in out


# ------------------------------------------------------------------------- health


NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def health(**over: object) -> dict[str, object]:
    data: dict[str, object] = {
        "updated_at": NOW.isoformat(), "last_success_at": (NOW - timedelta(minutes=1)).isoformat(),
        "blocked": False, "oldest_waiting_seconds": None, "last_problem_at": None,
        "quarantined_24h": 0, "unrecognised_24h": 0,
    }
    data.update(over)
    return data


@pytest.mark.parametrize("data,code", [
    (health(), 0),
    (health(last_problem_at=(NOW - timedelta(hours=23)).isoformat(), quarantined_24h=1), 65),
    (health(last_problem_at=(NOW - timedelta(hours=25)).isoformat()), 0),
    (health(last_success_at=(NOW - timedelta(minutes=16)).isoformat()), 75),
    (health(oldest_waiting_seconds=16 * 60), 75),
    (health(last_success_at=None), 75),
    (None, 75),
    (health(blocked=True, blocked_reason="INVALID_CREDENTIALS",
            last_problem_at=NOW.isoformat()), 78),
])
def test_health_verdicts(data: dict[str, object] | None, code: int) -> None:
    """SPEC §1: 78 blocked, 75 stalled or waiting too long, 65 a problem in 24 h, 0 healthy."""
    assert evaluate(data, stall_minutes=15, now=NOW).code == code


def test_status_health_without_usable_config_is_78(tmp_path: Path) -> None:
    """A config that does not load makes `status --health` exit 78."""
    cfg = write(tmp_path, "[imap]\nport = 'x'\n")
    code, out, _ = run("--config", str(cfg), "status", "--health")
    assert code == 78 and "no usable config" in out


# ------------------------------------------------------------------------- end to end


@pytest.fixture
def account(dovecot_server) -> ImapAccount:  # type: ignore[no-untyped-def]
    return new_account(dovecot_server)


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
    import signal
    import socket
    import subprocess
    import sys
    import time

    def wait_for(what: Any, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while not what():
            assert time.monotonic() < deadline, "timed out"
            time.sleep(0.1)

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
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(str(tmp_path / "notify.sock"))
        sock.setblocking(False)
        status: list[str] = []

        def status_says_refused() -> bool:
            try:
                while True:
                    status.extend(sock.recv(4096).decode().splitlines())
            except BlockingIOError:
                pass
            return any(x.startswith("STATUS=MAILBOX REFUSED") for x in status)

        env = {k: v for k, v in os.environ.items()
               if k not in ("BRIDGE_IMAP_PASSWORD", "BITRIX24_WEBHOOK_URL")}
        env["NOTIFY_SOCKET"] = str(tmp_path / "notify.sock")
        proc = subprocess.Popen([sys.executable, "-m", "bridge", "--config", str(cfg)],
                                cwd=Path(__file__).resolve().parents[1], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_for(lambda: ("mailbox_unreachable", "alarm") in kinds_seen())
            wait_for(status_says_refused)
            assert proc.poll() is None  # still running
            assert sb.portal.list_leads() == []
            cfg.write_text(good)
            proc.send_signal(signal.SIGHUP)
            wait_for(lambda: ("mailbox_unreachable", "resolved") in kinds_seen())
            wait_for(lambda: len(sb.portal.list_leads()) == 1)
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=30)
            sock.close()
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
    import subprocess
    import sys
    import time

    with sandbox() as sb:
        cfg = write_config(tmp_path / "c.toml", account, sb.webhook_url,
                           extra=f'[notify.webhook]\nurl = "{hook.url}/h"\n')
        cfg.write_text(cfg.read_text().replace("poll_interval = 60", "poll_interval = 1"))
        env = {k: v for k, v in os.environ.items()
               if k not in ("BRIDGE_IMAP_PASSWORD", "BITRIX24_WEBHOOK_URL")}
        proc = subprocess.Popen([sys.executable, "-m", "bridge", "--config", str(cfg)],
                                cwd=Path(__file__).resolve().parents[1], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 60
            while not health_path(tmp_path / "bridge.db").exists():
                assert time.monotonic() < deadline, "the daemon did not start"
                time.sleep(0.1)
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
    import time

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


def test_parse_with_a_config_needs_no_notification_secret(tmp_path: Path) -> None:
    """`parse --config` works offline even when [notify.telegram] has no token here."""
    from tests.e2e import CORPUS

    cfg = write(tmp_path, IMAP + BITRIX + '[notify.telegram]\nchat_id = "1"\n'
                '[notify.webhook]\nurl_file = "/nonexistent"\n')
    code, out, err = run("--config", str(cfg), "parse", str(CORPUS / "001-cf7-default-ru.eml"))
    assert code == 0, err
    assert "creates a lead" in out


def test_inactive_responsible_user_alarms_once_and_resolves(
    account: ImapAccount, tmp_path: Path, hook: HttpStub
) -> None:
    """An inactive responsible user (the health check's responsible_inactive meta): one
    alarm keyed by the user id while leads go to the fallback user; one resolved once the
    user is active again."""
    import time

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


SETPRIV = "/usr/bin/setpriv"


@pytest.mark.skipif(not os.path.exists(SETPRIV) or os.geteuid() != 0,
                    reason="needs root and setpriv to act as another user")
def test_status_health_as_an_unprivileged_monitoring_user() -> None:
    """A monitoring user (nobody) without any secret reads the 0644 health file (exit 0);
    when the state folder is private it gets 78 with a clear message, not "healthy"."""
    import shutil
    import subprocess
    import sys
    import tempfile

    from bridge.healthfile import write_health

    root = Path(tempfile.mkdtemp(prefix="mb-health-"))
    try:
        os.chmod(root, 0o755)
        state = root / "state"
        state.mkdir(mode=0o755)
        cfg = write(root, IMAP + BITRIX + '[store]\npath = "state/bridge.db"\n'
                    '[notify.telegram]\nchat_id = "1"\nbot_token_file = "/root/none"\n')
        os.chmod(cfg, 0o644)
        now = datetime.now(UTC)
        snap = {"states": {}, "last_success_at": now.isoformat(), "blocked": False}
        write_health(health_path(state / "bridge.db"), snap, stall_minutes=15, now=now)
        cmd = [SETPRIV, "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable,
               "-m", "bridge", "--config", str(cfg), "status", "--health"]
        env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(Path(__file__).parents[1])}
        probe = subprocess.run([*cmd[:4], sys.executable, "-c", "import bridge"],
                               capture_output=True, timeout=60, env=env)
        if probe.returncode != 0:
            pytest.skip("the checkout is not readable by an unprivileged user here")
        ok_run = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)
        assert (ok_run.returncode, ok_run.stdout.strip()) == (0, "healthy"), ok_run.stderr
        os.chmod(state, 0o700)
        denied = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)
        assert denied.returncode == 78 and "permission denied" in denied.stdout
        os.chmod(state, 0o711)
        os.chmod(health_path(state / "bridge.db"), 0o600)
        hidden = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)
        assert hidden.returncode == 78 and "health.json: permission denied" in hidden.stdout
    finally:
        shutil.rmtree(root)


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
