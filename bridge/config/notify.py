"""Reading the ``[notify]`` and ``[metrics]`` sections (SPEC §2) into their frozen values
(:mod:`bridge.config.notify_values`).

The loader calls ``load_notify`` and ``load_metrics``, so every value is validated once at
start-up and a bad one is a ConfigError naming the key. Secrets follow the rule of the other
secrets: environment variable, then ``*_file``, then ``$CREDENTIALS_DIRECTORY/<name>``, then
the inline value.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from bridge.config.keys import SECURITY_MODES
from bridge.config.notify_values import (
    CHANNELS,
    CREDENTIAL_NOTIFY_WEBHOOK,
    CREDENTIAL_SMTP_PASSWORD,
    CREDENTIAL_TELEGRAM_PROXY,
    CREDENTIAL_TELEGRAM_TOKEN,
    EMAIL_KEYS,
    ENV_NOTIFY_WEBHOOK,
    ENV_SMTP_PASSWORD,
    ENV_TELEGRAM_PROXY,
    ENV_TELEGRAM_TOKEN,
    NOTIFY_KEYS,
    TELEGRAM_KEYS,
    WEBHOOK_KEYS,
    EmailConfig,
    MetricsConfig,
    NotifyConfig,
    TelegramConfig,
    WebhookConfig,
)
from bridge.config.secret_values import secret
from bridge.config.section import Section
from bridge.hosts import is_loopback_host

if TYPE_CHECKING:
    from bridge.config.reader import Reader


def _http_url(loader: Reader, key: str, value: str, *, secret: bool, loopback_ok: bool) -> str:
    shown = "the value" if secret else f'"{value}"'
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
        _ = parts.port
    except ValueError:
        raise loader.fail(key, f"{shown} is not a URL") from None
    if parts.scheme not in ("https", "http") or not host:
        raise loader.fail(key, f"expected an https:// URL; {shown} is not one")
    if parts.scheme == "http" and not (loopback_ok and is_loopback_host(host)):
        raise loader.fail(key, f"http:// is allowed only to a loopback address, not to {host}")
    return value


def load_notify(loader: Reader) -> NotifyConfig:
    """Build NotifyConfig from ``[notify]`` (``loader``: the config loader, or any Reader)."""
    table = loader.data.get("notify", {})
    loader.reject_unknown(table, "notify", NOTIFY_KEYS + CHANNELS)
    s = Section(loader, "notify", table)
    d = NotifyConfig()
    stall = s.number("stall_minutes", d.stall_minutes, positive=True)
    repeat = s.number("repeat_minutes", d.repeat_minutes, positive=True)
    mailbox = s.number("mailbox_minutes", d.mailbox_minutes, positive=True)
    telegram = email = webhook = None
    if "telegram" in s.table:
        telegram = _telegram(loader, s.subtable("telegram"))
    if "email" in s.table:
        email = _email(loader, s.subtable("email"))
    if "webhook" in s.table:
        webhook = _webhook(loader, s.subtable("webhook"))
    return NotifyConfig(
        stall_minutes=stall, repeat_minutes=repeat, mailbox_minutes=mailbox,
        on_lead=s.boolean("on_lead", d.on_lead),
        send_timeout=s.number("send_timeout", d.send_timeout, positive=True),
        telegram=telegram, email=email, webhook=webhook,
    )


def _sub(loader: Reader, name: str, table: dict[str, Any], keys: tuple[str, ...]) -> Section:
    loader.reject_unknown(table, f"notify.{name}", keys)
    return Section(loader, f"notify.{name}", table)


def _credential(loader: Reader, credential: str) -> str:
    """The credential's name if systemd passed a non-empty one, else "" (none).

    The units give every notification secret a ``SetCredential=NAME:-`` fallback, so a
    secret the operator did not store does not stop the unit; "-" or empty means absent.
    """
    cred_dir = loader.env.get("CREDENTIALS_DIRECTORY", "").strip()
    if not cred_dir:
        return ""
    try:
        value = (Path(cred_dir) / credential).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "" if value.strip() in ("", "-") else credential


def _secret(loader: Reader, s: Section, key: str, env: str, credential: str) -> str:
    # "" names the credentials folder itself, never a file: an empty credential is skipped
    return secret(loader, s, key, env, _credential(loader, credential))


def _optional_secret(loader: Reader, s: Section, key: str, env: str, credential: str) -> str:
    """Like a required secret, but "" when none of its sources is set."""
    present = (
        loader.env.get(env, "").strip() or s.table.get(key) or s.table.get(key + "_file")
        or _credential(loader, credential)
    )
    return _secret(loader, s, key, env, credential) if present else ""


def _telegram(loader: Reader, table: dict[str, Any]) -> TelegramConfig:
    s = _sub(loader, "telegram", table, TELEGRAM_KEYS)
    d = TelegramConfig()
    token = _secret(loader, s, "bot_token", ENV_TELEGRAM_TOKEN, CREDENTIAL_TELEGRAM_TOKEN)
    if any(c.isspace() or c in "/?#" for c in token):
        raise loader.fail("notify.telegram.bot_token", "expected a token like 123456:ABC-...")
    chat = s._get("chat_id", "")
    if isinstance(chat, int) and not isinstance(chat, bool):
        chat = str(chat)
    if not isinstance(chat, str) or not chat.strip():
        raise loader.fail(
            "notify.telegram.chat_id", 'required; the chat id, e.g. "-1001234567890" or "@channel"'
        )
    api_url = _http_url(
        loader, "notify.telegram.api_url", s.text("api_url", d.api_url).strip().rstrip("/"),
        secret=False, loopback_ok=True,
    )
    proxy = _optional_secret(loader, s, "proxy", ENV_TELEGRAM_PROXY, CREDENTIAL_TELEGRAM_PROXY)
    if proxy:
        scheme = proxy.partition("://")[0].lower()
        if scheme not in ("http", "https"):
            raise loader.fail(
                "notify.telegram.proxy", "expected http://[user:password@]host:port (HTTP proxy)"
            )
    return TelegramConfig(
        bot_token=token, chat_id=chat.strip(), api_url=api_url, proxy=proxy,
        ca_file=s.file_path("ca_file"),
    )


def _email(loader: Reader, table: dict[str, Any]) -> EmailConfig:
    s = _sub(loader, "email", table, EMAIL_KEYS)
    host = s.text("host", "").strip()
    if not host:
        raise loader.fail("notify.email.host", 'required; the SMTP server, e.g. "smtp.yandex.ru"')
    security = s.choice("security", "starttls", SECURITY_MODES)
    if security == "plain" and not is_loopback_host(host):
        raise loader.fail(
            "notify.email.security",
            f'"plain" (no TLS) is allowed only to a loopback address, not to {host}',
        )
    port = s.integer("port", 465 if security == "ssl" else 587, low=1, high=65535)
    username = s.text("username", "").strip()
    password = ""
    if username:
        password = _secret(loader, s, "password", ENV_SMTP_PASSWORD, CREDENTIAL_SMTP_PASSWORD)
    sender = s.text("from", username).strip()
    if "@" not in sender:
        raise loader.fail("notify.email.from", "required; the sender address of alarm e-mails")
    to = tuple(a.strip() for a in s.text_list("to", ()))
    if not to:
        raise loader.fail("notify.email.to", 'required; e.g. ["admin@example.ru"]')
    read = {loader.data.get("imap", {}).get("username", "").strip().lower()} - {""}
    for address in to:
        if "@" not in address:
            raise loader.fail("notify.email.to", f'expected an address, got "{address}"')
        if address.lower() in read:
            raise loader.fail(
                "notify.email.to",
                f"{address} is the mailbox mailbridge reads; alarms sent there would be read "
                "back as mail; send them to a person's address",
            )
    return EmailConfig(
        host=host, port=port, security=security, username=username, password=password,
        ca_file=s.file_path("ca_file"), sender=sender, to=to,
    )


def _webhook(loader: Reader, table: dict[str, Any]) -> WebhookConfig:
    s = _sub(loader, "webhook", table, WEBHOOK_KEYS)
    url = _secret(loader, s, "url", ENV_NOTIFY_WEBHOOK, CREDENTIAL_NOTIFY_WEBHOOK)
    url = _http_url(loader, "notify.webhook.url", url, secret=True, loopback_ok=True)
    return WebhookConfig(url=url, ca_file=s.file_path("ca_file"))


def load_metrics(loader: Reader) -> MetricsConfig:
    """Build MetricsConfig from ``[metrics]``."""
    s = loader.section("metrics")
    listen = s.text("listen", "").strip()
    allow_remote = s.boolean("allow_remote", False)
    if listen:
        host, sep, port = listen.rpartition(":")
        if not sep or not port.isdigit() or not 0 < int(port) < 65536 or not host:
            raise loader.fail("metrics.listen", f'expected "HOST:PORT" like "127.0.0.1:9464", '
                              f'got "{listen}"')
        if not allow_remote and not is_loopback_host(host):
            raise loader.fail(
                "metrics.listen",
                f"{host} is not a loopback address; set metrics.allow_remote = true to serve "
                "metrics to the network",
            )
    raw = s.text("textfile", "").strip()
    textfile = loader.resolve(raw) if raw else None
    if textfile is not None and not textfile.name.endswith(".prom"):
        raise loader.fail("metrics.textfile", "node_exporter reads only files ending in .prom")
    return MetricsConfig(listen=listen, allow_remote=allow_remote, textfile=textfile)
