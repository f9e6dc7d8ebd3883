"""The PostgreSQL test fixture itself: binaries found, a private cluster that starts, accepts
connections on loopback only, runs as a non-root user, and is gone after it stops."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest

from tests.servers import postgres
from tests.servers.postgres import PostgresServer, find_bin_dir, running_server


def _make_bin(base: Path, version: str, complete: bool = True) -> Path:
    folder = base / version / "bin"
    folder.mkdir(parents=True)
    for name in ("initdb", "pg_ctl", "postgres") if complete else ("initdb",):
        (folder / name).write_text("#!/bin/sh\n")
    return folder


def test_find_bin_dir_picks_the_newest_complete_version(tmp_path: Path, monkeypatch) -> None:
    """Of Debian's versioned folders, the newest with all three binaries is used (15 < 17)."""
    monkeypatch.delenv("PG_BIN", raising=False)
    _make_bin(tmp_path, "15")
    newest = _make_bin(tmp_path, "17")
    _make_bin(tmp_path, "18", complete=False)
    (tmp_path / "common" / "bin").mkdir(parents=True)
    assert find_bin_dir(tmp_path) == newest


def test_find_bin_dir_is_none_without_postgresql(tmp_path: Path, monkeypatch) -> None:
    """No versioned folder means no binaries (the fixture then fails with the install hint)."""
    monkeypatch.delenv("PG_BIN", raising=False)
    assert find_bin_dir(tmp_path) is None


def test_cluster_accepts_connections_on_loopback_with_its_password(
    postgres_server: PostgresServer,
) -> None:
    """The session cluster answers SQL on 127.0.0.1 and refuses a wrong password."""
    with postgres_server.connect() as conn:
        row = conn.execute(
            "SELECT current_user, inet_server_addr()::text, current_setting('fsync')"
        ).fetchone()
    assert row is not None
    assert row[0] == postgres.SUPERUSER
    assert row[1].startswith("127.0.0.1")
    assert row[2] == "off"
    bad = postgres_server.conninfo().replace(postgres_server.password, "wrong")
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(bad)


def test_cluster_listens_on_loopback_only(postgres_server: PostgresServer) -> None:
    """listen_addresses is 127.0.0.1 alone, so the test cluster is never reachable from outside."""
    with postgres_server.connect() as conn:
        row = conn.execute("SELECT current_setting('listen_addresses')").fetchone()
    assert row == ("127.0.0.1",)


def test_server_process_is_not_root(postgres_server: PostgresServer) -> None:
    """The postmaster runs under a non-root uid even when the tests run as root."""
    pid = postgres_server.postmaster_pid()
    assert pid is not None
    status = Path(f"/proc/{pid}/status").read_text()
    uid = int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])
    assert uid != 0
    if os.geteuid() == 0:
        assert postgres_server.user in ("postgres", "nobody")


def test_pg_url_gives_a_fresh_database_each_time(
    postgres_server: PostgresServer, pg_url: str
) -> None:
    """Each test gets its own empty database, addressed by a postgresql+psycopg URL."""
    assert pg_url.startswith("postgresql+psycopg://")
    name = pg_url.rsplit("/", 1)[1]
    with postgres_server.connect(name) as conn:
        row = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()
    assert row == (0,)


def test_running_server_stops_and_removes_everything() -> None:
    """A second cluster starts, serves a query, and after the context neither its process nor
    its folder is left."""
    with running_server() as server:
        root = server.root
        pid = server.postmaster_pid()
        with server.connect() as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        assert pid is not None and Path(f"/proc/{pid}").exists()
    assert not root.exists()
    assert not postgres._alive(pid)
