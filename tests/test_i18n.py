"""The Russian face (issue 13 item 5): one catalogue, complete, chosen by locale or ui.language."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from bridge import i18n
from bridge.checks import _PROVIDER_HINTS, _SETUP_ANSWERS
from bridge.messages import CATALOGUE
from tests.e2e import run, sandbox, write_config
from tests.forms import form_email
from tests.servers.dovecot import ImapAccount

BRIDGE = Path(__file__).resolve().parents[1] / "bridge"
# t("key") and i18n.t("key") with a literal key; keys built at run time are listed below
_CALL = re.compile(r"""\bt\(\s*["']([a-z0-9_.]+)["']\s*(\+)?""")
_DYNAMIC_PREFIXES = ("status.state.", "alarm.title.", "alarm.fix.", "alarm.head.")
_CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _source() -> dict[Path, str]:
    catalogue = BRIDGE / "messages"  # the catalogue's own parts name every key
    return {p: p.read_text(encoding="utf-8") for p in BRIDGE.rglob("*.py")
            if catalogue not in p.parents}


def test_every_entry_has_both_languages_with_the_same_placeholders() -> None:
    """No entry lacks a language, and both sides fill in the same {values}."""
    for key, msg in CATALOGUE.items():
        assert msg.en.strip() and msg.ru.strip(), key
        assert _fields(msg.en) == _fields(msg.ru), key


def test_russian_texts_are_russian() -> None:
    """Each Russian text that is prose has Cyrillic in it (not an English copy)."""
    prose = [k for k, m in CATALOGUE.items() if re.search("[a-z]{4} [a-z]{3}", m.en)
             and not m.en.startswith(("imap: {", "bitrix24: {"))]
    assert prose
    for key in prose:
        assert _CYRILLIC.search(CATALOGUE[key].ru), key


def test_every_call_site_names_an_existing_key() -> None:
    """Scanning the source: every t("…") names a catalogue key (none missing)."""
    used: set[str] = set()
    for path, text in _source().items():
        for key, joined in _CALL.findall(text):
            if joined:  # a prefix completed at run time: listed in _DYNAMIC_PREFIXES
                assert key in _DYNAMIC_PREFIXES, f"{path.name}: {key}"
                continue
            assert key in CATALOGUE, f"{path.name}: {key} is not in the catalogue"
            used.add(key)
    used |= {key for _, key in _PROVIDER_HINTS} | set(_SETUP_ANSWERS.values())
    for key in used:
        assert key in CATALOGUE
    assert len(used) > 60


def test_every_catalogue_key_is_used() -> None:
    """No entry is left over: each key appears in the source or under a run-time prefix."""
    source = "\n".join(_source().values())
    for key in CATALOGUE:
        assert key in source or key.startswith(_DYNAMIC_PREFIXES), key


def test_status_states_all_have_names() -> None:
    """Every ledger state status prints has a catalogue name."""
    for state in ("received", "parsed", "pushing", "created", "duplicate", "skipped",
                  "failed", "quarantined"):
        assert f"status.state.{state}" in CATALOGUE


@pytest.mark.parametrize(
    ("env", "expected"),
    [({"LANG": "ru_RU.UTF-8"}, "ru"), ({"LANG": "en_US.UTF-8"}, "en"), ({}, "en"),
     ({"LANG": "en_US.UTF-8", "LC_ALL": "ru_RU.UTF-8"}, "ru"),
     ({"LANG": "ru_RU.UTF-8", "LC_MESSAGES": "C"}, "en"), ({"LANG": "ru_UA"}, "ru")],
)
def test_the_locale_decides_under_auto(env: dict[str, str], expected: str) -> None:
    """LC_ALL, then LC_MESSAGES, then LANG: the first set one starting with "ru" is Russian."""
    assert i18n.resolve("auto", env) == expected
    assert i18n.resolve("en", {"LANG": "ru_RU.UTF-8"}) == "en"
    assert i18n.resolve("ru", {}) == "ru"


def offline_config(tmp_path: Path, extra: str = "") -> Path:
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        '[imap]\nhost = "imap.example.ru"\nusername = "forms@example.ru"\npassword = "p-123"\n'
        '[bitrix24]\nwebhook_url = "https://portal.example.ru/rest/1/abcdefgh12345678/"\n'
        f'[store]\npath = "{tmp_path / "bridge.db"}"\n{extra}',
        encoding="utf-8",
    )
    return cfg


def test_status_is_russian_with_a_russian_locale(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """LANG=ru_RU.UTF-8: status speaks Russian; with ui.language = "en" it speaks English."""
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")
    code, out, err = run("--config", str(offline_config(tmp_path)), "status")
    assert code == 0, err
    assert "сообщений: 0" in out and "последняя проверка почты: ещё не было" in out
    code, out, _ = run("--config", str(offline_config(tmp_path, '[ui]\nlanguage = "en"\n')),
                       "status")
    assert "messages: 0" in out and "last poll: never" in out


def test_ui_language_ru_wins_over_an_english_locale(tmp_path: Path) -> None:
    """ui.language = "ru" with LANG=C.UTF-8: status and retry errors are Russian."""
    cfg = offline_config(tmp_path, '[ui]\nlanguage = "ru"\n')
    code, out, _ = run("--config", str(cfg), "status")
    assert code == 0 and "дольше всех ждёт повтора: нет" in out
    code, _, err = run("--config", str(cfg), "retry", "7")
    assert code == 65 and "в журнале нет сообщения с номером #7" in err


def test_a_bad_ui_language_names_the_key(tmp_path: Path) -> None:
    """ui.language = "de" is a config error naming ui.language (exit 78)."""
    code, _, err = run("--config", str(offline_config(tmp_path, '[ui]\nlanguage = "de"\n')),
                       "status")
    assert code == 78 and "ui.language" in err


def test_config_errors_are_framed_in_russian(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A config error under a Russian locale: the sentence is Russian, the key as written."""
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MAILBRIDGE_CONFIG", raising=False)
    code, _, err = run("status")
    assert code == 78 and "ошибка в настройках: нет файла настроек" in err
    code, _, err = run("status", "--config", str(offline_config(tmp_path, "[imap2]\n")))
    assert code == 78 and "ошибка в настройках" in err and "imap2" in err


def test_check_and_summary_in_russian(account: ImapAccount, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """With LANG=ru_RU.UTF-8 against real Dovecot and the sandbox: every check line and the
    --poll-now summary are Russian; with ui.language = "ru" and an English locale too."""
    account.deliver(form_email(1))
    with sandbox() as sb:
        cfg = write_config(tmp_path / "c.toml", account, sb.webhook_url)
        monkeypatch.setenv("LANG", "ru_RU.UTF-8")
        code, out, err = run("--config", str(cfg), "check")
        assert code == 0, out + err
        assert "✓ imap: соединение установлено" in out
        assert "bitrix24: режим CRM классический" in out
        assert out.rstrip().endswith("все проверки пройдены")
        for line in out.splitlines():
            assert _CYRILLIC.search(line), line
        code, out, err = run("--config", str(cfg), "--poll-now")
        assert code == 0, err
        assert out.startswith("проверка почты: получено 1, создано лидов 1")
        monkeypatch.setenv("LANG", "C.UTF-8")
        cfg.write_text(cfg.read_text() + '\n[ui]\nlanguage = "ru"\n')
        code, out, _ = run("--config", str(cfg), "check")
        assert code == 0 and "все проверки пройдены" in out
        code, out, _ = run("--config", str(cfg), "--poll-now")
        assert out.startswith("проверка почты: получено 0")
        code, out, _ = run("--config", str(cfg), "status")
        assert "лид создан: 1" in out


def test_a_rejected_webhook_is_explained_in_russian(account: ImapAccount, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A wrong webhook code under LANG=ru_RU.UTF-8: the ✗ line is Russian, keeps the portal's
    code and the key, and names the Russian menu path; exit 78."""
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")
    with sandbox() as sb:
        url = sb.webhook_url.rstrip("/").rsplit("/", 1)[0] + "/YYYYYYYYYYYYYYYY/"
        code, out, _ = run("--config", str(write_config(tmp_path / "c.toml", account, url)),
                           "check")
    assert code == 78, out
    [line] = [ln for ln in out.splitlines() if ln.startswith("✗ bitrix24")]
    assert "вебхук отклонён: INVALID_CREDENTIALS" in line and "bitrix24.webhook_url" in line
    assert "Разработчикам → Другое → Входящий вебхук" in line


def test_every_key_shaped_literal_is_in_the_catalogue() -> None:
    """Keys passed around as values (i18n.tagged, lookup tables) exist too: every quoted
    literal under a catalogue prefix ("mailbox.refused", "check.crm.overload") is a key."""
    from bridge.config import _KEYS

    # prefixes that are also config sections ("retry.backoff_cap") are left to the t() scan
    prefixes = tuple(sorted({key.split(".", 1)[0] + "." for key in CATALOGUE} - {
        f"{section}." for section in _KEYS}))
    alternatives = "|".join(re.escape(p) for p in prefixes)
    literal = re.compile("[\"']((?:" + alternatives + ")[a-z0-9_.]*[a-z0-9_])[\"']")
    seen = 0
    for path, text in _source().items():
        for key in literal.findall(text):
            assert key in CATALOGUE, f"{path.name}: {key}"
            seen += 1
    assert seen > 80


def test_common_block_reasons_are_said_in_russian() -> None:
    """status shows a recorded block reason (English in the ledger) in Russian when it is a
    rejected webhook or simple CRM mode; other reasons and English stay as recorded."""
    from bridge.cli import blocked_why
    from bridge.crm import classify_error
    from bridge.health import SIMPLE_MODE_FIX, fix_for

    rejected = fix_for(classify_error("profile", "INVALID_CREDENTIALS", "Invalid", 401))
    assert blocked_why(rejected) == rejected
    i18n.set_language("ru")
    try:
        assert blocked_why(rejected).startswith("bitrix24: вебхук отклонён: INVALID_CREDENTIALS")
        assert "простом режиме CRM" in blocked_why(SIMPLE_MODE_FIX)
        assert blocked_why("something else") == "something else"
    finally:
        i18n.set_language("en")


def test_every_alarm_kind_has_a_title_and_a_fix_in_the_catalogue() -> None:
    """Alarm notices are looked up by kind: each kind has both entries, English as TITLES."""
    from bridge.alerts import alarms as kinds

    for kind, title in kinds.TITLES.items():
        assert CATALOGUE[f"alarm.title.{kind}"].en == title
        assert CATALOGUE[f"alarm.fix.{kind}"].en == kinds.FIXES[kind]
    for event in ("alarm", "repeat", "resolved"):
        assert f"alarm.head.{event}" in CATALOGUE


def test_alarm_notices_and_notify_test_follow_the_language() -> None:
    """With ui.language = "ru" an alarm, its resolution and notify-test read in Russian."""
    from datetime import UTC, datetime

    from bridge.alerts.alarms import PORTAL_BLOCKED, Alarm, alarm_notice
    from bridge.alerts.cli import test_notice

    now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    alarm = Alarm(PORTAL_BLOCKED, "", "INVALID_CREDENTIALS", now, now)
    english = alarm_notice("alarm", alarm, now)
    assert english.title.startswith("ALARM: Bitrix24 portal blocked") and "fix:" in english.text
    i18n.set_language("ru")
    try:
        russian = alarm_notice("alarm", alarm, now)
        resolved = alarm_notice("resolved", alarm, now)
        probe = test_notice()
    finally:
        i18n.set_language("en")
    assert russian.title.startswith("ТРЕВОГА: портал Битрикс24 заблокирован")
    assert "что сделать:" in russian.text and "INVALID_CREDENTIALS" in russian.text
    assert resolved.title.startswith("РЕШЕНО") and "что сделать" not in resolved.text
    assert "канал работает" in probe.text


def test_new_lead_and_deal_notices_follow_the_language() -> None:
    """A new-lead or new-deal notice reads in Russian with ui.language = "ru"; the JSON
    fields stay the same."""
    from bridge.alerts.monitor import lead_notice

    fields = {"NAME": "Иван", "PHONE": [{"VALUE": "+79120000001"}], "COMMENTS": "Нужен прокат"}
    english = lead_notice(7, fields, "https://portal.example.ru")
    assert english.title == "new lead #7: Иван" and "phone: +79120000001" in english.text
    i18n.set_language("ru")
    try:
        lead = lead_notice(7, fields, "https://portal.example.ru")
        deal = lead_notice(9, fields, "https://portal.example.ru", entity="deal")
    finally:
        i18n.set_language("en")
    assert lead.title == "новый лид #7: Иван" and "телефон: +79120000001" in lead.text
    assert "сообщение: Нужен прокат" in lead.text and lead.data == english.data
    assert deal.title.startswith("новая сделка #9") and "/crm/deal/details/9/" in deal.text
