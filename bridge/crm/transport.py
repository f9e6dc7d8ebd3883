"""Transport to one Bitrix24 portal: session, TLS, deadline, rate limit and retries.

It sends JSON POSTs, never follows redirects, verifies TLS (an extra CA bundle may be
added, never verification turned off), runs every request under an overall deadline
(bridge.deadline), paces itself with a :class:`~bridge.ratelimit.LeakyBucket` and the
operating-time budget (bridge.operating), and retries what the answer classification
(bridge.crm.answers) says did not run - and reads that may have run.

The webhook secret never appears in an exception, a log line or a repr: the URL is shown
as ``https://HOST/rest/1/***/`` (bridge.secrets).
"""

from __future__ import annotations

import contextlib
import logging
import ssl
import time
from collections.abc import Callable, Mapping
from typing import Any, Self
from urllib.parse import urlsplit

import requests

from bridge.crm.answers import (
    classify_error,
    deadline_error,
    non_json_error,
    redirect_error,
    transport_error,
)
from bridge.crm.wire import as_map, json_body
from bridge.deadline import DeadlineAdapter, request_deadline, watch
from bridge.errors import ConfigError, CrmError, CrmSetupError, CrmTemporary, CrmUnknownOutcome
from bridge.hosts import NotLoopback, Resolver, ip_literal, loopback_address, system_resolver
from bridge.operating import DOCS_EXAMPLE_LIMIT, OperatingTime
from bridge.ratelimit import LeakyBucket, backoff_delay
from bridge.secrets import WebhookUrl, install_log_redaction, parse_webhook_url
from bridge.testhooks import freeze_point

__all__ = ["CONNECT_TIMEOUT", "Transport"]

log = logging.getLogger("bridge.crm")  # one logger for the client, filtered in bridge.secrets
install_log_redaction()

CONNECT_TIMEOUT = 10.0
_NOT_JSON = object()


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


class Transport:
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
        # called immediately before every request; raises LeaseLost when this process may no
        # longer send for its mailbox (bridge.lease); None = no shared ledger, no fence
        self.fence: Callable[[], None] | None = None

    # ------------------------------------------------------------ basics
    @property
    def webhook(self) -> WebhookUrl:
        return self._url

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._url.redacted})"

    def close(self) -> None:
        if self._own_session:
            self.session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ one request
    def _send_once(self, method: str, params: Mapping[str, Any] | None,
                   write: bool = False) -> dict[str, Any]:
        """One HTTP request; returns the decoded envelope or raises a CrmError."""
        if self.bucket is not None:
            self.bucket.acquire()
        base, host_header = self._target(method)
        if write:
            freeze_point("before_send")  # a test hook, off unless configured (bridge.testhooks)
        if self.fence is not None:
            self.fence()  # after every wait: never a request past the lease's deadline
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
                failure = transport_error(method, exc, self._url.host, self.timeout)
                if timer.expired:
                    failure = deadline_error(method, timer, self._url.host)
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
            envelope = self._decode(method, resp)
        except CrmUnknownOutcome as err:
            err.sent_monotonic = timer.sent  # looked up only max_request_seconds after it
            raise
        if write:
            freeze_point("after_answer")  # a test hook, off unless configured
        return envelope

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

    def _decode(self, method: str, resp: requests.Response) -> dict[str, Any]:
        """The answer's envelope, or the CrmError it means (bridge.crm.answers)."""
        status = resp.status_code
        if 300 <= status < 400:
            raise redirect_error(method, status, resp.headers.get("Location", ""),
                                 self._url.user_id)
        payload: Any = _NOT_JSON
        with contextlib.suppress(ValueError):
            payload = resp.json()
        if payload is _NOT_JSON:
            raise non_json_error(method, status, resp.headers.get("Content-Type", "?"),
                                 self._url.redacted)
        if (isinstance(payload, dict) and payload.get("error") is not None
                and ("result" not in payload or status != 200)):
            code = str(payload.get("error") or "")
            description = str(payload.get("error_description") or "")
            raise classify_error(method, code, description, status,
                                 self._retry_after(method, code))
        if status != 200 or not isinstance(payload, dict) or "result" not in payload:
            raise CrmUnknownOutcome(f"{method}: unexpected HTTP {status} answer without "
                                    "result", status=status)
        self.operating.note(method, payload.get("time"))
        return payload

    def _retry_after(self, method: str, code: str) -> float | None:
        """How long a limit answer asks us to wait before the next call."""
        if code.upper() == "OPERATION_TIME_LIMIT":
            return self.operating.blocked(method)  # until the basket resets
        if code.upper() == "QUERY_LIMIT_EXCEEDED":
            return 1.0 / (self.bucket.rate if self.bucket else 2.0)
        return None

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
                return self._send_once(method, params, write)
            except CrmTemporary as err:
                self._after_temporary(method, err, attempt)
            except CrmUnknownOutcome as err:
                if write or attempt >= self.max_tries:
                    raise
                delay = backoff_delay(attempt, self.backoff_base, self.backoff_cap)
                log.warning("crm.retry method=%s attempt=%d reason=%s delay=%.2f", method,
                            attempt, err.code or f"http_{err.status or 'none'}", delay)
                self._sleep(delay)

    def _after_temporary(self, method: str, err: CrmTemporary, attempt: int) -> None:
        """Wait before retrying a call that did not run, or raise ``err`` when out of tries."""
        delay = backoff_delay(attempt, self.backoff_base, self.backoff_cap)
        if err.retry_after is not None:
            delay = max(delay, err.retry_after)
        limited = (err.code or "").upper() == "QUERY_LIMIT_EXCEEDED"
        if limited and self.bucket is not None:
            self.bucket.penalize(delay)  # the portal's bucket is full: everyone waits
        if attempt >= self.max_tries or delay > self.max_wait:
            raise err
        log.warning("crm.retry method=%s attempt=%d reason=%s delay=%.2f", method,
                    attempt, err.code or "network", delay)
        if not (limited and self.bucket is not None):
            self._sleep(delay)
        if (err.code or "").upper() == "OPERATION_TIME_LIMIT":
            self.operating.clear(method)

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
            rows.extend(page if isinstance(page, list) else as_map(page).values())
            nxt = env.get("next")
            start = int(nxt) if nxt is not None and page and int(nxt) > start else None
        return rows
