"""Peak memory of ``--poll-now`` over one big mail, fetched whole and as a stand-in.

    .venv/bin/python bench/oversized.py [--mail-mb 30] [--limit-mb 8]

One form e-mail with a ``--mail-mb`` MiB PDF (random bytes, so base64 makes the mail about
4/3 of that) is read twice, each time from a fresh mailbox and ledger: with the default
``imap.max_message_mb = 64`` (fetched whole when it fits under that) and with
``--limit-mb`` (only its header, BODYSTRUCTURE and text parts are fetched). The peak is the
child's VmHWM (see bench/memory.py for why not wait4's ru_maxrss). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import sys
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import banner, bench_config, dovecot, new_account, sandbox, start_cli, workdir
from memory import Sampler

MIB = 1024 * 1024


def big_mail(mail_mb: float) -> bytes:
    msg = EmailMessage()
    msg["From"] = "noreply@rostferrum.ru"
    msg["To"] = "zayavki@rostferrum.ru"
    msg["Subject"] = "Заявка с сайта"
    msg["Date"] = "Mon, 30 Nov 2026 09:00:00 +0000"
    msg["Message-ID"] = "<oversized-bench@rostferrum.ru>"
    msg.set_content("Имя: Иван Петров\nТелефон: +7 912 345-67-89\nСообщение: счёт, см. файл\n")
    msg.add_attachment(os.urandom(int(mail_mb * MIB)), maintype="application",
                       subtype="pdf", filename="scan.pdf")
    return msg.as_bytes()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mail-mb", type=float, default=30.0)
    ap.add_argument("--limit-mb", type=int, default=8)
    args = ap.parse_args()
    banner("oversized mail: peak RSS of --poll-now, whole vs. stand-in")
    raw = big_mail(args.mail_mb)
    print(f"mail size {len(raw) / MIB:.1f} MiB")
    with dovecot() as server, workdir() as tmp:
        for limit in (64, args.limit_mb):
            account = new_account(server)
            account.deliver(raw)
            run_dir = tmp / f"limit-{limit}"
            run_dir.mkdir()
            with sandbox(1000.0, 1000) as sb:
                cfg = bench_config(run_dir / "config.toml", account, sb.webhook_url,
                                   rate=1000.0, burst=1000, max_size_mb=64)
                text = cfg.read_text(encoding="utf-8").replace(
                    "[imap]\n", f"[imap]\nmax_message_mb = {limit}\n", 1)
                cfg.write_text(text, encoding="utf-8")
                child = start_cli(cfg, "--poll-now", out_dir=run_dir)
                sampler = Sampler(child.pid, child.started)
                run = child.wait(600)
                sampler.stop()
                leads = sb.portal.list_leads()
                files = sum(len(sb.portal.lead_files(int(x["ID"]))) for x in leads)
            summary = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else "-"
            print(f"max_message_mb={limit:<3} exit {run.code}; peak RSS (VmHWM) "
                  f"{sampler.hwm_kib / 1024:.1f} MiB; leads {len(leads)}, files {files}; "
                  f"wall {run.wall:.1f} s; {summary}")
            if run.code != 0:
                print(run.tail(15))


if __name__ == "__main__":
    main()
