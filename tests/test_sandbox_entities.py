"""The sandbox's contacts, companies, deals, funnels, duplicate index and simple CRM mode
behave as the Bitrix24 docs describe them (docs/bitrix24.md, "Contacts, deals, funnels")."""

from __future__ import annotations

from typing import Any

import pytest

from bridge.errors import CrmRejected
from bridge.sandbox import SandboxServer
from bridge.sandbox.entities import add_category, deal_files, set_deal_file_field, state
from tests.helpers.fakes import Clock

pytest_plugins = ["tests.bitrix_fixtures"]


def _contact(client: Any, **fields: Any) -> int:
    return int(client.call("crm.contact.add", {"fields": fields}, write=True))


def test_contact_add_get_update_list(sandbox: SandboxServer, crm_client: Any) -> None:
    """A contact keeps PHONE/EMAIL multifields, origin keys and the responsible; update
    changes only what is sent and moves DATE_MODIFY; list filters by ORIGIN_ID."""
    cid = _contact(crm_client, NAME="Anna", PHONE=[{"VALUE": "+79991234567",
                                                    "VALUE_TYPE": "WORK"}],
                   EMAIL=[{"VALUE": "anna@example.com"}], ORIGINATOR_ID="mailbridge",
                   ORIGIN_ID="k1:contact", ASSIGNED_BY_ID=1, BOGUS="dropped")
    got = crm_client.call("crm.contact.get", {"id": cid})
    assert got["NAME"] == "Anna" and got["ORIGIN_ID"] == "k1:contact"
    assert got["PHONE"][0]["VALUE"] == "+79991234567" and got["PHONE"][0]["TYPE_ID"] == "PHONE"
    assert got["EMAIL"][0]["VALUE_TYPE"] == "WORK" and "BOGUS" not in got
    state(sandbox.portal).contacts[cid]["DATE_MODIFY"] = "2020-01-01T00:00:00+03:00"
    assert crm_client.call("crm.contact.update", {"id": cid, "fields": {"LAST_NAME": "B"}},
                           write=True) is True
    got = crm_client.call("crm.contact.get", {"id": cid})
    assert got["LAST_NAME"] == "B" and got["NAME"] == "Anna"
    assert got["DATE_MODIFY"] > "2020-01-01T00:00:00+03:00"
    rows = crm_client.call_list("crm.contact.list", {
        "filter": {"=ORIGINATOR_ID": "mailbridge", "=ORIGIN_ID": "k1:contact"},
        "select": ["ID", "ASSIGNED_BY_ID", "PHONE"]})
    assert [r["ID"] for r in rows] == [str(cid)] and rows[0]["PHONE"]


def test_contact_rejects_a_bad_email_and_unknown_id(crm_client: Any) -> None:
    """An e-mail the portal would refuse is a 400; a missing contact is 'Not found'."""
    with pytest.raises(CrmRejected):
        _contact(crm_client, EMAIL=[{"VALUE": "not an address"}])
    with pytest.raises(CrmRejected, match="Not found"):
        crm_client.call("crm.contact.get", {"id": 999})


def test_company_get_and_list(crm_client: Any) -> None:
    """Companies are read back by id and found by list filter."""
    co = int(crm_client.call("crm.company.add", {"fields": {
        "TITLE": "ООО Ромашка", "EMAIL": [{"VALUE": "info@romashka.ru"}]}}, write=True))
    assert crm_client.call("crm.company.get", {"id": co})["TITLE"] == "ООО Ромашка"
    rows = crm_client.call_list("crm.company.list", {"filter": {"TITLE": "ООО Ромашка"}})
    assert [r["ID"] for r in rows] == [str(co)]


def test_deal_in_a_funnel_with_contact_files_and_origin(sandbox: SandboxServer,
                                                        crm_client: Any) -> None:
    """A deal lands in the given funnel and stage with its contact, origin keys, UTM and a
    File user field; the default stage is the funnel's first."""
    add_category(sandbox.portal, 2, "Опт")
    set_deal_file_field(sandbox.portal, "UF_CRM_555")
    cid = _contact(crm_client, NAME="Anna")
    did = int(crm_client.call("crm.deal.add", {"fields": {
        "TITLE": "Заявка", "CATEGORY_ID": 2, "STAGE_ID": "C2:PREPARATION",
        "CONTACT_IDS": [cid], "ORIGINATOR_ID": "mailbridge", "ORIGIN_ID": "k1",
        "UTM_SOURCE": "ya", "SOURCE_ID": "WEB", "COMMENTS": "[B]x[/B]",
        "UF_CRM_555": [{"fileData": ["a.txt", "aGVsbG8="]}]}}, write=True))
    deal = crm_client.call("crm.deal.get", {"id": did})
    assert deal["CATEGORY_ID"] == "2" and deal["STAGE_ID"] == "C2:PREPARATION"
    assert deal["CONTACT_ID"] == str(cid) and deal["CONTACT_IDS"] == [str(cid)]
    assert deal["ORIGIN_ID"] == "k1" and deal["UTM_SOURCE"] == "ya"
    assert deal_files(sandbox.portal, did) == [("a.txt", b"hello")]
    other = int(crm_client.call("crm.deal.add", {"fields": {"CATEGORY_ID": 2}}, write=True))
    assert crm_client.call("crm.deal.get", {"id": other})["STAGE_ID"] == "C2:NEW"
    rows = crm_client.call_list("crm.deal.list", {"filter": {"=ORIGIN_ID": "k1"}})
    assert [r["ID"] for r in rows] == [str(did)]


def test_deal_unknown_funnel_or_stage_is_refused(crm_client: Any) -> None:
    """A funnel that does not exist, or a stage of another funnel, is refused (400)."""
    with pytest.raises(CrmRejected):
        crm_client.call("crm.deal.add", {"fields": {"CATEGORY_ID": 7}}, write=True)
    with pytest.raises(CrmRejected):
        crm_client.call("crm.deal.add", {"fields": {"STAGE_ID": "C2:NEW"}}, write=True)


def test_category_and_stage_lists(sandbox: SandboxServer, crm_client: Any) -> None:
    """crm.category.list answers {categories: [...]} for entityTypeId 2; crm.status.list
    gives DEAL_STAGE for the general funnel and DEAL_STAGE_<id> for others."""
    add_category(sandbox.portal, 3, "Сервис")
    env = crm_client.call_envelope("crm.category.list", {"entityTypeId": 2})
    assert [c["id"] for c in env["result"]["categories"]] == [0, 3] and env["total"] == 2
    general = crm_client.call_list("crm.status.list", {"filter": {"ENTITY_ID": "DEAL_STAGE"}})
    assert general[0]["STATUS_ID"] == "NEW"
    service = crm_client.call_list("crm.status.list", {"filter": {"ENTITY_ID": "DEAL_STAGE_3"}})
    assert [s["STATUS_ID"] for s in service][:2] == ["C3:NEW", "C3:PREPARATION"]


def test_findbycomm_index_lags_behind_writes(sandbox: SandboxServer, crm_client: Any) -> None:
    """A new contact is not found until the index caught up (index_lag seconds later)."""
    clock = Clock()
    ent = state(sandbox.portal)
    ent.clock, ent.index_lag = clock, 30.0
    cid = _contact(crm_client, PHONE=[{"VALUE": "+7 (999) 123-45-67"}])
    ask = {"type": "PHONE", "values": ["79991234567"], "entity_type": "CONTACT"}
    assert crm_client.call("crm.duplicate.findbycomm", ask) == []
    clock.now += 31
    assert crm_client.call("crm.duplicate.findbycomm", ask) == {"CONTACT": [cid]}


def test_findbycomm_all_types_and_the_twenty_rule(sandbox: SandboxServer,
                                                  crm_client: Any) -> None:
    """Without entity_type leads, contacts and companies are searched; 20 hits of one type
    hide the types after it (the docs' 'Method Operation Features')."""
    state(sandbox.portal).index_lag = 0.0
    mail = [{"VALUE": "a@example.com"}]
    crm_client.call("crm.lead.add", {"fields": {"EMAIL": mail}}, write=True)
    cid = _contact(crm_client, EMAIL=mail)
    co = int(crm_client.call("crm.company.add", {"fields": {"EMAIL": mail}}, write=True))
    ask = {"type": "EMAIL", "values": ["A@example.com"]}
    assert crm_client.call("crm.duplicate.findbycomm", ask) == {
        "LEAD": [1], "CONTACT": [cid], "COMPANY": [co]}
    for _ in range(20):
        _contact(crm_client, EMAIL=mail)
    got = crm_client.call("crm.duplicate.findbycomm", ask)
    assert len(got["CONTACT"]) == 20 and "COMPANY" not in got and got["LEAD"] == [1]
    with pytest.raises(CrmRejected, match="Deal is not supported"):
        crm_client.call("crm.duplicate.findbycomm", {**ask, "entity_type": "DEAL"})


def test_lead_takes_contact_ids(sandbox: SandboxServer, crm_client: Any) -> None:
    """A lead with CONTACT_IDS and COMPANY_ID is a repeat lead linked to them."""
    cid = _contact(crm_client, NAME="Anna")
    lid = int(crm_client.call("crm.lead.add", {"fields": {"TITLE": "t", "CONTACT_IDS": [cid],
                                                          "COMPANY_ID": 4}}, write=True))
    lead = crm_client.call("crm.lead.get", {"id": lid})
    assert lead["CONTACT_IDS"] == [str(cid)] and lead["CONTACT_ID"] == str(cid)
    assert lead["IS_RETURN_CUSTOMER"] == "Y"


def test_mode_and_simple_mode_turns_a_lead_into_a_deal(sandbox: SandboxServer,
                                                       crm_client: Any) -> None:
    """crm.settings.mode.get answers 1 or 2; in simple mode a new lead becomes a deal with a
    contact at once, and the deal does not carry the lead's ORIGIN_ID."""
    assert crm_client.call("crm.settings.mode.get") == 1
    sandbox.portal.crm_mode = 2
    assert crm_client.call("crm.settings.mode.get") == 2
    crm_client.call("crm.lead.add", {"fields": {
        "TITLE": "Заявка", "NAME": "Anna", "PHONE": [{"VALUE": "+79990000000"}],
        "ORIGINATOR_ID": "mailbridge", "ORIGIN_ID": "k9"}}, write=True)
    deals = crm_client.call_list("crm.deal.list", {"select": ["*"]})
    assert len(deals) == 1 and deals[0]["TITLE"] == "Заявка" and not deals[0]["ORIGIN_ID"]
    contact = crm_client.call("crm.contact.get", {"id": int(deals[0]["CONTACT_ID"])})
    assert contact["NAME"] == "Anna" and contact["PHONE"][0]["VALUE"] == "+79990000000"


def test_reset_clears_entities(sandbox: SandboxServer, crm_client: Any) -> None:
    """Portal.reset forgets contacts and funnels."""
    add_category(sandbox.portal, 5, "X")
    _contact(crm_client, NAME="A")
    sandbox.portal.reset()
    assert state(sandbox.portal).contacts == {} and 5 not in state(sandbox.portal).categories
