"""The Pipeline: one mailbox folder -> the ledger -> Bitrix24; ``poll_once`` sequences a pass.

The steps live in their own modules and share one :class:`~bridge.pipeline.context.Context`:
intake (``intake``), parse/decide/push (``push``, ``dealpush``, ``lookups``, ``outcomes``),
comments and the mailbox update (``finish``).
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from bridge.clock import utcnow
from bridge.errors import MailboxUnavailable
from bridge.filefield import FileFieldResolver
from bridge.model import PollReport
from bridge.pipeline.context import Context, OnLead, one_line
from bridge.pipeline.dealpush import DealPush
from bridge.pipeline.finish import Finisher
from bridge.pipeline.intake import Intake
from bridge.pipeline.lookups import Lookups
from bridge.pipeline.outcomes import Outcomes
from bridge.pipeline.protocols import Crm, Ledger, Mailbox
from bridge.pipeline.push import Pusher
from bridge.pipeline.settings import Settings
from bridge.refusal import Refusal
from bridge.states import FAILED, PUSHABLE

if TYPE_CHECKING:
    from bridge.crm_target import Targeting

log = logging.getLogger("bridge.pipeline")


def _targeting(settings: Settings, ledger: Ledger, crm: Crm) -> Targeting | None:
    """Routing, repeat clients and deals (bridge.crm_target) when the config asks for them."""
    from bridge.crm_target import Targeting, needed  # only then: it pulls the deal modules in

    if not needed(settings.crm, settings.routes):
        return None
    return Targeting(settings.crm, settings.routes, settings.lead, crm, ledger)


class Pipeline:
    """One mailbox folder -> the ledger -> Bitrix24. ``poll_once`` is one pass."""

    def __init__(
        self,
        settings: Settings,
        ledger: Ledger,
        crm: Crm,
        mailbox_factory: Callable[[], Mailbox] | None,
        *,
        clock: Callable[[], datetime] = utcnow,
        rng: Callable[[], float] = random.random,
        stop: threading.Event | None = None,
        progress: Callable[[int, int], None] | None = None,
        on_lead: OnLead | None = None,
    ) -> None:
        targeting = _targeting(settings, ledger, crm)  # None: today's behaviour
        self.ctx = Context(
            settings, ledger, crm, clock, rng, stop or threading.Event(),
            FileFieldResolver(crm, settings.file_field, settings.health_interval),
            targeting, on_lead, progress,
        )
        self.refusal: Refusal | None = None  # the daemon's (bridge.refusal): a refusal waits
        outcomes = Outcomes(self.ctx)
        lookups = Lookups(self.ctx, outcomes)
        deals = DealPush(self.ctx, outcomes, targeting) if targeting is not None else None
        self._intake = Intake(self.ctx, mailbox_factory)
        self._push = Pusher(self.ctx, outcomes, lookups, deals)
        self._finish = Finisher(self.ctx, self._intake)

    # -- the pass ---------------------------------------------------------------------

    def poll_once(self) -> PollReport:
        """Fetch what is new, process everything due, update the mailbox. Raises only for
        a wrong setup (ConfigError, MailboxRejected, CrmSetupError)."""
        report = PollReport()
        mailbox_ok = True
        reused = self._intake.mailbox is not None
        try:
            try:
                self._intake.run(report, self.refusal)
            except MailboxUnavailable:
                if not reused:
                    raise
                # A kept connection may have timed out on the server: one fresh try.
                self.drop_mailbox()
                self._intake.run(report, self.refusal)
        except MailboxUnavailable as exc:
            mailbox_ok = False
            self._unavailable(report, exc)
        self._push.run(report)
        if mailbox_ok:
            try:
                self._finish.run(report)
            except MailboxUnavailable as exc:
                self._unavailable(report, exc)
        counts = self.ledger.counts()
        report.waiting = counts.get(FAILED, 0) + (0 if mailbox_ok else 1)
        return report

    def intake_only(self) -> PollReport:
        """Take new mail into the ledger and send nothing (the portal is blocked)."""
        report = PollReport()
        try:
            self._intake.run(report, self.refusal)
        except MailboxUnavailable as exc:
            self._unavailable(report, exc)
        report.waiting = sum(1 for r in self.ledger.due(self.clock()) if r.state in PUSHABLE)
        return report

    def _unavailable(self, report: PollReport, exc: MailboxUnavailable) -> None:
        self.drop_mailbox()
        report.errors.append(f"mailbox unavailable: {exc}")
        log.warning("mailbox.unavailable error=%s", one_line(exc))

    def has_work(self) -> bool:
        """Is any message waiting to be sent now?"""
        return any(r.state in PUSHABLE for r in self.ledger.due(self.clock()))

    def assign_to(self, user_id: int) -> None:
        """New leads go to ``user_id`` (the fallback for an inactive responsible user)."""
        if self.s.lead.responsible_user_id != user_id:
            self.s = replace(self.s, lead=replace(self.s.lead, responsible_user_id=user_id))
            if self.targeting is not None:  # routes fall back to the same default user
                self.targeting.base = self.s.lead

    def close(self) -> None:
        """Close the mailbox connection (the ledger and the CRM client are the caller's)."""
        self.drop_mailbox()

    def drop_mailbox(self) -> None:
        """Forget the mailbox connection; the next pass connects again."""
        self._intake.drop()

    # -- what callers read or set (kept in the shared context) -------------------------

    @property
    def s(self) -> Settings:
        return self.ctx.s

    @s.setter
    def s(self, value: Settings) -> None:
        self.ctx.s = value

    @property
    def ledger(self) -> Ledger:
        return self.ctx.ledger

    @property
    def crm(self) -> Crm:
        return self.ctx.crm

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.ctx.clock

    @property
    def stop(self) -> threading.Event:
        return self.ctx.stop

    @property
    def files(self) -> FileFieldResolver:
        """Where attachments go (bridge.filefield), read from the portal now and then."""
        return self.ctx.files

    @property
    def targeting(self) -> Targeting | None:
        """Routing, repeat clients and deals; None when the config asks for none."""
        return self.ctx.targeting

    @property
    def pushing_sent_at(self) -> datetime | None:
        """After a lease is taken over (bridge.multibox): rows the old owner left in
        ``pushing`` count as sent at this time, so none is looked up before
        ``max_request_seconds`` after it."""
        return self.ctx.pushing_sent_at

    @pushing_sent_at.setter
    def pushing_sent_at(self, when: datetime | None) -> None:
        self.ctx.pushing_sent_at = when

    @property
    def on_lead(self) -> OnLead | None:
        """Told of each lead (and deal: entity="deal") created."""
        return self.ctx.on_lead

    @on_lead.setter
    def on_lead(self, hook: OnLead | None) -> None:
        self.ctx.on_lead = hook

    @property
    def progress(self) -> Callable[[int, int], None] | None:
        """(fetched, to fetch) after each message of the intake."""
        return self.ctx.progress

    @progress.setter
    def progress(self, hook: Callable[[int, int], None] | None) -> None:
        self.ctx.progress = hook

    @property
    def push_progress(self) -> Callable[[int, int], None] | None:
        """(sent so far, due in this pass) after each message; the CLI's progress line."""
        return self.ctx.push_progress

    @push_progress.setter
    def push_progress(self, hook: Callable[[int, int], None] | None) -> None:
        self.ctx.push_progress = hook
