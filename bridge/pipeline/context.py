"""What the steps of one pipeline share: settings, the three ports, the clocks, and the little
state that outlives a pass (files already commented, when inherited rows count as sent)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from bridge.errors import CrmUnknownOutcome
from bridge.filefield import FileFieldResolver
from bridge.model import Lead
from bridge.pipeline.protocols import Crm, Ledger
from bridge.pipeline.settings import Settings

if TYPE_CHECKING:
    from bridge.crm_target import Targeting
    from bridge.store import MessageRecord


class OnLead(Protocol):
    """Told of each lead created (and each deal, with ``entity="deal"``)."""

    def __call__(
        self, row: MessageRecord, lead_id: int, lead: Lead, entity: str = ...
    ) -> None: ...


class StopPushing(Exception):
    """The portal is rate-limiting or unreachable: leave the rest for the next pass."""


@dataclass(slots=True)
class Context:
    """One pipeline's shared parts; the steps (intake, push, deals, lookups, finish) hold it."""

    s: Settings
    ledger: Ledger
    crm: Crm
    clock: Callable[[], datetime]
    rng: Callable[[], float]
    stop: threading.Event
    files: FileFieldResolver
    targeting: Targeting | None = None  # None: no routes, repeat clients or deals
    on_lead: OnLead | None = None
    progress: Callable[[int, int], None] | None = None  # (fetched, to fetch) during intake
    push_progress: Callable[[int, int], None] | None = None  # (sent so far, due this pass)
    files_done: set[int] = field(default_factory=set)  # rows whose files comment is made
    # a lease taken over (bridge.multibox): inherited "pushing" rows count as sent then
    pushing_sent_at: datetime | None = None


def seconds_since_sent(exc: CrmUnknownOutcome) -> float:
    """How long ago the failed request's last byte was sent (0 when the transport did not
    say: then "now" is the latest it can have been)."""
    sent = exc.sent_monotonic
    return 0.0 if sent is None else max(0.0, time.monotonic() - sent)


def one_line(exc: BaseException) -> str:
    """An error's text on one line (its type's name when it has none)."""
    return " ".join(str(exc).split()) or type(exc).__name__


def quote(text: str) -> str:
    """A reason in double quotes for a log line."""
    return '"' + text.replace('"', "'") + '"'


def files_via_key(origin: str) -> str:
    """The ledger meta key recording how a message's files were sent (bridge.filefield)."""
    return f"files_via:{origin}"
