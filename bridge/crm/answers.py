"""What a Bitrix24 answer means: every answer and failure mapped onto the error tree.

Pure functions, no I/O (bitrix24-api.md §3, §14.2; the codes are those of the REST docs'
error pages and each method's "Possible Error Codes"):

* ``CrmSetupError``     webhook, scope, method, portal moved/deleted, CRM permission;
* ``CrmTemporary``      not executed (503 QUERY_LIMIT_EXCEEDED, 429, OPERATION_TIME_LIMIT,
                        refused connection, DNS failure, connect timeout);
* ``CrmUnknownOutcome`` may have run (read timeout, reset, 500, HTML/502/504, non-JSON);
* ``CrmRejected``       400 with ``error: ""``, or an answer about the one record named.

No text made here holds the webhook secret: descriptions pass through
:func:`bridge.secrets.redact` and URLs are shown redacted.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3.exceptions

from bridge.deadline import RequestTimer
from bridge.errors import CrmError, CrmRejected, CrmSetupError, CrmTemporary, CrmUnknownOutcome
from bridge.secrets import CONFIG_KEY, redact

__all__ = [
    "RECORD_CODES",
    "RECORD_METHODS",
    "SETUP_CODES",
    "TEMPORARY_CODES",
    "UNKNOWN_CODES",
    "classify_error",
    "deadline_error",
    "is_record_answer",
    "non_json_error",
    "redirect_error",
    "root_cause",
    "transport_error",
]

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


def redirect_error(method: str, status: int, location: str, user_id: int) -> CrmSetupError:
    """A 3xx: the portal was renamed (redirects are never followed: the body holds data)."""
    new_host = urlsplit(location).netloc or "?"
    return CrmSetupError(
        f"{method}: the portal answered {status} and moved to {new_host}: the portal "
        f"was renamed; update {CONFIG_KEY} to https://{new_host}/rest/{user_id}/***/",
        code="REDIRECT", status=status)


def non_json_error(method: str, status: int, content_type: str, shown_url: str) -> CrmError:
    """A page that is not the portal's JSON: a front end (nginx, a proxy) answered.

    A 4xx page means the request was turned away before Bitrix24 ran it; anything else
    (5xx, a 200 that is not JSON) may have run. ``shown_url`` is the redacted webhook URL.
    """
    ctype = content_type.split(";")[0]
    what = f"{method}: HTTP {status} with a non-JSON answer ({ctype})"
    kw: dict[str, Any] = {"code": f"HTTP_{status}", "status": status}
    if status in (401, 403, 404, 405, 410):
        return CrmSetupError(f"{what}: is {shown_url} a Bitrix24 webhook URL? "
                             f"check {CONFIG_KEY}", **kw)
    if status in (408, 429):
        return CrmTemporary(what, retry_after=None, **kw)
    if 400 <= status < 500:
        return CrmRejected(f"{what}: the request was refused (too large?)", **kw)
    return CrmUnknownOutcome(f"{what}; the call may have run", status=status)


def deadline_error(method: str, timer: RequestTimer, host: str) -> CrmError:
    """The overall deadline cut the request off: not run if its body was not sent whole."""
    if timer.sent is None:
        return CrmTemporary(f"{method}: not sent within the {timer.seconds:g} s deadline "
                            f"to {host}; the call did not run", code="DEADLINE")
    return CrmUnknownOutcome(f"{method}: no whole answer within the {timer.seconds:g} s "
                             "deadline; the call may have run", code="DEADLINE")


def transport_error(method: str, exc: requests.RequestException, host: str,
                    timeout: float) -> CrmError:
    """A request that got no HTTP answer: not run when nothing was sent, else unknown."""
    name = type(exc).__name__
    reason = root_cause(exc)
    if isinstance(exc, requests.ConnectTimeout):
        return CrmTemporary(f"{method}: connect timeout to {host}")
    if isinstance(exc, requests.exceptions.SSLError):
        return CrmSetupError(f"{method}: TLS verification of {host} failed "
                             f"({reason}); check bitrix24.ca_file")
    if isinstance(exc, requests.ReadTimeout):
        return CrmUnknownOutcome(f"{method}: no answer within {timeout:g} s (read "
                                 "timeout); the call may have run")
    if isinstance(exc, requests.ConnectionError):
        inner = exc.args[0] if exc.args else None
        root = getattr(inner, "reason", inner)
        # NewConnectionError covers refused connections and DNS failures
        # (urllib3 2's NameResolutionError is a subclass): nothing was sent.
        if isinstance(root, (urllib3.exceptions.NewConnectionError,
                             urllib3.exceptions.ConnectTimeoutError)):
            return CrmTemporary(f"{method}: cannot connect to {host} ({reason})")
        return CrmUnknownOutcome(f"{method}: connection lost before the answer ({reason}); "
                                 "the call may have run")
    return CrmUnknownOutcome(f"{method}: {name} ({reason}); the call may have run")


def root_cause(exc: BaseException) -> str:
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
