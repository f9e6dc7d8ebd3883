"""Freeze points for the failover tests: off unless ``MAILBRIDGE_TEST_FREEZE`` is set.

A failover test must stop an owner at an exact point (before a send, after the portal's
answer, before the outcome is committed), which a signal sent from outside cannot hit. With
``MAILBRIDGE_TEST_FREEZE="before_send:2,before_commit:5"`` the process sends itself SIGSTOP
the 2nd time it is about to send a write to Bitrix24 and the 5th time it is about to commit a
created lead, exactly as an operator's ``kill -STOP`` would freeze it there; the test then
sends SIGCONT or SIGKILL. It logs ``testhook.freeze point=NAME n=N`` first. Points:

* ``before_send``: a write (``crm.lead.add``, ``batch``, a timeline comment) is about to be
  sent, before the lease is checked;
* ``after_answer``: a write's answer has been read, before the pipeline sees it;
* ``before_commit``: a created lead is about to be recorded in the ledger, before the lease is
  checked.

Nothing here runs without the variable; it is never set by the bridge itself.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time

log = logging.getLogger(__name__)

ENV = "MAILBRIDGE_TEST_FREEZE"
POINTS = ("before_send", "after_answer", "before_commit")

_lock = threading.Lock()
_counts: dict[str, int] = {}


def parse(spec: str) -> dict[str, set[int]]:
    """``"before_send:2,before_send:4"`` -> ``{"before_send": {2, 4}}``; unknown names fail."""
    plan: dict[str, set[int]] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, _, n = item.partition(":")
        if name not in POINTS or not n.isdigit():
            raise ValueError(f"{ENV}: expected POINT:N with POINT one of {POINTS}, got {item!r}")
        plan.setdefault(name, set()).add(int(n))
    return plan


def freeze_point(name: str) -> None:
    """SIGSTOP this process when ``name`` is reached for a planned time (see the module)."""
    spec = os.environ.get(ENV)
    if not spec:
        return
    with _lock:
        _counts[name] = n = _counts.get(name, 0) + 1
        hit = n in parse(spec).get(name, set())
    if hit:
        log.warning("testhook.freeze point=%s n=%s pid=%s", name, n, os.getpid())
        sys.stderr.flush()
        # aimed at this thread, so that it is this thread that stops on its way out of the
        # call; the short sleeps make sure the stop has taken effect before going on
        signal.pthread_kill(threading.get_ident(), signal.SIGSTOP)
        for _ in range(20):
            time.sleep(0.005)
