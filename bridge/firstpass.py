"""When a lead may already exist for mail the ledger has not seen (SPEC §4).

A ledger knows what *it* did. A lead may still exist for a message it has never seen: another
ledger (a new, moved or restored file; a second installation) or a person may have handled
it. So a message is looked up by ``ORIGINATOR_ID`` + ``ORIGIN_ID`` before a lead is created
when:

* the pass is the ledger's **first pass over the folder**: the ledger has no baseline for it
  (a new or moved ledger, or one whose generation did not match: ``bridge.generation`` drops
  the baselines then), or the folder's UIDVALIDITY changed (a re-baseline);
* the mail is already marked ``\\Seen`` when it is fetched (read by a person, or finished by
  another ledger while ``processed_folder = ""`` leaves finished mail in place).

The lookups travel in lists of 50 (one ``crm.lead.list`` each), so a fresh ledger against an
already processed mailbox creates nothing and costs one request per 50 messages; new mail on
a ledger that knows its folder costs nothing extra. A row whose lookup found nothing is sent
like any new mail (the flag is cleared), so it is looked up once, not at every retry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bridge.model import RawMessage
from bridge.states import PUSHING

if TYPE_CHECKING:
    from bridge.crm_target import Targeting
    from bridge.store import MessageRecord


def is_first_pass(baseline: tuple[int, int] | None, uidvalidity: int) -> bool:
    """The ledger has no baseline for the folder, or the folder was rebuilt."""
    return baseline is None or baseline[0] != uidvalidity


def lookup_first(first_pass: bool, msg: RawMessage) -> bool:
    """Must this newly fetched message be looked up before a lead is created?"""
    return first_pass or msg.seen


def may_exist(row: MessageRecord) -> bool:
    """A lead may exist for this row: a push of ours began, or it was marked for a lookup."""
    return row.state == PUSHING or row.push_started_at is not None or row.lookup_first


def uses_deals(targeting: Targeting | None) -> bool:
    """The config sends some enquiries to deals (``crm.target`` or a route): a first-pass
    lookup then asks for deals too (``Targeting.adopt_deals``, 50 per request)."""
    if targeting is None:
        return False
    if targeting.crm.target == "deal":
        return True
    return any(r.target == "deal" for r in targeting.routes)
