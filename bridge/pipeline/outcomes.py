"""What becomes of a row after one attempt: created, found, waiting for a retry, rejected.

Every decision here is committed to the ledger before the pass goes on. :meth:`Outcomes.send`
is the one place the answers every single send shares are handled: a temporary failure makes
the row wait and pauses the pass; a setup error marks the row and stops the run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, TypeVar

from bridge.errors import CrmError, CrmRejected, CrmSetupError, CrmTemporary, CrmUnknownOutcome
from bridge.model import Lead, PollReport
from bridge.pipeline.context import Context, StopPushing, one_line
from bridge.ratelimit import backoff_delay

if TYPE_CHECKING:
    from bridge.store import MessageRecord

log = logging.getLogger("bridge.pipeline")  # one logger for the package, as before the split

T = TypeVar("T")


def _nothing(exc: CrmRejected) -> None:
    """No extra step for a rejected send."""


class Outcomes:
    """Records the outcome of an attempt for one row (or a group of rows)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def delay(self, attempts: int) -> timedelta:
        """Backoff before attempt number ``attempts`` (with jitter)."""
        s = self.ctx.s
        return timedelta(seconds=backoff_delay(attempts, s.backoff_base, s.backoff_cap,
                                               self.ctx.rng))

    def temporary(
        self, row: MessageRecord, exc: Exception, minimum: float = 0.0
    ) -> None:
        """Nothing was done (or nothing is known): the row waits for a retry with backoff,
        at least ``minimum`` seconds and the portal's ``Retry-After``."""
        now = self.ctx.clock()
        delay = self.delay(row.attempts + 1)
        retry_after = (exc.retry_after if isinstance(exc, CrmError) else None) or 0.0
        delay = max(delay, timedelta(seconds=max(minimum, retry_after)))
        self.ctx.ledger.set_failed(row.id, one_line(exc)[:500], now + delay, now)
        log.warning(
            "message.retry_later id=%s in_s=%d error=%s", row.id, delay.total_seconds(),
            one_line(exc),
        )

    def rejected(self, row: MessageRecord, exc: CrmError, report: PollReport) -> None:
        """The portal refused this message's data: tried again with backoff, quarantined
        after ``max_attempts``."""
        now = self.ctx.clock()
        if row.attempts + 1 >= self.ctx.s.max_attempts:
            self.ctx.ledger.set_quarantined(row.id, f"rejected by Bitrix24: {exc}"[:500], now)
            report.quarantined += 1
            log.error("message.quarantined id=%s reason=crm_rejected", row.id)
        else:
            later = now + self.delay(row.attempts + 1)
            self.ctx.ledger.set_failed(row.id, f"rejected by Bitrix24: {exc}"[:500], later, now)
            log.warning("message.rejected id=%s attempt=%s", row.id, row.attempts + 1)

    def record_found(
        self, rows: list[MessageRecord], found: dict[str, int], report: PollReport
    ) -> list[MessageRecord]:
        """Record the leads a lookup found; return the rows it did not find."""
        now = self.ctx.clock()
        missing = []
        for r in rows:
            lead_id = found.get(r.origin_id)
            if lead_id is None:
                missing.append(r)
                continue
            self.ctx.ledger.set_created(r.id, lead_id, now)
            report.created += 1
            log.info("lead.found id=%s lead_id=%s", r.id, lead_id)
        return missing

    def send(
        self, row: MessageRecord, call: Callable[[], T], report: PollReport, *,
        unknown: Callable[[CrmUnknownOutcome], None],
        rejected: Callable[[CrmRejected], None] = _nothing,
    ) -> T | None:
        """One write for one row (a lead or a deal); None when it did not succeed. Rejected:
        ``rejected`` then the backoff; unknown outcome: ``unknown`` decides; temporary: the
        row waits and the pass pauses; setup error: the row fails now and the run stops."""
        try:
            return call()
        except CrmRejected as exc:
            rejected(exc)
            self.rejected(row, exc, report)
        except CrmUnknownOutcome as exc:
            unknown(exc)
        except CrmTemporary as exc:
            self.temporary(row, exc)
            raise StopPushing from exc
        except CrmSetupError as exc:
            now = self.ctx.clock()
            self.ctx.ledger.set_failed(row.id, f"setup: {exc}", now, now)
            raise
        return None

    def tell(self, row: MessageRecord, item_id: int, lead: Lead, entity: str = "lead") -> None:
        """The new-lead hook (notifications, metrics); never holds up or fails the lead."""
        if self.ctx.on_lead is None:
            return
        try:
            if entity == "lead":
                self.ctx.on_lead(row, item_id, lead)
            else:
                self.ctx.on_lead(row, item_id, lead, entity=entity)
        except Exception:  # a notification must never hold up or fail a lead or a deal
            log.exception("%s.hook_failed id=%s (a bug)", entity, row.id)
