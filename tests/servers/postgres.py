"""A private PostgreSQL cluster on loopback for the tests.

``PostgresServer(root)`` runs ``initdb`` into ``<root>/data`` and ``pg_ctl start`` on a free
port, listening on 127.0.0.1 only (its Unix socket in ``<root>``, nothing from /etc/postgresql
is read), with settings that trade durability for speed (``fsync=off``: a crashed test
cluster is thrown away anyway). PostgreSQL refuses to run as root and CI runs as root, so under
root every server command runs through ``runuser -u postgres`` (or ``nobody`` when Debian's
``postgres`` user is missing); the binaries are the versioned ones Debian installs
(``/usr/lib/postgresql/15/bin`` on Debian 12, ``.../17/bin`` on Debian 13), the newest found.

The superuser is ``mailbridge`` with a random password; TCP logins need that password
(scram-sha-256), so a test that puts the password into ``store.url`` exercises a real secret.

Fixtures: ``postgres_server`` (session scope: one cluster per test run, stopped and its folder
removed at the end) and ``pg_url`` (function scope: a fresh, empty database on it, as a
``postgresql+psycopg://`` URL).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import re
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.servers.ports import free_port

HOST = "127.0.0.1"
SUPERUSER = "mailbridge"
PORT_ATTEMPTS = 5
START_TIMEOUT = 60  # seconds pg_ctl waits for the server (a catch-a-hang bound)
STOP_TIMEOUT = 30
# Settings for a throw-away cluster: no durability, little memory, no background noise.
FAST_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "shared_buffers": "16MB",
    "max_connections": "50",
    "autovacuum": "off",
    "log_min_messages": "warning",
    "logging_collector": "off",
}


class PostgresError(RuntimeError):
    """The test cluster could not do what was asked; the message carries the log tail."""


def missing_message() -> str:
    return (
        "PostgreSQL is not installed: the ledger tests need a real server. Install it with "
        "`apt-get install -y --no-install-recommends postgresql` (.ci/run does this)."
    )


def find_bin_dir(base: Path = Path("/usr/lib/postgresql")) -> Path | None:
    """The newest ``<base>/<version>/bin`` that has initdb, pg_ctl and postgres.

    ``PG_BIN`` in the environment names another folder (a source build, another layout)."""
    override = os.environ.get("PG_BIN")
    if override:
        return Path(override)
    found: list[tuple[int, Path]] = []
    for candidate in base.glob("*/bin"):
        version = candidate.parent.name
        if not re.fullmatch(r"\d+", version):
            continue
        if all((candidate / b).is_file() for b in ("initdb", "pg_ctl", "postgres")):
            found.append((int(version), candidate))
    return max(found)[1] if found else None


def run_as_user() -> str | None:
    """Who runs the server: None (ourselves) unless we are root; then postgres or nobody."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise PostgresError("running as root and neither a postgres nor a nobody user exists")


def fast_tmpdir() -> str | None:
    """/dev/shm when it exists (a RAM disk keeps initdb fast), else the default."""
    return "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


class PostgresServer:
    """One private cluster; ``start()``/``stop()``, ``url(db)``, ``connect(db)``."""

    def __init__(self, root: Path, bin_dir: Path | None = None) -> None:
        found = bin_dir or find_bin_dir()
        if found is None:
            raise PostgresError(missing_message())
        self.bin_dir = found
        self.root = root
        self.data = root / "data"
        self.log = root / "postgres.log"
        self.user = run_as_user()
        self.password = secrets.token_hex(12)
        self.port = 0
        self.running = False

    # -- commands -------------------------------------------------------------------------

    def _cmd(self, binary: str, *args: str) -> list[str]:
        full = [str(self.bin_dir / binary), *args]
        if self.user is None:
            return full
        return ["runuser", "-u", self.user, "--", *full]

    def _run(self, binary: str, *args: str, timeout: float = 120) -> None:
        r = subprocess.run(
            self._cmd(binary, *args),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=self.root,  # runuser keeps the cwd; the server user must be able to enter it
        )
        if r.returncode != 0:
            raise PostgresError(
                f"{binary} {' '.join(args[:2])} failed ({r.returncode}): "
                f"{r.stderr.strip()}\n{self.log_tail()}"
            )

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    # -- lifecycle ------------------------------------------------------------------------

    def _init(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.password + "\n")
        os.chmod(pwfile, 0o600)
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
            os.chown(pwfile, entry.pw_uid, entry.pw_gid)
        self._run(
            "initdb", "-D", str(self.data), "-U", SUPERUSER, f"--pwfile={pwfile}",
            "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8",
            "--locale=C", "--no-sync",
        )  # fmt: skip
        pwfile.unlink()
        conf = self.data / "postgresql.conf"
        extra = dict(FAST_SETTINGS, listen_addresses=f"'{HOST}'")
        extra["unix_socket_directories"] = f"'{self.root}'"
        with conf.open("a") as f:
            f.write("\n# test fixture\n")
            for key, value in extra.items():
                f.write(f"{key} = {value}\n")

    def start(self) -> PostgresServer:
        """initdb (once), then start on a free port and wait until it accepts connections."""
        if self.running:
            return self
        if not (self.data / "PG_VERSION").exists():
            self._init()
        last: PostgresError | None = None
        for _attempt in range(PORT_ATTEMPTS):
            self.port = free_port(HOST)
            try:
                self._run(
                    "pg_ctl", "start", "-w", "-t", str(START_TIMEOUT), "-D", str(self.data),
                    "-l", str(self.log), "-o", f"-p {self.port}",
                    timeout=START_TIMEOUT + 10,
                )  # fmt: skip
                self.running = True
                return self
            except PostgresError as exc:
                last = exc
                if "Address already in use" not in self.log_tail():
                    raise
        raise PostgresError(f"no free port after {PORT_ATTEMPTS} attempts: {last}")

    def stop(self) -> None:
        """Fast shutdown (sessions are ended, nothing is waited for)."""
        if not self.running:
            return
        pid = self.postmaster_pid()
        self._run("pg_ctl", "stop", "-w", "-m", "fast", "-D", str(self.data),
                  timeout=STOP_TIMEOUT)  # fmt: skip
        self.running = False
        # pg_ctl returns once postmaster.pid is gone; the process may take a moment to exit
        deadline = time.monotonic() + STOP_TIMEOUT
        while pid is not None and _alive(pid):
            if time.monotonic() > deadline:
                raise PostgresError(f"postmaster {pid} still runs after pg_ctl stop")
            time.sleep(0.02)

    def postmaster_pid(self) -> int | None:
        """The running server's pid from ``postmaster.pid``, or None."""
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    # -- clients --------------------------------------------------------------------------

    def url(self, database: str = "postgres") -> str:
        """A ``postgresql+psycopg://`` URL with the superuser's password in it."""
        return (
            f"postgresql+psycopg://{SUPERUSER}:{quote(self.password, safe='')}"
            f"@{HOST}:{self.port}/{database}"
        )

    def conninfo(self, database: str = "postgres") -> str:
        return (
            f"host={HOST} port={self.port} user={SUPERUSER} "
            f"password={self.password} dbname={database} connect_timeout=10"
        )

    def connect(self, database: str = "postgres"):  # type: ignore[no-untyped-def]  # psycopg is imported lazily
        import psycopg

        return psycopg.connect(self.conninfo(database), autocommit=True)

    def create_database(self, name: str) -> str:
        """A new empty database; returns its URL."""
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise ValueError(f"not a plain database name: {name!r}")
        with self.connect() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting for its parent counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2 :].split()[0] not in ("Z", "X")


@contextlib.contextmanager
def running_server() -> Iterator[PostgresServer]:
    """A started cluster in a fresh temp folder; stopped and removed on exit."""
    root = Path(tempfile.mkdtemp(prefix="pg-", dir=fast_tmpdir()))
    server = None
    try:
        server = PostgresServer(root)
        server.start()
        yield server
    finally:
        try:
            if server is not None:
                server.stop()
        finally:
            shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One private PostgreSQL cluster for the whole test run."""
    try:
        with running_server() as server:
            yield server
    except PostgresError as exc:
        pytest.fail(str(exc))


_db_counter = itertools.count(1)


@pytest.fixture
def pg_url(postgres_server: PostgresServer) -> str:
    """A fresh empty database on the session's cluster, as a postgresql+psycopg URL."""
    name = f"t{os.getpid()}_{next(_db_counter)}_{int(time.time() * 1000) % 100000}"
    return postgres_server.create_database(name)
