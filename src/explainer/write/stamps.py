"""File-state stamps: what tells a changed file from an unchanged one without reading it.

A stamp is the file's (mtime, size, inode, ctime). A file written within `RACY_NS` of the
moment its stamp was taken may be written again without its stamp changing (coarse
clocks), so such a stamp proves nothing and its owner must look at the bytes. The warm
build's "nothing changed" record and the dev server's loaded files both use these.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

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
    symlink is stamped by its target and by its own stat)."""
    found: dict[str, Stamp | None] = {} if into is None else into
    try:
        items = sorted(os.scandir(base), key=lambda item: item.name)
    except OSError:
        return found
    for item in items:
        rel = prefix + item.name
        try:
            if item.is_dir(follow_symlinks=False):  # the folder too: a new empty one is a change
                st = item.stat(follow_symlinks=False)
                found[rel + "/"] = (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)
                tree(Path(item.path), found, rel + "/")
                continue
            st = item.stat()
            found[rel] = (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)
            if item.is_symlink():
                ls = item.stat(follow_symlinks=False)
                found[rel + "\0link"] = (ls.st_mtime_ns, ls.st_size, ls.st_ino, ls.st_ctime_ns)
        except OSError:
            found[rel] = None
    return found
