"""Alarms: sent once when they start, repeated at most every ``repeat``, resolved when they clear.

An alarm is identified by its kind and a key (a ledger id, a mailbox name, "" for the one
portal). The API::

    alarms = Alarms(dispatcher.submit, repeat=timedelta(minutes=60), clock=clock)
    alarms.raise_(QUARANTINED, "42", "layout not recognised")   # sends "alarm" once
    alarms.raise_(QUARANTINED, "42", "layout not recognised")   # nothing (already raised)
    alarms.tick()          # sends "repeat" for alarms whose last notice is older than repeat
    alarms.clear(QUARANTINED, "42")                             # sends "resolved" once

Texts carry the ledger id and the reason, never a subject or client data (SPEC §6). The
clock is injected, so tests move time instead of sleeping. Thread-safe.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bridge.alerts.channels import Notice
from bridge.clock import utcnow
from bridge.i18n import t
from bridge.logsetup import REDACTOR

log = logging.getLogger(__name__)

PORTAL_BLOCKED = "portal_blocked"
MAILBOX = "mailbox_unreachable"
QUARANTINED = "quarantined"
UNRECOGNISED = "unrecognised"
FILE_FIELD = "file_field_vanished"
INACTIVE_USER = "inactive_user"
STALL = "stall"
RELOAD_FAILED = "reload_failed"
STOPPED = "stopped"  # the daemon stopped on a setup error (exit 78); resolved by a later good poll

TITLES: dict[str, str] = {
    PORTAL_BLOCKED: "Bitrix24 portal blocked: no leads are sent",
    MAILBOX: "mailbox unreachable",
    QUARANTINED: "a message is quarantined and needs a person",
    UNRECOGNISED: "a form e-mail was not recognised",
    FILE_FIELD: "the lead file field has vanished",
    INACTIVE_USER: "the responsible user is inactive or gone",
    STALL: "no successful poll",
    RELOAD_FAILED: "config reload failed: the old config stays",
    STOPPED: "mailbridge stopped on a setup error",
}
FIXES: dict[str, str] = {
    PORTAL_BLOCKED: "see `mailbridge status` and fix the webhook or the portal",
    MAILBOX: "check the IMAP server and the login (`mailbridge check`)",
    QUARANTINED: "see `mailbridge status`, fix the cause, then `mailbridge retry ID`",
    UNRECOGNISED: "see `mailbridge status`; the form's layout may need parsing.labels",
    FILE_FIELD: "create the multiple File field again or set attachments.field",
    INACTIVE_USER: "leads go to bitrix24.fallback_user_id; set bitrix24.responsible_user_id",
    STALL: "see `journalctl -u mailbridge` and `mailbridge status`",
    RELOAD_FAILED: "fix the config file and send SIGHUP again (`systemctl reload mailbridge`)",
    STOPPED: "fix what the reason names, then `systemctl restart mailbridge`",
}


@dataclass(slots=True)
class Alarm:
    kind: str
    key: str
    reason: str
    since: datetime
    last_sent: datetime


def alarm_notice(event: str, alarm: Alarm, now: datetime) -> Notice:
    """The notice for an alarm event ("alarm", "repeat" or "resolved"), in the language of
    what a person reads (``ui.language``; the catalogue's English equals TITLES/FIXES)."""
    title = t("alarm.title." + alarm.kind) if alarm.kind in TITLES else alarm.kind
    what = f"#{alarm.key}" if alarm.key.isdigit() else alarm.key
    head = t("alarm.head." + event)
    subject = f"{head}: {title}" + (f" ({what})" if what else "")
    minutes = int((now - alarm.since).total_seconds() // 60)
    lines = [t("alarm.reason", reason=alarm.reason)] if alarm.reason else []
    lines.append(t("alarm.since", since=alarm.since.isoformat(timespec="seconds"),
                   minutes=minutes))
    if event != "resolved":
        fix = t("alarm.fix." + alarm.kind) if alarm.kind in FIXES else t("alarm.fix.default")
        lines.append(t("alarm.fix", fix=fix))
    data = {"since": alarm.since.isoformat(timespec="seconds"), "reason": alarm.reason}
    return Notice(event, alarm.kind, alarm.key, subject, "\n".join(lines), data)


class Alarms:
    """The set of active alarms and the rule of when each is (re)sent and resolved."""

    def __init__(
        self,
        send: Callable[[Notice], None],
        *,
        repeat: timedelta,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.send = send
        self.repeat = repeat
        self.clock = clock
        self._active: dict[tuple[str, str], Alarm] = {}
        self._lock = threading.Lock()
        self.on_change: Callable[[], None] | None = None  # persist the set (Monitor)

    def raise_(self, kind: str, key: str, reason: str) -> bool:
        """Start an alarm (sends "alarm") or refresh its reason; True when it is new."""
        key = str(key)
        reason = REDACTOR.redact(" ".join(reason.split()))[:300]  # a second line of defence
        with self._lock:
            now = self.clock()
            alarm = self._active.get((kind, key))
            if alarm is not None:
                alarm.reason = reason
                return False
            alarm = Alarm(kind, key, reason, now, now)
            self._active[(kind, key)] = alarm
        log.warning("alarm.raised kind=%s key=%s", kind, key or "-")
        self.send(alarm_notice("alarm", alarm, now))
        self._changed()
        return True

    def clear(self, kind: str, key: str = "") -> bool:
        """End an alarm (sends "resolved"); True when it was active."""
        with self._lock:
            alarm = self._active.pop((kind, str(key)), None)
            now = self.clock()
        if alarm is None:
            return False
        log.info("alarm.resolved kind=%s key=%s", kind, key or "-")
        self.send(alarm_notice("resolved", alarm, now))
        self._changed()
        return True

    def tick(self) -> int:
        """Repeat every alarm whose last notice is at least ``repeat`` old; returns how many."""
        due: list[Alarm] = []
        with self._lock:
            now = self.clock()
            for alarm in self._active.values():
                if now - alarm.last_sent >= self.repeat:
                    alarm.last_sent = now
                    due.append(alarm)
        for alarm in due:
            self.send(alarm_notice("repeat", alarm, now))
        if due:
            self._changed()
        return len(due)

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    # -- persistence (a restart, or the next --poll-now, knows what was already sent) --

    def dump(self) -> list[dict[str, str]]:
        with self._lock:
            return [{"kind": a.kind, "key": a.key, "reason": a.reason,
                     "since": a.since.isoformat(), "last_sent": a.last_sent.isoformat()}
                    for a in self._active.values()]

    def restore(self, items: Iterable[dict[str, str]]) -> None:
        """Take back alarms that were already sent (no notice is sent again)."""
        with self._lock:
            for item in items:
                try:
                    alarm = Alarm(str(item["kind"]), str(item["key"]), str(item["reason"]),
                                  datetime.fromisoformat(item["since"]),
                                  datetime.fromisoformat(item["last_sent"]))
                except (KeyError, TypeError, ValueError):
                    continue  # a damaged entry is dropped, not fatal
                self._active[(alarm.kind, alarm.key)] = alarm

    def active_keys(self) -> list[tuple[str, str]]:
        with self._lock:
            return list(self._active)

    def active(self, kinds: Iterable[str] | None = None) -> list[Alarm]:
        wanted = set(kinds) if kinds is not None else None
        with self._lock:
            return [a for a in self._active.values() if wanted is None or a.kind in wanted]

    def is_active(self, kind: str, key: str = "") -> bool:
        with self._lock:
            return (kind, str(key)) in self._active
