"""bytes -> ParsedForm: decode, decide the kind of mail, extract the client's fields.

:func:`parse_message` is the whole of parsing as the pipeline sees it. Decoding (MIME,
charsets, attachments, auto-submitted detection) is :mod:`bridge.parsing.mime`; this module
reads the fields (:mod:`bridge.parsing.merge`, :mod:`bridge.parsing.fields`), decides what
kind of mail it is (the rules: :mod:`bridge.parsing.kind`, :mod:`bridge.parsing.parties`) in
this order, and fills the client's fields:

1. bounces and auto-replies are not forms (``reason`` "bounce" / "auto-reply");
2. the form fields are read from the forwarded message when there is one;
3. bulk mail is not a lead unless it is plainly a form notification ("bulk mail");
4. CMS system notices from the forms' own sender are not forms ("system notice");
5. an empty form is a form but not a lead ("empty form");
6. a message with no client field in any known layout ("layout not recognised") becomes
   a lead made of its whole text when it is plainly a form notification and
   ``parsing.unrecognised`` is "lead" (:mod:`bridge.parsing.unread`); otherwise it is
   quarantined so a person can look at it;
7. a spam submission is a form, flagged, not a lead ("spam": see
   :func:`bridge.parsing.kind.is_spam`).
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import Any

from bridge.errors import ParseError
from bridge.model import ParsedForm, ParseOptions
from bridge.parsing.client import choose_email, choose_name, choose_phones
from bridge.parsing.doc import MailDoc
from bridge.parsing.fields import Fields, interpret
from bridge.parsing.freetext import settle_message
from bridge.parsing.htmltext import html_to_text
from bridge.parsing.kind import EMPTY_FORM, FORM_SUBJECT, is_spam, plainly_form, system_notice
from bridge.parsing.merge import Reading, read_pairs
from bridge.parsing.mime import decode
from bridge.parsing.parties import Parties, find_parties, footer_trim, opencart, site_sender
from bridge.parsing.phones import parse_phone_field
from bridge.parsing.unread import form_notification, unread_text

log = logging.getLogger("bridge.parsing")

_DEFAULT_OPTIONS = ParseOptions()


def parse_message(raw: bytes, options: ParseOptions = _DEFAULT_OPTIONS) -> ParsedForm:
    """Parse one raw message; raises only ParseError (unreadable bytes)."""
    doc = decode(raw, options)
    try:
        return parse_doc(doc, options)
    except ParseError:
        raise
    except Exception as exc:  # a bug in a layout rule must not stop the mailbox
        log.error("event=extract_failed error=%s", type(exc).__name__)
        raise ParseError(f"field extraction failed: {type(exc).__name__}") from exc


def _base(doc: MailDoc, *, is_form: bool, create_lead: bool, **kw: Any) -> ParsedForm:
    base = ParsedForm(
        message_id=doc.message_id,
        subject=doc.subject,
        sender=doc.from_.addr if doc.from_ else None,
        date=doc.date,
        is_form=is_form,
        create_lead=create_lead,
    )
    return replace(base, **kw) if kw else base


def _body_text(doc: MailDoc) -> str:
    parts = []
    if doc.text:
        parts.append(doc.text)
    if doc.html:
        parts.append(html_to_text(doc.html))
    return "\n".join(parts)


def _unwrap(doc: MailDoc) -> tuple[MailDoc, list[MailDoc]]:
    """The innermost forwarded message, and the forwarding messages around it."""
    outer: list[MailDoc] = []
    work = doc
    while work.forwarded is not None and len(outer) < 5:
        outer.append(work)
        work = work.forwarded
    return work, outer


def parse_doc(doc: MailDoc, options: ParseOptions = _DEFAULT_OPTIONS) -> ParsedForm:
    """Classify and extract one decoded message (see the module docstring)."""
    if doc.auto_kind in ("bounce", "auto-reply"):
        return _base(doc, is_form=False, create_lead=False, reason=doc.auto_kind)
    work, forwarders, reading, fields = _read(doc, options)
    settle_message(fields, reading, options)
    body = reading.body or _body_text(work)
    plainly = plainly_form(fields, work.subject, body, reading.pairs)
    if doc.auto_kind == "bulk mail" and not plainly:
        return _base(doc, is_form=False, create_lead=False, reason="bulk mail")
    notice = system_notice(work, body)
    if notice == "sure" or (notice == "wording" and not plainly):
        return _base(doc, is_form=False, create_lead=False, reason="system notice")
    who = find_parties(doc, work, forwarders, reading.forward, body, options, fields.message)
    shop = not fields.client_values and opencart(work, who, body)
    if shop:
        fields.name = " ".join((who.from_name or "").split())
        fields.message = body.strip()
    common = _client(fields, who, work, options)
    return _decide(doc, work, forwarders, fields, who, body, common, shop, options)


def _read(doc: MailDoc, options: ParseOptions) -> tuple[MailDoc, list[MailDoc], Reading, Fields]:
    """The message the form is in, its forwarders, the chosen reading and what it means."""
    work, forwarders = _unwrap(doc)
    trim = footer_trim(doc, work, forwarders, options)
    reading = read_pairs(work.text, work.html, options, work.subject or "", trim)
    fields = interpret(reading.pairs, options)
    if forwarders and not fields.client_values:
        # the attached message is no form (a letter attached for reference): the form, if
        # any, is in the forwarding message itself
        outer = read_pairs(doc.text, doc.html, options, doc.subject or "")
        outer_fields = interpret(outer.pairs, options)
        if outer_fields.client_values:
            return doc, [], outer, outer_fields
    return work, forwarders, reading, fields


def _client(fields: Fields, who: Parties, work: MailDoc, options: ParseOptions) -> dict[str, Any]:
    """The client's name, e-mail, phones and the other fields, as ParsedForm's keywords."""
    site = who.site
    name = choose_name(fields, who.reply_to, who.from_name, who.from_is_client, site)
    email, invalid = choose_email(
        fields, [a for _, a in who.reply_to], who.from_addr, who.from_is_client,
        "\n".join([fields.message or "", *(v for _, v in fields.extra)]), site,
    )
    phones = choose_phones(fields, options)
    for label, value in zip(fields.phone_labels, fields.phone_values, strict=True):
        # what the visitor typed when it is no number ("не звонить") stays readable
        if not parse_phone_field(value, options.default_region) and \
                value.strip().casefold() != (email or "").casefold():
            fields.extra.append((label, value))
    return dict(
        name=name,
        phone=phones[0].e164 if phones else None,
        other_phones=tuple(p.e164 for p in phones[1:]),
        phone_extension=phones[0].extension if phones else None,
        email=email,
        invalid_email=invalid,
        message=fields.message,
        extra=tuple(fields.extra),
        lead_fields=tuple(fields.lead_fields),
        attachments=tuple(work.attachments),  # a forward's files are the inner message's
        rejected_attachments=tuple(work.rejected),
    )


def _decide(doc: MailDoc, work: MailDoc, forwarders: list[MailDoc], fields: Fields,
            who: Parties, body: str, common: dict[str, Any], shop: bool,
            options: ParseOptions) -> ParsedForm:
    """Empty form, whole-text lead, quarantine, spam or lead (steps 5 to 7)."""
    unread = not fields.client_values and not shop
    if unread and (EMPTY_FORM.search(body) or (fields.client_labels and not fields.other_values)):
        return _base(doc, is_form=True, create_lead=False, reason="empty form", **common)
    whole = unread_text(body, options) if unread and options.unrecognised == "lead" else ""
    if re.search(r"\w", whole) and form_notification(
            work, options, form_subject=bool(FORM_SUBJECT.search(work.subject or "")),
            site_sender=site_sender(doc, work, forwarders, who, options),
            labelled=bool(fields.other_values)):
        # an enquiry is never lost to a layout: the whole text goes to the lead
        return _base(doc, is_form=True, create_lead=True, unrecognised=True,
                     reason="layout not recognised", message=whole,
                     attachments=common["attachments"],
                     rejected_attachments=common["rejected_attachments"])
    if unread:
        # what a letter's signature or a notice's lines look like is no client data
        common.update(name=None, phone=None, other_phones=(), phone_extension=None,
                      email=None, invalid_email=None, message=None, extra=(), lead_fields=())
        return _base(doc, is_form=False, create_lead=False, quarantine=True,
                     reason="layout not recognised", **common)
    if is_spam(fields.message, common["name"], common["phone"] is not None, options):
        return _base(doc, is_form=True, create_lead=False, spam=True, reason="spam", **common)
    return _base(doc, is_form=True, create_lead=True, **common)
