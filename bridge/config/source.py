"""Reading the config file: its text, its TOML, and the line of every key (for errors)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from bridge.errors import ConfigError

_TRIPLE_QUOTES = ('"' * 3, "'" * 3)
_PART = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')"""
_DOTTED = rf"{_PART}(?:\s*\.\s*{_PART})*"
_HEADER_RE = re.compile(rf"^\s*\[\[?\s*({_DOTTED})\s*\]\]?\s*(#.*)?$")
_KEY_RE = re.compile(rf"^\s*({_DOTTED})\s*=")
_PART_RE = re.compile(_PART)


def read(file: Path) -> tuple[str, dict[str, Any]]:
    """The file's text and its parsed TOML; a ConfigError says what is wrong, with the line."""
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"config file not found: {file}; run `mailbridge demo` to try it without one"
        ) from None
    except IsADirectoryError:
        raise ConfigError(f"config file {file} is a directory; give the path of the file") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config file {file} is not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise ConfigError(f"config file {file} cannot be read: {exc.strerror}") from None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        line = int(m.group(1)) if m else None
        if line is None and "end of document" in str(exc):
            line = max(text.count("\n") + (not text.endswith("\n")), 1)
        raise ConfigError(
            f"{file}: not valid TOML: {exc}; fix the syntax there", line=line
        ) from None


def key_lines(text: str) -> dict[str, int]:
    """Map every dotted key path and table header of a TOML text to its first line."""
    lines: dict[str, int] = {}
    prefix: list[str] = []
    in_multiline = False
    for number, raw in enumerate(text.splitlines(), start=1):
        if in_multiline:
            if any(raw.count(q) % 2 for q in _TRIPLE_QUOTES):
                in_multiline = False
            continue
        if m := _HEADER_RE.match(raw):
            prefix = [unquote(p) for p in _PART_RE.findall(m.group(1))]
            lines.setdefault(".".join(prefix), number)
            continue
        if m := _KEY_RE.match(raw):
            keys = [unquote(p) for p in _PART_RE.findall(m.group(1))]
            for i in range(1, len(keys) + 1):
                lines.setdefault(".".join(prefix + keys[:i]), number)
            if any(raw[m.end() :].count(q) % 2 for q in _TRIPLE_QUOTES):
                in_multiline = True
    return lines


def unquote(part: str) -> str:
    """A TOML key part without its quotes (escapes in "..." decoded)."""
    if len(part) >= 2 and part[0] == part[-1] and part[0] in "\"'":
        inner = part[1:-1]
        if part[0] == '"' and "\\" in inner:
            try:
                value = tomllib.loads(f"k = {part}")["k"]
            except tomllib.TOMLDecodeError:
                return inner
            return str(value)
        return inner
    return part
