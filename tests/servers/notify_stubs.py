"""Loopback stand-ins for the notification channels: a Telegram Bot API imitation, an HTTP
receiver for the JSON webhook, and a real SMTP server (aiosmtpd).

The HTTP stand-ins record every request and answer from a script of faults (``faults`` is a
list of ``(status, body, delay)`` consumed one per request, then 200 ``ok``), so tests can
show timeouts, 429 with ``retry_after`` and 5xx. The Telegram imitation checks the token in
the URL path and the chat id as the real API does (401 / 400).
"""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from tests.servers.ports import free_port

TOKEN = "123456:XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
CHAT = "-1001234567890"


@dataclass
class Recorded:
    path: str
    body: Any
    headers: dict[str, str]


@dataclass
class HttpStub:
    """A loopback HTTP server; ``telegram`` makes it answer like the Bot API."""

    telegram: bool = False
    token: str = TOKEN
    chat: str = CHAT
    faults: list[tuple[int, Any, float]] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)
    redirect_to: str = ""

    def __post_init__(self) -> None:
        stub = self
        self._lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                status, answer = stub.answer(self.path, body, dict(self.headers))
                if status in (301, 302, 307, 308):
                    self.send_response(status)
                    self.send_header("Location", stub.redirect_to)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def answer(self, path: str, body: Any, headers: dict[str, str]) -> tuple[int, Any]:
        with self._lock:
            self.requests.append(Recorded(path, body, headers))
            fault = self.faults.pop(0) if self.faults else None
        if fault is not None:
            status, answer, delay = fault
            if delay:
                time.sleep(delay)
            if status:
                return status, answer
        if not self.telegram:
            return 200, {"ok": True}
        if path != f"/bot{self.token}/sendMessage":
            return 401 if path.endswith("/sendMessage") else 404, {
                "ok": False, "error_code": 401, "description": "Unauthorized"}
        if not isinstance(body, dict) or str(body.get("chat_id")) != self.chat:
            return 400, {"ok": False, "error_code": 400,
                         "description": "Bad Request: chat not found"}
        return 200, {"ok": True, "result": {"message_id": len(self.requests)}}

    @property
    def texts(self) -> list[str]:
        return [r.body.get("text", "") for r in self.requests if isinstance(r.body, dict)]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _Handler:
    def __init__(self, stub: SmtpStub) -> None:
        self.stub = stub

    async def handle_RCPT(
        self, server: SMTPServer, session: Session, envelope: Envelope, address: str,
        options: list[str],
    ) -> str:
        if self.stub.refuse_rcpt:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(
        self, server: SMTPServer, session: Session, envelope: Envelope
    ) -> str:
        if self.stub.temporary:
            self.stub.temporary -= 1
            return "451 4.3.0 try again later"
        content = envelope.original_content or b""
        self.stub.messages.append(message_from_bytes(content))
        self.stub.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


class SmtpStub:
    """A real SMTP server on loopback (aiosmtpd), optionally with AUTH LOGIN/PLAIN."""

    def __init__(
        self, *, user: str = "", password: str = "", tls_context: ssl.SSLContext | None = None,
        implicit_tls: ssl.SSLContext | None = None,
    ) -> None:
        self.messages: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse_rcpt = False
        self.temporary = 0
        self.user, self.password = user, password
        kwargs: dict[str, Any] = {}
        if user:
            kwargs = {"authenticator": self._auth, "auth_require_tls": False}
        if tls_context is not None:
            kwargs["tls_context"] = tls_context  # offers STARTTLS
        if implicit_tls is not None:
            kwargs["ssl_context"] = implicit_tls  # TLS from the first byte (port 465 style)
        self.port = free_port()
        self.controller = Controller(
            _Handler(self), hostname="127.0.0.1", port=self.port, ready_timeout=10, **kwargs
        )
        self.controller.start()

    def _auth(self, server: Any, session: Any, envelope: Any, mechanism: str,
              auth_data: Any) -> AuthResult:
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login.decode() == self.user
              and auth_data.password.decode() == self.password)
        return AuthResult(success=ok, handled=False)

    def close(self) -> None:
        self.controller.stop()


@pytest.fixture
def tg() -> Iterator[HttpStub]:
    """A Telegram Bot API imitation on loopback; closed afterwards."""
    stub = HttpStub(telegram=True)
    yield stub
    stub.close()


@pytest.fixture
def hook() -> Iterator[HttpStub]:
    """A JSON webhook receiver on loopback; closed afterwards."""
    stub = HttpStub()
    yield stub
    stub.close()
