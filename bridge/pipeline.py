"""poll_once(): the only place the steps are sequenced.

One pass: intake (new mail by UID -> a ledger row each, committed before anything else
happens), then every due row is parsed, decided and pushed, then the mailbox is updated
for every finished row. Each step is committed to the ledger before the next side effect,
so a kill at any instant resumes correctly:

* a row in ``pushing`` (or one that failed before) is looked up by ORIGIN_ID before it is
  sent again; a lead whose answer was lost is found instead of created twice;
* the mail is marked or moved only after its outcome is committed;
* a message that fails is recorded and the others go on (per-message failures), while a
  wrong setup (webhook rejected, login refused) stops the run (per-run failures); under the
  daemon's ``Refusal`` a refused mailbox is recorded and retried instead (bridge.refusal).

Text-only leads of a backlog travel in ``batch`` calls of up to 50; a lead with files is
one ``crm.lead.add`` with the files inline.
"""

from __future__ import annotations

import email.parser
import email.policy
import email.utils
import hashlib
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from bridge import firstpass
from bridge.errors import (
    BridgeError,
    CrmError,
    CrmRejected,
    CrmSetupError,
    CrmTemporary,
    CrmUnknownOutcome,
    MailboxRejected,
    MailboxUnavailable,
    ParseError,
    RowClaimed,
)
from bridge.filefield import (
    COMMENT,
    FIELD,
    WAIT,
    FileFieldResolver,
    fit_to_field,
    raise_file_field_alarm,
    refusal,
)
from bridge.identity import message_id_of, message_identity, origin_id
from bridge.leads import (
    LeadSettings,
    build_lead,
    double_click_comment,
    files_comment,
    marker,
)
from bridge.model import Attachment, Lead, ParsedForm, ParseOptions, PollReport, RawMessage
from bridge.parsing import parse_message
from bridge.ratelimit import backoff_delay
from bridge.refusal import Refusal
from bridge.routes import CrmConfig, Route
from bridge.states import FINISHED, PUSHABLE
from bridge.unrecognised import note_recognised, note_unrecognised

log = logging.getLogger(__name__)

BATCH_MAX = 50
FINISH_CHUNK = 200  # mailbox updates per MOVE/STORE command
PUSH_STATES = PUSHABLE
FINISHED_STATES = FINISHED


class Mailbox(Protocol):
    """What the pipeline needs from a mail source (IMAP or a folder of files)."""

    def select(self, folder: str) -> int: ...
    def search_new(self, after_uid: int | None, since: date | None) -> list[int]: ...
    def fetch(self, uids: Sequence[int]) -> Iterator[RawMessage]: ...
    def finish(self, uid: int, processed_folder: str) -> str: ...
    def close(self) -> None: ...


class Crm(Protocol):
    """What the pipeline needs from Bitrix24."""

    def add_lead(
        self, fields: dict[str, Any], files: Sequence[Attachment] = (), file_field: str = ""
    ) -> int: ...
    def add_leads_batch(
        self, leads: Sequence[Lead], file_field: str = ""
    ) -> dict[str, int | CrmError]: ...
    def find_leads_by_origin(self, origin_ids: Sequence[str]) -> dict[str, int]: ...
    def add_timeline_comment(
        self, lead_id: int, text: str, files: Sequence[Attachment] = ()
    ) -> int: ...
    def find_timeline_comment(self, lead_id: int, marker: str) -> int | None: ...
    def lead_fields(self) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class Settings:
    """The config values the pipeline uses."""

    folder: str = "INBOX"
    processed_folder: str = ""
    since_days: int = 7
    file_field: str = "auto"  # attachments.field: "auto", "UF_CRM_…" or "" (bridge.filefield)
    health_interval: float = 300.0  # the lead fields are read again after this many seconds
    lead: LeadSettings = field(default_factory=LeadSettings)
    parse: ParseOptions = field(default_factory=ParseOptions)
    senders: tuple[str, ...] = ()
    dedupe_window: timedelta = timedelta(minutes=10)
    max_attempts: int = 5
    backoff_base: float = 30.0
    backoff_cap: float = 1800.0
    unknown_wait: float = 30.0  # after an unknown outcome, wait this long before sending again
    batch: bool = True
    # an unknown outcome is looked up only this long after the request's last byte was sent
    max_request_seconds: float = 60.0
    crm: CrmConfig = field(default_factory=CrmConfig)  # [crm] (bridge.crm_target)
    routes: tuple[Route, ...] = ()  # [[routes]]


class _StopPushing(Exception):
    """The portal is rate-limiting or unreachable: leave the rest for the next pass."""


def _utcnow() -> datetime:
    return datetime.now(UTC)


def sender_allowed(sender: str | None, allowed: Sequence[str]) -> bool:
    """filter.senders: exact addresses or @domains; empty list allows everyone."""
    if not allowed:
        return True
    if not sender:
        return False
    addr = sender.strip().lower()
    domain = addr.rpartition("@")[2]
    for item in allowed:
        item = item.strip().lower()
        if item.startswith("@"):
            if domain == item[1:] or domain.endswith("." + item[1:]):
                return True
        elif addr == item:
            return True
    return False


def summary(raw: bytes, internaldate: datetime | None) -> tuple[str, datetime | None]:
    """Subject and date for the ledger (Date header, else INTERNALDATE). Never raises."""
    subject = ""
    when: datetime | None = None
    try:
        headers = email.parser.BytesHeaderParser(policy=email.policy.default).parsebytes(
            raw[:65536]
        )
        subject = " ".join(str(headers.get("subject", "") or "").split())[:200]
        raw_date = headers.get("date")
        if raw_date is not None:
            when = email.utils.parsedate_to_datetime(str(raw_date))
    except Exception:  # a broken header only costs us the summary
        log.debug("ledger.summary_failed")
    if when is not None and when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if when is None and internaldate is not None:
        when = internaldate if internaldate.tzinfo else internaldate.replace(tzinfo=UTC)
    return subject, when


class Pipeline:
    """One mailbox folder -> the ledger -> Bitrix24. ``poll_once`` is one pass."""

    def __init__(
        self,
        settings: Settings,
        ledger: Any,
        crm: Crm,
        mailbox_factory: Callable[[], Mailbox] | None,
        *,
        clock: Callable[[], datetime] = _utcnow,
        rng: Callable[[], float] = random.random,
        stop: threading.Event | None = None,
        progress: Callable[[int, int], None] | None = None,
        on_lead: Callable[..., None] | None = None,
    ) -> None:
        self.s = settings
        self.ledger = ledger
        self.crm = crm
        self._factory = mailbox_factory
        self._mailbox: Mailbox | None = None
        self._uidvalidity: int | None = None
        self.clock = clock
        self.rng = rng
        self.stop = stop or threading.Event()
        self.progress = progress
        self.on_lead = on_lead  # told of each lead (and deal: entity="deal") created
        # (sent so far, due in this pass) after each message; the CLI's terminal progress line
        self.push_progress: Callable[[int, int], None] | None = None
        self._files_done: set[int] = set()
        self.files = FileFieldResolver(crm, settings.file_field, settings.health_interval)
        self.targeting = _targeting(settings, ledger, crm)  # None: today's behaviour
        self._deal_queue: list[tuple[Any, Any]] = []  # deals waiting for one batch
        self._first_pass = False  # this pass over the folder is a first pass (bridge.firstpass)
        self.refusal: Refusal | None = None  # the daemon's (bridge.refusal): a refusal waits
        # a lease taken over (bridge.multibox): inherited "pushing" rows count as sent then
        self.pushing_sent_at: datetime | None = None

    # -- the pass ---------------------------------------------------------------------

    def poll_once(self) -> PollReport:
        """Fetch what is new, process everything due, update the mailbox. Raises only for
        a wrong setup (ConfigError, MailboxRejected, CrmSetupError)."""
        report = PollReport()
        mailbox_ok = True
        reused = self._mailbox is not None
        try:
            try:
                self._intake(report)
            except MailboxUnavailable:
                if not reused:
                    raise
                # A kept connection may have timed out on the server: one fresh try.
                self.drop_mailbox()
                self._intake(report)
        except MailboxUnavailable as exc:
            mailbox_ok = False
            self.drop_mailbox()
            report.errors.append(f"mailbox unavailable: {exc}")
            log.warning("mailbox.unavailable error=%s", _one_line(exc))
        self._process_due(report)
        if mailbox_ok:
            try:
                self._finish_all(report)
            except MailboxUnavailable as exc:
                self.drop_mailbox()
                report.errors.append(f"mailbox unavailable: {exc}")
                log.warning("mailbox.unavailable error=%s", _one_line(exc))
        counts = self.ledger.counts()
        report.waiting = counts.get("failed", 0) + (0 if mailbox_ok else 1)
        return report

    def intake_only(self) -> PollReport:
        """Take new mail into the ledger and send nothing (the portal is blocked)."""
        report = PollReport()
        try:
            self._intake(report)
        except MailboxUnavailable as exc:
            self.drop_mailbox()
            report.errors.append(f"mailbox unavailable: {exc}")
            log.warning("mailbox.unavailable error=%s", _one_line(exc))
        report.waiting = sum(1 for r in self.ledger.due(self.clock()) if r.state in PUSH_STATES)
        return report

    def has_work(self) -> bool:
        """Is any message waiting to be sent now?"""
        return any(r.state in PUSH_STATES for r in self.ledger.due(self.clock()))

    def assign_to(self, user_id: int) -> None:
        """New leads go to ``user_id`` (the fallback for an inactive responsible user)."""
        if self.s.lead.responsible_user_id != user_id:
            self.s = replace(self.s, lead=replace(self.s.lead, responsible_user_id=user_id))
            if self.targeting is not None:  # routes fall back to the same default user
                self.targeting.base = self.s.lead

    def close(self) -> None:
        self.drop_mailbox()

    def drop_mailbox(self) -> None:
        if self._mailbox is not None:
            try:
                self._mailbox.close()
            except Exception:  # closing a dead connection must not hide the real error
                log.debug("mailbox.close_failed")
        self._mailbox = None
        self._uidvalidity = None

    # -- intake -----------------------------------------------------------------------

    def _connect(self) -> Mailbox | None:
        if self._factory is None:
            return None
        if self._mailbox is None:
            self._mailbox = self._factory()
        return self._mailbox

    def _intake(self, report: PollReport) -> None:
        """Intake; under the daemon's Refusal a refused mailbox is recorded in the report and
        retried later instead of raised (the CRM side goes on with what is due)."""
        refusal = self.refusal
        if refusal is None:
            return self._take_in(report)
        if refusal.may_try():
            try:
                self._take_in(report)
            except MailboxRejected as exc:
                self.drop_mailbox()
                refusal.failed(exc)
            else:
                refusal.succeeded()
                return None
        report.refused = refusal.error
        report.errors.append(f"mailbox refused: {refusal.error}")  # not a successful poll
        return None

    def _take_in(self, report: PollReport) -> None:
        mailbox = self._connect()
        if mailbox is None:
            return
        folder = self.s.folder
        uidvalidity = mailbox.select(folder)
        self._uidvalidity = uidvalidity
        self.ledger.begin_pass(self.clock())  # a restored or replaced ledger: a first pass
        state = self.ledger.folder_state(folder)
        self._first_pass = firstpass.is_first_pass(state, uidvalidity)
        now = self.clock()
        after: int | None = None
        since: date | None = None
        since_key = f"since:{folder}"
        if state is None:
            since = (now - timedelta(days=self.s.since_days)).date()
            self.ledger.set_meta(since_key, since.isoformat())
            log.info("mailbox.first_run folder=%s since=%s", folder, since)
        elif state[0] != uidvalidity:
            stored = self.ledger.get_meta(since_key)
            since = date.fromisoformat(stored) if stored else (
                now - timedelta(days=self.s.since_days)
            ).date()
            log.warning(
                "mailbox.uidvalidity_changed folder=%s old=%s new=%s since=%s",
                folder, state[0], uidvalidity, since,
            )
        else:
            after = state[1]
        uids = mailbox.search_new(after, since)
        last = after or 0
        total = len(uids)
        for n, msg in enumerate(mailbox.fetch(uids), 1):
            self._ingest(msg, report)
            last = max(last, msg.key.uid)
            del msg  # not held while the next message is fetched
            # The baseline may lag the rows: a UID fetched again is found by its key.
            if n % 50 == 0:
                self.ledger.set_folder_state(folder, uidvalidity, last)
            if self.progress:
                self.progress(n, total)
            if self.stop.is_set():
                self.ledger.set_folder_state(folder, uidvalidity, last)
                return
        self._record_unreadable(mailbox, uidvalidity, report)
        if uids:
            last = max(last, max(uids))
        else:
            uidnext = getattr(mailbox, "uidnext", None)
            if state is None or state[0] != uidvalidity:
                last = max(last, (uidnext - 1) if isinstance(uidnext, int) and uidnext else 0)
        self.ledger.set_folder_state(folder, uidvalidity, last)

    def _record_unreadable(self, mailbox: Mailbox, uidvalidity: int, report: PollReport) -> None:
        """Messages the server could not deliver are quarantined, never silently passed."""
        skipped = getattr(mailbox, "skipped", None)
        if not skipped:
            return
        folder = self.s.folder
        for uid, why in list(skipped):
            if self.ledger.by_key(folder, uidvalidity, uid) is not None:
                continue
            identity = hashlib.sha256(f"unreadable:{folder}:{uidvalidity}:{uid}".encode())
            row = self.ledger.add_received(
                folder, uidvalidity, uid, None, identity.hexdigest(),
                origin_id(identity.hexdigest()), "", None, b"", self.clock(),
            )
            self.ledger.set_quarantined(
                row.id, f"unreadable on the server: {why}"[:500], self.clock()
            )
            report.quarantined += 1
            log.error("message.unreadable id=%s uid=%s", row.id, uid)
        skipped.clear()

    def _ingest(self, msg: RawMessage, report: PollReport) -> None:
        key = msg.key
        if self.ledger.by_key(key.folder, key.uidvalidity, key.uid) is not None:
            return
        identity = msg.identity or message_identity(msg.raw)
        known = self.ledger.by_identity(identity)
        now = self.clock()
        if known is not None:
            self.ledger.rebind(known.id, key.folder, key.uidvalidity, key.uid)
            log.info("message.known id=%s uid=%s state=%s", known.id, key.uid, known.state)
            return
        subject, when = summary(msg.raw, msg.internaldate)
        row = self.ledger.add_received(
            key.folder, key.uidvalidity, key.uid, message_id_of(msg.raw), identity,
            origin_id(identity), subject, when, msg.raw, now,
            lookup_first=firstpass.lookup_first(self._first_pass, msg),
        )
        report.fetched += 1
        log.info("message.received id=%s uid=%s size=%s", row.id, key.uid, len(msg.raw))

    # -- parse, decide, push ------------------------------------------------------------

    def _process_due(self, report: PollReport) -> None:
        rows = [r for r in self.ledger.due(self.clock()) if r.state in PUSH_STATES]
        if not rows:
            return
        try:
            rows = self._reconcile_first(rows, report)
            batch: list[tuple[Any, Lead]] = []
            for n, row in enumerate(rows, 1):
                if self.stop.is_set():
                    break
                self._advance_safely(row, batch, report)
                if self.push_progress:
                    self.push_progress(n, len(rows))
                if len(batch) >= BATCH_MAX:
                    self._flush(batch, report)
                if len(self._deal_queue) >= BATCH_MAX:
                    self._flush_deals(report)
            self._flush(batch, report)
            self._flush_deals(report)
        except _StopPushing:
            self._deal_queue.clear()  # they stay due in the ledger
            log.warning("crm.paused reason=temporary_failure")

    def _reconcile_first(self, rows: list[Any], report: PollReport) -> list[Any]:
        """Rows that may already have a lead (a crash, a lost answer) are looked up first,
        all in one request per 50."""
        doubtful = [r for r in rows if firstpass.may_exist(r)]
        early = self._too_early(doubtful)
        if early:
            doubtful = [r for r in doubtful if r.id not in early]
            rows = [r for r in rows if r.id not in early]
        if not doubtful:
            return rows
        try:
            found = self.crm.find_leads_by_origin([r.origin_id for r in doubtful])
        except (CrmTemporary, CrmUnknownOutcome, CrmRejected) as exc:
            # Without the answer nothing may be sent again: wait, never guess.
            for r in doubtful:
                self._temporary(r, exc, report)
            raise _StopPushing from exc
        not_found = self._record_found(doubtful, found, report)
        not_found = self._adopt_deals(not_found, report)
        self.ledger.clear_lookup([r.id for r in not_found if r.lookup_first], self.clock())
        missing = {r.id for r in not_found}
        found_ids = {r.id for r in doubtful} - missing
        return [r for r in rows if r.id not in found_ids]

    def _adopt_deals(self, rows: list[Any], report: PollReport) -> list[Any]:
        """First-pass rows with no lead may have become deals under another ledger: those
        are recorded too (bridge.firstpass.uses_deals); returns the rows still not found."""
        first = [r for r in rows if r.lookup_first]
        if not first or not firstpass.uses_deals(self.targeting):
            return rows
        try:
            deals = self.targeting.adopt_deals([r.origin_id for r in first])
        except (CrmTemporary, CrmUnknownOutcome, CrmRejected) as exc:
            for r in first:  # without the answer nothing may be sent: wait, never guess
                self._temporary(r, exc, report)
            raise _StopPushing from exc
        return self._record_found(rows, deals, report)

    def _record_found(
        self, rows: list[Any], found: dict[str, int], report: PollReport
    ) -> list[Any]:
        """Record the leads a lookup found; return the rows it did not find."""
        now = self.clock()
        missing = []
        for r in rows:
            lead_id = found.get(r.origin_id)
            if lead_id is None:
                missing.append(r)
                continue
            self.ledger.set_created(r.id, lead_id, now)
            report.created += 1
            log.info("lead.found id=%s lead_id=%s", r.id, lead_id)
        return missing

    def _advance_safely(
        self, row: Any, batch: list[tuple[Any, Lead]], report: PollReport
    ) -> None:
        """A bug met by one message quarantines that message; the others go on."""
        try:
            self._advance(row, batch, report)
        except RowClaimed as exc:  # another process has it: never a second push
            log.warning("message.claimed_elsewhere id=%s error=%s", row.id, _one_line(exc))
        except (_StopPushing, BridgeError):
            raise
        except Exception as exc:
            log.exception("message.crashed id=%s (a bug)", row.id)
            self.ledger.set_quarantined(
                row.id, f"internal error ({type(exc).__name__}); please report it", self.clock()
            )
            report.quarantined += 1

    def _parse(self, row: Any) -> ParsedForm | None:
        raw = self.ledger.raw(row.id)
        now = self.clock()
        if raw is None:
            self.ledger.set_quarantined(row.id, "the raw message is missing from the ledger", now)
            return None
        try:
            return parse_message(raw, self.s.parse)
        except ParseError as exc:
            self.ledger.set_quarantined(row.id, f"unreadable message: {exc}", now)
            log.warning("message.quarantined id=%s reason=unreadable", row.id)
        except Exception as exc:  # a parser bug must not block the other messages
            log.exception("message.parse_crashed id=%s", row.id)
            self.ledger.set_quarantined(
                row.id, f"internal error while parsing ({type(exc).__name__})", now
            )
        return None

    def _advance(self, row: Any, batch: list[tuple[Any, Lead]], report: PollReport) -> None:
        parsed = self._parse(row)
        now = self.clock()
        if parsed is None:
            report.quarantined += 1
            return
        if not sender_allowed(parsed.sender, self.s.senders):
            self.ledger.set_skipped(row.id, "sender not in filter.senders", now)
            report.skipped += 1
            log.info("message.skipped id=%s reason=sender_filter", row.id)
            return
        if not parsed.create_lead:
            reason = parsed.reason or "not a lead"
            if parsed.quarantine:
                self.ledger.set_quarantined(row.id, reason, now)
                report.quarantined += 1
                log.warning("message.quarantined id=%s reason=%s", row.id, _quote(reason))
            else:
                self.ledger.set_skipped(row.id, reason, now)
                report.skipped += 1
                log.info("message.skipped id=%s reason=%s", row.id, _quote(reason))
            return
        if row.state != "pushing":
            self.ledger.set_parsed(row.id, "|".join(parsed.client_keys), parsed.content_digest, now)
        first = self.ledger.find_double_click(
            "|".join(parsed.client_keys), parsed.content_digest, row.msg_date,
            self.s.dedupe_window, row.id,
        )
        if first is not None:
            self.ledger.set_duplicate(row.id, first.id, first.lead_id, now)
            report.duplicates += 1
            log.info("message.duplicate id=%s first=%s", row.id, first.id)
            return
        if parsed.unrecognised and row.state != "pushing":
            sender = note_unrecognised(self.ledger, row.id, parsed.sender, now)
            report.unrecognised[sender] = report.unrecognised.get(sender, 0) + 1
            report.unrecognised_ids.append(row.id)
            log.warning("message.layout_unrecognised id=%s (made a lead from its whole text)",
                        row.id)
        elif not parsed.unrecognised and row.state != "pushing":
            note_recognised(self.ledger, parsed.sender, now)
        settings = self.s.lead
        if self.targeting is not None:
            routed_to = self._routed(row, parsed, report)
            if routed_to is None:
                return
            settings, deal = routed_to
            if deal is not None:
                if self.s.batch and not parsed.attachments:
                    self._queue_deal(row, parsed, deal)  # a backlog goes in batches
                else:
                    self._push_deal(row, parsed, deal, report)
                return
        lead = build_lead(parsed, settings, row.origin_id)
        file_field = ""
        if lead.files:
            routed = self._route_files(row, parsed, report, settings)
            if routed is None:
                return
            lead, file_field = routed
        if row.state != "pushing":
            self.ledger.claim_push(row.id, now)  # compare-and-set: one pusher per row
        if lead.files or not self.s.batch:
            self._push_one(row, lead, report, file_field)
        else:
            batch.append((row, lead))

    def _routed(self, row: Any, parsed: ParsedForm, report: PollReport
                ) -> tuple[LeadSettings, Any] | None:
        """The route's lead settings, and the Routed value when its target is a deal.
        None: the responsible could not be chosen now (a temporary failure, the row waits)."""
        raw = self.ledger.raw(row.id) or b""
        routed = self.targeting.routed(raw, parsed)
        try:
            settings = self.targeting.settings_for(row.origin_id, routed)
        except (CrmTemporary, CrmUnknownOutcome) as exc:
            self._temporary(row, exc, report)
            return None
        log.info("message.routed id=%s route=%s target=%s", row.id, routed.route or "default",
                 routed.target)
        return settings, (routed if routed.target == "deal" else None)

    def _lookup_wait(self, exc: CrmUnknownOutcome) -> float:
        """A deal step whose outcome is unknown is looked up by origin (bridge.deals) only
        ``max_request_seconds`` after the request's last byte: the portal may still run it."""
        return max(self.s.unknown_wait, self.s.max_request_seconds - seconds_since_sent(exc))

    def _queue_deal(self, row: Any, parsed: ParsedForm, routed: Any) -> None:
        if row.state != "pushing":
            self.ledger.set_pushing(row.id, self.clock())
        self.ledger.set_meta(_files_via_key(row.origin_id), "deal")
        self._deal_queue.append((row, self.targeting.plan(row.origin_id, parsed, routed)))

    def _flush_deals(self, report: PollReport) -> None:
        """Queued deals: one lookup, contacts and deals in batches (bridge.deals)."""
        if not self._deal_queue:
            return
        items = list(self._deal_queue)
        self._deal_queue.clear()
        try:
            results = self.targeting.create_deals([plan for _, plan in items])
        except (CrmTemporary, CrmUnknownOutcome, CrmRejected) as exc:
            for row, _ in items:  # each step is recorded: the next pass resumes there
                self._temporary(row, exc, report, minimum=self._lookup_wait(exc)
                                if isinstance(exc, CrmUnknownOutcome) else 0.0)
            if isinstance(exc, CrmTemporary):
                raise _StopPushing from exc
            return
        for row, plan in items:
            result = results.get(plan.origin_id)
            if isinstance(result, CrmRejected):
                self._rejected(row, result, report)
            elif isinstance(result, CrmSetupError):
                raise result
            elif isinstance(result, CrmError) or result is None:
                self._temporary(row, result or CrmUnknownOutcome("no answer"), report,
                                minimum=self.s.unknown_wait)  # answered: the portal is done
            else:
                self.ledger.set_created(row.id, result.deal_id, self.clock())
                report.created += 1
                log.info("deal.created id=%s deal_id=%s contact_created=%s", row.id,
                         result.deal_id, result.contact_created)
                self._tell_deal(row, result.deal_id,
                                Lead(plan.origin_id, {**plan.deal, **plan.contact}, plan.files))

    def _tell_deal(self, row: Any, deal_id: int, lead: Lead) -> None:
        """The new-lead hook for a deal (notifications, metrics); never holds up the deal."""
        if self.on_lead is not None:
            try:
                self.on_lead(row, deal_id, lead, entity="deal")
            except Exception:  # a notification must never hold up or fail a deal
                log.exception("deal.hook_failed id=%s (a bug)", row.id)

    def _push_deal(self, row: Any, parsed: ParsedForm, routed: Any, report: PollReport) -> None:
        """The deal target (bridge.deals): each step is committed in the ledger, so a retry
        resumes where the last attempt stopped."""
        now = self.clock()
        if row.state != "pushing":
            self.ledger.set_pushing(row.id, now)
        self.ledger.set_meta(_files_via_key(row.origin_id), "deal")  # files go with the deal
        try:
            result = self.targeting.push_deal(row.origin_id, parsed, routed)
        except CrmRejected as exc:
            self._rejected(row, exc, report)
        except CrmUnknownOutcome as exc:
            log.warning("deal.outcome_unknown id=%s error=%s", row.id, _one_line(exc))
            self._temporary(row, exc, report, minimum=self._lookup_wait(exc))
        except CrmTemporary as exc:
            self._temporary(row, exc, report)
            raise _StopPushing from exc
        except CrmSetupError as exc:
            self.ledger.set_failed(row.id, f"setup: {exc}", self.clock(), self.clock())
            raise
        else:
            self.ledger.set_created(row.id, result.deal_id, self.clock())
            report.created += 1
            log.info("deal.created id=%s deal_id=%s contact_created=%s", row.id,
                     result.deal_id, result.contact_created)
            if self.on_lead is not None:  # the client's fields as a lead would carry them
                self._tell_deal(row, result.deal_id, build_lead(
                    replace(parsed, attachments=()), self.s.lead, row.origin_id))

    def _route_files(self, row: Any, parsed: ParsedForm, report: PollReport,
                     settings: LeadSettings | None = None) -> tuple[Lead, str] | None:
        """Where this message's files go (bridge.filefield), recorded in the ledger before
        anything is sent, so the comment step after creation follows the same way. None: the
        named file field is missing, the message waits."""
        try:
            decision = self.files.decision()
        except (CrmTemporary, CrmUnknownOutcome, CrmRejected) as exc:
            self._temporary(row, exc, report)
            raise _StopPushing from exc
        if decision.mode == WAIT:
            raise_file_field_alarm(self.s.file_field, decision.why)
            self._temporary(row, CrmTemporary(
                f"attachments.field: {decision.why}; mail with files waits until the field "
                "is back (or attachments.field is \"auto\")"), report)
            return None
        field_code = ""
        if decision.mode == FIELD and decision.field is not None:
            parsed = fit_to_field(parsed, decision.field)
            field_code = decision.field.code
        lead = build_lead(parsed, settings or self.s.lead, row.origin_id)
        if decision.mode == FIELD and decision.field is not None:
            field = decision.field
            lead = Lead(lead.origin_id, lead.fields,
                        tuple(f for f in lead.files if refusal(f, field) is None))
        self.ledger.set_meta(_files_via_key(row.origin_id), decision.via)
        return lead, field_code

    def _files_via(self, row: Any) -> str:
        """How this message's files were sent (recorded per message; older rows: config)."""
        via = self.ledger.get_meta(_files_via_key(row.origin_id))
        if via:
            return str(via)
        return COMMENT if not self.s.file_field else FIELD

    def _push_one(self, row: Any, lead: Lead, report: PollReport, file_field: str = "") -> None:
        files = lead.files if file_field else ()
        try:
            if self.targeting is not None:
                lead = self.targeting.link([lead])[0]  # repeat = "link"; a failure waits
            lead_id = self.crm.add_lead(lead.fields, files, file_field)
        except CrmRejected as exc:
            if files:
                self.files.invalidate()  # the field may have changed: read it again
            self._rejected(row, exc, report)
        except CrmUnknownOutcome as exc:
            log.warning("lead.outcome_unknown id=%s error=%s", row.id, _one_line(exc))
            self._unknown([row], exc, report)
        except CrmTemporary as exc:
            self._temporary(row, exc, report)
            raise _StopPushing from exc
        except CrmSetupError as exc:
            self.ledger.set_failed(row.id, f"setup: {exc}", self.clock(), self.clock())
            raise
        else:
            self._created(row, lead_id, lead, report, file_field)

    def _created(self, row: Any, lead_id: int, lead: Lead, report: PollReport,
                 file_field: str = "") -> None:
        self.ledger.set_created(row.id, lead_id, self.clock())
        report.created += 1
        log.info("lead.created id=%s lead_id=%s files=%s", row.id, lead_id, len(lead.files))
        if self.on_lead is not None:
            try:
                self.on_lead(row, lead_id, lead)
            except Exception:  # a notification must never hold up or fail a lead
                log.exception("lead.hook_failed id=%s (a bug)", row.id)
        if not file_field and lead.files:
            try:
                self.crm.add_timeline_comment(
                    lead_id, files_comment(row.origin_id, [f.filename for f in lead.files]),
                    lead.files,
                )
                self._files_done.add(row.id)
            except CrmError as exc:  # the finish step looks it up and adds it again
                log.warning("lead.files_comment_failed id=%s error=%s", row.id, _one_line(exc))

    def _flush(self, batch: list[tuple[Any, Lead]], report: PollReport) -> None:
        if not batch:
            return
        items = list(batch)
        batch.clear()
        if len(items) == 1:
            self._push_one(items[0][0], items[0][1], report)
            return
        if self.targeting is not None:  # repeat = "link": one lookup for the whole batch
            try:
                linked = self.targeting.link([lead for _, lead in items])
            except (CrmTemporary, CrmUnknownOutcome, CrmRejected) as exc:
                for row, _ in items:  # nothing was sent: every lead waits for a retry
                    self._temporary(row, exc, report)
                raise _StopPushing from exc
            items = [(row, lead) for (row, _), lead in zip(items, linked, strict=True)]
        try:
            results = self.crm.add_leads_batch([lead for _, lead in items])
        except CrmUnknownOutcome as exc:
            log.warning("batch.outcome_unknown size=%s error=%s", len(items), _one_line(exc))
            self._unknown([row for row, _ in items], exc, report)
            return
        except CrmTemporary as exc:
            for row, _ in items:
                self._temporary(row, exc, report)
            raise _StopPushing from exc
        unknown = []
        for row, lead in items:
            result = results.get(row.origin_id)
            if isinstance(result, int):
                self._created(row, result, lead, report)
            elif isinstance(result, CrmRejected):
                self._rejected(row, result, report)
            elif isinstance(result, CrmSetupError):
                raise result
            else:
                unknown.append(row)
        if unknown:
            self._unknown(unknown, CrmUnknownOutcome("crm.lead.add: no result inside batch"),
                          report)

    def _unknown(self, rows: list[Any], exc: CrmUnknownOutcome, report: PollReport) -> None:
        """After an unknown outcome the portal may still be running the request (the cloud
        cuts it only after 60 s): no lookup before ``max_request_seconds`` after its last
        byte was sent. Each row records that moment and waits for it; ``--poll-now`` never
        sleeps for it (the row waits, the run exits 75, a later run looks up)."""
        now = self.clock()
        sent_at = now - timedelta(seconds=seconds_since_sent(exc))
        lookup_at = sent_at + timedelta(seconds=self.s.max_request_seconds)
        if lookup_at <= now:
            self._reconcile(rows, report)
            return
        for r in rows:
            self.ledger.set_unknown(
                r.id, f"outcome unknown, looked up at {lookup_at:%H:%M:%S} UTC: "
                f"{_one_line(exc)}"[:500], sent_at, lookup_at, now,
            )
            log.warning("lead.lookup_later id=%s in_s=%.3g", r.id,
                        (lookup_at - now).total_seconds())

    def _too_early(self, rows: list[Any]) -> set[int]:
        """Rows whose last write may still be running on the portal: they wait (as failed,
        due at the lookup time) instead of being looked up or sent now."""
        now = self.clock()
        wait = timedelta(seconds=self.s.max_request_seconds)
        early: set[int] = set()
        for r in rows:
            # A row left in "pushing" (a crash, or an error before anything was sent) has no
            # recorded last byte: it is looked up at once, as before.
            sent = r.sent_at
            if r.state == "pushing" and self.pushing_sent_at is not None:
                sent = max(sent or self.pushing_sent_at, self.pushing_sent_at)
            if sent is None or sent + wait <= now:
                continue
            early.add(r.id)
            if r.state != "failed" or r.next_attempt_at is None or r.next_attempt_at < sent + wait:
                self.ledger.set_unknown(
                    r.id, "outcome unknown: the portal may still be running the request",
                    sent, sent + wait, now,
                )
            log.info("lead.lookup_later id=%s in_s=%.3g", r.id,
                     (sent + wait - now).total_seconds())
        return early

    def _reconcile(self, rows: list[Any], report: PollReport) -> None:
        """After an unknown outcome: a lead that exists is recorded, the rest wait."""
        try:
            found = self.crm.find_leads_by_origin([r.origin_id for r in rows])
        except (CrmTemporary, CrmUnknownOutcome, CrmRejected) as exc:
            for r in rows:
                self._temporary(r, exc, report, minimum=self.s.unknown_wait)
            return
        for r in self._record_found(rows, found, report):
            self._temporary(
                r, CrmUnknownOutcome("no answer and no lead found; sending again later"),
                report, minimum=self.s.unknown_wait,
            )

    def _delay(self, attempts: int) -> timedelta:
        return timedelta(
            seconds=backoff_delay(attempts, self.s.backoff_base, self.s.backoff_cap, self.rng)
        )

    def _temporary(
        self, row: Any, exc: Exception, report: PollReport, minimum: float = 0.0
    ) -> None:
        now = self.clock()
        delay = self._delay(row.attempts + 1)
        retry_after = getattr(exc, "retry_after", None) or 0.0
        delay = max(delay, timedelta(seconds=max(minimum, retry_after)))
        self.ledger.set_failed(row.id, _one_line(exc)[:500], now + delay, now)
        log.warning(
            "message.retry_later id=%s in_s=%d error=%s", row.id, delay.total_seconds(),
            _one_line(exc),
        )

    def _rejected(self, row: Any, exc: CrmError, report: PollReport) -> None:
        now = self.clock()
        if row.attempts + 1 >= self.s.max_attempts:
            self.ledger.set_quarantined(row.id, f"rejected by Bitrix24: {exc}"[:500], now)
            report.quarantined += 1
            log.error("message.quarantined id=%s reason=crm_rejected", row.id)
        else:
            later = now + self._delay(row.attempts + 1)
            self.ledger.set_failed(row.id, f"rejected by Bitrix24: {exc}"[:500], later, now)
            log.warning("message.rejected id=%s attempt=%s", row.id, row.attempts + 1)

    # -- after the outcome: comments and the mailbox -----------------------------------

    def _finish_all(self, report: PollReport) -> None:
        rows = [
            r for r in self.ledger.due(self.clock())
            if r.state in FINISHED_STATES and r.mailbox_state == "pending"
        ]
        ready = []
        for row in rows:
            if self.stop.is_set():
                break
            if row.folder != self.s.folder or row.uidvalidity != self._uidvalidity:
                continue  # it is found again under its new UID by the next intake
            if self._comments_done(row):
                ready.append(row)
        mailbox = self._connect() if ready else None
        if mailbox is None:
            return
        many = getattr(mailbox, "finish_many", None)
        for i in range(0, len(ready), FINISH_CHUNK):
            part = ready[i : i + FINISH_CHUNK]
            uids = [r.uid for r in part]
            if many is not None:
                done = many(uids, self.s.processed_folder)
            else:
                done = {uid: mailbox.finish(uid, self.s.processed_folder) for uid in uids}
            now = self.clock()
            for row in part:
                how = done.get(row.uid, "gone")
                self.ledger.set_mailbox_done(row.id, how, now)
                report.finished += 1
                log.info("mailbox.updated id=%s uid=%s how=%s", row.id, row.uid, how)

    def _comments_done(self, row: Any) -> bool:
        """The timeline comments a row owes, each added at most once (found by marker)."""
        try:
            if row.state == "duplicate":
                return self._repeat_comment(row)
            if (row.state == "created" and row.id not in self._files_done
                    and self._files_via(row) == COMMENT):
                return self._files_comment(row)
        except (CrmTemporary, CrmUnknownOutcome) as exc:
            log.warning("lead.comment_later id=%s error=%s", row.id, _one_line(exc))
            return False
        except CrmRejected as exc:
            return self._comment_rejected(row, exc)
        return True

    def _comment_rejected(self, row: Any, exc: CrmRejected) -> bool:
        """An answer about this one lead (ACCESS_DENIED, NOT_FOUND …): class 3, never a setup
        error. Tried again on the next passes; then, as the lead exists (a terminal state),
        given up with an error naming the ledger id, and the mail is finished."""
        return self._comment_failed(row, "lead.comment_rejected", exc)

    def _comment_failed(self, row: Any, event: str, exc: BaseException) -> bool:
        """A comment the lead still owes could not be made (the portal refused it, or the
        stored mail no longer parses): the mail stays unfinished and it is tried again on the
        next passes; after retry.max_attempts it is given up with an error naming the ledger
        id (the exception's type only: its text may quote the mail), and the mail finishes."""
        key = f"comment_rejects:{row.origin_id}"
        count = int(self.ledger.get_meta(key) or 0) + 1
        self.ledger.set_meta(key, str(count))
        why = _one_line(exc) if isinstance(exc, CrmError) else type(exc).__name__
        if count < self.s.max_attempts:
            log.warning("%s id=%s attempt=%d error=%s", event, row.id, count, why)
            return False
        log.error("lead.comment_given_up id=%s attempts=%d error=%s", row.id, count, why)
        return True

    def _repeat_comment(self, row: Any) -> bool:
        lead_id = row.lead_id
        if lead_id is None and row.duplicate_of is not None:
            first = self.ledger.by_id(row.duplicate_of)
            lead_id = first.lead_id if first is not None else None
        if lead_id is None:
            return False  # the first lead is not created yet
        tag = marker("repeat", row.origin_id)
        first = self.ledger.by_id(row.duplicate_of) if row.duplicate_of is not None else None
        if (self.targeting is not None and first is not None
                and self.targeting.is_deal(first.origin_id)):  # the first one is a deal
            when = row.msg_date.isoformat(timespec="minutes") if row.msg_date else "?"
            self.targeting.deal_comment(
                lead_id, tag, double_click_comment(row.origin_id, row.subject or "", when))
            return True
        if self.crm.find_timeline_comment(lead_id, tag) is None:
            when = row.msg_date.isoformat(timespec="minutes") if row.msg_date else "?"
            self.crm.add_timeline_comment(
                lead_id, double_click_comment(row.origin_id, row.subject or "", when)
            )
        return True

    def _files_comment(self, row: Any) -> bool:
        raw = self.ledger.raw(row.id)
        if raw is None or row.lead_id is None:
            return True
        try:
            parsed = parse_message(raw, self.s.parse)
        except Exception as exc:  # a parser fault must never drop the files silently
            return self._comment_failed(row, "lead.files_unreadable", exc)
        lead = build_lead(parsed, self.s.lead, row.origin_id)
        if not lead.files:
            return True
        tag = marker("files", row.origin_id)
        if self.crm.find_timeline_comment(row.lead_id, tag) is None:
            self.crm.add_timeline_comment(
                row.lead_id, files_comment(row.origin_id, [f.filename for f in lead.files]),
                lead.files,
            )
        self._files_done.add(row.id)
        return True


def _targeting(settings: Settings, ledger: Any, crm: Any) -> Any:
    """Routing, repeat clients and deals (bridge.crm_target) when the config asks for them."""
    from bridge.crm_target import Targeting, needed

    if not needed(settings.crm, settings.routes):
        return None
    return Targeting(settings.crm, settings.routes, settings.lead, crm, ledger)


def _files_via_key(origin: str) -> str:
    return f"files_via:{origin}"


def seconds_since_sent(exc: CrmUnknownOutcome) -> float:
    """How long ago the failed request's last byte was sent (0 when the transport did not
    say: then "now" is the latest it can have been)."""
    sent = getattr(exc, "sent_monotonic", None)
    return 0.0 if sent is None else max(0.0, time.monotonic() - sent)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _quote(text: str) -> str:
    return '"' + text.replace('"', "'") + '"'

