"""A CRM fake that only answers lookups, and a ledger row caught in the middle of its push.

Shared by the tests of when an unknown outcome may be looked up (tests/test_lookup_timing.py)
and of a source that refuses its commands (tests/test_refusal.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bridge.errors import CrmError
from bridge.model import Attachment, Lead
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


def pushing_row(ledger: Ledger, at: datetime) -> int:
    """A ledger row for one parsed message, caught in the middle of its push."""
    row = ledger.add_received("INBOX", 1, 1, None, "ident-1", "origin-1", "s", at, b"x", at)
    ledger.set_parsed(row.id, ["phone:+79990000000"], "digest", at)
    ledger.set_pushing(row.id, at)
    return row.id
