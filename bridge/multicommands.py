"""``--poll-now``, ``check``, ``status`` and ``retry`` for a ``[[mailboxes]]`` config: each goes
over every mailbox in turn, under a ``== mailbox NAME (...)`` header; the exit codes combine as
SPEC §1 says (bridge.multibox.combine)."""

from __future__ import annotations

import contextlib
import io
import json
import logging
from collections.abc import Iterator
from typing import Any, TextIO

from bridge.config import MailboxConfig
from bridge.errors import ConfigError, CrmSetupError, MailboxError, MailboxRejected
from bridge.multibox import combine, per_mailbox, portal_key

log = logging.getLogger(__name__)


def _header(box: MailboxConfig, out: TextIO) -> None:
    from bridge.i18n import t

    text = t("mailboxes.header", name=box.name, user=box.imap.username, host=box.imap.host,
             folder=box.imap.folder, portal=portal_key(box.bitrix24.webhook_url))
    print(text, file=out, flush=True)


def poll_many(cfg: Any, out: TextIO) -> int:
    """``--poll-now`` over every mailbox in turn; a failing one does not stop the rest."""
    from bridge.cli.common import EX_CONFIG, EX_TEMPFAIL
    from bridge.cli.pollnow import cmd_poll_now

    codes: list[int] = []
    for box, box_cfg in per_mailbox(cfg):
        _header(box, out)
        try:
            codes.append(cmd_poll_now(box_cfg))
        except (MailboxRejected, ConfigError, CrmSetupError) as exc:
            log.error("mailbox.failed mailbox=%s error=%s", box.name, " ".join(str(exc).split()))
            codes.append(EX_CONFIG)
        except MailboxError as exc:
            log.warning("mailbox.unreachable mailbox=%s error=%s", box.name,
                        " ".join(str(exc).split()))
            codes.append(EX_TEMPFAIL)
    return combine(codes)


def check_many(cfg: Any, out: TextIO) -> int:
    from bridge.checks import run_checks

    codes = []
    for box, box_cfg in per_mailbox(cfg):
        _header(box, out)
        codes.append(run_checks(box_cfg, out=out))
    return combine(codes)


def status_many(cfg: Any, as_json: bool, out: TextIO) -> int:
    """``status``: the usual lines per mailbox, each under a header (JSON: keyed by name)."""
    from bridge.cli.status import cmd_status
    from bridge.ownership import owner_json, owner_line, owners

    leases = owners(cfg.store.url) if cfg.store.url else None  # who owns what (bridge.lease)
    if not as_json:
        for box, box_cfg in per_mailbox(cfg):
            _header(box, out)
            if leases is not None:
                print(owner_line(leases.get(box_cfg.store.schema)), file=out, flush=True)
            cmd_status(box_cfg, as_json=False)
        return 0
    data: dict[str, Any] = {}
    for box, box_cfg in per_mailbox(cfg):
        with _captured() as buf:
            cmd_status(box_cfg, as_json=True)
        entry = json.loads(buf.getvalue())
        entry.update(username=box.imap.username, host=box.imap.host,
                     portal=portal_key(box.bitrix24.webhook_url))
        if leases is not None:
            entry["owner"] = owner_json(leases.get(box_cfg.store.schema))
        data[box.name] = entry
    print(json.dumps({"mailboxes": data}, ensure_ascii=False, indent=2), file=out)
    return 0


def retry_many(cfg: Any, ids: list[int], all_: bool, mailbox: str | None) -> int:
    """``retry``: IDs are per mailbox, so they need ``--mailbox``; ``--all`` covers all."""
    from bridge.cli.common import EX_DATAERR, err
    from bridge.cli.retry import cmd_retry
    from bridge.i18n import t

    pairs = per_mailbox(cfg)
    if mailbox is not None:
        pairs = [(b, c) for b, c in pairs if b.name == mailbox]
        if not pairs:
            names = ", ".join(b.name for b in cfg.mailboxes)
            err(t("retry.no_such_mailbox", name=repr(mailbox), names=names))
            return EX_DATAERR
    elif ids:
        err(t("retry.needs_mailbox"))
        return 64  # a command-line usage error (SPEC §1)
    return combine([cmd_retry(c, ids, all_) for _b, c in pairs])


@contextlib.contextmanager
def _captured() -> Iterator[io.StringIO]:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        yield buf

