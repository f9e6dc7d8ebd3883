"""A TCP proxy on loopback in front of a real server that can turn slow on command.

``DripProxy(port)`` relays both ways at full speed. ``proxy.drip = 0.2`` makes it pass the
server's bytes one every 0.2 s (a server that drips its answers); ``proxy.stall = True``
stops passing them at all (a server that stops answering mid-response). Client bytes always
pass, so the server sees every command. ``stop()`` closes every connection.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from typing import Any


class DripProxy:
    """Relays 127.0.0.1:<self.port> to 127.0.0.1:<target>."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.drip = 0.0
        self.stall = False
        self.connections = 0
        self._stop = threading.Event()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.1)
        self.port = self._sock.getsockname()[1]
        self._threads: list[threading.Thread] = []

    def start(self) -> DripProxy:
        t = threading.Thread(target=self._accept, name="drip-proxy", daemon=True)
        t.start()
        self._threads.append(t)
        return self

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=5)
        self._sock.close()

    def __enter__(self) -> DripProxy:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            t = threading.Thread(target=self._relay, args=(client,), daemon=True)
            t.start()
            self._threads.append(t)

    def _relay(self, client: socket.socket) -> None:
        try:
            server = socket.create_connection(("127.0.0.1", self.target), timeout=5)
        except OSError:
            client.close()
            return
        pending = b""  # server bytes not yet passed on
        server_open = True
        with client, server:
            try:
                while not self._stop.is_set():
                    wait = self.drip if (pending and self.drip) else 0.05
                    watched = [client, server] if server_open else [client]
                    ready, _, _ = select.select(watched, [], [], wait)
                    if client in ready:
                        data = client.recv(65536)
                        if not data:
                            return
                        server.sendall(data)
                    if server in ready:
                        data = server.recv(65536)
                        server_open = bool(data)
                        pending += data
                    if not server_open and not pending:
                        return
                    if pending and not self.stall:
                        n = 1 if self.drip else len(pending)
                        client.sendall(pending[:n])
                        pending = pending[n:]
            except OSError:
                return
            finally:
                for s in (client, server):
                    with contextlib.suppress(OSError):
                        s.shutdown(socket.SHUT_RDWR)
