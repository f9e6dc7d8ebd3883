"""How the portal reads and stores PHP values: integers, scalars, arrays, dates.

Pure helpers shared by every method family (bitrix24-api.md §1.2: every request value arrives
as a PHP string or array).
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone
from typing import Any

TZ = timezone(timedelta(hours=3))

__all__ = ["TZ", "_as_int", "_items", "_now_iso", "_scalar", "_truthy"]


def _now_iso(ts: float | None = None) -> str:
    return datetime.fromtimestamp(ts if ts is not None else time.time(), TZ).isoformat(
        timespec="seconds"
    )


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    return None


def _scalar(value: Any) -> str | None:
    """How PHP would store a scalar in a string column."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return "Array"
    return str(value)


def _items(value: Any) -> list[Any] | None:
    """The members of a PHP array (list or map); None for a scalar."""
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return list(value.values())
    return None


def _truthy(v: Any) -> bool:
    return v is True or str(v).strip().lower() in ("1", "true", "y", "yes")
