"""The sandbox portal follows bitrix24-api.md: URL forms, bodies, envelope, errors, limits,
batch, file fields, filters and fault injection. Spoken to over real HTTP on loopback."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
import sys
from typing import Any

import pytest
import requests

from bridge.sandbox import SandboxServer
from bridge.sandbox.phpquery import lenient_b64decode, parse_str

pytest_plugins = ["tests.bitrix_fixtures"]

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def post(sb: SandboxServer, method: str, payload: Any = None, **kw: Any) -> requests.Response:
    return requests.post(sb.webhook_url + method, json=payload or {}, timeout=10, **kw)


def ok(sb: SandboxServer, method: str, payload: Any = None) -> Any:
    r = post(sb, method, payload)
    assert r.status_code == 200, r.text
    return r.json()["result"]


def err(r: requests.Response) -> tuple[int, str, str]:
    body = r.json()
    return r.status_code, body["error"], body["error_description"]


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


# ------------------------------------------------------------------ leads
def test_lead_add_rules(sandbox):
    """Unknown fields dropped, plain-string PHONE ignored, default title, ids as strings."""
    lead_id = ok(sandbox, "crm.lead.add", {"fields": {
        "NAME": "Anna", "UF_CRM_TYPO": "x", "BOGUS": 1, "PHONE": "+7999",
        "EMAIL": [{"VALUE": "a@b.ru"}], "ASSIGNED_BY_ID": 1}})
    lead = ok(sandbox, "crm.lead.get", {"id": lead_id})
    assert lead["TITLE"] == f"Lead #{lead_id}"
    assert lead["PHONE"] == [] and lead["HAS_PHONE"] == "N"
    assert lead["EMAIL"][0]["VALUE_TYPE"] == "WORK" and lead["EMAIL"][0]["TYPE_ID"] == "EMAIL"
    assert lead["ASSIGNED_BY_ID"] == "1" and lead["ID"] == str(lead_id)
    assert "BOGUS" not in lead and "UF_CRM_TYPO" not in lead


def test_multifield_validation(sandbox):
    """A VALUE over 250 characters or an invalid e-mail is a 400 with error ""."""
    r = post(sandbox, "crm.lead.add", {"fields": {"PHONE": [{"VALUE": "1" * 251}]}})
    assert err(r)[:2] == (400, "")
    r = post(sandbox, "crm.lead.add", {"fields": {"EMAIL": [{"VALUE": "not an email"}]}})
    assert err(r)[:2] == (400, "")
    assert not sandbox.portal.leads


def test_assigned_user_modes(sandbox):
    """By default any positive id is stored; in reject mode an unknown user is refused."""
    assert ok(sandbox, "crm.lead.add", {"fields": {"ASSIGNED_BY_ID": 99}})
    sandbox.configure(assigned_check="reject_unknown", users=[{"id": 7, "active": False}])
    assert err(post(sandbox, "crm.lead.add", {"fields": {"ASSIGNED_BY_ID": 99}}))[:2] == (400, "")
    assert err(post(sandbox, "crm.lead.add", {"fields": {"ASSIGNED_BY_ID": 7}}))[:2] == (400, "")


def test_lead_update_multifield_semantics(sandbox):
    """Update changes by item ID, deletes with DELETE=Y and adds items without ID."""
    lead_id = ok(sandbox, "crm.lead.add", {"fields": {"PHONE": [{"VALUE": "1"}, {"VALUE": "2"}]}})
    ids = [p["ID"] for p in ok(sandbox, "crm.lead.get", {"id": lead_id})["PHONE"]]
    assert ok(sandbox, "crm.lead.update", {"id": lead_id, "fields": {"PHONE": [
        {"ID": ids[0], "VALUE": "1b"}, {"ID": ids[1], "DELETE": "Y"}, {"VALUE": "3"}]}}) is True
    values = sorted(p["VALUE"] for p in ok(sandbox, "crm.lead.get", {"id": lead_id})["PHONE"])
    assert values == ["1b", "3"]
    assert err(post(sandbox, "crm.lead.update", {"id": 99, "fields": {}}))[:2] == (400, "")


def test_file_field_round_trip_is_byte_identical(sandbox):
    """Files sent as fileData come back with their names and exact bytes."""
    blobs = [("отчёт.pdf", bytes(range(256)) * 40), ("a+b.txt", b"\x00\xff+/=" * 7)]
    code = sandbox.portal.file_field_code
    lead_id = ok(sandbox, "crm.lead.add", {"fields": {code: [
        {"fileData": [n, base64.b64encode(d).decode()]} for n, d in blobs]}})
    assert sandbox.portal.lead_files(lead_id) == blobs
    got = ok(sandbox, "crm.lead.get", {"id": lead_id})[code]
    assert [set(f) for f in got] == [{"id", "showUrl", "downloadUrl"}] * 2


def test_form_encoded_base64_with_raw_plus_is_corrupted(sandbox):
    """An unencoded + in form-encoded base64 becomes a space and the stored file is corrupt."""
    data = b"\xfb\xff\xbf" * 10  # base64 full of '+' and '/'
    b64 = base64.b64encode(data).decode()
    assert "+" in b64
    code = sandbox.portal.file_field_code
    body = f"fields[{code}][0][fileData][0]=x.bin&fields[{code}][0][fileData][1]={b64}"
    lead_id = requests.post(sandbox.webhook_url + "crm.lead.add", data=body, headers=FORM,
                            timeout=5).json()["result"]
    assert sandbox.portal.lead_files(lead_id)[0][1] != data


def test_file_field_variants(sandbox):
    """A single (non-multiple) field ignores a list; a bare base64 string gets a generated name."""
    sandbox.configure(file_field={"name": "UF_CRM_DOC", "multiple": False})
    b64 = base64.b64encode(b"hello").decode()
    lead_id = ok(sandbox, "crm.lead.add", {"fields": {"UF_CRM_DOC": [{"fileData": ["a", b64]}]}})
    assert sandbox.portal.lead_files(lead_id) == []
    lead_id = ok(sandbox, "crm.lead.add", {"fields": {"UF_CRM_DOC": {"fileData": b64}}})
    [(name, data)] = sandbox.portal.lead_files(lead_id)
    assert data == b"hello" and len(name) == 32
    fields = ok(sandbox, "crm.lead.fields")
    assert fields["UF_CRM_DOC"]["type"] == "file" and fields["UF_CRM_DOC"]["isMultiple"] is False
    assert "UF_CRM_TASK" not in fields


def test_lead_fields_and_userfield_list(sandbox):
    """crm.lead.fields and crm.lead.userfield.list describe the default multiple file field,
    whose code is generated (UF_CRM_<number>), never the tasks' UF_CRM_TASK."""
    code = sandbox.portal.file_field_code
    assert re.fullmatch(r"UF_CRM_\d{10}", code)
    fields = ok(sandbox, "crm.lead.fields")
    assert fields[code]["type"] == "file" and fields[code]["isMultiple"]
    assert "UF_CRM_TASK" not in fields
    assert fields["ORIGIN_ID"]["type"] == "string"
    [uf] = ok(sandbox, "crm.lead.userfield.list", {"filter": {"FIELD_NAME": code}})
    assert (uf["USER_TYPE_ID"], uf["MULTIPLE"]) == ("file", "Y")
    assert uf["SETTINGS"]["MAX_ALLOWED_SIZE"] == 0 and uf["SETTINGS"]["EXTENSIONS"] == []


# ------------------------------------------------------------------ lists
def _add(sb: SandboxServer, **fields: Any) -> int:
    return ok(sb, "crm.lead.add", {"fields": fields})


def test_list_filter_operators_and_select(sandbox):
    """=, !, >, >=, <, <=, @, % filters work; select returns multifields and UF fields."""
    for i in range(1, 6):
        _add(sandbox, TITLE=f"Lead {i}", ORIGINATOR_ID="mailbridge", ORIGIN_ID=f"o{i}",
             PHONE=[{"VALUE": f"+7000{i}"}])

    def ids(flt: dict[str, Any]) -> list[str]:
        return [r["ID"] for r in ok(sandbox, "crm.lead.list", {"filter": flt})]

    assert ids({"=ORIGIN_ID": "o2"}) == ["2"]
    assert ids({"ORIGIN_ID": "O2"}) == ["2"]  # case-insensitive collation
    assert ids({"!ORIGIN_ID": "o2"}) == ["1", "3", "4", "5"]
    assert ids({">ID": 3}) == ["4", "5"] and ids({">=ID": 3}) == ["3", "4", "5"]
    assert ids({"<ID": "2"}) == ["1"] and ids({"<=ID": 2}) == ["1", "2"]
    assert ids({"@ORIGIN_ID": ["o1", "o5", "zz"]}) == ["1", "5"]
    assert ids({"%TITLE": "ead 4"}) == ["4"]
    assert ids({"PHONE": "+70003"}) == ["3"]
    code = sandbox.portal.file_field_code
    rows = ok(sandbox, "crm.lead.list", {"filter": {"=ID": 1},
                                         "select": ["ID", "PHONE", code]})
    assert set(rows[0]) == {"ID", "PHONE", code}
    rows = ok(sandbox, "crm.lead.list", {"order": {"ID": "DESC"}, "select": ["ID"]})
    assert [r["ID"] for r in rows] == ["5", "4", "3", "2", "1"]


def test_unknown_filter_keys_match_everything(sandbox):
    """A misspelt filter key is dropped silently, so the filter matches every lead."""
    _add(sandbox, ORIGIN_ID="a")
    _add(sandbox, ORIGIN_ID="b")
    rows = ok(sandbox, "crm.lead.list", {"filter": {"=ORIGIN_IDD": "nothing-like-this"}})
    assert len(rows) == 2


def test_list_paging_total_and_next(sandbox):
    """Pages hold 50 rows; total and next are in the envelope; start=-1 skips counting."""
    cmd = {f"c{i}": "crm.lead.add?fields[TITLE]=x" for i in range(50)}
    ok(sandbox, "batch", {"cmd": cmd})
    ok(sandbox, "batch", {"cmd": dict(list(cmd.items())[:10])})
    first = post(sandbox, "crm.lead.list", {"select": ["ID"]}).json()
    assert (len(first["result"]), first["total"], first["next"]) == (50, 60, 50)
    second = post(sandbox, "crm.lead.list", {"select": ["ID"], "start": 70}).json()
    assert (len(second["result"]), second["total"], "next" in second) == (10, 60, False)
    fast = post(sandbox, "crm.lead.list", {"select": ["ID"], "start": -1}).json()
    assert (len(fast["result"]), fast["total"]) == (50, 0)


def test_status_list_and_users(sandbox):
    """crm.status.list lists sources; user.get filters by ID and ACTIVE (also top-level)."""
    sources = ok(sandbox, "crm.status.list", {"filter": {"ENTITY_ID": "SOURCE"}})
    assert "WEB" in {s["STATUS_ID"] for s in sources}
    sandbox.configure(users=[{"id": 5, "active": False}])
    assert [u["ID"] for u in ok(sandbox, "user.get", {"filter": {"ID": 5}})] == ["5"]
    assert ok(sandbox, "user.get", {"filter": {"ID": 5, "ACTIVE": True}}) == []
    assert [u["ID"] for u in ok(sandbox, "user.get", {"ID": 1, "ACTIVE": "true"})] == ["1"]
    assert ok(sandbox, "user.current")["ID"] == "1"
    assert ok(sandbox, "method.get", {"name": "crm.lead.add"}) == {"isExisting": True,
                                                                   "isAvailable": True}


def test_timeline_comments_with_files(sandbox):
    """Comments are added with files, listed per lead and read back with file names/sizes."""
    lead_id = _add(sandbox, TITLE="x")
    cid = ok(sandbox, "crm.timeline.comment.add", {"fields": {
        "ENTITY_ID": lead_id, "ENTITY_TYPE": "lead", "COMMENT": "files [m:1]",
        "FILES": [["a.txt", base64.b64encode(b"abc").decode()]]}})
    rows = ok(sandbox, "crm.timeline.comment.list", {"filter": {"ENTITY_ID": lead_id,
                                                                "ENTITY_TYPE": "lead"}})
    assert [r["ID"] for r in rows] == [str(cid)]
    got = ok(sandbox, "crm.timeline.comment.get", {"id": cid})
    assert [(f["name"], f["size"]) for f in got["FILES"].values()] == [("a.txt", 3)]
    assert sandbox.portal.comment_files(cid) == [("a.txt", b"abc")]
    r = post(sandbox, "crm.timeline.comment.add", {"fields": {
        "ENTITY_ID": 999, "ENTITY_TYPE": "lead", "COMMENT": "x"}})
    assert err(r)[:2] == (400, "OWNER_NOT_FOUND")


def test_duplicate_findbycomm(sandbox):
    """Phones match by digits, e-mails case-insensitively; no hit is []."""
    from bridge.sandbox.entities import state
    state(sandbox.portal).index_lag = 0.0  # the index's lag: tests/test_sandbox_entities.py
    _add(sandbox, PHONE=[{"VALUE": "+7 (999) 123-45-67"}], EMAIL=[{"VALUE": "Anna@Example.com"}])
    assert ok(sandbox, "crm.duplicate.findbycomm", {"type": "PHONE", "values": ["79991234567"],
                                                    "entity_type": "LEAD"}) == {"LEAD": [1]}
    assert ok(sandbox, "crm.duplicate.findbycomm", {"type": "email",
                                                    "values": ["anna@example.com"]}) == {
        "LEAD": [1]}
    assert ok(sandbox, "crm.duplicate.findbycomm", {"type": "EMAIL", "values": ["x@y.z"]}) == []
    assert err(post(sandbox, "crm.duplicate.findbycomm", {"values": ["1"]}))[:2] == (400, "")


# ------------------------------------------------------------------ batch
def test_batch_references_errors_and_php_quirks(sandbox):
    """References are substituted, errors are per command, empty maps are []."""
    res = ok(sandbox, "batch", {"halt": 0, "cmd": {
        "a": "crm.lead.add?fields[TITLE]=A%2BB%20C&fields[ORIGIN_ID]=o1",
        "b": "crm.lead.get?id=$result[a]",
        "c": "crm.lead.get?id=999",
        "d": "crm.lead.list?filter[ID]=$result[a]&select[]=ID",
        "e": "batch?cmd[x]=profile",
        "f": "no.such.method",
    }})
    assert res["result"]["a"] == 1 and res["result"]["b"]["TITLE"] == "A+B C"
    assert res["result"]["d"] == [{"ID": "1"}] and res["result_total"] == {"d": 1}
    assert res["result_error"]["c"] == {"error": "", "error_description": "Not found"}
    assert res["result_error"]["e"]["error"] == "ERROR_BATCH_METHOD_NOT_ALLOWED"
    assert res["result_error"]["f"]["error"] == "ERROR_METHOD_NOT_FOUND"
    assert res["result_next"] == []
    assert set(res["result_time"]) == set("abcdef")
    clean = ok(sandbox, "batch", {"cmd": {"p": "profile"}})
    assert clean["result_error"] == [] and clean["result_total"] == []


def test_batch_list_cmd_halt_and_length(sandbox):
    """A list cmd gives list results; halt stops at the first error; >50 commands fail."""
    res = ok(sandbox, "batch", {"cmd": ["crm.lead.add?fields[TITLE]=x", "crm.lead.add"]})
    assert res["result"] == [1, 2]
    res = ok(sandbox, "batch", {"halt": 1, "cmd": {"a": "crm.lead.get?id=0",
                                                   "b": "crm.lead.add"}})
    assert "a" in res["result_error"] and res["result"] == []
    assert len(sandbox.portal.leads) == 2
    res = ok(sandbox, "batch", {"cmd": {f"k{i}": "profile" for i in range(52)}})
    assert len(res["result"]) == 50
    assert {v["error"] for v in res["result_error"].values()} == {"ERROR_BATCH_LENGTH_EXCEEDED"}


def test_batch_scope_error_has_empty_description(sandbox):
    """Inside batch, a command outside the scopes fails with insufficient_scope and no text."""
    sandbox.configure(scopes=["crm"])
    res = ok(sandbox, "batch", {"cmd": {"u": "user.current", "l": "crm.lead.list"}})
    assert res["result_error"] == {"u": {"error": "insufficient_scope", "error_description": ""}}


# ------------------------------------------------------------------ faults
def test_fault_lost_answer_executes_then_drops(sandbox):
    """lost_answer commits the call and closes the connection without an answer."""
    sandbox.inject("crm.lead.add", "lost_answer")
    with pytest.raises(requests.ConnectionError):
        post(sandbox, "crm.lead.add", {"fields": {"TITLE": "lost"}})
    assert [lead["TITLE"] for lead in sandbox.portal.list_leads()] == ["lost"]
    assert post(sandbox, "crm.lead.add").status_code == 200  # only once


def test_fault_reset_does_not_execute(sandbox):
    """reset closes the connection before the call runs."""
    sandbox.inject("crm.lead.add", "reset")
    with pytest.raises(requests.ConnectionError):
        post(sandbox, "crm.lead.add")
    assert sandbox.portal.lead_add_calls == 0


def test_fault_error500_and_html_pages(sandbox):
    """error500 is JSON INTERNAL_SERVER_ERROR; html502/504 are nginx pages; executed is honoured."""
    sandbox.inject("crm.lead.add", "error500", executed=True)
    assert err(post(sandbox, "crm.lead.add")) == (500, "INTERNAL_SERVER_ERROR",
                                                  "Internal server error")
    sandbox.inject("crm.lead.add", "html502")
    r = post(sandbox, "crm.lead.add")
    assert r.status_code == 502 and r.headers["Content-Type"] == "text/html"
    assert "<html>" in r.text
    sandbox.inject("crm.lead.add", "html504", executed=True)
    assert post(sandbox, "crm.lead.add").status_code == 504
    assert len(sandbox.portal.leads) == 2


def test_fault_limits_and_slow(sandbox):
    """limit503 and op429 refuse without running; slow runs the call and answers late."""
    sandbox.inject("crm.lead.add", "limit503")
    sandbox.inject("crm.lead.add", "op429")
    assert err(post(sandbox, "crm.lead.add"))[:2] == (503, "QUERY_LIMIT_EXCEEDED")
    assert err(post(sandbox, "crm.lead.add"))[:2] == (429, "OPERATION_TIME_LIMIT")
    assert sandbox.portal.lead_add_calls == 0
    sandbox.inject("crm.lead.add", "slow", seconds=0.05)
    assert post(sandbox, "crm.lead.add").status_code == 200
    assert sandbox.portal.lead_add_calls == 1


def test_fault_applies_to_batch(sandbox):
    """A fault on method "batch" hits the whole batch request."""
    sandbox.inject("batch", "lost_answer")
    with pytest.raises(requests.ConnectionError):
        post(sandbox, "batch", {"cmd": {"a": "crm.lead.add", "b": "crm.lead.add"}})
    assert len(sandbox.portal.leads) == 2


def test_unknown_fault_is_refused(sandbox):
    """inject() refuses fault names it does not know."""
    with pytest.raises(ValueError):
        sandbox.inject("crm.lead.add", "explode")


# ------------------------------------------------------------------ control API, CLI
def test_control_api(sandbox):
    """/_sandbox/ shows leads with file hashes and the request log, injects faults, resets."""
    ok(sandbox, "crm.lead.add", {"fields": {sandbox.portal.file_field_code: [
        {"fileData": ["a.txt", base64.b64encode(b"abc").decode()]}]}})
    leads = requests.get(sandbox.base_url + "/_sandbox/leads", timeout=5).json()
    assert leads[0]["_files"] == [{"name": "a.txt", "size": 3,
                                   "sha256": hashlib.sha256(b"abc").hexdigest()}]
    log = requests.get(sandbox.base_url + "/_sandbox/requests", timeout=5).json()
    assert log["by_method"] == {"crm.lead.add": 1} and log["log"][0]["status"] == 200
    assert sandbox.code not in json.dumps(log)
    r = requests.post(sandbox.base_url + "/_sandbox/faults",
                      json={"method": "profile", "fault": "limit503"}, timeout=5)
    assert r.status_code == 200
    assert post(sandbox, "profile").status_code == 503
    requests.post(sandbox.base_url + "/_sandbox/reset", timeout=5)
    assert sandbox.portal.leads == {} and sandbox.requests == []


def test_module_main_prints_webhook_url():
    """python -m bridge.sandbox runs in the foreground and prints the webhook URL."""
    proc = subprocess.Popen([sys.executable, "-m", "bridge.sandbox", "--rate", "5"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/rest/1/XXXXXXXXXXXXXXXX/")
        assert requests.get(url + "profile", timeout=5).json()["result"]["ID"] == "1"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
