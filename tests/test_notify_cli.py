"""[notify] config rules, `notify-test`, `status --json`/`--health`, and a --poll-now that
alarms and announces through the stand-ins (real Dovecot, real sandbox)."""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bridge import logsetup
from bridge.healthfile import evaluate, health_path
from tests.e2e import run
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


def test_parse_with_a_config_needs_no_notification_secret(tmp_path: Path) -> None:
    """`parse --config` works offline even when [notify.telegram] has no token here."""
    from tests.e2e import CORPUS

    cfg = write(tmp_path, IMAP + BITRIX + '[notify.telegram]\nchat_id = "1"\n'
                '[notify.webhook]\nurl_file = "/nonexistent"\n')
    code, out, err = run("--config", str(cfg), "parse", str(CORPUS / "001-cf7-default-ru.eml"))
    assert code == 0, err
    assert "creates a lead" in out




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

