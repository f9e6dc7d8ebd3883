"""The double-click rule (SPEC §3), as a pure function over parsed forms.

A message is a double click of an earlier one when they share a client key (the same
phone or the same e-mail), have the same content digest (normalised message, fields and
file hashes) and their dates lie within the window. The ledger applies the same rule in
SQL for the daemon; ``mailbridge parse`` uses this one over the files it is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bridge.model import ParsedForm


def is_double_click(
    later: ParsedForm,
    later_date: datetime | None,
    earlier: ParsedForm,
    earlier_date: datetime | None,
    window: timedelta,
) -> bool:
    if not (later.create_lead and earlier.create_lead):
        return False
    if not set(later.client_keys) & set(earlier.client_keys):
        return False
    if later.content_digest != earlier.content_digest:
        return False
    if later_date is None or earlier_date is None:
        return False
    return abs(later_date - earlier_date) <= window


def find_first(
    form: ParsedForm,
    when: datetime | None,
    history: Sequence[tuple[str, ParsedForm, datetime | None]],
    window: timedelta,
) -> str | None:
    """The name of the earliest message in ``history`` that ``form`` repeats, or None."""
    for name, earlier, earlier_date in history:
        if is_double_click(form, when, earlier, earlier_date, window):
            return name
    return None
