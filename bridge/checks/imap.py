"""``check`` lines about the mailbox: the host resolves, the login works, the folders exist."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

from bridge.checks.lines import BAD, DOWN, OK, Check
from bridge.errors import (
    BridgeError,
    FolderMissing,
    LoginRefused,
    MailboxRejected,
    MailboxUnavailable,
)
from bridge.i18n import say, t


def imap_checks(cfg: Any, connect: Callable[[], Any] | None = None) -> list[Check]:
    """The mailbox's lines: DNS, login, the folder and the processed folder; ``connect``
    (default: bridge.app's) gives a logged-in mailbox."""
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
