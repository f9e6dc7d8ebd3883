"""The portal's health and the *blocked* state (SPEC §4, class 4).

A portal-wide setup error (webhook deleted or blocked, scope removed, OVERLOAD_LIMIT, REST not
on the plan, leads the webhook user cannot read, a simple-CRM portal) does not stop the daemon:
it becomes **blocked**. It keeps taking new mail into the ledger, sends nothing, logs the error
with its fix at error priority once per ``bitrix24.health_interval``, re-checks the portal each
interval and resumes by itself when the portal accepts again.

The state lives in the ledger's ``meta`` table (no secrets), so ``status`` and a later
``--poll-now`` see it:

* ``portal_blocked``        why (error and fix), "" when not blocked;
* ``portal_blocked_since``  ISO time the block began;
* ``portal_checked_at``     ISO time of the last portal check;
* ``readback:<host>/<user>`` JSON: whether the first lead this webhook user created was found
  again by its ORIGIN_ID (the exactly-once lookup depends on it).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from bridge.errors import (
    CrmError,
    CrmRejected,
    CrmSetupError,
    CrmTemporary,
    CrmUnknownOutcome,
)
from bridge.model import PollReport

log = logging.getLogger(__name__)


class Passes(Protocol):
    """What a guarded pass drives: the pipeline's intake-only and full passes."""

    def intake_only(self) -> PollReport: ...
    def poll_once(self) -> PollReport: ...
    def has_work(self) -> bool: ...

BLOCKED = "portal_blocked"
SINCE = "portal_blocked_since"
CHECKED = "portal_checked_at"
RESPONSIBLE_INACTIVE = "responsible_inactive"  # the inactive responsible user's id, or ""
SIMPLE_MODE = 2  # crm.settings.mode.get: 1 classic (with leads), 2 simple (without leads)

SIMPLE_MODE_FIX = (
    "the portal is in simple CRM mode (crm.settings.mode.get = 2): a new lead becomes a deal "
    "at once, so the bridge could not find its leads again (exactly-once needs it); "
    'this portal needs crm.target = "deal", or switch the portal to classic CRM mode '
    "(CRM → Settings → CRM mode: Classic)"
)
READ_RIGHT = (
    "in CRM → Settings → Access permissions give the webhook user's role Leads → Read = "
    '"All" (or make the webhook user a portal administrator, or set '
    "bitrix24.responsible_user_id to the webhook's own user)"
)


def fix_for(exc: CrmError) -> str:
    """The error's text with what an operator does about it."""
    text = " ".join(str(exc).split())
    code = (exc.code or "").upper()
    if code == "OVERLOAD_LIMIT" and "support" not in text:
        return (f"{text}; Bitrix24 support has blocked REST for this portal (OVERLOAD_LIMIT): "
                "contact Bitrix24 support to lift the block")
    if code == "ACCESS_DENIED" and "commercial plan" in text:
        return (f"{text}; inbound webhooks need a commercial Bitrix24 plan: renew or upgrade "
                "the portal's plan")
    if not code and "access denied" in text.lower():
        return (f"{text}; in CRM → Settings → Access permissions give the webhook user's role "
                'Leads → Add and Leads → Read = "All"')
    return text


def alarm_responsible_inactive(user_id: int, assigned_to: int) -> None:
    """The alarm for an inactive or deleted responsible user (notifications hook in here)."""
    log.error("lead.responsible_inactive user=%s assigned_to=%s fix=set "
              "bitrix24.responsible_user_id to an active employee", user_id, assigned_to)


def alarm_portal_blocked(reason: str) -> None:
    """The alarm while the bridge is blocked (once per check; notifications hook in here)."""
    log.error("portal.blocked reason=%s", " ".join(reason.split()))


def alarm_portal_resolved(blocked_since: str) -> None:
    """The portal accepts again: the block is over (notifications send "resolved" here)."""
    log.warning("portal.unblocked blocked_since=%s", blocked_since)


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class PortalHealth:
    """Checks the portal, keeps the blocked state in the ledger and reads the first lead back."""

    def __init__(
        self,
        crm: Any,
        ledger: Any,
        *,
        webhook_user_id: int,
        readback_key: str,
        responsible_user_id: int,
        fallback_user_id: int = 0,
        interval: float = 300.0,
        assign: Callable[[int], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        lead_target: bool = True,
    ) -> None:
        self.lead_target = lead_target  # False: every enquiry is a deal (crm.target, routes)
        self.crm = crm
        self.ledger = ledger
        self.webhook_user_id = webhook_user_id
        self.readback_key = f"readback:{readback_key}"
        self.responsible_user_id = responsible_user_id
        self.fallback_user_id = fallback_user_id or webhook_user_id
        self.interval = interval
        self.assign = assign
        self.clock = clock
        self._checked: float | None = None  # monotonic time of this process's last check
        self.check_first = False  # the daemon checks at start, whatever was recorded

    # -- state ------------------------------------------------------------------------

    @property
    def reason(self) -> str:
        """Why the bridge is blocked ("" when it is not)."""
        return self.ledger.get_meta(BLOCKED) or ""

    @property
    def blocked(self) -> bool:
        return bool(self.reason)

    def status_line(self) -> str | None:
        """The systemd STATUS text while blocked, else None."""
        if not self.blocked:
            return None
        since = self.ledger.get_meta(SINCE) or "?"
        return f"BLOCKED since {since}: {self.reason} (new mail is kept in the ledger)"

    def block(self, reason: str) -> None:
        """Enter (or stay in) the blocked state; logs the reason at error priority."""
        if not self.blocked:
            self.ledger.set_meta(SINCE, _now_iso())
        self.ledger.set_meta(BLOCKED, reason)
        alarm_portal_blocked(reason)

    def unblock(self) -> None:
        if not self.blocked:
            return
        since = self.ledger.get_meta(SINCE) or "?"
        self.ledger.set_meta(BLOCKED, "")
        self.ledger.set_meta(SINCE, "")
        alarm_portal_resolved(since)

    # -- when to check ------------------------------------------------------------------

    def stale(self) -> bool:
        """Is the last portal check (by this process, else recorded) older than the interval?"""
        if self._checked is not None:
            return self.clock() - self._checked >= self.interval
        if self.check_first:
            return True
        stored = self.ledger.get_meta(CHECKED)
        if not stored:
            return True
        try:
            at = datetime.fromisoformat(stored)
        except ValueError:
            return True
        return datetime.now(UTC) - at >= timedelta(seconds=self.interval)

    # -- the check ----------------------------------------------------------------------

    def check(self) -> bool:
        """Verify the portal now; block or unblock accordingly. True when it accepts."""
        self._checked = self.clock()
        self.ledger.set_meta(CHECKED, _now_iso())
        try:
            problem = self._probe()
        except CrmSetupError as exc:
            problem = fix_for(exc)
        except CrmTemporary as exc:
            if (exc.code or "").upper() == "OVERLOAD_LIMIT":  # a manual block, not a blip
                problem = fix_for(exc)
            else:
                log.warning("portal.check_later error=%s", " ".join(str(exc).split()))
                return not self.blocked
        except (CrmUnknownOutcome, CrmRejected) as exc:  # no verdict on the setup: next time
            log.warning("portal.check_later error=%s", " ".join(str(exc).split()))
            return not self.blocked
        if problem:
            self.block(problem)
            return False
        if self.blocked:
            self.unblock()
        return True

    def _probe(self) -> str | None:
        """One round of portal checks; a problem text, or None when all is well."""
        mode = self.crm.call("crm.settings.mode.get")
        try:
            if int(mode) == SIMPLE_MODE and self.lead_target:  # deals need no leads
                return SIMPLE_MODE_FIX
        except (TypeError, ValueError):
            log.warning("portal.unknown_crm_mode value=%r", mode)
        self._check_responsible()
        return self._recheck_readback()

    def _check_responsible(self) -> None:
        """An inactive or deleted responsible user: new leads go to the fallback user."""
        try:
            user = self.crm.get_user(self.responsible_user_id)
        except CrmSetupError as exc:
            if (exc.code or "").lower() == "insufficient_scope":
                log.debug("portal.responsible_unchecked reason=no_user_scope")
                return
            raise
        target = self.responsible_user_id
        if user is None:
            target = self.fallback_user_id
            alarm_responsible_inactive(self.responsible_user_id, target)
        # read by the notifications (bridge.alerts.monitor): the alarm lasts while this is set
        self.ledger.set_meta(RESPONSIBLE_INACTIVE, "" if user is not None else str(
            self.responsible_user_id))
        if self.assign is not None:
            self.assign(target)

    # -- reading the first lead back ----------------------------------------------------------

    def _readback(self) -> dict[str, Any]:
        raw = self.ledger.get_meta(self.readback_key)
        try:
            value = json.loads(raw) if raw else {}
        except ValueError:
            value = {}
        return value if isinstance(value, dict) else {}

    def _recheck_readback(self) -> str | None:
        """While blocked for an invisible lead: is it visible now?"""
        state = self._readback()
        if state.get("state") != "invisible" or not state.get("origin"):
            if self.blocked:  # any unblock makes the next created lead be read back again
                self.ledger.set_meta(self.readback_key, "")
            return None
        found = self.crm.find_leads_by_origin([state["origin"]])
        if state["origin"] in found:
            self._record_readback("ok", state["origin"], found[state["origin"]])
            return None
        return self._invisible_text(state.get("lead_id"))

    def read_back_if_due(self) -> None:
        """After a pass that created leads: read the newest back once per portal and user."""
        if self._readback().get("state") == "ok":
            return
        row = self.ledger.newest_lead()
        if row is None or self.ledger.get_meta(f"deal:{row.origin_id}"):
            return  # a deal (bridge.deals) is not a lead to read back
        try:
            found = self.crm.find_leads_by_origin([row.origin_id])
        except CrmSetupError as exc:  # e.g. Access denied: re-checked like an invisible lead
            self._record_readback("invisible", row.origin_id, row.lead_id)
            self.block(fix_for(exc))
            return
        except CrmError as exc:
            log.warning("lead.readback_later error=%s", " ".join(str(exc).split()))
            return
        if row.origin_id in found:
            self._record_readback("ok", row.origin_id, row.lead_id)
            log.info("lead.readback ok=true lead_id=%s", row.lead_id)
            return
        self._record_readback("invisible", row.origin_id, row.lead_id)
        self.block(self._invisible_text(row.lead_id))

    def _record_readback(self, state: str, origin: str, lead_id: Any) -> None:
        self.ledger.set_meta(self.readback_key, json.dumps(
            {"state": state, "origin": origin, "lead_id": lead_id, "at": _now_iso()}))

    def _invisible_text(self, lead_id: Any) -> str:
        return (f"the webhook's user {self.webhook_user_id} cannot read the leads it creates: "
                f"lead {lead_id} was not found again by its ORIGIN_ID, so a lost answer would "
                f"become a duplicate lead; {READ_RIGHT}")

    # -- one pass ----------------------------------------------------------------------

    def run_pass(
        self, pipeline: Passes, *, recheck: Callable[[bool], bool] | None = None
    ) -> PollReport:
        """One guarded pass: intake only while blocked, a full pass otherwise.

        ``recheck(has_work)`` says whether to check the portal now; by default, when the last
        check is older than the interval.
        """
        due = recheck or (lambda _work: self.stale())
        fetched = 0
        if self.blocked or recheck is not None:  # whether there is work is known after intake
            report = pipeline.intake_only()
            if due(pipeline.has_work()) and not self.check():
                return report
            if self.blocked:
                return report
            fetched = report.fetched  # the full pass sends what was taken in
        elif due(False) and not self.check():
            return pipeline.intake_only()
        try:
            report = pipeline.poll_once()
        except CrmSetupError as exc:
            self.block(fix_for(exc))
            report = pipeline.intake_only()
        else:
            if report.created:
                self.read_back_if_due()
        report.fetched += fetched
        return report


def for_config(cfg: Any, crm: Any, ledger: Any, pipeline: Any) -> PortalHealth:
    """The health of the portal ``cfg`` names, steering ``pipeline``'s responsible user."""
    hook = crm.webhook
    b = cfg.bitrix24
    return PortalHealth(
        crm, ledger,
        webhook_user_id=hook.user_id,
        readback_key=f"{hook.host}/{hook.user_id}",
        responsible_user_id=b.responsible_user_id,
        fallback_user_id=b.fallback_user_id,
        interval=b.health_interval,
        assign=pipeline.assign_to,
        lead_target=uses_leads(cfg),
    )


def uses_leads(cfg: Any) -> bool:
    """Does any enquiry become a lead ([crm] target, or a route's)?"""
    crm = getattr(cfg, "crm", None)
    if crm is None:
        return True
    return crm.target == "lead" or any((r.target or crm.target) == "lead" for r in cfg.routes)


def poll_now_recheck(health: PortalHealth) -> Callable[[bool], bool]:
    """--poll-now checks the portal while blocked when it has work or the last check is
    stale; otherwise only when it has work and the last check is stale (at most once per
    interval, so a cron job does not pay for it every minute)."""

    def due(has_work: bool) -> bool:
        if health.blocked:
            return has_work or health.stale()
        return has_work and health.stale()

    return due
