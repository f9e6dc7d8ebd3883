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
