"""What ``check`` says about the deal target: the portal's CRM mode, and whether the funnels
and stages the config names exist (listing the valid ones when not).

Sources: crm-settings-mode-get.md (1 classic with leads, 2 simple without),
crm-category-list.md (``entityTypeId`` 2: deal funnels, ``{"categories": [...]}``),
crm-status-list.md / crm-deal-add.md (stages: ``DEAL_STAGE``, ``DEAL_STAGE_<id>``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

CLASSIC, SIMPLE = 1, 2
DEAL_TYPE_ID = 2


class Caller(Protocol):
    def call(self, method: str, params: Mapping[str, Any] | None = None, *,
             write: bool = False) -> Any: ...


def crm_mode(client: Caller) -> int:
    """``crm.settings.mode.get``: 1 classic, 2 simple."""
    return int(client.call("crm.settings.mode.get"))


def mode_advice(mode: int, targets: Iterable[str]) -> str | None:
    """A problem text when a target the config uses does not fit the portal's mode."""
    if mode == SIMPLE and "lead" in set(targets):
        return ('the portal runs CRM in simple mode (no leads: a new lead becomes a deal at '
                'once and can no longer be found); set [crm] target = "deal"')
    return None


def funnels(client: Caller) -> dict[int, str]:
    """Deal funnels: id -> name."""
    result = client.call("crm.category.list", {"entityTypeId": DEAL_TYPE_ID})
    rows = result.get("categories") if isinstance(result, dict) else None
    return {int(r["id"]): str(r.get("name") or "") for r in rows or []
            if isinstance(r, dict) and "id" in r}


def stages(client: Caller, category_id: int) -> list[str]:
    """The stage ids of one funnel, in order."""
    entity = "DEAL_STAGE" if category_id == 0 else f"DEAL_STAGE_{category_id}"
    rows = client.call("crm.status.list", {"filter": {"ENTITY_ID": entity},
                                           "order": {"SORT": "ASC"}})
    return [str(r["STATUS_ID"]) for r in rows or []
            if isinstance(r, dict) and r.get("ENTITY_ID") == entity and "STATUS_ID" in r]


def check_funnels(client: Caller, wanted: Iterable[tuple[str, int, str]]) -> list[str]:
    """Problems with ``(where, category_id, stage_id)`` triples (``where`` names the config
    key, e.g. ``crm`` or ``routes[2]``); empty when every funnel and stage exists."""
    problems: list[str] = []
    known = funnels(client)
    cache: dict[int, list[str]] = {}
    for where, cat, stage in wanted:
        if cat not in known:
            listed = ", ".join(f"{i} ({n})" for i, n in sorted(known.items()))
            problems.append(f"{where}.category_id = {cat}: no such deal funnel; the portal "
                            f"has {listed}")
            continue
        if stage:
            if cat not in cache:
                cache[cat] = stages(client, cat)
            if stage not in cache[cat]:
                problems.append(f'{where}.stage_id = "{stage}": not a stage of funnel {cat}; '
                                f"its stages are {', '.join(cache[cat])}")
    return problems


def target_checks(cfg: Any, crm: Any) -> list[tuple[str, str]]:
    """``check`` lines (status, text) for ``[crm]`` and ``[[routes]]``; none (and no
    request) when the config asks for neither (today's single lead target)."""
    from bridge.crm_target import needed
    from bridge.errors import CrmError

    c, routes = cfg.crm, cfg.routes
    if not needed(c, routes):
        return []
    out: list[tuple[str, str]] = []
    targets = {c.target, *(r.target or c.target for r in routes)}
    try:
        mode = crm_mode(crm)
        advice = mode_advice(mode, targets)
        out.append(("bad", f"crm: {advice}") if advice else
                   ("ok", f"crm: CRM mode {'simple' if mode == SIMPLE else 'classic'} fits "
                          f"the target{'s' if len(targets) > 1 else ''} "
                          f"{', '.join(sorted(targets))}"))
        wanted = [("crm", c.category_id, c.stage_id)] if c.target == "deal" else []
        wanted += [(r.key, c.category_id if r.category_id is None else r.category_id,
                    c.stage_id if r.stage_id is None else r.stage_id)
                   for r in routes if (r.target or c.target) == "deal"]
        if wanted:
            problems = check_funnels(crm, wanted)
            out += [("bad", f"crm: {p}") for p in problems]
            if not problems:
                out.append(("ok", "crm: the deal funnels and stages exist"))
        for r in routes:
            for user in r.responsible:
                if crm.get_user(user) is None:
                    out.append(("warn", f"{r.key}.responsible_user_id: user {user} is not "
                                        "active; the turn skips it"))
    except CrmError as exc:
        out.append(("down" if type(exc).__name__ in ("CrmTemporary", "CrmUnknownOutcome")
                    else "bad", f"crm: {exc}"))
    return out
