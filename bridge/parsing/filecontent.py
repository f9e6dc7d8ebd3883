"""What a file's bytes really are, beyond magic numbers: markup under an image/PDF name,
and a transfer encoding (base64) too broken to give the sender's bytes back.

Both make an attachment unfit to upload: an HTML or SVG page saved as ``.jpg`` or ``.pdf``
is a type mismatch (a phishing page or a script dressed as a picture), and a base64 body
with bytes outside its alphabet, padding in the middle or an impossible length decodes to
garbage. Pure functions.
"""

from __future__ import annotations

import re

# Extensions whose real files always start with a binary signature: markup is never one.
BINARY_EXTENSIONS = frozenset({"jpg", "jpeg", "jpe", "png", "gif", "pdf", "webp", "bmp",
                               "tif", "tiff", "heic", "heif", "ico"})

_MARKUP = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*"
    rb"<(!doctype\s+(?P<doctype>\w+)"
    rb"|(?P<tag>html|head|body|svg|script|iframe|meta|div|table|a|p|form|title))\b",
    re.IGNORECASE | re.DOTALL,
)
_SVG = re.compile(rb"<svg\b", re.IGNORECASE)


def markup_kind(ext: str, data: bytes) -> str | None:
    """"html" or "svg" when a file named ``.ext`` (an image or PDF) is really markup."""
    if ext.lower() not in BINARY_EXTENSIONS:
        return None
    head = data[:4096]
    m = _MARKUP.match(head)
    if m is None:
        return None
    tag = (m.group("tag") or m.group("doctype") or b"").lower()
    if tag == b"svg" or _SVG.search(head):
        return "svg"
    return "html"


_B64_ALPHABET = re.compile(rb"[^A-Za-z0-9+/=\s]")
_B64_MID_PAD = re.compile(rb"=[\s=]*[A-Za-z0-9+/]")


def base64_damage(encoded: bytes) -> str | None:
    """Why a base64 body cannot give back the sender's bytes; None when it is sound.

    Missing final padding is tolerated (some encoders omit it); bytes outside the alphabet,
    padding followed by more data, more than two pad characters, or a length that no
    base64 text can have are damage.
    """
    if _B64_ALPHABET.search(encoded) is not None:
        return "bytes outside the base64 alphabet"
    if _B64_MID_PAD.search(encoded):
        return "padding inside the data"
    compact = re.sub(rb"\s+", b"", encoded)
    body = compact.rstrip(b"=")
    if len(compact) - len(body) > 2:
        return "too much padding"
    if len(body) % 4 == 1:
        return "a length no base64 text can have (truncated or corrupted)"
    return None
