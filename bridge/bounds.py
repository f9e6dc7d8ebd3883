"""Bounds on what one enquiry puts into a lead: the whole COMMENTS, not only the message.

COMMENTS is a TEXT column on the portal (65,535 bytes; ``docs/bitrix24.md``). A form can carry
a huge value in any labelled field, not only in the message, so the rendered comment as a whole
is bounded; when it is cut, the enquiry's full text goes with the lead as a .txt file
(SPEC §3), so nothing the client wrote is lost. Pure functions.
"""

from __future__ import annotations

from bridge.model import ParsedForm

# Bytes of UTF-8, with room under the 65,535-byte column for the portal's own markup.
COMMENTS_MAX_BYTES = 50_000


def _cut_point(text: str, budget: int) -> int:
    """Where to cut ``text`` so its first part is at most ``budget`` UTF-8 bytes.

    At a line end when one is reasonably close, never inside an HTML entity (``&amp;``).
    """
    data = text.encode("utf-8")[:budget]
    head = data.decode("utf-8", errors="ignore")
    line_end = head.rfind("\n")
    if line_end >= len(head) * 3 // 4:
        return line_end
    amp = head.rfind("&")
    if amp != -1 and ";" not in head[amp:] and amp >= len(head) - 12:
        return amp
    return len(head)


def bound_comments(comments: str, full_text_name: str,
                   max_bytes: int = COMMENTS_MAX_BYTES) -> tuple[str, bool]:
    """``comments`` cut to ``max_bytes`` with a note naming the attached full text.

    Returns (text, cut). An uncut text is returned as it is.
    """
    if len(comments.encode("utf-8")) <= max_bytes:
        return comments, False
    note = f"\n(…текст обрезан, полный текст в {full_text_name})"  # no bracket: no BB tag
    budget = max(0, max_bytes - len(note.encode("utf-8")))
    return comments[: _cut_point(comments, budget)].rstrip() + note, True


def full_text(parsed: ParsedForm) -> str:
    """Everything the client wrote, as plain text: the message, then ``Label: value`` lines."""
    parts: list[str] = []
    if parsed.message:
        parts.append(parsed.message)
    lines: list[str] = []
    if parsed.name:
        lines.append(f"Имя: {parsed.name}")
    if parsed.phone_extension:
        lines.append(f"Добавочный номер: {parsed.phone_extension}")
    email = parsed.invalid_email or parsed.email
    if email:
        lines.append(f"E-mail: {email}")
    lines.extend(f"{label}: {value}" for label, value in parsed.extra)
    if lines:
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"
