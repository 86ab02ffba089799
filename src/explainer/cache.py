"""Warm builds: reuse rendered bodies and entry pages when nothing they depend on changed.

Kept in `.explainer-cache/` beside `config.yaml` (git-ignored; CI may keep it between
runs). Two stores, both keyed so that a stale entry can only miss, never change output:

* **bodies** (`bodies.pickle`): an entry's parsed body (HTML, citations, disputes, claims,
  references) keyed by the file's hash, its path, the tool's code and the options the
  parser reads; it is reused only if every entry the body links to or cites still has
  the same kind, title and URL. Bodies whose problems depend on other entries (unknown
  or wrong-kind ids) are never stored.
* **pages** (`pages/KEY.html`): an entry page's HTML, keyed by a hash of the page's whole
  template context (so of everything the layouts can see: back-links, sources, menu,
  config), the layouts' bytes and the tool's code. Contexts are still built every time;
  what is saved is the Jinja2 rendering.

Pages not used by a build are deleted at its end, so the folder stays the size of a site.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from .diagnostics import Problem
from .markup import Lookup
from .model import Entry

CACHE_DIR = ".explainer-cache"
FORMAT = b"explainer-cache 1"
GLOBAL_CODES = frozenset({"ref-unknown", "ref-wrong-kind", "link-unknown-file"})
"""Problems whose message depends on other entries (suggestions, kinds): never cached."""

BodyRecord = tuple[str, dict[str, tuple[str, str, str]], Any, list[Problem]]
"""(key, {target id: (kind, title, url_path)}, Body, problems)."""


@lru_cache(maxsize=1)
def code_digest() -> str:
    """Hash of the package's own code and default layouts: a new tool never reuses old output."""
    from . import __version__

    h = hashlib.sha256(FORMAT + __version__.encode())
    package = Path(__file__).parent
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            h.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def layouts_digest(root: Path) -> str:
    """Hash of the project's own `layouts/` (the package's are in `code_digest`)."""
    h = hashlib.sha256()
    base = root / "layouts"
    if base.is_dir():
        for path in sorted(base.rglob("*")):
            if path.is_file():
                h.update(path.relative_to(base).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def targets_of(refs: list[tuple[str, str]], lookup: Lookup) -> dict[str, tuple[str, str, str]] | None:
    """What a body used of each entry it references; None if one is unknown."""
    found: dict[str, tuple[str, str, str]] = {}
    for target_id, _ in refs:
        target = lookup.by_id.get(target_id)
        if target is None:
            return None
        found[target_id] = (target.kind, target.title, target.url_path)
    return found


class WarmCache:
    """One build's view of the cache: what the last build left, and what this one keeps."""

    def __init__(self, root: Path) -> None:
        self.dir = root / CACHE_DIR
        self.pages_dir = self.dir / "pages"
        self.bodies_file = self.dir / "bodies.pickle"
        self.salt = code_digest() + layouts_digest(root)
        self.old_bodies: dict[str, BodyRecord] = {}
        self.new_bodies: dict[str, BodyRecord] = {}
        self.used_pages: set[str] = set()
        self.hits = {"bodies": 0, "pages": 0}
        try:
            with open(self.bodies_file, "rb") as fh:
                stored = pickle.load(fh)
            if stored.get("salt") == self.salt:
                self.old_bodies = stored["bodies"]
        except Exception:  # missing, truncated or from another version: start empty
            self.old_bodies = {}

    # --- bodies -----------------------------------------------------------------------------

    def body_key(self, entry: Entry, options: str) -> str:
        """Everything a body's parse reads besides the entries it links to."""
        text = "\0".join((self.salt, options, entry.path, entry.kind, entry.digest, str(entry.body_line)))
        return hashlib.sha256(text.encode()).hexdigest()

    def get_body(self, entry: Entry, options: str, lookup: Lookup) -> tuple[Any, list[Problem]] | None:
        record = self.old_bodies.get(entry.path)
        if record is None or record[0] != self.body_key(entry, options):
            return None
        if targets_of(record[2].refs, lookup) != record[1]:
            return None
        self.new_bodies[entry.path] = record
        self.hits["bodies"] += 1
        return record[2], record[3]

    def put_body(self, entry: Entry, options: str, lookup: Lookup, body: Any, problems: list[Problem]) -> None:
        if any(p.code in GLOBAL_CODES for p in problems):
            return
        targets = targets_of(body.refs, lookup)
        if targets is None:
            return
        self.new_bodies[entry.path] = (self.body_key(entry, options), targets, body, problems)

    # --- pages ------------------------------------------------------------------------------

    def page_key(self, template: str, out: str, context: dict[str, Any]) -> str | None:
        """Hash of a page's template, place and whole context; None if it cannot be pickled."""
        try:
            data = pickle.dumps(context, protocol=5)
        except Exception:
            return None
        h = hashlib.sha256(self.salt.encode() + b"\0" + template.encode() + b"\0" + out.encode() + b"\0")
        h.update(data)
        return h.hexdigest()

    def page_file(self, key: str) -> Path:
        return self.pages_dir / f"{key}.html"

    def store_page(self, key: str, html: bytes) -> None:
        """Write atomically: a concurrent build never reads half a page."""
        try:
            self.pages_dir.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.pages_dir, prefix=".tmp-")
            with os.fdopen(fd, "wb") as fh:
                fh.write(html)
            os.replace(tmp, self.page_file(key))
        except OSError:
            pass  # a cache that cannot be written only costs time

    # --- end of build -----------------------------------------------------------------------

    def save(self) -> None:
        """Keep what this build used; drop the rest."""
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".tmp-")
            with os.fdopen(fd, "wb") as fh:
                pickle.dump({"salt": self.salt, "bodies": self.new_bodies}, fh, protocol=5)
            os.replace(tmp, self.bodies_file)
            if self.pages_dir.is_dir():
                keep = {f"{k}.html" for k in self.used_pages}
                with os.scandir(self.pages_dir) as it:
                    for item in it:
                        if item.name not in keep:
                            os.unlink(item.path)
        except OSError:
            pass


def clear(root: Path) -> None:
    """Remove the cache folder (a fresh cold build follows)."""
    shutil.rmtree(root / CACHE_DIR, ignore_errors=True)


# --- nothing changed: the whole build skipped -----------------------------------------------

MANIFEST = "site.pickle"
RACY_NS = 2_000_000_000
"""A file whose stat is this close to the moment it was recorded may change again without
its stat changing (coarse clocks): its stat alone proves nothing."""

Stamp = tuple[int, int, int, int]


def _stamps(base: Path, into: dict[str, Stamp], prefix: str = "") -> None:
    """Stat (following symlinks, and of the link itself) of every file under `base`."""
    try:
        items = list(os.scandir(base))
    except OSError:
        return
    for item in items:
        rel = prefix + item.name
        try:
            if item.is_dir(follow_symlinks=False):
                _stamps(Path(item.path), into, rel + "/")
                continue
            st = item.stat()
            into[rel] = (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)
            if item.is_symlink():
                ls = item.stat(follow_symlinks=False)
                into[rel + "\0link"] = (ls.st_mtime_ns, ls.st_size, ls.st_ino, ls.st_ctime_ns)
        except OSError:
            into[rel] = (-1, -1, -1, -1)


def input_state(root: Path, out: Path, base_url: str | None) -> dict[str, Any]:
    """What a build reads, by stat (config.yaml, content/, layouts/) plus the tool, the
    output folder, the publish address and the git commit (`updated` dates come from git)."""
    stamps: dict[str, Stamp] = {}
    for name in ("config.yaml",):
        try:
            st = os.stat(root / name)
            stamps[name] = (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)
        except OSError:
            pass
    for top in ("content", "layouts"):
        _stamps(root / top, stamps, top + "/")
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=30, stdin=subprocess.DEVNULL).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        head = ""
    return {"code": code_digest(), "out": str(out.resolve()), "base_url": base_url or "", "git": head,
            "inputs": stamps}


def unchanged(root: Path, out: Path, state: dict[str, Any]) -> dict[str, Any] | None:
    """The record of the last cached build if neither its inputs nor its output changed since.

    Every input's stat must equal the recorded one and be older than the record by
    `RACY_NS`, and every file of `out` must still be the one that build wrote (same
    stat, none added or removed); anything else, or any doubt, means a real build.
    """
    try:
        with open(root / CACHE_DIR / MANIFEST, "rb") as fh:
            record = pickle.load(fh)
        if record.get("format") != FORMAT or record["state"] != state:
            return None
        limit = record["time"] - RACY_NS
        if any(st[0] >= limit for st in state["inputs"].values()):  # a later write sets a new mtime
            return None
        now: dict[str, Stamp] = {}
        _stamps(out, now)
        if now != record["outputs"]:
            return None
        return record
    except Exception:  # missing, unreadable, from another version: build
        return None


def record_build(root: Path, out: Path, state: dict[str, Any], written: list[str], problems: Any) -> None:
    """Remember a successful cached build: its inputs' stats, its output's, its problems."""
    import time

    try:
        outputs: dict[str, Stamp] = {}
        _stamps(out, outputs)
        record = {"format": FORMAT, "state": state, "time": time.time_ns(), "outputs": outputs,
                  "written": written, "problems": problems}
        folder = root / CACHE_DIR
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(record, fh, protocol=5)
        os.replace(tmp, folder / MANIFEST)
    except OSError:
        pass


def forget_build(root: Path) -> None:
    """Drop the record (a build that failed or wrote elsewhere must not be skipped next time)."""
    try:
        os.unlink(root / CACHE_DIR / MANIFEST)
    except OSError:
        pass
