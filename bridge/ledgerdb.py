"""What differs between the ledger's two backends: SQLite (the embedded default) and
PostgreSQL (``store.url``).

The ledger's queries are SQLAlchemy Core and run unchanged on both; this module holds the few
places where the dialects differ:

* the upsert (``INSERT … ON CONFLICT DO UPDATE``) comes from the dialect's own ``insert``;
* the larger of two values is ``max(a, b)`` in SQLite and ``greatest(a, b)`` in PostgreSQL;
* writers are serialised: SQLite takes ``BEGIN IMMEDIATE`` (bridge.store), PostgreSQL takes a
  transaction-scoped advisory lock at the start of every write transaction, so two writers
  never interleave a read-then-write (the same guarantee, one writer at a time);
* the schema version: SQLite keeps ``PRAGMA user_version`` (today's ledgers upgrade in place
  through ``bridge.store.MIGRATIONS``); PostgreSQL keeps it in the one-row table
  ``mailbridge_schema``. A new PostgreSQL ledger is created from the Table definitions (which
  describe the schema after the last migration) and stamped with the latest version; a later
  schema change appends its PostgreSQL statements to ``PG_MIGRATIONS`` under the version it
  creates.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, create_engine, event, func, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

SCHEMA_TABLE = "mailbridge_schema"
# Any constant works; it names the ledger's writer lock among the database's advisory locks.
WRITER_LOCK = 0x6D61696C  # "mail"
CONNECT_TIMEOUT = 10  # seconds for a connection to the server

# version -> the PostgreSQL statements that take a PostgreSQL ledger from version - 1 to it.
# Empty today: every PostgreSQL ledger so far was created at the latest version.
PG_MIGRATIONS: Mapping[int, tuple[str, ...]] = {}


class SchemaTooNew(Exception):
    """The database was written by a newer mailbridge."""


class ForeignDatabase(Exception):
    """The database holds tables of another program and none of ours."""


def is_postgres(bind: Connection | Engine) -> bool:
    return bind.dialect.name == "postgresql"


def upsert(bind: Connection | Engine, table: Any) -> Any:
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


def pg_version(conn: Connection) -> int:
    """The schema version of a PostgreSQL ledger (0 when it has none yet)."""
    exists = conn.execute(text("SELECT to_regclass(:t)"), {"t": SCHEMA_TABLE}).scalar()
    if exists is None:
        return 0
    return int(conn.execute(text(f"SELECT version FROM {SCHEMA_TABLE}")).scalar_one())


def migrate_pg(conn: Connection, metadata: MetaData, latest: int, schema: str = "") -> list[int]:
    """Create or upgrade the ledger's tables in the current transaction; returns the versions
    applied. Raises SchemaTooNew or ForeignDatabase."""
    if schema:  # names come from [[mailboxes]] names: lower-case letters, digits, _
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    version = pg_version(conn)
    if version > latest:
        raise SchemaTooNew(f"schema version {version}, newer than this mailbridge knows "
                           f"({latest}); upgrade mailbridge")
    if version == 0:
        ours = set(metadata.tables)
        present = {
            r[0] for r in conn.execute(text(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema()"
            ))
        }
        if present & ours:
            raise ForeignDatabase(
                "it has tables named like the ledger's ("
                + ", ".join(sorted(present & ours))
                + ") but no mailbridge schema version; use an empty database"
            )
        metadata.create_all(conn)
        conn.execute(text(f"CREATE TABLE {SCHEMA_TABLE} (version INTEGER NOT NULL)"))
        conn.execute(text(f"INSERT INTO {SCHEMA_TABLE} (version) VALUES (:v)"), {"v": latest})
        return [latest]
    applied = []
    for number in range(version + 1, latest + 1):
        for statement in PG_MIGRATIONS.get(number, ()):
            conn.execute(text(statement))
        conn.execute(text(f"UPDATE {SCHEMA_TABLE} SET version = :v"), {"v": number})
        applied.append(number)
    return applied


def cause(exc: SQLAlchemyError) -> str:
    """The database's own words, first line only (never the URL)."""
    orig = getattr(exc, "orig", None) or exc
    return str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
