"""Timeline comments on leads: ``crm.timeline.comment.add/get/list`` with their files
(bitrix24-api.md §9 option 2, §17; docs/bitrix24.md "How text renders"). Deals get comments
through dupindex.py, which hands the deal to these handlers as the owner."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from bridge.sandbox.answers import ApiError
from bridge.sandbox.registry import Ctx, method
from bridge.sandbox.values import _as_int, _items, _now_iso, _scalar

if TYPE_CHECKING:
    from bridge.sandbox.base import PortalLike

__all__ = ["CommentsMixin"]


class CommentsMixin:
    """The portal's timeline comments."""

    lock: threading.RLock
    comments: dict[int, dict[str, Any]]
    comment_denied: set[int]
    files: dict[int, tuple[str, bytes]]

    def _reset_comments(self) -> None:
        self.comments = {}
        self.comment_denied = set()  # leads whose timeline refuses comments

    def comment_files(self, comment_id: int) -> list[tuple[str, bytes]]:
        with self.lock:
            return [self.files[fid] for fid in self.comments[comment_id]["FILES"]]


def _comment_record(p: PortalLike, c: dict[str, Any]) -> dict[str, Any]:
    files = {str(fid): {"id": fid, "name": p.files[fid][0], "size": len(p.files[fid][1]),
                        "urlDownload": f"/rest/download/?token=disk|{fid}"} for fid in c["FILES"]}
    out = {k: v for k, v in c.items() if k != "FILES"}
    out["FILES"] = files or []
    return out


@method("crm.timeline.comment.add", "crm")
def _comment_add(p: PortalLike, params: dict[str, Any], ctx: Ctx) -> Any:
    fields = params.get("fields")
    if not isinstance(fields, dict):
        raise ApiError(400, "100", "Required fields are missing: fields")
    missing = [k for k in ("ENTITY_ID", "ENTITY_TYPE", "COMMENT") if k not in fields]
    if missing:
        raise ApiError(400, "100", "Required fields are missing: " + ", ".join(missing))
    entity_type = str(fields["ENTITY_TYPE"]).lower()
    entity_id = _as_int(fields["ENTITY_ID"])
    if entity_type != "lead" or entity_id is None or entity_id not in p.leads:
        raise ApiError(400, "OWNER_NOT_FOUND", "Owner entity is not found.")
    if entity_id in p.comment_denied:  # a role that may not edit this one lead
        raise ApiError(400, "ACCESS_DENIED", "Access denied.")
    comment = _scalar(fields["COMMENT"]) or ""
    if not comment.strip():
        raise ApiError(400, "INVALID_ARG_VALUE", "Empty comment.")
    file_ids: list[int] = []
    for item in _items(fields.get("FILES")) or []:
        parts = _items(item)
        if parts and len(parts) >= 2:
            fid = p._save_file(_scalar(parts[0]), parts[1])
            if fid:
                file_ids.append(fid)
    cid = p._next_id("comment", 1)
    p.comments[cid] = {"ID": str(cid), "CREATED": _now_iso(), "ENTITY_ID": str(entity_id),
                       "ENTITY_TYPE": "lead", "AUTHOR_ID": str(ctx.user_id), "COMMENT": comment,
                       "FILES": file_ids}
    return cid


@method("crm.timeline.comment.get", "crm")
def _comment_get(p: PortalLike, params: dict[str, Any], ctx: Ctx) -> Any:
    cid = _as_int(params.get("id"))
    if cid is None or cid not in p.comments:
        raise ApiError(400, "NOT_FOUND", "Not found.")
    return _comment_record(p, p.comments[cid])


@method("crm.timeline.comment.list", "crm")
def _comment_list(p: PortalLike, params: dict[str, Any], ctx: Ctx) -> Any:
    names = {"ID", "ENTITY_ID", "ENTITY_TYPE", "AUTHOR_ID", "CREATED"}
    conds = p._parse_filter(params.get("filter"), lambda n: n in names)
    rows = [c for _, c in sorted(p.comments.items())
            if p._match(c, conds, lambda r, n: [r.get(n)], {"ID", "ENTITY_ID", "AUTHOR_ID"})]
    rows = p._sort(rows, params.get("order"), {"ID", "ENTITY_ID", "AUTHOR_ID"})
    page = p._page(rows, params.get("start"))
    select = p._select(params)
    records = [_comment_record(p, c) for c in page.items]
    if select and "*" not in select:
        records = [{k: v for k, v in r.items() if k in select or k == "ID"} for r in records]
    page.items = records
    return page
