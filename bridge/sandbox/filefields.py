"""Lead user fields, above all the File field: how files are sent, kept, removed, refused by
the field's own SETTINGS, and shown (``crm.lead.userfield.list``, ``crm.lead.fields``).

File values follow bitrix24-api.md §7.2 and docs/bitrix24.md "File fields": ``fileData`` as
``[name, base64]`` (or the bare content), ``{"id": N}`` keeps, ``{"id": N, "remove": "Y"}``
removes; a multiple field is set by the request as a whole, a single one takes a map only.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bridge.sandbox.phpquery import lenient_b64decode
from bridge.sandbox.records import UserField
from bridge.sandbox.registry import Ctx, method
from bridge.sandbox.values import _as_int, _items, _scalar

if TYPE_CHECKING:
    from bridge.sandbox.base import PortalLike

__all__ = ["GENERATED", "FileFieldsMixin", "UserField", "generated_field_code"]


# A lead File field made in the UI gets a generated code (docs/bitrix24.md "File fields");
# the sandbox's default field has one too, so no test can depend on a guessed name.
GENERATED = "generated"


def generated_field_code() -> str:
    return f"UF_CRM_{1700000000 + secrets.randbelow(10**8)}"


class FileFieldsMixin:
    """The portal's lead user fields and its stored files."""

    lock: threading.RLock
    userfields: dict[str, UserField]
    files: dict[int, tuple[str, bytes]]
    leads: dict[int, dict[str, Any]]
    _next_id: Callable[..., int]  # the portal's id counter

    def set_file_field(self, name: str, *, type: str = "file", multiple: bool = True,
                       extensions: tuple[str, ...] | list[str] = (), max_size: int = 0,
                       label: str = "Файлы") -> None:
        with self.lock:
            self.userfields[name] = UserField(
                name, type, multiple, id=100 + len(self.userfields), label=label,
                extensions=tuple(e.lower() for e in extensions), max_size=int(max_size))

    def remove_userfield(self, name: str) -> None:
        with self.lock:
            self.userfields.pop(name, None)

    def lead_files(self, lead_id: int, field_name: str | None = None) -> list[tuple[str, bytes]]:
        """The files stored in the lead's file fields (name, exact bytes)."""
        with self.lock:
            lead = self.leads[lead_id]
            out: list[tuple[str, bytes]] = []
            for name, uf in self.userfields.items():
                if uf.type != "file" or (field_name and name != field_name):
                    continue
                out.extend(self.files[fid] for fid in lead.get(name) or [])
            return out

    def _save_file(self, name: str | None, content: Any) -> int | None:
        if content in (None, "", False, "false"):
            return None
        data = lenient_b64decode(str(content))
        if not data:
            return None
        if not name:
            name = hashlib.md5(data).hexdigest()
        fid = self._next_id("file", 5001)
        self.files[fid] = (str(name), data)
        return fid

    def _file_item(self, item: Any) -> tuple[str, Any]:
        """Classify one file-field item: ("new", fid) / ("keep", id) / ("remove", id) / skip."""
        if isinstance(item, dict):
            if "fileData" in item:
                fd = item["fileData"]
                parts = _items(fd)
                if parts is None:
                    name, content = None, fd
                elif len(parts) >= 2:
                    name, content = parts[0], parts[1]
                elif len(parts) == 1:
                    name, content = None, parts[0]
                else:
                    return ("skip", None)
                fid = self._save_file(name, content)
                return ("new", fid) if fid else ("skip", None)
            fid = _as_int(item.get("id"))
            if fid is not None:
                if str(item.get("remove", "")).upper() == "Y":
                    return ("remove", fid)
                return ("keep", fid)
        return ("skip", None)

    def _stage_userfield(self, key: str, value: Any, lead: dict[str, Any], update: bool,
                         staged: dict[str, Any], errors: list[str]) -> None:
        """Stage one user field's value (a file field's files are saved here)."""
        uf = self.userfields[key]
        if uf.type == "file":
            if uf.multiple:
                self._stage_files(key, uf, value, lead, update, staged, errors)
            else:
                if not isinstance(value, dict):
                    return  # a list sent to a single field is ignored
                kind, fid = self._file_item(value)
                if kind == "new":
                    errors += self._field_refusals(uf, [fid])
                    staged[key] = [fid]
                elif kind == "remove":
                    staged[key] = []
        elif uf.multiple:
            items = _items(value)
            staged[key] = [_scalar(v) for v in items] if items is not None else [
                _scalar(value)]
        else:
            staged[key] = _scalar(value)

    def _stage_files(self, key: str, uf: UserField, value: Any, lead: dict[str, Any],
                     update: bool, staged: dict[str, Any], errors: list[str]) -> None:
        items = _items(value)
        if isinstance(value, dict) and ("fileData" in value or "id" in value):
            items = [value]
        if items is None:
            return
        kept = list(lead.get(key) or []) if update else []
        new_ids: list[int] = []
        keep_ids: list[int] = []
        removed: set[int] = set()
        for item in items:
            kind, fid = self._file_item(item)
            if kind == "new":
                new_ids.append(fid)
            elif kind == "keep" and fid in kept:
                keep_ids.append(fid)
            elif kind == "remove":
                removed.add(fid)
        errors += self._field_refusals(uf, new_ids)
        # a multiple field is set by the request as a whole
        staged[key] = [f for f in keep_ids if f not in removed] + new_ids

    def _field_refusals(self, uf: UserField, file_ids: list[int]) -> list[str]:
        """The field's own SETTINGS (EXTENSIONS, MAX_ALLOWED_SIZE) refuse the whole save.
        The texts are a GUESS (docs silent); the core's file type checks them on save."""
        out: list[str] = []
        for fid in file_ids:
            name, data = self.files[fid]
            ext = name.rpartition(".")[2].lower() if "." in name else ""
            if uf.extensions and ext not in uf.extensions:
                out.append(f"{uf.label or uf.name}: file {name} has an extension that is not "
                           "allowed.")
            elif uf.max_size and len(data) > uf.max_size:
                out.append(f"{uf.label or uf.name}: file {name} is larger than "
                           f"{uf.max_size} bytes.")
        return out

    def _externalize_userfields(self, lead: dict[str, Any], select: set[str],
                                out: dict[str, Any]) -> None:
        """The selected user fields as the lead methods show them (files as URL objects)."""
        for name, uf in self.userfields.items():
            if not ("UF_*" in select or name in select):
                continue
            value = lead.get(name)
            if uf.type == "file":
                lid = lead["ID"]
                objs = [{"id": fid,
                         "showUrl": f"/bitrix/components/bitrix/crm.lead.show/show_file.php?"
                                    f"ownerId={lid}&fieldName={name}&dynamic=Y&fileId={fid}",
                         "downloadUrl": f"/bitrix/components/bitrix/crm.lead.show/show_file.php"
                                        f"?auth=&ownerId={lid}&fieldName={name}&dynamic=Y"
                                        f"&fileId={fid}"} for fid in value or []]
                out[name] = objs if uf.multiple else (objs[0] if objs else None)
            elif uf.multiple:
                out[name] = value or False
            else:
                out[name] = value


def _uf_settings(uf: UserField) -> dict[str, Any]:
    """A File field's SETTINGS as crm-lead-userfield-list.md shows them."""
    if uf.type != "file":
        return {}
    return {"SIZE": 20, "LIST_WIDTH": 0, "LIST_HEIGHT": 0, "MAX_SHOW_SIZE": 0,
            "MAX_ALLOWED_SIZE": uf.max_size, "EXTENSIONS": list(uf.extensions),
            "TARGET_BLANK": "Y"}


@method("crm.lead.userfield.list", "crm")
def _userfield_list(p: PortalLike, params: dict[str, Any], ctx: Ctx) -> Any:
    rows: list[dict[str, Any]] = [{"ID": str(uf.id), "ENTITY_ID": "CRM_LEAD", "FIELD_NAME": uf.name,
             "USER_TYPE_ID": uf.type, "XML_ID": None, "SORT": "100",
             "MULTIPLE": "Y" if uf.multiple else "N", "MANDATORY": "N", "SHOW_FILTER": "N",
             "SHOW_IN_LIST": "Y", "EDIT_IN_LIST": "Y", "IS_SEARCHABLE": "N",
             "SETTINGS": _uf_settings(uf) or [], "EDIT_FORM_LABEL": uf.label,
             "LIST_COLUMN_LABEL": uf.label, "LIST_FILTER_LABEL": uf.label,
             "ERROR_MESSAGE": None, "HELP_MESSAGE": None}
            for uf in p.userfields.values()]
    names = {"ID", "FIELD_NAME", "USER_TYPE_ID", "MULTIPLE", "ENTITY_ID"}
    conds = p._parse_filter(params.get("filter"), lambda n: n in names)
    return [r for r in rows if p._match(r, conds, lambda r, n: [r.get(n)], {"ID"})]
