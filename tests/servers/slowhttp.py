"""A real slow HTTP server on loopback: it reads the request, then drips its answer.

``DripServer(interval=0.2)`` answers every request with a valid JSON envelope, one byte every
``interval`` seconds (so no single read ever times out); ``read_body=False`` never reads the
request at all (a client's upload stalls once the socket buffers are full). Connections and
bytes are counted, and ``stop()`` ends every connection.
"""

from __future__ import annotations

import contextlib
import socket
import time
from typing import Any

from tests.servers.listener import LoopbackListener

ANSWER = b'{"result": 1, "time": {"start": 0, "finish": 0}}'


class DripServer(LoopbackListener):
    """A TCP server speaking just enough HTTP/1.0 to drip-feed one answer per request."""

    thread_name = "drip-accept"

    def __init__(self, interval: float = 0.2, *, read_body: bool = True,
                 answer: bytes = ANSWER) -> None:
        super().__init__()
        self.interval = interval
        self.read_body = read_body
        self.answer = answer
        self.requests_read = 0

    @property
    def webhook_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/rest/1/XXXXXXXXXXXXXXXX/"

    def _read_request(self, conn: socket.socket) -> bool:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return False
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        while len(rest) < length:
            chunk = conn.recv(65536)
            if not chunk:
                return False
            rest += chunk
        self.requests_read += 1
        return True

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(0.1)
            try:
                if not self.read_body:
                    self._stop.wait()
                    return
                conn.settimeout(None)
                if not self._read_request(conn):
                    return
                payload = (b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n"
                           b"Content-Length: " + str(len(self.answer)).encode() + b"\r\n\r\n"
                           + self.answer)
                for i in range(len(payload)):
                    if self._stop.wait(self.interval):
                        return
                    conn.sendall(payload[i : i + 1])
            except OSError:
                return
            finally:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)


def wait_until(predicate: Any, seconds: float = 5.0) -> bool:
    """Poll ``predicate`` until true or ``seconds`` pass; return its last value."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return bool(predicate())
