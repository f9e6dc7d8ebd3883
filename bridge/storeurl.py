"""``store.url``: the ledger on PostgreSQL (``postgresql+psycopg://USER:PASSWORD@HOST/DB``).

The URL carries a password, so it is a secret like the webhook URL: the environment variable
``BRIDGE_STORE_URL``, then ``store.url_file``, then ``$CREDENTIALS_DIRECTORY/store-url``, then the
inline ``store.url``. It is never shown whole: ``masked()`` replaces the password with ``***``,
and errors about it never echo it. ``""`` (the default) keeps the embedded SQLite ledger at
``store.path``.
"""

from __future__ import annotations

from urllib.parse import quote

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

ENV_STORE_URL = "BRIDGE_STORE_URL"
CREDENTIAL_STORE_URL = "store-url"
DRIVER = "postgresql+psycopg"
SHAPE = "postgresql+psycopg://USER:PASSWORD@HOST:5432/DATABASE"


class StoreUrlError(ValueError):
    """A ``store.url`` that cannot be used; the message never contains the password."""


def parse(text: str) -> URL:
    """The validated URL, or StoreUrlError saying what is wrong (without the password)."""
    try:
        url = make_url(text.strip())
    except (ArgumentError, ValueError):
        raise StoreUrlError(f"expected {SHAPE}; this is not a database URL") from None
    shown = masked_url(url)
    if url.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        raise StoreUrlError(
            f"expected {SHAPE}, got {shown}: write the driver as {DRIVER}:// "
            "(psycopg 3 is the driver mailbridge ships with)"
        )
    if url.drivername != DRIVER:
        raise StoreUrlError(
            f"expected {SHAPE}, got {shown}: only PostgreSQL is supported here "
            '(for SQLite set store.path and leave store.url = "")'
        )
    if not url.database:
        raise StoreUrlError(f"expected {SHAPE}, got {shown}: name the database after the /")
    if not url.host and "host" not in url.query:
        raise StoreUrlError(f"expected {SHAPE}, got {shown}: name the server after the @")
    return url


def masked_url(url: URL) -> str:
    """The URL with its password as ``***`` (safe for logs and ``status``)."""
    return url.render_as_string(hide_password=True)


def masked(text: str) -> str:
    """``masked_url`` for a text that may not even parse (then only ``***``)."""
    try:
        return masked_url(make_url(text.strip()))
    except (ArgumentError, ValueError):
        return "***"


def secrets_of(text: str) -> tuple[str, ...]:
    """What the log redactor must hide: the whole URL and its password."""
    if not text:
        return ()
    try:
        password = make_url(text.strip()).password
    except (ArgumentError, ValueError):
        password = None
    if not password:
        return (text, text.strip())
    return (text, text.strip(), str(password), quote(str(password), safe=""))
