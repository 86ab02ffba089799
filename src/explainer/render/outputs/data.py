"""data.json: the whole entry graph for researchers, in a documented, versioned format.

The format is described by `data.schema.json` (JSON Schema 2020-12), shipped in this
package and published next to data.json. `version` changes its major number only when
a field is removed or changes meaning; new fields bump the minor number.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ... import __version__
from ...model import SiteData
from ...resolve.coverage import coverage_of, site_coverage
from ..pages import Renderer, corrections_of
from .common import absolute, plain

FORMAT = "explainer-data"
VERSION = "1.4"
SCHEMA_FILE = Path(__file__).with_name("data.schema.json")
"""The JSON Schema of data.json (the same file is written to the site as data.schema.json)."""


_PLACEHOLDER = "\0entries\0"
"""Stands in for the entries while data.json's frame is dumped (no front matter holds NUL)."""


def data(site: SiteData) -> dict[str, Any]:
    """The export as plain data: site settings, the home page (id ''), then every entry by id."""
    return _data(site, list(_entries(site)))


def _entries(site: SiteData) -> Iterator[dict[str, Any]]:
    """data.json's `entries`, one at a time: the home page (id ''), then every entry by id."""
    project = site.project
    graph = site.graph
    covered = {row.path: row for row in coverage_of(site)}
    documents = ([project.home] if project.home else []) + sorted(project.entries.values(), key=lambda e: e.id)
    for entry in documents:
        references = [{"id": target, "how": sorted(ways)}
                      for target, ways in sorted(graph.outgoing.get(entry.id, {}).items())]
        referenced_by = [{"id": src, "how": sorted(ways)}
                         for src, ways in sorted(graph.incoming.get(entry.id, {}).items())]
        record: dict[str, Any] = {
            "id": entry.id,
            "kind": entry.kind,
            "title": entry.title,
            "url": absolute(project, entry.url_path),
            "file": entry.path,
            "front_matter": plain(entry.meta),
            "references": references,
            "referenced_by": referenced_by,
        }
        row = covered.get(entry.path)
        if row is not None:  # sources describe themselves and make no claims
            record["coverage"] = {"claims": row.claims, "cited": row.cited, "sources": row.sources}
        yield record


def _data(site: SiteData, entries: Any) -> dict[str, Any]:
    project = site.project
    config = project.config
    return {
        "$schema": absolute(project, "data.schema.json"),
        "format": FORMAT,
        "version": VERSION,
        "generator": f"explainer {__version__}",
        "site": {
            "title": config.title,
            "description": config.description,
            "language": config.language,
            "base_url": config.site_url,
            "feed": absolute(project, "feed.xml"),
            "bibliography": {"csl_json": absolute(project, "sources.json"),
                             "bibtex": absolute(project, "sources.bib")},
        },
        "entries": entries,
        "coverage": site_coverage(site),
        "corrections": [{"id": c["entry"].id, "url": absolute(project, c["url_path"]) + "#" + c["anchor"],
                         "date": c["date_iso"], "text": c["text"]} for c in corrections_of(site)],
    }


def data_json_output(site: SiteData, renderer: Renderer) -> Iterator[tuple[str, str | bytes]]:
    """Write data.json (sorted keys, so two builds are byte-identical) and its schema.

    The frame is indented; each entry is one line, dumped by json's C encoder (an
    indented dump runs the pure-Python one: 1.3 s of 4,000 entries' build, and at 10,000
    entries it held millions of small strings at once, +215 MB). One line an entry still
    reads in a text editor and diffs and greps by entry.
    """
    head, tail = json.dumps(_data(site, _PLACEHOLDER), ensure_ascii=False, sort_keys=True,
                            indent=1).split(json.dumps(_PLACEHOLDER), 1)
    parts = [head.encode("utf-8")]
    for entry in _entries(site):
        line = json.dumps(entry, ensure_ascii=False, sort_keys=True).encode("utf-8")
        parts.append((b",\n  " if len(parts) > 1 else b"[\n  ") + line)
    parts.append((b"\n ]" if len(parts) > 1 else b"[]") + tail.encode("utf-8") + b"\n")
    yield "data.json", b"".join(parts)
    yield "data.schema.json", SCHEMA_FILE.read_text(encoding="utf-8")
