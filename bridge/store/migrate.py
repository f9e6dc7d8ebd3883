"""Schema migrations, managed by Alembic on both backends and run whenever a ledger is opened.

The revisions live in ``bridge/store/migrations/versions`` (shipped inside the package; no
``alembic.ini`` is read). An empty database is created at the head straight from the Table
definitions (``schema.metadata``) and stamped with the head revision, as Alembic's own recipe
for a new database does, without importing Alembic: every fresh ledger (each test, the demo, a
first start) is spared its import. The tests keep the two ways equal: a database built by
running every revision agrees with the Table definitions, and so does one built from them.

``migrate`` runs in the caller's write transaction (SQLite: ``BEGIN
IMMEDIATE``; PostgreSQL: the writer's advisory lock), so two processes opening a new ledger at
once take turns and the second finds the work done. On PostgreSQL each mailbox's schema has
its own ``alembic_version`` table (``version_table_schema``).

Ledgers from before Alembic carry their version elsewhere: SQLite in ``PRAGMA user_version``,
PostgreSQL in the one-row table ``mailbridge_schema``. Revision ``NNNN`` is the schema such a
ledger had at version ``N``, so it is stamped with that revision and upgraded in place, rows
kept. That old version mark is kept equal to the head revision's number afterwards, so an
older mailbridge, which reads only the mark, refuses the ledger as "newer than this mailbridge
knows" instead of taking it for another program's database.

Refused, nothing changed: a mark or an ``alembic_version`` newer than this code knows
(``SchemaTooNew``), and a database with tables of another program and no version at all
(``ForeignDatabase``). Their text follows the ledger's name ("ledger X has schema version
...", "the PostgreSQL ledger ... it has tables ..."); the caller words the start.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import (
    Column,
    Connection,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    insert,
    inspect,
    select,
    text,
)

from bridge.store.postgres import is_postgres
from bridge.store.schema import metadata

if TYPE_CHECKING:
    from alembic.script import ScriptDirectory

log = logging.getLogger(__name__)

# Read at call time, so a test can point it at a copy with one more revision.
SCRIPT_LOCATION = Path(__file__).with_name("migrations")
VERSION_TABLE = "alembic_version"
LEGACY_TABLE = "mailbridge_schema"  # PostgreSQL's version mark from before Alembic


class SchemaTooNew(Exception):
    """The database was written by a newer mailbridge."""


class ForeignDatabase(Exception):
    """The database holds tables of another program and no ledger version."""


def head_version() -> int:
    """The newest revision's number: the schema version a ledger gets when it is opened.

    Read from the revision files' names (``NNNN_slug.py``), so a ledger already at the head
    opens without importing Alembic (a tenth of a second every command would pay); the
    upgrade path checks that Alembic agrees."""
    return _file_head(str(SCRIPT_LOCATION))


@functools.cache
def _file_head(location: str) -> int:
    names = (p.name for p in (Path(location) / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))
    return max((int(name[:4]) for name in names), default=0)


@functools.cache
def _scripts(location: str) -> ScriptDirectory:
    from alembic.script import ScriptDirectory  # only when a ledger needs migrating

    script = ScriptDirectory(location)
    if script.get_current_head() != f"{_file_head(location):04d}":
        raise RuntimeError(f"{location}: the newest revision must be named by its number "
                           f"(NNNN_slug.py with revision = \"NNNN\")")
    return script


def version_mark(conn: Connection) -> int:
    """The version an older mailbridge reads: ``PRAGMA user_version`` or ``mailbridge_schema``
    (0 when there is none)."""
    if not is_postgres(conn):
        return int(conn.exec_driver_sql("PRAGMA user_version").scalar_one())
    if conn.execute(text("SELECT to_regclass(:t)"), {"t": LEGACY_TABLE}).scalar() is None:
        return 0
    return int(conn.execute(text(f"SELECT version FROM {LEGACY_TABLE}")).scalar_one())


def _set_version_mark(conn: Connection, version: int) -> None:
    if not is_postgres(conn):
        conn.exec_driver_sql(f"PRAGMA user_version = {int(version)}")
        return
    conn.execute(text(f"CREATE TABLE IF NOT EXISTS {LEGACY_TABLE} (version INTEGER NOT NULL)"))
    conn.execute(text(f"DELETE FROM {LEGACY_TABLE}"))
    conn.execute(text(f"INSERT INTO {LEGACY_TABLE} (version) VALUES (:v)"), {"v": version})


def current_revision(conn: Connection, schema: str = "") -> str | None:
    """The ledger's ``alembic_version`` (None before Alembic managed it), read with plain SQL
    (the common case, a ledger at the head, needs no migration context)."""
    if not inspect(conn).has_table(VERSION_TABLE, schema=schema or None):
        return None
    table = Table(VERSION_TABLE, MetaData(), Column("version_num", String), schema=schema or None)
    return conn.execute(select(table.c.version_num)).scalar()


def migrate(conn: Connection, schema: str = "") -> list[str]:
    """Create or upgrade the ledger in the caller's transaction; returns the revisions applied
    (empty when it was at the head). Raises SchemaTooNew or ForeignDatabase."""
    if schema and is_postgres(conn):  # names come from [[mailboxes]]: lower-case, digits, _
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    head = head_version()
    mark, current = version_mark(conn), current_revision(conn, schema)
    if mark > head:
        raise _too_new(mark, head)
    if current == f"{head:04d}" and mark == head:
        return []
    if current is None and mark == 0:
        _refuse_foreign(conn)
        _create_at_head(conn, schema, head)
        return []
    return _upgrade(conn, schema, mark, current)


def _version_table(schema: str) -> Table:
    """Alembic's version table, as Alembic itself creates it."""
    return Table(VERSION_TABLE, MetaData(),
                 Column("version_num", String(32), nullable=False),
                 PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
                 schema=schema or None)


def _create_at_head(conn: Connection, schema: str, head: int) -> None:
    """A new ledger: the tables from their definitions, stamped with the head revision."""
    metadata.create_all(conn)
    version = _version_table(schema)
    version.create(conn)
    conn.execute(insert(version).values(version_num=f"{head:04d}"))
    _set_version_mark(conn, head)
    log.info("ledger created at version=%s", head)


def upgrade_from_empty(conn: Connection, schema: str = "") -> list[str]:
    """Every revision in turn on an empty database (what a ledger made by the first release
    went through); the tests compare its result with the Table definitions."""
    if schema and is_postgres(conn):
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    return _upgrade(conn, schema, 0, None)


def _too_new(found: int, head: int) -> SchemaTooNew:
    return SchemaTooNew(f"has schema version {found}, newer than this mailbridge knows "
                        f"({head}); upgrade mailbridge")


def _upgrade(conn: Connection, schema: str, mark: int, current: str | None) -> list[str]:
    """Alembic's part: stamp a ledger from before it, then run every revision it lacks."""
    from alembic.migration import MigrationContext  # only when a ledger needs migrating
    from alembic.operations import Operations

    script = _scripts(str(SCRIPT_LOCATION))
    head = head_version()
    if not _known(script, current):
        raise _too_new(revision_number(current), head)
    applied: list[str] = []
    context = MigrationContext.configure(conn, opts={
        "version_table_schema": schema or None,
        "transactional_ddl": True,
        "fn": lambda heads, _ctx: script._upgrade_revs(f"{head:04d}", heads),
        "on_version_apply": [lambda **kw: applied.append(str(kw["step"].up_revision_id))],
    })
    if current is None:
        if mark == 0:
            _refuse_foreign(conn)
        else:  # a ledger from before Alembic: its version is the revision of that number
            context.stamp(script, f"{mark:04d}")
            log.info("ledger adopted by alembic version=%s", mark)
    with Operations.context(context):
        context.run_migrations()
    _set_version_mark(conn, head)
    return applied


def _known(script: ScriptDirectory, revision: str | None) -> bool:
    """Whether ``revision`` (None: none yet) is one this mailbridge ships."""
    from alembic.util import CommandError

    if revision is None:
        return True
    try:
        return script.get_revision(revision) is not None
    except CommandError:  # alembic's word for "no such revision here"
        return False


def revision_number(revision: str | None) -> int:
    """A revision's number, 0 for none or one that is not ours (another numbering)."""
    try:
        return int(revision or 0)
    except ValueError:
        return 0


def _refuse_foreign(conn: Connection) -> None:
    """A database without any ledger version must hold no tables the ledger would create:
    SQLite none at all (the file is the ledger), PostgreSQL none named like the ledger's (the
    database may hold other schemas and programs)."""
    names: Iterable[str] = inspect(conn).get_table_names()
    if not is_postgres(conn):
        foreign = sorted(n for n in names if not n.startswith("sqlite_"))
        if foreign:
            raise ForeignDatabase(f"is an SQLite file of another program (it has a table "
                                  f"{foreign[0]!r}); point store.path at a new file")
        return
    ours = sorted(set(names) & set(metadata.tables))
    if ours:
        raise ForeignDatabase(
            f"has tables named like the ledger's ({', '.join(ours)}) but no mailbridge "
            "schema version; use an empty database"
        )
