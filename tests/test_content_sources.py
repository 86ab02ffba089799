"""This repository's site names the publisher who said it first, not only the copy that was read.

Many sources of the NATO Tokyo explainer were read in a syndicated or aggregated copy (a
Reuters report on Devdiscourse, a Nikkei story reproduced by Azernews). A reader trusts, and a
fact-checker looks for, the original: so wherever a page shows a reference to a source, a
known aggregator's name may appear only inside "(via …)" after the original publisher —
"Reuters (via Devdiscourse)", never "Devdiscourse" alone. These tests build the repository's
site, check every reference on every page, prove the check fails on a planted copy, and keep
`explainer check --strict --report` clean at 100 % coverage.
"""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import run_cli
from explainer.build import build
from explainer.load import split_front_matter
from explainer.load.yamlsafe import load_yaml

REPO = Path(__file__).resolve().parent.parent

# Publishers that republish other outlets' reports (aggregators, syndication sites, copies).
AGGREGATORS: tuple[str, ...] = (
    "bdnews24", "Azernews", "Devdiscourse", "News.az", "M5 Dergi", "UrduPoint", "Asia Financial",
    "HKCrunch", "Antiwar", "Observador", "generationt", "News On Japan", "exbulletin", "afrinesiatv",
    "usmuslims", "inkl", "KVIA", "Japan Today", "Espreso", "einnews", "Pakistan Point", "Didgah", "mna.net.cn",
    "Caliber.az", "Lincoln Daily News",
)
AGGREGATOR = re.compile(r"(?<![\w.])(" + "|".join(re.escape(a) for a in AGGREGATORS) + r")(?![\w])", re.IGNORECASE)
VIA = re.compile(r"\(via ([^()]*)\)|（([^（）]*)経由）")
"""The copy after the original publisher, in the English and the Japanese interface's words."""


class References(HTMLParser):
    """The visible text of every element with class "reference", its title left out: the <cite>
    of a headline, or the span of a described title (`untitled: true`)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._depth = 0       # nesting depth inside the current reference, 0 outside
        self._title_at = 0   # the depth of the title element being read, 0 outside it
        self._parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if self._depth:
            self._depth += 1
            if not self._title_at and (tag == "cite" or "described" in classes):
                self._title_at = self._depth
        elif "reference" in classes:
            self._depth, self._parts = 1, []

    def handle_endtag(self, tag: str) -> None:
        if not self._depth:
            return
        if self._title_at == self._depth:
            self._title_at = 0
        self._depth -= 1
        if not self._depth:
            self.found.append(re.sub(r"\s+", " ", "".join(self._parts)).strip())

    def handle_data(self, data: str) -> None:
        if self._depth and not self._title_at:
            self._parts.append(data)


def references(html: str) -> list[str]:
    parser = References()
    parser.feed(html)
    parser.close()
    return parser.found


def copy_without_original(reference: str) -> str | None:
    """Why this reference credits an aggregator without the original publisher, or None if it is fine."""
    vias = [m.span() for m in VIA.finditer(reference)]
    for match in AGGREGATOR.finditer(reference):
        inside = next((span for span in vias if span[0] <= match.start() < span[1]), None)
        if inside is None:
            return f"{match.group(0)!r} is named as the publisher"
        before = reference[:inside[0]].rstrip(" .,")
        if not re.search(r"\w", before):
            return f"{match.group(0)!r} is named with no original publisher before it"
    return None


PUBLISHED_BY = re.compile(r"<dt>Published by</dt><dd>(.*?)</dd>", re.S)
"""A source page's key facts name its publisher (the styled reference shows only with a citation style)."""


def publishers(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", m).strip() for m in PUBLISHED_BY.findall(html)]


def site_problems(site: Path) -> tuple[dict[str, list[str]], int, int]:
    """Problems by page, the number of references looked at and how many of them name a copy."""
    problems: dict[str, list[str]] = {}
    seen = vias = 0
    for page in sorted(site.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        for reference in references(text) + publishers(text):
            seen += 1
            vias += bool(VIA.search(reference))
            why = copy_without_original(reference)
            if why:
                problems.setdefault(page.relative_to(site).as_posix(), []).append(f"{why}: {reference}")
    return problems, seen, vias


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sources") / "site"
    result = build(REPO, out)
    assert result.ok, "\n".join(p.format() for p in result.problems.items)
    return out


def test_every_reference_names_the_original_before_any_copy(site_dir: Path) -> None:
    problems, seen, vias = site_problems(site_dir)
    assert seen >= 400, f"only {seen} references found: did the reference markup change?"
    assert vias >= 20, f"only {vias} references name a copy with (via …)"
    report = "\n".join(f"{page}: {hit}" for page, hits in problems.items() for hit in hits[:3])
    assert not problems, "references that credit an aggregator instead of the original:\n" + report


@pytest.mark.parametrize(("reference", "fine"), [
    ("Reuters (via Devdiscourse), 12 July 2023. Accessed November 2026.", True),
    ("Nikkei Asia (via Azernews), 10 July 2023.", True),
    ("Devdiscourse, 12 July 2023.", False),
    ("(via Devdiscourse), 12 July 2023.", False),
    ("Devdiscourse (via Reuters), 12 July 2023.", False),
    ("Reuters（Devdiscourse経由）, 2023年7月12日.", True),
    ("Devdiscourse（Reuters経由）, 2023年7月12日.", False),
    ("The Guardian, date not shown.", True),
])
def test_the_rule_on_single_references(reference: str, fine: bool) -> None:
    assert (copy_without_original(reference) is None) is fine


def test_a_planted_copy_in_a_copy_of_the_project_fails(tmp_path: Path) -> None:
    root = tmp_path / "project"
    shutil.copytree(REPO / "content", root / "content")
    shutil.copy(REPO / "config.yaml", root / "config.yaml")
    source = root / "content" / "sources" / "guardian-2023-nato-shelves-tokyo-office.md"
    text = source.read_text(encoding="utf-8")
    planted, count = re.subn(r"(?m)^publisher:.*$", 'publisher: "Devdiscourse"', text, count=1)
    assert count == 1
    source.write_text(re.sub(r"(?m)^via:.*\n", "", planted), encoding="utf-8")
    result = build(root, tmp_path / "site")
    assert result.ok, "\n".join(p.format() for p in result.problems.items)
    problems, _, _ = site_problems(tmp_path / "site")
    assert "sources/guardian-2023-nato-shelves-tokyo-office/index.html" in problems
    assert "index.html" in problems  # the home page cites it too


def test_check_strict_report_is_clean_at_full_coverage() -> None:
    result = run_cli("check", "--strict", "--report", "--root", str(REPO))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert re.search(r"Total, all entries: (\d+) of \1 claims cited \(100\.0 %\)", output), output


def test_no_source_title_is_in_square_brackets() -> None:
    """A source whose own headline is not known says so with `untitled: true` and a plain
    description as its title: a bracketed title reads as a placeholder, so none may return."""
    bracketed, untitled = [], 0
    for path in sorted((REPO / "content" / "sources").glob("*.md")):
        parts = split_front_matter(path.read_text(encoding="utf-8"))
        assert isinstance(parts, tuple), path
        front = load_yaml(parts[0]).data
        title = str(front["title"]).strip()
        if title.startswith("["):
            bracketed.append(f"{path.name}: {title}")
        untitled += front.get("untitled") is True
    assert not bracketed, "titles in square brackets (use untitled: true and a plain description):\n" + \
        "\n".join(bracketed)
    assert untitled >= 1  # the key is in use, so the check above reads the files it should
