"""``Ledger``: the message ledger on one SQLite file or in PostgreSQL, in one object.

Its parts live beside it, one job each: ``base`` (opening, migrating, transactions),
``moves`` (every write that moves a message, judged by ``machine``), ``queries`` (reading it
back), ``privacy`` (forgetting client data).
"""

from __future__ import annotations

from bridge.store.moves import LedgerMoves
from bridge.store.privacy import LedgerPrivacy
from bridge.store.queries import LedgerQueries


class Ledger(LedgerMoves, LedgerQueries, LedgerPrivacy):
    """The message ledger. Open with ``Ledger.open(path)`` (SQLite) or
    ``Ledger.open_url(url, path, schema)`` (PostgreSQL); callers only ever see frozen
    ``MessageRecord`` values."""
