"""A loopback TCP listener with a thread per connection: the base of the test's slow servers.

A subclass sets ``thread_name`` and implements ``_handle(conn)``; ``start()``/``stop()`` (or a
``with`` block) run the accept loop, ``connections`` counts what was accepted, and ``stop()``
ends the loop and waits for every thread (each handler checks ``self._stop``).
"""

from __future__ import annotations

import socket
import threading
from typing import Any, Self


class LoopbackListener:
    """Accepts on 127.0.0.1:<self.port> and hands each connection to ``_handle`` on a thread."""

    thread_name = "loopback-accept"

    def __init__(self) -> None:
        self.connections = 0
        self._stop = threading.Event()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.1)
        self.port: int = self._sock.getsockname()[1]
        self._threads: list[threading.Thread] = []

    def start(self) -> Self:
        t = threading.Thread(target=self._accept, name=self.thread_name, daemon=True)
        t.start()
        self._threads.append(t)
        return self

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=5)
        self._sock.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            t = threading.Thread(target=self._handle, args=(conn,), daemon=True)
            t.start()
            self._threads.append(t)

    def _handle(self, conn: socket.socket) -> None:
        raise NotImplementedError
