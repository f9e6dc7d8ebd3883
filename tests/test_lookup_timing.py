"""When the pipeline may look an unknown outcome up: the ledger's record of the last byte,
and `retry` that cannot make it come early (a real ledger, a fake CRM)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bridge.errors import CrmError
from bridge.model import Attachment, Lead
from bridge.pipeline import Pipeline, Settings
from bridge.store import Ledger

T0 = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


class FakeCrm:
    """Our Crm protocol: every origin has a lead; the lookups are counted."""

    def __init__(self) -> None:
        self.lookups: list[list[str]] = []

    def add_lead(self, fields: dict[str, Any], files: Sequence[Attachment] = (),
                 file_field: str = "") -> int:
        raise AssertionError("nothing may be sent before the lookup")

    def add_leads_batch(self, leads: Sequence[Lead],
                        file_field: str = "") -> dict[str, int | CrmError]:
        raise AssertionError("nothing may be sent before the lookup")

    def find_leads_by_origin(self, origin_ids: Sequence[str]) -> dict[str, int]:
        self.lookups.append(list(origin_ids))
        return {o: 77 for o in origin_ids}

    def add_timeline_comment(self, lead_id: int, text: str,
                             files: Sequence[Attachment] = ()) -> int:
        return 1

    def find_timeline_comment(self, lead_id: int, marker: str) -> int | None:
        return None

    def lead_fields(self) -> dict[str, Any]:
        return {}


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    led = Ledger.open(tmp_path / "bridge.db")
    try:
        yield led
    finally:
        led.close()


def pushing_row(ledger: Ledger, at: datetime) -> int:
    row = ledger.add_received("INBOX", 1, 1, None, "ident-1", "origin-1", "s", at, b"x", at)
    ledger.set_parsed(row.id, ["phone:+79990000000"], "digest", at)
    ledger.set_pushing(row.id, at)
    return row.id


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
