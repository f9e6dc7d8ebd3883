"""The command line (SPEC §1): ``main(argv) -> int`` is what the console script and
``python -m bridge`` run; tests call it in-process.

``parser`` builds the arguments, ``dispatch`` runs a command and turns errors into exit
codes, ``pollnow``, ``parse``, ``status`` and ``retry`` are the commands, ``common`` holds
the exit codes and the config as the arguments name it. What a command runs on is wired by
bridge.app; the daemon, ``check`` and ``demo`` are entry points of their own that this
package calls.
"""

from bridge.cli.common import (
    EX_CONFIG,
    EX_DATAERR,
    EX_NOINPUT,
    EX_OK,
    EX_SOFTWARE,
    EX_TEMPFAIL,
    EX_UNAVAILABLE,
    EX_USAGE,
    load_config,
)
from bridge.cli.dispatch import main
from bridge.cli.parse import cmd_parse
from bridge.cli.parser import build_parser
from bridge.cli.pollnow import cmd_poll_now, exit_code, human_summary
from bridge.cli.retry import cmd_retry
from bridge.cli.status import blocked_why, cmd_status, print_status

__all__ = [
    "EX_CONFIG",
    "EX_DATAERR",
    "EX_NOINPUT",
    "EX_OK",
    "EX_SOFTWARE",
    "EX_TEMPFAIL",
    "EX_UNAVAILABLE",
    "EX_USAGE",
    "blocked_why",
    "build_parser",
    "cmd_parse",
    "cmd_poll_now",
    "cmd_retry",
    "cmd_status",
    "exit_code",
    "human_summary",
    "load_config",
    "main",
    "print_status",
]
