"""Sending notices without ever holding up a lead: a bounded queue and one sender thread.

``Dispatcher.submit(notice)`` only puts the notice on a bounded queue and returns at once;
a full queue drops the notice (logged). The sender thread tries each channel a few times:
after a 429 it waits what the service asked (``retry_after``, capped), after a timeout or a
5xx a short backoff; a misconfigured channel is not retried. Every failure is logged with the
channel and the reason, never the channel's secrets or the notice's text.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bridge.alerts.channels import Channel, Notice
from bridge.errors import ChannelMisconfigured, ChannelUnreachable, NotifyError

log = logging.getLogger(__name__)

QUEUE_MAX = 500


@dataclass(frozen=True, slots=True)
class Result:
    """What happened to one notice on one channel: "sent", "unreachable" or "misconfigured"."""

    channel: str
    outcome: str
    detail: str = ""


def send_with_retries(
    channel: Channel,
    notice: Notice,
    *,
    attempts: int = 3,
    backoff: float = 2.0,
    max_wait: float = 60.0,
    wait: Callable[[float], bool] | None = None,
) -> Result:
    """Send on one channel with bounded retries; ``wait(seconds)`` returns True to give up."""
    stop = threading.Event()
    waiter = wait or stop.wait
    detail = ""
    for attempt in range(1, attempts + 1):
        try:
            channel.send(notice)
            return Result(channel.name, "sent")
        except ChannelMisconfigured as exc:
            return Result(channel.name, "misconfigured", str(exc))
        except ChannelUnreachable as exc:
            detail = str(exc)
            if attempt == attempts:
                break
            delay = exc.retry_after if exc.retry_after is not None else backoff * attempt
            if delay > max_wait:
                detail += f" (asked to wait {delay:g} s, more than {max_wait:g})"
                break
            if waiter(max(delay, 0.0)):
                break
        except NotifyError as exc:
            return Result(channel.name, "unreachable", str(exc))
    return Result(channel.name, "unreachable", detail)


class Dispatcher:
    """A background sender for notices; ``submit`` never blocks and never raises."""

    def __init__(
        self,
        channels: Sequence[Channel],
        *,
        attempts: int = 3,
        backoff: float = 2.0,
        max_wait: float = 60.0,
        on_result: Callable[[Notice, Result], None] | None = None,
    ) -> None:
        self.channels = list(channels)
        self.attempts = attempts
        self.backoff = backoff
        self.max_wait = max_wait
        self.on_result = on_result
        self._queue: queue.Queue[Notice | None] = queue.Queue(maxsize=QUEUE_MAX)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Dispatcher:
        if self.channels and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="notify", daemon=True)
            self._thread.start()
        return self

    def set_channels(self, channels: Sequence[Channel]) -> None:
        """Use new channels from the next notice on (a reload). The old ones are left to the
        garbage collector: the sender thread may still be using one."""
        self.channels = list(channels)
        self.start()

    def submit(self, notice: Notice) -> None:
        if not self.channels:
            return
        try:
            self._queue.put_nowait(notice)
        except queue.Full:
            log.error("notify.dropped kind=%s event=%s reason=queue_full", notice.kind,
                      notice.event)

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until every submitted notice was tried (for tests and shutdown)."""
        done = threading.Event()

        def wait_for_queue() -> None:
            self._queue.join()
            done.set()

        threading.Thread(target=wait_for_queue, daemon=True).start()
        return done.wait(timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Stop the sender; notices still queued after ``timeout`` are given up (logged)."""
        self.drain(timeout)
        self._stop.set()
        if self._thread is not None:
            with contextlib.suppress(queue.Full):  # the thread sees _stop after its notice
                self._queue.put_nowait(None)
            self._thread.join(timeout=1.0)
        left = self._queue.qsize()
        if left:
            log.warning("notify.abandoned count=%s", left)
        for channel in self.channels:
            close = getattr(channel, "close", None)
            if close is not None:
                close()

    def _run(self) -> None:
        while not self._stop.is_set():
            notice = self._queue.get()
            try:
                if notice is None:
                    return
                for channel in self.channels:
                    self._send_one(channel, notice)
            finally:
                self._queue.task_done()

    def _send_one(self, channel: Channel, notice: Notice) -> None:
        try:
            result = send_with_retries(
                channel, notice, attempts=self.attempts, backoff=self.backoff,
                max_wait=self.max_wait, wait=self._stop.wait,
            )
        except Exception:  # a bug in a channel must not kill the sender thread
            log.exception("notify.crashed channel=%s (a bug)", channel.name)
            result = Result(channel.name, "unreachable", "internal error")
        if result.outcome == "sent":
            log.info("notify.sent channel=%s kind=%s event=%s key=%s", channel.name,
                     notice.kind, notice.event, notice.key or "-")
        else:
            log.error("notify.failed channel=%s kind=%s event=%s outcome=%s error=%s",
                      channel.name, notice.kind, notice.event, result.outcome, result.detail)
        if self.on_result is not None:
            self.on_result(notice, result)


def send_now(channels: Sequence[Any], notice: Notice, **kwargs: Any) -> list[Result]:
    """Send one notice on every channel in the caller's thread (``notify-test``)."""
    return [send_with_retries(c, notice, **kwargs) for c in channels]
