"""The sandbox portal follows bitrix24-api.md: PHP parameter rules, URL forms, bodies, envelope,
errors and the leaky bucket. Spoken to over real HTTP on loopback.
"""

from __future__ import annotations

import requests

from bridge.sandbox import SandboxServer
from bridge.sandbox.phpquery import lenient_b64decode, parse_str
from tests.helpers.sandboxhttp import FORM, err, ok, post

pytest_plugins = ["tests.bitrix_fixtures"]


# ------------------------------------------------------------------ PHP rules
def test_parse_str_nested_keys_and_plus():
    """parse_str builds nested arrays, appends for [], decodes %XX and turns + into a space."""
    got = parse_str("fields%5BNAME%5D=Anna+B&fields[PHONE][0][VALUE]=%2B7999&"
                    "fields[PHONE][0][VALUE_TYPE]=WORK&select[]=ID&select[]=TITLE&x=1&x=2")
    assert got == {"fields": {"NAME": "Anna B", "PHONE": [{"VALUE": "+7999",
                                                           "VALUE_TYPE": "WORK"}]},
                   "select": ["ID", "TITLE"], "x": "2"}


def test_lenient_base64_skips_foreign_characters():
    """Like PHP's non-strict base64_decode: junk is skipped, padding is optional."""
    assert lenient_b64decode("aGVs bG8=") == b"hello"
    assert lenient_b64decode("aGVsbG8") == b"hello"
    assert lenient_b64decode("a!G*VsbG8=") == b"hello"


# ------------------------------------------------------------------ transport
def test_url_forms_suffix_case_get_and_post(sandbox):
    """.json suffix, upper-case method names, GET and POST all reach the same method."""
    r1 = requests.get(sandbox.webhook_url + "profile", timeout=5)
    r2 = requests.get(sandbox.webhook_url + "profile.json", timeout=5)
    r3 = requests.post(sandbox.webhook_url + "PROFILE.json", timeout=5)
    for r in (r1, r2, r3):
        assert r.status_code == 200
        assert r.headers["Content-Type"].startswith("application/json")
        assert r.json()["result"]["ID"] == "1"


def test_xml_suffix_answers_xml(sandbox):
    """The .xml suffix switches the answer to XML with a <response> root and <item>s."""
    import xml.etree.ElementTree as ET

    r = requests.get(sandbox.webhook_url + "scope.xml", timeout=5)
    assert r.headers["Content-Type"].startswith("text/xml")
    root = ET.fromstring(r.content)
    assert root.tag == "response"
    assert [i.text for i in root.find("result")] == ["crm", "disk", "user"]


def test_envelope_has_time_block(sandbox):
    """Success answers carry result and the time block with the operating keys."""
    body = post(sandbox, "crm.lead.add", {"fields": {"TITLE": "t"}}).json()
    assert body["result"] == 1 and isinstance(body["result"], int)
    assert set(body["time"]) >= {"start", "finish", "duration", "processing", "date_start",
                                 "date_finish", "operating_reset_at", "operating"}


def test_form_encoded_body_nested_and_plus(sandbox):
    """A form body with nested keys works; an unencoded + arrives as a space, %2B as +."""
    body = ("fields%5BTITLE%5D=Site+form%3A+Anna&fields[NAME]=Anna&"
            "fields[PHONE][0][VALUE]=%2B49+30+1234567&fields[PHONE][0][VALUE_TYPE]=WORK&"
            "fields[PHONE][1][VALUE]=+7999&params[REGISTER_SONET_EVENT]=Y")
    r = requests.post(sandbox.webhook_url + "crm.lead.add.json", data=body, headers=FORM,
                      timeout=5)
    lead = sandbox.portal.lead(r.json()["result"])
    assert lead["TITLE"] == "Site form: Anna"
    assert [p["VALUE"] for p in lead["PHONE"]] == ["+49 30 1234567", " 7999"]


def test_get_query_with_nested_keys(sandbox):
    """GET with PHP-style keys in the query string creates the lead."""
    r = requests.get(sandbox.webhook_url + "crm.lead.add?fields[TITLE]=Site%20form%3A%20Anna"
                     "&fields[NAME]=Anna", timeout=5)
    assert sandbox.portal.lead(r.json()["result"])["NAME"] == "Anna"


def test_multipart_body(sandbox):
    """multipart/form-data fields are parsed with the same nested-key rules."""
    files = {"fields[TITLE]": (None, "Multi part"), "fields[EMAIL][0][VALUE]": (None, "a@b.ru")}
    r = requests.post(sandbox.webhook_url + "crm.lead.add", files=files, timeout=5)
    lead = sandbox.portal.lead(r.json()["result"])
    assert lead["TITLE"] == "Multi part"
    assert lead["EMAIL"][0]["VALUE"] == "a@b.ru"


def test_query_and_body_merge_body_wins(sandbox):
    """Query and body parameters are merged; the body replaces the query key by key."""
    r = requests.post(sandbox.webhook_url + "crm.lead.add?fields[TITLE]=from-query&"
                      "params[REGISTER_SONET_EVENT]=N",
                      json={"fields": {"TITLE": "from-body"}}, timeout=5)
    assert sandbox.portal.lead(r.json()["result"])["TITLE"] == "from-body"


def test_undecodable_json_becomes_empty_params(sandbox):
    """A broken JSON body is no error: the call runs without parameters (Lead #N)."""
    r = requests.post(sandbox.webhook_url + "crm.lead.add", data=b"{not json",
                      headers={"Content-Type": "application/json"}, timeout=5)
    assert r.status_code == 200
    assert sandbox.portal.lead(r.json()["result"])["TITLE"] == "Lead #1"


# ------------------------------------------------------------------ errors
def test_wrong_code_and_wrong_user_are_invalid_credentials(sandbox):
    """A wrong secret or user id answers 401 INVALID_CREDENTIALS."""
    base = f"{sandbox.base_url}/rest"
    for url in (f"{base}/1/WRONGWRONGWRONG1/profile", f"{base}/2/{sandbox.code}/profile"):
        r = requests.get(url, timeout=5)
        assert err(r) == (401, "INVALID_CREDENTIALS", "Invalid request credentials")


def test_no_credentials_and_missing_user_segment(sandbox):
    """/rest/METHOD is NO_AUTH_FOUND 401; /rest/CODE/METHOD is 404 method not found."""
    r = requests.get(f"{sandbox.base_url}/rest/crm.lead.add", timeout=5)
    assert err(r) == (401, "NO_AUTH_FOUND", "Wrong authorization data")
    r = requests.get(f"{sandbox.base_url}/rest/{sandbox.code}/crm.lead.add", timeout=5)
    assert err(r) == (404, "ERROR_METHOD_NOT_FOUND", "Method not found!")


def test_unknown_method_checked_before_auth(sandbox):
    """An unknown method is 404 even with wrong credentials."""
    r = requests.get(f"{sandbox.base_url}/rest/1/WRONG/crm.lead.nope", timeout=5)
    assert err(r) == (404, "ERROR_METHOD_NOT_FOUND", "Method not found!")


def test_insufficient_scope(sandbox):
    """A method outside the webhook's scopes answers 401 insufficient_scope."""
    sandbox.configure(scopes=["user"])
    status, code, _ = err(post(sandbox, "crm.lead.list"))
    assert (status, code) == (401, "insufficient_scope")
    assert ok(sandbox, "scope") == ["user"]


def test_crm_legacy_errors(sandbox):
    """CRM legacy errors are 400 with an empty error code."""
    assert err(post(sandbox, "crm.lead.get", {"id": 0})) == (400, "",
                                                              "ID is not defined or invalid.")
    assert err(post(sandbox, "crm.lead.get", {"id": 77})) == (400, "", "Not found")
    assert err(post(sandbox, "crm.lead.add", {"fields": "x"})) == (
        400, "", "Parameter 'fields' must be array.")
    sandbox.configure(crm_access=False)
    assert err(post(sandbox, "crm.lead.add", {"fields": {}})) == (400, "", "Access denied.")


def test_portal_deleted_blocked_webhook_renamed(sandbox):
    """Deleted portal, blocked webhook and renamed portal answer as documented."""
    sandbox.configure(blocked=True)
    assert err(post(sandbox, "profile"))[:2] == (401, "INVALID_CREDENTIALS")
    sandbox.configure(blocked=False, deleted=True)
    assert err(post(sandbox, "profile")) == (403, "PORTAL_DELETED", "Portal was deleted")
    sandbox.configure(deleted=False, renamed_to="new.bitrix24.ru")
    r = requests.post(sandbox.webhook_url + "crm.lead.add", json={}, allow_redirects=False,
                      timeout=5)
    assert r.status_code == 302 and r.content == b""
    assert r.headers["Location"].startswith("https://new.bitrix24.ru/rest/1/")
    assert sandbox.portal.lead_add_calls == 0


def test_overload_and_application_context_errors(sandbox):
    """A blocked portal answers 503 OVERLOAD_LIMIT; app-context methods 403 ACCESS_DENIED."""
    assert err(post(sandbox, "app.info"))[:2] == (403, "ACCESS_DENIED")
    sandbox.configure(overloaded=True)
    assert err(post(sandbox, "profile")) == (503, "OVERLOAD_LIMIT",
                                             "REST API is blocked due to overload")


def test_operating_time_limit(sandbox):
    """With a tiny operating limit the next call of that method answers 429."""
    sandbox.configure(operating_limit=0.0)
    assert post(sandbox, "crm.lead.add").status_code == 200
    assert err(post(sandbox, "crm.lead.add"))[:2] == (429, "OPERATION_TIME_LIMIT")
    assert post(sandbox, "profile").status_code == 200  # other methods are unaffected


# ------------------------------------------------------------------ leaky bucket
def test_bucket_refuses_past_burst_and_rejections_do_not_fill():
    """Past the burst the portal answers 503 QUERY_LIMIT_EXCEEDED; refused requests don't count."""
    with SandboxServer(rate=0.01, burst=5) as sb:
        statuses = [post(sb, "profile").status_code for _ in range(9)]
        assert statuses == [200] * 5 + [503] * 4
        assert err(post(sb, "profile")) == (503, "QUERY_LIMIT_EXCEEDED", "Too many requests")
        assert sb.portal.max_bucket_level <= 5
        assert sb.portal.count_503 == 5 and sb.portal.rate_limited == 5


def test_batch_costs_one_bucket_unit():
    """One batch of many commands costs one request."""
    with SandboxServer(rate=0.01, burst=2) as sb:
        cmd = {f"c{i}": "crm.lead.add?fields[TITLE]=x" for i in range(20)}
        assert post(sb, "batch", {"cmd": cmd}).status_code == 200
        assert post(sb, "profile").status_code == 200
        assert post(sb, "profile").status_code == 503
        assert len(sb.portal.leads) == 20
