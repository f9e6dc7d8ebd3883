"""PHP's request-parameter rules, as the portal applies them (bitrix24-api.md §1.2).

``parse_str`` follows PHP: pairs split on ``&``, ``+`` is a space, ``%XX`` is decoded,
keys like ``fields[PHONE][0][VALUE]`` build nested arrays, ``select[]`` appends, and every
value is a string. PHP arrays are ordered maps; they come back as dicts, and as lists when
their keys are exactly 0..n-1 in order (that is how PHP's json_encode would show them).
"""

from __future__ import annotations

import base64
import re
from typing import Any
from urllib.parse import unquote_plus

__all__ = ["lenient_b64decode", "listify", "parse_str", "php_set"]


def _split_key(key: str) -> tuple[str, list[str | None]] | None:
    """Split ``a[b][]`` into ``("a", ["b", None])``; None means append."""
    key = key.lstrip(" ")
    pos = key.find("[")
    if pos <= 0:
        if not key:
            return None
        return key.replace(".", "_").replace(" ", "_"), []
    base = key[:pos].replace(".", "_").replace(" ", "_")
    parts: list[str | None] = []
    rest = key[pos:]
    while rest.startswith("["):
        end = rest.find("]")
        if end < 0:
            break
        inner = rest[1:end]
        parts.append(inner if inner != "" else None)
        rest = rest[end + 1 :]
    return base, parts


def _next_index(d: dict[str, Any]) -> str:
    ints = [int(k) for k in d if re.fullmatch(r"-?\d+", k)]
    return str(max(ints) + 1 if ints else 0)


def php_set(target: dict[str, Any], key: str, value: Any) -> None:
    """Store ``value`` under a PHP-style (possibly nested) ``key`` in ``target``."""
    split = _split_key(key)
    if split is None:
        return
    base, parts = split
    path: list[str | None] = [base, *parts]
    node = target
    for i, part in enumerate(path):
        name = _next_index(node) if part is None else part
        if i == len(path) - 1:
            node[name] = value
            return
        child = node.get(name)
        if not isinstance(child, dict):
            child = {}
            node[name] = child
        node = child


def listify(value: Any) -> Any:
    """Turn maps with keys 0..n-1 (in order) into lists, recursively."""
    if isinstance(value, dict):
        items = {k: listify(v) for k, v in value.items()}
        keys = list(items)
        if keys and keys == [str(i) for i in range(len(keys))]:
            return list(items.values())
        return items
    if isinstance(value, list):
        return [listify(v) for v in value]
    return value


def parse_str(query: str) -> dict[str, Any]:
    """PHP ``parse_str``: nested keys, string values, ``+`` as space."""
    out: dict[str, Any] = {}
    for pair in query.split("&"):
        if not pair:
            continue
        key, _, value = pair.partition("=")
        php_set(out, unquote_plus(key), unquote_plus(value))
    result: dict[str, Any] = listify(out)  # a top-level map stays a map
    return result


_NOT_B64 = re.compile(rb"[^A-Za-z0-9+/]")


def lenient_b64decode(data: str | bytes) -> bytes:
    """PHP ``base64_decode`` in non-strict mode: foreign characters are skipped."""
    if isinstance(data, str):
        data = data.encode("utf-8", "replace")
    clean = _NOT_B64.sub(b"", data)
    if len(clean) % 4 == 1:
        clean = clean[:-1]
    clean += b"=" * (-len(clean) % 4)
    return base64.b64decode(clean)
