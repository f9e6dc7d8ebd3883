"""The message catalogue: every text a person reads, in English and Russian (bridge.i18n).

One entry per key: ``Msg(en, ru)``. Both sides carry the same ``{placeholders}``
(tests/test_i18n.py checks that, and that every ``t("…")`` in the source names a key
here). Bitrix24 menu names are given as the portal shows them in each language. Config
keys, commands and values stay as they are written in the file (``imap.password``).

The catalogue is kept in parts by area (the command line, the mailbox checks, the portal
checks, notifications), merged here into one ``CATALOGUE``; a key is written in one part only.
"""

from __future__ import annotations

from bridge.messages import alerts, commands, mailbox_checks, portal_checks
from bridge.messages.entry import Msg

PARTS: tuple[dict[str, Msg], ...] = (
    commands.MESSAGES, mailbox_checks.MESSAGES, portal_checks.MESSAGES, alerts.MESSAGES,
)
CATALOGUE: dict[str, Msg] = {key: msg for part in PARTS for key, msg in part.items()}

__all__ = ["CATALOGUE", "PARTS", "Msg"]
