"""One processor per PostgreSQL ledger, across hosts.

The file lock beside ``store.path`` (bridge.lock) keeps two processes on one host apart; a
ledger on PostgreSQL (``store.url``) can be reached from several hosts, and two daemons
processing the same mailbox into one ledger could each send the same message. So with
``store.url`` the processor also holds a PostgreSQL session advisory lock on a connection of
its own for as long as it runs. PostgreSQL drops the lock when that session ends (the process
exits or dies, or its connection is lost), so a crashed holder never blocks the next start.

(Several daemons sharing one ledger, each owning some of the mailboxes with takeover, is a
later step; today one processor holds the whole ledger.)
"""

from __future__ import annotations

import logging
import os
import socket
import time
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from bridge.errors import LockHeld, StoreError
from bridge.i18n import t

log = logging.getLogger(__name__)

PROCESSOR_LOCK = 0x62726467  # "brdg": the advisory lock key of the ledger's processor
POLL = 0.2  # seconds between attempts while waiting


def application_name() -> str:
    """How the lock's session shows in pg_stat_activity: ``mailbridge@HOST:PID``."""
    return f"mailbridge@{socket.gethostname()}:{os.getpid()}"[:63]


class PgProcessorLock:
    """The file lock plus a PostgreSQL session advisory lock; the InstanceLock interface."""

    def __init__(self, file_lock: Any, url: str, schema: str = "") -> None:
        from bridge.ledgerdb import schema_key

        self.key2 = schema_key(schema)  # one processor per mailbox schema
        self.file_lock = file_lock
        self.path = file_lock.path
        self._engine = create_engine(
            url, poolclass=NullPool,
            connect_args={"connect_timeout": 10, "application_name": application_name()},
        )  # fmt: skip
        self._conn: Any = None

    @property
    def held(self) -> bool:
        return self._conn is not None and self.file_lock.held

    def holder_pid(self) -> int | None:
        return self.file_lock.holder_pid()

    def acquire(self, wait: float = 0) -> None:
        """The file lock, then the database's lock, each polled for up to ``wait`` seconds."""
        started = time.monotonic()
        self.file_lock.acquire(wait=wait)
        try:
            self._acquire_pg(max(0.0, wait - (time.monotonic() - started)), wait)
        except BaseException:
            self.file_lock.release()
            raise

    def _acquire_pg(self, remaining: float, wait: float) -> None:
        deadline = time.monotonic() + remaining
        try:
            conn = self._engine.connect()
        except SQLAlchemyError as exc:
            from bridge.ledgerdb import cause

            raise StoreError(f"the PostgreSQL ledger cannot be reached: {cause(exc)}") from exc
        try:
            while True:
                got = conn.execute(
                    text("SELECT pg_try_advisory_lock(:k, :s)"),
                    {"k": PROCESSOR_LOCK, "s": self.key2},
                ).scalar()
                conn.commit()  # the session lock stays; no transaction is left open
                if got:
                    self._conn = conn
                    return
                if time.monotonic() >= deadline:
                    holder = self._holder(conn) or "another mailbridge"
                    waited = t("lock.waited", seconds=f"{wait:g}") if wait > 0 else ""
                    raise LockHeld(t("lock.held_pg", holder=holder, waited=waited))
                time.sleep(POLL)
        except BaseException:
            conn.close()
            raise

    def _holder(self, conn: Any) -> str | None:
        """The holding session's application name (``mailbridge@HOST:PID``) and address."""
        row = conn.execute(text(
            "SELECT a.application_name, a.client_addr::text FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted "
            "AND l.classid::bigint = :k AND l.objid::bigint = (:s)::int::oid::bigint "
            "AND l.objsubid = 2 LIMIT 1"
        ), {"k": PROCESSOR_LOCK, "s": self.key2}).first()
        conn.commit()
        if row is None:
            return None
        name, addr = row
        return f"{name or 'a session'}" + (f" from {addr}" if addr else "")

    def release(self) -> None:
        conn, self._conn = self._conn, None
        try:
            if conn is not None:
                try:
                    conn.execute(text("SELECT pg_advisory_unlock(:k, :s)"),
                                 {"k": PROCESSOR_LOCK, "s": self.key2})
                    conn.commit()
                except SQLAlchemyError as exc:  # the session is gone, and with it its lock
                    log.debug("pglock.unlock_failed error=%s", type(exc).__name__)
                finally:
                    conn.close()
        finally:
            self._engine.dispose()
            if self.file_lock.held:
                self.file_lock.release()

    def __enter__(self) -> PgProcessorLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
