"""Citation coverage (issue 11): what counts as a claim, the report, coverage_min, page and data.json.

A claim is a paragraph or a list item's paragraph in a body. Headings, block quotations,
footnotes, lists made only of links and the Sources list are not claims.
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import make_project, problems_of, run_cli
from explainer.build import build, check
from explainer.resolve.coverage import coverage_of, site_coverage

NATO = "content/actors/nato.md"
ACTOR_BODY = (
    "NATO is a military alliance.[@guardian-2023]\n"   # 5: claim, cited
    "\n"
    "## A heading is not a claim\n"                      # 7
    "\n"
    "An uncited paragraph.\n"                            # 9: claim
    "\n"
    "> A quotation is not a claim.\n"                    # 11
    "\n"
    "- A listed claim.[@guardian-2023]\n"                # 13: claim, cited
    "- A listed claim, uncited.\n"                       # 14: claim
    "\n"
    "* [[summit-2023]]\n"                                # 16: a list of links: navigation
    "* [[summit-2023|the summit]], [[about]]\n"          # 17
    "\n"
    "Text with an aside.[^a]\n"                          # 19: claim
    "\n"
    "[^a]: An aside is not a claim.\n"                   # 21
)


def project(tmp_path: Path, config: str = "") -> Path:
    return make_project(tmp_path, {
        "config.yaml": "title: Test explainer\nbase_url: https://example.org/\n" + config,
        NATO: "---\ntitle: NATO\nkind: organisation\n---\n" + ACTOR_BODY,
    })


UNCITED = [f"{NATO}:{n}:1: warning: paragraph has no citation (add [@source-id] after the claim it supports)"
           for n in (9, 14, 19)]


def test_counts_on_a_fixture_with_known_claims(tmp_path: Path) -> None:
    root = project(tmp_path)
    problems, site = check(root)
    assert [p.format() for p in problems.items] == UNCITED
    rows = {r.path: r for r in coverage_of(site)}
    nato = rows[NATO]
    assert (nato.claims, nato.cited, nato.sources) == (5, 2, 1)
    assert nato.percent == 40.0
    assert (rows["content/events/summit-2023.md"].claims, rows["content/events/summit-2023.md"].cited) == (1, 1)
    assert (rows["content/pages/about.md"].claims, rows["content/pages/about.md"].cited) == (1, 0)
    assert "content/sources/guardian-2023.md" not in rows  # a source describes itself
    # weakest first
    assert [r.path for r in coverage_of(site)][:2] == ["content/pages/about.md", NATO]
    assert site_coverage(site) == {
        "events_actors": {"claims": 6, "cited": 3, "percent": 50.0},
        "all": {"claims": 8, "cited": 4, "percent": 50.0},
        "entries": 4, "sources_cited": 1, "disputes": 0,
    }


def test_dispute_positions_count_as_claims(tmp_path: Path) -> None:
    root = make_project(tmp_path, {NATO: (
        "---\ntitle: NATO\nkind: organisation\n---\n"
        "::: dispute Q?\n- One.[@guardian-2023]\n- Two.[@guardian-2023]\n:::\n")})
    _, site = check(root)
    row = next(r for r in coverage_of(site) if r.path == NATO)
    assert (row.claims, row.cited) == (2, 2)


def test_report_prints_per_entry_and_totals(tmp_path: Path) -> None:
    result = run_cli("check", "--report", "--format", "text", cwd=project(tmp_path))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Citation coverage (claims = paragraphs and list items; weakest first):"
    assert lines[2].split() == ["content/pages/about.md", "0", "1", "0", "0"]
    assert lines[3].split() == [NATO, "2", "5", "40", "1"]
    assert "Total, events and actors: 3 of 6 claims cited (50.0 %)" in lines
    assert "Total, all entries: 4 of 8 claims cited (50.0 %)" in lines
    assert "Disputes: 0" in lines


def test_coverage_min_warns_and_strict_fails(tmp_path: Path) -> None:
    root = project(tmp_path, "coverage_min: 50\n")
    low = (f"{NATO}:1:1: warning: 2 of 5 claims cited (40 %), below coverage_min 50 % "
           "(cite a source after each uncited paragraph)")
    assert problems_of(root) == [low, *UNCITED,
        "content/pages/about.md:1:1: warning: 0 of 1 claims cited (0 %), below coverage_min 50 % "
        "(cite a source after each uncited paragraph)"]
    assert run_cli("check", "--format", "text", cwd=root).returncode == 0
    assert run_cli("check", "--strict", "--format", "text", cwd=root).returncode == 1


def test_problems_config_changes_severity(tmp_path: Path) -> None:
    root = project(tmp_path, "problems: {uncited-paragraph: error, entry-orphan: off}\n")
    assert problems_of(root) == [u.replace("warning:", "error:") for u in UNCITED]
    assert run_cli("check", "--format", "text", cwd=root).returncode == 1
    root_off = project(tmp_path / "b", "problems:\n  uncited-paragraph: off\n")
    assert problems_of(root_off) == []


def test_problems_config_rejects_unknown_codes_and_levels(tmp_path: Path) -> None:
    root = project(tmp_path, "problems:\n  uncited-paragraf: error\n  entry-orphan: loud\n")
    assert problems_of(root)[:2] == [
        "config.yaml:4:3: error: unknown problem code 'uncited-paragraf' (did you mean 'uncited-paragraph'?)",
        "config.yaml:5:17: error: problem level must be error, warning or off, not 'loud'",
    ]


def test_footer_and_data_json_carry_the_figures(tmp_path: Path) -> None:
    root = project(tmp_path, "problems: {uncited-paragraph: off}\n")
    out = tmp_path / "out"
    assert build(root, out=out).ok
    page = (out / "actors" / "nato" / "index.html").read_text()
    assert "2 of 5 paragraphs cited · 1 source." in page
    data = json.loads((out / "data.json").read_text())
    nato = next(e for e in data["entries"] if e["id"] == "nato")
    assert nato["coverage"] == {"claims": 5, "cited": 2, "sources": 1}
    assert "coverage" not in next(e for e in data["entries"] if e["id"] == "guardian-2023")
    assert data["coverage"]["events_actors"] == {"claims": 6, "cited": 3, "percent": 50.0}
    # the method page (any page) and /disputes/ show the site-wide figures
    about = (out / "about" / "index.html").read_text()
    assert "3 of 6 paragraphs and list items in actor and event entries cite a source (50.0 %)" in about
    assert '<a href="../disputes/">0 points on which sources disagree</a>' in about
    disputes = (out / "disputes" / "index.html").read_text()
    assert "4 of 8 across all entries (50.0 %)" in disputes


def test_source_with_url_but_no_accessed_or_archive(tmp_path: Path) -> None:
    src = "content/sources/guardian-2023.md"
    root = make_project(tmp_path, {src: (
        "---\ntitle: Summit report\npublisher: The Guardian\nurl: https://example.com/report\n---\n")})
    assert problems_of(root) == [
        f"{src}:4:1: warning: source has a url but neither 'accessed' nor 'archive_url' "
        "(add accessed: YYYY-MM-DD (when you read it) or an archive_url)"]
    archived = make_project(tmp_path / "b", {src: (
        "---\ntitle: Summit report\npublisher: The Guardian\nurl: https://example.com/report\n"
        "archive_url: https://web.archive.org/web/2023/https://example.com/report\n---\n")})
    assert problems_of(archived) == []
    out = tmp_path / "out"
    assert build(archived, out=out).ok
    page = (out / "sources" / "guardian-2023" / "index.html").read_text()
    assert '<a href="https://web.archive.org/web/2023/https://example.com/report">Archived copy</a>' in page
