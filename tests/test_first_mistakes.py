"""A message for every first mistake (issue 31, points 2 and 3), each asserted word for word.

YAML syntax errors translated into what to do, an unclosed `[[` or `[@`, an impossible
date, a link or citation written with a title or alias, an unknown source with nothing
close, and the placeholders `explainer new` writes (reported until replaced). Each test
plants one mistake in the small valid project of conftest.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import BASE_FILES, make_project, problems_of, run_cli

NATO = "content/actors/nato.md"
SUMMIT = "content/events/summit-2023.md"
SUMMIT_HEAD = "---\ntitle: Summit\ndate: 2023-07-11\nactors: [nato]\nsources: [guardian-2023]\n---\n"


def summit(body: str) -> dict[str, str | bytes | None]:
    return {SUMMIT: SUMMIT_HEAD + body}


# --- YAML ---------------------------------------------------------------------------------------

YAML_CASES = {
    "a tab": (
        {NATO: "---\ntitle: NATO\n\tkind: organisation\n---\nNATO.[@guardian-2023]\n"},
        [f"{NATO}:3:1: error: a tab in the indentation: YAML indents with spaces only (replace the tab with spaces)"]),
    "an unquoted colon": (
        {NATO: "---\ntitle: NATO: the alliance\nkind: organisation\n---\nNATO.[@guardian-2023]\n"},
        [f"{NATO}:2:12: error: the value of 'title' holds ': ', which YAML reads as the start of a new key "
         "(quote the value: title: \"NATO: the alliance\")"]),
    "an unquoted colon, the value holding a double quote": (
        {NATO: "---\ntitle: The \"NATO\" answer: no\nkind: organisation\n---\nNATO.[@guardian-2023]\n"},
        [f"{NATO}:2:25: error: the value of 'title' holds ': ', which YAML reads as the start of a new key "
         "(quote the value: title: 'The \"NATO\" answer: no')"]),
    "a key indented more than the keys above it": (
        {NATO: "---\ntitle: NATO\n  kind: organisation\n---\nNATO.[@guardian-2023]\n"},
        [f"{NATO}:3:3: error: 'kind' is indented differently from the keys above it "
         "(align it with the keys above it, with the same number of spaces)"]),
    "a key of a list item indented unlike its neighbours": (
        {NATO: "---\ntitle: NATO\nkind: organisation\ncorrections:\n  - date: 2024-01-02\n   text: Fixed.\n---\n"
               "NATO.[@guardian-2023]\n"},
        [f"{NATO}:6:4: error: 'text' is indented differently from the keys above it "
         "(align it with the keys above it, with the same number of spaces)"]),
    "a list item indented unlike the items above it": (
        {SUMMIT: "---\ntitle: Summit\ndate: 2023-07-11\nactors:\n  - nato\n - nato\n---\n"},
        [f"{SUMMIT}:6:2: error: this list item is indented differently from the items above it "
         "(align its '-' with theirs)"]),
    "an unclosed double quote": (
        {NATO: "---\ntitle: \"NATO\nkind: organisation\n---\nNATO.[@guardian-2023]\n"},
        [f"{NATO}:2:8: error: this quoted value is never closed (end it with \" on the same line)"]),
    "an unclosed single quote": (
        {NATO: "---\ntitle: 'NATO\nkind: organisation\n---\nNATO.[@guardian-2023]\n"},
        [f"{NATO}:2:8: error: this quoted value is never closed (end it with ' on the same line)"]),
    "text after the closing quote": (
        {NATO: "---\ntitle: \"NATO\" alliance\nkind: organisation\n---\nNATO.[@guardian-2023]\n"},
        [f"{NATO}:2:15: error: text after the closing quote (put the whole value inside the quotes)"]),
    "a list item under a key that has a value": (
        {SUMMIT: "---\ntitle: Summit\ndate: 2023-07-11\nactors: nato\n- japan\nsources: [guardian-2023]\n---\n"},
        [f"{SUMMIT}:5:1: error: a list item under 'actors', which already has a value (write nothing after "
         "'actors:' and each item on its own '- ' line, or write the list as actors: [a, b])"]),
    "an indented list item under a key that has a value": (
        {SUMMIT: "---\ntitle: Summit\ndate: 2023-07-11\nactors: nato\n  - japan\nsources: [guardian-2023]\n---\n"
                 "[[nato]] met.[@guardian-2023]\n"},
        [f"{SUMMIT}:4:9: error: 'actors' must be a list, not text: its '- ' items are under a value (write "
         "nothing after 'actors:' and each item on its own '- ' line, or write actors: [nato, japan])"]),
    "an unquoted colon in config.yaml": (
        {"config.yaml": "title: Trams: the vote\n"},
        ["config.yaml:1:13: error: the value of 'title' holds ': ', which YAML reads as the start of a new key "
         "(quote the value: title: \"Trams: the vote\")"]),
}


@pytest.mark.parametrize("files, expected", YAML_CASES.values(), ids=YAML_CASES.keys())
def test_yaml_mistakes_say_what_to_do(tmp_path: Path, files: dict[str, str | bytes | None],
                                      expected: list[str]) -> None:
    assert problems_of(make_project(tmp_path, files)) == expected


# --- dates ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("date, why", [
    ("2023-02-30", "February 2023 has 28 days"),
    ("2024-02-30", "February 2024 has 29 days"),
    ("2023-04-31", "April 2023 has 30 days"),
    ("2023-00-10", "there is no month 00 (months are 01 to 12)"),
    ("0000-01-01", "there is no year 0 (the calendar starts at year 1)"),
])
def test_an_impossible_date_says_why(tmp_path: Path, date: str, why: str) -> None:
    root = make_project(tmp_path, {SUMMIT: SUMMIT_HEAD.replace("2023-07-11", date) + "[[nato]] met.[@guardian-2023]\n"})
    assert problems_of(root) == [f"{SUMMIT}:3:7: error: 'date' is not a real date: {why}"]


# --- cross-links and citations ------------------------------------------------------------------

BERG = {"content/actors/mayor-anna-berg.md": "---\ntitle: Mayor Anna Berg\nkind: person\naliases: [Anna Berg]\n---\n"
                                             "The mayor.[@guardian-2023]\n"}

MARKUP_CASES = {
    "an unclosed cross-link": (
        summit("[[nato]] met [[summit-2023 in Vilnius.[@guardian-2023]\n"),
        [f"{SUMMIT}:7:14: error: the cross-link '[[summit-2023' is never closed "
         "(end it with ']]' on the same line; to show '[[' as text, write '\\[[')"]),
    "a cross-link with its own text in a table cell": (
        summit("[[nato]] met in Vilnius.[@guardian-2023]\n\n| who | where |\n|---|---|\n"
               "| [[nato|the alliance]] | Vilnius [@guardian-2023] |\n"),
        [f"{SUMMIT}:11:3: error: the cross-link '[[nato' is cut by the table's '|' "
         "(in a table cell write '\\|' for the '|' inside it: [[nato\\|text]])"]),
    "an unclosed citation": (
        summit("[[nato]] met in Vilnius.[@guardian-2023\n"),
        [f"{SUMMIT}:7:25: error: the citation '[@guardian-2023' is never closed "
         "(end it with ']' on the same line; to show '[@' as text, write '\\[@')",
         f"{SUMMIT}:7:1: warning: paragraph has no citation (add [@source-id] after the claim it supports)"]),
    "a cross-link by title": (
        {**BERG, **summit("[[nato]] and [[Mayor Anna Berg]] met.[@guardian-2023]\n")},
        [f"{SUMMIT}:7:14: error: 'Mayor Anna Berg' in a cross-link is a name of 'mayor-anna-berg', not its id "
         "(did you mean [[mayor-anna-berg]]?)",
         "content/actors/mayor-anna-berg.md:1:1: warning: nothing links to an actor 'mayor-anna-berg' "
         "(link to it with [[mayor-anna-berg]] from a related entry)"]),
    "a cross-link by alias, with its own text": (
        {**BERG, **summit("[[nato]] and [[Anna Berg|the mayor]] met.[@guardian-2023]\n")},
        [f"{SUMMIT}:7:14: error: 'Anna Berg' in a cross-link is a name of 'mayor-anna-berg', not its id "
         "(did you mean [[mayor-anna-berg]]?)",
         "content/actors/mayor-anna-berg.md:1:1: warning: nothing links to an actor 'mayor-anna-berg' "
         "(link to it with [[mayor-anna-berg]] from a related entry)"]),
    "a citation by title": (
        summit("[[nato]] met in Vilnius.[@Summit report]\n"),
        [f"{SUMMIT}:7:26: error: 'Summit report' in a citation is a name of 'guardian-2023', not its id "
         "(did you mean [@guardian-2023]?)",
         f"{SUMMIT}:7:1: warning: paragraph has no citation (add [@source-id] after the claim it supports)"]),
    "an unknown source, nothing close": (
        summit("[[nato]] met in Vilnius.[@city-gazette-2024]\n"),
        [f"{SUMMIT}:7:26: error: unknown id 'city-gazette-2024' in a citation "
         "(to add it: explainer new source city-gazette-2024)",
         f"{SUMMIT}:7:1: warning: paragraph has no citation (add [@source-id] after the claim it supports)"]),
    "an unknown source in front matter, nothing close": (
        {SUMMIT: SUMMIT_HEAD.replace("[guardian-2023]", "[guardian-2023, city-gazette-2024]")
         + "[[nato]] met.[@guardian-2023]\n"},
        [f"{SUMMIT}:5:26: error: unknown source 'city-gazette-2024' in 'sources' "
         "(to add it: explainer new source city-gazette-2024)"]),
    "an unknown source close to one": (
        summit("[[nato]] met in Vilnius.[@guardian-2032]\n"),
        [f"{SUMMIT}:7:26: error: unknown id 'guardian-2032' in a citation (did you mean 'guardian-2023'?)",
         f"{SUMMIT}:7:1: warning: paragraph has no citation (add [@source-id] after the claim it supports)"]),
    "an actor by name in front matter": (
        {**BERG, SUMMIT: SUMMIT_HEAD.replace("[nato]", "[nato, Anna Berg]") + "[[nato]] met.[@guardian-2023]\n"},
        [f"{SUMMIT}:4:16: error: 'Anna Berg' in 'actors' is not a valid id",
         "content/actors/mayor-anna-berg.md:1:1: warning: nothing links to an actor 'mayor-anna-berg' "
         "(link to it with [[mayor-anna-berg]] from a related entry)"]),
    "escaped openers stay text": (
        summit("[[nato]] met.[@guardian-2023] Write \\[[id]], `[[id` or \\[@id to link or cite.\n"),
        []),
}


@pytest.mark.parametrize("files, expected", MARKUP_CASES.values(), ids=MARKUP_CASES.keys())
def test_reference_mistakes_say_what_to_do(tmp_path: Path, files: dict[str, str | bytes | None],
                                           expected: list[str]) -> None:
    assert problems_of(make_project(tmp_path, files)) == sorted(expected, key=_order)


def _order(line: str) -> tuple[str, int, int]:
    path, line_no, col = line.split(":")[:3]
    return path, int(line_no), int(col)


# --- explainer new: options and placeholders ----------------------------------------------------

def test_new_fills_what_it_is_told(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    env = {"SOURCE_DATE_EPOCH": "1700000000"}  # 2023-11-14
    done = run_cli("new", "source", "city-gazette-2024", "--title", "Council backs the tram", "--publisher",
                   "City Gazette", "--date", "2024-03-13", "--url", "https://example.org/vote", cwd=root, env=env)
    assert (done.returncode, done.stdout, done.stderr) == (0, "Wrote content/sources/city-gazette-2024.md\n", "")
    text = (root / "content/sources/city-gazette-2024.md").read_text(encoding="utf-8")
    assert text.startswith('---\ntitle: "Council backs the tram"\npublisher: "City Gazette"\ndate: 2024-03-13\n'
                           'url: "https://example.org/vote"\naccessed: 2023-11-14\n')
    done = run_cli("new", "actor", "mayor-anna-berg", "--kind", "person", "--summary", "The city's mayor.", cwd=root)
    assert done.returncode == 0, done.stderr
    text = (root / "content/actors/mayor-anna-berg.md").read_text(encoding="utf-8")
    assert text.startswith('---\ntitle: "Mayor Anna Berg"\nkind: person\nsummary: "The city\'s mayor."\n')
    assert [p for p in problems_of(root) if "placeholder" in p] == []


def test_new_titles_an_actor_as_a_name(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    assert run_cli("new", "actor", "ministry-of-the-interior", "--kind", "organisation", cwd=root).returncode == 0
    text = (root / "content/actors/ministry-of-the-interior.md").read_text(encoding="utf-8")
    assert text.startswith('---\ntitle: "Ministry of the Interior"\n')


def test_placeholders_are_reported_until_replaced(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    for args in (["actor", "city-council"], ["event", "council-vote"], ["source", "city-gazette-2024"]):
        done = run_cli("new", *args, cwd=root)
        assert done.stdout.endswith("Replace its placeholders (check and build point at each one until you do).\n")
    placeholders = [p for p in problems_of(root) if "placeholder" in p]
    assert placeholders == [
        "content/actors/city-council.md:3:7: warning: 'kind' is still the placeholder \"KIND\" written by "
        "explainer new (replace it with one of person, organisation, country, grouping; until then the site "
        "shows person)",
        "content/events/council-vote.md:3:7: warning: 'date' is still the placeholder \"YYYY-MM-DD\" written by "
        "explainer new (replace it with the date: 2024-03-12, or 2024-03 / 2024 when only that is known; "
        "until then the site shows 1970-01-01)",
        "content/sources/city-gazette-2024.md:3:12: warning: 'publisher' is still the placeholder \"PUBLISHER\" "
        "written by explainer new (replace it with who published it (newspaper, agency, government body))",
    ]
    # a build shows them too, and --strict fails on them
    build = run_cli("build", "--strict", cwd=root)
    assert build.returncode == 1 and all(p in build.stderr for p in placeholders)
    assert not (root / "site").exists()
    # replaced, they are gone
    for rel, old, new in [("content/actors/city-council.md", "kind: KIND", "kind: organisation"),
                          ("content/events/council-vote.md", "date: YYYY-MM-DD", "date: 2024-03-12"),
                          ("content/sources/city-gazette-2024.md", 'publisher: "PUBLISHER"',
                           'publisher: "City Gazette"')]:
        path = root / rel
        path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    assert [p for p in problems_of(root) if "placeholder" in p] == []


@pytest.mark.parametrize("args, message", [
    (["event", "x", "--date", "2023-02-30"], "--date 2023-02-30: not a real date: February 2023 has 28 days"),
    (["event", "x", "--date", "12 March"], "--date 12 March: give an ISO 8601 date like 2024-03-12, 2024-03 or 2024"),
    (["event", "x", "--publisher", "Gazette"], "--publisher is for source entries, not for an event"),
    (["actor", "x", "--kind", "persn"],
     "--kind persn: choose one of person, organisation, country, grouping (did you mean 'person'?)"),
    (["source", "x", "--url", "example.org"], "--url example.org: give an absolute http or https URL"),
    (["page", "x", "--title", " "], "--title: give one line of text"),
])
def test_new_refuses_a_bad_option(tmp_path: Path, args: list[str], message: str) -> None:
    root = make_project(tmp_path)
    done = run_cli("new", *args, cwd=root)
    assert (done.returncode, done.stderr) == (2, f"explainer: error: {message}\n")
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*.md")) == sorted(
        k for k in BASE_FILES if k.endswith(".md"))
