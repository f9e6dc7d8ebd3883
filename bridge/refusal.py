"""The daemon's answer to a mailbox that refuses it (login refused, folder missing,
certificate not trusted: ``MailboxRejected``).

SPEC §1: the daemon exits 78 only for a broken config file or a corrupt ledger, so a refused
mailbox does not stop it. The pipeline asks ``may_try()`` before it connects; a refusal is
logged at error priority once per attempt and the next attempt waits with a doubling delay
capped at the poll interval (never a tight loop), while the CRM side keeps sending what is
due. ``status_line()`` is the systemd STATUS text while the mailbox refuses; ``reset()``
(after a SIGHUP reload) lets the next poll try the new settings at once. ``--poll-now``
keeps no Refusal: there the error is a setup problem and the run exits 78.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

log = logging.getLogger(__name__)

FIRST_DELAY = 1.0  # seconds before the first retry; doubles up to the cap


class Refusal:
    """The state of a mailbox that refuses the daemon, and when to try it again."""

    def __init__(self, cap: float, *, clock: Callable[[], float] = time.monotonic,
                 name: str = "") -> None:
        self.cap = max(float(cap), 0.0)
        self.name = name  # the mailbox's name under [[mailboxes]] (logged), else ""
        self.clock = clock
        self.error = ""  # the last refusal, one line ("" while the mailbox accepts)
        self.since: datetime | None = None
        self.delay = 0.0
        self.next_try = 0.0
        self._lock = threading.Lock()

    @property
    def refused(self) -> bool:
        return bool(self.error)

    def may_try(self) -> bool:
        """Is an attempt to connect allowed now (no refusal, or its delay has passed)?"""
        with self._lock:
            return not self.error or self.clock() >= self.next_try

    def failed(self, exc: BaseException) -> None:
        """A refusal: log it (error priority) and schedule the next attempt."""
        text = " ".join(str(exc).split())
        with self._lock:
            self.delay = min(max(self.delay * 2, FIRST_DELAY), self.cap) if self.cap else 0.0
            self.next_try = self.clock() + self.delay
            self.error = f"{type(exc).__name__}: {text}"
            if self.since is None:
                self.since = datetime.now(UTC)
            delay = self.delay
        where = f" mailbox={self.name}" if self.name else ""
        log.error("mailbox.refused%s retry_in_s=%.1f error=%s", where, delay, self.error)

    def succeeded(self) -> None:
        """The mailbox accepted us again."""
        with self._lock:
            was = self.error
            self.error, self.since, self.delay, self.next_try = "", None, 0.0, 0.0
        if was:
            log.info("mailbox.accepted%s (the refusal is over)",
                     f" mailbox={self.name}" if self.name else "")

    def reset(self) -> None:
        """New settings (a reload): the next poll tries at once; the refusal stays known."""
        with self._lock:
            self.delay = 0.0
            self.next_try = 0.0

    def status_line(self) -> str | None:
        """The systemd STATUS text while the mailbox refuses, else None."""
        with self._lock:
            if not self.error:
                return None
            since = self.since.strftime("%H:%M:%S") if self.since else "?"
            return (f"MAILBOX REFUSED since {since} UTC: {self.error} "
                    "(due CRM retries go on; fix the setting and reload)")
