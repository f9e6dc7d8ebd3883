"""``parse``: .eml files read offline, each shown as the lead it would become (sends nothing)."""

from __future__ import annotations

import argparse
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from bridge import i18n
from bridge.cli.common import EX_DATAERR, EX_NOINPUT, EX_OK, err, load_config
from bridge.errors import ParseError


def cmd_parse(args: argparse.Namespace) -> int:
    """Parse each file as the pipeline would; 0, or 65 for an unreadable one, 66 a missing one."""
    from bridge.dedupe import find_first
    from bridge.model import ParseOptions
    from bridge.parsing import parse_message
    from bridge.parsing.report import to_json
    from bridge.pipeline import summary

    options = ParseOptions()
    window = timedelta(minutes=10)
    cfg = None
    if getattr(args, "config", None):
        cfg = load_config(args, offline=True)
        options = cfg.parse_options()
        window = timedelta(minutes=cfg.dedupe.window_minutes)
    results: list[dict[str, Any]] = []
    history: list[tuple[str, Any, Any]] = []
    code = EX_OK
    for name in args.files:
        path = Path(name)
        if not path.is_file():
            err(i18n.t("cli.no_such_file", name=name))
            return EX_NOINPUT
        raw = path.read_bytes()
        base = path.name.removesuffix(".eml")
        try:
            parsed = parse_message(raw, options)
        except ParseError as exc:
            err(i18n.t("cli.not_a_message", name=name, error=exc))
            code = EX_DATAERR
            results.append({"file": name, "error": str(exc)})
            continue
        _, when = summary(raw, None)
        first = find_first(parsed, when, history, window)
        history.append((base, parsed, when))
        item = to_json(parsed, duplicate_of=first)
        if first is not None:
            item["create_lead"] = False
            item["duplicate_of"] = first
            item["reason"] = "double click"
        if cfg is not None:  # which [[routes]] table matched (bridge.crm_target)
            from bridge.crm_target import route_report

            item["route"] = route_report(cfg, raw, parsed)
        item = {"file": name, **item}
        results.append(item)
    if args.json:
        payload: Any = results[0] if len(results) == 1 else results
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        for item in results:
            print(_human(item))
    return code


def _human(item: dict[str, Any]) -> str:
    if "error" in item:
        return f"{item['file']}: not a readable message ({item['error']})"
    lines = [f"{item['file']}:"]
    verdict = "creates a lead" if item.get("create_lead") else (
        f"no lead ({item.get('reason') or 'not a form'})"
    )
    lines.append(f"  {verdict}")
    if item.get("route"):
        r = item["route"]
        lines.append(f"  route: {r['route']} -> {r['target']}"
                     + (f" (funnel {r['category_id']})" if r["target"] == "deal" else ""))
    for key in ("name", "phone", "email"):
        lines.append(f"  {key}: {item.get(key) or '-'}")
    if item.get("other_phones"):
        lines.append(f"  other phones: {', '.join(item['other_phones'])}")
    if item.get("phone_extension"):
        lines.append(f"  extension: {item['phone_extension']}")
    message = item.get("message") or "-"
    if len(message) > 300:
        message = message[:300] + f"… ({len(message)} characters)"
    lines.append("  message: " + message.replace("\n", "\n           "))
    for label, value in (item.get("extra") or {}).items():
        lines.append(f"  {label}: {value}")
    for a in item.get("attachments") or []:
        lines.append(f"  file: {a['filename']} ({a['size']} bytes)")
    for r in item.get("rejected_attachments") or []:
        lines.append(f"  not attached: {r['filename']} ({r['reason']})")
    return "\n".join(lines)
