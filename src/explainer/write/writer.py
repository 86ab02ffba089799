"""Stage 5, write: the only module that writes files.

A build writes into a fresh folder beside the target and swaps it in when complete
(`OutputDir`), so a failed build leaves the previous `site/` exactly as it was. The dev
server keeps its folder and rewrites only the files whose bytes changed (`sync`). The
cache's files are written atomically (`atomic_write`). Every site path is checked to
stay inside its folder, whatever an id or a layout says (`site_path`).

A build replaces its output folder as a whole, so before anything is written
`check_output_folder` refuses any folder whose loss would lose someone's work: the
project, what it reads, `.git`, the home folder, `/`, and any non-empty folder that is
not an earlier build's output. Every build leaves a marker file, `.explainer-site`,
listing the files it wrote; a folder is "an earlier build's output" only when it holds
that marker and no file the marker does not list.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import shutil
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from . import stamps

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


def site_file(folder: str, rel: str) -> str:
    """The file for a site-relative path inside `folder` (both strings); refuses anything that
    would leave it. A plain path (`a/b.html`: no empty, `.` or `..` part) is joined as it is,
    without `pathlib` (a build checks 10,000 of them); any other is normalised as
    `PurePosixPath` does (`a//b`, `./a`) or refused."""
    if "\\" in rel or "\x00" in rel:
        raise OutputError(f"refusing to write outside the output folder: '{rel}'")
    parts = rel.split("/")
    if "" in parts or "." in parts or ".." in parts:
        pure = PurePosixPath(rel)
        if pure.is_absolute() or ".." in pure.parts or not pure.parts:
            raise OutputError(f"refusing to write outside the output folder: '{rel}'")
        parts = list(pure.parts)
    return "/".join([folder.removesuffix("/"), *parts])


def site_path(folder: Path, rel: str) -> Path:
    """The file for a site-relative path inside `folder`; refuses anything that would leave it."""
    return Path(site_file(str(folder), rel))


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


MARKER = ".explainer-site"
"""The marker file every build writes into its output folder (see `write_marker`)."""
TMP_MARKER = ".explainer-tmp"
"""Written first into every temporary build folder (`.NAME.tmp-*`): what tells a folder an
interrupted build left from anything else of that name (`tidy`)."""
MARKER_GENERATOR = "explainer"
MARKER_NOTE = ("This folder is the output of `explainer build`; the next build replaces it. "
               "A file not listed here makes the build refuse to replace the folder.")


def write_marker(folder: Path, written: Iterable[str]) -> None:
    """Write `.explainer-site` into `folder`: who wrote the folder and the files it wrote.

    JSON with one file name per line, sorted, so two builds of the same input write the
    same bytes. It is a dotfile without `.html`: no page, not in the sitemap or search.
    """
    files = sorted(set(written) - {MARKER})
    text = json.dumps({"generator": MARKER_GENERATOR, "format": 1, "note": MARKER_NOTE, "files": files},
                      ensure_ascii=False, indent=0)
    (folder / MARKER).write_text(text + "\n", encoding="utf-8")


def read_marker(folder: Path) -> set[str] | None:
    """The files an earlier build says it wrote into `folder`, or None when no build marked it."""
    path = folder / MARKER
    try:
        if path.is_symlink() or not path.is_file():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if (not isinstance(data, dict) or data.get("generator") != MARKER_GENERATOR
            or not isinstance(data.get("files"), list)):
        return None
    return {f for f in data["files"] if isinstance(f, str)}


def stray_file(folder: Path, listed: set[str],
               listing: dict[str, stamps.Stamp | None] | None = None) -> str | None:
    """The first file (or symlink) under `folder`, in path order, that is neither listed nor the marker.

    Folders themselves do not count (an empty folder holds no work), except one that cannot
    be listed (`unlisted`: what it holds is unknown); symlinks are not followed (deleting a
    link never deletes what it points to). `listing`: the folder's `stamps.tree`, if
    already made (the warm build's no-op check needs it anyway).
    """
    if listing is None:
        listing = stamps.tree(folder)
    strays = [rel for rel in listing if not rel.endswith("/") and "\0" not in rel
              and rel not in listed and rel != MARKER] + unlisted(listing)
    return min(strays) if strays else None


def unlisted(listing: dict[str, stamps.Stamp | None]) -> list[str]:
    """The folders of a `stamps.tree` that could not be listed ('' for its top)."""
    return [rel for rel, st in listing.items() if st is None and (rel == "" or rel.endswith("/"))]


def _is_empty(folder: Path) -> bool:
    with os.scandir(folder) as items:
        return next(items, None) is None


def _real(path: Path) -> Path:
    """`path` with every symlink and `..` resolved (the folder a build would really replace)."""
    return Path(os.path.realpath(path, strict=False))


def _home() -> Path | None:
    try:
        return _real(Path.home())
    except (RuntimeError, KeyError, OSError):  # no HOME and no passwd entry
        return None


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or path.is_relative_to(folder)


def _label(path: Path, root: Path) -> str:
    """How a protected path is named in a message: relative to the project when inside it."""
    if _inside(path, root) and path != root:
        rel = path.relative_to(root).as_posix()
        return f"the project's {rel}/" if path.is_dir() else f"the project's {rel}"
    return f"'{path}'"


def check_output_folder(root: Path, out: Path, reads: Iterable[Path], shown: str | None = None,
                        advice: str = "choose an empty or new folder for the site, e.g. --out site",
                        listing: dict[str, stamps.Stamp | None] | None = None) -> str | None:
    """Why a build must not replace `out`, as one message naming it and saying what to do; None if it may.

    The one gate of `explainer build` and `explainer serve`, called before anything is
    written. `reads` are the files and folders the project reads (`loader.project_reads`).
    Symlinks and `..` are resolved first: `content/../content` and a link to `content/`
    are `content/`. Refused: `/`, the home folder or a folder holding it, the project
    folder or one holding it, any of `reads` or a folder holding one, a folder inside
    one of `reads` that is a folder, anything inside a `.git` folder or holding one, a
    file, and a non-empty folder that is not an earlier build's output (no marker, or a
    file the marker does not list). A new or empty folder is fine. `shown` names `out`
    as the user wrote it; `advice` says what to do instead of a protected folder. When
    `out` is an earlier build's output, its `stamps.tree` is put into `listing` (if given),
    so that the warm build's no-op check need not walk it again.
    """
    name = shown if shown is not None else str(out)
    protected = advice

    def refuse(reason: str, how: str = protected) -> str:
        return f"cannot build into '{name}': {reason}; a build replaces its whole output folder ({how})"

    try:
        os.stat(out)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return refuse("it is a symlink loop (a link that leads, through others, back to itself)",
                          "point the link at a folder, or choose another folder, e.g. --out site")
    try:
        real, project = _real(out), _real(root)
    except (OSError, RuntimeError) as exc:
        return refuse(f"the path cannot be resolved ({exc})")
    if real == Path(real.anchor):
        return refuse("it is the root of the file system")
    home = _home()
    if home is not None and real == home:
        return refuse("it is your home folder")
    if home is not None and _inside(home, real):
        return refuse(f"it contains your home folder '{home}'")
    if real == project:
        return refuse("it is the project folder itself")
    if _inside(project, real):
        return refuse(f"it contains the project folder '{project}'")
    for item in reads:
        target = _real(item)
        label = _label(target, project)
        if real == target:
            return refuse(f"it is {label}, which the build reads")
        if _inside(target, real):
            return refuse(f"it contains {label}, which the build reads")
        if real.is_relative_to(target):
            return refuse(f"it lies inside {label}, which the build reads")
    if ".git" in real.parts:
        return refuse("it lies inside a .git folder, a repository's history")
    if os.path.lexists(real / ".git"):
        return refuse("it holds a .git repository")
    if not os.path.lexists(real):
        return None
    if not real.is_dir():
        return refuse("it is a file, not a folder")
    try:
        if _is_empty(real):
            return None
        listed = read_marker(real)
        if listed is None:
            return refuse(f"it is a folder of files explainer did not write (it has no {MARKER} marker)",
                          f"choose an empty or new folder, or delete '{name}' yourself if it really is old output")
        found = stamps.tree(real)
        if listing is not None:
            listing.update(found)
        hidden = unlisted(found)
        if hidden:
            where = f"its folder '{min(hidden)}'" if min(hidden) else "it"
            return refuse(f"{where} cannot be listed, so it may hold files explainer did not write",
                          f"give yourself read access to it, choose an empty or new folder, or delete '{name}' "
                          "yourself if it really is old output")
        stray = stray_file(real, listed, found)
    except OSError as exc:
        return refuse(f"it cannot be read ({exc.strerror or exc})")
    if stray is not None:
        return refuse(f"it holds '{stray}', which no earlier build wrote",
                      f"move that file elsewhere, choose an empty or new folder, or delete '{name}' yourself "
                      "if it really is old output")
    return None


def lock_path(target: Path) -> Path:
    """The lock file of the (real) output folder `target`: `.NAME.lock` beside it."""
    return target.parent / f".{target.name}.lock"


def take_lock(path: Path, name: str) -> int:
    """Take the build lock `path` of the output folder `name`; returns its descriptor.

    One build per output folder at a time: two at once would swap folders under each
    other. The file is created without following a symlink (`O_NOFOLLOW | O_CREAT |
    O_EXCL`), or, left by a build that was killed, opened without following one; anything
    but a regular file there is refused. `drop_lock` removes it, so `--out site/sub` leaves
    no `site/.sub.lock` to be a stray file of `site/`; a lock taken on a file another
    build removed meanwhile is taken again on the new one (`_still_ours`)."""
    for _ in range(10):
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        except FileExistsError:
            try:
                if not stat.S_ISREG(os.lstat(path).st_mode) and not os.path.islink(path):
                    raise OutputError(f"'{path}' is not a regular file; explainer makes that lock file itself "
                                      "(remove it and build again)")  # never opened: a device might act on it
                fd = os.open(path, os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
            except FileNotFoundError:
                continue  # removed by the build that held it: create it again
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    raise OutputError(f"'{path}' is a symlink; explainer makes that lock file itself "
                                      "(remove the link and build again)") from None
                raise
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise OutputError(f"'{path}' is not a regular file; explainer makes that lock file itself "
                              "(remove it and build again)")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise BuildLocked(f"another build is writing '{name}' right now; "
                              "wait for it to finish and try again") from None
        if _still_ours(fd, path):
            return fd
        os.close(fd)
    raise OutputError(f"cannot take the lock '{path}': it keeps being replaced")


def drop_lock(fd: int, path: Path) -> None:
    """Remove the lock file (if it is still the one `fd` locked) and release the lock."""
    if _still_ours(fd, path):
        with contextlib.suppress(OSError):
            os.unlink(path)
    os.close(fd)


def tidy_beside(out: Path) -> list[str]:
    """`tidy` the real folder of `out` under its lock; nothing if another build holds it
    (that build tidies) or the lock cannot be taken (the build then says why)."""
    target = _real(out)
    path = lock_path(target)
    if not target.parent.is_dir():
        return []
    try:
        fd = take_lock(path, target.name)
    except (OutputError, OSError):
        return []
    try:
        return tidy(target)
    finally:
        drop_lock(fd, path)


def _still_ours(fd: int, path: Path) -> bool:
    """Whether `path` still names the file open as `fd` (not removed or replaced since)."""
    try:
        now = os.stat(path, follow_symlinks=False)
    except OSError:
        return False
    mine = os.fstat(fd)
    return (now.st_dev, now.st_ino) == (mine.st_dev, mine.st_ino)


def _ours(folder: Path, kind: str) -> bool:
    """Whether a `.NAME.tmp-*` (`kind` "tmp") or `.NAME.old-*` ("old") folder is one a build
    made: empty (killed before writing into it), a temporary folder holding `TMP_MARKER`,
    or a build's complete output (its marker lists every file in it: an old site, or a new
    one the swap had not moved yet)."""
    try:
        if folder.is_symlink() or not folder.is_dir():
            return False
        if _is_empty(folder):
            return True
        marker = folder / TMP_MARKER
        if kind == "tmp" and marker.is_file() and not marker.is_symlink():
            return True
        listed = read_marker(folder)
        if listed is None:
            return False
        found = stamps.tree(folder)
        return not unlisted(found) and stray_file(folder, listed, found) is None
    except OSError:
        return False


def tidy(target: Path) -> list[str]:
    """Clear what interrupted builds left beside `target` (the caller holds its lock); returns
    what was done, one line each.

    A build killed while rendering leaves `.NAME.tmp-*`; one killed during the swap leaves
    `.NAME.old-*` (the previous site, renamed away) and, between the swap's two renames,
    no `target` at all. The newest old site is put back as `target` when `target` is
    missing, and the other folders are removed, but only those `_ours` shows a build
    made: anything else of such a name is left alone."""
    done: list[str] = []
    prefix = f".{target.name}."
    try:
        with os.scandir(target.parent) as items:
            names = sorted(item.name for item in items if item.name.startswith(prefix))
    except OSError:
        return done
    olds = [n for n in names if n.startswith(prefix + "old-") and _ours(target.parent / n, "old")]
    if olds and not os.path.lexists(target):
        newest = max(olds, key=lambda n: (target.parent / n).stat().st_mtime_ns)
        try:
            os.rename(target.parent / newest, target)
            olds.remove(newest)
            done.append(f"put back '{target}' from '{newest}' (a build was stopped while swapping)")
        except OSError:
            pass
    for name in names:
        path = target.parent / name
        if name in olds or (name.startswith(prefix + "tmp-") and _ours(path, "tmp")):
            shutil.rmtree(path, ignore_errors=True)
            done.append(f"removed '{name}' (left by a build that was stopped)")
    return done


class OutputError(Exception):
    """The output folder could not be prepared or written."""


class BuildLocked(OutputError):
    """Another build holds the output folder's lock."""


FileRecord = tuple[str, int, int, int]
"""What a build knows of a file it wrote: the digest of its bytes (`content_digest`), then the
mtime (ns), size and inode it had when written or linked. While a file's stamp is still
that one, it holds those bytes (see `OutputDir`)."""

JOURNAL = f"{TMP_MARKER}-files-"
"""A forked worker's record of the files it wrote, `JOURNAL + pid` in the temporary folder
(one JSON line a file): workers write straight into the folder and send back only names,
so `commit` reads these and removes them before the swap."""


def content_digest(data: bytes) -> str:
    """The digest a `FileRecord` keeps of a file's bytes (SHA-256, 128 bits of it)."""
    return hashlib.sha256(data).hexdigest()[:32]


class OutputDir:
    """A build's output: files go to a temporary sibling of `target` until `commit()`.

    `previous`: what the last cached build recorded of the files it wrote into `target`
    (`FileRecord`s by site path: `cache.noop.last_files`). A file whose new bytes have the
    recorded digest is hard-linked from `target` instead of written, when the file there
    is listed by `target`'s site marker, is a regular file (never a symlink: `lstat`),
    lies on the same file system, has the owner and mode a new file would have, and
    still has the recorded stamp; any doubt (another stamp, a link that fails, EXDEV)
    and it is written. The new folder is still complete and swapped in whole: the old
    site's removal leaves the linked files to the new one.

    A file written while keeping a record is dated `stamps.RACY_NS` before the build
    started: any later change to it, even within the file system's clock tick (2 s on
    some), gives it another mtime, so its stamp proves its bytes. `files` is this
    build's record after `commit` (None without `previous`: such a build writes every
    file and keeps no record, as a `--no-cache` build does).
    """

    def __init__(self, target: Path, previous: dict[str, FileRecord] | None = None) -> None:
        # A symlinked output (site -> /srv/www/site) is followed: the swap happens beside
        # the real folder (on its file system: a rename cannot cross one), so the link
        # stays and names the new site (renaming the link itself would leave it, dangling,
        # as `.site.old-*`).
        self.target = _real(target)
        self._lock: int | None = None
        self._lock_path = lock_path(self.target)
        try:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            if self.target.exists() and not self.target.is_dir():
                raise OutputError(f"'{target}' exists and is not a folder")
            self._acquire_lock()
            tidy(self.target)
            self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.tmp-", dir=self.target.parent))
            (self.tmp / TMP_MARKER).write_bytes(b"explainer: an unfinished build; the next build removes it\n")
            mode = os.stat(self.tmp / TMP_MARKER).st_mode  # what a file written now has
        except OSError as exc:
            self._release_lock()
            raise OutputError(f"cannot create the output folder beside '{target}': {exc.strerror or exc}") from None
        except OutputError:
            self._release_lock()
            raise
        self.written: list[str] = []
        self.files: dict[str, FileRecord] | None = None if previous is None else {}
        self._tmp, self._old = str(self.tmp), str(self.target)
        self._folders = {self._tmp}  # folders known to exist in the new one: one `makedirs` each
        self._mtime = time.time_ns() - stamps.RACY_NS
        self._pid = os.getpid()
        self._journal: int | None = None
        self._dev = -1
        self._owner = (os.geteuid(), mode)
        self._previous = self._linkable(previous) if previous else {}

    def _linkable(self, previous: dict[str, FileRecord]) -> dict[str, FileRecord]:
        """The records of `previous` that may be linked: files the site marker of `target`
        lists, when `target` lies on the file system of the new folder."""
        listed = read_marker(self.target)
        try:
            self._dev = os.lstat(self.target).st_dev
            if listed is None or os.lstat(self.tmp).st_dev != self._dev:
                return {}
        except OSError:
            return {}
        return {rel: record for rel, record in previous.items() if rel in listed}

    def _acquire_lock(self) -> None:
        self._lock = take_lock(self._lock_path, self.target.name)

    def _release_lock(self) -> None:
        if self._lock is not None:
            drop_lock(self._lock, self._lock_path)
            self._lock = None

    def path_for(self, rel: str) -> Path:
        """The file for a site-relative path; refuses anything that would leave the folder."""
        return site_path(self.tmp, rel)

    def _folder(self, path: str) -> None:
        """Make the folder of `path` in the new folder, if this process has not yet."""
        folder = path.rpartition("/")[0]
        if folder not in self._folders:
            try:
                os.mkdir(folder)  # its parent is there most often: one call, not `makedirs`' two
            except FileNotFoundError:
                os.makedirs(folder, exist_ok=True)
            except FileExistsError:
                pass  # made by another worker
            self._folders.add(folder)

    def reuse(self, rel: str, sha256: str) -> bool:
        """Link the old site's file for `rel` if the last build recorded it with these bytes
        (`sha256`: the hex SHA-256 of the bytes the caller would write), without being
        given them: the cache layer's path for a page it knows unchanged. False if it
        cannot (no record, another digest, any doubt of `_link`): then `write` the bytes."""
        if self.files is None:
            return False
        known = self._previous.get(rel)
        digest = sha256[:32]
        if known is None or known[0] != digest:
            return False
        path = site_file(self._tmp, rel)
        try:
            self._folder(path)
            record = self._link(rel, path, digest)
            if record is None:
                return False
            self._keep(rel, record)
        except OSError as exc:
            raise OutputError(f"cannot write '{rel}': {exc.strerror or exc}") from None
        self.written.append(rel)
        return True

    def write(self, rel: str, data: str | bytes, sha256: str | None = None) -> None:
        """Write (or link: `_link`) the file `rel`; `sha256`: the hex SHA-256 of `data`, if the
        caller checked it already (the cache layer, for a page's bytes from its memo)."""
        path = site_file(self._tmp, rel)
        if isinstance(data, str):
            data = data.encode("utf-8")
        try:
            self._folder(path)
            if self.files is None:
                self._write(path, data, None)
            else:
                digest = sha256[:32] if sha256 is not None else content_digest(data)
                record = self._link(rel, path, digest) or self._write(path, data, digest)
                if record is not None:
                    self._keep(rel, record)
        except OSError as exc:
            raise OutputError(f"cannot write '{rel}': {exc.strerror or exc}") from None
        self.written.append(rel)

    def _write(self, path: str, data: bytes, digest: str | None) -> FileRecord | None:
        """Write a new file at `path` (never into an existing one: that may be a link to the
        old site's file); with a `digest`, date it and return its record."""
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            fd = os.open(path, flags, 0o666)
        except FileExistsError:  # the same path written twice: the last bytes win, as in a fresh file
            os.unlink(path)
            fd = os.open(path, flags, 0o666)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            if digest is None:
                return None
            os.utime(fd, ns=(self._mtime, self._mtime))
            st = os.fstat(fd)
        finally:
            os.close(fd)
        return (digest, st.st_mtime_ns, st.st_size, st.st_ino)

    def _link(self, rel: str, path: str, digest: str) -> FileRecord | None:
        """Link the old site's file to `path` if it is known to hold the bytes of `digest`; its record then."""
        known = self._previous.get(rel)
        if known is None or known[0] != digest:
            return None
        old = self._old + path[len(self._tmp):]  # the same site path in the old folder
        try:
            os.link(old, path, follow_symlinks=False)  # a symlink is linked as itself, never followed
        except OSError:  # gone, another file system (EXDEV), too many links: written instead
            return None
        st = os.lstat(path)  # what was linked (the new name's inode is the old name's): checked after, once
        if (not stat.S_ISREG(st.st_mode) or st.st_dev != self._dev or (st.st_uid, st.st_mode) != self._owner
                or (st.st_mtime_ns, st.st_size, st.st_ino) != known[1:]):
            os.unlink(path)  # a symlink, a FIFO, another file or another stamp: only its new name goes
            return None
        return known

    def _keep(self, rel: str, record: FileRecord) -> None:
        """Add to the record: in this process's `files`, or in a forked worker's journal."""
        if os.getpid() == self._pid:
            assert self.files is not None
            self.files[rel] = record
            return
        if self._journal is None:  # a worker starts with its parent's None: its own file
            name = f"{self._tmp}/{JOURNAL}{os.getpid()}"
            self._journal = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | os.O_NOFOLLOW
                                    | os.O_CLOEXEC, 0o600)
        os.write(self._journal, (json.dumps([rel, *record], ensure_ascii=False) + "\n").encode("utf-8"))

    def _gather(self) -> None:
        """Read the workers' journals into `files` and remove them; a line that cannot be read
        leaves its file out of the record (the next build writes it afresh)."""
        with os.scandir(self._tmp) as items:
            journals = [item.path for item in items
                        if item.name.startswith(JOURNAL) and item.name[len(JOURNAL):].isdigit()]
        for path in journals:
            if self.files is not None:
                with open(path, encoding="utf-8", errors="replace") as fh:
                    for line in fh:
                        try:
                            rel, digest, mtime, size, ino = json.loads(line)
                            self.files[str(rel)] = (str(digest), int(mtime), int(size), int(ino))
                        except (ValueError, TypeError):
                            continue
            os.unlink(path)

    def commit(self) -> None:
        """Swap the finished folder into place and remove the previous one."""
        old = None
        try:
            self._gather()
            write_marker(self.tmp, self.written)
            os.unlink(self.tmp / TMP_MARKER)  # complete: from here `_ours` knows it by its site marker
            if self.target.exists():  # again at the last moment: files may have appeared during the build
                listed = set() if _is_empty(self.target) else read_marker(self.target)
                stray = None if listed is None else stray_file(self.target, listed)
                if listed is None or stray is not None:
                    self.abort()
                    if stray is not None and (stray == "" or stray.endswith("/")):  # see `unlisted`
                        where = f"'{self.target}': its folder {stray!r}" if stray else f"'{self.target}'"
                        raise OutputError(f"{where} cannot be listed now, so it may hold files explainer did not "
                                          "write; nothing was replaced (give yourself read access to it and build "
                                          "again)")
                    raise OutputError(f"'{self.target}' now holds "
                                      f"{'files explainer did not write' if listed is None else repr(stray)}, "
                                      "which appeared during the build; nothing was replaced")
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
