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

from bridge import logsetup, terminal
from bridge.errors import (
    BridgeError,
    ConfigError,
    CrmSetupError,
    LockHeld,
    MailboxRejected,
    ParseError,
    StoreError,
)

log = logging.getLogger(__name__)

EX_OK = 0
EX_SOFTWARE = 1
EX_DATAERR = 65
EX_NOINPUT = 66
EX_UNAVAILABLE = 69
EX_TEMPFAIL = 75
EX_CONFIG = 78

DEFAULT_CONFIG_PATHS = ("config.toml", "/etc/mailbridge/config.toml")
# How long a --poll-now waits for the ledger lock (SPEC: 60 s); tests shorten it.
LOCK_WAIT = float(os.environ.get("MAILBRIDGE_LOCK_WAIT", "60"))
NO_CONFIG_HINT = (
    "no config file: pass --config PATH (start from config.toml.example), "
    "or run `mailbridge demo` to see it work without one"
)


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
    parser = argparse.ArgumentParser(
        prog="mailbridge",
        description="Turns website form e-mails into Bitrix24 leads. Without a subcommand it "
        "runs the daemon (IMAP IDLE plus scheduled polls) until SIGTERM/SIGINT.",
    )
    _common(parser, suppress=False)
    parser.add_argument(
        "--poll-now", action="store_true",
        help="one pass: fetch everything new, process it, retry what is due, print a summary",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("check", help="verify the whole setup against the real services")
    _common(p, suppress=True)

    p = sub.add_parser("status", help="messages per state, last poll, newest errors")
    _common(p, suppress=True)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument(
        "--health", action="store_true",
        help="read the daemon's health file; exit 0 healthy, 65 a message needs a person "
        "(24 h), 75 no successful poll or mail waiting too long, 78 blocked or no config",
    )

    p = sub.add_parser(
        "notify-test",
        help="send one test message on every notification channel (0 sent, 69 unreachable, "
        "78 misconfigured)",
    )
    _common(p, suppress=True)

    p = sub.add_parser(
        "notify-failure",
        help="for systemd OnFailure=: tell every notification channel that UNIT failed "
        "(works with only the [notify] section of a broken config)",
    )
    _common(p, suppress=True)
    p.add_argument("unit", metavar="UNIT", help="the failed unit, e.g. mailbridge.service")

    p = sub.add_parser(
        "parse", help="parse .eml files offline and show what each lead would be (sends nothing)"
    )
    _common(p, suppress=True)
    p.add_argument("files", nargs="+", metavar="FILE.eml")
    p.add_argument(
        "--json", action="store_true", help="one JSON object per file (array if several)"
    )

    p = sub.add_parser("retry", help="make failed or quarantined messages due again now")
    _common(p, suppress=True)
    p.add_argument("ids", nargs="*", type=int, metavar="ID", help="message ids as status shows")
    p.add_argument("--all", action="store_true", help="every failed or quarantined message")

    p = sub.add_parser(
        "demo", help="bundled sample form e-mails -> a bundled local Bitrix24 sandbox"
    )
    _common(p, suppress=True)
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
        raise ConfigError(NO_CONFIG_HINT)
    env: dict[str, str] | None = None
    if offline:
        env = dict(os.environ)
        # The environment wins over every other source, so no secret file is read (a
        # monitoring user may not be allowed to read them) and none has to exist.
        env["BRIDGE_IMAP_PASSWORD"] = "not-needed-offline"
        env["BITRIX24_WEBHOOK_URL"] = "https://offline.invalid/rest/1/XXXXXXXXXXXXXXXX/"
        from bridge.alerts.cli import OFFLINE_SECRETS

        env.update(OFFLINE_SECRETS)
    cfg = config_mod.load(path, env)
    logsetup.REDACTOR.add(cfg.imap.password, cfg.bitrix24.webhook_url)
    code = cfg.bitrix24.webhook_url.rstrip("/").rpartition("/")[2]
    logsetup.REDACTOR.add(code)
    logsetup.REDACTOR.add(*cfg.notify.secrets())
    return cfg


def reload_config(path: Path) -> Any:
    """Read the config file and its secrets again (SIGHUP); ConfigError if it is invalid."""
    from bridge import config as config_mod

    cfg = config_mod.load(path)
    code = cfg.bitrix24.webhook_url.rstrip("/").rpartition("/")[2]
    logsetup.REDACTOR.add(cfg.imap.password, cfg.bitrix24.webhook_url, code)
    logsetup.REDACTOR.add(*cfg.notify.secrets())
    return cfg


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
    parser = build_parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    logsetup.setup(_level(args))
    try:
        with terminal.guarded_stdout():  # mail text never drives the terminal
            return _dispatch(args)
    except ConfigError as exc:
        text = str(exc)
        line = getattr(exc, "line", None)
        where = f" (line {line})" if line and f"line {line}" not in text else ""
        _err(f"configuration error: {text}{where}")
        return EX_CONFIG
    except (MailboxRejected, CrmSetupError) as exc:
        _err(f"setup error: {exc}")
        return EX_CONFIG
    except LockHeld as exc:
        _err(str(exc))
        return EX_TEMPFAIL
    except StoreError as exc:
        _err(f"ledger error: {exc}")
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
    # status and retry read only the ledger: they need neither the password nor the webhook
    cfg = load_config(args, offline=command in ("status", "retry"))
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
    )


def make_crm(cfg: Any) -> Any:
    from bridge.crm import Bitrix24Client
    from bridge.ratelimit import LeakyBucket

    b = cfg.bitrix24
    return Bitrix24Client(
        b.webhook_url,
        timeout=b.timeout,
        ca_file=b.ca_file,
        bucket=LeakyBucket(b.rate_per_second, b.burst),
    )


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
    return InstanceLock(path.with_name(path.name + ".lock"))


def open_ledger(cfg: Any) -> Any:
    from bridge.store import Ledger

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


def _progress_printer() -> Any:
    from bridge.notify import under_systemd

    if not sys.stderr.isatty() or under_systemd(os.environ):
        return None

    def show(done: int, total: int) -> None:
        if total >= 20:
            end = "\n" if done == total else ""
            print(f"\rfetched {done}/{total}", end=end, file=sys.stderr, flush=True)

    return show


def cmd_poll_now(cfg: Any) -> int:
    from bridge.alerts.runtime import Runtime
    from bridge.health import for_config, poll_now_recheck
    from bridge.pipeline import Pipeline

    lock = lock_for(cfg)
    lock.acquire(wait=LOCK_WAIT)
    try:
        ledger = open_ledger(cfg)
        runtime = Runtime.build(cfg, ledger, serve=False)
        crm = runtime.crm(make_crm(cfg))
        pipeline = Pipeline(
            pipeline_settings(cfg), ledger, crm, runtime.mailbox_factory(mailbox_factory(cfg)),
            progress=_progress_printer(), on_lead=runtime.monitor.lead_created,
        )
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
            runtime.monitor.tick()  # the health file now has this run's outcome
            runtime.close()
            ledger.close()
    finally:
        lock.release()
    print(summary_line(report))
    if blocked:
        _err(f"blocked: {blocked}")
        return EX_CONFIG
    return exit_code(report, report.quarantined)


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
            _err(f"{name}: no such file")
            return EX_NOINPUT
        raw = path.read_bytes()
        base = path.name.removesuffix(".eml")
        try:
            parsed = parse_message(raw, options)
        except ParseError as exc:
            _err(f"{name}: not a readable message: {exc}")
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
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    if seconds < 172800:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def cmd_status(cfg: Any, as_json: bool) -> int:
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
                }
                for r in errors
            ],
        }
        from bridge.healthfile import status_fields

        data.update(status_fields(ledger, now))
    finally:
        ledger.close()
    if as_json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return EX_OK
    total = sum(counts.values())
    print(f"messages: {total}")
    for state in ("received", "parsed", "pushing", "created", "duplicate", "skipped",
                  "failed", "quarantined"):
        if counts.get(state):
            print(f"  {state}: {counts[state]}")
    print(f"last poll: {data['last_poll_at'] or 'never'}"
          + (f" ({data['last_poll_result']})" if data["last_poll_result"] else ""))
    print(f"oldest waiting for a retry: {_age(oldest) or 'none'}")
    if data["blocked"]:
        print(f"BLOCKED since {data['blocked']['since']}: {data['blocked']['why']}")
        print("  new mail is kept in the ledger and sent when the portal accepts again")
    if data["unrecognised_by_sender"]:
        print("leads made from the whole text (form fields not recognised; has the site's "
              "template changed?):")
        for sender, n in data["unrecognised_by_sender"].items():
            print(f"  {sender}: {n}")
    if counts.get("quarantined"):
        print(f"needs a person: {counts['quarantined']} quarantined message(s); fix the cause "
              "(see below), then `mailbridge retry --all` (or retry ID...)")
    if data["errors"]:
        print("newest problems:")
        for e in data["errors"]:
            print(f"  #{e['id']} {e['state']} {e['date'] or '?'} \"{e['subject'] or ''}\": "
                  f"{e['error']}")
    return EX_OK


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
        _err("retry: name message IDs (as `status` shows them) or use --all")
        return EX_DATAERR
    ledger = open_ledger(cfg)
    try:
        rows = ledger.retry(None if all_ else list(ids))
    finally:
        ledger.close()
    if not rows:
        print("nothing to retry: no failed or quarantined messages" + (
            "" if all_ else " with those IDs"))
        return EX_OK
    for r in rows:
        print(f"due now: #{r.id} \"{r.subject or ''}\" (was: {r.reason or r.error or r.state})")
    print(f"{len(rows)} message(s) will be processed by the next poll")
    return EX_OK
