"""``python -m bridge.sandbox [--port N] [--rate R] [--burst B]``: run a sandbox portal."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from bridge.sandbox.server import SandboxServer


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bridge.sandbox",
                                 description="Run a local Bitrix24 sandbox portal.")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="0 = any free port")
    ap.add_argument("--rate", type=float, default=2.0, help="bucket drain, requests/s")
    ap.add_argument("--burst", type=int, default=50, help="bucket size")
    ap.add_argument("--user-id", type=int, default=1)
    ap.add_argument("--code", default="XXXXXXXXXXXXXXXX", help="the webhook secret")
    args = ap.parse_args(argv)
    server = SandboxServer(args.host, args.port, user_id=args.user_id, code=args.code,
                           rate=args.rate, burst=args.burst).start()
    print(server.webhook_url, flush=True)
    print(f"control API: {server.base_url}/_sandbox/ (leads, requests, stats, faults, reset)",
          file=sys.stderr, flush=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
