"""Intake: new mail by UID becomes a ledger row each, committed before anything else happens.

The headers of each message are read once (``bridge.identity.read_headers``); its identity,
ORIGIN_ID, Message-ID, subject and date all come from that one read.
"""

from __future__ import annotations

import email.policy
import email.utils
import hashlib
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from bridge import firstpass
from bridge.errors import MailboxRejected
from bridge.identity import HeaderBlock, identity_of, origin_id, read_headers
from bridge.model import PollReport, RawMessage
from bridge.pipeline.context import Context
from bridge.pipeline.protocols import Mailbox, MailboxFeatures, features_of
from bridge.refusal import Refusal

log = logging.getLogger("bridge.pipeline")

BASELINE_EVERY = 50  # the folder's baseline is saved after this many fetched messages


def summary_of(block: HeaderBlock, internaldate: datetime | None) -> tuple[str, datetime | None]:
    """Subject and date for the ledger (Date header, else INTERNALDATE), read from headers
    already read once; decoded as the e-mail parser's default policy does. Never raises."""
    subject = ""
    when: datetime | None = None
    policy = email.policy.default
    try:
        raw_subject = block.text(b"subject")
        if raw_subject is not None:
            subject = " ".join(str(policy.header_fetch_parse("subject", raw_subject)).split())
            subject = subject[:200]
        raw_date = block.text(b"date")
        if raw_date is not None:
            parsed = policy.header_fetch_parse("date", raw_date)
            when = email.utils.parsedate_to_datetime(str(parsed))
    except Exception:  # a broken header only costs us the summary
        log.debug("ledger.summary_failed")
    if when is not None and when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if when is None and internaldate is not None:
        when = internaldate if internaldate.tzinfo else internaldate.replace(tzinfo=UTC)
    return subject, when


def summary(raw: bytes, internaldate: datetime | None) -> tuple[str, datetime | None]:
    """Subject and date for the ledger (Date header, else INTERNALDATE). Never raises."""
    return summary_of(read_headers(raw), internaldate)


class Intake:
    """The connection to the mail source and the intake of new mail into the ledger."""

    def __init__(self, ctx: Context, factory: Callable[[], Mailbox] | None) -> None:
        self.ctx = ctx
        self._factory = factory
        self.mailbox: Mailbox | None = None
        self.features = MailboxFeatures()
        self.uidvalidity: int | None = None
        self.first_pass = False  # this pass over the folder is a first pass (bridge.firstpass)

    def connect(self) -> Mailbox | None:
        """The kept connection, or a new one (its optional features checked once)."""
        if self._factory is None:
            return None
        if self.mailbox is None:
            self.mailbox = self._factory()
            self.features = features_of(self.mailbox)
        return self.mailbox

    def drop(self) -> None:
        """Close the connection (the next pass connects again)."""
        if self.mailbox is not None:
            try:
                self.mailbox.close()
            except Exception:  # closing a dead connection must not hide the real error
                log.debug("mailbox.close_failed")
        self.mailbox = None
        self.features = MailboxFeatures()
        self.uidvalidity = None

    def run(self, report: PollReport, refusal: Refusal | None) -> None:
        """Intake; under the daemon's Refusal a refused mailbox is recorded in the report and
        retried later instead of raised (the CRM side goes on with what is due)."""
        if refusal is None:
            return self._take_in(report)
        if refusal.may_try():
            try:
                self._take_in(report)
            except MailboxRejected as exc:
                self.drop()
                refusal.failed(exc)
            else:
                refusal.succeeded()
                return None
        report.refused = refusal.error
        report.errors.append(f"mailbox refused: {refusal.error}")  # not a successful poll
        return None

    def _start(
        self, state: tuple[int, int] | None, uidvalidity: int
    ) -> tuple[int | None, date | None]:
        """Where this pass starts: after the last UID seen, or since a date (a first run or
        a changed UIDVALIDITY)."""
        s, ledger = self.ctx.s, self.ctx.ledger
        now = self.ctx.clock()
        since_key = f"since:{s.folder}"
        if state is None:
            since = (now - timedelta(days=s.since_days)).date()
            ledger.set_meta(since_key, since.isoformat())
            log.info("mailbox.first_run folder=%s since=%s", s.folder, since)
            return None, since
        if state[0] != uidvalidity:
            stored = ledger.get_meta(since_key)
            since = date.fromisoformat(stored) if stored else (
                now - timedelta(days=s.since_days)
            ).date()
            log.warning(
                "mailbox.uidvalidity_changed folder=%s old=%s new=%s since=%s",
                s.folder, state[0], uidvalidity, since,
            )
            return None, since
        return state[1], None

    def _take_in(self, report: PollReport) -> None:
        mailbox = self.connect()
        if mailbox is None:
            return
        folder, ledger = self.ctx.s.folder, self.ctx.ledger
        uidvalidity = mailbox.select(folder)
        self.uidvalidity = uidvalidity
        ledger.begin_pass(self.ctx.clock())  # a restored or replaced ledger: a first pass
        state = ledger.folder_state(folder)
        self.first_pass = firstpass.is_first_pass(state, uidvalidity)
        after, since = self._start(state, uidvalidity)
        uids = mailbox.search_new(after, since)
        last = after or 0
        for n, msg in enumerate(mailbox.fetch(uids), 1):
            self._ingest(msg, report)
            last = max(last, msg.key.uid)
            del msg  # not held while the next message is fetched
            # The baseline may lag the rows: a UID fetched again is found by its key.
            if n % BASELINE_EVERY == 0:
                ledger.set_folder_state(folder, uidvalidity, last)
            if self.ctx.progress:
                self.ctx.progress(n, len(uids))
            if self.ctx.stop.is_set():
                ledger.set_folder_state(folder, uidvalidity, last)
                return
        self._record_unreadable(uidvalidity, report)
        if uids:
            last = max(last, max(uids))
        elif (state is None or state[0] != uidvalidity) and self.features.uidnext is not None:
            uidnext = self.features.uidnext.uidnext
            last = max(last, (uidnext - 1) if isinstance(uidnext, int) and uidnext else 0)
        ledger.set_folder_state(folder, uidvalidity, last)

    def _record_unreadable(self, uidvalidity: int, report: PollReport) -> None:
        """Messages the server could not deliver are quarantined, never silently passed."""
        source = self.features.unreadable
        skipped = source.skipped if source is not None else None
        if not skipped:
            return
        folder, ledger = self.ctx.s.folder, self.ctx.ledger
        for uid, why in list(skipped):
            if ledger.by_key(folder, uidvalidity, uid) is not None:
                continue
            identity = hashlib.sha256(f"unreadable:{folder}:{uidvalidity}:{uid}".encode())
            row = ledger.add_received(
                folder, uidvalidity, uid, None, identity.hexdigest(),
                origin_id(identity.hexdigest()), "", None, b"", self.ctx.clock(),
            )
            ledger.set_quarantined(
                row.id, f"unreadable on the server: {why}"[:500], self.ctx.clock()
            )
            report.quarantined += 1
            log.error("message.unreadable id=%s uid=%s", row.id, uid)
        skipped.clear()

    def _ingest(self, msg: RawMessage, report: PollReport) -> None:
        key, ledger = msg.key, self.ctx.ledger
        if ledger.by_key(key.folder, key.uidvalidity, key.uid) is not None:
            return
        block = read_headers(msg.raw)  # the one read of this message's headers
        identity = msg.identity or identity_of(msg.raw, block)
        known = ledger.by_identity(identity)
        now = self.ctx.clock()
        if known is not None:
            ledger.rebind(known.id, key.folder, key.uidvalidity, key.uid)
            log.info("message.known id=%s uid=%s state=%s", known.id, key.uid, known.state)
            return
        subject, when = summary_of(block, msg.internaldate)
        row = ledger.add_received(
            key.folder, key.uidvalidity, key.uid, block.message_id, identity,
            origin_id(identity), subject, when, msg.raw, now,
            lookup_first=firstpass.lookup_first(self.first_pass, msg),
        )
        report.fetched += 1
        log.info("message.received id=%s uid=%s size=%s", row.id, key.uid, len(msg.raw))
