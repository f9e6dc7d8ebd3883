"""How the adapter words its failures: one BridgeError per cause, the password never shown.

* ``MailboxUnavailable``: DNS, refused, timeouts, drops, BYE, TLS handshake trouble (retry);
* ``MailboxRejected``: certificate not trusted, login refused, folder missing (setup);
* ``ConfigError``: ``plain`` to a non-loopback host, an unreadable ``imap.ca_file``.
"""

from __future__ import annotations

import socket
import ssl

from imapclient.exceptions import CapabilityError, IMAPClientError

from bridge.config import ImapConfig
from bridge.errors import MailboxError, MailboxRejected, MailboxUnavailable
from bridge.i18n import tagged
from bridge.mailbox.wire import text


def where(cfg: ImapConfig) -> str:
    """``host:port``, as every message names the server."""
    return f"{cfg.host}:{cfg.port}"


def scrub(cfg: ImapConfig, message: str) -> str:
    """``message`` with the password replaced by ``***``."""
    pw = cfg.password
    return message.replace(pw, "***") if pw else message


def unavailable(cfg: ImapConfig, what: str, exc: BaseException | str) -> MailboxUnavailable:
    """A temporary failure naming the server, what failed and why (password scrubbed)."""
    return MailboxUnavailable(scrub(cfg, f"imap {where(cfg)}: {what}: {cause(exc)}"))


def cause(exc: BaseException | str) -> str:
    """A short human cause for an exception ("connection refused", "timed out", ...)."""
    if isinstance(exc, str):
        return exc
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ssl.SSLError):
        return exc.reason or str(exc)
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    said = text(exc.args[0]) if exc.args else ""
    return said or type(exc).__name__


def connect_error(cfg: ImapConfig, exc: Exception) -> MailboxError | None:
    """What a failed connect (TCP, TLS, greeting, STARTTLS) means; None for a bug (re-raise)."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return _untrusted(cfg, exc)
    at = where(cfg)
    if isinstance(exc, CapabilityError):
        return tagged(MailboxRejected(
            f"imap {at}: the server does not offer STARTTLS; "
            'set imap.security = "ssl" (and imap.port = 993)'
        ), "connect.no_starttls", where=at)
    why = scrub(cfg, cause(exc))
    if isinstance(exc, ssl.SSLError):
        return tagged(unavailable(
            cfg, "TLS handshake failed (is imap.security right for this port?)", exc
        ), "connect.tls_failed", where=at, cause=why)
    if isinstance(exc, TimeoutError):
        return tagged(unavailable(cfg, f"no answer within {cfg.timeout:g} s", exc),
                      "connect.timeout", where=at, seconds=f"{cfg.timeout:g}", cause=why)
    if isinstance(exc, ConnectionRefusedError):
        return tagged(unavailable(cfg, "connection refused (check imap.port)", exc),
                      "connect.refused", where=at, cause=why)
    if isinstance(exc, socket.gaierror):
        return tagged(unavailable(cfg, "cannot resolve host", exc),
                      "connect.no_dns", where=at, cause=why)
    if isinstance(exc, OSError | IMAPClientError):
        return tagged(unavailable(cfg, "connection failed", exc),
                      "connect.connect_failed", where=at, cause=why)
    return None  # a bug, not the network: let it through


def _untrusted(cfg: ImapConfig, exc: ssl.SSLCertVerificationError) -> MailboxRejected:
    """The server's certificate did not verify: which setting fixes it."""
    at = where(cfg)
    reason = exc.verify_message or str(exc)
    if exc.verify_code == 62:  # X509_V_ERR_HOSTNAME_MISMATCH
        fix = f"imap.host must be a name the certificate is issued for ({reason})"
        key = "connect.tls_hostname"
    else:
        fix = (
            "set imap.ca_file to the CA certificate (PEM) that signed the server's "
            "certificate"
            + (f" (the current imap.ca_file {cfg.ca_file} does not)" if cfg.ca_file else "")
        )
        key = "connect.tls_ca_current" if cfg.ca_file else "connect.tls_ca"
    return tagged(MailboxRejected(
        f"imap {at}: the server's TLS certificate is not trusted ({reason}): {fix}"
    ), key, where=at, reason=reason, path=cfg.ca_file)
