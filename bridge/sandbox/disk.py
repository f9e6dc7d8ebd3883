"""The disk methods the bridge may use: ``disk.storage.getlist`` and ``disk.folder.uploadfile``
(bitrix24-api.md §8), one storage with one root folder per portal."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bridge.sandbox.answers import ApiError, ListResult
from bridge.sandbox.registry import Ctx, method
from bridge.sandbox.values import _as_int, _items, _now_iso, _scalar

if TYPE_CHECKING:
    from bridge.sandbox.base import PortalLike


@method("disk.storage.getlist", "disk")
def _storage_list(p: PortalLike, params: dict[str, Any], ctx: Ctx) -> Any:
    row = {"ID": "1", "NAME": "Admin Sandbox", "CODE": None, "MODULE_ID": "disk",
           "ENTITY_TYPE": "user", "ENTITY_ID": str(ctx.user_id), "ROOT_OBJECT_ID": "1"}
    return ListResult([row], 1)


@method("disk.folder.uploadfile", "disk")
def _upload(p: PortalLike, params: dict[str, Any], ctx: Ctx) -> Any:
    folder = _as_int(params.get("id"))
    if folder is None:
        raise ApiError(400, "ERROR_ARGUMENT", "Invalid value of parameter {Parameter #0}")
    if folder != 1:
        raise ApiError(400, "ERROR_NOT_FOUND", f"Could not find entity with id `{folder}`")
    given = params.get("data")
    data: dict[str, Any] = given if isinstance(given, dict) else {}
    name = data.get("NAME")
    if not name:
        raise ApiError(400, "DISK_BASE_SERVICE_22001", "Name is required")
    parts = _items(params.get("fileContent")) or []
    fid = p._save_file(_scalar(name), parts[1] if len(parts) >= 2 else (parts[0] if parts else
                                                                          None))
    if fid is None:
        raise ApiError(400, "ERROR_COULD_NOT_SAVE_FILE", "Could not save file")
    now = _now_iso()
    return {"ID": fid, "NAME": name, "CODE": None, "STORAGE_ID": "1", "TYPE": "file",
            "PARENT_ID": str(folder), "DELETED_TYPE": 0, "GLOBAL_CONTENT_VERSION": 1,
            "FILE_ID": fid, "SIZE": str(len(p.files[fid][1])), "CREATE_TIME": now,
            "UPDATE_TIME": now, "DELETE_TIME": None, "CREATED_BY": str(ctx.user_id),
            "UPDATED_BY": str(ctx.user_id), "DELETED_BY": None,
            "DOWNLOAD_URL": f"https://{p.host}/rest/download.json?token=disk%7C{fid}",
            "DETAIL_URL": f"https://{p.host}/company/personal/user/{ctx.user_id}/disk/file/{name}"}
