"""Users, webhooks and scopes of the sandbox portal, and the methods that describe them:
``profile``, ``scope``, ``methods``, ``method.get``, ``app.info``, ``user.get``,
``user.current`` (bitrix24-api.md §3.2, §12)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from bridge.sandbox.answers import ApiError
from bridge.sandbox.records import User, Webhook
from bridge.sandbox.registry import METHODS, Ctx, method, scope_ok
from bridge.sandbox.values import _truthy

if TYPE_CHECKING:
    from bridge.sandbox.base import PortalLike

__all__ = ["User", "UsersMixin", "Webhook"]


class UsersMixin:
    """The portal's users and webhooks."""

    lock: threading.RLock
    users: dict[int, User]
    webhooks: dict[tuple[int, str], Webhook]

    def _reset_users(self, user_id: int, code: str, scopes: set[str]) -> None:
        self.users = {user_id: User(user_id, admin=True)}
        self.webhooks = {}
        self.add_webhook(user_id, code, scopes)

    def add_user(self, user_id: int, *, active: bool = True, name: str = "User",
                 admin: bool = False, lead_read: str = "all") -> User:
        with self.lock:
            user = User(user_id, name=name, active=active, admin=admin, lead_read=lead_read)
            self.users[user_id] = user
            return user

    def add_webhook(self, user_id: int, code: str, scopes: set[str] | tuple[str, ...]) -> Webhook:
        with self.lock:
            hook = Webhook(user_id, code, set(scopes))
            self.webhooks[(user_id, code)] = hook
            return hook

    def set_scopes(self, scopes: set[str] | tuple[str, ...]) -> None:
        """Set the scopes of every webhook."""
        with self.lock:
            for hook in self.webhooks.values():
                hook.scopes = set(scopes)

    def block_webhooks(self, blocked: bool = True) -> None:
        """Expire/block every webhook: calls then fail with INVALID_CREDENTIALS."""
        with self.lock:
            for hook in self.webhooks.values():
                hook.active = not blocked

    def _caller(self, user_id: int, code: str) -> Webhook:
        """The calling webhook, or INVALID_CREDENTIALS."""
        hook = self.webhooks.get((user_id, code))
        user = self.users.get(user_id)
        if hook is None or not hook.active or user is None or not user.active:
            raise ApiError(401, "INVALID_CREDENTIALS", "Invalid request credentials")
        return hook

    @staticmethod
    def _scope_ok(hook: Webhook, scope: str) -> bool:
        return scope_ok(hook, scope)


@method("profile", "basic")
def _profile(p: PortalLike, params: dict[str, Any], ctx: Ctx) -> Any:
    user = p.users[ctx.user_id]
    return {"ID": str(user.id), "ADMIN": user.admin, "NAME": user.name, "LAST_NAME": user.last_name,
            "PERSONAL_GENDER": "", "PERSONAL_PHOTO": None, "TIME_ZONE": "",
            "TIME_ZONE_OFFSET": 10800}


@method("scope", "basic")
def _scope(p: PortalLike, params: dict[str, Any], ctx: Ctx) -> Any:
    return sorted(ctx.webhook.scopes)


@method("methods", "basic")
def _methods(p: PortalLike, params: dict[str, Any], ctx: Ctx) -> Any:
    return sorted(n for n, (scope, _) in METHODS.items() if p._scope_ok(ctx.webhook, scope))


@method("method.get", "basic")
def _method_get(p: PortalLike, params: dict[str, Any], ctx: Ctx) -> Any:
    name = str(params.get("name", "")).lower()
    entry = METHODS.get(name)
    return {"isExisting": entry is not None,
            "isAvailable": entry is not None and p._scope_ok(ctx.webhook, entry[0])}


def _user_record(user: User) -> dict[str, Any]:
    return {"ID": str(user.id), "XML_ID": None, "ACTIVE": user.active, "NAME": user.name,
            "LAST_NAME": user.last_name, "SECOND_NAME": "", "EMAIL": user.email,
            "UF_DEPARTMENT": [1], "USER_TYPE": "employee"}


@method("app.info", "basic")
def _app_info(p: PortalLike, params: dict[str, Any], ctx: Ctx) -> Any:
    raise ApiError(403, "ACCESS_DENIED", "Access denied! Application context required")


@method("user.get", "user")
def _user_get(p: PortalLike, params: dict[str, Any], ctx: Ctx) -> Any:
    flt = params.get("filter", params.get("FILTER"))
    if not isinstance(flt, dict):
        reserved = {"sort", "order", "start", "select", "admin_mode", "filter"}
        flt = {k: v for k, v in params.items() if k.lower() not in reserved}
    names = {"ID", "ACTIVE", "NAME", "LAST_NAME", "EMAIL", "USER_TYPE"}
    conds = p._parse_filter(flt, lambda n: n in names)
    rows = [_user_record(u) for _, u in sorted(p.users.items())]

    def value_of(r: dict[str, Any], name: str) -> list[Any]:
        v = r.get(name)
        if name == "ACTIVE":
            v = "Y" if v else "N"
        return [v]

    conds = [(op, n, ("Y" if _truthy(v) else "N") if n == "ACTIVE" else v) for op, n, v in conds]
    rows = [r for r in rows if p._match(r, conds, value_of, {"ID"})]
    return p._page(rows, params.get("start"))


@method("user.current", "user")
def _user_current(p: PortalLike, params: dict[str, Any], ctx: Ctx) -> Any:
    return _user_record(p.users[ctx.user_id])
