"""The health file and `status --health` (SPEC §1).

The daemon (and each ``--poll-now``) writes ``<ledger>.health.json`` beside the ledger after
every poll: times, counts, blocked and why, the active alarm kinds; no subject, no address,
no client data, mode 0644, so a monitoring user can read it without the ledger. `status
--health` reads it and answers with an exit code for monitoring:

* 78 blocked, or no usable config (the CLI's config error);
* 75 no successful poll for ``notify.stall_minutes`` (also: no health file yet), or mail
  waiting longer than that;
* 65 a message quarantined or unrecognised within the last 24 h;
* 0 healthy.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bridge.unrecognised import made_since

VERSION = 1
PROBLEM_WINDOW = timedelta(hours=24)
UNRECOGNISED_REASON = "layout not recognised"
BLOCKED_META = "portal_blocked"  # ledger meta: the reason while the portal is blocked, "" when not
BLOCKED_SINCE_META = "portal_blocked_since"


def health_path(ledger_path: Path) -> Path:
    return ledger_path.with_name(ledger_path.name + ".health.json")


def _iso(when: datetime | None) -> str | None:
    return when.isoformat(timespec="seconds") if when else None


def _parse(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def ledger_snapshot(ledger: Any, now: datetime) -> dict[str, Any]:
    """What the ledger says, without client data: the shared part of the health file and of
    `status --json`."""
    counts = ledger.counts()
    recent = ledger.changed_since(now - PROBLEM_WINDOW, ("quarantined",))
    unrecognised = [r for r in recent if (r.reason or "").startswith(UNRECOGNISED_REASON)]
    made_whole = made_since(ledger, now - PROBLEM_WINDOW)  # leads made from the whole text
    oldest = ledger.oldest_waiting(now)
    blocked_reason = ledger.get_meta(BLOCKED_META) or None
    return {
        "states": counts,
        "last_poll_at": ledger.get_meta("last_poll_at"),
        "last_poll_ok": ledger.get_meta("last_poll_ok") == "1"
        if ledger.get_meta("last_poll_ok") is not None else None,
        "last_success_at": ledger.get_meta("last_success_at"),
        "blocked": blocked_reason is not None,
        "blocked_reason": blocked_reason,
        "blocked_since": ledger.get_meta(BLOCKED_SINCE_META) if blocked_reason else None,
        "quarantined_24h": len(recent) - len(unrecognised),
        "unrecognised_24h": len(unrecognised) + len(made_whole),
        "last_problem_at": _iso(max(
            [r.updated_at for r in recent]
            + [r.updated_at for r in map(ledger.by_id, made_whole) if r is not None],
            default=None,
        )),
        "oldest_waiting_seconds": int(oldest.total_seconds()) if oldest else None,
    }


def write_health(
    path: Path, snapshot: dict[str, Any], *, stall_minutes: float, now: datetime,
    alarms: list[str] | None = None,
) -> None:
    """Write the health file atomically (0644: a monitoring user may read it)."""
    data = {
        "version": VERSION,
        "updated_at": _iso(now),
        "pid": os.getpid(),
        "stall_minutes": stall_minutes,
        **{k: v for k, v in snapshot.items() if k != "states"},
        "waiting": snapshot["states"].get("failed", 0),
        "alarms": sorted(set(alarms or ())),
    }
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, sort_keys=True)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True, slots=True)
class Verdict:
    code: int
    text: str


def evaluate(data: dict[str, Any] | None, *, stall_minutes: float, now: datetime) -> Verdict:
    """The `status --health` exit code and one line for a person."""
    stall = timedelta(minutes=stall_minutes)
    if data is None:
        return Verdict(75, "no health file yet: the daemon has not finished a poll")
    if data.get("blocked"):
        return Verdict(78, f"blocked: {data.get('blocked_reason') or 'portal-wide setup error'}")
    success = _parse(data.get("last_success_at"))
    if success is None:
        return Verdict(75, "no successful poll yet")
    if now - success > stall:
        minutes = int((now - success).total_seconds() // 60)
        return Verdict(75, f"no successful poll for {minutes} min "
                           f"(notify.stall_minutes = {stall_minutes:g})")
    waiting = data.get("oldest_waiting_seconds")
    updated = _parse(data.get("updated_at")) or now
    if isinstance(waiting, int | float):
        age = timedelta(seconds=waiting) + max(now - updated, timedelta(0))
        if age > stall:
            return Verdict(75, f"mail waiting for {int(age.total_seconds() // 60)} min")
    problem = _parse(data.get("last_problem_at"))
    if problem is not None and now - problem < PROBLEM_WINDOW:
        q, u = data.get("quarantined_24h", 0), data.get("unrecognised_24h", 0)
        return Verdict(65, f"needs a person: {q} quarantined, {u} unrecognised in 24 h "
                           "(see `mailbridge status`)")
    return Verdict(0, "healthy")


def read_health(path: Path) -> dict[str, Any] | None:
    """The health file's data; None when there is none yet (or it is half-written garbage).
    PermissionError propagates: the monitoring user cannot see it, which is a setup error."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except PermissionError:
        raise
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def poll_fields(result: str | None) -> dict[str, int] | None:
    """``"poll: fetched=3 created=2 ..."`` (the summary line) -> ``{"fetched": 3, ...}``."""
    if not result or "=" not in result:
        return None
    out: dict[str, int] = {}
    for part in result.split():
        name, sep, value = part.partition("=")
        if sep and value.isdigit():
            out[name] = int(value)
    return out or None


def status_fields(ledger: Any, now: datetime) -> dict[str, Any]:
    """The machine-readable fields `status --json` adds to its output."""
    snap = ledger_snapshot(ledger, now)
    for key in ("states", "blocked", "blocked_reason", "blocked_since"):
        snap.pop(key)  # `status` has its own: "blocked" is null or {why, since, checked_at}
    snap["last_poll"] = poll_fields(ledger.get_meta("last_poll_result"))
    return snap
