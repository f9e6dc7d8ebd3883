"""Bitrix24Client against the real sandbox over loopback: webhook URLs, secrecy, error classes."""

from __future__ import annotations

import logging
import traceback

import pytest

from bridge.crm import (
    Bitrix24Client,
    parse_webhook_url,
    redact,
    redact_url,
)
from bridge.errors import (
    ConfigError,
    CrmError,
    CrmRejected,
    CrmSetupError,
    CrmTemporary,
    CrmUnknownOutcome,
)
from bridge.sandbox import SandboxServer
from tests.bitrix_fixtures import make_client
from tests.helpers.crmdata import PNG, lead_fields

pytest_plugins = ["tests.bitrix_fixtures"]

SECRET = "s3cr3tC0deF0rTest"
WRONG = "Wr0ngS3cretC0de7"


# ================================================================== URLs and secrecy
def test_parse_webhook_url_accepts_https_and_loopback_http():
    """Valid URLs parse into base, host, user id and code; http only to loopback."""
    w = parse_webhook_url(f"https://rostferrum.bitrix24.ru/rest/1/{SECRET}")
    assert (w.base, w.host, w.user_id, w.code) == (
        f"https://rostferrum.bitrix24.ru/rest/1/{SECRET}/", "rostferrum.bitrix24.ru", 1, SECRET)
    assert parse_webhook_url(f"http://127.0.0.1:8080/rest/7/{SECRET}/").user_id == 7
    assert parse_webhook_url(f"http://localhost/rest/7/{SECRET}/").host == "localhost"
    assert SECRET not in repr(w) and SECRET not in str(w)


@pytest.mark.parametrize("url, fragment", [
    (f"http://portal.bitrix24.ru/rest/1/{SECRET}/", "loopback"),
    (f"https://portal.bitrix24.ru/rest/{SECRET}/", "user id segment is missing"),
    (f"https://portal.bitrix24.ru/rest/1/{SECRET}/crm.lead.add.json", "not a webhook URL"),
    (f"ftp://portal.bitrix24.ru/rest/1/{SECRET}/", "https://"),
    ("", "empty"),
])
def test_parse_webhook_url_rejects_bad_urls(url, fragment):
    """A malformed URL is a ConfigError naming bitrix24.webhook_url, without the secret."""
    with pytest.raises(ConfigError) as info:
        parse_webhook_url(url)
    assert info.value.key == "bitrix24.webhook_url"
    assert fragment in str(info.value) and SECRET not in str(info.value)


def test_redact_url_and_text():
    """The URL is shown as https://HOST/rest/1/***/; redact() strips secrets from any text."""
    assert redact_url(f"https://p.bitrix24.ru/rest/1/{SECRET}/") == "https://p.bitrix24.ru/rest/1/***/"
    assert SECRET not in redact_url(f"https://p.bitrix24.ru/rest/x/{SECRET}/")
    assert redact(f'"POST /rest/12/{SECRET}/crm.lead.add HTTP/1.1" 200') == (
        '"POST /rest/12/***/crm.lead.add HTTP/1.1" 200')


@pytest.fixture
def secret_sandbox():
    """A sandbox whose webhook secret is distinctive, so leaks are detectable."""
    with SandboxServer(code=SECRET, rate=1000.0, burst=100_000) as sb:
        yield sb


def test_secret_never_in_exceptions_or_logs(secret_sandbox, caplog):
    """Across successes and every failure class, neither the secret nor a wrong one leaks."""
    caplog.set_level(logging.DEBUG)
    # The CLI keeps library loggers at WARNING; here urllib3's debug lines must be produced.
    caplog.set_level(logging.DEBUG, logger="urllib3")
    sb = secret_sandbox
    client = make_client(sb, max_tries=2)
    wrong = Bitrix24Client(sb.webhook_url.replace(SECRET, WRONG), max_tries=1)
    errors: list[BaseException] = []
    client.add_lead(lead_fields("o1"), [PNG], sb.portal.file_field_code)

    def attempt(fn):
        try:
            fn()
        except CrmError as exc:
            errors.append(exc)

    attempt(wrong.profile)
    for fault in ("lost_answer", "reset", "html502", "error500"):
        sb.inject("crm.lead.add", fault)
        attempt(lambda: client.add_lead(lead_fields("o2")))
    sb.inject("crm.lead.add", "slow", seconds=0.5)
    attempt(lambda: make_client(sb, timeout=0.1).add_lead(lead_fields("o3")))
    sb.configure(renamed_to="moved.bitrix24.ru")
    attempt(lambda: client.add_lead(lead_fields("o4")))
    sb.configure(renamed_to=None)
    port = sb.port
    sb.stop()
    attempt(lambda: make_client(sb, max_tries=1).profile())
    assert len(errors) == 8, errors
    assert all(e.__context__ is None and e.__cause__ is None for e in errors)
    assert "/rest/1/***/" in caplog.text  # urllib3's debug lines were there, redacted
    for text in [caplog.text, repr(client), repr(wrong), str(port)] + [
        "".join(traceback.format_exception(e)) + repr(e) for e in errors
    ]:
        assert SECRET not in text and WRONG not in text


def test_request_log_line_format(crm_client, caplog):
    """Each request logs one `crm.request method=... status=... ms=...` line."""
    caplog.set_level(logging.DEBUG, logger="bridge.crm")
    crm_client.profile()
    assert any(r.getMessage().startswith("crm.request method=profile status=200 ms=")
               for r in caplog.records)


# ================================================================== error classes
@pytest.mark.parametrize("setup, call, cls, text", [
    ({"blocked": True}, "profile", CrmSetupError,
     "webhook rejected: INVALID_CREDENTIALS, check bitrix24.webhook_url"),
    ({"scopes": ["user"]}, "lead", CrmSetupError, "insufficient_scope"),
    ({"deleted": True}, "lead", CrmSetupError, "PORTAL_DELETED"),
    ({"crm_access": False}, "lead", CrmSetupError, "Access denied"),
    ({}, "unknown", CrmSetupError, "not found"),
    ({}, "app", CrmSetupError, "Application context required"),
    ({}, "bad_email", CrmRejected, "E-mail"),
    ({"overloaded": True}, "profile", CrmSetupError, "contact Bitrix24 support"),
])
def test_error_mapping_setup_and_rejected(sandbox, setup, call, cls, text):
    """Setup problems raise CrmSetupError with a fix, data problems CrmRejected; OVERLOAD_LIMIT
    (a manual block by support, system-errors.md) is portal-wide setup, not temporary."""
    sandbox.configure(**setup)
    client = make_client(sandbox)
    actions = {
        "profile": client.profile,
        "lead": lambda: client.add_lead(lead_fields("o1")),
        "unknown": lambda: client.call("crm.lead.nosuch"),
        "app": lambda: client.call("app.info"),
        "bad_email": lambda: client.add_lead({"EMAIL": [{"VALUE": "no at sign"}]}),
    }
    with pytest.raises(cls) as info:
        actions[call]()
    assert text in str(info.value)
    assert type(info.value) is cls


@pytest.mark.parametrize("fault, opts, cls, tries", [
    ("limit503", {}, CrmTemporary, 3),  # retried up to max_tries
    ("op429", {}, CrmTemporary, 1),  # the wait (no operating_reset_at known) exceeds max_wait
    ("lost_answer", {}, CrmUnknownOutcome, 1),  # writes with unknown outcome: never re-sent
    ("reset", {}, CrmUnknownOutcome, 1),
    ("error500", {}, CrmUnknownOutcome, 1),
    ("html502", {}, CrmUnknownOutcome, 1),
    ("html504", {"executed": True}, CrmUnknownOutcome, 1),
])
def test_error_mapping_temporary_and_unknown(sandbox, fault, opts, cls, tries):
    """Limits are CrmTemporary; lost/reset/5xx/HTML answers to writes are CrmUnknownOutcome."""
    sandbox.inject("crm.lead.add", fault, times=10, **opts)
    client = make_client(sandbox, max_tries=3)
    with pytest.raises(cls) as info:
        client.add_lead(lead_fields("o1"))
    assert type(info.value) is cls
    assert sandbox.portal.request_counts["crm.lead.add"] == tries


@pytest.mark.parametrize("status, cls", [
    (404, CrmSetupError), (403, CrmSetupError), (413, CrmRejected), (429, CrmTemporary),
    (500, CrmUnknownOutcome),
])
def test_front_end_html_pages(sandbox, status, cls):
    """A front end's HTML page: 4xx means not run (setup/rejected/temporary), 5xx unknown."""
    sandbox.inject("crm.lead.add", "html", times=10, status=status)
    with pytest.raises(cls) as info:
        make_client(sandbox, max_tries=1).add_lead(lead_fields("o1"))
    assert type(info.value) is cls and info.value.status == status


def test_connection_refused_is_temporary():
    """A port nobody listens on gives CrmTemporary (the request never ran)."""
    sb = SandboxServer().start()
    sb.stop()
    with pytest.raises(CrmTemporary):
        make_client(sb, max_tries=2).profile()


def test_read_timeout_is_unknown_and_the_lookup_finds_the_lead(sandbox):
    """A write whose answer is too slow is CrmUnknownOutcome; the lead exists and is found."""
    sandbox.inject("crm.lead.add", "slow", seconds=0.6)
    client = make_client(sandbox, timeout=0.15)
    with pytest.raises(CrmUnknownOutcome):
        client.add_lead(lead_fields("slow-1"))
    assert make_client(sandbox).find_leads_by_origin(["slow-1"]) == {"slow-1": 1}


def test_redirect_is_not_followed_on_writes(sandbox):
    """A renamed portal's 302 is a CrmSetupError naming the new host; nothing is re-sent."""
    sandbox.configure(renamed_to="new-name.bitrix24.ru")
    with pytest.raises(CrmSetupError) as info:
        make_client(sandbox).add_lead(lead_fields("o1"))
    assert "new-name.bitrix24.ru" in str(info.value)
    assert len(sandbox.requests) == 1 and sandbox.portal.lead_add_calls == 0
