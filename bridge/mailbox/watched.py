"""An IMAPClient whose connect phase obeys :func:`bridge.deadline.watch`.

imapclient opens the TCP connection, does the TLS handshake and reads the greeting inside its
constructor, with only a per-read timeout: a server that drips its greeting would hold
``open()`` for as long as it likes. These subclasses register each socket they create with
the overall deadline running on this thread, so the watchdog can shut it down.
"""

from __future__ import annotations

import socket
from typing import Any

from imapclient import IMAPClient, imap4, tls

from bridge.deadline import current_timer

__all__ = ["WatchedIMAPClient"]


def _register(sock: socket.socket) -> socket.socket:
    timer = current_timer()
    if timer is not None:
        timer.attach_socket(sock)
    return sock


class _WatchedTLS(tls.IMAP4_TLS):  # type: ignore[misc]  # imapclient is untyped (Any)
    def _create_socket(self, timeout: float | None = None) -> socket.socket:
        if timeout is None:
            timeout = self._timeout
        raw = _register(socket.create_connection((self.host, self.port), timeout=timeout))
        return _register(tls.wrap_socket(raw, self.ssl_context, self.host))


class _WatchedPlain(imap4.IMAP4WithTimeout):  # type: ignore[misc]  # imapclient is untyped
    def _create_socket(self, timeout: float | None = None) -> socket.socket:
        return _register(super()._create_socket(timeout))


class WatchedIMAPClient(IMAPClient):  # type: ignore[misc]  # imapclient is untyped (Any)
    """IMAPClient for a host and port (not ``stream``), with watchable sockets."""

    def _create_IMAP4(self) -> Any:
        connect_timeout = getattr(self._timeout, "connect", None)
        if self.ssl:
            return _WatchedTLS(self.host, self.port, self.ssl_context, connect_timeout)
        return _WatchedPlain(self.host, self.port, connect_timeout)
