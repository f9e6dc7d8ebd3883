"""``main``: the arguments parsed, logging set up, the command run, its errors turned into
the exit codes SPEC §1 names."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bridge import app, i18n, logsetup, terminal
from bridge.cli.common import (
    EX_CONFIG,
    EX_OK,
    EX_SOFTWARE,
    EX_TEMPFAIL,
    EX_USAGE,
    err,
    level,
    load_config,
)
from bridge.cli.parse import cmd_parse
from bridge.cli.parser import build_parser
from bridge.cli.pollnow import cmd_poll_now
from bridge.cli.retry import cmd_retry
from bridge.cli.status import cmd_status
from bridge.errors import (
    BridgeError,
    ConfigError,
    CrmSetupError,
    LedgerCorrupt,
    LockHeld,
    MailboxRejected,
    StoreError,
)

if TYPE_CHECKING:
    from bridge.config import Config

log = logging.getLogger(__name__)


def tune_malloc() -> None:
    """Keep glibc from holding on to freed multi-MB buffers (attachments).

    glibc raises its mmap threshold after a big block is freed, so later 10 MB buffers
    come from the heap and the memory stays with the process. A fixed 128 KiB threshold
    keeps them mmapped: freed at once, so the daemon's RSS follows what it really holds.
    """
    if sys.platform != "linux":
        return
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 128 * 1024)  # M_MMAP_THRESHOLD (also turns off its auto-raise)
        libc.mallopt(-1, 128 * 1024)  # M_TRIM_THRESHOLD
    except (OSError, AttributeError):  # not glibc (musl): nothing to tune
        return


def main(argv: Sequence[str] | None = None) -> int:
    tune_malloc()
    i18n.set_language(i18n.from_locale())
    parser = build_parser()
    try:
        args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:  # --help, --version (0) and usage errors (64) end here
        return exc.code if isinstance(exc.code, int) else EX_USAGE
    logsetup.setup(level(args))
    try:
        with terminal.guarded_stdout():  # mail text never drives the terminal
            return _dispatch(args)
    except ConfigError as exc:
        text = str(exc)
        line = getattr(exc, "line", None)
        where = f" (line {line})" if line and f"line {line}" not in text else ""
        err(i18n.t("cli.config_error", text=f"{text}{where}"))
        return EX_CONFIG
    except (MailboxRejected, CrmSetupError) as exc:
        err(i18n.t("cli.setup_error", text=exc))
        return EX_CONFIG
    except LedgerCorrupt as exc:  # a setup problem: a restart would only meet it again
        err(i18n.t("cli.ledger_error", text=exc))
        return EX_CONFIG
    except LockHeld as exc:
        err(str(exc))
        return EX_TEMPFAIL
    except StoreError as exc:
        err(i18n.t("cli.ledger_error", text=exc))
        return EX_TEMPFAIL
    except BridgeError as exc:
        err(str(exc))
        return EX_TEMPFAIL
    except KeyboardInterrupt:
        return EX_OK
    except BrokenPipeError:  # `mailbridge parse x.eml | head`: the reader left, not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EX_OK
    except Exception:  # the last line of defence: a bug gets its trace and exit 70, not a crash
        log.exception("unexpected error (a bug; please report it with this trace)")
        return EX_SOFTWARE


def _dispatch(args: argparse.Namespace) -> int:
    """Run the command ``args`` name: the daemon when there is none."""
    command = args.command
    if command == "parse":
        return cmd_parse(args)
    if command == "demo":
        from bridge.demo import run_demo

        if level(args) == "INFO":
            logging.getLogger().setLevel("WARNING")  # the table is the demo's output

        return run_demo(out=sys.stdout)
    if command == "status" and args.health:
        from bridge.alerts.cli import cmd_health

        return cmd_health(args)
    if command == "notify-failure":
        from bridge.alerts.cli import cmd_notify_failure

        return cmd_notify_failure(args, out=sys.stdout)
    if command == "completion":
        from bridge.clihelp import bash_completion

        print(bash_completion(build_parser()))
        return EX_OK
    if command == "check" and (code := check_placeholders(args)) is not None:
        return code
    # status and retry read only the ledger: they need neither the password nor the webhook
    cfg = load_config(args, offline=command in ("status", "retry"))
    if cfg.mailboxes:  # [[mailboxes]]: every command goes over each mailbox (bridge.multibox)
        return _dispatch_many(args, cfg)
    if command == "notify-test":
        from bridge.alerts.cli import cmd_notify_test

        return cmd_notify_test(cfg, out=sys.stdout)
    if command == "check":
        from bridge.checks import run_checks

        return run_checks(cfg, out=sys.stdout)
    if command == "status":
        return cmd_status(cfg, as_json=args.json)
    if command == "retry":
        return cmd_retry(cfg, args.ids, args.all)
    if args.poll_now:
        return cmd_poll_now(cfg)
    from bridge.daemon import run_daemon

    return run_daemon(cfg)


def check_placeholders(args: argparse.Namespace) -> int | None:
    """`check` on a config still holding the example's values: "fill in …" lines, exit 78."""
    import tomllib

    from bridge.placeholders import placeholder_problems

    path = app.find_config(getattr(args, "config", None))
    if path is None or not path.is_file():
        return None  # load_config reports it
    try:
        ui = tomllib.loads(path.read_text(encoding="utf-8")).get("ui")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    if isinstance(ui, dict) and isinstance(ui.get("language"), str):
        i18n.set_language(i18n.resolve(ui["language"]))
    problems = placeholder_problems(path)
    if not problems:
        return None
    for line in problems:
        print("✗ " + line)
    print(i18n.t("check.failed", n=len(problems)))
    return EX_CONFIG


def _dispatch_many(args: argparse.Namespace, cfg: Config) -> int:
    """A ``[[mailboxes]]`` config: each command goes over every mailbox in turn."""
    from bridge import multibox, multicommands

    command = args.command
    if command == "notify-test":
        from bridge.alerts.cli import cmd_notify_test

        return cmd_notify_test(cfg, out=sys.stdout)
    if command == "check":
        return multicommands.check_many(cfg, out=sys.stdout)
    if command == "status":
        return multicommands.status_many(cfg, as_json=args.json, out=sys.stdout)
    if command == "retry":
        return multicommands.retry_many(cfg, args.ids, args.all, args.mailbox)
    if args.poll_now:
        return multicommands.poll_many(cfg, out=sys.stdout)
    return multibox.run_many(cfg)
