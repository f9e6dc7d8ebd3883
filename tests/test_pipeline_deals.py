"""The deal target shares the lead's handling of a wrong setup (bridge.pipeline.outcomes):
driven through poll_once against the loopback sandbox, which answers as the docs say."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.errors import CrmSetupError
from bridge.leads import LeadSettings
from bridge.pipeline import Pipeline, Settings
from bridge.routes import CrmConfig
from bridge.sandbox import SandboxServer
from bridge.sandbox.entities import state
from bridge.states import CREATED, FAILED
from bridge.store import Ledger
from tests.bitrix_fixtures import FAST_BURST, FAST_RATE, make_client
from tests.forms import form_email
from tests.pipeline_fakes import FakeMailbox


@pytest.fixture
def sb() -> Iterator[SandboxServer]:
    """A sandbox portal with user 1."""
    server = SandboxServer(rate=FAST_RATE, burst=FAST_BURST).start()
    server.portal.add_user(1)
    try:
        yield server
    finally:
        server.stop()


def test_a_blocked_webhook_on_the_deal_target_sends_nothing_and_keeps_the_mail(
    tmp_path: Path, sb: SandboxServer,
) -> None:
    """crm.target = "deal", one deal at a time, and a blocked webhook: the pass raises the
    setup error, the row records it, no deal exists and the mail stays; once the webhook is
    restored, exactly one deal is made and the mail is finished."""
    box = FakeMailbox()
    settings = Settings(since_days=36500, crm=CrmConfig(target="deal"), batch=False,
                        lead=LeadSettings(responsible_user_id=1))
    ledger = Ledger.open(tmp_path / "bridge.db")
    pipe = Pipeline(settings, ledger, make_client(sb), lambda: box)
    try:
        pipe.poll_once()  # the ledger learns the folder: no first-pass lookup
        box.deliver(form_email(1))
        sb.configure(blocked=True)
        with pytest.raises(CrmSetupError):
            pipe.poll_once()
        row = ledger.by_id(1)
        assert row is not None and row.state == FAILED and (row.error or "").startswith("setup:")
        assert state(sb.portal).deals == {} and box.finished == {}
        sb.configure(blocked=False)
        pipe.poll_once()
        row = ledger.by_id(1)
        assert row is not None and row.state == CREATED and len(state(sb.portal).deals) == 1
        assert box.finished
    finally:
        pipe.close()
        ledger.close()
