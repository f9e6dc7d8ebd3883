"""What the daemon tells the outside after each poll: alarms, new-lead notices, metrics, health.

``Monitor`` is wired around the poll (``poll_finished``), into the pipeline's new-lead hook
(``lead_created``) and onto a timer (``tick``). It reads outcomes from the ledger (rows whose
state changed during the poll), so the pipeline needs no knowledge of notifications. The
alarms it raises itself: a quarantined or unrecognised message (until it leaves quarantine),
the mailbox unreachable or refusing the login for longer than ``notify.mailbox_minutes``, no
successful poll for ``notify.stall_minutes``, a blocked portal while the ledger's
``portal_blocked`` meta key holds a reason, and mail waiting for a vanished file field.
Other parts raise theirs through ``monitor.alarms``.
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bridge.alerts import alarms as kinds
from bridge.alerts.alarms import Alarms
from bridge.alerts.channels import Notice
from bridge.clock import utcnow
from bridge.crm_items import DEAL, LEAD, item_url
from bridge.healthfile import UNRECOGNISED_REASON, ledger_snapshot, write_health
from bridge.i18n import t
from bridge.metrics import Metrics, skip_label
from bridge.model import PollReport
from bridge.unrecognised import sender_of

log = logging.getLogger(__name__)

FILE_FIELD_ERROR = "attachments.field:"  # how a row waiting for the file field is marked
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# the reason of an alarm for a lead made from the whole text (no client data, SPEC §6)
MADE_WHOLE = "form fields not recognised: a lead was made from the whole text"
STATE_META = "alarm_state"  # ledger meta key: active alarms and mailbox trouble, as JSON
RESPONSIBLE_META = "responsible_inactive"  # kept by bridge.health's responsible-user check
_MARKUP = re.compile(r"<[^>]*>|\[/?[a-zA-Z]+(?:=[^\]]*)?\]")


def portal_base(webhook_url: str) -> str:
    """``https://HOST/rest/1/CODE/`` -> ``https://HOST`` (for links to leads; no secret)."""
    parts = urlsplit(webhook_url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


def first_line(text: str | None) -> str:
    """The first non-empty line of COMMENTS as a person reads it (no markup, no entities)."""
    for line in _MARKUP.sub("\n", text or "").splitlines():
        if line.strip():
            return html.unescape(line.strip())[:200]
    return ""


def lead_notice(lead_id: int, fields: dict[str, Any], portal: str,
                entity: str = LEAD) -> Notice:
    """A new-lead (or new-deal) notification: client name, phone, first line, link to the
    card (client data by design). ``data`` has ``lead_id`` or ``deal_id`` and ``entity``."""
    name = str(fields.get("NAME") or "").strip() or "-"
    phones = fields.get("PHONE") or []
    phone = str(phones[0].get("VALUE", "")) if phones and isinstance(phones[0], dict) else ""
    line = first_line(fields.get("COMMENTS"))
    entity = DEAL if entity == DEAL else LEAD
    link = item_url(portal, entity, lead_id)
    text = "\n".join(x for x in (t("notice.name", name=name),
                                 t("notice.phone", phone=phone or "-"),
                                 t("notice.message", line=line) if line else "", link) if x)
    data = {f"{entity}_id": lead_id, "entity": entity, "name": name, "phone": phone,
            "first_line": line, "url": link}
    title = (t("notice.new_deal", id=lead_id, name=name) if entity == DEAL
             else t("notice.new_lead", id=lead_id, name=name))
    return Notice("lead", "lead", str(lead_id), title, text, data)


class Monitor:
    """Alarms, notices, metrics and the health file of one running bridge."""

    def __init__(
        self,
        notify: Any,
        ledger: Any,
        *,
        send: Callable[[Notice], None],
        metrics: Metrics | None = None,
        health_file: Path | None = None,
        textfile: Path | None = None,
        portal: str = "",
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.notify = notify
        self.ledger = ledger
        self.send = send
        self.metrics = metrics
        self.health_file = health_file
        self.textfile = textfile
        self.portal = portal
        self.clock = clock
        self.alarms = Alarms(send, repeat=timedelta(minutes=notify.repeat_minutes), clock=clock)
        self.started_at = clock()
        self.last_success: datetime | None = None
        self.mailbox_failing_since: datetime | None = None
        self.mailbox_error = ""
        self._restore()
        self.alarms.on_change = self._save

    def _restore(self) -> None:
        """Alarms already sent, the last success and the mailbox trouble, from the ledger."""
        try:
            state = json.loads(self.ledger.get_meta(STATE_META) or "{}")
            self.alarms.restore(state.get("alarms", []))
            if failing := state.get("mailbox_failing_since"):
                self.mailbox_failing_since = datetime.fromisoformat(failing)
                self.mailbox_error = str(state.get("mailbox_error", ""))
            if success := self.ledger.get_meta("last_success_at"):
                self.last_success = datetime.fromisoformat(success)
        except (ValueError, TypeError, AttributeError):
            log.warning("monitor.state_unreadable (alarms start afresh)")

    def _save(self) -> None:
        failing = self.mailbox_failing_since
        state = {"alarms": self.alarms.dump(),
                 "mailbox_failing_since": failing.isoformat() if failing else None,
                 "mailbox_error": self.mailbox_error}
        try:
            self.ledger.set_meta(STATE_META, json.dumps(state, sort_keys=True))
        except Exception:  # the ledger reports its own errors; alarms go on in memory
            log.warning("monitor.state_not_saved")

    def stopped(self, error: BaseException) -> None:
        """The daemon stops on a setup error (exit 78): say so at once, whatever the threshold."""
        self.alarms.raise_(kinds.STOPPED, "", f"{type(error).__name__}: {error}")

    # -- hooks --------------------------------------------------------------------------

    def lead_created(self, row: Any, lead_id: int, lead: Any, entity: str = LEAD) -> None:
        """The pipeline's new-lead hook (also for a deal, ``entity="deal"``): the latency
        metric and, if on, a notification."""
        now = self.clock()
        when = getattr(row, "msg_date", None) or getattr(row, "received_at", None)
        if self.metrics is not None and when is not None:
            self.metrics.latency.observe(max((now - when).total_seconds(), 0.0))
        if self.notify.on_lead:
            self.send(lead_notice(lead_id, getattr(lead, "fields", {}) or {}, self.portal,
                                  entity))

    def poll_finished(
        self, report: Any | None, error: BaseException | None, started: datetime
    ) -> None:
        """After each poll (``report`` None when it raised ``error``)."""
        now = self.clock()
        try:
            self._mailbox(report, error, now)
            if report is not None and not report.errors:
                self.last_success = now
                self.alarms.clear(kinds.STALL)
                self.alarms.clear(kinds.STOPPED)
            self._outcomes(report, started)
            self._blocked()
            self.tick()
        except Exception:  # telling the outside must never break the poll loop
            log.exception("monitor.failed (a bug)")

    def tick(self) -> None:
        """Time-based alarms and repeats; call every few seconds to a minute."""
        now = self.clock()
        since = self.last_success or self.started_at
        stall = timedelta(minutes=self.notify.stall_minutes)
        if now - since >= stall:
            minutes = int((now - since).total_seconds() // 60)
            self.alarms.raise_(kinds.STALL, "", f"no successful poll for {minutes} min")
        failing = self.mailbox_failing_since
        if failing is not None and now - failing >= timedelta(minutes=self.notify.mailbox_minutes):
            self.alarms.raise_(kinds.MAILBOX, "", self.mailbox_error)
        self.alarms.tick()
        if self.metrics is not None:
            active = [a.kind for a in self.alarms.active()]
            for kind in kinds.TITLES:
                self.metrics.alarms.labels(kind).set(active.count(kind))
        self._write_files(now)

    # -- pieces -------------------------------------------------------------------------

    def _mailbox(
        self, report: PollReport | None, error: BaseException | None, now: datetime
    ) -> None:
        from bridge.errors import MailboxError, MailboxRejected

        problem = ""
        if isinstance(error, MailboxRejected):
            problem = "login or folder refused by the IMAP server"
        elif report is not None and report.refused:  # the daemon goes on
            problem = f"login or folder refused by the IMAP server: {report.refused}"
        elif isinstance(error, MailboxError) or (report is not None and report.errors):
            problem = "IMAP server unreachable"
        if problem:
            self.mailbox_error = problem
            if self.mailbox_failing_since is None:
                self.mailbox_failing_since = now
                self._save()
        elif error is None:
            if self.mailbox_failing_since is not None:
                self.mailbox_failing_since = None
                self._save()
            self.alarms.clear(kinds.MAILBOX)

    def _outcomes(self, report: Any | None, started: datetime) -> None:
        rows = self.ledger.changed_since(started, ("quarantined", "skipped"))
        for row in rows:
            if row.state == "skipped":
                if self.metrics is not None:
                    self.metrics.skipped.labels(skip_label(row.reason)).inc()
                continue
            unrecognised = (row.reason or "").startswith(UNRECOGNISED_REASON)
            kind = kinds.UNRECOGNISED if unrecognised else kinds.QUARANTINED
            if self.metrics is not None:
                (self.metrics.unrecognised if unrecognised else self.metrics.quarantined).inc()
            self.alarms.raise_(kind, str(row.id), row.reason or "quarantined")
        for row_id in getattr(report, "unrecognised_ids", ()) if report is not None else ():
            if self.metrics is not None:
                self.metrics.unrecognised.inc()
            self.alarms.raise_(kinds.UNRECOGNISED, str(row_id), MADE_WHOLE)
        self._file_field()
        for kind, key in self.alarms.active_keys():
            if (kind in (kinds.QUARANTINED, kinds.UNRECOGNISED) and key.isdigit()
                    and not self._still_needs_a_person(kind, int(key))):
                self.alarms.clear(kind, key)
        if self.metrics is not None:
            counts = self.ledger.counts()
            self.metrics.set_states(counts)
            self.metrics.waiting.set(counts.get("failed", 0))
            if report is not None:
                self.metrics.leads_created.inc(report.created)
                self.metrics.duplicates.inc(report.duplicates)
            if self.last_success is not None:
                self.metrics.last_success.set(self.last_success.timestamp())

    def _still_needs_a_person(self, kind: str, row_id: int) -> bool:
        """A quarantined message until it leaves quarantine; a lead made from the whole text
        (fields not recognised) until a later form from the same sender is read whole."""
        current = self.ledger.by_id(row_id)
        if current is not None and current.state == "quarantined":
            return True
        if kind != kinds.UNRECOGNISED or current is None or current.state != "created":
            return False
        counted = sender_of(self.ledger, row_id)
        if counted is None:
            return False
        alarm = next((a for a in self.alarms.active([kind]) if a.key == str(row_id)), None)
        recognised = counted[1]
        return not (recognised and alarm and datetime.fromisoformat(recognised) >= alarm.since)

    def _file_field(self) -> None:
        """Mail with files waiting because the named file field is gone (bridge.filefield
        records such rows as failed with an ``attachments.field:`` error): one alarm while
        any waits, resolved when none does."""
        waiting = [r for r in self.ledger.changed_since(_EPOCH, ("failed",))
                   if (r.error or "").startswith(FILE_FIELD_ERROR)]
        if waiting:
            reason = (waiting[-1].error or "").partition(";")[0]
            self.alarms.raise_(kinds.FILE_FIELD, "attachments.field", reason)
        else:
            self.alarms.clear(kinds.FILE_FIELD, "attachments.field")

    def _blocked(self) -> None:
        """The portal's state as the health check keeps it in the ledger: blocked, and an
        inactive responsible user (key: the user's id)."""
        from bridge.healthfile import BLOCKED_META

        reason = self.ledger.get_meta(BLOCKED_META)
        if reason:
            self.alarms.raise_(kinds.PORTAL_BLOCKED, "", reason)
        else:
            self.alarms.clear(kinds.PORTAL_BLOCKED)
        inactive = self.ledger.get_meta(RESPONSIBLE_META) or ""
        for _kind, key in self.alarms.active_keys():
            if _kind == kinds.INACTIVE_USER and key != inactive:
                self.alarms.clear(kinds.INACTIVE_USER, key)
        if inactive:
            self.alarms.raise_(kinds.INACTIVE_USER, inactive,
                               f"responsible user {inactive} is inactive or gone; leads go to "
                               "bitrix24.fallback_user_id")
        if self.metrics is not None:
            self.metrics.blocked.set(1 if reason else 0)

    def _write_files(self, now: datetime) -> None:
        if self.health_file is not None:
            try:
                snapshot = ledger_snapshot(self.ledger, now)
                write_health(self.health_file, snapshot, stall_minutes=self.notify.stall_minutes,
                             now=now, alarms=[a.kind for a in self.alarms.active()])
            except OSError as exc:
                log.warning("health.write_failed error=%s", exc.strerror)
        if self.metrics is not None and self.textfile is not None:
            self.metrics.write_textfile(self.textfile)
