"""Waiting for something a daemon or a server does in the background, with a bound on the wait."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_for(cond: Callable[[], object], seconds: float = 60.0, step: float = 0.1) -> bool:
    """Poll ``cond`` every ``step`` seconds until it is true or ``seconds`` pass; its last truth.

    The bound only catches a hang: it is far above what any wait takes on a loaded machine.
    """
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(step)
    return bool(cond())
