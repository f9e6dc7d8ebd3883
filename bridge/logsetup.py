"""Logging set up once, in the entry point: one line per event on stderr, secrets masked.

The filter is a second line of defence: modules never log secrets or bodies, and this
masks the webhook code and the IMAP password in anything that reaches the handler
(library debug logs included), wherever they appear.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable

_WEBHOOK = re.compile(r"(/rest/\d+/)[^/\s'\"]+")
FORMAT = "%(levelname)s %(message)s"


class RedactingFilter(logging.Filter):
    """Replaces known secrets and any webhook path code with ``***``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def add(self, *secrets: str) -> None:
        self.secrets = sorted(
            {*self.secrets, *(s for s in secrets if s and len(s) >= 4)}, key=len, reverse=True
        )

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return _WEBHOOK.sub(r"\1***", text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not kill logging
            message = str(record.msg)
        redacted = self.redact(message)
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self.redact(
                logging.Formatter().formatException(record.exc_info)
            )
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
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(REDACTOR)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # Libraries stay at WARNING even with -v: their debug logs carry SQL parameters
    # (client data), IMAP traffic (message bodies) and request URLs.
    for name in ("urllib3", "imapclient", "apscheduler", "sqlalchemy", "charset_normalizer"):
        logging.getLogger(name).setLevel("WARNING")
