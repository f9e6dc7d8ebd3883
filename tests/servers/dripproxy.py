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

from tests.servers.listener import LoopbackListener


class DripProxy(LoopbackListener):
    """Relays 127.0.0.1:<self.port> to 127.0.0.1:<target>."""

    thread_name = "drip-proxy"

    def __init__(self, target: int) -> None:
        super().__init__()
        self.target = target
        self.drip = 0.0
        self.stall = False

    def _handle(self, client: socket.socket) -> None:
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
