"""Waiting for mail: NOOP, and IDLE until the server announces a delivery."""

from __future__ import annotations

import time
from functools import partial
from threading import Event

from bridge.errors import MailboxError, MailboxRejected
from bridge.mailbox.folders import Folders
from bridge.mailbox.session import ImapSession
from bridge.mailbox.wire import Wire, announces_mail, said_bye

_EARLY = 0.05  # idle_check returning this much before its timeout with nothing = EOF


def noop(s: ImapSession) -> bool:
    """NOOP; True if the server announced new mail. MailboxUnavailable when dead."""
    wire = s.require()
    return announces_mail(s.call("NOOP", wire.noop))


def idle_wait(folders: Folders, timeout: float, stop: Event | None = None) -> bool:
    """IDLE up to ``timeout`` s; True as soon as the server announces new mail.

    BYE, or an early empty ``idle_check`` (EOF: it returns ``[]`` at once on a dead
    socket), raises MailboxUnavailable. ``stop`` (an Event) ends the wait early.
    """
    s = folders.s
    wire = folders.selected_wire()
    if "IDLE" not in s.capabilities():
        raise MailboxRejected(
            f"imap {s.where}: the server does not support IDLE; set imap.idle = false"
        )
    s.call("IDLE", wire.idle)
    try:
        new_mail, dead = _listen(s, wire, timeout, stop)
    except MailboxError:
        s.drop()
        raise
    if dead is not None:
        s.drop()
        raise s.unavailable("connection lost during IDLE", dead)
    try:
        responses = s.call("DONE", wire.idle_done)
    except MailboxError:
        s.drop()
        raise
    return new_mail or announces_mail(responses)


def _listen(s: ImapSession, wire: Wire, timeout: float,
            stop: Event | None) -> tuple[bool, str | None]:
    """Read IDLE's untagged responses until mail, the end, ``stop`` or a dead connection.

    Returns (new mail announced, why the connection is dead or None)."""
    new_mail = False
    dead: str | None = None
    deadline = time.monotonic() + max(0.0, timeout)
    while not new_mail and dead is None:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or (stop is not None and stop.is_set()):
            break
        step = min(remaining, 1.0) if stop is not None else remaining
        started = time.monotonic()
        responses = s.call("IDLE", partial(wire.idle_check, step), wait=step)
        if not responses and time.monotonic() - started < step - _EARLY:
            dead = "connection closed by the server (EOF)"
        bye = said_bye(responses)
        if bye is not None:
            dead = "server said BYE: " + bye
        new_mail = new_mail or announces_mail(responses)
    return new_mail, dead
