"""Values copied from config.toml.example and never filled in, found before `check` connects.

The example carries a webhook code of ``XXXXXXXXXXXXXXXX`` on the portal
``rostferrum.bitrix24.ru``, the mailbox ``zayavki@rostferrum.ru`` and an empty password.
Connecting with those only gives a confusing refusal, so `check` says "fill in …" for each
instead (exit 78). The code is a placeholder only on a real portal: the local sandbox on a
loopback address uses it on purpose. Secrets given by environment variable, ``*_file``
key or systemd credential count as filled in.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bridge.hosts import is_loopback_host
from bridge.i18n import t

EXAMPLE_WEBHOOK_HOST = "rostferrum.bitrix24.ru"
EXAMPLE_USERNAME = "zayavki@rostferrum.ru"
_EXAMPLE_CODE = re.compile(r"/rest/\d+/X{8,}/?$")


def _table(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name)
    return value if isinstance(value, dict) else {}


def _given_elsewhere(section: dict[str, Any], key: str, env: Mapping[str, str],
                     env_name: str, credential: str) -> bool:
    """True when the secret comes from the environment, a ``*_file`` or a credential."""
    if env.get(env_name, "").strip():
        return True
    file_value = section.get(key + "_file")
    if isinstance(file_value, str) and file_value.strip():
        return True
    cred_dir = env.get("CREDENTIALS_DIRECTORY", "").strip()
    return bool(cred_dir) and (Path(cred_dir) / credential).is_file()


def placeholder_problems(path: Path, env: Mapping[str, str] | None = None) -> list[str]:
    """One "fill in …" line per example value left in the config file at ``path``."""
    env = os.environ if env is None else env
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return []  # loading the config reports these, naming the problem
    imap, b24 = _table(data, "imap"), _table(data, "bitrix24")
    out: list[str] = []
    username = imap.get("username")
    if isinstance(username, str) and username.strip().lower() == EXAMPLE_USERNAME:
        out.append(t("check.fill_in", key="imap.username",
                     what=t("check.fill_in.username", value=EXAMPLE_USERNAME)))
    # with [[mailboxes]], [imap] holds only defaults: each mailbox has its own password
    password = imap.get("password", "") if "mailboxes" not in data else None
    if (isinstance(password, str) and not password.strip()
            and not _given_elsewhere(imap, "password", env, "BRIDGE_IMAP_PASSWORD",
                                     "imap-password")):
        out.append(t("check.fill_in", key="imap.password", what=t("check.fill_in.password")))
    url = b24.get("webhook_url")
    if isinstance(url, str) and not _given_elsewhere(b24, "webhook_url", env,
                                                     "BITRIX24_WEBHOOK_URL", "webhook-url"):
        try:
            host = (urlsplit(url.strip()).hostname or "").lower()
        except ValueError:
            host = ""
        # the local sandbox (loopback) uses the example's code on purpose
        if _EXAMPLE_CODE.search(url.strip()) and not is_loopback_host(host):
            out.append(t("check.fill_in", key="bitrix24.webhook_url",
                         what=t("check.fill_in.webhook_code")))
        if host == EXAMPLE_WEBHOOK_HOST:
            out.append(t("check.fill_in", key="bitrix24.webhook_url",
                         what=t("check.fill_in.webhook_host", host=EXAMPLE_WEBHOOK_HOST)))
    return out
