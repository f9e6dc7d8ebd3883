"""The daemon under a systemd stand-in, and secrets kept out of every output."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.e2e import corpus, run, sandbox, write_config

ROOT = Path(__file__).resolve().parents[1]
CODE = "S3cr3tWebhookC0de"


def test_daemon_notifies_ready_and_watchdog_and_creates_the_lead(account, tmp_path: Path) -> None:
    """Under a notify socket the daemon sends READY=1, STATUS and WATCHDOG=1; IDLE brings the
    mail that arrives while it runs; SIGTERM stops it with exit 0."""
    sock_path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(sock_path))
    sock.settimeout(0.5)
    with sandbox() as sb:
        cfg = write_config(tmp_path / "c.toml", account, sb.webhook_url)
        env = {**os.environ, "NOTIFY_SOCKET": str(sock_path), "WATCHDOG_USEC": "2000000"}
        proc = subprocess.Popen([sys.executable, "-m", "bridge", "--config", str(cfg)],
                                cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        try:
            seen: list[str] = []
            deadline = time.monotonic() + 60
            delivered = False
            while time.monotonic() < deadline:
                with contextlib.suppress(TimeoutError):
                    seen.extend(sock.recv(4096).decode().splitlines())
                if "READY=1" in seen and not delivered:
                    account.deliver(corpus("001-cf7-default-ru"))
                    delivered = True
                if delivered and sb.portal.list_leads() and seen.count("WATCHDOG=1") >= 2:
                    break
            assert "READY=1" in seen
            assert seen.count("WATCHDOG=1") >= 2
            assert any(line.startswith("STATUS=") for line in seen)
            assert len(sb.portal.list_leads()) == 1
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=15)
            sock.close()
        assert proc.returncode == 0, err.decode()


def test_second_poll_waits_for_the_lock_then_exits_75(account, tmp_path: Path) -> None:
    """A --poll-now while the daemon holds the ledger exits 75 with a clear message."""
    with sandbox() as sb:
        cfg = write_config(tmp_path / "c.toml", account, sb.webhook_url)
        proc = subprocess.Popen([sys.executable, "-m", "bridge", "--config", str(cfg)],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            lock = tmp_path / "bridge.db.lock"
            deadline = time.monotonic() + 20
            while not (lock.exists() and lock.read_text().strip()) and time.monotonic() < deadline:
                time.sleep(0.1)
            env = {**os.environ, "MAILBRIDGE_LOCK_WAIT": "1"}
            res = subprocess.run(
                [sys.executable, "-m", "bridge", "--config", str(cfg), "--poll-now"],
                cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
            )
            assert res.returncode == 75, res.stderr
            assert "lock" in res.stderr.lower() or "running" in res.stderr.lower()
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=15)


def test_secrets_and_bodies_never_appear_in_any_output(account, tmp_path: Path) -> None:
    """Every command at DEBUG level: no webhook code, no password, no message body."""
    account.deliver(corpus("029-rostferrum-all-types-base64"))
    body_words = "Просим счёт до конца недели"
    outputs: list[str] = []
    with sandbox(code=CODE) as sb:
        assert CODE in sb.webhook_url
        cfg = write_config(tmp_path / "c.toml", account, sb.webhook_url)
        for argv in (["--poll-now"], ["check"], ["status"], ["status", "--json"],
                     ["retry", "--all"], ["--poll-now"]):
            _code, out, err = run("--config", str(cfg), "-v", *argv)
            outputs.append(out + err)
        sb.portal.block_webhooks(True)
        _code, out, err = run("--config", str(cfg), "-v", "check")
        outputs.append(out + err)
        proc = subprocess.Popen([sys.executable, "-m", "bridge", "--config", str(cfg), "-v"],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(2)
        proc.send_signal(signal.SIGTERM)
        out_b, err_b = proc.communicate(timeout=15)
        outputs.append(out_b.decode() + err_b.decode())
    text = "\n".join(outputs)
    # the runs really went through the webhook: a lead made, the check answered, then refused
    assert "lead.created id=1 lead_id=1" in outputs[0]
    assert "webhook valid" in outputs[1]
    assert "webhook rejected: INVALID_CREDENTIALS" in outputs[6]
    assert CODE not in text
    assert account.password not in text
    assert body_words not in text
    assert "+79123456789" not in text


def wait_for(predicate, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_daemon_recovers_from_kicked_and_restarted_imap(
    account, dovecot_server, tmp_path: Path
) -> None:
    """Connections kicked mid-IDLE and a Dovecot restart: the daemon reconnects by itself and
    mail delivered afterwards still becomes a lead long before the scheduled poll."""
    from tests.forms import form_email

    with sandbox() as sb:
        cfg = write_config(tmp_path / "c.toml", account, sb.webhook_url,
                           imap_extra="", extra="")
        cfg.write_text(cfg.read_text().replace("poll_interval = 60", "poll_interval = 600"))
        proc = subprocess.Popen([sys.executable, "-m", "bridge", "--config", str(cfg)],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            assert wait_for(lambda: account.who() >= 2), "daemon did not connect"
            account.kick()
            account.deliver(form_email(1))
            assert wait_for(lambda: len(sb.portal.list_leads()) == 1)
            dovecot_server.restart()
            account.deliver(form_email(2))
            assert wait_for(lambda: len(sb.portal.list_leads()) == 2)
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=15)
        assert proc.returncode == 0, err.decode()


def _run_with_tty_stderr(cmd: list[str], env: dict[str, str]) -> tuple[int, str]:
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return proc.wait(timeout=120), b"".join(chunks).decode(errors="replace")


def test_progress_shows_on_a_terminal_but_not_under_systemd(account, tmp_path: Path) -> None:
    """A backlog run with stderr on a terminal shows `fetched N/M`; with systemd's
    INVOCATION_ID set it does not."""
    from tests.forms import form_email

    account.append_many(form_email(i) for i in range(25))
    with sandbox() as sb:
        cfg = write_config(tmp_path / "c.toml", account, sb.webhook_url, processed_folder="")
        cmd = [sys.executable, "-m", "bridge", "--config", str(cfg), "--poll-now"]
        env = {k: v for k, v in os.environ.items() if k not in ("INVOCATION_ID", "JOURNAL_STREAM")}
        code, text = _run_with_tty_stderr(cmd, env)
        assert code == 0, text
        assert "fetched 25/25" in text
        account.append_many(form_email(i) for i in range(100, 125))
        code, text = _run_with_tty_stderr(cmd, {**env, "INVOCATION_ID": "abc"})
        assert code == 0, text
        assert "fetched" not in text
