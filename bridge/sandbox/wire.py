"""The wire forms of a REST call: the parameter array built from the query and the body, and
the ``.xml`` answer form (bitrix24-api.md §1.2, §2)."""

from __future__ import annotations

import email.parser
import email.policy
import json
import re
import xml.etree.ElementTree as ET
from typing import Any

from bridge.sandbox.phpquery import listify, parse_str, php_set

__all__ = ["parse_form", "request_params", "to_xml"]


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
    body: bytes = ET.tostring(root, encoding="utf-8")
    return b'<?xml version="1.0" encoding="utf-8"?>' + body.split(b"?>", 1)[-1]


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
        payload = part.get_payload(decode=True)
        text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
        php_set(out, str(name), text)
    result: dict[str, Any] = listify(out)  # a top-level map stays a map
    return result


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


def parse_form(body: bytes) -> dict[str, Any]:
    """A form-encoded body, PHP-style."""
    return parse_str(body.decode("utf-8", "replace"))
