"""One progress line on a terminal that log lines never collide with.

``ProgressLine.show(text)`` rewrites the line in place (carriage return, erase to the end
of the line). While it is attached to the log handlers, every log record first erases the
progress line, is written on a clean line, and the progress line is drawn again below it.
Only used when stderr is a terminal and not the journal (the CLI decides).
"""

from __future__ import annotations

import logging
import threading
from typing import Any, TextIO

ERASE = "\r\x1b[K"  # back to column 0, erase to the end of the line


class ProgressLine:
    """The current progress text, drawn on ``stream`` (a terminal)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.text = ""
        self._lock = threading.RLock()
        self._patched: list[tuple[logging.Handler, Any]] = []

    def show(self, text: str) -> None:
        """Replace the progress line with ``text``."""
        with self._lock:
            self.text = text
            self.stream.write(ERASE + text)
            self.stream.flush()

    def clear(self) -> None:
        """Erase the progress line (it stays remembered and is drawn again after a log line)."""
        with self._lock:
            if self.text:
                self.stream.write(ERASE)
                self.stream.flush()

    def finish(self) -> None:
        """Erase the line for good and detach from the log handlers."""
        with self._lock:
            self.clear()
            self.text = ""
        for handler, emit in self._patched:
            handler.emit = emit  # type: ignore[method-assign]  # restore the original
        self._patched.clear()

    def attach(self, logger: logging.Logger | None = None) -> ProgressLine:
        """Make every handler of ``logger`` (default: root) erase the line before it writes."""
        for handler in (logger or logging.getLogger()).handlers:
            original = handler.emit

            def emit(record: logging.LogRecord, original: Any = original) -> None:
                with self._lock:
                    self.clear()
                    original(record)
                    if self.text:
                        self.stream.write(self.text)
                        self.stream.flush()

            handler.emit = emit  # type: ignore[method-assign]  # wrapped, restored by finish()
            self._patched.append((handler, original))
        return self
