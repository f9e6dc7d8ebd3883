"""``retry``: failed or quarantined messages made due again now (the ledger only)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bridge import app, i18n
from bridge.cli.common import EX_DATAERR, EX_OK, EX_USAGE, err

if TYPE_CHECKING:
    from bridge.config import Config


def cmd_retry(cfg: Config, ids: Sequence[int], all_: bool) -> int:
    """Make the rows with ``ids`` (or all failed and quarantined ones) due now; 64 neither
    given, 65 an ID the ledger does not have."""
    if not ids and not all_:
        err(i18n.t("retry.usage"))
        return EX_USAGE
    ledger = app.open_ledger(cfg)
    try:
        unknown = [] if all_ else [i for i in dict.fromkeys(ids) if ledger.by_id(i) is None]
        if unknown:
            err(i18n.t("retry.unknown", ids=", ".join(f"#{i}" for i in unknown)))
            return EX_DATAERR
        rows = ledger.retry(None if all_ else list(ids))
    finally:
        ledger.close()
    if not rows:
        print(i18n.t("retry.nothing" if all_ else "retry.nothing_ids"))
        return EX_OK
    for r in rows:
        print(i18n.t("retry.due", id=r.id, subject=r.subject or "",
                     was=r.reason or r.error or r.state))
    print(i18n.t("retry.total", n=len(rows)))
    return EX_OK
