"""``[[mailboxes]]`` moved into the config package (:mod:`bridge.config.mailboxes`); this
name stays so that ``from bridge.mailboxes import MailboxConfig`` keeps working."""

from __future__ import annotations

from bridge.config.keys import MAILBOX_TABLE
from bridge.config.mailboxes import NAME_RE, imap_credential, load_mailboxes, webhook_credential
from bridge.config.values import MailboxConfig

__all__ = [
    "MAILBOX_TABLE",
    "NAME_RE",
    "MailboxConfig",
    "imap_credential",
    "load_mailboxes",
    "webhook_credential",
]
