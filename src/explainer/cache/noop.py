"""The record of the last cached build: for skipping a build when nothing changed, and for
linking the files that did not change.

`.explainer-cache/site.json` holds the stamp of every input (`config.yaml`, `content/`,
`layouts/`, the bibliography and style files), of every file the build wrote, the tool's
code, `--base-url` and the git commit. If all still match, and no input was saved within
`stamps.RACY_NS` of that record, the output folder already is what the build would
write (`unchanged`). `.explainer-cache/files.json` holds, for each file the build wrote,
the digest of its bytes and its stamp when written (`write.writer.FileRecord`): the next
build links a file that still has that stamp instead of writing the same bytes again
(`last_files`, `write.OutputDir`). It is a file of its own, read only by a build that
runs: at 10,000 files it is 1.5 MB, and the no-op check reads only `site.json`. This
module imports no stage: a build that does nothing never loads the pipeline.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..diagnostics import Problems
from ..write import stamps
from ..write.stamps import code_digest
from ..write.writer import MARKER, FileRecord
from .files import CACHE_DIR, note, problem_from_json, problem_to_json, read_json, write_json


def input_state(root: Path, out: Path, base_url: str | None, reads: Iterable[str]) -> dict[str, Any]:
    """What a build reads, by stamp (`reads`: the project's inputs, relative to the root), plus the
    tool, the output folder, the publish address and the git commit (`updated` comes from git)."""
    found: dict[str, Any] = {}
    for rel in reads:
        path = root / rel
        if path.is_dir():
            stamps.tree(path, found, f"{rel}/")
        else:
            found[rel] = stamps.stamp(path)
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=30, stdin=subprocess.DEVNULL).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        head = ""
    return {"code": code_digest(), "out": str(out.resolve()), "base_url": base_url or "", "git": head,
            "inputs": {k: list(v) if v is not None else None for k, v in sorted(found.items())}}


def unchanged(root: Path, out: Path, state: dict[str, Any],
              listing: dict[str, stamps.Stamp | None] | None = None) -> tuple[Problems, list[str]] | None:
    """The problems and files of the last cached build if neither its inputs nor its output changed.

    Every input's stamp must equal the recorded one and be older than the record by
    `stamps.RACY_NS`, and every file of `out` must still be the one that build wrote (same
    stamp, none added or removed); anything else, or any doubt, means a real build.
    `listing`: `stamps.tree(out)`, if the output gate already made it. The record keeps a
    digest of each stamp list, not the list (at 10,000 entries the lists made a 4 MB file
    that took a quarter of a no-op build to read).
    """
    record = read_json(root / CACHE_DIR / "site.json", root, note)
    try:
        if not isinstance(record, dict) or record["state"] != _digest(state):
            return None
        moment = int(record["time"])
        if any(st is not None and stamps.racy(tuple(st), moment) for st in state["inputs"].values()):
            return None
        seen = _seen(stamps.tree(out) if listing is None else listing)
        if seen is None or record["outputs"] != _digest(seen):
            return None
        problems = Problems.restore(problem_from_json(p) for p in record["problems"])
        return problems, [str(w) for w in record["written"]]
    except (KeyError, TypeError, ValueError):
        return None


def record_build(root: Path, out: Path, state: dict[str, Any], written: list[str], problems: Problems,
                 files: dict[str, FileRecord] | None = None) -> None:
    """Remember a successful cached build: its inputs' stamps, its output's, its problems, and
    `files` (`write.OutputDir.files`: each file's digest and stamp when written). Without
    `files` the output's stamps are taken now, and no file can be linked by the next build."""
    try:
        seen = _expected(files) if files is not None else _seen(stamps.tree(out))
        outputs = "" if seen is None else _digest(seen)  # "": matches no folder
        if files is not None:
            write_json(root / CACHE_DIR / FILES, root, {"out": str(out.resolve()), "dev": os.stat(out).st_dev,
                                                        "files": {rel: list(r) for rel, r in files.items()}})
        write_json(root / CACHE_DIR / "site.json", root,
                   {"state": _digest(state), "time": time.time_ns(), "outputs": outputs,
                    "written": written, "problems": [problem_to_json(p) for p in problems.items]})
    except OSError:
        pass


FILES = "files.json"
"""The record of the files the last cached build wrote (see the module's docstring)."""


def last_files(root: Path, out: Path) -> dict[str, FileRecord]:
    """What the last cached build recorded of the files it wrote into `out` (`FileRecord`s by
    site path); nothing when there is no record, or it is of another folder or file system."""
    record = read_json(root / CACHE_DIR / FILES, root, note)
    try:
        if (not isinstance(record, dict) or record["out"] != str(out.resolve())
                or record["dev"] != os.stat(out).st_dev):
            return {}
        return {str(rel): (str(d), int(m), int(size), int(ino)) for rel, (d, m, size, ino) in record["files"].items()}
    except (KeyError, TypeError, ValueError, AttributeError, OSError):
        return {}


Outputs = list[list[str | int]]
"""An output folder as the no-op check compares it: a file is [path, mtime, size, inode], a
folder ['path/'] and the site marker [its name]; sorted."""


def _expected(files: dict[str, FileRecord]) -> Outputs:
    """The output folder a build left, from its record: its files' stamps when written (not
    now: a file changed between its writing and this record is a change), their folders
    and the marker. No ctime: linking a file changes it, and so does the removal of the
    old site, which may still run when the record is made."""
    folders: set[str] = set()
    for rel in files:
        cut = rel.rfind("/")
        while cut > 0 and rel[:cut + 1] not in folders:
            folders.add(rel[:cut + 1])
            cut = rel.rfind("/", 0, cut)
    found: Outputs = [[rel, r[1], r[2], r[3]] for rel, r in files.items()]
    names: Outputs = [[folder] for folder in folders]
    names.append([MARKER])
    return sorted(found + names)


def _seen(listing: dict[str, stamps.Stamp | None]) -> Outputs | None:
    """The output folder as it is (`stamps.tree`) in the form of `_expected`; None if it holds
    a symlink or something that cannot be stat-ed (never what a build left)."""
    found: Outputs = []
    for rel, st in listing.items():
        if st is None or "\0" in rel:
            return None
        found.append([rel] if rel.endswith("/") or rel == MARKER else [rel, st[0], st[1], st[2]])
    return sorted(found)


def _digest(value: dict[str, Any] | Outputs) -> str:
    """A stamp list (or a state holding one) as one SHA-256: equal exactly when the lists are."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
