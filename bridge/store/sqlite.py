"""The ledger on one SQLite file (the embedded default): the engine and what it needs.

Two processes may open the same ledger (``status``/``retry`` while the daemon runs): WAL, a
busy timeout, short write transactions taken with ``BEGIN IMMEDIATE``. The file holds raw mail,
so it is created 0600 before SQLite touches it (SQLite gives its -wal and -shm the same mode).
"""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from bridge.errors import LedgerCorrupt, StoreError

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 15_000
FILE_MODE = 0o600  # the ledger holds raw mail; SQLite gives its -wal and -shm the same mode


def engine_for(path: Path) -> Engine:
    """An engine on the file at ``path`` (created 0600 if missing) with the ledger's pragmas."""
    create_private(path)
    engine = create_engine(
        URL.create("sqlite", database=str(path)),  # no URL quoting trouble with odd names
        connect_args={"timeout": BUSY_TIMEOUT_MS / 1000},
    )
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
    return engine


def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
    # Take BEGIN out of sqlite3's hands (see _on_begin); then per-connection pragmas.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    try:
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = FULL")
    finally:
        cur.close()


def _on_begin(conn: Connection) -> None:
    # Writers take the write lock up front, so the busy timeout applies to them instead of a
    # read transaction failing to upgrade; readers use WAL snapshots and never block a writer.
    if conn.get_execution_options().get("mailbridge_write"):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def checkpoint(engine: Engine) -> None:
    """Copy the WAL into the ledger and empty it (outside any transaction)."""
    raw = engine.raw_connection()
    try:
        raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[union-attr]  # sqlite3 has execute
    except sqlite3.Error as exc:  # busy readers: the next checkpoint does it
        log.warning("ledger.checkpoint_failed error=%s", exc)
    finally:
        raw.close()


def cause(exc: SQLAlchemyError) -> str:
    """SQLite's own words, with a hint for the causes an operator can act on."""
    orig = getattr(exc, "orig", None)
    text = str(orig) if orig is not None else str(exc).splitlines()[0]
    if "locked" in text or "busy" in text:
        return f"{text} (another process kept it busy for {BUSY_TIMEOUT_MS // 1000} s)"
    if "not a database" in text:
        return f"{text} (store.path must name a mailbridge ledger or a new file)"
    return text


def file_id(path: Path) -> tuple[int, int] | None:
    """(device, inode) of ``path``, None when it does not exist."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def create_private(path: Path) -> None:
    """Create the ledger file 0600 before SQLite does (whatever the umask; SQLite gives the
    -wal and -shm files the ledger's mode), and tighten an existing one."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
    except OSError as exc:
        if path.exists():  # read-only to us (a monitoring user's `status`): SQLite decides
            return
        raise StoreError(f"ledger {path} cannot be opened: {exc.strerror}") from exc
    try:
        if os.fstat(fd).st_mode & 0o077:
            os.fchmod(fd, FILE_MODE)
    except OSError as exc:  # not our file (another owner): SQLite will say what it can do
        log.warning("ledger.chmod_failed path=%s error=%s", path, exc.strerror)
    finally:
        os.close(fd)
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        try:
            if side.stat().st_mode & 0o077:
                side.chmod(FILE_MODE)
        except OSError:
            continue  # not there (yet): SQLite creates it with the ledger's mode


def corrupt(exc: SQLAlchemyError) -> bool:
    """Whether SQLite says the file is damaged or not a database at all."""
    text = str(getattr(exc, "orig", None) or exc)
    return "not a database" in text or "malformed" in text or "file is encrypted" in text


def corrupt_error(path: Path, why: str) -> LedgerCorrupt:
    """What to do about a damaged ledger, in words an operator can follow."""
    return LedgerCorrupt(
        f"ledger {path} is damaged ({why}): stop mailbridge, move it aside "
        f"(mv {path} {path}.broken, with its -wal and -shm files) and start again; a new "
        "ledger is safe: it looks every message up in Bitrix24 before creating a lead"
    )
