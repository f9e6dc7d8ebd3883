"""The SQLite ledger and the instance lock, on real files and with real second processes."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from bridge import store
from bridge.errors import LockHeld, StoreError
from bridge.lock import InstanceLock, lock_path_for
from bridge.store import (
    CREATED,
    DUPLICATE,
    FAILED,
    PARSED,
    PUSHING,
    QUARANTINED,
    RECEIVED,
    SKIPPED,
    STATES,
    TRANSITIONS,
    Ledger,
    MessageRecord,
)

REPO = Path(__file__).resolve().parent.parent
T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    """The ledger on each backend: the SQLite file, and a fresh PostgreSQL database."""
    if request.param == "postgresql":
        led = Ledger.open_url(request.getfixturevalue("pg_url"), tmp_path / "bridge.db")
    else:
        led = Ledger.open(tmp_path / "bridge.db")
    yield led
    led.close()


class Maker:
    """Adds messages with distinct keys and identities."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.uid = 0

    def add(self, *, at: datetime = T0, msg_date: datetime | None = T0, folder: str = "INBOX",
            identity: str | None = None, subject: str = "Заявка") -> MessageRecord:
        self.uid += 1
        return self.ledger.add_received(
            folder, 7, self.uid, f"<m{self.uid}@site.ru>", identity or f"id-{self.uid}",
            f"origin-{self.uid}", subject, msg_date, f"raw {self.uid}".encode(), at,
        )

    def in_state(self, state: str, **kw: object) -> MessageRecord:
        """A new message driven along legal transitions into ``state``."""
        led = self.ledger
        r = self.add(**kw)  # type: ignore[arg-type]
        if state == RECEIVED:
            return r
        if state in (FAILED, QUARANTINED, SKIPPED):
            return {
                FAILED: lambda: led.set_failed(r.id, "timeout", T0 + timedelta(minutes=1), T0),
                QUARANTINED: lambda: led.set_quarantined(r.id, "layout not recognised", T0),
                SKIPPED: lambda: led.set_skipped(r.id, "bounce", T0),
            }[state]()
        r = led.set_parsed(r.id, [f"phone:+7900{r.id:07d}"], f"digest-{r.id}", T0)
        if state == PARSED:
            return r
        if state == DUPLICATE:
            first = self.in_state(CREATED)
            return led.set_duplicate(r.id, first.id, first.lead_id, T0)
        r = led.set_pushing(r.id, T0)
        if state == PUSHING:
            return r
        return led.set_created(r.id, 1000 + r.id, T0)


@pytest.fixture
def make(ledger: Ledger) -> Maker:
    return Maker(ledger)


def run_python(code: str, *args: str, **kw: object) -> subprocess.Popen[str]:
    """Start a real second Python process that can import bridge."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen(  # type: ignore[call-overload,no-any-return]
        [sys.executable, "-c", textwrap.dedent(code), *args],
        env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw,
    )


# --------------------------------------------------------------------------- opening


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


def test_a_later_migration_keeps_the_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A migration appended later runs once at open, in order, on a ledger holding messages."""
    path = tmp_path / "bridge.db"
    with Ledger.open(path) as led:
        first = Maker(led).in_state(CREATED)
    extra = ("ALTER TABLE messages ADD COLUMN note TEXT", "UPDATE messages SET note = 'kept'")
    monkeypatch.setattr(store, "MIGRATIONS", (*store.MIGRATIONS, extra))
    with Ledger.open(path) as led:
        assert led.schema_version() == store.SCHEMA_VERSION + 1
        assert led.by_id(first.id) == first
    with Ledger.open(path) as led:  # not applied twice (it would fail: duplicate column)
        assert led.schema_version() == store.SCHEMA_VERSION + 1
    raw = sqlite3.connect(path)
    assert raw.execute("SELECT note FROM messages").fetchall() == [("kept",)]
    raw.close()


# --------------------------------------------------------------------------- the state machine


def test_happy_path_records_every_step(ledger: Ledger, make: Maker) -> None:
    """received -> parsed -> pushing -> created -> mailbox done, each step readable back."""
    r = make.add(subject="  Новая\n заявка  с сайта ")
    assert (r.state, r.mailbox_state, r.attempts, r.subject) == (
        RECEIVED, "pending", 0, "Новая заявка с сайта")
    assert ledger.raw(r.id) == b"raw 1"
    r = ledger.set_parsed(r.id, ["phone:+79001234567", "email:a@b.ru"], "d1", T0)
    assert r.client_keys == ("email:a@b.ru", "phone:+79001234567") and r.parsed_at == T0
    r = ledger.set_pushing(r.id, T0 + timedelta(seconds=1))
    assert r.state == PUSHING and r.push_started_at == T0 + timedelta(seconds=1)
    r = ledger.set_pushing(r.id, T0 + timedelta(seconds=9))  # resumed after a crash
    assert r.push_started_at == T0 + timedelta(seconds=1)
    r = ledger.set_created(r.id, 555, T0 + timedelta(seconds=2))
    assert (r.state, r.lead_id, r.finished) == (CREATED, 555, True)
    assert ledger.raw(r.id) == b"raw 1"  # kept until the mailbox is done
    r = ledger.set_mailbox_done(r.id, "moved", T0 + timedelta(seconds=3))
    assert (r.mailbox_state, r.mailbox_how) == ("done", "moved")
    assert ledger.raw(r.id) is None
    assert ledger.by_id(r.id) == r and ledger.by_key("INBOX", 7, r.uid) == r
    assert r.key.uid == r.uid and str(r.key) == f"INBOX/7/{r.uid}"


SETTERS: dict[str, Callable[[Ledger, int, int], MessageRecord]] = {
    PARSED: lambda led, i, other: led.set_parsed(i, ["phone:+1"], "d", T0),
    PUSHING: lambda led, i, other: led.set_pushing(i, T0),
    CREATED: lambda led, i, other: led.set_created(i, 1, T0),
    SKIPPED: lambda led, i, other: led.set_skipped(i, "bounce", T0),
    DUPLICATE: lambda led, i, other: led.set_duplicate(i, other, 1, T0),
    FAILED: lambda led, i, other: led.set_failed(i, "e", T0, T0),
    QUARANTINED: lambda led, i, other: led.set_quarantined(i, "r", T0),
}


def _allowed(r: MessageRecord, target: str) -> bool:
    if target not in TRANSITIONS[r.state]:
        return False
    if target == CREATED and r.push_started_at is None:
        return False  # no lead can exist before a push started
    return not (target in (PUSHING, DUPLICATE) and r.content_digest is None)  # parse first


@pytest.mark.parametrize("source", STATES)
def test_transition_table_is_enforced(ledger: Ledger, make: Maker, source: str) -> None:
    """From each state exactly the allowed setters work; the others raise and change nothing."""
    other = make.in_state(CREATED).id
    for target, setter in SETTERS.items():
        r = make.in_state(source)
        if _allowed(r, target):
            assert setter(ledger, r.id, other).state == target
        else:
            with pytest.raises(StoreError, match=f"cannot go from {source} to {target}"):
                setter(ledger, r.id, other)
            assert ledger.by_id(r.id) == r


def test_created_without_a_push_is_refused(ledger: Ledger, make: Maker) -> None:
    """A lead id cannot be recorded for a message no push was ever started for."""
    r = make.in_state(PARSED)
    with pytest.raises(StoreError, match="no push was started"):
        ledger.set_created(r.id, 1, T0)
    assert ledger.by_id(r.id) == r


def test_push_or_duplicate_without_parsing_is_refused(ledger: Ledger, make: Maker) -> None:
    """A message that failed before it was parsed must be parsed before pushing or a duplicate."""
    first = make.in_state(CREATED)
    f = ledger.set_failed(make.add().id, "e", T0, T0)
    with pytest.raises(StoreError, match="not parsed"):
        ledger.set_pushing(f.id, T0)
    with pytest.raises(StoreError, match="not parsed"):
        ledger.set_duplicate(f.id, first.id, first.lead_id, T0)
    assert ledger.by_id(f.id) == f


def test_lead_found_after_a_failed_push_is_recorded(ledger: Ledger, make: Maker) -> None:
    """A row that failed (or was retried) after its push began can go straight to created."""
    failed = ledger.set_failed(make.in_state(PUSHING).id, "timeout", T0, T0)
    assert ledger.set_created(failed.id, 77, T0).lead_id == 77
    retried = ledger.set_failed(make.in_state(PUSHING).id, "timeout", T0, T0)
    (r,) = ledger.retry([retried.id], at=T0)
    assert r.state == RECEIVED and r.push_started_at is not None
    assert ledger.set_created(r.id, 78, T0).state == CREATED


def test_finished_states_are_terminal() -> None:
    """created, skipped and duplicate allow no move at all."""
    assert all(not TRANSITIONS[s] for s in (CREATED, SKIPPED, DUPLICATE))


def test_unknown_message_is_a_store_error(ledger: Ledger) -> None:
    """A setter on an id that is not in the ledger raises StoreError."""
    with pytest.raises(StoreError, match="message 99 is not in the ledger"):
        ledger.set_created(99, 1, T0)


def test_duplicate_needs_an_existing_original(ledger: Ledger, make: Maker) -> None:
    """set_duplicate refuses itself and unknown originals."""
    r = make.in_state(PARSED)
    with pytest.raises(StoreError):
        ledger.set_duplicate(r.id, r.id, None, T0)
    with pytest.raises(StoreError):
        ledger.set_duplicate(r.id, 12345, None, T0)
    assert ledger.by_id(r.id) == r


def test_failed_counts_attempts_and_keeps_the_error(ledger: Ledger, make: Maker) -> None:
    """Each set_failed adds an attempt, stores the (clipped) error and the next attempt time."""
    r = make.in_state(PUSHING)
    r = ledger.set_failed(r.id, "x" * 5000, T0 + timedelta(minutes=1), T0)
    r = ledger.set_pushing(r.id, T0 + timedelta(minutes=1))
    r = ledger.set_failed(r.id, "503 QUERY_LIMIT_EXCEEDED", T0 + timedelta(minutes=3), T0)
    assert (r.state, r.attempts, r.error) == (FAILED, 2, "503 QUERY_LIMIT_EXCEEDED")
    assert r.next_attempt_at == T0 + timedelta(minutes=3)
    r = ledger.set_failed(r.id, "y" * 5000, T0 + timedelta(minutes=7), T0)
    assert r.attempts == 3 and r.error is not None and len(r.error) == store.ERROR_MAX


def test_naive_datetimes_are_refused(ledger: Ledger, make: Maker) -> None:
    """A naive datetime is a caller's bug: ValueError, nothing written."""
    r = make.add()
    with pytest.raises(ValueError, match="timezone-aware"):
        ledger.set_skipped(r.id, "bounce", datetime(2026, 1, 1))
    assert ledger.by_id(r.id) == r


def test_times_come_back_in_utc(ledger: Ledger, make: Maker) -> None:
    """A datetime in another zone is stored and returned as the same instant in UTC."""
    msk = datetime(2026, 11, 30, 15, 0, tzinfo=UTC).astimezone(
        __import__("zoneinfo").ZoneInfo("Europe/Moscow"))
    r = make.add(msg_date=msk)
    assert r.msg_date == msk and r.msg_date.tzinfo == UTC


# --------------------------------------------------------------------------- identity, keys


def test_add_received_is_idempotent_per_key(ledger: Ledger, make: Maker) -> None:
    """Adding the same folder/UIDVALIDITY/UID again returns the first row unchanged."""
    r = make.add()
    again = ledger.add_received("INBOX", 7, r.uid, None, "other", "origin-x", "s", None, b"", T0)
    assert again == r
    assert ledger.counts()[RECEIVED] == 1


def test_origin_id_is_unique(ledger: Ledger, make: Maker) -> None:
    """A second message with a taken ORIGIN_ID is refused (the caller should rebind)."""
    r = make.add()
    with pytest.raises(StoreError, match=f"already belongs to message {r.id}"):
        ledger.add_received("INBOX", 7, 500, None, "x", r.origin_id, "s", None, b"", T0)


def test_long_subject_is_truncated(ledger: Ledger, make: Maker) -> None:
    """Subjects are kept to 200 characters."""
    assert len(make.add(subject="Ж" * 500).subject) == store.SUBJECT_MAX


def test_rebind_after_uidvalidity_reset(ledger: Ledger, make: Maker) -> None:
    """A known message found under a new UIDVALIDITY/UID is moved there, keeping its state."""
    r = make.in_state(CREATED, identity="same-mail")
    found = ledger.by_identity("same-mail")
    assert found == r
    moved = ledger.rebind(r.id, "INBOX", 8, 1)
    assert (moved.uidvalidity, moved.uid, moved.state, moved.lead_id) == (8, 1, CREATED, r.lead_id)
    assert ledger.by_key("INBOX", 8, 1) == moved and ledger.by_key("INBOX", 7, r.uid) is None
    other = make.add()
    with pytest.raises(StoreError, match=f"is message {other.id}"):
        ledger.rebind(r.id, "INBOX", 7, other.uid)


def test_by_identity_returns_the_first(ledger: Ledger, make: Maker) -> None:
    """Two rows with one identity (a copy in another folder): the oldest is returned."""
    a = make.add(identity="dup")
    make.add(identity="dup", folder="Archive")
    assert ledger.by_identity("dup") == a and ledger.by_identity("none") is None


def test_folder_state_never_goes_back_within_a_uidvalidity(ledger: Ledger) -> None:
    """last_uid only grows for the same UIDVALIDITY and restarts with a new one."""
    assert ledger.folder_state("INBOX") is None
    ledger.set_folder_state("INBOX", 7, 40)
    ledger.set_folder_state("INBOX", 7, 30)
    assert ledger.folder_state("INBOX") == (7, 40)
    ledger.set_folder_state("INBOX", 8, 3)
    assert ledger.folder_state("INBOX") == (8, 3)


# --------------------------------------------------------------------------- raw bytes


def test_raw_is_kept_for_unfinished_and_dropped_when_mailbox_is_done(
    ledger: Ledger, make: Maker
) -> None:
    """Bytes stay while work is left, even when the mail vanished; go once the mailbox is done."""
    q = make.in_state(QUARANTINED)
    assert ledger.raw(q.id) == f"raw {q.uid}".encode()
    with pytest.raises(StoreError, match="only after its outcome is committed"):
        ledger.set_mailbox_done(q.id, "marked", T0)
    gone = ledger.set_mailbox_gone(q.id, T0)
    assert gone.mailbox_state == "gone" and ledger.raw(q.id) is not None
    s = make.in_state(SKIPPED)
    ledger.set_mailbox_done(s.id, "marked", T0)
    assert ledger.raw(s.id) is None
    c = make.in_state(CREATED)
    ledger.set_mailbox_gone(c.id, T0)
    assert ledger.raw(c.id) is None


# --------------------------------------------------------------------------- double click


def _parsed(ledger: Ledger, make: Maker, keys: list[str], digest: str, date: datetime | None,
            state: str = CREATED) -> MessageRecord:
    r = make.add(msg_date=date)
    r = ledger.set_parsed(r.id, keys, digest, T0)
    if state in (PUSHING, CREATED):
        r = ledger.set_pushing(r.id, T0)
    if state == CREATED:
        r = ledger.set_created(r.id, 7000 + r.id, T0)
    if state == SKIPPED:
        r = ledger.set_skipped(r.id, "spam", T0)
    return r


def test_double_click_found_within_window(ledger: Ledger, make: Maker) -> None:
    """Same digest, one shared client key, Date within the window: the first message matches."""
    first = _parsed(ledger, make, ["phone:+79001112233", "email:a@b.ru"], "D", T0)
    second = _parsed(ledger, make, ["email:a@b.ru"], "D", T0 + timedelta(minutes=4), PARSED)
    found = ledger.find_double_click(
        ["email:a@b.ru"], "D", second.msg_date, timedelta(minutes=10), exclude_id=second.id)
    assert found == first


@pytest.mark.parametrize(
    ("keys", "digest", "offset_min"),
    [
        (["email:a@b.ru"], "OTHER", 1),  # other content
        (["phone:+70000000000"], "D", 1),  # no shared client key
        (["email:a@b.ru"], "D", 11),  # outside the window
        (["email:a@b.ru"], "D", -11),  # outside, before
        ([], "D", 1),  # no client keys at all
    ],
)
def test_double_click_needs_all_conditions(
    ledger: Ledger, make: Maker, keys: list[str], digest: str, offset_min: int
) -> None:
    """Other content, no shared key, or a Date outside the window is not a double click."""
    _parsed(ledger, make, ["email:a@b.ru"], "D", T0)
    date = T0 + timedelta(minutes=offset_min)
    assert ledger.find_double_click(keys, digest, date, timedelta(minutes=10)) is None


def test_double_click_ignores_self_unsent_and_undated(ledger: Ledger, make: Maker) -> None:
    """The message itself, skipped/parsed ones and a missing Date never match."""
    me = _parsed(ledger, make, ["email:a@b.ru"], "D", T0)
    window = timedelta(minutes=10)
    assert ledger.find_double_click(["email:a@b.ru"], "D", T0, window, exclude_id=me.id) is None
    _parsed(ledger, make, ["phone:+1"], "E", T0, SKIPPED)
    _parsed(ledger, make, ["phone:+1"], "E", T0, PARSED)
    assert ledger.find_double_click(["phone:+1"], "E", T0, window) is None
    assert ledger.find_double_click(["email:a@b.ru"], "D", None, window) is None
    assert ledger.find_double_click(["email:a@b.ru"], "D", T0, timedelta(0)) is None


def test_triple_click_points_at_the_original(ledger: Ledger, make: Maker) -> None:
    """A third click matching only the second (a duplicate) returns the first, original lead."""
    first = _parsed(ledger, make, ["email:a@b.ru"], "D", T0)
    second = _parsed(ledger, make, ["email:a@b.ru"], "D", T0 + timedelta(minutes=8), PARSED)
    ledger.set_duplicate(second.id, first.id, first.lead_id, T0)
    third_date = T0 + timedelta(minutes=16)  # 16 min after the first, 8 after the second
    found = ledger.find_double_click(["email:a@b.ru"], "D", third_date, timedelta(minutes=10))
    assert found is not None and found.id == first.id and found.lead_id == first.lead_id


def test_double_click_of_a_message_whose_push_failed_for_now(
    ledger: Ledger, make: Maker
) -> None:
    """A first message waiting for a retry (failed) counts: its retry makes the one lead."""
    first = _parsed(ledger, make, ["phone:+79001112233"], "D", T0, PUSHING)
    ledger.set_failed(first.id, "503", T0 + timedelta(minutes=1), T0)
    found = ledger.find_double_click(["phone:+79001112233"], "D", T0, timedelta(minutes=10))
    assert found is not None and found.id == first.id


def test_double_click_of_a_message_still_pushing(ledger: Ledger, make: Maker) -> None:
    """A first message whose lead is still being created counts (no second lead races it)."""
    first = _parsed(ledger, make, ["phone:+79001112233"], "D", T0, PUSHING)
    found = ledger.find_double_click(["phone:+79001112233"], "D", T0, timedelta(minutes=10))
    assert found == first and found.lead_id is None


# --------------------------------------------------------------------------- due, retry, status


def test_due_lists_what_needs_work(ledger: Ledger, make: Maker) -> None:
    """due() has crash leftovers, failures whose time came and finished mail not yet marked."""
    received = make.in_state(RECEIVED)
    parsed = make.in_state(PARSED)
    pushing = make.in_state(PUSHING)
    failed_now = make.in_state(FAILED)  # next attempt at T0 + 1 min
    failed_later = ledger.set_failed(
        make.in_state(PUSHING).id, "e", T0 + timedelta(hours=1), T0)
    created_pending = make.in_state(CREATED)
    created_done = make.in_state(CREATED)
    ledger.set_mailbox_done(created_done.id, "moved", T0)
    quarantined = make.in_state(QUARANTINED)
    skipped = make.in_state(SKIPPED)
    duplicate = make.in_state(DUPLICATE)  # also makes an original, created, mailbox pending

    due = [r.id for r in ledger.due(T0 + timedelta(minutes=1))]
    expected = [received.id, parsed.id, pushing.id, failed_now.id, created_pending.id,
                skipped.id, duplicate.duplicate_of, duplicate.id]
    assert due == sorted(expected)
    assert failed_later.id not in due and quarantined.id not in due and created_done.id not in due
    assert failed_now.id not in [r.id for r in ledger.due(T0)]


def test_retry_makes_failed_and_quarantined_due_now(ledger: Ledger, make: Maker) -> None:
    """retry(ids) puts failed/quarantined messages back to received with attempts reset."""
    q = make.in_state(QUARANTINED)
    f = ledger.set_failed(make.in_state(PUSHING).id, "e", T0 + timedelta(days=1), T0)
    c = make.in_state(CREATED)
    changed = ledger.retry([q.id, c.id, 999], at=T0)
    assert [r.id for r in changed] == [q.id]
    assert (changed[0].state, changed[0].reason) == (RECEIVED, "layout not recognised")
    assert q.id in [r.id for r in ledger.due(T0)] and f.id not in [r.id for r in ledger.due(T0)]
    again = ledger.retry(None, at=T0)
    assert [r.id for r in again] == [f.id]
    assert (again[0].state, again[0].attempts, again[0].next_attempt_at) == (RECEIVED, 0, None)
    assert again[0].push_started_at is not None  # a lead may exist: look it up before sending
    assert ledger.raw(f.id) is not None
    assert ledger.retry([], at=T0) == [] and ledger.retry(None, at=T0) == []
    assert ledger.by_id(c.id) == c


def test_retried_message_walks_the_machine_again(ledger: Ledger, make: Maker) -> None:
    """A quarantined message, once retried, is parsed and created as usual."""
    q = make.in_state(QUARANTINED)
    (r,) = ledger.retry([q.id], at=T0)
    r = ledger.set_parsed(r.id, ["phone:+1"], "d", T0)
    r = ledger.set_pushing(r.id, T0)
    assert ledger.set_created(r.id, 5, T0).state == CREATED


def test_counts_errors_and_oldest_waiting(ledger: Ledger, make: Maker) -> None:
    """Status numbers: every state counted, newest errors first, oldest waiting item's age."""
    assert ledger.counts() == dict.fromkeys(STATES, 0)
    assert ledger.oldest_waiting(T0) is None
    make.in_state(CREATED, at=T0 - timedelta(hours=5))  # mailbox pending: still waiting
    done = make.in_state(CREATED, at=T0 - timedelta(hours=9))
    ledger.set_mailbox_done(done.id, "marked", T0)
    make.in_state(QUARANTINED, at=T0 - timedelta(days=3))  # waits for a person, not counted
    f1 = make.in_state(FAILED, at=T0 - timedelta(hours=1))
    f2 = ledger.set_failed(make.in_state(PUSHING).id, "later error", T0, T0 + timedelta(seconds=5))
    counts = ledger.counts()
    assert (counts[CREATED], counts[FAILED], counts[QUARANTINED], counts[PUSHING]) == (2, 2, 1, 0)
    errors = ledger.recent_errors()
    assert [r.id for r in errors][:2] == [f2.id, f1.id] and len(errors) == 3
    assert len(ledger.recent_errors(limit=1)) == 1
    assert ledger.oldest_waiting(T0) == timedelta(hours=5)


def test_all_messages_oldest_first(ledger: Ledger, make: Maker) -> None:
    """all_messages lists every row by id; a limit keeps the newest ones."""
    ids = [make.add().id for _ in range(4)]
    assert [r.id for r in ledger.all_messages()] == ids
    assert [r.id for r in ledger.all_messages(limit=2)] == ids[2:]


def test_meta_values(ledger: Ledger) -> None:
    """get_meta/set_meta keep one value per key, overwritten by the last write."""
    assert ledger.get_meta("last_poll_at") is None
    assert ledger.get_meta("last_poll_at", "never") == "never"
    ledger.set_meta("last_poll_at", "2026-11-30T12:00:00+00:00")
    ledger.set_meta("last_poll_at", "2026-11-30T12:01:00+00:00")
    assert ledger.get_meta("last_poll_at") == "2026-11-30T12:01:00+00:00"


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


# --------------------------------------------------------------------------- model check


class LedgerAgainstModel(RuleBasedStateMachine):
    """Random sequences of ledger calls agree with a plain-Python model of the rules."""

    ids = Bundle("ids")

    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="ledger-model-"))
        self.led = Ledger.open(self.dir / "bridge.db")
        self.model: dict[int, dict[str, object]] = {}
        self.n = 0
        self.now = T0

    def teardown(self) -> None:
        self.led.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def _expect(self, i: int, target: str, ok: bool, call: Callable[[], MessageRecord]) -> None:
        m = self.model[i]
        before = self.led.by_id(i)
        if ok and target in TRANSITIONS[str(m["state"])]:
            r = call()
            assert r.state == target
            m["state"] = target
        else:
            with pytest.raises(StoreError):
                call()
            assert self.led.by_id(i) == before

    @rule(target=ids)
    def add(self) -> int:
        self.n += 1
        r = self.led.add_received("INBOX", 1, self.n, None, f"i{self.n}", f"o{self.n}", "s",
                                  T0, b"raw", self.now)
        self.model[r.id] = {"state": RECEIVED, "digest": False, "pushed": False,
                            "mailbox": "pending", "next": None}
        return r.id

    @rule(i=ids)
    def parse(self, i: int) -> None:
        self._expect(i, PARSED, True, lambda: self.led.set_parsed(i, ["phone:+1"], "d", self.now))
        if self.model[i]["state"] == PARSED:
            self.model[i]["digest"] = True

    @rule(i=ids)
    def push(self, i: int) -> None:
        ok = bool(self.model[i]["digest"])
        self._expect(i, PUSHING, ok, lambda: self.led.set_pushing(i, self.now))
        if ok and self.model[i]["state"] == PUSHING:
            self.model[i]["pushed"] = True

    @rule(i=ids)
    def create(self, i: int) -> None:
        ok = bool(self.model[i]["pushed"])
        self._expect(i, CREATED, ok, lambda: self.led.set_created(i, 9, self.now))

    @rule(i=ids)
    def skip(self, i: int) -> None:
        self._expect(i, SKIPPED, True, lambda: self.led.set_skipped(i, "bounce", self.now))

    @rule(i=ids, of=ids)
    def duplicate(self, i: int, of: int) -> None:
        ok = bool(self.model[i]["digest"]) and i != of
        self._expect(i, DUPLICATE, ok, lambda: self.led.set_duplicate(i, of, None, self.now))

    @rule(i=ids, minutes=st.integers(0, 3))
    def fail(self, i: int, minutes: int) -> None:
        when = self.now + timedelta(minutes=minutes)
        self._expect(i, FAILED, True, lambda: self.led.set_failed(i, "e", when, self.now))
        if self.model[i]["state"] == FAILED:
            self.model[i]["next"] = when

    @rule(i=ids)
    def quarantine(self, i: int) -> None:
        self._expect(i, QUARANTINED, True, lambda: self.led.set_quarantined(i, "r", self.now))

    @rule(i=ids)
    def mailbox_done(self, i: int) -> None:
        m = self.model[i]
        if m["state"] in store.FINISHED:
            assert self.led.set_mailbox_done(i, "moved", self.now).mailbox_state == "done"
            m["mailbox"] = "done"
        else:
            with pytest.raises(StoreError):
                self.led.set_mailbox_done(i, "moved", self.now)

    @rule(i=ids)
    def mailbox_gone(self, i: int) -> None:
        self.led.set_mailbox_gone(i, self.now)
        self.model[i]["mailbox"] = "gone"

    @rule(chosen=st.lists(ids, max_size=3) | st.none())
    def retry(self, chosen: list[int] | None) -> None:
        changed = {r.id for r in self.led.retry(chosen, at=self.now)}
        pool = self.model if chosen is None else {i: self.model[i] for i in chosen}
        expected = {i for i, m in pool.items() if m["state"] in (FAILED, QUARANTINED)}
        assert changed == expected
        for i in expected:
            self.model[i].update(state=RECEIVED, next=None)

    @rule()
    def tick(self) -> None:
        self.now += timedelta(minutes=1)

    @invariant()
    def agrees(self) -> None:
        counts = dict.fromkeys(STATES, 0)
        due = set()
        for i, m in self.model.items():
            state = str(m["state"])
            counts[state] += 1
            finished = state in store.FINISHED
            keeps_raw = not (finished and m["mailbox"] in ("done", "gone"))
            assert (self.led.raw(i) is not None) == keeps_raw, (i, m)
            nxt = m["next"]
            if (state in store.IN_PROGRESS
                    or (state == FAILED and (nxt is None or nxt <= self.now))  # type: ignore[operator]
                    or (finished and m["mailbox"] == "pending")):
                due.add(i)
        assert self.led.counts() == counts
        assert [r.id for r in self.led.due(self.now)] == sorted(due)


TestLedgerAgainstModel = LedgerAgainstModel.TestCase
TestLedgerAgainstModel.settings = settings(
    max_examples=15, stateful_step_count=15, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
