"""The warm build: the pipeline's memo kept on disk in `.explainer-cache/`, as plain data.

The folder is an input of the build like `content/`, so nothing in it is ever executed:
every file is JSON (or a page's HTML) and is read only after three checks. Each JSON
file starts with a header line naming the format and its version, the tool's code
digest, the project it belongs to and the SHA-256 of the rest of the file; a cached page
is reused only if its bytes have the SHA-256 the index recorded for it. A file that
fails a check (corrupt, truncated, altered, from another project or another version of
the tool) is ignored with a one-line note, and what it held is computed afresh.

* `bodies.json`: parsed bodies by `pipeline.body_key`, with their problems and the
  lookups they made (the validity rule is the pipeline's, not this module's);
* `pages/KEY.html` and `pages.json`: rendered pages by `pipeline.page_key`, with each
  page's SHA-256;
* `site.json`: the record of the last build, for skipping a build when nothing changed
  (`unchanged`).

Entries not used by a build are dropped at its end, so the folder stays the size of a site.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ..diagnostics import Problem, Problems, Severity
from ..model import Body, Cited, Dispute
from ..pipeline import Memo, code_digest
from ..write import stamps
from ..write.writer import atomic_write

CACHE_DIR = ".explainer-cache"
FORMAT = "explainer-cache"
VERSION = 2
CACHEDIR_TAG = b"Signature: 8a477f597d28d172789f06886806bc55\n# explainer's build cache: safe to delete.\n"
"""The standard marker (bford.info/cachedir) that tells backup tools to skip the folder."""
PAGE_NAME = re.compile(r"^[0-9a-f]{64}\.html$")


def _note(message: str) -> None:
    print(f"explainer: note: {message}", file=sys.stderr, flush=True)


def project_id(root: Path) -> str:
    """Which project a cache belongs to: its folder (a cache copied from elsewhere is not reused)."""
    return hashlib.sha256(str(root.resolve()).encode("utf-8", "surrogatepass")).hexdigest()


def read_json(path: Path, root: Path, note: Callable[[str], None]) -> Any:
    """The payload of one cache file if every check passes; None (with a note) otherwise."""
    shown = f"{CACHE_DIR}/{path.name}"
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        note(f"{shown}: cannot be read ({exc.strerror or exc}); ignored, building afresh")
        return None
    head, sep, payload = data.partition(b"\n")
    try:
        header = json.loads(head)
        if not sep or not isinstance(header, dict) or header.get("format") != FORMAT:
            raise ValueError
    except ValueError:
        note(f"{shown}: not an explainer cache file; ignored, building afresh")
        return None
    if header.get("version") != VERSION or header.get("code") != code_digest():
        note(f"{shown}: written by another version of explainer; ignored, building afresh")
        return None
    if header.get("project") != project_id(root):
        note(f"{shown}: belongs to another project folder; ignored, building afresh")
        return None
    if header.get("sha256") != hashlib.sha256(payload).hexdigest():
        note(f"{shown}: does not match its checksum (truncated or altered); ignored, building afresh")
        return None
    try:
        return json.loads(payload)
    except ValueError:  # pragma: no cover - a matching checksum over bad JSON: our own bug
        note(f"{shown}: unreadable; ignored, building afresh")
        return None


def write_json(path: Path, root: Path, payload: Any) -> None:
    """Write one cache file: header line, then the payload (compact, sorted JSON)."""
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8",
                                                                                                "surrogatepass")
    header = {"format": FORMAT, "version": VERSION, "code": code_digest(), "project": project_id(root),
              "sha256": hashlib.sha256(body).hexdigest()}
    atomic_write(path, json.dumps(header, sort_keys=True).encode() + b"\n" + body)


# --- plain values to and from the pipeline's types -------------------------------------------------

def problem_to_json(p: Problem) -> list[Any]:
    return [p.path, p.line, p.column, p.code, p.message, p.hint, int(p.severity), p.end_line, p.end_column]


def problem_from_json(v: list[Any]) -> Problem:
    path, line, column, code, message, hint, severity, end_line, end_column = v
    return Problem(str(path), int(line), int(column), str(code), str(message), None if hint is None else str(hint),
                   Severity(int(severity)), end_line, end_column)


def body_to_json(body: Body) -> dict[str, Any]:
    return {
        "html": base64.b64encode(body.packed).decode("ascii"),
        "cited": [[c.id, c.number, c.anchors, c.locators, c.inline] for c in body.cited],
        "disputes": [[d.anchor, d.question, d.positions, d.line] for d in body.disputes],
        "claims": [body.claims_total, body.claims_cited],
        "refs": [list(r) for r in body.refs],
    }


def body_from_json(v: dict[str, Any]) -> Body:
    return Body(
        base64.b64decode(v["html"]),
        [Cited(str(i), int(n), [str(a) for a in anchors], [str(x) for x in locators], bool(inline))
         for i, n, anchors, locators, inline in v["cited"]],
        [Dispute(str(a), str(q), [str(x) for x in positions], int(line)) for a, q, positions, line in v["disputes"]],
        int(v["claims"][0]), int(v["claims"][1]),
        [(str(t), str(how)) for t, how in v["refs"]],
    )


class DiskMemo(Memo):
    """One build's view of `.explainer-cache/`: what the last build left, and what this one keeps."""

    keeps_pages = True

    def __init__(self, root: Path, note: Callable[[str], None] = _note) -> None:
        self.root = root
        self.dir = root / CACHE_DIR
        self.pages_dir = self.dir / "pages"
        self.note = note
        self.hits = {"bodies": 0, "pages": 0}
        self._old_bodies: dict[str, Any] = {}
        self._new_bodies: dict[str, Any] = {}
        self._page_sums: dict[str, str] = {}
        self._used_pages: dict[str, str] = {}
        stored = read_json(self.dir / "bodies.json", root, note)
        if isinstance(stored, dict):
            self._old_bodies = stored
        sums = read_json(self.dir / "pages.json", root, note)
        if isinstance(sums, dict):
            self._page_sums = {k: v for k, v in sums.items() if isinstance(k, str) and isinstance(v, str)}

    # --- bodies -----------------------------------------------------------------------------------

    def body(self, key: str, valid: Callable[[dict[str, str]], bool]) -> tuple[Body, list[Problem]] | None:
        record = self._old_bodies.get(key)
        if record is None:
            return None
        try:
            reads = {str(k): str(v) for k, v in record["reads"].items()}
            if not valid(reads):
                return None
            found = body_from_json(record["body"]), [problem_from_json(p) for p in record["problems"]]
        except (KeyError, TypeError, ValueError, AttributeError):  # a checksum-valid file of another shape
            return None
        self._new_bodies[key] = record
        self.hits["bodies"] += 1
        return found

    def keep_body(self, key: str, body: Body, problems: list[Problem], reads: dict[str, str]) -> None:
        self._new_bodies[key] = {"body": body_to_json(body), "problems": [problem_to_json(p) for p in problems],
                                 "reads": reads}

    # --- pages (may run in forked workers: they read and write page files, the main process the index)

    def page(self, key: str) -> bytes | None:
        expected = self._page_sums.get(key)
        if expected is None:
            return None
        try:
            data = (self.pages_dir / f"{key}.html").read_bytes()
        except OSError:
            return None
        if hashlib.sha256(data).hexdigest() != expected:
            self.note(f"{CACHE_DIR}/pages/{key}.html does not match its checksum; ignored, rendering the page afresh")
            return None
        self.hits["pages"] += 1
        return data

    def keep_page(self, key: str, data: bytes) -> str:
        try:
            atomic_write(self.pages_dir / f"{key}.html", data)
        except OSError:
            return key + ":"  # a cache that cannot be written only costs time
        return f"{key}:{hashlib.sha256(data).hexdigest()}"

    def used_pages(self, records: Iterable[str]) -> None:
        for record in records:
            key, sep, digest = record.partition(":")
            if not sep:
                digest = self._page_sums.get(key, "")
            if digest:
                self._used_pages[key] = digest

    # --- end of build -----------------------------------------------------------------------------

    def save(self) -> None:
        """Keep what this build used or made; drop the rest."""
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            if not (self.dir / "CACHEDIR.TAG").exists():
                atomic_write(self.dir / "CACHEDIR.TAG", CACHEDIR_TAG)
            write_json(self.dir / "bodies.json", self.root, self._new_bodies)
            write_json(self.dir / "pages.json", self.root, self._used_pages)
            if self.pages_dir.is_dir():
                keep = {f"{k}.html" for k in self._used_pages}
                with os.scandir(self.pages_dir) as it:
                    for item in it:
                        if PAGE_NAME.match(item.name) and item.name not in keep:
                            os.unlink(item.path)
        except OSError:
            pass


# --- nothing changed: the whole build skipped -------------------------------------------------------

def input_state(root: Path, out: Path, base_url: str | None, reads: Iterable[str]) -> dict[str, Any]:
    """What a build reads, by stamp (`reads`: the project's inputs, relative to the root), plus the
    tool, the output folder, the publish address and the git commit (`updated` comes from git)."""
    found: dict[str, Any] = {}
    for rel in reads:
        path = root / rel
        if path.is_dir():
            for sub, st in stamps.tree(path).items():
                found[f"{rel}/{sub}"] = st
        else:
            found[rel] = stamps.stamp(path)
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=30, stdin=subprocess.DEVNULL).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        head = ""
    return {"code": code_digest(), "out": str(out.resolve()), "base_url": base_url or "", "git": head,
            "inputs": {k: list(v) if v is not None else None for k, v in sorted(found.items())}}


def unchanged(root: Path, out: Path, state: dict[str, Any]) -> tuple[Problems, list[str]] | None:
    """The problems and files of the last cached build if neither its inputs nor its output changed.

    Every input's stamp must equal the recorded one and be older than the record by
    `stamps.RACY_NS`, and every file of `out` must still be the one that build wrote (same
    stamp, none added or removed); anything else, or any doubt, means a real build.
    """
    record = read_json(root / CACHE_DIR / "site.json", root, _note)
    try:
        if not isinstance(record, dict) or record["state"] != state:
            return None
        moment = int(record["time"])
        if any(st is not None and stamps.racy(tuple(st), moment) for st in state["inputs"].values()):
            return None
        now = {k: list(v) if v is not None else None for k, v in stamps.tree(out).items()}
        if now != record["outputs"]:
            return None
        problems = Problems.restore(problem_from_json(p) for p in record["problems"])
        return problems, [str(w) for w in record["written"]]
    except (KeyError, TypeError, ValueError):
        return None


def record_build(root: Path, out: Path, state: dict[str, Any], written: list[str], problems: Problems) -> None:
    """Remember a successful cached build: its inputs' stamps, its output's, its problems."""
    try:
        outputs = {k: list(v) if v is not None else None for k, v in stamps.tree(out).items()}
        write_json(root / CACHE_DIR / "site.json", root,
                   {"state": state, "time": time.time_ns(), "outputs": outputs, "written": written,
                    "problems": [problem_to_json(p) for p in problems.items]})
    except OSError:
        pass
