"""Corrections (issue 20): dated notices on entry pages, /corrections/, corrections.xml and data.json.

The feed is checked with the tools the feed tests use (jing with RFC 4287's RELAX NG
schema, and feedparser); data.json with its own JSON Schema.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import feedparser
import pytest
from jsonschema import Draft202012Validator

from conftest import make_project, problems_of, run_cli
from explainer.build import build
from explainer.render.outputs.data import SCHEMA_FILE

ATOM_RNC = Path(__file__).parent / "fixtures" / "atom.rnc"

EVENT = ("---\ntitle: Summit\ndate: 2023-07-11\nactors: [nato]\nsources: [guardian-2023]\n"
         "corrections:\n"
         "  - date: 2023-08-01\n    text: An earlier version gave the wrong day.\n"
         "  - {date: 2023-09-02, text: \"The city was Vilnius, not Riga.\"}\n"
         "---\n[[nato]] met in Vilnius.[@guardian-2023]\n")
ACTOR = ("---\ntitle: NATO\nkind: organisation\ncorrections:\n  - date: 2023-08-15\n    text: Founded in 1949.\n"
         "---\nNATO is a military alliance.[@guardian-2023]\n")


def built(root: Path, out: Path) -> Path:
    result = build(root, out)
    assert result.ok, "\n".join(p.format() for p in result.problems.items)
    return out


def test_corrections_show_on_their_page_and_on_the_corrections_page(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"content/events/summit-2023.md": EVENT, "content/actors/nato.md": ACTOR})
    assert problems_of(root) == []
    out = built(root, tmp_path / "out")
    event = (out / "events/summit-2023/index.html").read_text()
    start = event.index('<aside class="corrections-notice"')
    notice = event[start:event.index("</aside>", start)]
    assert notice.index("2023-09-02") < notice.index("2023-08-01")  # newest first
    assert ('<li id="correction-2023-09-02"><time datetime="2023-09-02">2 September 2023</time>: '
            "The city was Vilnius, not Riga.</li>") in notice
    assert event.index("corrections-notice") < event.index('<div class="body">')  # at the top
    page = (out / "corrections/index.html").read_text()
    rows = [line for line in page.splitlines() if line.startswith("  <li><time")]
    assert [r.split('"')[1] for r in rows] == ["2023-09-02", "2023-08-15", "2023-08-01"]
    assert '<a href="../events/summit-2023/#correction-2023-09-02">Summit</a>' in rows[0]
    assert '<a href="../actors/nato/#correction-2023-08-15">NATO</a>: Founded in 1949.' in rows[1]
    assert '<li><a href="../corrections/" aria-current="page">Corrections</a></li>' in page
    assert '<li><a href="corrections/">Corrections</a></li>' in (out / "index.html").read_text()


def test_without_corrections_there_is_no_page_feed_or_menu_item(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"config.yaml": "title: T\nbase_url: https://example.org/\n"
                                                  "nav: [timeline, corrections, about]\n"})
    assert problems_of(root) == []
    out = built(root, tmp_path / "out")
    assert not (out / "corrections").exists() and not (out / "corrections.xml").exists()
    assert "corrections/" not in (out / "index.html").read_text()
    data = json.loads((out / "data.json").read_text())
    assert data["corrections"] == []


def jing(path: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("jing")
    assert exe, "jing not found: apt-get install jing (bash scripts/test.sh installs it)"
    return subprocess.run([exe, "-c", str(ATOM_RNC), str(path)], capture_output=True, text=True, timeout=60)


def test_corrections_feed_is_valid_atom_newest_first_with_stable_ids(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"content/events/summit-2023.md": EVENT, "content/actors/nato.md": ACTOR})
    out = built(root, tmp_path / "a")
    checked = jing(out / "corrections.xml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    feed = feedparser.parse((out / "corrections.xml").read_text())
    assert not feed.bozo
    assert feed.feed.title == "Test explainer: corrections" and feed.feed.updated == "2023-09-02T00:00:00Z"
    assert [(e.id, e.updated, e.summary) for e in feed.entries] == [
        ("https://example.org/events/summit-2023/#correction-2023-09-02", "2023-09-02T00:00:00Z",
         "The city was Vilnius, not Riga."),
        ("https://example.org/actors/nato/#correction-2023-08-15", "2023-08-15T00:00:00Z", "Founded in 1949."),
        ("https://example.org/events/summit-2023/#correction-2023-08-01", "2023-08-01T00:00:00Z",
         "An earlier version gave the wrong day."),
    ]
    later = EVENT.replace("corrections:\n", "corrections:\n  - date: 2023-10-01\n    text: A third one.\n")
    (root / "content/events/summit-2023.md").write_text(later)
    again = feedparser.parse((built(root, tmp_path / "b") / "corrections.xml").read_text())
    assert [e.id for e in again.entries][1:] == [e.id for e in feed.entries]  # old entries keep their ids
    # the schema can fail: an entry without an id
    broken = tmp_path / "broken.xml"
    broken.write_text((out / "corrections.xml").read_text().replace(
        "    <id>https://example.org/actors/nato/#correction-2023-08-15</id>\n", ""))
    assert jing(broken).returncode != 0


def test_data_json_carries_corrections_and_matches_its_schema(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"content/events/summit-2023.md": EVENT})
    out = built(root, tmp_path / "out")
    data = json.loads((out / "data.json").read_text())
    Draft202012Validator(json.loads(SCHEMA_FILE.read_text())).validate(data)
    assert data["version"] == "1.4"
    event = next(e for e in data["entries"] if e["id"] == "summit-2023")
    assert event["front_matter"]["corrections"] == [
        {"date": "2023-08-01", "text": "An earlier version gave the wrong day."},
        {"date": "2023-09-02", "text": "The city was Vilnius, not Riga."}]
    assert data["corrections"][0] == {"id": "summit-2023", "date": "2023-09-02",
                                      "url": "https://example.org/events/summit-2023/#correction-2023-09-02",
                                      "text": "The city was Vilnius, not Riga."}
    bad = dict(data, corrections=[{"id": "x", "url": "https://e/", "date": "soon", "text": "t"}])
    assert list(Draft202012Validator(json.loads(SCHEMA_FILE.read_text())).iter_errors(bad))


HEAD = "---\ntitle: About\nnav: 1\n"


@pytest.mark.parametrize("corrections, expected", [
    ("corrections:\n  - text: Fixed a name.\n",
     ["content/pages/about.md:5:5: error: item 1 of 'corrections' has no 'date' (each item needs: date, text)"]),
    ("corrections:\n  - date: 2024-01-02\n",
     ["content/pages/about.md:5:5: error: item 1 of 'corrections' has no 'text' (each item needs: date, text)"]),
    ("corrections:\n  - date: 2 January 2024\n    text: Fixed.\n",
     ["content/pages/about.md:5:11: error: 'date' must be an ISO 8601 date like 2023-07-11, 2023-07 or 2023, "
      "not '2 January 2024'"]),
    ("corrections:\n  - date: 2024-01-02\n    text: Fixed.\n    txt: typo\n",
     ["content/pages/about.md:7:5: error: unknown key 'txt' in an item of 'corrections' (did you mean 'text'?)"]),
    ("corrections:\n  - date: 2024-01-02\n    text: 3\n",
     ["content/pages/about.md:6:11: error: 'text' must be text, not a number (quote it: text: \"3\")"]),
    ("corrections: Fixed a name.\n",
     ["content/pages/about.md:4:14: error: 'corrections' must be a list of mappings, not text "
      "(write each item as '- {date: …, text: …}')"]),
    ("corrections:\n  - Fixed a name.\n",
     ["content/pages/about.md:5:5: error: 'corrections' items must be mappings with date and text, not text"]),
])
def test_every_correction_mistake_is_positioned(tmp_path: Path, corrections: str, expected: list[str]) -> None:
    root = make_project(tmp_path, {"content/pages/about.md": HEAD + corrections + "---\nHow this site is made.\n"})
    done = run_cli("check", "--root", str(root))
    assert done.returncode == 1
    assert done.stderr.splitlines()[:-1] == expected


def test_schema_and_new_know_corrections(tmp_path: Path) -> None:
    from explainer.jsonschema_export import all_schemas

    for name in ("actor", "event", "source", "page", "home"):
        item = all_schemas()[f"{name}.schema.json"]["properties"]["corrections"]["items"]
        assert item["required"] == ["date", "text"] and item["additionalProperties"] is False
    event = Draft202012Validator(all_schemas()["event.schema.json"])
    assert not list(event.iter_errors({"title": "T", "date": "2023", "corrections": [{"date": "2023-01-02",
                                                                                      "text": "x"}]}))
    assert list(event.iter_errors({"title": "T", "date": "2023", "corrections": [{"date": "2023-01-02"}]}))
    root = make_project(tmp_path)
    assert run_cli("new", "event", "later-summit", "--root", str(root)).returncode == 0
    text = (root / "content/events/later-summit.md").read_text()
    assert "# corrections: [{date: " in text
    assert run_cli("new", "source", "some-report", "--root", str(root)).returncode == 0
    source = (root / "content/sources/some-report.md").read_text()
    assert "'bibliography: refs.bib' in config.yaml" in source
    (root / "content/sources/some-report.md").unlink()
    (root / "content/events/later-summit.md").unlink()
    assert problems_of(root) == []


def test_new_pages_are_valid_html_with_no_broken_link(tmp_path: Path) -> None:
    """The corrections page, a corrected entry and imported sources in a CSL style pass the Nu checker."""
    from tools import internal_link_problems, run_nu_checker

    bib = "@article{smithTitle2020,\n  author = {Smith, Jane},\n  title = {On the office},\n" \
          "  journal = {Journal of Webs}, year = 2020,\n  doi = {10.1000/xyz}\n}\n"
    root = make_project(tmp_path, {
        "config.yaml": "title: Test explainer\nbase_url: https://example.org/\nbibliography: refs.bib\n"
                       "citation_style: apa\n",
        "refs.bib": bib,
        "content/events/summit-2023.md": EVENT.replace("[@guardian-2023]\n", "[@guardian-2023; @smithTitle2020]\n"),
        "content/actors/nato.md": ACTOR,
    })
    out = built(root, tmp_path / "out")
    pages = [out / "corrections/index.html", out / "events/summit-2023/index.html", out / "actors/nato/index.html",
             out / "sources/smithtitle2020/index.html", out / "sources/index.html"]
    assert run_nu_checker(pages) == []
    assert internal_link_problems(out, base_url="https://example.org/") == []
