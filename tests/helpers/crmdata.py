"""Lead fields and files for the Bitrix24Client tests against the sandbox."""

from __future__ import annotations

from typing import Any

from bridge.model import Attachment

PDF = Attachment("счёт №1 (final)+.pdf", "application/pdf",
                 b"%PDF-1.4\n" + bytes(range(256)) * 50 + b"\xfb\xff\xbf" * 100)
PNG = Attachment("photo.png", "image/png", b"\x89PNG\r\n\x1a\n" + b"\x00\xff" * 999)


def lead_fields(origin: str, **extra: Any) -> dict[str, Any]:
    """The fields of a lead with ``origin`` as its ORIGIN_ID and one work phone."""
    return {"TITLE": f"Form {origin}", "ORIGINATOR_ID": "mailbridge", "ORIGIN_ID": origin,
            "PHONE": [{"VALUE": "+79991234567", "VALUE_TYPE": "WORK"}], **extra}
