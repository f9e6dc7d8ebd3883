"""``--poll-now``: one pass over the mailbox under the ledger lock, and its summary line."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

from bridge import app, i18n
from bridge.cli.common import EX_CONFIG, EX_DATAERR, EX_OK, EX_TEMPFAIL, err
from bridge.errors import LockHeld
from bridge.model import PollReport

if TYPE_CHECKING:
    from bridge.config import Config


def cmd_poll_now(cfg: Config) -> int:
    """One pass (retries due included); the summary on stdout; 0, 65, 75 or 78 (blocked)."""
    lock = _take_lock(cfg)
    try:
        wired = app.MailboxApp(cfg, lock, serve=False)
    except BaseException:  # wiring failed (even interrupted): free the lock, then re-raise
        lock.release()
        raise
    progress = _progress_line()
    try:
        if progress is not None:
            _wire_progress(wired.pipeline, progress)
        report, blocked = _one_pass(wired)
    finally:
        if progress is not None:
            progress.finish()
    print(human_summary(report))
    if blocked:
        err(i18n.t("cli.blocked", why=blocked))
        return EX_CONFIG
    return exit_code(report, report.quarantined)


def _one_pass(wired: app.MailboxApp) -> tuple[PollReport, str | None]:
    """The pass (the portal re-checked when due), recorded in the ledger; then all closed."""
    from bridge.health import poll_now_recheck

    health, pipeline = wired.health, wired.pipeline

    def once() -> Any:
        try:
            return health.run_pass(pipeline, recheck=poll_now_recheck(health))
        finally:
            pipeline.close()

    report = None
    try:
        report = wired.runtime.poll(once)
        return report, health.reason
    finally:
        app.record_poll(wired.ledger, report)
        app.forget_old(wired.ledger, wired.cfg)
        wired.runtime.monitor.tick()  # the health file now has this run's outcome
        wired.close()


def _take_lock(cfg: Config) -> Any:
    """The ledger lock; while another process holds it, say who and wait up to LOCK_WAIT."""
    from bridge.lock import describe_holder

    lock = app.lock_for(cfg)
    try:
        lock.acquire(wait=0)
    except LockHeld:
        err(i18n.t("cli.lock_waiting", holder=describe_holder(lock.holder_pid()),
                   seconds=f"{app.LOCK_WAIT:g}"))
        lock.acquire(wait=app.LOCK_WAIT)
    return lock


def exit_code(report: PollReport, quarantined_now: int) -> int:
    """75 while something waits for a retry, else 65 when a message was quarantined, else 0."""
    if report.waiting:
        return EX_TEMPFAIL
    if quarantined_now:
        return EX_DATAERR
    return EX_OK


def human_summary(report: PollReport) -> str:
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
