"""When the pipeline may look an unknown outcome up: the ledger's record of the last byte,
and `retry` that cannot make it come early (a real ledger, a fake CRM)."""

from __future__ import annotations

from datetime import timedelta

from bridge.pipeline import Pipeline, Settings
from bridge.store import Ledger
from tests.helpers.fixtures import sqlite_ledger  # noqa: F401 - the ledger fixture
from tests.helpers.lookupcrm import T0, FakeCrm, pushing_row


def test_set_unknown_records_the_last_byte_and_next_attempt_is_the_earliest(
    ledger: Ledger,
) -> None:
    """The ledger keeps the moment the last byte was sent and says when the next row is due."""
    rid = pushing_row(ledger, T0)
    assert ledger.next_attempt() is None
    sent = T0 + timedelta(seconds=1.5)
    row = ledger.set_unknown(rid, "outcome unknown", sent, sent + timedelta(seconds=60), T0)
    assert row.state == "failed" and row.sent_at == sent
    assert ledger.next_attempt() == sent + timedelta(seconds=60)


def test_retry_cannot_make_a_lookup_come_early(ledger: Ledger) -> None:
    """`retry` makes a waiting row due at once; the pass still neither looks it up nor sends
    it before max_request_seconds after its last byte, and does once they have passed."""
    rid = pushing_row(ledger, T0)
    ledger.set_unknown(rid, "outcome unknown", T0, T0 + timedelta(seconds=60), T0)
    now = [T0 + timedelta(seconds=5)]
    ledger.retry([rid], at=now[0])
    crm = FakeCrm()
    pipe = Pipeline(Settings(max_request_seconds=60.0), ledger, crm, None,
                    clock=lambda: now[0])
    report = pipe.poll_once()
    assert crm.lookups == []
    row = ledger.by_id(rid)
    assert row is not None and row.state == "failed"
    assert row.next_attempt_at == T0 + timedelta(seconds=60)
    assert report.waiting == 1
    now[0] = T0 + timedelta(seconds=61)
    pipe.poll_once()
    assert crm.lookups == [["origin-1"]]
    row = ledger.by_id(rid)
    assert row is not None and row.state == "created" and row.lead_id == 77
