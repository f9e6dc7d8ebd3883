"""The command line's texts: errors, the ``--poll-now`` summary, ``status`` and ``retry``."""

from __future__ import annotations

from bridge.messages.entry import Msg

MESSAGES: dict[str, Msg] = {
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
}
