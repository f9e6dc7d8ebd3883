"""The portal's method table: REST method name -> (scope, handler), and who is calling.

Each method family registers its handlers with ``@method(name, scope)`` when its module is
imported; ``Portal.process`` looks them up here. Scope rules: bitrix24-api.md §3.2
(``insufficient_scope``) and §12 (scope names).
"""

from __future__ import annotations

from collections.abc import Callable

from bridge.sandbox.base import Handler
from bridge.sandbox.records import Ctx, Webhook

__all__ = ["METHODS", "Ctx", "Handler", "method", "scope_ok"]

METHODS: dict[str, tuple[str, Handler]] = {}


def method(name: str, scope: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        METHODS[name] = (scope, fn)
        return fn

    return register


def scope_ok(hook: Webhook, scope: str) -> bool:
    """May a webhook with these scopes call a method of ``scope``?"""
    if scope == "basic" or "full" in hook.scopes:
        return True
    if scope == "user":
        return bool(hook.scopes & {"user", "user_basic", "user_brief"})
    return scope in hook.scopes
