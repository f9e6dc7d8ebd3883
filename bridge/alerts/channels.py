"""The three notification channels: Telegram Bot API, SMTP e-mail, a generic JSON webhook.

Why not apprise: its Telegram plugin always talks to api.telegram.org (no base URL for a
local Bot API server or a relay), takes proxies only from the environment, follows redirects
(requests' default) and brings dozens of plugins we do not need. These clients are a few lines
on requests and smtplib, and they keep SPEC §6: verified TLS with an optional extra CA bundle,
no redirects, an overall time bound, and no secret in any message (the bot token sits in the
Bot API URL path, so no exception text of requests is ever passed on).

Every ``send`` raises ChannelUnreachable (network, timeout, 429, 5xx: may work later, with
``retry_after`` when the service said so) or ChannelMisconfigured (refused token, chat, login or
address: the config must change).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from bridge.alerts.settings import EmailConfig, TelegramConfig, WebhookConfig
from bridge.errors import ChannelMisconfigured, ChannelUnreachable, ConfigError

USER_AGENT = "mailbridge-notify/1"


@dataclass(frozen=True, slots=True)
class Notice:
    """One notification. ``event``: "alarm", "repeat", "resolved", "lead" or "test".

    ``kind`` is the alarm kind (or "lead"/"test"); ``key`` the ledger id or other key; ``text``
    what a person reads; ``data`` the machine-readable fields for the JSON webhook.
    """

    event: str
    kind: str
    key: str
    title: str
    text: str
    data: dict[str, Any] = field(default_factory=dict)


class Channel(Protocol):
    name: str

    def send(self, notice: Notice) -> None: ...


class _ContextAdapter(HTTPAdapter):
    """HTTPS verified against the system store plus an extra CA bundle."""

    def __init__(self, ctx: ssl.SSLContext) -> None:
        self._ctx = ctx
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["ssl_context"] = self._ctx
        return super().init_poolmanager(*args, **kwargs)


def tls_context(ca_file: Path | None, key: str) -> ssl.SSLContext:
    """The system trust store plus ``ca_file``; verification and hostname checks always on."""
    ctx = ssl.create_default_context()
    if ca_file:
        try:
            ctx.load_verify_locations(cafile=str(ca_file))
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"{key}: cannot load {ca_file}: {exc}", key=key) from None
    return ctx


def _session(ca_file: Path | None, key: str, proxy: str = "") -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxy or netrc from the environment: only what is configured
    session.verify = True
    session.headers.update({"User-Agent": USER_AGENT})
    if ca_file:
        session.mount("https://", _ContextAdapter(tls_context(ca_file, key)))
    if proxy:
        session.proxies = {"http": proxy, "https": proxy}
    return session


def _retry_after(response: requests.Response, body: Any) -> float | None:
    if isinstance(body, dict):
        params = body.get("parameters")
        if isinstance(params, dict) and isinstance(params.get("retry_after"), int | float):
            return float(params["retry_after"])
    header = response.headers.get("Retry-After", "")
    try:
        return float(header) if header else None
    except ValueError:
        return None


def _post(
    session: requests.Session, url: str, payload: dict[str, Any], timeout: float, where: str
) -> tuple[requests.Response, Any]:
    """POST JSON without following redirects; errors name ``where``, never the URL."""
    try:
        response = session.post(url, json=payload, timeout=(timeout, timeout),
                                allow_redirects=False)
    except requests.exceptions.ProxyError:
        raise ChannelUnreachable(f"{where}: the proxy refused or failed") from None
    except requests.exceptions.SSLError:
        raise ChannelUnreachable(f"{where}: TLS verification failed (check ca_file)") from None
    except requests.exceptions.Timeout:
        raise ChannelUnreachable(f"{where}: timed out after {timeout:g} s") from None
    except requests.exceptions.RequestException as exc:
        raise ChannelUnreachable(f"{where}: cannot connect ({type(exc).__name__})") from None
    try:
        body = response.json()
    except ValueError:
        body = None
    status = response.status_code
    if 300 <= status < 400:
        raise ChannelMisconfigured(f"{where}: answered a redirect ({status}), not followed; "
                                   "configure the final URL")
    if status == 429:
        raise ChannelUnreachable(f"{where}: rate-limited (429)",
                                 retry_after=_retry_after(response, body))
    if status >= 500:
        raise ChannelUnreachable(f"{where}: server error {status}")
    return response, body


class TelegramChannel:
    """sendMessage on the Bot API (or a local Bot API server / relay at ``api_url``)."""

    name = "telegram"

    def __init__(self, cfg: TelegramConfig, timeout: float) -> None:
        self.cfg = cfg
        self.timeout = timeout
        self.session = _session(cfg.ca_file, "notify.telegram.ca_file", cfg.proxy)
        self.where = f"telegram ({urlsplit(cfg.api_url).hostname})"

    def send(self, notice: Notice) -> None:
        url = f"{self.cfg.api_url}/bot{self.cfg.bot_token}/sendMessage"
        text = f"{notice.title}\n{notice.text}" if notice.text else notice.title
        payload = {"chat_id": self.cfg.chat_id, "text": text[:4000],
                   "disable_web_page_preview": True}
        response, body = _post(self.session, url, payload, self.timeout, self.where)
        if response.status_code in (401, 404):
            raise ChannelMisconfigured(f"{self.where}: the bot token was refused "
                                       "(check notify.telegram.bot_token)")
        if response.status_code in (400, 403):
            what = body.get("description", "") if isinstance(body, dict) else ""
            raise ChannelMisconfigured(
                f"{self.where}: chat refused ({response.status_code} {str(what)[:120]}); "
                "check notify.telegram.chat_id and that the bot was added to the chat"
            )
        if response.status_code != 200 or not (isinstance(body, dict) and body.get("ok")):
            raise ChannelUnreachable(f"{self.where}: unexpected answer {response.status_code}")

    def close(self) -> None:
        self.session.close()


class WebhookChannel:
    """A JSON POST of the notice's fields to any URL (a chat bridge, an incident tool)."""

    name = "webhook"

    def __init__(self, cfg: WebhookConfig, timeout: float) -> None:
        self.cfg = cfg
        self.timeout = timeout
        self.session = _session(cfg.ca_file, "notify.webhook.ca_file")
        self.where = f"webhook ({urlsplit(cfg.url).hostname})"

    def send(self, notice: Notice) -> None:
        payload = {"source": "mailbridge", "event": notice.event, "kind": notice.kind,
                   "key": notice.key, "title": notice.title, "text": notice.text,
                   **notice.data}
        response, _ = _post(self.session, self.cfg.url, payload, self.timeout, self.where)
        if 400 <= response.status_code < 500:
            raise ChannelMisconfigured(f"{self.where}: refused with {response.status_code}; "
                                       "check notify.webhook.url")
        if not 200 <= response.status_code < 300:
            raise ChannelUnreachable(f"{self.where}: unexpected answer {response.status_code}")

    def close(self) -> None:
        self.session.close()


class EmailChannel:
    """One e-mail per notice over SMTP; alarms carry ``Auto-Submitted: auto-generated``."""

    name = "email"

    def __init__(self, cfg: EmailConfig, timeout: float) -> None:
        self.cfg = cfg
        self.timeout = timeout
        self.ctx = tls_context(cfg.ca_file, "notify.email.ca_file")
        self.where = f"email ({cfg.host}:{cfg.port})"

    def message(self, notice: Notice) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = self.cfg.sender
        msg["To"] = ", ".join(self.cfg.to)
        msg["Subject"] = f"[mailbridge] {notice.title}"
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = make_msgid(domain=self.cfg.sender.rpartition("@")[2] or None)
        # RFC 3834: no auto-replies, no vacation answers, and a reader can filter on it.
        msg["Auto-Submitted"] = "auto-generated"
        msg["X-Mailbridge-Event"] = f"{notice.event} {notice.kind}"
        msg.set_content(notice.text or notice.title)
        return msg

    def send(self, notice: Notice) -> None:
        msg = self.message(notice)
        try:
            smtp = self._connect()
            try:
                if self.cfg.username:
                    smtp.login(self.cfg.username, self.cfg.password)
                smtp.send_message(msg)
            finally:
                try:
                    smtp.quit()
                except (smtplib.SMTPException, OSError):
                    smtp.close()
        except smtplib.SMTPAuthenticationError as exc:
            raise ChannelMisconfigured(f"{self.where}: login refused ({exc.smtp_code}); check "
                                       "notify.email.username and the password") from None
        except smtplib.SMTPRecipientsRefused:
            raise ChannelMisconfigured(f"{self.where}: recipients refused; check "
                                       "notify.email.to") from None
        except smtplib.SMTPSenderRefused as exc:
            raise ChannelMisconfigured(f"{self.where}: sender refused ({exc.smtp_code}); check "
                                       "notify.email.from") from None
        except smtplib.SMTPResponseException as exc:
            cls = ChannelMisconfigured if 500 <= exc.smtp_code < 600 else ChannelUnreachable
            raise cls(f"{self.where}: server answered {exc.smtp_code}") from None
        except ssl.SSLError:
            raise ChannelUnreachable(f"{self.where}: TLS failed (check ca_file)") from None
        except smtplib.SMTPNotSupportedError:
            raise ChannelMisconfigured(f"{self.where}: the server offers no STARTTLS; "
                                       "check notify.email.security") from None
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise ChannelUnreachable(f"{self.where}: {type(exc).__name__}") from None

    def _connect(self) -> smtplib.SMTP:
        if self.cfg.security == "ssl":
            return smtplib.SMTP_SSL(self.cfg.host, self.cfg.port, timeout=self.timeout,
                                    context=self.ctx)
        smtp = smtplib.SMTP(self.cfg.host, self.cfg.port, timeout=self.timeout)
        if self.cfg.security == "starttls":
            smtp.ehlo()
            if not smtp.has_extn("starttls"):
                smtp.close()
                raise smtplib.SMTPNotSupportedError("no STARTTLS")
            smtp.starttls(context=self.ctx)
            smtp.ehlo()
        return smtp

    def close(self) -> None:
        return None


def build_channels(notify: Any) -> list[Any]:
    """The configured channels of a NotifyConfig, in a fixed order."""
    out: list[Any] = []
    if notify.telegram is not None:
        out.append(TelegramChannel(notify.telegram, notify.send_timeout))
    if notify.email is not None:
        out.append(EmailChannel(notify.email, notify.send_timeout))
    if notify.webhook is not None:
        out.append(WebhookChannel(notify.webhook, notify.send_timeout))
    return out
