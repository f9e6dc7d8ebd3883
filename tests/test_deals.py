"""The deal target against the sandbox: contact found or created, the deal in its funnel and
stage, origin keys on both, each step committed so lost answers and crashes make neither a
second contact nor a second deal; and the funnel/mode checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bridge.deals import DealResult, DealWriter, build_deal, contact_origin, deal_file_field
from bridge.errors import CrmUnknownOutcome
from bridge.funnel import check_funnels, crm_mode, mode_advice
from bridge.leads import LeadSettings
from bridge.model import Attachment, ParsedForm
from bridge.routes import FieldMap
from bridge.sandbox import SandboxServer
from bridge.sandbox.entities import add_category, deal_files, set_deal_file_field, state
from bridge.store import Ledger
from tests.helpers.fixtures import sqlite_ledger  # noqa: F401 - the ledger fixture

pytest_plugins = ["tests.bitrix_fixtures"]

SETTINGS = LeadSettings(title="Заявка - {name}", source_id="WEB", source_description="Сайт",
                        responsible_user_id=1)
PDF = Attachment("смета.pdf", "application/pdf", b"%PDF-1.4 test")


def form(**kw: Any) -> ParsedForm:
    base: dict[str, Any] = dict(
        message_id="<m1@site>", subject="Заявка", sender="noreply@site.ru", date=None,
        is_form=True, create_lead=True, name="Анна", phone="+79991234567",
        email="anna@example.com", message="Нужен [URL=http://x]прайс[/URL]",
        extra=(("Город", "Тверь"), ("utm_source", "yandex"), ("Должность", "Инженер")))
    base.update(kw)
    return ParsedForm(**base)


def test_build_deal_splits_contact_and_deal() -> None:
    """Contact: name, phone, e-mail, <key>:contact; deal: title, inert comments, source, UTM,
    funnel, stage, mapped fields, <key>."""
    plan = build_deal(form(), SETTINGS, "k1", category_id=2, stage_id="C2:NEW",
                      fields=(FieldMap("Город", "deal", "UF_CRM_CITY"),
                              FieldMap("Должность", "contact", "POST")))
    assert plan.contact["NAME"] == "Анна" and plan.contact["ORIGIN_ID"] == "k1:contact"
    assert plan.contact["POST"] == "Инженер" and "TITLE" not in plan.contact
    d = plan.deal
    assert (d["TITLE"], d["CATEGORY_ID"], d["STAGE_ID"], d["ORIGIN_ID"]) == (
        "Заявка - Анна", 2, "C2:NEW", "k1")
    assert d["ORIGINATOR_ID"] == "mailbridge" and d["UTM_SOURCE"] == "yandex"
    assert d["UF_CRM_CITY"] == "Тверь" and "[URL" not in d["COMMENTS"]
    assert "STAGE_ID" not in build_deal(form(), SETTINGS, "k1").deal


def test_new_client_contact_and_deal_in_funnel(sandbox: SandboxServer, crm_client: Any,
                                               ledger: Ledger) -> None:
    """A new client gets a contact; the deal lands in funnel 2, linked, with its files."""
    add_category(sandbox.portal, 2, "Опт")
    set_deal_file_field(sandbox.portal, "UF_CRM_77")
    field = deal_file_field(crm_client.call("crm.deal.fields"))
    assert field == "UF_CRM_77"
    plan = build_deal(form(attachments=(PDF,)), SETTINGS, "k1", category_id=2)
    res = DealWriter(crm_client, ledger, file_field=field).create(plan)
    assert res.contact_created
    deal = crm_client.call("crm.deal.get", {"id": res.deal_id})
    assert deal["CATEGORY_ID"] == "2" and deal["STAGE_ID"] == "C2:NEW"
    assert deal["CONTACT_IDS"] == [str(res.contact_id)] and deal["ORIGIN_ID"] == "k1"
    assert deal_files(sandbox.portal, res.deal_id) == [("смета.pdf", PDF.data)]
    contact = crm_client.call("crm.contact.get", {"id": res.contact_id})
    assert contact["ORIGIN_ID"] == contact_origin("k1")
    assert contact["PHONE"][0]["VALUE"] == "+79991234567"


def test_known_client_is_found_always(sandbox: SandboxServer, crm_client: Any,
                                      ledger: Ledger) -> None:
    """A contact the CRM knows is linked, not duplicated; its company comes along and its
    manager becomes responsible when asked."""
    state(sandbox.portal).index_lag = 0.0
    sandbox.portal.add_user(9)
    old = int(crm_client.call("crm.contact.add", {"fields": {
        "NAME": "Анна", "EMAIL": [{"VALUE": "Anna@Example.com"}], "COMPANY_ID": 4,
        "ASSIGNED_BY_ID": 9}}, write=True))
    res = DealWriter(crm_client, ledger, assign_to_contact_owner=True).create(
        build_deal(form(), SETTINGS, "k2"))
    assert (res.contact_id, res.contact_created) == (old, False)
    deal = crm_client.call("crm.deal.get", {"id": res.deal_id})
    assert deal["COMPANY_ID"] == "4" and deal["ASSIGNED_BY_ID"] == "9"
    assert len(state(sandbox.portal).contacts) == 1


def test_lost_answer_on_contact_makes_one_contact(sandbox: SandboxServer, crm_client: Any,
                                                  ledger: Ledger) -> None:
    """The contact was made but its answer lost: the retry finds it by ORIGIN_ID."""
    sandbox.portal.inject("crm.contact.add", "lost_answer")
    plan = build_deal(form(), SETTINGS, "k3")
    with pytest.raises(CrmUnknownOutcome):
        DealWriter(crm_client, ledger).create(plan)
    res = DealWriter(crm_client, ledger).create(plan)  # a fresh writer: as after a restart
    assert len(state(sandbox.portal).contacts) == 1 and len(state(sandbox.portal).deals) == 1
    assert res.contact_id == next(iter(state(sandbox.portal).contacts))


def test_lost_answer_on_deal_makes_one_deal(sandbox: SandboxServer, crm_client: Any,
                                            ledger: Ledger) -> None:
    """The deal was made but its answer lost: the retry finds it, and the contact is not
    made again."""
    sandbox.portal.inject("crm.deal.add", "lost_answer")
    plan = build_deal(form(), SETTINGS, "k4")
    with pytest.raises(CrmUnknownOutcome):
        DealWriter(crm_client, ledger).create(plan)
    res = DealWriter(crm_client, ledger).create(plan)
    assert len(state(sandbox.portal).contacts) == 1 and list(state(sandbox.portal).deals) == [
        res.deal_id]
    calls = sandbox.portal.method_calls
    assert calls["crm.contact.add"] == 1 and calls["crm.deal.add"] == 1
    assert DealWriter(crm_client, ledger).create(plan) == res  # done: nothing is sent


def test_deal_not_sent_is_created_on_retry(sandbox: SandboxServer, crm_client: Any,
                                           ledger: Ledger) -> None:
    """A connection reset before crm.deal.add ran: the retry looks up, finds nothing and
    creates the deal once (the deal is not lost)."""
    sandbox.portal.inject("crm.deal.add", "reset")
    plan = build_deal(form(), SETTINGS, "k5")
    with pytest.raises(CrmUnknownOutcome):
        DealWriter(crm_client, ledger).create(plan)
    DealWriter(crm_client, ledger).create(plan)
    assert len(state(sandbox.portal).deals) == 1 and len(state(sandbox.portal).contacts) == 1


def test_two_enquiries_of_a_new_client_make_one_contact(sandbox: SandboxServer,
                                                        crm_client: Any,
                                                        ledger: Ledger) -> None:
    """The duplicate index lags; the ledger's memory keeps the second enquiry on the
    first one's contact."""
    state(sandbox.portal).index_lag = 3600.0
    writer = DealWriter(crm_client, ledger)
    a = writer.create(build_deal(form(), SETTINGS, "k6"))
    b = writer.create(build_deal(form(message="ещё вопрос"), SETTINGS, "k7"))
    assert a.contact_id == b.contact_id and len(state(sandbox.portal).contacts) == 1
    assert len(state(sandbox.portal).deals) == 2


def test_files_on_a_deal_timeline_comment_once(sandbox: SandboxServer, crm_client: Any,
                                               ledger: Ledger) -> None:
    """Without a deal File field the files go on one timeline comment; a retry finds it."""
    plan = build_deal(form(attachments=(PDF,)), SETTINGS, "k8")
    writer = DealWriter(crm_client, ledger)
    res = writer.create(plan)
    first = writer.attach_files(plan, res.deal_id)
    assert writer.attach_files(plan, res.deal_id) == first
    comments = [c for c in sandbox.portal.comments.values() if c["ENTITY_TYPE"] == "deal"]
    assert len(comments) == 1 and sandbox.portal.comment_files(first) == [
        ("смета.pdf", PDF.data)]


def test_check_funnels_lists_the_valid_ones(sandbox: SandboxServer, crm_client: Any) -> None:
    """A missing funnel or stage is reported with the portal's funnels or stages."""
    add_category(sandbox.portal, 2, "Опт")
    assert check_funnels(crm_client, [("crm", 2, "C2:NEW"), ("crm", 0, "")]) == []
    problems = check_funnels(crm_client, [("routes[1]", 5, ""), ("crm", 2, "C3:NEW")])
    assert "routes[1].category_id = 5" in problems[0] and "2 (Опт)" in problems[0]
    assert "C2:PREPARATION" in problems[1]


def test_mode_advice(sandbox: SandboxServer, crm_client: Any) -> None:
    """A simple-mode portal with a lead target is reported; a deal target fits."""
    assert crm_mode(crm_client) == 1
    sandbox.portal.crm_mode = 2
    mode = crm_mode(crm_client)
    assert mode == 2 and "simple mode" in (mode_advice(mode, ["lead"]) or "")
    assert mode_advice(mode, ["deal"]) is None and mode_advice(1, ["lead"]) is None


def test_check_lines_for_targets_and_routes(sandbox: SandboxServer, crm_client: Any) -> None:
    """check: nothing (no request) for today's config; for a deal route with a missing
    funnel a ✗ line naming the route; simple mode with a lead target is a ✗ line too."""
    from types import SimpleNamespace

    from bridge.funnel import target_checks
    from bridge.routes import CrmConfig, Route

    before = sum(sandbox.portal.method_calls.values())
    assert target_checks(SimpleNamespace(crm=CrmConfig(), routes=()), crm_client) == []
    assert sum(sandbox.portal.method_calls.values()) == before
    sandbox.portal.add_user(9, active=False)
    cfg = SimpleNamespace(crm=CrmConfig(), routes=(
        Route("routes[1]", sender=("@a.ru",), target="deal", category_id=4,
              responsible=(1, 9)),))
    lines = target_checks(cfg, crm_client)
    assert lines[0][0] == "ok" and "classic" in lines[0][1]
    assert any(s == "bad" and "routes[1].category_id = 4" in t for s, t in lines)
    assert any(s == "warn" and "user 9" in t for s, t in lines)
    sandbox.portal.crm_mode = 2
    cfg = SimpleNamespace(crm=CrmConfig(repeat="link"), routes=())
    assert target_checks(cfg, crm_client)[0][0] == "bad"


class Crash(BaseException):
    """The process dies here."""


class CrashingMeta:
    """The real ledger, but the process 'dies' at the first write of a key with ``prefix``
    (what was committed before stays committed)."""

    def __init__(self, ledger: Ledger, prefix: str, after: int = 0) -> None:
        self.ledger, self.prefix, self.after = ledger, prefix, after

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        return self.ledger.get_meta(key, default)

    def set_meta(self, key: str, value: str) -> None:
        if key.startswith(self.prefix):
            if self.after == 0:
                raise Crash(key)
            self.after -= 1
        self.ledger.set_meta(key, value)


@pytest.mark.parametrize(("prefix", "after"), [
    ("contact:", 0),  # the contact was made; died before the ledger remembered it
    ("deal:", 1),  # the contact was made and remembered; died before its step was kept
    ("deal:", 2),  # the contact step was kept; died before "about to create the deal"
    ("deal:", 3),  # the deal was made; died before its id was kept
])
def test_crash_between_steps_neither_loses_nor_doubles(sandbox: SandboxServer,
                                                       crm_client: Any, ledger: Ledger,
                                                       prefix: str, after: int) -> None:
    """A crash anywhere between 'contact created' and 'deal created': the restarted writer
    makes exactly one contact and exactly one deal."""
    state(sandbox.portal).index_lag = 3600.0  # the index cannot help: the ledger must
    plan = build_deal(form(), SETTINGS, "k9")
    with pytest.raises(Crash):
        DealWriter(crm_client, CrashingMeta(ledger, prefix, after)).create(plan)
    res = DealWriter(crm_client, ledger).create(plan)
    ent = state(sandbox.portal)
    assert list(ent.contacts) == [res.contact_id] and list(ent.deals) == [res.deal_id]


class LosingClient:
    """Our client, but the answer of a batch that creates deals is lost after it ran."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def call(self, *a: Any, **kw: Any) -> Any:
        return self.client.call(*a, **kw)

    def batch(self, commands: Any, halt: bool = False, *, write: bool = True) -> Any:
        result = self.client.batch(commands, halt, write=write)
        if any(m == "crm.deal.add" for m, _ in commands.values()):
            raise CrmUnknownOutcome("batch: connection reset after the request was sent")
        return result


def test_backlog_in_batches_one_contact_per_client(sandbox: SandboxServer, crm_client: Any,
                                                   ledger: Ledger) -> None:
    """Six enquiries (two of one new client, one of a known client): one lookup, one batch
    of contacts, one of deals - 4 requests in all - and one contact per client."""
    state(sandbox.portal).index_lag = 0.0
    known = int(crm_client.call("crm.contact.add", {"fields": {
        "PHONE": [{"VALUE": "+79990000009"}]}}, write=True))
    phones = ["+79990000001", "+79990000001", "+79990000009", "+79990000003",
              "+79990000004", "+79990000005"]
    plans = [build_deal(form(phone=p, email=None, message=f"m{i}"), SETTINGS, f"b{i}")
             for i, p in enumerate(phones)]
    before = len(sandbox.portal.requests)
    out = DealWriter(crm_client, ledger).create_many(plans)
    assert len(sandbox.portal.requests) - before == 4  # lookup, details, contacts, deals
    ent = state(sandbox.portal)
    assert len(ent.deals) == 6 and len(ent.contacts) == 5  # known + 4 new clients
    done = {k: v for k, v in out.items() if isinstance(v, DealResult)}
    assert done["b0"].contact_id == done["b1"].contact_id and done["b2"].contact_id == known


def test_backlog_lost_batch_answer_makes_no_second_deal(sandbox: SandboxServer,
                                                        crm_client: Any,
                                                        ledger: Ledger) -> None:
    """The deals batch ran but its answer was lost: the next run finds every deal by its
    ORIGIN_ID and creates none again."""
    plans = [build_deal(form(phone=f"+7999000000{i}", email=None), SETTINGS, f"x{i}")
             for i in range(3)]
    with pytest.raises(CrmUnknownOutcome):
        DealWriter(LosingClient(crm_client), ledger).create_many(plans)
    out = DealWriter(crm_client, ledger).create_many(plans)
    ent = state(sandbox.portal)
    assert len(ent.deals) == 3 and len(ent.contacts) == 3
    assert sorted(r.deal_id for r in out.values() if isinstance(r, DealResult)) == sorted(
        ent.deals)


@pytest.mark.parametrize("many", [False, True], ids=["one", "batched"])
def test_known_company_only_gets_a_new_contact_in_it(sandbox: SandboxServer, crm_client: Any,
                                                     ledger: Ledger, many: bool) -> None:
    """Only the client's company is known: a new contact is made in that company, and the
    deal carries the company."""
    state(sandbox.portal).index_lag = 0.0
    co = int(crm_client.call("crm.company.add", {"fields": {
        "EMAIL": [{"VALUE": "anna@example.com"}]}}, write=True))
    plan = build_deal(form(), SETTINGS, "kc")
    writer = DealWriter(crm_client, ledger)
    res = writer.create_many([plan])["kc"] if many else writer.create(plan)
    assert isinstance(res, DealResult)
    deal = crm_client.call("crm.deal.get", {"id": res.deal_id})
    contact = crm_client.call("crm.contact.get", {"id": res.contact_id})
    assert deal["COMPANY_ID"] == str(co) and contact["COMPANY_ID"] == str(co)


def test_a_fresh_ledger_adopts_existing_deals(sandbox: SandboxServer, crm_client: Any,
                                              tmp_path: Path) -> None:
    """Against deals made under another (lost) ledger, adopt_existing finds them by origin in
    one request and create() then sends nothing."""
    plans = [build_deal(form(phone=f"+7999111000{i}", email=None), SETTINGS, f"f{i}")
             for i in range(3)]
    old = Ledger.open(tmp_path / "old.db")
    try:
        made = {p.origin_id: DealWriter(crm_client, old).create(p).deal_id for p in plans[:2]}
    finally:
        old.close()
    fresh = Ledger.open(tmp_path / "fresh.db")
    try:
        writer = DealWriter(crm_client, fresh)
        before = len(sandbox.portal.requests)
        assert writer.adopt_existing([p.origin_id for p in plans]) == made
        assert len(sandbox.portal.requests) - before == 1
        adds = sandbox.portal.method_calls["crm.deal.add"]
        assert {p.origin_id: writer.create(p).deal_id for p in plans[:2]} == made
        assert sandbox.portal.method_calls["crm.deal.add"] == adds
    finally:
        fresh.close()
