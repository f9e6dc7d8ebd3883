"""Cases: ordinary notifications of more builders, and mail that must not become a lead."""

# ruff: noqa: E501, RUF005  (e-mail text is as long as the mailer writes it; header lists are spliced)

from __future__ import annotations

from tests.cases.cases_a import D, case
from tests.cases.mailers import Multi, Part, bitrix, message, phpmailer, saas, sha

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"

case("h01-fluent-forms-all-data", "Fluent Forms {all_data} HTML table",
     "Fluent Forms email notification with {all_data} (table: label row in <th>/<strong>, value row), fluentforms.com docs 'Email Notifications'",
     "plain label-row/value-row table with a site footer",
     message(phpmailer("perila.example", "192.0.2.80", D.format(t="09:00:00"), "sales@perila.example",
                       "Перила <wordpress@perila.example>", "Новая заявка: Перила из нержавейки", reply_to="a.titova@mail.example"),
             Part("<table class=\"ff_all_data\" width=\"600\" cellpadding=\"0\" cellspacing=\"0\"><tbody>\n"
                  "<tr class=\"field-label\"><th style=\"padding:6px 12px;background:#f8f8f8;text-align:left\"><strong>Имя</strong></th></tr>"
                  "<tr class=\"field-value\"><td style=\"padding:6px 12px 12px 12px\">Алина Титова</td></tr>\n"
                  "<tr class=\"field-label\"><th style=\"padding:6px 12px;background:#f8f8f8;text-align:left\"><strong>Email</strong></th></tr>"
                  "<tr class=\"field-value\"><td style=\"padding:6px 12px 12px 12px\">a.titova@mail.example</td></tr>\n"
                  "<tr class=\"field-label\"><th style=\"padding:6px 12px;background:#f8f8f8;text-align:left\"><strong>Телефон</strong></th></tr>"
                  "<tr class=\"field-value\"><td style=\"padding:6px 12px 12px 12px\">+7 (987) 654-32-10</td></tr>\n"
                  "<tr class=\"field-label\"><th style=\"padding:6px 12px;background:#f8f8f8;text-align:left\"><strong>Сообщение</strong></th></tr>"
                  "<tr class=\"field-value\"><td style=\"padding:6px 12px 12px 12px\">Перила на лестницу, 7 м, нержавейка AISI 304, стекло.</td></tr>\n"
                  "</tbody></table>\n<p style=\"color:#999\">Это письмо отправлено плагином Fluent Forms с сайта Перила</p>\n", subtype="html")),
     name="Алина Титова", phone="+79876543210", email="a.titova@mail.example",
     message="Перила на лестницу, 7 м, нержавейка AISI 304, стекло.")

case("h02-forminator-all-fields", "Forminator default admin e-mail",
     "Forminator admin notification default ('You have a new website form submission:' {all_fields} '---' 'This message was sent from {site_url}'), wpmudev.com docs",
     "list of <b>Label:</b> value and the 'sent from' footer",
     message(phpmailer("canopies.example", "192.0.2.81", "Mon, 07 Dec 2026 09:05:00 +0000", "hello@canopies.example",
                       "Canopies <wordpress@canopies.example>", "New Form Entry #14 for Contact Us"),
             Part("You have a new website form submission: <br/><ol><li><b>Name:</b> Emily Watson</li><li><b>Email Address:</b> emily.w@watsonhome.example</li>"
                  "<li><b>Phone Number:</b> +44 7911 123456</li><li><b>Message:</b> Do you deliver carport kits to Leeds?</li></ol><br/>---<br/>"
                  "This message was sent from https://canopies.example.", subtype="html")),
     name="Emily Watson", phone="+447911123456", email="emily.w@watsonhome.example",
     message="Do you deliver carport kits to Leeds?")

case("h03-joomla-contact-core", "Joomla 4 com_contact enquiry mail",
     "Joomla 4 com_contact language strings (COM_CONTACT_ENQUIRY_TEXT 'This is an enquiry email via %s from:'), mail via PHPMailer",
     "intro line, 'Name <address>', blank, the enquiry",
     message(phpmailer("metalcut.example", "192.0.2.82", "Mon, 07 Dec 2026 09:10:00 +0100", "info@metalcut.example",
                       "MetalCut <info@metalcut.example>", "MetalCut: Plasma cutting", reply_to="Jan Kowalski <jan.kowalski@kowalski-bud.example>"),
             Part("This is an enquiry email via https://metalcut.example/ from:\nJan Kowalski <jan.kowalski@kowalski-bud.example>\n\n"
                  "We need plasma cutting of 40 flanges from 20 mm S355 plate, DXF ready.\n")),
     name="Jan Kowalski", email="jan.kowalski@kowalski-bud.example",
     message="We need plasma cutting of 40 flanges from 20 mm S355 plate, DXF ready.")

case("h04-rsform-pro-table", "RSForm! Pro admin e-mail (Joomla)",
     "RSForm! Pro admin email default ({Field:caption} / {Field:value} rows in a table), rsjoomla.com docs",
     "two-cell table rows with a caption row",
     message(phpmailer("stroymet.example", "192.0.2.83", D.format(t="09:15:00"), "zakaz@stroymet.example",
                       "Строймет <noreply@stroymet.example>", "Новая заявка: Расчёт"),
             Part("<p>Новая заявка в форме «Расчёт»</p><table border=\"0\"><tr><td><strong>ФИО</strong></td><td>Сидоренко Павел Игоревич</td></tr>"
                  "<tr><td><strong>Телефон</strong></td><td>+7 (863) 210-30-40</td></tr><tr><td><strong>E-mail</strong></td><td>sidorenko@don.example</td></tr>"
                  "<tr><td><strong>Продукция</strong></td><td>Уголок 75х6</td></tr><tr><td><strong>Комментарий</strong></td><td>10 т, доставка в Азов.</td></tr></table>",
                  subtype="html")),
     name="Сидоренко Павел Игоревич", phone="+78632103040", email="sidorenko@don.example",
     message="10 т, доставка в Азов.", extra={"Продукция": "Уголок 75х6"})

case("h05-modx-formit-custom-tpl", "MODX FormIt with a custom emailTpl chunk",
     "MODX FormIt email hook with emailTpl chunk ('[[+name]]' placeholders in '<p>Label: …</p>'), docs.modx.com FormIt",
     "paragraph per field, a file attached by FormIt (emailUploads)",
     message(phpmailer("modx-metall.example", "192.0.2.84", D.format(t="09:20:00"), "zakaz@modx-metall.example",
                       "Металл <noreply@modx-metall.example>", "Заявка с сайта"),
             Multi("mixed", [Part("<p>Имя: Вадим</p><p>Телефон: 8 (3452) 60-70-80</p><p>Сообщение: Расчёт по спецификации во вложении.</p>", subtype="html"),
                             Part("", raw=PDF, ctype="application/pdf; name=\"spec.pdf\"", cte="base64",
                                  disposition="attachment; filename=\"spec.pdf\"")], "b1=_Fm8xJqL2")),
     name="Вадим", phone="+73452607080", message="Расчёт по спецификации во вложении.",
     attachments=[{"filename": "spec.pdf", "size": len(PDF), "sha256": sha(PDF)}])

case("h06-opencart-enquiry", "OpenCart 4 information/contact",
     "OpenCart catalog/controller/information/contact.php (subject 'Enquiry %s', body = enquiry only, Reply-To = customer); system/library/mail",
     "name only in From display name and subject",
     message([("Return-Path", "<shop@instrument.example>"), ("Delivered-To", "shop@instrument.example"),
              ("To", "shop@instrument.example"), ("Subject", "=?UTF-8?B?RW5xdWlyeSDQnNC40YXQsNC40Lsg0JfQsNC50YbQtdCy?="),
              ("From", "=?UTF-8?B?0JzQuNGF0LDQuNC7INCX0LDQudGG0LXQsg==?= <shop@instrument.example>"),
              ("Reply-To", "=?UTF-8?B?bS56YWl0c2V2QG1haWwuZXhhbXBsZQ==?= <m.zaitsev@mail.example>"),
              ("Date", D.format(t="09:25:00")), ("X-Mailer", "PHP/8.2.12"), ("MIME-Version", "1.0")],
             Multi("mixed", [Part("Здравствуйте, есть ли в наличии сварочный инвертор на 250 А? Нужен к пятнице.\n")],
                   "----=_NextPart_5d41402abc4b2a76b9719d911017c592")),
     name="Михаил Зайцев", email="m.zaitsev@mail.example",
     message="Здравствуйте, есть ли в наличии сварочный инвертор на 250 А? Нужен к пятнице.")

case("h07-wix-forms-en", "Wix Forms new submission (RECONSTRUCTED layout)",
     "Wix Forms notification e-mails (support.wix.com): 'Label: value' table; RECONSTRUCTED",
     "separate first/last name",
     message(saas("Wix Forms <no-reply@wix.com>", "studio@forgeart.example", "New Form Submission",
                  "Mon, 07 Dec 2026 09:30:00 +0000", "wixf-1c2@wix.com"),
             Multi("alternative", [Part("<table><tr><td>First Name:</td><td>Lukas</td></tr><tr><td>Last Name:</td><td>Becker</td></tr>"
                                        "<tr><td>Email:</td><td>l.becker@becker-haus.example</td></tr><tr><td>Phone:</td><td>+49 171 2345678</td></tr>"
                                        "<tr><td>Message:</td><td>Forged garden gate, 1.2 m wide, quote please.</td></tr></table>",
                                        subtype="html", cte="quoted-printable")], "wix-a1")),
     name="Lukas Becker", phone="+491712345678", email="l.becker@becker-haus.example",
     message="Forged garden gate, 1.2 m wide, quote please.")

case("h08-tilda-ru-default-vars", "Tilda form notification (RECONSTRUCTED layout)",
     "Tilda form data (Name/Phone/Email/Textarea variables; 'Request details': Transaction ID, Block ID, Form Name, Referer); help.tilda.cc; RECONSTRUCTED",
     "default variable names and the request-details block",
     message(saas("Tilda Publishing <robot@tilda.ws>", "info@angar-stroy.example", "Заявка с сайта angar-stroy.example",
                  D.format(t="09:35:00"), "tld-881@tilda.ws"),
             Multi("alternative", [Part("Name: Константин\nPhone: +7 (913) 700-11-22\nEmail: k.angar@sib.example\n"
                                        "Textarea: Ангар 18х36 м, высота 6 м, под склад зерна.\n\nRequest details:\nTransaction ID: 8812733:4422110\n"
                                        "Block ID: rec5511220\nForm Name: Cart\nReferer: https://angar-stroy.example/\n", cte="quoted-printable")],
                   "tld-alt")),
     name="Константин", phone="+79137001122", email="k.angar@sib.example",
     message="Ангар 18х36 м, высота 6 м, под склад зерна.",
     extra={"Form Name": "Cart", "Referer": "https://angar-stroy.example/"})

case("h09-typeform-question-blocks", "Typeform self-notification (RECONSTRUCTED layout)",
     "Typeform 'Send me an email for each response' notifications (question, then answer); typeform.com/help; RECONSTRUCTED",
     "question labels; 'What do you need made?' is the message",
     message(saas("Typeform <notifications@typeform.io>", "owner@ironleaf.example", "New response: Custom order",
                  "Mon, 07 Dec 2026 09:40:00 +0000", "tf-5521@typeform.io"),
             Multi("alternative", [Part("What's your name?\nHannah Scott\n\nWhat's your email?\nhannah.scott@scottinteriors.example\n\n"
                                        "What do you need made?\nA steel bookshelf frame, 2 m tall, matte black, with 5 shelves.\n\n"
                                        "View in results\n", cte="quoted-printable")], "tf-alt")),
     name="Hannah Scott", email="hannah.scott@scottinteriors.example",
     message="A steel bookshelf frame, 2 m tall, matte black, with 5 shelves.")

case("h10-bitrix-feedback-cp1251-attachment", "1C-Bitrix main.feedback with a file (custom template)",
     "1C-Bitrix main.feedback FEEDBACK_FORM with a custom #PHONE# field; CEvent attaches files (multipart/mixed, RFC 2047 names in quotes); windows-1251",
     "plain fields, an attached drawing",
     message(bitrix("zavod-ms.example", "192.0.2.85", D.format(t="09:45:00"), "sales@zavod-ms.example",
                    "info@zavod-ms.example", "Завод МС: Сообщение из формы обратной связи", "FEEDBACK_FORM", charset="windows-1251"),
             Multi("mixed", [Part("Информационное сообщение сайта Завод МС\n------------------------------------------\n\n"
                                  "Вам было отправлено сообщение через форму обратной связи\n\nАвтор: Мухаметшин Ринат\nE-mail автора: rinat.m@bashstroy.example\n"
                                  "Телефон: +7 (347) 246-00-11\n\nТекст сообщения:\nПросим изготовить закладные детали по чертежу, 300 шт.\n\n"
                                  "Сообщение сгенерировано автоматически.\n", charset="windows-1251"),
                             Part("", raw=PDF, ctype="application/pdf; name=\"=?windows-1251?B?9+Xw8uXmLnBkZg==?=\"", cte="base64",
                                  disposition="attachment; filename=\"=?windows-1251?B?9+Xw8uXmLnBkZg==?=\"")], "----------b8e21ac9f1")),
     name="Мухаметшин Ринат", phone="+73472460011", email="rinat.m@bashstroy.example",
     message="Просим изготовить закладные детали по чертежу, 300 шт.",
     attachments=[{"filename": "чертеж.pdf", "size": len(PDF), "sha256": sha(PDF)}])

case("h11-webflow-form", "Webflow form submission (RECONSTRUCTED layout)",
     "Webflow form notification ('Your form, X, on site Y has received a new submission'; label paragraph then value); university.webflow.com; RECONSTRUCTED",
     "label paragraph, value paragraph; footer link to the dashboard",
     message(saas("Webflow <no-reply-forms@webflow.com>", "hello@northsteel.example", "New form submission on North Steel",
                  "Mon, 07 Dec 2026 09:50:00 +0000", "wf-7781@webflow.com", reply_to="ella.m@millerbuild.example"),
             Multi("alternative", [Part("Your form, Contact Form, on site North Steel has received a new submission. Here are the details:\n\n"
                                        "Name\nElla Miller\n\nEmail\nella.m@millerbuild.example\n\nMessage\nCould you quote 12 steel I-beams, 8 m each?\n\n"
                                        "Go to your site dashboard to see all submissions.\n", cte="quoted-printable")], "wf-alt")),
     name="Ella Miller", email="ella.m@millerbuild.example", message="Could you quote 12 steel I-beams, 8 m each?")

case("h12-convert-forms-joomla", "Convert Forms (Joomla) {all_fields}",
     "Convert Forms email notification with {all_fields} ('<strong>Label</strong>: value<br>'), tassos.gr docs",
     "bold label, colon, value, line breaks; submission date line at the end",
     message(phpmailer("bani-metall.example", "192.0.2.86", D.format(t="09:55:00"), "info@bani-metall.example",
                       "Бани Металл <info@bani-metall.example>", "Новая заявка: Печь для бани"),
             Part("<strong>Имя</strong>: Станислав<br><strong>Телефон</strong>: 8-908-765-43-21<br><strong>Сообщение</strong>: Печь для бани 18 м3 с баком, есть в наличии?<br>"
                  "<br>Дата отправки: 07.12.2026 09:55<br>", subtype="html")),
     name="Станислав", phone="+79087654321", message="Печь для бани 18 м3 с баком, есть в наличии?")

# ----------------------------------------------------------------------------- not leads

ORIG = ("To: info@rostmetall.example\r\nSubject: =?UTF-8?B?0KHQvtC+0LHRidC10L3QuNC1INGBINGB0LDQudGC0LA=?=\r\n"
        "From: WordPress <wordpress@rostmetall.example>\r\nReply-To: petrov@mial.example\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        "Имя: Пётр\r\nТелефон: +7 912 345-67-89\r\nСообщение: Арматура 12 мм, 5 т.\r\n")
NOT = {"is_form": False, "create_lead": False}

case("i01-postfix-bounce", "Postfix DSN (multipart/report)", "Postfix bounce(8) DSN: 'This is the mail system at host …', message/delivery-status, the returned message (RFC 3464)",
     "bounce carrying a form notification: not a lead",
     message([("Return-Path", "<>"), ("Delivered-To", "info@rostmetall.example"), ("Date", D.format(t="10:00:05")),
              ("From", "MAILER-DAEMON@mx.rostmetall.example (Mail Delivery System)"), ("Subject", "Undelivered Mail Returned to Sender"),
              ("To", "info@rostmetall.example"), ("Auto-Submitted", "auto-replied"), ("MIME-Version", "1.0"),
              ("Message-Id", "<20261207070005.AA11@mx.rostmetall.example>")],
             Multi("report", [Part("This is the mail system at host mx.rostmetall.example.\n\nI'm sorry to have to inform you that your message could not\n"
                                   "be delivered to one or more recipients. It's attached below.\n\n<petrov@mial.example>: Host or domain name not found.\n", charset="us-ascii", cte="7bit"),
                              Part("", raw=b"Reporting-MTA: dns; mx.rostmetall.example\r\n\r\nFinal-Recipient: rfc822; petrov@mial.example\r\nAction: failed\r\nStatus: 5.4.4\r\n",
                                   ctype="message/delivery-status", cte="7bit", disposition="inline"),
                              Part("", raw=ORIG.encode(), ctype="message/rfc822", cte="8bit", disposition="inline")],
                   "AA11.1765090805/mx.rostmetall.example", params="; report-type=delivery-status")),
     **NOT)

case("i02-exim-bounce", "Exim bounce (text/plain, X-Failed-Recipients)", "Exim 4 bounce message ('This message was created automatically by mail delivery software.', X-Failed-Recipients), exim.org spec ch. 48",
     "exim's plain-text bounce quoting the form",
     message([("Return-Path", "<>"), ("Delivered-To", "zakaz@truba.example"), ("Received", "from mailnull by srv.hosting.example with local (Exim 4.97)"),
              ("X-Failed-Recipients", "ivanov@nonexist.example"), ("Auto-Submitted", "auto-replied"),
              ("From", "Mail Delivery System <Mailer-Daemon@srv.hosting.example>"), ("To", "zakaz@truba.example"),
              ("Subject", "Mail delivery failed: returning message to sender"), ("Date", D.format(t="10:02:00")), ("MIME-Version", "1.0")],
             Part("This message was created automatically by mail delivery software.\n\nA message that you sent could not be delivered to one or more of its\n"
                  "recipients. This is a permanent error. The following address(es) failed:\n\n  ivanov@nonexist.example\n    host not found\n\n"
                  "------ This is a copy of the message, including all the headers. ------\n\nSubject: Заявка\n\nИмя: Иванов\nТелефон: 89001112233\n")),
     **NOT)

case("i03-exchange-ndr", "Microsoft 365 / Exchange NDR", "Exchange Online NDR ('Undeliverable:' subject, multipart/report with message/delivery-status), learn.microsoft.com 'Email non-delivery reports'",
     "Exchange non-delivery report",
     message([("From", "Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@corp.example>"), ("To", "sales@metal-corp.example"),
              ("Date", D.format(t="10:03:00")), ("Subject", "Undeliverable: Re: Заявка с сайта"), ("Content-Language", "en-US"),
              ("Auto-Submitted", "auto-generated"), ("MIME-Version", "1.0")],
             Multi("report", [Part("<p><b>Your message to a.smirnov@old-partner.example couldn't be delivered.</b></p><p>a.smirnov wasn't found at old-partner.example.</p>", subtype="html"),
                              Part("", raw=b"Reporting-MTA: dns;AM0PR01.prod.outlook.com\r\n\r\nFinal-recipient: RFC822; a.smirnov@old-partner.example\r\nAction: failed\r\nStatus: 5.1.10\r\n",
                                   ctype="message/delivery-status", cte="7bit", disposition="inline")],
                   "_000_ndr1_", params="; report-type=delivery-status")),
     **NOT)

case("i04-yandex-bounce-ru", "Yandex mail bounce (Russian)", "mail.yandex.ru MAILER-DAEMON notice 'Недоставленное сообщение' (multipart/report), yandex.ru/support/mail",
     "Russian bounce from a public mail service",
     message([("Return-Path", "<>"), ("From", "mailer-daemon@yandex.ru"), ("To", "kovka.ural@yandex.ru"),
              ("Subject", "=?UTF-8?B?0J3QtdC00L7RgdGC0LDQstC70LXQvdC90L7QtSDRgdC+0L7QsdGJ0LXQvdC40LU=?="), ("Date", D.format(t="10:04:00")),
              ("MIME-Version", "1.0")],
             Multi("report", [Part("Это письмо создано автоматически сервером Яндекс.Почты.\n\nВаше письмо не доставлено адресату kuzn@nonexist.example.\n"),
                              Part("", raw=b"Reporting-MTA: dns; forward100.mail.yandex.net\r\n\r\nFinal-Recipient: rfc822; kuzn@nonexist.example\r\nAction: failed\r\nStatus: 5.1.1\r\n",
                                   ctype="message/delivery-status", cte="7bit", disposition="inline")],
                   "yb-1", params="; report-type=delivery-status")),
     **NOT)

case("i05-outlook-out-of-office-ru", "Outlook out-of-office reply (Russian)", "Exchange automatic replies ('Автоматический ответ:' subject, Auto-Submitted: auto-replied, X-Auto-Response-Suppress)",
     "an auto-reply with a phone in the signature",
     message([("From", "Смирнова Ольга <o.smirnova@stalprom.example>"), ("To", "sales@rostmetall.example"),
              ("Subject", "=?UTF-8?B?0JDQstGC0L7QvNCw0YLQuNGH0LXRgdC60LjQuSDQvtGC0LLQtdGCOiDQodGH0LXRgiDihJYgMTIz?="),
              ("Date", D.format(t="10:05:00")), ("Auto-Submitted", "auto-replied"), ("X-Auto-Response-Suppress", "All"), ("MIME-Version", "1.0")],
             Part("Добрый день!\n\nЯ в отпуске до 14.12. По срочным вопросам звоните Андрею: +7 (343) 300-20-10.\n\nС уважением,\nОльга Смирнова\n")),
     **NOT)

case("i06-vacation-autoreply-en", "Sieve vacation auto-reply", "RFC 5230 vacation responses (Auto-Submitted: auto-replied, 'Re:' subject, Precedence header from older filters)",
     "English auto-reply with contacts",
     message([("From", "James Hill <james@hillbuild.example>"), ("To", "quotes@fabshop.example"), ("Subject", "Auto: Re: Your quote #4471"),
              ("Date", D.format(t="10:06:00")), ("Auto-Submitted", "auto-replied (vacation)"), ("Precedence", "auto_reply"), ("MIME-Version", "1.0")],
             Part("I am out of the office until December 14. For urgent matters call +1 402 555 0100 or write to office@hillbuild.example.\n")),
     **NOT)

case("i07-bitrix-user-pass-request", "1C-Bitrix USER_PASS_REQUEST system mail", "1C-Bitrix main module event USER_PASS_REQUEST default template (login, checkword, link to change the password)",
     "a CMS notice from the forms' own sender",
     message(bitrix("stalmarket.example", "192.0.2.41", D.format(t="10:07:00"), "sales@stalmarket.example", "info@stalmarket.example",
                    "Металлобаза СтальМаркет: Запрос на смену пароля", "USER_PASS_REQUEST"),
             Part("Информационное сообщение сайта Металлобаза СтальМаркет\n------------------------------------------\nЗдравствуйте, Менеджер!\n\n"
                  "Для смены пароля перейдите по ссылке:\nhttps://stalmarket.example/auth/?change_password=yes&lang=ru&USER_CHECKWORD=e1f2&USER_LOGIN=manager\n\n"
                  "Ваша регистрационная информация:\nID пользователя: 3\nЛогин: manager\n\nСообщение сгенерировано автоматически.\n")),
     **NOT)

case("i08-drupal-account-details", "Drupal 10 'Account details' system mail", "Drupal core user module mail 'register_pending_approval_admin' ('[site:name]: Account details for [user:display-name] (pending admin approval)')",
     "Drupal's own account mail with the new user's name and e-mail",
     message(phpmailer("metalsupply.example", "192.0.2.43", D.format(t="10:08:00"), "sales@metalsupply.example",
                       "Metal Supply <noreply@metalsupply.example>", "Account details for jsmith at Metal Supply (pending admin approval)")[:-2]
             + [("X-Mailer", "Drupal"), ("MIME-Version", "1.0")],
             Part("jsmith has applied for an account.\n\nhttps://metalsupply.example/user/14/edit\n", cte="8Bit", params="; format=flowed; delsp=yes")),
     **NOT)

case("i09-newsletter-supplier", "supplier newsletter (Unisender)", "bulk mail with List-Unsubscribe and Precedence: bulk as ESPs send it (RFC 2369, RFC 8058)",
     "a newsletter with 'Телефон:' and 'E-mail:' in its footer",
     message([("From", "Северсталь-Снаб <news@severstal-snab.example>"), ("To", "sales@rostmetall.example"),
              ("Subject", "=?UTF-8?B?0J3QvtCy0YvQtSDRhtC10L3RiyDQvdCwINC70LjRgdGCINC00LXQutCw0LHRgNGM?="), ("Date", D.format(t="10:09:00")),
              ("List-Unsubscribe", "<https://unsub.example/u/881>, <mailto:unsub@severstal-snab.example>"), ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
              ("Precedence", "bulk"), ("MIME-Version", "1.0")],
             Part("Новые цены на лист г/к в декабре!\n\nЛист 10 мм — от 68 000 ₽/т\nЛист 12 мм — от 67 500 ₽/т\n\nТелефон: +7 (8202) 53-00-00\n"
                  "E-mail: sales@severstal-snab.example\n\nОтписаться: https://unsub.example/u/881\n")),
     **NOT)

case("i10-supplier-letter", "a supplier's personal letter", "ordinary business mail (a signature with phone and e-mail), not a form",
     "not a form: a letter signed by its writer",
     message([("From", "Андрей Колесников <kolesnikov@metalltorg-opt.example>"), ("To", "sales@rostmetall.example"),
              ("Subject", "=?UTF-8?B?0J/RgNCw0LnRgSDQvdCwINC00LXQutCw0LHRgNGM?="), ("Date", D.format(t="10:10:00")),
              ("Message-ID", "<a1b2@metalltorg-opt.example>"), ("MIME-Version", "1.0")],
             Part("Добрый день!\n\nНаправляю актуальный прайс на арматуру и уголок. Скидка 3% при заказе от 20 т до конца месяца.\n\n"
                  "С уважением,\nАндрей Колесников\nменеджер отдела продаж\nТел.: +7 (495) 111-22-33\nE-mail: kolesnikov@metalltorg-opt.example\n")),
     **NOT)

case("i11-phishing-mailbox-full", "phishing: 'mailbox full' notice", "typical credential-phishing mail imitating a hosting notice",
     "not a form and not a lead",
     message([("From", "Администратор почты <admin@secure-mailbox.example>"), ("To", "sales@rostmetall.example"),
              ("Subject", "=?UTF-8?B?0JLQsNGIINC/0L7Rh9GC0L7QstGL0Lkg0Y/RidC40Log0L/QtdGA0LXQv9C+0LvQvdC10L0=?="), ("Date", D.format(t="10:11:00")),
              ("MIME-Version", "1.0")],
             Part("Уважаемый пользователь!\n\nВаш почтовый ящик переполнен на 98%. Входящие письма будут удалены через 24 часа.\n"
                  "Подтвердите учётную запись: https://secure-mailbox.example/verify?u=sales\n\nСлужба поддержки\n")),
     **NOT)

case("i12-wordpress-new-user", "WordPress new user registration notice", "WordPress core wp_new_user_notification() admin mail ('[%s] New User Registration', 'Username:', 'Email:')",
     "a WordPress notice that names a user and an e-mail",
     message(phpmailer("ograda.example", "192.0.2.46", D.format(t="10:12:00"), "sales@ograda.example",
                       "WordPress <wordpress@ograda.example>", "[Ограда] Регистрация нового пользователя"),
             Part("Новый пользователь зарегистрировался на вашем сайте Ограда:\n\nИмя пользователя: vasya77\n\nE-mail: vasya77@mail.example\n")),
     **NOT)
