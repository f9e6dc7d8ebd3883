"""Command line: argument parsing, logging, the composition root and exit codes (SPEC §1).

``main(argv) -> int`` is what the console script and ``python -m bridge`` run; tests call
it in-process. Nothing imports this module.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bridge import i18n, logsetup, terminal
from bridge.errors import (
    BridgeError,
    ConfigError,
    CrmSetupError,
    LedgerCorrupt,
    LockHeld,
    MailboxRejected,
    ParseError,
    StoreError,
)
from bridge.secrets import webhook_secrets

log = logging.getLogger(__name__)

EX_OK = 0
EX_SOFTWARE = 1
EX_USAGE = 64
EX_DATAERR = 65
EX_NOINPUT = 66
EX_UNAVAILABLE = 69
EX_TEMPFAIL = 75
EX_CONFIG = 78

DEFAULT_CONFIG_PATHS = ("config.toml", "/etc/mailbridge/config.toml")
# How long a --poll-now waits for the ledger lock (SPEC: 60 s); tests shorten it.
LOCK_WAIT = float(os.environ.get("MAILBRIDGE_LOCK_WAIT", "60"))


def _common(parser: argparse.ArgumentParser, suppress: bool) -> None:
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("--config", metavar="PATH", default=default, help="the TOML config file")
    parser.add_argument(
        "-v", "--verbose", action="store_true", default=argparse.SUPPRESS if suppress else False,
        help="debug logging",
    )
    parser.add_argument(
        "--log-level", metavar="LEVEL", default=default,
        choices=["DEBUG", "INFO", "WARNING", "ERROR", "debug", "info", "warning", "error"],
        help="log level (default INFO)",
    )


def build_parser() -> argparse.ArgumentParser:
    from bridge.clihelp import COMMANDS, UsageParser, epilog, version

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
        return sub.add_parser(
            name, help=COMMANDS[name][0], description=COMMANDS[name][0], epilog=epilog(name),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    p = add("check")
    _common(p, suppress=True)

    p = add("status")
    _common(p, suppress=True)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument(
        "--health", action="store_true",
        help="read the daemon's health file; exit 0 healthy, 65 a message needs a person "
        "(24 h), 75 no successful poll or mail waiting too long, 78 blocked or no config",
    )

    p = add("notify-test")
    _common(p, suppress=True)

    p = add("notify-failure")
    _common(p, suppress=True)
    p.add_argument("unit", metavar="UNIT", help="the failed unit, e.g. mailbridge.service")

    p = add("parse")
    _common(p, suppress=True)
    p.add_argument("files", nargs="+", metavar="FILE.eml")
    p.add_argument(
        "--json", action="store_true", help="one JSON object per file (array if several)"
    )

    p = add("retry")
    _common(p, suppress=True)
    p.add_argument("ids", nargs="*", type=int, metavar="ID", help="message ids as status shows")
    p.add_argument("--all", action="store_true", help="every failed or quarantined message")
    p.add_argument("--mailbox", metavar="NAME",
                   help="with [[mailboxes]]: the mailbox whose ledger the IDs are from")

    p = add("demo")
    _common(p, suppress=True)

    p = add("completion")
    p.add_argument("shell", choices=["bash"], help="the shell (bash)")
    return parser


def _level(args: argparse.Namespace) -> str:
    if getattr(args, "verbose", False):
        return "DEBUG"
    return (getattr(args, "log_level", None) or "INFO").upper()


def _find_config(args: argparse.Namespace) -> Path | None:
    if getattr(args, "config", None):
        return Path(args.config)
    env = os.environ.get("MAILBRIDGE_CONFIG")
    if env:
        return Path(env)
    for candidate in DEFAULT_CONFIG_PATHS:
        if Path(candidate).is_file():
            return Path(candidate)
    return None


def load_config(args: argparse.Namespace, *, offline: bool = False) -> Any:
    """Load the config; ``offline`` (parse, status, retry) neither needs nor reads the secrets."""
    from bridge import config as config_mod

    path = _find_config(args)
    if path is None:
        raise ConfigError(i18n.t("cli.no_config"))
    env: dict[str, str] | None = None
    if offline:
        env = dict(os.environ)
        # The environment wins over every other source, so no secret file is read (a
        # monitoring user may not be allowed to read them) and none has to exist.
        env["BRIDGE_IMAP_PASSWORD"] = "not-needed-offline"
        env["BITRIX24_WEBHOOK_URL"] = config_mod.OFFLINE_WEBHOOK_URL
        from bridge.alerts.cli import OFFLINE_SECRETS

        env.update(OFFLINE_SECRETS)
    cfg = config_mod.load(path, env, offline=offline)
    i18n.set_language(i18n.resolve(cfg.ui.language))
    _redact_mailbox_secrets(cfg)
    logsetup.REDACTOR.add(cfg.imap.password, *webhook_secrets(cfg.bitrix24.webhook_url))
    logsetup.REDACTOR.add(*cfg.notify.secrets())
    return cfg


def reload_config(path: Path) -> Any:
    """Read the config file and its secrets again (SIGHUP); ConfigError if it is invalid."""
    from bridge import config as config_mod

    cfg = config_mod.load(path)
    _redact_mailbox_secrets(cfg)
    logsetup.REDACTOR.add(cfg.imap.password, *webhook_secrets(cfg.bitrix24.webhook_url))
    logsetup.REDACTOR.add(*cfg.notify.secrets())
    return cfg


def _redact_mailbox_secrets(cfg: Any) -> None:
    """Every [[mailboxes]] entry's password, webhook URL and webhook code are secrets too."""
    from bridge.storeurl import secrets_of

    logsetup.REDACTOR.add(*secrets_of(cfg.store.url))  # the password in store.url
    for box in cfg.mailboxes:
        logsetup.REDACTOR.add(*box.secrets(), *webhook_secrets(box.bitrix24.webhook_url))


def _err(message: str) -> None:
    print(f"mailbridge: {terminal.escape(logsetup.REDACTOR.redact(message))}", file=sys.stderr)


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
    logsetup.setup(_level(args))
    try:
        with terminal.guarded_stdout():  # mail text never drives the terminal
            return _dispatch(args)
    except ConfigError as exc:
        text = str(exc)
        line = getattr(exc, "line", None)
        where = f" (line {line})" if line and f"line {line}" not in text else ""
        _err(i18n.t("cli.config_error", text=f"{text}{where}"))
        return EX_CONFIG
    except (MailboxRejected, CrmSetupError) as exc:
        _err(i18n.t("cli.setup_error", text=exc))
        return EX_CONFIG
    except LedgerCorrupt as exc:  # a setup problem: a restart would only meet it again
        _err(i18n.t("cli.ledger_error", text=exc))
        return EX_CONFIG
    except LockHeld as exc:
        _err(str(exc))
        return EX_TEMPFAIL
    except StoreError as exc:
        _err(i18n.t("cli.ledger_error", text=exc))
        return EX_TEMPFAIL
    except BridgeError as exc:
        _err(str(exc))
        return EX_TEMPFAIL
    except KeyboardInterrupt:
        return EX_OK
    except BrokenPipeError:  # `mailbridge parse x.eml | head`: the reader left, not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EX_OK
    except Exception:
        log.exception("unexpected error (a bug; please report it with this trace)")
        return EX_SOFTWARE


def _dispatch(args: argparse.Namespace) -> int:
    command = args.command
    if command == "parse":
        return cmd_parse(args)
    if command == "demo":
        from bridge.demo import run_demo

        if _level(args) == "INFO":
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

    path = _find_config(args)
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


def _dispatch_many(args: argparse.Namespace, cfg: Any) -> int:
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


# -- composition root -------------------------------------------------------------------


def pipeline_settings(cfg: Any) -> Any:
    from bridge.leads import LeadSettings
    from bridge.pipeline import Settings

    b = cfg.bitrix24
    return Settings(
        folder=cfg.imap.folder,
        processed_folder=cfg.imap.processed_folder,
        since_days=cfg.imap.since_days,
        file_field=cfg.attachments.field,
        health_interval=cfg.bitrix24.health_interval,
        lead=LeadSettings(
            title=b.title,
            source_id=b.source_id,
            source_description=b.source_description,
            responsible_user_id=b.responsible_user_id,
        ),
        parse=cfg.parse_options(),
        senders=cfg.filter.senders,
        dedupe_window=timedelta(minutes=cfg.dedupe.window_minutes),
        max_attempts=cfg.retry.max_attempts,
        backoff_base=cfg.retry.backoff_base,
        backoff_cap=cfg.retry.backoff_cap,
        unknown_wait=min(cfg.retry.backoff_base, b.timeout),
        batch=b.batch,
        max_request_seconds=b.max_request_seconds,
        crm=cfg.crm,
        routes=cfg.routes,
    )


def make_crm(cfg: Any, bucket: Any = None) -> Any:
    """The Bitrix24 client; ``bucket`` shares one portal's rate limit between mailboxes."""
    from bridge.crm import Bitrix24Client
    from bridge.pglock import fence_for
    from bridge.ratelimit import LeakyBucket

    b = cfg.bitrix24
    client = Bitrix24Client(
        b.webhook_url,
        timeout=b.timeout,
        ca_file=b.ca_file,
        bucket=bucket if bucket is not None else LeakyBucket(b.rate_per_second, b.burst),
    )
    client.fence = fence_for(cfg.store)  # with store.url: never send past the lease
    return client


def mailbox_factory(cfg: Any) -> Any:
    from bridge.mailbox import ImapMailbox

    def connect() -> Any:
        mailbox = ImapMailbox(cfg.imap)
        mailbox.connect()
        return mailbox

    return connect


def lock_for(cfg: Any) -> Any:
    from bridge.lock import InstanceLock

    path = Path(cfg.store.path)
    if getattr(cfg.store, "url", ""):  # a PostgreSQL ledger may be reached from other hosts
        from bridge.pglock import PgProcessorLock

        # no SQLite file to lock here: the lock file, and the database's own lock
        return PgProcessorLock(InstanceLock(path.with_name(path.name + ".lock")), cfg.store.url,
                               cfg.store.schema, cfg.store.takeover_seconds)
    # bridge.db.lock, and bridge.db itself: the lock holds if its file is removed
    return InstanceLock(path.with_name(path.name + ".lock"), ledger=path)


def open_ledger(cfg: Any) -> Any:
    from bridge.store import Ledger

    if getattr(cfg.store, "url", ""):  # the ledger on PostgreSQL (store.url)
        return Ledger.open_url(cfg.store.url, Path(cfg.store.path), cfg.store.schema)
    return Ledger.open(Path(cfg.store.path))


def exit_code(report: Any, quarantined_now: int) -> int:
    if report.waiting:
        return EX_TEMPFAIL
    if quarantined_now:
        return EX_DATAERR
    return EX_OK


def summary_line(report: Any) -> str:
    from bridge.unrecognised import summary_text

    whole = getattr(report, "unrecognised", None) or {}
    return (
        f"poll: fetched={report.fetched} created={report.created} "
        f"duplicates={report.duplicates} skipped={report.skipped} "
        f"quarantined={report.quarantined} waiting={report.waiting} "
        f"mailbox_updated={report.finished}"
        + (f" unrecognised={sum(whole.values())} unrecognised_by_sender={summary_text(whole)}"
           if whole else "")
    )


def human_summary(report: Any) -> str:
    """The summary line a person reads (ui.language), ending with what failed, if anything."""
    t = i18n.t
    line = t("summary.line", fetched=report.fetched, created=report.created,
             duplicates=report.duplicates, skipped=report.skipped,
             quarantined=report.quarantined, waiting=report.waiting, finished=report.finished)
    whole = getattr(report, "unrecognised", None) or {}
    if whole:
        from bridge.unrecognised import summary_text

        line += t("summary.unrecognised", n=sum(whole.values()), senders=summary_text(whole))
    failed = [t("summary.failed_mailbox", error=e.removeprefix("mailbox unavailable: "))
              for e in report.errors]
    if report.quarantined:
        failed.append(t("summary.failed_quarantined", n=report.quarantined))
    if report.waiting and not report.errors:
        failed.append(t("summary.failed_waiting", n=report.waiting))
    return line + (t("summary.failed", what="; ".join(failed)) if failed else "")


def _progress_line() -> Any:
    """A ProgressLine on stderr when it is a terminal (not the journal), else None."""
    from bridge.notify import under_systemd
    from bridge.progress import ProgressLine

    if not sys.stderr.isatty() or under_systemd(os.environ):
        return None
    return ProgressLine(sys.stderr).attach()


def _wire_progress(pipeline: Any, line: Any) -> None:
    """Show fetched and sent counts for the whole run on ``line``."""
    counts = {"fetched": 0, "total": 0, "sent": 0, "due": 0}

    def draw() -> None:
        line.show(i18n.t("progress.line", **counts))

    def fetched(done: int, total: int) -> None:
        counts.update(fetched=done, total=total)
        draw()

    def sent(done: int, due: int) -> None:
        counts.update(sent=done, due=due)
        draw()

    pipeline.progress, pipeline.push_progress = fetched, sent


def _take_lock(cfg: Any) -> Any:
    """The ledger lock; while another process holds it, say who and wait up to LOCK_WAIT."""
    from bridge.lock import describe_holder

    lock = lock_for(cfg)
    try:
        lock.acquire(wait=0)
    except LockHeld:
        _err(i18n.t("cli.lock_waiting", holder=describe_holder(lock.holder_pid()),
                    seconds=f"{LOCK_WAIT:g}"))
        lock.acquire(wait=LOCK_WAIT)
    return lock


def cmd_poll_now(cfg: Any) -> int:
    from bridge.alerts.runtime import Runtime
    from bridge.health import for_config, poll_now_recheck
    from bridge.pipeline import Pipeline

    lock = _take_lock(cfg)
    progress = None
    try:
        ledger = open_ledger(cfg)
        ledger.open_session()
        runtime = Runtime.build(cfg, ledger, serve=False)
        crm = runtime.crm(make_crm(cfg))
        pipeline = Pipeline(
            pipeline_settings(cfg), ledger, crm, runtime.mailbox_factory(mailbox_factory(cfg)),
            on_lead=runtime.monitor.lead_created,
        )
        progress = _progress_line()
        if progress is not None:
            _wire_progress(pipeline, progress)
        health = for_config(cfg, crm, ledger, pipeline)
        report = None

        def once() -> Any:
            try:
                return health.run_pass(pipeline, recheck=poll_now_recheck(health))
            finally:
                pipeline.close()

        try:
            report = runtime.poll(once)
            blocked = health.reason
        finally:
            record_poll(ledger, report)
            forget_old(ledger, cfg)
            runtime.monitor.tick()  # the health file now has this run's outcome
            runtime.close()
            ledger.close_session()
            ledger.close()
    finally:
        if progress is not None:
            progress.finish()
        lock.release()
    print(human_summary(report))
    if blocked:
        _err(i18n.t("cli.blocked", why=blocked))
        return EX_CONFIG
    return exit_code(report, report.quarantined)


def forget_old(ledger: Any, cfg: Any) -> None:
    """store.keep_days: finished rows older than that lose the client's data."""
    ledger.forget_client_data(datetime.now(UTC) - timedelta(days=cfg.store.keep_days))


def reopen_if_replaced(ledger: Any, lock: Any) -> bool:
    """The ledger file was deleted, moved away or replaced under us: never write into the
    lost file. Lock and open, in place, what is at ``store.path`` now (a new ledger if nothing
    is), so everything holding the ledger uses the new file; its generation check makes the
    next pass a first pass (bridge.generation)."""
    if not ledger.replaced():
        return False
    log.warning("ledger.replaced path=%s (reopening; the next pass looks mail up first)",
                ledger.path)
    ledger.close()
    lock.relock_ledger()
    ledger.reopen()
    ledger.open_session()
    return True


def record_poll(ledger: Any, report: Any) -> None:
    now = datetime.now(UTC).isoformat(timespec="seconds")
    ledger.set_meta("last_poll_at", now)
    result = "failed" if report is None else summary_line(report)
    ledger.set_meta("last_poll_result", result)
    ok = report is not None and not report.errors  # the mailbox was read, the pass finished
    ledger.set_meta("last_poll_ok", "1" if ok else "0")
    if ok:
        ledger.set_meta("last_success_at", now)


# -- parse ------------------------------------------------------------------------------


def cmd_parse(args: argparse.Namespace) -> int:
    from bridge.dedupe import find_first
    from bridge.model import ParseOptions
    from bridge.parsing import parse_message
    from bridge.parsing.report import to_json
    from bridge.pipeline import summary

    options = ParseOptions()
    window = timedelta(minutes=10)
    cfg = None
    if getattr(args, "config", None):
        cfg = load_config(args, offline=True)
        options = cfg.parse_options()
        window = timedelta(minutes=cfg.dedupe.window_minutes)
    results: list[dict[str, Any]] = []
    history: list[tuple[str, Any, Any]] = []
    code = EX_OK
    for name in args.files:
        path = Path(name)
        if not path.is_file():
            _err(i18n.t("cli.no_such_file", name=name))
            return EX_NOINPUT
        raw = path.read_bytes()
        base = path.name.removesuffix(".eml")
        try:
            parsed = parse_message(raw, options)
        except ParseError as exc:
            _err(i18n.t("cli.not_a_message", name=name, error=exc))
            code = EX_DATAERR
            results.append({"file": name, "error": str(exc)})
            continue
        _, when = summary(raw, None)
        first = find_first(parsed, when, history, window)
        history.append((base, parsed, when))
        item = to_json(parsed, duplicate_of=first)
        if first is not None:
            item["create_lead"] = False
            item["duplicate_of"] = first
            item["reason"] = "double click"
        if cfg is not None:  # which [[routes]] table matched (bridge.crm_target)
            from bridge.crm_target import route_report

            item["route"] = route_report(cfg, raw, parsed)
        item = {"file": name, **item}
        results.append(item)
    if args.json:
        payload: Any = results[0] if len(results) == 1 else results
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        for item in results:
            print(_human(item))
    return code


def _human(item: dict[str, Any]) -> str:
    if "error" in item:
        return f"{item['file']}: not a readable message ({item['error']})"
    lines = [f"{item['file']}:"]
    verdict = "creates a lead" if item.get("create_lead") else (
        f"no lead ({item.get('reason') or 'not a form'})"
    )
    lines.append(f"  {verdict}")
    if item.get("route"):
        r = item["route"]
        lines.append(f"  route: {r['route']} -> {r['target']}"
                     + (f" (funnel {r['category_id']})" if r["target"] == "deal" else ""))
    for key in ("name", "phone", "email"):
        lines.append(f"  {key}: {item.get(key) or '-'}")
    if item.get("other_phones"):
        lines.append(f"  other phones: {', '.join(item['other_phones'])}")
    if item.get("phone_extension"):
        lines.append(f"  extension: {item['phone_extension']}")
    message = item.get("message") or "-"
    if len(message) > 300:
        message = message[:300] + f"… ({len(message)} characters)"
    lines.append("  message: " + message.replace("\n", "\n           "))
    for label, value in (item.get("extra") or {}).items():
        lines.append(f"  {label}: {value}")
    for a in item.get("attachments") or []:
        lines.append(f"  file: {a['filename']} ({a['size']} bytes)")
    for r in item.get("rejected_attachments") or []:
        lines.append(f"  not attached: {r['filename']} ({r['reason']})")
    return "\n".join(lines)


# -- status and retry -------------------------------------------------------------------


def _age(delta: timedelta | None) -> str | None:
    if delta is None:
        return None
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return i18n.t("status.age.s", n=seconds)
    if seconds < 7200:
        return i18n.t("status.age.m", n=seconds // 60)
    if seconds < 172800:
        return i18n.t("status.age.h", n=seconds // 3600)
    return i18n.t("status.age.d", n=seconds // 86400)


def cmd_status(cfg: Any, as_json: bool) -> int:
    from bridge.crm_items import entity_of, recent_created
    from bridge.unrecognised import per_sender

    ledger = open_ledger(cfg)
    try:
        now = datetime.now(UTC)
        counts = ledger.counts()
        errors = ledger.recent_errors(limit=5)
        oldest = ledger.oldest_waiting(now)
        data = {
            "states": counts,
            "last_poll_at": ledger.get_meta("last_poll_at"),
            "last_poll_result": ledger.get_meta("last_poll_result"),
            "oldest_waiting_seconds": int(oldest.total_seconds()) if oldest else None,
            "blocked": _blocked_state(ledger),
            "unrecognised_by_sender": per_sender(ledger),
            "errors": [
                {
                    "id": r.id,
                    "state": r.state,
                    "subject": r.subject,
                    "date": r.msg_date.isoformat() if r.msg_date else None,
                    "error": r.error or r.reason,
                    "attempts": r.attempts,
                    "entity": entity_of(ledger, r),  # "lead" or "deal" (bridge.crm_items)
                }
                for r in errors
            ],
            "recent_created": recent_created(ledger),
        }
        from bridge.healthfile import status_fields

        data.update(status_fields(ledger, now))
    finally:
        ledger.close()
    if cfg.store.url and not cfg.store.schema:  # who owns the shared ledger (bridge.lease)
        from bridge.ownership import owner_json, owner_line, owners

        holder = owners(cfg.store.url).get("default")
        data["owner"] = owner_json(holder)
        if not as_json:
            print(owner_line(holder))
    if as_json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return EX_OK
    print_status(data, counts, oldest)
    return EX_OK


_STATES = ("received", "parsed", "pushing", "created", "duplicate", "skipped", "failed",
           "quarantined")


def print_status(data: dict[str, Any], counts: dict[str, int], oldest: timedelta | None) -> None:
    """`status` for a person, in the ui.language."""
    t = i18n.t
    total = sum(counts.values())
    print(t("status.messages", n=total))
    for state in _STATES:
        if counts.get(state):
            print(f"  {t('status.state.' + state)}: {counts[state]}")
    print(t("status.last_poll", when=data["last_poll_at"] or t("status.never"))
          + (f" ({data['last_poll_result']})" if data["last_poll_result"] else ""))
    print(t("status.oldest", age=_age(oldest) or t("status.none")))
    if data["blocked"]:
        print(t("status.blocked", since=data["blocked"]["since"],
                why=blocked_why(data["blocked"]["why"])))
        print("  " + t("status.blocked_note"))
    if data.get("unrecognised_by_sender"):
        print(t("status.unrecognised"))
        for sender, n in data["unrecognised_by_sender"].items():
            print(f"  {sender}: {n}")
    if counts.get("quarantined"):
        print(t("status.quarantined_hint", n=counts["quarantined"]))
    if data["errors"]:
        print(t("status.problems"))
        for e in data["errors"]:
            state = t("status.state." + e["state"]) if e["state"] in _STATES else e["state"]
            print(f"  #{e['id']} {state} {e['date'] or '?'} \"{e['subject'] or ''}\": "
                  f"{e['error']}")
    if data.get("recent_created"):
        print(t("status.created_items"))
        for c in data["recent_created"]:
            kind = t("status.entity.deal") if c["entity"] == "deal" else t("status.entity.lead")
            print(f"  #{c['id']} {kind} {c['crm_id']} "
                  f"{c['date'] or '?'} \"{c['subject'] or ''}\"")


def blocked_why(why: str) -> str:
    """The recorded (English) reason of a block, said from the catalogue when it is one of the
    common ones: simple CRM mode, or a webhook the portal rejects."""
    import re

    from bridge.health import SIMPLE_MODE_FIX

    if i18n.language() == "en":
        return why  # the recorded text itself (it names the method too)
    if why == SIMPLE_MODE_FIX:
        return i18n.t("check.crm.simple_mode")
    m = re.match(r"(?:[\w.]+: )?webhook rejected: ([A-Za-z_]+)", why)
    if m:
        return i18n.t("check.crm.webhook_rejected", code=m.group(1))
    return why


def _blocked_state(ledger: Any) -> dict[str, str] | None:
    """The portal-wide block the daemon or --poll-now recorded (None when not blocked)."""
    from bridge.health import BLOCKED, CHECKED, SINCE

    why = ledger.get_meta(BLOCKED)
    if not why:
        return None
    return {"why": why, "since": ledger.get_meta(SINCE) or "?",
            "checked_at": ledger.get_meta(CHECKED) or "?"}


def cmd_retry(cfg: Any, ids: Sequence[int], all_: bool) -> int:
    if not ids and not all_:
        _err(i18n.t("retry.usage"))
        return EX_USAGE
    ledger = open_ledger(cfg)
    try:
        unknown = [] if all_ else [i for i in dict.fromkeys(ids) if ledger.by_id(i) is None]
        if unknown:
            _err(i18n.t("retry.unknown", ids=", ".join(f"#{i}" for i in unknown)))
            return EX_DATAERR
        rows = ledger.retry(None if all_ else list(ids))
    finally:
        ledger.close()
    if not rows:
        print(i18n.t("retry.nothing" if all_ else "retry.nothing_ids"))
        return EX_OK
    for r in rows:
        print(i18n.t("retry.due", id=r.id, subject=r.subject or "",
                     was=r.reason or r.error or r.state))
    print(i18n.t("retry.total", n=len(rows)))
    return EX_OK
