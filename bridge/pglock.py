"""One processor per mailbox of a PostgreSQL ledger, across hosts: a lease (bridge.lease).

The file lock beside ``store.path`` (bridge.lock) keeps two processes on one host apart; a
ledger on PostgreSQL (``store.url``) can be reached from several hosts, and two daemons
processing the same mailbox into one ledger could each send the same message. So with
``store.url`` the processor also holds the mailbox's lease row for as long as it runs,
renewed in a thread of its own every third of its length, and every request to the portal is
fenced by it (:meth:`PgProcessorLock.fence`, attached to the CRM client by
:func:`fence_for`). A session advisory lock is not enough: a frozen (SIGSTOPped) holder keeps
its session, and the lock with it, forever; a lease simply runs out.

The mailbox key is the ledger's schema (``mailbridge_<name>`` with ``[[mailboxes]]``), or
``default`` for a single mailbox's ledger.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.exc import SQLAlchemyError

from bridge.errors import LockHeld, StoreError
from bridge.i18n import t
from bridge.lease import STANDBY_SHARE, Keeper, Lease, LeaseTable, owner_name

log = logging.getLogger(__name__)

POLL_CAP = 0.5  # seconds between attempts while waiting, at most
DEFAULT_TAKEOVER = 60.0
_held: dict[tuple[str, str], PgProcessorLock] = {}  # (url, mailbox key) -> the held lock
_held_lock = threading.Lock()


def application_name() -> str:
    """How this process shows as a lease owner: ``mailbridge@HOST:PID``."""
    return owner_name()


def mailbox_key(schema: str) -> str:
    return schema or "default"


def lease_table(url: str, clock: Any = None) -> LeaseTable:
    """The lease table of the database at ``url`` (created when missing)."""
    engine = create_engine(
        url, pool_size=1, max_overflow=2, pool_pre_ping=True,
        connect_args={"connect_timeout": 10, "application_name": application_name()},
    )  # fmt: skip
    table = LeaseTable(engine, clock)
    try:
        table.ensure()
    except SQLAlchemyError as exc:
        from bridge.store.postgres import cause

        engine.dispose()
        raise StoreError(f"the PostgreSQL ledger cannot be reached: {cause(exc)}") from exc
    return table


def fence_for(store: Any) -> Callable[[], None] | None:
    """The fence of the lease this process holds on ``store``'s mailbox (None: no lease)."""
    url = getattr(store, "url", "")
    if not url:
        return None
    with _held_lock:
        lock = _held.get((url, mailbox_key(getattr(store, "schema", ""))))
    return None if lock is None else lock.term_fence()


class PgProcessorLock:
    """The file lock plus the mailbox's lease; the InstanceLock interface, and ``fence``."""

    def __init__(self, file_lock: Any, url: str, schema: str = "",
                 takeover_seconds: float = DEFAULT_TAKEOVER) -> None:
        self.file_lock = file_lock
        self.path = file_lock.path
        self.url = url
        self.key = mailbox_key(schema)
        self.takeover_seconds = takeover_seconds
        self.lease: Lease | None = None
        self.keeper: Keeper | None = None
        self.on_lost: Callable[[], None] | None = None  # told once when the lease is lost
        # the lease is renewed only while this says the holder's poll is not hung (None:
        # always); set by the term's daemon (bridge.daemon.Daemon.alive), reset per wait
        self.alive: Callable[[], bool] | None = None
        self._table: LeaseTable | None = None

    @property
    def held(self) -> bool:
        return self.lease is not None and self.lease.held and self.file_lock.held

    def holder_pid(self) -> int | None:
        pid: int | None = self.file_lock.holder_pid()
        return pid

    def acquire(self, wait: float = 0, stop: threading.Event | None = None) -> None:
        """The file lock, then the lease, each polled for up to ``wait`` seconds (``stop``
        ends the wait early with LockHeld)."""
        started = time.monotonic()
        self.file_lock.acquire(wait=wait)
        try:
            self._take(started + wait, wait, stop)
        except BaseException:  # not taken (even interrupted): free the file lock, then re-raise
            self.release()
            raise

    def _take(self, deadline: float, wait: float, stop: threading.Event | None) -> None:
        if self._table is None:
            self._table = lease_table(self.url)
        lease = Lease(self._table, self.key, self.takeover_seconds)
        every = min(POLL_CAP, self.takeover_seconds * STANDBY_SHARE)
        while True:
            try:
                if lease.try_take():
                    break
            except SQLAlchemyError as exc:
                from bridge.store.postgres import cause

                raise StoreError(f"the PostgreSQL ledger cannot be reached: {cause(exc)}") from exc
            if time.monotonic() >= deadline or (stop is not None and stop.is_set()):
                holder = self._table.holder(self.key)
                name = holder.owner if holder else "another mailbridge"
                waited = t("lock.waited", seconds=f"{wait:g}") if wait > 0 else ""
                raise LockHeld(t("lock.held_pg", holder=name, waited=waited))
            if stop is not None:
                stop.wait(every)
            else:
                time.sleep(every)
        self.lease = lease
        self.keeper = Keeper(lease, self._lost, alive=self._alive, reason="poll_hung").start()
        with _held_lock:
            _held[(self.url, self.key)] = self

    def lease_wait(self) -> float:
        """How long a standby's one ``acquire`` waits before trying the file lock again."""
        return min(5.0, max(0.5, self.takeover_seconds))

    def _alive(self) -> bool:
        alive = self.alive
        return alive is None or alive()

    def _lost(self) -> None:
        if self.on_lost is not None:
            self.on_lost()

    def fence(self) -> None:
        """Raise LeaseLost unless this process may still send for this mailbox now."""
        from bridge.errors import LeaseLost

        lease = self.lease
        if lease is None:
            raise LeaseLost(f"mailbox {self.key}: no lease held")
        lease.fence()

    def term_fence(self) -> Callable[[], None]:
        """The fence of this term's lease only: it keeps refusing after the lease is lost or
        released, even when this process takes the mailbox again later (a hung poll thread
        of an earlier term that wakes up sends nothing)."""
        lease = self.lease
        return self.fence if lease is None else lease.fence

    def release(self) -> None:
        with _held_lock:
            if _held.get((self.url, self.key)) is self:
                del _held[(self.url, self.key)]
        keeper, self.keeper = self.keeper, None
        lease, self.lease = self.lease, None
        try:
            if keeper is not None:
                keeper.close()
            if lease is not None:
                try:
                    lease.release()
                except SQLAlchemyError as exc:  # it expires on its own; logged
                    log.warning("lease.release_failed mailbox=%s error=%s", self.key,
                                type(exc).__name__)
        finally:
            if self._table is not None:
                self._table.engine.dispose()
                self._table = None
            if self.file_lock.held:
                self.file_lock.release()

    def __enter__(self) -> PgProcessorLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
