"""The repository's own site, read in a real browser (Debian Chromium under Playwright).

Every page is opened at a phone width (375 px) and a desktop width (1280 px): it must
load without console errors or failed requests, ask nothing of any other host, and
never scroll sideways on the phone. axe-core checks every page (light theme) and a
sample of pages in the dark theme; with JavaScript off every page must still show its
heading, its text and its links. Full-page screenshots of one page of every type go to
`test-artifacts/` for a human to look at.

The pages are judged as a reader would (issue 30's budgets): at 1280 × 900 the home page
fits HOME_BUDGET, the timeline TIMELINE_BUDGET and the longest actor page ACTOR_BUDGET; no
event is linked twice in the lists of the timeline or an actor page; no text is rotated;
and Lighthouse scores six page types.

One browser serves the whole module and each check reuses one tab per setting,
because opening ~150 pages several times is the slow part.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page

from explainer.build import build
from tools import format_axe_violations, run_axe, serve_directory

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
WIDTHS = {"phone": 390, "desktop": 1280}
#: One page of every type: a reviewer looks at their full-page screenshots.
SCREENSHOTS = {"home": "", "timeline": "timeline/", "actors": "actors/", "sources": "sources/",
               "actor": "actors/nato/", "event": "events/vilnius-summit-2023/",
               "source": "sources/guardian-2023-nato-shelves-tokyo-office/", "page": "about/",
               "disputes": "disputes/", "search": "search/", "404": "404.html"}
SCREEN = 900
"""The height of the desktop screen the budgets count in (1280 × 900)."""
HOME_BUDGET = 5 * SCREEN
"""The home page, at 1280 px: five screens (issue 30)."""
TIMELINE_BUDGET = 6000
"""The timeline page, at 1280 px: every event once, with its date, mark, title, summary and key actors."""
ACTOR_BUDGET = 6000
"""The longest actor page, at 1280 px."""
PAGE_WEIGHT = 250_000
"""Bytes the home page loads at most, with its fonts."""
LIGHTHOUSE = REPO / "tests" / "lighthouse"
LIGHTHOUSE_PAGES = ["", "events/vilnius-summit-2023/", "actors/nato/", "timeline/", "actors/",
                    "sources/guardian-2023-nato-shelves-tokyo-office/", "disputes/", "ja/", "ja/actors/nato/"]
#: One page of every layout, checked by axe in the dark theme as well.
DARK_SAMPLE = ["", "timeline/", "actors/", "sources/", "disputes/", "about/", "actors/nato/",
               "events/vilnius-summit-2023/", "sources/guardian-2023-nato-shelves-tokyo-office/", "404.html",
               "ja/", "ja/actors/nato/", "ja/timeline/"]


@dataclass
class Site:
    """The built site on disk, served over HTTP, and the URL path of every page."""

    folder: Path
    base: str
    pages: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """Build the repository's explainer once and serve it for the session."""
    out = tmp_path_factory.mktemp("browser") / "site"
    result = build(REPO, out)
    assert result.ok, "\n".join(p.format() for p in result.problems.items)
    pages = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html"))
    urls = [p[: -len("index.html")] if p.endswith("index.html") else p for p in pages]
    with serve_directory(out) as base:
        yield Site(out, base, urls)


@dataclass
class Pass:
    """What one walk over every page at one width saw, for the tests below to judge."""

    loading: list[str] = field(default_factory=list)
    """Console errors, failed requests, requests to another host."""
    overflow: list[str] = field(default_factory=list)
    axe: list[str] = field(default_factory=list)
    heights: dict[str, int] = field(default_factory=dict)
    rotated: list[str] = field(default_factory=list)
    """Elements whose text is rotated or set vertically."""
    twice: dict[str, list[str]] = field(default_factory=dict)
    """Page -> events linked more than once outside the author's prose."""


#: In the page: its height; every element (text, SVG or not) set vertically or turned by a
#: transform; and the event pages linked more than once in `main` outside the author's
#: prose (`.body`, which links an event where its text speaks of it) and the Sources list.
READER_CHECKS = """() => {
  const rotated = [];
  for (const e of document.querySelectorAll('body *')) {
    const s = getComputedStyle(e), t = s.transform;
    let turned = s.writingMode !== 'horizontal-tb';
    if (t && t !== 'none') {
      const m = new DOMMatrix(t);
      turned = turned || Math.abs(m.b) > 1e-6 || Math.abs(m.c) > 1e-6 || m.a < 0;
    }
    if (s.rotate && s.rotate !== 'none') turned = true;
    if (turned && e.textContent.trim()) rotated.push(e.tagName.toLowerCase() + '.' + [...e.classList].join('.'));
  }
  const seen = {}, twice = [];
  const main = document.querySelector('main');
  for (const a of main ? main.querySelectorAll('a[href]') : []) {
    if (a.closest('.body, .sources')) continue;
    const path = new URL(a.href).pathname;
    if (!/\\/events\\/[^/]+\\/$/.test(path)) continue;
    seen[path] = (seen[path] || 0) + 1;
    if (seen[path] === 2) twice.push(path);
  }
  return {rotated: rotated.slice(0, 5), twice, height: document.documentElement.scrollHeight};
}"""


def walk(site: Site, browser: Browser, width: int, with_axe: bool) -> Pass:
    """Open every page in one tab; screenshot the chosen pages; optionally run axe on each."""
    result = Pass()
    own = urlsplit(site.base).netloc
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme="light")
    page = context.new_page()
    seen: list[str] = []
    page.on("console", lambda m: seen.append(f"console error: {m.text} ({m.location.get('url')})") if m.type == "error" else None)
    page.on("pageerror", lambda e: seen.append(f"uncaught exception: {e}"))
    page.on("request", lambda r: seen.append(f"request to another host: {r.url}")
            if urlsplit(r.url).netloc != own else None)
    # ERR_ABORTED is the walk itself moving on while the favicon still loads; a missing file
    # is a 4xx response below, another host a request above.
    page.on("requestfailed", lambda r: seen.append(f"failed request: {r.url} ({r.failure})")
            if r.failure != "net::ERR_ABORTED" else None)
    page.on("response", lambda r: seen.append(f"failed request: {r.url} (HTTP {r.status})")
            if r.status >= 400 and urlsplit(r.url).path != "/404.html" else None)
    shots = {path: name for name, path in SCREENSHOTS.items()}
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        for path in site.pages:
            seen.clear()
            open_page(page, site.base + path)
            scroll_width, inner_width, wide = page.evaluate(
                "() => [document.documentElement.scrollWidth, window.innerWidth,"
                " [...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right >"
                " window.innerWidth + 1).slice(0, 3).map(e => e.tagName.toLowerCase() + '.' + e.classList)]")
            if scroll_width > inner_width:
                result.overflow.append(f"/{path}: scrolls sideways at {width} px "
                                       f"(scrollWidth {scroll_width} > {inner_width}; too wide: {wide})")
            checks = page.evaluate(READER_CHECKS)
            result.heights[path] = checks["height"]
            result.rotated += [f"/{path}: {e}" for e in checks["rotated"]]
            if checks["twice"]:
                result.twice[path] = checks["twice"]
            if with_axe:
                violations = run_axe(page)
                if violations:
                    result.axe.append(f"/{path}:\n" + format_axe_violations(violations))
            if path in shots:
                page.screenshot(path=str(ARTIFACTS / f"{shots[path]}-{width}.png"), full_page=True)
            result.loading += [f"/{path}: {problem}" for problem in seen]
    finally:
        context.close()
    return result


@pytest.fixture(scope="session")
def phone(site: Site, browser: Browser) -> Pass:
    return walk(site, browser, WIDTHS["phone"], with_axe=False)


@pytest.fixture(scope="session")
def desktop(site: Site, browser: Browser) -> Pass:
    return walk(site, browser, WIDTHS["desktop"], with_axe=True)


def open_page(page: Page, url: str) -> None:
    response = page.goto(url, wait_until="load")
    assert response is not None and (response.ok or url.endswith("404.html")), f"{url}: HTTP {response and response.status}"


def test_site_has_every_page(site: Site) -> None:
    """The walks below are only worth something if they see the whole site."""
    assert set(LIGHTHOUSE_PAGES) <= set(site.pages)
    assert len(site.pages) >= 100, site.pages
    for path in list(SCREENSHOTS.values()) + DARK_SAMPLE:
        assert path in site.pages, path


@pytest.mark.parametrize("width_name", list(WIDTHS))
def test_every_page_loads_cleanly(request: pytest.FixtureRequest, width_name: str) -> None:
    """No console error, no failed request, no request to any other host, at either width."""
    walked: Pass = request.getfixturevalue(width_name)
    assert not walked.loading, "\n".join(walked.loading)
    for name in SCREENSHOTS:
        assert (ARTIFACTS / f"{name}-{WIDTHS[width_name]}.png").stat().st_size > 10_000


def test_no_page_scrolls_sideways_on_a_phone(phone: Pass) -> None:
    assert not phone.overflow, "\n".join(phone.overflow)


def test_no_page_scrolls_sideways_on_a_desktop(desktop: Pass) -> None:
    assert not desktop.overflow, "\n".join(desktop.overflow)


def test_axe_finds_no_violations(desktop: Pass) -> None:
    """axe-core (WCAG 2.1 A/AA and best practice) on every page, light theme, 1280 px."""
    assert not desktop.axe, "\n".join(desktop.axe)


@pytest.mark.parametrize("width", [390, 1280])
def test_axe_dark_theme(site: Site, browser: Browser, width: int) -> None:
    """The dark theme has its own colours, so axe checks a page of every layout in it too, on a
    phone and on a desktop (where the margin shows the key facts and the sidenotes)."""
    context = browser.new_context(viewport={"width": width, "height": 844 if width < 500 else 900},
                                  color_scheme="dark")
    page = context.new_page()
    found: list[str] = []
    try:
        for path in DARK_SAMPLE:
            open_page(page, site.base + path)
            background = page.evaluate("getComputedStyle(document.body).backgroundColor")
            assert background != "rgb(251, 250, 247)", f"/{path}: dark theme not applied"
            violations = run_axe(page)
            if violations:
                found.append(f"/{path}:\n" + format_axe_violations(violations))
            if path in ("", "timeline/", "actors/", "events/vilnius-summit-2023/"):
                name = {"": "home", "timeline/": "timeline", "actors/": "actors"}.get(path, "event")
                page.screenshot(path=str(ARTIFACTS / f"{name}-{width}-dark.png"), full_page=True)
    finally:
        context.close()
    assert not found, "\n".join(found)


def test_every_page_works_without_javascript(site: Site, browser: Browser) -> None:
    """With scripts off each page still shows its heading, text and every link of its main content."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    page = context.new_page()
    problems: list[str] = []
    try:
        for path in site.pages:
            open_page(page, site.base + path)
            state = page.evaluate(
                """() => {
                  const shown = e => e.checkVisibility({visibilityProperty: true, opacityProperty: true});
                  const main = document.querySelector('main'), h1 = main && main.querySelector('h1');
                  const words = new Intl.Segmenter(document.documentElement.lang, {granularity: 'word'});
                  return {h1: !!h1 && shown(h1),  // words as the page's language counts them (Japanese has no spaces)
                          words: main ? [...words.segment(main.innerText)].filter(w => w.isWordLike).length : 0,
                          hidden: [...document.querySelectorAll('main a[href], nav a[href]')]
                                    .filter(a => !shown(a)).map(a => a.getAttribute('href')).slice(0, 5)};
                }""")
            if not state["h1"]:
                problems.append(f"/{path}: no visible h1 in main")
            if state["words"] < 5:
                problems.append(f"/{path}: main shows almost no text")
            if state["hidden"]:
                problems.append(f"/{path}: links hidden without JavaScript: {state['hidden']}")
    finally:
        context.close()
    assert not problems, "\n".join(problems)


def test_keyboard_skip_link_and_visible_focus(site: Site, browser: Browser) -> None:
    """The first Tab shows the skip link with a focus ring; Enter moves focus to the main content."""
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    try:
        open_page(page, site.base + "timeline/")
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement, r = e.getBoundingClientRect(), s = getComputedStyle(e);"
            " return {text: e.textContent, inView: r.left >= 0 && r.top >= 0 && r.right <= innerWidth,"
            " outline: s.outlineStyle + ' ' + s.outlineWidth}; }")
        assert focused["text"] == "Skip to content"
        assert focused["inView"], focused
        assert focused["outline"].startswith("solid") and not focused["outline"].endswith(" 0px"), focused
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"
        page.keyboard.press("Tab")
        first_link = page.evaluate("document.activeElement.closest('main') !== null")
        assert first_link, "Tab after the skip link should land inside the main content"
    finally:
        context.close()


def test_navigation_shows_where_you_are(site: Site, browser: Browser) -> None:
    """The menu marks the current section, also on an entry page inside it, and looks different."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        for path, label, value in [("timeline/", "Timeline", "page"), ("actors/", "Actors", "page"),
                                   ("actors/nato/", "Actors", "true"), ("about/", "About and method", "page")]:
            open_page(page, site.base + path)
            current = page.locator(".site-nav a[aria-current]")
            assert current.count() == 1, path
            assert current.inner_text() == label and current.get_attribute("aria-current") == value, path
            other = page.locator(".site-nav a:not([aria-current])").first
            style = "e => { const s = getComputedStyle(e); return [s.fontWeight, s.borderBottomStyle]; }"
            assert current.evaluate(style) != other.evaluate(style), path
    finally:
        context.close()


def test_print_stylesheet_prints_link_addresses(site: Site, browser: Browser) -> None:
    """On paper the menu goes and external links show their address, sources included."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        open_page(page, site.base + "events/vilnius-summit-2023/")
        page.emulate_media(media="print")
        assert page.locator(".site-nav").evaluate("e => getComputedStyle(e).display") == "none"
        link = page.locator(".sources a[href^='http']").first
        after = link.evaluate("e => getComputedStyle(e, '::after').content")
        assert link.get_attribute("href") in after, after
        assert page.locator(".sources").is_visible()
    finally:
        context.close()


# --- the pictures (issue 18) ------------------------------------------------------------------

def test_reader_checks_see_rotated_text_and_an_event_linked_twice(browser: Browser) -> None:
    """The checks below are only worth something if they see a planted fault."""
    page = browser.new_page()
    try:
        page.set_content('<base href="http://127.0.0.1:9/"><main><div class="body"><a href="/events/a/">A</a></div>'
                         '<ul><li><a href="/events/a/">A</a></li><li><a href="/events/b/">B</a></li>'
                         '<li><a href="/events/b/">B again</a></li></ul>'
                         '<p style="writing-mode: vertical-rl">Down</p><p style="transform: rotate(90deg)">Turned</p>'
                         '<p style="transform: translateX(2px)">Moved</p></main>')
        seen = page.evaluate(READER_CHECKS)
    finally:
        page.close()
    assert seen["twice"] == ["/events/b/"], seen  # the prose's link to a does not count
    assert seen["rotated"] == ["p.", "p."], seen


def test_no_text_is_rotated(request: pytest.FixtureRequest) -> None:
    """No element on any page, at either width, sets its text vertically or turns it."""
    for width_name in WIDTHS:
        walked: Pass = request.getfixturevalue(width_name)
        assert not walked.rotated, "\n".join(walked.rotated)


def test_no_event_is_linked_twice(site: Site, desktop: Pass) -> None:
    """The timeline and every actor page list each event once (the picture is the list)."""
    checked = ["timeline/"] + [p for p in site.pages if p.startswith("actors/") and p != "actors/"]
    assert len(checked) > 20
    twice = {p: desktop.twice[p] for p in checked if p in desktop.twice}
    assert not twice, twice


def test_page_heights_within_budget(site: Site, desktop: Pass) -> None:
    """Home ≤ 5 screens, the timeline and the longest actor page ≤ 6,000 px, at 1280 × 900."""
    assert desktop.heights[""] <= HOME_BUDGET, f"home: {desktop.heights['']} px > {HOME_BUDGET}"
    assert desktop.heights["timeline/"] <= TIMELINE_BUDGET, f"timeline: {desktop.heights['timeline/']} px"
    actors = {p: h for p, h in desktop.heights.items() if p.startswith("actors/") and p != "actors/"}
    longest = max(actors, key=lambda p: actors[p])
    assert actors[longest] <= ACTOR_BUDGET, f"{longest}: {actors[longest]} px"
    (ARTIFACTS / "page-heights.json").write_text(json.dumps(desktop.heights, indent=1, sort_keys=True),
                                                 encoding="utf-8")


def test_home_page_weight(site: Site, browser: Browser) -> None:
    """Everything the home page loads at 1280 px (HTML, style sheets, script, fonts) weighs at
    most PAGE_WEIGHT bytes: the bundled fonts (about 60 kB) are counted."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sizes: dict[str, int] = {}
    page.on("response", lambda r: sizes.__setitem__(r.url, len(r.body())) if r.ok else None)
    try:
        open_page(page, site.base)
        page.wait_for_load_state("networkidle")
    finally:
        context.close()
    fonts = [u for u in sizes if u.endswith(".woff2")]
    assert fonts, sizes  # the reading font is loaded, and counted
    assert sum(sizes.values()) <= PAGE_WEIGHT, sizes


def test_lighthouse_scores(site: Site) -> None:
    """Lighthouse 12.2.3 (installed by scripts/test.sh into tests/lighthouse/) on six page
    types: performance ≥ 95, accessibility, best practices and SEO 100."""
    runner = LIGHTHOUSE / "node_modules" / "lighthouse"
    assert runner.is_dir(), "Lighthouse is missing: run `bash scripts/test.sh` (npm ci in tests/lighthouse)"
    env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
    done = subprocess.run(["node", str(LIGHTHOUSE / "run.mjs"), *(site.base + p for p in LIGHTHOUSE_PAGES)],
                          capture_output=True, text=True, env=env, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    results = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert [r["url"] for r in results] == [site.base + p for p in LIGHTHOUSE_PAGES]
    low = [f"{r['url']}: {r['scores']} {r['failed']}" for r in results
           if r["scores"]["performance"] < 95
           or any(r["scores"][c] < 100 for c in ("accessibility", "best-practices", "seo"))]
    (ARTIFACTS / "lighthouse.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    assert not low, "\n".join(low)
