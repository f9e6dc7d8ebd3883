"""poll_once(): the only place the steps are sequenced.

One pass: intake (new mail by UID -> a ledger row each, committed before anything else
happens), then every due row is parsed, decided and pushed, then the mailbox is updated
for every finished row. Each step is committed to the ledger before the next side effect,
so a kill at any instant resumes correctly:

* a row in ``pushing`` (or one that failed before) is looked up by ORIGIN_ID before it is
  sent again; a lead whose answer was lost is found instead of created twice;
* the mail is marked or moved only after its outcome is committed;
* a message that fails is recorded and the others go on (per-message failures), while a
  wrong setup (webhook rejected, login refused) stops the run (per-run failures); under the
  daemon's ``Refusal`` a refused mailbox is recorded and retried instead (bridge.refusal).

Text-only leads of a backlog travel in ``batch`` calls of up to 50; a lead with files is
one ``crm.lead.add`` with the files inline.

The package, one module per step:

* ``core``      - ``Pipeline``: the public face, sequencing one pass;
* ``settings``  - ``Settings``, the config values it uses;
* ``protocols`` - ``Mailbox`` (and its optional features), ``Crm`` and ``Ledger``;
* ``context``   - what the steps share;
* ``intake``    - new mail into the ledger, headers read once per message;
* ``push``      - parse, decide, send leads (alone or in batches);
* ``dealpush``  - routing and the deal target;
* ``lookups``   - looking a lead up by ORIGIN_ID before anything is sent again;
* ``outcomes``  - what an attempt leaves in the ledger (retry, rejected, found, setup error);
* ``forms``     - the stored mail parsed again, the sender filter;
* ``finish``    - owed timeline comments, then the mailbox update.
"""

from __future__ import annotations

from bridge.pipeline.context import OnLead, seconds_since_sent
from bridge.pipeline.core import Pipeline
from bridge.pipeline.forms import sender_allowed
from bridge.pipeline.intake import summary, summary_of
from bridge.pipeline.protocols import (
    Crm,
    FinishesMany,
    KnowsUidNext,
    Ledger,
    Mailbox,
    MailboxFeatures,
    ReportsUnreadable,
)
from bridge.pipeline.settings import BATCH_MAX, FINISH_CHUNK, Settings
from bridge.states import FINISHED as FINISHED_STATES
from bridge.states import PUSHABLE as PUSH_STATES

__all__ = [
    "BATCH_MAX",
    "FINISHED_STATES",
    "FINISH_CHUNK",
    "PUSH_STATES",
    "Crm",
    "FinishesMany",
    "KnowsUidNext",
    "Ledger",
    "Mailbox",
    "MailboxFeatures",
    "OnLead",
    "Pipeline",
    "ReportsUnreadable",
    "Settings",
    "seconds_since_sent",
    "sender_allowed",
    "summary",
    "summary_of",
]
