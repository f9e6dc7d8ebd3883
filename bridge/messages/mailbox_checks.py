"""``check``'s summary and IMAP lines, and the mailbox's connection errors."""

from __future__ import annotations

from bridge.messages.entry import Msg

MESSAGES: dict[str, Msg] = {
    # -- check: summary and placeholders ---------------------------------------------
    "check.config_ok": Msg("config: {path} is valid", "настройки: {path} в порядке"),
    "check.all_passed": Msg("all checks passed", "все проверки пройдены"),
    "check.failed": Msg("{n} check(s) failed", "не пройдено проверок: {n}"),
    "check.fill_in": Msg("config: fill in {key}: {what}", "настройки: заполните {key}: {what}"),
    "check.fill_in.webhook_code": Msg(
        "the webhook URL still has the example's code XXXXXXXXXXXXXXXX; paste the URL of "
        "your inbound webhook (Developer resources → Other → Inbound webhook)",
        "в адресе вебхука остался код из примера XXXXXXXXXXXXXXXX; вставьте адрес своего "
        "входящего вебхука (Разработчикам → Другое → Входящий вебхук)"),
    "check.fill_in.webhook_host": Msg(
        "the webhook URL still has the example's portal {host}; use your portal's address",
        "в адресе вебхука остался портал из примера {host}; укажите адрес своего портала"),
    "check.fill_in.username": Msg(
        "still the example's mailbox {value}; set the login of the mailbox the forms arrive in",
        "остался ящик из примера {value}; укажите логин ящика, в который приходят заявки"),
    "check.fill_in.password": Msg(
        "the password is empty; set it (or imap.password_file, or the environment variable "
        "BRIDGE_IMAP_PASSWORD)",
        "пароль пустой; укажите его (или imap.password_file, или переменную окружения "
        "BRIDGE_IMAP_PASSWORD)"),
    # -- check: IMAP -------------------------------------------------------------------
    "check.imap.no_dns": Msg("imap: cannot resolve {host} ({error}): check imap.host and "
                             "the machine's DNS",
                             "imap: имя {host} не находится в DNS ({error}): проверьте "
                             "imap.host и DNS этой машины"),
    "check.imap.resolves": Msg("imap: {host} resolves", "imap: {host} находится в DNS"),
    "check.imap.unreachable": Msg("imap: not reachable: {error}",
                                  "imap: сервер недоступен: {error}"),
    "check.imap.rejected": Msg("imap: {error}", "imap: {error}"),
    "check.imap.login_refused": Msg(
        "imap: login refused for user {user}: check imap.username/imap.password "
        "(server said: {server})",
        "imap: сервер не принял вход пользователя {user}: проверьте imap.username и "
        "imap.password (ответ сервера: {server})"),
    "check.imap.hint.yandex": Msg(
        "imap: Yandex Mail needs an app password, not the account password: create one at "
        "id.yandex.ru → Security → App passwords (type Mail), and allow IMAP in Mail → "
        "All settings → Email clients (\"From the imap.yandex.ru server via IMAP\")",
        "imap: Яндекс Почте нужен пароль приложения, а не пароль от аккаунта: создайте его в "
        "id.yandex.ru → Безопасность → Пароли приложений (тип «Почта») и разрешите IMAP в "
        "Почта → Все настройки → Почтовые программы («С сервера imap.yandex.ru по протоколу "
        "IMAP»)"),
    "check.imap.hint.mailru": Msg(
        "imap: Mail.ru needs an app password for external programs: create one in Mail.ru "
        "account settings → Security → Passwords for external applications (with IMAP access)",
        "imap: Mail.ru требует пароль для внешнего приложения: создайте его в настройках "
        "аккаунта Mail.ru → Безопасность → Пароли для внешних приложений (с доступом IMAP)"),
    "check.imap.hint.gmail": Msg(
        "imap: Gmail needs 2-Step Verification and an app password (myaccount.google.com → "
        "Security → App passwords); IMAP must be on in Gmail → Settings → Forwarding and "
        "POP/IMAP",
        "imap: Gmail требует двухэтапную аутентификацию и пароль приложения "
        "(myaccount.google.com → Безопасность → Пароли приложений); IMAP должен быть включён "
        "в Gmail → Настройки → Пересылка и POP/IMAP"),
    "check.imap.logged_in": Msg("imap: connected ({security}) and logged in as {user}",
                                "imap: соединение установлено ({security}), вход выполнен "
                                "как {user}"),
    "check.imap.folder_ok": Msg("imap: folder {folder} exists", "imap: папка {folder} есть"),
    "check.imap.folder_missing": Msg(
        "imap: folder {folder} does not exist (server said: {server}): check {key}; the "
        "mailbox has: {folders}",
        "imap: папки {folder} нет (ответ сервера: {server}): проверьте {key}; в ящике есть: "
        "{folders}"),
    "check.imap.processed_new": Msg(
        "imap: processed folder {folder} will be created at the first move",
        "imap: папка для обработанных {folder} будет создана при первом перемещении"),
    "check.imap.processed_ok": Msg("imap: processed folder {folder} exists",
                                   "imap: папка для обработанных {folder} есть"),
    # -- the mailbox's connection errors (bridge.mailbox, shown through i18n.say) --------
    "connect.tls_hostname": Msg(
        "imap {where}: the server's TLS certificate is not trusted ({reason}): imap.host must "
        "be a name the certificate is issued for ({reason})",
        "imap {where}: TLS-сертификату сервера нет доверия ({reason}): в imap.host должно "
        "быть имя, на которое выдан сертификат ({reason})"),
    "connect.tls_ca": Msg(
        "imap {where}: the server's TLS certificate is not trusted ({reason}): set "
        "imap.ca_file to the CA certificate (PEM) that signed the server's certificate",
        "imap {where}: TLS-сертификату сервера нет доверия ({reason}): укажите в imap.ca_file "
        "сертификат CA (PEM), которым подписан сертификат сервера"),
    "connect.tls_ca_current": Msg(
        "imap {where}: the server's TLS certificate is not trusted ({reason}): set "
        "imap.ca_file to the CA certificate (PEM) that signed the server's certificate (the "
        "current imap.ca_file {path} does not)",
        "imap {where}: TLS-сертификату сервера нет доверия ({reason}): укажите в imap.ca_file "
        "сертификат CA (PEM), которым подписан сертификат сервера (нынешний imap.ca_file "
        "{path} — не он)"),
    "connect.no_starttls": Msg(
        'imap {where}: the server does not offer STARTTLS; set imap.security = "ssl" (and '
        "imap.port = 993)",
        'imap {where}: сервер не предлагает STARTTLS; укажите imap.security = "ssl" (и '
        "imap.port = 993)"),
    "connect.tls_failed": Msg(
        "imap {where}: TLS handshake failed (is imap.security right for this port?): {cause}",
        "imap {where}: не удалось установить TLS (подходит ли imap.security для этого порта?): "
        "{cause}"),
    "connect.timeout": Msg("imap {where}: no answer within {seconds} s: {cause}",
                           "imap {where}: нет ответа за {seconds} с: {cause}"),
    "connect.refused": Msg("imap {where}: connection refused (check imap.port): {cause}",
                           "imap {where}: соединение отклонено (проверьте imap.port): {cause}"),
    "connect.no_dns": Msg("imap {where}: cannot resolve host: {cause}",
                          "imap {where}: имя сервера не находится в DNS: {cause}"),
    "connect.connect_failed": Msg("imap {where}: connection failed: {cause}",
                                  "imap {where}: не удалось соединиться: {cause}"),
}
