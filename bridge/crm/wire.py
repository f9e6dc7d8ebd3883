"""Wire encoding for Bitrix24 requests: JSON bodies, ``batch`` query strings, file values.

Pure functions, no I/O. Files travel as :class:`FileContent`, base64-encoded once and
spliced into the JSON body as bytes (bitrix24-api.md §5).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from bridge.model import Attachment

__all__ = ["FileContent", "as_map", "batch_key", "file_values", "json_body", "php_query"]


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

    __hash__ = None  # type: ignore[assignment]  # mutable bytes holder: unhashable on purpose


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


def as_map(value: Any) -> dict[str, Any]:
    """PHP quirks: an empty map arrives as ``[]``, a map keyed 0..n-1 as a list."""
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    if isinstance(value, list):
        return {str(i): v for i, v in enumerate(value)}
    return {}


def batch_key(origin_id: str) -> str:
    """The ``batch`` command key of one lead: short, stable, safe in a query string."""
    return "L" + hashlib.sha256(origin_id.encode("utf-8")).hexdigest()[:20]
