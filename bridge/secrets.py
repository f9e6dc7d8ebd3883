"""The webhook secret in one place: parsing the URL, masking it, redacting it from logs.

An inbound-webhook URL is ``https://HOST/rest/<user id>/<code>/``; the ``code`` is the
secret. Everything that shows the URL (errors, ``status``, log lines) goes through here:

* :func:`webhook_url_problem` is the one check of its shape (the config loader's too), and
  :func:`parse_webhook_url` validates it into a :class:`WebhookUrl` whose repr/str never
  holds the code;
* :func:`mask_webhook_url` and :func:`redact_url` show a URL as ``https://HOST/rest/1/***/``;
* :func:`redact` removes every ``/rest/<user>/<code>`` from free text, and
  :class:`RedactingFilter` does that (plus any known secret, e.g. the IMAP password) to log
  records. :func:`install_log_redaction` puts one on the HTTP libraries' loggers, so their own
  debug lines are clean even where no handler of ours filters them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bridge.errors import ConfigError
from bridge.hosts import host_problem, is_loopback_host, port_problem

__all__ = [
    "RedactingFilter",
    "WebhookUrl",
    "install_log_redaction",
    "mask_webhook_url",
    "parse_webhook_url",
    "redact",
    "redact_url",
    "webhook_secrets",
    "webhook_url_problem",
]

CONFIG_KEY = "bitrix24.webhook_url"
WEBHOOK_SHAPE = "https://HOST/rest/USER_ID/CODE/ (the inbound webhook's URL from Bitrix24)"
_WEBHOOK_PATH = re.compile(r"/rest/(\d+)/([A-Za-z0-9_-]+)/?")
_SECRET_IN_PATH = re.compile(r"(/rest/\d+/)[^/\s\"'?#]+")


# ---------------------------------------------------------------------- text
def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with each of ``secrets`` and every webhook code (``/rest/1/<code>``) as ``***``."""
    for secret in secrets:
        text = text.replace(secret, "***")
    return _SECRET_IN_PATH.sub(r"\1***", text)


class RedactingFilter(logging.Filter):
    """Rewrites a record's message so no webhook code and no known secret gets through.

    Known secrets (passwords, the whole webhook URL) are added with :meth:`add`; strings
    shorter than 4 characters are ignored (they would mask ordinary words).
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets: list[str] = []
        self.add(*secrets)

    def add(self, *secrets: str) -> None:
        """Mask these strings too from now on (longest first, so none is left half-shown)."""
        self.secrets = sorted(
            {*self.secrets, *(s for s in secrets if s and len(s) >= 4)}, key=len, reverse=True
        )

    def redact(self, text: str) -> str:
        """``text`` with the known secrets and any webhook code masked."""
        return redact(text, self.secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record is the handler's to report (no log: it would recurse)
            return True
        clean = self.redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


_FILTER = RedactingFilter()
_FILTERED_LOGGERS = ("urllib3", "urllib3.connectionpool", "urllib3.connection",
                     "urllib3.response", "urllib3.util.retry", "requests", "bridge.crm")


def install_log_redaction() -> None:
    """Attach the redacting filter to urllib3's, requests' and the CRM client's loggers."""
    for name in _FILTERED_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


# ---------------------------------------------------------------------- URLs
@dataclass(frozen=True, slots=True)
class WebhookUrl:
    """A parsed inbound-webhook URL. ``code`` is the secret (hidden from repr/str)."""

    base: str = field(repr=False)  # "https://HOST/rest/USER/CODE/"
    host: str
    user_id: int
    code: str = field(repr=False)

    @property
    def redacted(self) -> str:
        scheme = self.base.split(":", 1)[0]
        return f"{scheme}://{self.host}/rest/{self.user_id}/***/"

    def __str__(self) -> str:
        return self.redacted


def mask_webhook_url(url: str) -> str:
    """``https://HOST/rest/1/CODE/`` -> ``https://HOST/rest/1/***/``; never shows the code."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "***"
    if not parts.scheme or not host:
        return "***"
    m = re.match(r"^/rest/(\d+)/", parts.path)
    user = m.group(1) if m else "?"
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    return f"{parts.scheme}://{netloc}/rest/{user}/***/"


def webhook_secrets(url: str) -> tuple[str, ...]:
    """What a log filter must mask of this webhook URL: the URL itself and its code."""
    code = url.rstrip("/").rpartition("/")[2]
    return (url, code)


def redact_url(url: str) -> str:
    """``https://HOST/rest/1/CODE/...`` -> ``https://HOST/rest/1/***/`` (never the secret)."""
    try:
        return parse_webhook_url(url).redacted
    except ConfigError:
        parts = urlsplit(str(url).strip())
        host = parts.hostname or "?"
        return f"{parts.scheme or 'https'}://{host}/***"


def webhook_url_problem(url: str) -> str | None:
    """What is wrong with an inbound-webhook URL, or None; the answer never shows its code.

    The one shape check: the config loader names the key (or file, or environment variable)
    the URL came from in front of it, :func:`parse_webhook_url` names ``bitrix24.webhook_url``.
    """
    if not url.strip():
        return f"is empty; expected {WEBHOOK_SHAPE}"
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        _ = parts.port
    except ValueError:
        return f"expected {WEBHOOK_SHAPE}; this is not a URL"
    shown = mask_webhook_url(url) if host else "a value that is not a URL"
    if parts.scheme not in ("https", "http") or not host:
        return f"expected {WEBHOOK_SHAPE}, got {shown}"
    bad_host = host_problem(host) or port_problem(parts.port)
    if bad_host is not None:
        return f"expected {WEBHOOK_SHAPE}: {bad_host}"
    if parts.scheme == "http" and not is_loopback_host(host):
        return ("http:// is allowed only to a loopback address (a local sandbox); "
                f"use https://{host}/rest/...")
    if parts.username or parts.password or parts.query or parts.fragment:
        return f"expected {WEBHOOK_SHAPE} without a login, query or fragment, got {shown}"
    if _WEBHOOK_PATH.fullmatch(parts.path):
        return None
    if re.match(r"^/rest/\d+/[A-Za-z0-9_-]+/.", parts.path):
        return (f"expected {WEBHOOK_SHAPE}: {shown} is not a webhook URL, it has more path "
                "after the code (a method name?); remove it")
    hint = ""
    if re.fullmatch(r"/rest/[A-Za-z0-9_-]+/?", parts.path):
        hint = " (the user id segment is missing)"
    return f"expected {WEBHOOK_SHAPE}, got {shown}{hint}"


def parse_webhook_url(url: str) -> WebhookUrl:
    """Validate ``https://HOST/rest/<user id>/<code>/`` (``http://`` only to loopback)."""
    raw = str(url or "").strip()
    problem = webhook_url_problem(raw)
    if problem is not None:
        raise ConfigError(f"{CONFIG_KEY}: {problem}", key=CONFIG_KEY)
    parts = urlsplit(raw)
    host, port = parts.hostname or "", parts.port
    m = _WEBHOOK_PATH.fullmatch(parts.path)
    assert m is not None  # webhook_url_problem checked the path
    user_id, code = int(m.group(1)), m.group(2)
    netloc = host if port is None else f"{host}:{port}"
    if ":" in host:
        netloc = f"[{host}]" if port is None else f"[{host}]:{port}"
    return WebhookUrl(base=f"{parts.scheme}://{netloc}/rest/{user_id}/{code}/", host=netloc,
                      user_id=user_id, code=code)
