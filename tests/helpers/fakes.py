"""In-memory fakes of our own small Protocols: a settable clock and the ledger's meta table."""

from __future__ import annotations


class Clock:
    """A settable clock in seconds (starts at 1000.0); a test moves ``now`` by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class MemoryMeta:
    """The ledger's meta table (get_meta/set_meta) in memory."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        """The stored value of ``key``, else ``default``."""
        return self.values.get(key, default)

    def set_meta(self, key: str, value: str) -> None:
        """Store ``value`` under ``key``."""
        self.values[key] = value
