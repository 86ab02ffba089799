"""Reader features (issue 10): link and citation previews, search, relationship map, timeline.

A small project is built once; the browser checks run in Debian Chromium over HTTP (the
search index is fetched, which `file://` does not allow). Screenshots of the map and the
timeline at 375 and 1280 px go to `test-artifacts/` for a human to look at.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from conftest import make_project
from explainer.build import build
from tools import format_axe_violations, internal_link_problems, run_axe, serve_directory

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
SCRIPT = REPO / "src" / "explainer" / "layouts" / "assets" / "explainer.js"
SEARCH_SCRIPT = SCRIPT.with_name("search.js")

FILES = {
    "content/index.md": (
        "---\ntitle: Home\n---\n"
        "[[nato]] met at [[summit-2023]].[@guardian-2023, para. 6] [[japan]] held "
        "[[talks-2023|talks]] first.[@guardian-2023]\n"
    ),
    "content/actors/japan.md": (
        "---\ntitle: Japan\nkind: country\nsummary: An island country in East Asia.\n---\n"
        "Japan works with [[nato]].[@guardian-2023]\n"
    ),
    "content/events/talks-2023.md": (
        "---\ntitle: Office talks\ndate: 2023-05\ndate_precision: month\nactors: [nato, japan]\n"
        "sources: [guardian-2023]\nsummary: Officials discussed a liaison office.\n---\n"
        "Diplomats met near Kasumigaseki to discuss the office.[@guardian-2023]\n"
    ),
    "content/events/summit-2023.md": (
        "---\ntitle: Summit\ndate: 2023-07-11\nactors: [nato]\nsources: [guardian-2023]\n"
        "summary: Leaders met in Vilnius.\n---\n"
        "[[nato]] met in Vilnius.[@guardian-2023]\n"
    ),
}
EVENTS = {"events/summit-2023/", "events/talks-2023/"}
ACTORS = {"actors/nato/", "actors/japan/"}
PAGES = ["", "timeline/", "actors/", "actors/nato/", "actors/japan/", "events/talks-2023/",
         "events/summit-2023/", "sources/guardian-2023/", "sources/", "disputes/", "about/",
         "search/", "404.html"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_project(tmp_path_factory.mktemp("reader"), FILES)
    out = root / "site"
    result = build(root, out)
    assert result.ok, "\n".join(p.format() for p in result.problems.items)
    return out


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    with serve_directory(site) as base:
        yield base


@pytest.fixture()
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.on("response", lambda r: errors.append(f"{r.status} {r.url}")
           if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    yield tab
    context.close()
    assert not errors, errors


def svgs(html: str) -> list[str]:
    return re.findall(r"<svg\b.*?</svg>", html, re.S)


def svg_links(svg: str) -> list[str]:
    return re.findall(r'<a href="([^"]*)"', svg)


def read(site: Path, url: str) -> str:
    return (site / (url + "index.html" if url.endswith("/") or not url else url)).read_text(encoding="utf-8")


# --- build-time output --------------------------------------------------------------------

def test_script_stays_small() -> None:
    assert SCRIPT.stat().st_size < 8 * 1024
    assert SEARCH_SCRIPT.stat().st_size < 10 * 1024  # loaded by /search/ only


def test_svgs_are_byte_identical_across_builds(tmp_path: Path, site: Path) -> None:
    root = make_project(tmp_path, FILES)
    other = tmp_path / "again"
    assert build(root, other).ok
    for url in ("", "timeline/", "actors/nato/", "actors/japan/"):
        first, second = svgs(read(site, url)), svgs(read(other, url))
        assert first and first == second, url
    assert (site / "search" / "manifest.json").read_bytes() == (other / "search" / "manifest.json").read_bytes()


def test_every_node_and_point_is_a_link_that_resolves(site: Path) -> None:
    timeline, story_map = svgs(read(site, ""))
    assert set(svg_links(timeline)) == EVENTS
    assert len(svg_links(timeline)) == 2
    assert set(svg_links(story_map)) == EVENTS | ACTORS
    assert svg_links(svgs(read(site, "timeline/"))[0]) == ["../events/talks-2023/", "../events/summit-2023/"]
    japan = svgs(read(site, "actors/japan/"))[0]  # its neighbourhood: its one event and NATO
    assert set(svg_links(japan)) == {"../../events/talks-2023/", "../../actors/japan/", "../../actors/nato/"}
    for svg in (timeline, story_map, japan):
        assert svg.count("<a ") == svg.count("<title>")
    problems = internal_link_problems(site, base_url="https://example.org/")
    assert not problems, "\n".join(problems)


def test_month_precision_event_spans_its_month(site: Path) -> None:
    timeline = svgs(read(site, "timeline/"))[0]
    talks = re.search(r'<a href="../events/talks-2023/".*?</a>', timeline, re.S)[0]  # type: ignore[index]
    rect = re.search(r'<rect class="tl-mark tl-month" x="[\d.]+" y="([\d.]+)" width="10" height="([\d.]+)"', talks)
    assert rect, talks
    ticks = [float(y) for y in re.findall(r'<line class="tl-tick tl-month" x1="[\d.]+" y1="([\d.]+)"', timeline)]
    may, june = ticks[3], ticks[4]  # month ticks start at February
    assert float(rect[1]) == pytest.approx(may, abs=0.1)
    assert float(rect[1]) + float(rect[2]) == pytest.approx(june, abs=0.1)
    summit = re.search(r'<a href="../events/summit-2023/".*?</a>', timeline, re.S)[0]  # type: ignore[index]
    assert '<circle class="tl-mark tl-day"' in summit and "11 July 2023" in summit


def test_map_lists_the_same_information(site: Path) -> None:
    html = read(site, "")
    listed = html.split('<div class="map-list">')[1].split("</div>")[0]
    assert re.findall(r'<a href="([^"]*)"', listed) == [
        "events/talks-2023/", "actors/nato/", "actors/japan/", "events/summit-2023/", "actors/nato/"]


def test_cross_links_carry_preview_data(site: Path) -> None:
    html = read(site, "")
    assert ('<a href="events/talks-2023/" class="xref xref-event" data-kind="event" data-title="Office talks" '
            'data-summary="Officials discussed a liaison office." data-date="May 2023">talks</a>') in html


# --- in the browser -----------------------------------------------------------------------

def preview(page: Page) -> str | None:
    box = page.locator(".x-preview")
    if not (box.count() and box.is_visible()):
        return None
    return "\n".join(line for line in box.inner_text().split("\n") if line.strip())


def test_preview_on_hover_and_gone_on_escape(page: Page, served: str) -> None:
    page.goto(served)
    before = page.locator("main").bounding_box()
    page.locator("main a.xref", has_text="talks").hover()
    page.wait_for_selector(".x-preview", state="visible")
    assert preview(page) == "EVENT\nOffice talks\nMay 2023\nOfficials discussed a liaison office."
    assert page.locator("main").bounding_box() == before  # nothing shifts
    page.keyboard.press("Escape")
    assert preview(page) is None


def test_citation_preview_on_keyboard_focus(page: Page, served: str) -> None:
    page.goto(served)
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('sup.cite') !== null"):
            break
    else:
        pytest.fail("no citation marker reached with the Tab key")
    text = preview(page)
    assert text is not None
    assert "Summit report" in text and "The Guardian" in text and "Cited at: para. 6" in text
    page.keyboard.press("Escape")
    assert preview(page) is None
    page.keyboard.press("Tab")  # moving on to a cross-link previews it instead
    assert preview(page) == "ACTOR\nJapan\nAn island country in East Asia."


def test_tap_opens_preview_before_following(browser: Browser, served: str) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 800}, has_touch=True, is_mobile=True)
    tab = context.new_page()
    tab.goto(served)
    link = tab.locator("main a.xref", has_text="Japan").first
    link.tap()
    tab.wait_for_selector(".x-preview", state="visible")
    assert tab.url == served and "An island country" in (preview(tab) or "")
    link.tap()
    tab.wait_for_url(served + "actors/japan/")
    context.close()


def test_search_finds_a_word_from_one_entry(page: Page, served: str) -> None:
    page.goto(served + "about/")
    page.fill("#site-search", "kasumigaseki")
    page.press("#site-search", "Enter")
    page.wait_for_selector(".search-results li")
    assert page.url == served + "search/?q=kasumigaseki"
    results = page.locator(".search-results li")
    assert results.count() == 1
    assert results.locator("p").all_inner_texts() == [
        "Office talks", "event · May 2023", "Officials discussed a liaison office.",
        "Diplomats met near Kasumigaseki to discuss the office."]
    assert results.locator("mark").inner_text() == "Kasumigaseki"
    results.locator("a").click()
    page.wait_for_url(served + "events/talks-2023/")
    page.goto(served + "search/?q=vilnius")  # two words of the body and the summary: both found
    page.wait_for_selector(".search-results li")
    titles = page.locator(".search-results .result-title").all_inner_texts()
    assert titles[0] == "Summit"
    violations = run_axe(page)
    assert not violations, format_axe_violations(violations)


def test_without_javascript_everything_is_shown(browser: Browser, served: str, site: Path) -> None:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 375, "height": 800})
    tab = context.new_page()
    for url in PAGES:
        tab.goto(served + url)
        raw = read(site, url)
        hrefs = re.findall(r'<a\b[^>]*\bhref="', raw)
        visible = tab.evaluate("""() => [...document.querySelectorAll('a[href]')].filter(a => {
            const r = a.getBoundingClientRect(); return r.width > 0 && r.height > 0; }).length""")
        # every link of the file is laid out (the skip link is off-screen but has a box)
        assert visible == len(hrefs), url
    tab.goto(served + "search/?q=vilnius")
    note = tab.locator(".search-nojs")
    assert note.is_visible() and "needs JavaScript" in note.inner_text()
    assert note.locator("a").all_inner_texts() == ["timeline", "actors", "sources", "disputes"]
    context.close()


@pytest.mark.parametrize("width", [375, 1280])
def test_screenshots_and_accessibility_of_the_pictures(browser: Browser, served: str, width: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900})
    tab = context.new_page()
    ARTIFACTS.mkdir(exist_ok=True)
    for url, name in (("", "home"), ("actors/nato/", "actor")):
        tab.goto(served + url)
        for selector, what in ((".map-svg", "map"), (".timeline-svg", "timeline")):
            if url and what == "timeline":
                continue
            svg = tab.locator(selector)
            box = svg.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, (url, what, box)
            svg.screenshot(path=str(ARTIFACTS / f"reader-{what}-{name}-{width}.png"))
        assert tab.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scroll
        violations = run_axe(tab)
        assert not violations, format_axe_violations(violations)
    tab.goto(served + "timeline/")
    tab.locator(".timeline-svg").screenshot(path=str(ARTIFACTS / f"reader-timeline-{width}.png"))
    context.close()
