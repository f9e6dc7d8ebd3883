"""What every command shares: the exit codes (SPEC §1), error lines on stderr, and the
config the command line names."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from bridge import app, logsetup, terminal

if TYPE_CHECKING:
    from bridge.config import Config

EX_OK = 0
EX_SOFTWARE = 1
EX_USAGE = 64
EX_DATAERR = 65
EX_NOINPUT = 66
EX_UNAVAILABLE = 69
EX_TEMPFAIL = 75
EX_CONFIG = 78


def err(message: str) -> None:
    """One ``mailbridge: …`` line on stderr, secrets masked and control characters shown."""
    print(f"mailbridge: {terminal.escape(logsetup.REDACTOR.redact(message))}", file=sys.stderr)


def level(args: argparse.Namespace) -> str:
    """The log level the arguments ask for (``-v`` wins over ``--log-level``)."""
    if getattr(args, "verbose", False):
        return "DEBUG"
    return (getattr(args, "log_level", None) or "INFO").upper()


def load_config(args: argparse.Namespace, *, offline: bool = False) -> Config:
    """The config ``--config`` (or the environment, or a default path) names; ``offline``
    (parse, status, retry) neither needs nor reads the secrets."""
    return app.load_config(app.find_config(getattr(args, "config", None)), offline=offline)
