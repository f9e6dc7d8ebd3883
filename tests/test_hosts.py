"""Hosts: malformed webhook/IMAP hosts are config errors; loopback is decided by address."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from bridge.config import load
from bridge.crm import parse_webhook_url
from bridge.errors import ConfigError
from bridge.hosts import NotLoopback, host_problem, loopback_address
from tests.e2e import run

SECRET = "XXXXXXXXXXXXXXXX"
IMAP = '[imap]\nhost = "imap.example.ru"\nusername = "u"\npassword = "p"\n'

BAD_URLS = [
    f"https://a..b/rest/1/{SECRET}/",
    f"https://.portal.bitrix24.ru/rest/1/{SECRET}/",
    f"https://portal-.bitrix24.ru/rest/1/{SECRET}/",
    f"https://por_tal!.bitrix24.ru/rest/1/{SECRET}/",
    f"https://{'a' * 64}.ru/rest/1/{SECRET}/",
    f"https://999.1.1.1/rest/1/{SECRET}/",
    f"https://portal.bitrix24.ru:0/rest/1/{SECRET}/",
    f"https://portal.bitrix24.ru:70000/rest/1/{SECRET}/",
    f"https://portal.bitrix24.ru:abc/rest/1/{SECRET}/",
]


@pytest.mark.parametrize("url", BAD_URLS)
def test_malformed_webhook_host_is_a_config_error(tmp_path: Path, url: str) -> None:
    """An invalid host or port in the webhook URL fails when the config loads, naming the key."""
    cfg = tmp_path / "config.toml"
    cfg.write_text(IMAP + f'[bitrix24]\nwebhook_url = "{url}"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load(cfg, env={})
    assert str(info.value).startswith("bitrix24.webhook_url:")
    assert SECRET not in str(info.value)


@pytest.mark.parametrize("url", BAD_URLS)
def test_client_refuses_a_malformed_webhook_host(url: str) -> None:
    """The client's own URL check (used without a config file) refuses the same URLs."""
    with pytest.raises(ConfigError) as info:
        parse_webhook_url(url)
    assert info.value.key == "bitrix24.webhook_url" and SECRET not in str(info.value)


def test_poll_now_with_a_malformed_webhook_host_exits_78(tmp_path: Path) -> None:
    """--poll-now with https://a..b/… exits 78 naming bitrix24.webhook_url (not 1)."""
    cfg = tmp_path / "config.toml"
    cfg.write_text(IMAP + f'[bitrix24]\nwebhook_url = "https://a..b/rest/1/{SECRET}/"\n',
                   encoding="utf-8")
    code, _, err = run("--config", str(cfg), "--poll-now")
    assert code == 78
    assert "bitrix24.webhook_url" in err and SECRET not in err


@pytest.mark.parametrize("host", ["a..b", "imap.yandex.ru:993", "-imap.ru", "imap_.ru.."])
def test_malformed_imap_host_is_a_config_error(tmp_path: Path, host: str) -> None:
    """A malformed imap.host is a config error naming the key."""
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[imap]\nhost = "{host}"\nusername = "u"\npassword = "p"\n'
                   f'[bitrix24]\nwebhook_url = "https://p.bitrix24.ru/rest/1/{SECRET}/"\n',
                   encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load(cfg, env={})
    assert str(info.value).startswith("imap.host:")


@pytest.mark.parametrize("host", ["imap.yandex.ru", "xn--80a.xn--p1ai", "почта.рф", "127.0.0.1",
                                  "::1", "[::1]", "localhost", "mail_1.corp.local", "host."])
def test_good_hosts_pass(host: str) -> None:
    """Ordinary names, IDN names and IP literals are accepted."""
    assert host_problem(host) is None


def _fake(mapping: dict[str, list[str]]):
    def resolve(host: str, port: int) -> list[str]:
        if host not in mapping:
            raise socket.gaierror(socket.EAI_NONAME, "unknown")
        return mapping[host]
    return resolve


def test_loopback_is_decided_by_every_resolved_address() -> None:
    """A *.localhost name that resolves elsewhere (even partly) is not loopback."""
    with pytest.raises(NotLoopback):
        loopback_address("portal.localhost", 80, _fake({"portal.localhost": ["192.0.2.7"]}))
    with pytest.raises(NotLoopback):
        loopback_address("portal.localhost", 80,
                         _fake({"portal.localhost": ["127.0.0.1", "192.0.2.7"]}))
    with pytest.raises(NotLoopback):
        loopback_address("192.0.2.7", 80, _fake({}))
    assert loopback_address("portal.localhost", 80,
                            _fake({"portal.localhost": ["::1", "127.0.0.1"]})) == "127.0.0.1"
    assert loopback_address("::1", 80, _fake({})) == "::1"
    assert loopback_address("localhost", 80) in ("127.0.0.1", "::1")
