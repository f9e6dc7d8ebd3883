"""What the pipeline asks about routing, repeat clients and the deal target (issue 14).

The pipeline makes one :class:`Targeting` only when the config routes, links repeat clients
or targets deals (:func:`needed`); with ``[crm] target = "lead"``, ``repeat = "new"`` and no
``[[routes]]`` it makes none, so today's behaviour and request count stay exactly as they
were.

* :meth:`Targeting.routed` - the route for one message (headers of the raw mail + parsed form);
* :meth:`Targeting.settings_for` - the lead settings of that route; a responsible served in
  turn is chosen once per message and kept in the ledger (``meta`` ``resp:<key>``), so
  every rebuild of the same lead names the same user;
* :meth:`Targeting.link` - ``repeat = "link"``: the leads get ``CONTACT_IDS`` and
  ``COMPANY_ID`` (and the contact's manager when ``assign_to_contact_owner``), one lookup
  for a whole group of leads;
* :meth:`Targeting.push_deal` - the deal target (bridge.deals).
"""

from __future__ import annotations

import email.parser
import email.policy
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from bridge.contacts import ContactBook
from bridge.deals import DealPlan, DealResult, DealWriter, deal_file_field, plan_for
from bridge.errors import CrmError, CrmRejected, CrmSetupError
from bridge.leads import LeadSettings
from bridge.model import Lead, ParsedForm
from bridge.repeat import client_of
from bridge.routes import (
    CrmConfig,
    Envelope,
    MetaStore,
    Route,
    Routed,
    form_name,
    next_responsible,
    recipients,
    resolve,
)

log = logging.getLogger(__name__)

USER_CACHE_SECONDS = 300.0


def needed(crm: CrmConfig, routes: Sequence[Route]) -> bool:
    """True when the config asks for anything beyond today's one-lead-per-enquiry."""
    return bool(routes) or crm.target != "lead" or crm.repeat != "new"


def envelope(raw: bytes, parsed: ParsedForm) -> Envelope:
    """What routing looks at: sender and subject as parsed, the recipient headers, the
    form's name field."""
    headers = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)
    return Envelope(sender=(parsed.sender or "").lower(), subject=parsed.subject or "",
                    recipients=recipients(headers), form=form_name(parsed.extra))


class Targeting:
    """Routing, repeat clients and deals for one portal and one ledger."""

    def __init__(self, crm: CrmConfig, routes: Sequence[Route], base: LeadSettings,
                 client: Any, meta: MetaStore, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.crm = crm
        self.routes = tuple(routes)
        self.base = base
        self.client = client
        self.meta = meta
        self.book = ContactBook(client, meta)
        self._clock = clock
        self._users: dict[int, tuple[float, bool]] = {}
        self._deal_field: tuple[float, str] | None = None

    # ---- routing
    def routed(self, raw: bytes, parsed: ParsedForm) -> Routed:
        r = resolve(self.routes, envelope(raw, parsed), title=self.base.title,
                    source_id=self.base.source_id,
                    source_description=self.base.source_description,
                    responsible=self.base.responsible_user_id, crm=self.crm)
        log.debug("route.matched route=%s target=%s", r.route or "default", r.target)
        return r

    def _active(self, user_id: int) -> bool:
        now = self._clock()
        hit = self._users.get(user_id)
        if hit is None or now - hit[0] > USER_CACHE_SECONDS:
            try:
                active = self.client.get_user(user_id) is not None
            except CrmSetupError as exc:  # e.g. no user scope: the turn cannot skip anyone
                log.warning("route.user_unchecked user=%s error=%s", user_id,
                            " ".join(str(exc).split()))
                active = True
            hit = (now, active)
            self._users[user_id] = hit
        return hit[1]

    def responsible(self, origin_id: str, routed: Routed) -> int:
        """The responsible user of this message (chosen once, kept in the ledger)."""
        if len(routed.responsible) == 1:
            return routed.responsible[0]
        key = f"resp:{origin_id}"
        kept = self.meta.get_meta(key)
        if kept and kept.isdigit():
            return int(kept)
        chosen = next_responsible(self.meta, routed.route, routed.responsible, self._active)
        if chosen is None:  # every user of the list is inactive: the portal's fallback
            log.error("route.no_active_user route=%s", routed.route or "default")
            chosen = self.base.responsible_user_id
        self.meta.set_meta(key, str(chosen))
        return chosen

    def settings_for(self, origin_id: str, routed: Routed) -> LeadSettings:
        return replace(self.base, title=routed.title, source_id=routed.source_id,
                       source_description=routed.source_description,
                       responsible_user_id=self.responsible(origin_id, routed))

    # ---- repeat clients on leads
    def link(self, leads: Sequence[Lead]) -> list[Lead]:
        """``repeat = "link"``: each lead linked to the contact/company the CRM knows.
        Raises the lookup's error (the caller retries those leads later)."""
        if self.crm.repeat != "link" or not leads:
            return list(leads)
        people = {}
        for lead in leads:
            phones = [str(m.get("VALUE")) for m in lead.fields.get("PHONE") or []]
            mails = [str(m.get("VALUE")) for m in lead.fields.get("EMAIL") or []]
            people[lead.origin_id] = client_of(phones, mails[0] if mails else None)
        matches = self.book.find(people)
        out = []
        for lead in leads:
            m = matches[lead.origin_id]
            fields = dict(lead.fields)
            if m.contact_id:
                fields["CONTACT_IDS"] = [m.contact_id]  # CONTACT_ID is deprecated on leads
            if m.company_id:
                fields["COMPANY_ID"] = m.company_id
            if self.crm.assign_to_contact_owner and m.owner_id:
                fields["ASSIGNED_BY_ID"] = m.owner_id
            out.append(Lead(lead.origin_id, fields, lead.files))
        return out

    # ---- the deal target
    def deal_file_field(self, health_interval: float = 300.0) -> str:
        now = self._clock()
        if self._deal_field is None or now - self._deal_field[0] > health_interval:
            fields = self.client.call("crm.deal.fields")
            self._deal_field = (now, deal_file_field(fields if isinstance(fields, dict)
                                                     else {}))
        return self._deal_field[1]

    def plan(self, origin_id: str, parsed: ParsedForm, routed: Routed) -> DealPlan:
        """What this enquiry becomes on the deal target (its responsible chosen once)."""
        return plan_for(parsed, self.settings_for(origin_id, routed), origin_id, routed)

    def create_deals(self, plans: Sequence[DealPlan]) -> dict[str, DealResult | CrmError]:
        """Text-only deals of a backlog in batches (bridge.deals.DealWriter.create_many)."""
        writer = DealWriter(self.client, self.meta,
                            assign_to_contact_owner=self.crm.assign_to_contact_owner)
        return writer.create_many(plans)

    def adopt_deals(self, origin_ids: Sequence[str]) -> dict[str, int]:
        """First pass of a ledger that may not know what it sent: existing deals of these
        messages (by origin) are recorded as done (bridge.deals.DealWriter.adopt_existing)."""
        return DealWriter(self.client, self.meta).adopt_existing(origin_ids)

    def is_deal(self, origin_id: str) -> bool:
        """Did this message become a deal (its step record is in the ledger)?"""
        return bool(self.meta.get_meta(f"deal:{origin_id}"))

    def deal_comment(self, deal_id: int, mark: str, text: str) -> None:
        """A timeline comment on a deal, added at most once (found by ``mark``)."""
        DealWriter(self.client, self.meta).comment_once(deal_id, mark, text)

    def push_deal(self, origin_id: str, parsed: ParsedForm, routed: Routed) -> DealResult:
        """Find or create the contact, create the deal, put the files on it."""
        settings = self.settings_for(origin_id, routed)
        plan = plan_for(parsed, settings, origin_id, routed)
        field = self.deal_file_field() if plan.files else ""
        writer = DealWriter(self.client, self.meta, file_field=field,
                            assign_to_contact_owner=self.crm.assign_to_contact_owner)
        result = writer.create(plan)
        try:
            writer.attach_files(plan, result.deal_id)
        except CrmRejected as exc:  # about this one deal (class 3): the deal stays made
            log.error("deal.files_comment_given_up deal_id=%s error=%s", result.deal_id,
                      " ".join(str(exc).split()))
        return result


def route_report(cfg: Any, raw: bytes, parsed: ParsedForm) -> dict[str, object]:
    """``parse --json`` / demo: which route matched and what it sets (no portal, no ledger:
    a list of users is shown whole, the turn is the daemon's)."""
    from bridge.routes import describe

    b = cfg.bitrix24
    routed = resolve(cfg.routes, envelope(raw, parsed), title=b.title, source_id=b.source_id,
                     source_description=b.source_description,
                     responsible=b.responsible_user_id, crm=cfg.crm)
    return dict(describe(routed))

