"""bridge.notify against a real unix datagram socket standing in for systemd's notify socket."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bridge.notify import Notifier, stderr_is_journal, under_systemd


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[tuple[str, socket.socket]]:
    """A bound AF_UNIX datagram socket in tmp_path, as systemd would create it."""
    path = tmp_path / "notify"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(5)
    yield str(path), sock
    sock.close()


def received(sock: socket.socket) -> list[str]:
    """One datagram from the fake systemd, split into its KEY=value lines."""
    return sock.recv(4096).decode().split("\n")


def nothing_waiting(sock: socket.socket) -> bool:
    """True when no datagram is queued on the fake systemd socket."""
    sock.setblocking(False)
    try:
        sock.recv(4096)
    except BlockingIOError:
        return True
    finally:
        sock.settimeout(5)
    return False


def test_ready_sends_ready_and_status(notify_socket: tuple[str, socket.socket]) -> None:
    """ready() sends READY=1 and the status line in one datagram."""
    path, sock = notify_socket
    n = Notifier.from_env({"NOTIFY_SOCKET": path})
    assert n.enabled
    assert n.ready("waiting for mail") is True
    assert received(sock) == ["READY=1", "STATUS=waiting for mail"]


def test_status_stopping_and_extend_timeout(notify_socket: tuple[str, socket.socket]) -> None:
    """status(), stopping() and extend_timeout() send their own assignments."""
    path, sock = notify_socket
    with Notifier.from_env({"NOTIFY_SOCKET": path}) as n:
        n.status("polled 3 messages, 2 leads")
        assert received(sock) == ["STATUS=polled 3 messages, 2 leads"]
        n.stopping()
        assert received(sock) == ["STOPPING=1"]
        n.stopping("stopping: finishing one message")
        assert received(sock) == ["STOPPING=1", "STATUS=stopping: finishing one message"]
        n.extend_timeout(2.5)
        assert received(sock) == ["EXTEND_TIMEOUT_USEC=2500000"]


def test_status_is_one_line(notify_socket: tuple[str, socket.socket]) -> None:
    """A multi-line or huge status becomes one bounded line, so it cannot inject fields."""
    path, sock = notify_socket
    n = Notifier.from_env({"NOTIFY_SOCKET": path})
    n.status("error\nREADY=1")
    assert received(sock) == ["STATUS=error READY=1"]
    n.status("x" * 5000)
    (line,) = received(sock)
    assert line.startswith("STATUS=xxx") and len(line) <= 520


def test_watchdog_interval_and_ping(notify_socket: tuple[str, socket.socket]) -> None:
    """WATCHDOG_USEC=120 s gives a 60 s interval, and watchdog() sends WATCHDOG=1."""
    path, sock = notify_socket
    env = {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "120000000", "WATCHDOG_PID": str(os.getpid())}
    n = Notifier.from_env(env)
    assert n.watchdog_interval == 60.0
    assert n.watchdog() is True
    assert received(sock) == ["WATCHDOG=1"]


def test_watchdog_is_rate_limited(notify_socket: tuple[str, socket.socket]) -> None:
    """Pings closer together than a quarter of the interval are not sent again."""
    path, sock = notify_socket
    now = [1000.0]
    n = Notifier(path, 60.0, clock=lambda: now[0])
    assert n.watchdog()
    assert received(sock) == ["WATCHDOG=1"]
    now[0] += 14.0
    assert n.watchdog() is True  # not due yet: fine, nothing sent
    assert nothing_waiting(sock)
    now[0] += 1.0
    assert n.watchdog()
    assert received(sock) == ["WATCHDOG=1"]


def test_watchdog_for_another_pid_is_ignored(notify_socket: tuple[str, socket.socket]) -> None:
    """A WATCHDOG_PID of another process means the watchdog is not ours to ping."""
    path, sock = notify_socket
    env = {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "120000000", "WATCHDOG_PID": "1"}
    n = Notifier.from_env(env)
    assert n.enabled
    assert n.watchdog_interval is None
    assert n.watchdog() is False
    assert nothing_waiting(sock)


@pytest.mark.parametrize("usec", ["", "0", "abc", "-5"])
def test_no_usable_watchdog(notify_socket: tuple[str, socket.socket], usec: str) -> None:
    """A missing, zero or malformed WATCHDOG_USEC leaves the watchdog off without an error."""
    path, sock = notify_socket
    n = Notifier.from_env({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": usec})
    assert n.watchdog_interval is None
    assert n.watchdog() is False
    assert nothing_waiting(sock)


def test_abstract_socket() -> None:
    """An '@name' NOTIFY_SOCKET reaches a socket in the abstract namespace."""
    name = f"mailbridge-test-{uuid.uuid4().hex}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(b"\0" + name.encode())
    sock.settimeout(5)
    try:
        n = Notifier.from_env({"NOTIFY_SOCKET": "@" + name, "WATCHDOG_USEC": "10000000"})
        assert n.enabled
        assert n.watchdog_interval == 5.0
        assert n.ready("up")
        assert received(sock) == ["READY=1", "STATUS=up"]
        assert n.watchdog()
        assert received(sock) == ["WATCHDOG=1"]
        assert "@mailbridge-test-" in repr(n)
    finally:
        sock.close()


def test_unset_env_is_a_noop() -> None:
    """Without NOTIFY_SOCKET every call is a no-op that reports nothing was sent."""
    n = Notifier.from_env({"WATCHDOG_USEC": "120000000"})
    assert not n.enabled
    assert n.watchdog_interval is None
    assert n.ready("x") is False
    assert n.status("x") is False
    assert n.watchdog() is False
    assert n.stopping() is False
    assert Notifier.disabled().enabled is False


@pytest.mark.parametrize("value", ["relative/path", "vsock:2:1234", "@"])
def test_unusable_socket_value_is_a_noop(value: str, caplog: pytest.LogCaptureFixture) -> None:
    """A NOTIFY_SOCKET we cannot use disables notifications with one warning."""
    with caplog.at_level(logging.WARNING, logger="bridge.notify"):
        n = Notifier.from_env({"NOTIFY_SOCKET": value})
    assert not n.enabled
    assert n.ready() is False
    assert "notify_unsupported_socket" in caplog.text


def test_socket_gone_never_raises(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A socket path that does not exist (systemd gone) logs once and never raises."""
    n = Notifier.from_env({"NOTIFY_SOCKET": str(tmp_path / "missing"), "WATCHDOG_USEC": "1000000"})
    with caplog.at_level(logging.WARNING, logger="bridge.notify"):
        assert n.ready("x") is False
        assert n.status("y") is False
        assert n.watchdog() is False
        assert n.stopping() is False
    failures = [r for r in caplog.records if "notify_failed" in r.getMessage()]
    assert len(failures) == 1


def test_recovers_when_socket_comes_back(tmp_path: Path) -> None:
    """After a failed send the next send opens a fresh socket and succeeds."""
    path = tmp_path / "notify"
    n = Notifier.from_env({"NOTIFY_SOCKET": str(path)})
    assert n.status("before") is False
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(5)
    try:
        assert n.status("after") is True
        assert received(sock) == ["STATUS=after"]
    finally:
        sock.close()


def test_socket_removed_after_use(notify_socket: tuple[str, socket.socket]) -> None:
    """The socket disappearing between sends is reported as False, not raised."""
    path, sock = notify_socket
    n = Notifier.from_env({"NOTIFY_SOCKET": path})
    assert n.ready()
    assert received(sock) == ["READY=1"]
    sock.close()
    os.unlink(path)
    assert n.status("gone") is False


def test_under_systemd() -> None:
    """INVOCATION_ID or JOURNAL_STREAM mark a process started by systemd."""
    assert under_systemd({"INVOCATION_ID": "0123abcd"})
    assert under_systemd({"JOURNAL_STREAM": "8:12345"})
    assert not under_systemd({})
    assert not under_systemd({"INVOCATION_ID": ""})


def test_stderr_is_journal(tmp_path: Path) -> None:
    """JOURNAL_STREAM counts only when it names the very file the descriptor points at."""
    f = tmp_path / "stream"
    f.write_text("")
    with f.open("w") as fh:
        st = os.fstat(fh.fileno())
        assert stderr_is_journal({"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"}, fd=fh.fileno())
        assert not stderr_is_journal({"JOURNAL_STREAM": f"{st.st_dev}:1"}, fd=fh.fileno())
        assert not stderr_is_journal({"JOURNAL_STREAM": "garbage"}, fd=fh.fileno())
        assert not stderr_is_journal({}, fd=fh.fileno())


def closed_port() -> int:
    """A loopback TCP port nothing listens on (connections are refused at once)."""
    with socket.create_server(("127.0.0.1", 0)) as s:
        return s.getsockname()[1]


def unit_like_start(tmp_path: Path, notify_path: str) -> tuple[Path, dict[str, str]]:
    """A config and environment as mailbridge.service gives the daemon: secrets as systemd
    credentials, NOTIFY_SOCKET and WATCHDOG_USEC set, a mailbox and a portal that refuse
    connections at once."""
    creds = tmp_path / "credentials"
    creds.mkdir()
    (creds / "imap-password").write_text("XXXXXXXXXXXXXXXX\n")
    (creds / "webhook-url").write_text(f"http://127.0.0.1:{closed_port()}/rest/1/XXXXXXXX/\n")
    config = tmp_path / "config.toml"
    config.write_text(
        "[imap]\n"
        f'host = "127.0.0.1"\nport = {closed_port()}\nsecurity = "plain"\n'
        'username = "forms@example.com"\nidle = false\npoll_interval = 60\ntimeout = 2\n'
        "[store]\n"
        f'path = "{tmp_path / "state" / "bridge.db"}"\n'
    )
    (tmp_path / "state").mkdir()
    env = {
        **os.environ,
        "NOTIFY_SOCKET": notify_path,
        "WATCHDOG_USEC": "2000000",
        "CREDENTIALS_DIRECTORY": str(creds),
        "INVOCATION_ID": "0123456789abcdef",
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("BRIDGE_IMAP_PASSWORD", "BITRIX24_WEBHOOK_URL"):
        env.pop(name, None)
    return config, env


@pytest.mark.slow
def test_daemon_speaks_sd_notify_as_the_unit_expects(
    tmp_path: Path, notify_socket: tuple[str, socket.socket]
) -> None:
    """The real daemon, started as mailbridge.service would start it, reports READY=1, pings the
    watchdog while its mailbox is unreachable, and on SIGTERM sends STOPPING=1 and exits 0."""
    import signal
    import subprocess
    import sys

    path, sock = notify_socket
    config, env = unit_like_start(tmp_path, path)
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen(
        [sys.executable, "-m", "bridge", "--config", str(config)],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: list[str] = []

    def collect_until(done: Callable[[], bool]) -> None:
        """Read datagrams until ``done()``; fail early if the daemon exits (a hang guard)."""
        sock.settimeout(0.5)
        for _ in range(120):
            if done():
                return
            try:
                seen.extend(received(sock))
            except TimeoutError:
                if proc.poll() is not None:
                    break
        pytest.fail(f"daemon said {seen}; stderr: {proc.communicate()[1][-2000:]}")

    try:
        collect_until(
            lambda: "READY=1" in seen and seen.count("WATCHDOG=1") >= 2 and "STATUS=" in str(seen)
        )
        proc.send_signal(signal.SIGTERM)
        collect_until(lambda: "STOPPING=1" in seen)
        _, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, stderr[-2000:]
    assert seen.index("READY=1") < seen.index("STOPPING=1")
    assert "XXXXXXXX" not in stderr  # the secrets never reach the log
