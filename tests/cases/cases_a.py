"""Cases: messages that run on (trailers, footers, order lists) and metadata in many wordings."""

# ruff: noqa: E501, RUF005  (e-mail text is as long as the mailer writes it; header lists are spliced)

from __future__ import annotations

from tests.cases.mailers import Multi, Part, bitrix, message, phpmailer, saas

D = "Mon, 07 Dec 2026 {t} +0300"
CASES: list[dict] = []


def case(slug: str, template: str, source: str, notes: str, eml: bytes, **exp: object) -> None:
    """Record one case: its bytes and what a person reads out of it."""
    expected = {"is_form": True, "create_lead": True, "name": None, "phone": None,
                "email": None, "message": None, "extra": {}, "attachments": [],
                "rejected_attachments": []}
    expected.update(exp)
    expected.update(template=template, source=source, notes=notes)
    CASES.append({"slug": slug, "eml": eml, "expected": expected})


BX_FORM = "1C-Bitrix form module (FORM_FILLING_* mail event), default template"
BX_SRC = "1C-Bitrix 'form' module: mail event FORM_FILLING_<SID> default text (title line, '*****' line, answer; 'Для просмотра воспользуйтесь ссылкой' + form_result_view.php); b_event_message dumps; dev.1c-bitrix.ru course 'Веб-формы'"

case("a01-bitrix-aspro-sent-at-trailer",
     "Aspro (Next/Max) ASPRO_*_SEND_FORM template on 1C-Bitrix", "Aspro solutions' form-module mail templates (fields as 'Label: value', closing 'Отправлено …' and 'Просмотреть результат на сайте' admin link), aspro.ru/docs; 1C-Bitrix CEvent headers",
     "message value must stop before the 'Отправлено … / Просмотреть результат' trailer",
     message(bitrix("stalmarket.example", "192.0.2.41", D.format(t="10:14:22"), "sales@stalmarket.example",
                    "info@stalmarket.example", "Металлобаза СтальМаркет: Задать вопрос", "ASPRO_MAX_SEND_FORM_4"),
             Part("Информационное сообщение сайта Металлобаза СтальМаркет\n------------------------------------------\n\n"
                  "Заполнена форма «Задать вопрос»\n\nВаше имя: Кирилл Андреевич Воронин\nТелефон: +7 (903) 412-55-81\n"
                  "E-mail: voronin.k@inbox.example\nСообщение: Добрый день. Подскажите, есть ли в наличии лист 09Г2С 16 мм, 6 листов 1500х6000?\n"
                  "Нужна порезка пополам.\n\nОтправлено 07.12.2026 в 10:14:22.\n"
                  "Просмотреть результат на сайте: https://stalmarket.example/bitrix/admin/form_result_view.php?lang=ru&WEB_FORM_ID=4&RESULT_ID=1187\n")),
     name="Кирилл Андреевич Воронин", phone="+79034125581", email="voronin.k@inbox.example",
     message="Добрый день. Подскажите, есть ли в наличии лист 09Г2С 16 мм, 6 листов 1500х6000?\nНужна порезка пополам.")

case("a02-bitrix-form-module-cp1251-view-link", BX_FORM, BX_SRC,
     "question-shaped label is the message; the admin link trailer is not part of it; windows-1251",
     message(bitrix("stroycomplekt.example", "192.0.2.42", D.format(t="11:02:40"), "zakaz@stroycomplekt.example",
                    "robot@stroycomplekt.example", "stroycomplekt.example: заполнена web-форма [2] Заявка на расчёт",
                    "FORM_FILLING_RASCHET", charset="windows-1251"),
             Part("stroycomplekt.example\n\nЗаполнена web-форма: [2] Заявка на расчёт\n"
                  "-------------------------------------------------------\n\nДата - 07.12.2026 11:02:40\nРезультат - 418\n"
                  "Пользователь - [0] не авторизован\nСеанс - 1184\n\nВаше имя\n*******************************\nМаргарита Ильина\n\n"
                  "Телефон\n*******************************\n8 921 300-40-50\n\nЧто нужно рассчитать?\n*******************************\n"
                  "Профнастил С21 оцинкованный, 240 м2, доставка в Гатчину.\n\nДля просмотра воспользуйтесь ссылкой:\n"
                  "https://stroycomplekt.example/bitrix/admin/form_result_view.php?lang=ru&WEB_FORM_ID=2&RESULT_ID=418\n\n"
                  "-------------------------------------------------------\nПисьмо сгенерировано автоматически.\n",
                  charset="windows-1251")),
     name="Маргарита Ильина", phone="+79213004050",
     message="Профнастил С21 оцинкованный, 240 м2, доставка в Гатчину.")

case("a03-drupal7-webform-results-viewed-at", "Drupal 7 Webform, webform-mail.tpl.php default",
     "Webform 7.x webform-mail.tpl.php ('Submitted on', 'Submitted by anonymous user: [ip]', 'Submitted values are:', 'The results of this submission may be viewed at:'); Drupal core DefaultMailSystem headers (format=flowed; delsp=yes, 8Bit, X-Mailer: Drupal)",
     "multi-line message value followed by the 'results may be viewed at' trailer with the submission URL",
     message(phpmailer("metalsupply.example", "192.0.2.43", D.format(t="10:21:05"), "sales@metalsupply.example",
                       "Metal Supply <noreply@metalsupply.example>", "Webform submission from: Request a quote")[:-2]
             + [("X-Mailer", "Drupal"), ("MIME-Version", "1.0")],
             Part("Submitted on Mon, 12/07/2026 - 10:21\nSubmitted by anonymous user: [203.0.113.47]\nSubmitted values are:\n\n"
                  "Name: Thomas Reed\nE-mail: t.reed@reedfab.example\nPhone: +1 (614) 555-0148\nMessage:\n"
                  "We need 40 pcs of 304 stainless sheet, 2 mm, 1250x2500, cut to 600x1200.  \nCould you quote delivery to Columbus, OH?\n\n\n"
                  "The results of this submission may be viewed at:\n\nhttps://metalsupply.example/node/17/submission/2291\n",
                  cte="8Bit", params="; format=flowed; delsp=yes")),
     name="Thomas Reed", phone="+16145550148", email="t.reed@reedfab.example",
     message="We need 40 pcs of 304 stainless sheet, 2 mm, 1250x2500, cut to 600x1200. Could you quote delivery to Columbus, OH?")

case("a04-drupal10-webform-html-view-submission", "Drupal 10 Webform 6.x email handler, HTML body with [webform_submission:values]",
     "Webform 6.x WebformEmailHandler default body ('Submitted on [webform_submission:created]', 'Submitted by: [webform_submission:user]', 'Submitted values are:' + values as <b>label</b><br>value); site adds 'View submission: [webform_submission:url]'",
     "HTML label/value paragraphs, then a 'View submission' admin link that is no field",
     message(phpmailer("kovka-pro.example", "192.0.2.44", D.format(t="10:30:12"), "info@kovka-pro.example",
                       "Kovka Pro <noreply@kovka-pro.example>", "Webform submission from: Contact")[:-2]
             + [("X-Mailer", "Drupal"), ("MIME-Version", "1.0")],
             Part("<p>Submitted on Monday, December 7, 2026 - 10:30</p>\n<p>Submitted by: Anonymous</p>\n<p>Submitted values are:</p>\n"
                  "<b>Your Name</b><br />Daniel Brooks<br /><br />\n<b>Your Email</b><br />dbrooks@brooksrenov.example<br /><br />\n"
                  "<b>Phone</b><br />(503) 555-0172<br /><br />\n<b>Message</b><br />Looking for a wrought iron railing for a staircase, 14 ft, black.<br />\n"
                  "Can someone come to measure?<br /><br />\n<p>View submission: <a href=\"https://kovka-pro.example/admin/structure/webform/manage/contact/submission/55\">"
                  "https://kovka-pro.example/admin/structure/webform/manage/contact/submission/55</a></p>\n",
                  subtype="html")),
     name="Daniel Brooks", phone="+15035550172", options={"default_region": "US"}, email="dbrooks@brooksrenov.example",
     message="Looking for a wrought iron railing for a staircase, 14 ft, black.\nCan someone come to measure?")

case("a05-mailphp-shop-footer-own-phone", "hand-written mail.php with the shop's own footer",
     "PHP mail() with a site footer appended by the script (common on Russian hosting); no separator line before the footer",
     "the shop's address and phone after a blank line are neither the message nor the client's phone",
     message(phpmailer("metall-nn.example", "192.0.2.45", D.format(t="12:05:50"), "shop@metall-nn.example",
                       "=?UTF-8?B?0JzQtdGC0LDQu9C7LdCd0J0=?= <shop@metall-nn.example>", "Новое сообщение с сайта")[:-2]
             + [("X-Mailer", "PHP/8.1.30"), ("MIME-Version", "1.0")],
             Part("Новое сообщение с сайта\n\nИмя: Денис\nТелефон: 8-950-111-22-33\n"
                  "Комментарий: Сколько стоит доставка 2 т арматуры в Кстово? Нужна разгрузка краном.\n\n"
                  "Интернет-магазин «Металл-НН»\n603000, г. Нижний Новгород, ул. Литейная, 12\nТел.: +7 (831) 200-30-40\nhttps://metall-nn.example\n")),
     name="Денис", phone="+79501112233",
     message="Сколько стоит доставка 2 т арматуры в Кстово? Нужна разгрузка краном.")

case("a06-flexbe-order-list-after-comment", "Flexbe lead notification with a cart (RECONSTRUCTED layout)",
     "Flexbe lead e-mails (help.flexbe.ru 'Заявки'): fields as 'Label: value', cart block 'Состав заказа' and 'Итого'; RECONSTRUCTED from documented field names",
     "the order list after the comment is its own field, not part of the comment",
     message(saas("Flexbe <robot@flexbe.com>", "profnastil-spb@yandex.ru", "Новая заявка с сайта profnastil-spb.example",
                  D.format(t="13:40:01"), "a1b2c3d4e5@flexbe.com"),
             Multi("alternative", [Part("Заявка с сайта profnastil-spb.example\n\nИмя: Алексей\nТелефон: +7 911 222 33 44\n"
                                        "Комментарий: Позвоните после 14:00, уточним цвет.\n\nСостав заказа:\n"
                                        "Профнастил С8 RAL 3005 — 36 листов\nСаморезы кровельные 4,8х35 — 3 уп.\nИтого: 28 640 руб.\n",
                                        cte="quoted-printable")], "flx-b7c1d9")),
     name="Алексей", phone="+79112223344", message="Позвоните после 14:00, уточним цвет.",
     extra={"Состав заказа": "Профнастил С8 RAL 3005 — 36 листов\nСаморезы кровельные 4,8х35 — 3 уп.", "Итого": "28 640 руб."})

case("a07-gravity-forms-view-entry-link", "Gravity Forms {all_fields} + 'View entry' admin link",
     "Gravity Forms {all_fields} table (docs.gravityforms.com merge tags: {all_fields}, {entry_url}); the site adds 'Посмотреть заявку: {entry_url}'",
     "admin link after the fields table",
     message(phpmailer("ograda.example", "192.0.2.46", D.format(t="09:12:33"), "sales@ograda.example",
                       "WordPress <wordpress@ograda.example>", "Новая заявка: Расчёт забора"),
             Part("<table width=\"99%\" border=\"0\" cellpadding=\"1\" cellspacing=\"0\" bgcolor=\"#EAEAEA\"><tr><td>"
                  "<table width=\"100%\" border=\"0\" cellpadding=\"5\" cellspacing=\"0\" bgcolor=\"#FFFFFF\">\n"
                  "<tr bgcolor=\"#EAF2FA\"><td colspan=\"2\"><font style=\"font-family: sans-serif; font-size:12px;\"><strong>Имя</strong></font></td></tr>\n"
                  "<tr bgcolor=\"#FFFFFF\"><td width=\"20\">&nbsp;</td><td><font style=\"font-family: sans-serif; font-size:12px;\">Сергей Кузнецов</font></td></tr>\n"
                  "<tr bgcolor=\"#EAF2FA\"><td colspan=\"2\"><font style=\"font-family: sans-serif; font-size:12px;\"><strong>Телефон</strong></font></td></tr>\n"
                  "<tr bgcolor=\"#FFFFFF\"><td width=\"20\">&nbsp;</td><td><font style=\"font-family: sans-serif; font-size:12px;\">(926) 555-44-33</font></td></tr>\n"
                  "<tr bgcolor=\"#EAF2FA\"><td colspan=\"2\"><font style=\"font-family: sans-serif; font-size:12px;\"><strong>Длина забора, м</strong></font></td></tr>\n"
                  "<tr bgcolor=\"#FFFFFF\"><td width=\"20\">&nbsp;</td><td><font style=\"font-family: sans-serif; font-size:12px;\">85</font></td></tr>\n"
                  "<tr bgcolor=\"#EAF2FA\"><td colspan=\"2\"><font style=\"font-family: sans-serif; font-size:12px;\"><strong>Комментарий</strong></font></td></tr>\n"
                  "<tr bgcolor=\"#FFFFFF\"><td width=\"20\">&nbsp;</td><td><font style=\"font-family: sans-serif; font-size:12px;\">Участок в Истринском районе, нужен профлист с воротами.</font></td></tr>\n"
                  "</table></td></tr></table>\n<p>Посмотреть заявку: <a href=\"https://ograda.example/wp-admin/admin.php?page=gf_entries&amp;view=entry&amp;id=2&amp;lid=311\">"
                  "https://ograda.example/wp-admin/admin.php?page=gf_entries&amp;view=entry&amp;id=2&amp;lid=311</a></p>\n", subtype="html")),
     name="Сергей Кузнецов", phone="+79265554433", message="Участок в Истринском районе, нужен профлист с воротами.",
     extra={"Длина забора, м": "85"})

case("a08-umi-cms-webforms-ip-date", "UMI.CMS webforms module notification",
     "UMI.CMS 'webforms' module mail template (form name line, <b>Label:</b> value<br/>, sender IP and send date); docs.umi-cms.ru 'Формы обратной связи'",
     "IP and send date at the end are metadata",
     message(phpmailer("krovlya-master.example", "192.0.2.47", D.format(t="12:10:09"), "info@krovlya-master.example",
                       "=?UTF-8?B?0JrRgNC+0LLQu9GPINCc0LDRgdGC0LXRgA==?= <noreply@krovlya-master.example>", "Обратная связь"),
             Part("<p>Поступило новое сообщение через форму «Обратная связь» на сайте krovlya-master.example.</p>\n"
                  "<p><b>Имя:</b> Павел Дроздов<br/>\n<b>E-mail:</b> drozdov.p@post.example<br/>\n<b>Телефон:</b> +7 (4212) 45-67-89<br/>\n"
                  "<b>Вопрос:</b> Сколько стоит монтаж металлочерепицы на 180 м2?<br/></p>\n"
                  "<p>IP-адрес отправителя: 198.51.100.77<br/>\nДата отправки: 07.12.2026 12:10</p>\n", subtype="html")),
     name="Павел Дроздов", phone="+74212456789", email="drozdov.p@post.example",
     message="Сколько стоит монтаж металлочерепицы на 180 м2?")

case("b01-jetpack-contact-time-ip-url", "Jetpack contact form (grunion) notification",
     "Jetpack modules/contact-form (grunion-contact-form.php): 'Label: value' lines, then 'Time:', 'IP Address:', 'Contact Form URL:' and a 'Sent by …' line",
     "Time and IP go nowhere; the form URL stays a field; the 'Sent by …' line belongs to nobody",
     message(phpmailer("laserworks.example", "192.0.2.48", "Mon, 07 Dec 2026 15:12:40 +0000", "hello@laserworks.example",
                       "Rachel Kim <wordpress@laserworks.example>", "[LaserWorks] Facade panels",
                       reply_to="Rachel Kim <rachel.kim@kimdesign.example>"),
             Part("<b>Name:</b> Rachel Kim<br /><br />\n<b>Email:</b> rachel.kim@kimdesign.example<br /><br />\n"
                  "<b>Website:</b> https://kimdesign.example<br /><br />\n<b>Message:</b> Looking for laser-cut steel panels for a restaurant facade, about 30 panels. Can we set up a call?<br /><br />\n"
                  "<br />\nTime: December 7, 2026 at 3:12 pm<br />\nIP Address: 198.51.100.23<br />\nContact Form URL: https://laserworks.example/contact/<br />\n"
                  "Sent by an unverified visitor to your site.<br />\n", subtype="html")),
     name="Rachel Kim", email="rachel.kim@kimdesign.example",
     message="Looking for laser-cut steel panels for a restaurant facade, about 30 panels. Can we set up a call?",
     extra={"Website": "https://kimdesign.example", "Contact Form URL": "https://laserworks.example/contact/"})

case("b02-formidable-user-info", "Formidable Forms default message with user info",
     "Formidable Forms [default-message] with 'Append IP Address, Browser and Referring URL' (FrmEntriesHelper user info: 'User-Agent (Browser/OS)', 'IP Address', 'Referrer URL')",
     "user agent and IP go nowhere; the referrer stays",
     message(phpmailer("fasad.example", "192.0.2.49", D.format(t="14:00:31"), "zakaz@fasad.example",
                       "=?UTF-8?B?0KTQsNGB0LDQtA==?= <wordpress@fasad.example>", "Фасадные кассеты — новая заявка",
                       reply_to="guseva@ural.example"),
             Part("Имя: Наталья Гусева\r\nТелефон: +7 (912) 600-70-80\r\nEmail: guseva@ural.example\r\n"
                  "Сообщение: Нужна консультация по фасадным кассетам, площадь фасада около 900 м2.\r\n\r\n"
                  "User-Agent (Browser/OS): Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36\r\n"
                  "IP Address: 203.0.113.88\r\nReferrer URL: https://fasad.example/kassety/\r\n")),
     name="Наталья Гусева", phone="+79126007080", email="guseva@ural.example",
     message="Нужна консультация по фасадным кассетам, площадь фасада около 900 м2.",
     extra={"Referrer URL": "https://fasad.example/kassety/"})

case("b03-drupal7-webform-ru-anonymous", "Drupal 7 Webform, Russian translation of the default template",
     "Webform 7.x webform-mail.tpl.php with the Russian interface translation (localize.drupal.org: 'Отправлено', 'Отправлено анонимным пользователем: [ip]', 'Отправленные значения')",
     "'submitted by anonymous user [IP]' in Russian is metadata",
     message(phpmailer("zabor-ekb.example", "192.0.2.50", D.format(t="10:40:02"), "info@zabor-ekb.example",
                       "Zabor EKB <noreply@zabor-ekb.example>", "Отправка формы: Заказать замер")[:-2]
             + [("X-Mailer", "Drupal"), ("MIME-Version", "1.0")],
             Part("Отправлено Пн, 07/12/2026 - 10:40\nОтправлено анонимным пользователем: [198.51.100.61]\nОтправленные значения:\n\n"
                  "Имя: Татьяна Викторовна Белых\nТелефон: 8 (343) 287-11-22\nАдрес объекта: Берёзовский, ул. Строителей, 5\n"
                  "Комментарий: Нужен замер под забор из евроштакетника.\n", cte="8Bit", params="; format=flowed; delsp=yes")),
     name="Татьяна Викторовна Белых", phone="+73432871122", message="Нужен замер под забор из евроштакетника.",
     extra={"Адрес объекта": "Берёзовский, ул. Строителей, 5"})

case("b04-elementor-en-metadata", "Elementor Pro form, [all-fields] with metadata (English)",
     "Elementor Pro Forms 'Email' action: [all-fields] 'Label: value' lines, then '---' and Date, Time, Page URL, User Agent, Remote IP, Powered by",
     "English metadata block: only the page URL stays",
     message(phpmailer("gatesmith.example", "192.0.2.51", "Mon, 07 Dec 2026 09:14:02 -0500", "office@gatesmith.example",
                       "GateSmith <wordpress@gatesmith.example>", "New message from \"GateSmith\"",
                       reply_to="owen.h@harperhomes.example"),
             Part("Name: Owen Harper<br>Email: owen.h@harperhomes.example<br>Phone: (614) 555-0199<br>Message: Quote for a 12 ft sliding driveway gate with opener, please.<br><br>---<br><br>"
                  "Date: December 7, 2026<br>Time: 9:14 am<br>Page URL: https://gatesmith.example/driveway-gates/<br>"
                  "User Agent: Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15<br>"
                  "Remote IP: 203.0.113.201<br>Powered by: Elementor<br>", subtype="html")),
     name="Owen Harper", phone="+16145550199", options={"default_region": "US"}, email="owen.h@harperhomes.example",
     message="Quote for a 12 ft sliding driveway gate with opener, please.",
     extra={"Page URL": "https://gatesmith.example/driveway-gates/"})

case("b05-mailphp-server-vars", "hand-written mail.php appending $_SERVER values",
     "PHP mail() script printing REMOTE_ADDR, HTTP_USER_AGENT, HTTP_REFERER and date('d.m.Y H:i:s') under the fields",
     "raw server variable names: REMOTE_ADDR/HTTP_USER_AGENT go nowhere, HTTP_REFERER stays",
     message(phpmailer("zinc.example", "192.0.2.52", D.format(t="14:02:11"), "zakaz@zinc.example",
                       "zakaz@zinc.example", "Заявка с сайта")[:-2] + [("X-Mailer", "PHP/7.4.33"), ("MIME-Version", "1.0")],
             Part("Имя: Руслан\nТелефон: 89271234567\nСообщение: Нужен лист оцинкованный 0,7 мм, 50 листов, самовывоз.\n\n"
                  "REMOTE_ADDR: 203.0.113.140\nHTTP_USER_AGENT: Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148\n"
                  "HTTP_REFERER: https://zinc.example/list-ocinkovannyj/\nВремя отправки: 07.12.2026 14:02:11\n")),
     name="Руслан", phone="+79271234567", message="Нужен лист оцинкованный 0,7 мм, 50 листов, самовывоз.",
     extra={"HTTP_REFERER": "https://zinc.example/list-ocinkovannyj/"})

case("b06-netcat-message-added", "NetCat CMS: 'new object' mail of a feedback section",
     "NetCat 'Добавление объекта' mail template of the feedback component (fields, 'Дата добавления', 'IP-адрес', 'User-agent'); netcat.ru documentation",
     "'Дата добавления', 'IP-адрес' and 'User-agent' are metadata",
     message(phpmailer("teplica-nn.example", "192.0.2.53", D.format(t="15:00:21"), "info@teplica-nn.example",
                       "noreply@teplica-nn.example", "Новое сообщение в разделе «Обратная связь»")[:-2]
             + [("X-Mailer", "NetCat"), ("MIME-Version", "1.0")],
             Part("В разделе «Обратная связь» добавлено новое сообщение.\n\nИмя: Ольга Сергеевна\nE-mail: olga.s@nn.example\n"
                  "Телефон: 8 (831) 414-22-10\nТекст: Интересует теплица из профильной трубы 3х6 м с доставкой в Бор.\n\n"
                  "Дата добавления: 07.12.2026 15:00:21\nIP-адрес: 198.51.100.150\nUser-agent: Mozilla/5.0 (Linux; Android 14) Chrome/131.0 Mobile Safari/537.36\n",
                  charset="windows-1251")),
     name="Ольга Сергеевна", phone="+78314142210", email="olga.s@nn.example",
     message="Интересует теплица из профильной трубы 3х6 м с доставкой в Бор.")

case("b07-lpgenerator-visitor-data", "LPgenerator lead notification (RECONSTRUCTED layout)",
     "LPgenerator lead e-mails (help.lpgenerator.ru 'Уведомления о лидах'): fields, then visitor data (date and time, IP, page); RECONSTRUCTED from documented field names",
     "'Дата и время' and 'IP-адрес посетителя' go nowhere; the page stays",
     message(saas("LPgenerator <noreply@lpgenerator.ru>", "vorota.kazan@mail.ru", "Новый лид: Ворота под ключ",
                  D.format(t="16:20:44"), "lead.8812731@lpgenerator.ru"),
             Multi("alternative", [Part("Новый лид на странице «Ворота под ключ»\n\nИмя: Ильдар\nТелефон: +7 (917) 888-77-66\n"
                                        "Ширина проёма: 4,5 м\n\nДата и время: 07.12.2026 16:20\nIP-адрес посетителя: 198.51.100.90\n"
                                        "Страница: https://vorota-kazan.example/\n", cte="base64")], "lpg-41c2")),
     name="Ильдар", phone="+79178887766",
     extra={"Ширина проёма": "4,5 м", "Страница": "https://vorota-kazan.example/"})

case("b08-quform-entry-metadata", "Quform (WordPress) notification with {all_form_data} and entry metadata",
     "Quform notifications: {all_form_data} table plus {entry_id}, {form_name}, {ip}, {date}, {user_agent} variables (support.themecatcher.net/quform-wordpress-v2)",
     "entry ID, IP, date and user agent labelled in English go nowhere",
     message(phpmailer("weldpro.example", "192.0.2.54", "Mon, 07 Dec 2026 11:45:00 +0000", "info@weldpro.example",
                       "WeldPro <wordpress@weldpro.example>", "New form submission", reply_to="j.moreau@atelier.example"),
             Part("<table cellpadding=\"5\"><tr><td valign=\"top\"><strong>Name</strong></td><td>Julien Moreau</td></tr>\n"
                  "<tr><td valign=\"top\"><strong>Email</strong></td><td>j.moreau@atelier.example</td></tr>\n"
                  "<tr><td valign=\"top\"><strong>Message</strong></td><td>We need TIG welding of 20 aluminium frames, drawings attached to a follow-up mail.</td></tr></table>\n"
                  "<p>Entry ID: 57<br>Form: Contact us<br>IP address: 203.0.113.77<br>Date: 2026-12-07 11:45:00<br>User agent: Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0</p>\n",
                  subtype="html")),
     name="Julien Moreau", email="j.moreau@atelier.example",
     message="We need TIG welding of 20 aluminium frames, drawings attached to a follow-up mail.",
     extra={"Form": "Contact us"})

case("b09-hubspot-page-submitted-on", "HubSpot form submission notification",
     "HubSpot 'New form submission' notification e-mail (knowledge.hubspot.com 'Set up form submission notifications'): contact properties, 'Page submitted on', 'View submission'/'View contact record'",
     "'View contact record' is no field; the page stays",
     message(saas("HubSpot <noreply@notifications.hubspot.com>", "sales@steelframe.example", "New submission on Contact us",
                  "Mon, 07 Dec 2026 16:02:11 +0000", "notif-99182@notifications.hubspot.com"),
             Multi("alternative", [Part("Contact information\n\nFirst name: Laura\nLast name: Chen\nEmail: laura.chen@chenarch.example\n"
                                        "Phone number: +1 415 555 0133\nMessage: Please send pricing for light-gauge steel framing for a 2-storey house.\n\n"
                                        "Page submitted on: Contact us | SteelFrame https://steelframe.example/contact\n\nView contact record\n",
                                        cte="quoted-printable")], "hs-alt-1")),
     name="Laura Chen", phone="+14155550133", email="laura.chen@chenarch.example",
     message="Please send pricing for light-gauge steel framing for a 2-storey house.",
     extra={"Page submitted on": "Contact us | SteelFrame https://steelframe.example/contact"})
