"""Fault injection: the failures a client must survive, queued per method and applied by the
HTTP handler in place of (or after) the real call.

lost_answer: run, commit, close without an answer | reset: close before running |
error500: JSON INTERNAL_SERVER_ERROR | html502/html504/html (status=N): an nginx page |
limit503: QUERY_LIMIT_EXCEEDED | op429: OPERATION_TIME_LIMIT | slow (seconds=S): answer late.
Option executed=True/False says whether error500/html* run the call first (default: no).
drip (seconds=S), late_commit (commit_after=S, cut=hold|drop): see sandbox/slowfaults.py.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bridge.sandbox.answers import ApiError
from bridge.sandbox.slowfaults import drip_answer, late_commit

if TYPE_CHECKING:
    from bridge.sandbox.base import PortalLike

__all__ = ["FAULTS", "Drop", "FaultAnswersMixin", "FaultsMixin"]

FAULTS = {"lost_answer", "reset", "error500", "html502", "html504", "html", "limit503", "op429",
          "slow", "drip", "late_commit"}


class Drop(Exception):
    """Close the connection without an answer (``reset``: with an RST)."""

    def __init__(self, rst: bool) -> None:
        self.rst = rst


class FaultsMixin:
    """The portal's queue of injected faults, per method name."""

    lock: threading.RLock
    faults: dict[str, deque[dict[str, Any]]]

    def inject(self, method_name: str, fault: str, times: int = 1, **opts: Any) -> None:
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; known: {', '.join(sorted(FAULTS))}")
        with self.lock:
            q = self.faults.setdefault(method_name.lower(), deque())
            for _ in range(times):
                q.append({"fault": fault, **opts})

    def take_fault(self, method_name: str) -> dict[str, Any] | None:
        with self.lock:
            q = self.faults.get(method_name)
            return q.popleft() if q else None


class FaultAnswersMixin:
    """How the HTTP handler answers a call with its fault (if any) applied."""

    close_connection: bool
    wfile: Any
    _json: Callable[..., None]  # the handler's answer writers (server._Handler)
    _html: Callable[[int], None]
    _record: Callable[[int], None]

    def _run(self, portal: PortalLike, fault: dict[str, Any] | None, user_id: int, code: str,
             name: str, params: dict[str, Any]) -> None:
        kind = fault["fault"] if fault else None
        executed = bool(fault.get("executed", kind in ("lost_answer", "slow"))) if fault else True
        if kind == "reset":
            raise Drop(rst=True)
        if kind == "limit503":
            raise ApiError(503, "QUERY_LIMIT_EXCEEDED", "Too many requests")
        if kind == "op429":
            raise ApiError(429, "OPERATION_TIME_LIMIT",
                           "Method is blocked due to operation time limit.")
        if fault is not None and kind in ("drip", "late_commit"):
            self._slow_fault(portal, fault, user_id, code, name, params)
            return
        envelope: dict[str, Any] | None = None
        error: ApiError | None = None
        if executed:
            try:
                envelope = portal.process(user_id, code, name, params)
            except ApiError as err:
                error = err
        if kind == "lost_answer":
            raise Drop(rst=False)
        if kind == "slow":
            time.sleep(float((fault or {}).get("seconds", 1.0)))
        if kind == "error500":
            raise ApiError(500, "INTERNAL_SERVER_ERROR", "Internal server error")
        if kind in ("html502", "html504"):
            self._html(int(kind[4:]))
            return
        if kind == "html":
            self._html(int((fault or {}).get("status", 502)))
            return
        if error is not None:
            raise error
        assert envelope is not None
        self._json(200, envelope)

    def _slow_fault(self, portal: PortalLike, fault: dict[str, Any], user_id: int, code: str,
                    name: str, params: dict[str, Any]) -> None:
        """``drip`` and ``late_commit`` (see bridge.sandbox.slowfaults)."""
        if fault["fault"] == "late_commit":
            delay = float(fault.get("commit_after", 1.0))
            drop = fault.get("cut", "hold") == "drop"
            late_commit(lambda: portal.process(user_id, code, name, params), delay,
                        background=drop)
            if drop:
                raise Drop(rst=False)
            with contextlib.suppress(OSError):
                self._html(504)  # the front end's timeout page, if anyone still listens
            return
        status, payload = 200, None
        if fault.get("executed", True):
            try:
                payload = portal.process(user_id, code, name, params)
            except ApiError as err:
                status, payload = err.status, err.body()
        else:
            status, payload = 500, {"error": "INTERNAL_SERVER_ERROR",
                                    "error_description": "Internal server error"}
        self._record(status)
        self.close_connection = True
        drip_answer(self.wfile.write, status, payload, float(fault.get("seconds", 0.2)))
