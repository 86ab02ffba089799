"""Stage 2, validate: parsed front matter and config checked against the schema table.

The values that come out are clean (dates are `PartialDate`, lists are lists, absent
keys absent), so the stages after this one never meet a wrong type.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .. import schema
from ..diagnostics import Problem, Problems, did_you_mean
from ..load.files import CONFIG_FILE, read_config, read_document
from ..model import HOME_ID, Config, Document, Entry, Frozen, Project, YamlDoc, slashed
from .fields import validate_fields
from .style import names_a_file, style_file_of


def validate_config(doc: YamlDoc | None, problems: Problems, root: Path | None = None) -> Config:
    """`config.yaml`'s values, checked; defaults fill the gaps (and stand in for a broken file).

    Its `problems:` severities apply from here on (to `problems`). With `root`, the
    `citation_style` is resolved to a usable .csl file or reported (`validate.style`); without
    it (the no-op check's `extra_inputs`, which reads only the paths) it is left unresolved.
    """
    values: dict[str, Any] = {f.name: f.default for f in schema.CONFIG.fields}
    if doc is not None:
        values.update(validate_fields(schema.CONFIG, doc, CONFIG_FILE, problems, "config.yaml"))
    problems.overrides.update(values["problems"] or {})
    bibliography = values["bibliography"]
    style_file = None
    if root is not None and values["citation_style"]:
        style_file = style_file_of(root, values["citation_style"],
                                   doc.pos("citation_style") if doc else (1, 1), problems)
    given = values["languages"] or []
    languages = tuple((code, name) for code, name, _ in given)
    site_texts = Frozen({code: Frozen(texts) for code, _, texts in given if texts})
    if languages and doc is not None and "language" in (doc.data or {}) and values["language"] != languages[0][0]:
        line, col = doc.pos("language")
        problems.add("value-language", CONFIG_FILE, line, col,
                     f"'language' says {values['language']} but 'languages' starts with {languages[0][0]}",
                     "remove 'language': the first of 'languages' is the site's default language")
    if not languages:
        languages = ((values["language"], schema.LANGUAGE_NAMES.get(values["language"], values["language"])),)
    return Config(**{**values,
                     "language": languages[0][0],
                     "languages": languages,
                     "site_texts": site_texts,
                     "title": values["title"] or "Untitled",
                     "base_url": slashed(values["base_url"]),
                     "nav": tuple(values["nav"] or ()),
                     "problems": Frozen(values["problems"]),
                     "bibliography": (bibliography,) if isinstance(bibliography, str) else tuple(bibliography or ()),
                     "links": Frozen(values["links"])},
                  style_file=style_file, doc=doc)


def extra_inputs(root: Path) -> list[str]:
    """Files outside content/ and layouts/ a build reads: the bibliographies and a .csl style
    file config.yaml names, relative to the root (for the no-op build's record and the dev
    server's watch); [] when config.yaml cannot be read. config.yaml goes through
    `validate_config` like any build's (its problems are the build's to report)."""
    config = validate_config(read_config(root, Problems()), Problems())
    items = list(config.bibliography)
    if config.citation_style and names_a_file(config.citation_style):
        items.append(config.citation_style)
    return [item for item in items if not Path(item).is_absolute()]


def load_entry(root: Path, rel: str, kind: schema.Kind,
               overrides: dict[str, Any]) -> tuple[Entry | None, list[Problem]]:
    """Stages 1 and 2 for one file: read and parse it, then validate its front matter
    (it reads the file `root/rel` and nothing else)."""
    own = Problems(overrides, limit=None)
    document = read_document(root, rel, kind, own)
    entry = validate_entry(document, own) if document is not None else None
    return entry, own.items


def validate_entry(document: Document, problems: Problems) -> Entry:
    """An entry from its parsed file; bad values are reported and left out."""
    kind = schema.kind_of(document.kind)
    meta = validate_fields(kind, document.doc, document.path, problems, kind.what)
    return Entry(id=Path(document.path).stem if kind is not schema.HOME else HOME_ID, kind=kind.name,
                 path=document.path, meta=meta, doc=document.doc, body=document.body,
                 body_line=document.body_line, digest=document.digest)


def assemble(root: Path, config: Config, entries: list[Entry], unreadable: dict[str, str],
             problems: Problems, imported: list[Entry] | None = None) -> Project:
    """The project: ids unique across kinds, the menu's items known.

    `imported`: the bibliography records as source entries (`validate.bibliography`); a
    Markdown source whose id is a record's URL segment is that record's companion.
    """
    project = Project(root=root, config=config, unreadable=unreadable)
    seen_paths: dict[str, str] = {}  # id -> path of the first entry with it
    entries = merge_records(entries, imported or [], problems)
    for entry in entries:
        if entry.kind == schema.HOME.name:
            project.home = entry
            continue
        first = seen_paths.get(entry.id)
        if first is not None:
            line, col = (1, 1) if entry.csl is None else entry.doc.pos()  # a record: its own line
            problems.add("id-duplicate", entry.path, line, col,
                         f"id '{entry.id}' is already used by {first}",
                         "ids are unique across actors, events, sources and pages: rename one file")
            continue
        seen_paths[entry.id] = entry.path
        project.entries[entry.id] = entry
    check_nav_pages(project, problems)
    return project


def merge_records(entries: list[Entry], imported: list[Entry], problems: Problems) -> list[Entry]:
    """Records added to the entries: one URL per record, companions merged into their record.

    Two keys with the same URL segment (`smithTitle2020`, `smithtitle2020`) are an error
    naming both. A Markdown source `content/sources/SLUG.md` adds its body and summary to
    the record with that URL segment; its own front-matter keys win.
    """
    if not imported:
        return entries
    by_slug: dict[str, Entry] = {}
    records: list[Entry] = []
    for record in imported:
        other = by_slug.get(record.slug)
        if other is not None:
            line, col = record.body_line, record.doc.pos()[1]
            same = other.id == record.id
            problems.add("id-duplicate", record.path, line, col,
                         f"key '{record.id}' is already used by the record at {other.path}:{other.body_line}" if same
                         else f"keys '{other.id}' ({other.path}:{other.body_line}) and '{record.id}' give the same "
                              f"page, sources/{record.slug}/",
                         "keys are unique across bibliographies: rename one of them" if same
                         else "rename one key: pages are named by the key in lower case")
            continue
        by_slug[record.slug] = record
        records.append(record)
    merged: list[Entry] = []
    for entry in entries:
        found = by_slug.get(entry.id) if entry.kind == schema.BIBLIOGRAPHY_KIND else None
        if found is None:
            merged.append(entry)
            continue
        meta = {**found.meta, **entry.meta}
        csl = overlay_csl(found.csl or {}, entry.meta)
        by_slug[entry.id] = Entry(id=found.id, kind=found.kind, path=entry.path, meta=meta, doc=entry.doc,
                                  body=entry.body, body_line=entry.body_line,
                                  digest=entry.digest + found.digest, slug=found.slug, csl=csl)
    return merged + [by_slug[r.slug] for r in records]


def overlay_csl(csl: dict[str, object], meta: dict[str, object]) -> dict[str, object]:
    """A record's CSL item with a companion file's keys laid over it (so exports show what pages show)."""
    from ..dates import PartialDate

    out = dict(csl)
    simple = {"title": "title", "publisher": "publisher", "url": "URL", "language": "language",
              "container": "container-title", "doi": "DOI"}
    for key, variable in simple.items():
        if key in meta:
            out[variable] = str(meta[key])
    for key, variable in (("authors", "author"), ("editors", "editor")):
        if key in meta:
            out[variable] = [{"literal": str(n)} for n in meta[key]]  # type: ignore[attr-defined]
    for key, variable in (("date", "issued"), ("accessed", "accessed")):
        value = meta.get(key)
        if isinstance(value, PartialDate):
            out[variable] = {"date-parts": [[value.year] + ([value.month] if value.month else [])
                                            + ([value.day] if value.day else [])]}
    return out


def check_nav_pages(project: Project, problems: Problems) -> None:
    """Every nav item names a built-in section or a page."""
    nav = project.config.nav
    pages = [e.id for e in project.entries.values() if schema.kind_of(e.kind).in_menu]
    sections = schema.builtin_sections()
    for i, item in enumerate(nav):
        if item in sections or item in pages:
            continue
        line, col = project.config.doc.pos("nav", i) if project.config.doc else (1, 1)
        problems.add("ref-unknown", CONFIG_FILE, line, col,
                     f"nav item '{item}' is neither a section ({', '.join(sections)}) nor a page",
                     did_you_mean(item, list(sections) + pages))
