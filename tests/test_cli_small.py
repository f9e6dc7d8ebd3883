"""Small things a person expects from the command line (issue 13 item 6, SPEC §1)."""

from __future__ import annotations

import io
import logging
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bridge import app
from bridge.cli import build_parser, human_summary
from bridge.clihelp import bash_completion
from bridge.lock import InstanceLock
from bridge.model import PollReport
from bridge.progress import ERASE, ProgressLine
from tests.e2e import run, sandbox, write_config
from tests.forms import form_email
from tests.servers.dovecot import ImapAccount
from tests.test_daemon import _run_with_tty_stderr

ROOT = Path(__file__).resolve().parents[1]
SUBCOMMANDS = ("check", "status", "notify-test", "notify-failure", "parse", "retry", "demo",
               "completion")


def ledger_config(tmp_path: Path) -> Path:
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        '[imap]\nhost = "imap.example.ru"\nusername = "forms@example.ru"\npassword = "p-123"\n'
        '[bitrix24]\nwebhook_url = "https://portal.example.ru/rest/1/abcdefgh12345678/"\n'
        f'[store]\npath = "{tmp_path / "bridge.db"}"\n',
        encoding="utf-8",
    )
    return cfg


def test_version_prints_the_version() -> None:
    """`mailbridge --version` prints "mailbridge X.Y.Z" and exits 0."""
    code, out, _ = run("--version")
    assert code == 0
    assert re.fullmatch(r"mailbridge \d+\.\d+\.\d+\S*\n", out)


@pytest.mark.parametrize("command", ["", *SUBCOMMANDS])
def test_every_help_has_a_description_exit_codes_and_an_example(command: str) -> None:
    """Each `--help` (the program's and every subcommand's) describes, lists exit codes and
    shows an example."""
    code, out, _ = run(*([command] if command else []), "--help")
    assert code == 0
    assert "exit codes:" in out and "example:" in out
    example = out.split("example:", 1)[1]
    assert "mailbridge" in example and (command in example)
    usage_end = out.index("\n\n")
    assert out[usage_end:].strip().split("\n")[0].strip()  # a description under the usage


@pytest.mark.parametrize(
    "argv",
    [["--no-such-option"], ["bogus"], ["retry", "x1"], ["parse"], ["completion", "fish"]],
)
def test_usage_errors_exit_64(argv: list[str]) -> None:
    """A wrong command line is a usage error: exit 64 (not argparse's 2), with the usage."""
    code, _, err = run(*argv)
    assert code == 64
    assert "usage:" in err and "usage error" in err


def test_retry_without_ids_or_all_is_64(tmp_path: Path) -> None:
    """`retry` with neither IDs nor --all is a usage error (64), SPEC §1."""
    code, _, err = run("--config", str(ledger_config(tmp_path)), "retry")
    assert code == 64 and "--all" in err


def test_retry_of_an_unknown_id_is_65_naming_it(tmp_path: Path) -> None:
    """An ID that is not in the ledger: exit 65 naming it; nothing else is made due."""
    code, _, err = run("--config", str(ledger_config(tmp_path)), "retry", "42", "43")
    assert code == 65
    assert "#42" in err and "#43" in err


def test_waiting_for_the_lock_says_who_holds_it(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A --poll-now that finds the lock held says at once that it waits and which process
    (the daemon, by pid) holds it; after the wait it exits 75."""
    monkeypatch.setattr(app, "LOCK_WAIT", 0.3)
    cfg = ledger_config(tmp_path)
    with InstanceLock(tmp_path / "bridge.db"):
        code, _, err = run("--config", str(cfg), "--poll-now")
    assert code == 75
    first = err.splitlines()[0]
    assert "waiting for the lock" in first and f"daemon (pid {os.getpid()})" in first
    assert "0.3 s" in first


def test_summary_says_what_failed() -> None:
    """The summary line names what failed: the mailbox error, quarantined and waiting counts."""
    report = PollReport(fetched=3, created=1, quarantined=1, waiting=1,
                        errors=["mailbox unavailable: imap 127.0.0.1:1: connection refused"])
    line = human_summary(report)
    assert line.startswith("poll: fetched=3 created=1")
    assert "failed: the mailbox: imap 127.0.0.1:1: connection refused" in line
    assert "1 message(s) quarantined" in line
    assert "failed" not in human_summary(PollReport(fetched=2, created=2))
    assert "1 message(s) not sent yet" in human_summary(PollReport(waiting=1))


def test_progress_line_is_erased_before_a_log_line() -> None:
    """A log record written while a progress line shows starts on an erased line, and the
    progress line is drawn again after it."""
    stream = io.StringIO()
    logger = logging.getLogger("test.progress")
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    logger.propagate = False
    try:
        line = ProgressLine(stream).attach(logger)
        line.show("fetched 1/2, sent 0/0")
        logger.warning("mailbox.unavailable error=x")
        line.finish()
        logger.warning("after")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert text == (ERASE + "fetched 1/2, sent 0/0" + ERASE + "mailbox.unavailable error=x\n"
                    + "fetched 1/2, sent 0/0" + ERASE + "after\n")


def test_progress_on_a_terminal_counts_fetched_and_sent(account: ImapAccount,
                                                        tmp_path: Path) -> None:
    """--poll-now with stderr on a terminal shows fetched and sent counts for the whole run;
    no log line shares a line with the progress text."""
    account.append_many(form_email(i) for i in range(5))
    with sandbox() as sb:
        cfg = write_config(tmp_path / "c.toml", account, sb.webhook_url, processed_folder="")
        cmd = [sys.executable, "-m", "bridge", "--config", str(cfg), "--poll-now"]
        env = {k: v for k, v in os.environ.items() if k not in ("INVOCATION_ID", "JOURNAL_STREAM")}
        code, text = _run_with_tty_stderr(cmd, env)
    assert code == 0, text
    assert "fetched 5/5, sent 0/0" in text and "fetched 5/5, sent 5/5" in text
    for row in re.split(r"\r?\n", text):
        shown = row.split(ERASE)[-1]  # what stays visible on that terminal row
        assert not ("fetched" in shown and "INFO" in shown), row


def test_bash_completion_completes_commands_and_options(tmp_path: Path) -> None:
    """`mailbridge completion bash` is valid bash that completes subcommands and options;
    deploy/ ships the same script."""
    code, script, _ = run("completion", "bash")
    assert code == 0
    assert (ROOT / "deploy" / "mailbridge.bash").read_text(encoding="utf-8") == script
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    path = tmp_path / "mb.bash"
    path.write_text(script, encoding="utf-8")

    def complete(*words: str) -> set[str]:
        quoted = " ".join(f"'{w}'" for w in words)
        probe = (f"source {path}; COMP_WORDS=(mailbridge {quoted}); "
                 f"COMP_CWORD={len(words)}; _mailbridge; printf '%s\\n' \"${{COMPREPLY[@]}}\"")
        out = subprocess.run([bash, "-c", probe], capture_output=True, text=True, timeout=30)
        assert out.returncode == 0, out.stderr
        return set(out.stdout.split())

    assert complete("re") == {"retry"}
    assert complete("retry", "--a") == {"--all"}
    assert {"--json", "--config"} <= complete("status", "--")
    assert "--poll-now" in complete("--p")
    assert complete("completion", "") == {"bash"}
    assert set(SUBCOMMANDS) <= complete("")


def test_completion_lists_every_subcommand() -> None:
    """The generated script names every subcommand the parser has."""
    script = bash_completion(build_parser())
    for name in SUBCOMMANDS:
        assert f"{name})" in script


def test_a_lock_held_by_another_poll_now_is_named_as_such(tmp_path: Path) -> None:
    """A lock holder started with --poll-now is named as another run, not as the daemon."""
    from bridge.lock import describe_holder

    ledger = tmp_path / "bridge.db"
    code = ("import sys; from pathlib import Path; from bridge.lock import InstanceLock; "
            f"lock = InstanceLock(Path({str(ledger)!r})); lock.acquire(); "
            "print('held', flush=True); sys.stdin.read()")
    proc = subprocess.Popen([sys.executable, "-c", code, "--poll-now"], cwd=ROOT, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        holder = InstanceLock(ledger).holder_pid()
        assert holder == proc.pid
        assert describe_holder(holder) == f"another mailbridge run (pid {proc.pid})"
    finally:
        proc.communicate("", timeout=30)
    assert describe_holder(None) == "another mailbridge process"
