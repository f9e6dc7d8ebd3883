"""How the mailers of the case set write their bytes: headers, encoded words, bodies.

Only serialisation lives here; every case's text and expected values are written out by
hand in :mod:`tests.cases.make_cases`. The shapes follow the mailers' documented behaviour
(see ``README.md`` in this folder): PHPMailer 6 through PHP ``mail()`` (To and Subject
first, encoded words wrapped near 63 columns, 8bit bodies, QP for lines over 998 bytes),
1C-Bitrix (windows-1251 or UTF-8, 8bit, ``X-EVENT_NAME``/``X-MID``), Drupal core
(``format=flowed; delsp=yes``), SaaS senders (multipart/alternative, base64 or QP).
"""

from __future__ import annotations

import base64
import hashlib
import quopri
import zlib
from dataclasses import dataclass, field

CRLF = "\r\n"


@dataclass
class Part:
    """One leaf part: its text, subtype, charset and transfer encoding."""

    text: str
    subtype: str = "plain"
    charset: str = "UTF-8"
    cte: str = "8bit"  # 8bit, 7bit, quoted-printable, base64
    params: str = ""  # extra Content-Type parameters ("; format=flowed; delsp=yes")
    disposition: str = ""
    raw: bytes | None = None  # an attachment's bytes
    ctype: str = ""  # an attachment's content type


@dataclass
class Multi:
    """A multipart container."""

    subtype: str
    parts: list[Part | Multi]
    boundary: str
    preamble: str = ""
    params: str = ""
    extra_headers: list[tuple[str, str]] = field(default_factory=list)


def words(text: str, charset: str = "UTF-8", mode: str = "B") -> str:
    """RFC 2047 encoded words as PHPMailer writes them (several words, folded)."""
    if all(ord(c) < 128 for c in text):
        return text
    out: list[str] = []
    chunk = ""
    limit = 45 if mode == "B" else 20
    for ch in text:
        if len((chunk + ch).encode(_codec(charset))) > limit:
            out.append(_word(chunk, charset, mode))
            chunk = ""
        chunk += ch
    if chunk:
        out.append(_word(chunk, charset, mode))
    return (CRLF + " ").join(out)


def _codec(charset: str) -> str:
    return {"windows-1251": "cp1251", "koi8-r": "koi8_r"}.get(charset.lower(), charset)


def _word(text: str, charset: str, mode: str) -> str:
    data = text.encode(_codec(charset))
    if mode == "B":
        return f"=?{charset}?B?{base64.b64encode(data).decode()}?="
    q = "".join(
        chr(b) if (48 <= b <= 57 or 65 <= b <= 90 or 97 <= b <= 122) else
        ("_" if b == 32 else f"={b:02X}") for b in data
    )
    return f"=?{charset}?Q?{q}?="


def _encode(part: Part) -> tuple[str, bytes]:
    data = part.raw if part.raw is not None else \
        part.text.replace("\r\n", "\n").replace("\n", CRLF).encode(_codec(part.charset))
    if part.cte == "base64":
        b64 = base64.b64encode(data).decode()
        lines = [b64[i:i + 76] for i in range(0, len(b64), 76)]
        return part.cte, (CRLF.join(lines) + CRLF).encode()
    if part.cte == "quoted-printable":
        enc = quopri.encodestring(data.replace(b"\r\n", b"\n")).replace(b"\n", b"\r\n")
        return part.cte, enc
    return part.cte, data + (b"" if data.endswith(b"\r\n") else b"\r\n")


def _part_bytes(part: Part | Multi) -> bytes:
    if isinstance(part, Multi):
        head = [f"Content-Type: multipart/{part.subtype};{CRLF}\tboundary=\"{part.boundary}\""
                f"{part.params}"]
        head += [f"{k}: {v}" for k, v in part.extra_headers]
        return (CRLF.join(head) + CRLF + CRLF).encode() + _multi_body(part)
    cte, body = _encode(part)
    if part.raw is not None:
        head = [f"Content-Type: {part.ctype}", f"Content-Transfer-Encoding: {cte}",
                f"Content-Disposition: {part.disposition}"]
    else:
        head = [f"Content-Type: text/{part.subtype}; charset={part.charset}{part.params}",
                f"Content-Transfer-Encoding: {cte}"]
    return (CRLF.join(head) + CRLF + CRLF).encode() + body


def _multi_body(multi: Multi) -> bytes:
    out = (multi.preamble + CRLF).encode() if multi.preamble else b""
    for p in multi.parts:
        out += f"--{multi.boundary}{CRLF}".encode() + _part_bytes(p) + CRLF.encode()
    return out + f"--{multi.boundary}--{CRLF}".encode()


def message(headers: list[tuple[str, str]], body: Part | Multi) -> bytes:
    """The whole message: the given headers in order, then the body's own headers."""
    head = CRLF.join(f"{k}: {v}" for k, v in headers)
    if isinstance(body, Multi):
        ctype = f"multipart/{body.subtype};{CRLF}\tboundary=\"{body.boundary}\"{body.params}"
        extra = "".join(f"{CRLF}{k}: {v}" for k, v in body.extra_headers)
        return (head + f"{CRLF}Content-Type: {ctype}{extra}{CRLF}{CRLF}").encode() + \
            _multi_body(body)
    cte, data = _encode(body)
    tail = (f"{CRLF}Content-Type: text/{body.subtype}; charset={body.charset}{body.params}"
            f"{CRLF}Content-Transfer-Encoding: {cte}{CRLF}{CRLF}")
    return (head + tail).encode() + data


def trace(site: str, ip: str, mx: str, date: str, rcpt: str, sender: str) -> list[tuple[str, str]]:
    """Return-Path, Delivered-To and Received as the receiving mailbox adds them."""
    return [
        ("Return-Path", f"<{sender}>"),
        ("Delivered-To", rcpt),
        ("Received", f"from {site} ({site} [{ip}]){CRLF}\tby {mx} (Postfix) with ESMTPS id "
                     f"4Rk2{_h(date) % 99999:05d}{CRLF}\tfor <{rcpt}>; {date}"),
    ]


def phpmailer(site: str, ip: str, date: str, to: str, from_: str, subject: str, *,
              reply_to: str | None = None, mid: str = "", sender: str = "",
              version: str = "6.9.1") -> list[tuple[str, str]]:
    """PHPMailer 6 through PHP mail(): To and Subject come first (PHP adds them)."""
    addr = sender or from_.split("<")[-1].rstrip(">")
    hs = trace(site, ip, f"mx.{to.split('@')[1]}", date, to, addr)
    hs += [("To", to), ("Subject", words(subject)), ("Date", date), ("From", from_)]
    if reply_to:
        hs.append(("Reply-To", reply_to))
    hs += [("Message-ID", f"<{mid or hashlib.md5(date.encode()).hexdigest()}@{site}>"),
           ("X-Mailer", f"PHPMailer {version} (https://github.com/PHPMailer/PHPMailer)"),
           ("MIME-Version", "1.0")]
    return hs


def bitrix(site: str, ip: str, date: str, to: str, from_: str, subject: str, event: str, *,
           charset: str = "UTF-8", reply_to: str | None = None) -> list[tuple[str, str]]:
    """1C-Bitrix CEvent through mail(): Message-Id and Date added by the MTA."""
    hs = trace(site, ip, f"mx.{to.split('@')[1]}", date, to, from_.split("<")[-1].rstrip(">"))
    hs += [("To", to), ("Subject", words(subject, charset)), ("From", from_)]
    if reply_to:
        hs.append(("Reply-To", reply_to))
    hs += [("X-EVENT_NAME", event), ("X-Priority", "3 (Normal)"),
           ("X-MID", f"{_h(subject) % 90000 + 10000}.{event.lower()} (07.12.2026 10:14:22)"),
           ("MIME-Version", "1.0"),
           ("Message-Id", f"<20261207071422.{_h(date) % 99999}@{site}>"), ("Date", date)]
    return hs


def saas(from_: str, to: str, subject: str, date: str, mid: str, *,
         reply_to: str | None = None, extra: list[tuple[str, str]] | None = None
         ) -> list[tuple[str, str]]:
    """A SaaS platform's own sending service: its domain, its Message-ID, DKIM-signed mail."""
    hs = [("Return-Path", f"<bounces+{_h(mid) % 99999}@{mid.split('@')[1]}>"),
          ("Delivered-To", to),
          ("Received", f"from {mid.split('@')[1]} (o1.{mid.split('@')[1]} [198.51.100.24])"
                       f"{CRLF}\tby mx.{to.split('@')[1]} (Postfix) with ESMTPS; {date}"),
          ("Date", date), ("From", from_), ("To", to)]
    if reply_to:
        hs.append(("Reply-To", reply_to))
    hs += [("Subject", words(subject)), ("Message-ID", f"<{mid}>"), ("MIME-Version", "1.0")]
    return hs + (extra or [])


def _h(text: str) -> int:
    """A stable number from a text (ids, queue ids): the same bytes on every run."""
    return zlib.crc32(text.encode())


def sha(data: bytes) -> str:
    """sha256 of an attachment's bytes, for the expected file entries."""
    return hashlib.sha256(data).hexdigest()
