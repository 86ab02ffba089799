"""What the dev server watches, and the threads that watch it: file events (`EventWatcher`),
or the stat of every file (`PollWatcher`); either raises `Changes` with the saved paths."""

from __future__ import annotations

import hashlib
import os
import re
import sys
import threading
import time
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any

from watchfiles._rust_notify import RustNotify

from ..build import project_inputs
from ..load.files import CONFIG_FILE, CONTENT_DIR
from ..write.stamps import racy, stamp

WATCHED_FOLDERS = (CONTENT_DIR, "layouts")
"""Folders watched with everything under them; every other input is watched as one file."""


def watched(root: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What the server watches, relative to the project root: (folders, with everything under
    them; files, by exact name). Folders: content/ and layouts/. Files: config.yaml, and the
    bibliography and .csl files config.yaml names (`build.project_inputs`) that lie inside
    the project, outside those folders: a file outside the project is refused by the build,
    so it is never watched, and no file's folder is watched as a whole (a bibliography in
    `refs/` makes `refs/` watched for that one name). Read again whenever config.yaml
    changes, so a file config.yaml no longer names is no longer watched."""
    base = os.path.abspath(root)
    try:
        real = Path(base).resolve()
    except (OSError, RuntimeError):
        real = Path(base)
    files = [CONFIG_FILE]
    for rel in project_inputs(root):
        path = os.path.normpath(os.path.join(base, rel))
        if not path.startswith(base + os.sep):
            continue  # `../refs.bib`: outside the project
        name = Path(os.path.relpath(path, base)).as_posix()
        if name.split("/")[0] in WATCHED_FOLDERS or name in files:
            continue
        try:
            inside = Path(path).resolve().is_relative_to(real)
        except (OSError, RuntimeError):
            inside = False
        if inside:
            files.append(name)
    return WATCHED_FOLDERS, tuple(files)


SETTLE_MS = 20
"""A burst of file events (an editor's temp file, rename, and write) is rebuilt once: the
watcher waits until this long passes without a new event (at most `BURST_MS`)."""
BURST_MS = 500
POLL_SECONDS = 0.1
"""Polling fallback: how often the stat of every file is looked at (a few ms for thousands)."""
SETTLE_SECONDS = 0.03
"""Polling fallback: a burst is rebuilt once one more look finds nothing new."""

EDITOR_TEMP = re.compile(r"~$|\.sw[a-px]$|^\.#|^#.*#$|^4913$|___jb_(?:tmp|old)___$|^\.goutputstream-|\.crswap$")
"""Files editors write next to the one being saved (backups, swap and lock files, vim's
write test `4913`, JetBrains' and gedit's temporary files): never a reason to rebuild."""


class Changes(threading.Event):
    """The flag the watchers raise, with the files they saw change.

    The builder takes both at once (`take`). The paths only let the engine's preview look
    at the saved files alone (`Engine.rebuild`); the rebuild looks at every file, so a
    change raised without paths (`set()`: after switching watchers, say) costs nothing
    but the preview."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = os.path.abspath(root)
        self._lock = threading.Lock()
        self._paths: set[str] | None = set()

    def note(self, paths: Iterable[str]) -> None:
        """Raise the flag for these absolute paths."""
        with self._lock:
            if self._paths is not None:
                self._paths.update(Path(os.path.relpath(p, self.root)).as_posix() for p in paths)
            super().set()

    def set(self) -> None:
        """Raise the flag for changes not known one by one."""
        with self._lock:
            self._paths = None
            super().set()

    def take(self) -> Collection[str] | None:
        """Lower the flag; the files changed since it was last lowered (None: not known)."""
        with self._lock:
            paths, self._paths = self._paths, set()
            super().clear()
        return paths



def _stat(path: str) -> Any:
    st = stamp(path)
    if st is not None and racy(st):  # a second save may keep the stat: compare bytes
        try:
            return (*st, hashlib.sha256(Path(path).read_bytes()).digest())
        except OSError:
            return None
    return st


def scan(root: Path) -> dict[str, Any]:
    """The stat of every watched file (the polling fallback compares two of these)."""
    found: dict[str, Any] = {}
    folders, files = watched(root)
    for name in files:
        path = str(root / name)
        found[path] = _stat(path)
    for top in folders:
        base = root / top
        if not base.is_dir():
            found[str(base)] = stamp(base)
            continue
        stack = [str(base)]
        while stack:
            folder = stack.pop()
            try:
                items = list(os.scandir(folder))
            except OSError:
                continue
            found[folder] = len(items)
            for item in items:
                if item.is_dir(follow_symlinks=False):
                    stack.append(item.path)
                else:
                    found[item.path] = _stat(item.path)
    return found


class EventWatcher(threading.Thread):
    """Waits for the operating system's file events on the project; raises `changed`.

    It watches the project folder itself (not recursively: only `watched` names count
    there, so site/, .git/ or a virtualenv cost nothing), every folder under the watched
    folders, each on its own, and the folder of each watched file, for that file alone. A
    folder added, removed or renamed under them is watched (or dropped) at once: the list
    is read again after each burst that touched a folder or config.yaml, before the
    rebuild that burst starts.
    Created in the caller's thread, so that a failure to start is known before serving.
    """

    def __init__(self, root: Path, changed: Changes) -> None:
        super().__init__(name="explainer-events", daemon=True)
        self.root = Path(os.path.abspath(root))
        self.names, self.files = watched(self.root)
        self.changed = changed
        self.stopping = threading.Event()
        self.folders = self.list_folders()
        self.notify = self.open(self.folders)
        self.mode = "file events"

    def list_folders(self) -> list[str]:
        """The project folder, every folder under the watched folders, and the folder of each
        watched file (for that file's events alone: see `relevant`) that exists."""
        found = {str(self.root)}
        for name in self.names:
            top = self.root / name
            if top.is_dir() and not top.is_symlink():
                for dirpath, _, _ in os.walk(top):
                    found.add(dirpath)
        for name in self.files:
            folder = (self.root / name).parent
            if folder.is_dir():
                found.add(str(folder))
        return sorted(found)

    def open(self, folders: list[str]) -> RustNotify:
        """Start watching `folders` (raises OSError or RuntimeError when events are unavailable)."""
        for _ in range(5):  # a folder may go between listing and watching: list again
            try:
                return RustNotify(folders, False, False, 0, False, True)
            except FileNotFoundError:
                folders[:] = self.list_folders()
        return RustNotify(folders, False, False, 0, False, True)

    def relevant(self, path: str) -> bool:
        """Whether a change at `path` can change the site: anything in a watched folder but
        editors' temp files, a watched file, or a folder on the way to one (made or renamed)."""
        try:
            rel = Path(path).relative_to(self.root)
        except ValueError:
            return False
        parts = rel.parts
        if not parts:
            return False
        if parts[0] in self.names:
            return not EDITOR_TEMP.search(parts[-1])
        name = rel.as_posix()
        return name in self.files or any(f.startswith(name + "/") for f in self.files)

    def run(self) -> None:
        try:
            self.watch()
        except (OSError, RuntimeError) as exc:
            if self.stopping.is_set():
                return
            print(f"explainer: file events stopped ({exc}); watching by polling instead", file=sys.stderr, flush=True)
            self.mode = "polling"
            poller = PollWatcher(self.root, self.changed, scan(self.root), self.stopping)
            self.changed.set()  # whatever changed while switching over
            poller.run()

    def watch(self) -> None:
        while not self.stopping.is_set():
            batch = self.notify.watch(BURST_MS, SETTLE_MS, 0, self.stopping)
            if not isinstance(batch, set):  # "stop" (or "signal"/"timeout", never asked for)
                continue
            paths = {path for _, path in batch if self.relevant(path)}
            if not paths:
                continue
            folders = set(self.folders)
            config = str(self.root / CONFIG_FILE)
            if config in paths:
                self.names, self.files = watched(self.root)  # a bibliography named or dropped
            if config in paths or any(p in folders or os.path.isdir(p) or os.path.dirname(p) == str(self.root)
                                      for p in paths):
                now = self.list_folders()
                if now != self.folders:  # watch the new folders before the rebuild reads them
                    self.notify.close()
                    self.folders = now
                    self.notify = self.open(self.folders)
            self.changed.note(paths)
        self.notify.close()


class PollWatcher(threading.Thread):
    """The fallback where no file events exist: looks at every watched file's stat."""

    def __init__(self, root: Path, changed: Changes, first: dict[str, Any],
                 stopping: threading.Event | None = None) -> None:
        super().__init__(name="explainer-poll", daemon=True)
        self.root, self.changed, self.last = root, changed, first
        self.stopping = stopping or threading.Event()
        self.mode = "polling"

    def run(self) -> None:
        pause = POLL_SECONDS
        while not self.stopping.wait(pause):
            started = time.perf_counter()
            now = scan(self.root)
            # on a big project a look takes tens of ms: never spend over a third of a core on it
            pause = max(POLL_SECONDS, 2 * (time.perf_counter() - started))
            if now == self.last:
                continue
            while not self.stopping.wait(SETTLE_SECONDS):  # debounce: until a look finds nothing new
                again = scan(self.root)
                if again == now:
                    break
                now = again
            self.changed.note(path for path in set(now) | set(self.last) if now.get(path) != self.last.get(path))
            self.last = now


def start_watching(root: Path, changed: Changes, poll: bool) -> tuple[EventWatcher | PollWatcher, str]:
    """The watcher to use (not started yet) and what to tell the author about it.

    Created before the first build: a save during that build is then not missed."""
    if not poll:
        try:
            return EventWatcher(root, changed), "on file events"
        except (OSError, RuntimeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            return PollWatcher(root, changed, scan(root)), f"by polling: file events are unavailable ({reason})"
    return PollWatcher(root, changed, scan(root)), "by polling (--poll)"
