"""One processing instance per ledger: an ``flock`` on ``<ledger>.lock`` and on the ledger.

The kernel drops an ``flock`` when its holder dies, however it dies, so a crashed daemon never
leaves a stale lock behind. The holder writes its pid into the file so that the one who waits
can say who holds it. The file itself is never deleted (deleting a lock file races with the
next holder).

The lock holds even when someone removes or replaces the lock file:

* after ``flock`` succeeds, the file locked must still be the one at the path (same device
  and inode); otherwise it was replaced meanwhile, and the lock is taken again on the new file;
* the ledger file itself is locked too (``flock``, which is separate from SQLite's own
  POSIX record locks on Linux), so a second processor that finds the lock file gone still
  cannot work on the same ledger. A daemon whose ledger was deleted or replaced locks the
  new file before it uses it (``relock_ledger``).

Close the ledger (its SQLite connections) before ``release``: closing any descriptor of the
ledger file drops the POSIX locks SQLite holds on it in this process.
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

    def __init__(self, path: Path, ledger: Path | None = None) -> None:
        self.path = lock_path_for(path)
        if ledger is None and Path(path).suffix != ".lock":
            ledger = Path(path)
        self.ledger = ledger  # the ledger file locked too (None: the lock file only)
        self._fd: int | None = None
        self._ledger_fd: int | None = None

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
                except BlockingIOError:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise self._held_error(fd, wait) from None
                    time.sleep(min(_POLL_SECONDS, remaining))
                    continue
                if _same_file(fd, self.path):
                    break
                # removed or replaced after we opened it: lock the file that is there now
                os.close(fd)
                fd = -1
                fd = self._open()
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            if self.ledger is not None:
                self._ledger_fd = self._lock_ledger(deadline, wait)
        except BaseException:  # any failure, even an interrupt: free the half-taken lock, re-raise
            if fd >= 0:
                os.close(fd)
            raise
        self._fd = fd
        log.debug("lock acquired path=%s pid=%s", self.path, os.getpid())

    def relock_ledger(self) -> None:
        """The ledger file was deleted or replaced: lock the file now at its path (close the
        old ledger first). LockHeld when another process holds the new file."""
        if self._fd is None or self.ledger is None:
            raise RuntimeError(f"{self.path} is not held by this InstanceLock")
        old, self._ledger_fd = self._ledger_fd, None
        if old is not None:
            os.close(old)
        self._ledger_fd = self._lock_ledger(time.monotonic(), 0)
        log.info("lock.ledger_relocked path=%s", self.ledger)

    def _lock_ledger(self, deadline: float, wait: float) -> int:
        assert self.ledger is not None
        while True:
            try:
                fd = os.open(self.ledger, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            except OSError as exc:
                raise StoreError(f"cannot open the ledger {self.ledger}: {exc.strerror}") from exc
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                remaining = deadline - time.monotonic()
                if remaining <= 0:  # the lock file was removed or replaced meanwhile
                    waited = t("lock.waited", seconds=f"{wait:g}") if wait > 0 else ""
                    raise LockHeld(t(
                        "lock.held", holder=t("lock.holder_unknown"), path=self.ledger,
                        waited=waited,
                    )) from None
                time.sleep(min(_POLL_SECONDS, remaining))
                continue
            if _same_file(fd, self.ledger):
                return fd
            os.close(fd)  # replaced meanwhile: lock the one there now

    def release(self) -> None:
        """Give the lock up (a no-op when not held)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        ledger_fd, self._ledger_fd = self._ledger_fd, None
        if ledger_fd is not None:
            os.close(ledger_fd)  # drops its flock
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
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            # not LockHeld: a lock file we cannot create is a setup problem, not a busy peer
            raise StoreError(f"cannot open the lock file {self.path}: {exc.strerror}") from exc
        try:
            if os.fstat(fd).st_mode & 0o077:
                os.fchmod(fd, 0o600)  # made by an older version, or under another umask
        except OSError as exc:  # another owner's file: locking it still works
            log.warning("lock.chmod_failed path=%s error=%s", self.path, exc.strerror)
        return fd

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


def _same_file(fd: int, path: Path) -> bool:
    """The open file is still the one at ``path`` (not removed, not replaced)."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    own = os.fstat(fd)
    return (own.st_dev, own.st_ino) == (st.st_dev, st.st_ino)
