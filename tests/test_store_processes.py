"""The ledger and the instance lock with real second processes (both backends for the ledger)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from bridge.errors import LockHeld
from bridge.lock import InstanceLock, lock_path_for
from bridge.store import PARSED, Ledger
from tests.ledger_helpers import T0, run_python

# --------------------------------------------------------------------------- two processes

_WRITER = """
    import sys
    from datetime import UTC, datetime
    from bridge.store import Ledger
    path, tag, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    t = datetime(2026, 11, 30, tzinfo=UTC)
    if path.startswith("postgresql+psycopg://"):
        led = Ledger.open_url(path, sys.argv[4])  # this host's files (generation stamp)
    else:
        led = Ledger.open(path)
    for i in range(n):
        r = led.add_received(tag, 1, i + 1, None, f"{tag}{i}", f"{tag}{i}", "s", t, b"x", t)
        led.set_parsed(r.id, [f"phone:{tag}{i}"], "d", t)
        led.set_meta(tag, str(i))
        led.counts()
    if tag == "crash":
        import os
        os._exit(0)  # no close(): a kill right after the last commit
    led.close()
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a child process opens the ledger: the SQLite file, or a fresh PostgreSQL database."""
    if request.param == "postgresql":
        return str(request.getfixturevalue("pg_url"))
    return str(tmp_path / "bridge.db")


def open_target(target: str, tmp_path: Path) -> Ledger:
    if target.startswith("postgresql+psycopg://"):
        return Ledger.open_url(target, tmp_path / "bridge.db")
    return Ledger.open(target)


def test_two_processes_write_one_ledger(target: str, tmp_path: Path) -> None:
    """Two processes opening a new ledger at once and writing to it both succeed, nothing lost."""
    procs = [run_python(_WRITER, target, tag, "40", str(tmp_path / "bridge.db"))
             for tag in ("a", "b")]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    with open_target(target, tmp_path) as led:
        assert led.counts()[PARSED] == 80
        assert led.get_meta("a") == "39" and led.get_meta("b") == "39"


def test_commits_survive_a_killed_process(target: str, tmp_path: Path) -> None:
    """Every step a process committed is there after it exits without closing the ledger."""
    p = run_python(_WRITER, target, "crash", "3", str(tmp_path / "bridge.db"))
    _, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    with open_target(target, tmp_path) as led:
        assert [r.state for r in led.due(T0)] == [PARSED, PARSED, PARSED]


def test_status_reads_while_another_process_writes(target: str, tmp_path: Path) -> None:
    """A reader in this process works while a second process keeps writing."""
    with open_target(target, tmp_path) as led:
        writer = run_python(_WRITER, target, "w", "25", str(tmp_path / "bridge.db"))
        reads = 0
        while writer.poll() is None:
            led.counts()
            led.recent_errors()
            reads += 1
        _, err = writer.communicate(timeout=60)
        assert writer.returncode == 0, err
        assert led.counts()[PARSED] == 25 and reads > 0


# --------------------------------------------------------------------------- the lock

_HOLDER = """
    import sys, time
    from pathlib import Path
    from bridge.lock import InstanceLock
    lock = InstanceLock(Path(sys.argv[1]))
    lock.acquire(wait=30)
    print("locked", flush=True)
    if sys.argv[2] == "hold":
        sys.stdin.readline()  # until the test closes stdin or kills us
    else:
        time.sleep(float(sys.argv[2]))
    lock.release()
    print("released", flush=True)
"""


def start_holder(ledger_path: Path, mode: str) -> subprocess.Popen[str]:
    p = run_python(_HOLDER, str(ledger_path), mode, stdin=subprocess.PIPE)
    assert p.stdout is not None and p.stdout.readline().strip() == "locked"
    return p


def test_lock_file_sits_beside_the_ledger(tmp_path: Path) -> None:
    """InstanceLock(bridge.db) locks bridge.db.lock; a .lock path is taken as it is."""
    assert InstanceLock(tmp_path / "bridge.db").path == tmp_path / "bridge.db.lock"
    assert lock_path_for(tmp_path / "x.lock") == tmp_path / "x.lock"


def test_lock_held_by_another_process_names_its_pid(tmp_path: Path) -> None:
    """While another process holds the lock, acquire raises LockHeld with that pid."""
    holder = start_holder(tmp_path / "bridge.db", "hold")
    try:
        lock = InstanceLock(tmp_path / "bridge.db")
        with pytest.raises(LockHeld, match=f"pid {holder.pid}"):
            lock.acquire()
        assert not lock.held and lock.holder_pid() == holder.pid
        started = time.monotonic()
        with pytest.raises(LockHeld, match=r"waited 0\.5 s"):
            lock.acquire(wait=0.5)
        assert time.monotonic() - started >= 0.5
    finally:
        holder.kill()
        holder.communicate()


def test_lock_is_released_when_the_holder_is_killed(tmp_path: Path) -> None:
    """SIGKILL of the holder frees the lock; the next process gets it and writes its own pid."""
    holder = start_holder(tmp_path / "bridge.db", "hold")
    holder.send_signal(signal.SIGKILL)
    holder.communicate()
    lock = InstanceLock(tmp_path / "bridge.db")
    lock.acquire(wait=10)
    try:
        assert lock.held and lock.holder_pid() == os.getpid()
    finally:
        lock.release()
    assert not lock.held


def test_waiting_acquire_gets_the_lock_when_released(tmp_path: Path) -> None:
    """acquire(wait) keeps polling and succeeds once the holder lets go."""
    holder = start_holder(tmp_path / "bridge.db", "0.5")
    lock = InstanceLock(tmp_path / "bridge.db")
    lock.acquire(wait=30)
    try:
        assert lock.holder_pid() == os.getpid()
    finally:
        lock.release()
    out, _ = holder.communicate(timeout=30)
    assert holder.returncode == 0 and "released" in out


def test_lock_is_not_reentrant_and_context_manager_releases(tmp_path: Path) -> None:
    """A second acquire on the same object is a bug; `with` releases for the next user."""
    with InstanceLock(tmp_path / "bridge.db") as lock:
        with pytest.raises(RuntimeError):
            lock.acquire()
        with pytest.raises(LockHeld):
            InstanceLock(tmp_path / "bridge.db").acquire()
    with InstanceLock(tmp_path / "bridge.db") as again:
        assert again.held


