"""Bitrix24Client against the real sandbox over loopback: retries, exactly-once helpers (origin
lookup, batch), timeline comments, checks and files.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.crm import (
    php_query,
)
from bridge.errors import (
    CrmRejected,
    CrmTemporary,
    CrmUnknownOutcome,
)
from bridge.model import Lead
from bridge.ratelimit import LeakyBucket
from bridge.sandbox.phpquery import parse_str
from tests.bitrix_fixtures import make_client
from tests.helpers.crmdata import PDF, PNG, lead_fields

pytest_plugins = ["tests.bitrix_fixtures"]


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
