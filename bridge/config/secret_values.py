"""Where a secret comes from: the environment, a ``*_file``, a systemd credential or the file
itself (SPEC §2, highest first), and the checks of the two secrets with a shape (the webhook
URL, through :mod:`bridge.secrets`, and ``store.url``). An error names where the secret came
from and never shows it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from bridge.config.keys import MAILBOX_TABLE, OFFLINE_WEBHOOK_URL
from bridge.errors import ConfigError
from bridge.secrets import webhook_url_problem

if TYPE_CHECKING:
    from bridge.config.reader import Reader
    from bridge.config.section import Section

CREDENTIALS_DIRECTORY = "CREDENTIALS_DIRECTORY"


def secret(
    loader: Reader, s: Section, key: str, env_name: str, credential: str, *,
    strip_inline: bool = True,
) -> str:
    """Env var, then ``<key>_file``, then $CREDENTIALS_DIRECTORY/<credential>, then inline.

    Records in ``s.origin[key]`` where the value came from, for error messages.
    """
    inline = s.text(key, "", secret=True)
    file_value = s.text(key + "_file", "").strip()
    env_value = loader.env.get(env_name, "") if env_name else ""
    if loader.offline and not env_name:  # a mailbox's own secret, not needed offline
        s.origin[key] = f"{s.name}.{key}"
        return OFFLINE_WEBHOOK_URL if key == "webhook_url" else "not-needed-offline"
    if env_value.strip():
        s.origin[key] = env_name
        return env_value.strip() if strip_inline else env_value.rstrip("\r\n")
    if file_value:
        return read_secret(loader, s, key, loader.resolve(file_value), f"{s.name}.{key}_file")
    cred_dir = loader.env.get(CREDENTIALS_DIRECTORY, "").strip()
    if cred_dir and (Path(cred_dir) / credential).is_file():
        where = f"$CREDENTIALS_DIRECTORY/{credential}"
        return read_secret(loader, s, key, Path(cred_dir) / credential, where)
    if inline.strip():
        s.origin[key] = f"{s.name}.{key}"
        return inline.strip() if strip_inline else inline
    if not env_name:  # a mailbox's own secret: no environment override
        raise loader.fail(
            f"{s.name}.{key}",
            f"required; set {s.name}.{key}_file (or the credential {credential} in "
            f"$CREDENTIALS_DIRECTORY), or {s.name}.{key}",
        )
    raise loader.fail(
        f"{s.name}.{key}",
        f"required; set the environment variable {env_name}, or {s.name}.{key}_file, "
        f"or {s.name}.{key}",
    )


def read_secret(loader: Reader, s: Section, key: str, path: Path, origin: str) -> str:
    """The stripped content of a secret file; ``origin`` names it in errors."""

    def fail(problem: str) -> ConfigError:
        if origin.startswith(s.name + "."):
            return loader.fail(origin, problem)
        return ConfigError(f"{origin}: {problem}", key=f"{s.name}.{key}")

    try:
        value = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise fail(f"file not found: {path}") from None
    except UnicodeDecodeError:
        raise fail(f"{path} is not UTF-8 text") from None
    except OSError as exc:
        raise fail(f"cannot read {path}: {exc.strerror}") from None
    if not value:
        raise fail(f"the file {path} is empty")
    s.origin[key] = origin
    return value


def secret_fail(loader: Reader, source: str, problem: str) -> ConfigError:
    """An error about a secret named by where it came from (key, env var, file)."""
    if source.startswith(("bitrix24.", "imap.", "store.", MAILBOX_TABLE + "[")):
        return loader.fail(source, problem)
    return ConfigError(f"{source}: {problem}", key="bitrix24.webhook_url")


def webhook(loader: Reader, url: str, source: str) -> str:
    """The inbound webhook URL, checked by bridge.secrets, with a trailing slash."""
    problem = webhook_url_problem(url)
    if problem is not None:
        raise secret_fail(loader, source, problem)
    return url if url.endswith("/") else url + "/"


def store_url(loader: Reader, s: Section) -> str:
    """``store.url`` (a secret): env, ``url_file``, credential, inline; "" = SQLite."""
    from bridge.storeurl import CREDENTIAL_STORE_URL, ENV_STORE_URL, StoreUrlError, parse

    cred_dir = loader.env.get(CREDENTIALS_DIRECTORY)
    given = (s.table.get("url") or s.table.get("url_file") or loader.env.get(ENV_STORE_URL)
             or (cred_dir and Path(cred_dir, CREDENTIAL_STORE_URL).is_file()))
    if not given:
        s.text("url", "", secret=True)  # still type-checked
        return ""
    url = secret(loader, s, "url", ENV_STORE_URL, CREDENTIAL_STORE_URL)
    try:
        parse(url)
    except StoreUrlError as exc:
        raise secret_fail(loader, s.origin["url"], str(exc)) from None
    return url
