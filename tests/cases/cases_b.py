"""Cases: free text without a message label, wide tables, header shapes, own address, spam."""

# ruff: noqa: E501, RUF005  (e-mail text is as long as the mailer writes it; header lists are spliced)

from __future__ import annotations

from tests.cases.cases_a import D, case
from tests.cases.mailers import Multi, Part, message, phpmailer, saas

CF7 = "Contact Form 7 (custom mail template)"
CF7_SRC = "Contact Form 7 includes/mail.php (mail tags replaced in the site owner's template); PHPMailer via wp_mail()"

case("c01-cf7-empty-field-then-unlabelled-text", CF7, CF7_SRC,
     "an empty optional field, a blank line, then the unlabelled [your-message]: the paragraph is the message",
     message(phpmailer("navesy.example", "192.0.2.60", D.format(t="10:01:00"), "info@navesy.example",
                       "WordPress <wordpress@navesy.example>", "Заявка с сайта"),
             Part("Имя: Олег Смирнов\nТелефон: +7 999 123-45-67\nКомпания:\n\n"
                  "Здравствуйте! Нужен расчёт на металлоконструкции навеса 6х12 м, чертёж есть.\n\n-- \n"
                  "Это сообщение отправлено с сайта Навесы (https://navesy.example)\n")),
     name="Олег Смирнов", phone="+79991234567",
     message="Здравствуйте! Нужен расчёт на металлоконструкции навеса 6х12 м, чертёж есть.")

case("c02-wpforms-plain-question-label", "WPForms plain-text {all_fields}",
     "WPForms plain text notifications ('--- Label ---', value, '(empty)'): src/Emails/Notifications.php",
     "a textarea labelled with a question is the message",
     message(phpmailer("metalloizdeliya.example", "192.0.2.61", D.format(t="10:05:00"), "zakaz@metalloizdeliya.example",
                       "WordPress <wordpress@metalloizdeliya.example>", "Новая запись: Заказ изделия"),
             Part("--- Имя ---\n\nЕкатерина\n\n--- Телефон ---\n\n+7 (921) 765-43-21\n\n--- Email ---\n\n(пусто)\n\n"
                  "--- Что нужно изготовить? ---\n\nКозырёк над крыльцом из поликарбоната на металлическом каркасе, 2х1,5 м.\n"
                  "Цвет каркаса — графит.\n\n")),
     name="Екатерина", phone="+79217654321",
     message="Козырёк над крыльцом из поликарбоната на металлическом каркасе, 2х1,5 м.\nЦвет каркаса — графит.")

case("c03-everest-forms-question-textarea", "Everest Forms {all_fields} HTML table",
     "Everest Forms email template ({all_fields}: label row + value row, evf 'Sent from' footer); everestforms.net docs",
     "question label over a long free-text answer: the message",
     message(phpmailer("lestnicy.example", "192.0.2.62", D.format(t="10:07:00"), "info@lestnicy.example",
                       "Лестницы <wordpress@lestnicy.example>", "Новая заявка"),
             Part("<table><tr><td><strong>Имя</strong></td></tr><tr><td>Григорий Павлович</td></tr>\n"
                  "<tr><td><strong>Телефон</strong></td></tr><tr><td>89035557788</td></tr>\n"
                  "<tr><td><strong>Какая лестница вам нужна?</strong></td></tr><tr><td>Лестница на второй этаж на металлокаркасе, "
                  "поворот на 90 градусов, ступени из дуба, высота 3 м.</td></tr></table>\n<p>Sent from Лестницы</p>\n", subtype="html")),
     name="Григорий Павлович", phone="+79035557788",
     message="Лестница на второй этаж на металлокаркасе, поворот на 90 градусов, ступени из дуба, высота 3 м.")

case("c04-ninja-forms-project-details", "Ninja Forms {fields_table}",
     "Ninja Forms email action with {fields_table} (<table><tr><td>Label:</td><td>value</td></tr>), ninjaforms.com docs 'Email & Actions'",
     "an unknown label with a long free-text value is the message when no message label exists",
     message(phpmailer("fabshop.example", "192.0.2.63", "Mon, 07 Dec 2026 10:09:00 -0600", "quotes@fabshop.example",
                       "FabShop <wordpress@fabshop.example>", "Ninja Forms Submission"),
             Part("<table><tr><td>Name:</td><td>Marcus Webb</td></tr><tr><td>Email:</td><td>mwebb@webbfarms.example</td></tr>"
                  "<tr><td>Phone:</td><td>(402) 555-0191</td></tr><tr><td>Details of your project:</td><td>Custom steel gate for a cattle pen, "
                  "16 ft wide, galvanized, with a chain latch. Need it before spring.</td></tr></table>", subtype="html")),
     name="Marcus Webb", phone="+14025550191", options={"default_region": "US"}, email="mwebb@webbfarms.example",
     message="Custom steel gate for a cattle pen, 16 ft wide, galvanized, with a chain latch. Need it before spring.")

case("c05-netlify-keys-request", "Netlify Forms notification (RECONSTRUCTED layout)",
     "docs.netlify.com/manage/forms/notifications: field names as labels; RECONSTRUCTED layout",
     "field key 'request' with the free text: the message",
     message(saas("Netlify <formresponses@netlify.com>", "team@boltworks.example", "[Netlify] Form submission from contact form",
                  "Mon, 07 Dec 2026 17:30:00 +0000", "sub-6f1a2b@netlify.com", reply_to="ava.l@lindqvist.example"),
             Multi("alternative", [Part("name: Ava Lindqvist\nemail: ava.l@lindqvist.example\nphone: +46 70 123 45 67\n"
                                        "request: Looking for 500 M8 stainless bolts with nuts, delivery to Gothenburg.\n",
                                        cte="quoted-printable")], "nfy-33")),
     name="Ava Lindqvist", phone="+46701234567", email="ava.l@lindqvist.example",
     message="Looking for 500 M8 stainless bolts with nuts, delivery to Gothenburg.")

case("c06-mailphp-trailing-paragraph", "hand-written mail.php: fields, then the textarea without a label",
     "PHP mail() script: \"Имя: $name\\nТелефон: $phone\\n\\n$comment\"",
     "the unlabelled paragraph after the fields is the message",
     message(phpmailer("vorota-tula.example", "192.0.2.64", D.format(t="10:11:00"), "zakaz@vorota-tula.example",
                       "zakaz@vorota-tula.example", "Заявка с сайта")[:-2] + [("X-Mailer", "PHP/8.2.12"), ("MIME-Version", "1.0")],
             Part("Заявка с сайта\n\nИмя: Виктор\nТелефон: 8 912 000 11 22\n\n"
                  "Хочу заказать ворота откатные 4 м с автоматикой, выезд замерщика на следующей неделе.\n")),
     name="Виктор", phone="+79120001122",
     message="Хочу заказать ворота откатные 4 м с автоматикой, выезд замерщика на следующей неделе.")

case("c07-yandex-forms-tell-more", "Yandex Forms notification (RECONSTRUCTED layout)",
     "Yandex Forms notifications (yandex.ru/support/forms): question line then answer line; RECONSTRUCTED",
     "the question 'Расскажите подробнее о задаче' is the free-text field",
     message(saas("Яндекс Формы <noreply@forms.yandex.ru>", "sales@bunker.example", "Новый ответ на форму «Заявка»",
                  D.format(t="10:13:00"), "f81c2e@forms.yandex.ru"),
             Multi("alternative", [Part("Ваше имя\nАртём\n\nТелефон\n+7 985 111-00-99\n\nРасскажите подробнее о задаче\n"
                                        "Нужен бункер для сыпучих материалов, 5 м3, сталь 4 мм, с задвижкой.\n", cte="base64")], "ya-77")),
     name="Артём", phone="+79851110099",
     message="Нужен бункер для сыпучих материалов, 5 м3, сталь 4 мм, с задвижкой.")

case("c08-formspree-project", "Formspree submission (RECONSTRUCTED layout)",
     "Formspree notification e-mails ('key:' line, value line; _replyto): help.formspree.io; RECONSTRUCTED",
     "key 'project' holds the free text",
     message(saas("Formspree <noreply@formspree.io>", "hi@rustic-metal.example", "New submission from rustic-metal.example",
                  "Mon, 07 Dec 2026 18:01:00 +0000", "fs-91a@formspree.io", reply_to="noah.p@pines.example"),
             Multi("alternative", [Part("name:\nNoah Pines\n\nemail:\nnoah.p@pines.example\n\nproject:\nA corten steel planter box set, three boxes 4x2x2 ft, for a rooftop garden.\n",
                                        cte="quoted-printable")], "fsp-1")),
     name="Noah Pines", email="noah.p@pines.example",
     message="A corten steel planter box set, three boxes 4x2x2 ft, for a rooftop garden.")

case("d01-mailphp-three-column-table", "hand-written PHP HTML table: № | Поле | Значение",
     "PHP mail() script building an HTML table with a numbered column and a header row bold by CSS",
     "three columns: the middle cell is the label, the last the value; the CSS-bold header row is no field",
     message(phpmailer("armatura-spb.example", "192.0.2.65", D.format(t="11:00:00"), "sales@armatura-spb.example",
                       "=?UTF-8?B?0KHQsNC50YI=?= <noreply@armatura-spb.example>", "Заявка с сайта armatura-spb.example")[:-2]
             + [("X-Mailer", "PHP/8.0.30"), ("MIME-Version", "1.0")],
             Part("<table border=\"1\" cellpadding=\"4\"><tr style=\"font-weight:bold;background:#eee\"><td>№</td><td>Поле</td><td>Значение</td></tr>\n"
                  "<tr><td>1</td><td>Имя</td><td>Олег Викторович Рябов</td></tr>\n<tr><td>2</td><td>Телефон</td><td>+7 (812) 333-22-11</td></tr>\n"
                  "<tr><td>3</td><td>E-mail</td><td>ryabov@stroy-spb.example</td></tr>\n<tr><td>4</td><td>Сообщение</td><td>Арматура А500С 16 мм, 8 т, нужна резка по 6 м.</td></tr>\n"
                  "</table>\n", subtype="html")),
     name="Олег Викторович Рябов", phone="+78123332211", email="ryabov@stroy-spb.example",
     message="Арматура А500С 16 мм, 8 т, нужна резка по 6 м.")

case("d02-jotform-question-answer-table", "Jotform notification (question | answer table)",
     "Jotform default notification e-mail: a table with a CSS-bold 'Question'/'Answer' header row, one row per question (jotform.com/help 'Setting up email notifications')",
     "the header row styled bold is no field; the questions are labels",
     message(saas("Jotform <noreply@jotform.com>", "office@canopy.example", "Re: Quote Request Form",
                  "Mon, 07 Dec 2026 12:00:00 +0000", "jf-240012@jotform.com", reply_to="s.ortiz@ortizco.example"),
             Multi("alternative", [Part("<table width=\"100%\"><tr><td style=\"font-weight:bold;color:#888\">Question</td><td style=\"font-weight:bold;color:#888\">Answer</td></tr>\n"
                                        "<tr><td>Full Name</td><td>Sofia Ortiz</td></tr>\n<tr><td>E-mail</td><td>s.ortiz@ortizco.example</td></tr>\n"
                                        "<tr><td>Phone Number</td><td>(305) 555-0117</td></tr>\n<tr><td>What can we build for you?</td><td>Aluminium pergola 4x6 m with louvered roof.</td></tr>\n"
                                        "</table>\n", subtype="html", cte="base64")], "jf-b1")),
     name="Sofia Ortiz", phone="+13055550117", options={"default_region": "US"}, email="s.ortiz@ortizco.example",
     message="Aluminium pergola 4x6 m with louvered roof.")

case("d03-crm-export-id-label-value", "hand-written handler: field ID | label | value",
     "PHP handler printing its form definition (field id, label, value) as a three-column HTML table with <th> headers",
     "id column first, then the label; <th> header row is no field",
     message(phpmailer("trubprom.example", "192.0.2.66", D.format(t="11:20:00"), "info@trubprom.example",
                       "noreply@trubprom.example", "Форма: Запрос КП"),
             Part("<table><tr><th>ID</th><th>Поле</th><th>Значение</th></tr>\n<tr><td>f_name</td><td>Ваше имя</td><td>Лидия Маркова</td></tr>\n"
                  "<tr><td>f_phone</td><td>Телефон</td><td>8 (495) 740-12-12</td></tr>\n<tr><td>f_company</td><td>Компания</td><td>ООО «ТеплоМонтаж»</td></tr>\n"
                  "<tr><td>f_text</td><td>Комментарий</td><td>Труба 57х3,5, 120 м, с сертификатами.</td></tr></table>\n", subtype="html")),
     name="Лидия Маркова", phone="+74957401212", message="Труба 57х3,5, 120 м, с сертификатами.",
     extra={"Компания": "ООО «ТеплоМонтаж»"})

case("d04-four-column-table", "hand-written PHP table with a 'required' column",
     "PHP script printing label | value | required | type columns",
     "four columns: the label cell and the value cell beside it",
     message(phpmailer("proflist.example", "192.0.2.67", D.format(t="11:25:00"), "sales@proflist.example",
                       "noreply@proflist.example", "Заявка"),
             Part("<table><tr><td><b>Поле</b></td><td><b>Значение</b></td><td><b>Обяз.</b></td><td><b>Тип</b></td></tr>\n"
                  "<tr><td>Имя</td><td>Зарина</td><td>да</td><td>text</td></tr>\n<tr><td>Телефон</td><td>+7 701 555 12 34</td><td>да</td><td>tel</td></tr>\n"
                  "<tr><td>Сообщение</td><td>Профлист НС35, 120 листов, доставка в Алматы.</td><td>нет</td><td>textarea</td></tr></table>\n", subtype="html")),
     name="Зарина", phone="+77015551234", message="Профлист НС35, 120 листов, доставка в Алматы.")

CF757 = "Contact Form 7 >= 5.7 default mail template"
CF757_SRC = "contact-form-7 includes/contact-form-template.php (5.7+: 'From: [your-name] [your-email]' without angle brackets, 'Subject:', 'Message Body:', '-- ', notification sentence); includes/mail.php"

case("e01-cf7-57-default-en", CF757, CF757_SRC,
     "From line 'Name address' without angle brackets; the name is the client's",
     message(phpmailer("greenhouse-steel.example", "192.0.2.68", "Mon, 07 Dec 2026 12:40:00 +0000", "info@greenhouse-steel.example",
                       "GreenHouse Steel <wordpress@greenhouse-steel.example>", "GreenHouse Steel \"Greenhouse frame\"",
                       reply_to="mark.davis@davisbuild.example"),
             Part("From: Mark Davis mark.davis@davisbuild.example\nSubject: Greenhouse frame\n\nMessage Body:\n"
                  "Do you make galvanized frames for a 6x12 m greenhouse? Please call me at +1 (720) 555-0164.\n\n-- \n"
                  "This is a notification that a contact form was submitted on your website (GreenHouse Steel https://greenhouse-steel.example).\n")),
     name="Mark Davis", phone="+17205550164", email="mark.davis@davisbuild.example",
     message="Do you make galvanized frames for a 6x12 m greenhouse? Please call me at +1 (720) 555-0164.",
     extra={"Subject": "Greenhouse frame"})

case("e02-cf7-57-default-ru", CF757 + " (ru_RU)", CF757_SRC + "; ru_RU translation ('От:', 'Тема:', 'Сообщение:')",
     "Russian From line without brackets",
     message(phpmailer("setka-rabica.example", "192.0.2.69", D.format(t="12:45:00"), "info@setka-rabica.example",
                       "WordPress <wordpress@setka-rabica.example>", "Сетка Рабица \"Сетка для вольера\"",
                       reply_to="anna.petrova@mail.example"),
             Part("От: Анна Петрова anna.petrova@mail.example\nТема: Сетка для вольера\n\nСообщение:\n"
                  "Нужна сетка рабица оцинкованная, ячейка 50, высота 1,8 м, 3 рулона. Доставка в Клин.\n\n-- \n"
                  "Это уведомление о том, что на вашем сайте (Сетка Рабица https://setka-rabica.example) была отправлена контактная форма.\n")),
     name="Анна Петрова", email="anna.petrova@mail.example",
     message="Нужна сетка рабица оцинкованная, ячейка 50, высота 1,8 м, 3 рулона. Доставка в Клин.",
     extra={"Тема": "Сетка для вольера"})

case("e03-cf7-57-no-reply-to", CF757 + ", Reply-To removed by the site owner", CF757_SRC,
     "without Reply-To the From line of the body is the only source of name and address",
     message(phpmailer("kuznica.example", "192.0.2.70", D.format(t="12:50:00"), "zakaz@kuznica.example",
                       "WordPress <wordpress@kuznica.example>", "Кузница \"Мангал\""),
             Part("От: Игорь Лебедев lebedev.igor@post.example\nТема: Мангал\n\nСообщение:\n"
                  "Сколько стоит кованый мангал с крышей? Телефон 8 (916) 432-10-98.\n\n-- \n"
                  "Это уведомление о том, что на вашем сайте (Кузница https://kuznica.example) была отправлена контактная форма.\n")),
     name="Игорь Лебедев", phone="+79164321098", email="lebedev.igor@post.example",
     message="Сколько стоит кованый мангал с крышей? Телефон 8 (916) 432-10-98.", extra={"Тема": "Мангал"})

case("f01-own-address-ru", "hand-written mail.php sending From the site's own box to a public mailbox",
     "PHP mail() with From: zakaz@<site> and the site named in the closing line without https://",
     "e-mail field empty: the robot's From on the site's own domain is not the client's address",
     message(phpmailer("metallcentr.example", "192.0.2.71", D.format(t="13:00:00"), "metallcentr.zakaz@yandex.ru",
                       "=?UTF-8?B?0JzQtdGC0LDQu9C70KbQtdC90YLRgA==?= <zakaz@metallcentr.example>", "Заявка")[:-2]
             + [("X-Mailer", "PHP/8.1.30"), ("MIME-Version", "1.0")],
             Part("Имя: Геннадий\nТелефон: +7 (960) 123-00-45\nE-mail: \nСообщение: Швеллер 12П, 20 штук по 12 м.\n\n"
                  "Заявка отправлена с сайта metallcentr.example\n")),
     name="Геннадий", phone="+79601230045", message="Швеллер 12П, 20 штук по 12 м.")

case("f02-own-address-en-wpforms", "WPForms plain text sent From the site's own address",
     "WPForms plain-text notification; From set to the site's contact address; footer 'Sent from <domain>'",
     "empty Email field and a From on the site's domain: no client e-mail",
     message(phpmailer("steelhub.example", "192.0.2.72", "Mon, 07 Dec 2026 13:05:00 +0000", "steelhub.sales@gmail.com",
                       "SteelHub <orders@steelhub.example>", "New Entry: Quote"),
             Part("--- Name ---\n\nPeter Novak\n\n--- Email ---\n\n(empty)\n\n--- Phone ---\n\n+420 601 234 567\n\n"
                  "--- Comment or Message ---\n\nPrice for 2 t of HEB 200 beams, delivered to Brno?\n\n\nSent from steelhub.example\n")),
     name="Peter Novak", phone="+420601234567", message="Price for 2 t of HEB 200 beams, delivered to Brno?")

case("f03-own-address-bitrix-feedback", "1C-Bitrix main.feedback (FEEDBACK_FORM) from the site's info@ to a public mailbox",
     "1C-Bitrix main.feedback FEEDBACK_FORM default template (#AUTHOR#, #AUTHOR_EMAIL#, #TEXT#); DEFAULT_EMAIL_FROM = info@<site>",
     "the author's e-mail is empty; info@ of the site is not the client",
     message([("Return-Path", "<info@kovka-ural.example>"), ("Delivered-To", "kovka.ural@mail.ru"),
              ("To", "kovka.ural@mail.ru"), ("Subject", "=?UTF-8?B?0JrQvtCy0LrQsCDQo9GA0LDQuzog0KHQvtC+0LHRidC10L3QuNC1INC40Lcg0YQ=?=\r\n =?UTF-8?B?0L7RgNC80Ysg0L7QsdGA0LDRgtC90L7QuSDRgdCy0Y/Qt9C4?="),
              ("From", "info@kovka-ural.example"), ("X-EVENT_NAME", "FEEDBACK_FORM"), ("X-Priority", "3 (Normal)"),
              ("MIME-Version", "1.0"), ("Message-Id", "<20261207100100.55AA@kovka-ural.example>"), ("Date", D.format(t="13:10:00"))],
             Part("Информационное сообщение сайта kovka-ural.example\n------------------------------------------\n\n"
                  "Вам было отправлено сообщение через форму обратной связи\n\nАвтор: Фёдор\nE-mail автора: \n\nТекст сообщения:\n"
                  "Нужны кованые перила на балкон 3 м. Мой телефон 8 922 100 20 30.\n\nСообщение сгенерировано автоматически.\n")),
     name="Фёдор", phone="+79221002030", message="Нужны кованые перила на балкон 3 м. Мой телефон 8 922 100 20 30.")

case("g01-cf7-seo-spam-whatsapp", CF7, CF7_SRC,
     "link spam whose only 'phone' is inside a wa.me link: still spam, no phone",
     message(phpmailer("rostmetall.example", "192.0.2.73", D.format(t="03:12:00"), "info@rostmetall.example",
                       "WordPress <wordpress@rostmetall.example>", "Сообщение с сайта", reply_to="seo.expert.team@mail.example"),
             Part("Имя: Marketing Team\nE-mail: seo.expert.team@mail.example\nСообщение: Hello! We bring your site to Google TOP-10 in 30 days. "
                  "See our cases https://seo-boost.example/cases and prices https://seo-boost.example/prices . "
                  "WhatsApp: https://wa.me/919876543210\n\n-- \nЭто сообщение отправлено с сайта РостМеталл (https://rostmetall.example)\n")),
     create_lead=False, spam=True, name="Marketing Team", email="seo.expert.team@mail.example",
     message="Hello! We bring your site to Google TOP-10 in 30 days. See our cases https://seo-boost.example/cases and prices https://seo-boost.example/prices . WhatsApp: https://wa.me/919876543210")

case("g02-cf7-spam-whatsapp-api-ru", CF7, CF7_SRC,
     "Russian link spam with an api.whatsapp.com link carrying a number: no phone, spam",
     message(phpmailer("zavod-profil.example", "192.0.2.74", D.format(t="04:40:00"), "info@zavod-profil.example",
                       "WordPress <wordpress@zavod-profil.example>", "Сообщение с сайта"),
             Part("Имя: Елена\nТелефон:\nСообщение: Базы данных клиентов для вашего бизнеса! https://bazy-klientov.example "
                  "Пишите: https://api.whatsapp.com/send?phone=79001234567 или в телеграм https://t.me/bazy_top\n\n-- \n"
                  "Это сообщение отправлено с сайта Завод Профиль (https://zavod-profil.example)\n")),
     create_lead=False, spam=True, name="Елена",
     message="Базы данных клиентов для вашего бизнеса! https://bazy-klientov.example Пишите: https://api.whatsapp.com/send?phone=79001234567 или в телеграм https://t.me/bazy_top")

case("g03-cf7-client-whatsapp-link", CF7, CF7_SRC,
     "a client who leaves only a wa.me link: a lead (one link), but the number inside the URL is not taken as the phone",
     message(phpmailer("besedki.example", "192.0.2.75", D.format(t="14:40:00"), "info@besedki.example",
                       "WordPress <wordpress@besedki.example>", "Сообщение с сайта"),
             Part("Имя: Роман\nСообщение: Интересует беседка 3х4 с мангальной зоной. Лучше напишите мне в WhatsApp: https://wa.me/79161234567\n\n-- \n"
                  "Это сообщение отправлено с сайта Беседки (https://besedki.example)\n")),
     name="Роман",
     message="Интересует беседка 3х4 с мангальной зоной. Лучше напишите мне в WhatsApp: https://wa.me/79161234567")
