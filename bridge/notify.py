"""Talking to systemd: readiness, status line, watchdog, stopping (sd_notify, stdlib only).

The daemon runs as a ``Type=notify`` unit (deploy/mailbridge.service). systemd passes a unix
datagram socket in ``NOTIFY_SOCKET`` (a path, or ``@name`` for an abstract socket) and, when the
unit has ``WatchdogSec=``, the deadline in ``WATCHDOG_USEC`` (for the process in
``WATCHDOG_PID``). The protocol is one datagram of newline-separated ``KEY=value`` lines::

    n = Notifier.from_env()
    n.ready("waiting for mail")        # READY=1 + STATUS=...; systemctl start returns now
    while running:
        ...one healthy turn of the poll loop...
        n.watchdog()                   # WATCHDOG=1, at least every n.watchdog_interval s
    n.stopping()                       # STOPPING=1

Outside systemd (no ``NOTIFY_SOCKET``) every method is a cheap no-op. Socket errors are logged
once and never raised: a lost notification must never take the bridge down.

``watchdog()`` belongs where the work's progress is known: in the loop that does the work, or
in a heartbeat that first checks that loop is not stuck. A thread that pings unconditionally
defeats the point, which is that a stuck daemon stops pinging and systemd restarts it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)

__all__ = ["Notifier", "stderr_is_journal", "under_systemd"]

_SEND_TIMEOUT = 1.0  # seconds; a full socket queue must not stall the daemon for long
_STATUS_MAX = 512  # characters; systemctl status shows one line anyway


def under_systemd(environ: Mapping[str, str] | None = None) -> bool:
    """True when started by systemd (a unit or systemd-run), so progress output should be quiet.

    systemd sets ``INVOCATION_ID`` for every unit it starts and ``JOURNAL_STREAM`` when stdout or
    stderr is connected to the journal.
    """
    env = os.environ if environ is None else environ
    return bool(env.get("INVOCATION_ID") or env.get("JOURNAL_STREAM"))


def stderr_is_journal(environ: Mapping[str, str] | None = None, fd: int = 2) -> bool:
    """True when ``fd`` (stderr by default) is the journal stream systemd set up.

    Compares ``JOURNAL_STREAM`` (``device:inode``) with the descriptor itself, as sd_journal's
    documentation advises, so a shell started from a unit with redirected stderr does not count.
    Useful to drop timestamps from log lines (journald adds its own).
    """
    env = os.environ if environ is None else environ
    value = env.get("JOURNAL_STREAM", "")
    dev, sep, ino = value.partition(":")
    if not sep:
        return False
    try:
        st = os.fstat(fd)
        return st.st_dev == int(dev) and st.st_ino == int(ino)
    except (OSError, ValueError):
        return False


def _socket_address(value: str) -> str | bytes | None:
    """``NOTIFY_SOCKET`` -> an AF_UNIX address, or None when it is not one we can use."""
    if value.startswith("/"):
        return value
    if value.startswith("@") and len(value) > 1:
        return b"\0" + value[1:].encode()  # abstract namespace (Linux)
    return None  # empty, relative, or e.g. "vsock:..." (VMs): not supported here


def _watchdog_interval(env: Mapping[str, str], pid: int) -> float | None:
    """Half of ``WATCHDOG_USEC`` in seconds, when the watchdog is meant for process ``pid``."""
    usec = env.get("WATCHDOG_USEC", "")
    try:
        deadline = int(usec)
    except ValueError:
        return None
    if deadline <= 0:
        return None
    owner = env.get("WATCHDOG_PID", "")
    if owner:
        try:
            if int(owner) != pid:
                return None  # the watchdog belongs to another process (e.g. our parent)
        except ValueError:
            return None
    return deadline / 2 / 1_000_000


def _one_line(text: str) -> str:
    """A STATUS value: one line (the protocol is newline-separated), not overly long."""
    flat = " ".join(text.split())
    return flat if len(flat) <= _STATUS_MAX else flat[: _STATUS_MAX - 1] + "…"


class Notifier:
    """Sends sd_notify messages to systemd; a no-op when not started as a notify service."""

    def __init__(
        self,
        address: str | bytes | None,
        watchdog_interval: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._address = address
        self._watchdog_interval = watchdog_interval if address is not None else None
        self._clock = clock
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._warned = False
        self._last_ping: float | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Notifier:
        """Read NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID (from os.environ by default)."""
        env = os.environ if environ is None else environ
        raw = env.get("NOTIFY_SOCKET", "")
        address = _socket_address(raw)
        if raw and address is None:
            log.warning("notify_unsupported_socket socket=%s", raw)
        interval = _watchdog_interval(env, os.getpid()) if address is not None else None
        return cls(address, interval)

    @classmethod
    def disabled(cls) -> Notifier:
        """A notifier that does nothing (for tests and for the one-shot commands)."""
        return cls(None)

    @property
    def enabled(self) -> bool:
        """True when there is a notify socket to talk to."""
        return self._address is not None

    @property
    def watchdog_interval(self) -> float | None:
        """Seconds within which ``watchdog()`` must be called (half of WatchdogSec), or None."""
        return self._watchdog_interval

    def ready(self, status: str = "") -> bool:
        """Tell systemd start-up is done (``READY=1``), with an optional status line."""
        fields = ["READY=1"]
        if status:
            fields.append(f"STATUS={_one_line(status)}")
        return self.send(*fields)

    def status(self, text: str) -> bool:
        """Set the one-line status ``systemctl status`` shows (``STATUS=...``)."""
        return self.send(f"STATUS={_one_line(text)}")

    def watchdog(self) -> bool:
        """Ping the watchdog (``WATCHDOG=1``). Cheap: sends at most every interval/4 seconds.

        Returns True when a ping was sent (or was not due yet); False when there is no watchdog
        or the send failed.
        """
        interval = self._watchdog_interval
        if interval is None:
            return False
        now = self._clock()
        last = self._last_ping
        if last is not None and now - last < interval / 4:
            return True
        sent = self.send("WATCHDOG=1")
        if sent:
            self._last_ping = now
        return sent

    def stopping(self, status: str = "") -> bool:
        """Tell systemd the service is shutting down (``STOPPING=1``)."""
        fields = ["STOPPING=1"]
        if status:
            fields.append(f"STATUS={_one_line(status)}")
        return self.send(*fields)

    def extend_timeout(self, seconds: float) -> bool:
        """Ask for more time for the current start-up or shutdown (``EXTEND_TIMEOUT_USEC``)."""
        return self.send(f"EXTEND_TIMEOUT_USEC={max(0, int(seconds * 1_000_000))}")

    def send(self, *fields: str) -> bool:
        """Send ``KEY=value`` fields as one datagram. True on success; never raises."""
        if self._address is None or not fields:
            return False
        payload = "\n".join(fields).encode("utf-8", "replace")
        with self._lock:
            try:
                if self._sock is None:
                    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
                    sock.settimeout(_SEND_TIMEOUT)
                    self._sock = sock
                self._sock.sendto(payload, self._address)
            except OSError as exc:
                self._close_locked()
                if not self._warned:
                    self._warned = True
                    log.warning(
                        "notify_failed socket=%s error=%s",
                        self._describe(),
                        exc.__class__.__name__ + (f":{exc.errno}" if exc.errno else ""),
                    )
                return False
        return True

    def close(self) -> None:
        """Close the socket (it is reopened by the next send)."""
        with self._lock:
            self._close_locked()

    def __enter__(self) -> Notifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Notifier(socket={self._describe()!r}, watchdog_interval={self._watchdog_interval})"

    def _close_locked(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
            self._sock = None

    def _describe(self) -> str:
        address = self._address
        if isinstance(address, bytes):
            return "@" + address[1:].decode(errors="replace")
        return str(address)
