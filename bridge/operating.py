"""The portal's per-method operating-time limit, as the answers report it (docs: limits.md).

Every answer's ``time`` block carries ``operating`` (seconds this method has run for this
webhook in the last ten one-minute baskets) and ``operating_reset_at`` (unix time when the
oldest basket drops); ``batch`` reports the same per command in ``result_time`` (the outer
``batch`` call itself is not charged). When ``operating`` exceeds the portal's limit, the next
call of that method is refused with 429 ``OPERATION_TIME_LIMIT`` until a basket drops.

:class:`OperatingTime` remembers the last report per method and tells the client how long to
wait *before* a call: nothing while the method is under ``soft`` x ``limit``; until
``operating_reset_at`` once it is above that (slowing down before the limit), and after a 429.
The cloud's limit is "set by configuration"; the docs' worked example uses 480 s.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

DOCS_EXAMPLE_LIMIT = 480.0  # limits.md: "assume the established limit is 480 seconds"
SOFT_FRACTION = 0.8
BLOCKED_FALLBACK = 60.0  # a 429 without any earlier report: one basket


@dataclass(slots=True)
class _Report:
    operating: float
    reset_at: float | None
    blocked: bool = False


class OperatingTime:
    """Per-method operating time of one webhook, fed from answers; thread-safe."""

    def __init__(self, limit: float = DOCS_EXAMPLE_LIMIT, soft: float = SOFT_FRACTION,
                 clock: Callable[[], float] = time.time) -> None:
        self.limit = float(limit)
        self.soft = float(soft)
        self.clock = clock
        self._lock = threading.Lock()
        self._by_method: dict[str, _Report] = {}

    def note(self, method: str, block: Any) -> None:
        """Record one ``time`` block (of an answer, or of one batch command)."""
        if not isinstance(block, Mapping) or "operating" not in block:
            return
        operating = reset_at = None
        with contextlib.suppress(TypeError, ValueError):
            operating = float(block["operating"])
        with contextlib.suppress(TypeError, ValueError):
            reset_at = float(block.get("operating_reset_at", ""))  # "" -> ValueError, as None did
        if operating is None:
            return
        with self._lock:
            self._by_method[method.lower()] = _Report(operating, reset_at)

    def note_batch(self, methods: Mapping[str, str], result_time: Any) -> None:
        """``batch``'s ``result_time``: command key -> time block; ``methods``: key -> method."""
        if isinstance(result_time, list):
            result_time = {str(i): v for i, v in enumerate(result_time)}
        if not isinstance(result_time, Mapping):
            return
        for key, block in result_time.items():
            method = methods.get(str(key))
            if method:
                self.note(method, block)

    def blocked(self, method: str) -> float:
        """After a 429: mark the method blocked; returns seconds until its reset."""
        with self._lock:
            report = self._by_method.setdefault(method.lower(), _Report(self.limit, None))
            report.blocked = True
            if report.reset_at is None:
                report.reset_at = self.clock() + BLOCKED_FALLBACK
            return max(1.0, report.reset_at - self.clock())

    def clear(self, method: str) -> None:
        """The caller waited until the reset: the next answer tells the new state."""
        with self._lock:
            self._by_method.pop(method.lower(), None)

    def wait_before(self, method: str) -> float:
        """Seconds to wait before calling ``method`` (0 = go ahead)."""
        with self._lock:
            report = self._by_method.get(method.lower())
            if report is None or report.reset_at is None:
                return 0.0
            left = report.reset_at - self.clock()
            if left <= 0:
                # The oldest basket dropped: the next answer tells the new state.
                del self._by_method[method.lower()]
                return 0.0
            if report.blocked or report.operating >= self.soft * self.limit:
                return left
            return 0.0

    def operating(self, method: str) -> float | None:
        """The last reported ``operating`` of ``method`` (None: never reported)."""
        with self._lock:
            report = self._by_method.get(method.lower())
            return report.operating if report else None


__all__ = ["DOCS_EXAMPLE_LIMIT", "SOFT_FRACTION", "OperatingTime"]
