"""`check` lines about what the webhook user may see: the CRM mode and lead read access.

No REST method reads CRM roles, so read access is shown ✓ only when it is evident: the
webhook user administers the portal (``user.admin``), is the responsible user itself, or a
``crm.lead.list`` of leads assigned to the responsible user returns a row. Otherwise it is a
⚠ (exit 0): the daemon reads the first lead it creates back by its ORIGIN_ID and blocks with
the fix when it cannot see it (bridge/health.py).
"""

from __future__ import annotations

from typing import Any

from bridge.checks.lines import BAD, OK, WARN, Check, crm_problem
from bridge.errors import CrmError
from bridge.health import SIMPLE_MODE
from bridge.i18n import t


def crm_mode_check(crm: Any, leads: bool = True) -> Check:
    """Classic CRM (with leads) passes; simple CRM (without leads) cannot take leads, and
    passes only when every enquiry becomes a deal (``leads`` False)."""
    try:
        mode = crm.call("crm.settings.mode.get")
    except CrmError as exc:
        return crm_problem(exc)
    if str(mode) == str(SIMPLE_MODE):
        if not leads:
            return Check(OK, t("check.crm.simple_mode_deals"))
        return Check(BAD, t("check.crm.simple_mode"))
    return Check(OK, t("check.crm.classic_mode"))


def lead_read_check(crm: Any, webhook_user_id: int, responsible_user_id: int) -> Check:
    """Can the webhook user read the leads it creates (the exactly-once lookup needs it)?"""
    try:
        if crm.call("user.admin") is True:
            return Check(OK, t("check.crm.read_admin", user=webhook_user_id))
        if webhook_user_id == responsible_user_id:
            return Check(OK, t("check.crm.read_responsible", user=webhook_user_id))
        rows = crm.call("crm.lead.list", {
            "filter": {"=ASSIGNED_BY_ID": responsible_user_id},
            "select": ["ID", "ASSIGNED_BY_ID"], "order": {"ID": "DESC"},
        })
    except CrmError as exc:
        return crm_problem(exc)
    seen = [r for r in rows or [] if isinstance(r, dict)
            and str(r.get("ASSIGNED_BY_ID")) == str(responsible_user_id)]
    if seen:
        return Check(OK, t("check.crm.read_seen", user=webhook_user_id,
                           responsible=responsible_user_id))
    return Check(WARN, t("check.crm.read_unverified", user=webhook_user_id,
                         responsible=responsible_user_id))


def portal_access_checks(cfg: Any, crm: Any) -> list[Check]:
    """The CRM mode line, then the lead read access line."""
    from bridge.health import uses_leads

    leads = uses_leads(cfg)
    mode = crm_mode_check(crm, leads)
    if mode.status != OK or not leads:  # deals only: no lead to read back
        return [mode]
    return [mode, lead_read_check(crm, crm.webhook.user_id, cfg.bitrix24.responsible_user_id)]
