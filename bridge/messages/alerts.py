"""Notifications (bridge.alerts): alarm titles and fixes by kind, ``notify-test``, notices."""

from __future__ import annotations

from bridge.messages.entry import Msg

MESSAGES: dict[str, Msg] = {
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
