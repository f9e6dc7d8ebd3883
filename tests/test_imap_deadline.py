"""Overall deadlines on IMAP commands: real Dovecot behind a dripping TCP proxy on loopback."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from bridge.errors import MailboxUnavailable
from bridge.mailbox import ImapMailbox
from tests.forms import form_email
from tests.servers.dovecot import ImapAccount
from tests.servers.dripproxy import DripProxy

pytestmark = pytest.mark.imap

DEADLINE = 0.5
DRIP = 0.2
BOUND = 10 * DEADLINE  # catches a hang, never a timing assertion


@pytest.fixture
def proxy(account: ImapAccount) -> Iterator[DripProxy]:
    with DripProxy(account.server.port) as p:
        yield p


def mailbox(account: ImapAccount, proxy: DripProxy) -> ImapMailbox:
    """Plain IMAP to loopback: with TLS, CPython's per-read timeout already spans a whole
    TLS record, so only a plain socket shows a drip that no per-read timeout catches."""
    return ImapMailbox(account.config("plain", port=proxy.port, timeout=DEADLINE))


def test_a_dripping_answer_drops_the_connection_and_a_reconnect_works(
    account: ImapAccount, proxy: DripProxy
) -> None:
    """A server that drips its answer one byte every 0.2 s never trips the 0.5 s read
    timeout; the command's overall deadline drops the connection, and once the server is
    well again a reconnect goes on where it stopped."""
    account.deliver(form_email(1))
    box = mailbox(account, proxy)
    try:
        box.connect()
        box.select("INBOX")
        proxy.drip = DRIP
        started = time.monotonic()
        with pytest.raises(MailboxUnavailable, match="no whole answer"):
            box.search_new(None, None)
        assert time.monotonic() - started < BOUND
        assert not box.connected
        proxy.drip = 0.0
        box.connect()
        box.select("INBOX")
        assert len(box.search_new(None, None)) == 1
    finally:
        box.close()


def test_a_fetch_that_drips_midway_is_a_dead_connection(
    account: ImapAccount, proxy: DripProxy
) -> None:
    """FETCH of a message that the server starts sending, then drips: dropped at the
    deadline, not held for the length of the message."""
    uid = account.deliver(form_email(2, file_size=4000))
    box = mailbox(account, proxy)
    try:
        box.connect()
        box.select("INBOX")
        proxy.drip = DRIP
        started = time.monotonic()
        with pytest.raises(MailboxUnavailable):
            list(box.fetch([uid]))
        assert time.monotonic() - started < BOUND
        assert not box.connected
    finally:
        box.close()


def test_a_dripping_greeting_cannot_hold_the_connect(
    account: ImapAccount, proxy: DripProxy
) -> None:
    """TLS handshake and greeting dripped: connect() gives up at its deadline."""
    proxy.drip = DRIP
    box = mailbox(account, proxy)
    started = time.monotonic()
    with pytest.raises(MailboxUnavailable):
        box.connect()
    assert time.monotonic() - started < BOUND
    assert not box.connected
