"""Typed reading of one config table: every getter validates a value and names
``section.key`` in its error; :func:`show` renders a value for such an error."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from bridge.errors import ConfigError


class Where(Protocol):
    """What a Section needs from the loader: errors with a line, and paths from the file."""

    def fail(self, key: str, problem: str) -> ConfigError:
        """A ConfigError for ``key``, with its line when the file has it."""

    def resolve(self, value: str) -> Path:
        """A path from the file, relative to the config file's folder."""


def show(value: Any) -> str:
    """A short rendering of a (non-secret) config value for an error message."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        s = value if len(value) <= 60 else value[:57] + "..."
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


def kind(value: Any) -> str:
    """What a value is, without showing it (for secrets)."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return show(value) if isinstance(value, list | dict) else type(value).__name__


class Section:
    """Typed access to one [section]; every getter names ``section.key`` in its errors."""

    def __init__(self, loader: Where, name: str, table: dict[str, Any]):
        self.loader = loader
        self.name = name
        self.table = table
        self.seen: set[str] = set()
        self.origin: dict[str, str] = {}

    def _get(self, key: str, default: Any) -> Any:
        self.seen.add(key)
        return self.table.get(key, default)

    def fail(self, key: str, problem: str) -> ConfigError:
        """A ConfigError for ``key`` of this table (``section.key``), with its line."""
        return self.loader.fail(f"{self.name}.{key}", problem)

    def text(self, key: str, default: str, *, secret: bool = False) -> str:
        value = self._get(key, default)
        if not isinstance(value, str):
            got = kind(value) if secret else show(value)
            raise self.fail(key, f"expected a string (in quotes), got {got}")
        return value

    def choice(self, key: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.text(key, default).strip().lower()
        if value not in choices:
            options = " | ".join(f'"{c}"' for c in choices)
            raise self.fail(key, f"expected one of {options}, got {show(value)}")
        return value

    def integer(
        self, key: str, default: int, *, low: int | None = None, high: int | None = None,
        why: str = "",
    ) -> int:
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, f"expected an integer, got {show(value)}")
        if low is not None and value < low:
            what = "a positive integer" if low == 1 else f"an integer of at least {low}"
            raise self.fail(key, f"expected {what}, got {value}")
        if high is not None and value > high:
            because = f" ({why})" if why else ""
            raise self.fail(key, f"expected at most {high}{because}, got {value}")
        return value

    def number(self, key: str, default: float, *, positive: bool = False) -> float:
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(key, f"expected a number, got {show(value)}")
        if value != value or value in (float("inf"), float("-inf")):
            raise self.fail(key, f"expected a finite number, got {value}")
        if positive and value <= 0:
            raise self.fail(key, f"expected a positive number, got {value:g}")
        return float(value)

    def boolean(self, key: str, default: bool) -> bool:
        value = self._get(key, default)
        if not isinstance(value, bool):
            raise self.fail(key, f"expected true or false, got {show(value)}")
        return value

    def text_list(self, key: str, default: tuple[str, ...]) -> list[str]:
        return self.strings(self._get(key, list(default)), f"{self.name}.{key}")

    def strings(self, value: Any, full_key: str) -> list[str]:
        if not isinstance(value, list):
            raise self.loader.fail(full_key, f"expected an array of strings, got {show(value)}")
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                raise self.loader.fail(
                    full_key, f"item {i + 1}: expected a non-empty string, got {show(item)}"
                )
        return value

    def subtable(self, key: str) -> dict[str, Any]:
        value = self._get(key, {})
        if not isinstance(value, dict):
            raise self.fail(key, f"expected a table, got {show(value)}")
        return value

    def file_path(self, key: str) -> Path | None:
        """An optional existing file (``""`` = none), relative to the config's folder."""
        raw = self.text(key, "").strip()
        if not raw:
            return None
        p = self.loader.resolve(raw)
        if not p.is_file():
            raise self.fail(key, f'file not found: {p}; fix the path, or "" for none')
        return p
