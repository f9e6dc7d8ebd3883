"""Notification channels against loopback stand-ins: Telegram Bot API imitation, a JSON
receiver and a real SMTP server, with faults (timeouts, 429 retry_after, 5xx, redirects)."""

from __future__ import annotations

import logging
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.alerts.channels import EmailChannel, Notice, TelegramChannel, WebhookChannel
from bridge.alerts.dispatch import send_with_retries
from bridge.alerts.settings import EmailConfig, TelegramConfig, WebhookConfig
from bridge.errors import ChannelMisconfigured, ChannelUnreachable
from tests.servers.dovecot import make_certificate
from tests.servers.notify_stubs import CHAT, TOKEN, HttpStub, SmtpStub

NOTICE = Notice("alarm", "quarantined", "42", "ALARM: a message is quarantined (#42)",
                "reason: layout not recognised", {"reason": "layout not recognised"})


@pytest.fixture
def smtp() -> Iterator[SmtpStub]:
    stub = SmtpStub(user="alerts", password="XXXXXXXXXXXX")
    yield stub
    stub.close()


def telegram(stub: HttpStub, *, token: str = TOKEN, chat: str = CHAT, timeout: float = 5.0,
             proxy: str = "", api_url: str | None = None) -> TelegramChannel:
    return TelegramChannel(TelegramConfig(bot_token=token, chat_id=chat,
                                          api_url=api_url or stub.url, proxy=proxy), timeout)


def email(stub: SmtpStub, **kw: object) -> EmailChannel:
    values: dict[str, object] = {
        "host": "127.0.0.1", "port": stub.port, "security": "plain", "username": "alerts",
        "password": "XXXXXXXXXXXX", "sender": "alerts@example.ru", "to": ("admin@example.ru",),
    }
    values.update(kw)
    return EmailChannel(EmailConfig(**values), 5.0)  # type: ignore[arg-type]  # test values


def no_wait(log: list[float]):
    def wait(seconds: float) -> bool:
        log.append(seconds)
        return False

    return wait


# ------------------------------------------------------------------------- telegram


def test_telegram_sends_to_the_chat_with_the_token_in_the_path(tg: HttpStub) -> None:
    """sendMessage goes to /bot<token>/sendMessage with the chat id and the notice's text."""
    telegram(tg).send(NOTICE)
    assert [r.path for r in tg.requests] == [f"/bot{TOKEN}/sendMessage"]
    body = tg.requests[0].body
    assert body["chat_id"] == CHAT
    assert body["text"].startswith("ALARM: a message is quarantined (#42)")
    assert "layout not recognised" in body["text"]


def test_telegram_429_waits_retry_after_then_sends(tg: HttpStub) -> None:
    """A 429 with parameters.retry_after is retried after exactly that wait."""
    tg.faults = [(429, {"ok": False, "error_code": 429, "parameters": {"retry_after": 3}}, 0)]
    waits: list[float] = []
    result = send_with_retries(telegram(tg), NOTICE, wait=no_wait(waits))
    assert result.outcome == "sent"
    assert waits == [3.0]
    assert len(tg.requests) == 2


def test_telegram_retry_after_longer_than_the_cap_gives_up(tg: HttpStub) -> None:
    """A retry_after beyond max_wait is not slept through: the notice is reported unsent."""
    tg.faults = [(429, {"ok": False, "parameters": {"retry_after": 3600}}, 0)]
    result = send_with_retries(telegram(tg), NOTICE, max_wait=60, wait=no_wait([]))
    assert result.outcome == "unreachable"
    assert "3600" in result.detail and len(tg.requests) == 1


def test_telegram_5xx_is_retried_and_then_reported(tg: HttpStub) -> None:
    """5xx answers are retried with a backoff; three in a row make the channel unreachable."""
    tg.faults = [(502, {"ok": False}, 0)] * 3
    waits: list[float] = []
    result = send_with_retries(telegram(tg), NOTICE, attempts=3, backoff=0.5,
                               wait=no_wait(waits))
    assert result.outcome == "unreachable" and "502" in result.detail
    assert waits == [0.5, 1.0] and len(tg.requests) == 3


def test_telegram_timeout_is_unreachable(tg: HttpStub) -> None:
    """An answer slower than the channel's timeout is a timeout, not a hang."""
    tg.faults = [(0, None, 1.5)]
    with pytest.raises(ChannelUnreachable, match="timed out"):
        telegram(tg, timeout=0.3).send(NOTICE)


@pytest.mark.parametrize("token,chat", [("999:XXXXXXXXXXXXXXXX", CHAT), (TOKEN, "-100777")])
def test_telegram_refused_token_or_chat_is_misconfigured_and_not_retried(
    tg: HttpStub, token: str, chat: str
) -> None:
    """401 (token) and 400 (chat not found) are setup errors: one request, no retry."""
    result = send_with_retries(telegram(tg, token=token, chat=chat), NOTICE, wait=no_wait([]))
    assert result.outcome == "misconfigured"
    assert len(tg.requests) == 1
    assert token not in result.detail


def test_telegram_redirect_is_not_followed(tg: HttpStub, hook: HttpStub) -> None:
    """A 3xx is refused: the redirect target never receives the message."""
    tg.redirect_to = hook.url + "/stolen"
    tg.faults = [(307, None, 0)]
    with pytest.raises(ChannelMisconfigured, match="redirect"):
        telegram(tg).send(NOTICE)
    assert hook.requests == []


def test_telegram_goes_through_the_configured_proxy(hook: HttpStub) -> None:
    """With notify.telegram.proxy the request goes to the proxy (absolute URL), not directly."""
    channel = telegram(hook, proxy=hook.url, api_url="http://api.telegram.invalid")
    hook.faults = [(200, {"ok": True, "result": {}}, 0)]
    channel.send(NOTICE)
    assert hook.requests[0].path == f"http://api.telegram.invalid/bot{TOKEN}/sendMessage"


def test_telegram_connection_errors_never_show_the_token(caplog: pytest.LogCaptureFixture) -> None:
    """requests puts the URL (with the token) in its errors; ours name only the host."""
    stub = HttpStub(telegram=True)
    url = stub.url
    stub.close()
    caplog.set_level(logging.DEBUG)
    result = send_with_retries(telegram(stub, api_url=url), NOTICE, attempts=2,
                               wait=no_wait([]))
    assert result.outcome == "unreachable"
    assert "127.0.0.1" in result.detail
    assert TOKEN not in result.detail and TOKEN not in caplog.text


# ------------------------------------------------------------------------- webhook


def test_webhook_posts_the_notice_as_json(hook: HttpStub) -> None:
    """The JSON body carries event, kind, key, title, text and the notice's data fields."""
    WebhookChannel(WebhookConfig(url=hook.url + "/hook/XXXXXXXX"), 5.0).send(NOTICE)
    body = hook.requests[0].body
    assert hook.requests[0].path == "/hook/XXXXXXXX"
    assert body["source"] == "mailbridge"
    assert (body["event"], body["kind"], body["key"]) == ("alarm", "quarantined", "42")
    assert body["reason"] == "layout not recognised"


@pytest.mark.parametrize("status,outcome", [(404, "misconfigured"), (503, "unreachable"),
                                            (429, "unreachable")])
def test_webhook_failures_are_classified(hook: HttpStub, status: int, outcome: str) -> None:
    """4xx is a setup error; 5xx and 429 may work later."""
    hook.faults = [(status, {}, 0)] * 3
    result = send_with_retries(WebhookChannel(WebhookConfig(url=hook.url), 5.0), NOTICE,
                               wait=no_wait([]))
    assert result.outcome == outcome


# ------------------------------------------------------------------------- e-mail


def test_email_is_auto_submitted_and_reaches_the_recipients(smtp: SmtpStub) -> None:
    """A real SMTP server receives the alarm with Auto-Submitted and the notice's text."""
    email(smtp).send(NOTICE)
    [msg] = smtp.messages
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["Subject"] == "[mailbridge] ALARM: a message is quarantined (#42)"
    assert smtp.envelopes == [("alerts@example.ru", ["admin@example.ru"])]
    assert "layout not recognised" in msg.get_payload()


def test_email_login_refused_is_misconfigured(smtp: SmtpStub) -> None:
    """A wrong SMTP password is a setup error, and its text does not contain the password."""
    with pytest.raises(ChannelMisconfigured, match="login refused") as info:
        email(smtp, password="wrong-password-XXXX").send(NOTICE)
    assert "wrong-password-XXXX" not in str(info.value)


def test_email_temporary_refusal_is_retried(smtp: SmtpStub) -> None:
    """A 451 answer to DATA is temporary: the second attempt delivers."""
    smtp.temporary = 1
    result = send_with_retries(email(smtp), NOTICE, wait=no_wait([]))
    assert result.outcome == "sent" and len(smtp.messages) == 1


def test_email_refused_recipient_is_misconfigured(smtp: SmtpStub) -> None:
    """A 550 for the recipient names notify.email.to."""
    smtp.refuse_rcpt = True
    with pytest.raises(ChannelMisconfigured, match=r"notify\.email\.to"):
        email(smtp).send(NOTICE)


def test_email_starttls_is_verified_against_ca_file(tmp_path: Path) -> None:
    """STARTTLS to a server with a private certificate works with ca_file and fails without."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    make_certificate(cert, key)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    stub = SmtpStub(tls_context=ctx)
    try:
        email(stub, security="starttls", username="", ca_file=cert).send(NOTICE)
        assert len(stub.messages) == 1
        with pytest.raises(ChannelUnreachable, match="TLS"):
            email(stub, security="starttls", username="").send(NOTICE)
        assert len(stub.messages) == 1
    finally:
        stub.close()


def test_email_implicit_tls_is_verified_against_ca_file(tmp_path: Path) -> None:
    """security = "ssl" (port 465 style) with a private certificate: works with ca_file."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    make_certificate(cert, key)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    stub = SmtpStub(implicit_tls=ctx)
    try:
        email(stub, security="ssl", username="", ca_file=cert).send(NOTICE)
        assert len(stub.messages) == 1
        with pytest.raises(ChannelUnreachable):
            email(stub, security="ssl", username="").send(NOTICE)
    finally:
        stub.close()


def test_a_full_queue_drops_the_notice_and_logs_it(caplog: pytest.LogCaptureFixture) -> None:
    """submit never blocks: past the queue's bound a notice is dropped with an error line."""
    from bridge.alerts.dispatch import QUEUE_MAX, Dispatcher

    class Never:
        name = "never"

        def send(self, notice: Notice) -> None:
            raise AssertionError("the dispatcher was not started")

    dispatcher = Dispatcher([Never()])  # not started: nothing drains the queue
    caplog.set_level(logging.ERROR)
    for _ in range(QUEUE_MAX + 1):
        dispatcher.submit(NOTICE)
    assert "notify.dropped kind=quarantined event=alarm reason=queue_full" in caplog.text
