"""What the portal answers: the response envelope, REST error answers, the front end's pages.

The envelope (``result``, ``next``, ``total``, ``time``) follows bitrix24-api.md §2, the error
body (``error``, ``error_description``) §3.1; the HTML page the front end (nginx) sends
instead of JSON is the table's "Front-end failures" row in §3.2.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bridge.sandbox.phpquery import listify

__all__ = ["ApiError", "ListResult", "crm_error", "envelope", "html_page", "php_empty_map"]


class ApiError(Exception):
    """A REST error answer: HTTP status, ``error`` code and ``error_description``."""

    def __init__(self, status: int, code: str, description: str) -> None:
        super().__init__(f"{status} {code}: {description}")
        self.status = status
        self.code = code
        self.description = description

    def body(self) -> dict[str, str]:
        return {"error": self.code, "error_description": self.description}


def crm_error(description: str) -> ApiError:
    """A CRM legacy error: HTTP 400 with an empty ``error`` code."""
    return ApiError(400, "", description)


@dataclass
class ListResult:
    """What a list method returns; the envelope adds ``total`` and ``next``."""

    items: list[Any]
    total: int
    next: int | None = None


def envelope(result: Any, time_block: dict[str, Any]) -> dict[str, Any]:
    """The JSON envelope of a successful call: result (next, total for lists), time."""
    out: dict[str, Any] = {}
    if isinstance(result, ListResult):
        out["result"] = result.items
        if result.next is not None:
            out["next"] = result.next
        out["total"] = result.total
    else:
        out["result"] = result
    out["time"] = time_block
    return out


def php_empty_map(d: dict[str, Any]) -> Any:
    """PHP serialisation: an empty array is ``[]``; keys 0..n-1 in order make a list."""
    if not d:
        return []
    return listify(d) if all(isinstance(k, str) for k in d) else d


_NGINX = """<html>
<head><title>{status} {reason}</title></head>
<body>
<center><h1>{status} {reason}</h1></center>
<hr><center>nginx</center>
</body>
</html>
"""
_REASONS = {502: "Bad Gateway", 504: "Gateway Time-out", 404: "Not Found",
            413: "Request Entity Too Large", 429: "Too Many Requests", 403: "Forbidden"}


def html_page(status: int) -> bytes:
    """The front end's own HTML error page for ``status``."""
    return _NGINX.format(status=status, reason=_REASONS.get(status, "Error")).encode()
