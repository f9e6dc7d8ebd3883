"""Who the client is: the site's own addresses, and the client's name, e-mail and phone.

From is almost never the client: sites and SaaS platforms send from their own robot
address, the client's e-mail is in Reply-To or in the body, and a forwarding employee is
never the client. The rules here pick one name, one e-mail and the phones from what the
form fields (:class:`bridge.parsing.fields.Fields`) and the headers say.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from bridge.model import ParseOptions
from bridge.parsing.fields import Fields
from bridge.parsing.labels import ROBOT_NAMES, normalize_label
from bridge.parsing.phones import Phone, dedupe, find_phones_in_text, parse_phone_field
from bridge.parsing.shapes import without_urls

PUBLIC_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "yandex.ru", "ya.ru", "yandex.com", "yandex.by",
    "yandex.kz", "yandex.ua", "narod.ru", "mail.ru", "bk.ru", "list.ru", "inbox.ru",
    "internet.ru", "rambler.ru", "lenta.ru", "autorambler.ru", "ro.ru", "outlook.com",
    "hotmail.com", "live.com", "msn.com", "yahoo.com", "ymail.com", "icloud.com", "me.com",
    "mac.com", "aol.com", "gmx.de", "gmx.net", "web.de", "proton.me", "protonmail.com",
    "tut.by", "ukr.net", "qip.ru", "pochta.ru", "mail.com", "zoho.com",
})
PLATFORM_DOMAINS = (
    "tilda.ws", "tilda.cc", "tilda.ru", "flexbe.com", "flexbe.ru", "marquiz.ru", "jivosite.com",
    "jivo.ru", "jivochat.com", "wix.com", "wixforms.com", "netlify.com", "webflow.com",
    "formspree.io", "forms.yandex.ru", "lpgenerator.ru", "lpgenerator.com", "bitrix24.ru",
    "bitrix24.com", "mailgun.org", "sendgrid.net", "amazonses.com", "mandrillapp.com",
    "sendpulse.com", "unisender.com", "mailchimp.com", "mcsv.net", "ucoz.net", "nethouse.ru",
    "megagroup.ru", "insales.ru", "ecwid.com", "shopify.com", "squarespace.com",
    "hubspot.com", "typeform.com", "google.com",
)
_ROBOT_LOCAL = re.compile(
    r"^(?:no[-_.]?reply|do[-_.]?not[-_.]?reply|donotreply|mailer[-_.]?daemon|postmaster|"
    r"wordpress|robot|bounces?|notifications?|notify|formresponses|forms?|submissions?|"
    r"www-data|apache|nginx|root|daemon|auto[-_.]?reply|autoreply|alerts?|system|mailer|"
    r"webmaster|bitrix|cms|site[-_.]?robot)(?:[-_.+].*)?$",
    re.IGNORECASE,
)
_EMAIL_OK = re.compile(
    r"^[A-Za-z0-9=_.+~'!$&*^`|#%/?{}-]+@(?:[-\w]+\.)+[^\W\d_][-\w]{1,62}$"
)
_EMAIL_FIND = re.compile(r"[\w.+'=-]+@[\w-]+(?:\.[\w-]+)+")
_HAS_DIGIT = re.compile(r"\d")
_PHONE_IN_NAME = re.compile(r"(?:тел\.?|phone)?\s*\+?\d[\d\s()\-–]{8,}\d", re.IGNORECASE)


def domain_of(addr: str) -> str:
    return addr.rpartition("@")[2].strip().lower().rstrip(".")


def email_valid(addr: str) -> bool:
    """Whether the CRM would accept the address (plain syntax check, IDN domains allowed)."""
    local = addr.rpartition("@")[0]
    if not _EMAIL_OK.match(addr) or ".." in addr or local.startswith(".") or local.endswith("."):
        return False
    return len(addr) <= 254


def find_addresses(text: str | None) -> list[str]:
    """Every e-mail address written in a text, in order."""
    if not text:
        return []
    return [m.group(0).strip(".") for m in _EMAIL_FIND.finditer(text)]


@dataclass(slots=True)
class Site:
    """The addresses that are the site's, a platform's or a forwarder's: never the client."""

    addresses: set[str] = field(default_factory=set)
    domains: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)  # display names of site senders
    excluded: set[str] = field(default_factory=set)  # forwarders

    @classmethod
    def build(cls, recipients: Iterable[str], robot_froms: Iterable[tuple[str | None, str]],
              options: ParseOptions) -> Site:
        site = cls()
        for entry in options.site_senders:
            entry = entry.strip().lower()
            dom = entry.lstrip("@")
            if "@" in dom:
                site.addresses.add(entry)
            elif dom and dom not in PUBLIC_DOMAINS:  # "@gmail.com" would swallow clients
                site.domains.add(dom)
        for addr in recipients:
            site.add_own(addr)
        for name, addr in robot_froms:
            if addr and site.is_site(addr):
                site.add_own(addr)
                if name:
                    site.names.add(normalize_label(name))
        return site

    def add_own(self, addr: str) -> None:
        addr = addr.strip().lower()
        if "@" not in addr:
            return
        self.addresses.add(addr)
        dom = domain_of(addr)
        if dom and dom not in PUBLIC_DOMAINS:
            self.domains.add(dom)

    def is_site(self, addr: str) -> bool:
        """A robot, platform, site-domain or configured sender address."""
        addr = addr.strip().lower()
        if not addr:
            return False
        if addr in self.addresses or addr in self.excluded:
            return True
        local, _, dom = addr.rpartition("@")
        if _ROBOT_LOCAL.match(local):
            return True
        if any(dom == d or dom.endswith("." + d) for d in self.domains):
            return True
        return any(dom == d or dom.endswith("." + d) for d in PLATFORM_DOMAINS)

    def client_address(self, addr: str | None) -> bool:
        return bool(addr) and "@" in (addr or "") and not self.is_site(addr or "")


def person_like(name: str | None, site: Site) -> bool:
    """A display name that can be a person's: not a robot, a site name or an address."""
    if not name:
        return False
    text = " ".join(name.split()).strip(" \"'")
    if not text or "@" in text or _HAS_DIGIT.search(text) or len(text) > 80:
        return False
    if len(text.split()) > 5 or not re.search(r"[^\W\d_]", text):
        return False
    key = normalize_label(text)
    return key not in ROBOT_NAMES and key not in site.names


@dataclass(frozen=True, slots=True)
class Client:
    name: str | None
    email: str | None
    invalid_email: str | None
    phones: tuple[Phone, ...]


def choose_email(fields: Fields, reply_to: Iterable[str], from_addr: str | None,
                 from_is_client: bool, body: str, site: Site) -> tuple[str | None, str | None]:
    """``(email, invalid)``: Reply-To, the e-mail field, an address in the body, From."""
    invalid: str | None = None
    for addr in reply_to:
        if not addr or site.is_site(addr):
            continue
        if email_valid(addr):
            return addr, None
        invalid = invalid or addr
    values = list(fields.email_values)
    if fields.sender_email:
        values.append(fields.sender_email)
    if fields.name and _EMAIL_FIND.fullmatch(fields.name.strip()):
        values.append(fields.name)  # an address typed into the name field
    for value in values:
        found = [a for a in find_addresses(value) if not site.is_site(a)]
        good = [a for a in found if email_valid(a)]
        if good:
            return good[0], None
        if value.strip() and not any(site.is_site(a) for a in find_addresses(value)):
            invalid = invalid or " ".join(value.split())
    for value in fields.phone_values:
        good = [a for a in find_addresses(value) if email_valid(a) and not site.is_site(a)]
        if good:
            return good[0], None
    if invalid is None:
        for addr in find_addresses(body):
            if email_valid(addr) and not site.is_site(addr):
                return addr, None
    if from_is_client and from_addr and email_valid(from_addr):
        return from_addr, None
    return None, invalid


def choose_phones(fields: Fields, options: ParseOptions) -> tuple[Phone, ...]:
    """Phones from the phone fields; else the ones written in the message."""
    phones: list[Phone] = []
    for value in fields.phone_values:
        phones.extend(parse_phone_field(value, options.default_region))
    if not phones and fields.message:
        # a number inside a link (wa.me/7…) is not the client's phone
        phones.extend(find_phones_in_text(without_urls(fields.message), options.default_region))
    if not phones and fields.full_name():
        # "Иван 8 912 345-67-89" typed into the name field of a form without a phone field
        phones.extend(find_phones_in_text(fields.full_name(), options.default_region))
    return tuple(dedupe(phones))


def choose_name(fields: Fields, reply_to: Iterable[tuple[str | None, str]],
                from_name: str | None, from_is_client: bool, site: Site) -> str | None:
    """The name field(s); else a person's display name on Reply-To or a client From."""
    name = fields.full_name() or fields.sender_name
    if name and len(_HAS_DIGIT.findall(name)) >= 10:
        name = _PHONE_IN_NAME.sub(" ", name)  # the number is the phone, not part of the name
        name = " ".join(name.split()).strip(" ,;:-–—()") or None
    if name and (normalize_label(name) in ROBOT_NAMES or _EMAIL_FIND.fullmatch(name.strip())):
        name = None
    if name:
        return name
    for display, addr in reply_to:
        if display and addr and display.strip().lower() != addr.lower() and \
                site.client_address(addr) and person_like(display, site):
            return " ".join(display.split())
    if from_is_client and person_like(from_name, site):
        return " ".join((from_name or "").split())
    return None
