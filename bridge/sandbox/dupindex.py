"""The sandbox's duplicate index, ``CONTACT_IDS`` on leads, and the simple CRM mode.

* ``crm.duplicate.findbycomm`` (crm-duplicate-find-by-comm.md) searches leads, contacts and
  companies; at most 20 values are used, at most 20 ids per type, and a type that reaches 20
  hides the types after it (LEAD, CONTACT, COMPANY, the docs' "Method Operation Features").
  The index is not updated at once: a record written shows only ``index_lag`` seconds later
  (``entities.Entities.index_lag``; bitrix24-api.md §10, §17).
* ``crm.lead.add``/``update`` take ``CONTACT_IDS`` (crm-lead-fields.md; ``CONTACT_ID`` is
  deprecated); a lead linked to a contact or company is a repeat lead (IS_RETURN_CUSTOMER).
* Simple CRM mode (``crm_mode`` 2, crm/leads/index.md): a new lead becomes a deal with a
  contact at once. ``crm.settings.mode.get`` is registered here only when no other module did.

The lead methods are wrapped, not rewritten: the wrapper delegates to the portal's own.
"""

from __future__ import annotations

import re
from typing import Any

# the methods register() wraps or defers to must be in the table first: leads (through
# entities), timeline comments, and access's crm.settings.mode.get
from bridge.sandbox import access as _access  # noqa: F401 - registers its methods first
from bridge.sandbox import comments as _comments  # noqa: F401 - registers the comment methods
from bridge.sandbox import entities as ent_mod
from bridge.sandbox.answers import ApiError, crm_error
from bridge.sandbox.base import PortalLike
from bridge.sandbox.registry import METHODS, Ctx, Handler, method
from bridge.sandbox.values import _as_int, _items

TYPES = ("LEAD", "CONTACT", "COMPANY")


def _visible(p: PortalLike, kind: str, rec_id: int) -> bool:
    ent = ent_mod.state(p)
    shown_from = ent.indexed_at.get((kind, rec_id))
    return shown_from is None or ent.clock() >= shown_from


def _tables(p: PortalLike) -> dict[str, dict[int, dict[str, Any]]]:
    ent = ent_mod.state(p)
    return {"LEAD": p.leads, "CONTACT": ent.contacts, "COMPANY": ent.companies}


def findbycomm(p: PortalLike, params: dict[str, Any], ctx: Ctx) -> Any:
    ctype = str(params.get("type", "")).upper()
    if not ctype:
        raise crm_error("Communication type is not defined.")
    if ctype not in ("EMAIL", "PHONE"):
        raise crm_error(f"Communication type '{params.get('type')}' is not supported in "
                        "current context.")
    values: list[str] = []
    for v in _items(params.get("values")) or []:
        if isinstance(v, str) and v and v not in values:
            values.append(v)
    if not values:
        raise crm_error("Communication values is not defined.")
    values = values[:ent_mod.FINDBYCOMM_MAX]
    entity = str(params.get("entity_type", "")).upper()
    if entity == "DEAL":
        raise crm_error("Deal is not supported in current context.")
    kinds = (entity,) if entity in TYPES else TYPES

    def norm(v: str) -> str:
        # the search ignores the extension (docs); digits only, e-mail case-insensitive
        if ctype == "PHONE":
            return re.sub(r"\D", "", re.split(r"(?i)\s*(?:ext\.?|доб\.?|#)", v)[0])
        return v.strip().casefold()

    wanted = {norm(v) for v in values}
    out: dict[str, list[int]] = {}
    for kind in kinds:
        table = _tables(p)[kind]
        hits = [rid for rid, rec in sorted(table.items())
                if not rec.get("_converted_to_deal") and _visible(p, kind, rid)
                and any(norm(m["VALUE"]) in wanted for m in rec.get(ctype, []))]
        if hits:
            out[kind] = hits[:ent_mod.FINDBYCOMM_MAX]
        if len(hits) >= ent_mod.FINDBYCOMM_MAX:
            break  # 20 or more of one type: the other types are not returned
    return out or []


def _contact_ids(fields: dict[str, Any]) -> list[str] | None:
    for key in list(fields):
        if str(key).upper() == "CONTACT_IDS":
            raw = fields.pop(key)
            ids = [_as_int(v) for v in (_items(raw) or [raw])]
            return [str(i) for i in ids if i and i > 0]
    return None


def _link(lead: dict[str, Any], ids: list[str] | None) -> None:
    if ids is not None:
        lead["CONTACT_IDS"] = ids
        lead["CONTACT_ID"] = ids[0] if ids else None
    elif lead.get("CONTACT_ID") and not lead.get("CONTACT_IDS"):
        lead["CONTACT_IDS"] = [lead["CONTACT_ID"]]
    if lead.get("CONTACT_ID") or lead.get("COMPANY_ID"):
        lead["IS_RETURN_CUSTOMER"] = "Y"


def convert_to_deal(p: PortalLike, lead: dict[str, Any], ctx: Ctx) -> int:
    """Simple mode: the lead becomes a deal (and a contact when it has none). Which fields
    the conversion copies is not documented (GUESS: title, comments, source, responsible,
    UTM, client data; not ORIGIN_ID), so an ORIGIN_ID lookup on deals does not find it."""
    contact_ids = list(lead.get("CONTACT_IDS") or [])
    if not contact_ids:
        contact = {k: lead[k] for k in ("NAME", "LAST_NAME", "PHONE", "EMAIL") if lead.get(k)}
        contact["ASSIGNED_BY_ID"] = lead.get("ASSIGNED_BY_ID")
        contact_ids = [str(METHODS["crm.contact.add"][1](p, {"fields": _multi_in(contact)},
                                                            ctx))]
    fields = {k: lead[k] for k in ("TITLE", "COMMENTS", "SOURCE_ID", "SOURCE_DESCRIPTION",
                                   "ASSIGNED_BY_ID", "COMPANY_ID", *ent_mod._UTM)
              if lead.get(k)}
    fields["CONTACT_IDS"] = contact_ids
    fields["LEAD_ID"] = lead["ID"]
    deal_id = _as_int(lead.get("_converted_to_deal"))
    did = ent_mod.add_deal(p, fields, ctx, deal_id=deal_id)
    lead["_converted_to_deal"] = did
    lead["STATUS_ID"] = "CONVERTED"
    return did


def _multi_in(rec: dict[str, Any]) -> dict[str, Any]:
    """Stored multifields back into the request shape (no ids)."""
    out = dict(rec)
    for key in ("PHONE", "EMAIL"):
        if key in out:
            out[key] = [{"VALUE": m["VALUE"], "VALUE_TYPE": m["VALUE_TYPE"]} for m in out[key]]
    return out


def _wrap_lead_add(original: Handler) -> Handler:
    def handler(p: PortalLike, params: dict[str, Any], ctx: Ctx) -> Any:
        params = dict(params)
        fields = params.get("fields", params.get("FIELDS"))
        ids = None
        if isinstance(fields, dict):
            fields = dict(fields)
            ids = _contact_ids(fields)
            params["fields"] = fields
            params.pop("FIELDS", None)
        lead_id = original(p, params, ctx)
        lead = p.leads[int(lead_id)]
        _link(lead, ids)
        ent_mod._index(p, "LEAD", int(lead_id))
        if int(getattr(p, "crm_mode", ent_mod.CLASSIC)) == ent_mod.SIMPLE:
            convert_to_deal(p, lead, ctx)
        return lead_id
    return handler


def _wrap_lead_update(original: Handler) -> Handler:
    def handler(p: PortalLike, params: dict[str, Any], ctx: Ctx) -> Any:
        params = dict(params)
        fields = params.get("fields")
        ids = None
        if isinstance(fields, dict):
            fields = dict(fields)
            ids = _contact_ids(fields)
            params["fields"] = fields
        result = original(p, params, ctx)
        lead_id = _as_int(params.get("id", params.get("ID")))
        if lead_id in p.leads:
            _link(p.leads[lead_id], ids)
            ent_mod._index(p, "LEAD", lead_id)
        return result
    return handler


def _wrap_status_list(original: Handler) -> Handler:
    def handler(p: PortalLike, params: dict[str, Any], ctx: Ctx) -> Any:
        ent_mod.state(p)  # the general funnel's stages exist from the start
        return original(p, params, ctx)
    return handler


def _wrap_comment_add(original: Handler) -> Handler:
    """Timeline comments on deals too (crm-timeline-comment-add.md: ENTITY_TYPE lead, deal,
    contact, company, ...); the lead checks stay the portal's own."""
    def handler(p: PortalLike, params: dict[str, Any], ctx: Ctx) -> Any:
        fields = params.get("fields")
        if not (isinstance(fields, dict) and str(fields.get("ENTITY_TYPE", "")).lower() == "deal"):
            return original(p, params, ctx)
        deal_id = _as_int(fields.get("ENTITY_ID"))
        if deal_id is None or deal_id not in ent_mod.state(p).deals:
            raise ApiError(400, "OWNER_NOT_FOUND", "Owner entity is not found.")
        saved = p.leads
        try:  # the portal's own handler, with the deal standing in for its owner
            p.leads = {deal_id: ent_mod.state(p).deals[deal_id]}
            cid = original(p, {**params, "fields": {**fields, "ENTITY_TYPE": "lead"}}, ctx)
        finally:
            p.leads = saved
        p.comments[int(cid)]["ENTITY_TYPE"] = "deal"
        return cid
    return handler


def _mode_get(p: PortalLike, params: dict[str, Any], ctx: Ctx) -> Any:
    return int(getattr(p, "crm_mode", ent_mod.CLASSIC))


def register() -> None:
    """Put the wrapped methods into the method table (once)."""
    if getattr(METHODS["crm.lead.add"][1], "_dupindex", False):
        return
    for name, wrap in (("crm.lead.add", _wrap_lead_add), ("crm.lead.update", _wrap_lead_update),
                       ("crm.status.list", _wrap_status_list),
                       ("crm.timeline.comment.add", _wrap_comment_add)):
        scope, original = METHODS[name]
        wrapped = wrap(original)
        wrapped._dupindex = True  # type: ignore[attr-defined]  # marks the wrapper
        METHODS[name] = (scope, wrapped)
    method("crm.duplicate.findbycomm", "crm")(findbycomm)
    if "crm.settings.mode.get" not in METHODS:  # the access module may register it first
        method("crm.settings.mode.get", "crm")(_mode_get)


register()
