"""The sandbox portal's leads as bitrix24-api.md describes them: add/update rules, multifields,
file fields, lists with filters and paging, statuses, timeline comments, duplicates.
"""

from __future__ import annotations

import base64
import re
from typing import Any

import requests

from bridge.sandbox import SandboxServer
from tests.helpers.sandboxhttp import FORM, err, ok, post

pytest_plugins = ["tests.bitrix_fixtures"]


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
