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
    part = "" if path.parent.name == CACHE_DIR else f"{path.parent.name}/"  # a table in parts: bodies/3.json
    shown = f"{CACHE_DIR}/{part}{path.name}"
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


# --- a table in parts ----------------------------------------------------------

PARTS = "0123456789abcdef"
"""A table keyed by hex digests is kept in one file per first digit (`FOLDER/X.json`): one
changed record rewrites a sixteenth of it (at 4,000 entries the whole of the parsed
bodies was 18 MB, rewritten after every edit)."""


def part_of(key: str) -> str:
    """Which file of a table in parts holds `key`."""
    first = key[:1]
    return first if first and first in PARTS else "0"


class Table:
    """A table in parts (`FOLDER/X.json`) as one build sees it: every record its files held
    that passed `read_json`'s checks, and how to write back only the parts that changed."""

    def __init__(self, folder: Path, root: Path, note: Callable[[str], None]) -> None:
        self.folder, self.root = folder, root
        self.parts: dict[str, dict[str, Any]] = {}
        if folder.is_dir():
            for part in PARTS:
                data = read_json(folder / f"{part}.json", root, note)
                if isinstance(data, dict):
                    self.parts[part] = data
        self.records: dict[str, Any] = {key: record for table in self.parts.values() for key, record in table.items()}

    def save(self, records: dict[str, Any], fresh: set[str]) -> None:
        """Make the files hold `records`, writing only the parts with other keys than were read or
        a record made afresh (a key in `fresh`); the others hold exactly these records already."""
        parts: dict[str, dict[str, Any]] = {part: {} for part in PARTS}
        for key, record in records.items():
            parts[part_of(key)][key] = record
        touched = {part_of(key) for key in fresh}
        for part, table in parts.items():
            before = self.parts.get(part)
            if before is not None and part not in touched and before.keys() == table.keys():
                continue
            path = self.folder / f"{part}.json"
            if table or before is not None or path.exists():
                write_json(path, self.root, table)


# --- problems as plain values -------------------------------------------------

def problem_to_json(p: Problem) -> list[Any]:
    return [p.path, p.line, p.column, p.code, p.message, p.hint, int(p.severity), p.end_line, p.end_column]


def problem_from_json(v: list[Any]) -> Problem:
    path, line, column, code, message, hint, severity, end_line, end_column = v
    return Problem(str(path), int(line), int(column), str(code), str(message), None if hint is None else str(hint),
                   Severity(int(severity)), end_line, end_column)
