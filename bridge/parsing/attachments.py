"""User files of a message: names, allow-list, magic bytes, size limits.

Pure functions over (filename, content type, bytes) candidates that :mod:`mime` collects
from the MIME tree. The checks, in order: extension on the allow-list (case-insensitive),
the per-file size limit, content that is recognisably another type than the extension
says, and the per-message total (files past it are named, not attached).
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Iterable
from dataclasses import dataclass

import filetype

from bridge.model import Attachment, ParseOptions, RejectedAttachment
from bridge.parsing.charsets import decode_words
from bridge.parsing.filecontent import markup_kind
from bridge.parsing.filenames import safe_filename
from bridge.parsing.tolerate import tolerated

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# Extension -> detected kinds (filetype extensions) that agree with it. An extension that
# is not here agrees only with itself.
_COMPATIBLE: dict[str, frozenset[str]] = {
    "jpg": frozenset({"jpg", "jpx"}),
    "jpeg": frozenset({"jpg", "jpx"}),
    "jpe": frozenset({"jpg"}),
    "png": frozenset({"png", "apng"}),
    "tif": frozenset({"tif"}),
    "tiff": frozenset({"tif"}),
    # Word/Excel: OLE2 (doc/xls/ppt as filetype names the OLE2 flavour), RTF saved as .doc,
    # and OOXML saved under the old extension; HTML/XML exports have no magic at all.
    "doc": frozenset({"doc", "xls", "ppt", "rtf", "docx"}),
    "xls": frozenset({"doc", "xls", "ppt", "xlsx"}),
    "ppt": frozenset({"doc", "xls", "ppt", "pptx"}),
    # OOXML packages are zip files; filetype recognises the flavour only sometimes.
    "docx": frozenset({"docx", "zip"}),
    "xlsx": frozenset({"xlsx", "zip"}),
    "pptx": frozenset({"pptx", "zip"}),
    "odt": frozenset({"odt", "zip"}),
    "ods": frozenset({"ods", "zip"}),
    "txt": frozenset(),
    "csv": frozenset(),
    "rtf": frozenset({"rtf"}),
}
# Signatures that plain text can start with by accident ("BM…", "ID3…", "%!…", "{\rtf").
_WEAK_ON_TEXT = frozenset({"bmp", "mp3", "ps", "rtf", "ico", "ar", "Z", "br", "mpg", "aac"})

_EXT_FOR_TYPE = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/jpg": "jpg",
    "image/pjpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "text/plain": "txt",
    "text/html": "html",
    "application/msword": "doc",
    "application/vnd.ms-excel": "xls",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/zip": "zip",
}


@dataclass(frozen=True, slots=True)
class FileCandidate:
    """A part that is a user file: decoded name (or None), declared type, decoded bytes."""

    filename: str | None
    content_type: str
    data: bytes
    damage: str | None = None  # why the transfer encoding cannot give the bytes back
    omitted_size: int | None = None  # a file of a too-large mail, left on the server


def clean_filename(name: str) -> str:
    """Decode leftovers (RFC 2047 words, raw 8-bit) and drop path parts and controls."""
    name = decode_words(name) if ("=?" in name or _has_surrogates(name)) else name
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch >= " " and ch != "\x7f")
    name = safe_filename(name.strip())
    return name if name.strip(".") else ""


def _has_surrogates(s: str) -> bool:
    return any("\udc80" <= c <= "\udcff" for c in s)


def extension(filename: str) -> str:
    """Lower-case extension without the dot, or ""."""
    base = filename.rsplit("/", 1)[-1]
    if "." not in base:
        return ""
    return base.rsplit(".", 1)[-1].strip().lower()


def synthesize_name(content_type: str, data: bytes, index: int) -> str:
    """A name for an unnamed file: ``attachment-N.ext`` from its type (or its content)."""
    ctype = content_type.lower()
    ext = _EXT_FOR_TYPE.get(ctype)
    if ext is None and ctype not in ("application/octet-stream", ""):
        guessed = mimetypes.guess_extension(ctype, strict=False)
        ext = guessed.lstrip(".") if guessed else None
    if ext is None:
        kind = filetype.guess(data[:8192]) if data else None
        ext = kind.extension if kind else "bin"
    if ext == "jpe":
        ext = "jpg"
    return f"attachment-{index}.{ext}"


def _looks_like_text(head: bytes) -> bool:
    if not head:
        return True
    bad = sum(1 for b in head if b < 9 or 13 < b < 32 or b == 127)
    return bad == 0


def type_mismatch(ext: str, data: bytes) -> str | None:
    """The detected kind when the content is recognisably not an ``ext`` file, else None.

    Content without a known signature (text, HTML or XML saved as .xls/.doc) agrees with
    every extension; only a positive detection of something else is a mismatch.
    """
    head = data[:8192]
    if not head:
        return None
    markup = markup_kind(ext, head)
    if markup is not None:
        return markup
    if head.startswith(OLE2_MAGIC):
        detected = "ole2"
        agree = _COMPATIBLE.get(ext, frozenset({ext}))
        if agree & {"doc", "xls", "ppt"} or ext in ("msg", "msi", "ole2"):
            return None
        return detected
    try:
        kind = filetype.guess(head)
    except Exception as exc:  # filetype must not break parsing on odd input
        tolerated("attachments.filetype", exc)
        return None
    if kind is None:
        return None
    detected = kind.extension
    agree = _COMPATIBLE.get(ext, frozenset({ext}))
    if detected in agree or detected == ext:
        return None
    if detected in _WEAK_ON_TEXT and _looks_like_text(head[:1024]):
        return None
    return str(detected)


def check_files(
    candidates: Iterable[FileCandidate], options: ParseOptions
) -> tuple[tuple[Attachment, ...], tuple[RejectedAttachment, ...], tuple[str, ...]]:
    """Apply the allow-list, magic bytes and limits; returns (accepted, rejected, notes)."""
    allowed = {e.lower().lstrip(".") for e in options.allowed_extensions}
    accepted: list[Attachment] = []
    rejected: list[RejectedAttachment] = []
    notes: list[str] = []
    total = 0
    unnamed = 0
    for cand in candidates:
        data = cand.data
        name = clean_filename(cand.filename) if cand.filename else ""
        if not name:
            unnamed += 1
            name = synthesize_name(cand.content_type, data, unnamed)
            notes.append(f"unnamed file named {name}")
        ext = extension(name)
        size = len(data)
        if cand.omitted_size is not None:
            notes.append(f"file .{ext} left on the server: the mail is over imap.max_message_mb")
            rejected.append(RejectedAttachment(name, "message_size", cand.omitted_size))
            continue
        if ext not in allowed:
            rejected.append(RejectedAttachment(name, "type", size))
            continue
        if size > options.max_size_bytes:
            rejected.append(RejectedAttachment(name, "size", size))
            continue
        if cand.damage is not None:
            notes.append(f"file .{ext} not attached: broken transfer encoding ({cand.damage})")
            rejected.append(RejectedAttachment(name, "damaged", size))
            continue
        detected = type_mismatch(ext, data)
        if detected is not None:
            notes.append(f"file .{ext} has {detected} content")
            rejected.append(RejectedAttachment(name, "type", size))
            continue
        if total + size > options.max_total_bytes:
            rejected.append(RejectedAttachment(name, "total", size))
            continue
        total += size
        accepted.append(Attachment(name, cand.content_type, data))
    return tuple(accepted), tuple(rejected), tuple(notes)


_CID = re.compile(r"""cid:\s*<?([^"'\s>)]+)""", re.IGNORECASE)


def cid_references(html: str | None) -> set[str]:
    """Content-IDs referenced from HTML (``src="cid:logo"``), lower-cased, without <>."""
    if not html or "cid:" not in html.lower():
        return set()
    from urllib.parse import unquote

    return {unquote(m.group(1)).strip("<>").lower() for m in _CID.finditer(html)}
