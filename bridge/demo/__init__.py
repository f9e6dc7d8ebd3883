"""`mailbridge demo`: the real pipeline over bundled form e-mails into a local sandbox.

No mailbox, no portal and no config are needed: the sample messages (a RostFerrum form
with seven files, a WPForms HTML table, a windows-1251 1C-Bitrix form, a form with an .exe
and a .zip, an auto-reply, and a double click) are read from a temporary folder, the
ledger lives in a temporary directory, and the leads go to a Bitrix24 sandbox started on
loopback. It prints what the sandbox received.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any, TextIO

from bridge.dirsource import DirMailbox
from bridge.leads import LeadSettings
from bridge.pipeline import Pipeline, Settings


def sample_files() -> list[Path]:
    root = resources.files("bridge.demo")
    return sorted(Path(str(p)) for p in root.iterdir() if str(p).endswith(".eml"))


def _cell(value: Any, width: int) -> str:
    text = "" if value is None else str(value)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _multi(lead: dict[str, Any], key: str) -> str:
    items = lead.get(key) or []
    return ", ".join(str(i.get("VALUE", "")) for i in items if isinstance(i, dict))


def run_demo(out: TextIO) -> int:
    """Run the samples through the real pipeline into a sandbox on loopback; print the leads."""
    from bridge.crm import Bitrix24Client
    from bridge.demo.routing import run_routing_demo
    from bridge.ratelimit import LeakyBucket
    from bridge.sandbox import SandboxServer
    from bridge.store import Ledger

    work = Path(tempfile.mkdtemp(prefix="mailbridge-demo-"))
    try:
        inbox = work / "inbox"
        inbox.mkdir()
        for path in sample_files():
            shutil.copyfile(path, inbox / path.name)
        with SandboxServer(rate=50.0, burst=50) as sandbox:
            ledger = Ledger.open(work / "demo.db")
            settings = Settings(
                folder="INBOX",
                processed_folder="Processed",
                since_days=36500,
                file_field="auto",
                lead=LeadSettings(source_description="mailbridge demo"),
                dedupe_window=timedelta(minutes=10),
            )
            crm = Bitrix24Client(sandbox.webhook_url, bucket=LeakyBucket(50.0, 50))
            pipeline = Pipeline(settings, ledger, crm, lambda: DirMailbox(inbox))
            report = pipeline.poll_once()
            pipeline.close()
            rows = ledger.all_messages() if hasattr(ledger, "all_messages") else []
            print(f"mailbridge demo: {len(sample_files())} sample form e-mails -> "
                  f"local Bitrix24 sandbox at {sandbox.host}:{sandbox.port}", file=out)
            print("", file=out)
            _print_leads(sandbox.portal, out)
            _print_not_leads(rows, out)
            print("", file=out)
            print(
                f"created={report.created} duplicates={report.duplicates} "
                f"skipped={report.skipped} quarantined={report.quarantined}; "
                f"Bitrix24 requests: {sandbox.portal.stats().get('requests', '?')}",
                file=out,
            )
            ledger.close()
            run_routing_demo(sandbox, crm, work, out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _print_leads(portal: Any, out: TextIO) -> None:
    """One table row per lead the sandbox received, with its files and the files refused."""
    header = f"{'lead':>4}  {'title':<36} {'name':<26} {'phone':<13} {'e-mail':<26} files"
    print(header, file=out)
    print("-" * len(header), file=out)
    for lead in portal.list_leads():
        lead_id = int(lead["ID"])
        files = portal.lead_files(lead_id)
        print(
            f"{lead_id:>4}  {_cell(lead.get('TITLE'), 36):<36} "
            f"{_cell(lead.get('NAME'), 26):<26} {_cell(_multi(lead, 'PHONE'), 13):<13} "
            f"{_cell(_multi(lead, 'EMAIL'), 26):<26} {len(files)}",
            file=out,
        )
        for name, data in files:
            print(f"{'':>6}file: {name} ({len(data)} bytes)", file=out)
        comments = str(lead.get("COMMENTS") or "")
        if "Файлы не приложены:" in comments:
            for line in comments.split("Файлы не приложены:", 1)[1].splitlines():
                if line.startswith("- "):
                    print(f"{'':>6}not attached: {line[2:]}", file=out)


def _print_not_leads(rows: list[Any], out: TextIO) -> None:
    """The messages that made no lead, each with the reason the ledger recorded."""
    not_leads = [r for r in rows if r.state in ("skipped", "duplicate", "quarantined")]
    if not not_leads:
        return
    print("", file=out)
    print("no lead, recorded with the reason:", file=out)
    for r in not_leads:
        why = r.reason or (f"double click of #{r.duplicate_of}")
        print(f"  #{r.id} {_cell(r.subject, 50)}: {r.state} ({why})", file=out)
