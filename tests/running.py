"""Helpers for tests that run the daemon as a subprocess: the systemd notify socket it talks
to, and an environment without the secrets' overrides (waiting: tests/helpers/waiting.py)."""

from __future__ import annotations

import contextlib
import os
import socket
from pathlib import Path


class StatusSocket:
    """A NOTIFY_SOCKET the daemon talks to; ``says(prefix)`` drains it and looks for a line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.setblocking(False)
        self.lines: list[str] = []

    def drain(self) -> list[str]:
        """Every line received so far."""
        with contextlib.suppress(BlockingIOError):
            while True:
                self.lines.extend(self.sock.recv(4096).decode().splitlines())
        return self.lines

    def says(self, needle: str) -> bool:
        """Whether a line starting with ``needle`` arrived."""
        return any(x.startswith(needle) for x in self.drain())

    def close(self) -> None:
        self.sock.close()


def daemon_env(notify_socket: Path | None = None) -> dict[str, str]:
    """This environment without the secrets' overrides (the config file holds them), and
    without a journal stream; with ``notify_socket`` as NOTIFY_SOCKET when given."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("BRIDGE_IMAP_PASSWORD", "BITRIX24_WEBHOOK_URL", "JOURNAL_STREAM",
                        "NOTIFY_SOCKET")}
    if notify_socket is not None:
        env["NOTIFY_SOCKET"] = str(notify_socket)
    return env
