"""Builders of raw form e-mails as PHPMailer 6 writes them (CRLF, base64/QP, RFC 2047 words).

The variant messages of tests/variants/ were written with these; the cases too large to keep as
files (tests/test_variants_big.py) still build their messages with them.
"""

from __future__ import annotations

import base64
import quopri

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
FAKE_PDF = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48
TXT_1251 = "Размеры: 6000х1500х4 мм, 12 листов.\r\n".encode("cp1251")
BIG_PDF = PDF + b"0" * (10 * 1024 * 1024 + 100)
EXACT_10MIB = PDF + b"1" * (10 * 1024 * 1024 - len(PDF))


def b64_lines(data: bytes) -> bytes:
    """Base64 in 76-character CRLF lines, as mailers write it."""
    enc = base64.b64encode(data)
    return b"\r\n".join(enc[i:i + 76] for i in range(0, len(enc), 76)) + b"\r\n"


def _qp(data: bytes) -> bytes:
    lines = data.replace(b"\r\n", b"\n").split(b"\n")
    out = quopri.encodestring(b"\n".join(lines)).replace(b"\n", b"\r\n")
    return out


def _words(text: str, charset: str = "UTF-8", size: int = 30) -> str:
    """B encoded-words of up to ``size`` characters each, folded (PHPMailer isMail style)."""
    if all(ord(c) < 128 for c in text):
        return text
    chunks = [text[i:i + size] for i in range(0, len(text), size)]
    return "\r\n ".join(
        f"=?{charset}?B?{base64.b64encode(c.encode(charset)).decode()}?=" for c in chunks
    )


def _encode(body: bytes, cte: str) -> bytes:
    if cte.lower() == "base64":
        return b64_lines(body)
    if cte.lower() == "quoted-printable":
        return _qp(body)
    return body


TRACE = (
    "Return-Path: <www-data@vps-41872.rostferrum.ru>\r\n"
    "Delivered-To: sales@rostferrum.ru\r\n"
    "Received: from vps-41872.rostferrum.ru (vps-41872.rostferrum.ru [203.0.113.41])\r\n"
    "\tby mx.yandex.ru with ESMTPS id 4Xk2LqA1\r\n"
    "\tfor <sales@rostferrum.ru>; Mon, 16 Nov 2026 10:15:32 +0500\r\n"
)


def leaf(ctype: str, body: bytes | str, cte: str = "8bit", charset: str = "UTF-8",
         extra: str = "") -> bytes:
    """One MIME part: headers + encoded body."""
    data = body.encode(charset) if isinstance(body, str) else body
    data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n") if ctype.startswith("text/") \
        else data
    cs = f"; charset={charset}" if ctype.startswith("text/") and charset else ""
    head = f"Content-Type: {ctype}{cs}\r\nContent-Transfer-Encoding: {cte}\r\n{extra}"
    return head.encode() + b"\r\n" + _encode(data, cte)


def attachment(name_params: tuple[str, str], data: bytes, ctype: str = "application/octet-stream",
               disposition: str = "attachment") -> bytes:
    """A base64 file part; ``name_params``: raw parameters after the type and the disposition."""
    head = (f"Content-Type: {ctype};{name_params[0]}\r\n"
            f"Content-Transfer-Encoding: base64\r\n"
            f"Content-Disposition: {disposition};{name_params[1]}\r\n")
    return head.encode() + b"\r\n" + b64_lines(data)


def rfc2047_name(name: str) -> tuple[str, str]:
    """PHPMailer: an RFC 2047 word inside quotes in both name= and filename=."""
    w = name if name.isascii() else f"=?UTF-8?B?{base64.b64encode(name.encode()).decode()}?="
    return f' name="{w}"', f' filename="{w}"'


def multipart(subtype: str, boundary: str, parts: list[bytes], *, preamble: str = "",
              close: bool = True) -> bytes:
    """Multipart headers + body (the part's own Content-Type line included)."""
    out = f'Content-Type: multipart/{subtype};\r\n\tboundary="{boundary}"\r\n\r\n'.encode()
    if preamble:
        out += preamble.encode() + b"\r\n"
    for p in parts:
        out += f"--{boundary}\r\n".encode() + p + b"\r\n"
    if close:
        out += f"--{boundary}--\r\n".encode()
    return out


def phpmailer(content: bytes, *, subject: str, frm: str, reply_to: str | None = None,
              to: str = "sales@rostferrum.ru", smtp: bool = False, extra: str = "",
              mid: str = "ej5rFst19I4lzrnMvMVT20gO1PzNmDwG0w7a8Lfmu4D@rostferrum.ru") -> bytes:
    """PHPMailer 6 headers; with mail() (WordPress) To and Subject come first."""
    subj = f"Subject: {_words(subject)}\r\n"
    head = TRACE
    if not smtp:
        head += f"To: {to}\r\n{subj}"
    head += "Date: Mon, 16 Nov 2026 10:15:32 +0500\r\n"
    if smtp:
        head += f"To: {to}\r\n"
    head += f"From: {frm}\r\n"
    if reply_to:
        head += f"Reply-To: {reply_to}\r\n"
    if smtp:
        head += subj
    head += (f"Message-ID: <{mid}>\r\n"
             "X-Mailer: PHPMailer 6.9.1 (https://github.com/PHPMailer/PHPMailer)\r\n"
             f"{extra}MIME-Version: 1.0\r\n")
    if content.startswith(b"Content-Type: multipart/"):
        head += "Content-Transfer-Encoding: 8bit\r\n"
    return head.encode() + content


