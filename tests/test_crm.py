"""Bitrix24Client against the real sandbox over loopback: error classes, retries, secrecy,
exactly-once helpers (origin lookup, batch), files; plus the pure rate-limit arithmetic."""

from __future__ import annotations

import logging
import threading
import traceback
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.crm import (
    Bitrix24Client,
    parse_webhook_url,
    php_query,
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
from bridge.model import Attachment, Lead
from bridge.ratelimit import LeakyBucket, backoff_delay
from bridge.sandbox import SandboxServer
from bridge.sandbox.phpquery import parse_str
from bridge.sandbox.portal import Bucket
from tests.bitrix_fixtures import make_client

pytest_plugins = ["tests.bitrix_fixtures"]

SECRET = "s3cr3tC0deF0rTest"
WRONG = "Wr0ngS3cretC0de7"
PDF = Attachment("счёт №1 (final)+.pdf", "application/pdf",
                 b"%PDF-1.4\n" + bytes(range(256)) * 50 + b"\xfb\xff\xbf" * 100)
PNG = Attachment("photo.png", "image/png", b"\x89PNG\r\n\x1a\n" + b"\x00\xff" * 999)


def lead_fields(origin: str, **extra: Any) -> dict[str, Any]:
    return {"TITLE": f"Form {origin}", "ORIGINATOR_ID": "mailbridge", "ORIGIN_ID": origin,
            "PHONE": [{"VALUE": "+79991234567", "VALUE_TYPE": "WORK"}], **extra}


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


# ================================================================== retries
def test_503_retried_then_success(sandbox):
    """Two QUERY_LIMIT_EXCEEDED answers are retried; exactly one lead results."""
    sandbox.inject("crm.lead.add", "limit503", times=2)
    client = make_client(sandbox, bucket=LeakyBucket(1000.0, 1000))
    lead_id = client.add_lead(lead_fields("o1"))
    assert sandbox.portal.count_503 == 2
    assert [lead["ID"] for lead in sandbox.portal.list_leads()] == [str(lead_id)]


def test_429_waits_until_operating_reset_then_succeeds(sandbox):
    """After OPERATION_TIME_LIMIT the client waits until operating_reset_at, then retries."""
    sleeps: list[float] = []
    client = make_client(sandbox, max_wait=10_000.0, sleep=sleeps.append)
    client.add_lead(lead_fields("o1"))
    sandbox.inject("crm.lead.add", "op429")
    client.add_lead(lead_fields("o2"))
    assert len(sleeps) == 1 and 500 < sleeps[0] <= 601
    assert len(sandbox.portal.leads) == 2


def test_429_with_a_long_wait_goes_back_to_the_caller(sandbox):
    """A 429 whose wait exceeds max_wait is raised at once with retry_after set."""
    client = make_client(sandbox, max_wait=5.0)
    client.add_lead(lead_fields("o1"))
    sandbox.inject("crm.lead.add", "op429")
    with pytest.raises(CrmTemporary) as info:
        client.add_lead(lead_fields("o2"))
    assert info.value.retry_after is not None and info.value.retry_after > 5.0
    assert sandbox.portal.request_counts["crm.lead.add"] == 2


def test_reads_are_retried_after_unknown_outcome(sandbox):
    """A read that hits a 500 or a lost answer is simply sent again."""
    client = make_client(sandbox)
    client.add_lead(lead_fields("o1"))
    sandbox.inject("crm.lead.list", "error500")
    sandbox.inject("crm.lead.list", "lost_answer")
    assert client.find_leads_by_origin(["o1"]) == {"o1": 1}
    assert sandbox.portal.request_counts["crm.lead.list"] == 3


def test_lost_answer_then_lookup_finds_the_lead(crm_client, sandbox):
    """A lost crm.lead.add answer is CrmUnknownOutcome, and the origin lookup finds the lead."""
    sandbox.inject("crm.lead.add", "lost_answer")
    with pytest.raises(CrmUnknownOutcome):
        crm_client.add_lead(lead_fields("msg-42"), [PDF], sandbox.portal.file_field_code)
    found = crm_client.find_leads_by_origin(["msg-42", "msg-43"])
    assert found == {"msg-42": 1}
    assert sandbox.portal.lead_files(1) == [(PDF.filename, PDF.data)]
    assert sandbox.portal.lead_add_calls == 1


# ================================================================== origin lookup
def test_lookup_ignores_rows_a_dropped_filter_lets_through(crm_client, sandbox):
    """If the portal drops the origin filter (matching everything), no false positive appears."""
    crm_client.add_lead(lead_fields("theirs", ORIGINATOR_ID="other-tool"))
    mine = crm_client.add_lead(lead_fields("mine"))
    sandbox.configure(unfilterable=["ORIGIN_ID", "ORIGINATOR_ID"])
    everything = crm_client.call("crm.lead.list", {"filter": {"@ORIGIN_ID": ["nothing"]}})
    assert len(everything) == 2  # the portal really ignores the filter now
    assert crm_client.find_leads_by_origin(["theirs", "absent"]) == {}
    assert crm_client.find_leads_by_origin(["mine"]) == {"mine": mine}


def test_lookup_lowest_id_wins_and_pages_are_followed(crm_client, sandbox):
    """With 60 leads of one origin the lookup follows pages and returns the lowest id."""
    crm_client.add_lead(lead_fields("other"))
    crm_client.add_leads_batch([Lead(f"x{i}", lead_fields("dup")) for i in range(50)])
    crm_client.add_leads_batch([Lead(f"y{i}", lead_fields("dup")) for i in range(10)])
    before = sandbox.portal.request_counts["crm.lead.list"]
    assert crm_client.find_leads_by_origin(["dup"]) == {"dup": 2}
    assert sandbox.portal.request_counts["crm.lead.list"] - before == 2


def test_lookup_chunks_of_50(crm_client, sandbox):
    """120 origins are looked up in 3 requests of at most 50 ids."""
    crm_client.add_lead(lead_fields("o-7"))
    found = crm_client.find_leads_by_origin([f"o-{i}" for i in range(120)])
    assert found == {"o-7": 1}
    assert sandbox.portal.request_counts["crm.lead.list"] == 3


# ================================================================== batch
def test_add_leads_batch_with_per_command_errors_and_files(crm_client, sandbox):
    """One batch request creates the good leads (files intact) and reports the bad one."""
    leads = [
        Lead("a+1 &x=%y#", lead_fields("a+1 &x=%y#", NAME="Анна + Co"), (PDF, PNG)),
        Lead("b", lead_fields("b", EMAIL=[{"VALUE": "broken@"}])),
        Lead("c", lead_fields("c", COMMENTS="line1\nline2 [b]x[/b] 100%")),
    ]
    out = crm_client.add_leads_batch(leads, sandbox.portal.file_field_code)
    assert sandbox.portal.request_counts == {"batch": 1}
    assert isinstance(out["b"], CrmRejected)
    a, c = out["a+1 &x=%y#"], out["c"]
    assert isinstance(a, int) and isinstance(c, int)
    lead_a = sandbox.portal.lead(a)
    assert (lead_a["NAME"], lead_a["ORIGIN_ID"]) == ("Анна + Co", "a+1 &x=%y#")
    assert lead_a["PHONE"][0]["VALUE"] == "+79991234567"
    assert sandbox.portal.lead_files(a) == [(PDF.filename, PDF.data), (PNG.filename, PNG.data)]
    assert sandbox.portal.lead(c)["COMMENTS"] == "line1\nline2 [b]x[/b] 100%"


def test_lost_batch_answer_leaves_all_unknown_and_lookup_reconciles(crm_client, sandbox):
    """A lost batch answer raises CrmUnknownOutcome; the origin lookup finds every lead."""
    sandbox.inject("batch", "lost_answer")
    leads = [Lead(f"m{i}", lead_fields(f"m{i}")) for i in range(5)]
    with pytest.raises(CrmUnknownOutcome):
        crm_client.add_leads_batch(leads)
    found = crm_client.find_leads_by_origin([lead.origin_id for lead in leads])
    assert sorted(found) == [f"m{i}" for i in range(5)]
    assert sandbox.portal.lead_add_calls == 5


def test_batch_helper_reads(crm_client):
    """batch() returns results, list totals and per-command errors by key."""
    crm_client.add_lead(lead_fields("o1"))
    res = crm_client.batch({
        "get": ("crm.lead.get", {"id": 1}),
        "list": ("crm.lead.list", {"filter": {"=ORIGIN_ID": "o1"}, "select": ["ID"]}),
        "missing": ("crm.lead.get", {"id": 99}),
        "scope": ("scope", {}),
    }, write=False)
    assert res.results["get"]["ORIGIN_ID"] == "o1"
    assert res.results["list"] == [{"ID": "1"}] and res.totals == {"list": 1}
    assert isinstance(res.errors["missing"], CrmRejected)
    assert set(res.results["scope"]) == {"crm", "user", "disk"}
    with pytest.raises(ValueError):
        crm_client.batch({str(i): ("profile", {}) for i in range(51)})


@settings(deadline=None, max_examples=60)
@given(st.dictionaries(st.from_regex(r"[A-Z][A-Z0-9_]{0,12}", fullmatch=True),
                       st.text(max_size=30), min_size=1, max_size=4))
def test_php_query_round_trips_through_parse_str(fields):
    """php_query output parsed by PHP rules gives back the same strings (+, &, %, # safe)."""
    assert parse_str(php_query({"fields": fields})) == {"fields": fields}


# ================================================================== timeline, checks
def test_timeline_comment_add_and_find(crm_client, sandbox):
    """A comment with files is added once and found again by its marker."""
    lead_id = crm_client.add_lead(lead_fields("o1"))
    cid = crm_client.add_timeline_comment(lead_id, "Files [mailbridge:o1]", [PDF])
    assert sandbox.portal.comment_files(cid) == [(PDF.filename, PDF.data)]
    assert crm_client.find_timeline_comment(lead_id, "[mailbridge:o1]") == cid
    assert crm_client.find_timeline_comment(lead_id, "[mailbridge:o2]") is None


def test_check_helpers(crm_client, sandbox):
    """profile, scopes, get_user, lead_fields and source_ids read the portal's setup."""
    sandbox.configure(users=[{"id": 5, "active": False}])
    assert crm_client.profile()["ID"] == "1"
    assert crm_client.scopes() == {"crm", "user", "disk"}
    assert crm_client.get_user(1)["ID"] == "1"
    assert crm_client.get_user(5) is None and crm_client.get_user(99) is None
    field = crm_client.lead_fields()[sandbox.portal.file_field_code]
    assert field["type"] == "file" and field["isMultiple"] is True
    assert "WEB" in crm_client.source_ids()


def test_add_lead_files_are_byte_identical(crm_client, sandbox):
    """Files sent inline with crm.lead.add arrive with exact names and bytes."""
    lead_id = crm_client.add_lead(lead_fields("o1"), [PDF, PNG], sandbox.portal.file_field_code)
    assert sandbox.portal.lead_files(lead_id) == [(PDF.filename, PDF.data),
                                                  (PNG.filename, PNG.data)]


# ================================================================== pacing
def test_bucket_keeps_a_burst_free_of_503():
    """With the client bucket mirroring the portal's (burst 5, 25/s), 20 calls see no 503."""
    with SandboxServer(rate=25.0, burst=5) as sb:
        client = make_client(sb, max_tries=1, bucket=LeakyBucket(25.0, 5))
        for _ in range(20):
            client.profile()
        assert sb.portal.count_503 == 0 and sb.portal.max_bucket_level <= 5


def test_without_bucket_the_same_portal_refuses():
    """Control case: without pacing, rapid calls past the burst get QUERY_LIMIT_EXCEEDED."""
    with SandboxServer(rate=0.5, burst=5) as sb:
        client = make_client(sb, max_tries=1)
        with pytest.raises(CrmTemporary) as info:
            for _ in range(10):
                client.profile()
        assert info.value.code == "QUERY_LIMIT_EXCEEDED"


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_leaky_bucket_waits_past_the_burst():
    """The first `burst` requests pass at once; then one request per 1/rate seconds."""
    clock = FakeClock()
    bucket = LeakyBucket(2.0, 5, clock=clock, sleep=clock.sleep, headroom=0)
    waits = [bucket.acquire() for _ in range(7)]
    assert waits[:5] == [0.0] * 5
    assert waits[5] == pytest.approx(0.5) and waits[6] == pytest.approx(0.5)


def test_leaky_bucket_penalize_holds_requests():
    """penalize(3) after a 503 makes the next request wait at least 3 s."""
    clock = FakeClock()
    bucket = LeakyBucket(2.0, 5, clock=clock, sleep=clock.sleep)
    bucket.penalize(3.0)
    assert bucket.acquire() >= 3.0


@settings(deadline=None, max_examples=50)
@given(st.lists(st.floats(min_value=0, max_value=2), min_size=1, max_size=80),
       st.floats(min_value=0.5, max_value=10), st.integers(min_value=1, max_value=20))
def test_leaky_bucket_never_overfills_the_portal(gaps, rate, burst):
    """Fed the same request times, the portal's own bucket never refuses a paced request."""
    clock = FakeClock()
    client = LeakyBucket(rate, burst, clock=clock, sleep=clock.sleep, headroom=0)
    portal = Bucket(rate, burst, stamp=0.0)
    for gap in gaps:
        clock.now += gap
        client.acquire()
        assert portal.admit(clock.now + 1e-9)


def test_leaky_bucket_is_thread_safe():
    """Concurrent reservations are all counted: waits grow by 1/rate each."""
    clock = FakeClock()
    bucket = LeakyBucket(10.0, 1, clock=clock, sleep=lambda s: None, headroom=0)
    waits: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(25):
            w = bucket.reserve()
            with lock:
                waits.append(w)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(round(w, 6) for w in waits) == [round(i / 10, 6) for i in range(100)]


def test_backoff_delay_is_exponential_with_full_jitter():
    """backoff_delay grows as base*2^(n-1), capped, scaled by the jitter draw."""
    assert [backoff_delay(n, 0.5, 30.0, rng=lambda: 1.0) for n in (1, 2, 3, 8, 20)] == [
        0.5, 1.0, 2.0, 30.0, 30.0]
    assert backoff_delay(3, 0.5, 30.0, rng=lambda: 0.0) == 0.0
    assert backoff_delay(3, 0.5, 30.0, rng=lambda: 0.5) == 1.0
    assert backoff_delay(0, 0.5, 30.0) == 0.0


# ================================================================== TLS
@pytest.fixture
def tls_sandbox(tmp_path):
    """A sandbox speaking HTTPS with a self-signed certificate for 127.0.0.1."""
    from tests.servers.dovecot import make_certificate

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    make_certificate(cert, key)
    with SandboxServer(certfile=str(cert), keyfile=str(key), rate=1000.0, burst=1000) as sb:
        yield sb, cert


def test_tls_is_verified_and_ca_file_adds_trust(tls_sandbox):
    """A private certificate is refused (CrmSetupError) unless bitrix24.ca_file names its CA."""
    sb, cert = tls_sandbox
    assert sb.webhook_url.startswith("https://127.0.0.1:")
    with pytest.raises(CrmSetupError) as info:
        make_client(sb, max_tries=1).profile()
    assert "bitrix24.ca_file" in str(info.value)
    assert make_client(sb, ca_file=str(cert)).add_lead(lead_fields("tls"), [PNG],
                                                       sb.portal.file_field_code) == 1
    assert sb.portal.lead_files(1) == [(PNG.filename, PNG.data)]


def test_unreadable_ca_file_is_a_config_error(sandbox, tmp_path):
    """A ca_file that is not a certificate bundle is a ConfigError naming bitrix24.ca_file."""
    bad = tmp_path / "not-a-ca.pem"
    bad.write_text("nothing here")
    with pytest.raises(ConfigError) as info:
        make_client(sandbox, ca_file=str(bad))
    assert info.value.key == "bitrix24.ca_file"


def test_json_body_splices_files_as_base64_bytes():
    """File bytes go into the JSON body as base64 exactly; look-alike text is left alone."""
    import base64 as _b64mod
    import json as _json

    from bridge.crm import FileContent, json_body

    data = bytes(range(256)) * 100
    body = json_body({"fields": {"TITLE": "\x00blob-0-0\x00 «Заявка»",
                                 "UF_CRM_1701234567": [{"fileData": ["a.pdf", FileContent(data)]}]},
                      "FILES": [["b.txt", FileContent(b"")]]})
    parsed = _json.loads(body)
    assert parsed["fields"]["TITLE"] == "\x00blob-0-0\x00 «Заявка»"
    assert _b64mod.b64decode(parsed["fields"]["UF_CRM_1701234567"][0]["fileData"][1]) == data
    assert parsed["FILES"] == [["b.txt", ""]]
