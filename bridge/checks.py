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
    FolderMissing,
    LoginRefused,
    MailboxRejected,
    MailboxUnavailable,
)
from bridge.i18n import say, t

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
        out.append(Check(DOWN, t("check.imap.no_dns", host=repr(imap.host),
                                 error=exc.strerror or exc)))
        return out
    out.append(Check(OK, t("check.imap.resolves", host=imap.host)))
    if connect is None:
        from bridge.app import mailbox_factory

        connect = mailbox_factory(cfg)
    try:
        mailbox = connect()
    except MailboxUnavailable as exc:
        out.append(Check(DOWN, t("check.imap.unreachable", error=say(exc))))
        return out
    except MailboxRejected as exc:
        out.extend(login_problem(imap, exc))
        return out
    out.append(Check(OK, t("check.imap.logged_in", security=imap.security, user=imap.username)))
    try:
        try:
            mailbox.select(imap.folder)
            out.append(Check(OK, t("check.imap.folder_ok", folder=repr(imap.folder))))
        except MailboxRejected as exc:
            out.append(folder_problem(mailbox, imap.folder, exc))
        if imap.processed_folder:
            exists = getattr(mailbox, "folder_exists", None)
            if exists is not None and not exists(imap.processed_folder):
                out.append(Check(OK, t("check.imap.processed_new",
                                       folder=repr(imap.processed_folder))))
            else:
                out.append(Check(OK, t("check.imap.processed_ok",
                                       folder=repr(imap.processed_folder))))
    except MailboxUnavailable as exc:
        out.append(Check(DOWN, t("check.imap.unreachable", error=say(exc))))
    finally:
        mailbox.close()
    return out


# Providers that refuse an account password over IMAP: an app password is needed, and IMAP
# must be allowed in the mailbox's settings. Matched on imap.host.
_PROVIDER_HINTS = (
    (("yandex.ru", "yandex.com", "ya.ru"), "check.imap.hint.yandex"),
    (("mail.ru", "bk.ru", "list.ru", "inbox.ru"), "check.imap.hint.mailru"),
    (("gmail.com", "googlemail.com", "google.com"), "check.imap.hint.gmail"),
)


def provider_hint(host: str) -> str | None:
    """The catalogue key explaining app passwords for a known provider's IMAP host."""
    host = host.lower().rstrip(".")
    for domains, key in _PROVIDER_HINTS:
        if any(host == d or host.endswith("." + d) for d in domains):
            return key
    return None


def login_problem(imap: Any, exc: MailboxRejected) -> list[Check]:
    """The ✗ line for a refused login, with the provider's app-password advice."""
    if not isinstance(exc, LoginRefused):
        return [Check(BAD, t("check.imap.rejected", error=say(exc)))]
    out = [Check(BAD, t("check.imap.login_refused", user=exc.user or imap.username,
                        server=exc.server_text or "-"))]
    hint = provider_hint(imap.host)
    if hint:
        out.append(Check(BAD, t(hint)))
    return out


def folder_problem(mailbox: Any, folder: str, exc: MailboxRejected) -> Check:
    """The ✗ line for a folder that cannot be selected, listing the folders there are."""
    if not isinstance(exc, FolderMissing):
        return Check(BAD, t("check.imap.rejected", error=say(exc)))
    names: list[str] = []
    lister = getattr(mailbox, "folder_names", None)
    if lister is not None:
        try:
            names = lister()
        except BridgeError:  # the listing is a courtesy; the ✗ stands without it
            names = []
    shown = ", ".join(repr(n) for n in names[:40]) + (" …" if len(names) > 40 else "")
    return Check(BAD, t("check.imap.folder_missing", folder=repr(folder), key=exc.key,
                        server=exc.server_text or "-", folders=shown or "-"))


# Portal-wide setup answers with a fix of their own in the catalogue (by the portal's code)
_SETUP_ANSWERS = {
    "INVALID_CREDENTIALS": "check.crm.webhook_rejected",
    "NO_AUTH_FOUND": "check.crm.webhook_rejected",
    "WRONG_AUTH_TYPE": "check.crm.webhook_rejected",
    "EXPIRED_TOKEN": "check.crm.webhook_rejected",
    "INVALID_TOKEN": "check.crm.webhook_rejected",
    "INSUFFICIENT_SCOPE": "check.crm.insufficient_scope",
    "PORTAL_DELETED": "check.crm.portal_deleted",
    "PAYMENT_REQUIRED": "check.crm.payment_required",
    "OVERLOAD_LIMIT": "check.crm.overload",
}


def _crm_problem(exc: CrmError) -> Check:
    key = _SETUP_ANSWERS.get((exc.code or "").upper())
    if isinstance(exc, CrmSetupError) and key is not None:
        return Check(BAD, t(key, code=exc.code))
    if isinstance(exc, CrmSetupError):
        return Check(BAD, t("check.crm.problem", error=exc))
    if isinstance(exc, (CrmTemporary, CrmUnknownOutcome)):
        return Check(DOWN, t("check.crm.unreachable", error=exc))
    return Check(BAD, t("check.crm.problem", error=exc))


def crm_checks(cfg: Any, crm: Any) -> list[Check]:
    b = cfg.bitrix24
    out: list[Check] = []
    try:
        profile = crm.profile()
    except CrmError as exc:
        out.append(_crm_problem(exc))
        return out
    who = " ".join(str(profile.get(k) or "") for k in ("NAME", "LAST_NAME")).strip()
    out.append(Check(OK, t("check.crm.webhook_ok",
                           user=f"{profile.get('ID', '?')}{' ' + who if who else ''}")))
    try:
        scopes = set(crm.scopes())
    except CrmError as exc:
        out.append(_crm_problem(exc))
        return out
    if "crm" not in scopes:
        out.append(Check(BAD, t("check.crm.no_crm_scope")))
        return out
    out.append(Check(OK, t("check.crm.crm_scope_ok")))
    if not scopes & {"user", "user_basic", "user_brief"}:
        out.append(Check(BAD, t("check.crm.no_user_scope")))
    else:
        try:
            user = crm.get_user(b.responsible_user_id)
        except CrmError as exc:
            out.append(_crm_problem(exc))
            user = None
        else:
            if user is None:
                out.append(Check(BAD, t("check.crm.user_missing", id=b.responsible_user_id)))
            else:
                name = " ".join(str(user.get(k) or "") for k in ("NAME", "LAST_NAME")).strip()
                out.append(Check(OK, t("check.crm.user_ok", id=b.responsible_user_id,
                                       name=name).replace("  ", " ")))
    try:
        sources = crm.source_ids()
    except CrmError as exc:
        out.append(_crm_problem(exc))
    else:
        if b.source_id in sources:
            out.append(Check(OK, t("check.crm.source_ok", source=repr(b.source_id))))
        else:
            listed = ", ".join(sorted(sources)[:12])
            out.append(Check(BAD, t("check.crm.source_missing", source=repr(b.source_id),
                                    listed=listed)))
    out.extend(_file_field_checks(cfg, crm))
    from bridge.portal_checks import portal_access_checks

    out.extend(portal_access_checks(cfg, crm))
    out.extend(_target_checks(cfg, crm))
    return out


def _target_checks(cfg: Any, crm: Any) -> list[Check]:
    from bridge.funnel import target_checks

    return [Check(status, text) for status, text in target_checks(cfg, crm)]


def _file_field_checks(cfg: Any, crm: Any) -> list[Check]:
    from bridge.filefield import file_field_checks

    return [Check(status, text) for status, text in file_field_checks(cfg, crm)]


def run_checks(cfg: Any, out: TextIO, crm: Any = None,
               connect: Callable[[], Any] | None = None) -> int:
    results: list[Check] = [Check(OK, t("check.config_ok", path=cfg.source_path or "-"))]
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
        results.append(Check(BAD, t("check.imap.rejected", error=say(exc))))
    flush()
    if crm is None:
        from bridge.app import make_crm

        crm = make_crm(cfg)
    results.extend(crm_checks(cfg, crm))
    flush()
    code = _exit_code(results)
    failed = sum(r.status not in (OK, WARN) for r in results)
    print(t("check.all_passed") if not failed else t("check.failed", n=failed), file=out)
    return code
