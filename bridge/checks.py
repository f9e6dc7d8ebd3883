"""`mailbridge check`: the whole setup verified against the real services, one line each.

Every line is ✓ or ✗; a ✗ says what is wrong and how to fix it. Exit code: 0 when all
pass, 69 when a service could not be reached at all, 78 when something is set up wrongly.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

from bridge.errors import (
    BridgeError,
    CrmError,
    CrmSetupError,
    CrmTemporary,
    CrmUnknownOutcome,
    MailboxRejected,
    MailboxUnavailable,
)

OK, BAD, DOWN, WARN = "ok", "bad", "down", "warn"


@dataclass(frozen=True, slots=True)
class Check:
    status: str  # OK, BAD (setup wrong: exit 78), DOWN (unreachable: exit 69) or WARN (exit 0)
    text: str

    @property
    def line(self) -> str:
        mark = {OK: "✓ ", WARN: "⚠ "}.get(self.status, "✗ ")
        return mark + self.text


def _exit_code(results: list[Check]) -> int:
    if any(r.status == BAD for r in results):
        return 78
    if any(r.status == DOWN for r in results):
        return 69
    return 0


def imap_checks(cfg: Any, connect: Callable[[], Any] | None = None) -> list[Check]:
    imap = cfg.imap
    out: list[Check] = []
    try:
        socket.getaddrinfo(imap.host, imap.port, type=socket.SOCK_STREAM)
    except OSError as exc:
        out.append(Check(DOWN, f"imap: cannot resolve {imap.host!r} ({exc.strerror or exc}): "
                               "check imap.host and the machine's DNS"))
        return out
    out.append(Check(OK, f"imap: {imap.host} resolves"))
    if connect is None:
        from bridge.mailbox import ImapMailbox

        def connect() -> Any:
            mailbox = ImapMailbox(imap)
            mailbox.connect()
            return mailbox

    try:
        mailbox = connect()
    except MailboxUnavailable as exc:
        out.append(Check(DOWN, f"imap: {exc}"))
        return out
    except MailboxRejected as exc:
        out.append(Check(BAD, f"imap: {exc}"))
        return out
    out.append(Check(OK, f"imap: connected ({imap.security}) and logged in as {imap.username}"))
    try:
        try:
            mailbox.select(imap.folder)
            out.append(Check(OK, f"imap: folder {imap.folder!r} exists"))
        except MailboxRejected as exc:
            out.append(Check(BAD, f"imap: {exc}"))
        if imap.processed_folder:
            exists = getattr(mailbox, "folder_exists", None)
            if exists is not None and not exists(imap.processed_folder):
                out.append(Check(OK, f"imap: processed folder {imap.processed_folder!r} "
                                     "will be created at the first move"))
            else:
                out.append(Check(OK, f"imap: processed folder {imap.processed_folder!r} exists"))
    except MailboxUnavailable as exc:
        out.append(Check(DOWN, f"imap: {exc}"))
    finally:
        mailbox.close()
    return out


def _crm_problem(exc: CrmError) -> Check:
    if isinstance(exc, CrmSetupError):
        return Check(BAD, f"bitrix24: {exc}")
    if isinstance(exc, (CrmTemporary, CrmUnknownOutcome)):
        return Check(DOWN, f"bitrix24: not reachable or not answering: {exc}")
    return Check(BAD, f"bitrix24: {exc}")


def crm_checks(cfg: Any, crm: Any) -> list[Check]:
    b = cfg.bitrix24
    out: list[Check] = []
    try:
        profile = crm.profile()
    except CrmError as exc:
        out.append(_crm_problem(exc))
        return out
    who = " ".join(str(profile.get(k) or "") for k in ("NAME", "LAST_NAME")).strip()
    out.append(Check(OK, f"bitrix24: webhook valid (user {profile.get('ID', '?')}"
                         f"{' ' + who if who else ''})"))
    try:
        scopes = set(crm.scopes())
    except CrmError as exc:
        out.append(_crm_problem(exc))
        return out
    if "crm" not in scopes:
        out.append(Check(BAD, "bitrix24: the webhook lacks the crm scope: edit the inbound "
                              "webhook in Bitrix24 (Developer resources) and tick CRM (crm)"))
        return out
    out.append(Check(OK, "bitrix24: scope crm granted"))
    if not scopes & {"user", "user_basic", "user_brief"}:
        out.append(Check(BAD, "bitrix24: the webhook lacks the user scope, so the responsible "
                              "user cannot be checked: tick Users (user) on the webhook"))
    else:
        try:
            user = crm.get_user(b.responsible_user_id)
        except CrmError as exc:
            out.append(_crm_problem(exc))
            user = None
        else:
            if user is None:
                out.append(Check(BAD, f"bitrix24: user {b.responsible_user_id} not found or not "
                                      "active: set bitrix24.responsible_user_id to an active "
                                      "employee's id (Employees → profile URL /user/ID/)"))
            else:
                name = " ".join(str(user.get(k) or "") for k in ("NAME", "LAST_NAME")).strip()
                out.append(Check(OK, f"bitrix24: responsible user {b.responsible_user_id} "
                                     f"{name or ''} is active".replace("  ", " ")))
    try:
        sources = crm.source_ids()
    except CrmError as exc:
        out.append(_crm_problem(exc))
    else:
        if b.source_id in sources:
            out.append(Check(OK, f"bitrix24: source {b.source_id!r} exists"))
        else:
            listed = ", ".join(sorted(sources)[:12])
            out.append(Check(BAD, f"bitrix24: source {b.source_id!r} does not exist: set "
                                  f"bitrix24.source_id to one of {listed}"))
    out.extend(_file_field_checks(cfg, crm))
    from bridge.portal_checks import portal_access_checks

    out.extend(portal_access_checks(cfg, crm))
    return out


def _file_field_checks(cfg: Any, crm: Any) -> list[Check]:
    from bridge.filefield import file_field_checks

    return [Check(status, text) for status, text in file_field_checks(cfg, crm)]


def run_checks(cfg: Any, out: TextIO, crm: Any = None,
               connect: Callable[[], Any] | None = None) -> int:
    results: list[Check] = [Check(OK, f"config: {cfg.source_path or 'loaded'} is valid")]
    printed = 0

    def flush() -> None:
        nonlocal printed
        for r in results[printed:]:
            print(r.line, file=out, flush=True)
        printed = len(results)

    flush()
    try:
        results.extend(imap_checks(cfg, connect))
    except BridgeError as exc:
        results.append(Check(BAD, f"imap: {exc}"))
    flush()
    if crm is None:
        from bridge.cli import make_crm

        crm = make_crm(cfg)
    results.extend(crm_checks(cfg, crm))
    flush()
    code = _exit_code(results)
    failed = sum(r.status not in (OK, WARN) for r in results)
    print("all checks passed" if not failed else f"{failed} check(s) failed", file=out)
    return code
