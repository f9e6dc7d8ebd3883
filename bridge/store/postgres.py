"""The ledger on PostgreSQL (``store.url``), and the few places where the dialects differ.

The ledger's queries are SQLAlchemy Core and run unchanged on both backends; what differs:

* the upsert (``INSERT … ON CONFLICT DO UPDATE``) comes from the dialect's own ``insert``;
* the larger of two values is ``max(a, b)`` in SQLite and ``greatest(a, b)`` in PostgreSQL;
* writers are serialised: SQLite takes ``BEGIN IMMEDIATE`` (``bridge.store.sqlite``),
  PostgreSQL takes a transaction-scoped advisory lock at the start of every write
  transaction, so two writers never interleave a read-then-write (the same guarantee, one
  writer at a time);
* a mailbox's ledger lives in a schema of its own when several share one database: the
  schema is the sessions' ``search_path``, and each schema has its own writer lock and its
  own Alembic version table (``bridge.store.migrate``).
"""

from __future__ import annotations

import zlib
from typing import Any

from sqlalchemy import Connection, Engine, Table, create_engine, event, func, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

# Any constant works; it names the ledger's writer lock among the database's advisory locks.
WRITER_LOCK = 0x6D61696C  # "mail"
CONNECT_TIMEOUT = 10  # seconds for a connection to the server


def is_postgres(bind: Connection | Engine) -> bool:
    return bind.dialect.name == "postgresql"


def upsert(bind: Connection | Engine, table: Table) -> Any:
    """``insert(table)`` with ``on_conflict_do_update`` for this connection's dialect."""
    return pg_insert(table) if is_postgres(bind) else sqlite_insert(table)


def greatest(bind: Connection | Engine, a: Any, b: Any) -> Any:
    """The larger of two SQL values."""
    return func.greatest(a, b) if is_postgres(bind) else func.max(a, b)


def schema_key(schema: str) -> int:
    """The second half of an advisory lock key: one per schema (0 for the default one)."""
    if not schema:
        return 0
    value = zlib.crc32(schema.encode())
    return value - 2**32 if value >= 2**31 else value  # a signed 32-bit int


def pg_engine(url: str, schema: str = "") -> Engine:
    """An engine for a ``postgresql+psycopg`` URL; write transactions take the writer lock.

    ``schema`` (a mailbox's own ledger in one database) becomes the sessions' search_path."""
    connect_args: dict[str, Any] = {"connect_timeout": CONNECT_TIMEOUT}
    if schema:
        connect_args["options"] = f"-c search_path={schema}"
    engine = create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    key = schema_key(schema)

    @event.listens_for(engine, "begin")
    def _serialise_writers(conn: Connection) -> None:
        if conn.get_execution_options().get("mailbridge_write"):
            conn.execute(text("SELECT pg_advisory_xact_lock(:k, :s)"),
                         {"k": WRITER_LOCK, "s": key})

    return engine


def cause(exc: SQLAlchemyError) -> str:
    """The database's own words, first line only (never the URL)."""
    orig = getattr(exc, "orig", None) or exc
    return str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
