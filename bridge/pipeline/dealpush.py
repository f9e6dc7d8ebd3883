"""The deal target (bridge.deals through bridge.crm_target): routing a message, one deal at a
time or a backlog's text-only deals in batches. Each step is committed in the ledger, so a
retry resumes where the last attempt stopped."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from bridge.errors import CrmError, CrmRejected, CrmSetupError, CrmTemporary, CrmUnknownOutcome
from bridge.leads import LeadSettings, build_lead
from bridge.model import Lead, ParsedForm, PollReport
from bridge.pipeline.context import (
    Context,
    StopPushing,
    files_via_key,
    one_line,
    seconds_since_sent,
)
from bridge.pipeline.outcomes import Outcomes
from bridge.routes import Routed
from bridge.states import PUSHING

if TYPE_CHECKING:
    from bridge.crm_target import Targeting
    from bridge.deals import DealPlan, DealResult
    from bridge.store import MessageRecord

log = logging.getLogger("bridge.pipeline")


class DealPush:
    """Routing and the deal target for the rows of one pass."""

    def __init__(self, ctx: Context, outcomes: Outcomes, targeting: Targeting) -> None:
        self.ctx = ctx
        self.out = outcomes
        self.targeting = targeting
        self.queue: list[tuple[MessageRecord, DealPlan]] = []  # deals waiting for one batch

    def routed(
        self, row: MessageRecord, parsed: ParsedForm
    ) -> tuple[LeadSettings, Routed | None] | None:
        """The route's lead settings, and the Routed value when its target is a deal.
        None: the responsible could not be chosen now (a temporary failure, the row waits)."""
        raw = self.ctx.ledger.raw(row.id) or b""
        routed = self.targeting.routed(raw, parsed)
        try:
            settings = self.targeting.settings_for(row.origin_id, routed)
        except (CrmTemporary, CrmUnknownOutcome) as exc:
            self.out.temporary(row, exc)
            return None
        log.info("message.routed id=%s route=%s target=%s", row.id, routed.route or "default",
                 routed.target)
        return settings, (routed if routed.target == "deal" else None)

    def lookup_wait(self, exc: CrmUnknownOutcome) -> float:
        """A deal step whose outcome is unknown is looked up by origin (bridge.deals) only
        ``max_request_seconds`` after the request's last byte: the portal may still run it."""
        s = self.ctx.s
        return max(s.unknown_wait, s.max_request_seconds - seconds_since_sent(exc))

    def _start(self, row: MessageRecord) -> None:
        if row.state != PUSHING:
            self.ctx.ledger.set_pushing(row.id, self.ctx.clock())
        self.ctx.ledger.set_meta(files_via_key(row.origin_id), "deal")  # files go with it

    def enqueue(self, row: MessageRecord, parsed: ParsedForm, routed: Routed) -> None:
        """A text-only deal of a backlog waits for the next batch."""
        self._start(row)
        self.queue.append((row, self.targeting.plan(row.origin_id, parsed, routed)))

    def flush(self, report: PollReport) -> None:
        """Queued deals: one lookup, contacts and deals in batches (bridge.deals)."""
        if not self.queue:
            return
        items = list(self.queue)
        self.queue.clear()
        try:
            results = self.targeting.create_deals([plan for _, plan in items])
        except (CrmTemporary, CrmUnknownOutcome, CrmRejected) as exc:
            for row, _ in items:  # each step is recorded: the next pass resumes there
                self.out.temporary(row, exc, minimum=self.lookup_wait(exc)
                                   if isinstance(exc, CrmUnknownOutcome) else 0.0)
            if isinstance(exc, CrmTemporary):
                raise StopPushing from exc
            return
        for row, plan in items:
            self._settle(row, plan, results.get(plan.origin_id), report)

    def _settle(self, row: MessageRecord, plan: DealPlan,
                result: DealResult | CrmError | None, report: PollReport) -> None:
        """One deal's answer inside a batch."""
        if isinstance(result, CrmRejected):
            self.out.rejected(row, result, report)
        elif isinstance(result, CrmSetupError):
            raise result
        elif isinstance(result, CrmError) or result is None:
            self.out.temporary(row, result or CrmUnknownOutcome("no answer"),
                               minimum=self.ctx.s.unknown_wait)  # answered: the portal is done
        else:
            self._created(row, result, report,
                          Lead(plan.origin_id, {**plan.deal, **plan.contact}, plan.files))

    def _created(self, row: MessageRecord, result: DealResult, report: PollReport,
                 lead: Lead | None) -> None:
        self.ctx.ledger.set_created(row.id, result.deal_id, self.ctx.clock())
        report.created += 1
        log.info("deal.created id=%s deal_id=%s contact_created=%s", row.id,
                 result.deal_id, result.contact_created)
        if lead is not None:
            self.out.tell(row, result.deal_id, lead, entity="deal")

    def push(self, row: MessageRecord, parsed: ParsedForm, routed: Routed,
             report: PollReport) -> None:
        """One deal now (bridge.deals): contact, deal, files."""
        self._start(row)

        def unknown(exc: CrmUnknownOutcome) -> None:
            log.warning("deal.outcome_unknown id=%s error=%s", row.id, one_line(exc))
            self.out.temporary(row, exc, minimum=self.lookup_wait(exc))

        result = self.out.send(
            row, lambda: self.targeting.push_deal(row.origin_id, parsed, routed), report,
            unknown=unknown,
        )
        if result is None:
            return
        lead = None
        if self.ctx.on_lead is not None:  # the client's fields as a lead would carry them
            lead = build_lead(replace(parsed, attachments=()), self.ctx.s.lead, row.origin_id)
        self._created(row, result, report, lead)
