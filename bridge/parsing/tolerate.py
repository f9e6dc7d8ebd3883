"""Tolerating hostile input: the one way parsing swallows an exception.

Mail is written by strangers, and the stdlib's ``email`` package, ``phonenumbers``,
``filetype`` and the charset detector all have inputs they choke on. Parsing must not stop
the mailbox for that: each place that may meet such input catches the broad ``Exception``,
falls back to a documented default (no date, no filename, plain text, the parse without
the fast path …) and calls :func:`tolerated` with a short, fixed name for the place.

:func:`tolerated` logs ``event=input_tolerated where=<place> error=<exception type>`` and
nothing else: never the exception's message or a traceback, which may quote the mail's
bytes (client data must not reach the logs). Places where a failure is routine (one odd
header among many) log at DEBUG; places where the message is read worse than it could be
pass ``level=logging.WARNING``.

``ParseError`` is not tolerated anywhere: it is the one error parsing raises on purpose.
"""

from __future__ import annotations

import logging

log = logging.getLogger("bridge.parsing")


def tolerated(where: str, exc: BaseException, level: int = logging.DEBUG) -> None:
    """Log that hostile input made ``where`` fall back to its default (type name only)."""
    if log.isEnabledFor(level):
        log.log(level, "event=input_tolerated where=%s error=%s", where, type(exc).__name__)
