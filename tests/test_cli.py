"""The command line of SPEC §1 and §5, in-process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bridge.cli import build_parser
from bridge.clihelp import COMMANDS
from tests.e2e import CORPUS, run

ROOT = Path(__file__).resolve().parents[1]


def test_parse_json_has_the_spec_keys() -> None:
    """`parse --json` prints one object with the corpus keys for one file."""
    code, out, _ = run("parse", str(CORPUS / "029-rostferrum-all-types-base64.eml"), "--json")
    assert code == 0
    data = json.loads(out)
    for key in ("is_form", "create_lead", "name", "phone", "email", "message", "extra",
                "attachments", "rejected_attachments"):
        assert key in data
    assert data["phone"] == "+79123456789"
    assert len(data["attachments"]) == 7
    assert {"filename", "size", "sha256"} <= set(data["attachments"][0])


def test_parse_sees_the_double_click_across_files() -> None:
    """Given 052 and 053 in one call, the second is a duplicate of the first."""
    code, out, _ = run(
        "parse", str(CORPUS / "052-double-click-first.eml"),
        str(CORPUS / "053-double-click-second.eml"), "--json",
    )
    assert code == 0
    first, second = json.loads(out)
    assert first["create_lead"] is True
    assert second["create_lead"] is False
    assert second["duplicate_of"] == "052-double-click-first"


def test_parse_human_output_names_the_verdict() -> None:
    """Without --json, parse prints a readable summary with the verdict."""
    code, out, _ = run("parse", str(CORPUS / "046-autoreply-vacation.eml"))
    assert code == 0
    assert "no lead" in out


def test_parse_missing_file_exits_66(tmp_path: Path) -> None:
    """A file named on the command line that does not exist: exit 66."""
    code, _, err = run("parse", str(tmp_path / "missing.eml"))
    assert code == 66
    assert "missing.eml" in err


def test_parse_unreadable_file_exits_65(tmp_path: Path) -> None:
    """A file that is not a message at all: exit 65."""
    bad = tmp_path / "bad.eml"
    bad.write_bytes(b"")
    code, _, err = run("parse", str(bad))
    assert code == 65
    assert "bad.eml" in err


@pytest.mark.parametrize("command", ["status", "retry", "check"])
def test_commands_without_config_exit_78_and_suggest_demo(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every command but parse and demo needs a config; without one it exits 78."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MAILBRIDGE_CONFIG", raising=False)
    code, _, err = run(command, "--all") if command == "retry" else run(command)
    assert code == 78
    assert "mailbridge demo" in err


def test_every_command_has_help() -> None:
    """Each subcommand's help says what it does, its exit codes and an example (clihelp)."""
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert set(sub.choices) == set(COMMANDS) - {""}  # type: ignore[arg-type]  # a dict here
    for name, p in sub.choices.items():  # type: ignore[union-attr]  # subparsers: a dict
        text = p.format_help()
        description, codes, example = COMMANDS[name]
        assert description in text, name
        assert f"exit codes: {codes}" in text, name
        assert f"example:\n  {example}" in text, name


def test_config_may_stand_after_the_subcommand(tmp_path: Path) -> None:
    """`status --config PATH` works like `--config PATH status`."""
    cfg = tmp_path / "c.toml"
    cfg.write_text("[imap]\nhost = \"x\"\nusername = \"u\"\npassword = \"p\"\nport = \"abc\"\n")
    code, _, err = run("status", "--config", str(cfg))
    assert code == 78 and "imap.port" in err


def test_demo_runs_the_real_pipeline_into_the_sandbox() -> None:
    """`mailbridge demo` (as a console process) prints the leads the sandbox received."""
    proc = subprocess.run(
        [sys.executable, "-m", "bridge", "demo"], cwd=ROOT, capture_output=True, text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Сидоренко Павел Андреевич" in proc.stdout
    assert "Спецификация.pdf" in proc.stdout
    assert "double click" in proc.stdout
    assert "auto-reply" in proc.stdout


def test_parse_with_config_uses_its_label_rules_without_secrets(tmp_path: Path) -> None:
    """`parse --config` applies the config's extra labels and needs no password or webhook."""
    eml = tmp_path / "odd.eml"
    eml.write_bytes(
        "From: Site <robot@shop.example>\r\nSubject: New request\r\n"
        "Date: Mon, 30 Nov 2026 10:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "\r\nПозывной заказчика: Степан Разин\r\nСвязь: 8 (912) 555-44-33\r\n".encode()
    )
    code, out, _ = run("parse", str(eml), "--json")
    assert code == 0 and json.loads(out)["reason"] == "layout not recognised"
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        '[imap]\nhost = "imap.example.ru"\nusername = "u"\n'
        '[parsing.labels]\nname = ["Позывной заказчика"]\nphone = ["Связь"]\n',
        encoding="utf-8",
    )
    code, out, err = run("parse", "--config", str(cfg), str(eml), "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["create_lead"] is True
    assert data["name"] == "Степан Разин" and data["phone"] == "+79125554433"
