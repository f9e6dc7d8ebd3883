"""The owner's side of a leased mailbox: fenced ledger writes, and who owns what for status.

With ``store.url`` a mailbox is worked only while this process holds its lease
(bridge.lease, bridge.pglock). The CRM client checks the lease before every request; the
pipeline's ledger is wrapped in :class:`FencedLedger`, which checks it before every write, so
an owner that wakes up after a freeze neither sends nor overwrites a row the new owner may be
working on: it stops with LeaseLost and the rows stay as they are.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bridge.lease import Holder
from bridge.testhooks import freeze_point

log = logging.getLogger(__name__)

# The ledger's writes (bridge.store.Ledger); reads pass through unfenced.
WRITES = frozenset({
    "add_received", "rebind", "set_parsed", "set_pushing", "claim_push", "clear_lookup",
    "set_created", "set_skipped", "set_duplicate", "set_failed", "set_unknown",
    "set_quarantined", "set_mailbox_done", "set_mailbox_gone", "set_folder_state", "set_meta",
    "retry", "forget_client_data", "begin_pass",
})


class FencedLedger:
    """A ledger whose writes first call ``fence`` (which raises LeaseLost past the lease)."""

    def __init__(self, ledger: Any, fence: Callable[[], None]) -> None:
        self._ledger = ledger
        self._fence = fence

    @property
    def inner(self) -> Any:
        return self._ledger

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._ledger, name)
        if name not in WRITES:
            return attr
        fence = self._fence
        point = "before_commit" if name == "set_created" else ""

        def fenced(*args: Any, **kwargs: Any) -> Any:
            if point:
                freeze_point(point)  # a test hook, off unless configured (bridge.testhooks)
            fence()
            return attr(*args, **kwargs)

        return fenced


def inherited_sent_at(takeover_seconds: float, now: datetime | None = None) -> datetime:
    """When rows left ``pushing`` by a previous owner count as sent: the take plus
    ``takeover_seconds`` (the latest a fenced owner can have started a send); the pipeline
    looks them up ``max_request_seconds`` after that."""
    return (now or datetime.now(UTC)) + timedelta(seconds=takeover_seconds)


def owners(url: str) -> dict[str, Holder]:
    """The lease rows of the database at ``url``, by mailbox key (empty when none yet)."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from bridge.lease import LeaseTable

    engine = create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 10})
    try:
        return {h.mailbox: h for h in LeaseTable(engine).holders()}
    finally:
        engine.dispose()


def owner_line(holder: Holder | None) -> str:
    """``owner: mailbridge@HOST:PID epoch 3 until 2026-12-07 18:00:00 UTC`` (or nobody)."""
    return "owner: " + (holder.describe() if holder is not None else "none (not started yet)")


def owner_json(holder: Holder | None) -> dict[str, Any] | None:
    return None if holder is None else holder.as_json()


# What a term needs, imported before the first wait: a standby is warm (seconds saved)
WARM = ("bridge.alerts.runtime", "bridge.daemon", "bridge.health", "bridge.mailbox",
        "bridge.pipeline", "bridge.reload", "bridge.store")


def serve_leased(unit: Any) -> None:
    """A ``[[mailboxes]]`` unit on a shared ledger (bridge.multibox): wait for the lease (a
    standby), open the ledger and work while the lease is held, close, and wait again; until
    the process stops."""
    import importlib

    for name in WARM:
        importlib.import_module(name)
    while not unit.stop.is_set():
        if not take_lease(unit):
            return
        try:
            unit._open()
            unit._run_term()
        except Exception:  # this term's failure: the lease goes back, the unit waits; logged
            log.exception("mailbox.term_failed mailbox=%s", unit.box.name)
            unit.stop.wait(unit.lock.lease_wait())
        finally:
            unit._close_term()


def hold_while(lock: Any, alive: Callable[[], bool]) -> None:
    """Renew ``lock``'s lease only while ``alive()`` (the term's daemon: its poll is not
    hung, bridge.daemon.Daemon.poll_hung); past that the lease is given up and fenced."""
    lock.alive = alive


def take_lease(unit: Any) -> bool:
    """Wait until this process holds ``unit``'s lease; False when the process stops first."""
    term = wait_for_lease(unit.lock, unit.stop, unit.box.name)
    if term is None:
        return False
    unit.term = term
    unit.inherited = inherited_sent_at(unit.cfg.store.takeover_seconds)
    return True


def wait_for_lease(lock: Any, stop: threading.Event, name: str,
                   tick: Callable[[], object] | None = None,
                   standby: Callable[[str], None] | None = None) -> threading.Event | None:
    """Wait, without a time limit, until this process holds ``lock``'s lease (a standby); the
    new term's event, which the lease's loss sets; None when ``stop`` is set first. Logged
    once with the current owner; ``tick`` runs between two tries (a watchdog ping),
    ``standby`` is told the owner when this process starts standing by."""
    from bridge.errors import LockHeld, StoreError

    term = threading.Event()
    lock.on_lost = term.set
    lock.alive = None  # until this term's daemon says whether its poll hangs (hold_while)
    log.info("lease.waiting mailbox=%s", name)
    told = False
    while not stop.is_set():
        if tick is not None:
            tick()
        try:
            lock.acquire(wait=lock.lease_wait(), stop=stop)
        except LockHeld:
            if not told:
                told = True
                owner = holder_name(lock)
                log.info("lease.standby mailbox=%s owner=%s (taking over when it stops)",
                         name, owner)
                if standby is not None:
                    standby(owner)
            continue
        except StoreError as exc:
            log.warning("lease.unavailable mailbox=%s error=%s", name,
                        " ".join(str(exc).split()))
            stop.wait(lock.lease_wait())
            continue
        if stop.is_set():
            lock.release()
            return None
        return term
    return None


def holder_name(lock: Any) -> str:
    """Who holds ``lock``'s lease now, for a log or STATUS line (best effort)."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        holder = owners(lock.url).get(lock.key)
    except SQLAlchemyError as exc:  # only a log line's detail; the wait goes on
        log.debug("lease.owner_unknown error=%s", type(exc).__name__)
        return "unknown"
    if holder is None:  # the lease is free: this host's lock file is held by another process
        return f"the process holding {lock.path}"
    return holder.owner
