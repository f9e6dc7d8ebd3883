"""The sandbox's access rules as the docs describe them (docs/bitrix24.md, "Access, CRM mode
and the blocked state"): CRM roles, simple CRM mode, user.admin, a blocked webhook and REST
not on the plan. Spoken to over real HTTP on loopback."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from bridge.sandbox import SandboxServer

pytest_plugins = ["tests.bitrix_fixtures"]


def call(sb: SandboxServer, method: str, payload: Any = None) -> tuple[int, dict[str, Any]]:
    r = requests.post(sb.webhook_url + method, json=payload or {}, timeout=10)
    return r.status_code, r.json()


def add_lead(sb: SandboxServer, assigned: int, origin: str) -> int:
    status, body = call(sb, "crm.lead.add", {"fields": {
        "TITLE": "t", "ASSIGNED_BY_ID": assigned, "ORIGINATOR_ID": "mailbridge",
        "ORIGIN_ID": origin}})
    assert status == 200, body
    return int(body["result"])


def origins(sb: SandboxServer) -> list[str]:
    status, body = call(sb, "crm.lead.list", {"select": ["ID", "ORIGIN_ID"]})
    assert status == 200, body
    return [row["ORIGIN_ID"] for row in body["result"]]


def test_an_own_leads_role_sees_only_its_own_leads(sandbox: SandboxServer) -> None:
    """A non-admin webhook user whose role reads own leads: list omits others' leads and get
    answers Access denied; an administrator sees them all."""
    sandbox.configure(users=[{"id": 1, "admin": False, "lead_read": "own"}, {"id": 5}])
    mine = add_lead(sandbox, 1, "a")
    theirs = add_lead(sandbox, 5, "b")
    assert origins(sandbox) == ["a"]
    assert call(sandbox, "crm.lead.get", {"id": mine})[0] == 200
    assert call(sandbox, "crm.lead.get", {"id": theirs}) == (
        400, {"error": "", "error_description": "Access denied."})
    sandbox.configure(users=[{"id": 1, "admin": True, "lead_read": "own"}])
    assert origins(sandbox) == ["a", "b"]


def test_a_role_without_lead_read_is_refused(sandbox: SandboxServer) -> None:
    """A role that reads no leads: crm.lead.list answers 400 Access denied."""
    sandbox.configure(users=[{"id": 1, "admin": False, "lead_read": "none"}])
    assert call(sandbox, "crm.lead.list") == (
        400, {"error": "", "error_description": "Access denied."})


def test_user_admin_answers_the_callers_admin_flag(sandbox: SandboxServer) -> None:
    """user.admin is true for the portal's first user and false for a plain employee."""
    assert call(sandbox, "user.admin")[1]["result"] is True
    sandbox.configure(users=[{"id": 1, "admin": False}])
    assert call(sandbox, "user.admin")[1]["result"] is False


def test_simple_crm_mode_turns_a_new_lead_into_a_deal(sandbox: SandboxServer) -> None:
    """crm.settings.mode.get answers 2 and a lead added then is no longer found by get/list."""
    assert call(sandbox, "crm.settings.mode.get")[1]["result"] == 1
    sandbox.configure(crm_mode=2)
    assert call(sandbox, "crm.settings.mode.get")[1]["result"] == 2
    lead_id = add_lead(sandbox, 1, "x")
    assert origins(sandbox) == []
    assert call(sandbox, "crm.lead.get", {"id": lead_id}) == (
        400, {"error": "", "error_description": "Not found"})
    names = [row["NAME"] for row in call(sandbox, "crm.enum.settings.mode")[1]["result"]]
    assert names == ["Classic CRM", "Simple CRM"]


def test_a_webhook_blocked_at_runtime_and_restored(sandbox: SandboxServer) -> None:
    """Through the control API: blocked -> 401 INVALID_CREDENTIALS; restored -> 200 again."""
    def control(settings: dict[str, Any]) -> None:
        resp = requests.post(f"{sandbox.base_url}/_sandbox/config",
                             data=json.dumps(settings), timeout=10)
        assert resp.status_code == 200

    control({"blocked": True})
    status, body = call(sandbox, "crm.settings.mode.get")
    assert (status, body["error"]) == (401, "INVALID_CREDENTIALS")
    control({"blocked": False})
    assert call(sandbox, "crm.settings.mode.get")[0] == 200


@pytest.mark.parametrize("method", ["profile", "crm.lead.add", "crm.settings.mode.get"])
def test_rest_not_on_the_plan_answers_access_denied(sandbox: SandboxServer, method: str) -> None:
    """A portal without a commercial plan answers every call with 403 ACCESS_DENIED."""
    sandbox.configure(rest_available=False)
    assert call(sandbox, method) == (403, {
        "error": "ACCESS_DENIED",
        "error_description": "REST API is available only on commercial plans"})
