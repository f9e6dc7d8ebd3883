"""bytes -> ParsedForm: decode, classify, extract.

:func:`parse_message` is the whole of parsing as the pipeline sees it. Decoding (MIME,
charsets, attachments, auto-submitted detection) is :mod:`bridge.parsing.mime`; this module
decides what kind of mail it is and fills the client's fields:

1. bounces and auto-replies are not forms (``reason`` "bounce" / "auto-reply");
2. the form fields are read from the forwarded message when there is one;
3. bulk mail is not a lead unless it is plainly a form notification ("bulk mail");
4. CMS system notices from the forms' own sender are not forms ("system notice");
5. an empty form is a form but not a lead ("empty form");
6. a message with no client field in any known layout ("layout not recognised") becomes
   a lead made of its whole text when it is plainly a form notification and
   ``parsing.unrecognised`` is "lead" (:mod:`bridge.parsing.unread`); otherwise it is
   quarantined so a person can look at it;
7. a spam submission is a form, flagged, not a lead ("spam": see :func:`is_spam`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from bridge.errors import ParseError
from bridge.model import ParsedForm, ParseOptions
from bridge.parsing.client import (
    PUBLIC_DOMAINS,
    Site,
    choose_email,
    choose_name,
    choose_phones,
    domain_of,
    find_addresses,
    person_like,
)
from bridge.parsing.doc import MailDoc
from bridge.parsing.fields import Fields, Forward, interpret, read_pairs
from bridge.parsing.freetext import settle_message
from bridge.parsing.htmltext import html_to_text
from bridge.parsing.junk import footer_trimmer
from bridge.parsing.labels import normalize_label
from bridge.parsing.phones import parse_phone_field
from bridge.parsing.shapes import mentions_domain, messenger_links, outside_message
from bridge.parsing.unread import form_notification, unread_text

__all__ = ["ParseError", "is_spam", "parse_doc", "parse_message"]

log = logging.getLogger(__name__)

_DEFAULT_OPTIONS = ParseOptions()

# WPForms' notice for a submission without data (en / ru), on a line of its own
_EMPTY_FORM = re.compile(
    r"^\W*(?:an empty form was submitted|была отправлена пустая форма|"
    r"форма была отправлена пустой)\W*$",
    re.IGNORECASE | re.MULTILINE,
)
# Subjects and phrases of the mails a CMS sends about itself (WordPress core, WooCommerce,
# 1C-Bitrix, Drupal, Joomla), in English and Russian.
_NOTICE_SUBJECT = re.compile(
    r"automatically updated|автоматически обновлены|background update|фоново[ей] обновлени|"
    r"has updated to wordpress|обновл[её]н до (?:wordpress|версии)|update (?:failed|available)|"
    r"доступн\w* обновлени|new release|новы[ея] верси|password reset|сброс пароля|"
    r"password changed|пароль (?:был )?изм[её]н|смен\w* пароля|восстановлени\w* пароля|"
    r"new user registration|регистрация нового пользователя|новый пользователь|"
    r"зарегистрировался новый пользователь|регистрационная информация|login details|"
    r"данные для входа|account details|данные (?:учетной|учётной) записи|"
    r"please moderate|проверьте комментарий|ожидает (?:одобрения|проверки)|"
    r"(?:comment|комментарий):|new comment|новый комментарий|"
    r"admin email change|email changed|адрес (?:e-?mail|электронной почты) (?:был )?изм[её]н|"
    r"technical issue|техническ\w* (?:проблем|ошибк)|recovery mode|режим восстановления|"
    r"confirm action|подтвердите действие|personal data (?:export|erasure)|"
    r"low (?:in )?stock|out of stock|мало на складе|нет в наличии|закончил\w* на складе|"
    r"backorder|подтверждение регистрации|confirm your (?:registration|email)",
    re.IGNORECASE,
)
# WordPress core's own sentences: no client types these
_NOTICE_BODY = re.compile(
    r"no further action is needed on your part|никаких действий от вас не требуется|"
    r"were automatically updated|были автоматически обновлены|"
    r"someone has requested a password reset|кто-то запросил сброс пароля|"
    r"new user registration on your site|новый пользователь зарегистрировался на (?:вашем )?сайте|"
    r"is waiting for your approval|ожидает вашего одобрения|^approve it: https?://|"
    r"^одобрить: https?://|please visit the moderation panel|перейдите в панель модерации",
    re.IGNORECASE | re.MULTILINE,
)
# "[Site] Password Reset": WordPress prefixes its own subjects with the site title in
# brackets; a client's subject (CF7 puts it in quotes) does not start that way
_BRACKET_SUBJECT = re.compile(r"^\s*\[[^\]]{1,80}\]\s*")
_BITRIX_SYSTEM_EVENTS = re.compile(
    r"^(?:USER_(?:INFO|PASS_REQUEST|PASS_CHANGED|INVITE|CODE_REQUEST)|NEW_USER(?:_CONFIRM)?|"
    r"MAIN_MAIL_CONFIRM_CODE|BLOG_\w+|FORUM_\w+|SONET_\w+|VOTE_\w+|EMAIL_CONFIRM\w*)$",
    re.IGNORECASE,
)
_FORM_SUBJECT = re.compile(
    r"заявк|web-форм|форм[аеыу]\b|обратн\w* звон|перезвон|callback|call back|submission|"
    r"\blead\b|\bлид|\border\b|заказ\b|заказ №|new entry|новая запись|enquiry|inquiry|"
    r"сообщение с сайта|message from|new message|новое сообщение",
    re.IGNORECASE,
)
_URL_HOST = re.compile(r"https?://([\w.-]+)", re.IGNORECASE)
_LINK = re.compile(r"https?://|\bwww\.|\[url\b|\[link\b|<a\s+href", re.IGNORECASE)
_OPENCART_SUBJECT = re.compile(r"^(?:enquiry|запрос|вопрос|сообщение от|message from)\s+(.+)$",
                               re.IGNORECASE)


def parse_message(raw: bytes, options: ParseOptions = _DEFAULT_OPTIONS) -> ParsedForm:
    """Parse one raw message; raises only ParseError (unreadable bytes)."""
    from bridge.parsing.mime import decode  # the decoder is a sibling module

    doc = decode(raw, options)
    try:
        return parse_doc(doc, options)
    except ParseError:
        raise
    except Exception as exc:  # a bug in a layout rule must not stop the mailbox
        log.error("event=extract_failed error=%s", type(exc).__name__)
        raise ParseError(f"field extraction failed: {type(exc).__name__}") from exc


def _base(doc: MailDoc, **kw: object) -> ParsedForm:
    return ParsedForm(
        message_id=doc.message_id,
        subject=doc.subject,
        sender=doc.from_.addr if doc.from_ else None,
        date=doc.date,
        **kw,  # type: ignore[arg-type]
    )


def _body_text(doc: MailDoc) -> str:
    parts = []
    if doc.text:
        parts.append(doc.text)
    if doc.html:
        parts.append(html_to_text(doc.html))
    return "\n".join(parts)


def _system_notice(doc: MailDoc, body: str) -> str | None:
    """``"sure"`` for a CMS notice told by its event header (1C-Bitrix), a CMS-style
    ``[Site] …`` subject or WordPress' own sentences; ``"wording"`` when only the subject
    reads like one; None for anything else.

    Wording alone never outweighs form fields: a client may well type "сброс пароля"
    into a form's subject field.
    """
    event = doc.headers.get("x-event-name", "").strip()
    if event and _BITRIX_SYSTEM_EVENTS.match(event):
        return "sure"
    subject = doc.subject or ""
    if _NOTICE_BODY.search(body[:20000]):
        return "sure"
    bracket = _BRACKET_SUBJECT.match(subject)
    if bracket and _NOTICE_SUBJECT.match(subject[bracket.end():]):
        return "sure"  # "[Site] Password Reset": the notice right after the site title
    if _NOTICE_SUBJECT.search(subject):
        return "wording"
    return None


def is_spam(message: str | None, name: str | None, has_phone: bool,
            options: ParseOptions) -> bool:
    """Conservative spam rule: never with a valid phone (a number inside a link is none);
    many links, BBCode, a spam word, or a messenger link as the contact among three links
    or more (how link spam leaves its contact)."""
    if has_phone:
        return False
    text = f"{name or ''}\n{message or ''}"
    links = len(_LINK.findall(text))
    if links >= 3 and messenger_links(text):
        return True
    bbcode = "[url" in text.lower() or "[link" in text.lower()
    folded = text.casefold()
    word = any(w.strip() and w.casefold() in folded for w in options.spam_words)
    return links > options.spam_max_links or bbcode or word


def _unwrap(doc: MailDoc) -> tuple[MailDoc, list[MailDoc]]:
    """The innermost forwarded message, and the forwarding messages around it."""
    outer: list[MailDoc] = []
    work = doc
    while work.forwarded is not None and len(outer) < 5:
        outer.append(work)
        work = work.forwarded
    return work, outer


def _plainly_form(fields: Fields, subject: str, body: str,
                  pairs: tuple[tuple[str, str], ...]) -> bool:
    """A form, whatever the headers: a name or message field plus a phone or e-mail field,
    or, in a short mail under a form notification's subject, a phone/e-mail field alone
    (a callback widget); and the fields make up most of the text. A newsletter whose
    contact footer has 'Телефон:' and 'E-mail:' lines is not one."""
    who = bool(fields.full_name() or fields.sender_name or fields.message)
    reach = bool(fields.phone_values or fields.email_values or fields.sender_email)
    short = len(body) < 1500
    if not (reach and (who or (short and bool(_FORM_SUBJECT.search(subject or ""))))):
        return False
    text = len("".join(body.split())) or 1
    covered = sum(len("".join(f"{k}{v}".split())) for k, v in pairs)
    return covered / text >= 0.5


@dataclass(slots=True)
class _Parties:
    """The site's addresses and what the (original) headers say about the client."""

    site: Site
    from_name: str | None
    from_addr: str | None
    reply_to: list[tuple[str | None, str]]
    from_is_client: bool


def _parties(doc: MailDoc, work: MailDoc, forwarders: list[MailDoc],
             fwd: Forward | None, body: str, options: ParseOptions,
             message: str | None = None) -> _Parties:
    """Recipients and robot senders are the site; forwarders are never the client."""
    chain = (doc, *forwarders, work)
    recipients = [a.addr for d in chain for a in d.to if a.addr]
    for key in ("delivered-to", "x-original-to"):
        recipients.extend(find_addresses(doc.headers.get(key, "")))
    froms = [(d.from_.name, d.from_.addr) for d in chain if d.from_]
    site = Site.build(recipients, froms, options)
    if forwarders or fwd is not None:
        for d in (doc, *forwarders):
            if d.from_ and d.from_.addr:
                site.excluded.add(d.from_.addr.lower())
            site.excluded.update(a.addr.lower() for a in d.reply_to if a.addr)
    if fwd is not None:
        from_name, from_addr = fwd.from_name, fwd.from_addr
        reply_to: list[tuple[str | None, str]] = [(None, fwd.reply_to)] if fwd.reply_to else []
    else:
        from_name = work.from_.name if work.from_ else None
        from_addr = work.from_.addr if work.from_ else None
        reply_to = [(a.name, a.addr) for a in work.reply_to if a.addr]
    if from_addr and from_name and site.is_site(from_addr):
        site.names.add(normalize_label(from_name))
    from_is_client = bool(from_addr) and site.client_address(from_addr) and not (
        from_name and _looks_robot_name(from_name)
    )
    if from_is_client and from_addr and _sender_is_site(from_addr, from_name, reply_to, body,
                                                        message):
        site.add_own(from_addr)
        if from_name:
            site.names.add(normalize_label(from_name))
        from_is_client = False
    return _Parties(site, from_name, from_addr, reply_to, from_is_client)


def _sender_is_site(addr: str, name: str | None, reply_to: list[tuple[str | None, str]],
                    body: str, message: str | None = None) -> bool:
    """Signs that a From outside the mailbox's domain is still the site's own sender:
    a Reply-To to someone else (the site sets it to the client), links to its domain in
    the body, its domain named without a link outside the client's message ("с сайта
    metallcentr.ru"), or its display name written as the site's name ("с сайта
    РостФеррум")."""
    if any(a and a.lower() != addr.lower() for _, a in reply_to):
        return True
    dom = domain_of(addr)
    if dom and dom not in PUBLIC_DOMAINS:
        hosts = {h.lower().removeprefix("www.") for h in _URL_HOST.findall(body)}
        if any(h == dom or h.endswith("." + dom) or dom.endswith("." + h) for h in hosts):
            return True
        if mentions_domain(outside_message(body, message), dom):
            return True
    word = " ".join((name or "").split())
    if not word or len(word) < 3:
        return False
    # "Отправлено с сайта РостФеррум", "contact form on RostFerrum": the site's own name
    pattern = r"(?:сайт\w*|site|website|магазин\w*|shop|store)\s+[«\"'“]?" + re.escape(word)
    return bool(re.search(pattern, body, re.IGNORECASE))


def _opencart(work: MailDoc, parties: _Parties, body: str) -> bool:
    """OpenCart's contact mail: only the enquiry text; the customer's name is the From
    display name (on the shop's address) and ends the subject ("Enquiry %s")."""
    m = _OPENCART_SUBJECT.match((work.subject or "").strip())
    name = " ".join((parties.from_name or "").split())
    return bool(m and name and " ".join(m.group(1).split()) == name
                and person_like(name, Site()) and body.strip())


def parse_doc(doc: MailDoc, options: ParseOptions = _DEFAULT_OPTIONS) -> ParsedForm:
    """Classify and extract one decoded message (see the module docstring)."""
    if doc.auto_kind in ("bounce", "auto-reply"):
        return _base(doc, is_form=False, create_lead=False, reason=doc.auto_kind)

    work, forwarders = _unwrap(doc)
    trim = _footer_trim(doc, work, forwarders, options)
    reading = read_pairs(work.text, work.html, options, work.subject or "", trim)
    fields = interpret(reading.pairs, options)
    if forwarders and not fields.client_values:
        # the attached message is no form (a letter attached for reference): the form, if
        # any, is in the forwarding message itself
        outer = read_pairs(doc.text, doc.html, options, doc.subject or "")
        outer_fields = interpret(outer.pairs, options)
        if outer_fields.client_values:
            work, forwarders, reading, fields = doc, [], outer, outer_fields
    settle_message(fields, reading, options)
    body = reading.body or _body_text(work)
    plainly = _plainly_form(fields, work.subject, body, reading.pairs)
    if doc.auto_kind == "bulk mail" and not plainly:
        return _base(doc, is_form=False, create_lead=False, reason="bulk mail")
    notice = _system_notice(work, body)
    if notice == "sure" or (notice == "wording" and not plainly):
        return _base(doc, is_form=False, create_lead=False, reason="system notice")

    parties = _parties(doc, work, forwarders, reading.forward, body, options, fields.message)
    site = parties.site
    opencart = not fields.client_values and _opencart(work, parties, body)
    if opencart:
        fields.name = " ".join((parties.from_name or "").split())
        fields.message = body.strip()
    name = choose_name(fields, parties.reply_to, parties.from_name, parties.from_is_client, site)
    email, invalid = choose_email(
        fields, [a for _, a in parties.reply_to], parties.from_addr, parties.from_is_client,
        "\n".join([fields.message or "", *(v for _, v in fields.extra)]), site,
    )
    phones = choose_phones(fields, options)
    for label, value in zip(fields.phone_labels, fields.phone_values, strict=True):
        # what the visitor typed when it is no number ("не звонить") stays readable
        if not parse_phone_field(value, options.default_region) and \
                value.strip().casefold() != (email or "").casefold():
            fields.extra.append((label, value))
    common = dict(
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
    if not fields.client_values and not opencart and (
        _EMPTY_FORM.search(body) or (fields.client_labels and not fields.other_values)
    ):
        return _base(doc, is_form=True, create_lead=False, reason="empty form", **common)
    whole = unread_text(body, options) if not fields.client_values and not opencart and \
        options.unrecognised == "lead" else ""
    if re.search(r"\w", whole) and form_notification(
            work, options, form_subject=bool(_FORM_SUBJECT.search(work.subject or "")),
            site_sender=_site_sender(doc, work, forwarders, parties, options),
            labelled=bool(fields.other_values)):
        # an enquiry is never lost to a layout: the whole text goes to the lead
        return _base(doc, is_form=True, create_lead=True, unrecognised=True,
                     reason="layout not recognised", message=whole,
                     attachments=common["attachments"],
                     rejected_attachments=common["rejected_attachments"])
    if not fields.client_values and not opencart:
        # what a letter's signature or a notice's lines look like is no client data
        common.update(name=None, phone=None, other_phones=(), phone_extension=None,
                      email=None, invalid_email=None, message=None, extra=(), lead_fields=())
        return _base(doc, is_form=False, create_lead=False, quarantine=True,
                     reason="layout not recognised", **common)
    if is_spam(fields.message, name, bool(phones), options):
        return _base(doc, is_form=True, create_lead=False, spam=True, reason="spam", **common)
    return _base(doc, is_form=True, create_lead=True, **common)


def _site_sender(doc: MailDoc, work: MailDoc, forwarders: list[MailDoc], parties: _Parties,
                 options: ParseOptions) -> bool:
    """The From is the site's own by its headers: a robot address, a platform, a configured
    sender or the mailbox's own domain (links in the body prove nothing here: phishing
    links to its own domain too)."""
    chain = (doc, *forwarders, work)
    site = Site.build([a.addr for d in chain for a in d.to if a.addr], [], options)
    return bool(parties.from_addr) and site.is_site(parties.from_addr or "")


def _footer_trim(doc: MailDoc, work: MailDoc, forwarders: list[MailDoc],
                 options: ParseOptions) -> Callable[[str], str]:
    """Cuts the site's own closing paragraphs (named by its domains and robot display
    names, as far as the headers tell them) off a body before its fields are read."""
    chain = (doc, *forwarders, work)
    recipients = [a.addr for d in chain for a in d.to if a.addr]
    froms = [(d.from_.name, d.from_.addr) for d in chain if d.from_ and not forwarders]
    site = Site.build(recipients, froms, options)
    return footer_trimmer(site.domains, site.names)


def _looks_robot_name(name: str) -> bool:
    return bool(re.search(r"wordpress|robot|робот|no-?reply|daemon|forms?\b|уведомлен",
                          name, re.IGNORECASE))
