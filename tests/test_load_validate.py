"""Loading and validation: every kind of bad input ends in one exact `path:line:col` message.

Each case plants one mistake in the valid base project of conftest.py and asserts the
complete list of problems `explainer check` reports, so a missing message, a wrong
position and a cascade of follow-up messages all fail the test.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import make_project, problems_of
from explainer.dates import PartialDate
from explainer.diagnostics import CODES, Problems
from explainer.pipeline import load_project

NATO = "content/actors/nato.md"
SUMMIT = "content/events/summit-2023.md"
ABOUT = "content/pages/about.md"
BODY = "NATO is a military alliance.[@guardian-2023]\n"


def actor(front: str) -> dict[str, str]:
    """The base actor with other front matter (title and kind must be given by the case)."""
    return {NATO: f"---\n{front}---\n{BODY}"}


def event(front: str) -> dict[str, str]:
    return {SUMMIT: f"---\n{front}---\n[[nato]] met in Vilnius.[@guardian-2023]\n"}


EVENT_OK = "title: Summit\nactors: [nato]\nsources: [guardian-2023]\n"

CASES: dict[str, tuple[dict[str, str | bytes], list[str]]] = {
    "unknown key with did-you-mean": (
        actor("title: NATO\nkind: organisation\nsumary: An alliance.\n"),
        [f"{NATO}:4:1: error: unknown key 'sumary' for an actor (did you mean 'summary'?)"],
    ),
    "unknown key without a close match lists the known keys": (
        {ABOUT: "---\ntitle: About\nnav: 1\ncolour: red\n---\nx\n"},
        [f"{ABOUT}:4:1: error: unknown key 'colour' for a page (known keys: title, summary, nav, corrections)"],
    ),
    "missing required key": (
        actor("title: NATO\n"),
        [f"{NATO}:1:1: error: missing required key 'kind' for an actor (an actor needs: title, kind)"],
    ),
    "text given a number": (
        actor("title: 12\nkind: organisation\n"),
        [f"{NATO}:2:8: error: 'title' must be text, not a number (quote it: title: \"12\")"],
    ),
    "text given true": (
        actor("title: NATO\nkind: organisation\nrole: true\n"),
        [f"{NATO}:4:7: error: 'role' must be text, not true/false (quote it: role: \"true\")"],
    ),
    "required key left empty": (
        actor("title:\nkind: organisation\n"),
        [f"{NATO}:2:7: error: 'title' must be text, not empty"],
    ),
    "optional key left empty": (
        actor("title: NATO\nkind: organisation\nrole:\n"),
        [f"{NATO}:4:6: error: 'role' is empty (give it a value or remove the line)"],
    ),
    "list given text": (
        actor("title: NATO\nkind: organisation\naliases: North Atlantic Alliance\n"),
        [f"{NATO}:4:10: error: 'aliases' must be a list, not text "
         "(write it as aliases: [North Atlantic Alliance])"],
    ),
    "list item of the wrong type": (
        actor("title: NATO\nkind: organisation\naliases:\n  - OTAN\n  - 7\n"),
        [f"{NATO}:6:5: error: 'aliases' items must be text, not a number"],
    ),
    "reference list item that is no id": (
        actor("title: NATO\nkind: organisation\nmember_of: [The UN]\n"),
        [f"{NATO}:4:13: error: 'The UN' in 'member_of' is not a valid id"],
    ),
    "bad choice with did-you-mean": (
        actor("title: NATO\nkind: organization\n"),
        [f"{NATO}:3:7: error: 'kind' must be one of person, organisation, country, grouping, "
         "not 'organization' (did you mean 'organisation'?)"],
    ),
    "whole number given text": (
        {ABOUT: "---\ntitle: About\nnav: first\n---\nx\n"},
        [f"{ABOUT}:1:1: warning: nothing links to a page 'about' (link to it with [[about]] from a related entry)",
         f"{ABOUT}:3:6: error: 'nav' must be a whole number, not text"],
    ),
    "whole number below its minimum": (
        {ABOUT: "---\ntitle: About\nnav: -1\n---\nx\n"},
        [f"{ABOUT}:1:1: warning: nothing links to a page 'about' (link to it with [[about]] from a related entry)",
         f"{ABOUT}:3:6: error: 'nav' must be between 0 and …, not -1"],
    ),
    "url that is not absolute": (
        {"content/sources/guardian-2023.md":
         "---\ntitle: Report\npublisher: The Guardian\nurl: www.example.com/x\naccessed: 2023-07-13\n---\n"},
        ["content/sources/guardian-2023.md:4:6: error: 'url' must be an absolute http or https URL, "
         "not 'www.example.com/x'"],
    ),
    "javascript url": (
        {"content/sources/guardian-2023.md":
         "---\ntitle: Report\npublisher: The Guardian\nurl: javascript:alert(1)\naccessed: 2023-07-13\n---\n"},
        ["content/sources/guardian-2023.md:4:6: error: 'url' must be an absolute http or https URL, "
         "not 'javascript:alert(1)'"],
    ),
    "impossible date": (
        event("title: Summit\ndate: 2023-02-30\nactors: [nato]\nsources: [guardian-2023]\n"),
        [f"{SUMMIT}:3:7: error: 'date' is not a real date: February 2023 has 28 days"],
    ),
    "non-ISO date": (
        event("title: Summit\ndate: 11/07/2023\nactors: [nato]\nsources: [guardian-2023]\n"),
        [f"{SUMMIT}:3:7: error: 'date' must be an ISO 8601 date like 2023-07-11, 2023-07 or 2023, not '11/07/2023'"],
    ),
    "partial date with a month 13": (
        event("title: Summit\ndate: 2023-13\nactors: [nato]\nsources: [guardian-2023]\n"),
        [f"{SUMMIT}:3:7: error: 'date' is not a real date: there is no month 13 (months are 01 to 12)"],
    ),
    "date with a time": (
        event("title: Summit\ndate: 2023-07-11T10:00\nactors: [nato]\nsources: [guardian-2023]\n"),
        [f"{SUMMIT}:3:7: error: 'date' must be an ISO 8601 date like 2023-07-11, 2023-07 or 2023, "
         "not '2023-07-11T10:00'"],
    ),
    "precision finer than the date": (
        event(EVENT_OK + "date: 2023-07\ndate_precision: day\n"),
        [f"{SUMMIT}:6:17: error: 'date_precision' is day, but 'date' 2023-07 is written to the month "
         "(write the date to the day, or use date_precision: month)"],
    ),
    "end before start": (
        event(EVENT_OK + "date: 2023-07-11\nend_date: 2023-07-10\n"),
        [f"{SUMMIT}:6:11: error: 'end_date' 2023-07-10 is before 'date' 2023-07-11"],
    ),
    "missing required date": (
        event(EVENT_OK),
        [f"{SUMMIT}:1:1: error: missing required key 'date' for an event (an event needs: title, date)"],
    ),
    "YAML syntax error position": (
        actor("title: NATO\nkind: organisation: country\n"),
        [f"{NATO}:3:19: error: the value of 'kind' holds ': ', which YAML reads as the start of a new key "
         '(quote the value: kind: "organisation: country")'],
    ),
    "YAML tab indentation": (
        actor("title: NATO\n\tkind: organisation\n"),
        [f"{NATO}:3:1: error: a tab in the indentation: YAML indents with spaces only (replace the tab with spaces)"],
    ),
    "python tag on a scalar": (
        actor("title: !!python/name:os.system\nkind: organisation\n"),
        [f"{NATO}:2:8: error: YAML tag '!!python/name:os.system' is not allowed"],
    ),
    "python tag on a sequence": (
        actor("title: !!python/object/apply:os.system [ls]\nkind: organisation\n"),
        [f"{NATO}:2:8: error: YAML tag '!!python/object/apply:os.system' is not allowed"],
    ),
    "YAML 1.1 timestamp tag": (
        event(EVENT_OK + "date: !!timestamp 2023-07-11\n"),
        [f"{SUMMIT}:5:7: error: YAML tag '!!timestamp' is not allowed"],
    ),
    "alias bomb": (
        actor("title: NATO\nkind: organisation\n"
              "a: &a [x, x, x, x, x, x, x, x, x]\n"
              "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
              "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
              "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
              "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"),
        [f"{NATO}:4:29: error: YAML expands to more than 20000 values (an alias bomb?)"],
    ),
    "deep nesting": (
        actor("title: NATO\nkind: organisation\nx: " + "[" * 60 + "]" * 60 + "\n"),
        [f"{NATO}:2:1: error: YAML nests deeper than 40 levels"],
    ),
    "duplicate key": (
        actor("title: NATO\nkind: organisation\ntitle: OTAN\n"),
        [f"{NATO}:4:1: error: duplicate key 'title'"],
    ),
    "merge key is no merge, just an unknown key": (
        actor("title: NATO\nkind: organisation\n<<: {role: x}\n"),
        [f"{NATO}:4:1: error: unknown key '<<' for an actor (known keys: title, kind, summary, role, aliases, "
         "members, member_of, affiliations, country, sources, image, image_alt, updated, reviewed, corrections)"],
    ),
    "non-text mapping key": (
        actor("title: NATO\nkind: organisation\n[a]: x\n"),
        [f"{NATO}:4:1: error: mapping keys must be plain text"],
    ),
    "front matter that is a list": (
        {ABOUT: "---\n- title\n---\nx\n"},
        [f"{ABOUT}:1:1: warning: nothing links to a page 'about' (link to it with [[about]] from a related entry)",
         f"{ABOUT}:2:1: error: a page must be a mapping of keys to values, not a list"],
    ),
    "id with capitals and underscore": (
        {"content/actors/Bad_Name.md": "---\ntitle: X\nkind: person\n---\n"},
        ["content/actors/Bad_Name.md:1:1: error: 'Bad_Name' is not a valid id: use lower-case letters, digits "
         "and single hyphens (like 'vilnius-summit-2023') (rename the file to 'bad-name.md')"],
    ),
    "id with a double hyphen": (
        {"content/actors/a--b.md": "---\ntitle: X\nkind: person\n---\n"},
        ["content/actors/a--b.md:1:1: error: 'a--b' is not a valid id: use lower-case letters, digits "
         "and single hyphens (like 'vilnius-summit-2023') (rename the file to 'a-b.md')"],
    ),
    "id reserved on Windows": (
        {"content/actors/con.md": "---\ntitle: X\nkind: person\n---\n"},
        ["content/actors/con.md:1:1: error: id 'con' is a reserved file name on Windows "
         "(try 'con-1' or a longer name)"],
    ),
    "id reserved on Windows (lpt1)": (
        {"content/pages/lpt1.md": "---\ntitle: X\n---\n"},
        ["content/pages/lpt1.md:1:1: error: id 'lpt1' is a reserved file name on Windows "
         "(try 'lpt1-1' or a longer name)"],
    ),
    "duplicate id across kinds": (
        {"content/pages/nato.md": "---\ntitle: NATO again\n---\n"},
        ["content/pages/nato.md:1:1: error: id 'nato' is already used by content/actors/nato.md "
         "(ids are unique across actors, events, sources and pages: rename one file)"],
    ),
    "file names differing only in case": (
        {"content/pages/About.md": "---\ntitle: X\n---\n"},
        ["content/pages/About.md:1:1: error: 'About' is not a valid id: use lower-case letters, digits and "
         "single hyphens (like 'vilnius-summit-2023') (rename the file to 'about.md')",
         f"{ABOUT}:1:1: error: 'about.md' and 'About.md' differ only in case and would clash on "
         "case-insensitive disks (rename one of them)"],
    ),
    "non-UTF-8 byte": (
        {ABOUT: b"---\ntitle: About\nnav: 1\n---\nHow the caf\xe9 is made.\n"},
        [f"{ABOUT}:5:12: error: file is not valid UTF-8 (byte 0xe9) (save the file as UTF-8)"],
    ),
    "non-UTF-8 byte after multi-byte characters": (
        {ABOUT: "---\ntitle: Über\nnav: 1\n---\n".encode() + "ééé".encode() + b"\xff\n"},
        [f"{ABOUT}:5:4: error: file is not valid UTF-8 (byte 0xff) (save the file as UTF-8)"],
    ),
    "missing front matter": (
        {ABOUT: "title: About\n\nText.\n"},
        [f"{ABOUT}:1:1: error: no front matter: an entry starts with a '---' line, its YAML keys, and another "
         "'---' line (run 'explainer new page about' to see a template)"],
    ),
    "unclosed front matter": (
        {ABOUT: "---\ntitle: About\nnav: 1\n\nText.\n"},
        [f"{ABOUT}:1:1: error: front matter opened here is never closed (add a '---' line after the last key)"],
    ),
    "unknown folder": (
        {"content/people/ann.md": "---\ntitle: Ann\n---\n"},
        ["content/people:1:1: error: unknown folder 'people' in content/ "
         "(entries go in actors/, events/, sources/ or pages/)"],
    ),
    "misspelt folder": (
        {"content/actor/ann.md": "---\ntitle: Ann\n---\n"},
        ["content/actor:1:1: error: unknown folder 'actor' in content/ (did you mean 'actors'?)"],
    ),
    "non-.md file": (
        {"content/pages/notes.txt": "notes"},
        ["content/pages/notes.txt:1:1: error: not an entry: entries are Markdown files ending in .md"],
    ),
    "loose file in content/": (
        {"content/readme.md": "hello"},
        ["content/readme.md:1:1: error: unexpected file in content/: entries go in actors/, events/, "
         "sources/ or pages/"],
    ),
    "reference to a missing id": (
        event("title: Summit\ndate: 2023-07-11\nactors: [nato, nat0]\nsources: [guardian-2023]\n"),
        [f"{SUMMIT}:4:16: error: unknown actor 'nat0' in 'actors' (did you mean 'nato'?)"],
    ),
    "event actors naming a source": (
        event("title: Summit\ndate: 2023-07-11\nactors: [nato, guardian-2023]\nsources: [guardian-2023]\n"),
        [f"{SUMMIT}:4:16: error: 'guardian-2023' in 'actors' is a source, but 'actors' lists actors"],
    ),
    "sources naming an actor": (
        event("title: Summit\ndate: 2023-07-11\nactors: [nato]\nsources: [guardian-2023, nato]\n"),
        [f"{SUMMIT}:5:26: error: 'nato' in 'sources' is an actor, but 'sources' lists sources"],
    ),
    "country naming itself": (
        actor("title: NATO\nkind: organisation\ncountry: nato\n"),
        [f"{NATO}:4:10: error: 'country' names the entry itself"],
    ),
    "config: unknown key": (
        {"config.yaml": "title: T\nbase_url: https://example.org/\ntrust_htm: true\n"},
        ["config.yaml:3:1: error: unknown key 'trust_htm' for config.yaml (did you mean 'trust_html'?)"],
    ),
    "config: base_url not absolute": (
        {"config.yaml": "title: T\nbase_url: example.org\n"},
        ["config.yaml:2:11: error: 'base_url' must be an absolute http or https URL, not 'example.org'"],
    ),
    "config: missing title": (
        {"config.yaml": "base_url: https://example.org/\n"},
        ["config.yaml:1:1: error: missing required key 'title' for config.yaml (config.yaml needs: title)"],
    ),
    "config: YAML syntax": (
        {"config.yaml": "title: T\nbase_url: 'https://example.org/\n"},
        ["config.yaml:2:11: error: this quoted value is never closed (end it with ' on the same line)"],
    ),
    "config: not a mapping": (
        {"config.yaml": "- title\n"},
        ["config.yaml:1:1: error: config.yaml must be a mapping of keys to values, not a list"],
    ),
    "config: trust_html not a boolean": (
        {"config.yaml": "title: T\nbase_url: https://example.org/\ntrust_html: yes\n"},
        ["config.yaml:3:13: error: 'trust_html' must be true or false, not text"],
    ),
    "config: coverage_min out of range": (
        {"config.yaml": "title: T\nbase_url: https://example.org/\ncoverage_min: 120\n"},
        ["config.yaml:3:15: error: 'coverage_min' must be between 0 and 100, not 120"],
    ),
    "config: unknown nav item": (
        {"config.yaml": "title: T\nbase_url: https://example.org/\nnav: [timline, about]\n"},
        ["config.yaml:3:7: error: nav item 'timline' is neither a section (timeline, actors, sources, disputes, "
         "search, corrections) nor a page (did you mean 'timeline'?)"],
    ),
    "config: unknown problem code": (
        {"config.yaml": "title: T\nbase_url: https://example.org/\nproblems: {entry-orphans: off}\n"},
        ["config.yaml:3:12: error: unknown problem code 'entry-orphans' (did you mean 'entry-orphan'?)"],
    ),
    "config: bad problem level": (
        {"config.yaml": "title: T\nbase_url: https://example.org/\nproblems: {entry-orphan: loud}\n"},
        ["config.yaml:3:26: error: problem level must be error, warning or off, not 'loud'"],
    ),
}


@pytest.mark.parametrize("files, expected", CASES.values(), ids=list(CASES))
def test_bad_input_gives_exact_messages(tmp_path: Path, files: dict[str, str | bytes],
                                        expected: list[str]) -> None:
    root = make_project(tmp_path, files)
    assert problems_of(root) == expected


def test_base_project_is_clean(tmp_path: Path) -> None:
    """The fixture every case bends must itself be free of problems, or the cases prove nothing."""
    assert problems_of(make_project(tmp_path)) == []


def test_missing_config(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"config.yaml": None})
    assert problems_of(root)[0] == (
        "config.yaml:1:1: error: no config.yaml in project: this is not an explainer project "
        "(run 'explainer init DIR' to start one, or pass --root)")


def test_every_reported_code_is_in_the_table(tmp_path: Path) -> None:
    """Problems.add refuses unknown codes with a KeyError; docs/reference/problems.md lists CODES."""
    with pytest.raises(KeyError):
        Problems().add("no-such-code", "x", 1, 1, "m")
    assert all(c.summary for c in CODES.values())


# --- YAML values that must not surprise ---------------------------------------------------------

def test_norway_stays_a_string_and_dates_stay_dates(tmp_path: Path) -> None:
    root = make_project(tmp_path, {
        NATO: "---\ntitle: NO\nkind: country\naliases: [NO, yes, off, On, ~x]\n---\n" + BODY,
        SUMMIT: "---\ntitle: Summit\ndate: 2023-07-11\nend_date: 2023-07\nactors: [nato]\n"
                "sources: [guardian-2023]\n---\n[[nato]] met.[@guardian-2023]\n",
        "content/pages/about.md": "---\ntitle: About\nnav: 1\nsummary: 2023-07-11\n---\nx\n",
    })
    problems = Problems()
    project = load_project(root, problems)
    assert [p.format() for p in problems.items] == []
    nato = project.entries["nato"]
    assert nato.meta["title"] == "NO"
    assert nato.meta["aliases"] == ["NO", "yes", "off", "On", "~x"]
    summit = project.entries["summit-2023"]
    assert summit.meta["date"] == PartialDate(2023, 7, 11)
    assert summit.meta["end_date"] == PartialDate(2023, 7) and summit.meta["end_date"].precision == "month"
    assert project.entries["about"].meta["summary"] == "2023-07-11"


@pytest.mark.parametrize("written, expected", [
    ("2023", PartialDate(2023)), ("'2023'", PartialDate(2023)), ("2023-07", PartialDate(2023, 7)),
    ("2024-02-29", PartialDate(2024, 2, 29)),
])
def test_partial_dates_keep_their_precision(tmp_path: Path, written: str, expected: PartialDate) -> None:
    root = make_project(tmp_path, event(EVENT_OK + f"date: {written}\n"))
    problems = Problems()
    project = load_project(root, problems)
    assert not problems.items
    assert project.entries["summit-2023"].meta["date"] == expected


def test_leap_day_in_a_common_year(tmp_path: Path) -> None:
    root = make_project(tmp_path, event(EVENT_OK + "date: 2023-02-29\n"))
    assert problems_of(root) == [
        f"{SUMMIT}:5:7: error: 'date' is not a real date: February 2023 has 28 days"]


def test_windows_line_endings_and_bom_keep_positions(tmp_path: Path) -> None:
    root = make_project(tmp_path, {
        ABOUT: "\ufeff---\r\ntitle: About\r\nnav: 1\r\ncolour: red\r\n---\r\nx\r\n"})
    assert problems_of(root) == [
        f"{ABOUT}:4:1: error: unknown key 'colour' for a page (known keys: title, summary, nav, corrections)"]


def test_all_problems_at_once_sorted_by_file_and_line(tmp_path: Path) -> None:
    root = make_project(tmp_path, {
        "content/pages/zeta.md": "---\ntitle: Z\nnav: 2\ncolour: red\n---\n",
        ABOUT: "---\ntitle: About\nnav: 1\nsize: 3\nshape: round\n---\n",
    })
    assert problems_of(root) == [
        f"{ABOUT}:4:1: error: unknown key 'size' for a page (known keys: title, summary, nav, corrections)",
        f"{ABOUT}:5:1: error: unknown key 'shape' for a page (known keys: title, summary, nav, corrections)",
        "content/pages/zeta.md:4:1: error: unknown key 'colour' for a page (known keys: title, summary, nav, corrections)",
    ]


# --- symlinks ------------------------------------------------------------------------------------

def test_symlink_out_of_content_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text("---\ntitle: Secret\n---\nsecret\n")
    root = make_project(tmp_path)
    os.symlink(secret, root / "content/pages/secret.md")
    assert problems_of(root) == [
        "content/pages/secret.md:1:1: error: symlink points outside content/ and is not read "
        "(copy the file into content/ instead)"]


def test_symlink_inside_content_is_read(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"content/pages/about.md": None,
                                   "content/pages/.drafts/about.md": "---\ntitle: About\nnav: 1\n---\nx\n"})
    os.symlink("../pages/.drafts/about.md", root / "content/pages/about.md")
    assert problems_of(root) == []


def test_broken_symlink(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    os.symlink("nowhere.md", root / "content/pages/gone.md")
    assert problems_of(root) == [
        "content/pages/gone.md:1:1: error: symlink is broken or loops (point it at a file in content/)"]


def test_looping_symlink(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    os.symlink("loop-b.md", root / "content/pages/loop-a.md")
    os.symlink("loop-a.md", root / "content/pages/loop-b.md")
    assert problems_of(root) == [
        "content/pages/loop-a.md:1:1: error: symlink is broken or loops (point it at a file in content/)",
        "content/pages/loop-b.md:1:1: error: symlink is broken or loops (point it at a file in content/)",
    ]


def test_symlinked_folder_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    root = make_project(tmp_path)
    os.symlink(outside, root / "content/extra")
    assert problems_of(root) == [
        "content/extra:1:1: error: symlinked folders in content/ are not followed "
        "(move the folder into content/ instead)"]


def test_bad_file_is_reported_once_not_again_where_it_is_referenced(tmp_path: Path) -> None:
    """nato.md is referenced by the event, the home page and a .md link: one message, at nato.md."""
    root = make_project(tmp_path, {
        NATO: "---\ntitle: NATO\nkind: [organisation\n---\n" + BODY,
        ABOUT: "---\ntitle: About\nnav: 1\n---\nSee [NATO](../actors/nato.md).\n",
    })
    assert problems_of(root) == [f"{NATO}:4:1: error: invalid YAML: did not find expected ',' or ']'"]


# --- inputs that once ended in a traceback (issue 15), through the real command ----------------------

HUGE = "1" * 5000
HOSTILE: dict[str, tuple[dict[str, str | bytes], list[str]]] = {
    "front matter: a 5000-digit number": (
        {ABOUT: f"---\ntitle: About\nnav: {HUGE}\n---\nHow this site is made.\n"},
        [f"{ABOUT}:3:6: error: a number may have at most 4300 digits, not 5000 (quote it if it is text)"],
    ),
    "front matter: a 5000-digit date": (
        event(f"title: Summit\ndate: -{HUGE}\nactors: [nato]\nsources: [guardian-2023]\n"),
        [f"{SUMMIT}:3:7: error: a number may have at most 4300 digits, not 5000 (quote it if it is text)"],
    ),
    "config: a 5000-digit number": (
        {"config.yaml": f"title: T\nbase_url: https://example.org/\ncoverage_min: {HUGE}\n"},
        ["config.yaml:3:15: error: a number may have at most 4300 digits, not 5000 (quote it if it is text)"],
    ),
    "config: a number too large for a float": (
        {"config.yaml": "title: 1e999\nbase_url: https://example.org/\n"},
        ["config.yaml:1:8: error: the number 1e999 is too large (quote it if it is text)"],
    ),
    "config: a list and a mapping as problem levels": (
        {"config.yaml": "title: T\nbase_url: https://example.org/\nproblems:\n  entry-orphan: [off, error]\n"
                        "  source-uncited: {level: off}\n  event-unsourced: 3\n"},
        ["config.yaml:4:17: error: problem level must be error, warning or off, not a list",
         "config.yaml:5:19: error: problem level must be error, warning or off, not a mapping",
         "config.yaml:6:20: error: problem level must be error, warning or off, not a number"],
    ),
    "front matter: NUL by a YAML escape": (
        actor('title: "NATO\\u0000"\nkind: organisation\n'),
        [f"{NATO}:2:8: error: text may not contain the control character U+0000 (remove the escape that writes it)"],
    ),
    "front matter: ESC in a list item": (
        actor('title: NATO\nkind: organisation\naliases: [OTAN, "\\e[31mred"]\n'),
        [f"{NATO}:4:17: error: text may not contain the control character U+001B "
         "(remove the escape that writes it)"],
    ),
    "front matter: a C1 control and a noncharacter": (
        event('title: "Summit\\x85"\ndate: 2023-07-11\nsummary: "\\uFFFE"\nactors: [nato]\n'
              "sources: [guardian-2023]\n"),
        [f"{SUMMIT}:2:8: error: text may not contain the control character U+0085 "
         "(remove the escape that writes it)"],
    ),
    "config: a control character in the description": (
        {"config.yaml": 'title: T\nbase_url: https://example.org/\ndescription: "a\\x07b"\n'},
        ["config.yaml:3:14: error: text may not contain the control character U+0007 "
         "(remove the escape that writes it)"],
    ),
    "config: a noncharacter in the title": (
        {"config.yaml": 'title: "T\\U0010FFFF"\nbase_url: https://example.org/\n'},
        ["config.yaml:1:8: error: text may not contain the noncharacter U+10FFFF (remove the escape that writes it)"],
    ),
    "front matter: a null key": (
        actor("title: NATO\nkind: organisation\nnull: x\n"),
        [f'{NATO}:4:1: error: a key must be text, not null (write a key name; to mean the word, quote it: "null":)'],
    ),
    "config: a ~ key": (
        {"config.yaml": "title: T\nbase_url: https://example.org/\n~: 1\n"},
        ['config.yaml:3:1: error: a key must be text, not null (write a key name; to mean the word, '
         'quote it: "null":)'],
    ),
    "config: a nav item twice": (
        {"config.yaml": "title: T\nbase_url: https://example.org/\nnav:\n  - timeline\n  - about\n"
                        "  - actors\n  - timeline\n  - about\n"},
        ["config.yaml:7:5: error: 'timeline' is listed twice in 'nav': first at line 4, column 5 "
         "(remove one of them)",
         "config.yaml:8:5: error: 'about' is listed twice in 'nav': first at line 5, column 5 (remove one of them)"],
    ),
}


@pytest.mark.parametrize("files, expected", HOSTILE.values(), ids=list(HOSTILE))
@pytest.mark.parametrize("command", ["check", "build"])
def test_inputs_that_crashed_give_positioned_messages(tmp_path: Path, files: dict[str, str | bytes],
                                                     expected: list[str], command: str) -> None:
    from conftest import run_cli

    root = make_project(tmp_path, files)
    done = run_cli(command, cwd=root)
    n = len(expected)
    tail = ["Build failed: the previous output was left as it was."] if command == "build" else []
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.splitlines() == [*expected, f"{n} error{'s' if n != 1 else ''}, 0 warnings", *tail]
    assert not (root / "site").exists()


NON_SCALAR = {  # key: (message for a list [1, 2], message for a mapping {a: 1}); line 3, after base_url
    "title": ("1:8: error: 'title' must be text, not a list", "1:8: error: 'title' must be text, not a mapping"),
    "description": ("3:14: error: 'description' must be text, not a list",
                    "3:14: error: 'description' must be text, not a mapping"),
    "language": ("3:11: error: 'language' must be text, not a list",
                 "3:11: error: 'language' must be text, not a mapping"),
    "author": ("3:9: error: 'author' must be text, not a list", "3:9: error: 'author' must be text, not a mapping"),
    "repository": ("3:13: error: 'repository' must be a URL, not a list",
                   "3:13: error: 'repository' must be a URL, not a mapping"),
    "languages": ("3:13: error: 'languages' items must be language codes, not a number (write them as [en, ja])",
                  "3:12: error: 'languages' must be a list of language codes, not a mapping "
                  "(write it as languages: [en, ja])"),
    "nav": ("3:7: error: 'nav' items must be text, not a number", "3:6: error: 'nav' must be a list, not a mapping"),
    "trust_html": ("3:13: error: 'trust_html' must be true or false, not a list",
                   "3:13: error: 'trust_html' must be true or false, not a mapping"),
    "git_dates": ("3:12: error: 'git_dates' must be true or false, not a list",
                  "3:12: error: 'git_dates' must be true or false, not a mapping"),
    "share_cards": ("3:14: error: 'share_cards' must be true or false, not a list",
                    "3:14: error: 'share_cards' must be true or false, not a mapping"),
    "coverage_min": ("3:15: error: 'coverage_min' must be a whole number, not a list",
                     "3:15: error: 'coverage_min' must be a whole number, not a mapping"),
    "problems": ("3:11: error: 'problems' must be a mapping of problem codes to error, warning or off",
                 "3:12: error: unknown problem code 'a'"),
    "base_url": ("2:11: error: 'base_url' must be a URL, not a list",
                 "2:11: error: 'base_url' must be a URL, not a mapping"),
    "bibliography": ("3:16: error: 'bibliography' items must be paths, not a number",
                     "3:15: error: 'bibliography' must be a path or a list of paths, not a mapping"),
    "citation_style": ("3:17: error: 'citation_style' must be text, not a list",
                       "3:17: error: 'citation_style' must be text, not a mapping"),
    "links": ("3:8: error: 'links' must be a mapping, not a list (write it as links: {timeout: …})",
              "3:9: error: unknown key 'a' in 'links' (known keys: timeout, recheck_after_days, retries, "
              "retry_wait_max, per_host, archive_api, save_api, save_interval)"),
}


def test_every_config_key_has_a_non_scalar_case() -> None:
    from explainer import schema

    assert sorted(NON_SCALAR) == sorted(f.name for f in schema.CONFIG.fields)


@pytest.mark.parametrize("key", list(NON_SCALAR))
@pytest.mark.parametrize("which, value", [(0, "[1, 2]"), (1, "{a: 1}")], ids=["list", "mapping"])
def test_non_scalar_in_every_config_key(tmp_path: Path, key: str, which: int, value: str) -> None:
    lines = {"title": "title: T", "base_url": "base_url: https://example.org/"}
    lines[key] = f"{key}: {value}"
    text = "\n".join([lines.pop("title"), lines.pop("base_url"), *lines.values()]) + "\n"
    root = make_project(tmp_path, {"config.yaml": text})
    found = problems_of(root)
    expected = "config.yaml:" + NON_SCALAR[key][which]
    assert found[:1] == [expected]
    if key == "nav" and which == 0:
        assert found == [expected, expected.replace("3:7:", "3:10:")]  # each item
    elif key == "bibliography" and which == 0:
        assert found == [expected, expected.replace("3:16:", "3:19:")]  # each item
    elif key == "languages" and which == 0:
        assert found == [expected, expected.replace("3:13:", "3:16:")]  # each item
    elif key not in ("title", "base_url"):
        assert found == [expected]


def test_control_characters_in_a_body_become_replacement_characters(tmp_path: Path) -> None:
    """Bodies are not YAML: a control character there shows as U+FFFD, as CommonMark does for NUL."""
    from conftest import run_cli

    root = make_project(tmp_path, {ABOUT: "---\ntitle: About\nnav: 1\n---\nA\x01B\x1bC\x7fD\x9fE\x00F\n"})
    assert problems_of(root) == []
    done = run_cli("build", cwd=root)
    assert done.returncode == 0, done.stderr
    page = (root / "site/about/index.html").read_text(encoding="utf-8")
    assert "A\ufffdB\ufffdC\ufffdD\ufffdE\ufffdF" in page
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", page)


_EDGES = [0, 8, 9, 10, 13, 31, 32, 126, 127, 159, 160, 0xD7FF, 0xE000, 0xFDCF, 0xFDD0, 0xFDEF, 0xFDF0,
          0xFFFD, 0xFFFE, 0xFFFF, 0x10000, 0x1FFFD, 0x1FFFE, 0x1FFFF, 0x20000, 0x10FFFE, 0x10FFFF]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_EDGES), st.integers(0, 0x10FFFF)), max_size=30))
def test_the_fast_forbidden_check_finds_what_the_full_class_finds(codes: list[int]) -> None:
    """`find_forbidden` and `replace_forbidden` (a short class when nothing is above U+FFFF)
    agree with `FORBIDDEN_CHARS` on any text, the noncharacters of every plane included."""
    from explainer.load.yamlsafe import FORBIDDEN_CHARS, find_forbidden, replace_forbidden

    text = "".join(map(chr, codes))
    found, expected = find_forbidden(text), FORBIDDEN_CHARS.search(text)
    assert (found.span() if found else None) == (expected.span() if expected else None)
    assert replace_forbidden(text) == FORBIDDEN_CHARS.sub("\ufffd", text)
