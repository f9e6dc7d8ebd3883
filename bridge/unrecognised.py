"""How many leads were made whole because their form's fields could not be read, per sender.

SPEC §3: with ``parsing.unrecognised = "lead"`` such a mail becomes a lead of its whole text;
``status`` and the poll summary count them per sender, so a site whose template changed is
noticed. The counts live in the ledger's ``meta`` table (key :data:`META_KEY`, a JSON object
``{sender: {"count": n, "ids": [recent ledger ids], "at": {id: when}, "recognised_at": when}}``);
a message counts once, however often its push is retried. ``recognised_at`` is the last time a
form from that sender was read whole again (the labels were extended, the template fixed): it
resolves that sender's alarms (bridge.alerts).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
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


def _who(sender: str | None) -> str:
    return (sender or "").strip().lower() or UNKNOWN_SENDER


def _save(store: MetaStore, data: dict[str, Any]) -> None:
    store.set_meta(META_KEY, json.dumps(data, ensure_ascii=False, sort_keys=True))


def note_unrecognised(
    store: MetaStore, row_id: int, sender: str | None, now: datetime | None = None
) -> str:
    """Count one message made a lead whole for its sender; returns the sender as counted."""
    who = _who(sender)
    data = _load(store)
    entry = data.get(who)
    if not isinstance(entry, dict):
        entry = {"count": 0, "ids": []}
    ids = [i for i in entry.get("ids", []) if isinstance(i, int)]
    if row_id not in ids:
        entry["count"] = int(entry.get("count", 0)) + 1
        entry["ids"] = [*ids, row_id][-_RECENT:]
        if now is not None:
            at = entry.get("at")
            times: dict[str, str] = at if isinstance(at, dict) else {}
            times[str(row_id)] = now.isoformat()
            entry["at"] = {k: v for k, v in times.items() if int(k) in entry["ids"]}
        data[who] = entry
        _save(store, data)
    return who


def note_recognised(store: MetaStore, sender: str | None, now: datetime) -> bool:
    """A form from ``sender`` was read whole: mark it, if that sender had unread layouts
    (one meta read per lead; a write only when the sender was listed). True when marked."""
    who = _who(sender)
    data = _load(store)
    entry = data.get(who)
    if not isinstance(entry, dict):
        return False
    entry["recognised_at"] = now.isoformat()
    _save(store, data)
    return True


def sender_of(store: MetaStore, row_id: int) -> tuple[str, str | None] | None:
    """(sender, recognised_at) of the sender an unread-layout lead was counted for."""
    for who, entry in _load(store).items():
        if isinstance(entry, dict) and row_id in entry.get("ids", []):
            recognised = entry.get("recognised_at")
            return who, recognised if isinstance(recognised, str) else None
    return None


def made_since(store: MetaStore, since: datetime) -> list[int]:
    """Ledger ids of the leads made whole at or after ``since`` (health file: the last 24 h)."""
    out: list[int] = []
    for entry in _load(store).values():
        times = entry.get("at") if isinstance(entry, dict) else None
        if not isinstance(times, dict):
            continue
        for key, when in times.items():
            try:
                stamp = datetime.fromisoformat(when)
            except (TypeError, ValueError):
                continue
            if stamp >= since and key.isdigit():
                out.append(int(key))
    return sorted(out)


def per_sender(store: MetaStore) -> dict[str, int]:
    """``{sender: count}`` of the leads made whole, most first."""
    counts = {k: int(v.get("count", 0)) for k, v in _load(store).items() if isinstance(v, dict)}
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def summary_text(counts: dict[str, int]) -> str:
    """``sender:n,sender:n`` for the one-line poll summary."""
    return ",".join(f"{k}:{v}" for k, v in counts.items())
