"""The ledger's questions on both backends: keys and identities, double clicks, due work,
retry, status numbers and meta values."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bridge import store
from bridge.errors import StoreError
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
    Ledger,
    MessageRecord,
)
from tests.ledger_helpers import T0, Maker

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


