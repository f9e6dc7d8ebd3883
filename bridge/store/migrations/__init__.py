"""The ledger's schema history as Alembic revisions, run by ``bridge.store.migrate`` when a
ledger is opened (no ``alembic.ini`` and no ``alembic`` command needed).

Revision ``NNNN`` is the schema an SQLite ledger from before Alembic had at ``PRAGMA
user_version = N`` (and a PostgreSQL one at ``mailbridge_schema.version = N``), so an old ledger
is stamped with its own number and upgraded from there. The history is linear and moves
forward only (no downgrades: restore a backup instead).

A schema change is one new file in ``versions/`` (the next number, ``down_revision`` the
previous one; a released revision is never edited) and the matching edit of the Table
definitions in ``bridge/store/schema.py``. ``tests/test_store_migrations.py`` compares the two
on both backends and fails when they differ.
"""
