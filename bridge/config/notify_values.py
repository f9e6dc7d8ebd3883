"""The values of the ``[notify]`` and ``[metrics]`` sections (SPEC §2): frozen settings, their
keys, and the environment variables and systemd credentials of their secrets.

Their reader is :mod:`bridge.config.notify`; ``bridge.alerts.settings`` re-exports both for
the alerts package.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
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
