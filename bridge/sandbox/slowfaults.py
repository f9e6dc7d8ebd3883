"""The sandbox's faults of time: a front end that drips its answer, and the late commit.

``drip`` (``seconds=S`` between bytes, default 0.2): the call runs (``executed``, default
yes), then the whole HTTP answer is written one byte every ``S`` seconds, so no single read
of the client ever times out; only an overall deadline ends it.

``late_commit`` (``commit_after=S``, default 1.0; ``cut="hold"`` or ``"drop"``): the portal
is still working when the client gives up, and the lead is committed only ``S`` seconds after
the request arrived, i.e. after the client's deadline. ``S`` stands for the cloud's 60 s
execution limit: "In the Bitrix24 cloud version, one REST request must finish within 60
seconds. If processing takes longer, the request is interrupted by timeout" (b24restdocs
``limits.md``, "Request Execution Time Limit"; also
``api-reference/files/how-to-upload-files.md``); a self-hosted portal "depends on server
settings", i.e. may run longer. With ``cut="hold"`` the connection stays open and silent until
the commit, then gets the front end's HTML 504 (if the client is still there); with
``cut="drop"`` it is closed at once without an answer and the commit follows in the background.
A lookup by ``ORIGIN_ID`` before the commit finds nothing, so a client that then sends again
makes a second lead: exactly what ``bitrix24.max_request_seconds`` prevents.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = ["SLOW_FAULTS", "drip_answer", "late_commit"]

SLOW_FAULTS = frozenset({"drip", "late_commit"})

log = logging.getLogger(__name__)


def drip_answer(write: Callable[[bytes], Any], status: int, payload: Any,
                interval: float) -> None:
    """Write a JSON answer as HTTP/1.0, one byte every ``interval`` s, until the client goes."""
    body = json.dumps(payload).encode()
    reason = "OK" if status == 200 else "Error"
    data = (f"HTTP/1.0 {status} {reason}\r\nServer: nginx\r\nContent-Type: application/json; "
            f"charset=utf-8\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
    for i in range(len(data)):
        time.sleep(interval)
        try:
            write(data[i : i + 1])
        except OSError:
            return  # the client gave up: that is the point


def late_commit(commit: Callable[[], Any], delay: float, *, background: bool) -> None:
    """Run ``commit`` ``delay`` s from now: in a background timer, or here after a sleep."""

    def run() -> None:
        try:
            commit()
        except Exception:  # an error answer nobody will read: the commit simply did not happen
            log.debug("sandbox.late_commit_failed", exc_info=True)

    if background:
        timer = threading.Timer(delay, run)
        timer.daemon = True
        timer.start()
        return
    time.sleep(delay)
    with contextlib.suppress(Exception):
        run()
