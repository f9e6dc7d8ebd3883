"""Parse, decide, push: every due row becomes a lead (alone, or in a batch of up to 50 for a
text-only backlog), a deal (bridge.pipeline.dealpush), a duplicate, or is skipped.

Each decision is committed before the next side effect; a row about to be sent is claimed in
the ledger first (compare-and-set: one pusher per row).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bridge.errors import (
    BridgeError,
    CrmError,
    CrmRejected,
    CrmSetupError,
    CrmTemporary,
    CrmUnknownOutcome,
    RowClaimed,
)
from bridge.filefield import FIELD, WAIT, fit_to_field, raise_file_field_alarm, refusal
from bridge.leads import LeadSettings, build_lead, files_comment
from bridge.model import Lead, ParsedForm, PollReport
from bridge.pipeline.context import Context, StopPushing, files_via_key, one_line, quote
from bridge.pipeline.dealpush import DealPush
from bridge.pipeline.forms import read_form, sender_allowed
from bridge.pipeline.lookups import LOOKUP_ERRORS, Lookups
from bridge.pipeline.outcomes import Outcomes
from bridge.pipeline.settings import BATCH_MAX
from bridge.states import PUSHABLE, PUSHING
from bridge.unrecognised import note_recognised, note_unrecognised

if TYPE_CHECKING:
    from bridge.store import MessageRecord

log = logging.getLogger("bridge.pipeline")

Batch = list[tuple["MessageRecord", Lead]]


class Pusher:
    """Takes every due row of a pass to its outcome."""

    def __init__(self, ctx: Context, outcomes: Outcomes, lookups: Lookups,
                 deals: DealPush | None) -> None:
        self.ctx = ctx
        self.out = outcomes
        self.lookups = lookups
        self.deals = deals

    def run(self, report: PollReport) -> None:
        """Every due row: looked up first if a lead may exist, then decided and sent."""
        rows = [r for r in self.ctx.ledger.due(self.ctx.clock()) if r.state in PUSHABLE]
        if not rows:
            return
        try:
            rows = self.lookups.first(rows, report)
            batch: Batch = []
            for n, row in enumerate(rows, 1):
                if self.ctx.stop.is_set():
                    break
                self._advance_safely(row, batch, report)
                if self.ctx.push_progress:
                    self.ctx.push_progress(n, len(rows))
                if len(batch) >= BATCH_MAX:
                    self._flush(batch, report)
                if self.deals is not None and len(self.deals.queue) >= BATCH_MAX:
                    self.deals.flush(report)
            self._flush(batch, report)
            if self.deals is not None:
                self.deals.flush(report)
        except StopPushing:
            if self.deals is not None:
                self.deals.queue.clear()  # they stay due in the ledger
            log.warning("crm.paused reason=temporary_failure")

    def _advance_safely(self, row: MessageRecord, batch: Batch, report: PollReport) -> None:
        """A bug met by one message quarantines that message; the others go on."""
        try:
            self._advance(row, batch, report)
        except RowClaimed as exc:  # another process has it: never a second push
            log.warning("message.claimed_elsewhere id=%s error=%s", row.id, one_line(exc))
        except (StopPushing, BridgeError):
            raise
        except Exception as exc:  # a bug: this message is quarantined, the others go on
            log.exception("message.crashed id=%s (a bug)", row.id)
            self.ctx.ledger.set_quarantined(
                row.id, f"internal error ({type(exc).__name__}); please report it",
                self.ctx.clock(),
            )
            report.quarantined += 1

    def _advance(self, row: MessageRecord, batch: Batch, report: PollReport) -> None:
        parsed = read_form(self.ctx, row)
        if parsed is None:
            report.quarantined += 1
            return
        if not self._is_lead(row, parsed, report) or self._double_click(row, parsed, report):
            return
        self._note_layout(row, parsed, report)
        settings = self.ctx.s.lead
        if self.deals is not None:
            routed_to = self.deals.routed(row, parsed)
            if routed_to is None:
                return
            settings, deal = routed_to
            if deal is not None:
                if self.ctx.s.batch and not parsed.attachments:
                    self.deals.enqueue(row, parsed, deal)  # a backlog goes in batches
                else:
                    self.deals.push(row, parsed, deal, report)
                return
        self._lead(row, parsed, settings, batch, report)

    def _is_lead(self, row: MessageRecord, parsed: ParsedForm, report: PollReport) -> bool:
        """The sender filter and the parser's verdict; a row that is no lead is finished
        here (skipped, or quarantined when a person should look)."""
        ledger, now = self.ctx.ledger, self.ctx.clock()
        if not sender_allowed(parsed.sender, self.ctx.s.senders):
            ledger.set_skipped(row.id, "sender not in filter.senders", now)
            report.skipped += 1
            log.info("message.skipped id=%s reason=sender_filter", row.id)
            return False
        if parsed.create_lead:
            return True
        reason = parsed.reason or "not a lead"
        if parsed.quarantine:
            ledger.set_quarantined(row.id, reason, now)
            report.quarantined += 1
            log.warning("message.quarantined id=%s reason=%s", row.id, quote(reason))
        else:
            ledger.set_skipped(row.id, reason, now)
            report.skipped += 1
            log.info("message.skipped id=%s reason=%s", row.id, quote(reason))
        return False

    def _double_click(self, row: MessageRecord, parsed: ParsedForm, report: PollReport) -> bool:
        """Records the parse; True when the row repeats an earlier message (a duplicate)."""
        ledger, now = self.ctx.ledger, self.ctx.clock()
        keys = "|".join(parsed.client_keys)
        if row.state != PUSHING:
            ledger.set_parsed(row.id, keys, parsed.content_digest, now)
        first = ledger.find_double_click(
            keys, parsed.content_digest, row.msg_date, self.ctx.s.dedupe_window, row.id,
        )
        if first is None:
            return False
        ledger.set_duplicate(row.id, first.id, first.lead_id, now)
        report.duplicates += 1
        log.info("message.duplicate id=%s first=%s", row.id, first.id)
        return True

    def _note_layout(self, row: MessageRecord, parsed: ParsedForm, report: PollReport) -> None:
        """Count a form whose layout was not recognised (once per message: not on a resume)."""
        if row.state == PUSHING:
            return
        ledger, now = self.ctx.ledger, self.ctx.clock()
        if parsed.unrecognised:
            sender = note_unrecognised(ledger, row.id, parsed.sender, now)
            report.unrecognised[sender] = report.unrecognised.get(sender, 0) + 1
            report.unrecognised_ids.append(row.id)
            log.warning("message.layout_unrecognised id=%s (made a lead from its whole text)",
                        row.id)
        else:
            note_recognised(ledger, parsed.sender, now)

    def _lead(self, row: MessageRecord, parsed: ParsedForm, settings: LeadSettings,
              batch: Batch, report: PollReport) -> None:
        """Build the lead; one with files (or without batching) goes now, else in a batch."""
        lead = build_lead(parsed, settings, row.origin_id)
        file_field = ""
        if lead.files:
            routed = self._route_files(row, parsed, settings)
            if routed is None:
                return
            lead, file_field = routed
        if row.state != PUSHING:
            self.ctx.ledger.claim_push(row.id, self.ctx.clock())  # one pusher per row
        if lead.files or not self.ctx.s.batch:
            self._push_one(row, lead, report, file_field)
        else:
            batch.append((row, lead))

    def _route_files(self, row: MessageRecord, parsed: ParsedForm,
                     settings: LeadSettings) -> tuple[Lead, str] | None:
        """Where this message's files go (bridge.filefield), recorded in the ledger before
        anything is sent, so the comment step after creation follows the same way. None: the
        named file field is missing, the message waits."""
        try:
            decision = self.ctx.files.decision()
        except LOOKUP_ERRORS as exc:
            self.out.temporary(row, exc)
            raise StopPushing from exc
        if decision.mode == WAIT:
            raise_file_field_alarm(self.ctx.s.file_field, decision.why)
            self.out.temporary(row, CrmTemporary(
                f"attachments.field: {decision.why}; mail with files waits until the field "
                "is back (or attachments.field is \"auto\")"))
            return None
        field = decision.field if decision.mode == FIELD else None
        if field is not None:
            parsed = fit_to_field(parsed, field)
        lead = build_lead(parsed, settings, row.origin_id)
        if field is not None:
            lead = Lead(lead.origin_id, lead.fields,
                        tuple(f for f in lead.files if refusal(f, field) is None))
        self.ctx.ledger.set_meta(files_via_key(row.origin_id), decision.via)
        return lead, (field.code if field is not None else "")

    def _push_one(self, row: MessageRecord, lead: Lead, report: PollReport,
                  file_field: str = "") -> None:
        files = lead.files if file_field else ()
        targeting = self.ctx.targeting

        def call() -> tuple[Lead, int]:
            linked = lead if targeting is None else targeting.link([lead])[0]  # a failure waits
            return linked, self.ctx.crm.add_lead(linked.fields, files, file_field)

        def rejected(exc: CrmRejected) -> None:
            if files:
                self.ctx.files.invalidate()  # the field may have changed: read it again

        def unknown(exc: CrmUnknownOutcome) -> None:
            log.warning("lead.outcome_unknown id=%s error=%s", row.id, one_line(exc))
            self.lookups.unknown([row], exc, report)

        done = self.out.send(row, call, report, unknown=unknown, rejected=rejected)
        if done is not None:
            self.created(row, done[1], done[0], report, file_field)

    def _flush(self, batch: Batch, report: PollReport) -> None:
        """Send the batch: one lead alone, two or more in one ``batch`` call."""
        if not batch:
            return
        items = list(batch)
        batch.clear()
        if len(items) == 1:
            self._push_one(items[0][0], items[0][1], report)
            return
        if self.ctx.targeting is not None:  # repeat = "link": one lookup for the whole batch
            try:
                linked = self.ctx.targeting.link([lead for _, lead in items])
            except LOOKUP_ERRORS as exc:
                for row, _ in items:  # nothing was sent: every lead waits for a retry
                    self.out.temporary(row, exc)
                raise StopPushing from exc
            items = [(row, lead) for (row, _), lead in zip(items, linked, strict=True)]
        self._send_batch(items, report)

    def _send_batch(self, items: Batch, report: PollReport) -> None:
        """One ``batch`` call; each lead's answer recorded, the unknown ones looked up."""
        try:
            results = self.ctx.crm.add_leads_batch([lead for _, lead in items])
        except CrmUnknownOutcome as exc:
            log.warning("batch.outcome_unknown size=%s error=%s", len(items), one_line(exc))
            self.lookups.unknown([row for row, _ in items], exc, report)
            return
        except CrmTemporary as exc:
            for row, _ in items:
                self.out.temporary(row, exc)
            raise StopPushing from exc
        unknown = []
        for row, lead in items:
            result = results.get(row.origin_id)
            if isinstance(result, int):
                self.created(row, result, lead, report)
            elif isinstance(result, CrmRejected):
                self.out.rejected(row, result, report)
            elif isinstance(result, CrmSetupError):
                raise result
            else:
                unknown.append(row)
        if unknown:
            self.lookups.unknown(
                unknown, CrmUnknownOutcome("crm.lead.add: no result inside batch"), report)

    def created(self, row: MessageRecord, lead_id: int, lead: Lead, report: PollReport,
                file_field: str = "") -> None:
        """A new lead: recorded, told, and its files comment made at once when the files do
        not travel in a field (the finish step makes it later if this fails)."""
        self.ctx.ledger.set_created(row.id, lead_id, self.ctx.clock())
        report.created += 1
        log.info("lead.created id=%s lead_id=%s files=%s", row.id, lead_id, len(lead.files))
        self.out.tell(row, lead_id, lead)
        if file_field or not lead.files:
            return
        try:
            self.ctx.crm.add_timeline_comment(
                lead_id, files_comment(row.origin_id, [f.filename for f in lead.files]),
                lead.files,
            )
            self.ctx.files_done.add(row.id)
        except CrmError as exc:  # the finish step looks it up and adds it again
            log.warning("lead.files_comment_failed id=%s error=%s", row.id, one_line(exc))
