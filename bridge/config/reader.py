"""What a section reader needs from the loader, as a Protocol below both.

The section modules (``connections``, ``sections``, ``routing``, ``mailboxes``,
``secret_values``, ``notify``) read the file through a :class:`Reader`; the loader
(:mod:`bridge.config.loader`) is one, and it imports them, never the other way round.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from bridge.config.section import Section
from bridge.errors import ConfigError


class Reader(Protocol):
    """The parsed file, the environment, and the loader's checks, as a section reader sees them."""

    @property
    def data(self) -> dict[str, Any]:
        """The parsed TOML."""

    @property
    def env(self) -> Mapping[str, str]:
        """The environment (secret overrides, CREDENTIALS_DIRECTORY)."""

    @property
    def offline(self) -> bool:
        """True for the commands that read no mailbox's secret (status, retry, parse)."""

    def fail(self, key: str, problem: str) -> ConfigError:
        """A ConfigError for ``key``, with its line when the file has it."""

    def reject_unknown(self, table: dict[str, Any], prefix: str, known: tuple[str, ...]) -> None:
        """Reject keys of ``table`` that are not in ``known``, with a 'did you mean'."""

    def section(self, name: str) -> Section:
        """The top-level table ``name`` (unknown keys rejected), for typed reading."""

    def resolve(self, value: str) -> Path:
        """A path from the file, relative to the config file's folder."""
