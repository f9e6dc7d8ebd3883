"""Moved to ``bridge.store.postgres`` (the ledger's backends live in the ``bridge.store``
package); this name stays for the modules that import it."""

from bridge.store.postgres import (
    CONNECT_TIMEOUT,
    WRITER_LOCK,
    cause,
    greatest,
    is_postgres,
    pg_engine,
    schema_key,
    upsert,
)

__all__ = [
    "CONNECT_TIMEOUT",
    "WRITER_LOCK",
    "cause",
    "greatest",
    "is_postgres",
    "pg_engine",
    "schema_key",
    "upsert",
]
