"""Alembic migrations on both backends: a new ledger is created at the head from the Table
definitions and stamped, the revisions run in turn build the same schema, ledgers from before
Alembic upgrade in place with their rows, and a ledger newer than this code is refused."""

from __future__ import annotations

import logging
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect

from bridge import store
from bridge.errors import StoreError
from bridge.store import CREATED, Ledger, migrate
from bridge.store.postgres import pg_engine
from bridge.store.schema import metadata
from tests import legacy_ledgers
from tests.ledger_helpers import T0, Maker
from tests.servers.postgres import PostgresServer

SCHEMAS = ["", "mailbridge_site_a"]  # the database's own schema, and one mailbox's


def open_ledger(backend: str, tmp_path: Path, url: str = "", schema: str = "") -> Ledger:
    if backend == "postgresql":
        return Ledger.open_url(url, tmp_path / "bridge.db", schema)
    return Ledger.open(tmp_path / "bridge.db")


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """Each backend by name (PostgreSQL tests ask for pg_url themselves)."""
    return str(request.param)


@pytest.fixture
def url(backend: str, request: pytest.FixtureRequest) -> str:
    """A fresh PostgreSQL database for the postgresql runs, nothing for SQLite."""
    return str(request.getfixturevalue("pg_url")) if backend == "postgresql" else ""


def differences(conn: Connection) -> list[object]:
    """What Alembic's autogenerate would change to make the database match the model (seen
    from the connection's own schema: a mailbox's is its search_path)."""
    context = MigrationContext.configure(conn, opts={
        "compare_type": True,
        # the version mark kept for older mailbridges (bridge.store.migrate) is not the model's
        "include_name": lambda name, kind, _parents: not (
            kind == "table" and name == migrate.LEGACY_TABLE),
    })
    return list(compare_metadata(context, metadata))


@pytest.fixture
def connect(tmp_path: Path) -> Iterator[object]:
    """A function giving a plain connection to the ledger a test opened (either backend)."""
    engines = []

    def connect_to(backend: str, url: str = "", schema: str = "") -> Connection:
        engine = (pg_engine(url, schema) if backend == "postgresql"
                  else create_engine(f"sqlite:///{tmp_path / 'bridge.db'}"))
        engines.append(engine)
        return engine.connect()

    yield connect_to
    for engine in engines:
        engine.dispose()


@pytest.mark.parametrize("version", [1, 2, 3])
def test_old_sqlite_ledger_upgrades_in_place(tmp_path: Path, version: int) -> None:
    """A user_version 1, 2 or 3 ledger opens at the head revision with its row, bytes, folder
    baseline and meta values kept, and works on; user_version follows, for older binaries."""
    legacy_ledgers.build_sqlite(tmp_path / "bridge.db", version)
    with Ledger.open(tmp_path / "bridge.db") as led:
        assert led.schema_version() == store.SCHEMA_VERSION
        (row,) = led.all_messages()
        assert (row.origin_id, row.state, row.lead_id, row.subject) == (
            "origin-17", CREATED, 4242, "Заявка с сайта")
        assert row.client_keys == ("phone:+79001234567",) and row.push_started_at is not None
        assert (row.sent_at, row.lookup_first) == (None, False)
        assert led.raw(row.id) == legacy_ledgers.RAW
        assert led.folder_state("INBOX") == (4_294_967_295, 17)
        assert led.get_meta("last_poll_at") == "2026-11-30T12:00:06+00:00"
        assert led.set_mailbox_done(row.id, "moved", T0).mailbox_state == "done"
        assert Maker(led).in_state(CREATED).id == row.id + 1
    raw = sqlite3.connect(tmp_path / "bridge.db")
    assert raw.execute("PRAGMA user_version").fetchone() == (store.SCHEMA_VERSION,)
    raw.close()


@pytest.mark.parametrize("schema", SCHEMAS)
def test_old_postgresql_schema_upgrades_in_place(
    postgres_server: PostgresServer, pg_url: str, tmp_path: Path, schema: str
) -> None:
    """A mailbridge_schema version 3 ledger (in the database's schema or a mailbox's) opens at
    the head revision with its rows, gains the indexes it lacked, and keeps its own version
    table in its schema."""
    with postgres_server.connect(pg_url.rsplit("/", 1)[1]) as conn:
        legacy_ledgers.build_postgres(conn, schema)
    with Ledger.open_url(pg_url, tmp_path / "bridge.db", schema) as led:
        assert led.schema_version() == store.SCHEMA_VERSION
        (row,) = led.all_messages()
        assert (row.uidvalidity, row.lead_id, row.state) == (4_294_967_295, 4242, CREATED)
        assert led.raw(row.id) == legacy_ledgers.RAW
        assert led.get_meta("last_poll_at") == "2026-11-30T12:00:06+00:00"
        assert Maker(led).in_state(CREATED).id == row.id + 1
    where = schema or "public"
    with postgres_server.connect(pg_url.rsplit("/", 1)[1]) as conn:
        indexes = {r[0] for r in conn.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = %s", (where,))}
        versions = conn.execute(f'SELECT version_num FROM "{where}".alembic_version').fetchall()
        mark = conn.execute(f'SELECT version FROM "{where}".mailbridge_schema').fetchall()
    assert {"ix_messages_identity", "ix_messages_due", "ix_messages_digest"} <= indexes
    assert versions == [(f"{store.SCHEMA_VERSION:04d}",)] and mark == [(store.SCHEMA_VERSION,)]


def test_model_and_migrated_database_agree(backend: str, url: str, connect: object,
                                           tmp_path: Path) -> None:
    """Every revision run in turn on an empty database builds what the Table definitions
    describe, and ends at the head."""
    schemas = SCHEMAS if backend == "postgresql" else [""]
    for schema in schemas:
        with connect(backend, url, schema) as conn, conn.begin():
            applied = migrate.upgrade_from_empty(conn, schema)
        assert applied == [f"{n:04d}" for n in range(1, store.SCHEMA_VERSION + 1)]
        with connect(backend, url, schema) as conn:
            assert differences(conn) == []
            assert migrate.current_revision(conn, schema) == f"{store.SCHEMA_VERSION:04d}"


def test_a_new_ledger_is_created_at_the_head_from_the_definitions(
    backend: str, url: str, connect: object, tmp_path: Path
) -> None:
    """A new ledger is the Table definitions stamped with the head revision (what the
    revisions build, by the test above), and opening it needs no migration."""
    schemas = SCHEMAS if backend == "postgresql" else [""]
    for schema in schemas:
        open_ledger(backend, tmp_path, url, schema).close()
        with connect(backend, url, schema) as conn:
            assert differences(conn) == []
            assert migrate.current_revision(conn, schema) == f"{store.SCHEMA_VERSION:04d}"
            assert migrate.version_mark(conn) == store.SCHEMA_VERSION


def test_upgraded_old_postgresql_ledger_agrees_with_the_model(
    postgres_server: PostgresServer, pg_url: str, connect: object, tmp_path: Path
) -> None:
    """A version 3 PostgreSQL ledger, once upgraded, is what the Table definitions describe."""
    with postgres_server.connect(pg_url.rsplit("/", 1)[1]) as raw:
        legacy_ledgers.build_postgres(raw)
    Ledger.open_url(pg_url, tmp_path / "bridge.db").close()
    with connect("postgresql", pg_url) as conn:
        assert differences(conn) == []


def _affinity(type_name: str) -> str:
    """SQLite's type affinity of a declared type (https://sqlite.org/datatype3.html 3.1)."""
    name = type_name.upper()
    if "INT" in name:
        return "INTEGER"
    if any(word in name for word in ("CHAR", "CLOB", "TEXT")):
        return "TEXT"
    return "BLOB" if "BLOB" in name or not name else "NUMERIC"


def _same_to_sqlite(diff: tuple[object, ...]) -> bool:
    """A difference SQLite itself does not make between an old ledger and a new one: a declared
    type of the same affinity (the old DDL said TEXT and INTEGER where the model says VARCHAR
    and BIGINT), the NULL SQLite's reflection reports for an old primary key column, and the
    inline ``ON DELETE CASCADE`` it does not read back (checked with PRAGMA instead)."""
    kind = diff[0]
    if kind == "modify_type":
        old, new = diff[5], diff[6]
        return _affinity(str(old)) == _affinity(str(new.compile(dialect=sqlite_dialect())))
    if kind == "modify_nullable":
        table, column = str(diff[2]), str(diff[3])
        return bool(metadata.tables[table].c[column].primary_key)
    if kind in ("remove_fk", "add_fk"):
        return diff[1].table.name == "raw_messages"
    return False


def test_upgraded_old_sqlite_ledger_agrees_with_the_model(
    connect: object, tmp_path: Path
) -> None:
    """A user_version 1 SQLite ledger, once upgraded, differs from the Table definitions only
    in ways SQLite does not tell apart; its cascade from messages to raw bytes is there."""
    legacy_ledgers.build_sqlite(tmp_path / "bridge.db", 1)
    Ledger.open(tmp_path / "bridge.db").close()
    with connect("sqlite") as conn:
        found = [d for group in differences(conn)
                 for d in (group if isinstance(group, list) else [group])]
        assert found and [d for d in found if not _same_to_sqlite(d)] == []
        fks = conn.exec_driver_sql("PRAGMA foreign_key_list(raw_messages)").fetchall()
    assert [(fk[2], fk[3], fk[6]) for fk in fks] == [("messages", "id", "CASCADE")]


def test_a_difference_is_seen(backend: str, url: str, connect: object, tmp_path: Path) -> None:
    """The comparison above can fail: a column the model lacks is reported."""
    open_ledger(backend, tmp_path, url).close()
    with connect(backend, url) as conn:
        conn.execute(text("ALTER TABLE meta ADD COLUMN stray VARCHAR"))
        conn.commit()
        assert [d[0] for d in differences(conn)] == ["remove_column"]


def test_opening_again_migrates_nothing(backend: str, url: str, tmp_path: Path,
                                        caplog: pytest.LogCaptureFixture) -> None:
    """The first open creates the ledger at the head once; a second open creates and applies
    nothing and keeps the rows."""
    caplog.set_level(logging.INFO, logger="bridge.store")
    with open_ledger(backend, tmp_path, url) as led:
        first = Maker(led).in_state(CREATED)
    created = [r.getMessage() for r in caplog.records if "ledger created" in r.getMessage()]
    assert created == [f"ledger created at version={store.SCHEMA_VERSION}"]
    assert not [r for r in caplog.records if "ledger migrated" in r.getMessage()]
    caplog.clear()
    with open_ledger(backend, tmp_path, url) as led:
        assert led.by_id(first.id) == first and led.schema_version() == store.SCHEMA_VERSION
    assert not [r for r in caplog.records if "ledger" in r.getMessage()]


def test_a_revision_newer_than_the_code_is_refused(backend: str, url: str, connect: object,
                                                   tmp_path: Path) -> None:
    """A ledger stamped with a revision this mailbridge does not ship is not opened."""
    open_ledger(backend, tmp_path, url).close()
    with connect(backend, url) as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
        conn.commit()
    with pytest.raises(StoreError, match=r"schema version 99, newer than this mailbridge "
                                         r"knows \(\d+\); upgrade mailbridge"):
        open_ledger(backend, tmp_path, url)


def test_a_revision_added_later_runs_once_and_keeps_the_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A revision appended later runs once at open, in order, on a ledger holding messages."""
    with Ledger.open(tmp_path / "bridge.db") as led:
        first = Maker(led).in_state(CREATED)
    location = tmp_path / "migrations"
    shutil.copytree(migrate.SCRIPT_LOCATION, location,
                    ignore=shutil.ignore_patterns("__pycache__"))
    number = store.SCHEMA_VERSION + 1
    (location / "versions" / f"{number:04d}_note.py").write_text(
        f'revision = "{number:04d}"\ndown_revision = "{number - 1:04d}"\n'
        "from alembic import op\n\n\ndef upgrade():\n"
        '    op.execute("ALTER TABLE messages ADD COLUMN note TEXT")\n'
        """    op.execute("UPDATE messages SET note = 'kept'")\n"""
    )
    monkeypatch.setattr(migrate, "SCRIPT_LOCATION", location)
    with Ledger.open(tmp_path / "bridge.db") as led:
        assert led.schema_version() == number
        assert led.by_id(first.id) == first
    with Ledger.open(tmp_path / "bridge.db") as led:  # not applied twice (duplicate column)
        assert led.schema_version() == number
    raw = sqlite3.connect(tmp_path / "bridge.db")
    assert raw.execute("SELECT note FROM messages").fetchall() == [("kept",)]
    raw.close()


def test_migrations_ship_inside_the_package() -> None:
    """setuptools' package discovery (pyproject's packages.find) includes the revisions."""
    from setuptools import find_packages

    root = Path(__file__).resolve().parent.parent
    found = find_packages(str(root), include=["bridge*"])
    assert {"bridge.store", "bridge.store.migrations", "bridge.store.migrations.versions"} <= set(
        found)
    shipped = sorted(p.name for p in (root / "bridge/store/migrations/versions").glob("0*.py"))
    assert [name[:4] for name in shipped] == [
        f"{n:04d}" for n in range(1, store.SCHEMA_VERSION + 1)]


def test_a_ledger_at_the_head_opens_without_importing_alembic(tmp_path: Path) -> None:
    """Only a ledger that needs migrating loads Alembic: every command's start stays as quick as
    before for a ledger that is up to date, and a new ledger is created without it too."""
    from tests.ledger_helpers import run_python

    Ledger.open(tmp_path / "bridge.db").close()
    child = run_python(
        """
        import sys
        from bridge.store import Ledger
        Ledger.open(sys.argv[1]).close()
        Ledger.open(sys.argv[2]).close()
        print("alembic" in sys.modules, "bridge.store.migrate" in sys.modules)
        """,
        str(tmp_path / "bridge.db"), str(tmp_path / "new.db"),
    )
    out, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    assert out.split() == ["False", "True"]
    assert (tmp_path / "new.db").exists()
