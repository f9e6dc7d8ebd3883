"""The sandbox's HTTP side: Bitrix24 URL forms, body formats, envelopes, faults, control API.

``SandboxServer`` runs a ``ThreadingHTTPServer`` on loopback in a background thread. The REST
endpoints live under ``/rest/USER/CODE/METHOD[.json]``; a small control API under
``/_sandbox/`` lets another process (the demo, benchmarks) inspect and steer the portal.
"""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import hashlib
import json
import re
import socket
import ssl
import struct
import threading
import time
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from bridge.sandbox.phpquery import listify, parse_str, php_set
from bridge.sandbox.portal import GENERATED, METHODS, ApiError, Portal
from bridge.sandbox.slowfaults import drip_answer, late_commit

__all__ = ["SandboxServer"]

_NGINX = """<html>
<head><title>{status} {reason}</title></head>
<body>
<center><h1>{status} {reason}</h1></center>
<hr><center>nginx</center>
</body>
</html>
"""
_REASONS = {502: "Bad Gateway", 504: "Gateway Time-out", 404: "Not Found",
            413: "Request Entity Too Large", 429: "Too Many Requests", 403: "Forbidden"}


def _xml_value(parent: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            key = str(k)
            child = ET.SubElement(parent, key if re.fullmatch(r"[A-Za-z_][\w.-]*", key)
                                  else "item")
            _xml_value(child, v)
    elif isinstance(value, list):
        for v in value:
            _xml_value(ET.SubElement(parent, "item"), v)
    elif value is True:
        parent.text = "true"
    elif value is False or value is None:
        parent.text = ""
    else:
        parent.text = str(value)


def to_xml(payload: Any) -> bytes:
    """The ``.xml`` answer form: a ``<response>`` root, ``<item>`` for numeric keys."""
    root = ET.Element("response")
    _xml_value(root, payload)
    return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(root, encoding="utf-8"
                                                                   ).split(b"?>", 1)[-1]


class _TooLarge(Exception):
    """The request body is over the portal's ``max_body``."""


class _Drop(Exception):
    """Close the connection without an answer (``reset``: with an RST)."""

    def __init__(self, rst: bool) -> None:
        self.rst = rst


def _parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    raw = b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
    out: dict[str, Any] = {}
    if not msg.is_multipart():
        return out
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name or part.get_filename():
            continue  # uploaded files go to $_FILES, not into the parameters
        payload = part.get_payload(decode=True) or b""
        php_set(out, str(name), payload.decode("utf-8", "replace"))
    return listify(out)


def request_params(query: str, content_type: str, body: bytes) -> dict[str, Any]:
    """Build the parameter array like ``getRequestData`` (bitrix24-api.md §1.2)."""
    params = parse_str(query) if query else {}
    media = content_type.split(";", 1)[0].strip().lower()
    body_params: Any = {}
    if body:
        if media == "multipart/form-data":
            body_params = _parse_multipart(content_type, body)
        elif media == "application/json":
            try:
                body_params = json.loads(body.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                body_params = {}  # an undecodable JSON body silently becomes no parameters
        else:
            body_params = parse_str(body.decode("utf-8", "replace"))
    if isinstance(body_params, dict):
        params = {**params, **body_params} if isinstance(params, dict) else body_params
    return params if isinstance(params, dict) else {}


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.0"
    server_version = "nginx"
    sys_version = ""

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
        rec = getattr(self, "_rec", None)
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
        page = _NGINX.format(status=status, reason=_REASONS.get(status, "Error"))
        self._send(status, page.encode(), "text/html")

    def _drop(self, rst: bool) -> None:
        self._record(0)
        self.close_connection = True
        if rst:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR if not rst else socket.SHUT_RD)
        # Make the server's finish/shutdown a no-op on the dead socket.
        self.wfile = _NullFile()  # type: ignore[assignment]

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
        except _Drop as drop:
            self._drop(drop.rst)

    def _run(self, portal: Portal, fault: dict[str, Any] | None, user_id: int, code: str,
             name: str, params: dict[str, Any]) -> None:
        kind = fault["fault"] if fault else None
        executed = bool(fault.get("executed", kind in ("lost_answer", "slow"))) if fault else True
        if kind == "reset":
            raise _Drop(rst=True)
        if kind == "limit503":
            raise ApiError(503, "QUERY_LIMIT_EXCEEDED", "Too many requests")
        if kind == "op429":
            raise ApiError(429, "OPERATION_TIME_LIMIT",
                           "Method is blocked due to operation time limit.")
        if kind in ("drip", "late_commit"):
            self._slow_fault(portal, fault, user_id, code, name, params)
            return
        envelope: dict[str, Any] | None = None
        error: ApiError | None = None
        if executed:
            try:
                envelope = portal.process(user_id, code, name, params)
            except ApiError as err:
                error = err
        if kind == "lost_answer":
            raise _Drop(rst=False)
        if kind == "slow":
            time.sleep(float(fault.get("seconds", 1.0)))  # type: ignore[union-attr]
        if kind == "error500":
            raise ApiError(500, "INTERNAL_SERVER_ERROR", "Internal server error")
        if kind in ("html502", "html504"):
            self._html(int(kind[4:]))
            return
        if kind == "html":
            self._html(int(fault.get("status", 502)))  # type: ignore[union-attr]
            return
        if error is not None:
            raise error
        assert envelope is not None
        self._json(200, envelope)

    def _slow_fault(self, portal: Portal, fault: dict[str, Any], user_id: int, code: str,
                    name: str, params: dict[str, Any]) -> None:
        """``drip`` and ``late_commit`` (see bridge.sandbox.slowfaults)."""
        if fault["fault"] == "late_commit":
            delay = float(fault.get("commit_after", 1.0))
            drop = fault.get("cut", "hold") == "drop"
            late_commit(lambda: portal.process(user_id, code, name, params), delay,
                        background=drop)
            if drop:
                raise _Drop(rst=False)
            with contextlib.suppress(OSError):
                self._html(504)  # the front end's timeout page, if anyone still listens
            return
        status, payload = 200, None
        if fault.get("executed", True):
            try:
                payload = portal.process(user_id, code, name, params)
            except ApiError as err:
                status, payload = err.status, err.body()
        else:
            status, payload = 500, {"error": "INTERNAL_SERVER_ERROR",
                                    "error_description": "Internal server error"}
        self._record(status)
        self.close_connection = True
        drip_answer(self.wfile.write, status, payload, float(fault.get("seconds", 0.2)))

    # ------------------------------------------------------------- control
    def _control(self, what: str, body: bytes) -> None:
        portal = self.server.portal
        try:
            data = json.loads(body) if body else {}
        except ValueError:
            self._json(400, {"error": "bad json"})
            return
        if self.command == "GET" and what == "leads":
            leads = portal.list_leads()
            for lead in leads:
                lead["_files"] = [
                    {"name": n, "size": len(b), "sha256": hashlib.sha256(b).hexdigest()}
                    for n, b in portal.lead_files(int(lead["ID"]))
                ]
            self._json(200, leads)
        elif self.command == "GET" and what == "requests":
            with portal.lock:
                log = list(portal.requests)
            self._json(200, {**portal.stats(), "log": log})
        elif self.command == "GET" and what == "stats":
            self._json(200, portal.stats())
        elif self.command == "POST" and what == "faults":
            # {"method": "crm.lead.add", "fault": "lost_answer", "times": 1, ...options}
            if "method" in data:
                data["method_name"] = data.pop("method")
            try:
                portal.inject(**data)
            except (TypeError, ValueError) as exc:
                self._json(400, {"error": str(exc)})
                return
            self._json(200, {"ok": True})
        elif self.command == "POST" and what == "reset":
            portal.reset()
            self._json(200, {"ok": True})
        elif self.command == "POST" and what == "config":
            self.server.owner.configure(**data)
            self._json(200, {"ok": True})
        else:
            self._json(404, {"error": f"no control endpoint {self.command} {what}"})


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
        p = self.portal
        with p.lock:
            if "rate" in settings or "burst" in settings:
                p.set_rate(float(settings.get("rate", p.rate)), int(settings.get("burst",
                                                                                 p.burst)))
            if "scopes" in settings:
                p.set_scopes(settings["scopes"])
            if "blocked" in settings:
                p.block_webhooks(bool(settings["blocked"]))
            for key in ("deleted", "overloaded", "renamed_to", "assigned_check", "crm_access",
                        "operating_limit", "operating_window", "operating_cost", "max_body",
                        "crm_mode", "rest_available"):
                if key in settings:
                    setattr(p, key, settings[key])
            if "rejected_operators" in settings:
                p.rejected_operators = {str(k) for k in settings["rejected_operators"]}
            if "unfilterable" in settings:
                p.unfilterable = {str(k).upper() for k in settings["unfilterable"]}
            if "file_field" in settings:
                spec = settings["file_field"]
                for name in [n for n, uf in p.userfields.items() if uf.type == "file"]:
                    p.remove_userfield(name)
                if spec:
                    if isinstance(spec, str):
                        spec = {"name": spec}
                    p.set_file_field(spec["name"], type=spec.get("type", "file"),
                                     multiple=spec.get("multiple", True),
                                     extensions=spec.get("extensions", ()),
                                     max_size=spec.get("max_size", 0),
                                     label=spec.get("label", "Файлы"))
            if "comment_denied" in settings:
                p.comment_denied = {int(i) for i in settings["comment_denied"]}
            for user in settings.get("users", ()):
                p.add_user(int(user["id"]), active=bool(user.get("active", True)),
                           name=str(user.get("name", "User")),
                           admin=bool(user.get("admin", False)),
                           lead_read=str(user.get("lead_read", "all")))

