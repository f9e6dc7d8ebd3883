"""``check`` lines about the portal: the webhook, its scopes, the responsible user, the source,
where the files go, what the webhook user may see, and the deal target."""

from __future__ import annotations

from typing import Any

from bridge.checks.lines import BAD, OK, Check, crm_problem
from bridge.errors import CrmError
from bridge.i18n import t


def crm_checks(cfg: Any, crm: Any) -> list[Check]:
    """The portal's lines: webhook, scopes, responsible user, source, file field, access,
    deal target; a webhook or scope that fails stops the rest."""
    b = cfg.bitrix24
    out: list[Check] = []
    try:
        profile = crm.profile()
    except CrmError as exc:
        out.append(crm_problem(exc))
        return out
    who = " ".join(str(profile.get(k) or "") for k in ("NAME", "LAST_NAME")).strip()
    out.append(Check(OK, t("check.crm.webhook_ok",
                           user=f"{profile.get('ID', '?')}{' ' + who if who else ''}")))
    try:
        scopes = set(crm.scopes())
    except CrmError as exc:
        out.append(crm_problem(exc))
        return out
    if "crm" not in scopes:
        out.append(Check(BAD, t("check.crm.no_crm_scope")))
        return out
    out.append(Check(OK, t("check.crm.crm_scope_ok")))
    if not scopes & {"user", "user_basic", "user_brief"}:
        out.append(Check(BAD, t("check.crm.no_user_scope")))
    else:
        try:
            user = crm.get_user(b.responsible_user_id)
        except CrmError as exc:
            out.append(crm_problem(exc))
            user = None
        else:
            if user is None:
                out.append(Check(BAD, t("check.crm.user_missing", id=b.responsible_user_id)))
            else:
                name = " ".join(str(user.get(k) or "") for k in ("NAME", "LAST_NAME")).strip()
                out.append(Check(OK, t("check.crm.user_ok", id=b.responsible_user_id,
                                       name=name).replace("  ", " ")))
    try:
        sources = crm.source_ids()
    except CrmError as exc:
        out.append(crm_problem(exc))
    else:
        if b.source_id in sources:
            out.append(Check(OK, t("check.crm.source_ok", source=repr(b.source_id))))
        else:
            listed = ", ".join(sorted(sources)[:12])
            out.append(Check(BAD, t("check.crm.source_missing", source=repr(b.source_id),
                                    listed=listed)))
    out.extend(_file_field_checks(cfg, crm))
    from bridge.checks.portal import portal_access_checks

    out.extend(portal_access_checks(cfg, crm))
    out.extend(_target_checks(cfg, crm))
    return out


def _target_checks(cfg: Any, crm: Any) -> list[Check]:
    from bridge.funnel import target_checks

    return [Check(status, text) for status, text in target_checks(cfg, crm)]


def _file_field_checks(cfg: Any, crm: Any) -> list[Check]:
    from bridge.filefield import file_field_checks

    return [Check(status, text) for status, text in file_field_checks(cfg, crm)]
