"""Big messages: one over ``FETCH_BYTES`` in partial-FETCH pieces, one over
``imap.max_message_mb`` never whole (header, structure and text parts as a stand-in)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from imapclient.exceptions import IMAPClientAbortError, IMAPClientError

from bridge import oversized
from bridge.deadline import RequestTimer
from bridge.mailbox.session import ImapSession
from bridge.mailbox.wire import TEMPORARY_CODES, FetchItem, Wire, codes, text
from bridge.model import MessageKey, RawMessage

log = logging.getLogger("bridge.mailbox")

PARTIAL_BYTES = 2 * 1024 * 1024  # a bigger message is fetched in pieces of this size
_TEXT_PARTS = 4  # text parts of a too-large message read (each up to TEXT_PART_MAX)

Skip = Callable[[int, str], None]  # (uid, why): a message fetch could not read


def fetch_in_pieces(s: ImapSession, uid: int, size: int) -> list[tuple[int, FetchItem]] | None:
    """A big message in ``BODY.PEEK[]<offset.length>`` pieces into one buffer: about
    two copies of the message at the peak instead of four. None: use a plain FETCH."""
    wire = s.require()
    buf = bytearray()
    when: object = None
    flags: object = ()
    offset = 0
    timer: RequestTimer | None = None
    try:
        while True:
            with s.watch(PARTIAL_BYTES) as timer:
                got = wire.fetch([uid], [f"BODY.PEEK[]<{offset}.{PARTIAL_BYTES}>",
                                         "INTERNALDATE", "FLAGS"])
            item = got.get(uid)
            if item is None:
                return [] if offset == 0 else None  # vanished meanwhile
            piece = item.get(f"BODY[]<{offset}>".encode())
            if not isinstance(piece, bytes):
                return None
            when = item.get(b"INTERNALDATE", when)
            flags = item.get(b"FLAGS", flags)
            buf += piece
            offset += len(piece)
            if len(piece) < PARTIAL_BYTES or offset >= size + PARTIAL_BYTES:
                break
            del piece, item, got
    except (IMAPClientAbortError, OSError) as exc:
        s.lost("FETCH", exc, timer)
    except IMAPClientError:  # a server that cannot do partial FETCH: the plain way
        s.check_deadline("FETCH", timer)
        return None
    return [(uid, {b"BODY[]": bytes(buf), b"INTERNALDATE": when, b"FLAGS": flags})]


def fetch_reduced(s: ImapSession, key: MessageKey, size: int, skip: Skip) -> RawMessage | None:
    """A mail over ``imap.max_message_mb``: its header, BODYSTRUCTURE and text parts only,
    as a stand-in message (see :mod:`bridge.oversized`). None when it vanished or the
    server cannot describe it (then it is skipped like an unreadable message)."""
    wire = s.require()
    uid = key.uid
    log.warning("imap.message_too_large uid=%s size=%s limit_mb=%s", uid, size,
                s.cfg.max_message_mb)
    timer: RequestTimer | None = None
    try:
        # one deadline for the header, the structure and up to 4 text parts
        with s.watch(_TEXT_PARTS * oversized.TEXT_PART_MAX + 65536) as timer:
            item = wire.fetch([uid], ["BODYSTRUCTURE", "BODY.PEEK[HEADER]", "INTERNALDATE"]
                              ).get(uid)
            if item is None:
                return None  # expunged meanwhile
            header = item.get(b"BODY[HEADER]")
            structure = item.get(b"BODYSTRUCTURE")
            if (not isinstance(header, bytes) or not isinstance(structure, tuple | list)
                    or not structure):
                skip(uid, "no header or BODYSTRUCTURE for a too-large message")
                return None
            texts, files = _read_text_parts(wire, uid, structure)
    except (IMAPClientAbortError, OSError) as exc:
        s.lost("FETCH", exc, timer)
    except IMAPClientError as exc:
        s.check_deadline("FETCH", timer)
        said = s.scrub(text(exc))
        if codes(said) in TEMPORARY_CODES:
            raise s.unavailable("FETCH failed", said) from exc
        skip(uid, f"too-large message could not be described ({said})")
        return None
    when = item.get(b"INTERNALDATE")
    internaldate = when if isinstance(when, datetime) else None
    return RawMessage(
        key=key,
        raw=oversized.stand_in(header, texts, files),
        internaldate=internaldate,
        identity=oversized.oversized_identity(header, size, internaldate),
    )


def _read_text_parts(wire: Wire, uid: int, structure: tuple[object, ...] | list[object],
                     ) -> tuple[list[tuple[oversized.Leaf, bytes]], list[oversized.Leaf]]:
    """The first few body-text leaves (each cut at TEXT_PART_MAX) and every other leaf."""
    texts: list[tuple[oversized.Leaf, bytes]] = []
    files: list[oversized.Leaf] = []
    for leaf in oversized.leaves(structure):
        if not leaf.is_body_text or len(texts) >= _TEXT_PARTS:
            files.append(leaf)
            continue
        got = wire.fetch([uid], [f"BODY.PEEK[{leaf.section}]<0.{oversized.TEXT_PART_MAX}>"])
        piece = got.get(uid, {}).get(f"BODY[{leaf.section}]<0>".encode())
        texts.append((leaf, piece if isinstance(piece, bytes) else b""))
    return texts, files
