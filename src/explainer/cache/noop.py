"""The record of the last cached build, for skipping a build when nothing changed.

`.explainer-cache/site.json` holds the stamp of every input (`config.yaml`, `content/`,
`layouts/`, the bibliography and style files), of every file the build wrote, the tool's
code, `--base-url` and the git commit. If all still match, and no input was saved within
`stamps.RACY_NS` of that record, the output folder already is what the build would
write (`unchanged`). This module imports no stage: such a build never loads the pipeline.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..diagnostics import Problems
from ..write import stamps
from ..write.stamps import code_digest
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
        if record["outputs"] != _digest(stamps.tree(out) if listing is None else listing):
            return None
        problems = Problems.restore(problem_from_json(p) for p in record["problems"])
        return problems, [str(w) for w in record["written"]]
    except (KeyError, TypeError, ValueError):
        return None


def record_build(root: Path, out: Path, state: dict[str, Any], written: list[str], problems: Problems) -> None:
    """Remember a successful cached build: its inputs' stamps, its output's, its problems."""
    try:
        write_json(root / CACHE_DIR / "site.json", root,
                   {"state": _digest(state), "time": time.time_ns(), "outputs": _digest(stamps.tree(out)),
                    "written": written, "problems": [problem_to_json(p) for p in problems.items]})
    except OSError:
        pass


def _digest(value: dict[str, Any]) -> str:
    """A stamp list (or a state holding one) as one SHA-256: equal exactly when the lists are."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
