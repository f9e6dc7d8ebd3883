"""Keeping personal data no longer than needed (``store.keep_days``)."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import delete, select, update

from bridge.states import FINISHED
from bridge.store import postgres, sqlite
from bridge.store.base import LedgerBase, utc_now
from bridge.store.schema import messages, raw_messages

log = logging.getLogger(__name__)

BATCH = 500  # rows per UPDATE (SQLite's bound-parameter limit stays far away)


class LedgerPrivacy(LedgerBase):
    """Clearing the client's data from rows that no longer need it."""

    def forget_client_data(self, before: datetime, at: datetime | None = None) -> int:
        """Finished rows whose mail is done, last changed before ``before``, lose the client's
        data: subject, client keys, Message-ID, content digest and error text (the raw bytes
        went when the mail was done; any left are dropped). The row itself stays, with its
        identity hash and ORIGIN_ID, so the message is still known if it is ever seen again
        (and a message the ledger no longer knows is looked up first, SPEC §4).

        Returns the number of rows cleared. Freed pages are overwritten (``secure_delete``)
        and the WAL is checkpointed, so the old text does not linger in the files.
        """
        at = at or utc_now()
        old = (
            messages.c.state.in_(tuple(FINISHED))
            & (messages.c.mailbox_state != "pending")
            & (messages.c.updated_at < before)
            & (
                (messages.c.subject != "") | (messages.c.client_keys != "")
                | messages.c.message_id.is_not(None) | messages.c.content_digest.is_not(None)
                | messages.c.error.is_not(None)
            )
        )
        with self._read() as conn:  # most passes find nothing: no write transaction then
            if conn.execute(select(messages.c.id).where(old).limit(1)).first() is None:
                return 0
        on_sqlite = not postgres.is_postgres(self._engine)  # PostgreSQL: VACUUM is the server's
        with self._write(at) as conn:
            if on_sqlite:
                conn.exec_driver_sql("PRAGMA secure_delete = ON")
            try:
                ids = list(conn.execute(select(messages.c.id).where(old)).scalars())
                for i in range(0, len(ids), BATCH):
                    part = ids[i : i + BATCH]
                    conn.execute(
                        update(messages).where(messages.c.id.in_(part)).values(
                            subject="", client_keys="", message_id=None, content_digest=None,
                            error=None,
                        )
                    )
                    conn.execute(delete(raw_messages).where(raw_messages.c.id.in_(part)))
            finally:
                if on_sqlite:
                    conn.exec_driver_sql("PRAGMA secure_delete = OFF")
        if ids:
            if on_sqlite:
                sqlite.checkpoint(self._engine)
            log.info("ledger.client_data_forgotten rows=%s", len(ids))
        return len(ids)
