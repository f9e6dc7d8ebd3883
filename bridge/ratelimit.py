"""Client-side pacing for Bitrix24: a leaky bucket that mirrors the portal's, and backoff.

The portal adds 1 per HTTP request to a level that drains ``rate`` per second and refuses
a request (503 QUERY_LIMIT_EXCEEDED) when it would rise above ``burst`` (bitrix24-api.md
§4.1). ``LeakyBucket.acquire`` waits just long enough that our own requests never push the
portal's level past its limit. The clock and the sleep are injectable, so the arithmetic is
testable without waiting.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable

__all__ = ["LeakyBucket", "backoff_delay"]


class LeakyBucket:
    """Thread-safe mirror of the portal's request bucket.

    ``headroom`` units are kept free: our view of the level is a little lower than the
    portal's, because a request reaches the portal after we counted it.
    """

    def __init__(
        self,
        rate: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        *,
        headroom: float = 1.0,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.rate = float(rate)
        self.burst = int(burst)
        self.capacity = max(1.0, self.burst - headroom)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._level = 0.0
        self._stamp = clock()
        self._blocked_until = float("-inf")

    def _drain(self, now: float) -> None:
        self._level = max(0.0, self._level - (now - self._stamp) * self.rate)
        self._stamp = now

    @property
    def level(self) -> float:
        """The current level (requests still in the bucket)."""
        with self._lock:
            self._drain(self._clock())
            return self._level

    def reserve(self) -> float:
        """Count one request now and return how long to wait before sending it."""
        with self._lock:
            now = self._clock()
            self._drain(now)
            # Where the level will be once this request may go; later callers queue behind it.
            wait = max(0.0, self._blocked_until - now)
            over = self._level + 1 - self.capacity
            if over > 0:
                wait = max(wait, over / self.rate)
            self._level += 1
            return wait

    def acquire(self) -> float:
        """Block until one more request fits; returns the seconds waited."""
        wait = self.reserve()
        if wait > 0:
            self._sleep(wait)
        return wait

    def penalize(self, seconds: float = 0.0) -> None:
        """After a 503/429: the portal's bucket is full; hold every request for ``seconds``."""
        with self._lock:
            now = self._clock()
            self._drain(now)
            self._level = max(self._level, float(self.burst))
            self._blocked_until = max(self._blocked_until, now + max(0.0, seconds))


def backoff_delay(
    attempt: int,
    base: float,
    cap: float,
    rng: Callable[[], float] = random.random,
) -> float:
    """Exponential backoff with full jitter: uniform in [0, min(cap, base * 2**(attempt-1))].

    ``attempt`` counts from 1 (the first retry).
    """
    if attempt < 1:
        return 0.0
    ceiling = min(cap, base * (2 ** min(attempt - 1, 62)))
    return float(ceiling * rng())
