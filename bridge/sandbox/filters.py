"""How list methods read ``filter``, ``order``, ``select`` and ``start`` (bitrix24-api.md §6.5):
operator prefixes, PHP-ish comparisons, pages of 50 with ``next`` and ``total``."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from typing import Any

from bridge.sandbox.answers import ListResult, crm_error
from bridge.sandbox.values import _as_int, _items, _scalar

__all__ = ["PAGE", "QueryMixin"]

PAGE = 50
_COMPARE = {"=": operator.eq, "@": operator.eq, ">": operator.gt, ">=": operator.ge,
            "<": operator.lt, "<=": operator.le}


class QueryMixin:
    """Filtering, sorting, selecting and paging rows for the list methods."""

    rejected_operators: set[str]

    _OPS = ("!=%", "!%=", "!@", "!=", "!%", "=%", "%=", ">=", "<=", "=", "!", ">", "<", "@", "%")

    def _parse_filter(self, flt: Any, known: Callable[[str], bool]) -> list[tuple[str, str, Any]]:
        out: list[tuple[str, str, Any]] = []
        if not isinstance(flt, dict):
            return out
        for key, value in flt.items():
            key = str(key).strip()
            op = ""
            for candidate in self._OPS:
                if key.startswith(candidate):
                    op = candidate
                    break
            name = key[len(op):].upper()
            if op and op in self.rejected_operators:
                raise crm_error(f"Filter operator '{op}' is not supported.")
            if not known(name):
                continue  # unknown filter keys are dropped silently
            out.append((op or "=", name, value))
        return out

    @staticmethod
    def _cmp_one(op: str, actual: Any, expected: Any, numeric: bool) -> bool:
        """Compare one stored value with one filter value (``op`` without negation)."""
        a = "" if actual is None else str(actual)
        e = _scalar(expected) or ""
        if op == "%":
            return e.casefold() in a.casefold()
        if op in ("=%", "%="):
            pattern = ".*".join(re.escape(part) for part in e.split("%"))
            return re.fullmatch(pattern, a, re.IGNORECASE | re.DOTALL) is not None
        left: float | str
        right: float | str
        if numeric:
            try:
                left, right = float(a), float(e)
            except ValueError:
                return False
        else:
            left, right = a.casefold(), e.casefold()  # case-insensitive collation (GUESS)
        return bool(_COMPARE[op](left, right))

    def _match(self, record: dict[str, Any], conds: list[tuple[str, str, Any]],
               value_of: Callable[[dict[str, Any], str], list[Any]], numeric: set[str]) -> bool:
        for op, name, expected in conds:
            actuals = value_of(record, name)
            expected_list = _items(expected)
            if expected_list is None:
                expected_list = [expected]
            negate = op.startswith("!")
            base_op = {"!": "=", "!@": "@", "!=": "=", "!%": "%", "!=%": "=%", "!%=": "%="}.get(
                op, op)
            hit = any(self._cmp_one(base_op, a, e, name in numeric)
                      for a in actuals for e in expected_list)
            if hit == negate:
                return False
        return True

    @staticmethod
    def _page(rows: list[Any], start_raw: Any) -> ListResult:
        start = _as_int(start_raw)
        if start is None:
            start = 0
        if start == -1:
            return ListResult(rows[:PAGE], 0)
        total = len(rows)
        page = max(start, 0) // PAGE
        last_page = max(total - 1, 0) // PAGE
        page = min(page, last_page)  # reading past the end gives the last page (GUESS)
        offset = page * PAGE
        nxt = offset + PAGE if offset + PAGE < total else None
        return ListResult(rows[offset : offset + PAGE], total, nxt)

    @staticmethod
    def _sort(rows: list[dict[str, Any]], order: Any, numeric: set[str]) -> list[dict[str, Any]]:
        if not isinstance(order, dict) or not order:
            order = {"ID": "ASC"}
        for key, direction in reversed(list(order.items())):
            key = str(key).upper()

            def sort_key(r: dict[str, Any], key: str = key) -> tuple[int, Any]:
                v = r.get(key)
                if isinstance(v, list):
                    v = v[0]["VALUE"] if v and isinstance(v[0], dict) else (v[0] if v else None)
                if v is None:
                    return (0, 0)
                if key in numeric:
                    n = _as_int(v)
                    return (1, n if n is not None else 0)
                return (1, str(v).casefold())

            rows = sorted(rows, key=sort_key, reverse=str(direction).upper() == "DESC")
        return rows

    def _select(self, params: dict[str, Any]) -> set[str]:
        sel = _items(params.get("select", params.get("SELECT")))
        return {str(s).upper() for s in sel} if sel else set()
