"""The ledger's state machine on both backends: every move the table allows, and no other."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

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
    TRANSITIONS,
    Ledger,
    MessageRecord,
)
from tests.ledger_helpers import T0, Maker


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




def test_guards_judge_a_move_without_a_database() -> None:
    """check_move alone: a move off a claimed or finished row is RowClaimed, a lead needs a
    push begun (or a lookup mark), a push needs a digest (or one written with it)."""
    from bridge.errors import RowClaimed
    from bridge.store.machine import Standing, check_move

    def standing(state: str, pushed: bool = False, digest: bool = False,
                 lookup: bool = False) -> Standing:
        return Standing(state, T0 if pushed else None, "d" if digest else None, lookup)

    with pytest.raises(RowClaimed, match="cannot go from pushing to received"):
        check_move(1, standing(PUSHING), RECEIVED)
    with pytest.raises(RowClaimed, match="cannot go from created to failed"):
        check_move(1, standing(CREATED), FAILED)
    with pytest.raises(StoreError, match="no push was started") as info:
        check_move(1, standing(PARSED, digest=True), CREATED)
    assert not isinstance(info.value, RowClaimed)
    check_move(1, standing(PARSED, lookup=True), CREATED)
    check_move(1, standing(FAILED, pushed=True), CREATED)
    with pytest.raises(StoreError, match="not parsed"):
        check_move(1, standing(FAILED), PUSHING)
    check_move(1, standing(FAILED), PUSHING, digest_given=True)
    check_move(1, standing(PUSHING), CREATED)
