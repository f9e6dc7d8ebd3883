"""The command line's arguments: the options every command takes, and each subcommand's."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from bridge.clihelp import COMMANDS, UsageParser, epilog, version

_LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "debug", "info", "warning", "error"]


def _common(parser: argparse.ArgumentParser, suppress: bool) -> None:
    """--config, -v and --log-level (a subcommand's copy does not override the main one's)."""
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("--config", metavar="PATH", default=default, help="the TOML config file")
    parser.add_argument(
        "-v", "--verbose", action="store_true", default=argparse.SUPPRESS if suppress else False,
        help="debug logging",
    )
    parser.add_argument(
        "--log-level", metavar="LEVEL", default=default, choices=_LEVELS,
        help="log level (default INFO)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The whole command line: the daemon's options and every subcommand."""
    parser = UsageParser(
        prog="mailbridge", epilog=epilog(""), formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Turns website form e-mails into Bitrix24 leads. Without a subcommand it "
        "runs the daemon (IMAP IDLE plus scheduled polls) until SIGTERM/SIGINT.",
    )
    _common(parser, suppress=False)
    parser.add_argument("--version", action="version", version=f"mailbridge {version()}")
    parser.add_argument(
        "--poll-now", action="store_true",
        help="one pass: fetch everything new, process it, retry what is due, print a summary",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=UsageParser)

    def add(name: str) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = sub.add_parser(
            name, help=COMMANDS[name][0], description=COMMANDS[name][0], epilog=epilog(name),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if name != "completion":
            _common(p, suppress=True)
        return p

    add("check")  # in the order `--help` lists them
    _add_status(add("status"))
    add("notify-test")
    add("notify-failure").add_argument(
        "unit", metavar="UNIT", help="the failed unit, e.g. mailbridge.service")
    _add_ledger_commands(add)
    add("demo")
    add("completion").add_argument("shell", choices=["bash"], help="the shell (bash)")
    return parser


def _add_status(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument(
        "--health", action="store_true",
        help="read the daemon's health file; exit 0 healthy, 65 a message needs a person "
        "(24 h), 75 no successful poll or mail waiting too long, 78 blocked or no config",
    )


def _add_ledger_commands(add: Callable[[str], argparse.ArgumentParser]) -> None:
    """``parse`` (offline) and ``retry`` (the ledger only)."""
    p = add("parse")
    p.add_argument("files", nargs="+", metavar="FILE.eml")
    p.add_argument(
        "--json", action="store_true", help="one JSON object per file (array if several)"
    )
    p = add("retry")
    p.add_argument("ids", nargs="*", type=int, metavar="ID", help="message ids as status shows")
    p.add_argument("--all", action="store_true", help="every failed or quarantined message")
    p.add_argument("--mailbox", metavar="NAME",
                   help="with [[mailboxes]]: the mailbox whose ledger the IDs are from")
