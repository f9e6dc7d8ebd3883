"""Overall deadlines for HTTP requests: connect, send and the whole answer.

``requests`` only knows per-operation socket timeouts, so a server that drips one byte every
few seconds keeps a request alive forever. Here every request gets one wall-clock budget
(:func:`request_deadline`, sized to its upload); a watchdog timer shuts the request's socket
down when the budget is spent, which wakes the blocked read or write at once.

The connection classes also note when the request's last byte was handed to the kernel:
a request cut off before that cannot have run (the portal needs the whole body), one cut off
after it may have run and is an unknown outcome, to be looked up no earlier than
``bitrix24.max_request_seconds`` after that moment.

The deadline formula (documented in the README)::

    deadline = min(DEADLINE_CAP, base + body_bytes / MIN_UPLOAD_RATE)

``base`` is ``bitrix24.timeout`` (30 s by default); ``MIN_UPLOAD_RATE`` is a conservative
128 KiB/s (about 1 Mbit/s), ``DEADLINE_CAP`` 600 s. A text-only lead gets about ``base``; a
message with 25 MB of files (33 MB as base64) gets about 30 + 260 s.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

__all__ = [
    "DEADLINE_CAP",
    "MIN_UPLOAD_RATE",
    "DeadlineAdapter",
    "RequestTimer",
    "current_timer",
    "request_deadline",
    "socket_deadline",
    "watch",
]

MIN_UPLOAD_RATE = 128 * 1024  # bytes per second a slow but working uplink still manages
DEADLINE_CAP = 600.0  # seconds; no single request may take longer than this

_current = threading.local()


def request_deadline(base: float, body_bytes: int, *, min_rate: float = MIN_UPLOAD_RATE,
                     cap: float = DEADLINE_CAP) -> float:
    """Seconds one request may take in all: ``min(cap, base + body_bytes / min_rate)``."""
    return min(max(cap, base), base + max(0, body_bytes) / min_rate)


class RequestTimer:
    """The budget of one request and what the watchdog did to it.

    ``sent`` is the monotonic time the last byte of the request was written (None until
    then); ``expired`` is True once the watchdog cut the request off.
    """

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = float(seconds)
        self._clock = clock
        self.started = clock()
        self.sent: float | None = None
        self.expired = False
        self._lock = threading.Lock()
        self._done = False
        self._conns: list[HTTPConnection] = []
        self._socks: list[socket.socket] = []
        self._timer = threading.Timer(self.seconds, self.expire)
        self._timer.daemon = True

    def remaining(self) -> float:
        """Seconds left of the budget (never negative)."""
        return max(0.0, self.started + self.seconds - self._clock())

    def seconds_since_sent(self) -> float | None:
        """How long ago the last byte was sent, or None if it never was."""
        return None if self.sent is None else max(0.0, self._clock() - self.sent)

    def attach(self, conn: HTTPConnection) -> None:
        with self._lock:
            if conn not in self._conns:
                self._conns.append(conn)
            expired = self.expired
        if expired:
            self._cut(conn.sock)

    def attach_socket(self, sock: socket.socket) -> None:
        with self._lock:
            self._socks.append(sock)
            expired = self.expired
        if expired:
            self._cut(sock)

    def mark_sent(self) -> None:
        with self._lock:
            if not self.expired:
                self.sent = self._clock()

    def start(self) -> None:
        self._timer.start()

    def finish(self) -> None:
        """The request is over: the watchdog must no longer touch its connection."""
        with self._lock:
            self._done = True
        self._timer.cancel()

    def expire(self) -> None:
        """The budget is spent: shut the request's sockets down (wakes blocked I/O)."""
        with self._lock:
            if self._done:
                return
            self.expired = True
            socks = [c.sock for c in self._conns] + list(self._socks)
        for sock in socks:
            self._cut(sock)

    @staticmethod
    def _cut(sock: Any) -> None:
        if sock is None:
            return
        with contextlib.suppress(OSError, ValueError):
            if sock.fileno() != -1:
                # The plain socket's shutdown: SSLSocket.shutdown would drop its SSL object
                # under the thread that is reading from it.
                socket.socket.shutdown(sock, socket.SHUT_RDWR)


@contextlib.contextmanager
def watch(seconds: float) -> Iterator[RequestTimer]:
    """Run the body under an overall deadline of ``seconds`` (requests on this thread)."""
    timer = RequestTimer(seconds)
    previous = getattr(_current, "timer", None)
    _current.timer = timer
    timer.start()
    try:
        yield timer
    finally:
        timer.finish()
        _current.timer = previous


def current_timer() -> RequestTimer | None:
    """The RequestTimer of the :func:`watch` block running on this thread, if any."""
    return getattr(_current, "timer", None)


_timer = current_timer


class _Watched:
    """Mixin for urllib3 connections: registers with the thread's RequestTimer."""

    def _new_conn(self) -> socket.socket:
        sock: socket.socket = super()._new_conn()  # type: ignore[misc]  # mixin before the base
        timer = _timer()
        if timer is not None:
            timer.attach_socket(sock)
        return sock

    def connect(self) -> None:
        timer = _timer()
        if timer is not None:
            timer.attach(self)  # type: ignore[arg-type]  # always mixed into an HTTPConnection
        super().connect()  # type: ignore[misc]  # mixin before the base

    def request(self, *args: Any, **kwargs: Any) -> None:
        timer = _timer()
        if timer is not None:
            timer.attach(self)  # type: ignore[arg-type]  # always mixed into an HTTPConnection
        super().request(*args, **kwargs)  # type: ignore[misc]  # mixin before the base
        if timer is not None:
            timer.mark_sent()


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class DeadlineAdapter(HTTPAdapter):
    """An HTTPAdapter whose connections obey :func:`watch` deadlines."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _WatchedHTTPPool, "https": _WatchedHTTPSPool,
        }


@contextlib.contextmanager
def socket_deadline(sock: socket.socket | None, seconds: float) -> Iterator[RequestTimer]:
    """An overall deadline for one command on an open connection (IMAP): when it passes,
    ``sock`` is shut down, so the blocked read fails at once and the caller drops it."""
    timer = RequestTimer(seconds)
    if sock is not None:
        timer.attach_socket(sock)
    timer.start()
    try:
        yield timer
    finally:
        timer.finish()
