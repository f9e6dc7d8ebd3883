"""`mailbridge check`: the whole setup verified against the real services, one line each.

Every line is ✓ or ✗; a ✗ says what is wrong and how to fix it. Exit code: 0 when all
pass, 69 when a service could not be reached at all, 78 when something is set up wrongly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TextIO

from bridge.checks.crm import crm_checks
from bridge.checks.imap import (
    _PROVIDER_HINTS,
    folder_problem,
    imap_checks,
    login_problem,
    provider_hint,
)
from bridge.checks.lines import _SETUP_ANSWERS, BAD, DOWN, OK, WARN, Check, exit_code
from bridge.errors import BridgeError
from bridge.i18n import say, t

__all__ = [
    "BAD",
    "DOWN",
    "OK",
    "WARN",
    "_PROVIDER_HINTS",
    "_SETUP_ANSWERS",
    "Check",
    "crm_checks",
    "folder_problem",
    "imap_checks",
    "login_problem",
    "provider_hint",
    "run_checks",
]


def run_checks(cfg: Any, out: TextIO, crm: Any = None,
               connect: Callable[[], Any] | None = None) -> int:
    """Every check, printed as it completes (config, mailbox, portal); the exit code SPEC §1
    names: 0 all passed, 69 a service unreachable, 78 something set up wrongly."""
    results: list[Check] = [Check(OK, t("check.config_ok", path=cfg.source_path or "-"))]
    printed = 0

    def flush() -> None:
        nonlocal printed
        for r in results[printed:]:
            print(r.line, file=out, flush=True)
        printed = len(results)

    flush()
    try:
        results.extend(imap_checks(cfg, connect))
    except BridgeError as exc:
        results.append(Check(BAD, t("check.imap.rejected", error=say(exc))))
    flush()
    if crm is None:
        from bridge.app import make_crm

        crm = make_crm(cfg)
    results.extend(crm_checks(cfg, crm))
    flush()
    code = exit_code(results)
    failed = sum(r.status not in (OK, WARN) for r in results)
    print(t("check.all_passed") if not failed else t("check.failed", n=failed), file=out)
    return code
