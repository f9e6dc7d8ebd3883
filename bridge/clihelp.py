"""What `--help`, `--version` and `completion bash` say, and usage errors as exit 64.

Each subcommand's help has a description, its exit codes (SPEC §1) and an example. The bash
completion script is generated from the argument parser itself, so it never lists an option
the program does not have.
"""

from __future__ import annotations

import argparse
import sys
from importlib import metadata
from typing import NoReturn

EX_USAGE = 64

# name -> (description, exit codes, example)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "": (
        "Turns website form e-mails into Bitrix24 leads. Without a subcommand it runs the "
        "daemon (IMAP IDLE plus scheduled polls) until SIGTERM/SIGINT.",
        "0 stopped by a signal / --poll-now: nothing left waiting; 65 --poll-now quarantined "
        "a message; 75 something waits for a retry (or the lock was held); 78 configuration "
        "error or blocked; 64 usage error; 1 a bug",
        "mailbridge --config /etc/mailbridge/config.toml --poll-now",
    ),
    "check": (
        "verify the whole setup against the real services, one line per check (✓/✗ and a fix)",
        "0 all passed (⚠ lines included); 69 a service could not be reached; 78 something is "
        "set up wrongly (also: a value from config.toml.example left unfilled)",
        "mailbridge --config config.toml check",
    ),
    "status": (
        "messages per state, last poll, blocked or not, newest errors; reads only the ledger",
        "0 shown; 78 no usable config",
        "mailbridge --config config.toml status",
    ),
    "notify-test": (
        "send one test message on every configured notification channel and report each",
        "0 all sent; 69 a channel could not be reached; 78 a channel is misconfigured (or no "
        "usable config)",
        "mailbridge --config config.toml notify-test",
    ),
    "notify-failure": (
        "for systemd OnFailure=: tell every notification channel that UNIT failed (works with "
        "only the [notify] section of a broken config)",
        "0 all told; 69 a channel could not be reached; 78 a channel is misconfigured or no "
        "channel is usable",
        "mailbridge --config /etc/mailbridge/config.toml notify-failure mailbridge.service",
    ),
    "parse": (
        "parse .eml files offline and show what each lead would be (sends nothing)",
        "0 parsed; 65 a file is not a readable message; 66 a file does not exist",
        "mailbridge parse form.eml --json",
    ),
    "retry": (
        "make failed or quarantined messages due again now; reads only the ledger",
        "0 done (or nothing to retry); 64 neither IDs nor --all; 65 an ID is not in the "
        "ledger (named); 78 no usable config",
        "mailbridge --config config.toml retry 12 15   (or: retry --all)",
    ),
    "demo": (
        "bundled sample form e-mails -> a bundled local Bitrix24 sandbox; needs no config",
        "0 done; 1 a bug",
        "mailbridge demo",
    ),
    "completion": (
        "print a shell completion script",
        "0 printed; 64 an unknown shell",
        'eval "$(mailbridge completion bash)"   (or save it to '
        "/etc/bash_completion.d/mailbridge)",
    ),
}


def epilog(name: str) -> str:
    """The "exit codes" and "example" paragraphs of a command's help."""
    _, codes, example = COMMANDS[name]
    return f"exit codes: {codes}\n\nexample:\n  {example}"


def version() -> str:
    """The installed package's version (the source tree's when not installed)."""
    try:
        return metadata.version("mailbridge")
    except metadata.PackageNotFoundError:
        from bridge import __version__

        return __version__


class UsageParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors exit 64 (EX_USAGE), not argparse's 2."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("description", COMMANDS[""][0])
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # argparse's own keywords

    def error(self, message: str) -> NoReturn:
        from bridge.i18n import t

        self.print_usage(sys.stderr)
        self.exit(EX_USAGE, f"{self.prog}: {t('cli.usage_error', text=message, prog=self.prog)}\n")


def _options(parser: argparse.ArgumentParser) -> list[str]:
    return sorted(s for a in parser._actions for s in a.option_strings if s.startswith("--"))


def bash_completion(parser: argparse.ArgumentParser) -> str:
    """A bash completion script for ``mailbridge`` built from ``parser``."""
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    commands = sorted(sub.choices)
    cases = []
    for name, p in sorted(sub.choices.items()):
        words = _options(p)
        if name == "completion":
            words = ["bash"]
        cases.append(f'        {name}) opts="{" ".join(words)}" ;;')
    top = " ".join([*commands, *_options(parser)])
    return "\n".join([
        "# bash completion for mailbridge (generated by `mailbridge completion bash`)",
        "_mailbridge() {",
        '    local cur prev cmd="" opts i',
        '    cur="${COMP_WORDS[COMP_CWORD]}"',
        '    prev="${COMP_WORDS[COMP_CWORD-1]}"',
        '    if [[ "$prev" == "--config" ]]; then',
        '        COMPREPLY=( $(compgen -f -- "$cur") ); return 0',
        "    fi",
        '    if [[ "$prev" == "--log-level" ]]; then',
        '        COMPREPLY=( $(compgen -W "DEBUG INFO WARNING ERROR" -- "$cur") ); return 0',
        "    fi",
        "    for ((i = 1; i < COMP_CWORD; i++)); do",
        '        case "${COMP_WORDS[i]}" in',
        f'            {"|".join(commands)}) cmd="${{COMP_WORDS[i]}}"; break ;;',
        "        esac",
        "    done",
        '    case "$cmd" in',
        *cases,
        f'        *) opts="{top}" ;;',
        "    esac",
        '    if [[ "$cmd" == "parse" && "$cur" != -* ]]; then',
        '        COMPREPLY=( $(compgen -f -X "!*.eml" -- "$cur") $(compgen -d -- "$cur") )',
        "        return 0",
        "    fi",
        '    COMPREPLY=( $(compgen -W "$opts" -- "$cur") )',
        "}",
        "complete -o filenames -F _mailbridge mailbridge",
        "",
    ])
