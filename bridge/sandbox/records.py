"""The sandbox portal's plain records: users, webhooks, user fields, and who is calling.

They sit below everything else of the portal, so the method modules, the method table
(:mod:`bridge.sandbox.registry`) and the portal Protocol (:mod:`bridge.sandbox.base`) can all
name them without importing one another. ``users`` and ``filefields`` re-export them under
their old names.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Ctx", "User", "UserField", "Webhook"]


@dataclass
class User:
    id: int
    name: str = "Admin"
    last_name: str = "Sandbox"
    active: bool = True
    email: str = ""
    admin: bool = False  # user.admin; the portal's first user is its administrator
    lead_read: str = "all"  # the CRM role's lead read permission: "all" | "own" | "none"


@dataclass
class Webhook:
    user_id: int
    code: str
    scopes: set[str]
    active: bool = True  # False: deleted, blocked or expired


@dataclass
class UserField:
    name: str
    type: str = "file"
    multiple: bool = True
    id: int = 0
    label: str = ""
    extensions: tuple[str, ...] = ()  # SETTINGS.EXTENSIONS; empty = any
    max_size: int = 0  # SETTINGS.MAX_ALLOWED_SIZE in bytes; 0 = no limit


@dataclass
class Ctx:
    """Who is calling: the webhook's user."""

    user_id: int
    webhook: Webhook
