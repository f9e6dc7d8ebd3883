"""The sandbox portal's batch calls, fault injection, control API and command line.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys

import pytest
import requests

from tests.helpers.sandboxhttp import err, ok, post

pytest_plugins = ["tests.bitrix_fixtures"]


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
