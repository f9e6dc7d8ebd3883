"""``status``: messages per state, the last poll, a block, the newest problems (the ledger
only), for a person in the ui.language or as JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bridge import app, i18n
from bridge.cli.common import EX_OK

if TYPE_CHECKING:
    from bridge.config import Config


def _age(delta: timedelta | None) -> str | None:
    if delta is None:
        return None
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return i18n.t("status.age.s", n=seconds)
    if seconds < 7200:
        return i18n.t("status.age.m", n=seconds // 60)
    if seconds < 172800:
        return i18n.t("status.age.h", n=seconds // 3600)
    return i18n.t("status.age.d", n=seconds // 86400)


def cmd_status(cfg: Config, as_json: bool) -> int:
    """What the ledger says, for a person or as JSON (reads nothing else)."""
    from bridge.crm_items import entity_of, recent_created
    from bridge.unrecognised import per_sender

    ledger = app.open_ledger(cfg)
    try:
        now = datetime.now(UTC)
        counts = ledger.counts()
        errors = ledger.recent_errors(limit=5)
        oldest = ledger.oldest_waiting(now)
        data = {
            "states": counts,
            "last_poll_at": ledger.get_meta("last_poll_at"),
            "last_poll_result": ledger.get_meta("last_poll_result"),
            "oldest_waiting_seconds": int(oldest.total_seconds()) if oldest else None,
            "blocked": _blocked_state(ledger),
            "unrecognised_by_sender": per_sender(ledger),
            "errors": [
                {
                    "id": r.id,
                    "state": r.state,
                    "subject": r.subject,
                    "date": r.msg_date.isoformat() if r.msg_date else None,
                    "error": r.error or r.reason,
                    "attempts": r.attempts,
                    "entity": entity_of(ledger, r),  # "lead" or "deal" (bridge.crm_items)
                }
                for r in errors
            ],
            "recent_created": recent_created(ledger),
        }
        from bridge.healthfile import status_fields

        data.update(status_fields(ledger, now))
    finally:
        ledger.close()
    if cfg.store.url and not cfg.store.schema:  # who owns the shared ledger (bridge.lease)
        from bridge.ownership import owner_json, owner_line, owners

        holder = owners(cfg.store.url).get("default")
        data["owner"] = owner_json(holder)
        if not as_json:
            print(owner_line(holder))
    if as_json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return EX_OK
    print_status(data, counts, oldest)
    return EX_OK


_STATES = ("received", "parsed", "pushing", "created", "duplicate", "skipped", "failed",
           "quarantined")


def print_status(data: dict[str, Any], counts: dict[str, int], oldest: timedelta | None) -> None:
    """`status` for a person, in the ui.language."""
    t = i18n.t
    total = sum(counts.values())
    print(t("status.messages", n=total))
    for state in _STATES:
        if counts.get(state):
            print(f"  {t('status.state.' + state)}: {counts[state]}")
    print(t("status.last_poll", when=data["last_poll_at"] or t("status.never"))
          + (f" ({data['last_poll_result']})" if data["last_poll_result"] else ""))
    print(t("status.oldest", age=_age(oldest) or t("status.none")))
    if data["blocked"]:
        print(t("status.blocked", since=data["blocked"]["since"],
                why=blocked_why(data["blocked"]["why"])))
        print("  " + t("status.blocked_note"))
    if data.get("unrecognised_by_sender"):
        print(t("status.unrecognised"))
        for sender, n in data["unrecognised_by_sender"].items():
            print(f"  {sender}: {n}")
    if counts.get("quarantined"):
        print(t("status.quarantined_hint", n=counts["quarantined"]))
    if data["errors"]:
        print(t("status.problems"))
        for e in data["errors"]:
            state = t("status.state." + e["state"]) if e["state"] in _STATES else e["state"]
            print(f"  #{e['id']} {state} {e['date'] or '?'} \"{e['subject'] or ''}\": "
                  f"{e['error']}")
    if data.get("recent_created"):
        print(t("status.created_items"))
        for c in data["recent_created"]:
            kind = t("status.entity.deal") if c["entity"] == "deal" else t("status.entity.lead")
            print(f"  #{c['id']} {kind} {c['crm_id']} "
                  f"{c['date'] or '?'} \"{c['subject'] or ''}\"")


def blocked_why(why: str) -> str:
    """The recorded (English) reason of a block, said from the catalogue when it is one of the
    common ones: simple CRM mode, or a webhook the portal rejects."""
    import re

    from bridge.health import SIMPLE_MODE_FIX

    if i18n.language() == "en":
        return why  # the recorded text itself (it names the method too)
    if why == SIMPLE_MODE_FIX:
        return i18n.t("check.crm.simple_mode")
    m = re.match(r"(?:[\w.]+: )?webhook rejected: ([A-Za-z_]+)", why)
    if m:
        return i18n.t("check.crm.webhook_rejected", code=m.group(1))
    return why


def _blocked_state(ledger: Any) -> dict[str, str] | None:
    """The portal-wide block the daemon or --poll-now recorded (None when not blocked)."""
    from bridge.health import BLOCKED, CHECKED, SINCE

    why = ledger.get_meta(BLOCKED)
    if not why:
        return None
    return {"why": why, "since": ledger.get_meta(SINCE) or "?",
            "checked_at": ledger.get_meta(CHECKED) or "?"}
