"""The revisions, one file each, named by number (Alembic skips this file)."""
