"""One processing instance per ledger: an ``flock`` on ``<ledger>.lock``.

The kernel drops an ``flock`` when its holder dies, however it dies, so a crashed daemon never
leaves a stale lock behind. The holder writes its pid into the file so that the one who waits
can say who holds it. The file itself is never deleted (deleting a lock file races with the
next holder).
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from pathlib import Path
from types import TracebackType

from bridge.errors import LockHeld, StoreError
from bridge.i18n import t

log = logging.getLogger(__name__)

_POLL_SECONDS = 0.2


def lock_path_for(ledger: Path) -> Path:
    """``bridge.db`` -> ``bridge.db.lock`` (a path already ending in ``.lock`` is kept)."""
    ledger = Path(ledger)
    return ledger if ledger.suffix == ".lock" else ledger.with_name(ledger.name + ".lock")


class InstanceLock:
    """An exclusive, non-reentrant lock beside the ledger.

    ``InstanceLock(Path("bridge.db"))`` locks ``bridge.db.lock``. Use ``acquire(wait)`` and
    ``release()``, or ``with InstanceLock(path):`` (which does not wait).
    """

    def __init__(self, path: Path) -> None:
        self.path = lock_path_for(path)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        """True while this object holds the lock."""
        return self._fd is not None

    def acquire(self, wait: float = 0) -> None:
        """Take the lock, polling for up to ``wait`` seconds; else raise LockHeld."""
        if self._fd is not None:
            raise RuntimeError(f"{self.path} is already held by this InstanceLock")
        deadline = time.monotonic() + max(wait, 0)
        fd = self._open()
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise self._held_error(fd, wait) from None
                    time.sleep(min(_POLL_SECONDS, remaining))
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        log.debug("lock acquired path=%s pid=%s", self.path, os.getpid())

    def release(self) -> None:
        """Give the lock up (a no-op when not held)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
        log.debug("lock released path=%s", self.path)

    def holder_pid(self) -> int | None:
        """The pid written by the current holder, if any (read without locking)."""
        try:
            text = self.path.read_text(encoding="ascii", errors="replace").strip()
        except OSError:
            return None
        return int(text) if text.isdigit() else None

    def __enter__(self) -> InstanceLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def _open(self) -> int:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            # not LockHeld: a lock file we cannot create is a setup problem, not a busy peer
            raise StoreError(f"cannot open the lock file {self.path}: {exc.strerror}") from exc

    def _held_error(self, fd: int, wait: float) -> LockHeld:
        try:
            text = os.pread(fd, 32, 0).decode("ascii", errors="replace").strip()
        except OSError:
            text = ""
        holder = describe_holder(int(text) if text.isdigit() else None)
        waited = t("lock.waited", seconds=f"{wait:g}") if wait > 0 else ""
        return LockHeld(t("lock.held", holder=holder, path=self.path, waited=waited))


def describe_holder(pid: int | None) -> str:
    """Who holds the lock, for a person: the daemon, another one-off run, or unknown."""
    if pid is None:
        return t("lock.holder_unknown")
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:  # not Linux, or the holder is in another pid namespace
        args = []
    if any(a in (b"--poll-now", b"retry") for a in args):
        return t("lock.holder_run", pid=pid)
    return t("lock.holder_daemon", pid=pid)
