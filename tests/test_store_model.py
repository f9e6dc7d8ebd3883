"""Random sequences of ledger calls checked against a plain-Python model of its rules."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from bridge import store
from bridge.errors import StoreError
from bridge.store import (
    CREATED,
    DUPLICATE,
    FAILED,
    PARSED,
    PUSHING,
    QUARANTINED,
    RECEIVED,
    SKIPPED,
    STATES,
    TRANSITIONS,
    Ledger,
    MessageRecord,
)
from tests.ledger_helpers import T0

# --------------------------------------------------------------------------- model check


class LedgerAgainstModel(RuleBasedStateMachine):
    """Random sequences of ledger calls agree with a plain-Python model of the rules."""

    ids = Bundle("ids")

    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="ledger-model-"))
        self.led = Ledger.open(self.dir / "bridge.db")
        self.model: dict[int, dict[str, object]] = {}
        self.n = 0
        self.now = T0

    def teardown(self) -> None:
        self.led.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def _expect(self, i: int, target: str, ok: bool, call: Callable[[], MessageRecord]) -> None:
        m = self.model[i]
        before = self.led.by_id(i)
        if ok and target in TRANSITIONS[str(m["state"])]:
            r = call()
            assert r.state == target
            m["state"] = target
        else:
            with pytest.raises(StoreError):
                call()
            assert self.led.by_id(i) == before

    @rule(target=ids)
    def add(self) -> int:
        self.n += 1
        r = self.led.add_received("INBOX", 1, self.n, None, f"i{self.n}", f"o{self.n}", "s",
                                  T0, b"raw", self.now)
        self.model[r.id] = {"state": RECEIVED, "digest": False, "pushed": False,
                            "mailbox": "pending", "next": None}
        return r.id

    @rule(i=ids)
    def parse(self, i: int) -> None:
        self._expect(i, PARSED, True, lambda: self.led.set_parsed(i, ["phone:+1"], "d", self.now))
        if self.model[i]["state"] == PARSED:
            self.model[i]["digest"] = True

    @rule(i=ids)
    def push(self, i: int) -> None:
        ok = bool(self.model[i]["digest"])
        self._expect(i, PUSHING, ok, lambda: self.led.set_pushing(i, self.now))
        if ok and self.model[i]["state"] == PUSHING:
            self.model[i]["pushed"] = True

    @rule(i=ids)
    def create(self, i: int) -> None:
        ok = bool(self.model[i]["pushed"])
        self._expect(i, CREATED, ok, lambda: self.led.set_created(i, 9, self.now))

    @rule(i=ids)
    def skip(self, i: int) -> None:
        self._expect(i, SKIPPED, True, lambda: self.led.set_skipped(i, "bounce", self.now))

    @rule(i=ids, of=ids)
    def duplicate(self, i: int, of: int) -> None:
        ok = bool(self.model[i]["digest"]) and i != of
        self._expect(i, DUPLICATE, ok, lambda: self.led.set_duplicate(i, of, None, self.now))

    @rule(i=ids, minutes=st.integers(0, 3))
    def fail(self, i: int, minutes: int) -> None:
        when = self.now + timedelta(minutes=minutes)
        self._expect(i, FAILED, True, lambda: self.led.set_failed(i, "e", when, self.now))
        if self.model[i]["state"] == FAILED:
            self.model[i]["next"] = when

    @rule(i=ids)
    def quarantine(self, i: int) -> None:
        self._expect(i, QUARANTINED, True, lambda: self.led.set_quarantined(i, "r", self.now))

    @rule(i=ids)
    def mailbox_done(self, i: int) -> None:
        m = self.model[i]
        if m["state"] in store.FINISHED:
            assert self.led.set_mailbox_done(i, "moved", self.now).mailbox_state == "done"
            m["mailbox"] = "done"
        else:
            with pytest.raises(StoreError):
                self.led.set_mailbox_done(i, "moved", self.now)

    @rule(i=ids)
    def mailbox_gone(self, i: int) -> None:
        self.led.set_mailbox_gone(i, self.now)
        self.model[i]["mailbox"] = "gone"

    @rule(chosen=st.lists(ids, max_size=3) | st.none())
    def retry(self, chosen: list[int] | None) -> None:
        changed = {r.id for r in self.led.retry(chosen, at=self.now)}
        pool = self.model if chosen is None else {i: self.model[i] for i in chosen}
        expected = {i for i, m in pool.items() if m["state"] in (FAILED, QUARANTINED)}
        assert changed == expected
        for i in expected:
            self.model[i].update(state=RECEIVED, next=None)

    @rule()
    def tick(self) -> None:
        self.now += timedelta(minutes=1)

    @invariant()
    def agrees(self) -> None:
        counts = dict.fromkeys(STATES, 0)
        due = set()
        for i, m in self.model.items():
            state = str(m["state"])
            counts[state] += 1
            finished = state in store.FINISHED
            keeps_raw = not (finished and m["mailbox"] in ("done", "gone"))
            assert (self.led.raw(i) is not None) == keeps_raw, (i, m)
            nxt = m["next"]
            if (state in store.IN_PROGRESS
                    or (state == FAILED and (nxt is None or nxt <= self.now))
                    or (finished and m["mailbox"] == "pending")):
                due.add(i)
        assert self.led.counts() == counts
        assert [r.id for r in self.led.due(self.now)] == sorted(due)


TestLedgerAgainstModel = LedgerAgainstModel.TestCase
TestLedgerAgainstModel.settings = settings(
    max_examples=15, stateful_step_count=15, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
