"""The ``[notify]`` and ``[metrics]`` sections (SPEC §2): frozen settings and their loader.

``bridge.config`` calls ``load_notify`` and ``load_metrics`` with its loader, so every value is
validated once at start-up and a bad one is a ConfigError naming the key. Secrets follow the
rule of the other secrets: environment variable, then ``*_file``, then
``$CREDENTIALS_DIRECTORY/<name>``, then the inline value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ENV_TELEGRAM_TOKEN = "BRIDGE_TELEGRAM_BOT_TOKEN"
ENV_TELEGRAM_PROXY = "BRIDGE_TELEGRAM_PROXY"
ENV_SMTP_PASSWORD = "BRIDGE_SMTP_PASSWORD"
ENV_NOTIFY_WEBHOOK = "BRIDGE_NOTIFY_WEBHOOK_URL"

# A monitoring user has no secrets: placeholders let the config load for its non-secret keys.
OFFLINE_SECRETS = {
    "BRIDGE_IMAP_PASSWORD": "not-needed-for-health",
    "BITRIX24_WEBHOOK_URL": "https://offline.invalid/rest/1/XXXXXXXXXXXXXXXX/",
    ENV_TELEGRAM_TOKEN: "0:not-needed-for-health",
    ENV_SMTP_PASSWORD: "not-needed-for-health",
    ENV_NOTIFY_WEBHOOK: "https://offline.invalid/notify",
}

CREDENTIAL_TELEGRAM_TOKEN = "telegram-bot-token"
CREDENTIAL_TELEGRAM_PROXY = "telegram-proxy"
CREDENTIAL_SMTP_PASSWORD = "smtp-password"
CREDENTIAL_NOTIFY_WEBHOOK = "notify-webhook-url"

NOTIFY_KEYS = ("stall_minutes", "repeat_minutes", "mailbox_minutes", "on_lead", "send_timeout")
CHANNELS = ("telegram", "email", "webhook")  # the sub-tables [notify.telegram] ...
TELEGRAM_KEYS = (
    "bot_token", "bot_token_file", "chat_id", "api_url", "proxy", "proxy_file", "ca_file",
)
EMAIL_KEYS = (
    "host", "port", "security", "username", "password", "password_file", "ca_file",
    "from", "to",
)
WEBHOOK_KEYS = ("url", "url_file", "ca_file")
METRICS_KEYS = ("listen", "allow_remote", "textfile")


@dataclass(frozen=True, slots=True)
class TelegramConfig:
    bot_token: str = field(default="", repr=False)
    chat_id: str = ""
    api_url: str = "https://api.telegram.org"
    proxy: str = field(default="", repr=False)
    ca_file: Path | None = None


@dataclass(frozen=True, slots=True)
class EmailConfig:
    host: str = ""
    port: int = 587
    security: str = "starttls"  # "ssl" | "starttls" | "plain" (loopback only)
    username: str = ""
    password: str = field(default="", repr=False)
    ca_file: Path | None = None
    sender: str = ""
    to: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    url: str = field(default="", repr=False)
    ca_file: Path | None = None


@dataclass(frozen=True, slots=True)
class NotifyConfig:
    stall_minutes: float = 15
    repeat_minutes: float = 60
    mailbox_minutes: float = 10  # mailbox unreachable or login refused this long -> alarm
    on_lead: bool = False
    send_timeout: float = 10.0  # seconds for one attempt on one channel
    telegram: TelegramConfig | None = None
    email: EmailConfig | None = None
    webhook: WebhookConfig | None = None

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(
            name for name in ("telegram", "email", "webhook") if getattr(self, name) is not None
        )

    def secrets(self) -> tuple[str, ...]:
        """Every secret value of the channels (for the log redaction)."""
        out: list[str] = []
        if self.telegram:
            out += [self.telegram.bot_token, self.telegram.proxy]
            out += [_userinfo(self.telegram.proxy)]
        if self.email:
            out.append(self.email.password)
        if self.webhook:
            out.append(self.webhook.url)
            parts = urlsplit(self.webhook.url)
            out += [parts.path, parts.query, _userinfo(self.webhook.url)]
        return tuple(s for s in out if s and len(s) >= 4 and s not in ("/",))


@dataclass(frozen=True, slots=True)
class MetricsConfig:
    listen: str = ""  # "127.0.0.1:9464"; "" = no HTTP endpoint
    allow_remote: bool = False
    textfile: Path | None = None  # node_exporter textfile collector file

    @property
    def address(self) -> tuple[str, int] | None:
        if not self.listen:
            return None
        host, _, port = self.listen.rpartition(":")
        return host.strip("[]"), int(port)


def _userinfo(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return parts.password or ""


def _http_url(loader: Any, key: str, value: str, *, secret: bool, loopback_ok: bool) -> str:
    from bridge.hosts import is_loopback_host

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


def load_notify(loader: Any) -> NotifyConfig:
    """Build NotifyConfig from ``[notify]``; ``loader`` is bridge.config's _Loader."""
    from bridge.config import _Section

    table = loader.data.get("notify", {})
    loader.reject_unknown(table, "notify", NOTIFY_KEYS + CHANNELS)
    s = _Section(loader, "notify", table)
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


def _sub(loader: Any, name: str, table: dict[str, Any], keys: tuple[str, ...]) -> Any:
    from bridge.config import _Section

    loader.reject_unknown(table, f"notify.{name}", keys)
    return _Section(loader, f"notify.{name}", table)


def _credential(loader: Any, credential: str) -> str:
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


def _secret(loader: Any, s: Any, key: str, env: str, credential: str) -> str:
    # "" names the credentials folder itself, never a file: an empty credential is skipped
    return str(loader.secret(s, key, env, _credential(loader, credential)))


def _optional_secret(loader: Any, s: Any, key: str, env: str, credential: str) -> str:
    """Like a required secret, but "" when none of its sources is set."""
    present = (
        loader.env.get(env, "").strip() or s.table.get(key) or s.table.get(key + "_file")
        or _credential(loader, credential)
    )
    return _secret(loader, s, key, env, credential) if present else ""


def _telegram(loader: Any, table: dict[str, Any]) -> TelegramConfig:
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


def _email(loader: Any, table: dict[str, Any]) -> EmailConfig:
    from bridge.config import SECURITY_MODES
    from bridge.hosts import is_loopback_host

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


def _webhook(loader: Any, table: dict[str, Any]) -> WebhookConfig:
    s = _sub(loader, "webhook", table, WEBHOOK_KEYS)
    url = _secret(loader, s, "url", ENV_NOTIFY_WEBHOOK, CREDENTIAL_NOTIFY_WEBHOOK)
    url = _http_url(loader, "notify.webhook.url", url, secret=True, loopback_ok=True)
    return WebhookConfig(url=url, ca_file=s.file_path("ca_file"))


def load_metrics(loader: Any) -> MetricsConfig:
    """Build MetricsConfig from ``[metrics]``."""
    from bridge.hosts import is_loopback_host

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
