"""``check``'s Bitrix24 lines: the webhook, its rights, the CRM mode and the file field."""

from __future__ import annotations

from bridge.messages.entry import Msg

MESSAGES: dict[str, Msg] = {
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
}
