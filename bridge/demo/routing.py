"""The demo's second part: routing per form, a repeat client and a deal in a funnel.

Two more enquiries go through the real pipeline into the same sandbox, with a config that
routes the wholesale form to the deal funnel "Опт" and links clients the CRM already knows
(``[crm] repeat = "link"``): a client who is already a contact gets a lead linked to that
contact; the wholesale enquiry becomes a contact and a deal.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any, TextIO

from bridge.dirsource import DirMailbox
from bridge.leads import LeadSettings
from bridge.pipeline import Pipeline, Settings
from bridge.routes import CrmConfig, Route

ROUTES = (Route("wholesale", form=("опт",), target="deal", category_id=2,
                title="Опт - {name}", source_id="WEB"),)


def _mail(minute: int, name: str, phone: str, email: str, form: str, text: str) -> bytes:
    msg = EmailMessage()
    msg["Date"] = format_datetime(datetime(2026, 12, 1, 10, minute, tzinfo=UTC))
    msg["From"] = "Сайт РостФеррум <noreply@rostferrum.ru>"
    msg["To"] = "zayavki@rostferrum.ru"
    msg["Subject"] = f"Заявка с сайта: {form}"
    msg.set_content(f"Имя: {name}\nТелефон: {phone}\nE-mail: {email}\nФорма: {form}\n"
                    f"Сообщение: {text}\n")
    return msg.as_bytes()


def run_routing_demo(sandbox: Any, crm: Any, work: Path, out: TextIO) -> None:
    """Print a repeat client's linked lead and a routed deal (a ledger of its own, as a
    second mailbox would have)."""
    from bridge.sandbox.entities import add_category, state
    from bridge.store import Ledger

    portal = sandbox.portal
    add_category(portal, 2, "Опт")
    state(portal).index_lag = 0.0  # the known client was added long ago
    known = int(crm.call("crm.contact.add", {"fields": {
        "NAME": "Ольга Смирнова", "PHONE": [{"VALUE": "+79161234567", "VALUE_TYPE": "WORK"}],
        "ASSIGNED_BY_ID": 1}}, write=True))
    inbox = work / "inbox-routing"
    inbox.mkdir()
    (inbox / "101.eml").write_bytes(_mail(1, "Ольга Смирнова", "8 (916) 123-45-67",
                                          "olga@example.ru", "Обратный звонок",
                                          "Перезвоните, пожалуйста"))
    (inbox / "102.eml").write_bytes(_mail(2, "Пётр Волков", "+7 903 765-43-21",
                                          "volkov@example.ru", "Опт",
                                          "Арматура А500С, 20 тонн"))
    settings = Settings(folder="INBOX", since_days=36500, file_field="auto",
                        lead=LeadSettings(source_description="mailbridge demo"),
                        dedupe_window=timedelta(minutes=10),
                        crm=CrmConfig(repeat="link"), routes=ROUTES)
    ledger = Ledger.open(work / "routing.db")
    try:
        pipeline = Pipeline(settings, ledger, crm, lambda: DirMailbox(inbox))
        pipeline.poll_once()
        pipeline.close()
    finally:
        ledger.close()
    print("", file=out)
    print("routing, a repeat client and a deal ([crm] repeat = \"link\"; [[routes]] form "
          "\"Опт\" -> deal funnel 2):", file=out)
    for lead in portal.list_leads():
        if lead.get("CONTACT_IDS"):
            print(f"  lead {lead['ID']} {lead.get('TITLE')}: repeat client, linked to "
                  f"contact {known} (route: default)", file=out)
    ent = state(portal)
    for deal_id, deal in sorted(ent.deals.items()):
        contact = ent.contacts.get(int(deal.get("CONTACT_ID") or 0), {})
        print(f"  deal {deal_id} {deal.get('TITLE')}: funnel {deal.get('CATEGORY_ID')} "
              f"({ent.categories.get(int(deal['CATEGORY_ID']))}), stage {deal.get('STAGE_ID')}, "
              f"contact {deal.get('CONTACT_ID')} {contact.get('NAME', '')} (route: wholesale)",
              file=out)
