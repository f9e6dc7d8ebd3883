"""Reading a stored mail back into its form: the one place the pipeline calls the parser,
and the sender filter that decides before anything else."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bridge.errors import ParseError
from bridge.model import ParsedForm
from bridge.parsing import parse_message
from bridge.pipeline.context import Context

if TYPE_CHECKING:
    from bridge.store import MessageRecord

log = logging.getLogger("bridge.pipeline")


def sender_allowed(sender: str | None, allowed: Sequence[str]) -> bool:
    """filter.senders: exact addresses or @domains; empty list allows everyone."""
    if not allowed:
        return True
    if not sender:
        return False
    addr = sender.strip().lower()
    domain = addr.rpartition("@")[2]
    for item in allowed:
        item = item.strip().lower()
        if item.startswith("@"):
            if domain == item[1:] or domain.endswith("." + item[1:]):
                return True
        elif addr == item:
            return True
    return False


def reparse(raw: bytes, ctx: Context) -> ParsedForm:
    """Parse a stored mail with the configured options (raises what the parser raises)."""
    return parse_message(raw, ctx.s.parse)


def read_form(ctx: Context, row: MessageRecord) -> ParsedForm | None:
    """The row's stored mail, parsed; None when it cannot be (the row is quarantined)."""
    raw = ctx.ledger.raw(row.id)
    now = ctx.clock()
    if raw is None:
        ctx.ledger.set_quarantined(row.id, "the raw message is missing from the ledger", now)
        return None
    try:
        return reparse(raw, ctx)
    except ParseError as exc:
        ctx.ledger.set_quarantined(row.id, f"unreadable message: {exc}", now)
        log.warning("message.quarantined id=%s reason=unreadable", row.id)
    except Exception as exc:  # a parser bug must not block the other messages
        log.exception("message.parse_crashed id=%s", row.id)
        ctx.ledger.set_quarantined(
            row.id, f"internal error while parsing ({type(exc).__name__})", now
        )
    return None
