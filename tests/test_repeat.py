"""Repeat clients: which match wins (pure), and the batched lookups against the sandbox,
with the ledger's memory of the contacts the bridge created."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bridge.contacts import ContactBook, find_candidates
from bridge.errors import CrmError
from bridge.repeat import Candidate, Client, Match, choose, client_of, memo_keys, norm_phone
from bridge.sandbox import SandboxServer
from bridge.sandbox.entities import state
from bridge.store import Ledger
from tests.helpers.fakes import MemoryMeta

pytest_plugins = ["tests.bitrix_fixtures"]

ANNA = Client(("+79991234567",), ("anna@example.com",))


def cand(cid: int, phones: tuple[str, ...] = (), emails: tuple[str, ...] = (),
         modified: str = "2026-01-01T00:00:00+03:00", kind: str = "CONTACT",
         company: int | None = None, owner: int | None = None) -> Candidate:
    return Candidate(kind, cid, frozenset(norm_phone(p) for p in phones), frozenset(emails),
                     modified, owner, company)


# ------------------------------------------------------------------ pure decision
def test_both_beats_phone_beats_email() -> None:
    """A contact matching phone and e-mail wins over phone only, which wins over e-mail."""
    by_email = cand(1, emails=("anna@example.com",), modified="2026-12-01T00:00:00+03:00")
    by_phone = cand(2, phones=("89991234567",))
    both = cand(3, phones=("+7 999 123-45-67",), emails=("anna@example.com",),
                modified="2020-01-01T00:00:00+03:00")
    assert choose(ANNA, [by_email, by_phone, both]).contact_id == 3
    assert choose(ANNA, [by_email, by_phone]) == Match(2, None, None, "phone")
    assert choose(ANNA, [by_email]).how == "email"


def test_several_equal_the_most_recently_modified() -> None:
    """Among equal matches the most recently modified wins, then the higher id."""
    old = cand(5, phones=("+79991234567",), modified="2026-01-01T00:00:00+03:00", owner=7)
    new = cand(4, phones=("+79991234567",), modified="2026-06-01T00:00:00+03:00", owner=9)
    assert choose(ANNA, [old, new]) == Match(4, None, 9, "phone")
    twin = cand(6, phones=("+79991234567",), modified="2026-06-01T00:00:00+03:00")
    assert choose(ANNA, [old, new, twin]).contact_id == 6


def test_company_from_contact_or_by_its_own_match() -> None:
    """The company is the contact's COMPANY_ID, else the best matching company."""
    co = cand(20, emails=("anna@example.com",), kind="COMPANY", owner=5)
    assert choose(ANNA, [cand(1, phones=("+79991234567",), company=30), co]).company_id == 30
    assert choose(ANNA, [cand(1, phones=("+79991234567",)), co]).company_id == 20
    assert choose(ANNA, [co]) == Match(None, 20, 5, "email")


def test_created_contact_serves_when_the_index_is_behind() -> None:
    """The ledger's own contact is used when the index shows none; no match is empty."""
    assert choose(ANNA, [], created_contact=42) == Match(42, None, None, "created")
    assert choose(ANNA, []) == Match()
    assert choose(ANNA, [cand(1, phones=("+70000000000",))]) == Match()


def test_memo_keys_hold_no_client_data() -> None:
    """The ledger keys are hashes of the phone and e-mail, not the values."""
    keys = memo_keys(client_of(["+79991234567"], "Anna@Example.com"))
    assert len(keys) == 2 and not any("7999" in k or "anna" in k for k in keys)
    assert keys == memo_keys(client_of(["89991234567"], "anna@example.com"))


# ------------------------------------------------------------------ against the sandbox
def _contact(crm_client: Any, **fields: Any) -> int:
    return int(crm_client.call("crm.contact.add", {"fields": fields}, write=True))


def test_batched_lookup_finds_contacts_and_companies(sandbox: SandboxServer,
                                                     crm_client: Any) -> None:
    """Contacts and companies are found by phone and e-mail in two batch requests."""
    state(sandbox.portal).index_lag = 0.0
    c1 = _contact(crm_client, PHONE=[{"VALUE": "+7 (999) 123-45-67"}], ASSIGNED_BY_ID=1,
                  COMPANY_ID=3)
    co = int(crm_client.call("crm.company.add", {"fields": {
        "EMAIL": [{"VALUE": "boss@firm.ru"}]}}, write=True))
    people = [ANNA, Client((), ("boss@firm.ru",))]
    before = sandbox.portal.method_calls["batch"]
    cands = find_candidates(crm_client, people)
    assert sandbox.portal.method_calls["batch"] - before == 2
    assert {(c.kind, c.id) for c in cands} == {("CONTACT", c1), ("COMPANY", co)}


def test_contact_book_decides_and_remembers(sandbox: SandboxServer, crm_client: Any,
                                            tmp_path: Path) -> None:
    """Two enquiries of one new client close together: the second finds the contact the
    first created through the ledger, although the portal's index lags."""
    state(sandbox.portal).index_lag = 3600.0
    ledger = Ledger.open(tmp_path / "bridge.db")
    try:
        book = ContactBook(crm_client, ledger)
        assert book.find({"k1": ANNA})["k1"] == Match()
        cid = book.add_contact(ANNA, {"NAME": "Anna", "PHONE": [{"VALUE": "+79991234567"}]})
        again = book.find({"k2": Client(("+79991234567",), ())})
        assert again["k2"] == Match(cid, None, None, "created")
        assert len(state(sandbox.portal).contacts) == 1
    finally:
        ledger.close()


def test_a_failed_lookup_raises(sandbox: SandboxServer, crm_client: Any, tmp_path: Path
                                ) -> None:
    """A lookup that cannot be done raises a CRM error; it is never taken as 'not known'."""
    sandbox.portal.inject("batch", "reset", times=10)
    with pytest.raises(CrmError):
        ContactBook(crm_client, MemoryMeta()).find({"k": ANNA})


