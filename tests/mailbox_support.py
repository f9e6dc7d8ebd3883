"""Helpers for the IMAP adapter's tests (bridge.mailbox against the Dovecot fixture)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator

from bridge.mailbox import ImapMailbox
from tests.servers.dovecot import ImapAccount


@contextlib.contextmanager
def opened(account: ImapAccount, security: str = "plain", **kw: object) -> Iterator[ImapMailbox]:
    box = ImapMailbox(account.config(security, **kw))
    try:
        box.connect()
        yield box
    finally:
        box.close()


def later(delay: float, fn: Callable[[], object]) -> threading.Thread:
    """Run ``fn`` after ``delay`` seconds in a thread (a second client acting meanwhile)."""

    def run() -> None:
        time.sleep(delay)
        fn()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t
