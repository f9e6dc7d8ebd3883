"""Opening the SQLite ledger: folders, WAL, 0600, refusals of what is not a ledger of ours."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bridge import store
from bridge.errors import StoreError
from bridge.store import RECEIVED, Ledger


def test_open_creates_folders_and_a_wal_ledger(tmp_path: Path) -> None:
    """Opening a path in missing folders creates them and a WAL-mode file at the newest schema."""
    path = tmp_path / "var" / "lib" / "bridge.db"
    with Ledger.open(path) as led:
        assert led.schema_version() == store.SCHEMA_VERSION
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"messages", "raw_messages", "folders", "meta"} <= tables
    raw.close()


def test_garbage_file_is_a_store_error(tmp_path: Path) -> None:
    """A file that is not SQLite gives a StoreError naming the file."""
    path = tmp_path / "bridge.db"
    path.write_bytes(b"this is not a database at all, just text" * 100)
    with pytest.raises(StoreError, match="not a database") as info:
        Ledger.open(path)
    assert str(path) in str(info.value)


def test_another_programs_database_is_refused(tmp_path: Path) -> None:
    """An SQLite file with foreign tables and no schema version is not taken over."""
    path = tmp_path / "other.db"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE invoices (id INTEGER)")
    raw.commit()
    raw.close()
    with pytest.raises(StoreError, match="another program"):
        Ledger.open(path)


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    """A ledger written by a newer mailbridge is refused with an upgrade hint."""
    path = tmp_path / "bridge.db"
    Ledger.open(path).close()
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA user_version = {store.SCHEMA_VERSION + 5}")
    raw.close()
    with pytest.raises(StoreError, match="upgrade mailbridge"):
        Ledger.open(path)


def test_unusable_folder_is_a_store_error(tmp_path: Path) -> None:
    """A ledger path below a plain file cannot be created: StoreError naming the path."""
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError, match="cannot create its folder"):
        Ledger.open(tmp_path / "file" / "bridge.db")


def test_odd_characters_in_the_path(tmp_path: Path) -> None:
    """A ledger in a folder whose name has URL characters (?, #, %, spaces) opens and works."""
    path = tmp_path / "data ?#%20 dir" / "bridge.db"
    with Ledger.open(path) as led:
        led.set_meta("k", "v")
    assert path.is_file()


def test_folder_path_is_refused(tmp_path: Path) -> None:
    """A ledger path that is a folder is a StoreError."""
    with pytest.raises(StoreError, match="folder"):
        Ledger.open(tmp_path)


@pytest.mark.parametrize("kind", ["zero-byte file", "empty sqlite file"])
def test_migrations_run_from_version_0_on_an_existing_file(tmp_path: Path, kind: str) -> None:
    """An existing file at user_version 0 (empty, or SQLite without tables) is migrated."""
    path = tmp_path / "bridge.db"
    if kind == "zero-byte file":
        path.write_bytes(b"")
    else:
        raw = sqlite3.connect(path)
        raw.execute("PRAGMA user_version = 0")
        raw.execute("VACUUM")
        raw.close()
    with Ledger.open(path) as led:
        assert led.schema_version() == store.SCHEMA_VERSION
        assert led.counts()[RECEIVED] == 0

