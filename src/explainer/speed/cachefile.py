"""The files of `.explainer-cache/`: plain JSON under a checked header, never code.

Each JSON file starts with a header line naming the format and its version, the tool's
code digest, the project it belongs to and the SHA-256 of the rest of the file; a file
that fails a check is ignored with a one-line note (`read_json`). Used by the warm
build's memo (`speed.disk`) and by the record of the last build (`speed.record`); light
on purpose: a build that finds nothing changed imports only this, the record and the
writer, never the pipeline.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..diagnostics import Problem, Severity
from ..write.stamps import code_digest
from ..write.writer import atomic_write

CACHE_DIR = ".explainer-cache"
FORMAT = "explainer-cache"
VERSION = 2
CACHEDIR_TAG = b"Signature: 8a477f597d28d172789f06886806bc55\n# explainer's build cache: safe to delete.\n"
"""The standard marker (bford.info/cachedir) that tells backup tools to skip the folder."""


def note(message: str) -> None:
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


# --- problems as plain values -------------------------------------------------

def problem_to_json(p: Problem) -> list[Any]:
    return [p.path, p.line, p.column, p.code, p.message, p.hint, int(p.severity), p.end_line, p.end_column]


def problem_from_json(v: list[Any]) -> Problem:
    path, line, column, code, message, hint, severity, end_line, end_column = v
    return Problem(str(path), int(line), int(column), str(code), str(message), None if hint is None else str(hint),
                   Severity(int(severity)), end_line, end_column)
