"""`SIGHUP`: re-read the config file and the secrets while the daemon runs (SPEC §6).

The signal handler only sets a flag; the poll worker calls ``Reloader.reload()`` between two
polls, so no poll ever sees half a config. An invalid new file is logged, raises the
``reload_failed`` alarm, and the old config stays; the next good reload clears the alarm.
Keys that cannot change while running keep their old values and are named in the log
(``RESTART_ONLY``): the ledger (``store.*``), the metrics endpoint, and the daemon's poll and
IDLE schedule.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import Any

from bridge.alerts import alarms as kinds
from bridge.errors import ConfigError

log = logging.getLogger(__name__)

# section -> keys that keep their old value until a restart
RESTART_ONLY: dict[str, tuple[str, ...]] = {
    "store": ("path",),
    "metrics": ("listen", "allow_remote"),
    "imap": ("idle", "poll_interval", "idle_refresh"),
    "bitrix24": ("health_interval",),
}


def restart_only_changes(old: Any, new: Any) -> list[str]:
    """The restart-only keys whose value differs between two configs."""
    changed = []
    for section, keys in RESTART_ONLY.items():
        for key in keys:
            if getattr(getattr(old, section), key) != getattr(getattr(new, section), key):
                changed.append(f"{section}.{key}")
    return changed


def keep_restart_only(old: Any, new: Any) -> Any:
    """``new`` with every restart-only key set back to its value in ``old``."""
    replaced = {}
    for section, keys in RESTART_ONLY.items():
        values = {key: getattr(getattr(old, section), key) for key in keys}
        replaced[section] = dataclasses.replace(getattr(new, section), **values)
    return dataclasses.replace(new, **replaced)


class Reloader:
    """Loads the new config and hands it to ``apply``; failures keep the old config."""

    def __init__(
        self,
        current: Any,
        *,
        load: Callable[[Any], Any],
        apply: Callable[[Any], None],
        alarms: Any,
    ) -> None:
        self.current = current
        self.load = load
        self.apply = apply
        self.alarms = alarms

    def reload(self) -> bool:
        """One reload; True when the new config is in force."""
        log.info("reload.started path=%s", self.current.source_path)
        try:
            new = self.load(self.current.source_path)
            kept = restart_only_changes(self.current, new)
            new = keep_restart_only(self.current, new)
            self.apply(new)
        except ConfigError as exc:
            reason = " ".join(str(exc).split())
            log.error("reload.failed error=%s (the old config stays)", reason)
            self.alarms.raise_(kinds.RELOAD_FAILED, "", reason)
            return False
        for key in kept:
            log.warning("reload.kept key=%s (changes only with a restart)", key)
        self.current = new
        self.alarms.clear(kinds.RELOAD_FAILED)
        log.info("reload.done")
        return True
