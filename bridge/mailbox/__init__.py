"""The IMAP adapter: one imapclient session, translated into our vocabulary at the edge.

``ImapMailbox(cfg)`` connects (ssl / starttls / plain-to-loopback, certificates always
verified against the system store plus ``imap.ca_file``), selects the folder read-write,
finds new mail by UID (never by ``\\Seen``), fetches with ``BODY.PEEK[]`` so nothing is
marked, and finishes a message only when asked (mark, MOVE, or COPY + UID EXPUNGE of that
one UID). Every failure leaves as a BridgeError (see :mod:`bridge.mailbox.problems`). The
password never appears in a message or a log line.

The parts, each with one job:

* ``wire``: imapclient typed at the edge (its answers decoded here, nowhere else);
* ``watched``: an IMAPClient whose connect phase obeys :func:`bridge.deadline.watch`;
* ``problems``: how failures are worded (and the password scrubbed);
* ``session``: connection, TLS, login, deadlines;
* ``folders``: folder names, LIST/CREATE, SELECT, UID SEARCH;
* ``fetching`` and ``bigfetch``: FETCH in size-capped groups, big and too-large messages;
* ``finishing``: mark or move (MOVE, else COPY + UID EXPUNGE, else ``\\Seen``);
* ``idle``: NOOP and IDLE;
* ``imap``: :class:`ImapMailbox`, the facade over them.

This package only re-exports.
"""

from bridge.mailbox.bigfetch import PARTIAL_BYTES
from bridge.mailbox.fetching import FETCH_BYTES
from bridge.mailbox.imap import ImapMailbox
from bridge.mailbox.session import make_ssl_context, quiet_protocol_log
from bridge.mailbox.watched import WatchedIMAPClient
from bridge.mailbox.wire import DELETED, FETCH_ITEMS, SEEN

__all__ = [
    "DELETED",
    "FETCH_BYTES",
    "FETCH_ITEMS",
    "PARTIAL_BYTES",
    "SEEN",
    "ImapMailbox",
    "WatchedIMAPClient",
    "make_ssl_context",
    "quiet_protocol_log",
]
