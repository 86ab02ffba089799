"""File-state stamps: what tells a changed file from an unchanged one without reading it.

A stamp is the file's (mtime, size, inode, ctime). A file written within `RACY_NS` of the
moment its stamp was taken may be written again without its stamp changing (coarse
clocks), so such a stamp proves nothing and its owner must look at the bytes. The warm
build's "nothing changed" record and the dev server's loaded files both use these.
"""

from __future__ import annotations

import hashlib
import os
import time
from functools import lru_cache
from pathlib import Path

from .. import __version__

Stamp = tuple[int, int, int, int]

RACY_NS = 2_000_000_000


def stamp(path: Path | str) -> Stamp | None:
    """The stamp of a file (following symlinks); None if it cannot be stat-ed."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)


def racy(st: Stamp, now_ns: int | None = None) -> bool:
    """Whether a stamp is too recent (at `now_ns`, default now) to prove the file unchanged."""
    return (time.time_ns() if now_ns is None else now_ns) - st[0] < RACY_NS


def tree(base: Path, into: dict[str, Stamp | None] | None = None, prefix: str = "") -> dict[str, Stamp | None]:
    """Stamps of every file and folder under `base` by relative path (folders end in '/'; a
    symlink is stamped by its target and by its own stat). A folder that cannot be listed
    has the stamp None (`base` itself under `prefix`), so what it holds is never taken as
    known. Unordered: callers compare the dicts (sorting each of 4,000 page folders cost a
    third of a no-op build's walk)."""
    found: dict[str, Stamp | None] = {} if into is None else into
    stack = [(str(base), prefix)]
    while stack:
        folder, pre = stack.pop()
        try:
            items = list(os.scandir(folder))
        except OSError:
            found[pre] = None
            continue
        for item in items:
            rel = pre + item.name
            try:
                if item.is_dir(follow_symlinks=False):  # the folder too: a new empty one is a change
                    st = item.stat(follow_symlinks=False)
                    found[rel + "/"] = (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)
                    stack.append((item.path, rel + "/"))
                    continue
                st = item.stat()
                found[rel] = (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)
                if item.is_symlink():
                    ls = item.stat(follow_symlinks=False)
                    found[rel + "\0link"] = (ls.st_mtime_ns, ls.st_size, ls.st_ino, ls.st_ctime_ns)
            except OSError:
                found[rel] = None
    return found


@lru_cache(maxsize=1)
def code_digest() -> str:
    """The tool's own stamp: a hash of its version, code and default layouts, so that a new
    tool never reuses what an old one computed (cache files, memo keys, the no-op record)."""
    h = hashlib.sha256(__version__.encode())
    package = Path(__file__).parent.parent
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            h.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()
