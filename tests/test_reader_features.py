"""Reader features (issues 10 and 18): link and citation previews, search, the story's
timeline and who-took-part grids.

A small project is built once; the browser checks run in Debian Chromium over HTTP (the
search index is fetched, which `file://` does not allow). Screenshots of the pictures at
375 and 1280 px go to `test-artifacts/` for a human to look at.
"""

from __future__ import annotations

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


def stories(html: str) -> list[str]:
    """The timelines of a page (the whole one, an actor's own, an event's strip)."""
    return re.findall(r'<div class="story\b.*?</ol>\s*</div>', html, re.S)


def story_links(story: str) -> list[str]:
    return re.findall(r'<a class="story-title" href="([^"]*)"', story)


def read(site: Path, url: str) -> str:
    return (site / (url + "index.html" if url.endswith("/") or not url else url)).read_text(encoding="utf-8")


# --- build-time output --------------------------------------------------------------------

def test_script_stays_small() -> None:
    assert SCRIPT.stat().st_size < 8 * 1024
    # loaded by /search/ only; 1 KB of it the CJK tokeniser, 0.5 KB the messages in the page's language
    assert SEARCH_SCRIPT.stat().st_size < 12 * 1024


def test_story_views_are_byte_identical_across_builds(tmp_path: Path, site: Path) -> None:
    root = make_project(tmp_path, FILES)
    other = tmp_path / "again"
    assert build(root, other).ok
    for url in ("", "timeline/", "actors/", "actors/nato/", "actors/japan/", "events/summit-2023/"):
        assert read(site, url) == read(other, url), url
    for url in ("timeline/", "actors/nato/", "events/summit-2023/"):
        assert stories(read(site, url)), url
    assert (site / "search" / "manifest.json").read_bytes() == (other / "search" / "manifest.json").read_bytes()


def test_every_event_is_listed_once_and_resolves(site: Path) -> None:
    """The timeline is the picture and the list in one: each event once, a link to its page."""
    timeline = read(site, "timeline/")
    assert len(stories(timeline)) == 1
    assert story_links(stories(timeline)[0]) == ["../events/talks-2023/", "../events/summit-2023/"]
    assert re.findall(r'href="\.\./events/([^/"]*)/', timeline.split('<main')[1]) == ["talks-2023", "summit-2023"]
    japan = stories(read(site, "actors/japan/"))[0]  # its own timeline: its one event
    assert story_links(japan) == ["../../events/talks-2023/"]
    strip = stories(read(site, "events/summit-2023/"))[0]  # the strip around it, itself marked
    assert story_links(strip) == ["../../events/talks-2023/", "../../events/summit-2023/"]
    assert re.findall(r'<a class="story-title" href="([^"]*)"[^>]*aria-current="page"', strip) == [
        "../../events/summit-2023/"]
    problems = internal_link_problems(site, base_url="https://example.org/")
    assert not problems, "\n".join(problems)


def test_marks_show_the_date_precision(site: Path) -> None:
    timeline = stories(read(site, "timeline/"))[0]
    talks = re.search(r'<li class="story-event mark-month" id="event-talks-2023">.*?</li>', timeline, re.S)
    assert talks and '<time class="when" datetime="2023-05">May</time>' in talks[0]  # a ring, no invented day
    summit = re.search(r'<li class="story-event mark-day" id="event-summit-2023">.*?</li>', timeline, re.S)
    assert summit and '<time class="when" datetime="2023-07-11">11 Jul</time>' in summit[0]
    assert '<p class="summary">Leaders met in Vilnius.</p>' in summit[0]
    # who took part, in the colour key's colours (NATO is in most events: colour 1)
    assert re.findall(r'<span class="chip (key-\d)">([^<]*)</span>', talks[0]) == [
        ("key-1", "NATO"), ("key-2", "Japan")]


def test_previous_and_next_event(site: Path) -> None:
    talks, summit = read(site, "events/talks-2023/"), read(site, "events/summit-2023/")
    assert re.findall(r'<a class="story-title" href="([^"]*)"[^>]* rel="(prev|next)"', talks) == [
        ("../../events/summit-2023/", "next")]
    assert re.findall(r'<a class="story-title" href="([^"]*)"[^>]* rel="(prev|next)"', summit) == [
        ("../../events/talks-2023/", "prev")]
    assert "Event 2 of 2 on the" in summit


def test_who_took_part_in_what(site: Path) -> None:
    """Home and /actors/: per actor, the dates of its events, each a link to its event whose
    text names the event; the dots take the actor's colour."""
    home = read(site, "").split('<ul class="who-rows">')[1].split("</section>")[0]
    assert re.findall(r'<p class="who-name"><a href="([^"]*)"', home) == ["actors/nato/", "actors/japan/"]
    assert re.findall(r'<ul class="who-dates (key-\d)">', home) == ["key-1", "key-2"]
    assert re.findall(r'<a href="([^"]*)"[^>]*><time[^>]*>([^<]*)</time><span class="vh">: ([^<]*)</span>', home) == [
        ("events/talks-2023/", "May", "Office talks"), ("events/summit-2023/", "11 Jul", "Summit"),
        ("events/talks-2023/", "May", "Office talks")]
    actors = read(site, "actors/")
    # Countries, then Organisations
    assert re.findall(r'<li id="([^"]*)"><a class="card-title"', actors) == ["japan", "nato"]
    assert re.findall(r'<span class="vh">: ([^<]*)</span>', actors) == ["Office talks", "Office talks", "Summit"]
    css = (SCRIPT.parent / "features.css").read_text() + (SCRIPT.parent / "style.css").read_text()
    assert "writing-mode" not in css


def test_long_quiet_stretches_become_labelled_gaps(tmp_path: Path) -> None:
    """Empty years collapse into one labelled line of the timeline."""
    event = "---\ntitle: {title}\ndate: {date}\nactors: [nato]\nsources: [guardian-2023]\n---\nText.[@guardian-2023]\n"
    root = make_project(tmp_path, {
        "content/events/old-2007.md": event.format(title="Old", date="2007-01"),
        "content/events/later-2018.md": event.format(title="Later", date="2018-05-24"),
        "content/events/after-2024.md": event.format(title="After", date="2024-04-22"),
    })
    assert build(root, root / "site").ok
    timeline = stories(read(root / "site", "timeline/"))[0]
    assert re.findall(r'<p class="story-gap">([^<]*)</p>', timeline) == [
        "2008–2017: no events", "2019–2022: no events", "Aug 2023 – Mar 2024: no events"]
    years = re.findall(r'<h2 class="story-year" id="year-(\d+)">', timeline)
    assert years == ["2007", "2018", "2023", "2024"]


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
    assert text.startswith("SOURCE 1\n") and "Summit report" in text and "The Guardian" in text
    assert text.endswith("\npara. 6")  # the place cited, from the marker's label
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
    for url, name, selector in (("", "home", ".who"), ("timeline/", "timeline", ".story"),
                                ("actors/", "actors", "main"), ("actors/nato/", "actor", ".story"),
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


def test_an_actors_dates_stay_bounded_on_a_big_story(tmp_path: Path) -> None:
    """/actors/ and home show at most WHO_DATES of an actor's events (its first ones) and say
    how many more its page has; unbounded, /actors/ grew as actors × events."""
    from explainer.render.story import WHO_DATES

    n = WHO_DATES + 7
    files = {"content/actors/busy.md": "---\ntitle: Busy\nkind: country\n---\nA country.\n"}
    for i in range(n):
        files[f"content/events/e{i:03d}.md"] = (
            f"---\ntitle: Event {i:03d}\ndate: {2000 + i // 12}-{i % 12 + 1:02d}-01\nactors: [busy]\n"
            "sources: [guardian-2023]\n---\nIt happened.[@guardian-2023]\n")
    root = make_project(tmp_path, files)
    assert build(root, root / "site").ok
    actors = read(root / "site", "actors/")
    busy = actors.split('<li id="busy">')[1].split("</ul>")[0]
    assert re.findall(r'<span class="vh">: Event (\d+)</span>', busy) == [f"{i:03d}" for i in range(WHO_DATES)]
    assert '<li class="who-more">and 7 more on <a href="../actors/busy/">its page</a></li>' in actors
    page = read(root / "site", "actors/busy/")
    assert len(story_links(stories(page)[0])) == n
