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


def _cfg(tmp_path, store: str, env: dict[str, str] | None = None):
    from bridge.config import load

    path = tmp_path / "c.toml"
    path.write_text(
        '[imap]\nhost = "imap.example.ru"\nusername = "u@example.ru"\npassword = "pw"\n'
        '[bitrix24]\nwebhook_url = "https://p.bitrix24.ru/rest/1/XXXXXXXXXXXXXXXX/"\n'
        f"[store]\n{store}\n"
    )
    return load(path, env=env or {})


def test_store_url_defaults_to_sqlite(tmp_path) -> None:
    """Without store.url the ledger stays the SQLite file (url is "")."""
    cfg = _cfg(tmp_path, 'path = "x.db"')
    assert cfg.store.url == "" and cfg.store.path == tmp_path / "x.db"


def test_store_url_sources_in_order(tmp_path) -> None:
    """BRIDGE_STORE_URL beats url_file, which beats the credential and the inline value."""
    (tmp_path / "url").write_text(URL.replace("db.example.ru", "file-host") + "\n")
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "store-url").write_text(URL.replace("db.example.ru", "cred-host"))
    env_url = URL.replace("db.example.ru", "env-host")
    inline = f'url = "{URL}"'
    assert _cfg(tmp_path, inline).store.url == URL
    assert "cred-host" in _cfg(tmp_path, "", {"CREDENTIALS_DIRECTORY": str(creds)}).store.url
    assert "file-host" in _cfg(tmp_path, 'url_file = "url"',
                               {"CREDENTIALS_DIRECTORY": str(creds)}).store.url
    assert _cfg(tmp_path, 'url_file = "url"', {"BRIDGE_STORE_URL": env_url}).store.url == env_url


def test_bad_store_url_names_the_key_not_the_password(tmp_path) -> None:
    """A wrong driver is a ConfigError on store.url that does not show the password."""
    from bridge.errors import ConfigError

    with pytest.raises(ConfigError) as info:
        _cfg(tmp_path, f'url = "{URL.replace("+psycopg", "")}"')
    assert str(info.value).startswith("store.url: ") and "Pa55" not in str(info.value)
    assert "Pa55" not in repr(_cfg(tmp_path, f'url = "{URL}"').store)


def test_store_url_password_is_redacted(tmp_path) -> None:
    """Loading the config registers the URL's password with the log redactor."""
    import argparse

    from bridge import cli, logsetup

    path = tmp_path / "c.toml"
    _cfg(tmp_path, f'url = "{URL}"')
    cli.load_config(argparse.Namespace(config=str(path)))
    shown = logsetup.REDACTOR.redact(f"connect {URL} password={PASSWORD}")
    assert "Pa55" not in shown
