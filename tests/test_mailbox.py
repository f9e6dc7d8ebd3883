"""bridge.mailbox connecting to a real Dovecot: TLS, login, and what each failure says."""

from __future__ import annotations

import logging
import socket
import time

import pytest

from bridge.config import is_loopback_host as is_loopback
from bridge.errors import ConfigError, MailboxRejected, MailboxUnavailable
from bridge.mailbox import ImapMailbox
from tests.mailbox_support import opened
from tests.servers.dovecot import (
    DovecotServer,
    ImapAccount,
    free_port,
    new_account,
    running_server,
    sample_message,
)

pytestmark = pytest.mark.imap

# ---- connecting -----------------------------------------------------------------------


@pytest.mark.parametrize("security", ["ssl", "starttls", "plain"])
def test_connect_each_security(account: ImapAccount, security: str) -> None:
    """ssl, starttls and plain (loopback) all log in and select INBOX with the fixture's CA."""
    with ImapMailbox(account.config(security)) as box:
        assert box.select("INBOX") == account.uidvalidity()
        assert "IDLE" in box.capabilities()


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_untrusted_certificate_is_rejected(account: ImapAccount, security: str) -> None:
    """Without the fixture's CA the certificate fails verification: a setup error naming ca_file."""
    box = ImapMailbox(account.config(security, ca_file=None))
    with pytest.raises(MailboxRejected) as err:
        box.connect()
    assert "imap.ca_file" in str(err.value)
    assert not box.connected


def test_starttls_without_server_support_is_rejected() -> None:
    """A server that offers no STARTTLS is a setup error pointing at imap.security."""
    with running_server(tls=False) as server:
        account = new_account(server)
        box = ImapMailbox(account.config("starttls", ca_file=None))  # tls=False: no cert
        with pytest.raises(MailboxRejected) as err:
            box.connect()
        assert "STARTTLS" in str(err.value) and "imap.security" in str(err.value)
        assert server.wait_who(account.user, 0) == 0


def test_plain_to_remote_host_is_config_error(account: ImapAccount) -> None:
    """security = "plain" to a non-loopback address is refused before any connection."""
    with pytest.raises(ConfigError) as err:
        ImapMailbox(account.config("plain", host="192.0.2.10"))
    assert err.value.key == "imap.security"
    assert "imap.security" in str(err.value)


def test_loopback_names() -> None:
    """localhost and loopback literals count as loopback; other names and addresses do not."""
    assert all(map(is_loopback, ["localhost", "127.0.0.1", "127.3.4.5", "::1", "[::1]"]))
    assert not any(map(is_loopback, ["example.com", "10.0.0.1", "192.0.2.1", "localhost.com"]))


def test_unreadable_ca_file_is_config_error(account: ImapAccount, tmp_path) -> None:
    """An imap.ca_file that is not a CA bundle is a config error naming the key."""
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate")
    with pytest.raises(ConfigError) as err:
        ImapMailbox(account.config("ssl", ca_file=bad))
    assert err.value.key == "imap.ca_file"


def test_wrong_password_is_rejected_without_the_password(
    account: ImapAccount, caplog: pytest.LogCaptureFixture
) -> None:
    """A refused LOGIN names the user and the keys to fix, never the password, even in logs."""
    caplog.set_level(logging.DEBUG)
    secret = "Wr0ng-Secret-" + account.password
    box = ImapMailbox(account.config("plain", password=secret))
    with pytest.raises(MailboxRejected) as err:
        box.connect()
    text = str(err.value)
    assert f"imap login refused for user {account.user}" in text
    assert "imap.username/imap.password" in text
    assert secret not in text and secret not in repr(err.value)
    assert secret not in caplog.text
    assert not box.connected


def test_non_ascii_password_logs_in(dovecot_server: DovecotServer) -> None:
    """A password LOGIN cannot carry (Cyrillic) goes through AUTHENTICATE PLAIN as UTF-8."""
    user = f"cyr{time.monotonic_ns()}"
    dovecot_server.add_user(user, "пароль-Ёж-42")
    account = ImapAccount(server=dovecot_server, user=user, password="пароль-Ёж-42")
    with opened(account, "ssl") as box:
        assert box.select("INBOX") > 0
    with pytest.raises(MailboxRejected) as err:
        ImapMailbox(account.config("ssl", password="пароль-не-тот")).connect()
    assert "пароль" not in str(err.value)


def test_password_never_logged(
    account: ImapAccount, caplog: pytest.LogCaptureFixture
) -> None:
    """At DEBUG, a whole session (login, fetch, finish) logs neither password nor body."""
    caplog.set_level(logging.DEBUG)
    body = "Сообщение-клиента-" + account.password[-6:]
    uid = account.deliver(sample_message(body=body))
    with opened(account) as box:
        box.select("INBOX")
        assert [m.key.uid for m in box.fetch(box.search_new(None, None))] == [uid]
        box.finish(uid, "")
    assert account.password not in caplog.text
    assert body not in caplog.text


def test_refused_port_is_unavailable(account: ImapAccount) -> None:
    """Nothing listening: a temporary error naming host:port and the cause."""
    port = free_port()
    with pytest.raises(MailboxUnavailable) as err:
        ImapMailbox(account.config("plain", port=port)).connect()
    assert f"127.0.0.1:{port}" in str(err.value)
    assert "refused" in str(err.value)


def test_dns_failure_is_unavailable(account: ImapAccount) -> None:
    """A host that does not resolve is a temporary error that says so."""
    box = ImapMailbox(account.config("ssl", host="no-such-host.invalid"))
    with pytest.raises(MailboxUnavailable) as err:
        box.connect()
    assert "cannot resolve host 'no-such-host.invalid'" in str(err.value)


def test_silent_server_times_out(account: ImapAccount) -> None:
    """A server that accepts but never greets ends in MailboxUnavailable after imap.timeout."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        box = ImapMailbox(account.config("plain", port=port, timeout=0.3))
        with pytest.raises(MailboxUnavailable) as err:
            box.connect()
    assert f"127.0.0.1:{port}" in str(err.value)
    assert "0.3 s" in str(err.value)


def test_tls_to_plain_port_is_unavailable(account: ImapAccount) -> None:
    """TLS handshake trouble (ssl against the plain port) is temporary and says TLS."""
    box = ImapMailbox(account.config("ssl", port=account.server.port))
    with pytest.raises(MailboxUnavailable) as err:
        box.connect()
    assert "TLS handshake failed" in str(err.value)


def test_missing_folder_is_rejected(account: ImapAccount) -> None:
    """Selecting a folder that does not exist is a setup error naming imap.folder."""
    with opened(account, folder="Nope") as box, pytest.raises(MailboxRejected) as err:
        box.select()
    assert "'Nope'" in str(err.value) and "imap.folder" in str(err.value)

