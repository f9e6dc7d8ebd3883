"""The ledger's states: the vocabulary of "one form email, exactly one lead".

A message moves through these states; every step is committed before the next side effect
(a CRM call, a mailbox move), so a process killed at any instant resumes from the last
committed state::

    received -> parsed -> pushing -> created          (then mailbox_state: pending -> done)
         |         |          |
         |         |          +-> failed (temporary, retried with backoff) -> ... -> quarantined
         |         +-> duplicate (double click of an earlier message) | skipped (not a lead)
         +-> skipped | failed | quarantined (needs a person; ``retry`` runs it again)

``TRANSITIONS`` is the full table; created, skipped and duplicate are terminal. ``State`` and
``MailboxState`` are string enums, so a member equals its stored text (``State.CREATED ==
"created"``) and rows read back from either backend compare without conversion.
"""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    """Where a message stands on its way to exactly one lead."""

    RECEIVED = "received"
    PARSED = "parsed"
    PUSHING = "pushing"
    CREATED = "created"
    SKIPPED = "skipped"
    DUPLICATE = "duplicate"
    FAILED = "failed"
    QUARANTINED = "quarantined"


class MailboxState(StrEnum):
    """What became of the mail itself: not yet marked or moved, done, or gone from the server."""

    PENDING = "pending"
    DONE = "done"
    GONE = "gone"


RECEIVED = State.RECEIVED
PARSED = State.PARSED
PUSHING = State.PUSHING
CREATED = State.CREATED
SKIPPED = State.SKIPPED
DUPLICATE = State.DUPLICATE
FAILED = State.FAILED
QUARANTINED = State.QUARANTINED

STATES: tuple[State, ...] = tuple(State)
FINISHED: frozenset[State] = frozenset({CREATED, SKIPPED, DUPLICATE})
IN_PROGRESS: frozenset[State] = frozenset({RECEIVED, PARSED, PUSHING})
# States the pipeline still pushes from (a failed row is retried once it is due).
PUSHABLE: frozenset[State] = frozenset({RECEIVED, PARSED, PUSHING, FAILED})
MAILBOX_STATES: tuple[MailboxState, ...] = tuple(MailboxState)

# Allowed moves. A self-move (parsed -> parsed, pushing -> pushing, failed -> failed) is a
# resume after a crash or another failed attempt. Two guards on top of the table (enforced by
# the ledger when it writes):
#   * "created" needs ``push_started_at``: a lead can exist only once a push began (a row
#     that failed or was retried after a push is found by ORIGIN_ID and recorded directly);
#   * "pushing" and "duplicate" need ``content_digest``: the message was parsed and its
#     double click checked first.
# Finished states are terminal: nothing can make a second lead for a message with one.
TRANSITIONS: dict[State, frozenset[State]] = {
    RECEIVED: frozenset({PARSED, SKIPPED, FAILED, QUARANTINED, CREATED}),
    PARSED: frozenset({PARSED, PUSHING, SKIPPED, DUPLICATE, FAILED, QUARANTINED, CREATED}),
    PUSHING: frozenset({PUSHING, CREATED, SKIPPED, DUPLICATE, FAILED, QUARANTINED}),
    CREATED: frozenset(),
    SKIPPED: frozenset(),
    DUPLICATE: frozenset(),
    FAILED: frozenset(
        {RECEIVED, PARSED, PUSHING, CREATED, SKIPPED, DUPLICATE, FAILED, QUARANTINED}
    ),
    QUARANTINED: frozenset({RECEIVED, PARSED, PUSHING}),
}


def allowed(current: str, new: str) -> bool:
    """Whether the table lets a row move from ``current`` to ``new`` (unknown states: no)."""
    try:
        return State(new) in TRANSITIONS[State(current)]
    except ValueError:
        return False
