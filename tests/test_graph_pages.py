"""Numbering and back-links on the fixture site tests/fixtures/mini, checked in the real HTML.

The fixture is built once per module with `explainer.build.build`; every assertion reads
the generated pages with lxml, so the templates, the entry graph and the markup rules
are all proven together. Also: the golden snapshot of a few pages, the internal link
checker over the fixture and over this repository's own site, and how a source whose own
headline is not known (`untitled: true`) is shown in a small project of its own.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import lxml.html
import pytest

from conftest import BASE_FILES, make_project
from explainer.build import build
from tools import internal_link_problems
from update_snapshots import EXPECTED, MINI, SNAPSHOT_PAGES, build_mini

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_mini(tmp_path_factory.mktemp("mini") / "site")


def page(site: Path, rel: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring((site / rel).read_bytes())


def texts(elements: list) -> list[str]:
    return [" ".join(e.text_content().split()) for e in elements]


def sources_list(doc: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    return doc.xpath('//section[contains(@class,"sources")]/ol/li')


# --- numbering ------------------------------------------------------------------------------------

def test_same_source_keeps_one_number(site: Path) -> None:
    doc = page(site, "events/alpha-summit/index.html")
    markers = doc.xpath('//sup[@class="cite"]/a')
    assert [(m.get("href"), m.text) for m in markers] == [
        ("#source-1", "1"), ("#source-2", "2"), ("#source-1", "1"),  # body
        ("#source-2", "2"), ("#source-1", "1"),                      # dispute
        ("#source-1", "1"),                                          # footnote
    ]
    assert [m.get("id") for m in markers] == ["cite-1-1", "cite-2-1", "cite-1-2", "cite-2-2", "cite-1-3",
                                              "cite-1-4"]
    assert [m.get("aria-label") for m in markers][:3] == ["Source 1", "Source 2, p. 3", "Source 1, para. 6"]
    assert all(m.get("role") == "doc-noteref" for m in markers)


def test_every_marker_target_and_backlink_exists_on_its_page(site: Path) -> None:
    for file in sorted(site.rglob("*.html")):
        doc = lxml.html.fromstring(file.read_bytes())
        ids = set(doc.xpath("//@id"))
        for a in doc.xpath('//a[@role="doc-noteref" or @role="doc-backlink"]'):
            assert a.get("href").startswith("#"), (file, a.get("href"))
            assert a.get("href")[1:] in ids, f"{file.relative_to(site)}: {a.get('href')} has no target"


def test_sources_list_is_complete_and_in_order(site: Path) -> None:
    doc = page(site, "events/alpha-summit/index.html")
    items = sources_list(doc)
    assert [li.get("id") for li in items] == ["source-1", "source-2", "source-3"]
    first, second, third = items
    assert first.xpath('.//cite/a/@href') == ["https://example.com/guardian/nato-tokyo"]
    assert " ".join(first.text_content().split()).startswith(
        "Jane Doe, John Roe. NATO summit ends without Tokyo office. The Guardian, 12 July 2023. "
        "Accessed 13 July 2023. Archived copy.")
    assert "https://web.archive.example/guardian/nato-tokyo" in first.xpath(".//a/@href")
    assert "Cited at: para. 6." in first.text_content()
    assert "Cited at: p. 3." in second.text_content()
    # four citations of source 1 -> four lettered back-links, each to its marker
    backlinks = first.xpath('.//a[@role="doc-backlink"]')
    assert [(a.text, a.get("href")) for a in backlinks] == [
        ("a", "#cite-1-1"), ("b", "#cite-1-2"), ("c", "#cite-1-3"), ("d", "#cite-1-4")]
    assert backlinks[0].get("aria-label") == "Back to citation 1 of source 1"
    # front-matter-only source: listed, marked as not cited inline, no back-link
    assert third.xpath('.//a[@class="source-page"]/@href') == ["../../sources/fm-only-report/"]
    assert "not cited in its text" in third.text_content()
    assert third.xpath('.//a[@role="doc-backlink"]') == []


def test_single_citation_has_one_backlink(site: Path) -> None:
    items = sources_list(page(site, "actors/nato/index.html"))
    assert [[(a.text, a.get("href")) for a in li.xpath('.//a[@role="doc-backlink"]')] for li in items] == [
        [("↩", "#cite-1-1")], [("↩", "#cite-2-1")]]


def test_footnotes_and_citations_do_not_collide(site: Path) -> None:
    doc = page(site, "events/alpha-summit/index.html")
    notes = doc.xpath('//section[@class="notes"]//li')
    assert [n.get("id") for n in notes] == ["note-1"]
    note_ref = doc.xpath('//sup[@class="note-ref"]/a')
    assert [(a.text, a.get("href"), a.get("aria-label")) for a in note_ref] == [("a", "#note-1", "Note a")]
    all_ids = doc.xpath("//@id")
    assert len(all_ids) == len(set(all_ids)), "duplicate ids on the page"


# --- back-links -------------------------------------------------------------------------------------

def entry_list(doc: lxml.html.HtmlElement, heading: str) -> list[str]:
    """Link texts of the list that follows the heading with this text."""
    lists = doc.xpath(f'//*[self::h2 or self::h3][normalize-space(text())="{heading}"]'
                      '/following-sibling::ul[1]')
    assert lists, f"no '{heading}' list"
    return [a.text_content().strip() for a in lists[0].xpath("./li/a")]


def key_fact(doc: lxml.html.HtmlElement, term: str) -> list[str]:
    """Link texts of a key fact (the `<dd>` after the `<dt>` with this text)."""
    found = doc.xpath(f'//aside[@class="key-facts"]//dt[normalize-space(text())="{term}"]/following-sibling::dd[1]')
    assert found, f"no key fact '{term}'"
    return [a.text_content().strip() for a in found[0].xpath(".//a")]


def test_actor_events_in_date_order(site: Path) -> None:
    """An actor's events are its own timeline: each once, oldest first, with its date."""
    doc = page(site, "actors/nato/index.html")
    story = doc.xpath('//section[h2[@id="events-heading"]]//div[contains(@class, "story")]')
    assert len(story) == 1
    # ids sort zeta, alpha, mid the other way round: the order is the dates'
    assert [a.text_content() for a in story[0].xpath(".//a[@class='story-title']")] == [
        "Office proposed", "Vilnius summit", "Later statement"]
    assert story[0].xpath(".//li/time/@datetime") == ["2023-05", "2023-07-11", "2024"]
    assert [h.strip() for h in story[0].xpath(".//h3[@class='story-year']/text()")] == ["2023", "2024"]


def test_members_and_member_of_both_directions(site: Path) -> None:
    assert entry_list(page(site, "actors/nato/index.html"), "Members") == ["France"]
    assert key_fact(page(site, "actors/france/index.html"), "Member of") == ["NATO"]
    assert key_fact(page(site, "actors/japan/index.html"), "Member of") == ["Asia-Pacific Four"]
    assert entry_list(page(site, "actors/ap4/index.html"), "Members") == ["Japan"]


def test_actor_mentioned_in(site: Path) -> None:
    assert entry_list(page(site, "actors/japan/index.html"), "Mentioned in") == ["Asia-Pacific Four", "NATO"]


def test_event_lists_its_actors_and_mentions(site: Path) -> None:
    doc = page(site, "events/alpha-summit/index.html")
    # the colour key's order: NATO and Japan take part in most events, then France
    assert key_fact(doc, "Who took part") == ["NATO", "Japan", "France"]
    assert doc.xpath('//aside[@class="key-facts"]//a[contains(@class, "chip")]/@class') == [
        "chip key-1", "chip key-2", "chip key-3"]
    assert entry_list(doc, "Mentioned in") == ["About"]


@pytest.mark.parametrize("source, count, citers", [
    ("guardian-2023-07-12", 5, ["Home page", "France", "Later statement", "NATO", "Vilnius summit"]),
    ("nikkei-2023-05-03", 6, ["Home page", "Asia-Pacific Four", "Japan", "NATO", "Office proposed",
                              "Vilnius summit"]),
    ("fm-only-report", 1, ["Vilnius summit"]),
])
def test_cited_by_with_count(site: Path, source: str, count: int, citers: list[str]) -> None:
    doc = page(site, f"sources/{source}/index.html")
    heading = doc.xpath('//h2[@id="cited-by-heading"]')[0]
    assert heading.text_content().strip() == f"Cited by ({count})"
    assert texts(heading.xpath("following-sibling::ul[1]/li/a")) == citers


def test_md_link_resolves_in_the_page(site: Path) -> None:
    doc = page(site, "about/index.html")
    assert doc.xpath('//div[@class="body"]//a/@href') == ["../events/alpha-summit/#top"]


def test_dispute_listed_on_disputes_page(site: Path) -> None:
    doc = page(site, "disputes/index.html")
    assert "How many people would staff the office?" in doc.text_content()
    hrefs = doc.xpath('//main//a/@href')
    assert "../events/alpha-summit/#dispute-how-many-people-would-staff-the-office" in hrefs


# --- snapshot ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("rel", SNAPSHOT_PAGES)
def test_snapshot(site: Path, rel: str) -> None:
    """Regenerate deliberately with `python tests/update_snapshots.py` and review the diff."""
    expected = (EXPECTED / rel).read_text(encoding="utf-8")
    actual = (site / rel).read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                            f"expected/{rel}", f"built/{rel}", n=2))
        pytest.fail(f"{rel} differs from tests/fixtures/mini-expected/ (if the change is intended, run "
                    f"`python tests/update_snapshots.py`):\n{diff[:6000]}")


def test_snapshot_folder_has_no_stale_pages() -> None:
    stored = sorted(p.relative_to(EXPECTED).as_posix() for p in EXPECTED.rglob("*") if p.is_file())
    assert stored == sorted(SNAPSHOT_PAGES)


# --- internal links ---------------------------------------------------------------------------------

def test_no_broken_internal_link_in_fixture_site(site: Path) -> None:
    problems = internal_link_problems(site, base_url="https://example.org/mini/")
    assert problems == []


def test_link_checker_sees_a_broken_link(tmp_path: Path) -> None:
    """The checker above must be able to fail: a layout with a dead link is caught."""
    root = make_project(tmp_path, {"layouts/404.html": '<!doctype html><html lang="en"><title>x</title>'
                                                       '<a href="{{ root }}nowhere/">x</a></html>'})
    result = build(root)
    assert result.ok, [p.format() for p in result.problems.items]
    assert internal_link_problems(root / "site") == ["404.html:1: <a href> '/nowhere/': no such file: nowhere/index.html"]


def test_no_broken_internal_link_in_repository_site(tmp_path: Path) -> None:
    result = build(REPO, out=tmp_path / "site")
    assert result.ok, "\n".join(p.format() for p in result.problems.errors)
    base_url = result.site.project.config.base_url  # type: ignore[union-attr]
    assert internal_link_problems(tmp_path / "site", base_url=base_url) == []
    assert MINI.is_dir()


# --- a source whose own headline is not known (untitled: true) ---------------------------------------

DESCRIBED = "Report that the office was shelved & <delayed>"
"""A described title, with characters that must be escaped where it is shown."""
UNTITLED_FILES = {
    "content/sources/shelved-2023.md": (
        f"---\ntitle: {json.dumps(DESCRIBED)}\nuntitled: true\npublisher: The Example Times\n"
        "date: 2023-07-12\nurl: https://example.com/shelved\naccessed: 2023-07-13\ntype: news\n---\n"
        "::: dispute Was it shelved?\n- Yes.[@guardian-2023]\n- Not yet.[@shelved-2023]\n:::\n"),
    "content/events/summit-2023.md": (
        "---\ntitle: Summit\ndate: 2023-07-11\nactors: [nato]\nsources: [guardian-2023]\n---\n"
        "[[nato]] met in Vilnius.[@guardian-2023] The office was shelved.[@shelved-2023]\n"),
}
DESCRIBED_HTML = "Report that the office was shelved &amp; &lt;delayed&gt;"
DESCRIBED_REFERENCE = (f'<span class="described"><a href="https://example.com/shelved">{DESCRIBED_HTML}</a></span> '
                       '<span class="title-note">(headline not recorded)</span>.')
TITLED_REFERENCE = '<cite><a href="https://example.com/report">Summit report</a></cite>.'


@pytest.fixture(scope="module")
def untitled_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_project(tmp_path_factory.mktemp("untitled"), UNTITLED_FILES)
    result = build(root, root.parent / "site")
    assert result.ok, "\n".join(p.format() for p in result.problems.items)
    return root.parent / "site"


def test_an_untitled_source_page_shows_a_description_with_a_note(untitled_site: Path) -> None:
    html = (untitled_site / "sources/shelved-2023/index.html").read_text(encoding="utf-8")
    assert (f"<h1>{DESCRIBED_HTML}</h1>\n"
            '<p class="title-note">Headline not recorded: the title above describes the item.</p>') in html
    # no headline styling and no quotation marks around the description, wherever the page shows it
    assert html.count(DESCRIBED_HTML) >= 3  # the heading, the sidenote and the Sources list (the page cites it)
    assert all(f"{before}{DESCRIBED_HTML}" not in html for before in ("<cite>", "“", "&#34;", "&quot;"))
    assert f'{DESCRIBED_HTML}</a></cite>' not in html
    script = html.split('<script type="application/ld+json">')[1].split("</script>")[0]
    data = json.loads(script)
    assert data["name"] == DESCRIBED and "headline" not in data  # the description is no headline


def test_an_untitled_source_in_sources_lists_sidenotes_and_disputes(untitled_site: Path) -> None:
    event = (untitled_site / "events/summit-2023/index.html").read_text(encoding="utf-8")
    item = event.split('<li id="source-2" value="2">')[1].split("</li>")[0]
    assert DESCRIBED_REFERENCE in item and "<cite>" not in item
    assert (f'<span class="sn-n">2</span> The Example Times, 12 July 2023: {DESCRIBED_HTML} '
            "(headline not recorded)</p>") in event
    listing = (untitled_site / "sources/index.html").read_text(encoding="utf-8")
    item = listing.split('<li id="shelved-2023">')[1].split("</li>")[0]
    assert DESCRIBED_REFERENCE in item and "<cite>" not in item
    # the search index and data.json keep the description itself as the title
    entries = {e["id"]: e for e in json.loads((untitled_site / "data.json").read_text(encoding="utf-8"))["entries"]}
    assert entries["shelved-2023"]["front_matter"]["title"] == DESCRIBED
    assert entries["shelved-2023"]["front_matter"]["untitled"] is True
    disputes = (untitled_site / "disputes/index.html").read_text(encoding="utf-8")
    assert f"on the page of a source: {DESCRIBED_HTML} (headline not recorded)</a>" in disputes
    index = "".join(p.read_text(encoding="utf-8") for p in (untitled_site / "search").rglob("*.json"))
    assert json.dumps(DESCRIBED, ensure_ascii=False)[1:-1] in index and f"[{DESCRIBED}" not in index


def test_a_source_without_the_key_renders_as_before(untitled_site: Path, tmp_path: Path) -> None:
    event = (untitled_site / "events/summit-2023/index.html").read_text(encoding="utf-8")
    item = event.split('<li id="source-1" value="1">')[1].split("</li>")[0]
    assert f'<span class="reference">{TITLED_REFERENCE}' in item and "title-note" not in item
    assert '<span class="sn-n">1</span> The Guardian, 12 July 2023: <cite>Summit report</cite></p>' in event
    assert "title-note" not in (untitled_site / "sources/guardian-2023/index.html").read_text(encoding="utf-8")
    # `untitled: false` is the same as no key: every page is byte for byte the same
    plain = make_project(tmp_path / "plain")
    false = make_project(tmp_path / "false", {"content/sources/guardian-2023.md": BASE_FILES[
        "content/sources/guardian-2023.md"].replace("title: Summit report\n", "title: Summit report\nuntitled: false\n")})
    assert build(plain, tmp_path / "a").ok and build(false, tmp_path / "b").ok
    pages = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.html"))
    assert pages and all((tmp_path / "a" / p).read_bytes() == (tmp_path / "b" / p).read_bytes() for p in pages)
