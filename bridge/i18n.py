"""What a person reads, in Russian or English, from one message catalogue (SPEC §6).

Every text of ``check``, ``status`` (human form), the ``--poll-now`` summary line and the
CLI's error messages is looked up here by a key: ``t("status.messages", n=3)``. The
catalogue (:mod:`bridge.messages`) is a plain typed table with both languages side by side,
chosen over gettext because it needs no compile step (.po -> .mo) and no tooling at
install time, and because completeness is a plain test (every key has both languages with
the same ``{placeholders}``, every ``t("…")`` in the source names a key that exists).

Log event names stay English; only what a person reads is translated. An error raised deep
in an adapter keeps its English text for the logs and may carry a catalogue entry too
(:func:`tagged`); `check` shows it with :func:`say`.

The language: ``ui.language`` ("ru" or "en"), or with "auto" (the default) the locale:
the first set of ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` (POSIX order) starting with ``ru``
means Russian, anything else English.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TypeVar

from bridge.messages import CATALOGUE

LANGUAGES = ("en", "ru")
SETTINGS = ("auto", "ru", "en")  # ui.language, in the order its config error lists them
_LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")

_current = "en"
E = TypeVar("E", bound=BaseException)


def from_locale(env: Mapping[str, str] | None = None) -> str:
    """``"ru"`` when the locale the environment selects is Russian, else ``"en"``."""
    env = os.environ if env is None else env
    for name in _LOCALE_VARIABLES:
        value = env.get(name, "").strip()
        if value:
            return "ru" if value.lower().startswith("ru") else "en"
    return "en"


def resolve(setting: str, env: Mapping[str, str] | None = None) -> str:
    """The language for a ``ui.language`` setting ("auto" asks the locale)."""
    setting = (setting or "auto").strip().lower()
    return setting if setting in LANGUAGES else from_locale(env)


def set_language(language: str) -> None:
    """Use ``language`` ("ru" or "en"; anything else means English) from now on."""
    global _current
    _current = language if language in LANGUAGES else "en"


def language() -> str:
    """The language in use."""
    return _current


def t(key: str, /, **values: object) -> str:
    """The text for ``key`` in the current language, with ``values`` filled in.

    An unknown key is a bug that the completeness test catches; at run time the key
    itself is shown rather than failing the command.
    """
    message = CATALOGUE.get(key)
    if message is None:
        return key
    template = message.ru if _current == "ru" else message.en
    return template.format(**values) if values else template


def tagged(exc: E, key: str, /, **values: object) -> E:
    """Mark ``exc`` (whose own text stays English, for the logs) with the catalogue entry
    that says the same to a person; :func:`say` then shows it in the current language."""
    exc.message_key = key  # type: ignore[attr-defined]  # an ad-hoc tag on our own errors
    exc.message_values = values  # type: ignore[attr-defined]  # see above
    return exc


def say(exc: BaseException) -> str:
    """What ``exc`` says to a person: its catalogue entry when tagged, else its own text."""
    key = getattr(exc, "message_key", None)
    if key is None:
        return str(exc)
    return t(key, **getattr(exc, "message_values", {}))
