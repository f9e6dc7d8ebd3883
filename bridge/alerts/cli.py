"""The commands of this package: `status --health` and `notify-test` (SPEC §1)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from bridge.alerts.channels import Notice, build_channels
from bridge.alerts.dispatch import send_now
from bridge.alerts.settings import (
    OFFLINE_SECRETS,
    load_notify,
)
from bridge.errors import ConfigError
from bridge.healthfile import evaluate, health_path, read_health
from bridge.i18n import t
from bridge.logsetup import REDACTOR


def cmd_health(args: Any, out: IO[str] | None = None) -> int:
    """`status --health`: one line and the monitoring exit code (0, 65, 75, 78)."""
    import sys

    from bridge import config as config_mod
    from bridge.app import find_config

    out = out or sys.stdout
    path = find_config(getattr(args, "config", None))
    try:
        if path is None:
            raise ConfigError("no config file")
        env = {**os.environ, **{k: v for k, v in OFFLINE_SECRETS.items()
                                if not os.environ.get(k)}}
        cfg = config_mod.load(path, env, offline=True)  # no mailbox's secret is read
    except ConfigError as exc:
        print(f"unhealthy: no usable config ({exc})", file=out)
        return 78
    except PermissionError as exc:  # a private state folder (DynamicUser=) is checked on load
        print(f"cannot read {exc.filename}: permission denied; run the check as the "
              "service's user or root", file=out)
        return 78
    now = datetime.now(UTC)
    if cfg.mailboxes:  # one health file per mailbox's ledger; the worst code wins
        from bridge.multibox import combine, per_mailbox

        codes = []
        for box, box_cfg in per_mailbox(cfg):
            try:
                data = read_health(health_path(Path(box_cfg.store.path)))
            except PermissionError:
                print(f"{box.name}: cannot read its health file: permission denied", file=out)
                codes.append(78)
                continue
            verdict = evaluate(data, stall_minutes=cfg.notify.stall_minutes, now=now)
            print(f"{box.name}: {verdict.text}", file=out)
            codes.append(verdict.code)
        return combine(codes)
    path = health_path(Path(cfg.store.path))
    try:
        data = read_health(path)
    except PermissionError:
        print(f"cannot read {path}: permission denied; run the check as the service's user "
              "or root", file=out)
        return 78
    verdict = evaluate(data, stall_minutes=cfg.notify.stall_minutes, now=now)
    print(verdict.text, file=out)
    return verdict.code


def test_notice() -> Notice:
    now = datetime.now(UTC).isoformat(timespec="seconds")
    return Notice("test", "test", "", t("notify_test.subject"),
                  t("notify_test.body", at=now), {"at": now})


def cmd_notify_test(cfg: Any, out: IO[str], **retry: Any) -> int:
    """Send one test notice on every channel; 0 all sent, 69 unreachable, 78 misconfigured."""
    try:
        channels = build_channels(cfg.notify)
    except ConfigError as exc:
        print(f"✗ {exc}", file=out)
        return 78
    if not channels:
        print(t("notify_test.none"), file=out)
        return 78
    retry.setdefault("attempts", 1)
    results = send_now(channels, test_notice(), **retry)
    for channel in channels:
        close = getattr(channel, "close", None)
        if close is not None:
            close()
    code = 0
    for r in results:
        if r.outcome == "sent":
            print(t("notify_test.sent", channel=r.channel), file=out)
        else:
            print(t("notify_test.failed", channel=r.channel, outcome=r.outcome,
                    detail=REDACTOR.redact(r.detail)), file=out)
            code = 78 if r.outcome == "misconfigured" or code == 78 else 69
    return code


def notify_only(path: Path) -> Any:
    """The [notify] section alone, for when the whole file does not load (a start-up config
    error): the channels may still be fine. ConfigError when even they are not."""
    import tomllib

    from bridge import config as config_mod

    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read as TOML ({type(exc).__name__})") from None
    loader = config_mod._Loader(path.absolute(), text, data, os.environ)
    return load_notify(loader)


def cmd_notify_failure(args: Any, out: IO[str]) -> int:
    """`notify-failure UNIT` (systemd OnFailure=): tell every channel that the unit failed."""
    from bridge.app import find_config

    path = find_config(getattr(args, "config", None))
    if path is None:
        print("✗ no config file", file=out)
        return 78
    try:
        notify = notify_only(Path(path))
    except ConfigError as exc:
        print(f"✗ the [notify] section does not load either: {exc}", file=out)
        return 78
    REDACTOR.add(*notify.secrets())
    channels = build_channels(notify)
    if not channels:
        print("✗ no notification channel configured", file=out)
        return 78
    unit = args.unit
    status = os.environ.get("MONITOR_EXIT_STATUS", "")
    result = os.environ.get("MONITOR_SERVICE_RESULT", "")
    how = ", ".join(x for x in (f"result {result}" if result else "",
                                f"exit status {status}" if status else "") if x)
    hint = " (a configuration error: the log names the key)" if status in ("78", "CONFIG") else ""
    notice = Notice(
        "alarm", "service_failed", unit, f"ALARM: {unit} failed",
        f"{unit} stopped{' (' + how + ')' if how else ''}{hint} and is not running.\n"
        f"fix: see `journalctl -u {unit} -p warning`, fix it, then "
        f"`systemctl restart {unit}`", {"result": result, "exit_status": status},
    )
    results = send_now(channels, notice, attempts=3, backoff=2.0, max_wait=30.0)
    code = 0
    for r in results:
        mark = "✓" if r.outcome == "sent" else "✗"
        print(f"{mark} {r.channel}: {r.outcome} {REDACTOR.redact(r.detail)}".rstrip(), file=out)
        if r.outcome != "sent":
            code = 78 if r.outcome == "misconfigured" or code == 78 else 69
    return code
