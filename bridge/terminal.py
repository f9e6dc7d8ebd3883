"""Text meant for a terminal: control characters from mail are shown escaped, never obeyed.

A Subject, a file name or a server's error text can carry ANSI/OSC escape sequences (clear the
screen, set the window title, forge a hyperlink), other C0/C1 control characters, or Unicode
bidi controls that make a line read differently than it is. Everything the bridge prints for
a person goes through :func:`escape`: such characters become visible ``\\u001b``-style
escapes, which are also valid inside a JSON string, so a guarded stream may carry JSON too.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
from collections.abc import Iterator
from typing import Any, TextIO

# C0 controls, DEL, C1 controls (0x9b is a one-byte CSI on some terminals), bidi marks,
# embeddings, overrides and isolates (they reorder what is shown), line/paragraph separators.
# Zero-width joiners stay: emoji and some scripts need them, and they move nothing.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def escape(text: str, keep: str = "\n\t") -> str:
    """``text`` with every unsafe character except those in ``keep`` shown as ``\\uXXXX``."""
    return _UNSAFE.sub(lambda m: m.group(0) if m.group(0) in keep else f"\\u{ord(m.group(0)):04x}",
                       text)


def one_line(text: str) -> str:
    """``text`` escaped so that it stays on one line (newlines and tabs escaped too)."""
    return escape(text, keep="")


class SafeStream(io.TextIOBase):
    """A text stream that escapes unsafe characters in everything written through it."""

    def __init__(self, inner: TextIO, keep: str = "\n\t") -> None:
        super().__init__()
        self.inner = inner
        self.keep = keep

    def write(self, s: str) -> int:
        self.inner.write(escape(s, self.keep))
        return len(s)

    def flush(self) -> None:
        self.inner.flush()

    def isatty(self) -> bool:
        return self.inner.isatty()

    def fileno(self) -> int:
        return self.inner.fileno()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]  # a property on TextIOBase too
        return getattr(self.inner, "encoding", "utf-8")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@contextlib.contextmanager
def guarded_stdout() -> Iterator[None]:
    """Route ``sys.stdout`` through :class:`SafeStream` for the duration of a command."""
    original = sys.stdout
    if isinstance(original, SafeStream):
        yield
        return
    sys.stdout = SafeStream(original)
    try:
        yield
    finally:
        sys.stdout = original
