"""Bitrix24 inbound-webhook client: the only module that speaks to the portal.

It sends JSON POSTs, never follows redirects, verifies TLS, paces itself with a
:class:`~bridge.ratelimit.LeakyBucket` and maps every answer onto the error tree
(bitrix24-api.md §3, §14.2):

* ``CrmSetupError``     webhook, scope, method, portal moved/deleted, CRM permission;
* ``CrmTemporary``      not executed (503 QUERY_LIMIT_EXCEEDED, 429, OVERLOAD_LIMIT, refused
                        connection, DNS failure, connect timeout) - retried here;
* ``CrmUnknownOutcome`` may have run (read timeout, reset, 500, HTML/502/504, non-JSON) -
                        retried here only for reads; writes go back to the caller, who looks
                        the lead up by ``ORIGINATOR_ID`` + ``ORIGIN_ID``;
* ``CrmRejected``       400 with ``error: ""`` - this request's data was refused.

The webhook secret never appears in an exception, a log line or a repr: the URL is shown as
``https://HOST/rest/1/***/``, and a logging filter redacts urllib3's own debug lines.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import re
import secrets
import ssl
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import requests
import urllib3.exceptions

from bridge.config import is_loopback_host
from bridge.deadline import DeadlineAdapter, RequestTimer, request_deadline, watch
from bridge.errors import (
    ConfigError,
    CrmError,
    CrmRejected,
    CrmSetupError,
    CrmTemporary,
    CrmUnknownOutcome,
)
from bridge.hosts import (
    NotLoopback,
    Resolver,
    host_problem,
    ip_literal,
    loopback_address,
    port_problem,
    system_resolver,
)
from bridge.model import Attachment, Lead
from bridge.operating import DOCS_EXAMPLE_LIMIT, OperatingTime
from bridge.ratelimit import LeakyBucket, backoff_delay

__all__ = [
    "BatchResult",
    "Bitrix24Client",
    "WebhookUrl",
    "classify_error",
    "parse_webhook_url",
    "php_query",
    "redact",
    "redact_url",
]

log = logging.getLogger(__name__)

CONFIG_KEY = "bitrix24.webhook_url"
BATCH_MAX = 50
CONNECT_TIMEOUT = 10.0
_NOT_JSON = object()

# ---------------------------------------------------------------------- secrecy
_SECRET_IN_PATH = re.compile(r"(/rest/\d+/)[^/\s\"'?#]+")


def redact(text: str) -> str:
    """Replace every webhook secret in ``text`` (``/rest/1/<code>``) with ``***``."""
    return _SECRET_IN_PATH.sub(r"\1***", text)


class RedactingFilter(logging.Filter):
    """Rewrites a record's message so no ``/rest/<user>/<code>/`` secret gets through."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record is not ours to fix
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


_FILTER = RedactingFilter()
_FILTERED_LOGGERS = ("urllib3", "urllib3.connectionpool", "urllib3.connection",
                     "urllib3.response", "urllib3.util.retry", "requests", __name__)


def install_log_redaction() -> None:
    """Attach the redacting filter to urllib3's, requests' and this module's loggers."""
    for name in _FILTERED_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


install_log_redaction()


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


def redact_url(url: str) -> str:
    """``https://HOST/rest/1/CODE/...`` -> ``https://HOST/rest/1/***/`` (never the secret)."""
    try:
        return parse_webhook_url(url).redacted
    except ConfigError:
        parts = urlsplit(str(url).strip())
        host = parts.hostname or "?"
        return f"{parts.scheme or 'https'}://{host}/***"


def parse_webhook_url(url: str) -> WebhookUrl:
    """Validate ``https://HOST/rest/<user id>/<code>/`` (``http://`` only to loopback)."""
    raw = str(url or "").strip()
    expected = "expected https://HOST/rest/<user id>/<code>/"
    if not raw:
        raise ConfigError(f"{CONFIG_KEY}: is empty; {expected}", key=CONFIG_KEY)
    try:
        parts = urlsplit(raw)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        raise ConfigError(f"{CONFIG_KEY}: not a URL; {expected}", key=CONFIG_KEY) from None
    shown = f"{parts.scheme}://{host or '?'}/…"
    if parts.scheme not in ("https", "http"):
        raise ConfigError(f"{CONFIG_KEY}: {shown} must start with https://", key=CONFIG_KEY)
    if not host:
        raise ConfigError(f"{CONFIG_KEY}: no host; {expected}", key=CONFIG_KEY)
    bad_host = host_problem(host) or port_problem(port)
    if bad_host is not None:
        raise ConfigError(f"{CONFIG_KEY}: {bad_host}; {expected}", key=CONFIG_KEY)
    if parts.scheme == "http" and not is_loopback_host(host):
        raise ConfigError(f"{CONFIG_KEY}: http:// is allowed only to a loopback address "
                          f"(a local sandbox); use https://{host}/…", key=CONFIG_KEY)
    if parts.username or parts.password:
        raise ConfigError(f"{CONFIG_KEY}: must not contain a user name or password",
                          key=CONFIG_KEY)
    m = re.fullmatch(r"/rest/(\d+)/([A-Za-z0-9_\-]+)/?", parts.path)
    if not m or parts.query or parts.fragment:
        hint = ""
        if re.fullmatch(r"/rest/[A-Za-z0-9_\-]+/?", parts.path):
            hint = " (the user id segment is missing)"
        raise ConfigError(f"{CONFIG_KEY}: {shown} is not a webhook URL{hint}; {expected}",
                          key=CONFIG_KEY)
    user_id, code = int(m.group(1)), m.group(2)
    netloc = host if port is None else f"{host}:{port}"
    if ":" in host:
        netloc = f"[{host}]" if port is None else f"[{host}]:{port}"
    return WebhookUrl(base=f"{parts.scheme}://{netloc}/rest/{user_id}/{code}/", host=netloc,
                      user_id=user_id, code=code)


# ---------------------------------------------------------------------- encoding
def _php_scalar(value: Any) -> str | None:
    if value is None:
        return None
    if value is True:
        return "1"
    if value is False:
        return "0"
    return str(value)


def _flatten(prefix: str, value: Any) -> Iterable[tuple[str, str]]:
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield from _flatten(f"{prefix}[{quote(str(k), safe='')}]", v)
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from _flatten(f"{prefix}[{i}]", v)
    else:
        scalar = _php_scalar(value)
        if scalar is not None:
            yield prefix, quote(scalar, safe="")


def php_query(params: Mapping[str, Any]) -> str:
    """Encode ``params`` like PHP's ``http_build_query``, for ``batch`` command strings.

    Nested keys become ``fields[PHONE][0][VALUE]``; every value is percent-encoded (``+`` as
    ``%2B``, space as ``%20``, ``&``/``=``/``%``/``#`` too); ``None`` is left out and booleans
    are ``1``/``0`` (send Bitrix flags as ``"Y"``/``"N"``).
    """
    pairs: list[str] = []
    for key, value in params.items():
        for k, v in _flatten(quote(str(key), safe=""), value):
            pairs.append(f"{k}={v}")
    return "&".join(pairs)


class FileContent:
    """A file's bytes in a request: base64-encoded once, straight into the request body.

    ``json_body`` splices it in as bytes (no JSON escaping is needed for base64), so a
    10 MB file costs one base64 copy and the body instead of five str/bytes copies.
    """

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __str__(self) -> str:  # batch query strings and other text uses
        return base64.b64encode(self.data).decode("ascii")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FileContent) and other.data == self.data

    __hash__ = None  # type: ignore[assignment]


def file_values(files: Sequence[Attachment]) -> list[dict[str, list[Any]]]:
    """Files for a multiple ``file`` user field: ``[{"fileData": [name, base64]}, ...]``."""
    return [{"fileData": [f.filename, FileContent(f.data)]} for f in files]


def json_body(params: Mapping[str, Any]) -> bytes:
    """``params`` as UTF-8 JSON, with FileContent values spliced in as base64 bytes."""
    blobs: list[FileContent] = []
    nonce = secrets.token_hex(8)  # no text a client typed can look like a placeholder

    def placeholder(value: Any) -> str:
        if isinstance(value, FileContent):
            blobs.append(value)
            return f"\x00blob-{nonce}-{len(blobs) - 1}\x00"
        raise TypeError(f"not JSON serialisable: {type(value).__name__}")

    text = json.dumps(params, ensure_ascii=False, default=placeholder)
    if not blobs:
        return text.encode("utf-8")
    pieces = re.split(rf'"\\u0000blob-{nonce}-(\d+)\\u0000"', text)
    segments: list[bytes] = []
    for i, piece in enumerate(pieces):
        if i % 2:
            segments.append(b'"' + base64.b64encode(blobs[int(piece)].data) + b'"')
        else:
            segments.append(piece.encode("utf-8"))
    return b"".join(segments)


# ---------------------------------------------------------------------- errors
SETUP_CODES = {
    "INVALID_CREDENTIALS": "webhook rejected: INVALID_CREDENTIALS, check " + CONFIG_KEY,
    "NO_AUTH_FOUND": "webhook rejected: NO_AUTH_FOUND, check " + CONFIG_KEY,
    "INSUFFICIENT_SCOPE": "webhook lacks a scope for {method}: insufficient_scope; tick the "
                          "needed scope (crm, user, disk) on the webhook",
    "ERROR_METHOD_NOT_FOUND": "method {method} not found: check " + CONFIG_KEY
                              + " (user id segment) and the portal's modules",
    "ACCESS_DENIED": "access denied for {method}: {description}",
    "PORTAL_DELETED": "the portal was deleted or closed: PORTAL_DELETED; check " + CONFIG_KEY,
    "PAYMENT_REQUIRED": "the portal's subscription has ended: PAYMENT_REQUIRED",
    "INVALID_REQUEST": "the portal refused the request: {description}; check " + CONFIG_KEY,
    "WRONG_AUTH_TYPE": "webhook rejected: WRONG_AUTH_TYPE, check " + CONFIG_KEY,
    "EXPIRED_TOKEN": "webhook rejected: expired_token, check " + CONFIG_KEY,
    "INVALID_TOKEN": "webhook rejected: invalid_token, check " + CONFIG_KEY,
    "ERROR_BATCH_METHOD_NOT_ALLOWED": "{method} is not allowed inside batch",
    "OVERLOAD_LIMIT": "the portal's REST API is blocked due to overload (OVERLOAD_LIMIT, a manual "
                      "block, not a passing limit): contact Bitrix24 support to lift it",
}
TEMPORARY_CODES = {"QUERY_LIMIT_EXCEEDED", "OPERATION_TIME_LIMIT"}
UNKNOWN_CODES = {"INTERNAL_SERVER_ERROR", "ERROR_UNEXPECTED_ANSWER", "WRONG_ENCODING"}
# Answers about one record, not the portal: the timeline methods answer 400 with these codes
# (crm-timeline-comment-add.md "Possible Error Codes"), or "" + "Access denied"/"Not found."
# (crm-timeline-comment-list.md, -get.md) for the one CRM item they name.
RECORD_METHODS = ("crm.timeline.comment.",)
RECORD_CODES = {"ACCESS_DENIED", "NOT_FOUND", "OWNER_NOT_FOUND", "INVALID_ARG_VALUE", "100", ""}


def is_record_answer(method: str, code: str, status: int | None) -> bool:
    """True when this error answer is about the one record ``method`` named (class 3)."""
    return (method.lower().startswith(RECORD_METHODS) and code.upper() in RECORD_CODES
            and status in (400, None))


def classify_error(
    method: str,
    code: str,
    description: str,
    status: int | None,
    retry_after: float | None = None,
) -> CrmError:
    """Map a Bitrix24 error answer to the error tree: by ``error`` code first, then status."""
    upper = code.upper()
    description = redact(description or "")
    kw: dict[str, Any] = {"code": code, "status": status}
    if is_record_answer(method, code, status):
        return CrmRejected(f"{method}: {code or 'error'}: {description or code} (this record)",
                           **kw)
    if upper in SETUP_CODES:
        text = SETUP_CODES[upper].format(method=method, description=description or code)
        return CrmSetupError(text, **kw)
    if upper == "" and description.strip().rstrip(".").lower() == "access denied":
        return CrmSetupError(f"{method}: Access denied. The webhook's user lacks CRM "
                             "permission for leads; grant it in CRM access rights", **kw)
    if upper in TEMPORARY_CODES:
        return CrmTemporary(f"{method}: {code}: {description}", retry_after=retry_after, **kw)
    if upper in UNKNOWN_CODES:
        return CrmUnknownOutcome(f"{method}: {code}: {description}", **kw)
    text = f"{method}: {code or 'error'}: {description}" if code else f"{method}: {description}"
    if code == "":
        return CrmRejected(text, **kw)
    if status is not None:
        if status >= 500:
            return CrmUnknownOutcome(text, **kw)
        if status in (401, 403, 404):
            return CrmSetupError(text, **kw)
        if status == 429:
            return CrmTemporary(text, retry_after=retry_after, **kw)
    return CrmRejected(text, **kw)


# ---------------------------------------------------------------------- results
@dataclass(slots=True)
class BatchResult:
    """What one ``batch`` call gave: per command key, a result or an error."""

    results: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, CrmError] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    nexts: dict[str, int] = field(default_factory=dict)


def _as_map(value: Any) -> dict[str, Any]:
    """PHP quirks: an empty map arrives as ``[]``, a map keyed 0..n-1 as a list."""
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    if isinstance(value, list):
        return {str(i): v for i, v in enumerate(value)}
    return {}


def _batch_key(origin_id: str) -> str:
    return "L" + hashlib.sha256(origin_id.encode("utf-8")).hexdigest()[:20]


# ---------------------------------------------------------------------- client
class _ExtraCaAdapter(DeadlineAdapter):
    """TLS that trusts the system's CAs *and* an extra bundle (``bitrix24.ca_file``)."""

    def __init__(self, ca_file: str) -> None:
        try:
            ctx = ssl.create_default_context()
            ctx.load_verify_locations(cafile=ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"bitrix24.ca_file: cannot load {ca_file}: {exc}",
                              key="bitrix24.ca_file") from None
        self._ctx = ctx
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["ssl_context"] = self._ctx
        return super().init_poolmanager(*args, **kwargs)


class Bitrix24Client:
    """One portal, one webhook. Thread-safe for sequential use per thread (one Session)."""

    def __init__(
        self,
        webhook_url: str,
        *,
        timeout: float = 30.0,
        ca_file: str | None = None,
        bucket: LeakyBucket | None = None,
        session: requests.Session | None = None,
        max_tries: int = 4,
        user_agent: str = "mailbridge/0.1",
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        max_wait: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        operating_limit: float = DOCS_EXAMPLE_LIMIT,
        resolver: Resolver = system_resolver,
    ) -> None:
        self._url = parse_webhook_url(webhook_url)
        self._resolver = resolver
        self.timeout = float(timeout)
        self.bucket = bucket
        self.max_tries = max(1, int(max_tries))
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.max_wait = max_wait
        self._sleep = sleep
        self._own_session = session is None
        self.session = session or requests.Session()
        self.session.verify = True  # verification is never off
        # Every request to the portal runs under an overall deadline (bridge.deadline).
        for prefix in ("https://", "http://"):  # also the resolved address of an http:// host
            self.session.mount(prefix, DeadlineAdapter())
        if ca_file:
            self.session.mount(self._url.base.split("/rest/", 1)[0] + "/",
                               _ExtraCaAdapter(str(ca_file)))
        self.session.trust_env = False  # no proxies from the environment for the webhook
        self.session.headers.update({"Accept": "application/json", "User-Agent": user_agent})
        self.operating = OperatingTime(operating_limit)

    # ------------------------------------------------------------ basics
    @property
    def webhook(self) -> WebhookUrl:
        return self._url

    @property
    def redacted_url(self) -> str:
        return self._url.redacted

    def __repr__(self) -> str:
        return f"Bitrix24Client({self._url.redacted})"

    def close(self) -> None:
        if self._own_session:
            self.session.close()

    def __enter__(self) -> Bitrix24Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ transport
    def _send_once(self, method: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
        """One HTTP request; returns the decoded envelope or raises a CrmError."""
        if self.bucket is not None:
            self.bucket.acquire()
        base, host_header = self._target(method)
        url = base + method
        body = json_body(params or {})
        started = time.monotonic()
        failure: CrmError | None = None
        budget = request_deadline(self.timeout, len(body))
        with watch(budget) as timer:
            try:
                resp = self.session.post(
                    url,
                    data=body,
                    headers={"Content-Type": "application/json", **host_header},
                    timeout=(min(CONNECT_TIMEOUT, budget), self.timeout),
                    allow_redirects=False,
                )
            except requests.RequestException as exc:
                failure = self._transport_error(method, exc)
                if timer.expired:
                    failure = self._deadline_error(method, timer)
        ms = int((time.monotonic() - started) * 1000)
        if isinstance(failure, CrmUnknownOutcome):
            failure.sent_monotonic = timer.sent
        if failure is not None:
            # Raised outside the except block: the requests exception (whose text holds the
            # URL with the secret) must not ride along as __context__ either.
            log.debug("crm.request method=%s status=- ms=%d error=%s", method, ms,
                      type(failure).__name__)
            raise failure
        log.debug("crm.request method=%s status=%d ms=%d", method, resp.status_code, ms)
        try:
            return self._decode(method, resp)
        except CrmUnknownOutcome as err:
            err.sent_monotonic = timer.sent  # looked up only max_request_seconds after it
            raise

    def _deadline_error(self, method: str, timer: RequestTimer) -> CrmError:
        """The overall deadline cut the request off: not run if its body was not sent whole."""
        if timer.sent is None:
            return CrmTemporary(f"{method}: not sent within the {timer.seconds:g} s deadline "
                                f"to {self._url.host}; the call did not run", code="DEADLINE")
        return CrmUnknownOutcome(f"{method}: no whole answer within the {timer.seconds:g} s "
                                 "deadline; the call may have run", code="DEADLINE")

    def _target(self, method: str) -> tuple[str, dict[str, str]]:
        """The base URL to send to, and a Host header when it differs from the URL's host.

        ``http://`` carries the webhook code in clear, so it may go only to loopback, decided
        by what the host resolves to now (every address loopback); the request then goes to
        that address, with the configured name in the Host header.
        """
        base = self._url.base
        if not base.startswith("http://"):
            return base, {}
        parts = urlsplit(base)
        host = parts.hostname or ""
        port = parts.port or 80
        try:
            address = loopback_address(host, port, self._resolver)
        except NotLoopback as exc:
            raise CrmSetupError(f"{method}: bitrix24.webhook_url: http:// sends the webhook "
                                f"code in clear, but {exc}; nothing was sent. Use https:// "
                                "or a loopback host") from None
        except (OSError, UnicodeError) as exc:
            raise CrmTemporary(f"{method}: cannot resolve {self._url.host} "
                               f"({type(exc).__name__})") from None
        if ip_literal(host) is not None:
            return base, {}
        netloc = f"[{address}]" if ":" in address else address
        if parts.port is not None:
            netloc += f":{parts.port}"
        return base.replace(f"http://{parts.netloc}/", f"http://{netloc}/", 1), {
            "Host": parts.netloc}

    def _transport_error(self, method: str, exc: requests.RequestException) -> CrmError:
        name = type(exc).__name__
        reason = self._root_cause(exc)
        if isinstance(exc, requests.ConnectTimeout):
            return CrmTemporary(f"{method}: connect timeout to {self._url.host}")
        if isinstance(exc, requests.exceptions.SSLError):
            return CrmSetupError(f"{method}: TLS verification of {self._url.host} failed "
                                 f"({reason}); check bitrix24.ca_file")
        if isinstance(exc, requests.ReadTimeout):
            return CrmUnknownOutcome(f"{method}: no answer within {self.timeout:g} s (read "
                                     "timeout); the call may have run")
        if isinstance(exc, requests.ConnectionError):
            inner = exc.args[0] if exc.args else None
            root = getattr(inner, "reason", inner)
            # NewConnectionError covers refused connections and DNS failures
            # (urllib3 2's NameResolutionError is a subclass): nothing was sent.
            if isinstance(root, (urllib3.exceptions.NewConnectionError,
                                 urllib3.exceptions.ConnectTimeoutError)):
                return CrmTemporary(f"{method}: cannot connect to {self._url.host} ({reason})")
            return CrmUnknownOutcome(f"{method}: connection lost before the answer ({reason}); "
                                     "the call may have run")
        return CrmUnknownOutcome(f"{method}: {name} ({reason}); the call may have run")

    @staticmethod
    def _root_cause(exc: BaseException) -> str:
        """A short, secret-free description of the innermost cause."""
        seen: BaseException = exc
        inner: Any = exc.args[0] if exc.args else None
        while isinstance(inner, BaseException):
            seen = inner
            nxt = getattr(inner, "reason", None)
            if not isinstance(nxt, BaseException) and inner.args:
                nxt = inner.args[-1] if isinstance(inner.args[-1], BaseException) else None
            inner = nxt
        text = type(seen).__name__
        if isinstance(seen, OSError) and seen.strerror:
            text += f": {seen.strerror}"
        return redact(text)

    def _decode(self, method: str, resp: requests.Response) -> dict[str, Any]:
        status = resp.status_code
        if 300 <= status < 400:
            location = resp.headers.get("Location", "")
            new_host = urlsplit(location).netloc or "?"
            raise CrmSetupError(
                f"{method}: the portal answered {status} and moved to {new_host}: the portal "
                f"was renamed; update {CONFIG_KEY} to https://{new_host}/rest/"
                f"{self._url.user_id}/***/", code="REDIRECT", status=status)
        payload: Any = _NOT_JSON
        with contextlib.suppress(ValueError):
            payload = resp.json()
        if payload is _NOT_JSON:
            raise self._non_json_error(method, resp)
        if (isinstance(payload, dict) and payload.get("error") is not None
                and ("result" not in payload or status != 200)):
            code = str(payload.get("error") or "")
            description = str(payload.get("error_description") or "")
            retry_after = None
            if code.upper() == "OPERATION_TIME_LIMIT":
                retry_after = self.operating.blocked(method)  # until the basket resets
            elif code.upper() == "QUERY_LIMIT_EXCEEDED":
                retry_after = 1.0 / (self.bucket.rate if self.bucket else 2.0)
            raise classify_error(method, code, description, status, retry_after)
        if status != 200 or not isinstance(payload, dict) or "result" not in payload:
            raise CrmUnknownOutcome(f"{method}: unexpected HTTP {status} answer without "
                                    "result", status=status)
        self.operating.note(method, payload.get("time"))
        return payload

    def _non_json_error(self, method: str, resp: requests.Response) -> CrmError:
        """A page that is not the portal's JSON: a front end (nginx, a proxy) answered.

        A 4xx page means the request was turned away before Bitrix24 ran it; anything else
        (5xx, a 200 that is not JSON) may have run.
        """
        status = resp.status_code
        ctype = resp.headers.get("Content-Type", "?").split(";")[0]
        what = f"{method}: HTTP {status} with a non-JSON answer ({ctype})"
        kw: dict[str, Any] = {"code": f"HTTP_{status}", "status": status}
        if status in (401, 403, 404, 405, 410):
            return CrmSetupError(f"{what}: is {self._url.redacted} a Bitrix24 webhook URL? "
                                 f"check {CONFIG_KEY}", **kw)
        if status in (408, 429):
            return CrmTemporary(what, retry_after=None, **kw)
        if 400 <= status < 500:
            return CrmRejected(f"{what}: the request was refused (too large?)", **kw)
        return CrmUnknownOutcome(f"{what}; the call may have run", status=status)

    # ------------------------------------------------------------ calls
    def call_envelope(self, method: str, params: Mapping[str, Any] | None = None, *,
                      write: bool = False) -> dict[str, Any]:
        """Call ``method`` and return the whole answer (``result``, ``total``, ``next``, ``time``).

        CrmTemporary is retried up to ``max_tries`` with backoff (honouring ``retry_after``);
        CrmUnknownOutcome is retried only when ``write`` is False.
        """
        attempt = 0
        while True:
            attempt += 1
            try:
                self._pace_operating(method)
                return self._send_once(method, params)
            except CrmTemporary as err:
                delay = backoff_delay(attempt, self.backoff_base, self.backoff_cap)
                if err.retry_after is not None:
                    delay = max(delay, err.retry_after)
                limited = (err.code or "").upper() == "QUERY_LIMIT_EXCEEDED"
                if limited and self.bucket is not None:
                    self.bucket.penalize(delay)  # the portal's bucket is full: everyone waits
                if attempt >= self.max_tries or delay > self.max_wait:
                    raise
                log.warning("crm.retry method=%s attempt=%d reason=%s delay=%.2f", method,
                            attempt, err.code or "network", delay)
                if not (limited and self.bucket is not None):
                    self._sleep(delay)
                if (err.code or "").upper() == "OPERATION_TIME_LIMIT":
                    self.operating.clear(method)
            except CrmUnknownOutcome as err:
                if write or attempt >= self.max_tries:
                    raise
                delay = backoff_delay(attempt, self.backoff_base, self.backoff_cap)
                log.warning("crm.retry method=%s attempt=%d reason=%s delay=%.2f", method,
                            attempt, err.code or f"http_{err.status or 'none'}", delay)
                self._sleep(delay)

    def _pace_operating(self, method: str) -> None:
        """Slow down before the operating-time limit (bridge.operating); a wait longer than
        ``max_wait`` is handed back as CrmTemporary (not sent, retry after the reset)."""
        wait = self.operating.wait_before(method)
        if wait <= 0:
            return
        if wait > self.max_wait:
            raise CrmTemporary(f"{method}: operating time near the portal's limit; waiting "
                               f"{wait:.0f} s for its reset", code="OPERATION_TIME_LIMIT",
                               retry_after=wait)
        log.warning("crm.operating_pause method=%s delay=%.2f", method, wait)
        self._sleep(wait)
        self.operating.clear(method)

    def call(self, method: str, params: Mapping[str, Any] | None = None, *,
             write: bool = False) -> Any:
        """Call ``method`` and return its ``result``."""
        return self.call_envelope(method, params, write=write)["result"]

    def call_list(self, method: str, params: Mapping[str, Any] | None = None) -> list[Any]:
        """All rows of a list method, following ``next``."""
        rows: list[Any] = []
        start: int | None = 0
        base = dict(params or {})
        while start is not None:
            env = self.call_envelope(method, {**base, "start": start})
            page = env.get("result") or []
            rows.extend(page if isinstance(page, list) else _as_map(page).values())
            nxt = env.get("next")
            start = int(nxt) if nxt is not None and page and int(nxt) > start else None
        return rows

    # ------------------------------------------------------------ leads
    def _lead_fields(self, fields: Mapping[str, Any], files: Sequence[Attachment],
                     file_field: str) -> dict[str, Any]:
        out = dict(fields)
        if files:
            if not file_field:
                raise ValueError("files need a file_field (or use add_timeline_comment)")
            out[file_field] = file_values(files)
        return out

    def add_lead(self, fields: Mapping[str, Any], files: Sequence[Attachment] = (),
                 file_field: str = "") -> int:
        """Create one lead (files inline in the multiple ``file_field``); returns its id."""
        params = {"fields": self._lead_fields(fields, files, file_field),
                  "params": {"REGISTER_SONET_EVENT": "Y"}}
        result = self.call("crm.lead.add", params, write=True)
        try:
            return int(result)
        except (TypeError, ValueError):
            raise CrmUnknownOutcome(f"crm.lead.add: unexpected result {type(result).__name__}"
                                    ) from None

    def find_leads_by_origin(self, origin_ids: Sequence[str],
                             originator: str = "mailbridge") -> dict[str, int]:
        """Map each ``ORIGIN_ID`` that has a lead (with this ``ORIGINATOR_ID``) to its lowest id.

        Rows are checked against what was asked, because the portal silently drops filter
        keys it does not know and would then return every lead.
        """
        wanted = list(dict.fromkeys(str(o) for o in origin_ids))
        found: dict[str, int] = {}
        ignored = 0
        select = ["ID", "ORIGIN_ID", "ORIGINATOR_ID"]
        for i in range(0, len(wanted), BATCH_MAX):
            chunk = wanted[i : i + BATCH_MAX]
            chunk_set = set(chunk)
            try:
                rows = self.call_list("crm.lead.list", {
                    "filter": {"=ORIGINATOR_ID": originator, "@ORIGIN_ID": chunk},
                    "select": select, "order": {"ID": "ASC"},
                })
            except CrmRejected:
                # A portal that refuses the "in" operator: one plain-equality query each.
                log.warning("crm.lookup_fallback reason=in_filter_rejected count=%d", len(chunk))
                rows = []
                for origin in chunk:
                    rows += self.call_list("crm.lead.list", {
                        "filter": {"ORIGINATOR_ID": originator, "ORIGIN_ID": origin},
                        "select": select, "order": {"ID": "ASC"},
                    })
            for row in rows:
                if not isinstance(row, dict):
                    continue
                origin = row.get("ORIGIN_ID")
                # ORIGIN_ID is our own 40-hex key, so it decides; ORIGINATOR_ID only has to
                # agree when the portal returns it.
                if origin not in chunk_set or row.get("ORIGINATOR_ID") not in (originator, None):
                    ignored += 1
                    continue
                try:
                    lead_id = int(row["ID"])
                except (KeyError, TypeError, ValueError):
                    continue
                if origin not in found or lead_id < found[origin]:
                    found[origin] = lead_id
        if ignored:
            log.warning("crm.lookup_mismatch rows=%d hint=portal returned leads the filter "
                        "excludes", ignored)
        return found

    def batch(self, commands: Mapping[str, tuple[str, Mapping[str, Any]]], halt: bool = False,
              *, write: bool = True) -> BatchResult:
        """Run up to 50 ``(method, params)`` commands in one ``batch`` request.

        A failure of the whole request raises (CrmUnknownOutcome: every command is unknown).
        Per-command errors land in ``BatchResult.errors``; a command missing from both maps
        (halted, or never run) gets a CrmUnknownOutcome there too.
        """
        if len(commands) > BATCH_MAX:
            raise ValueError(f"batch takes at most {BATCH_MAX} commands, got {len(commands)}")
        if not commands:
            return BatchResult()
        cmd = {key: f"{m}?{php_query(p)}" if p else m for key, (m, p) in commands.items()}
        result = self.call("batch", {"halt": 1 if halt else 0, "cmd": cmd}, write=write)
        if not isinstance(result, dict):
            raise CrmUnknownOutcome("batch: unexpected answer shape")
        self.operating.note_batch({k: m for k, (m, _) in commands.items()},
                                  result.get("result_time"))
        out = BatchResult(
            results=_as_map(result.get("result")),
            totals={k: int(v) for k, v in _as_map(result.get("result_total")).items()},
            nexts={k: int(v) for k, v in _as_map(result.get("result_next")).items()},
        )
        for key, err in _as_map(result.get("result_error")).items():
            method = commands[key][0] if key in commands else "batch"
            if isinstance(err, dict):
                out.errors[key] = classify_error(method, str(err.get("error") or ""),
                                                 str(err.get("error_description") or ""), None)
        for key, (method, _) in commands.items():
            if key not in out.results and key not in out.errors:
                out.errors[key] = CrmUnknownOutcome(f"{method}: not run inside batch")
        return out

    def add_leads_batch(self, leads: Sequence[Lead],
                        file_field: str = "") -> dict[str, int | CrmError]:
        """Create up to 50 leads with one ``batch`` call (halt=0).

        Returns ``origin_id -> lead id`` or the per-command CrmError (mostly CrmRejected). If
        the batch request itself fails, that error is raised: after a CrmUnknownOutcome every
        lead of the batch is unknown and must be looked up by origin.
        """
        keys: dict[str, str] = {}
        commands: dict[str, tuple[str, Mapping[str, Any]]] = {}
        for lead in leads:
            key = _batch_key(lead.origin_id)
            if key in keys:
                raise ValueError("add_leads_batch: duplicate origin_id in one batch")
            keys[key] = lead.origin_id
            commands[key] = ("crm.lead.add", {
                "fields": self._lead_fields(lead.fields, lead.files, file_field),
                "params": {"REGISTER_SONET_EVENT": "Y"},
            })
        res = self.batch(commands, halt=False, write=True)
        out: dict[str, int | CrmError] = {}
        for key, origin in keys.items():
            if key in res.errors:
                out[origin] = res.errors[key]
                continue
            try:
                out[origin] = int(res.results[key])
            except (TypeError, ValueError):
                out[origin] = CrmUnknownOutcome("crm.lead.add: unexpected result in batch")
        return out

    # ------------------------------------------------------------ timeline
    def add_timeline_comment(self, lead_id: int, text: str,
                             files: Sequence[Attachment] = ()) -> int:
        """Add a comment (with files) to the lead's timeline; returns the comment id."""
        fields: dict[str, Any] = {"ENTITY_ID": int(lead_id), "ENTITY_TYPE": "lead",
                                  "COMMENT": text}
        if files:
            fields["FILES"] = [[f.filename, FileContent(f.data)] for f in files]
        result = self.call("crm.timeline.comment.add", {"fields": fields}, write=True)
        try:
            return int(result)
        except (TypeError, ValueError):
            raise CrmUnknownOutcome("crm.timeline.comment.add: unexpected result") from None

    def find_timeline_comment(self, lead_id: int, marker: str) -> int | None:
        """The lowest id of a comment on the lead whose text contains ``marker``."""
        rows = self.call_list("crm.timeline.comment.list", {
            "filter": {"ENTITY_ID": int(lead_id), "ENTITY_TYPE": "lead"},
            "select": ["ID", "ENTITY_ID", "ENTITY_TYPE", "COMMENT"],
            "order": {"ID": "ASC"},
        })
        hits = []
        for row in rows:
            if not isinstance(row, dict) or str(row.get("ENTITY_ID")) != str(int(lead_id)):
                continue
            if marker in str(row.get("COMMENT") or ""):
                try:
                    hits.append(int(row["ID"]))
                except (KeyError, TypeError, ValueError):
                    continue
        return min(hits) if hits else None

    # ------------------------------------------------------------ checks
    def profile(self) -> dict[str, Any]:
        """The webhook owner's profile (the cheapest credentials probe)."""
        result = self.call("profile")
        return result if isinstance(result, dict) else {}

    def scopes(self) -> set[str]:
        """The scopes granted to this webhook."""
        result = self.call("scope")
        if isinstance(result, dict):
            return {str(k) for k, v in result.items() if v}
        return {str(s) for s in result or ()}

    def get_user(self, user_id: int) -> dict[str, Any] | None:
        """The user's record if the user exists and is active, else None."""
        rows = self.call("user.get", {"filter": {"ID": int(user_id), "ACTIVE": True}})
        for row in rows or []:
            if (isinstance(row, dict) and str(row.get("ID")) == str(int(user_id))
                    and row.get("ACTIVE") in (True, "Y", "1", 1)):
                return row
        return None

    def lead_fields(self) -> dict[str, Any]:
        """``crm.lead.fields``: FIELD -> {type, isMultiple, ...} including ``UF_*``."""
        result = self.call("crm.lead.fields")
        return result if isinstance(result, dict) else {}

    def lead_userfields(self) -> list[dict[str, Any]]:
        """``crm.lead.userfield.list`` of the File fields: their ``SETTINGS`` (limits)."""
        rows = self.call("crm.lead.userfield.list", {"filter": {"USER_TYPE_ID": "file"}})
        return [r for r in (rows or []) if isinstance(r, dict)]

    def source_ids(self) -> set[str]:
        """The portal's lead sources (``STATUS_ID`` of ``ENTITY_ID=SOURCE``)."""
        rows = self.call_list("crm.status.list", {"filter": {"ENTITY_ID": "SOURCE"},
                                                  "order": {"SORT": "ASC"}})
        return {str(r["STATUS_ID"]) for r in rows
                if isinstance(r, dict) and r.get("ENTITY_ID") == "SOURCE" and "STATUS_ID" in r}
