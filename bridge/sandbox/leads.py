"""Leads: the lead field table, how fields are read in and shown, and the lead methods
``crm.lead.add/get/update/list/fields`` with ``crm.status.list`` (bitrix24-api.md §6, §11).
Who may see a lead is access.py's; files are filefields.py's."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bridge.sandbox import access as _access
from bridge.sandbox.answers import crm_error
from bridge.sandbox.filefields import UserField, _uf_settings
from bridge.sandbox.registry import Ctx, method
from bridge.sandbox.users import User
from bridge.sandbox.values import _as_int, _items, _now_iso, _scalar

if TYPE_CHECKING:
    from bridge.sandbox.base import PortalLike

__all__ = ["LEAD_FIELDS", "MULTIFIELDS", "NUMERIC", "SOURCES", "STAGES", "LeadsMixin"]

MULTIFIELDS = ("PHONE", "EMAIL", "WEB", "IM")
VALUE_MAX = 250
_EMAIL_RE = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$"
)

# name -> (type, read-only)
LEAD_FIELDS: dict[str, tuple[str, bool]] = {
    "ID": ("integer", True),
    "TITLE": ("string", False),
    "HONORIFIC": ("crm_status", False),
    "NAME": ("string", False),
    "SECOND_NAME": ("string", False),
    "LAST_NAME": ("string", False),
    "BIRTHDATE": ("date", False),
    "COMPANY_TITLE": ("string", False),
    "COMPANY_ID": ("crm_company", False),
    "CONTACT_ID": ("crm_contact", False),
    "IS_RETURN_CUSTOMER": ("char", True),
    "SOURCE_ID": ("crm_status", False),
    "SOURCE_DESCRIPTION": ("string", False),
    "STATUS_ID": ("crm_status", False),
    "STATUS_DESCRIPTION": ("string", False),
    "STATUS_SEMANTIC_ID": ("string", True),
    "POST": ("string", False),
    "ADDRESS": ("string", False),
    "ADDRESS_CITY": ("string", False),
    "ADDRESS_COUNTRY": ("string", False),
    "CURRENCY_ID": ("crm_currency", False),
    "OPPORTUNITY": ("double", False),
    "IS_MANUAL_OPPORTUNITY": ("char", False),
    "OPENED": ("char", False),
    "COMMENTS": ("string", False),
    "HAS_PHONE": ("char", True),
    "HAS_EMAIL": ("char", True),
    "HAS_IMOL": ("char", True),
    "ASSIGNED_BY_ID": ("user", False),
    "CREATED_BY_ID": ("user", True),
    "MODIFY_BY_ID": ("user", True),
    "DATE_CREATE": ("datetime", True),
    "DATE_MODIFY": ("datetime", True),
    "DATE_CLOSED": ("datetime", True),
    "ORIGINATOR_ID": ("string", False),
    "ORIGIN_ID": ("string", False),
    "UTM_SOURCE": ("string", False),
    "UTM_MEDIUM": ("string", False),
    "UTM_CAMPAIGN": ("string", False),
    "UTM_CONTENT": ("string", False),
    "UTM_TERM": ("string", False),
    "PHONE": ("crm_multifield", False),
    "EMAIL": ("crm_multifield", False),
    "WEB": ("crm_multifield", False),
    "IM": ("crm_multifield", False),
}
NUMERIC = {"ID", "COMPANY_ID", "CONTACT_ID", "ASSIGNED_BY_ID", "CREATED_BY_ID", "MODIFY_BY_ID",
           "OPPORTUNITY"}
SOURCES = ("CALL", "EMAIL", "WEB", "ADVERTISING", "PARTNER", "RECOMMENDATION", "TRADE_SHOW",
           "WEBFORM", "CALLBACK", "RC_GENERATOR", "STORE", "OTHER")
STAGES = ("NEW", "IN_PROCESS", "PROCESSED", "JUNK", "CONVERTED")


def _status(entity: str, status_id: str, i: int) -> dict[str, Any]:
    name = status_id.replace("_", " ").title()
    return {"ID": str(i + 1), "ENTITY_ID": entity, "STATUS_ID": status_id, "NAME": name,
            "NAME_INIT": name, "SORT": str((i + 1) * 10), "SYSTEM": "Y", "CATEGORY_ID": None,
            "COLOR": None, "SEMANTICS": None, "EXTRA": []}


class LeadsMixin:
    """The portal's leads and statuses: fields in (validated) and out (selected)."""

    lock: threading.RLock
    leads: dict[int, dict[str, Any]]
    statuses: dict[str, list[dict[str, Any]]]
    users: dict[int, User]
    userfields: dict[str, UserField]
    unfilterable: set[str]
    assigned_check: str
    _next_id: Callable[..., int]  # the portal's id counter
    _stage_userfield: Callable[..., None]  # filefields.FileFieldsMixin
    _externalize_userfields: Callable[..., None]  # filefields.FileFieldsMixin

    def _reset_leads(self) -> None:
        self.statuses = {
            "SOURCE": [_status("SOURCE", s, i) for i, s in enumerate(SOURCES)],
            "STATUS": [_status("STATUS", s, i + 100) for i, s in enumerate(STAGES)],
        }
        self.leads = {}

    _status = staticmethod(_status)

    # ------------------------------------------------------------- test helpers
    def list_leads(self) -> list[dict[str, Any]]:
        """Every lead as stored (a copy), lowest id first."""
        with self.lock:
            return [self._externalize(lead, {"*", "UF_*", *MULTIFIELDS})
                    for _, lead in sorted(self.leads.items())]

    def lead(self, lead_id: int) -> dict[str, Any]:
        with self.lock:
            return self._externalize(self.leads[lead_id], {"*", "UF_*", *MULTIFIELDS})

    def displayed_comments(self, lead_id: int) -> tuple[str, list[str]]:
        """What the lead card shows of COMMENTS on a current portal (the core's normalising on
        save, then BB code rendering): the text a person reads, and the live links/images."""
        from bridge.sandbox.render import displayed, normalize_comment

        with self.lock:
            return displayed(normalize_comment(str(self.leads[lead_id].get("COMMENTS") or "")))

    # ------------------------------------------------------------- fields in
    def _check_fields_param(
        self, params: dict[str, Any], *, required: bool = False
    ) -> dict[str, Any]:
        fields = params.get("fields", params.get("FIELDS"))
        if fields is None:
            if required:
                raise crm_error("Parameter 'fields' must be array.")
            return {}
        if fields == []:
            return {}
        if not isinstance(fields, dict):
            raise crm_error("Parameter 'fields' must be array.")
        return fields

    def _internalize(self, fields: dict[str, Any], lead: dict[str, Any], ctx: Ctx,
                     update: bool) -> None:
        """Apply ``fields`` to ``lead``: unknown keys dropped, validation as the portal does."""
        errors: list[str] = []
        staged: dict[str, Any] = {}
        for key, value in fields.items():
            key = str(key).upper()
            if key in MULTIFIELDS:
                current = self._stage_multifield(key, value, lead, update, errors)
                if current is not None:
                    staged[key] = current
            elif key in self.userfields:
                self._stage_userfield(key, value, lead, update, staged, errors)
            elif key in LEAD_FIELDS and not LEAD_FIELDS[key][1]:
                if isinstance(value, (dict, list)):
                    continue
                staged[key] = _scalar(value)
            # anything else: dropped silently
        if errors:
            raise crm_error("<br />".join(errors))
        self._stage_assigned(staged, ctx, update)
        lead.update(staged)

    def _stage_multifield(self, key: str, value: Any, lead: dict[str, Any], update: bool,
                          errors: list[str]) -> list[dict[str, Any]] | None:
        """PHONE/EMAIL/WEB/IM items merged by ID; None when the value is not an array."""
        items = _items(value)
        if items is None:
            return None  # a plain string is silently ignored
        current = list(lead.get(key, [])) if update else []
        for item in items:
            if not isinstance(item, dict):
                continue
            val = _scalar(item.get("VALUE")) or ""
            item_id = _as_int(item.get("ID"))
            if item_id is not None:
                current = [m for m in current if int(m["ID"]) != item_id]
                if not val or str(item.get("DELETE", "")).upper() == "Y":
                    continue
            elif not val:
                continue
            if len(val) > VALUE_MAX:
                errors.append(f"{key}: the value is too long (max. {VALUE_MAX} "
                              "characters).")
                continue
            if key == "EMAIL" and not _EMAIL_RE.match(val):
                errors.append(f"Invalid E-mail address: {val}")
                continue
            vt = _scalar(item.get("VALUE_TYPE")) or ("OTHER" if key == "IM" else "WORK")
            current.append({"ID": str(item_id or self._next_id("multi", 1001)),
                            "VALUE_TYPE": vt, "VALUE": val, "TYPE_ID": key})
        return current

    def _stage_assigned(self, staged: dict[str, Any], ctx: Ctx, update: bool) -> None:
        """ASSIGNED_BY_ID: empty means the caller (add) or no change (update)."""
        if "ASSIGNED_BY_ID" not in staged:
            return
        aid = _as_int(staged["ASSIGNED_BY_ID"])
        if aid is None or aid <= 0:
            if update:
                del staged["ASSIGNED_BY_ID"]
            else:
                staged["ASSIGNED_BY_ID"] = str(ctx.user_id)
        else:
            if self.assigned_check == "reject_unknown":
                user = self.users.get(aid)
                if user is None or not user.active:
                    raise crm_error(f"Responsible user with ID {aid} is not found or "
                                    "not active.")
            staged["ASSIGNED_BY_ID"] = str(aid)

    def _lead_id(self, params: dict[str, Any]) -> int:
        raw = params.get("id", params.get("ID"))
        lead_id = _as_int(raw)
        if lead_id is None or lead_id <= 0:
            raise crm_error("ID is not defined or invalid.")
        return lead_id

    # ------------------------------------------------------------- fields out
    def _externalize(self, lead: dict[str, Any], select: set[str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        want_all = not select or "*" in select
        for name, (ftype, _) in LEAD_FIELDS.items():
            if ftype == "crm_multifield":
                if name in select:
                    out[name] = [dict(m) for m in lead.get(name, [])]
                continue
            if want_all or name in select or name == "ID":
                out[name] = lead.get(name)
        self._externalize_userfields(lead, select, out)
        return out

    def _lead_values(self, lead: dict[str, Any], name: str) -> list[Any]:
        if name in MULTIFIELDS:
            return [m["VALUE"] for m in lead.get(name, [])] or [None]
        value = lead.get(name)
        if isinstance(value, list):
            return value or [None]
        return [value]

    def _known_lead_field(self, name: str) -> bool:
        if name in self.unfilterable:
            return False
        return name in LEAD_FIELDS or name in self.userfields


# ======================================================================= methods
@method("crm.lead.add", "crm")
def _lead_add(p: PortalLike, params: dict[str, Any], ctx: Ctx) -> Any:
    fields = p._check_fields_param(params)
    lead: dict[str, Any] = {}
    p._internalize(fields, lead, ctx, update=False)
    lead_id = p._next_id("lead", 1)
    now = _now_iso()
    lead.setdefault("ASSIGNED_BY_ID", str(ctx.user_id))
    if not lead.get("TITLE"):
        lead["TITLE"] = f"Lead #{lead_id}"
    if not lead.get("STATUS_ID"):
        lead["STATUS_ID"] = "NEW"
    lead.setdefault("OPENED", "Y")
    lead.update({"ID": str(lead_id), "CREATED_BY_ID": str(ctx.user_id),
                 "MODIFY_BY_ID": str(ctx.user_id), "DATE_CREATE": now, "DATE_MODIFY": now,
                 "HAS_PHONE": "Y" if lead.get("PHONE") else "N",
                 "HAS_EMAIL": "Y" if lead.get("EMAIL") else "N", "HAS_IMOL": "N",
                 "IS_RETURN_CUSTOMER": "N", "STATUS_SEMANTIC_ID": "P"})
    p.leads[lead_id] = lead
    _access.after_lead_add(p, lead)
    return lead_id


@method("crm.lead.get", "crm")
def _lead_get(p: PortalLike, params: dict[str, Any], ctx: Ctx) -> Any:
    lead_id = p._lead_id(params)
    lead = p.leads.get(lead_id)
    if lead is None or lead.get("_converted_to_deal"):
        raise crm_error("Not found")
    if not _access.visible(p, lead, ctx):
        raise crm_error("Access denied.")
    return p._externalize(lead, {"*", "UF_*", *MULTIFIELDS})


@method("crm.lead.update", "crm")
def _lead_update(p: PortalLike, params: dict[str, Any], ctx: Ctx) -> Any:
    lead_id = p._lead_id(params)
    lead = p.leads.get(lead_id)
    if lead is None:
        raise crm_error("Lead is not found")
    fields = p._check_fields_param(params, required=True)
    p._internalize(fields, lead, ctx, update=True)
    lead["DATE_MODIFY"] = _now_iso()
    lead["HAS_PHONE"] = "Y" if lead.get("PHONE") else "N"
    lead["HAS_EMAIL"] = "Y" if lead.get("EMAIL") else "N"
    return True


@method("crm.lead.list", "crm")
def _lead_list(p: PortalLike, params: dict[str, Any], ctx: Ctx) -> Any:
    _access.check_list_access(p, ctx)
    conds = p._parse_filter(params.get("filter", params.get("FILTER")), p._known_lead_field)
    rows = [lead for _, lead in sorted(p.leads.items())
            if p._match(lead, conds, p._lead_values, NUMERIC) and _access.visible(p, lead, ctx)]
    rows = p._sort(rows, params.get("order", params.get("ORDER")), NUMERIC)
    page = p._page(rows, params.get("start"))
    select = p._select(params)
    page.items = [p._externalize(lead, select) for lead in page.items]
    return page


@method("crm.lead.fields", "crm")
def _lead_fields(p: PortalLike, params: dict[str, Any], ctx: Ctx) -> Any:
    out: dict[str, Any] = {}
    for name, (ftype, ro) in LEAD_FIELDS.items():
        info: dict[str, Any] = {"type": ftype, "isRequired": False, "isReadOnly": ro,
                                "isImmutable": False, "isMultiple": ftype == "crm_multifield",
                                "isDynamic": False, "title": name.replace("_", " ").title()}
        if name in ("SOURCE_ID", "STATUS_ID", "HONORIFIC"):
            info["statusType"] = {"SOURCE_ID": "SOURCE", "STATUS_ID": "STATUS"}.get(
                name, "HONORIFIC")
        out[name] = info
    for name, uf in p.userfields.items():
        out[name] = {"type": uf.type, "isRequired": False, "isReadOnly": False,
                     "isImmutable": False, "isMultiple": uf.multiple, "isDynamic": True,
                     "title": name, "listLabel": uf.label, "formLabel": uf.label,
                     "filterLabel": uf.label, "settings": _uf_settings(uf)}
    return out


@method("crm.status.list", "crm")
def _status_list(p: PortalLike, params: dict[str, Any], ctx: Ctx) -> Any:
    rows = [dict(s) for entity in p.statuses.values() for s in entity]
    names = {"ID", "ENTITY_ID", "STATUS_ID", "NAME", "SORT", "SYSTEM"}
    conds = p._parse_filter(params.get("filter"), lambda n: n in names)
    rows = [r for r in rows if p._match(r, conds, lambda r, n: [r.get(n)], {"ID", "SORT"})]
    rows = p._sort(rows, params.get("order") or {"SORT": "ASC"}, {"ID", "SORT"})
    return p._page(rows, params.get("start"))
