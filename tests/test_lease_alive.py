"""A lease is renewed only while its holder is alive: a keeper whose holder's poll hangs gives
the lease up (fenced, reported lost, taken by a standby after expiry); one whose holder works
keeps it; the daemon's one hung-poll rule drives both the watchdog pings and the keeper. Real
PostgreSQL, injected database and monotonic clocks."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from bridge.daemon import HUNG_AFTER, Daemon
from bridge.errors import LeaseLost
from bridge.lease import LEASE_SHARE, Keeper, Lease, LeaseTable
from bridge.lock import InstanceLock
from bridge.model import PollReport
from bridge.pglock import PgProcessorLock
from tests.helpers.leases import T0, Clocks

TAKEOVER = 60.0
LENGTH = TAKEOVER * LEASE_SHARE
HUNG = 2.5  # the daemons' hung-poll bound in these tests (fractional, injected)


def lease(lease_table: LeaseTable, clocks: Clocks, owner: str) -> Lease:
    got = Lease(lease_table, "site", TAKEOVER, owner=owner, monotonic=lambda: clocks.mono)
    got.renew_every = 0.01  # the keeper's real wait between renewals
    return got


def expires(lease_table: LeaseTable) -> datetime:
    holder = lease_table.holder("site")
    assert holder is not None
    return holder.expires_at


def wait_until(check: Callable[[], bool]) -> bool:
    """Poll ``check`` for up to 10 s (a bound that only catches a hang)."""
    end = time.monotonic() + 10.0
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.01)
    return False


def given_up(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage().startswith("lease.given_up")]


def test_keeper_gives_up_when_its_holder_is_not_alive(lease_table: LeaseTable, clocks: Clocks,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    """A holder that is not alive: no renewal, one error line, fenced, reported lost, and a
    second daemon takes the mailbox once the row expires."""
    a, b = lease(lease_table, clocks, "a@h:1"), lease(lease_table, clocks, "b@h:2")
    assert a.try_take()
    clocks.advance(LENGTH / 2)  # a renewal now would move the expiry to T0 + 1.5 L
    lost = threading.Event()
    keeper = Keeper(a, lost.set, alive=lambda: False, reason="poll_hung").start()
    try:
        assert lost.wait(10)  # catches a hang
        keeper.thread.join(10)
        assert not keeper.thread.is_alive()
    finally:
        keeper.close()
    assert expires(lease_table) == T0 + timedelta(seconds=LENGTH)  # never renewed
    assert not a.held
    with pytest.raises(LeaseLost):
        a.fence()
    [line] = given_up(caplog)
    assert line.levelno == logging.ERROR and "reason=poll_hung" in line.getMessage()
    assert not b.try_take()  # still the database's until it expires
    clocks.advance(LENGTH / 2)
    assert b.try_take() and b.epoch == 2


def test_keeper_keeps_the_lease_while_its_holder_is_alive(lease_table: LeaseTable,
                                                          clocks: Clocks) -> None:
    """An alive holder's lease is renewed past its first expiry; nobody else takes it."""
    a, b = lease(lease_table, clocks, "a@h:1"), lease(lease_table, clocks, "b@h:2")
    assert a.try_take()
    lost = threading.Event()
    keeper = Keeper(a, lost.set, alive=lambda: True).start()
    try:
        clocks.advance(LENGTH / 2)
        assert wait_until(lambda: expires(lease_table) > T0 + timedelta(seconds=LENGTH))
        clocks.advance(LENGTH / 2)  # past the first expiry
        assert not b.try_take()
        a.fence()  # may still send
    finally:
        keeper.close()
    assert not lost.is_set()


class Pings:
    """The notifier's side a Daemon uses here: it counts watchdog pings."""

    watchdog_interval = None

    def __init__(self) -> None:
        self.pings = 0

    def watchdog(self) -> None:
        self.pings += 1

    def status(self, _text: str) -> None:
        pass


def test_hung_poll_stops_the_watchdog_and_gives_the_lease_up(
        lease_table: LeaseTable, clocks: Clocks, caplog: pytest.LogCaptureFixture) -> None:
    """One rule: a poll running past ``hung_after`` (injected clock) stops the watchdog pings
    and the renewals of its lease; a poll under the bound keeps both."""
    now = [0.0]
    entered, release = threading.Event(), threading.Event()

    def poll() -> PollReport:
        entered.set()
        release.wait(10)
        return PollReport()

    pings = Pings()
    daemon = Daemon(poll, interval=60.0, idle_factory=None, idle_refresh=60.0,
                    notifier=pings, stop=threading.Event(), hung_after=HUNG,  # type: ignore[arg-type]  # a fake notifier
                    monotonic=lambda: now[0])
    assert daemon.hung_after == HUNG and HUNG_AFTER == 600.0
    a, b = lease(lease_table, clocks, "a@h:1"), lease(lease_table, clocks, "b@h:2")
    assert a.try_take()
    lost = threading.Event()
    keeper = Keeper(a, lost.set, alive=daemon.alive, reason="poll_hung").start()
    worker = threading.Thread(target=daemon._worker, daemon=True)
    daemon.wake.set()
    worker.start()
    try:
        assert entered.wait(10)
        now[0] += HUNG - 0.5  # a long poll, under the bound
        daemon._heartbeat()
        assert pings.pings == 1 and daemon.alive() and daemon.poll_hung() is None
        clocks.advance(LENGTH / 2)
        assert wait_until(lambda: expires(lease_table) > T0 + timedelta(seconds=LENGTH))
        assert not lost.is_set()
        now[0] += 1.0  # now past the bound: hung
        daemon._heartbeat()
        assert pings.pings == 1 and not daemon.alive() and daemon.poll_hung() == HUNG + 0.5
        assert any("daemon.poll_hung" in r.getMessage() for r in caplog.records)
        assert lost.wait(10)
        with pytest.raises(LeaseLost):
            a.fence()
        assert len(given_up(caplog)) == 1
        clocks.advance(LENGTH)
        assert b.try_take()
    finally:
        daemon.stop.set()
        release.set()
        worker.join(10)
        keeper.close()
    assert daemon.alive()  # no poll runs any more


def test_processor_lock_gives_up_for_a_hung_holder_and_fences_its_term(
        pg_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The lock renews only while its ``alive`` says so (the term's daemon); once given up,
    the term's fence keeps refusing even after this process takes the mailbox again, and
    another daemon can take it after expiry."""
    lock = PgProcessorLock(InstanceLock(tmp_path / "bridge.db.lock"), pg_url,
                           takeover_seconds=0.4)
    lost = threading.Event()
    lock.on_lost = lost.set
    lock.acquire()
    try:
        term_fence = lock.term_fence()
        term_fence()
        lock.alive = lambda: False
        assert lost.wait(10)
        with pytest.raises(LeaseLost):
            lock.fence()
        assert "reason=poll_hung" in given_up(caplog)[0].getMessage()
        lease_table = lock_table(pg_url)
        other = Lease(lease_table, "default", 0.4, owner="b@other:2")
        try:
            assert wait_until(other.try_take)  # expired in the database: a standby takes it
            other.release()
        finally:
            lease_table.engine.dispose()
        lock.release()
        lock.alive = None
        lock.acquire()  # this process again, a new term
        lock.fence()
        lock.term_fence()()
        with pytest.raises(LeaseLost):
            term_fence()  # the earlier term's thread sends nothing
    finally:
        lock.release()


def lock_table(url: str) -> LeaseTable:
    lease_table = LeaseTable(create_engine(url))
    lease_table.ensure()
    return lease_table
