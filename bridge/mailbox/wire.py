"""imapclient, typed: the only place its untyped answers enter the bridge.

imapclient ships no type information. :class:`Wire` wraps one connected ``IMAPClient`` and
gives each command the bridge uses a typed signature; the answers are decoded or narrowed
here, so everything above works with ``int``, ``str`` and :class:`Selected`. The pure helpers
below read the few answer shapes the adapter inspects (FLAGS, untagged responses, response
codes).
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

SEEN = b"\\Seen"
DELETED = b"\\Deleted"
FETCH_ITEMS = ("BODY.PEEK[]", "INTERNALDATE", "FLAGS")
TEMPORARY_CODES = ("UNAVAILABLE", "SERVERBUG", "INUSE", "LIMIT")  # RFC 5530

FetchItem = dict[bytes, object]  # one message's FETCH answer: item name -> value
Response = tuple[object, ...]  # one untagged response: (3, b"EXISTS"), (b"BYE", b"...")


@dataclass(frozen=True, slots=True)
class Selected:
    """What SELECT reported about the folder."""

    read_write: bool
    uidvalidity: int
    uidnext: int | None


@dataclass(frozen=True, slots=True)
class Listed:
    """One LIST line: the hierarchy delimiter ("" when none) and the decoded name."""

    delimiter: str
    name: str


class Wire:
    """One connected ``IMAPClient`` with typed commands. Raises what imapclient raises."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def socket(self) -> socket.socket:
        return cast(socket.socket, self._client.socket())

    def starttls(self, ctx: ssl.SSLContext | None) -> None:
        self._client.starttls(ctx)

    def login(self, user: str, password: str) -> None:
        self._client.login(user, password)

    def plain_login(self, user: str, password: str) -> None:
        self._client.plain_login(user, password)

    def logout(self) -> None:
        self._client.logout()

    def shutdown(self) -> None:
        self._client.shutdown()

    def capabilities(self) -> set[str]:
        return {text(c).upper() for c in self._client.capabilities()}

    def personal_namespace(self) -> tuple[str, str] | None:
        """(prefix, delimiter or "") of the first personal namespace; None if there is none."""
        personal = self._client.namespace().personal
        if not personal:
            return None
        prefix, delim = personal[0]
        return text(prefix), text(delim) if delim else ""

    def list_folders(self, directory: str, pattern: str) -> list[Listed]:
        return [Listed(text(delim) if delim else "", text(name))
                for _flags, delim, name in self._client.list_folders(directory, pattern)]

    def folder_exists(self, name: str) -> bool:
        return bool(self._client.folder_exists(name))

    def create_folder(self, name: str) -> None:
        self._client.create_folder(name)

    def subscribe_folder(self, name: str) -> None:
        self._client.subscribe_folder(name)

    def select_folder(self, name: str) -> Selected:
        info = self._client.select_folder(name)
        return Selected(
            read_write=bool(info.get(b"READ-WRITE")),
            uidvalidity=int(info.get(b"UIDVALIDITY", 0)),
            uidnext=int(info[b"UIDNEXT"]) if b"UIDNEXT" in info else None,
        )

    def search(self, criteria: Sequence[object]) -> list[int]:
        return [int(u) for u in self._client.search(list(criteria))]

    def fetch(self, uids: Sequence[int], items: Sequence[str]) -> dict[int, FetchItem]:
        """uid -> its items; the answer is passed on as is (no copy of the bodies)."""
        return cast(dict[int, FetchItem], self._client.fetch(list(uids), list(items)))

    def add_flags(self, uids: Sequence[int], flags: Sequence[bytes]) -> None:
        self._client.add_flags(list(uids), list(flags), silent=True)

    def move(self, uids: Sequence[int], folder: str) -> None:
        self._client.move(list(uids), folder)

    def copy(self, uids: Sequence[int], folder: str) -> None:
        self._client.copy(list(uids), folder)

    def uid_expunge(self, uids: Sequence[int]) -> None:
        self._client.uid_expunge(list(uids))

    def noop(self) -> list[Response]:
        return _responses(self._client.noop()[1])

    def idle(self) -> None:
        self._client.idle()

    def idle_check(self, timeout: float) -> list[Response]:
        return _responses(self._client.idle_check(timeout=timeout))

    def idle_done(self) -> list[Response]:
        return _responses(self._client.idle_done()[1])


def _responses(raw: Any) -> list[Response]:
    return [tuple(r) if isinstance(r, tuple | list) else (r,) for r in raw]


def text(value: object) -> str:
    """bytes (UTF-8, damage replaced) or anything else as text."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def codes(answer: str) -> str:
    """The response code of a NO/BAD answer ("[AUTHENTICATIONFAILED] ..." -> the code)."""
    if "[" in answer and "]" in answer:
        return answer[answer.index("[") + 1 : answer.index("]")].split()[0].upper()
    return ""


def flags(value: object) -> tuple[str, ...]:
    """FETCH FLAGS (``(b'\\Seen', ...)``) as text; anything else is no flags."""
    if not isinstance(value, tuple | list):
        return ()
    return tuple(text(f) for f in value)


def announces_mail(responses: Sequence[Response]) -> bool:
    """EXISTS or RECENT among untagged responses (``(3, b'EXISTS')``)."""
    return any(len(r) >= 2 and r[1] in (b"EXISTS", b"RECENT") for r in responses)


def said_bye(responses: Sequence[Response]) -> str | None:
    """The text of a BYE among untagged responses, or None."""
    for r in responses:
        if len(r) > 0 and r[0] == b"BYE":
            return " ".join(text(x) for x in r[1:])
    return None
