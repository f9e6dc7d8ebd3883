"""What a test, the demo or a benchmark sees and steers of a portal: the request log and
counters, the portal modes (``configure``) and the ``/_sandbox/`` control API over HTTP."""

from __future__ import annotations

import hashlib
import threading
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bridge.sandbox.base import PortalLike

__all__ = ["ControlMixin", "configure", "control_answer"]


class ControlMixin:
    """The portal's request log and counters."""

    lock: threading.RLock
    leads: dict[int, dict[str, Any]]
    requests: list[dict[str, Any]]
    request_counts: Counter[str]
    method_calls: Counter[str]
    status_counts: Counter[int]

    # The limits' figures (bridge.sandbox.limits.LimitsMixin comes first in Portal's bases).
    @property
    def max_bucket_level(self) -> float:
        raise NotImplementedError

    @property
    def rate_limited(self) -> int:
        raise NotImplementedError

    def _reset_observing(self) -> None:
        self.requests = []
        self.request_counts = Counter()
        self.method_calls = Counter()
        self.status_counts = Counter()

    def record(self, method_name: str, status: int, path: str, fault: str | None) -> None:
        with self.lock:
            self.requests.append({"method": method_name, "status": status, "time": time.time(),
                                  "path": path, "fault": fault})
            self.request_counts[method_name] += 1
            self.status_counts[status] += 1

    @property
    def lead_add_calls(self) -> int:
        """How many times crm.lead.add ran (directly or inside batch)."""
        return self.method_calls["crm.lead.add"]

    @property
    def count_503(self) -> int:
        return self.status_counts[503]

    def stats(self) -> dict[str, Any]:
        with self.lock:
            return {
                "requests": len(self.requests),
                "by_method": dict(self.request_counts),
                "method_calls": dict(self.method_calls),
                "statuses": {str(k): v for k, v in self.status_counts.items()},
                "max_bucket_level": self.max_bucket_level,
                "rate_limited": self.rate_limited,
                "count_503": self.count_503,
                "leads": len(self.leads),
                "lead_add_calls": self.lead_add_calls,
            }


_SIMPLE_SETTINGS = ("deleted", "overloaded", "renamed_to", "assigned_check", "crm_access",
                    "operating_limit", "operating_window", "operating_cost", "max_body",
                    "crm_mode", "rest_available")


def configure(p: PortalLike, settings: dict[str, Any]) -> None:
    """Change portal modes (see ``SandboxServer.configure`` for the keys)."""
    with p.lock:
        if "rate" in settings or "burst" in settings:
            p.set_rate(float(settings.get("rate", p.rate)), int(settings.get("burst",
                                                                             p.burst)))
        if "scopes" in settings:
            p.set_scopes(settings["scopes"])
        if "blocked" in settings:
            p.block_webhooks(bool(settings["blocked"]))
        for key in _SIMPLE_SETTINGS:
            if key in settings:
                setattr(p, key, settings[key])
        if "rejected_operators" in settings:
            p.rejected_operators = {str(k) for k in settings["rejected_operators"]}
        if "unfilterable" in settings:
            p.unfilterable = {str(k).upper() for k in settings["unfilterable"]}
        if "file_field" in settings:
            _configure_file_field(p, settings["file_field"])
        if "comment_denied" in settings:
            p.comment_denied = {int(i) for i in settings["comment_denied"]}
        for user in settings.get("users", ()):
            p.add_user(int(user["id"]), active=bool(user.get("active", True)),
                       name=str(user.get("name", "User")),
                       admin=bool(user.get("admin", False)),
                       lead_read=str(user.get("lead_read", "all")))


def _configure_file_field(p: PortalLike, spec: Any) -> None:
    for name in [n for n, uf in p.userfields.items() if uf.type == "file"]:
        p.remove_userfield(name)
    if spec:
        if isinstance(spec, str):
            spec = {"name": spec}
        p.set_file_field(spec["name"], type=spec.get("type", "file"),
                         multiple=spec.get("multiple", True),
                         extensions=spec.get("extensions", ()),
                         max_size=spec.get("max_size", 0),
                         label=spec.get("label", "Файлы"))


def control_answer(p: PortalLike, command: str, what: str, data: dict[str, Any]
                   ) -> tuple[int, Any]:
    """The ``/_sandbox/WHAT`` endpoints: (HTTP status, JSON payload)."""
    if command == "GET" and what == "leads":
        leads = p.list_leads()
        for lead in leads:
            lead["_files"] = [
                {"name": n, "size": len(b), "sha256": hashlib.sha256(b).hexdigest()}
                for n, b in p.lead_files(int(lead["ID"]))
            ]
        return 200, leads
    if command == "GET" and what == "requests":
        with p.lock:
            log = list(p.requests)
        return 200, {**p.stats(), "log": log}
    if command == "GET" and what == "stats":
        return 200, p.stats()
    if command == "POST" and what == "faults":
        # {"method": "crm.lead.add", "fault": "lost_answer", "times": 1, ...options}
        if "method" in data:
            data["method_name"] = data.pop("method")
        try:
            p.inject(**data)
        except (TypeError, ValueError) as exc:
            return 400, {"error": str(exc)}
        return 200, {"ok": True}
    if command == "POST" and what == "reset":
        p.reset()
        return 200, {"ok": True}
    if command == "POST" and what == "config":
        configure(p, data)
        return 200, {"ok": True}
    return 404, {"error": f"no control endpoint {command} {what}"}
