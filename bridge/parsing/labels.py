"""Form labels: which printed label means which client field.

Labels are compared after :func:`normalize_label` (case-folded, ``ё`` -> ``е``, trailing
``:``/``*``/spaces dropped, inner whitespace collapsed). The built-in synonym lists follow
``corpus/README.md`` ("Label synonyms") plus the variants common Russian and English form
builders print; ``ParseOptions.label_synonyms`` adds more per site.

Kinds returned by :func:`label_kind`:

``name``, ``first_name``, ``middle_name``, ``last_name``, ``phone``, ``email``, ``message``
    client fields;
``sender``
    ``Name <address>`` in one field (Contact Form 7's default ``From:`` / ``От:`` line);
``meta``
    technical lines printed by the platform (date, time, IP, user agent, "Powered by"),
    never client data;
``extra``
    anything else: kept as printed, in ``ParsedForm.extra``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from bridge.model import ParseOptions
from bridge.parsing.junk import is_meta_label

_SPACES = re.compile(r"\s+")
_HYPHENS = re.compile(r"(?<=\w)[\u2010\u2011\u2012\u2013](?=\w)")  # 'E‑mail' typed in Word


@lru_cache(maxsize=8192)
def normalize_label(label: str) -> str:
    """Case-fold a printed label and drop decoration (``'Ваше имя*:'`` -> ``'ваше имя'``)."""
    text = label.replace("\u00a0", " ").replace("ё", "е").replace("Ё", "Е")
    text = _HYPHENS.sub("-", text)
    text = _SPACES.sub(" ", text).strip()
    text = text.rstrip(":*：. ").lstrip("* ")
    if text and not text[0].isalnum():
        text = _strip_pictograms(text)
    return text.casefold()


_DECORATION = frozenset({"So", "Sk", "Sm", "Mn", "Me", "Cf", "Co", "Zs"})


def _strip_pictograms(text: str) -> str:
    """Drop emoji and symbols in front of a label ("📞 Телефон", "✉️ Email", "► Имя")."""
    i = 0
    while i < len(text) and (unicodedata.category(text[i]) in _DECORATION or text[i] in "* "):
        i += 1
    return text[i:] or text


def _norm_set(words: Iterable[str]) -> frozenset[str]:
    return frozenset(normalize_label(w) for w in words)


NAME = _norm_set((
    "Имя", "Ваше имя", "ФИО", "Ф.И.О.", "Ф.И.О", "Ф. И. О.", "Ваше ФИО", "Ваши ФИО",
    "Контактное лицо", "Как к вам обращаться", "Как к вам обращаться?", "Как вас зовут",
    "Как вас зовут?", "Представьтесь", "Автор", "Имя и фамилия", "Фамилия и имя",
    "Фамилия Имя Отчество", "Фамилия, имя, отчество", "Имя Фамилия", "Ваше имя и фамилия",
    "Имя клиента", "Клиент", "Заказчик (ФИО)", "Покупатель", "Имя покупателя", "Получатель",
    "Посетитель", "Имя посетителя", "Visitor", "Visitor name", "Your full name",
    "Name", "Your Name", "Full name", "Fullname", "Contact name", "Contact person",
    "Customer", "Customer name", "Client name", "your-name", "your_name", "yourname",
    "fio", "fullname", "full_name", "contact_name", "Nombre", "Vorname und Nachname",
    "Ім'я", "Ваше ім'я", "Ім’я", "Ваше ім’я", "Імя", "Nome", "Nom et prénom", "Imię i nazwisko",
))
FIRST_NAME = _norm_set((
    "First Name", "First_name", "firstname", "fname", "Given name", "Vorname",
    "Имя (имя)", "Ваше имя (имя)", "Prénom", "Imię",
))
MIDDLE_NAME = _norm_set(("Отчество", "Middle name", "middle_name", "Second name"))
LAST_NAME = _norm_set((
    "Last Name", "Last_name", "lastname", "lname", "Surname", "Family name", "Nachname",
    "Фамилия", "Ваша фамилия", "Прізвище", "Nom", "Nom de famille", "Apellido", "Apellidos",
    "Cognome", "Nazwisko",
))
PHONE = _norm_set((
    "Телефон", "Ваш телефон", "Тел", "Тел.", "Мобильный", "Мобильный телефон", "Моб.",
    "Моб. телефон", "Сотовый", "Номер телефона", "Ваш номер телефона", "Ваш номер",
    "Контактный телефон", "Телефон для связи", "Номер для связи", "WhatsApp",
    "Phone", "Tel", "Tel.", "Telephone", "Phone number", "Your phone", "Your Phone Number",
    "Mobile", "Mobile phone", "Cell", "Telefon", "Telefonnummer",
    "phone", "tel", "your-phone", "your-tel", "your_phone", "phone_number", "telephone",
))
EMAIL = _norm_set((
    "E-mail", "Email", "e-mail", "E-mail адрес", "Адрес e-mail", "Эл. почта", "Эл.почта",
    "Электронная почта", "Ваша электронная почта", "Адрес электронной почты", "Почта",
    "Ваша почта", "Ваш e-mail", "Ваш email", "Ваш E-mail", "E-mail автора", "Емейл", "Имейл",
    "Your Email", "Your E-mail", "Email address", "E-mail address", "Mail",
    "your-email", "your_email", "_replyto", "_reply_to", "reply_to", "email_address",
    "Електронна пошта", "Courriel", "Adresse e-mail", "Correo electrónico", "Correo",
))
MESSAGE = _norm_set((
    "Сообщение", "Ваше сообщение", "Комментарий", "Комментарии", "Ваш комментарий",
    "Текст сообщения", "Текст", "Текст обращения", "Обращение", "Вопрос", "Ваш вопрос",
    "Задайте вопрос", "Пожелания", "Примечание", "Описание", "Описание задачи",
    "Комментарий к заявке", "Комментарий к заказу", "Сообщение / вопрос",
    "Comment or Message", "Комментарий или сообщение", "Your comment", "Additional comments",
    "Message", "Your Message", "Comments", "Comment", "Message Body", "Enquiry", "Inquiry",
    "Your enquiry", "Your inquiry", "Your question", "Question", "Questions", "Notes",
    "Note", "Nachricht", "Textarea", "Повідомлення", "Ваше повідомлення", "Коментар", "Mensaje",
    "Messaggio", "Wiadomość", "Mensagem",
    "text", "message", "comment", "your-message", "your_message", "msg", "body", "question",
))
SENDER = _norm_set(("От", "От кого", "Отправитель", "From", "Sender"))
META = _norm_set((
    "Дата", "Время", "Дата и время", "Дата отправки", "Время отправки", "Date", "Time",
    "Submitted", "Submitted on", "Submitted by", "Submitted values are", "Sent on",
    "User Agent", "User-Agent", "Агент пользователя", "Браузер", "Browser",
    "Remote IP", "IP", "IP-адрес", "IP адрес", "IP address", "Удаленный IP", "Удалённый IP",
    "Powered by", "Работает на", "Создано с помощью",
    "Request details", "Additional information", "Block ID", "Cookies", "Все ответы",
    "Ответы на вопросы", "Контакты", "UTM-метки", "Данные формы", "Submitted values",
    "Result", "Результат", "Посмотреть", "View", "Пользователь", "Дополнительная информация",
    "Информация о заявке", "Данные заявки", "Детали заявки", "Отметка времени", "Timestamp",
    "Contact owner",
))


def _extras(options: ParseOptions) -> dict[str, str]:
    table: dict[str, str] = {}
    for kind, words in options.label_synonyms:
        for word in words:
            table[normalize_label(word)] = kind
    return table


_KINDS: tuple[tuple[str, frozenset[str]], ...] = (
    ("name", NAME), ("first_name", FIRST_NAME), ("middle_name", MIDDLE_NAME),
    ("last_name", LAST_NAME), ("phone", PHONE), ("email", EMAIL), ("message", MESSAGE),
    ("sender", SENDER), ("meta", META),
)
CLIENT_KINDS = frozenset({"name", "first_name", "middle_name", "last_name", "phone",
                          "email", "message", "sender"})


@lru_cache(maxsize=4096)
def label_kind(label: str, options: ParseOptions | None = None) -> str:
    """Which field a printed label means (see the module docstring); ``extra`` if unknown."""
    key = normalize_label(label)
    if options is not None and options.label_synonyms:
        configured = _extras(options).get(key)
        if configured:
            return configured
    for kind, words in _KINDS:
        if key in words:
            return kind
    return _fuzzy_kind(key)


def _fuzzy_kind(key: str) -> str:
    """Labels that merely contain a telling word: 'Ваш номер телефона для связи'."""
    if re.match(r"ip\b", key):
        return "meta"  # 'IP отправителя', 'IP адрес отправителя' (uCoz, DLE)
    if re.search(r"user.?agent|^(?:view|open|перейти|открыть|посмотреть)\b", key):
        return "meta"  # 'User-Agent (Browser/OS)'; 'View contact record', 'Перейти к заявкам'
    if len(key) <= 40 and is_meta_label(key):
        return "meta"  # 'REMOTE_ADDR', 'Дата добавления', 'Entry ID' (junk.py)
    if len(key) > 40 or ":" in key or re.search(r"пользовател|логин|\buser|login", key):
        return "extra"
    if re.search(r"\d(?:[\s()-]*\d){4}|[!?]\s+\w|\w{5,}\.\s+\w", key):
        return "extra"  # a sentence or a number inside ("Добрый день! Телефон 8 912 …")
    if re.search(r"телефон|\bphone\b|t[eé]l[eé]phone|tel[eé]fono|мобильн|whats ?app|^тел\b|"
                 r"^(?:моб|сот)\.?(?: ?тел\.?)?$|"
                 r"\b(?:contact|mobile|cell|tel|telephone)\.? ?(?:number|no\b|#)|^telephone\b|"
                 r"^контактный номер|^номер (?:для связи|мобильного|сотового)", key) \
            and "время" not in key and "time" not in key:
        return "phone"  # 'Тел./факс', 'Моб. тел.', 'Contact Number', 'Mobile No.'
    if re.search(r"[eе]-?ma[iі]l|эл\.? ?почт|электронн\w* (?:почт|адрес)|адрес электронн|"
                 r"^[еe]-?мейл|^(?:ваша )?почта\b", key):
        return "email"  # also a Cyrillic 'Е' typed into 'Е-mail', 'Электронный адрес'
    if re.search(r"^(ваше |ваши )?(фио|ф\.и\.о\.?|имя)\b|^представьтесь\b|^контактное лицо\b",
                 key) and "компан" not in key:
        return "name"
    if re.search(r"^(your |full |contact |customer )?name\b", key) and "company" not in key:
        return "name"
    if re.search(r"^(?:(?:what['’]?s|what is|and) )?your (?:full )?name\b", key):
        return "name"  # a survey's question label (Typeform: "What's your name?")
    if re.search(r"\b(message|comments?|enquiry|inquiry)\b|^(ваш[еа]? )?(сообщение|комментари)",
                 key):
        return "message"
    if re.search(r"^(?:текст|описание|опишите)\b|^ваш[аеи]? (?:пожелания|запрос|заявка)$|"
                 r"^(?:пожелания|запрос)$|^(?:project |additional )?details$", key):
        return "message"  # the free-text box under the site owner's own wording
    return "extra"


def is_known_label(label: str, options: ParseOptions | None = None) -> bool:
    """True for labels of the built-in or configured lists (any kind but plain ``extra``)."""
    return label_kind(label, options) != "extra" or normalize_label(label) in KNOWN_EXTRAS


def lead_field_for(label: str, options: ParseOptions) -> str | None:
    """The lead field a configured label maps to (``ParseOptions.label_fields``), or None."""
    key = normalize_label(label)
    for form_label, lead_field in options.label_fields:
        if normalize_label(form_label) == key:
            return lead_field
    return None


KNOWN_EXTRAS = _norm_set((
    "Компания", "Организация", "Название компании", "Название организации", "Company",
    "Company name", "Organization", "Organisation", "ИНН", "Должность", "Position",
    "Товар", "Продукция", "Продукт", "Product", "Услуга", "Service", "Количество", "Quantity",
    "Страница", "Адрес страницы", "Page URL", "Page", "URL", "Referer", "Referrer",
    "Источник", "Source", "utm_source", "utm_medium", "utm_campaign", "utm_term",
    "utm_content", "Форма", "Form", "Form Name", "Название формы", "Город", "City", "Регион",
    "Адрес", "Address", "Тема", "Subject", "Файл", "File", "Attachment", "Вложение",
    "Transaction ID", "Order", "Заказ", "Сумма", "Payment Amount", "Amount", "Доставка",
    "Способ оплаты", "Payment method", "Способ связи", "Удобное время для звонка",
))

EMPTY_VALUES = frozenset({
    "(пусто)", "(empty)", "-", "—", "–", "--", "(не заполнено)", "(не указано)",
    "не указано", "не указан", "(not set)", "(none)", "n/a", "undefined", "null",
})


# an input mask left unfilled: "+7 (___) ___-__-__", "8 (___) ___ __ __"
_EMPTY_MASK = re.compile(r"[+]?\d{0,3}[\s()\-]*(?:_[\s()\-]*){3,}")


# a template tag the CMS left unreplaced (the form has no such field): CF7 "[your-phone]",
# 1C-Bitrix "#PHONE#", MODX "[[+phone]]", RSForm "{Phone:value}"
_PLACEHOLDER = re.compile(
    r"\[[a-z][\w-]{0,40}\]|#[A-Z][A-Z0-9_]{1,40}#|\[\[\+[\w.-]{1,40}\]\]|\{[\w-]{1,40}:value\}"
)


def is_empty_value(value: str | None) -> bool:
    """True for an absent value or a plugin's empty marker such as WPForms' '(пусто)'."""
    if value is None:
        return True
    text = value.strip()
    return (not text or text.casefold() in EMPTY_VALUES or _EMPTY_MASK.fullmatch(text) is not None
            or _PLACEHOLDER.fullmatch(text) is not None)


# Robot display names: never a client's name.
ROBOT_NAMES = _norm_set((
    "WordPress", "Tilda", "Tilda Publishing", "Flexbe", "Marquiz", "Jivo", "JivoSite",
    "Wix", "Wix Forms", "Netlify", "Webflow", "Formspree", "Яндекс Формы", "Yandex Forms",
    "Яндекс.Формы", "LPgenerator", "Битрикс", "Bitrix", "1C-Bitrix", "Битрикс24", "Bitrix24",
    "Admin", "Administrator", "Администратор", "Robot", "Робот", "noreply", "no-reply",
    "Mailer-Daemon", "Mail Delivery System", "Mail Delivery Subsystem", "Postmaster",
    "Support", "Поддержка", "Сайт", "Website", "Site", "Форма", "Form", "Contact Form",
    "Contact Form 7", "WPForms", "Elementor", "Gravity Forms", "Ninja Forms", "Drupal",
    "Joomla", "MODX", "OpenCart", "Google Forms", "Webform", "Interkassa", "Уведомления",
    "Notifications", "Notification",
))
