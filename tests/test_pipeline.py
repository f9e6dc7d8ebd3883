"""Every decision of ``Pipeline.poll_once``, in milliseconds: a fake clock, in-memory fakes of
our Mailbox and Crm Protocols (tests/pipeline_fakes.py) and a real SQLite ledger; no sleeps."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from bridge.errors import CrmRejected, CrmSetupError, CrmTemporary, CrmUnknownOutcome
from bridge.identity import message_identity, origin_id
from bridge.states import CREATED, DUPLICATE, FAILED, QUARANTINED
from tests.forms import form_email
from tests.pipeline_fakes import Rig


def test_a_form_becomes_one_lead_with_its_origin_and_the_mail_is_finished(
    make_rig: Callable[..., Rig],
) -> None:
    """New mail is recorded, sent once with the ORIGIN_ID of its identity, then finished."""
    r = make_rig()
    raw = form_email(1)
    uid = r.box.deliver(raw)
    report = r.pipe.poll_once()
    assert (report.fetched, report.created, report.finished) == (1, 1, 1)
    [(lead_id, fields)] = r.crm.leads.items()
    assert fields["ORIGIN_ID"] == origin_id(message_identity(raw))
    row = r.ledger.by_id(1)
    assert row is not None and row.state == CREATED and row.lead_id == lead_id
    assert row.subject == "Заявка с сайта #1" and r.box.finished == {uid: "seen"}
    assert r.crm.lookups == []  # a ledger that knows its folder looks nothing up


def test_a_temporary_error_waits_with_backoff_then_the_lead_is_sent(
    make_rig: Callable[..., Rig],
) -> None:
    """CrmTemporary: the row waits 30 s, then 60 s (backoff), nothing is sent early, and the
    lead is made once the portal answers; the mail is finished only then."""
    r = make_rig(batch=False)
    r.box.deliver(form_email(1))
    r.crm.fail("add_lead", CrmTemporary("QUERY_LIMIT_EXCEEDED"), times=2)
    assert r.pipe.poll_once().created == 0
    row = r.ledger.by_id(1)
    assert row is not None and row.state == FAILED and row.attempts == 1
    assert row.next_attempt_at == r.clock.now + timedelta(seconds=30)
    r.clock.advance(29)
    r.pipe.poll_once()
    assert r.crm.calls.count("add_lead") == 1 and r.box.finished == {}
    r.clock.advance(1)
    r.pipe.poll_once()  # the second failure: 60 s now
    row = r.ledger.by_id(1)
    assert row is not None and row.attempts == 2
    assert row.next_attempt_at == r.clock.now + timedelta(seconds=60)
    r.clock.advance(60)
    report = r.pipe.poll_once()
    assert report.created == 1 and len(r.crm.leads) == 1 and r.box.finished


def test_an_unknown_outcome_is_looked_up_only_after_max_request_seconds_and_found(
    make_rig: Callable[..., Rig],
) -> None:
    """The lead was made but the answer lost: no lookup and no resend before
    max_request_seconds after the last byte; then the lookup finds it and nothing is resent."""
    r = make_rig(max_request_seconds=60.0)
    r.box.deliver(form_email(1))
    r.crm.fail("add_lead", CrmUnknownOutcome("read timeout"), done=True)
    r.pipe.poll_once()
    row = r.ledger.by_id(1)
    assert row is not None and row.state == FAILED and row.sent_at is not None
    assert abs((row.sent_at - r.clock.now).total_seconds()) < 1  # the last byte: just now
    r.clock.advance(59)
    r.ledger.retry()  # even a person's retry cannot make the lookup come early
    r.pipe.poll_once()
    assert r.crm.lookups == [] and r.crm.calls.count("add_lead") == 1
    r.clock.advance(2)
    report = r.pipe.poll_once()
    [lead_id] = r.crm.leads
    row = r.ledger.by_id(1)
    assert row is not None and row.state == CREATED and row.lead_id == lead_id
    assert report.created == 1 and len(r.crm.lookups) == 1
    assert r.crm.calls.count("add_lead") == 1 and len(r.crm.leads) == 1


def test_an_unknown_outcome_not_found_after_the_wait_is_sent_again_once(
    make_rig: Callable[..., Rig],
) -> None:
    """The request never reached the portal: after the wait the lookup finds nothing and the
    lead is sent again, so exactly one lead exists."""
    r = make_rig(max_request_seconds=60.0)
    r.box.deliver(form_email(1))
    r.crm.fail("add_lead", CrmUnknownOutcome("read timeout"), done=False)
    r.pipe.poll_once()
    assert r.crm.leads == {}
    r.clock.advance(61)
    report = r.pipe.poll_once()
    assert len(r.crm.lookups) == 1 and report.created == 1
    assert r.crm.calls.count("add_lead") == 2 and len(r.crm.leads) == 1


def test_a_double_click_is_a_duplicate_with_a_comment_on_the_first_lead(
    make_rig: Callable[..., Rig],
) -> None:
    """The same form sent twice (two Message-IDs) makes one lead; the second mail becomes a
    duplicate, commented once on the first lead, and both mails are finished."""
    r = make_rig()
    r.box.deliver(form_email(1))
    r.box.deliver(form_email(1))
    report = r.pipe.poll_once()
    assert (report.created, report.duplicates, report.finished) == (1, 1, 2)
    [lead_id] = r.crm.leads
    second = r.ledger.by_id(2)
    assert second is not None and second.state == DUPLICATE and second.duplicate_of == 1
    [(commented, text, _)] = r.crm.comments
    assert commented == lead_id and second.origin_id in text
    r.pipe.poll_once()
    assert len(r.crm.comments) == 1  # never twice


def test_a_rejected_lead_is_retried_then_quarantined_after_max_attempts(
    make_rig: Callable[..., Rig],
) -> None:
    """CrmRejected: tried again with backoff, quarantined at max_attempts; the mail is kept."""
    r = make_rig(max_attempts=3, batch=False)
    r.box.deliver(form_email(1))
    r.crm.fail("add_lead", CrmRejected("Wrong PHONE"), times=3)
    states = []
    for wait in (30, 60, 0):
        report = r.pipe.poll_once()
        row = r.ledger.by_id(1)
        assert row is not None
        states.append(row.state)
        r.clock.advance(wait)
    assert states == [FAILED, FAILED, QUARANTINED] and report.quarantined == 1
    assert r.crm.leads == {} and r.box.finished == {}


def test_a_setup_error_stops_the_run_sends_nothing_and_keeps_the_mail(
    make_rig: Callable[..., Rig],
) -> None:
    """CrmSetupError (a revoked webhook): the pass raises, no lead exists, the row records the
    setup error and the mail stays unfinished; once fixed, the lead is made exactly once."""
    r = make_rig()
    r.box.deliver(form_email(1))
    r.crm.fail("add_lead", CrmSetupError("INVALID_CREDENTIALS"))
    with pytest.raises(CrmSetupError):
        r.pipe.poll_once()
    row = r.ledger.by_id(1)
    assert row is not None and row.state == FAILED and (row.error or "").startswith("setup:")
    assert r.crm.leads == {} and r.box.finished == {}
    report = r.pipe.poll_once()  # a push began: looked up first, not found, sent
    assert report.created == 1 and len(r.crm.lookups) == 1 and len(r.crm.leads) == 1


def test_intake_only_takes_mail_in_and_sends_nothing(make_rig: Callable[..., Rig]) -> None:
    """A blocked portal: new mail is recorded and counted as waiting, no CRM call is made and
    the mail is not touched."""
    r = make_rig()
    r.box.deliver(form_email(1))
    report = r.pipe.intake_only()
    assert report.fetched == 1 and report.waiting == 1 and r.pipe.has_work()
    assert r.crm.calls == [] and r.box.finished == {}


def test_files_go_in_a_comment_owed_until_it_is_made(make_rig: Callable[..., Rig]) -> None:
    """attachments.field = "": the lead is made without files and a comment carries them; a
    comment that fails twice keeps the mail unfinished until a later pass makes it."""
    r = make_rig()
    r.box.deliver(form_email(1, file_size=900))
    r.crm.fail("add_timeline_comment", CrmTemporary("QUERY_LIMIT_EXCEEDED"), times=2)
    report = r.pipe.poll_once()
    assert report.created == 1 and report.finished == 0 and r.crm.comments == []
    r.pipe.poll_once()
    [(lead_id, text, names)] = r.crm.comments
    assert lead_id in r.crm.leads and names[0] == "Спецификация-1.pdf"
    assert r.box.finished and "mb-" in text


def test_a_backlog_of_text_leads_goes_in_one_batch(make_rig: Callable[..., Rig]) -> None:
    """Three text-only forms due in one pass are one batch call, not three lead.add calls."""
    r = make_rig()
    for i in (1, 2, 3):
        r.box.deliver(form_email(i))
    report = r.pipe.poll_once()
    assert report.created == 3 and r.crm.calls == ["add_leads_batch"]


def test_a_row_left_pushing_is_looked_up_and_found_instead_of_sent_again(
    make_rig: Callable[..., Rig],
) -> None:
    """A crash after the lead was made (the row still 'pushing'): the next pass finds the lead
    by ORIGIN_ID and records it; nothing is sent."""
    r = make_rig()
    r.box.deliver(form_email(1))
    r.pipe.intake_only()
    row = r.ledger.by_id(1)
    assert row is not None
    r.ledger.set_parsed(row.id, "phone:+79120000001", "digest", r.clock.now)
    r.ledger.claim_push(row.id, r.clock.now)
    r.crm.leads[555] = {"ORIGIN_ID": row.origin_id}
    report = r.pipe.poll_once()
    row = r.ledger.by_id(1)
    assert row is not None and row.state == CREATED and row.lead_id == 555
    assert report.created == 1 and "add_lead" not in r.crm.calls
    assert "add_leads_batch" not in r.crm.calls


def test_inherited_pushing_rows_wait_from_pushing_sent_at(make_rig: Callable[..., Rig]) -> None:
    """After a lease is taken over, a row the old owner left in "pushing" is neither looked up
    nor sent before max_request_seconds after pushing_sent_at, while new mail goes on."""
    r = make_rig(max_request_seconds=5.0)
    r.box.deliver(form_email(1))
    r.pipe.intake_only()
    r.ledger.set_parsed(1, "phone:+79120000001", "digest", r.clock.now)
    r.ledger.claim_push(1, r.clock.now)
    r.crm.leads[555] = {"ORIGIN_ID": r.ledger.by_id(1).origin_id}
    r.pipe.pushing_sent_at = r.clock.now + timedelta(seconds=2)  # the take + takeover time
    r.box.deliver(form_email(2))
    report = r.pipe.poll_once()
    row = r.ledger.by_id(1)
    assert row is not None and row.state == FAILED and r.crm.lookups == []
    assert row.next_attempt_at == r.clock.now + timedelta(seconds=7)
    assert report.created == 1 and r.crm.calls.count("add_lead") == 1  # the new mail
    r.clock.advance(7)
    r.pipe.poll_once()
    row = r.ledger.by_id(1)
    assert r.crm.lookups and row is not None and row.state == CREATED and row.lead_id == 555
    assert r.crm.calls.count("add_lead") == 1


def test_assign_to_and_the_progress_hooks_reach_the_steps(make_rig: Callable[..., Rig]) -> None:
    """assign_to changes the responsible of the next lead, and the progress hooks the CLI sets
    on the pipeline are told of each fetched and each sent message."""
    r = make_rig(batch=False)
    fetched: list[tuple[int, int]] = []
    sent: list[tuple[int, int]] = []
    r.pipe.progress = lambda n, total: fetched.append((n, total))
    r.pipe.push_progress = lambda n, total: sent.append((n, total))
    r.pipe.assign_to(9)
    r.box.deliver(form_email(1))
    r.box.deliver(form_email(2))
    assert r.pipe.poll_once().created == 2
    assert [f["ASSIGNED_BY_ID"] for f in r.crm.leads.values()] == [9, 9]
    assert fetched == [(1, 2), (2, 2)] and sent == [(1, 2), (2, 2)]


def test_the_new_lead_hook_is_told_and_its_failure_never_fails_the_lead(
    make_rig: Callable[..., Rig],
) -> None:
    """on_lead hears of each created lead (row, lead id, lead); a hook that raises is logged
    and the lead stays created, its mail finished."""
    r = make_rig()
    told: list[tuple[int, int, str]] = []

    def hook(row: Any, lead_id: int, lead: Any, entity: str = "lead") -> None:
        told.append((row.id, lead_id, entity))
        raise RuntimeError("notification channel bug")

    r.pipe.on_lead = hook
    r.box.deliver(form_email(1))
    report = r.pipe.poll_once()
    [lead_id] = r.crm.leads
    assert told == [(1, lead_id, "lead")] and report.created == 1 and report.finished == 1
