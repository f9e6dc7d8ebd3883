"""Who is who in a message: the site's own addresses and names, and the client's headers.

Recipients, robot senders and forwarders are the site; the From is the client's only when
nothing says it is the site's own sender. :func:`footer_trim` cuts the site's own closing
paragraphs off a body before its fields are read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bridge.model import ParseOptions
from bridge.parsing.client import PUBLIC_DOMAINS, Site, domain_of, find_addresses, person_like
from bridge.parsing.doc import MailDoc
from bridge.parsing.forwards import Forward
from bridge.parsing.junk import footer_trimmer
from bridge.parsing.labels import normalize_label
from bridge.parsing.shapes import mentions_domain, outside_message

_URL_HOST = re.compile(r"https?://([\w.-]+)", re.IGNORECASE)
_OPENCART_SUBJECT = re.compile(r"^(?:enquiry|запрос|вопрос|сообщение от|message from)\s+(.+)$",
                               re.IGNORECASE)


@dataclass(slots=True)
class Parties:
    """The site's addresses and what the (original) headers say about the client."""

    site: Site
    from_name: str | None
    from_addr: str | None
    reply_to: list[tuple[str | None, str]]
    from_is_client: bool


def find_parties(doc: MailDoc, work: MailDoc, forwarders: list[MailDoc],
             fwd: Forward | None, body: str, options: ParseOptions,
             message: str | None = None) -> Parties:
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
    return Parties(site, from_name, from_addr, reply_to, from_is_client)


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


def opencart(work: MailDoc, parties: Parties, body: str) -> bool:
    """OpenCart's contact mail: only the enquiry text; the customer's name is the From
    display name (on the shop's address) and ends the subject ("Enquiry %s")."""
    m = _OPENCART_SUBJECT.match((work.subject or "").strip())
    name = " ".join((parties.from_name or "").split())
    return bool(m and name and " ".join(m.group(1).split()) == name
                and person_like(name, Site()) and body.strip())


def site_sender(doc: MailDoc, work: MailDoc, forwarders: list[MailDoc], parties: Parties,
                 options: ParseOptions) -> bool:
    """The From is the site's own by its headers: a robot address, a platform, a configured
    sender or the mailbox's own domain (links in the body prove nothing here: phishing
    links to its own domain too)."""
    chain = (doc, *forwarders, work)
    site = Site.build([a.addr for d in chain for a in d.to if a.addr], [], options)
    return bool(parties.from_addr) and site.is_site(parties.from_addr or "")


def footer_trim(doc: MailDoc, work: MailDoc, forwarders: list[MailDoc],
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
