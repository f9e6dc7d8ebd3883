"""The ledger's state machine: which move a row may make, apart from the queries that make it.

The vocabulary and the table (``TRANSITIONS``) live in ``bridge.states``; this module holds
the guards the ledger applies, inside the write transaction, before it writes a new state:

* the move must be in ``TRANSITIONS`` (a self-move is a resume after a crash or another failed
  attempt). A refused move away from ``pushing`` or a finished state is ``RowClaimed``: another
  process took the row (``RowClaimed`` is a ``StoreError``, so a caller's own bug still reads
  as one);
* ``created`` needs a push that began (``push_started_at``), unless the row is a pushing one
  or marked ``lookup_first`` (a lead may exist although no push of ours began): a lead can
  exist only once a push began, so a lead id for anything else is a bug;
* ``pushing`` and ``duplicate`` need ``content_digest``: the message was parsed and its double
  click checked first.

Finished states are terminal: nothing can make a second lead for a message with one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bridge.errors import RowClaimed, StoreError
from bridge.states import CREATED, DUPLICATE, FINISHED, PUSHING, TRANSITIONS, State


@dataclass(frozen=True, slots=True)
class Standing:
    """What the guards read of a row before it moves."""

    state: str
    push_started_at: datetime | None
    content_digest: str | None
    lookup_first: bool


def check_move(id: int, row: Standing, target: str, *, digest_given: bool = False) -> None:
    """Raise (RowClaimed or StoreError) unless message ``id`` may move from ``row`` to
    ``target``; ``digest_given``: the same write sets ``content_digest``."""
    current = State(row.state)
    if target not in TRANSITIONS[current]:
        kind = RowClaimed if current == PUSHING or current in FINISHED else StoreError
        raise kind(f"message {id}: cannot go from {current} to {target}")
    if (
        target == CREATED and current != PUSHING and row.push_started_at is None
        and not row.lookup_first
    ):
        raise StoreError(f"message {id}: cannot go from {current} to created: no push was started")
    if target in (PUSHING, DUPLICATE) and not digest_given and row.content_digest is None:
        raise StoreError(f"message {id}: cannot go from {current} to {target}: not parsed")
