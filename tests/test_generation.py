"""The ledger generation: a restored, moved or replaced ledger file is always noticed.

Storage faults are made with real files: copies taken and put back, files moved and removed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.generation import generation_path_for, read_stamp, write_stamp
from bridge.store import Ledger

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[1]


def add(led: Ledger, uid: int) -> int:
    row = led.add_received("INBOX", 7, uid, None, f"id{uid}", f"origin{uid}", "s", T0, b"raw", T0)
    return row.id


def finish(led: Ledger, id: int) -> None:
    led.set_parsed(id, ["phone:+1"], "digest", T0)
    led.set_pushing(id, T0)
    led.set_created(id, 100 + id, T0)


def copy_ledger(src: Path, dst: Path) -> None:
    """What a backup takes: the ledger and its WAL, as they are on disk."""
    dst.mkdir(exist_ok=True)
    for suffix in ("", "-wal"):
        f = src.with_name(src.name + suffix)
        if f.exists():
            shutil.copy2(f, dst / f.name)


def restore_ledger(backup: Path, dst: Path) -> None:
    """Put a backup back in place (the current WAL and SHM go, as an operator would do)."""
    for suffix in ("", "-wal", "-shm"):
        dst.with_name(dst.name + suffix).unlink(missing_ok=True)
    for f in backup.iterdir():
        shutil.copy2(f, dst.parent / f.name)


def test_restored_copy_gets_a_first_pass(tmp_path: Path) -> None:
    """A copy taken before more work, put back: baselines dropped, unfinished rows marked."""
    path = tmp_path / "bridge.db"
    with Ledger.open(path) as led:
        pending = add(led, 1)
        led.set_folder_state("INBOX", 7, 1)
    copy_ledger(path, tmp_path / "backup")
    with Ledger.open(path) as led:
        finish(led, pending)  # the live ledger finished it after the copy
        led.set_folder_state("INBOX", 7, 1)
    restore_ledger(tmp_path / "backup", path)
    with Ledger.open(path) as led:
        led.begin_pass(T0)
        assert led.folder_state("INBOX") is None
        row = led.by_id(pending)
        assert row is not None and row.lookup_first and row.state == "received"


def test_the_live_ledger_after_a_kill_is_not_a_mismatch(tmp_path: Path) -> None:
    """A process killed mid-way: the ledger is the newest one; no first pass, no lookups."""
    path = tmp_path / "bridge.db"
    script = (
        "import os, sys\n"
        "from datetime import UTC, datetime\n"
        "from bridge.store import Ledger\n"
        "led = Ledger.open(sys.argv[1])\n"
        "t = datetime(2026, 12, 1, tzinfo=UTC)\n"
        "r = led.add_received('INBOX', 7, 1, None, 'i1', 'o1', 's', t, b'r', t)\n"
        "led.set_folder_state('INBOX', 7, 1)\n"
        "os.kill(os.getpid(), 9)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, str(path)], cwd=ROOT, timeout=60)
    assert proc.returncode == -9
    with Ledger.open(path) as led:
        led.begin_pass(T0)
        assert led.folder_state("INBOX") == (7, 1)
        row = led.by_id(1)
        assert row is not None and not row.lookup_first


def test_a_moved_ledger_gets_a_first_pass(tmp_path: Path) -> None:
    """A ledger moved to another path (no generation file there yet) is not trusted blindly."""
    path = tmp_path / "bridge.db"
    with Ledger.open(path) as led:
        add(led, 1)
        led.set_folder_state("INBOX", 7, 1)
    moved = tmp_path / "var" / "bridge.db"
    moved.parent.mkdir()
    path.rename(moved)
    with Ledger.open(moved) as led:
        led.begin_pass(T0)
        assert led.folder_state("INBOX") is None
        assert led.by_id(1).lookup_first


def test_another_ledger_in_its_place_gets_a_first_pass(tmp_path: Path) -> None:
    """A different ledger file copied over this one (another id) is a mismatch."""
    path, other = tmp_path / "bridge.db", tmp_path / "o" / "bridge.db"
    other.parent.mkdir()
    for p in (path, other):
        with Ledger.open(p) as led:
            led.set_folder_state("INBOX", 7, 5)
    copy_ledger(other, tmp_path / "other-backup")
    restore_ledger(tmp_path / "other-backup", path)
    with Ledger.open(path) as led:
        led.begin_pass(T0)
        assert led.folder_state("INBOX") is None


def test_a_lost_commit_after_the_stamp_counts_as_a_mismatch(tmp_path: Path) -> None:
    """The stamp is written before the commit: a commit lost after it makes a first pass."""
    path = tmp_path / "bridge.db"
    with Ledger.open(path) as led:
        led.set_folder_state("INBOX", 7, 3)
    stamp_path = generation_path_for(path)
    stamp = read_stamp(stamp_path)
    assert stamp is not None
    write_stamp(stamp_path, type(stamp)(stamp.ledger_id, stamp.sequence + 1))
    with Ledger.open(path) as led:
        led.begin_pass(T0)
        assert led.folder_state("INBOX") is None


def test_a_mismatch_is_recorded_once_then_the_ledger_leads(tmp_path: Path) -> None:
    """After the first pass is recorded, the next passes trust the ledger again."""
    path = tmp_path / "bridge.db"
    with Ledger.open(path) as led:
        led.set_folder_state("INBOX", 7, 3)
    generation_path_for(path).unlink()
    with Ledger.open(path) as led:
        led.begin_pass(T0)
        assert led.folder_state("INBOX") is None
        led.set_folder_state("INBOX", 7, 9)
        led.begin_pass(T0)
        assert led.folder_state("INBOX") == (7, 9)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(before=st.integers(0, 6), after=st.integers(1, 6), reopen=st.booleans())
def test_any_restored_copy_is_detected(
    tmp_path_factory, before: int, after: int, reopen: bool
) -> None:
    """Whatever was written before the copy, any write after it makes the copy a mismatch."""
    base = tmp_path_factory.mktemp("gen")
    path = base / "bridge.db"
    led = Ledger.open(path)
    uid = 0
    for _ in range(before):
        uid += 1
        add(led, uid)
    led.set_folder_state("INBOX", 7, uid)
    if reopen:
        led.close()
    copy_ledger(path, base / "backup")  # a live copy (ledger + WAL) when not reopened
    if reopen:
        led = Ledger.open(path)
    for _ in range(after):
        uid += 1
        led.set_meta("x", str(uid)) if uid % 2 else add(led, uid)
    led.close()
    restore_ledger(base / "backup", path)
    with Ledger.open(path) as led:
        led.begin_pass(T0 + timedelta(minutes=1))
        assert led.folder_state("INBOX") is None


def test_an_unclean_stop_has_unfinished_rows_looked_up(tmp_path: Path) -> None:
    """A processor that did not close its session (killed, or a snapshot taken while it ran)
    leaves its unfinished rows to be looked up; a clean stop leaves nothing to look up."""
    path = tmp_path / "bridge.db"
    with Ledger.open(path) as led:
        led.open_session(T0)
        unfinished = add(led, 1)
        done = add(led, 2)
        finish(led, done)
        led.close_session()
    with Ledger.open(path) as led:
        assert led.open_session(T0) == 0  # the last stop was clean
        assert not led.by_id(unfinished).lookup_first
        # no close_session: the process "dies" here
    with Ledger.open(path) as led:
        assert led.open_session(T0) == 1
        assert led.by_id(unfinished).lookup_first
        assert not led.by_id(done).lookup_first
