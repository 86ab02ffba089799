"""Reader features (issues 10 and 18): link and citation previews, search, the story's
timeline and who-took-part grids.

A small project is built once; the browser checks run in Debian Chromium over HTTP (the
search index is fetched, which `file://` does not allow). Screenshots of the pictures at
375 and 1280 px go to `test-artifacts/` for a human to look at.
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
    """The pictures of a page (not the legend's little swatches)."""
    return re.findall(r'<svg class="xsvg\b.*?</svg>', html, re.S)


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
    for url in ("", "timeline/", "actors/", "actors/nato/", "actors/japan/", "events/summit-2023/"):
        assert read(site, url) == read(other, url), url
    for url in ("timeline/", "actors/nato/", "events/summit-2023/"):
        assert svgs(read(site, url)), url
    assert (site / "search" / "manifest.json").read_bytes() == (other / "search" / "manifest.json").read_bytes()


def test_every_mark_is_a_link_that_resolves(site: Path) -> None:
    timeline = svgs(read(site, "timeline/"))
    assert len(timeline) == 1
    assert svg_links(timeline[0]) == ["../events/talks-2023/", "../events/summit-2023/"]
    japan = svgs(read(site, "actors/japan/"))[0]  # its own timeline: its one event
    assert svg_links(japan) == ["../../events/talks-2023/"]
    strip = svgs(read(site, "events/summit-2023/"))[0]  # the strip around it, itself marked
    assert svg_links(strip) == ["../../events/talks-2023/", "../../events/summit-2023/"]
    assert re.findall(r'<a href="([^"]*)" class="[^"]*tl-current[^"]*" aria-current="page"', strip) == [
        "../../events/summit-2023/"]
    for svg in (timeline[0], japan, strip):
        assert svg.count("<a ") == svg.count("<title>")
    problems = internal_link_problems(site, base_url="https://example.org/")
    assert not problems, "\n".join(problems)


def test_marks_show_the_date_precision(site: Path) -> None:
    timeline = svgs(read(site, "timeline/"))[0]
    talks = re.search(r'<a href="../events/talks-2023/".*?</a>', timeline, re.S)[0]  # type: ignore[index]
    assert '<circle class="tl-mark tl-month"' in talks and ">May</tspan>" in talks  # a ring, no invented day
    assert "<title>Office talks (May 2023; NATO)</title>" in talks
    summit = re.search(r'<a href="../events/summit-2023/".*?</a>', timeline, re.S)[0]  # type: ignore[index]
    assert '<circle class="tl-mark tl-day"' in summit and ">11 Jul</tspan>" in summit
    assert "<title>Summit (11 July 2023; NATO)</title>" in summit


def test_previous_and_next_event(site: Path) -> None:
    talks, summit = read(site, "events/talks-2023/"), read(site, "events/summit-2023/")
    assert re.findall(r'<a href="([^"]*)" rel="(prev|next)"', talks) == [("../../events/summit-2023/", "next")]
    assert re.findall(r'<a href="([^"]*)" rel="(prev|next)"', summit) == [("../../events/talks-2023/", "prev")]
    assert "Event 2 of 2 on the" in summit


def test_grids_say_who_took_part_in_what(site: Path) -> None:
    """Home: a row per event, a column per actor; /actors/: a row per actor, a column per event.
    Each dot is a link to its event whose text names the actor and the event."""
    home = read(site, "").split('<table class="who-grid who-grid-events"')[1].split("</table>")[0]
    assert re.findall(r'<th scope="col" class="grid-actor"><a href="([^"]*)"', home) == ["actors/japan/", "actors/nato/"]
    assert re.findall(r'<td class="in"><a href="([^"]*)"><span class="vh">([^<]*)</span>', home) == [
        ("events/talks-2023/", "Japan took part in Office talks"),
        ("events/talks-2023/", "NATO took part in Office talks"),
        ("events/summit-2023/", "NATO took part in Summit")]
    actors = read(site, "actors/").split('<table class="who-grid who-grid-actors"')[1].split("</table>")[0]
    assert re.findall(r'<th scope="row" class="grid-actorname"><a href="([^"]*)"', actors) == [
        "../actors/japan/", "../actors/nato/"]  # Countries, then Organisations
    assert re.findall(r'<span class="vh">([^<]*took part[^<]*)</span>', actors) == [
        "Japan took part in Office talks", "NATO took part in Office talks", "NATO took part in Summit"]


def test_long_quiet_stretches_become_labelled_gaps(tmp_path: Path) -> None:
    """Empty years collapse into one labelled row, on the timeline and in the grids."""
    event = "---\ntitle: {title}\ndate: {date}\nactors: [nato]\nsources: [guardian-2023]\n---\nText.[@guardian-2023]\n"
    root = make_project(tmp_path, {
        "content/events/old-2007.md": event.format(title="Old", date="2007-01"),
        "content/events/later-2018.md": event.format(title="Later", date="2018-05-24"),
        "content/events/after-2024.md": event.format(title="After", date="2024-04-22"),
    })
    assert build(root, root / "site").ok
    timeline = svgs(read(root / "site", "timeline/"))[0]
    labels = re.findall(r'<text class="tl-gaplabel"><tspan [^>]*>([^<]*)</tspan>', timeline)
    assert labels == ["2008–2017: no events", "2019–2022: no events", "Aug 2023 – Mar 2024: no events"]
    years = re.findall(r'<text class="tl-yearlabel" text-anchor="end"><tspan [^>]*>(\d+)</tspan>', timeline)
    assert years == ["2007", "2018", "2023", "2024"]
    home = read(root / "site", "")
    assert re.findall(r'<tr class="grid-gap"><td colspan="3">([^<]*)</td>', home) == [
        "2008–2017: no events", "2019–2022: no events", "Aug 2023 – Mar 2024: no events"]


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
    for url, name, selector in (("", "home", ".who-grid"), ("timeline/", "timeline", ".timeline-figure"),
                                ("actors/", "actors", ".who-grid"), ("actors/nato/", "actor", ".timeline-figure"),
                                ("events/summit-2023/", "event", ".in-story")):
        tab.goto(served + url)
        picture = tab.locator(selector)
        box = picture.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, (url, box)
        picture.screenshot(path=str(ARTIFACTS / f"reader-{name}-{width}.png"))
        assert tab.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scroll
        violations = run_axe(tab)
        assert not violations, format_axe_violations(violations)
    context.close()


def test_the_actors_grid_stays_bounded_on_a_big_story(tmp_path: Path) -> None:
    """/actors/ shows at most GRID_EVENTS events (those with most actors, in story order) and
    GRID_ACTORS actors (those in most of them), and says so; unbounded it grew as actors ×
    events (95 MB of HTML at 10,000 entries)."""
    from explainer.render.story import GRID_ACTORS, GRID_EVENTS

    n = max(GRID_ACTORS, GRID_EVENTS) + 10
    files = {f"content/actors/a{i:03d}.md": f"---\ntitle: Actor {i:03d}\nkind: country\n---\nA country.\n"
             for i in range(n)}
    for i in range(n):  # the first ten events have many actors: they must be among those shown
        actors = [f"a{j:03d}" for j in range(i, i + (12 if i < 10 else 2)) if j < n]
        files[f"content/events/e{i:03d}.md"] = (
            f"---\ntitle: Event {i:03d}\ndate: {2000 + i // 12}-{i % 12 + 1:02d}-01\nactors: [{', '.join(actors)}]\n"
            "sources: [guardian-2023]\n---\nIt happened.[@guardian-2023]\n")
    root = make_project(tmp_path, files)
    assert build(root, root / "site").ok
    actors = read(root / "site", "actors/").split('<table class="who-grid who-grid-actors"')[1].split("</table>")[0]
    columns = re.findall(r'<th scope="col" class="grid-eventcol"><a href="\.\./events/([^/]*)/', actors)
    rows = re.findall(r'<th scope="row" class="grid-actorname"><a href="\.\./actors/([^/]*)/', actors)
    assert len(columns) == GRID_EVENTS and len(rows) == GRID_ACTORS
    assert {f"e{i:03d}" for i in range(10)} <= set(columns) and columns == sorted(columns)  # story order
    caption = re.search(r"<caption[^>]*>([^<]*)</caption>", actors)
    assert caption is not None and re.fullmatch(
        f"Who took part in which event: a row per actor, a column per event, oldest first, for the {GRID_EVENTS} "
        rf"events with the most actors \(of (\d+)\) and the {GRID_ACTORS} actors in most of them \(of (\d+)\); "
        "each actor's page has its own timeline", caption.group(1)), caption
    shown = re.fullmatch(r".*\(of (\d+)\).*\(of (\d+)\).*", caption.group(1))
    assert shown is not None and int(shown.group(1)) > GRID_EVENTS and int(shown.group(2)) > GRID_ACTORS
