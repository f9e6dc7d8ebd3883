"""Deciding the kind of mail: a CMS's notice about itself, a plain form, an empty form, spam.

These rules look at what the layouts found and at the wording; :mod:`bridge.parsing.extract`
applies them in the order its docstring gives (bounces and auto-replies are decided earlier,
while decoding: :mod:`bridge.parsing.classify`).
"""

from __future__ import annotations

import re

from bridge.model import ParseOptions
from bridge.parsing.doc import MailDoc
from bridge.parsing.fields import Fields
from bridge.parsing.shapes import messenger_links

# WPForms' notice for a submission without data (en / ru), on a line of its own
EMPTY_FORM = re.compile(
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
FORM_SUBJECT = re.compile(
    r"заявк|web-форм|форм[аеыу]\b|обратн\w* звон|перезвон|callback|call back|submission|"
    r"\blead\b|\bлид|\border\b|заказ\b|заказ №|new entry|новая запись|enquiry|inquiry|"
    r"сообщение с сайта|message from|new message|новое сообщение",
    re.IGNORECASE,
)
_LINK = re.compile(r"https?://|\bwww\.|\[url\b|\[link\b|<a\s+href", re.IGNORECASE)


def system_notice(doc: MailDoc, body: str) -> str | None:
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


def plainly_form(fields: Fields, subject: str, body: str,
                  pairs: tuple[tuple[str, str], ...]) -> bool:
    """A form, whatever the headers: a name or message field plus a phone or e-mail field,
    or, in a short mail under a form notification's subject, a phone/e-mail field alone
    (a callback widget); and the fields make up most of the text. A newsletter whose
    contact footer has 'Телефон:' and 'E-mail:' lines is not one."""
    who = bool(fields.full_name() or fields.sender_name or fields.message)
    reach = bool(fields.phone_values or fields.email_values or fields.sender_email)
    short = len(body) < 1500
    if not (reach and (who or (short and bool(FORM_SUBJECT.search(subject or ""))))):
        return False
    text = len("".join(body.split())) or 1
    covered = sum(len("".join(f"{k}{v}".split())) for k, v in pairs)
    return covered / text >= 0.5
