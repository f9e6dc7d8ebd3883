"""The ledger generation: a restored, moved or replaced ledger is always noticed.

A ledger copy knows only what had happened when it was taken. Put back in place (restored
from a backup, a VM snapshot, a file copied over it, a WAL file lost), it would take mail it
never saw finished for new mail and send it again. So every ledger carries a generation, and
a small file beside the lock, ``<ledger>.generation``, says which generation of which ledger
was written last::

    <ledger id (32 hex)> <sequence (20 digits)>

The rules, applied inside every write transaction of the ledger (``BEGIN IMMEDIATE`` is held,
so writers from several processes take turns):

1. read the ledger's own ``ledger_id`` and ``generation`` (``meta``) and the file beside it;
2. if the file is missing, names another ledger, or says a *higher* sequence than the ledger
   has, this ledger is not the one that did the latest work: a **mismatch**;
3. on a mismatch, in the same transaction: every unfinished row is marked to be looked up by
   ``ORIGIN_ID`` before it is sent, and the folder baselines are dropped, so the next pass
   over each folder is a *first pass* (SPEC §4): every message the ledger does not know is
   looked up before a lead is created;
4. write ``sequence + 1`` into the file **before** the transaction commits (after its own
   work, so a rolled-back transaction leaves the file alone), then commit
   ``generation = sequence + 1`` in the ledger.

Why a restored copy is always detected: every side effect (a lead sent, a mail marked) is
preceded by a committed ledger write, and the file is advanced before each such commit. A copy
taken at sequence *s* therefore misses work only if some write after it happened; that write
first set the file to at least *s + 1*, so the copy (at *s*) is lower than the file: rule 2.
A ledger and its file restored *together* (a snapshot of the whole machine) agree with each
other; two more rules cover that case. Mail finished after the snapshot was moved away
(``processed_folder``) or is ``\\Seen``, and ``\\Seen`` mail the ledger does not know is looked
up (``bridge.firstpass``). And a processing session marks the ledger while it runs
(``open_session``/``close_session``): a ledger that was not closed cleanly (a crash, a kill,
or a snapshot taken while it ran) has every unfinished row looked up before it is sent.

A crash between step 4's file write and the commit leaves the file one ahead of the ledger:
the same rule makes that pass a first pass, which costs a lookup and is never wrong. A
ledger moved to another path (no file there yet), an old ledger from before generations, and a
new ledger after the old one was deleted all count as mismatches; a new ledger has no baseline
anyway. The mark of rule 3 is committed in the ledger itself, so it survives any crash that
follows; only then may the file follow the ledger again.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, text

from bridge.states import FINISHED, PUSHING, State

log = logging.getLogger(__name__)

SUFFIX = ".generation"
FILE_MODE = 0o600
_ID_KEY = "ledger_id"
_SEQ_KEY = "generation"
_MISMATCH_KEY = "generation_mismatch_at"


def generation_path_for(ledger: Path) -> Path:
    """``bridge.db`` -> ``bridge.db.generation`` (beside ``bridge.db.lock``)."""
    ledger = Path(ledger)
    return ledger.with_name(ledger.name + SUFFIX)


@dataclass(frozen=True, slots=True)
class Stamp:
    """What the file beside the ledger says."""

    ledger_id: str
    sequence: int

    def text(self) -> str:
        return f"{self.ledger_id} {self.sequence:020d}\n"


def read_stamp(path: Path) -> Stamp | None:
    """The stamp in ``path``; None when missing or unreadable (both count as a mismatch)."""
    try:
        text = path.read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    parts = text.split()
    if len(parts) != 2 or not parts[1].isdigit():
        return None
    return Stamp(parts[0], int(parts[1]))


def write_stamp(path: Path, stamp: Stamp) -> None:
    """Write the stamp (one small write of a fixed length, 0600).

    Not fsynced (it would double the cost of every ledger write): the write reaches the page
    cache before the ledger's COMMIT, which is what matters when a process dies. After a
    power loss the file may lag behind the ledger, which reads as "the ledger is ahead"; an
    older copy restored on top of such a power loss is then left to the session rule below.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
    try:
        st = os.fstat(fd)
        if st.st_mode & 0o077:
            os.fchmod(fd, FILE_MODE)
        ledger_file = path.with_name(path.name.removesuffix(SUFFIX))
        # `retry` run as root: keep the file the daemon's, as SQLite does for -wal (a ledger
        # on PostgreSQL has no file here: the stamp stays whose it is)
        if os.geteuid() == 0 and ledger_file.exists():
            owner = os.stat(ledger_file)
            if (st.st_uid, st.st_gid) != (owner.st_uid, owner.st_gid):
                os.fchown(fd, owner.st_uid, owner.st_gid)
        data = stamp.text().encode("ascii")
        os.pwrite(fd, data, 0)
        os.ftruncate(fd, len(data))
    finally:
        os.close(fd)


def _sql_list(states: Iterable[State]) -> str:
    """States as an SQL list of literals (the enum's own values, never user input)."""
    return ", ".join(f"'{s.value}'" for s in sorted(states))


def _meta(conn: Connection, key: str) -> str | None:
    # bound parameters through text(): the same SQL on SQLite and PostgreSQL (store.url)
    row = conn.execute(text("SELECT value FROM meta WHERE key = :k"), {"k": key}).first()
    return None if row is None else str(row[0])


def _set_meta(conn: Connection, key: str, value: str) -> None:
    conn.execute(
        text("INSERT INTO meta (key, value) VALUES (:k, :v) "
             "ON CONFLICT (key) DO UPDATE SET value = excluded.value"),
        {"k": key, "v": value},
    )


def mark_first_pass(conn: Connection, why: str, at: str) -> int:
    """Every unfinished row is looked up before it is sent; every folder gets a first pass.

    Returns the number of rows marked. Runs inside the caller's write transaction.
    """
    marked = conn.exec_driver_sql(
        "UPDATE messages SET lookup_first = 1 "
        f"WHERE state NOT IN ({_sql_list(FINISHED)}) AND lookup_first = 0"
    ).rowcount
    conn.exec_driver_sql("DELETE FROM folders")
    _set_meta(conn, _MISMATCH_KEY, f"{at} {why}")
    log.warning(
        "ledger.generation_mismatch reason=%s rows_marked=%s "
        "(the next pass looks every unknown message up in Bitrix24 first)", why, marked,
    )
    return max(marked, 0)


def step(conn: Connection, stamp_path: Path, at: str) -> Stamp:
    """Rules 1-3 above and the ledger's half of rule 4, inside the caller's write transaction
    (before its own work). The caller writes the returned stamp once its work succeeded and
    before it commits (a rolled-back transaction leaves the file alone)."""
    ledger_id = _meta(conn, _ID_KEY)
    sequence = int(_meta(conn, _SEQ_KEY) or 0)
    stamp = read_stamp(stamp_path)
    why: str | None = None
    if ledger_id is None:
        ledger_id = uuid.uuid4().hex
        _set_meta(conn, _ID_KEY, ledger_id)
        if conn.exec_driver_sql("SELECT 1 FROM messages LIMIT 1").first() is not None:
            why = "ledger_without_generation"
        elif stamp is not None:
            why = "new_ledger"  # the one before it was deleted or moved away
    elif stamp is None:
        why = "no_generation_file"  # moved, copied elsewhere, or the file was removed
    elif stamp.ledger_id != ledger_id:
        why = "another_ledger"  # a different ledger file was put in its place
    elif stamp.sequence > sequence:
        why = "older_copy"  # restored from a backup, or the last commit was lost
    if why is not None:
        mark_first_pass(conn, why, at)
    new = Stamp(ledger_id, sequence + 1)
    _set_meta(conn, _SEQ_KEY, str(new.sequence))
    return new  # the caller writes it with write_stamp after its own work, before COMMIT


_SESSION_KEY = "session"


def open_session(conn: Connection, token: str, at: str) -> int:
    """The processor starts: if the last one did not close its session (it crashed, was
    killed, or this is a copy taken while it ran), every unfinished row may have been sent
    since and is looked up first. Returns the number of rows marked."""
    marked = 0
    if _meta(conn, _SESSION_KEY) is not None:
        marked = max(conn.exec_driver_sql(
            "UPDATE messages SET lookup_first = 1 "
            f"WHERE state NOT IN ({_sql_list({*FINISHED, PUSHING})}) "
            "AND lookup_first = 0"
        ).rowcount, 0)
        if marked:
            log.warning("ledger.unclean_stop rows_marked=%s (looked up before they are sent)",
                        marked)
    _set_meta(conn, _SESSION_KEY, f"{token} {at}")
    return marked


def close_session(conn: Connection, token: str) -> None:
    """The processor stops cleanly: nothing it did is missing from the ledger."""
    value = _meta(conn, _SESSION_KEY)
    if value is not None and value.split()[0] == token:
        conn.execute(text("DELETE FROM meta WHERE key = :k"), {"k": _SESSION_KEY})
