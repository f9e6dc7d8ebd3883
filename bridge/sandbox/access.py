"""Who may see what on the sandbox portal: CRM roles, simple CRM mode, the plan, admins.

Each behaviour follows the official REST documentation (sources in docs/bitrix24.md,
"Access, CRM mode and the blocked state"):

* ``crm.lead.list`` / ``crm.lead.get`` return only leads the caller may read
  (crm-lead-list.md: "a user with read access to leads"); a portal administrator sees every
  lead, a user whose role reads only own leads sees the leads assigned to them, a user whose
  role reads no leads gets ``Access denied.``;
* ``crm.settings.mode.get`` answers 1 (classic, with leads) or 2 (simple, without leads); in
  simple mode a new lead is turned into a deal at once and ``crm.lead.get``/``list`` no longer
  find it (crm/leads/index.md);
* ``user.admin`` answers whether the calling user administers the portal (user-admin.md);
* a portal without a commercial plan answers every call with 403 ``ACCESS_DENIED`` "REST API
  is available only on commercial plans" (_includes/system-errors.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bridge.sandbox.answers import ApiError, crm_error
from bridge.sandbox.registry import Ctx, method

if TYPE_CHECKING:
    from bridge.sandbox.base import PortalLike

LEAD_READ = ("all", "own", "none")  # a role's lead read permission: all, own leads, none
CLASSIC, SIMPLE = 1, 2  # crm.enum.settings.mode
NOT_ON_PLAN = ApiError(403, "ACCESS_DENIED", "REST API is available only on commercial plans")


def check_plan(p: PortalLike) -> None:
    """Raise the documented answer when REST is not part of the portal's plan."""
    if not getattr(p, "rest_available", True):
        raise NOT_ON_PLAN


def _reader(p: PortalLike, ctx: Ctx) -> tuple[bool, str]:
    user = p.users.get(ctx.user_id)
    if user is None:
        return False, "none"
    return bool(getattr(user, "admin", False)), str(getattr(user, "lead_read", "all"))


def visible(p: PortalLike, lead: dict[str, Any], ctx: Ctx) -> bool:
    """May the caller read ``lead``? (converted leads are gone for everybody)."""
    if lead.get("_converted_to_deal"):
        return False
    admin, read = _reader(p, ctx)
    if admin or read == "all":
        return True
    if read == "own":
        return str(lead.get("ASSIGNED_BY_ID")) == str(ctx.user_id)
    return False


def check_list_access(p: PortalLike, ctx: Ctx) -> None:
    """A role that reads no leads at all is refused as crm-lead-list.md documents."""
    admin, read = _reader(p, ctx)
    if not admin and read == "none":
        raise crm_error("Access denied.")


def after_lead_add(p: PortalLike, lead: dict[str, Any]) -> None:
    """Simple CRM mode: the new lead becomes a deal at once (the lead is no longer found)."""
    if getattr(p, "crm_mode", CLASSIC) == SIMPLE:
        deal_id = p._next_id("deal", 1)
        lead["_converted_to_deal"] = deal_id
        lead["STATUS_ID"] = "CONVERTED"


@method("crm.settings.mode.get", "crm")
def _mode_get(p: PortalLike, params: dict[str, Any], ctx: Ctx) -> Any:
    return int(getattr(p, "crm_mode", CLASSIC))


@method("crm.enum.settings.mode", "crm")
def _mode_enum(p: PortalLike, params: dict[str, Any], ctx: Ctx) -> Any:
    return [{"ID": CLASSIC, "NAME": "Classic CRM"}, {"ID": SIMPLE, "NAME": "Simple CRM"}]


@method("user.admin", "basic")
def _user_admin(p: PortalLike, params: dict[str, Any], ctx: Ctx) -> Any:
    admin, _ = _reader(p, ctx)
    return admin
