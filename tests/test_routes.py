"""Routing per form: matching, defaults, round-robin in the ledger, and the config errors
of ``[crm]`` and ``[[routes]]``."""

from __future__ import annotations

import email
import textwrap
from pathlib import Path

import pytest

from bridge.config import load
from bridge.errors import ConfigError
from bridge.routes import (
    CrmConfig,
    Envelope,
    FieldMap,
    Route,
    form_name,
    mapped_fields,
    matches,
    next_responsible,
    recipients,
    resolve,
)
from bridge.store import Ledger
from tests.helpers.fakes import MemoryMeta

BASE = """\
[imap]
host = "imap.example.ru"
username = "forms@example.ru"
password = "pw"

[bitrix24]
webhook_url = "https://portal.bitrix24.ru/rest/7/XXXXXXXXXXXXXXXX/"
responsible_user_id = 3
"""
DEFAULTS = {"title": "Заявка - {name}", "source_id": "WEB", "source_description": "Сайт",
            "responsible": 3, "crm": CrmConfig()}


def cfg(tmp_path: Path, extra: str):
    path = tmp_path / "config.toml"
    path.write_text(BASE + textwrap.dedent(extra), encoding="utf-8")
    return load(path, env={})


def error(tmp_path: Path, extra: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        cfg(tmp_path, extra)
    return info.value


# ------------------------------------------------------------------ matching
def test_sender_address_and_domain() -> None:
    """A sender matches an exact address or an @domain; other mail does not."""
    r = Route("r", sender=("@catalog.example.ru", "site@shop.ru"))
    assert matches(r, Envelope(sender="noreply@catalog.example.ru"))
    assert matches(r, Envelope(sender="SITE@shop.ru".lower()))
    assert not matches(r, Envelope(sender="noreply@example.ru"))


def test_subject_substring_to_and_form() -> None:
    """Subject is a case-insensitive substring; to looks at every recipient header; form
    compares the form's name; all keys a route sets must hold."""
    r = Route("r", subject=("обратный звонок",), to=("zayavki+catalog@rf.ru",))
    env = Envelope(subject="Новая заявка: Обратный звонок",
                   recipients=("zayavki@rf.ru", "zayavki+catalog@rf.ru"))
    assert matches(r, env)
    assert not matches(r, Envelope(subject=env.subject, recipients=("zayavki@rf.ru",)))
    assert matches(Route("f", form=("прайс",)), Envelope(form="Прайс"))
    assert not matches(Route("f", form=("прайс",)), Envelope(form="Звонок"))


def test_recipients_from_to_delivered_to_and_x_original_to() -> None:
    """Recipients come from To, Delivered-To and X-Original-To, lower-cased, once each."""
    msg = email.message_from_string(
        "To: Заявки <zayavki@rf.ru>\nDelivered-To: zayavki@rf.ru\n"
        "X-Original-To: Zayavki+Catalog@rf.ru\n\nbody")
    assert recipients(msg) == ("zayavki@rf.ru", "zayavki+catalog@rf.ru")


def test_form_name_field() -> None:
    """The form's name is read from its 'Форма' / 'form_name' field."""
    assert form_name([("Город", "Москва"), ("Название формы:", "Прайс")]) == "Прайс"
    assert form_name([("Город", "Москва")]) == ""


def test_first_match_wins_and_defaults_fill_the_rest() -> None:
    """The first matching route decides; keys it leaves out come from the top level; no
    match gives the defaults with route None."""
    routes = [Route("catalog", sender=("@catalog.ru",), target="deal", category_id=2),
              Route("all-catalog", sender=("@catalog.ru",), title="other")]
    got = resolve(routes, Envelope(sender="a@catalog.ru"), **DEFAULTS)
    assert (got.route, got.target, got.category_id, got.title, got.responsible) == (
        "catalog", "deal", 2, "Заявка - {name}", (3,))
    none = resolve(routes, Envelope(sender="a@other.ru"), **DEFAULTS)
    assert none.route is None and none.target == "lead" and none.responsible == (3,)


def test_mapped_fields_per_entity() -> None:
    """Labels map to lead, deal and contact fields; a deal takes the lead's map when it
    has none of its own."""
    fmap = (FieldMap("Город", "lead", "UF_CRM_CITY"), FieldMap("Должность", "contact", "POST"))
    extra = [("город", "Тверь"), ("Должность", "Инженер")]
    assert mapped_fields(fmap, extra, "lead") == {"UF_CRM_CITY": "Тверь"}
    assert mapped_fields(fmap, extra, "deal") == {"UF_CRM_CITY": "Тверь"}
    assert mapped_fields(fmap, extra, "contact") == {"POST": "Инженер"}


# ------------------------------------------------------------------ round-robin
def test_round_robin_turns_and_skips_inactive() -> None:
    """A list is served in turn; an inactive user is skipped; all inactive gives None."""
    meta = MemoryMeta()
    active = {7: True, 9: True, 11: False}
    served = [next_responsible(meta, "r", [7, 9, 11], active.__getitem__) for _ in range(4)]
    assert served == [7, 9, 7, 9]
    assert next_responsible(meta, "r", [11], active.__getitem__) is None
    assert next_responsible(meta, "x", [11, 12], lambda u: False) is None


def test_round_robin_turn_survives_in_the_ledger(tmp_path: Path) -> None:
    """The turn is kept in the ledger's meta table, so a restart continues it."""
    path = tmp_path / "bridge.db"
    ledger = Ledger.open(path)
    assert next_responsible(ledger, "r", [7, 9], lambda u: True) == 7
    ledger.close()
    ledger = Ledger.open(path)
    try:
        assert next_responsible(ledger, "r", [7, 9], lambda u: True) == 9
    finally:
        ledger.close()


# ------------------------------------------------------------------ config
def test_config_crm_and_routes(tmp_path: Path) -> None:
    """[crm] and [[routes]] load into CrmConfig and Route values."""
    c = cfg(tmp_path, """
        [crm]
        target = "deal"
        repeat = "link"
        category_id = 2
        stage_id = "C2:NEW"

        [[routes]]
        sender = "@catalog.example.ru"
        responsible_user_id = [7, 9]
        fields = {"Город" = "UF_CRM_CITY", "Должность" = "contact.POST"}

        [[routes]]
        name = "price"
        to = ["zayavki+price@rf.ru"]
        target = "lead"
        """)
    assert c.crm == CrmConfig("deal", "link", 2, "C2:NEW")
    assert [r.key for r in c.routes] == ["routes[1]", "price"]
    assert c.routes[0].responsible == (7, 9) and c.routes[0].target is None
    assert c.routes[0].fields[1] == FieldMap("Должность", "contact", "POST")
    assert c.routes[1].to == ("zayavki+price@rf.ru",) and c.routes[1].target == "lead"


def test_defaults_without_crm_or_routes(tmp_path: Path) -> None:
    """Without [crm] and [[routes]]: target lead, repeat new, no routes (today's behaviour)."""
    c = cfg(tmp_path, "")
    assert c.crm == CrmConfig() and c.crm.repeat == "new" and c.routes == ()


@pytest.mark.parametrize(("extra", "key"), [
    ('[crm]\ntarget = "contact"\n', "crm.target"),
    ('[crm]\nrepeat = "merge"\n', "crm.repeat"),
    ("[crm]\ncategory_id = -1\n", "crm.category_id"),
    ('[crm]\nstage_id = "C2 NEW"\n', "crm.stage_id"),
    ('[crm]\nfunnel = 2\n', "crm.funnel"),
    ('[[routes]]\nsender = "a@b.ru"\n[[routes]]\nsender = "not-an-address"\n',
     "routes[2].sender"),
    ('[[routes]]\ntitle = "x"\n', "routes[1].sender"),
    ('[[routes]]\nsender = "@b.ru"\nsendr = "x"\n', "routes[1].sendr"),
    ('[[routes]]\nsender = "@b.ru"\nresponsible_user_id = [7, 0]\n',
     "routes[1].responsible_user_id"),
    ('[[routes]]\nsender = "@b.ru"\ntarget = "task"\n', "routes[1].target"),
    ('[[routes]]\nsender = "@b.ru"\nfields = {"Город" = "city"}\n', "routes[1].fields.Город"),
    ('[[routes]]\nsender = "@b.ru"\ntitle = "{client}"\n', "routes[1].title"),
    ('[[routes]]\nname = "a"\nsender = "@b.ru"\n[[routes]]\nname = "a"\nform = "x"\n',
     "routes[2].name"),
    ('[routes]\nsender = "@b.ru"\n', "routes"),
    ('[[routes]]\nsender = "@b.ru"\nsource_id = " "\n', "routes[1].source_id"),
])
def test_config_errors_name_the_key(tmp_path: Path, extra: str, key: str) -> None:
    """Each bad value is a ConfigError naming its key."""
    assert error(tmp_path, extra).key == key
