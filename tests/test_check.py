"""`mailbridge check` against a real Dovecot and the sandbox, set up wrongly in each way."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e import run, sandbox, write_config

SECRET = "XXXXXXXXXXXXXXXX"
NAMED = "UF_CRM_1701234567"  # a field named explicitly in attachments.field


def check(cfg: Path) -> tuple[int, str]:
    code, out, err = run("--config", str(cfg), "check")
    assert SECRET not in out + err
    return code, out + err


def failed(out: str) -> list[str]:
    """The check lines marked as failed."""
    return [line for line in out.splitlines() if line.startswith("✗")]


def test_a_good_setup_passes_every_check(account, tmp_path: Path) -> None:
    """Every line is ✓ and the exit code is 0."""
    with sandbox() as sb:
        code, out = check(write_config(tmp_path / "c.toml", account, sb.webhook_url))
        field = sb.portal.file_field_code
    assert code == 0, out
    assert "✗" not in out
    assert f"files go to the lead field {field}" in out and "all checks passed" in out


def url_with(sb, *, user: str | None = None, code: str | None = None) -> str:
    base = sb.webhook_url.rstrip("/").split("/")
    if user is not None:
        base[-2] = user
    if code is not None:
        base[-1] = code
    return "/".join(base) + "/"


@pytest.mark.parametrize(
    ("setup", "cause", "fix"),
    [
        (lambda sb: ("url", url_with(sb, code="YYYYYYYYYYYYYYYY")), "INVALID_CREDENTIALS",
         "bitrix24.webhook_url"),
        (lambda sb: ("url", url_with(sb, user="7")), "INVALID_CREDENTIALS",
         "bitrix24.webhook_url"),
        (lambda sb: sb.portal.set_scopes({"user"}), "crm scope", "tick CRM"),
        (lambda sb: sb.portal.set_scopes({"crm"}), "user scope", "tick Users"),
        (lambda sb: ("user", 99), "user 99 not found", "responsible_user_id"),
        (lambda sb: (sb.portal.add_user(5, active=False), ("user", 5))[1], "user 5 not found",
         "responsible_user_id"),
        (lambda sb: ("field", NAMED), "does not exist", "attachments.field"),
        (lambda sb: (sb.portal.set_file_field(NAMED, type="string"), ("field", NAMED))[1],
         "not file", "attachments.field"),
        (lambda sb: (sb.portal.set_file_field(NAMED, multiple=False), ("field", NAMED))[1],
         "not multiple", "multiple"),
        (lambda sb: ("source", "NOPE"), "source 'NOPE' does not exist", "bitrix24.source_id"),
        (lambda sb: setattr(sb.portal, "renamed_to", "new-name.bitrix24.ru"), "new-name",
         "webhook_url"),
    ],
    ids=["wrong-code", "wrong-user-id", "no-crm-scope", "no-user-scope", "unknown-user",
         "inactive-user", "no-file-field", "field-not-file", "field-not-multiple",
         "unknown-source", "renamed-portal"],
)
def test_each_wrong_portal_setting_exits_78_naming_cause_and_fix(
    account, tmp_path: Path, setup, cause: str, fix: str
) -> None:
    """Each way the portal side can be wrong gives exit 78, its cause and its fix."""
    with sandbox() as sb:
        change = setup(sb)
        url, user, source, field = sb.webhook_url, 1, "WEB", "auto"
        if isinstance(change, tuple):
            kind, value = change
            url = value if kind == "url" else url
            user = value if kind == "user" else user
            source = value if kind == "source" else source
            field = value if kind == "field" else field
        cfg = write_config(tmp_path / "c.toml", account, url)
        text = cfg.read_text().replace("responsible_user_id = 1", f"responsible_user_id = {user}")
        text = text.replace('field = "auto"', f'field = "{field}"')
        cfg.write_text(text.replace('source_id = "WEB"', f'source_id = "{source}"'))
        code, out = check(cfg)
    assert code == 78, out
    assert cause in out
    assert fix in out


def test_unreachable_portal_exits_69(account, tmp_path: Path) -> None:
    """A webhook on a server that is gone: exit 69 (a service could not be reached)."""
    with sandbox() as sb:
        url = sb.webhook_url
    code, out = check(write_config(tmp_path / "c.toml", account, url))
    assert code == 69, out
    [line] = failed(out)
    assert line.startswith("✗ bitrix24: not reachable"), out


def test_wrong_imap_password_exits_78(account, tmp_path: Path) -> None:
    """A refused IMAP login is a setup error naming the keys to fix; the password never shows."""
    with sandbox() as sb:
        cfg = write_config(tmp_path / "c.toml", account, sb.webhook_url)
        cfg.write_text(cfg.read_text().replace(account.password, "wrong-pass-123"))
        code, out = check(cfg)
    assert code == 78, out
    assert "imap.password" in out or "imap.username" in out
    assert "wrong-pass-123" not in out


def test_closed_imap_port_exits_69(account, tmp_path: Path) -> None:
    """Nothing listening on the IMAP port: exit 69."""
    with sandbox() as sb:
        cfg = write_config(tmp_path / "c.toml", account, sb.webhook_url)
        cfg.write_text(cfg.read_text().replace(f"port = {account.server.tls_port}", "port = 1"))
        code, out = check(cfg)
    assert code == 69, out
    [line] = failed(out)
    assert line.startswith("✗ imap: not reachable") and "imap.port" in line, out


def test_unresolvable_imap_host_exits_69(account, tmp_path: Path) -> None:
    """A host name that does not resolve: exit 69 naming imap.host."""
    with sandbox() as sb:
        cfg = write_config(tmp_path / "c.toml", account, sb.webhook_url, security="starttls")
        cfg.write_text(cfg.read_text().replace('host = "127.0.0.1"',
                                               'host = "no-such-host.invalid"'))
        code, out = check(cfg)
    assert code == 69, out
    assert "imap.host" in out


@pytest.mark.parametrize(
    ("setup", "field", "mark", "says"),
    [
        (lambda sb: sb.configure(file_field=None), "auto", "✓",
         "no multiple File field: files go to a timeline comment"),
        (lambda sb: sb.portal.set_file_field("UF_CRM_1700000002", label="Фото"), "auto", "⚠",
         "UF_CRM_1700000002 (Фото)"),
        (lambda sb: None, "UF_CRM_TASK", "⚠", "delete the line"),
        (lambda sb: sb.configure(file_field={"name": sb.portal.file_field_code,
                                             "extensions": ["pdf"], "max_size": 1048576}),
         "auto", "✓", "the field takes only pdf and up to 1 MB a file"),
    ],
    ids=["no-field", "several-fields", "legacy-uf-crm-task", "field-limits"],
)
def test_check_prints_where_the_files_go(account, tmp_path: Path, setup, field: str, mark: str,
                                         says: str) -> None:
    """check prints the file decision; what it cannot fix alone is a ⚠ with exit 0."""
    with sandbox() as sb:
        setup(sb)
        cfg = write_config(tmp_path / "c.toml", account, sb.webhook_url)
        cfg.write_text(cfg.read_text().replace('field = "auto"', f'field = "{field}"'))
        code, out = check(cfg)
    assert code == 0, out
    [line] = [x for x in out.splitlines() if says in x and x[:1] in "✓⚠✗"]
    assert line.startswith(mark)
    if mark == "⚠":
        assert "attachments.field" in line


def test_check_shows_classic_crm_mode_and_admin_read_access(account, tmp_path: Path) -> None:
    """A good setup shows the CRM mode and that the (administrator) webhook user can read
    the leads it creates."""
    with sandbox() as sb:
        code, out = check(write_config(tmp_path / "c.toml", account, sb.webhook_url))
    assert code == 0, out
    assert "✓ bitrix24: CRM mode is classic" in out
    assert "is an administrator and can read the leads" in out


def test_simple_crm_mode_fails_check_naming_crm_target(account, tmp_path: Path) -> None:
    """A portal in simple CRM mode: ✗ with 'crm.target = "deal"', exit 78."""
    with sandbox() as sb:
        sb.configure(crm_mode=2)
        code, out = check(write_config(tmp_path / "c.toml", account, sb.webhook_url))
    assert code == 78, out
    assert '✗ bitrix24: the portal is in simple CRM mode' in out
    assert 'crm.target = "deal"' in out


@pytest.mark.parametrize(
    ("role", "responsible", "lead_of_5", "mark"),
    [("own", 5, False, "⚠"), ("own", 1, False, "✓"), ("all", 5, True, "✓"),
     ("all", 5, False, "⚠")],
    ids=["own-role-other-user", "responsible-is-webhook-user", "sees-a-lead-of-5",
         "no-lead-to-see"],
)
def test_lead_read_access_is_verified_or_left_to_the_read_back(
    account, tmp_path: Path, role: str, responsible: int, lead_of_5: bool, mark: str
) -> None:
    """A non-admin webhook user: ✓ when it is the responsible user or sees a lead of the
    responsible user, else ⚠ 'unverified: the first lead will be read back' with exit 0."""
    with sandbox() as sb:
        sb.configure(users=[{"id": 1, "admin": False, "lead_read": role},
                            {"id": 5, "name": "Manager"}])
        if lead_of_5:
            sb.portal.leads[99] = {"ID": "99", "TITLE": "x", "ASSIGNED_BY_ID": "5"}
        cfg = write_config(tmp_path / "c.toml", account, sb.webhook_url)
        cfg.write_text(cfg.read_text().replace("responsible_user_id = 1",
                                               f"responsible_user_id = {responsible}"))
        code, out = check(cfg)
    assert code == 0, out
    line = next(ln for ln in out.splitlines() if "bitrix24:" in ln and " read " in ln)
    assert line.startswith(mark), out
    if mark == "⚠":
        assert "unverified: the first lead will be read back" in line
