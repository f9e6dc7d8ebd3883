"""`check` on the mistakes a new operator makes: example values left in, a folder that is not
there (Cyrillic too), a refused login at a provider that wants an app password."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from bridge import i18n
from bridge.checks import BAD, login_problem, provider_hint
from bridge.errors import LoginRefused
from bridge.mailbox import ImapMailbox
from tests.e2e import run, sandbox, write_config
from tests.servers.dovecot import ImapAccount

ROOT = Path(__file__).resolve().parents[1]


def test_the_unfilled_example_says_fill_in(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """config.toml.example copied as it is: check names each value to fill in (the webhook
    code and portal, the example mailbox, the empty password), exit 78, nothing connected."""
    for name in ("BRIDGE_IMAP_PASSWORD", "BITRIX24_WEBHOOK_URL", "CREDENTIALS_DIRECTORY"):
        monkeypatch.delenv(name, raising=False)
    cfg = tmp_path / "config.toml"
    cfg.write_text((ROOT / "config.toml.example").read_text(encoding="utf-8"), encoding="utf-8")
    code, out, err = run("--config", str(cfg), "check")
    assert code == 78, out + err
    lines = [ln for ln in out.splitlines() if ln.startswith("✗")]
    assert any("fill in imap.username" in ln and "zayavki@rostferrum.ru" in ln for ln in lines)
    assert any("fill in imap.password" in ln for ln in lines)
    assert any("fill in bitrix24.webhook_url" in ln and "XXXXXXXXXXXXXXXX" in ln
               and "Inbound webhook" in ln for ln in lines)
    assert any("fill in bitrix24.webhook_url" in ln and "rostferrum.bitrix24.ru" in ln
               for ln in lines)
    assert "4 check(s) failed" in out
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")
    code, out, _ = run("--config", str(cfg), "check")
    assert code == 78
    assert "заполните imap.password" in out
    assert "Разработчикам → Другое → Входящий вебхук" in out


def test_filled_in_secrets_are_not_placeholders(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A password from the environment and a real-looking webhook are not "fill in"."""
    monkeypatch.setenv("BRIDGE_IMAP_PASSWORD", "p-123")
    monkeypatch.setenv("BITRIX24_WEBHOOK_URL", "https://b24-x1.bitrix24.ru/rest/1/abcd1234/")
    from bridge.placeholders import placeholder_problems

    cfg = tmp_path / "config.toml"
    cfg.write_text((ROOT / "config.toml.example").read_text(encoding="utf-8")
                   .replace("zayavki@rostferrum.ru", "forms@shop.example"), encoding="utf-8")
    assert placeholder_problems(cfg) == []


@pytest.mark.parametrize("missing", ["Заявки с сайта", "Forms"])
def test_a_missing_folder_lists_the_folders_there_are(account: ImapAccount, tmp_path: Path,
                                                      missing: str) -> None:
    """imap.folder naming no folder (also a Cyrillic one, sent in modified UTF-7): ✗ naming
    imap.folder with the mailbox's folders, Cyrillic names decoded; exit 78."""
    with account.client() as c:
        c.create_folder("Заявки")
        c.create_folder("Архив/2026")
    with sandbox() as sb:
        cfg = write_config(tmp_path / "c.toml", account, sb.webhook_url)
        cfg.write_text(cfg.read_text().replace('folder = "INBOX"', f'folder = "{missing}"'))
        code, out, err = run("--config", str(cfg), "check")
    assert code == 78, out + err
    [line] = [ln for ln in out.splitlines() if ln.startswith("✗ imap: folder")]
    assert repr(missing) in line and "imap.folder" in line
    assert "'INBOX'" in line and "'Заявки'" in line and "'Архив/2026'" in line
    assert "&" not in line.split("the mailbox has:")[1]  # decoded, not modified UTF-7


def test_an_existing_cyrillic_folder_passes(account: ImapAccount, tmp_path: Path) -> None:
    """imap.folder = "Заявки" that exists: ✓ (the name is encoded on the wire)."""
    with account.client() as c:
        c.create_folder("Заявки")
    with sandbox() as sb:
        cfg = write_config(tmp_path / "c.toml", account, sb.webhook_url)
        cfg.write_text(cfg.read_text().replace('folder = "INBOX"', 'folder = "Заявки"'))
        code, out, err = run("--config", str(cfg), "check")
    assert code == 0, out + err
    assert "✓ imap: folder 'Заявки' exists" in out


@pytest.mark.parametrize(
    ("host", "key"),
    [("imap.yandex.ru", "check.imap.hint.yandex"), ("imap.mail.ru", "check.imap.hint.mailru"),
     ("imap.gmail.com", "check.imap.hint.gmail"), ("imap.bk.ru", "check.imap.hint.mailru"),
     ("mail.rostferrum.ru", None), ("notyandex.ru", None)],
)
def test_provider_is_recognised_by_host(host: str, key: str | None) -> None:
    """Yandex, Mail.ru and Gmail IMAP hosts are recognised; look-alikes are not."""
    assert provider_hint(host) == key


def test_a_refused_login_at_yandex_explains_app_passwords(account: ImapAccount) -> None:
    """A real refusal from Dovecot, reported for a Yandex host: the ✗ login line and a ✗ line
    on app passwords and enabling IMAP, in English and in Russian."""
    cfg = account.config(password="wrong-pass-123")
    with pytest.raises(LoginRefused) as refused:
        ImapMailbox(cfg).connect()
    imap = SimpleNamespace(host="imap.yandex.ru", username=account.user)
    lines = login_problem(imap, refused.value)
    assert [c.status for c in lines] == [BAD, BAD]
    assert "login refused for user" in lines[0].text and "imap.password" in lines[0].text
    assert "app password" in lines[1].text and "IMAP" in lines[1].text
    i18n.set_language("ru")
    try:
        lines = login_problem(imap, refused.value)
    finally:
        i18n.set_language("en")
    assert "сервер не принял вход" in lines[0].text
    assert "пароль приложения" in lines[1].text and "Пароли приложений" in lines[1].text
    generic = login_problem(SimpleNamespace(host="127.0.0.1", username="u"), refused.value)
    assert len(generic) == 1


def test_check_with_a_wrong_password_is_translated(account: ImapAccount, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """`check` with a refused login under LANG=ru_RU.UTF-8 says so in Russian, exit 78."""
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")
    with sandbox() as sb:
        cfg = write_config(tmp_path / "c.toml", account, sb.webhook_url)
        cfg.write_text(cfg.read_text().replace(account.password, "wrong-pass-123"))
        code, out, err = run("--config", str(cfg), "check")
    assert code == 78, out
    assert "✗ imap: сервер не принял вход пользователя" in out
    assert "wrong-pass-123" not in out + err


def test_connection_errors_are_said_in_russian(account: ImapAccount, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Under LANG=ru_RU.UTF-8, a closed port (exit 69) and an untrusted certificate (exit 78)
    are explained in Russian, still naming the key to fix."""
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")
    with sandbox() as sb:
        cfg = write_config(tmp_path / "c.toml", account, sb.webhook_url)
        good = cfg.read_text()
        cfg.write_text(good.replace(f"port = {account.server.tls_port}", "port = 1"))
        code, out, _ = run("--config", str(cfg), "check")
        assert code == 69, out
        assert "✗ imap: сервер недоступен: imap 127.0.0.1:1: соединение отклонено (проверьте " \
               "imap.port)" in out
        cfg.write_text(good.replace("ca_file = ", "# ca_file = "))
        code, out, _ = run("--config", str(cfg), "check")
        assert code == 78, out
        [line] = [ln for ln in out.splitlines() if ln.startswith("✗ imap")]
        assert "TLS-сертификату сервера нет доверия" in line and "imap.ca_file" in line
    monkeypatch.setenv("LANG", "C.UTF-8")
    code, out, _ = run("--config", str(cfg), "check")
    assert "the server's TLS certificate is not trusted" in out
