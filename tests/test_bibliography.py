"""Bibliographies (issue 20): BibTeX and CSL-JSON records become source entries.

Every test builds or checks a real project through the real command (`run_cli`) or the
build function; the exports are read back with citeproc-py and pybtex, the parsers a
researcher's tools use.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import make_project, problems_of, run_cli, tree_hash
from explainer.build import build

BIB = r"""@string{ft = "Financial Times"}

@article{smithTitle2020,
  author = {Smith, Jane and M{\"u}ller, J{\"o}rg and {World Health Organization}},
  title = {On the {NATO} liaison office in T\={o}ky\={o}},
  journal = ft,
  year = 2020, month = jul,
  urldate = {2023-01-02},
  doi = {10.1000/xyz},
  url = {https://example.com/a_b?x=1},
}

@book{pereira_2022:b,
  editor = {Pereira, Ana},
  title = "A book -- of things",
  publisher = {Pub},
  address = {Lisbon},
  date = {2022-03},
}
"""

CSL = [
    {"id": "leeWeb2021", "type": "webpage", "title": "Office in Tokyo", "container-title": "Example Site",
     "author": [{"family": "Lee", "given": "Min"}], "issued": {"date-parts": [[2021, 5, 3]]},
     "URL": "https://example.net/office", "accessed": {"date-parts": [[2021, 6, 1]]}},
    {"id": "kyodo2023", "type": "article-newspaper", "title": "Office shelved", "container-title": "Kyodo News",
     "publisher": "Kyodo", "issued": {"date-parts": [[2023, 7]]}, "DOI": "10.5555/k1"},
]

EVENT = ("---\ntitle: Summit\ndate: 2023-07-11\nactors: [nato]\nsources: [guardian-2023, pereira_2022:b]\n---\n"
         "[[nato]] met in Vilnius.[@guardian-2023] A study says so.[@smithTitle2020, p. 4; @leeWeb2021]\n\n"
         "News agreed.[@kyodo2023]\n")


def project(tmp_path: Path, files: dict[str, str | None] | None = None, config: str = "") -> Path:
    base = {
        "config.yaml": "title: Test explainer\nbase_url: https://example.org/\n"
                       "bibliography: [refs.bib, zotero.json]\n" + config,
        "refs.bib": BIB,
        "zotero.json": json.dumps(CSL, indent=2),
        "content/events/summit-2023.md": EVENT,
    }
    base.update(files or {})
    return make_project(tmp_path, base)


def built(root: Path, tmp_path: Path) -> Path:
    result = build(root, tmp_path / "out")
    assert result.ok, "\n".join(p.format() for p in result.problems.items)
    return tmp_path / "out"


def test_records_become_source_pages_with_cited_by_and_positions(tmp_path: Path) -> None:
    root = project(tmp_path)
    assert problems_of(root) == []
    out = built(root, tmp_path)
    page = (out / "sources/smithtitle2020/index.html").read_text()
    assert "<h1>On the NATO liaison office in Tōkyō</h1>" in page
    assert "Jane Smith, Jörg Müller, World Health Organization" in page  # braced corporate name kept whole
    # the key facts, the title only in the heading (issue 30)
    assert page.split("<main")[1].count("On the NATO liaison office in Tōkyō") == 1
    assert "<dt>Published by</dt><dd>Financial Times" in page
    assert '<dt>Published</dt><dd><time datetime="2020-07">July 2020</time></dd>' in page
    assert '<a href="https://doi.org/10.1000/xyz">10.1000/xyz</a>' in page
    assert "(read 2 January 2023)" in page
    assert '<a href="../../events/summit-2023/">Summit</a>' in page  # cited by
    book = (out / "sources/pereira-2022-b/index.html").read_text()
    assert "<h1>A book – of things</h1>" in book and "<dt>Edited by</dt><dd>Ana Pereira</dd>" in book
    assert '<time datetime="2022-03">March 2022</time>' in book
    web = (out / "sources/leeweb2021/index.html").read_text()
    assert "<i>" not in web.split('class="key-facts"')[1].split("</aside>")[0]
    assert "<dt>Published by</dt><dd>Example Site</dd>" in web
    event = (out / "events/summit-2023/index.html").read_text()
    assert 'href="../../sources/smithtitle2020/">About this source</a>' in event
    assert "Cited at: p. 4." in event
    assert 'href="../../sources/kyodo2023/"' in event and '<i class="container">Kyodo News</i>, ' in event
    listing = (out / "sources/index.html").read_text()
    assert 'id="smithTitle2020"' in listing and 'id="pereira_2022:b"' in listing


def test_uncited_record_is_a_warning_at_its_own_line(tmp_path: Path) -> None:
    root = project(tmp_path, {"content/events/summit-2023.md": EVENT.replace(" A study says so.[@smithTitle2020, p. 4; @leeWeb2021]", "")})
    assert problems_of(root) == [
        "refs.bib:3:1: warning: source 'smithTitle2020' is not cited by any entry (cite it with [@smithTitle2020] or remove it)",
        "zotero.json:2:3: warning: source 'leeWeb2021' is not cited by any entry (cite it with [@leeWeb2021] or remove it)",
    ]


def test_a_companion_file_adds_body_and_summary_and_its_keys_win(tmp_path: Path) -> None:
    root = project(tmp_path, {"content/sources/smithtitle2020.md":
                              "---\ntitle: The liaison office study\nsummary: A study of the office plan.\n---\n"
                              "Read with care: [[nato]] disputes it.\n"})
    assert problems_of(root) == []
    out = built(root, tmp_path)
    page = (out / "sources/smithtitle2020/index.html").read_text()
    assert "<h1>The liaison office study</h1>" in page
    assert '<p class="summary">A study of the office plan.</p>' in page
    assert 'disputes it.' in page and 'href="../../actors/nato/"' in page
    items = {i["id"]: i for i in json.loads((out / "sources.json").read_text())}
    assert items["smithTitle2020"]["title"] == "The liaison office study"
    assert items["smithTitle2020"]["DOI"] == "10.1000/xyz"  # the record's other fields stay


def test_exports_carry_the_same_keys_and_fields(tmp_path: Path) -> None:
    from citeproc.source.json import CiteProcJSON
    from pybtex.database import parse_file, parse_string

    out = built(project(tmp_path), tmp_path)
    items = json.loads((out / "sources.json").read_text())
    read = CiteProcJSON(items)  # citeproc-py accepts the file
    keys = {"smithTitle2020", "pereira_2022:b", "leeWeb2021", "kyodo2023", "guardian-2023"}
    assert set(read) == {k.lower() for k in keys}  # citeproc-py keys its references in lower case
    by_id = {i["id"]: i for i in items}
    for original in CSL:  # a CSL-JSON record goes out as it came in
        assert by_id[original["id"]] == original
    smith = by_id["smithTitle2020"]
    assert smith["author"] == [{"family": "Smith", "given": "Jane"}, {"family": "Müller", "given": "Jörg"},
                               {"literal": "World Health Organization"}]
    assert (smith["type"], smith["container-title"], smith["issued"], smith["DOI"], smith["URL"], smith["accessed"]) == (
        "article-journal", "Financial Times", {"date-parts": [[2020, 7]]}, "10.1000/xyz", "https://example.com/a_b?x=1",
        {"date-parts": [[2023, 1, 2]]})
    assert by_id["pereira_2022:b"]["publisher-place"] == "Lisbon"

    bib = parse_file(str(out / "sources.bib"))
    assert set(bib.entries) == keys
    source = parse_string(BIB, "bibtex").entries
    for key in ("smithTitle2020", "pereira_2022:b"):
        ours, theirs = bib.entries[key], source[key]
        assert ours.type == theirs.type
        for role in ("author", "editor"):
            assert [str(p) for p in ours.persons.get(role, [])] == \
                [str(p).replace('{\\"u}', "ü").replace('{\\"o}', "ö") for p in theirs.persons.get(role, [])]
    smith_bib = bib.entries["smithTitle2020"].fields
    assert (smith_bib["journal"], smith_bib["year"], smith_bib["doi"], smith_bib["url"], smith_bib["urldate"]) == (
        "Financial Times", "2020", "10.1000/xyz", "https://example.com/a_b?x=1", "2023-01-02")
    assert bib.entries["pereira_2022:b"].fields["address"] == "Lisbon"
    assert bib.entries["kyodo2023"].fields["doi"] == "10.5555/k1"


def test_front_matter_lists_imported_keys(tmp_path: Path) -> None:
    root = project(tmp_path, {"content/actors/nato.md": "---\ntitle: NATO\nkind: organisation\n"
                                                        "sources: [smithTitle2020, SmithTitle2020]\n---\n"
                                                        "NATO is an alliance.[@guardian-2023]\n"})
    assert problems_of(root) == ["content/actors/nato.md:4:27: error: unknown source 'SmithTitle2020' in 'sources' "
                                 "(did you mean 'smithTitle2020'?)"]


@pytest.mark.parametrize("files, expected", [
    ({"refs.bib": BIB + "\n@misc{broken2021,\n  title = {Unclosed\n  author = Foo,\n\n@book{later,\n"
                        "  title = {Later}, publisher = {P}\n}\n"},
     ["refs.bib:21:1: error: BibTeX syntax error in this @misc record: unexpected block start: '@book'; was still "
      "looking for field-value closing '}' (check its braces, quotes and the commas between fields)",
      "refs.bib:25:1: warning: source 'later' is not cited by any entry (cite it with [@later] or remove it)"]),
    ({"refs.bib": BIB + "\n@article{smithTitle2020, title = {Again}, journal = {J}}\n"},
     ["refs.bib:21:1: error: key 'smithTitle2020' is already used by the record at line 3 "
      "(keys are unique: rename one of them)"]),
    ({"refs.bib": BIB + "\n@misc{notitle, publisher = {P}}\n"},
     ["refs.bib:21:1: error: record 'notitle' has no title (add a title field)"]),
    ({"refs.bib": BIB + "\n@misc{nopub, title = {T}}\n"},
     ["refs.bib:21:1: error: record 'nopub' names no publisher, journal or site "
      "(add publisher, institution or journal)"]),
    ({"refs.bib": BIB + "\n@misc{later,\n  title = {T}, publisher = {P},\n  year = {forthcoming}\n}\n"},
     ["refs.bib:21:1: warning: source 'later' is not cited by any entry (cite it with [@later] or remove it)",
      "refs.bib:23:3: error: 'year' must be a year like 2023, not 'forthcoming'"]),
    ({"refs.bib": BIB + "\n@misc{later,\n  title = {T}, publisher = {P},\n  url = {ftp://x}, urldate = {2020}\n}\n"},
     ["refs.bib:21:1: warning: source 'later' is not cited by any entry (cite it with [@later] or remove it)",
      "refs.bib:23:3: error: 'url' must be an absolute http or https URL, not 'ftp://x'"]),
    ({"refs.bib": BIB + '\n@misc{-dash, title = {T}, publisher = {P}}\n'},
     ["refs.bib:21:1: error: key '-dash' cannot be cited: a key starts with a letter, digit or '_' and holds "
      "only letters, digits and _ : . # $ % & + ? < > ~ / -"]),
    ({"zotero.json": json.dumps(CSL + [{"type": "book", "title": "No key"}], indent=2)},
     ["zotero.json:49:3: error: record without an 'id': a source needs its citation key "
      "(give it the key you cite it with)"]),
    ({"zotero.json": json.dumps(CSL + [{"id": "untitled", "type": "book", "publisher": "P"}], indent=2)},
     ['zotero.json:49:3: error: record \'untitled\' has no title (add a "title")']),
    ({"zotero.json": json.dumps(CSL + [{"id": "smithtitle2020", "title": "T", "publisher": "P"}], indent=2)},
     ["zotero.json:49:3: error: keys 'smithTitle2020' (refs.bib:3) and 'smithtitle2020' give the same page, "
      "sources/smithtitle2020/ (rename one key: pages are named by the key in lower case)"]),
    ({"zotero.json": json.dumps(CSL + [{"id": "nato", "title": "T", "publisher": "P"}], indent=2)},
     ["zotero.json:49:3: error: id 'nato' is already used by content/actors/nato.md (ids are unique across "
      "actors, events, sources and pages: rename one file)"]),
    ({"zotero.json": json.dumps(CSL + [{"id": "when", "title": "T", "publisher": "P", "issued": {"raw": "soon"}}],
                                indent=2)},
     ["zotero.json:49:3: warning: source 'when' is not cited by any entry (cite it with [@when] or remove it)",
      "zotero.json:53:5: error: 'date' must be an ISO 8601 date like 2023-07-11, 2023-07 or 2023, not 'soon'"]),
])
def test_every_mistake_in_a_bibliography_is_positioned(tmp_path: Path, files: dict[str, str],
                                                       expected: list[str]) -> None:
    root = project(tmp_path, files)
    done = run_cli("check", "--root", str(root))
    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines()[:-1] == expected
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("text, expected", [
    ('[\n  {"id": "a", "title": "T",}\n]',
     ["zotero.json:2:28: error: JSON syntax error: Expecting property name enclosed in double quotes "
      "(export the library again as CSL JSON)"]),
    ('{"items": []}',
     ["zotero.json:1:1: error: a CSL-JSON bibliography is a list of records ('[' … ']') "
      "(export the library again as CSL JSON)"]),
])
def test_csl_json_syntax_errors_are_positioned(tmp_path: Path, text: str, expected: list[str]) -> None:
    root = make_project(tmp_path, {"config.yaml": "title: T\nbase_url: https://example.org/\nbibliography: zotero.json\n",
                                   "zotero.json": text})
    done = run_cli("check", "--root", str(root))
    assert done.returncode == 1
    assert done.stderr.splitlines()[:-1] == expected


@pytest.mark.parametrize("config, expected", [
    ("bibliography: missing.bib\n",
     "config.yaml:3:15: error: bibliography 'missing.bib' does not exist "
     "(paths are relative to the folder holding config.yaml)"),
    ("bibliography: [refs.ris]\n",
     "config.yaml:3:16: error: bibliography 'refs.ris' is neither BibTeX (.bib) nor CSL-JSON (.json) "
     "(export the library from your reference manager as .bib or CSL JSON)"),
    ("bibliography: ../outside.bib\n",
     "config.yaml:3:15: error: bibliography '../outside.bib' is outside the project "
     "(copy the file into the project folder)"),
    ("bibliography: 3\n", "config.yaml:3:15: error: 'bibliography' must be a path or a list of paths, not a number"),
])
def test_bibliography_setting_mistakes(tmp_path: Path, config: str, expected: str) -> None:
    root = make_project(tmp_path, {"config.yaml": "title: Test explainer\nbase_url: https://example.org/\n" + config})
    (tmp_path / "outside.bib").write_text(BIB)
    done = run_cli("check", "--root", str(root))
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == expected


def test_unknown_citation_key_suggests_from_every_source(tmp_path: Path) -> None:
    root = project(tmp_path, {"content/pages/about.md": "---\ntitle: About\nnav: 1\n---\n"
                                                        "See [@SmithTitle2020], [@leeweb2021] and [@guardian-2032].\n"})
    assert problems_of(root) == [
        "content/pages/about.md:5:6: error: unknown id 'SmithTitle2020' in a citation (did you mean 'smithTitle2020'?)",
        "content/pages/about.md:5:25: error: unknown id 'leeweb2021' in a citation (did you mean 'leeWeb2021'?)",
        "content/pages/about.md:5:43: error: unknown id 'guardian-2032' in a citation (did you mean 'guardian-2023'?)",
    ]


def test_file_name_ids_stay_lower_case_kebab(tmp_path: Path) -> None:
    root = project(tmp_path, {"content/sources/SmithTitle2020.md": "---\ntitle: T\npublisher: P\n---\n"})
    assert problems_of(root)[0].startswith("content/sources/SmithTitle2020.md:1:1: error: 'SmithTitle2020' is not a "
                                           "valid id")


def test_no_op_build_notices_a_bibliography_change(tmp_path: Path) -> None:
    import os
    import time

    root = project(tmp_path)
    then = time.time() - 3600  # files saved just now are 'racy' and never skip a build
    for path in [root / "config.yaml", root / "refs.bib", root / "zotero.json", *(root / "content").rglob("*")]:
        os.utime(path, (then, then))
    first = build(root, use_cache=True)
    assert first.ok and not first.unchanged
    again = build(root, use_cache=True)
    assert again.unchanged
    before = tree_hash(root / "site")
    (root / "refs.bib").write_text(BIB.replace("A book -- of things", "A book of other things"))
    third = build(root, use_cache=True)
    assert third.ok and not third.unchanged
    assert tree_hash(root / "site") != before
    assert "A book of other things" in (root / "site/sources/pereira-2022-b/index.html").read_text()


def test_two_builds_with_a_bibliography_are_byte_identical(tmp_path: Path) -> None:
    root = project(tmp_path)
    assert build(root, tmp_path / "a").ok and build(root, tmp_path / "b").ok
    assert tree_hash(tmp_path / "a") == tree_hash(tmp_path / "b")


def test_markdown_sources_take_the_new_keys_into_the_exports(tmp_path: Path) -> None:
    from pybtex.database import parse_file

    root = make_project(tmp_path, {"content/sources/guardian-2023.md": (
        "---\ntitle: Summit report\npublisher: Guardian Media Group\ncontainer: The Guardian\ntype: news\n"
        "date: 2023-07-12\neditors: [Ann Editor]\ndoi: 10.1234/g\nurl: https://example.com/report\n"
        "accessed: 2023-07-13\n---\n")})
    assert problems_of(root) == []
    out = built(root, tmp_path)
    item = json.loads((out / "sources.json").read_text())[0]
    assert (item["container-title"], item["DOI"], item["editor"]) == (
        "The Guardian", "10.1234/g", [{"family": "Editor", "given": "Ann"}])
    entry = parse_file(str(out / "sources.bib")).entries["guardian-2023"]
    assert (entry.fields["journal"], entry.fields["doi"], str(entry.persons["editor"][0])) == (
        "The Guardian", "10.1234/g", "Editor, Ann")
    page = (out / "sources/guardian-2023/index.html").read_text()
    assert "<dt>Published by</dt><dd>Guardian Media Group, in <i>The Guardian</i></dd>" in page
    assert "<dt>Edited by</dt><dd>Ann Editor</dd>" in page


UNTITLED_SOURCE = ("---\ntitle: Report that the office was shelved\nuntitled: true\npublisher: The Example Times\n"
                   "type: news\ndate: 2023-07-12\nurl: https://example.com/shelved\naccessed: 2023-07-13\n---\n")


def test_an_untitled_source_is_bracketed_in_the_exports(tmp_path: Path) -> None:
    """APA's convention for a work without a title: its description in square brackets."""
    from citeproc.source.json import CiteProcJSON
    from pybtex.database import parse_file

    root = make_project(tmp_path, {
        "content/sources/shelved-2023.md": UNTITLED_SOURCE,
        "content/events/summit-2023.md": ("---\ntitle: Summit\ndate: 2023-07-11\nactors: [nato]\n"
                                          "sources: [guardian-2023]\n---\n[[nato]] met.[@guardian-2023] "
                                          "The office was shelved.[@shelved-2023]\n")})
    assert problems_of(root) == []
    out = built(root, tmp_path)
    items = {i["id"]: i for i in json.loads((out / "sources.json").read_text())}
    CiteProcJSON(list(items.values()))  # citeproc-py accepts the file
    assert items["shelved-2023"]["title"] == "[Report that the office was shelved]"
    assert items["guardian-2023"]["title"] == "Summit report"  # a source without the key: as before
    bib = parse_file(str(out / "sources.bib")).entries
    assert bib["shelved-2023"].fields["title"] == "{[Report that the office was shelved]}"
    assert bib["guardian-2023"].fields["title"] == "{Summit report}"


def test_an_untitled_companion_brackets_an_imported_title(tmp_path: Path) -> None:
    root = project(tmp_path, {"content/sources/kyodo2023.md": "---\nuntitled: true\n---\n"})
    assert problems_of(root) == []
    out = built(root, tmp_path)
    items = {i["id"]: i for i in json.loads((out / "sources.json").read_text())}
    assert items["kyodo2023"]["title"] == "[Office shelved]"
    page = (out / "sources/kyodo2023/index.html").read_text()
    assert "<h1>Office shelved</h1>" in page and '<p class="title-note">' in page
