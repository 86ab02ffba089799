"""Stage 5, write: the only module that writes files.

A build writes into a fresh folder beside the target and swaps it in when complete
(`OutputDir`), so a failed build leaves the previous `site/` exactly as it was. The dev
server keeps its folder and rewrites only the files whose bytes changed (`sync`). The
cache's files are written atomically (`atomic_write`). Every site path is checked to
stay inside its folder, whatever an id or a layout says (`site_path`).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import tempfile
from pathlib import Path, PurePosixPath


DETACH_FILES = 2000
"""From this many files on, the previous site is deleted by a detached `rm -rf` after the
swap instead of in this process: unlinking a 4,000-page tree took 0.5-0.9 s of a 7 s
build, and the new site is already in place. Smaller trees go in-process, in
milliseconds, so small builds (and the tests) leave nothing behind when they return."""


def _remove_detached(path: Path) -> bool:
    """Start `rm -rf path` in its own session, without waiting; False if it cannot start."""
    rm = shutil.which("rm")
    if rm is None:
        return False
    try:
        subprocess.Popen([rm, "-rf", "--", str(path)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True)
    except OSError:
        return False
    return True


def site_path(folder: Path, rel: str) -> Path:
    """The file for a site-relative path inside `folder`; refuses anything that would leave it."""
    pure = PurePosixPath(rel)
    if pure.is_absolute() or ".." in pure.parts or "\\" in rel or "\x00" in rel or not pure.parts:
        raise OutputError(f"refusing to write outside the output folder: '{rel}'")
    return folder.joinpath(*pure.parts)


def atomic_write(path: Path, data: bytes) -> None:
    """Write a file so that a reader sees the old bytes or the new ones, never half of them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def sync(folder: Path, outputs: dict[str, bytes], before: dict[str, bytes] | None) -> tuple[list[str], list[str]]:
    """Make `folder` hold `outputs`, given that it holds `before`: write the files whose bytes
    changed (each atomically), delete the ones gone (and folders left empty); returns
    (written, removed). The dev server's way of keeping its folder current."""
    written = []
    for rel in sorted(outputs):
        data = outputs[rel]
        if before is not None and before.get(rel) == data:
            continue
        atomic_write(site_path(folder, rel), data)
        written.append(rel)
    removed = []
    for rel in sorted(set(before or ()) - set(outputs)):
        path = site_path(folder, rel)
        if path.is_file():
            path.unlink()
        removed.append(rel)
        parent = path.parent
        while parent != folder and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent
    return written, removed


class OutputError(Exception):
    """The output folder could not be prepared or written."""


class BuildLocked(OutputError):
    """Another build holds the output folder's lock."""


class OutputDir:
    """A build's output: files go to a temporary sibling of `target` until `commit()`."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self._lock: int | None = None
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists() and not target.is_dir():
                raise OutputError(f"'{target}' exists and is not a folder")
            self._acquire_lock()
            self.tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
        except OSError as exc:
            self._release_lock()
            raise OutputError(f"cannot create the output folder beside '{target}': {exc.strerror or exc}") from None
        except OutputError:
            self._release_lock()
            raise
        self.written: list[str] = []

    def _acquire_lock(self) -> None:
        """One build per output folder at a time: two at once would swap folders under each other."""
        path = self.target.parent / f".{self.target.name}.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise BuildLocked(f"another build is writing '{self.target.name}' right now; "
                              "wait for it to finish and try again") from None
        self._lock = fd

    def _release_lock(self) -> None:
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def path_for(self, rel: str) -> Path:
        """The file for a site-relative path; refuses anything that would leave the folder."""
        return site_path(self.tmp, rel)

    def write(self, rel: str, data: str | bytes) -> None:
        path = self.path_for(rel)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(data, str):
                data = data.encode("utf-8")
            with open(path, "wb") as fh:
                fh.write(data)
        except OSError as exc:
            raise OutputError(f"cannot write '{rel}': {exc.strerror or exc}") from None
        self.written.append(rel)

    def commit(self) -> None:
        """Swap the finished folder into place and remove the previous one."""
        old = None
        try:
            os.chmod(self.tmp, 0o755)
            if self.target.exists():
                old = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.old-", dir=self.target.parent))
                os.rmdir(old)
                os.rename(self.target, old)
            os.rename(self.tmp, self.target)
        except OSError as exc:
            if old is not None and old.exists() and not self.target.exists():
                os.rename(old, self.target)
            self.abort()
            raise OutputError(f"cannot replace '{self.target}': {exc.strerror or exc}") from None
        if old is not None and not (len(self.written) >= DETACH_FILES and _remove_detached(old)):
            shutil.rmtree(old, ignore_errors=True)
        self._release_lock()

    def abort(self) -> None:
        """Throw the unfinished folder away."""
        shutil.rmtree(self.tmp, ignore_errors=True)
        self._release_lock()
