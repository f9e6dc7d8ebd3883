"""store.url: the PostgreSQL ledger URL is validated, and its password never shown."""

from __future__ import annotations

import pytest

from bridge import storeurl
from bridge.storeurl import StoreUrlError, masked, parse, secrets_of

PASSWORD = "Pa55-w0rd@XXXX"
URL = "postgresql+psycopg://mailbridge:Pa55-w0rd%40XXXX@db.example.ru:5432/mailbridge"


def test_a_postgresql_psycopg_url_is_accepted() -> None:
    """The documented shape parses to host, port, database and the decoded password."""
    url = parse(URL)
    assert (url.host, url.port, url.database, url.password) == (
        "db.example.ru", 5432, "mailbridge", PASSWORD,
    )


def test_masked_hides_the_password() -> None:
    """The URL shown in logs and status carries *** instead of the password."""
    assert masked(URL) == "postgresql+psycopg://mailbridge:***@db.example.ru:5432/mailbridge"
    assert masked("not a url at all") == "***"


@pytest.mark.parametrize(
    "text, phrase",
    [
        ("postgresql://mailbridge:Pa55-w0rd%40XXXX@db/mb", "write the driver as"),
        ("mysql://mailbridge:Pa55-w0rd%40XXXX@db/mb", "only PostgreSQL"),
        ("postgresql+psycopg://mailbridge:Pa55-w0rd%40XXXX@db.example.ru", "name the database"),
        ("postgresql+psycopg://mailbridge:Pa55-w0rd%40XXXX@/mb", "name the server"),
        ("Pa55-w0rd@XXXX", "not a database URL"),
    ],
)
def test_bad_urls_are_explained_without_the_password(text: str, phrase: str) -> None:
    """Each wrong shape says what to fix and never echoes the password."""
    with pytest.raises(StoreUrlError) as info:
        parse(text)
    message = str(info.value)
    assert phrase in message and storeurl.SHAPE in message
    assert "Pa55" not in message


def test_secrets_cover_the_url_and_both_spellings_of_the_password() -> None:
    """The redactor gets the URL, the password and its URL-encoded form."""
    found = secrets_of(URL)
    assert URL in found and PASSWORD in found and "Pa55-w0rd%40XXXX" in found
    assert secrets_of("") == ()
