"""The documentation a newcomer follows (issue 31, point 5).

* every relative link and `#anchor` in README.md, docs/ and bench/README.md resolves (files
  exist; an anchor names a heading of its page, slugged as the code host does);
* the README stays a front door (at most 250 lines) and its screenshot is small;
* the docs describe the tool as it is: no "this session", "today" and the like;
* figures quoted from this repository's site (its counts of events, actors and sources,
  "Event N of M", a page footer's "N of M paragraphs cited · K sources", lines of
  `explainer check --report`) match a build.
"""

from __future__ import annotations

import json
import re
import shlex
from collections import Counter
from pathlib import Path

import pytest

from conftest import run_cli

REPO = Path(__file__).resolve().parent.parent
DOCS = sorted([REPO / "README.md", REPO / "bench" / "README.md", *(REPO / "docs").rglob("*.md")])

_FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.M | re.S)
_CODE_SPAN = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$", re.M)


def _prose(text: str) -> str:
    """The text without fenced code blocks and code spans (links there are examples)."""
    return _CODE_SPAN.sub("", _FENCE.sub("", text))


def slug(heading: str) -> str:
    """The anchor a code host gives a Markdown heading: lower case, punctuation dropped, spaces to '-'."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading: its text
    text = text.replace("`", "").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: Counter[str] = Counter()
    found = set()
    for _, title in _HEADING.findall(_FENCE.sub("", path.read_text(encoding="utf-8"))):
        base = slug(title)
        found.add(base if not seen[base] else f"{base}-{seen[base]}")
        seen[base] += 1
    return found


def links(path: Path) -> list[str]:
    return _LINK.findall(_prose(path.read_text(encoding="utf-8")))


def test_slug_matches_the_code_hosts_anchors() -> None:
    assert slug("What `--out` accepts") == "what---out-accepts"
    assert slug("Reader features: previews, search, the story's pictures") == \
        "reader-features-previews-search-the-storys-pictures"
    assert slug("config.yaml") == "configyaml"


def test_the_docs_exist_and_link_each_other() -> None:
    names = {p.relative_to(REPO).as_posix() for p in DOCS}
    for required in ["docs/README.md", "docs/guide/writing.md", "docs/guide/config.md", "docs/guide/commands.md",
                     "docs/guide/publishing.md", "docs/guide/bibliographies.md", "docs/guide/dev-server.md",
                     "docs/reference/problems.md", "docs/reference/schemas.md", "docs/reference/outputs.md",
                     "docs/architecture.md", "bench/README.md"]:
        assert required in names, required
    # every page of docs/ is reachable from the docs index
    index_targets = {(REPO / "docs" / t.split("#")[0]).resolve() for t in links(REPO / "docs" / "README.md")}
    for page in (REPO / "docs").rglob("*.md"):
        if page.name != "README.md":
            assert page.resolve() in index_targets, f"docs/README.md does not link {page.relative_to(REPO)}"


@pytest.mark.parametrize("page", DOCS, ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_relative_link_and_anchor_resolves(page: Path) -> None:
    broken = []
    for target in links(page):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto: — not checked here
            continue
        file_part, _, anchor = target.partition("#")
        dest = (page.parent / file_part).resolve() if file_part else page
        if not dest.exists():
            broken.append(f"{target}: no such file")
            continue
        if not dest.is_relative_to(REPO):
            broken.append(f"{target}: outside the repository")
        if anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            broken.append(f"{target}: no heading '#{anchor}' in {dest.relative_to(REPO)}")
    assert not broken, f"{page.relative_to(REPO)}: " + "; ".join(broken)


def test_the_readme_is_a_front_door() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 250
    # the two quick-start commands, exactly as CI and a newcomer run them
    assert "python3 -m venv .venv && .venv/bin/pip install -q -e . && .venv/bin/explainer build --strict" in readme
    assert "\nbash scripts/test.sh\n" in readme
    assert "bash scripts/test.sh" in (REPO / ".ci" / "run").read_text(encoding="utf-8")
    # the author's path, in order
    path = readme.index("## Your own explainer in ten minutes")
    steps = [readme.index(s, path) for s in ("explainer init", "explainer new", "explainer serve", "Settings → Pages")]
    assert steps == sorted(steps)
    images = [t for t in links(REPO / "README.md") if t.endswith((".png", ".jpg"))]
    assert images, "the README shows the site"
    for image in images:
        assert (REPO / image).stat().st_size < 150_000, image


def test_the_readmes_ten_minute_path_works(tmp_path: Path) -> None:
    """Follow the README's own path word for word: init, new, fill in, link, build --strict."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    path = readme[readme.index("## Your own explainer in ten minutes"):readme.index("## When something is wrong")]
    blocks = re.findall(r"^```(\w*)\n(.*?)^```", path, re.M | re.S)
    commands = [line.split("  #")[0].strip() for lang, text in blocks if lang == "sh" for line in text.splitlines()]
    init = next(c for c in commands if c.startswith("explainer init "))
    news = [c for c in commands if c.startswith("explainer new ")]
    assert len(news) == 3
    assert run_cli(*shlex.split(init)[1:], cwd=tmp_path).returncode == 0
    project = tmp_path / shlex.split(init)[-1]
    for command in news:
        done = run_cli(*shlex.split(command)[1:], cwd=project)
        assert done.returncode == 0, (command, done.stderr)
        assert "placeholder" not in done.stdout, command  # the README's commands leave none
    event_body, home_line = [text for lang, text in blocks if lang == "markdown"]
    event_id = shlex.split(next(c for c in news if c.startswith("explainer new event ")))[3]
    (project / "content/events" / f"{event_id}.md").write_text(event_body, encoding="utf-8")
    with open(project / "content/index.md", "a", encoding="utf-8") as home:
        home.write("\n" + home_line)
    built = run_cli("build", "--strict", cwd=project)
    assert (built.returncode, built.stderr) == (0, "")
    page = (project / "site/events" / event_id / "index.html").read_text(encoding="utf-8")
    assert "turning point" in page and "mayor-anna-berg" in page


_HISTORY = re.compile(r"\b(this session|the session before|previous session|today|this round|"
                      r"earlier runs?|previous round)\b", re.I)


@pytest.mark.parametrize("page", DOCS, ids=lambda p: p.relative_to(REPO).as_posix())
def test_docs_describe_the_tool_as_it_is(page: Path) -> None:
    found = [m.group(0) for m in _HISTORY.finditer(page.read_text(encoding="utf-8"))]
    assert not found, f"{page.relative_to(REPO)} speaks of its own history: {found}"


def test_figures_quoted_from_this_site_match_a_build(tmp_path: Path) -> None:
    out = tmp_path / "site"
    done = run_cli("build", "--root", str(REPO), "--out", str(out), "--no-cache")
    assert done.returncode == 0, done.stderr
    entries = json.loads((out / "data.json").read_text(encoding="utf-8"))["entries"]
    counts = Counter(e["kind"] for e in entries)
    pages = "\n".join(p.read_text(encoding="utf-8") for p in out.rglob("*.html"))
    report = run_cli("check", "--report", "--root", str(REPO))
    assert report.returncode == 0, report.stderr
    report_lines = {re.sub(r"\s+", " ", line).strip() for line in report.stdout.splitlines()}
    quoted = 0
    for page in DOCS:
        if page.is_relative_to(REPO / "bench"):
            continue  # generated corpora, not this site
        text = re.sub(r"\s+", " ", page.read_text(encoding="utf-8"))
        name = page.relative_to(REPO).as_posix()
        for events, actors, sources in re.findall(r"(\d+) events, (\d+) actors and (\d+) sources", text):
            site = (counts["event"], counts["actor"], counts["source"])
            assert (int(events), int(actors), int(sources)) == site, name
            quoted += 1
        for figure in re.findall(r"Event \d+ of \d+|\d+ of \d+ paragraphs cited · \d+ sources?", text):
            assert figure in pages, f"{name} quotes '{figure}', which no page of a build shows"
            quoted += 1
        for line in re.findall(r"^(?:content/\S+\.md +\d+ +\d+ +\d+ +\d+|Total, .*claims cited.*)$",
                               page.read_text(encoding="utf-8"), re.M):
            assert re.sub(r"\s+", " ", line).strip() in report_lines, f"{name} quotes '{line}' from check --report"
            quoted += 1
    assert quoted >= 5  # the README's counts, the writing guide's footer and report lines
