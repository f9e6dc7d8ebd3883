"""File names from mail made safe to store and show: no tricks, no reserved names, bounded.

A name is what a manager sees in the CRM and what a download saves to disk, so the name a
sender chose may not deceive or break either: bidi overrides (``invoice\\u202efdp.exe``
showing as ``invoiceexe.pdf``), zero-width and control characters are removed, characters
Windows forbids become ``_``, a reserved device name (CON, NUL, COM1…) gets a ``_`` prefix,
and a long name is cut keeping its extension. Pure functions.
"""

from __future__ import annotations

import re
import unicodedata

MAX_NAME_BYTES = 200  # UTF-8 bytes; file systems allow 255, the portal adds its own suffixes
MAX_EXTENSION = 16  # characters; a longer "extension" is part of the name

# C0/C1 controls and DEL; bidi marks, embeddings, overrides and isolates; zero-width
# characters; line/paragraph separators; the BOM; interlinear annotation marks.
_INVISIBLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]"
)
_WINDOWS_FORBIDDEN = re.compile(r'[<>:"|?*]')
_RESERVED = frozenset(
    {"con", "prn", "aux", "nul", "conin$", "conout$"}
    | {f"com{i}" for i in range(1, 10)}
    | {f"lpt{i}" for i in range(1, 10)}
    | {"com¹", "com²", "com³", "lpt¹", "lpt²", "lpt³"}
)


def _cut_utf8(text: str, limit: int) -> str:
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def safe_filename(name: str) -> str:
    """``name`` (already decoded, no path) made safe; "" when nothing usable is left."""
    name = unicodedata.normalize("NFC", name)
    name = _INVISIBLE.sub("", name)
    name = _WINDOWS_FORBIDDEN.sub("_", name)
    name = name.strip().rstrip(". ")  # Windows drops trailing dots and spaces
    if not name.strip("._ -"):
        return ""
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or len(ext) > MAX_EXTENSION or not ext.strip():
        stem, dot, ext = name, "", ""
    first = stem.split(".", 1)[0].rstrip(" ").lower()
    if first in _RESERVED:
        stem = "_" + stem
    tail = dot + ext
    if len((stem + tail).encode("utf-8")) > MAX_NAME_BYTES:
        stem = _cut_utf8(stem, MAX_NAME_BYTES - len(tail.encode("utf-8"))).rstrip(". ")
        if not stem:
            stem = "file"
    return stem + tail
