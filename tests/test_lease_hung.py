"""A mailbox whose poll hangs in a live process loses its lease: the ``[[mailboxes]]`` unit and
the single-mailbox standby both renew only while their daemon's poll is within the hung-poll
bound (made 0.5 s here). Real PostgreSQL and sandbox portal; the IMAP server accepts the
connection and never answers, so the poll hangs."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from bridge.config import load
from bridge.lease import Lease, LeaseTable
from bridge.multibox import PortalBuckets, _Unit, per_mailbox
from tests.e2e import sandbox, toml_str

TAKEOVER = 1.0
HUNG = 0.5


@pytest.fixture
def silent() -> Iterator[socket.socket]:
    """A listening socket that accepts connections (the kernel does) and never greets; closing
    it ends the hung poll."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    try:
        yield sock
    finally:
        sock.close()


def write(path: Path, *, pg_url: str, webhook_url: str, port: int, many: bool) -> Path:
    imap = f'port = {port}\nusername = "u@example.org"\npassword = "XXXXXXXXXXXXXXXX"\n'
    path.write_text(f"""
[imap]
host = "127.0.0.1"
security = "ssl"
poll_interval = 30
timeout = 600
{"" if many else imap}
[bitrix24]
webhook_url = {toml_str(webhook_url)}
rate_per_second = 1000
burst = 1000
max_request_seconds = 0.3

[store]
path = "bridge.db"
url = {toml_str(pg_url)}
takeover_seconds = {TAKEOVER}
{f'{chr(10)}[[mailboxes]]{chr(10)}name = "hung"{chr(10)}{imap}' if many else ""}
""", encoding="utf-8")
    return path


def wait_until(check: Callable[[], bool]) -> bool:
    """Poll ``check`` for up to 20 s (a bound that only catches a hang)."""
    end = time.monotonic() + 20.0
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.05)
    return False


def taken_by_another(pg_url: str, key: str) -> bool:
    """Whether a second daemon's lease on ``key`` can be taken (within the wait)."""
    engine = create_engine(pg_url)
    try:
        table = LeaseTable(engine)
        table.ensure()
        other = Lease(table, key, TAKEOVER, owner="mailbridge@other-host:2")
        return wait_until(other.try_take)
    finally:
        engine.dispose()


def given_up(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.getMessage().startswith("lease.given_up") and r.levelno == logging.ERROR]


def test_unit_with_a_hung_poll_gives_its_mailbox_up(
        pg_url: str, tmp_path: Path, silent: socket.socket,
        caplog: pytest.LogCaptureFixture) -> None:
    """A ``[[mailboxes]]`` unit whose poll hangs past the bound stops renewing its lease
    (one error line), and another daemon takes the mailbox."""
    caplog.set_level(logging.INFO)
    with sandbox() as portal:
        cfg = load(write(tmp_path / "c.toml", pg_url=pg_url, webhook_url=portal.webhook_url,
                         port=silent.getsockname()[1], many=True))
        [(box, box_cfg)] = per_mailbox(cfg)
        unit = _Unit(box, box_cfg, PortalBuckets())
        unit.hung_after = HUNG
        unit.start()
        try:
            assert wait_until(lambda: bool(given_up(caplog)))
            assert "reason=poll_hung" in given_up(caplog)[0]
            assert taken_by_another(pg_url, "mailbridge_hung")
        finally:
            unit.halt()
            silent.close()  # the hung poll fails now, so the term ends at once
            unit.close()


def test_standby_with_a_hung_poll_gives_its_mailbox_up(pg_url: str, tmp_path: Path,
                                                       silent: socket.socket,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    """The single-mailbox daemon's term whose poll hangs past the bound stops renewing the
    lease (one error line), its term ends, and another daemon takes the mailbox."""
    from bridge import app
    from bridge.daemon import Daemon, _run, term_daemon
    from bridge.notify import Notifier
    from bridge.ownership import wait_for_lease
    from bridge.standby import MAILBOX, Standby

    caplog.set_level(logging.INFO)

    def make_daemon(wired: app.MailboxApp, term: threading.Event, n: Notifier) -> Daemon:
        daemon = term_daemon(wired, term, n)
        daemon.hung_after = HUNG
        return daemon

    with sandbox() as portal:
        cfg = load(write(tmp_path / "c.toml", pg_url=pg_url, webhook_url=portal.webhook_url,
                         port=silent.getsockname()[1], many=False))
        stop = threading.Event()
        standby = Standby(cfg, stop, Notifier.disabled(), make_daemon, _run)
        lock = app.lock_for(cfg)
        term = wait_for_lease(lock, stop, MAILBOX)
        assert term is not None
        codes: list[int] = []
        worker = threading.Thread(target=lambda: codes.append(standby._term(lock, term)))
        worker.start()
        try:
            assert wait_until(lambda: bool(given_up(caplog)))
            assert "reason=poll_hung" in given_up(caplog)[0]
            assert term.is_set()  # the term ends: the daemon stands by again
            assert taken_by_another(pg_url, MAILBOX)
        finally:
            stop.set()
            term.set()
            silent.close()
            worker.join(30)
            lock.release()
        assert not worker.is_alive()
