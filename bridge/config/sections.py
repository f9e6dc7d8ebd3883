"""The sections that shape what is made of a mail: ``[attachments]``, ``[filter]``,
``[dedupe]``, ``[parsing]``, ``[retry]``, ``[store]`` and ``[ui]``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bridge.config.keys import (
    EXTENSION_RE,
    FILE_FIELD_RE,
    LABEL_CANONICALS,
    LEAD_FIELD_RE,
    REGION_RE,
    RESERVED_LEAD_FIELDS,
    SENDER_RE,
    UNRECOGNISED_MODES,
)
from bridge.config.secret_values import store_url
from bridge.config.section import Section, show
from bridge.config.values import (
    AttachmentsConfig,
    DedupeConfig,
    FilterConfig,
    ParsingConfig,
    RetryConfig,
    StoreConfig,
    UiConfig,
)
from bridge.i18n import SETTINGS as LANGUAGE_SETTINGS

if TYPE_CHECKING:
    from bridge.config.reader import Reader


def attachments(loader: Reader) -> AttachmentsConfig:
    s = loader.section("attachments")
    d = AttachmentsConfig()
    file_field = s.text("field", d.field).strip()
    if file_field.lower() == "auto":
        file_field = "auto"
    elif file_field and not FILE_FIELD_RE.match(file_field):
        raise s.fail(
            "field",
            f'expected "auto", a lead user field like "UF_CRM_1701234567" (or "" for a '
            f"timeline comment), got {show(file_field)}",
        )
    allowed: list[str] = []
    for i, ext in enumerate(s.text_list("allowed", d.allowed)):
        norm = ext.strip().lstrip(".").lower()
        if not EXTENSION_RE.match(norm):
            raise s.fail(
                "allowed", f'item {i + 1}: expected a file extension like "pdf", got {show(ext)}'
            )
        if norm not in allowed:
            allowed.append(norm)
    return AttachmentsConfig(
        field=file_field,
        allowed=tuple(allowed),
        max_size_mb=s.number("max_size_mb", d.max_size_mb, positive=True),
        max_total_mb=s.number("max_total_mb", d.max_total_mb, positive=True),
    )


def filter_(loader: Reader) -> FilterConfig:
    s = loader.section("filter")
    senders: list[str] = []
    for i, sender in enumerate(s.text_list("senders", FilterConfig().senders)):
        norm = sender.strip().lower()
        if not SENDER_RE.match(norm):
            raise s.fail(
                "senders",
                f'item {i + 1}: expected an address ("forms@site.ru") or a domain '
                f'("@site.ru"), got {show(sender)}',
            )
        if norm not in senders:
            senders.append(norm)
    return FilterConfig(senders=tuple(senders))


def dedupe(loader: Reader) -> DedupeConfig:
    s = loader.section("dedupe")
    return DedupeConfig(
        window_minutes=s.integer("window_minutes", DedupeConfig().window_minutes, low=0)
    )


def parsing(loader: Reader) -> ParsingConfig:
    s = loader.section("parsing")
    d = ParsingConfig()
    region = s.text("default_region", d.default_region).strip().upper()
    if not REGION_RE.match(region):
        raise s.fail(
            "default_region", f'expected a two-letter country code like "RU", got {show(region)}'
        )
    labels_table = s.subtable("labels")
    loader.reject_unknown(labels_table, "parsing.labels", LABEL_CANONICALS)
    labels = tuple(
        (name, tuple(x.strip() for x in s.strings(value, f"parsing.labels.{name}")))
        for name in LABEL_CANONICALS
        if (value := labels_table.get(name)) is not None
    )
    return ParsingConfig(
        default_region=region,
        labels=labels,
        fields=_label_fields(s),
        spam_max_links=s.integer("spam_max_links", d.spam_max_links, low=0),
        spam_words=tuple(w.strip() for w in s.text_list("spam_words", d.spam_words)),
        unrecognised=s.choice("unrecognised", d.unrecognised, UNRECOGNISED_MODES),
    )


def _label_fields(s: Section) -> tuple[tuple[str, str], ...]:
    """``[parsing.fields]``: form label -> a lead field the bridge does not fill itself."""
    fields: list[tuple[str, str]] = []
    for label, value in s.subtable("fields").items():
        key = f"fields.{label}"
        target = value.strip() if isinstance(value, str) else None
        if target is None or not LEAD_FIELD_RE.match(target):
            raise s.fail(
                key,
                'expected a lead field name in capitals like "COMPANY_TITLE" or '
                f'"UF_CRM_CITY", got {show(value)}',
            )
        if target in RESERVED_LEAD_FIELDS:
            raise s.fail(key, f"{target} is filled by mailbridge itself; map the label elsewhere")
        if not label.strip():
            raise s.fail(key, "the form label must not be empty")
        fields.append((label.strip(), target))
    return tuple(fields)


def retry(loader: Reader) -> RetryConfig:
    s = loader.section("retry")
    d = RetryConfig()
    max_attempts = s.integer("max_attempts", d.max_attempts, low=1)
    base = s.number("backoff_base", d.backoff_base, positive=True)
    cap = s.number("backoff_cap", d.backoff_cap, positive=True)
    if cap < base:
        raise s.fail("backoff_cap", f"must be at least retry.backoff_base ({base:g}), got {cap:g}")
    return RetryConfig(max_attempts=max_attempts, backoff_base=base, backoff_cap=cap)


def store(loader: Reader) -> StoreConfig:
    s = loader.section("store")
    d = StoreConfig()
    raw = s.text("path", str(d.path)).strip()
    if not raw:
        raise s.fail("path", f'must not be empty; e.g. "{d.path}"')
    p = loader.resolve(raw)
    if p.is_dir():
        raise s.fail("path", f"{p} is a folder; name the SQLite file, e.g. {d.path}")
    keep_days = s.integer("keep_days", d.keep_days, low=1)
    takeover = s.number("takeover_seconds", d.takeover_seconds, positive=True)
    return StoreConfig(path=p, keep_days=keep_days, url=store_url(loader, s),
                       takeover_seconds=takeover)


def ui(loader: Reader) -> UiConfig:
    s = loader.section("ui")
    return UiConfig(language=s.choice("language", UiConfig().language, LANGUAGE_SETTINGS))
