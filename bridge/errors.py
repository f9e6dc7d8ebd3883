"""The one error tree of mailbridge.

::

    BridgeError
    ├── ConfigError            the setup is wrong: a config key, or a portal setting (exit 78)
    ├── LockHeld               another process holds the ledger (exit 75)
    │   └── LeaseLost              this process's lease on a mailbox ran out or was taken
    │                              over: stop pushing, keep every row as it is
    ├── MailboxError           IMAP trouble
    │   ├── MailboxUnavailable     DNS, refused, TLS, drop, BYE, timeouts: try again later
    │   └── MailboxRejected        login refused, folder missing: the setup (--poll-now: 78;
    │       │                      the daemon waits and retries, bridge.refusal)
    │       ├── LoginRefused           the login was answered NO
    │       └── FolderMissing          a configured folder cannot be selected
    ├── StoreError             the SQLite ledger cannot be used
    │   ├── LedgerCorrupt          damaged or not ours: move it aside (exit 78)
    │   └── RowClaimed             another process moved the row on first: leave it
    ├── ParseError             bytes that are not a readable message
    ├── NotifyError            a notification channel failed (never stops the bridge)
    │   ├── ChannelUnreachable     network, timeout, 429, 5xx: the channel may work later
    │   └── ChannelMisconfigured   refused token, chat, login or address: the setup (78)
    └── CrmError               Bitrix24 trouble
        ├── CrmTemporary           not executed (503 QUERY_LIMIT_EXCEEDED, 429, refused
        │                          connection): safe to send again after ``retry_after``
        ├── CrmUnknownOutcome      a write may or may not have happened (timeout, reset,
        │                          5xx, HTML, undecodable JSON): look it up by ORIGIN_ID
        ├── CrmRejected            this message's data was refused (400 with error ""):
        │                          quarantine after a few attempts
        └── CrmSetupError          INVALID_CREDENTIALS, insufficient_scope, method not found,
                                   portal moved or deleted: stop the run (exit 78)

Third-party exceptions are translated once, at the adapter's edge, with ``raise ... from``.
Messages never contain the webhook secret, passwords or message bodies.
"""

from __future__ import annotations


class BridgeError(Exception):
    """Base of every error mailbridge raises on purpose."""


class ConfigError(BridgeError):
    """The configuration is wrong. ``key`` names the setting (``imap.port``) when known."""

    def __init__(self, message: str, key: str | None = None, line: int | None = None) -> None:
        self.key = key
        self.line = line
        super().__init__(message)


class LockHeld(BridgeError):
    """Another mailbridge process is working on the same ledger."""


class LeaseLost(LockHeld):
    """The lease on a mailbox ran out (or another daemon took it over): nothing more may be
    sent or written for it; the rows stay as they are for the new owner (bridge.lease)."""


class MailboxError(BridgeError):
    """IMAP trouble."""


class MailboxUnavailable(MailboxError):
    """The server could not be reached or dropped us; the same call may work later."""


class MailboxRejected(MailboxError):
    """The server refused the login or the folder: the setup must change."""


class LoginRefused(MailboxRejected):
    """The server answered NO to the login. ``server_text`` is its (scrubbed) reason."""

    def __init__(self, message: str, *, user: str = "", server_text: str = "") -> None:
        self.user = user
        self.server_text = server_text
        super().__init__(message)


class FolderMissing(MailboxRejected):
    """A folder named in the config cannot be selected; ``key`` is the config key."""

    def __init__(self, message: str, *, folder: str = "", key: str = "",
                 server_text: str = "") -> None:
        self.folder = folder
        self.key = key
        self.server_text = server_text
        super().__init__(message)


class StoreError(BridgeError):
    """The SQLite ledger cannot be opened or written."""


class LedgerCorrupt(StoreError):
    """The ledger file is damaged or not ours: a setup problem (exit 78), not a retry later."""


class RowClaimed(StoreError):
    """Another process moved this row on first (a second concurrent push is refused)."""


class ParseError(BridgeError):
    """The bytes are not a readable message."""


class NotifyError(BridgeError):
    """A notification could not be sent. Messages never contain the channel's secrets."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class ChannelUnreachable(NotifyError):
    """The channel could not be reached or answered 429/5xx; sending again later may work."""


class ChannelMisconfigured(NotifyError):
    """The channel refused the token, chat, login or address; the config must change."""


class CrmError(BridgeError):
    """Bitrix24 trouble. ``code`` is the portal's ``error`` value ("" for CRM legacy errors)."""

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.code = code
        self.status = status
        self.retry_after = retry_after
        super().__init__(message)


class CrmTemporary(CrmError):
    """The request was not executed (rate limit, refused connection); send it again later."""


class CrmUnknownOutcome(CrmError):
    """The request may have been executed; look the result up before sending it again.

    ``sent_monotonic`` is the ``time.monotonic()`` at which the request's last byte was sent,
    when the transport knows it (the lookup waits ``bitrix24.max_request_seconds`` from then).
    """

    sent_monotonic: float | None = None


class CrmRejected(CrmError):
    """The portal refused this request's data; sending it again as is will not help."""


class CrmSetupError(CrmError):
    """The webhook, its scopes or the portal are wrong; no message is to blame."""
