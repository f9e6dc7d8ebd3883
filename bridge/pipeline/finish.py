"""After the outcome: the timeline comments a row still owes, then the mail is marked or moved.

The mail is finished only after its outcome is committed and its comments are made (each at
most once, found again by its marker), in chunks of ``FINISH_CHUNK`` per mailbox command.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bridge.errors import CrmError, CrmRejected, CrmTemporary, CrmUnknownOutcome
from bridge.filefield import COMMENT, FIELD
from bridge.leads import build_lead, double_click_comment, files_comment, marker
from bridge.model import PollReport
from bridge.pipeline.context import Context, files_via_key, one_line
from bridge.pipeline.forms import reparse
from bridge.pipeline.intake import Intake
from bridge.pipeline.settings import FINISH_CHUNK
from bridge.states import CREATED, DUPLICATE, FINISHED, MailboxState

if TYPE_CHECKING:
    from bridge.store import MessageRecord

log = logging.getLogger("bridge.pipeline")


class Finisher:
    """Owed comments, then the mailbox update, for every finished row of the folder."""

    def __init__(self, ctx: Context, intake: Intake) -> None:
        self.ctx = ctx
        self.intake = intake  # owns the connection and knows the folder's UIDVALIDITY

    def run(self, report: PollReport) -> None:
        """Finish every row whose outcome is committed and whose comments are made."""
        rows = [
            r for r in self.ctx.ledger.due(self.ctx.clock())
            if r.state in FINISHED and r.mailbox_state == MailboxState.PENDING
        ]
        ready = []
        for row in rows:
            if self.ctx.stop.is_set():
                break
            if row.folder != self.ctx.s.folder or row.uidvalidity != self.intake.uidvalidity:
                continue  # it is found again under its new UID by the next intake
            if self._comments_done(row):
                ready.append(row)
        mailbox = self.intake.connect() if ready else None
        if mailbox is None:
            return
        many = self.intake.features.many
        processed = self.ctx.s.processed_folder
        for i in range(0, len(ready), FINISH_CHUNK):
            part = ready[i : i + FINISH_CHUNK]
            uids = [r.uid for r in part]
            if many is not None:
                done = many.finish_many(uids, processed)
            else:
                done = {uid: mailbox.finish(uid, processed) for uid in uids}
            now = self.ctx.clock()
            for row in part:
                how = done.get(row.uid, "gone")
                self.ctx.ledger.set_mailbox_done(row.id, how, now)
                report.finished += 1
                log.info("mailbox.updated id=%s uid=%s how=%s", row.id, row.uid, how)

    def _comments_done(self, row: MessageRecord) -> bool:
        """The timeline comments a row owes, each added at most once (found by marker)."""
        try:
            if row.state == DUPLICATE:
                return self._repeat_comment(row)
            if (row.state == CREATED and row.id not in self.ctx.files_done
                    and self.files_via(row) == COMMENT):
                return self._files_comment(row)
        except (CrmTemporary, CrmUnknownOutcome) as exc:
            log.warning("lead.comment_later id=%s error=%s", row.id, one_line(exc))
            return False
        except CrmRejected as exc:
            # An answer about this one lead (ACCESS_DENIED, NOT_FOUND …): class 3, never a
            # setup error. Tried again on the next passes; then, as the lead exists (a
            # terminal state), given up with an error naming the ledger id.
            return self._comment_failed(row, "lead.comment_rejected", exc)
        return True

    def _comment_failed(self, row: MessageRecord, event: str, exc: BaseException) -> bool:
        """A comment the lead still owes could not be made (the portal refused it, or the
        stored mail no longer parses): the mail stays unfinished and it is tried again on the
        next passes; after retry.max_attempts it is given up with an error naming the ledger
        id (the exception's type only: its text may quote the mail), and the mail finishes."""
        key = f"comment_rejects:{row.origin_id}"
        count = int(self.ctx.ledger.get_meta(key) or 0) + 1
        self.ctx.ledger.set_meta(key, str(count))
        why = one_line(exc) if isinstance(exc, CrmError) else type(exc).__name__
        if count < self.ctx.s.max_attempts:
            log.warning("%s id=%s attempt=%d error=%s", event, row.id, count, why)
            return False
        log.error("lead.comment_given_up id=%s attempts=%d error=%s", row.id, count, why)
        return True

    def _repeat_comment(self, row: MessageRecord) -> bool:
        """A double click: a comment on the first message's lead (or deal)."""
        ledger = self.ctx.ledger
        first = ledger.by_id(row.duplicate_of) if row.duplicate_of is not None else None
        lead_id = row.lead_id
        if lead_id is None and first is not None:
            lead_id = first.lead_id
        if lead_id is None:
            return False  # the first lead is not created yet
        tag = marker("repeat", row.origin_id)
        when = row.msg_date.isoformat(timespec="minutes") if row.msg_date else "?"
        text = double_click_comment(row.origin_id, row.subject or "", when)
        targeting = self.ctx.targeting
        if targeting is not None and first is not None and targeting.is_deal(first.origin_id):
            targeting.deal_comment(lead_id, tag, text)  # the first one is a deal
            return True
        if self.ctx.crm.find_timeline_comment(lead_id, tag) is None:
            self.ctx.crm.add_timeline_comment(lead_id, text)
        return True

    def _files_comment(self, row: MessageRecord) -> bool:
        """The files of a lead whose files go in a comment, if the push did not add it."""
        raw = self.ctx.ledger.raw(row.id)
        if raw is None or row.lead_id is None:
            return True
        try:
            parsed = reparse(raw, self.ctx)
        except Exception as exc:  # a parser fault must never drop the files silently
            return self._comment_failed(row, "lead.files_unreadable", exc)
        lead = build_lead(parsed, self.ctx.s.lead, row.origin_id)
        if not lead.files:
            return True
        tag = marker("files", row.origin_id)
        if self.ctx.crm.find_timeline_comment(row.lead_id, tag) is None:
            self.ctx.crm.add_timeline_comment(
                row.lead_id, files_comment(row.origin_id, [f.filename for f in lead.files]),
                lead.files,
            )
        self.ctx.files_done.add(row.id)
        return True

    def files_via(self, row: MessageRecord) -> str:
        """How this message's files were sent (recorded per message; older rows: config)."""
        via = self.ctx.ledger.get_meta(files_via_key(row.origin_id))
        if via:
            return str(via)
        return COMMENT if not self.ctx.s.file_field else FIELD
