"""The ledger: the state machine behind "one form email, exactly one lead".

Every step of a message is committed here before the next side effect (a CRM call, a mailbox
move), so a process killed at any instant resumes from the last committed state::

    received -> parsed -> pushing -> created          (then mailbox_state: pending -> done)
         |         |          |
         |         |          +-> failed (temporary, retried with backoff) -> ... -> quarantined
         |         +-> duplicate (double click of an earlier message) | skipped (not a lead)
         +-> skipped | failed | quarantined (needs a person; ``retry`` runs it again)

``TRANSITIONS`` (``bridge.states``) is the full table; created, skipped and duplicate are
terminal; ``bridge.store.machine`` holds the guards the ledger applies on top of it.

``mailbox_state`` is orthogonal: "pending" until the mail was marked or moved ("done"), or
"gone" when it vanished from the server. The raw bytes are kept until the mailbox is done, so a
retry or a quarantined message can be parsed again without the mailbox.

``lookup_first`` marks a row a lead may exist for although no push of ours began (a first
pass over a folder, mail already ``\\Seen``, a restored ledger: ``bridge.firstpass``); every
write transaction also steps the ledger generation (``bridge.generation``), and
``claim_push`` is the compare-and-set that lets only one process send a row.

Two processes may open the same ledger (``status``/``retry`` while the daemon runs): WAL,
a busy timeout, short write transactions taken with ``BEGIN IMMEDIATE`` (``sqlite``); on
PostgreSQL an advisory lock per write transaction and a schema per mailbox (``postgres``).
Callers only ever see frozen ``MessageRecord`` values, never rows or sessions. Times are
timezone-aware UTC and are passed in (``at``/``now``); the clock is read only as a default.

The package, one job per module:

* ``schema``: the tables, written once (SQLAlchemy Core);
* ``migrate`` and ``migrations/``: Alembic revisions, run when a ledger is opened;
* ``record``: ``MessageRecord``, the value callers get;
* ``machine``: the guards on every move between states;
* ``base``, ``moves``, ``queries``, ``privacy``: the ``Ledger``'s parts (``ledger``);
* ``sqlite``, ``postgres``: each backend's engine and what differs between them.
"""

from bridge.states import (
    CREATED,
    DUPLICATE,
    FAILED,
    FINISHED,
    IN_PROGRESS,
    PARSED,
    PUSHING,
    QUARANTINED,
    RECEIVED,
    SKIPPED,
    STATES,
    TRANSITIONS,
)
from bridge.store.ledger import Ledger
from bridge.store.record import ERROR_MAX, SUBJECT_MAX, MessageRecord
from bridge.store.schema import folders, messages, meta, raw_messages
from bridge.store.sqlite import BUSY_TIMEOUT_MS, FILE_MODE

# The schema version this mailbridge opens every ledger at: the head Alembic revision's
# number (``bridge.store.migrate``); ``Ledger.schema_version()`` reads a ledger's.
SCHEMA_VERSION = 4

__all__ = [
    "BUSY_TIMEOUT_MS",
    "CREATED",
    "DUPLICATE",
    "ERROR_MAX",
    "FAILED",
    "FILE_MODE",
    "FINISHED",
    "IN_PROGRESS",
    "PARSED",
    "PUSHING",
    "QUARANTINED",
    "RECEIVED",
    "SCHEMA_VERSION",
    "SKIPPED",
    "STATES",
    "SUBJECT_MAX",
    "TRANSITIONS",
    "Ledger",
    "MessageRecord",
    "folders",
    "messages",
    "meta",
    "raw_messages",
]
