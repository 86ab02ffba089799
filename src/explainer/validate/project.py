"""Stage 2, validate: parsed front matter and config checked against the schema table.

The values that come out are clean (dates are `PartialDate`, lists are lists, absent
keys absent), so the stages after this one never meet a wrong type.
"""

from __future__ import annotations

from pathlib import Path

from .. import schema
from ..diagnostics import Problems, did_you_mean
from ..load.files import CONFIG_FILE
from ..model import HOME_ID, Config, Document, Entry, Project, YamlDoc
from .fields import validate_fields


def validate_config(doc: YamlDoc | None, problems: Problems) -> Config:
    """`config.yaml`'s values, checked; defaults fill the gaps (and stand in for a broken file)."""
    defaults = {f.name: f.default for f in schema.CONFIG.fields}
    if doc is None:
        return Config({**defaults, "title": "Untitled"})
    values = validate_fields(schema.CONFIG, doc, CONFIG_FILE, problems, "config.yaml")
    merged = {**defaults, **values}
    if not merged.get("title"):
        merged["title"] = "Untitled"
    if not merged["base_url"].endswith("/"):
        merged["base_url"] += "/"
    return Config(merged, doc)


def validate_entry(document: Document, problems: Problems) -> Entry:
    """An entry from its parsed file; bad values are reported and left out."""
    kind = schema.kind_of(document.kind)
    meta = validate_fields(kind, document.doc, document.path, problems, kind.what)
    return Entry(id=Path(document.path).stem if kind is not schema.HOME else HOME_ID, kind=kind.name,
                 path=document.path, meta=meta, doc=document.doc, body=document.body,
                 body_line=document.body_line, digest=document.digest)


def assemble(root: Path, config: Config, entries: list[Entry], unreadable: dict[str, str],
             problems: Problems) -> Project:
    """The project: ids unique across kinds, the menu's items known."""
    project = Project(root=root, config=config, unreadable=unreadable)
    seen_paths: dict[str, str] = {}  # id -> path of the first entry with it
    for entry in entries:
        if entry.kind == schema.HOME.name:
            project.home = entry
            continue
        first = seen_paths.get(entry.id)
        if first is not None:
            problems.add("id-duplicate", entry.path, 1, 1,
                         f"id '{entry.id}' is already used by {first}",
                         "ids are unique across actors, events, sources and pages: rename one file")
            continue
        seen_paths[entry.id] = entry.path
        project.entries[entry.id] = entry
    check_nav_pages(project, problems)
    return project


def check_nav_pages(project: Project, problems: Problems) -> None:
    """Every nav item names a built-in section or a page."""
    nav = project.config.values.get("nav") or []
    pages = [e.id for e in project.entries.values() if schema.kind_of(e.kind).in_menu]
    sections = schema.builtin_sections()
    for i, item in enumerate(nav):
        if item in sections or item in pages:
            continue
        line, col = project.config.doc.pos("nav", i) if project.config.doc else (1, 1)
        problems.add("ref-unknown", CONFIG_FILE, line, col,
                     f"nav item '{item}' is neither a section ({', '.join(sections)}) nor a page",
                     did_you_mean(item, list(sections) + pages))
