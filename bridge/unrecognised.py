"""How many leads were made whole because their form's fields could not be read, per sender.

SPEC §3: with ``parsing.unrecognised = "lead"`` such a mail becomes a lead of its whole text;
``status`` and the poll summary count them per sender, so a site whose template changed is
noticed. The counts live in the ledger's ``meta`` table (key :data:`META_KEY`, a JSON object
``{sender: {"count": n, "ids": [recent ledger ids]}}``); a message counts once, however often
its push is retried.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Protocol

log = logging.getLogger(__name__)

META_KEY = "unrecognised_layouts"
_RECENT = 50  # ledger ids kept per sender to count a retried message once
UNKNOWN_SENDER = "(no sender)"


class MetaStore(Protocol):
    """The part of the ledger this module uses."""

    def get_meta(self, key: str, default: str | None = None) -> str | None: ...

    def set_meta(self, key: str, value: str) -> None: ...


def _load(store: MetaStore) -> dict[str, Any]:
    raw = store.get_meta(META_KEY)
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        log.warning("ledger.meta_unreadable key=%s (counts start again)", META_KEY)
        return {}
    return data if isinstance(data, dict) else {}


def note_unrecognised(store: MetaStore, row_id: int, sender: str | None) -> str:
    """Count one message made a lead whole for its sender; returns the sender as counted."""
    who = (sender or "").strip().lower() or UNKNOWN_SENDER
    data = _load(store)
    entry = data.get(who)
    if not isinstance(entry, dict):
        entry = {"count": 0, "ids": []}
    ids = [i for i in entry.get("ids", []) if isinstance(i, int)]
    if row_id not in ids:
        entry["count"] = int(entry.get("count", 0)) + 1
        entry["ids"] = [*ids, row_id][-_RECENT:]
        data[who] = entry
        store.set_meta(META_KEY, json.dumps(data, ensure_ascii=False, sort_keys=True))
    return who


def per_sender(store: MetaStore) -> dict[str, int]:
    """``{sender: count}`` of the leads made whole, most first."""
    counts = {k: int(v.get("count", 0)) for k, v in _load(store).items() if isinstance(v, dict)}
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def summary_text(counts: dict[str, int]) -> str:
    """``sender:n,sender:n`` for the one-line poll summary."""
    return ",".join(f"{k}:{v}" for k, v in counts.items())
