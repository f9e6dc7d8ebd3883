"""The portal's limits: the leaky bucket of requests and the operating-time limit per method.

The bucket follows bitrix24-api.md §4.1 (QUERY_LIMIT_EXCEEDED when full); the operating
time follows §4.2 and limits.md (docs/bitrix24.md "Limits"): ten one-minute baskets per
method and webhook user, OPERATION_TIME_LIMIT once the sum passes the limit, and the
``time`` block's ``operating`` and ``operating_reset_at`` in every answer (``batch`` itself
is not charged).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from bridge.sandbox.answers import ApiError
from bridge.sandbox.users import Webhook
from bridge.sandbox.values import _now_iso

__all__ = ["Bucket", "LimitsMixin"]


@dataclass
class Bucket:
    """The portal's leaky bucket (bitrix24-api.md §4.1)."""

    rate: float
    burst: int
    level: float = 0.0
    stamp: float = field(default_factory=time.monotonic)
    max_level: float = 0.0
    rejected: int = 0

    def admit(self, now: float) -> bool:
        self.level = max(0.0, self.level - (now - self.stamp) * self.rate)
        self.stamp = now
        if self.level + 1 > self.burst + 1e-9:  # tolerance for float noise only
            self.rejected += 1
            return False
        self.level += 1
        self.max_level = max(self.max_level, self.level)
        return True


class LimitsMixin:
    """The bucket and the operating-time windows of a portal."""

    lock: threading.RLock
    rate: float
    burst: int
    bucket: Bucket
    operating_limit: float | None
    operating_window: float
    operating_cost: float | None
    operating: dict[tuple[int, str], deque[tuple[float, float]]]

    def _reset_limits(self, operating_limit: float | None) -> None:
        self.operating_limit = operating_limit
        self.operating_window = 600.0  # ten one-minute baskets (limits.md)
        self.operating_cost = None  # charge this per call instead of real time
        self.operating = {}
        self.bucket = Bucket(self.rate, self.burst)

    def set_rate(self, rate: float, burst: int) -> None:
        with self.lock:
            self.rate, self.burst = rate, burst
            self.bucket = Bucket(rate, burst)

    @property
    def max_bucket_level(self) -> float:
        return self.bucket.max_level

    @property
    def rate_limited(self) -> int:
        """Requests refused by the leaky bucket."""
        return self.bucket.rejected

    def _admit(self) -> None:
        if not self.bucket.admit(time.monotonic()):
            raise ApiError(503, "QUERY_LIMIT_EXCEEDED", "Too many requests")

    def _window(self, hook: Webhook, name: str) -> deque[tuple[float, float]]:
        q = self.operating.setdefault((hook.user_id, name), deque())
        now = time.time()
        while q and q[0][0] < now - self.operating_window:
            q.popleft()
        return q

    def _check_operating(self, hook: Webhook, name: str) -> None:
        if self.operating_limit is None or name == "batch":
            return
        if sum(d for _, d in self._window(hook, name)) > self.operating_limit:
            raise ApiError(429, "OPERATION_TIME_LIMIT",
                           "Method is blocked due to operation time limit.")

    def _charge(self, hook: Webhook, name: str, seconds: float) -> None:
        if name != "batch":
            cost = self.operating_cost if self.operating_cost is not None else seconds
            self._window(hook, name).append((time.time(), cost))

    def _time(self, start: float, hook: Webhook | None, name: str) -> dict[str, Any]:
        finish = time.time()
        t: dict[str, Any] = {
            "start": start, "finish": finish, "duration": finish - start,
            "processing": finish - start,
            "date_start": _now_iso(start), "date_finish": _now_iso(finish),
        }
        if hook is not None:
            q = self._window(hook, name)
            # an integer unix time, as limits.md shows it (rounded up: never too early)
            t["operating_reset_at"] = math.ceil((q[0][0] if q else finish)
                                                + self.operating_window)
            t["operating"] = sum(d for _, d in q)
        return t
