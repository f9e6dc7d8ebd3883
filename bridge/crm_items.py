"""Which kind of CRM item a ledger row became (a lead or a deal), and the links to them.

The ledger's ``lead_id`` column holds the id of whatever the row created; the deal path
(bridge.deals) keeps its step record in the ``meta`` key ``deal:<origin_id>`` (also for
deals adopted on a first pass), and the pipeline records ``files_via:<origin_id> = deal``
before a deal is sent. So a row with either is a deal, every other row a lead: no column
and no migration needed.

A deal's card lives at ``/crm/deal/details/<ID>/`` ("replace ``123`` in the path
``/crm/deal/details/123/`` with an existing deal identifier",
api-reference/crm/timeline/layout-blocks/content-blocks-test-app.md), the scheme of a
lead's ``/crm/lead/details/<ID>/`` (docs/bitrix24.md).
"""

from __future__ import annotations

from typing import Any

LEAD = "lead"
DEAL = "deal"
RECENT_SCAN = 50  # `status` looks for the newest created rows among this many messages


def deal_key(origin_id: str) -> str:
    """The ledger meta key of the deal path's step record (bridge.deals)."""
    return f"deal:{origin_id}"


def entity_of(ledger: Any, row: Any) -> str:
    """``"deal"`` when the row went the deal path, else ``"lead"``."""
    origin = getattr(row, "origin_id", None)
    if not origin:
        return LEAD
    if ledger.get_meta(deal_key(str(origin))) or ledger.get_meta(f"files_via:{origin}") == DEAL:
        return DEAL
    return LEAD


def item_url(portal: str, entity: str, item_id: int) -> str:
    """The card of a lead or deal on the portal (``portal`` is ``https://HOST``)."""
    kind = DEAL if entity == DEAL else LEAD
    return f"{portal}/crm/{kind}/details/{int(item_id)}/"


def recent_created(ledger: Any, limit: int = 5) -> list[dict[str, Any]]:
    """The newest rows that created a CRM item: id, entity, the item's id, date, subject
    (what `status` shows already for problems; never the body)."""
    rows = [r for r in ledger.all_messages(limit=RECENT_SCAN)
            if r.state == "created" and r.lead_id is not None]
    out = []
    for r in reversed(rows[-limit:]):
        out.append({
            "id": r.id,
            "entity": entity_of(ledger, r),
            "crm_id": r.lead_id,
            "date": r.msg_date.isoformat() if r.msg_date else None,
            "subject": r.subject,
        })
    return out
