"""``batch``: up to 50 calls in one request, ``$result[...]`` references between them,
``halt``, and the ``result``/``result_error``/``result_total``/``result_next``/``result_time``
maps of the answer (bitrix24-api.md §5)."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

from bridge.sandbox.answers import ApiError, ListResult, php_empty_map
from bridge.sandbox.phpquery import parse_str
from bridge.sandbox.registry import METHODS, Ctx, method
from bridge.sandbox.values import _scalar, _truthy

if TYPE_CHECKING:
    from bridge.sandbox.base import PortalLike

__all__ = ["BATCH_MAX"]

BATCH_MAX = 50
_REF = re.compile(r"\$(result|result_error|result_total|result_next|result_time)((?:\[[^\]]*\])+)")


def _resolve(ref_kind: str, path: str, state: dict[str, dict[str, Any]]) -> tuple[bool, Any]:
    keys = re.findall(r"\[([^\]]*)\]", path)
    node: Any = state[ref_kind]
    for k in keys:
        if isinstance(node, dict) and k in node:
            node = node[k]
        elif isinstance(node, list) and re.fullmatch(r"\d+", k) and int(k) < len(node):
            node = node[int(k)]
        else:
            return False, None
    return True, node


def _substitute(value: Any, state: dict[str, dict[str, Any]]) -> Any:
    if isinstance(value, dict):
        return {k: _substitute(v, state) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, state) for v in value]
    if not isinstance(value, str) or "$result" not in value:
        return value
    whole = _REF.fullmatch(value)
    if whole:
        ok, found = _resolve(whole.group(1), whole.group(2), state)
        return found if ok else value

    def repl(m: re.Match[str]) -> str:
        ok, found = _resolve(m.group(1), m.group(2), state)
        if not ok:
            return m.group(0)
        return _scalar(found) or ""

    return _REF.sub(repl, value)


def _commands(cmd: Any) -> list[tuple[str, Any]]:
    if isinstance(cmd, list):
        return [(str(i), c) for i, c in enumerate(cmd)]
    if isinstance(cmd, dict):
        return [(str(k), c) for k, c in cmd.items()]
    return []


def _run_one(p: PortalLike, index: int, name: str, query: str, ctx: Ctx,
             state: dict[str, dict[str, Any]]) -> Any:
    """One command of the batch, checked as a call of its own; raises ApiError."""
    if index >= BATCH_MAX:
        raise ApiError(400, "ERROR_BATCH_LENGTH_EXCEEDED", "Max batch length exceeded")
    if name == "batch":
        raise ApiError(405, "ERROR_BATCH_METHOD_NOT_ALLOWED",
                       "Method is not allowed for batch usage")
    if name not in METHODS:
        raise ApiError(404, "ERROR_METHOD_NOT_FOUND", "Method not found!")
    scope, handler = METHODS[name]
    if not p._scope_ok(ctx.webhook, scope):
        raise ApiError(401, "insufficient_scope", "")
    p._check_operating(ctx.webhook, name)
    sub = _substitute(parse_str(query), state)
    t0 = time.monotonic()
    try:
        return p.run(name, handler, sub, ctx)
    finally:
        p._charge(ctx.webhook, name, time.monotonic() - t0)


@method("batch", "basic")
def _batch(p: PortalLike, params: dict[str, Any], ctx: Ctx) -> Any:
    halt = _truthy(params.get("halt", 0))
    state: dict[str, dict[str, Any]] = {"result": {}, "result_error": {}, "result_total": {},
                                        "result_next": {}, "result_time": {}}
    for index, (key, command) in enumerate(_commands(params.get("cmd"))):
        start = time.time()
        name, _, query = str(command).partition("?")
        name = name.strip().lower()
        try:
            result = _run_one(p, index, name, query, ctx, state)
        except ApiError as err:
            state["result_error"][key] = err.body()
            state["result_time"][key] = p._time(start, ctx.webhook, name)
            if halt:
                break
            continue
        if isinstance(result, ListResult):
            state["result"][key] = result.items
            state["result_total"][key] = result.total
            if result.next is not None:
                state["result_next"][key] = result.next
        else:
            state["result"][key] = result
        state["result_time"][key] = p._time(start, ctx.webhook, name)
    return {k: php_empty_map(v) for k, v in state.items()}
