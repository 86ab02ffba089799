"""The repository's own site speaks to its readers, not about how it was made.

A reader does not know what a "stored" source or a "seed" article is and should never
need to. These tests build this repository's explainer and fail when the visible text of
any reader-facing HTML page contains one of the process words kept in PROCESS_TERMS
(whole words, case-insensitive; URLs, attributes, scripts and styles are not looked at).
They also prove that the check can fail, on planted strings and on a planted sentence in
a copy of the project, and that `explainer check --strict --report` stays clean with
every claim cited.
"""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import run_cli
from explainer.build import build

REPO = Path(__file__).resolve().parent.parent

# Words and phrases that describe how the site was researched, stored or fetched.
# Whole words only: "stored" is caught, "restored" is not; "excerpt" is caught, the
# title "Communiqué Excerpts" is not.
PROCESS_TERMS: tuple[str, ...] = (
    "stored",
    "seed",
    "seeds",
    "fact sheet",
    "research pass",
    "research notes",
    "could not be read",
    "was not read",
    "not read directly",
    "read for this site",
    "read from a",
    "excerpt",
    "fetched",
    "scraped",
    "crawled",
    "headline not shown",
    "stored copy",
    "search pass",
)

PATTERN = re.compile(r"\b(" + "|".join(re.escape(t).replace(r"\ ", r"\s+") for t in PROCESS_TERMS) + r")\b",
                     re.IGNORECASE)


class VisibleText(HTMLParser):
    """Collects the text a reader sees: character data outside script, style and template."""

    HIDDEN = {"script", "style", "template", "noscript"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    parser.close()
    return " ".join(parser.parts)


def process_words(html: str) -> list[str]:
    """Every process term found in the visible text of one HTML document, with context."""
    text = re.sub(r"\s+", " ", visible_text(html))
    found = []
    for match in PATTERN.finditer(text):
        start, end = max(0, match.start() - 50), min(len(text), match.end() + 50)
        found.append(f"{match.group(0)!r} in …{text[start:end]}…")
    return found


def site_problems(site: Path) -> dict[str, list[str]]:
    problems = {}
    for page in sorted(site.rglob("*.html")):
        hits = process_words(page.read_text(encoding="utf-8"))
        if hits:
            problems[page.relative_to(site).as_posix()] = hits
    return problems


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's explainer, built once for this module."""
    out = tmp_path_factory.mktemp("voice") / "site"
    result = build(REPO, out)
    assert result.ok, "\n".join(p.format() for p in result.problems.items)
    return out


def test_no_reader_facing_page_talks_about_the_research_process(site_dir: Path) -> None:
    pages = list(site_dir.rglob("*.html"))
    assert len(pages) >= 100, f"only {len(pages)} pages built"
    problems = site_problems(site_dir)
    report = "\n".join(f"{page}: {hit}" for page, hits in problems.items() for hit in hits)
    assert not problems, "process words on reader-facing pages:\n" + report


@pytest.mark.parametrize("term", PROCESS_TERMS)
def test_each_term_is_caught_in_visible_text(term: str) -> None:
    planted = f"<html><body><main><p>This fact comes from a {term.upper()} text.</p></main></body></html>"
    assert process_words(planted), f"{term!r} was not caught"


@pytest.mark.parametrize("html", [
    '<p><a href="https://example.org/stored/seed-excerpt">The report</a></p>',
    '<p title="stored excerpt" data-x="seed">A plain sentence.</p>',
    "<script>const stored = 'seed';</script><style>.excerpt {}</style><p>Fine.</p>",
    "<p>Restored relations; the seedling; Vilnius Summit Communiqué Excerpts.</p>",
])
def test_urls_attributes_scripts_and_longer_words_are_not_caught(html: str) -> None:
    assert process_words(html) == []


def test_a_planted_sentence_in_a_copy_of_the_project_fails_the_check(tmp_path: Path) -> None:
    root = tmp_path / "project"
    shutil.copytree(REPO / "content", root / "content")
    shutil.copy(REPO / "config.yaml", root / "config.yaml")
    index = root / "content" / "index.md"
    text = index.read_text(encoding="utf-8")
    index.write_text(text.rstrip("\n") + "\n\nThis rests on a stored excerpt of the seed article."
                     "[@guardian-2023-nato-shelves-tokyo-office]\n", encoding="utf-8")
    out = tmp_path / "site"
    result = build(root, out)
    assert result.ok, "\n".join(p.format() for p in result.problems.items)
    problems = site_problems(out)
    assert "index.html" in problems
    assert {hit.split(" ", 1)[0].strip("'").lower() for hit in problems["index.html"]} >= {"stored", "excerpt", "seed"}


def test_check_strict_report_is_clean_and_every_claim_is_cited() -> None:
    result = run_cli("check", "--strict", "--report", "--root", str(REPO))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert re.search(r"Total, events and actors: (\d+) of \1 claims cited \(100\.0 %\)", output), output
    assert re.search(r"Total, all entries: (\d+) of \1 claims cited \(100\.0 %\)", output), output
    assert "no problems" in output, output
