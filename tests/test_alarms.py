"""Alarms: once when they start, repeated at most every repeat_minutes, one "resolved" when
they clear; each kind triggered against the Telegram stand-in; a notice never holds up a lead."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from bridge.alerts import alarms as kinds
from bridge.alerts.alarms import Alarms
from bridge.alerts.channels import Notice, TelegramChannel
from bridge.alerts.dispatch import Dispatcher
from bridge.alerts.monitor import Monitor, first_line, lead_notice
from bridge.alerts.settings import NotifyConfig, TelegramConfig
from bridge.errors import MailboxRejected, MailboxUnavailable
from bridge.model import PollReport
from bridge.store import Ledger
from tests.helpers.fixtures import sqlite_ledger  # noqa: F401 - the ledger fixture
from tests.servers.notify_stubs import CHAT, TOKEN, HttpStub

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


def add_row(ledger: Ledger, uid: int, at: datetime, subject: str = "Иван Петров +79161234567"):
    return ledger.add_received("INBOX", 1, uid, f"<m{uid}@x>", f"id{uid}", f"o{uid}", subject,
                               at, b"raw", at)


# ------------------------------------------------------------------------- the rule


def test_alarm_is_sent_once_repeated_after_the_interval_and_resolved_once() -> None:
    """raise_ twice sends one alarm; tick repeats only after repeat; clear sends one resolved."""
    sent: list[Notice] = []
    clock = Clock()
    alarms = Alarms(sent.append, repeat=timedelta(minutes=60), clock=clock)
    assert alarms.raise_(kinds.STALL, "", "no poll for 15 min")
    assert not alarms.raise_(kinds.STALL, "", "no poll for 16 min")
    clock.advance(minutes=59)
    assert alarms.tick() == 0
    clock.advance(minutes=1)
    assert alarms.tick() == 1
    clock.advance(minutes=30)
    assert alarms.tick() == 0
    assert alarms.clear(kinds.STALL)
    assert not alarms.clear(kinds.STALL)
    assert [n.event for n in sent] == ["alarm", "repeat", "resolved"]
    assert sent[1].text.startswith("reason: no poll for 16 min")


def test_lead_notice_has_name_phone_first_line_and_link() -> None:
    """A new-lead notice carries the client's name, phone, first line and the portal link."""
    fields = {"NAME": "Анна", "PHONE": [{"VALUE": "+79161234567"}],
              "COMMENTS": "<b>Нужна арматура</b>\nА12, 5 т\nСтраница: https://x"}
    notice = lead_notice(77, fields, "https://portal.bitrix24.ru")
    assert notice.event == "lead"
    assert "Анна" in notice.title
    assert "+79161234567" in notice.text and "Нужна арматура" in notice.text
    assert "А12" not in notice.text
    assert "https://portal.bitrix24.ru/crm/lead/details/77/" in notice.text
    assert first_line("[B]Привет[/B]\nещё") == "Привет"
    assert first_line("\n  Цена &lt;100&gt; &amp; срок\n") == "Цена <100> & срок"


# ------------------------------------------------------------------------- every kind


def make_monitor(ledger: Ledger, stub: HttpStub, clock: Clock, **notify: object):
    values: dict[str, object] = {"stall_minutes": 15, "repeat_minutes": 60,
                                 "mailbox_minutes": 10, **notify}
    cfg = NotifyConfig(telegram=TelegramConfig(bot_token=TOKEN, chat_id=CHAT, api_url=stub.url),
                       **values)  # type: ignore[arg-type]  # test values
    dispatcher = Dispatcher([TelegramChannel(cfg.telegram, 5.0)], backoff=0.01).start()  # type: ignore[arg-type]  # set above
    monitor = Monitor(cfg, ledger, send=dispatcher.submit, clock=clock,
                      portal="https://portal.example")
    return monitor, dispatcher


def events(stub: HttpStub, dispatcher: Dispatcher) -> list[str]:
    assert dispatcher.drain(20)
    return [t.split(":", 1)[0] for t in stub.texts]


def ok(**kw: int) -> PollReport:
    return PollReport(**kw)


def test_quarantined_message_alarms_once_and_resolves_after_retry(
    ledger: Ledger, tg: HttpStub
) -> None:
    """A quarantined row raises one alarm (id and reason, no subject); it resolves once the
    row leaves quarantine."""
    clock = Clock()
    monitor, dispatcher = make_monitor(ledger, tg, clock)
    row = add_row(ledger, 1, clock())
    started = clock()
    ledger.set_quarantined(row.id, "rejected by Bitrix24: bad field", clock())
    monitor.poll_finished(ok(quarantined=1), None, started)
    clock.advance(minutes=1)
    monitor.poll_finished(ok(), None, clock())
    assert events(tg, dispatcher) == ["ALARM"]
    assert f"#{row.id}" in tg.texts[0] and "bad field" in tg.texts[0]
    assert "Иван" not in tg.texts[0] and "7916" not in tg.texts[0]
    ledger.retry([row.id], clock())
    clock.advance(minutes=1)
    monitor.poll_finished(ok(), None, clock())
    monitor.poll_finished(ok(), None, clock())
    assert events(tg, dispatcher) == ["ALARM", "RESOLVED"]
    dispatcher.close()


def test_unrecognised_message_has_its_own_kind(ledger: Ledger, tg: HttpStub) -> None:
    """A `layout not recognised` quarantine is an unrecognised alarm, resolved on retry."""
    clock = Clock()
    monitor, dispatcher = make_monitor(ledger, tg, clock)
    row = add_row(ledger, 2, clock())
    ledger.set_quarantined(row.id, "layout not recognised", clock())
    monitor.poll_finished(ok(quarantined=1), None, clock())
    assert [a.kind for a in monitor.alarms.active()] == [kinds.UNRECOGNISED]
    ledger.retry([row.id], clock())
    monitor.poll_finished(ok(), None, clock())
    assert events(tg, dispatcher) == ["ALARM", "RESOLVED"]
    assert "not recognised" in tg.texts[0]
    dispatcher.close()


@pytest.mark.parametrize("error", [MailboxUnavailable("refused"), MailboxRejected("login")])
def test_mailbox_alarm_only_after_the_threshold(
    ledger: Ledger, tg: HttpStub, error: Exception
) -> None:
    """Mailbox trouble shorter than mailbox_minutes sends nothing; longer: one alarm; the
    next good poll: one resolved."""
    clock = Clock()
    monitor, dispatcher = make_monitor(ledger, tg, clock, stall_minutes=600)
    monitor.poll_finished(None, error, clock())
    clock.advance(minutes=9)
    monitor.poll_finished(None, error, clock())
    assert events(tg, dispatcher) == []
    clock.advance(minutes=1)
    monitor.poll_finished(None, error, clock())
    monitor.tick()
    clock.advance(minutes=1)
    monitor.poll_finished(ok(), None, clock())
    monitor.poll_finished(ok(), None, clock())
    assert events(tg, dispatcher) == ["ALARM", "RESOLVED"]
    assert "mailbox" in tg.texts[0]
    dispatcher.close()


def test_unreachable_mailbox_inside_a_finished_poll_counts_too(
    ledger: Ledger, tg: HttpStub
) -> None:
    """A poll that finished but could not read the mailbox (report.errors) is mailbox trouble."""
    clock = Clock()
    monitor, dispatcher = make_monitor(ledger, tg, clock, stall_minutes=600)
    failing = ok()
    failing.errors.append("mailbox unavailable: timeout")
    monitor.poll_finished(failing, None, clock())
    clock.advance(minutes=11)
    monitor.poll_finished(failing, None, clock())
    monitor.poll_finished(ok(), None, clock())
    assert events(tg, dispatcher) == ["ALARM", "RESOLVED"]
    dispatcher.close()


def test_stall_alarm_repeats_and_resolves(ledger: Ledger, tg: HttpStub) -> None:
    """No successful poll for stall_minutes: one alarm, one repeat per repeat_minutes, then
    one resolved after the next successful poll."""
    clock = Clock()
    monitor, dispatcher = make_monitor(ledger, tg, clock)
    monitor.poll_finished(ok(), None, clock())
    clock.advance(minutes=14)
    monitor.tick()
    clock.advance(minutes=1)
    monitor.tick()
    monitor.tick()
    clock.advance(minutes=60)
    monitor.tick()
    monitor.poll_finished(ok(), None, clock())
    assert events(tg, dispatcher) == ["ALARM", "STILL", "RESOLVED"]
    dispatcher.close()


def test_blocked_portal_follows_the_ledger_meta(ledger: Ledger, tg: HttpStub) -> None:
    """While the ledger's blocked_reason is set the portal alarm is on; cleared: resolved."""
    clock = Clock()
    monitor, dispatcher = make_monitor(ledger, tg, clock)
    ledger.set_meta("portal_blocked", "webhook rejected: INVALID_CREDENTIALS")
    monitor.poll_finished(ok(), None, clock())
    monitor.poll_finished(ok(), None, clock())
    ledger.set_meta("portal_blocked", "")
    monitor.poll_finished(ok(), None, clock())
    assert events(tg, dispatcher) == ["ALARM", "RESOLVED"]
    assert "INVALID_CREDENTIALS" in tg.texts[0]
    dispatcher.close()


@pytest.mark.parametrize("kind,key", [(kinds.FILE_FIELD, "UF_CRM_FILES"),
                                      (kinds.INACTIVE_USER, "7"),
                                      (kinds.RELOAD_FAILED, ""),
                                      (kinds.PORTAL_BLOCKED, "")])
def test_kinds_raised_by_other_parts_alarm_once_and_resolve(
    ledger: Ledger, tg: HttpStub, kind: str, key: str
) -> None:
    """The kinds other parts raise through monitor.alarms: one alarm, one resolved."""
    clock = Clock()
    monitor, dispatcher = make_monitor(ledger, tg, clock)
    monitor.alarms.raise_(kind, key, "the reason")
    monitor.alarms.raise_(kind, key, "the reason")
    monitor.alarms.clear(kind, key)
    assert events(tg, dispatcher) == ["ALARM", "RESOLVED"]
    assert kinds.TITLES[kind] in tg.texts[0]
    dispatcher.close()


# ------------------------------------------------------------------------- never blocks


class GatedChannel:
    """A channel (our own Protocol) that hangs until released."""

    name = "gated"

    def __init__(self) -> None:
        self.release = threading.Event()
        self.sent: list[Notice] = []

    def send(self, notice: Notice) -> None:
        self.release.wait(30)
        self.sent.append(notice)


def test_a_hanging_channel_never_holds_up_the_caller(ledger: Ledger) -> None:
    """submit returns while the channel hangs; the notices go out once it answers."""
    channel = GatedChannel()
    dispatcher = Dispatcher([channel]).start()
    monitor = Monitor(NotifyConfig(on_lead=True), ledger, send=dispatcher.submit)
    for n in range(3):
        monitor.lead_created(add_row(ledger, 10 + n, T0), 100 + n,
                             type("L", (), {"fields": {"NAME": "x"}})())
    assert channel.sent == []
    channel.release.set()
    assert dispatcher.drain(20)
    assert [n.key for n in channel.sent] == ["100", "101", "102"]
    dispatcher.close()


def test_on_lead_off_sends_no_lead_notice(ledger: Ledger) -> None:
    """on_lead is off by default: a created lead sends nothing."""
    sent: list[Notice] = []
    monitor = Monitor(NotifyConfig(), ledger, send=sent.append)
    monitor.lead_created(add_row(ledger, 20, T0), 5, type("L", (), {"fields": {}})())
    assert sent == []


# ------------------------------------------------------------------------- persistence


def test_a_restart_neither_resends_nor_forgets_an_alarm(ledger: Ledger) -> None:
    """Alarms live in the ledger: a new Monitor (a restart, the next --poll-now) sends no
    second alarm for the same row and still sends the one "resolved"."""
    sent: list[Notice] = []
    clock = Clock()
    first = Monitor(NotifyConfig(), ledger, send=sent.append, clock=clock)
    row = add_row(ledger, 30, clock())
    ledger.set_quarantined(row.id, "layout not recognised", clock())
    first.poll_finished(ok(), None, clock())
    second = Monitor(NotifyConfig(), ledger, send=sent.append, clock=clock)
    second.poll_finished(ok(), None, T0)  # sees the same quarantined row again
    ledger.retry([row.id], clock())
    second.poll_finished(ok(), None, clock())
    assert [(n.event, n.kind) for n in sent] == [("alarm", kinds.UNRECOGNISED),
                                                 ("resolved", kinds.UNRECOGNISED)]


def test_poll_now_runs_see_the_stall_across_processes(ledger: Ledger) -> None:
    """The last success is read from the ledger, so a timer's failing --poll-now notices
    the stall and a later good run resolves it."""
    sent: list[Notice] = []
    clock = Clock()
    ledger.set_meta("last_success_at", (T0 - timedelta(minutes=20)).isoformat())
    failing = ok()
    failing.errors.append("mailbox unavailable: timeout")
    Monitor(NotifyConfig(mailbox_minutes=600), ledger, send=sent.append,
            clock=clock).poll_finished(failing, None, clock())
    clock.advance(minutes=1)
    Monitor(NotifyConfig(mailbox_minutes=600), ledger, send=sent.append,
            clock=clock).poll_finished(failing, None, clock())
    clock.advance(minutes=1)
    Monitor(NotifyConfig(), ledger, send=sent.append,
            clock=clock).poll_finished(ok(), None, clock())
    assert [(n.event, n.kind) for n in sent] == [("alarm", kinds.STALL),
                                                 ("resolved", kinds.STALL)]


def test_alarm_reasons_pass_through_the_log_redaction() -> None:
    """A reason that would carry a known secret (or a webhook code) is masked in the notice."""
    from bridge import logsetup

    logsetup.REDACTOR.add("SECRETPASSXXXX")
    sent: list[Notice] = []
    alarms = Alarms(sent.append, repeat=timedelta(minutes=60))
    alarms.raise_(kinds.STOPPED, "", "login failed with SECRETPASSXXXX at "
                  "https://p.bitrix24.ru/rest/1/abcdefabcdef/")
    assert "SECRETPASSXXXX" not in sent[0].text and "abcdefabcdef" not in sent[0].text
