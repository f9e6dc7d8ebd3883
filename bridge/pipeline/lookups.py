"""Looking a lead up by ORIGIN_ID before anything is sent again (SPEC §4, bridge.firstpass).

A row that may already have a lead (a push of ours began, an answer was lost, or the ledger
is new to the folder) is looked up first, 50 per request. After an unknown outcome no lookup
runs before ``max_request_seconds`` after the request's last byte: the portal may still be
running it; after a lease is taken over, a row the old owner left in ``pushing`` counts as
sent at ``Pipeline.pushing_sent_at`` (bridge.multibox).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from bridge import firstpass
from bridge.errors import CrmRejected, CrmTemporary, CrmUnknownOutcome
from bridge.model import PollReport
from bridge.pipeline.context import Context, StopPushing, one_line, seconds_since_sent
from bridge.pipeline.outcomes import Outcomes
from bridge.states import FAILED, PUSHING

if TYPE_CHECKING:
    from bridge.store import MessageRecord

log = logging.getLogger("bridge.pipeline")

LOOKUP_ERRORS = (CrmTemporary, CrmUnknownOutcome, CrmRejected)


class Lookups:
    """When and how rows that may already have a lead are looked up."""

    def __init__(self, ctx: Context, outcomes: Outcomes) -> None:
        self.ctx = ctx
        self.out = outcomes

    def first(self, rows: list[MessageRecord], report: PollReport) -> list[MessageRecord]:
        """Rows that may already have a lead (a crash, a lost answer) are looked up first,
        all in one request per 50; returns the rows still to be sent."""
        doubtful = [r for r in rows if firstpass.may_exist(r)]
        early = self.too_early(doubtful)
        if early:
            doubtful = [r for r in doubtful if r.id not in early]
            rows = [r for r in rows if r.id not in early]
        if not doubtful:
            return rows
        try:
            found = self.ctx.crm.find_leads_by_origin([r.origin_id for r in doubtful])
        except LOOKUP_ERRORS as exc:
            # Without the answer nothing may be sent again: wait, never guess.
            for r in doubtful:
                self.out.temporary(r, exc)
            raise StopPushing from exc
        not_found = self.out.record_found(doubtful, found, report)
        not_found = self._adopt_deals(not_found, report)
        self.ctx.ledger.clear_lookup([r.id for r in not_found if r.lookup_first],
                                     self.ctx.clock())
        missing = {r.id for r in not_found}
        found_ids = {r.id for r in doubtful} - missing
        return [r for r in rows if r.id not in found_ids]

    def _adopt_deals(
        self, rows: list[MessageRecord], report: PollReport
    ) -> list[MessageRecord]:
        """First-pass rows with no lead may have become deals under another ledger: those
        are recorded too (bridge.firstpass.uses_deals); returns the rows still not found."""
        first = [r for r in rows if r.lookup_first]
        targeting = self.ctx.targeting
        if not first or targeting is None or not firstpass.uses_deals(targeting):
            return rows
        try:
            deals = targeting.adopt_deals([r.origin_id for r in first])
        except LOOKUP_ERRORS as exc:
            for r in first:  # without the answer nothing may be sent: wait, never guess
                self.out.temporary(r, exc)
            raise StopPushing from exc
        return self.out.record_found(rows, deals, report)

    def too_early(self, rows: list[MessageRecord]) -> set[int]:
        """Rows whose last write may still be running on the portal: they wait (as failed,
        due at the lookup time) instead of being looked up or sent now."""
        now = self.ctx.clock()
        wait = timedelta(seconds=self.ctx.s.max_request_seconds)
        early: set[int] = set()
        for r in rows:
            # A row left in "pushing" (a crash, or an error before anything was sent) has no
            # recorded last byte: it is looked up at once, as before.
            sent = r.sent_at
            inherited = self.ctx.pushing_sent_at
            if r.state == PUSHING and inherited is not None:
                sent = max(sent or inherited, inherited)
            if sent is None or sent + wait <= now:
                continue
            early.add(r.id)
            if r.state != FAILED or r.next_attempt_at is None or r.next_attempt_at < sent + wait:
                self.ctx.ledger.set_unknown(
                    r.id, "outcome unknown: the portal may still be running the request",
                    sent, sent + wait, now,
                )
            log.info("lead.lookup_later id=%s in_s=%.3g", r.id,
                     (sent + wait - now).total_seconds())
        return early

    def unknown(
        self, rows: list[MessageRecord], exc: CrmUnknownOutcome, report: PollReport
    ) -> None:
        """After an unknown outcome the portal may still be running the request (the cloud
        cuts it only after 60 s): no lookup before ``max_request_seconds`` after its last
        byte was sent. Each row records that moment and waits for it; ``--poll-now`` never
        sleeps for it (the row waits, the run exits 75, a later run looks up)."""
        now = self.ctx.clock()
        sent_at = now - timedelta(seconds=seconds_since_sent(exc))
        lookup_at = sent_at + timedelta(seconds=self.ctx.s.max_request_seconds)
        if lookup_at <= now:
            self._reconcile(rows, report)
            return
        for r in rows:
            self.ctx.ledger.set_unknown(
                r.id, f"outcome unknown, looked up at {lookup_at:%H:%M:%S} UTC: "
                f"{one_line(exc)}"[:500], sent_at, lookup_at, now,
            )
            log.warning("lead.lookup_later id=%s in_s=%.3g", r.id,
                        (lookup_at - now).total_seconds())

    def _reconcile(self, rows: list[MessageRecord], report: PollReport) -> None:
        """After an unknown outcome: a lead that exists is recorded, the rest wait."""
        wait = self.ctx.s.unknown_wait
        try:
            found = self.ctx.crm.find_leads_by_origin([r.origin_id for r in rows])
        except LOOKUP_ERRORS as exc:
            for r in rows:
                self.out.temporary(r, exc, minimum=wait)
            return
        for r in self.out.record_found(rows, found, report):
            self.out.temporary(
                r, CrmUnknownOutcome("no answer and no lead found; sending again later"),
                minimum=wait,
            )
