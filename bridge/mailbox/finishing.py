"""Finishing: a message is marked ``\\Seen`` or moved, and only when the pipeline asks.

MOVE into the processed folder (created if missing); without MOVE, COPY + ``\\Deleted`` +
UID EXPUNGE of exactly those UIDs (UIDPLUS); without UIDPLUS either, only ``\\Seen``: nothing
else is ever expunged (another client's ``\\Deleted`` mark stays).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from bridge.mailbox.folders import Folders
from bridge.mailbox.wire import DELETED, SEEN

FINISH_CHUNK = 200  # UIDs per SEARCH and per STORE/MOVE


def finish_many(folders: Folders, uids: Sequence[int], processed_folder: str) -> dict[int, str]:
    """Finish many UIDs with one SEARCH and one STORE/MOVE per ``FINISH_CHUNK`` UIDs.

    Returns uid -> "seen" | "moved" | "copied" | "gone" (removed by someone else).
    """
    s = folders.s
    wire = folders.selected_wire()
    out: dict[int, str] = {}
    ordered = sorted(set(int(u) for u in uids))
    caps = s.capabilities()
    for i in range(0, len(ordered), FINISH_CHUNK):
        part = ordered[i : i + FINISH_CHUNK]
        present = set(folders.search(["UID", ",".join(map(str, part))]))
        out.update({uid: "gone" for uid in part if uid not in present})
        here = [uid for uid in part if uid in present]
        if not here:
            continue
        if not processed_folder or ("MOVE" not in caps and "UIDPLUS" not in caps):
            s.call("STORE", partial(wire.add_flags, here, [SEEN]))
            out.update({uid: "seen" for uid in here})
            continue
        folders.ensure(processed_folder)
        target = folders.server_name(processed_folder)
        if "MOVE" in caps:
            s.call("MOVE", partial(wire.move, here, target))
            out.update({uid: "moved" for uid in here})
        else:
            s.call("COPY", partial(wire.copy, here, target))
            s.call("STORE", partial(wire.add_flags, here, [DELETED]))
            s.call("UID EXPUNGE", partial(wire.uid_expunge, here))
            out.update({uid: "copied" for uid in here})
    return out


def finish(folders: Folders, uid: int, processed_folder: str) -> str:
    """Mark or move one finished message; returns "seen", "moved", "copied" or "gone".

    ``""``: add ``\\Seen``. Otherwise MOVE into ``processed_folder``, or the fallbacks above.
    """
    return finish_many(folders, [uid], processed_folder)[uid]
