"""``[imap]`` and ``[bitrix24]`` (or a ``[[mailboxes]]`` entry and its own portal): the two
servers the bridge talks to, each validated into its frozen value."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bridge.config.keys import (
    CREDENTIAL_IMAP_PASSWORD,
    CREDENTIAL_WEBHOOK_URL,
    ENV_IMAP_PASSWORD,
    ENV_RESPONSIBLE_USER_ID,
    ENV_WEBHOOK_URL,
    SECURITY_MODES,
)
from bridge.config.routing import title_problem
from bridge.config.secret_values import secret, webhook
from bridge.config.section import Section, show
from bridge.config.values import IMAP_PLAIN_PORT, IMAP_SSL_PORT, Bitrix24Config, ImapConfig
from bridge.errors import ConfigError
from bridge.hosts import host_problem, is_loopback_host

if TYPE_CHECKING:
    from bridge.config.reader import Reader


def imap(
    loader: Reader, s: Section | None = None, *, env_name: str = ENV_IMAP_PASSWORD,
    credential: str = CREDENTIAL_IMAP_PASSWORD,
) -> ImapConfig:
    """[imap], or another table with its keys (a mailbox: ``s``, its own credential name
    and no environment override)."""
    s = s or loader.section("imap")
    d = ImapConfig()
    host, security = _imap_server(s)
    default_port = IMAP_SSL_PORT if security == "ssl" else IMAP_PLAIN_PORT
    port = s.integer("port", default_port, low=1, high=65535)
    username = s.text("username", d.username).strip()
    if not username:
        raise s.fail("username", "required; set the mailbox login")
    password = secret(loader, s, "password", env_name, credential, strip_inline=False)
    folder, processed = _imap_folders(s)
    return ImapConfig(
        host=host,
        port=port,
        security=security,
        username=username,
        password=password,
        ca_file=s.file_path("ca_file"),
        folder=folder,
        processed_folder=processed,
        idle=s.boolean("idle", d.idle),
        idle_refresh=s.integer(
            "idle_refresh", d.idle_refresh, low=1, high=1740,
            why="servers may end an IDLE after 30 minutes",
        ),
        poll_interval=s.integer("poll_interval", d.poll_interval, low=1),
        since_days=s.integer("since_days", d.since_days, low=0),
        timeout=s.number("timeout", d.timeout, positive=True),
        max_message_mb=s.integer("max_message_mb", d.max_message_mb, low=1),
    )


def _imap_server(s: Section) -> tuple[str, str]:
    """The IMAP host (an IPv6 literal without its brackets) and the security mode."""
    host = s.text("host", ImapConfig().host).strip()
    if not host:
        raise s.fail("host", 'required; set the IMAP server name, e.g. "imap.yandex.ru"')
    if "://" in host or "/" in host or any(c.isspace() for c in host):
        raise s.fail("host", f"expected a host name (no scheme or path), got {show(host)}")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]  # an IPv6 literal as written in a URL
    bad_host = host_problem(host)
    if bad_host is not None:
        raise s.fail("host", f"{bad_host}; e.g. \"imap.yandex.ru\"")
    security = s.choice("security", ImapConfig().security, SECURITY_MODES)
    if security == "plain" and not is_loopback_host(host):
        raise s.fail(
            "security",
            f'"plain" (no TLS) is allowed only to a loopback address, not to {host}; '
            'use "ssl" or "starttls"',
        )
    return host, security


def _imap_folders(s: Section) -> tuple[str, str]:
    """The folder read and the one finished mail is moved to ("" = left in place)."""
    d = ImapConfig()
    folder = s.text("folder", d.folder).strip()
    if not folder:
        raise s.fail("folder", f'must not be empty; the default is "{d.folder}"')
    processed = s.text("processed_folder", d.processed_folder).strip()
    if processed == folder or processed.upper() == folder.upper() == "INBOX":
        raise s.fail(
            "processed_folder",
            f'must differ from {s.name}.folder ({show(folder)}); use "" to leave mail in place',
        )
    return folder, processed


def bitrix24(
    loader: Reader, s: Section | None = None, *, env_name: str = ENV_WEBHOOK_URL,
    credential: str = CREDENTIAL_WEBHOOK_URL, user_env_name: str = ENV_RESPONSIBLE_USER_ID,
) -> Bitrix24Config:
    """[bitrix24], or a mailbox's own portal table (``s``, no environment overrides)."""
    s = s or loader.section("bitrix24")
    d = Bitrix24Config()
    url = secret(loader, s, "webhook_url", env_name, credential)
    url = webhook(loader, url, s.origin["webhook_url"])
    user_id = _responsible_user(loader, s, user_env_name)
    source_id = s.text("source_id", d.source_id).strip()
    if not source_id:
        raise s.fail("source_id", f'must not be empty; the default is "{d.source_id}"')
    title = s.text("title", d.title)
    if (problem := title_problem(title)) is not None:
        raise s.fail("title", problem)
    return Bitrix24Config(
        webhook_url=url,
        ca_file=s.file_path("ca_file"),
        responsible_user_id=user_id,
        source_id=source_id,
        source_description=s.text("source_description", d.source_description),
        title=title,
        rate_per_second=s.number("rate_per_second", d.rate_per_second, positive=True),
        burst=s.integer("burst", d.burst, low=1),
        timeout=s.number("timeout", d.timeout, positive=True),
        batch=s.boolean("batch", d.batch),
        health_interval=s.number("health_interval", d.health_interval, positive=True),
        fallback_user_id=s.integer("fallback_user_id", d.fallback_user_id, low=0),
        max_request_seconds=_max_request_seconds(s),
    )


def _responsible_user(loader: Reader, s: Section, user_env_name: str) -> int:
    """``responsible_user_id``, or its environment override (top-level [bitrix24] only)."""
    user_env = loader.env.get(user_env_name, "").strip() if user_env_name else ""
    if not user_env:
        return s.integer("responsible_user_id", Bitrix24Config().responsible_user_id, low=1)
    if not user_env.isascii() or not user_env.isdigit() or int(user_env) < 1:
        raise ConfigError(
            f"{ENV_RESPONSIBLE_USER_ID}: expected a positive integer (a Bitrix24 user "
            f"ID), got {show(user_env)}; fix or unset the environment variable",
            key="bitrix24.responsible_user_id",
        )
    s.seen.add("responsible_user_id")
    return int(user_env)


def _max_request_seconds(s: Section) -> float:
    value = s.number("max_request_seconds", Bitrix24Config().max_request_seconds)
    if value < 0:
        raise s.fail("max_request_seconds",
                     f"expected 0 or more seconds, got {value:g} (cloud portals: 60)")
    return value
