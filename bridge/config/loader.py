"""The config file -> a frozen, always-valid Config (SPEC §2).

``load(path, env=os.environ) -> Config`` reads and validates everything once at start-up.
Every error is a ConfigError naming the key and, where it can, the line. The walk is here;
each section's rules are in the module named for it, and every default in
:mod:`bridge.config.values`.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bridge.config import connections, routing, sections
from bridge.config.keys import ARRAYS, KEYS, ROUTES_TABLE, section_of
from bridge.config.mailboxes import load_mailboxes
from bridge.config.notify import load_metrics, load_notify
from bridge.config.section import Section, show
from bridge.config.source import key_lines, read
from bridge.config.values import Bitrix24Config, Config, ImapConfig
from bridge.errors import ConfigError


def load(
    path: str | Path, env: Mapping[str, str] | None = None, *, offline: bool = False
) -> Config:
    """Read, validate and freeze the config file. Raises ConfigError.

    ``env`` (default ``os.environ``) supplies the secret overrides
    (BRIDGE_IMAP_PASSWORD, BITRIX24_WEBHOOK_URL, BITRIX24_RESPONSIBLE_USER_ID) and
    CREDENTIALS_DIRECTORY. ``offline`` (status, retry, parse) reads no secret of a
    ``[[mailboxes]]`` entry (the caller overrides the top-level ones through ``env``).
    """
    env = os.environ if env is None else env
    file = Path(path).expanduser().absolute()
    text, data = read(file)
    return Loader(file, text, data, env, offline).config()


class Loader:
    """Walks the parsed TOML once, section by section, and builds the Config.

    The section builders (here and in the other bridge.config modules) read the
    file through it as a :class:`bridge.config.reader.Reader`: ``data``, ``env``, ``offline``,
    :meth:`section`, :meth:`fail`, :meth:`reject_unknown` and :meth:`resolve`.
    """

    def __init__(
        self, file: Path, text: str, data: dict[str, Any], env: Mapping[str, str],
        offline: bool = False,
    ):
        self.offline = offline
        self.file = file
        self.folder = file.parent
        self.data = data
        self.env = env
        self.lines = key_lines(text)

    def fail(self, key: str, problem: str) -> ConfigError:
        """A ConfigError for ``key``, with its line (or its table's) when the file has it."""
        number = None
        probe = key
        while probe and number is None:
            number = self.lines.get(probe)
            probe = probe.rpartition(".")[0]
        where = f" ({self.file}, line {number})" if number else f" ({self.file})"
        return ConfigError(f"{key}: {problem}{where}", key=key, line=number)

    def reject_unknown(self, table: dict[str, Any], prefix: str, known: tuple[str, ...]) -> None:
        """Reject keys of ``table`` that are not in ``known``, with a 'did you mean'."""
        for name in table:
            if name in known:
                continue
            key = f"{prefix}.{name}" if prefix else name
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            if close:
                hint = f"did you mean {prefix + '.' if prefix else ''}{close[0]}?"
            elif not prefix and (section := section_of(name)):
                hint = f"did you mean {section}.{name}? (it belongs under [{section}])"
            elif not prefix:
                hint = "the sections are " + ", ".join(f"[{s}]" for s in known)
            else:
                hint = f"the keys of [{prefix}] are " + ", ".join(known)
            what = "section" if not prefix and isinstance(table[name], dict) else "key"
            raise self.fail(key, f"unknown {what}; {hint}")

    def config(self) -> Config:
        """The whole file, checked section by section in the order of SPEC §2."""
        self.reject_unknown(self.data, "", (*KEYS, *ARRAYS))
        for name, value in self.data.items():
            if not isinstance(value, dict) and name not in ARRAYS:
                raise self.fail(name, f"expected a table [{name}], got {show(value)}")
        mailboxes = load_mailboxes(self)
        store = sections.store(self)
        return Config(
            imap=mailboxes[0].imap if mailboxes else self.imap(),
            bitrix24=mailboxes[0].bitrix24 if mailboxes else self.bitrix24(),
            mailboxes=mailboxes,
            attachments=sections.attachments(self),
            filter=sections.filter_(self),
            dedupe=sections.dedupe(self),
            parsing=sections.parsing(self),
            retry=sections.retry(self),
            store=store,
            notify=load_notify(self),
            metrics=load_metrics(self),
            ui=sections.ui(self),
            crm=routing.crm(self.section("crm")),
            routes=routing.routes(self.data.get(ROUTES_TABLE), self.fail, self.reject_unknown,
                                  lambda name, table: Section(self, name, table)),
            source_path=self.file,
        )

    def section(self, name: str) -> Section:
        """The top-level table ``name`` (unknown keys rejected), for typed reading."""
        table = self.data.get(name, {})
        self.reject_unknown(table, name, KEYS[name])
        return Section(self, name, table)

    def resolve(self, value: str) -> Path:
        """A path from the file, relative to the config file's folder."""
        p = Path(value).expanduser()
        return p if p.is_absolute() else self.folder / p

    def imap(self, s: Section | None = None, **names: str) -> ImapConfig:
        """[imap], or a mailbox's table (bridge.config.connections.imap)."""
        return connections.imap(self, s, **names)

    def bitrix24(self, s: Section | None = None, **names: str) -> Bitrix24Config:
        """[bitrix24], or a mailbox's own portal (bridge.config.connections.bitrix24)."""
        return connections.bitrix24(self, s, **names)
