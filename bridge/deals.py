"""The deal target: one enquiry becomes a contact (found or created) and a deal in a funnel.

Exactly once across several calls (SPEC §3, §4): the contact carries ``ORIGINATOR_ID`` +
``<key>:contact`` and the deal ``ORIGINATOR_ID`` + ``<key>`` (the message's key, as a lead
would). Each step is committed in the ledger (``meta`` key ``deal:<key>``) before the next
is sent: "about to create the contact", "contact N", "about to create the deal", "deal M".
After a crash or a lost answer the next attempt finds what was committed on the portal by
those origin keys before sending anything again, so neither a second contact nor a second
deal is made, and the deal is never lost.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bridge.contacts import BatchClient, ContactBook
from bridge.crm import BATCH_MAX, FileContent, file_values
from bridge.errors import CrmError, CrmUnknownOutcome
from bridge.identity import ORIGINATOR_ID
from bridge.leads import LeadSettings, build_lead, files_comment, marker
from bridge.model import Attachment, ParsedForm
from bridge.repeat import Client, Match, client_of
from bridge.repeat import memo_keys as _memo
from bridge.routes import FieldMap, MetaStore, Routed, mapped_fields

log = logging.getLogger(__name__)

CONTACT_SUFFIX = ":contact"
_CONTACT_KEYS = ("NAME", "PHONE", "EMAIL", "ASSIGNED_BY_ID", "SOURCE_ID", "SOURCE_DESCRIPTION")
_DEAL_KEYS = ("TITLE", "COMMENTS", "SOURCE_ID", "SOURCE_DESCRIPTION", "ASSIGNED_BY_ID",
              "UTM_SOURCE", "UTM_MEDIUM", "UTM_CAMPAIGN", "UTM_CONTENT", "UTM_TERM")


@dataclass(frozen=True, slots=True)
class DealPlan:
    """What one enquiry becomes on the deal target."""

    origin_id: str
    client: Client
    contact: dict[str, Any]
    deal: dict[str, Any]
    files: tuple[Attachment, ...] = ()


@dataclass(frozen=True, slots=True)
class DealResult:
    deal_id: int
    contact_id: int | None
    contact_created: bool


def contact_origin(origin_id: str) -> str:
    return origin_id + CONTACT_SUFFIX


def build_deal(parsed: ParsedForm, settings: LeadSettings, origin_id: str, *,
               category_id: int = 0, stage_id: str = "",
               fields: Sequence[FieldMap] = ()) -> DealPlan:
    """The contact and deal fields for one enquiry: the lead's title, comments, source,
    UTM and files (built by bridge.leads, so text is made inert the same way: deal
    COMMENTS take BB codes, crm-deal-add.md), in the funnel and stage given."""
    lead = build_lead(parsed, settings, origin_id)
    contact = {k: lead.fields[k] for k in _CONTACT_KEYS if k in lead.fields}
    contact.update({"ORIGINATOR_ID": ORIGINATOR_ID, "ORIGIN_ID": contact_origin(origin_id)})
    contact.update(mapped_fields(fields, parsed.extra, "contact"))
    deal = {k: lead.fields[k] for k in _DEAL_KEYS if k in lead.fields}
    deal.update({"ORIGINATOR_ID": ORIGINATOR_ID, "ORIGIN_ID": origin_id,
                 "CATEGORY_ID": int(category_id)})
    if stage_id:
        deal["STAGE_ID"] = stage_id
    deal.update(mapped_fields(fields, parsed.extra, "deal"))
    phones = [p for p in (parsed.phone, *parsed.other_phones) if p]
    return DealPlan(origin_id, client_of(phones, parsed.email), contact, deal, lead.files)


def plan_for(parsed: ParsedForm, settings: LeadSettings, origin_id: str,
             routed: Routed) -> DealPlan:
    """``build_deal`` with a route's funnel, stage and field mapping."""
    return build_deal(parsed, settings, origin_id, category_id=routed.category_id,
                      stage_id=routed.stage_id, fields=routed.fields)


class DealWriter:
    """Creates contact and deal step by step, each step committed in the ledger."""

    def __init__(self, client: BatchClient, meta: MetaStore, *, file_field: str = "",
                 assign_to_contact_owner: bool = False) -> None:
        self.client = client
        self.meta = meta
        self.book = ContactBook(client, meta)
        self.file_field = file_field
        self.assign_to_owner = assign_to_contact_owner

    # ---- the step record
    def _load(self, origin_id: str) -> dict[str, Any]:
        raw = self.meta.get_meta(f"deal:{origin_id}")
        return json.loads(raw) if raw else {}

    def _save(self, origin_id: str, step: dict[str, Any]) -> None:
        self.meta.set_meta(f"deal:{origin_id}", json.dumps(step, sort_keys=True))

    def _find_by_origin(self, entity: str, origin: str) -> int | None:
        rows = self.client.call(f"crm.{entity}.list", {
            "filter": {"=ORIGINATOR_ID": ORIGINATOR_ID, "=ORIGIN_ID": origin},
            "select": ["ID", "ORIGINATOR_ID", "ORIGIN_ID"], "order": {"ID": "ASC"}})
        ids = [int(r["ID"]) for r in rows or []
               if isinstance(r, dict) and r.get("ORIGIN_ID") == origin and "ID" in r]
        return min(ids) if ids else None  # rows a dropped filter key let through are ignored

    def adopt_existing(self, origin_ids: Sequence[str]) -> dict[str, int]:
        """A ledger that may not know what it sent (a new or restored ledger, the first pass
        over a folder): deals that already exist for these messages are looked up by
        ``ORIGINATOR_ID`` + ``ORIGIN_ID`` (50 per request) and recorded as done, so they are
        not created again. Returns ``origin_id -> deal id`` of those found."""
        wanted = [o for o in dict.fromkeys(origin_ids) if not self._load(o).get("deal")]
        found: dict[str, int] = {}
        for i in range(0, len(wanted), BATCH_MAX):
            chunk = wanted[i : i + BATCH_MAX]
            rows = self.client.call("crm.deal.list", {
                "filter": {"=ORIGINATOR_ID": ORIGINATOR_ID, "@ORIGIN_ID": chunk},
                "select": ["ID", "ORIGINATOR_ID", "ORIGIN_ID", "CONTACT_ID"],
                "order": {"ID": "ASC"}})
            for r in rows or []:
                origin = r.get("ORIGIN_ID") if isinstance(r, dict) else None
                if origin in chunk and origin not in found:  # a dropped filter key: ignored
                    found[origin] = int(r["ID"])
                    step = self._load(origin)
                    step.update(deal=found[origin], contact=_int_or_none(r.get("CONTACT_ID")))
                    self._save(origin, step)
        return found

    # ---- the steps
    def _contact(self, plan: DealPlan, step: dict[str, Any], match: Match | None
                 ) -> tuple[int | None, bool]:
        if step.get("contact"):
            return int(step["contact"]), bool(step.get("contact_created"))
        origin = contact_origin(plan.origin_id)
        if step.get("contact_sent"):
            found = self._find_by_origin("contact", origin)
            if found is not None:
                self.book.remember(plan.client, found)
                step.update(contact=found, contact_created=True)
                self._save(plan.origin_id, step)
                return found, True
        if match is None and not plan.client.empty:
            match = self.book.find({plan.origin_id: plan.client})[plan.origin_id]
        if match is not None and match.contact_id:
            step.update(contact=match.contact_id, company=match.company_id,
                        owner=match.owner_id)
            self._save(plan.origin_id, step)
            return match.contact_id, False
        if match is not None and match.company_id:  # only the company is known
            step.update(company=match.company_id, owner=match.owner_id)
        if plan.client.empty and not plan.contact.get("NAME"):
            return None, False  # nobody to make a contact of
        step["contact_sent"] = True
        self._save(plan.origin_id, step)  # committed before the request goes out
        contact_id = self.book.add_contact(plan.client, _with_company(plan.contact, step))
        step.update(contact=contact_id, contact_created=True)
        self._save(plan.origin_id, step)
        return contact_id, True

    def create(self, plan: DealPlan, match: Match | None = None) -> DealResult:
        """Find or create the contact, then the deal; returns both ids. An unknown outcome
        raises CrmUnknownOutcome with the step recorded; calling again resumes there."""
        step = self._load(plan.origin_id)
        if step.get("deal"):
            return DealResult(int(step["deal"]), step.get("contact"),
                              bool(step.get("contact_created")))
        contact_id, created = self._contact(plan, step, match)
        if step.get("deal_sent"):
            found = self._find_by_origin("deal", plan.origin_id)
            if found is not None:
                step["deal"] = found
                self._save(plan.origin_id, step)
                return DealResult(found, contact_id, created)
        fields = self._deal_fields(plan, step)
        if plan.files and self.file_field:
            fields[self.file_field] = file_values(plan.files)
        step["deal_sent"] = True
        self._save(plan.origin_id, step)
        result = self.client.call("crm.deal.add", {
            "fields": fields, "params": {"REGISTER_SONET_EVENT": "Y"}}, write=True)
        try:
            deal_id = int(result)
        except (TypeError, ValueError):
            raise CrmUnknownOutcome("crm.deal.add: unexpected result") from None
        step["deal"] = deal_id
        self._save(plan.origin_id, step)
        log.info("crm.deal_created id=%d contact=%s contact_created=%s", deal_id,
                 contact_id, created)
        return DealResult(deal_id, contact_id, created)

    def _deal_fields(self, plan: DealPlan, step: dict[str, Any]) -> dict[str, Any]:
        fields = dict(plan.deal)
        if step.get("contact"):
            fields["CONTACT_IDS"] = [int(step["contact"])]
        if step.get("company"):
            fields["COMPANY_ID"] = int(step["company"])
        if self.assign_to_owner and step.get("owner"):
            fields["ASSIGNED_BY_ID"] = int(step["owner"])
        return fields

    def create_many(self, plans: Sequence[DealPlan]) -> dict[str, DealResult | CrmError]:
        """A backlog: one lookup, then contacts and deals in ``batch`` calls of 50, every
        step committed in the ledger first. A plan with files or a step already sent goes
        the one-by-one way (``create``). Per-plan errors are returned; a lookup or batch
        request that fails as a whole raises (the steps say where each plan resumes)."""
        out: dict[str, DealResult | CrmError] = {}
        todo: list[tuple[DealPlan, dict[str, Any]]] = []
        for plan in plans:
            step = self._load(plan.origin_id)
            if step.get("deal"):
                out[plan.origin_id] = DealResult(int(step["deal"]), step.get("contact"),
                                                 bool(step.get("contact_created")))
            elif plan.files or step.get("contact_sent") or step.get("deal_sent"):
                try:
                    out[plan.origin_id] = self.create(plan)
                except CrmError as exc:  # this plan waits; the others go on
                    out[plan.origin_id] = exc
            else:
                todo.append((plan, step))
        ask = {p.origin_id: p.client for p, s in todo if not s.get("contact")
               and not p.client.empty}
        matches = self.book.find(ask) if ask else {}
        groups: dict[str, list[tuple[DealPlan, dict[str, Any]]]] = {}
        for plan, step in todo:
            m = matches.get(plan.origin_id)
            if not step.get("contact") and m is not None and m.contact_id:
                step.update(contact=m.contact_id, company=m.company_id, owner=m.owner_id)
                self._save(plan.origin_id, step)
                continue
            if m is not None and m.company_id:  # only the company is known
                step.update(company=m.company_id, owner=m.owner_id)
            if not step.get("contact") and not (plan.client.empty
                                                  and not plan.contact.get("NAME")):
                keys = _memo(plan.client) or [f"origin:{plan.origin_id}"]
                leader = next((k for k in keys if k in groups), keys[0])
                groups.setdefault(leader, []).append((plan, step))  # one new client, one contact
        self._add_contacts(groups, out)
        pending = [(p, s) for p, s in todo if p.origin_id not in out]
        self._add_deals(pending, out)
        return out

    def _add_contacts(self, groups: dict[str, list[tuple[DealPlan, dict[str, Any]]]],
                      out: dict[str, DealResult | CrmError]) -> None:
        leaders = list(groups)
        for i in range(0, len(leaders), BATCH_MAX):
            part = leaders[i : i + BATCH_MAX]
            commands: dict[str, tuple[str, Mapping[str, Any]]] = {}
            for n, leader in enumerate(part):
                for plan, step in groups[leader]:
                    step["contact_sent"] = True
                    self._save(plan.origin_id, step)  # committed before the request
                first = groups[leader][0][0]
                commands[f"c{n}"] = ("crm.contact.add", {
                    "fields": _with_company(first.contact, groups[leader][0][1]),
                    "params": {"REGISTER_SONET_EVENT": "N"}})
            res = self.client.batch(commands, halt=False, write=True)
            for n, leader in enumerate(part):
                members = groups[leader]
                err = res.errors.get(f"c{n}")
                if err is None:
                    try:
                        contact_id = int(res.results.get(f"c{n}"))
                    except (TypeError, ValueError):
                        err = CrmUnknownOutcome("crm.contact.add: unexpected result in batch")
                if err is not None:
                    for plan, _ in members:
                        out[plan.origin_id] = err
                    continue
                for plan, step in members:
                    self.book.remember(plan.client, contact_id)
                    step.update(contact=contact_id, contact_created=True)
                    self._save(plan.origin_id, step)

    def _add_deals(self, pending: list[tuple[DealPlan, dict[str, Any]]],
                   out: dict[str, DealResult | CrmError]) -> None:
        for i in range(0, len(pending), BATCH_MAX):
            part = pending[i : i + BATCH_MAX]
            commands: dict[str, tuple[str, Mapping[str, Any]]] = {}
            for n, (plan, step) in enumerate(part):
                step["deal_sent"] = True
                self._save(plan.origin_id, step)
                commands[f"d{n}"] = ("crm.deal.add", {
                    "fields": self._deal_fields(plan, step),
                    "params": {"REGISTER_SONET_EVENT": "Y"}})
            res = self.client.batch(commands, halt=False, write=True)
            for n, (plan, step) in enumerate(part):
                err = res.errors.get(f"d{n}")
                if err is None:
                    try:
                        step["deal"] = int(res.results.get(f"d{n}"))
                    except (TypeError, ValueError):
                        err = CrmUnknownOutcome("crm.deal.add: unexpected result in batch")
                if err is not None:
                    out[plan.origin_id] = err
                    continue
                self._save(plan.origin_id, step)
                out[plan.origin_id] = DealResult(step["deal"], step.get("contact"),
                                                 bool(step.get("contact_created")))

    def attach_files(self, plan: DealPlan, deal_id: int) -> int | None:
        """Without a deal File field the files ride on one timeline comment on the deal,
        found again by its marker on a retry (crm-timeline-comment-add.md)."""
        if not plan.files or self.file_field:
            return None
        found = self.find_comment(deal_id, marker("files", plan.origin_id))
        if found is not None:
            return found
        result = self.client.call("crm.timeline.comment.add", {"fields": {
            "ENTITY_ID": int(deal_id), "ENTITY_TYPE": "deal",
            "COMMENT": files_comment(plan.origin_id, [f.filename for f in plan.files]),
            "FILES": [[f.filename, FileContent(f.data)] for f in plan.files]}}, write=True)
        return int(result)


    def find_comment(self, deal_id: int, mark: str) -> int | None:
        """The lowest id of a timeline comment on the deal whose text holds ``mark``."""
        rows = self.client.call("crm.timeline.comment.list", {
            "filter": {"ENTITY_ID": int(deal_id), "ENTITY_TYPE": "deal"},
            "select": ["ID", "ENTITY_ID", "COMMENT"], "order": {"ID": "ASC"}})
        hits = [int(r["ID"]) for r in rows or [] if isinstance(r, dict)
                and str(r.get("ENTITY_ID")) == str(int(deal_id))
                and mark in str(r.get("COMMENT") or "")]
        return min(hits) if hits else None

    def comment_once(self, deal_id: int, mark: str, text: str) -> int:
        """Add ``text`` to the deal's timeline unless a comment with ``mark`` is there."""
        found = self.find_comment(deal_id, mark)
        if found is not None:
            return found
        return int(self.client.call("crm.timeline.comment.add", {"fields": {
            "ENTITY_ID": int(deal_id), "ENTITY_TYPE": "deal", "COMMENT": text}}, write=True))


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) or None
    except (TypeError, ValueError):
        return None


def _with_company(contact: Mapping[str, Any], step: Mapping[str, Any]) -> dict[str, Any]:
    """A new contact of a client whose company the CRM knows belongs to that company."""
    out = dict(contact)
    if step.get("company"):
        out["COMPANY_ID"] = int(step["company"])
    return out


def deal_file_field(deal_fields: Mapping[str, Any]) -> str:
    """The deals' only multiple File user field (``crm.deal.fields``), or ""."""
    found = [name for name, info in deal_fields.items()
             if name.startswith("UF_CRM_") and isinstance(info, dict)
             and info.get("type") == "file" and info.get("isMultiple")]
    return found[0] if len(found) == 1 else ""
