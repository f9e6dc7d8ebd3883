"""The message catalogue: every text a person reads, in English and Russian (bridge.i18n).

One entry per key: ``Msg(en, ru)``. Both sides carry the same ``{placeholders}``
(tests/test_i18n.py checks that, and that every ``t("…")`` in the source names a key
here). Bitrix24 menu names are given as the portal shows them in each language. Config
keys, commands and values stay as they are written in the file (``imap.password``).
"""

from __future__ import annotations

from typing import NamedTuple


class Msg(NamedTuple):
    en: str
    ru: str


CATALOGUE: dict[str, Msg] = {
    # -- command line ------------------------------------------------------------------
    "cli.no_config": Msg(
        "no config file: pass --config PATH (start from config.toml.example), "
        "or run `mailbridge demo` to see it work without one",
        "нет файла настроек: укажите --config ПУТЬ (начните с config.toml.example) "
        "или запустите `mailbridge demo`, чтобы увидеть работу без него"),
    "cli.config_error": Msg("configuration error: {text}", "ошибка в настройках: {text}"),
    "cli.setup_error": Msg("setup error: {text}", "ошибка настройки: {text}"),
    "cli.ledger_error": Msg("ledger error: {text}", "ошибка журнала заявок (ledger): {text}"),
    "cli.usage_error": Msg("usage error: {text}; see `{prog} --help`",
                           "ошибка в командной строке: {text}; см. `{prog} --help`"),
    "cli.no_such_file": Msg("{name}: no such file", "{name}: нет такого файла"),
    "cli.not_a_message": Msg("{name}: not a readable message: {error}",
                             "{name}: это не читаемое письмо: {error}"),
    "cli.blocked": Msg("blocked: {why}", "работа остановлена (blocked): {why}"),
    "cli.lock_waiting": Msg(
        "waiting for the lock: {holder} is processing this ledger; waiting up to {seconds} s",
        "ожидание блокировки: журнал заявок сейчас обрабатывает {holder}; жду до {seconds} с"),
    "lock.held_pg": Msg(
        "{holder} is processing this PostgreSQL ledger (its processor lock is held{waited}); "
        "try again when it has finished",
        "этот журнал заявок в PostgreSQL обрабатывает {holder} (его блокировка занята{waited}); "
        "повторите, когда он закончит"),
    "lock.held": Msg(
        "{holder} is processing this ledger; lock {path} is held{waited}; "
        "try again when it has finished",
        "журнал заявок обрабатывает {holder}; блокировка {path} занята{waited}; "
        "повторите, когда он закончит"),
    "lock.holder_daemon": Msg("the mailbridge daemon (pid {pid})",
                              "демон mailbridge (pid {pid})"),
    "lock.holder_run": Msg("another mailbridge run (pid {pid})",
                           "другой запуск mailbridge (pid {pid})"),
    "lock.holder_unknown": Msg("another mailbridge process", "другой процесс mailbridge"),
    "lock.waited": Msg(" (waited {seconds} s)", " (ждали {seconds} с)"),
    # -- the --poll-now summary ----------------------------------------------------------
    "summary.line": Msg(
        "poll: fetched={fetched} created={created} duplicates={duplicates} "
        "skipped={skipped} quarantined={quarantined} waiting={waiting} "
        "mailbox_updated={finished}",
        "проверка почты: получено {fetched}, создано лидов {created}, дубликатов "
        "{duplicates}, пропущено {skipped}, в карантине {quarantined}, ждут повтора "
        "{waiting}, обновлено в ящике {finished}"),
    "summary.unrecognised": Msg(
        " unrecognised={n} unrecognised_by_sender={senders}",
        "; лиды из всего текста (форма не распознана): {n} ({senders})"),
    "summary.failed": Msg("; failed: {what}", "; не удалось: {what}"),
    "summary.failed_quarantined": Msg(
        "{n} message(s) quarantined (`mailbridge status` says why)",
        "сообщений в карантине: {n} (причину покажет `mailbridge status`)"),
    "summary.failed_waiting": Msg(
        "{n} message(s) not sent yet, retried later",
        "не отправлено сообщений: {n}, будет повтор позже"),
    "summary.failed_mailbox": Msg("the mailbox: {error}", "почтовый ящик: {error}"),
    "progress.line": Msg("fetched {fetched}/{total}, sent {sent}/{due}",
                         "получено {fetched}/{total}, отправлено {sent}/{due}"),
    # -- status ------------------------------------------------------------------------
    "status.messages": Msg("messages: {n}", "сообщений: {n}"),
    "status.state.received": Msg("received", "получено"),
    "status.state.parsed": Msg("parsed, to be sent", "разобрано, к отправке"),
    "status.state.pushing": Msg("being sent", "отправляется"),
    "status.state.created": Msg("lead created", "лид создан"),
    "status.state.duplicate": Msg("duplicate", "дубликат"),
    "status.state.skipped": Msg("skipped (not a form)", "пропущено (не заявка)"),
    "status.state.failed": Msg("failed, waiting for a retry", "ошибка, ждёт повтора"),
    "status.state.quarantined": Msg("quarantined", "в карантине"),
    "status.last_poll": Msg("last poll: {when}", "последняя проверка почты: {when}"),
    "status.never": Msg("never", "ещё не было"),
    "status.none": Msg("none", "нет"),
    "status.oldest": Msg("oldest waiting for a retry: {age}",
                         "дольше всех ждёт повтора: {age}"),
    "status.age.s": Msg("{n} s", "{n} с"),
    "status.age.m": Msg("{n} min", "{n} мин"),
    "status.age.h": Msg("{n} h", "{n} ч"),
    "status.age.d": Msg("{n} d", "{n} дн"),
    "status.blocked": Msg("BLOCKED since {since}: {why}", "ОСТАНОВЛЕНО с {since}: {why}"),
    "status.blocked_note": Msg(
        "new mail is kept in the ledger and sent when the portal accepts again",
        "новые письма сохраняются в журнале и будут отправлены, когда портал снова примет их"),
    "status.quarantined_hint": Msg(
        "needs a person: {n} quarantined message(s); fix the cause (see below), then "
        "`mailbridge retry --all` (or retry ID...)",
        "нужен человек: сообщений в карантине: {n}; устраните причину (см. ниже), затем "
        "`mailbridge retry --all` (или retry ID...)"),
    "status.unrecognised": Msg(
        "leads made from the whole text (form fields not recognised; has the site's template "
        "changed?):",
        "лиды, созданные из всего текста письма (поля формы не распознаны; не изменился ли "
        "шаблон письма на сайте?):"),
    "status.problems": Msg("newest problems:", "последние проблемы:"),
    "status.created_items": Msg("newest created:", "последние созданные:"),
    "status.entity.lead": Msg("lead", "лид"),
    "status.entity.deal": Msg("deal", "сделка"),
    # -- retry -------------------------------------------------------------------------
    "retry.usage": Msg("retry: name message IDs (as `status` shows them) or use --all",
                       "retry: укажите номера сообщений (как их показывает `status`) или --all"),
    "retry.unknown": Msg("retry: no message with ID {ids} in the ledger; `mailbridge status` "
                         "shows the IDs",
                         "retry: в журнале нет сообщения с номером {ids}; номера показывает "
                         "`mailbridge status`"),
    "retry.nothing": Msg("nothing to retry: no failed or quarantined messages",
                         "повторять нечего: нет сообщений с ошибкой или в карантине"),
    "retry.nothing_ids": Msg(
        "nothing to retry: no failed or quarantined messages with those IDs",
        "повторять нечего: среди этих номеров нет сообщений с ошибкой или в карантине"),
    "retry.due": Msg('due now: #{id} "{subject}" (was: {was})',
                     'к повтору: #{id} «{subject}» (было: {was})'),
    "retry.total": Msg("{n} message(s) will be processed by the next poll",
                       "сообщений к обработке при следующей проверке почты: {n}"),
    "retry.needs_mailbox": Msg(
        "retry: message IDs are per mailbox; add --mailbox NAME (see `status`)",
        "retry: номера сообщений у каждого ящика свои; добавьте --mailbox ИМЯ (см. `status`)"),
    "retry.no_such_mailbox": Msg("retry: no mailbox named {name}; the mailboxes are {names}",
                                 "retry: нет ящика с именем {name}; ящики: {names}"),
    # -- several mailboxes -----------------------------------------------------------
    "mailboxes.header": Msg("== mailbox {name} ({user} on {host}, {folder}; portal {portal})",
                            "== ящик {name} ({user} на {host}, {folder}; портал {portal})"),
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
    # -- check: Bitrix24 ---------------------------------------------------------------
    "check.crm.problem": Msg("bitrix24: {error}", "bitrix24: {error}"),
    "check.crm.unreachable": Msg("bitrix24: not reachable or not answering: {error}",
                                 "bitrix24: портал недоступен или не отвечает: {error}"),
    "check.crm.webhook_rejected": Msg(
        "bitrix24: webhook rejected: {code}; check bitrix24.webhook_url (paste the URL of an "
        "active inbound webhook: Developer resources → Other → Inbound webhook)",
        "bitrix24: вебхук отклонён: {code}; проверьте bitrix24.webhook_url (вставьте адрес "
        "действующего входящего вебхука: Разработчикам → Другое → Входящий вебхук)"),
    "check.crm.insufficient_scope": Msg(
        "bitrix24: the webhook lacks a scope: insufficient_scope; tick the needed scopes "
        "(crm, user, disk) on the webhook (Developer resources → Other → Inbound webhook)",
        "bitrix24: у вебхука не хватает прав: insufficient_scope; отметьте нужные права (crm, "
        "user, disk) у вебхука (Разработчикам → Другое → Входящий вебхук)"),
    "check.crm.portal_deleted": Msg(
        "bitrix24: the portal was deleted or closed: PORTAL_DELETED; check bitrix24.webhook_url",
        "bitrix24: портал удалён или закрыт: PORTAL_DELETED; проверьте bitrix24.webhook_url"),
    "check.crm.payment_required": Msg(
        "bitrix24: the portal's subscription has ended: PAYMENT_REQUIRED (REST needs a paid "
        "plan)",
        "bitrix24: у портала закончилась подписка: PAYMENT_REQUIRED (REST доступен на платном "
        "тарифе)"),
    "check.crm.overload": Msg(
        "bitrix24: the portal's REST API is blocked due to overload (OVERLOAD_LIMIT, a manual "
        "block, not a passing limit): contact Bitrix24 support to lift it",
        "bitrix24: REST API портала заблокирован из-за перегрузки (OVERLOAD_LIMIT — ручная "
        "блокировка, а не временный лимит): обратитесь в поддержку Битрикс24, чтобы её сняли"),
    "check.crm.webhook_ok": Msg("bitrix24: webhook valid (user {user})",
                                "bitrix24: вебхук действует (пользователь {user})"),
    "check.crm.no_crm_scope": Msg(
        "bitrix24: the webhook lacks the crm scope: edit the inbound webhook (Developer "
        "resources → Other → Inbound webhook) and tick CRM (crm)",
        "bitrix24: у вебхука нет права crm: откройте входящий вебхук (Разработчикам → "
        "Другое → Входящий вебхук) и отметьте CRM (crm)"),
    "check.crm.crm_scope_ok": Msg("bitrix24: scope crm granted", "bitrix24: право crm есть"),
    "check.crm.no_user_scope": Msg(
        "bitrix24: the webhook lacks the user scope, so the responsible user cannot be "
        "checked: tick Users (user) on the webhook",
        "bitrix24: у вебхука нет права user, поэтому ответственного нельзя проверить: "
        "отметьте у вебхука «Пользователи (user)»"),
    "check.crm.user_missing": Msg(
        "bitrix24: user {id} not found or not active: set bitrix24.responsible_user_id to an "
        "active employee's id (Employees → profile URL /user/ID/)",
        "bitrix24: пользователь {id} не найден или не активен: укажите в "
        "bitrix24.responsible_user_id номер действующего сотрудника (Сотрудники → адрес "
        "профиля /user/ID/)"),
    "check.crm.user_ok": Msg("bitrix24: responsible user {id} {name} is active",
                             "bitrix24: ответственный {id} {name} активен"),
    "check.crm.source_ok": Msg("bitrix24: source {source} exists",
                               "bitrix24: источник {source} есть"),
    "check.crm.source_missing": Msg(
        "bitrix24: source {source} does not exist: set bitrix24.source_id to one of "
        "{listed} (CRM → Settings → Lists → Sources)",
        "bitrix24: источника {source} нет: укажите в bitrix24.source_id один из: {listed} "
        "(CRM → Настройки → Справочники → Источники)"),
    "check.crm.simple_mode": Msg(
        "bitrix24: the portal is in simple CRM mode (crm.settings.mode.get = 2): a new lead "
        "becomes a deal at once, so the bridge could not find its leads again (exactly-once "
        'needs it); this portal needs crm.target = "deal", or switch the portal to classic '
        "CRM mode (CRM → Settings → CRM mode: Classic)",
        "bitrix24: портал в простом режиме CRM (crm.settings.mode.get = 2): новый лид сразу "
        "становится сделкой, и мост не найдёт свои лиды снова (это нужно, чтобы не создать "
        'лид дважды); для этого портала нужен crm.target = "deal", или переключите портал в '
        "классический режим (CRM → Настройки → Режим работы CRM: Классический)"),
    "check.crm.classic_mode": Msg("bitrix24: CRM mode is classic (with leads)",
                                  "bitrix24: режим CRM классический (с лидами)"),
    "check.crm.simple_mode_deals": Msg(
        "bitrix24: CRM mode is simple (without leads); every enquiry becomes a deal",
        "bitrix24: режим CRM простой (без лидов); каждая заявка становится сделкой"),
    "check.crm.read_admin": Msg(
        "bitrix24: the webhook's user {user} is an administrator and can read the leads it "
        "creates",
        "bitrix24: пользователь вебхука {user} — администратор и видит лиды, которые создаёт"),
    "check.crm.read_responsible": Msg(
        "bitrix24: the webhook's user {user} is the responsible user and can read the leads "
        "it creates",
        "bitrix24: пользователь вебхука {user} — сам ответственный и видит лиды, которые "
        "создаёт"),
    "check.crm.read_seen": Msg(
        "bitrix24: the webhook's user {user} can read leads of user {responsible}",
        "bitrix24: пользователь вебхука {user} видит лиды пользователя {responsible}"),
    "check.crm.read_unverified": Msg(
        "bitrix24: lead read access unverified: the first lead will be read back (the "
        "webhook's user {user} sees no lead of user {responsible} yet; if it cannot read "
        "them the bridge blocks and says which access right to grant in CRM → Settings → "
        "Access permissions)",
        "bitrix24: доступ на чтение лидов не проверен: первый созданный лид будет прочитан "
        "обратно (пользователь вебхука {user} пока не видит лидов пользователя {responsible}; "
        "если не сможет их читать, мост остановится и скажет, какое право выдать в CRM → "
        "Настройки → Права доступа)"),
    # -- check: files ------------------------------------------------------------------
    "check.files.comment_configured": Msg(
        'bitrix24: files go to a timeline comment on the lead (attachments.field is "")',
        'bitrix24: файлы идут комментарием в ленте лида (attachments.field = "")'),
    "check.files.legacy_task": Msg(
        'bitrix24: attachments.field = "UF_CRM_TASK" is not a lead field (it is the tasks\' '
        'CRM binding): delete the line from the config; "auto" is used',
        'bitrix24: attachments.field = "UF_CRM_TASK" — не поле лида (это привязка задач к '
        'CRM): удалите строку из настроек; используется "auto"'),
    "check.files.wait": Msg(
        "bitrix24: {why}: create a multiple File field for leads and name its code in "
        'attachments.field, or set it to "auto" (mail with files waits until then)',
        "bitrix24: {why}: создайте у лидов множественное поле типа «Файл» и укажите его код "
        'в attachments.field или поставьте "auto" (письма с файлами ждут до тех пор)'),
    "check.files.several": Msg(
        "bitrix24: the leads have several multiple File fields ({listed}): files go to a "
        'timeline comment on the lead; to use one, set attachments.field = "{code}" (its code)',
        "bitrix24: у лидов несколько множественных полей «Файл» ({listed}): файлы идут "
        'комментарием в ленте лида; чтобы использовать одно, укажите attachments.field = '
        '"{code}" (его код)'),
    "check.files.none": Msg(
        "bitrix24: the leads have no multiple File field: files go to a timeline comment on "
        "the lead",
        "bitrix24: у лидов нет множественного поля «Файл»: файлы идут комментарием в ленте "
        "лида"),
    "check.files.field": Msg(
        "bitrix24: files go to the lead field {field}, type file, multiple ({how})",
        "bitrix24: файлы идут в поле лида {field}, тип «Файл», множественное ({how})"),
    "check.files.only": Msg("only {extensions}", "только {extensions}"),
    "check.files.max_size": Msg("up to {size} MB a file", "до {size} МБ на файл"),
    "check.files.and": Msg(" and ", " и "),
    "check.files.limits": Msg(
        "bitrix24: the field takes {limits}; other files are named in the lead, not sent",
        "bitrix24: поле принимает {limits}; остальные файлы названы в лиде, но не отправлены"),
    # -- notifications (bridge.alerts): alarm titles and fixes by kind, notify-test --------
    "alarm.title.portal_blocked": Msg(
        'Bitrix24 portal blocked: no leads are sent',
        'портал Битрикс24 заблокирован: лиды не отправляются'),
    "alarm.title.mailbox_unreachable": Msg(
        'mailbox unreachable',
        'почтовый ящик недоступен'),
    "alarm.title.quarantined": Msg(
        'a message is quarantined and needs a person',
        'письмо в карантине, нужен человек'),
    "alarm.title.unrecognised": Msg(
        'a form e-mail was not recognised',
        'письмо с формы не распознано'),
    "alarm.title.file_field_vanished": Msg(
        'the lead file field has vanished',
        'поле лида для файлов исчезло'),
    "alarm.title.inactive_user": Msg(
        'the responsible user is inactive or gone',
        'ответственный сотрудник уволен или удалён'),
    "alarm.title.stall": Msg(
        'no successful poll',
        'нет успешного опроса'),
    "alarm.title.reload_failed": Msg(
        'config reload failed: the old config stays',
        'перечитать настройки не удалось: действуют прежние'),
    "alarm.title.stopped": Msg(
        'mailbridge stopped on a setup error',
        'mailbridge остановлен из-за ошибки настройки'),
    "alarm.fix.portal_blocked": Msg(
        'see `mailbridge status` and fix the webhook or the portal',
        'см. `mailbridge status` и исправьте вебхук или настройки портала'),
    "alarm.fix.mailbox_unreachable": Msg(
        'check the IMAP server and the login (`mailbridge check`)',
        'проверьте IMAP-сервер и логин (`mailbridge check`)'),
    "alarm.fix.quarantined": Msg(
        'see `mailbridge status`, fix the cause, then `mailbridge retry ID`',
        'см. `mailbridge status`, устраните причину, затем `mailbridge retry ID`'),
    "alarm.fix.unrecognised": Msg(
        "see `mailbridge status`; the form's layout may need parsing.labels",
        'см. `mailbridge status`; для этой формы, возможно, нужны parsing.labels'),
    "alarm.fix.file_field_vanished": Msg(
        'create the multiple File field again or set attachments.field',
        'создайте заново множественное поле типа «Файл» или укажите attachments.field'),
    "alarm.fix.inactive_user": Msg(
        'leads go to bitrix24.fallback_user_id; set bitrix24.responsible_user_id',
        'лиды получает bitrix24.fallback_user_id; укажите bitrix24.responsible_user_id'),
    "alarm.fix.stall": Msg(
        'see `journalctl -u mailbridge` and `mailbridge status`',
        'см. `journalctl -u mailbridge` и `mailbridge status`'),
    "alarm.fix.reload_failed": Msg(
        'fix the config file and send SIGHUP again (`systemctl reload mailbridge`)',
        'исправьте файл настроек и перечитайте его снова (`systemctl reload mailbridge`)'),
    "alarm.fix.stopped": Msg(
        'fix what the reason names, then `systemctl restart mailbridge`',
        'устраните названную причину, затем `systemctl restart mailbridge`'),
    "alarm.head.alarm": Msg("ALARM", "ТРЕВОГА"),
    "alarm.head.repeat": Msg("STILL", "ВСЁ ЕЩЁ"),
    "alarm.head.resolved": Msg("RESOLVED", "РЕШЕНО"),
    "alarm.reason": Msg("reason: {reason}", "причина: {reason}"),
    "alarm.since": Msg("since: {since} ({minutes} min)", "с {since} ({minutes} мин)"),
    "alarm.fix": Msg("fix: {fix}", "что сделать: {fix}"),
    "alarm.fix.default": Msg(
        "see mailbridge status", "см. mailbridge status"),
        "notify_test.subject": Msg("test message", "проверочное сообщение"),
    "notify_test.body": Msg("mailbridge notify-test at {at}: this channel works.",
                            "mailbridge notify-test, {at}: этот канал работает."),
    "notify_test.sent": Msg("✓ {channel}: sent", "✓ {channel}: отправлено"),
    "notify_test.failed": Msg("✗ {channel}: {outcome}: {detail}",
                              "✗ {channel}: {outcome}: {detail}"),
    "notify_test.none": Msg(
        "✗ no notification channel configured: add [notify.telegram], [notify.email] "
        "or [notify.webhook] (see config.toml.example)",
        "✗ не настроен ни один канал оповещений: добавьте [notify.telegram], [notify.email] "
        "или [notify.webhook] (см. config.toml.example)"),
    "notice.new_lead": Msg("new lead #{id}: {name}", "новый лид #{id}: {name}"),
    "notice.new_deal": Msg("new deal #{id}: {name}", "новая сделка #{id}: {name}"),
    "notice.name": Msg("name: {name}", "имя: {name}"),
    "notice.phone": Msg("phone: {phone}", "телефон: {phone}"),
    "notice.message": Msg("message: {line}", "сообщение: {line}"),
}
