"""The sandbox's HTTP side: Bitrix24 URL forms, routing, answers on the wire, the control API.

``SandboxServer`` runs a ``ThreadingHTTPServer`` on loopback in a background thread. The REST
endpoints live under ``/rest/USER/CODE/METHOD[.json]``; a small control API under
``/_sandbox/`` lets another process (the demo, benchmarks) inspect and steer the portal.
Parameters and the ``.xml`` form are wire.py's, injected faults faults.py's, the control
endpoints and portal modes control.py's.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from bridge.sandbox.answers import html_page
from bridge.sandbox.control import configure, control_answer
from bridge.sandbox.faults import Drop, FaultAnswersMixin
from bridge.sandbox.portal import GENERATED, METHODS, ApiError, Portal
from bridge.sandbox.wire import request_params, to_xml

__all__ = ["SandboxServer"]


class _TooLarge(Exception):
    """The request body is over the portal's ``max_body``."""


class _Handler(FaultAnswersMixin, BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.0"
    server_version = "nginx"
    sys_version = ""
    # (method, path as logged, fault) of the request being answered; None once recorded
    _rec: tuple[str, str, str | None] | None = None

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the portal keeps its own request log

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    # ------------------------------------------------------------- plumbing
    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        limit = self.server.portal.max_body
        if limit is not None and length > limit:
            # The front end refuses it before Bitrix24 runs anything (nginx
            # client_max_body_size: an HTML 413). The body is read and dropped.
            while length > 0:
                length -= len(self.rfile.read(min(length, 1 << 20)) or b"x" * length)
            raise _TooLarge
        return self.rfile.read(length) if length > 0 else b""

    def _record(self, status: int) -> None:
        """Log the request before the answer leaves, so a client never sees an unlogged call."""
        rec = self._rec
        if rec is not None:
            self._rec = None
            self.server.portal.record(rec[0], status, rec[1], rec[2])

    def _send(self, status: int, body: bytes, content_type: str,
              headers: dict[str, str] | None = None) -> None:
        self._record(status)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        if getattr(self, "_xml", False):
            self._send(status, to_xml(payload), "text/xml; charset=utf-8", headers)
            return
        body = json.dumps(payload).encode()
        self._send(status, body, "application/json; charset=utf-8", headers)

    def _html(self, status: int) -> None:
        self._send(status, html_page(status), "text/html")

    def _drop(self, rst: bool) -> None:
        self._record(0)
        self.close_connection = True
        if rst:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR if not rst else socket.SHUT_RD)
        # Make the server's finish/shutdown a no-op on the dead socket.
        self.wfile = _NullFile()

    # ------------------------------------------------------------- routing
    def _handle(self) -> None:
        portal = self.server.portal
        url = urlsplit(self.path)
        try:
            body = self._body()
        except _TooLarge:
            self._rec = ("", "/rest/…", "too_large")
            self._html(413)
            return
        if url.path.startswith("/_sandbox/"):
            self._control(url.path[len("/_sandbox/") :].strip("/"), body)
            return
        if not url.path.startswith("/rest/"):
            self._html(404)
            return
        if portal.renamed_to:
            self._rec = ("", "/rest/…", None)
            self._send(302, b"", "text/html",
                       {"Location": f"https://{portal.renamed_to}{self.path}"})
            return
        segments = [s for s in url.path[len("/rest/") :].split("/") if s]
        name = segments[-1].lower() if segments else ""
        self._xml = name.endswith(".xml")
        for suffix in (".json", ".xml"):
            if name.endswith(suffix):
                name = name[: -len(suffix)]
        shown = "/rest/" + ("/".join([segments[0], "***", *segments[2:]])
                            if len(segments) >= 3 else "/".join(segments))
        self._rec = (name, shown, None)
        try:
            if name not in METHODS or len(segments) == 2 or len(segments) > 3:
                raise ApiError(404, "ERROR_METHOD_NOT_FOUND", "Method not found!")
            if len(segments) == 1:
                raise ApiError(401, "NO_AUTH_FOUND", "Wrong authorization data")
            try:
                user_id = int(segments[0])
            except ValueError:
                user_id = -1
            code = segments[1]
            params = request_params(url.query, self.headers.get("Content-Type", ""), body)
            fault = portal.take_fault(name)
            if fault:
                self._rec = (name, shown, fault["fault"])
            self._run(portal, fault, user_id, code, name, params)
        except ApiError as err:
            self._json(err.status, err.body())
        except Drop as drop:
            self._drop(drop.rst)

    # ------------------------------------------------------------- control
    def _control(self, what: str, body: bytes) -> None:
        try:
            data = json.loads(body) if body else {}
        except ValueError:
            self._json(400, {"error": "bad json"})
            return
        status, payload = control_answer(self.server.portal, self.command, what, data)
        self._json(status, payload)


class _NullFile:
    closed = False

    def write(self, data: bytes) -> int:
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    portal: Portal
    owner: SandboxServer


class SandboxServer:
    """A local Bitrix24 portal over HTTP on loopback.

    >>> with SandboxServer() as sb:
    ...     url = sb.webhook_url   # http://127.0.0.1:PORT/rest/1/XXXXXXXXXXXXXXXX/
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        user_id: int = 1,
        code: str = "XXXXXXXXXXXXXXXX",
        rate: float = 2.0,
        burst: int = 50,
        scopes: tuple[str, ...] = ("crm", "user", "disk"),
        file_field: str | None = GENERATED,
        file_field_type: str = "file",
        file_field_multiple: bool = True,
        assigned_check: str = "any",
        operating_limit: float | None = None,
        certfile: str | None = None,
        keyfile: str | None = None,
    ) -> None:
        self.host = host
        self.certfile = certfile  # with a certificate the sandbox speaks HTTPS
        self.keyfile = keyfile
        self.port = port
        self.user_id = user_id
        self.code = code
        self.portal = Portal(user_id=user_id, code=code, scopes=scopes, rate=rate, burst=burst,
                             file_field=file_field, file_field_type=file_field_type,
                             file_field_multiple=file_field_multiple,
                             assigned_check=assigned_check, operating_limit=operating_limit)
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------ lifecycle
    def start(self) -> SandboxServer:
        httpd = _HTTPServer((self.host, self.port), _Handler)
        httpd.portal = self.portal
        httpd.owner = self
        if self.certfile:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(self.certfile, self.keyfile)
            httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
        self._httpd = httpd
        self.port = httpd.server_address[1]
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"bitrix-sandbox:{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> SandboxServer:
        return self.start() if self._httpd is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"SandboxServer({self.base_url}/rest/{self.user_id}/***/)"

    # ------------------------------------------------------------ addresses
    @property
    def base_url(self) -> str:
        scheme = "https" if self.certfile else "http"
        return f"{scheme}://{self.host}:{self.port}"

    @property
    def webhook_url(self) -> str:
        return f"{self.base_url}/rest/{self.user_id}/{self.code}/"

    @property
    def requests(self) -> list[dict[str, Any]]:
        """The request log: method, status, time, path (secret shown as ***), fault."""
        with self.portal.lock:
            return list(self.portal.requests)

    # ------------------------------------------------------------ steering
    def inject(self, method: str, fault: str, times: int = 1, **opts: Any) -> None:
        """Make the next ``times`` calls of ``method`` fail with ``fault`` (see FAULTS)."""
        self.portal.inject(method, fault, times, **opts)

    def configure(self, **settings: Any) -> None:
        """Change portal modes: rate/burst, scopes, blocked, deleted, overloaded, renamed_to,
        assigned_check, crm_access, operating_limit, unfilterable (filter keys to drop),
        rejected_operators (filter operators answered with a 400, e.g. {"@"}),
        file_field (None = remove; name or {name, type, multiple}), users ([{id, active, name,
        admin, lead_read}]; lead_read "all" | "own" | "none" is the CRM role's lead read right),
        crm_mode (1 classic, 2 simple: a new lead becomes a deal at once), rest_available
        (False: REST is not on the portal's plan), blocked (True/False: the webhook is
        blocked and restored)."""
        configure(self.portal, settings)
