"""In-memory fakes of the pipeline's own Protocols (bridge.pipeline.protocols) and a fake
clock, for tests that drive ``Pipeline.poll_once`` in milliseconds with a real SQLite ledger."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bridge.errors import CrmError, CrmUnknownOutcome
from bridge.model import Attachment, Lead, MessageKey, RawMessage
from bridge.pipeline import Pipeline, Settings
from bridge.store import Ledger

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


class Clock:
    """A wall clock that moves only when told."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class FakeMailbox:
    """The Mailbox Protocol over a dict of UID -> raw mail; finished UIDs are recorded."""

    def __init__(self, uidvalidity: int = 1) -> None:
        self.uidvalidity = uidvalidity
        self.messages: dict[int, tuple[bytes, tuple[str, ...]]] = {}
        self.finished: dict[int, str] = {}
        self.finish_calls = 0
        self.connections = 0

    def deliver(self, raw: bytes, *, seen: bool = False) -> int:
        uid = max(self.messages, default=0) + 1
        self.messages[uid] = (raw, ("\\Seen",) if seen else ())
        return uid

    def select(self, folder: str) -> int:
        return self.uidvalidity

    def search_new(self, after_uid: int | None, since: date | None) -> list[int]:
        return sorted(u for u in self.messages if after_uid is None or u > after_uid)

    def fetch(self, uids: Sequence[int]) -> Iterator[RawMessage]:
        for uid in uids:
            raw, flags = self.messages[uid]
            yield RawMessage(MessageKey("INBOX", self.uidvalidity, uid), raw, T0, flags=flags)

    def finish(self, uid: int, processed_folder: str) -> str:
        self.finish_calls += 1
        self.finished[uid] = "seen"
        return "seen"

    def close(self) -> None:
        pass


class BulkMailbox(FakeMailbox):
    """A source with every optional feature: finish_many, skipped and uidnext."""

    def __init__(self, uidvalidity: int = 1) -> None:
        super().__init__(uidvalidity)
        self.skipped: list[tuple[int, str]] = []
        self.uidnext: int | None = None
        self.bulk_calls: list[list[int]] = []

    def finish_many(self, uids: Sequence[int], processed_folder: str) -> dict[int, str]:
        self.bulk_calls.append(list(uids))
        self.finished.update({u: "moved" for u in uids})
        return {u: "moved" for u in uids}


@dataclass
class Fault:
    """One scripted failure of a CRM call; ``done``: the write happened before the error."""

    exc: CrmError
    done: bool = False


@dataclass
class FakeCrm:
    """The Crm Protocol in memory: leads by id, their ORIGIN_IDs, comments, scripted faults."""

    leads: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: list[tuple[int, str, tuple[str, ...]]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    lookups: list[list[str]] = field(default_factory=list)
    faults: dict[str, list[Fault]] = field(default_factory=dict)

    def fail(self, method: str, exc: CrmError, *, times: int = 1, done: bool = False) -> None:
        self.faults.setdefault(method, []).extend(Fault(exc, done) for _ in range(times))

    def _fault(self, method: str) -> Fault | None:
        self.calls.append(method)
        queue = self.faults.get(method)
        fault = queue.pop(0) if queue else None
        if fault is not None and isinstance(fault.exc, CrmUnknownOutcome):
            fault.exc.sent_monotonic = time.monotonic()  # the last byte left just now
        return fault

    def _create(self, fields: dict[str, Any]) -> int:
        lead_id = len(self.leads) + 101
        self.leads[lead_id] = dict(fields)
        return lead_id

    def origins(self) -> dict[str, int]:
        return {str(f["ORIGIN_ID"]): i for i, f in self.leads.items()}

    def add_lead(self, fields: dict[str, Any], files: Sequence[Attachment] = (),
                 file_field: str = "") -> int:
        fault = self._fault("add_lead")
        if fault is not None and not fault.done:
            raise fault.exc
        lead_id = self._create(fields)
        if fault is not None:
            raise fault.exc
        return lead_id

    def add_leads_batch(self, leads: Sequence[Lead],
                        file_field: str = "") -> dict[str, int | CrmError]:
        fault = self._fault("add_leads_batch")
        if fault is not None and not fault.done:
            raise fault.exc
        made: dict[str, int | CrmError] = {ld.origin_id: self._create(ld.fields) for ld in leads}
        if fault is not None:
            raise fault.exc
        return made

    def find_leads_by_origin(self, origin_ids: Sequence[str]) -> dict[str, int]:
        fault = self._fault("find_leads_by_origin")
        if fault is not None:
            raise fault.exc
        self.lookups.append(list(origin_ids))
        known = self.origins()
        return {o: known[o] for o in origin_ids if o in known}

    def add_timeline_comment(self, lead_id: int, text: str,
                             files: Sequence[Attachment] = ()) -> int:
        fault = self._fault("add_timeline_comment")
        if fault is not None:
            raise fault.exc
        self.comments.append((lead_id, text, tuple(f.filename for f in files)))
        return len(self.comments)

    def find_timeline_comment(self, lead_id: int, marker: str) -> int | None:
        for n, (lid, text, _) in enumerate(self.comments, 1):
            if lid == lead_id and marker in text:
                return n
        return None

    def lead_fields(self) -> dict[str, Any]:
        return {}


@dataclass
class Rig:
    """A pipeline wired to the fakes and a real ledger."""

    pipe: Pipeline
    ledger: Ledger
    crm: FakeCrm
    box: FakeMailbox
    clock: Clock


def rig(tmp_path: Path, box: FakeMailbox | None = None, *, baseline: bool = True,
        **settings: Any) -> Rig:
    """A pipeline over a fresh ledger; ``baseline``: one empty pass first, so the ledger
    knows the folder (no first-pass lookups)."""
    box = box or FakeMailbox()
    clock, crm = Clock(), FakeCrm()
    ledger = Ledger.open(tmp_path / "bridge.db")
    options = {"since_days": 36500, "file_field": "", **settings}
    pipe = Pipeline(Settings(**options), ledger, crm, lambda: box, clock=clock,
                    rng=lambda: 1.0)
    if baseline:
        pipe.poll_once()
    return Rig(pipe, ledger, crm, box, clock)


@pytest.fixture
def make_rig(tmp_path: Path) -> Iterator[Callable[..., Rig]]:
    """Builds rigs over tmp_path and closes their ledgers afterwards."""
    made: list[Rig] = []

    def build(**kwargs: Any) -> Rig:
        made.append(rig(tmp_path, **kwargs))
        return made[-1]

    yield build
    for r in made:
        r.pipe.close()
        r.ledger.close()
