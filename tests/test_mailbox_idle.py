"""bridge.mailbox waiting (IDLE, NOOP) and losing the connection, against a real Dovecot."""

from __future__ import annotations

import threading
import time

import pytest

from bridge.errors import MailboxRejected, MailboxUnavailable
from bridge.mailbox import ImapMailbox
from tests.mailbox_support import later, opened
from tests.servers.dovecot import (
    DovecotServer,
    ImapAccount,
    new_account,
    running_server,
    sample_message,
)

pytestmark = pytest.mark.imap

# ---- waiting and losing the connection ------------------------------------------------


def test_idle_wait_wakes_on_delivery(account: ImapAccount) -> None:
    """A delivery by another client during IDLE makes idle_wait return True."""
    with opened(account) as box:
        box.select("INBOX")
        t = later(0.2, lambda: account.deliver(sample_message()))
        assert box.idle_wait(30) is True
        t.join()
        assert box.search_new(None, None) == account.uids()
        box.noop()  # the session is still usable after IDLE


def test_idle_wait_times_out_quietly(account: ImapAccount) -> None:
    """No new mail: idle_wait returns False and the connection stays usable."""
    with opened(account) as box:
        box.select("INBOX")
        assert box.idle_wait(0.3) is False
        assert box.noop() is False


def test_idle_wait_stop_event(account: ImapAccount) -> None:
    """A set stop Event ends the wait early with False."""
    stop = threading.Event()
    with opened(account) as box:
        box.select("INBOX")
        later(0.2, stop.set)
        assert box.idle_wait(60, stop=stop) is False


def test_kick_during_idle_is_unavailable(account: ImapAccount) -> None:
    """doveadm kick (BYE) during IDLE raises MailboxUnavailable; a new connection works."""
    box = ImapMailbox(account.config("ssl"))
    box.connect()
    box.select("INBOX")
    later(0.2, account.kick)
    with pytest.raises(MailboxUnavailable) as err:
        box.idle_wait(30)
    assert "BYE" in str(err.value) or "EOF" in str(err.value)  # EOF if the kick came first
    assert not box.connected
    with pytest.raises(MailboxUnavailable):
        box.noop()
    box.close()
    box.connect()
    assert box.select("INBOX") == account.uidvalidity()
    box.close()


def test_noop_on_kicked_connection_is_unavailable(account: ImapAccount) -> None:
    """NOOP on a connection the server closed raises MailboxUnavailable."""
    with opened(account) as box:
        box.select("INBOX")
        account.kick()
        with pytest.raises(MailboxUnavailable):
            for _ in range(50):  # the kick lands asynchronously
                box.noop()
                time.sleep(0.02)


def test_crash_during_idle_is_unavailable() -> None:
    """A server crash (EOF, no BYE) during IDLE raises MailboxUnavailable at once."""
    with running_server(tls=False) as server:
        account = new_account(server)
        with opened(account) as box:
            box.select("INBOX")
            later(0.2, server.crash)
            with pytest.raises(MailboxUnavailable) as err:
                box.idle_wait(30)
            assert "EOF" in str(err.value)


def test_restart_then_reconnect(dovecot_server: DovecotServer) -> None:
    """After a server restart the old session fails with MailboxUnavailable; a new one works."""
    account = new_account(dovecot_server)
    uid = account.deliver(sample_message())
    box = ImapMailbox(account.config("ssl"))
    box.connect()
    box.select("INBOX")
    dovecot_server.restart()
    with pytest.raises(MailboxUnavailable):
        box.search_new(None, None)
    box.close()
    with ImapMailbox(account.config("ssl")) as again:
        again.select("INBOX")
        assert again.search_new(None, None) == [uid]


def test_uidvalidity_change_seen_at_next_select(account: ImapAccount) -> None:
    """A UIDVALIDITY change drops the open session; the next SELECT reports the new value."""
    account.deliver(sample_message())
    box = ImapMailbox(account.config("plain"))
    box.connect()
    before = box.select("INBOX")
    new = account.set_uidvalidity()
    with pytest.raises(MailboxUnavailable):  # Dovecot: BYE "session state is inconsistent"
        box.noop()
    box.close()
    with opened(account) as again:
        assert again.select("INBOX") == new != before


def test_uidvalidity_change_during_idle_shows_at_the_next_idle(
    account: ImapAccount,
) -> None:
    """IDLE hears nothing of a UIDVALIDITY change; re-issuing IDLE gets BYE -> Unavailable."""
    account.deliver(sample_message())
    with opened(account) as box:
        box.select("INBOX")
        changer = later(0.1, account.set_uidvalidity)
        assert box.idle_wait(1.0) is False
        changer.join()
        with pytest.raises(MailboxUnavailable) as err:
            box.idle_wait(30)
        assert "inconsistent" in str(err.value)


def test_no_connection_leak(account: ImapAccount) -> None:
    """Many connect/close cycles, including failed selects, leave no session on the server."""
    for i in range(25):
        box = ImapMailbox(account.config("plain" if i % 2 else "ssl"))
        with box:
            box.select("INBOX")
            if i % 5 == 0:
                with pytest.raises(MailboxRejected):
                    box.select("Missing")
    assert account.server.wait_who(account.user, 0) == 0

