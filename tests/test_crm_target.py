"""Routing, repeat clients and the deal target through the real pipeline and the sandbox;
without [crm]/[[routes]] settings the pipeline sends exactly what it sent before."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest

from bridge.dirsource import DirMailbox
from bridge.leads import LeadSettings
from bridge.pipeline import Pipeline, Settings
from bridge.routes import CrmConfig, FieldMap, Route
from bridge.sandbox import SandboxServer
from bridge.sandbox.entities import add_category, state
from bridge.store import Ledger
from tests.bitrix_fixtures import FAST_BURST, FAST_RATE, make_client


@pytest.fixture
def sb() -> Iterator[SandboxServer]:
    """A sandbox portal with users 7 and 9 (9 inactive) and a funnel 2."""
    server = SandboxServer(rate=FAST_RATE, burst=FAST_BURST).start()
    server.portal.add_user(7)
    server.portal.add_user(8)
    server.portal.add_user(9, active=False)
    add_category(server.portal, 2, "Опт")
    try:
        yield server
    finally:
        server.stop()


def mail(n: int, *, to: str = "zayavki@rf.ru", phone: str = "+7 912 000-00-01",
         email: str = "ivan@example.ru", form: str = "", text: str = "",
         attach: bytes = b"") -> bytes:
    msg = EmailMessage()
    msg["Date"] = format_datetime(datetime(2026, 11, 30, 9, n, tzinfo=UTC))
    msg["From"] = "Сайт <noreply@rf.ru>"
    msg["To"] = to
    msg["Subject"] = f"Заявка с сайта {n}"
    extra = f"Форма: {form}\n" if form else ""
    msg.set_content(f"Имя: Иван\nТелефон: {phone}\nE-mail: {email}\n{extra}"
                    f"Город: Тверь\nСообщение: {text or f'вопрос номер {n}'}\n")
    if attach:
        msg.add_attachment(attach, maintype="application", subtype="pdf", filename="a.pdf")
    return msg.as_bytes()


def run(tmp_path: Path, sb: SandboxServer, mails: list[bytes], **kw: object) -> Pipeline:
    inbox = tmp_path / "inbox"
    inbox.mkdir(exist_ok=True)
    for i, raw in enumerate(mails):
        (inbox / f"{i:03d}.eml").write_bytes(raw)
    settings = Settings(since_days=36500, lead=LeadSettings(responsible_user_id=1), **kw)
    pipe = Pipeline(settings, Ledger.open(tmp_path / "b.db"), make_client(sb),
                    lambda: DirMailbox(inbox))
    pipe.poll_once()
    return pipe


def test_defaults_make_no_targeting_and_no_extra_request(tmp_path: Path,
                                                         sb: SandboxServer) -> None:
    """target lead + repeat new + no routes: no lookups, only today's requests."""
    pipe = run(tmp_path, sb, [mail(1)])
    assert pipe.targeting is None and len(sb.portal.leads) == 1
    calls = sb.portal.method_calls
    assert calls["crm.duplicate.findbycomm"] == 0 and calls["batch"] == 0
    assert set(calls) <= {"crm.lead.add", "crm.lead.list", "crm.lead.fields",
                          "crm.lead.userfield.list"}


def test_route_by_recipient_sets_title_source_and_round_robin(tmp_path: Path,
                                                              sb: SandboxServer) -> None:
    """Mail to zayavki+catalog@ takes the catalog route: its title and source, and users 7
    and 8 in turn (9 is inactive and skipped); other mail keeps the defaults."""
    routes = (Route("catalog", to=("zayavki+catalog@rf.ru",), title="Каталог - {name}",
                    source_id="STORE", responsible=(7, 9, 8)),)
    mails = [mail(1, to="zayavki+catalog@rf.ru", phone="+79120000001"),
             mail(2, to="zayavki+catalog@rf.ru", phone="+79120000002"),
             mail(3, to="zayavki+catalog@rf.ru", phone="+79120000003"),
             mail(4, phone="+79120000004")]
    run(tmp_path, sb, mails, routes=routes)
    leads = sorted(sb.portal.list_leads(), key=lambda r: int(r["ID"]))
    assert [lead["ASSIGNED_BY_ID"] for lead in leads] == ["7", "8", "7", "1"]
    assert leads[0]["TITLE"] == "Каталог - Иван" and leads[0]["SOURCE_ID"] == "STORE"
    assert leads[3]["SOURCE_ID"] == "WEB"


def test_repeat_link_gives_the_lead_contact_ids(tmp_path: Path, sb: SandboxServer) -> None:
    """repeat = link: a client the CRM knows gets CONTACT_IDS and the contact's manager."""
    state(sb.portal).index_lag = 0.0
    client = make_client(sb)
    cid = int(client.call("crm.contact.add", {"fields": {
        "NAME": "Иван", "PHONE": [{"VALUE": "+79120000001"}], "ASSIGNED_BY_ID": 8}},
        write=True))
    run(tmp_path, sb, [mail(1), mail(2, phone="+79990000000", email="new@example.ru")],
        crm=CrmConfig(repeat="link", assign_to_contact_owner=True))
    known, new = sorted(sb.portal.list_leads(), key=lambda r: int(r["ID"]))
    assert known["CONTACT_IDS"] == [str(cid)] and known["ASSIGNED_BY_ID"] == "8"
    assert known["IS_RETURN_CUSTOMER"] == "Y" and not new.get("CONTACT_IDS")


def test_deal_target_end_to_end(tmp_path: Path, sb: SandboxServer) -> None:
    """target = deal: a contact and a deal in funnel 2 with the route's field mapping; a
    second enquiry of the same client reuses the contact; no lead is made."""
    state(sb.portal).index_lag = 3600.0  # the ledger, not the index, must keep one contact
    routes = (Route("wholesale", form=("опт",), target="deal", category_id=2,
                    stage_id="C2:PREPARATION",
                    fields=(FieldMap("Город", "contact", "ADDRESS_CITY"),)),)
    pipe = run(tmp_path, sb, [mail(1, form="Опт"), mail(2, form="Опт")], routes=routes)
    assert sb.portal.leads == {}
    deals = state(sb.portal).deals
    assert len(deals) == 2 and len(state(sb.portal).contacts) == 1
    for d in deals.values():
        assert (d["CATEGORY_ID"], d["STAGE_ID"]) == ("2", "C2:PREPARATION")
    assert {d["ORIGINATOR_ID"] for d in deals.values()} == {"mailbridge"}
    rows = [pipe.ledger.by_id(i) for i in (1, 2)]
    assert [r.state for r in rows] == ["created", "created"]
    assert {r.lead_id for r in rows} == set(deals)  # the ledger keeps the deal's id


def test_parse_json_shows_the_route(tmp_path: Path) -> None:
    """`parse --config … --json` names the route that matched and what it sets; mail that
    no route takes shows "default"."""
    import json

    from tests.e2e import run as cli

    cfg = tmp_path / "c.toml"
    cfg.write_text('[imap]\nhost = "imap.example.ru"\nusername = "u"\n'
                   '[[routes]]\nname = "catalog"\nto = "zayavki+catalog@rf.ru"\n'
                   'target = "deal"\ncategory_id = 2\nresponsible_user_id = [7, 8]\n',
                   encoding="utf-8")
    a, b = tmp_path / "a.eml", tmp_path / "b.eml"
    a.write_bytes(mail(1, to="zayavki+catalog@rf.ru"))
    b.write_bytes(mail(2))
    code, out, err = cli("parse", "--config", str(cfg), str(a), str(b), "--json")
    assert code == 0, err
    first, second = json.loads(out)
    assert first["route"] == {"route": "catalog", "target": "deal", "category_id": 2,
                              "stage_id": "", "source_id": "WEB", "responsible": [7, 8]}
    assert second["route"]["route"] == "default" and second["route"]["target"] == "lead"


def test_demo_shows_a_repeat_client_and_a_deal() -> None:
    """The demo's second part prints a lead linked to a known contact and a routed deal."""
    import io

    from bridge.demo import run_demo

    out = io.StringIO()
    assert run_demo(out) == 0
    text = out.getvalue()
    assert "repeat client, linked to contact 1 (route: default)" in text
    assert "funnel 2 (Опт), stage C2:NEW" in text and "(route: wholesale)" in text


def test_double_click_on_a_deal_comments_on_the_deal(tmp_path: Path, sb: SandboxServer) -> None:
    """The same enquiry twice within the window: one deal, and the repeat comment lands on
    the deal's timeline once."""
    routes = (Route("opt", form=("опт",), target="deal"),)
    pipe = run(tmp_path, sb, [mail(1, form="Опт", text="то же"), mail(2, form="Опт",
                                                                    text="то же")],
               routes=routes)
    pipe.poll_once()  # a second pass must not add the comment again
    deals = state(sb.portal).deals
    assert len(deals) == 1
    comments = [c for c in sb.portal.comments.values() if c["ENTITY_TYPE"] == "deal"]
    assert len(comments) == 1 and comments[0]["ENTITY_ID"] == str(next(iter(deals)))
    assert "mailbridge:repeat" in comments[0]["COMMENT"]


def test_deal_backlog_stays_under_a_tenth_of_a_request_per_enquiry(tmp_path: Path,
                                                                   sb: SandboxServer) -> None:
    """50 text-only enquiries of new clients on the deal target: one lookup, one batch of
    contacts, one of deals - at most 0.1 requests per enquiry."""
    mails = [mail(i % 60, phone=f"+7912{i:07d}", email=f"c{i}@example.ru") for i in range(50)]
    before = len(sb.portal.requests)
    run(tmp_path, sb, mails, crm=CrmConfig(target="deal"))
    used = len(sb.portal.requests) - before
    assert len(state(sb.portal).deals) == 50 and len(state(sb.portal).contacts) == 50
    assert used / 50 <= 0.1, sb.portal.request_counts


def test_round_robin_without_the_user_scope_still_turns(tmp_path: Path,
                                                        sb: SandboxServer) -> None:
    """A webhook without the user scope cannot tell who is active: the turn goes on over
    the whole list instead of blocking the bridge."""
    sb.portal.set_scopes({"crm"})
    routes = (Route("all", sender=("noreply@rf.ru",), responsible=(7, 9)),)
    run(tmp_path, sb, [mail(1, phone="+79120000001"), mail(2, phone="+79120000002")],
        routes=routes)
    got = sorted((int(r["ID"]), r["ASSIGNED_BY_ID"]) for r in sb.portal.list_leads())
    assert [a for _, a in got] == ["7", "9"]


def test_a_refused_files_comment_does_not_undo_the_deal(tmp_path: Path,
                                                        sb: SandboxServer) -> None:
    """The deal's timeline refuses the files comment (ACCESS_DENIED about that one deal):
    the deal is recorded as made, never quarantined."""
    sb.portal.comment_denied = {1}  # the first deal's timeline refuses comments
    pipe = run(tmp_path, sb, [mail(1, form="Опт", attach=b"%PDF-1.4 x")],
               routes=(Route("opt", form=("опт",), target="deal"),))
    assert len(state(sb.portal).deals) == 1 and sb.portal.comments == {}
    assert pipe.ledger.by_id(1).state == "created"


def test_unknown_deal_outcome_waits_max_request_seconds(tmp_path: Path,
                                                        sb: SandboxServer) -> None:
    """A lost answer on the deal path: no lookup before max_request_seconds after the
    request (the portal may still be running it); then the deal is found, not made again."""
    import time

    sb.portal.inject("crm.deal.add", "lost_answer")
    routes = (Route("opt", form=("опт",), target="deal"),)
    pipe = run(tmp_path, sb, [mail(1, form="Опт", attach=b"%PDF-1.4 x")], routes=routes,
               max_request_seconds=0.5, unknown_wait=0.0, backoff_base=0.01, backoff_cap=0.02)
    assert pipe.ledger.by_id(1).state == "failed" and len(state(sb.portal).deals) == 1
    lists = sb.portal.method_calls["crm.deal.list"]  # the new ledger's first-pass lookup
    pipe.poll_once()  # too early: nothing is looked up or sent
    assert sb.portal.method_calls["crm.deal.list"] == lists
    time.sleep(0.6)
    pipe.poll_once()
    assert pipe.ledger.by_id(1).state == "created" and len(state(sb.portal).deals) == 1
    assert sb.portal.method_calls["crm.deal.list"] == lists + 1


def test_a_fresh_ledger_finds_the_deals_of_another_ledger(tmp_path: Path,
                                                          sb: SandboxServer) -> None:
    """target = deal: a second, fresh ledger over the same mail (its first pass) looks the
    deals up by ORIGIN_ID and records them; no deal is made twice (SPEC §4)."""
    mails = [mail(i, phone=f"+7912{i:07d}", email=f"c{i}@example.ru") for i in range(3)]
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    run(tmp_path / "a", sb, mails, crm=CrmConfig(target="deal"))
    assert len(state(sb.portal).deals) == 3
    pipe = run(tmp_path / "b", sb, mails, crm=CrmConfig(target="deal"))
    assert len(state(sb.portal).deals) == 3
    rows = [pipe.ledger.by_id(i) for i in (1, 2, 3)]
    assert [r.state for r in rows] == ["created"] * 3
    assert {r.lead_id for r in rows} == set(state(sb.portal).deals)
