"""Contacts, companies, deals, funnels and the duplicate index of the sandbox portal.

Each method follows the official REST documentation (paths in docs/bitrix24.md, "Contacts,
deals, funnels and the duplicate index"): ``crm.contact.add/get/list/update``,
``crm.company.add/get/list``, ``crm.deal.add/get/list``, ``crm.category.list``, deal stages in
``crm.status.list`` (``DEAL_STAGE``, ``DEAL_STAGE_<id>``), ``crm.duplicate.findbycomm`` over
leads, contacts and companies with an index that lags behind the writes, ``CONTACT_IDS`` on
leads, and the simple CRM mode in which a new lead becomes a deal (with a contact) at once.

The state lives in ``portal.extra["entities"]`` so ``Portal.reset`` clears it; the methods
are registered in the portal's method table when this module is imported.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bridge.sandbox.answers import ApiError, ListResult, crm_error
from bridge.sandbox.base import PortalLike
from bridge.sandbox.leads import LEAD_FIELDS, MULTIFIELDS
from bridge.sandbox.records import Ctx, UserField
from bridge.sandbox.registry import method
from bridge.sandbox.values import _as_int, _items, _now_iso, _scalar

CLASSIC, SIMPLE = 1, 2  # crm.enum.settings.mode
DEAL_TYPE_ID = 2  # entityTypeId of deals (crm.category.list)
INDEX_LAG = 0.5  # seconds before a write shows in crm.duplicate.findbycomm (GUESS: async)
FINDBYCOMM_MAX = 20
_UTM = ("UTM_SOURCE", "UTM_MEDIUM", "UTM_CAMPAIGN", "UTM_CONTENT", "UTM_TERM")
_LINK = ("ORIGINATOR_ID", "ORIGIN_ID")
_RO = ("ID", "DATE_CREATE", "DATE_MODIFY", "CREATED_BY_ID", "MODIFY_BY_ID")

# name -> (type, read-only); crm-contact-add.md, crm-company-add.md, crm-deal-add.md
CONTACT_FIELDS: dict[str, tuple[str, bool]] = {
    **{k: ("string", False) for k in ("NAME", "SECOND_NAME", "LAST_NAME", "POST", "COMMENTS",
                                      "SOURCE_DESCRIPTION", *_LINK, *_UTM)},
    "HONORIFIC": ("crm_status", False), "TYPE_ID": ("crm_status", False),
    "SOURCE_ID": ("crm_status", False), "OPENED": ("char", False),
    "COMPANY_ID": ("crm_company", False), "ASSIGNED_BY_ID": ("user", False),
    "LEAD_ID": ("crm_lead", True), "HAS_PHONE": ("char", True), "HAS_EMAIL": ("char", True),
    **{k: ("crm_multifield", False) for k in MULTIFIELDS},
    **{k: ("integer" if k == "ID" else "datetime" if "DATE" in k else "user", True)
       for k in _RO},
}
COMPANY_FIELDS: dict[str, tuple[str, bool]] = {
    "TITLE": ("string", False), "COMPANY_TYPE": ("crm_status", False),
    "COMMENTS": ("string", False), "OPENED": ("char", False),
    "ASSIGNED_BY_ID": ("user", False), **{k: ("string", False) for k in (*_LINK, *_UTM)},
    "HAS_PHONE": ("char", True), "HAS_EMAIL": ("char", True),
    **{k: ("crm_multifield", False) for k in MULTIFIELDS},
    **{k: ("integer" if k == "ID" else "datetime" if "DATE" in k else "user", True)
       for k in _RO},
}
DEAL_FIELDS: dict[str, tuple[str, bool]] = {
    **{k: ("string", False) for k in ("TITLE", "COMMENTS", "SOURCE_DESCRIPTION",
                                      "ADDITIONAL_INFO", *_LINK, *_UTM)},
    "TYPE_ID": ("crm_status", False), "CATEGORY_ID": ("crm_category", False),
    "STAGE_ID": ("crm_status", False), "SOURCE_ID": ("crm_status", False),
    "CURRENCY_ID": ("crm_currency", False), "OPPORTUNITY": ("double", False),
    "COMPANY_ID": ("crm_company", False), "CONTACT_ID": ("crm_contact", False),
    "CONTACT_IDS": ("crm_contact", False), "ASSIGNED_BY_ID": ("user", False),
    "OPENED": ("char", False), "LEAD_ID": ("crm_lead", False),
    "IS_RETURN_CUSTOMER": ("char", True), "STAGE_SEMANTIC_ID": ("string", True),
    **{k: ("integer" if k == "ID" else "datetime" if "DATE" in k else "user", True)
       for k in _RO},
}
_NUMERIC = {"ID", "COMPANY_ID", "CONTACT_ID", "ASSIGNED_BY_ID", "CREATED_BY_ID",
            "MODIFY_BY_ID", "CATEGORY_ID", "LEAD_ID", "OPPORTUNITY"}
_DEFAULT_STAGES = (("NEW", "P"), ("PREPARATION", "P"), ("EXECUTING", "P"), ("WON", "S"),
                   ("LOSE", "F"))

# the leads' CONTACT_IDS (crm-lead-fields.md: crm_contact, multiple; CONTACT_ID deprecated)
LEAD_FIELDS.setdefault("CONTACT_IDS", ("crm_contact", False))


@dataclass
class Entities:
    """Contacts, companies, deals, funnels and the duplicate index of one portal."""

    contacts: dict[int, dict[str, Any]] = field(default_factory=dict)
    companies: dict[int, dict[str, Any]] = field(default_factory=dict)
    deals: dict[int, dict[str, Any]] = field(default_factory=dict)
    categories: dict[int, str] = field(default_factory=lambda: {0: "General"})
    deal_userfields: dict[str, UserField] = field(default_factory=dict)
    # (entity, id) -> the clock time from which the duplicate index shows the record
    indexed_at: dict[tuple[str, int], float] = field(default_factory=dict)
    index_lag: float = INDEX_LAG
    clock: Callable[[], float] = time.monotonic


def state(p: PortalLike) -> Entities:
    """This portal's entity state (made on first use, cleared by ``Portal.reset``)."""
    extra = p.__dict__.setdefault("extra", {})
    ent = extra.get("entities")
    if isinstance(ent, Entities):
        return ent
    fresh = extra["entities"] = Entities()
    add_category(p, 0, "General", _fresh=fresh)
    return fresh


def stage_entity(category_id: int) -> str:
    """crm.status.list ENTITY_ID of a funnel's stages (crm-deal-add.md, STAGE_ID)."""
    return "DEAL_STAGE" if category_id == 0 else f"DEAL_STAGE_{category_id}"


def stage_id(category_id: int, code: str) -> str:
    """A funnel's stage id: ``NEW`` in the general funnel, ``C2:NEW`` in funnel 2."""
    return code if category_id == 0 else f"C{category_id}:{code}"


def add_category(p: PortalLike, category_id: int, name: str,
                 stages: tuple[str, ...] | None = None, *, _fresh: Entities | None = None
                 ) -> None:
    """Make a deal funnel with its stages (the default five when ``stages`` is None)."""
    ent = _fresh or state(p)
    with p.lock:
        ent.categories[category_id] = name
        entity = stage_entity(category_id)
        codes = stages or tuple(c for c, _ in _DEFAULT_STAGES)
        semantics = dict(_DEFAULT_STAGES)
        p.statuses[entity] = [
            {"ID": str(9000 + category_id * 100 + i), "ENTITY_ID": entity,
             "STATUS_ID": stage_id(category_id, c), "NAME": c.title(), "NAME_INIT": c.title(),
             "SORT": str((i + 1) * 10), "SYSTEM": "Y", "CATEGORY_ID": str(category_id),
             "COLOR": None, "SEMANTICS": semantics.get(c, "P") if c in ("WON", "LOSE") else None,
             "EXTRA": []} for i, c in enumerate(codes)]


def stages_of(p: PortalLike, category_id: int) -> list[str]:
    return [s["STATUS_ID"] for s in p.statuses.get(stage_entity(category_id), [])]


def set_deal_file_field(p: PortalLike, name: str, *, multiple: bool = True) -> None:
    """A File user field on deals (crm-deal-add.md: ``UF_CRM_*`` user fields)."""
    with p.lock:
        state(p).deal_userfields[name] = UserField(name, "file", multiple, 1, "Файлы")


def _index(p: PortalLike, kind: str, rec_id: int) -> None:
    ent = state(p)
    ent.indexed_at[(kind, rec_id)] = ent.clock() + ent.index_lag


# ------------------------------------------------------------------ writing records
def _apply(p: PortalLike, fields: dict[str, Any], rec: dict[str, Any],
           known: dict[str, tuple[str, Any]],
           ufs: dict[str, UserField], ctx: Ctx, update: bool) -> None:
    """Apply ``fields`` as the portal does: unknown keys dropped, multifields validated.
    The lead internalizer does the multifield and file rules; it is run on a scratch record
    (its own field table is the leads'), and only keys this entity knows are kept."""
    multi = {k: v for k, v in fields.items() if str(k).upper() in MULTIFIELDS}
    files = {k: v for k, v in fields.items() if str(k).upper() in ufs}
    scratch = {k: rec[k] for k in (*multi, *files) if k in rec}
    saved = dict(p.userfields)
    try:
        p.userfields = dict(ufs)
        p._internalize({**multi, **files}, scratch, ctx, update)
    finally:
        p.userfields = saved
    staged: dict[str, Any] = {str(k).upper(): v for k, v in scratch.items()}
    for key, value in fields.items():
        key = str(key).upper()
        if key in MULTIFIELDS or key in ufs or key not in known or known[key][1]:
            continue
        if key == "CONTACT_IDS":
            ids = [_as_int(v) for v in (_items(value) or [value])]
            staged[key] = [str(i) for i in ids if i and i > 0]
        elif not isinstance(value, (dict, list)):
            staged[key] = _scalar(value)
    if "ASSIGNED_BY_ID" in staged:
        aid = _as_int(staged["ASSIGNED_BY_ID"])
        if aid is None or aid <= 0:
            staged.pop("ASSIGNED_BY_ID") if update else staged.update(
                ASSIGNED_BY_ID=str(ctx.user_id))
        else:
            staged["ASSIGNED_BY_ID"] = str(aid)
    rec.update(staged)


def _stamp(rec: dict[str, Any], rec_id: int, ctx: Ctx, new: bool) -> None:
    now = _now_iso()
    if new:
        rec.update({"ID": str(rec_id), "CREATED_BY_ID": str(ctx.user_id), "DATE_CREATE": now})
        rec.setdefault("ASSIGNED_BY_ID", str(ctx.user_id))
        rec.setdefault("OPENED", "Y")
    rec.update({"MODIFY_BY_ID": str(ctx.user_id), "DATE_MODIFY": now})
    if "PHONE" in rec or "EMAIL" in rec or new:
        rec["HAS_PHONE"] = "Y" if rec.get("PHONE") else "N"
        rec["HAS_EMAIL"] = "Y" if rec.get("EMAIL") else "N"


def _record_id(params: dict[str, Any]) -> int:
    rec_id = _as_int(params.get("id", params.get("ID")))
    if rec_id is None or rec_id <= 0:
        raise crm_error("ID is not defined or invalid.")
    return rec_id


def _externalize(rec: dict[str, Any], known: dict[str, tuple[str, Any]], select: set[str],
                 ufs: dict[str, UserField]) -> dict[str, Any]:
    want_all = not select or "*" in select
    out: dict[str, Any] = {}
    for name, (ftype, _) in known.items():
        if ftype == "crm_multifield":
            if name in select:
                out[name] = [dict(m) for m in rec.get(name, [])]
        elif want_all or name in select or name == "ID":
            out[name] = rec.get(name, [] if name == "CONTACT_IDS" else None)
    for name in ufs:
        if "UF_*" in select or name in select:
            out[name] = [{"id": fid} for fid in rec.get(name) or []]
    return out


def _values(rec: dict[str, Any], name: str) -> list[Any]:
    if name in MULTIFIELDS:
        return [m["VALUE"] for m in rec.get(name, [])] or [None]
    value = rec.get(name)
    return (value or [None]) if isinstance(value, list) else [value]


def _list(p: PortalLike, params: dict[str, Any], table: dict[int, dict[str, Any]],
          known: dict[str, tuple[str, Any]], ufs: dict[str, UserField]) -> ListResult:
    conds = p._parse_filter(params.get("filter", params.get("FILTER")),
                            lambda n: n in known or n in ufs)
    rows = [r for _, r in sorted(table.items()) if p._match(r, conds, _values, _NUMERIC)]
    rows = p._sort(rows, params.get("order", params.get("ORDER")), _NUMERIC)
    page = p._page(rows, params.get("start"))
    select = p._select(params)
    page.items = [_externalize(r, known, select, ufs) for r in page.items]
    return page


# ------------------------------------------------------------------ contacts, companies
@method("crm.contact.add", "crm")
def _contact_add(p: PortalLike, params: dict[str, Any], ctx: Ctx) -> Any:
    ent = state(p)
    rec: dict[str, Any] = {}
    _apply(p, p._check_fields_param(params), rec, CONTACT_FIELDS, {}, ctx, update=False)
    cid = p._next_id("contact", 1)
    _stamp(rec, cid, ctx, new=True)
    ent.contacts[cid] = rec
    _index(p, "CONTACT", cid)
    return cid


@method("crm.contact.update", "crm")
def _contact_update(p: PortalLike, params: dict[str, Any], ctx: Ctx) -> Any:
    cid = _record_id(params)
    rec = state(p).contacts.get(cid)
    if rec is None:
        raise crm_error("Not found")
    _apply(p, p._check_fields_param(params, required=True), rec, CONTACT_FIELDS, {}, ctx,
           update=True)
    _stamp(rec, cid, ctx, new=False)
    _index(p, "CONTACT", cid)
    return True


@method("crm.contact.get", "crm")
def _contact_get(p: PortalLike, params: dict[str, Any], ctx: Ctx) -> Any:
    rec = state(p).contacts.get(_record_id(params))
    if rec is None:
        raise crm_error("Not found")
    return _externalize(rec, CONTACT_FIELDS, {"*", *MULTIFIELDS}, {})


@method("crm.contact.list", "crm")
def _contact_list(p: PortalLike, params: dict[str, Any], ctx: Ctx) -> Any:
    return _list(p, params, state(p).contacts, CONTACT_FIELDS, {})


@method("crm.company.add", "crm")
def _company_add(p: PortalLike, params: dict[str, Any], ctx: Ctx) -> Any:
    rec: dict[str, Any] = {}
    _apply(p, p._check_fields_param(params), rec, COMPANY_FIELDS, {}, ctx, update=False)
    cid = p._next_id("company", 1)
    _stamp(rec, cid, ctx, new=True)
    rec.setdefault("TITLE", f"Company #{cid}")
    state(p).companies[cid] = rec
    _index(p, "COMPANY", cid)
    return cid


@method("crm.company.get", "crm")
def _company_get(p: PortalLike, params: dict[str, Any], ctx: Ctx) -> Any:
    rec = state(p).companies.get(_record_id(params))
    if rec is None:
        raise crm_error("Not found")
    return _externalize(rec, COMPANY_FIELDS, {"*", *MULTIFIELDS}, {})


@method("crm.company.list", "crm")
def _company_list(p: PortalLike, params: dict[str, Any], ctx: Ctx) -> Any:
    return _list(p, params, state(p).companies, COMPANY_FIELDS, {})


# ------------------------------------------------------------------ deals
def add_deal(p: PortalLike, fields: dict[str, Any], ctx: Ctx, deal_id: int | None = None) -> int:
    """Create a deal: funnel and stage checked, the funnel's first stage by default."""
    ent = state(p)
    rec: dict[str, Any] = {}
    _apply(p, fields, rec, DEAL_FIELDS, ent.deal_userfields, ctx, update=False)
    cat = _as_int(rec.get("CATEGORY_ID") or 0)
    if cat is None or cat < 0 or cat not in ent.categories:
        # docs: "Must be greater than or equal to 0"; an unknown funnel: GUESS (refused)
        raise crm_error(f"Funnel {rec.get('CATEGORY_ID')} is not found.")
    stages = stages_of(p, cat)
    if not rec.get("STAGE_ID"):
        rec["STAGE_ID"] = stages[0]
    elif rec["STAGE_ID"] not in stages:
        raise crm_error(f"Stage {rec['STAGE_ID']} is not found in funnel {cat}.")  # GUESS
    rec["CATEGORY_ID"] = str(cat)
    if rec.get("CONTACT_IDS"):
        rec["CONTACT_ID"] = rec["CONTACT_IDS"][0]
    elif rec.get("CONTACT_ID"):
        rec["CONTACT_IDS"] = [rec["CONTACT_ID"]]
    rec.setdefault("TITLE", None)
    did = deal_id or p._next_id("deal", 1)
    if not rec["TITLE"]:
        rec["TITLE"] = f"Deal #{did}"
    _stamp(rec, did, ctx, new=True)
    rec["STAGE_SEMANTIC_ID"] = "P"
    rec["IS_RETURN_CUSTOMER"] = "Y" if rec.get("CONTACT_ID") or rec.get("COMPANY_ID") else "N"
    ent.deals[did] = rec
    return did


@method("crm.deal.add", "crm")
def _deal_add(p: PortalLike, params: dict[str, Any], ctx: Ctx) -> Any:
    return add_deal(p, p._check_fields_param(params), ctx)


@method("crm.deal.get", "crm")
def _deal_get(p: PortalLike, params: dict[str, Any], ctx: Ctx) -> Any:
    ent = state(p)
    rec = ent.deals.get(_record_id(params))
    if rec is None:
        raise crm_error("Not found")
    return _externalize(rec, DEAL_FIELDS, {"*", "UF_*"}, ent.deal_userfields)


@method("crm.deal.list", "crm")
def _deal_list(p: PortalLike, params: dict[str, Any], ctx: Ctx) -> Any:
    ent = state(p)
    return _list(p, params, ent.deals, DEAL_FIELDS, ent.deal_userfields)


@method("crm.deal.fields", "crm")
def _deal_fields(p: PortalLike, params: dict[str, Any], ctx: Ctx) -> Any:
    out: dict[str, Any] = {name: {"type": t, "isRequired": False, "isReadOnly": ro,
                                  "isImmutable": False, "isMultiple": name == "CONTACT_IDS",
                                  "isDynamic": False, "title": name}
                           for name, (t, ro) in DEAL_FIELDS.items()}
    for name, uf in state(p).deal_userfields.items():
        out[name] = {"type": uf.type, "isRequired": False, "isReadOnly": False,
                     "isImmutable": False, "isMultiple": uf.multiple, "isDynamic": True,
                     "title": name, "listLabel": uf.label, "formLabel": uf.label,
                     "filterLabel": uf.label, "settings": {}}
    return out


def deal_files(p: PortalLike, deal_id: int) -> list[tuple[str, bytes]]:
    """The files in a deal's File user fields (test helper)."""
    ent = state(p)
    rec = ent.deals[deal_id]
    return [p.files[fid] for name in ent.deal_userfields for fid in rec.get(name) or []]


@method("crm.category.list", "crm")
def _category_list(p: PortalLike, params: dict[str, Any], ctx: Ctx) -> Any:
    type_id = _as_int(params.get("entityTypeId"))
    if type_id is None:
        raise ApiError(400, "NOT_FOUND", "Smart process not found")  # crm-category-list.md
    if type_id != DEAL_TYPE_ID:
        return {"categories": []}
    cats = [{"id": cid, "name": name, "sort": 300 if cid == 0 else 200,
             "entityTypeId": DEAL_TYPE_ID, "isDefault": "Y" if cid == 0 else "N"}
            for cid, name in sorted(state(p).categories.items())]
    # the answer is a map with one key, plus "total" (crm-category-list.md)
    return ListResult({"categories": cats}, len(cats))  # type: ignore[arg-type]  # a map result
