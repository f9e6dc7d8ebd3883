"""Plain IMAP and http:// webhooks go only to addresses that are loopback when resolved."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest

from bridge.crm import Bitrix24Client
from bridge.errors import CrmSetupError, MailboxRejected
from bridge.mailbox import ImapMailbox
from bridge.sandbox import SandboxServer
from tests.servers.dovecot import ImapAccount

ELSEWHERE = "192.0.2.77"  # TEST-NET-1: never loopback


def resolver(mapping: dict[str, list[str]]) -> Callable[[str, int], list[str]]:
    """A resolver of our own Protocol answering from ``mapping`` (a hostile DNS)."""
    def resolve(host: str, port: int) -> list[str]:
        if host not in mapping:
            raise socket.gaierror(socket.EAI_NONAME, "unknown host")
        return list(mapping[host])
    return resolve


@pytest.mark.parametrize("addresses", [[ELSEWHERE], ["127.0.0.1", ELSEWHERE]])
def test_plain_imap_to_a_localhost_name_that_resolves_elsewhere_is_refused(
    account: ImapAccount, addresses: list[str]
) -> None:
    """mail.localhost mapped to a remote address: refused naming imap.host, no login sent."""
    cfg = account.config("plain", host="mail.localhost")
    box = ImapMailbox(cfg, resolver=resolver({"mail.localhost": addresses}))
    with pytest.raises(MailboxRejected) as err:
        box.connect()
    assert "imap.host" in str(err.value) and ELSEWHERE in str(err.value)
    assert account.password not in str(err.value)
    assert not box.connected


def test_plain_imap_to_a_localhost_name_that_resolves_to_loopback_works(
    account: ImapAccount,
) -> None:
    """mail.localhost mapped to 127.0.0.1 connects to that address and logs in (real Dovecot)."""
    cfg = account.config("plain", host="mail.localhost")
    with ImapMailbox(cfg, resolver=resolver({"mail.localhost": ["127.0.0.1"]})) as box:
        assert box.select("INBOX") == account.uidvalidity()


def _hostile_url(sb: SandboxServer, name: str) -> str:
    return sb.webhook_url.replace("127.0.0.1", name, 1)


@pytest.mark.parametrize("addresses", [[ELSEWHERE], ["::1", ELSEWHERE]])
def test_http_webhook_to_a_localhost_name_that_resolves_elsewhere_is_refused(
    sandbox: SandboxServer, addresses: list[str]
) -> None:
    """portal.localhost mapped to a remote address: a setup error naming the key, nothing sent."""
    client = Bitrix24Client(_hostile_url(sandbox, "portal.localhost"), max_tries=1,
                            resolver=resolver({"portal.localhost": addresses}))
    with pytest.raises(CrmSetupError) as err:
        client.call("crm.lead.fields")
    assert "bitrix24.webhook_url" in str(err.value) and ELSEWHERE in str(err.value)
    assert sandbox.code not in str(err.value)
    client.close()


def test_http_webhook_to_a_localhost_name_that_resolves_to_loopback_works(
    sandbox: SandboxServer,
) -> None:
    """portal.localhost mapped to 127.0.0.1 reaches the real sandbox at that address."""
    client = Bitrix24Client(_hostile_url(sandbox, "portal.localhost"), max_tries=1,
                            resolver=resolver({"portal.localhost": ["127.0.0.1"]}))
    before = len(sandbox.requests)
    assert "TITLE" in client.call("crm.lead.fields")
    assert len(sandbox.requests) == before + 1
    client.close()
