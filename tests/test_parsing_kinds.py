"""Parsing rules by kind (issue 12): message ends, metadata, free text, wide tables, sender
shapes, the site's own address, phones inside links. Small made-up mails, one rule each."""

from __future__ import annotations

from bridge.model import ParsedForm, ParseOptions
from bridge.parsing import parse_message
from bridge.parsing.htmltext import table_pairs
from bridge.parsing.junk import footer_trimmer, is_meta_label, is_trailer, strip_trailers
from bridge.parsing.shapes import mentions_domain, split_sender, without_urls


def _eml(body: str, *, html: bool = False, frm: str = "Сайт <noreply@stal.example>",
         to: str = "sales@stal.example", reply_to: str | None = None,
         subject: str = "Заявка с сайта") -> bytes:
    head = (f"From: {frm}\r\nTo: {to}\r\nSubject: {subject}\r\n"
            "Date: Mon, 07 Dec 2026 10:00:00 +0300\r\nMessage-ID: <k1@stal.example>\r\n"
            f"MIME-Version: 1.0\r\nContent-Type: text/{'html' if html else 'plain'}; "
            "charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n")
    if reply_to:
        head += f"Reply-To: {reply_to}\r\n"
    return (head + "\r\n" + body.replace("\n", "\r\n")).encode()


def _parse(body: str, **kw: object) -> ParsedForm:
    return parse_message(_eml(body, **kw), ParseOptions())


# ------------------------------------------------------------------ a message never ends


def test_bitrix_sent_at_trailer_ends_the_message() -> None:
    """'Отправлено <date>' and the admin link under a message are not part of it."""
    p = _parse("Имя: Ян\nТелефон: 89120001122\nСообщение: Нужен лист 10 мм.\nИ уголок.\n\n"
               "Отправлено 07.12.2026 в 10:14:22.\nПросмотреть результат на сайте: "
               "https://stal.example/bitrix/admin/form_result_view.php?RESULT_ID=5\n")
    assert p.message == "Нужен лист 10 мм.\nИ уголок."
    assert p.extra == ()


def test_english_view_trailers_end_a_value() -> None:
    """Drupal's 'results … may be viewed at' and 'View entry' lines are trailers."""
    for line in ("The results of this submission may be viewed at:", "View entry: https://x/1",
                 "Sent by an unverified visitor to your site.",
                 "Для просмотра воспользуйтесь ссылкой:",
                 "https://stal.example/wp-admin/admin.php?page=gf_entries&id=3"):
        assert is_trailer(line), line
    assert not is_trailer("Отправлено с любовью, Иван")
    assert strip_trailers("Текст\nещё\nView submission: https://x") == "Текст\nещё"


def test_order_list_under_a_comment_is_its_own_field() -> None:
    """'Состав заказа:' after a blank line under the comment opens its own field."""
    p = _parse("Имя: Ян\nТелефон: 89120001122\nКомментарий: Позвоните утром.\n\n"
               "Состав заказа:\nЛист 10 мм — 2 т\nУголок 50 — 1 т\n")
    assert p.message == "Позвоните утром."
    assert dict(p.extra)["Состав заказа"] == "Лист 10 мм — 2 т\nУголок 50 — 1 т"


def test_site_footer_with_own_phone_is_cut() -> None:
    """The shop's closing paragraph naming its own site is neither message nor phone."""
    p = _parse("Имя: Ян\nТелефон: 89120001122\nКомментарий: Сколько стоит доставка?\n\n"
               "Интернет-магазин «Сталь»\nг. Тверь, ул. Заводская, 4\nТел.: +7 (4822) 55-66-77\n"
               "https://stal.example\n")
    assert p.message == "Сколько стоит доставка?"
    assert p.phone == "+79120001122" and p.other_phones == ()


def test_client_signature_naming_no_site_stays() -> None:
    """A closing paragraph that does not name the site is the client's, and stays."""
    trim = footer_trimmer({"stal.example"}, {"сталь"})
    text = "Сообщение: Прошу КП.\n\nООО «Ромашка»\nтел. 8 912 000 11 22\nromashka.example"
    assert trim(text) == text
    assert trim(text + "\n\nМагазин Сталь\nhttps://stal.example") == text


# ------------------------------------------------------------------ metadata goes nowhere


def test_metadata_labels_in_many_wordings() -> None:
    """IP, user agent, send time and ids are metadata; page and referer are not."""
    for key in ("remote_addr", "http_user_agent", "дата добавления", "время отправки",
                "submitted by anonymous user", "отправлено анонимным пользователем",
                "entry id", "ip-адрес посетителя", "date of submission", "transaction id",
                "дата заполнения формы", "user ip address", "отправлено с ip", "entry date",
                "form submitted at", "время отправки заявки"):
        assert is_meta_label(key), key
    for key in ("http_referer", "page url", "referrer url", "компания", "адрес объекта",
                "дата доставки", "удобное время для звонка", "страница отправки"):
        assert not is_meta_label(key), key


def test_metadata_lines_do_not_reach_extras() -> None:
    """A mail.php dump of server variables keeps only the referer."""
    p = _parse("Имя: Ян\nТелефон: 89120001122\nСообщение: Лист 3 мм.\n\nREMOTE_ADDR: 203.0.113.9\n"
               "HTTP_REFERER: https://stal.example/list/\nДата добавления: 07.12.2026 10:00\n"
               "Entry ID: 57\n")
    assert dict(p.extra) == {"HTTP_REFERER": "https://stal.example/list/"}


# ------------------------------------------------------------------ free text


def test_question_label_is_the_message() -> None:
    """A textarea labelled with a question is the message when no message label exists."""
    p = _parse("Имя: Ян\nТелефон: 89120001122\nЧто нужно изготовить?: Козырёк над крыльцом "
               "из поликарбоната, 2 на 1,5 м\n")
    assert p.message == "Козырёк над крыльцом из поликарбоната, 2 на 1,5 м"
    assert p.extra == ()


def test_longest_free_text_field_is_the_message() -> None:
    """The longest prose field under an unknown label is the message; short fields stay."""
    p = _parse("Name: Ann\nPhone: +1 614 555 0100\nColour: black\n"
               "Details of your project: A steel gate for a cattle pen, sixteen feet wide.\n")
    assert p.message == "A steel gate for a cattle pen, sixteen feet wide."
    assert dict(p.extra) == {"Colour": "black"}


def test_quiz_short_answer_stays_a_field() -> None:
    """A question with a short answer (a quiz) is a field, not the message."""
    p = _parse("Имя: Ян\nТелефон: 89120001122\nКакой металлопрокат нужен?: Труба профильная\n")
    assert p.message is None
    assert dict(p.extra)["Какой металлопрокат нужен?"] == "Труба профильная"


def test_unlabelled_paragraph_after_an_empty_field_is_the_message() -> None:
    """An empty optional field, a blank line, then the unlabelled text: that is the message."""
    p = _parse("Имя: Ян\nТелефон: 89120001122\nКомпания:\n\n"
               "Здравствуйте! Нужен расчёт на металлоконструкции навеса, чертёж есть.\n")
    assert p.message == "Здравствуйте! Нужен расчёт на металлоконструкции навеса, чертёж есть."
    assert "Компания" not in dict(p.extra)


def test_unlabelled_paragraph_after_fields_is_the_message() -> None:
    """A paragraph after the fields that no label covers is the message."""
    p = _parse("Заявка с сайта\n\nИмя: Ян\nТелефон: 89120001122\n\n"
               "Хочу ворота откатные 4 м с автоматикой.\n")
    assert p.message == "Хочу ворота откатные 4 м с автоматикой."


# ------------------------------------------------------------------ wide tables


def test_caption_row_names_label_and_value_columns() -> None:
    """'№ | Поле | Значение' (bold by CSS) is no field; the middle cell is the label."""
    html = ("<table><tr style='font-weight:bold'><td>№</td><td>Поле</td><td>Значение</td></tr>"
            "<tr><td>1</td><td>Имя</td><td>Олег</td></tr>"
            "<tr><td>2</td><td>Телефон</td><td>+7 812 333-22-11</td></tr></table>")
    assert table_pairs(html, lambda s: s in ("Имя", "Телефон")) == [
        ("Имя", "Олег"), ("Телефон", "+7 812 333-22-11")]


def test_extra_columns_are_not_part_of_the_value() -> None:
    """'Поле | Значение | Обяз. | Тип': the flags beside a value are dropped."""
    html = ("<table><tr><td><b>Поле</b></td><td><b>Значение</b></td><td>Обяз.</td><td>Тип</td></tr>"
            "<tr><td>Имя</td><td>Зарина</td><td>да</td><td>text</td></tr></table>")
    p = _parse(html, html=True)
    assert p.name == "Зарина"


def test_id_column_without_caption() -> None:
    """A row 'f_name | Ваше имя | Лидия' without a caption reads label and value."""
    html = "<table><tr><td>f_name</td><td>Ваше имя</td><td>Лидия</td></tr></table>"
    assert table_pairs(html, lambda s: s == "Ваше имя") == [("Ваше имя", "Лидия")]


def test_css_bold_column_titles_over_values() -> None:
    """Column titles bold only by CSS over one row of values are labels, like <th>."""
    html = ("<table><tr><td style='font-weight:700'>Имя</td><td style='font-weight:700'>"
            "Телефон</td><td style='font-weight:700'>Город</td></tr>"
            "<tr><td>Ян</td><td>89120001122</td><td>Тверь</td></tr></table>")
    p = _parse(html, html=True)
    assert (p.name, p.phone, dict(p.extra).get("Город")) == ("Ян", "+79120001122", "Тверь")


def test_question_answer_header_is_no_field() -> None:
    """A 'Question | Answer' header row does not become the message."""
    html = ("<table><tr><td style='font-weight:bold'>Question</td><td style='font-weight:bold'>"
            "Answer</td></tr><tr><td>Name</td><td>Ann</td></tr><tr><td>Email</td>"
            "<td>ann@x.example</td></tr></table>")
    p = _parse(html, html=True)
    assert p.message is None and p.name == "Ann"


# ------------------------------------------------------------------ header shapes, addresses


def test_cf7_57_from_line_without_brackets() -> None:
    """CF7 >= 5.7 writes 'From: Name address'; the name is the client's."""
    assert split_sender("Mark Davis mark@d.example") == ("Mark Davis", "mark@d.example")
    assert split_sender("Иван <i@x.example>") == ("Иван", "i@x.example")
    assert split_sender("Иван") == ("Иван", "")
    p = _parse("From: Mark Davis mark@d.example\nSubject: Gate\n\nMessage Body:\nA gate, please.\n",
               frm="WordPress <wordpress@stal.example>")
    assert (p.name, p.email) == ("Mark Davis", "mark@d.example")


def test_site_own_domain_named_without_link_is_not_the_client() -> None:
    """A From on the site's domain, named in the body without https://, is not the client."""
    assert mentions_domain("с сайта metall.example\n", "metall.example")
    assert not mentions_domain("a@metall.example", "metall.example")
    p = _parse("Имя: Ян\nТелефон: 89120001122\nE-mail: \nСообщение: Швеллер 12П.\n\n"
               "Заявка отправлена с сайта metall.example\n",
               frm="Металл <zakaz@metall.example>", to="metall.zakaz@yandex.ru")
    assert p.email is None


def test_client_domain_in_message_keeps_client_from() -> None:
    """A client writing from his own domain and naming it in the message stays the client."""
    p = _parse("Имя: Ян\nТелефон: 89120001122\nСообщение: Мы — ural-stroy.example, нужен лист.\n",
               frm="Ян <yan@ural-stroy.example>", to="sales@stal.example")
    assert p.email == "yan@ural-stroy.example"


# ------------------------------------------------------------------ phones inside links


def test_phone_inside_a_link_is_not_the_clients() -> None:
    """A wa.me link's number is not taken as the phone; the lead is still made."""
    assert "79161234567" not in without_urls("пишите https://wa.me/79161234567 сюда")
    p = _parse("Имя: Рома\nСообщение: Беседка 3х4. Напишите в WhatsApp: https://wa.me/79161234567\n")
    assert p.phone is None and p.create_lead


def test_link_spam_with_a_messenger_contact_is_spam() -> None:
    """Three links with a messenger contact and no real phone: spam."""
    p = _parse("Имя: Team\nСообщение: SEO top-10 https://seo.example/a https://seo.example/b "
               "WhatsApp: https://wa.me/919876543210\n")
    assert p.spam and not p.create_lead and p.phone is None


def test_not_a_form_reports_no_client_fields() -> None:
    """A letter with no form fields carries no name, e-mail or extras in its result."""
    p = _parse("Добрый день!\n\nНаправляю прайс.\n\nС уважением,\nАндрей\nТел.: +7 495 111-22-33\n",
               frm="Андрей <a@supplier.example>", subject="Прайс на декабрь")
    assert not p.is_form and (p.name, p.email, p.phone, p.extra) == (None, None, None, ())
