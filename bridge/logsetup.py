"""Logging set up once, in the entry point: one line per event on stderr, secrets masked.

The filter is a second line of defence: modules never log secrets or bodies, and this
masks the webhook code and the IMAP password in anything that reaches the handler
(library debug logs included), wherever they appear.
"""

from __future__ import annotations

import logging
import sys

from bridge import secrets
from bridge.terminal import escape, one_line

FORMAT = "%(asctime)s %(levelname)s %(message)s"  # a terminal or a file: with the time
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
# syslog priorities (sd-daemon(3)): journald reads a "<N>" prefix on each line of a stream
PRIORITIES = {logging.CRITICAL: 2, logging.ERROR: 3, logging.WARNING: 4, logging.INFO: 6,
              logging.DEBUG: 7}


def syslog_priority(levelno: int) -> int:
    """The syslog priority of a logging level (levels between the named ones round down)."""
    for level in sorted(PRIORITIES, reverse=True):
        if levelno >= level:
            return PRIORITIES[level]
    return 7


class JournalFormatter(logging.Formatter):
    """``<3>event key=value``: the priority prefix on every line and no time (journald adds
    it), so ``journalctl -p err`` shows exactly the errors, tracebacks included."""

    def __init__(self) -> None:
        super().__init__("%(message)s")

    def format(self, record: logging.LogRecord) -> str:
        prefix = f"<{syslog_priority(record.levelno)}>"
        return "\n".join(prefix + line for line in super().format(record).splitlines() or [""])


def formatter_for_stderr() -> logging.Formatter:
    """Journal format when stderr is the journal stream systemd set up, else with the time."""
    from bridge.notify import stderr_is_journal

    if stderr_is_journal():
        return JournalFormatter()
    return logging.Formatter(FORMAT, DATE_FORMAT)


class RedactingFilter(secrets.RedactingFilter):
    """The handler's filter: secrets masked (bridge.secrets), the message kept on one line and
    tracebacks escaped, so no escape sequence reaches a terminal."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not kill logging (no log: it would recurse)
            message = str(record.msg)
        redacted = one_line(self.redact(message))  # no escape sequences reach a terminal
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = escape(self.redact(
                logging.Formatter().formatException(record.exc_info)
            ))
            record.exc_info = None
        record.msg, record.args = redacted, None
        return True


REDACTOR = RedactingFilter()


def setup(level: str = "INFO") -> None:
    """Configure the root logger once: stderr, one line per event, redacted."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter_for_stderr())
    handler.addFilter(REDACTOR)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # Libraries stay at WARNING even with -v: their debug logs carry SQL parameters
    # (client data), IMAP traffic (message bodies) and request URLs.
    for name in ("urllib3", "imapclient", "apscheduler", "sqlalchemy", "charset_normalizer",
                 "alembic"):  # the ledger logs its own "ledger migrated" lines
        logging.getLogger(name).setLevel("WARNING")
