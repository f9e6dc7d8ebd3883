"""Who owns a mailbox of a shared PostgreSQL ledger: a lease row per mailbox, fenced by time.

Several daemons (hosts) may share one ledger (``store.url``); each mailbox is worked by one
of them at a time. Ownership is a row of ``mailbridge_leases`` (created here, idempotently):
``mailbox``, ``owner`` (``mailbridge@HOST:PID``), ``epoch`` (+1 at every take) and
``expires_at``, all times the database's own (``clock_timestamp()``), so the hosts' clocks
never matter. A lease lasts ``LEASE_SHARE`` of ``store.takeover_seconds`` and is renewed every
third of that; a standby tries to take it every ``STANDBY_SHARE`` of it. So a dead or frozen
owner's mailbox is taken over within ``takeover_seconds`` (0.75 + 0.125 of it, plus one round
trip). A session advisory lock could not do this: a frozen (SIGSTOPped) owner keeps its
session, and with it the lock, forever.

Fencing: Bitrix24 has no conditional write, so the owner fences itself by time. Each
successful take or renewal sets a deadline on this process's monotonic clock: the moment the
renewal *started* plus the lease's length minus a margin, which is never later than the
expiry the database recorded. :meth:`Lease.fence` raises :class:`~bridge.errors.LeaseLost`
once that deadline has passed (or the lease is known lost); it is called immediately before
every request to the portal and every ledger write of the pipeline. What this cannot cover
(a request already on the wire when the owner freezes) is why a new owner looks up inherited
``pushing`` rows only ``takeover_seconds + bitrix24.max_request_seconds`` after its take
(README, "Running several mailboxes and hosts").

A holder on this host whose process is gone (SIGKILL, a crash) cannot send anything any more:
its lease is taken at once instead of after its expiry.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from bridge.errors import LeaseLost

log = logging.getLogger(__name__)

TABLE = "mailbridge_leases"
LEASE_SHARE = 0.75  # a lease lasts this share of takeover_seconds
RENEWALS = 3  # renewals per lease length
MARGIN_SHARE = 0.1  # the owner stops this share of the lease before its expiry
STANDBY_SHARE = 0.125  # a standby tries to take a lease this often (share of takeover_seconds)
_CREATE_KEY = 0x6C656173  # "leas": serialises the first CREATE TABLE of concurrent daemons

_DDL = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    mailbox text PRIMARY KEY,
    owner text NOT NULL,
    epoch bigint NOT NULL,
    expires_at timestamptz NOT NULL,
    taken_at timestamptz NOT NULL,
    renewed_at timestamptz NOT NULL
)"""


def owner_name() -> str:
    """This process as a lease owner (and as its sessions' application name)."""
    return f"mailbridge@{socket.gethostname()}:{os.getpid()}"[:63]


def dead_here(owner: str) -> bool:
    """Is ``owner`` a process of this host that no longer exists?"""
    prefix = f"mailbridge@{socket.gethostname()}:"
    pid = owner[len(prefix):] if owner.startswith(prefix) else ""
    if not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, under another user
        return False
    try:  # a zombie (killed, not yet reaped by its parent) sends nothing either
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[:1] == ["Z"]


@dataclass(frozen=True, slots=True)
class Holder:
    """One lease row as ``status`` shows it."""

    mailbox: str
    owner: str
    epoch: int
    expires_at: datetime
    expired: bool

    def describe(self) -> str:
        state = "expired" if self.expired else "until"
        return f"{self.owner} epoch {self.epoch} {state} {self.expires_at:%Y-%m-%d %H:%M:%S} UTC"

    def as_json(self) -> dict[str, Any]:
        return {"owner": self.owner, "epoch": self.epoch, "expired": self.expired,
                "expires_at": self.expires_at.isoformat()}


@dataclass(frozen=True, slots=True)
class Grant:
    """A take or renewal that succeeded: the epoch, and the database's expiry and time."""

    epoch: int
    expires_at: datetime
    now: datetime


class LeaseTable:
    """The SQL of ``mailbridge_leases``. ``clock`` replaces the database's time (tests)."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] | None = None) -> None:
        self.engine = engine
        self.clock = clock
        self._now = "CAST(:now AS timestamptz)" if clock else "clock_timestamp()"

    def _params(self, **params: Any) -> dict[str, Any]:
        return {**params, "now": self.clock()} if self.clock else params

    def ensure(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CREATE_KEY})
            conn.execute(text(_DDL))

    def _row(self, conn: Connection, mailbox: str) -> Any:
        return conn.execute(text(
            f"SELECT owner, epoch, expires_at, expires_at <= {self._now} AS expired, "
            f"{self._now} AS now FROM {TABLE} WHERE mailbox = :m FOR UPDATE"
        ), self._params(m=mailbox)).first()

    def take(self, mailbox: str, owner: str, seconds: float) -> Grant | None:
        """Take ``mailbox`` when it is free, expired, or held by a dead process of this host."""
        with self.engine.begin() as conn:
            row = self._row(conn, mailbox)
            if row is None:
                sql = (f"INSERT INTO {TABLE} VALUES (:m, :o, 1, {self._now} + "
                       f"make_interval(secs => :s), {self._now}, {self._now}) "
                       "ON CONFLICT (mailbox) DO NOTHING RETURNING epoch, expires_at")
            elif row.expired or dead_here(row.owner):
                if not row.expired:
                    log.info("lease.owner_dead mailbox=%s owner=%s", mailbox, row.owner)
                sql = (f"UPDATE {TABLE} SET owner = :o, epoch = epoch + 1, expires_at = "
                       f"{self._now} + make_interval(secs => :s), taken_at = {self._now}, "
                       f"renewed_at = {self._now} WHERE mailbox = :m "
                       "RETURNING epoch, expires_at")
            else:
                return None
            got = conn.execute(text(sql), self._params(m=mailbox, o=owner, s=seconds)).first()
            now = conn.execute(text(f"SELECT {self._now}"), self._params()).scalar_one()
        return None if got is None else Grant(int(got.epoch), got.expires_at, now)

    def renew(self, mailbox: str, owner: str, epoch: int, seconds: float) -> Grant | None:
        """Extend our own unexpired lease; None when it expired or another daemon has it."""
        with self.engine.begin() as conn:
            got = conn.execute(text(
                f"UPDATE {TABLE} SET expires_at = {self._now} + make_interval(secs => :s), "
                f"renewed_at = {self._now} WHERE mailbox = :m AND owner = :o AND epoch = :e "
                f"AND expires_at > {self._now} RETURNING epoch, expires_at, {self._now} AS now"
            ), self._params(m=mailbox, o=owner, e=epoch, s=seconds)).first()
        return None if got is None else Grant(int(got.epoch), got.expires_at, got.now)

    def release(self, mailbox: str, owner: str, epoch: int) -> None:
        """Let a standby take it at once (a clean stop): it expires now."""
        with self.engine.begin() as conn:
            conn.execute(text(
                f"UPDATE {TABLE} SET expires_at = {self._now} "
                "WHERE mailbox = :m AND owner = :o AND epoch = :e"
            ), self._params(m=mailbox, o=owner, e=epoch))

    def holders(self) -> list[Holder]:
        with self.engine.connect() as conn:
            exists = conn.execute(text("SELECT to_regclass(:t) IS NOT NULL"),
                                  {"t": TABLE}).scalar_one()
            if not exists:
                return []
            rows = conn.execute(text(
                f"SELECT mailbox, owner, epoch, expires_at, expires_at <= {self._now} "
                f"AS expired FROM {TABLE} ORDER BY mailbox"
            ), self._params()).all()
        return [Holder(r.mailbox, r.owner, int(r.epoch), r.expires_at, bool(r.expired))
                for r in rows]

    def holder(self, mailbox: str) -> Holder | None:
        return next((h for h in self.holders() if h.mailbox == mailbox), None)


class Lease:
    """This process's claim on one mailbox: take, renew, fence, release."""

    def __init__(
        self, table: LeaseTable, mailbox: str, takeover_seconds: float, *,
        owner: str | None = None, monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.table = table
        self.mailbox = mailbox
        self.owner = owner or owner_name()
        self.takeover_seconds = takeover_seconds
        self.length = takeover_seconds * LEASE_SHARE
        self.renew_every = self.length / RENEWALS
        self.margin = self.length * MARGIN_SHARE
        self.monotonic = monotonic
        self.epoch: int | None = None
        self.taken_at: datetime | None = None  # the database's time of our take
        self._deadline = float("-inf")
        self._lock = threading.Lock()

    @property
    def held(self) -> bool:
        return self.epoch is not None and self.monotonic() < self._deadline

    def remaining(self) -> float:
        """Seconds until this process must stop sending (negative: past it)."""
        return self._deadline - self.monotonic()

    def try_take(self) -> bool:
        started = self.monotonic()
        grant = self.table.take(self.mailbox, self.owner, self.length)
        if grant is None:
            return False
        with self._lock:
            self.epoch, self.taken_at = grant.epoch, grant.now
            self._deadline = started + self.length - self.margin
        log.info("lease.taken mailbox=%s epoch=%s owner=%s", self.mailbox, grant.epoch,
                 self.owner)
        return True

    def renew(self) -> bool:
        """Extend the lease. False when it is lost for good (expired, or another daemon's);
        a database error is raised and leaves the deadline as it was."""
        epoch = self.epoch
        if epoch is None:
            return False
        started = self.monotonic()
        grant = self.table.renew(self.mailbox, self.owner, epoch, self.length)
        with self._lock:
            if grant is None or self.epoch != epoch:
                self.lose("taken over or expired")
                return False
            self._deadline = started + self.length - self.margin
        return True

    def lose(self, why: str) -> None:
        if self.epoch is not None:
            log.warning("lease.lost mailbox=%s epoch=%s reason=%s", self.mailbox, self.epoch,
                        why.replace(" ", "_"))
        self._deadline = float("-inf")

    def give_up(self, reason: str) -> None:
        """Stop holding the lease on this process's own account (its holder hung): logged
        once as an error, and every later fence refuses; the row expires in the database."""
        log.error("lease.given_up mailbox=%s epoch=%s reason=%s", self.mailbox, self.epoch,
                  reason)
        with self._lock:
            self._deadline = float("-inf")

    def fence(self) -> None:
        """Raise LeaseLost unless this process may still send for the mailbox right now."""
        if self.monotonic() >= self._deadline:
            raise LeaseLost(f"mailbox {self.mailbox}: the lease (epoch {self.epoch}) ran out "
                            "or was taken over; nothing more is sent by this process")

    def release(self) -> None:
        epoch, self.epoch = self.epoch, None
        self._deadline = float("-inf")
        if epoch is not None:
            self.table.release(self.mailbox, self.owner, epoch)
            log.info("lease.released mailbox=%s epoch=%s", self.mailbox, epoch)


class Keeper:
    """Renews a held lease in a thread of its own every ``renew_every`` seconds; calls
    ``on_lost`` once when the lease is lost (or its deadline passes without a renewal).

    The lease is renewed only while its holder is ``alive`` (default: always): the thread
    renews, so a process that runs while its work hangs would otherwise keep the mailbox
    forever. Once ``alive()`` is False the keeper gives the lease up (:meth:`Lease.give_up`,
    logged with ``reason``: every later fence refuses), stops renewing and calls ``on_lost``;
    the row expires in the database and a standby takes over within ``takeover_seconds``."""

    def __init__(self, lease: Lease, on_lost: Callable[[], None] | None = None, *,
                 alive: Callable[[], bool] | None = None,
                 reason: str = "holder_not_alive") -> None:
        self.lease = lease
        self.on_lost = on_lost
        self.alive = alive
        self.reason = reason
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"lease-{lease.mailbox}",
                                       daemon=True)

    def start(self) -> Keeper:
        self.thread.start()
        return self

    def _holder_alive(self) -> bool:
        if self.alive is None:
            return True
        try:
            return self.alive()
        except Exception:  # a failing check must not keep a hung mailbox; logged, given up
            log.exception("lease.alive_failed mailbox=%s (a bug)", self.lease.mailbox)
            return False

    def _run(self) -> None:
        lease = self.lease
        while not self.stop.wait(lease.renew_every):
            if not self._holder_alive():
                lease.give_up(self.reason)
                ok = False
            else:
                ok = self._renew()
            if not ok:
                if self.on_lost is not None and not self.stop.is_set():
                    self.on_lost()
                return

    def _renew(self) -> bool:
        lease = self.lease
        try:
            return lease.renew()
        except Exception as exc:  # the database unreachable: the deadline stands; logged
            log.warning("lease.renew_failed mailbox=%s error=%s", lease.mailbox,
                        type(exc).__name__)
            if lease.remaining() > 0:
                return True
            lease.lose("not renewed in time")
            return False

    def close(self) -> None:
        self.stop.set()
        if self.thread.is_alive() and self.thread is not threading.current_thread():
            self.thread.join(timeout=5.0)
