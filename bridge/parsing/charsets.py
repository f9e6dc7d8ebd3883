"""Bytes -> text for mail: declared charsets, mislabels, sniffing, RFC 2047 words.

Mail from Russian sites comes in UTF-8, windows-1251 and KOI8-R, sometimes labelled wrongly
(a "utf-8" label on cp1251 bytes after a template migration), sometimes not labelled at all
(8-bit headers, ``Content-Type: text/plain`` without a charset) and sometimes with a name no
codec knows (``x-unknown``). The rule everywhere: the declared charset if the bytes decode
strictly with it (or fit it but for a few bytes, which are replaced), UTF-8 if they are
valid UTF-8 (again: but for a few bytes), else the most plausible single-byte
Cyrillic/Western charset. Nothing here raises on bad input.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
import threading

from bridge.parsing.charscore import rank, sample_8bit, text_score
from bridge.parsing.tolerate import tolerated

# Single-byte charsets worth guessing, in order of preference on a tie (the users are Russian;
# ISO-8859-5 is left out: practically unused in mail, and it reads cp1251 bytes as letters).
SNIFF_CANDIDATES: tuple[str, ...] = ("cp1251", "koi8_r", "cp1252", "cp866")

_ALIASES = {
    "x-unknown": None,
    "unknown": None,
    "unknown-8bit": None,
    "x-user-defined": None,
    "default": None,
    "8bit": None,
    "binary": None,
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "cp-1251": "cp1251",
    "win-1251": "cp1251",
    "windows1251": "cp1251",
    "x-cp1251": "cp1251",
    "koi8r": "koi8_r",
    "koi8": "koi8_r",
    "ansi_x3.4-1968": "ascii",
    "us-ascii": "ascii",
    "ks_c_5601-1987": "cp949",
    "gb2312": "gb18030",  # superset; real-world "gb2312" mail uses GBK characters
    "gbk": "gb18030",
    "iso-8859-8-i": "iso8859_8",
}

_MULTIBYTE = {"utf_8", "utf_16", "utf_32", "utf_7", "gb18030", "big5", "cp949", "euc_kr",
              "euc_jp", "shift_jis", "iso2022_jp", "cp932", "big5hkscs", "utf_8_sig",
              "utf_16_le", "utf_16_be", "utf_32_le", "utf_32_be", "hz", "euc_jis_2004",
              "iso2022_kr", "johab", "cp950"}

def normalize_charset(name: str | None) -> str | None:
    """The Python codec name for a MIME charset label, or None when unknown/meaningless."""
    if not name:
        return None
    label = name.strip().strip("\"'").lower()
    if "*" in label:  # RFC 2231 language suffix: utf-8*ru
        label = label.split("*", 1)[0]
    if label in _ALIASES:
        return _ALIASES[label]
    try:
        return codecs.lookup(label).name
    except (LookupError, ValueError):
        return None


def _is_multibyte(codec: str) -> bool:
    return codec.replace("-", "_") in _MULTIBYTE


def _utf8(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def sniff(data: bytes) -> tuple[str, str]:
    """Best guess for undeclared 8-bit bytes: (text, codec name)."""
    text = _utf8(data)
    if text is not None:
        return text, "utf-8"
    fits = _mostly_fits(data, "utf-8")
    if fits is not None:
        return fits[0], "utf-8"
    ranked = rank(sample_8bit(data), SNIFF_CANDIDATES)
    if not ranked:
        return data.decode("cp1251", errors="replace"), "cp1251"
    best = ranked[0][1]
    if len(data) >= 64 and best == "cp1252":
        # Probably not Cyrillic at all; let charset-normalizer pick among Western charsets.
        guess = _normalizer_guess(data, ("cp1252", "iso8859_15", "cp1250", "iso8859_2"))
        if guess is not None:
            return guess
    return data.decode(best, errors="replace"), best


def _normalizer_guess(data: bytes, candidates: tuple[str, ...]) -> tuple[str, str] | None:
    try:
        from charset_normalizer import from_bytes

        match = from_bytes(data[:65536], cp_isolation=list(candidates)).best()
    except Exception as exc:  # a detector bug must never break parsing
        tolerated("charsets.detector", exc)
        return None
    if match is None:
        return None
    try:
        return data.decode(match.encoding), match.encoding
    except (UnicodeDecodeError, LookupError):
        return None


# Single-byte labels that are often wrong: a cp1251 site whose script says iso-8859-1,
# a KOI8-R template labelled windows-1251. Every byte decodes, so only content can tell.
_CONFUSABLE = frozenset({"cp1251", "koi8-r", "koi8_r", "cp866", "iso8859-1", "latin-1",
                         "iso8859_1", "cp1252", "iso8859-15", "iso8859_15", "iso8859-5",
                         "iso8859_5", "mac-cyrillic", "mac_cyrillic", "koi8-u", "koi8_u"})


def _better_single_byte(data: bytes, declared_codec: str) -> str | None:
    """Another single-byte charset when it reads ``data`` clearly better than the label."""
    sample = sample_8bit(data)
    try:
        own = text_score(sample.decode(declared_codec, errors="replace"))
    except (UnicodeDecodeError, LookupError):
        return None
    others = tuple(c for c in SNIFF_CANDIDATES if codecs.lookup(c).name != declared_codec)
    ranked = rank(sample, others)
    if not ranked:
        return None
    score, cand = ranked[0]
    letters = sum(1 for b in sample if b >= 0x80)
    if score > own + max(3.0, 0.25 * letters):
        return cand
    return None


_BAD = threading.local()


def _count_and_replace(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: count the undecodable bytes, put one U+FFFD for each run."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    _BAD.count = getattr(_BAD, "count", 0) + (exc.end - exc.start)
    return "\ufffd", exc.end


codecs.register_error("mailbridge-count-replace", _count_and_replace)


def _mostly_fits(data: bytes, codec: str) -> tuple[str, int] | None:
    """``data`` in ``codec`` with its few undecodable bytes replaced: (text, bad bytes).

    A body that fits its charset but for a few bytes (a PHP ``substr()`` cutting a UTF-8
    letter in half, one stray byte) keeps its charset; a body whose 8-bit bytes mostly do
    not fit (cp1251 under a utf-8 label) gets None and is sniffed instead. "Mostly" means at
    least two well-decoded non-ASCII characters per bad byte (cp1251 or KOI8-R bytes almost
    never form valid UTF-8 sequences), and at most 16 bad bytes or one per 50 good
    characters (a long form with many cut fields).
    """
    _BAD.count = 0
    try:
        text = data.decode(codec, "mailbridge-count-replace")
    except (LookupError, UnicodeError):
        return None
    bad = _BAD.count
    if bad == 0:
        return None
    good = sum(1 for ch in text if ord(ch) >= 0x80 and ch != "\ufffd")
    if good < 2 * bad or (bad > 16 and bad * 50 > good):
        return None
    return text, bad


def decode_bytes(data: bytes, declared: str | None) -> tuple[str, str | None]:
    """Decode body or header bytes; returns (text, defect note or None).

    Order: pure ASCII; the declared charset strictly (but valid multi-byte UTF-8 wins over
    a single-byte label, because cp1251/KOI8-R text is practically never valid UTF-8);
    UTF-8; sniffing among the Cyrillic and Western single-byte charsets.
    """
    if not data:
        return "", None
    try:
        return data.decode("ascii"), None
    except UnicodeDecodeError:
        pass
    codec = normalize_charset(declared)
    if codec is not None:
        if codec == "ascii":
            codec = None  # 8-bit bytes under a us-ascii label: the label is a default, sniff
        else:
            try:
                text = data.decode(codec)
            except (UnicodeDecodeError, LookupError):
                text = None
            if text is not None:
                utf = None if _is_multibyte(codec) else _utf8(data)
                if utf is not None:
                    return utf, f"charset {declared} mislabelled, bytes are utf-8"
                if codec in _CONFUSABLE:
                    other = _better_single_byte(data, codec)
                    if other is not None:
                        alt = data.decode(other, errors="replace")
                        return alt, f"charset {declared} mislabelled, bytes are {other}"
                return text, None
            fits = _mostly_fits(data, codec)
            if fits is not None and (codec not in _CONFUSABLE
                                     or _better_single_byte(data, codec) is None):
                return fits[0], f"charset {declared}: {fits[1]} invalid byte(s) replaced"
    utf = None if codec == "utf-8" else _utf8(data)  # a failed utf-8 label: don't retry
    if utf is not None:
        note = (
            "no charset declared, bytes are utf-8"
            if declared is None
            else f"charset {declared} unusable, bytes are utf-8"
        )
        return utf, note
    text, used = sniff(data)
    if declared is None:
        return text, f"no charset declared, sniffed {used}"
    return text, f"charset {declared} does not fit, sniffed {used}"


def raw_header_bytes(value: str) -> bytes:
    """The original bytes of a header value the stdlib parser kept with surrogateescape."""
    return value.encode("utf-8", "surrogateescape")


_EW = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_QP_HEX = re.compile(rb"=([0-9A-Fa-f]{2})")


def _ew_bytes(enc: str, payload: str) -> bytes:
    if enc in "bB":
        clean = re.sub(r"[^A-Za-z0-9+/]", "", payload)
        clean += "=" * (-len(clean) % 4)
        try:
            return base64.b64decode(clean)
        except (binascii.Error, ValueError):
            return payload.encode("ascii", "replace")
    raw = payload.replace("_", " ").encode("utf-8", "surrogateescape")
    return _QP_HEX.sub(lambda m: bytes([int(m.group(1), 16)]), raw)


def _decode_plain(segment: str) -> str:
    """Header text outside encoded words: raw 8-bit bytes (surrogates) are sniffed."""
    if not any("\udc80" <= c <= "\udcff" for c in segment):
        return segment
    return decode_bytes(raw_header_bytes(segment), None)[0]


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words anywhere in ``value`` (also inside quotes).

    Adjacent encoded words separated only by whitespace are joined, and their bytes are
    concatenated per charset before decoding, so a character split across two words
    (common with 63-column wrapping) survives. Raw 8-bit text is sniffed.
    """
    if "=?" not in value:
        return _decode_plain(value)
    out: list[str] = []
    pending: list[tuple[str, bytes]] = []  # (charset, bytes) of adjacent words

    def flush() -> None:
        if not pending:
            return
        groups: list[tuple[str, bytearray]] = []
        for cs, b in pending:
            if groups and groups[-1][0] == cs:
                groups[-1][1].extend(b)
            else:
                groups.append((cs, bytearray(b)))
        for cs, buf in groups:
            out.append(decode_bytes(bytes(buf), cs)[0])
        pending.clear()

    pos = 0
    for m in _EW.finditer(value):
        between = value[pos : m.start()]
        if pending and between.strip() == "":
            pass  # whitespace between adjacent encoded words is dropped
        else:
            flush()
            out.append(_decode_plain(between))
        charset = m.group(1).split("*", 1)[0].lower()
        pending.append((charset, _ew_bytes(m.group(2), m.group(3))))
        pos = m.end()
    flush()
    out.append(_decode_plain(value[pos:]))
    return "".join(out)


_FOLD = re.compile(r"\r?\n(?=[ \t])")


def decode_header(value: str) -> str:
    """A raw header value as the stdlib parser holds it -> readable text, unfolded."""
    unfolded = _FOLD.sub("", value).replace("\r", "").replace("\n", " ")
    text = decode_words(unfolded)
    return text.replace("\x00", "").strip()
