"""Publishing outputs, each read back with a real parser, on a site under a sub-path.

The fixture project is published at https://user.example.io/nato-tokyo/ (a project
site on a code host), so every absolute URL must carry the /nato-tokyo/ path. Parsers:
xml.etree (sitemap), jing with tests/fixtures/atom.rnc and feedparser (Atom),
html.parser + json (JSON-LD), jsonschema (data.json), citeproc-py (CSL-JSON),
pybtex (BibTeX), tests/tools.py's link checker (every internal link).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import feedparser
import pytest
from jsonschema import Draft202012Validator

from explainer import schema
from explainer.build import build
from explainer.render.outputs.data import SCHEMA_FILE, VERSION
from tools import internal_link_problems

BASE = "https://user.example.io/nato-tokyo/"
ATOM_RNC = Path(__file__).parent / "fixtures" / "atom.rnc"
HOSTILE = 'Talks end </script><script>alert(1)</script> <!-- "quoted" & more'
EXTERNAL = {  # the only absolute URLs outside BASE the outputs may contain
    "https://news.example.com/2023/07/12/office-shelved",
    "https://archive.example.org/web/2023/news.example.com/office-shelved",
    "https://gov.example.jp/statement?id=7&lang=en",
}
#: Hosts of vocabularies and XML namespaces: identifiers, never fetched.
NAMESPACE_HOSTS = {"schema.org", "json-schema.org", "www.w3.org", "www.sitemaps.org"}

FILES = {
    "config.yaml": f"""\
title: Test explainer
description: A fixture site published under a sub-path.
language: en
base_url: {BASE}
author: Fixture Desk
""",
    "content/index.md": """\
---
title: Test explainer
summary: What happened to the office.
---
[[nato]] and [[japan]] discussed [[office-proposed]].[@gov-statement]
""",
    "content/actors/nato.md": """\
---
title: NATO
kind: organisation
aliases: [North Atlantic Treaty Organization]
members: [france]
---
An alliance.[@news-shelved]
""",
    "content/actors/france.md": """\
---
title: France
kind: country
member_of: [nato]
---
A member of [[nato]].[@news-shelved]
""",
    "content/actors/ap4.md": """\
---
title: AP4
kind: grouping
---
Four partners of [[nato]].[@report-partners]
""",
    "content/actors/jens-stoltenberg.md": """\
---
title: Jens Stoltenberg
kind: person
role: NATO Secretary General (2014–2024)
affiliations: [nato]
country: norway
---
Led [[nato]].[@news-shelved]
""",
    "content/actors/norway.md": """\
---
title: Norway
kind: country
---
A country.[@report-partners]
""",
    "content/actors/japan.md": """\
---
title: Japan
kind: country
---
A partner of [[nato]].[@gov-statement]
""",
    "content/events/office-proposed.md": """\
---
title: Office proposed
date: 2023-05-03
location: Tokyo
actors: [japan, nato]
sources: [gov-statement]
updated: 2024-03-01
summary: A liaison office is floated.
---
[[japan]] and [[nato]] discuss an office.[@gov-statement]
""",
    "content/events/vilnius-summit-2023.md": f"""\
---
title: {json.dumps(HOSTILE)}
date: 2023-07-11
end_date: 2023-07-12
location: Vilnius, Lithuania
actors: [nato, france, jens-stoltenberg]
sources: [news-shelved]
summary: The summit communiqué leaves the office out.
---
[[france]] objected.[@news-shelved, para. 3] See [[office-proposed]].[@report-partners]
""",
    "content/events/talks-2022.md": """\
---
title: Early talks
date: 2022
actors: [ap4]
summary: First talks.
---
[[ap4]] met.[@report-partners]
""",
    "content/sources/news-shelved.md": """\
---
title: "NATO shelves Tokyo office & other 50% {plans} #1_deal"
publisher: The Example Times
authors: [Jane Q. Doe, "Ministry of Foreign Affairs of Japan"]
date: 2023-07-12
url: https://news.example.com/2023/07/12/office-shelved
accessed: 2024-01-05
archive_url: https://archive.example.org/web/2023/news.example.com/office-shelved
type: news
language: en
---
A news report.
""",
    "content/sources/gov-statement.md": """\
---
title: Statement on the liaison office
publisher: Example Government
date: 2023-05
url: https://gov.example.jp/statement?id=7&lang=en
accessed: 2024-01-05
type: official
---
An official statement.
""",
    "content/sources/report-partners.md": """\
---
title: Partners across the globe
publisher: Example Institute
authors: [Richard Roe]
date: 2022
type: report
---
A report.
""",
    "content/pages/about.md": """\
---
title: About
nav: 1
---
How this site is made.[@report-partners]
""",
}


def write_project(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def build_ok(root: Path, out: Path) -> Path:
    result = build(root, out)
    assert result.ok, "\n".join(p.format() for p in result.problems.items)
    return out


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_project(tmp_path_factory.mktemp("project"), FILES)


@pytest.fixture(scope="module")
def site(project: Path) -> Path:
    return build_ok(project, project / "site")


def read(site: Path, rel: str) -> str:
    return (site / rel).read_text(encoding="utf-8")


# --- HTML helpers ------------------------------------------------------------------------------

class HeadParser(HTMLParser):
    """Collects JSON-LD script texts, meta tags and link tags of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[str] = []
        self.meta: dict[str, str] = {}
        self.links: list[dict[str, str]] = []
        self.hrefs: list[str] = []
        self._in_ld = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "script" and a.get("type") == "application/ld+json":
            self._in_ld = True
            self.scripts.append("")
        elif tag == "meta" and ("property" in a or "name" in a):
            self.meta[a.get("property") or a["name"]] = a.get("content", "")
        elif tag == "link":
            self.links.append(a)
        for key in ("href", "src"):
            if key in a:
                self.hrefs.append(a[key])

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_ld = False

    def handle_data(self, data: str) -> None:
        if self._in_ld:
            self.scripts[-1] += data


def head(site: Path, rel: str) -> HeadParser:
    parser = HeadParser()
    parser.feed(read(site, rel))
    return parser


def json_ld(site: Path, rel: str) -> dict | None:
    scripts = head(site, rel).scripts
    assert len(scripts) <= 1, f"{rel}: {len(scripts)} JSON-LD scripts"
    return json.loads(scripts[0]) if scripts else None


def html_pages(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))


def url_of(rel: str) -> str:
    return BASE + (rel[: -len("index.html")] if rel.endswith("index.html") else rel)


# --- sitemap and robots ------------------------------------------------------------------------

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def test_sitemap_lists_every_page_with_lastmod_only_when_known(site: Path) -> None:
    root = ET.parse(site / "sitemap.xml").getroot()
    assert root.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}urlset"
    urls = {u.findtext("s:loc", namespaces=NS): u.findtext("s:lastmod", namespaces=NS)
            for u in root.findall("s:url", NS)}
    expected = {url_of(p) for p in html_pages(site) if p != "404.html"}
    assert set(urls) == expected
    assert len(root.findall("s:url", NS)) == len(expected)  # no duplicates
    assert {u: m for u, m in urls.items() if m is not None} == {BASE + "events/office-proposed/": "2024-03-01"}


def test_robots_points_at_the_absolute_sitemap(site: Path) -> None:
    assert read(site, "robots.txt") == f"User-agent: *\nAllow: /\n\nSitemap: {BASE}sitemap.xml\n"


# --- Atom feed ---------------------------------------------------------------------------------

def jing(path: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("jing")
    assert exe, "jing not found: apt-get install jing (bash scripts/test.sh installs it)"
    return subprocess.run([exe, "-c", str(ATOM_RNC), str(path)], capture_output=True, text=True, timeout=60)


def test_feed_is_valid_atom_per_the_relax_ng_schema(site: Path, tmp_path: Path) -> None:
    good = jing(site / "feed.xml")
    assert good.returncode == 0, good.stdout + good.stderr
    # The schema can fail: no feed id, and a date that is not RFC 3339.
    text = read(site, "feed.xml")
    broken = re.sub(r"  <id>[^<]*</id>\n", "", text, count=1)
    broken = broken.replace("<updated>2024-03-01T00:00:00Z</updated>", "<updated>2024-03-01</updated>", 1)
    assert broken.count("<id>") == text.count("<id>") - 1 and "<updated>2024-03-01<" in broken
    (tmp_path / "bad.xml").write_text(broken, encoding="utf-8")
    bad = jing(tmp_path / "bad.xml")
    assert bad.returncode != 0
    assert 'missing required element "id"' in bad.stdout
    assert "invalid" in bad.stdout and "updated" in bad.stdout


def test_feed_reads_in_feedparser_newest_first_with_absolute_links(site: Path) -> None:
    feed = feedparser.parse(read(site, "feed.xml"))
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.id == BASE
    assert feed.feed.title == "Test explainer: events"
    assert feed.feed.author == "Fixture Desk"
    links = {link.rel: link.href for link in feed.feed.links}
    assert links == {"self": BASE + "feed.xml", "alternate": BASE + "timeline/"}
    assert [e.link for e in feed.entries] == [
        BASE + "events/vilnius-summit-2023/", BASE + "events/office-proposed/", BASE + "events/talks-2022/"]
    assert [e.id for e in feed.entries] == [e.link for e in feed.entries]
    assert feed.entries[0].title == HOSTILE
    assert [e.updated for e in feed.entries] == [
        "2023-07-11T00:00:00Z", "2024-03-01T00:00:00Z", "2022-01-01T00:00:00Z"]
    # The feed's updated is the newest entry's, not the build's clock.
    assert feed.feed.updated == "2024-03-01T00:00:00Z"
    # Bodies resolve their relative links against the event page (xml:base).
    content = feed.entries[0].content[0]
    assert content.type == "text/html"
    assert f'href="{BASE}actors/france/"' in content.value


def test_feed_without_events_uses_source_date_epoch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {k: v for k, v in FILES.items() if not k.startswith("content/events/")}
    files["content/index.md"] = files["content/index.md"].replace("[[office-proposed]]", "an office")
    root = write_project(tmp_path / "p", files)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    feed = feedparser.parse(read(build_ok(root, tmp_path / "a"), "feed.xml"))
    assert feed.feed.updated == "2023-11-14T22:13:20Z" and feed.entries == []
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    feed = feedparser.parse(read(build_ok(root, tmp_path / "b"), "feed.xml"))
    assert feed.feed.updated == "1970-01-01T00:00:00Z"


# --- page metadata: canonical, feed link, Open Graph, Twitter, JSON-LD --------------------------

def test_every_page_has_canonical_open_graph_and_feed_link(site: Path) -> None:
    for rel in html_pages(site):
        page = head(site, rel)
        canonical = [link["href"] for link in page.links if link.get("rel") == "canonical"]
        assert canonical == [url_of(rel)], rel
        assert page.meta["og:url"] == url_of(rel), rel
        assert page.meta["og:title"] and page.meta["twitter:title"] == page.meta["og:title"], rel
        assert page.meta["og:description"] and page.meta["twitter:card"] == "summary_large_image", rel
        assert page.meta["og:image"] == page.meta["twitter:image"] and page.meta["og:image"].startswith(BASE), rel
        feeds = [link for link in page.links if link.get("type") == "application/atom+xml"]
        assert len(feeds) == 1 and feeds[0]["rel"] == "alternate", rel
        assert urljoin(url_of(rel), feeds[0]["href"]) == BASE + "feed.xml", rel
    event = head(site, "events/office-proposed/index.html").meta
    assert event["og:type"] == "article" and event["og:title"] == "Office proposed"
    assert event["og:description"] == event["twitter:description"] == "A liaison office is floated."
    assert head(site, "index.html").meta["og:type"] == "website"
    assert head(site, "actors/jens-stoltenberg/index.html").meta["og:type"] == "profile"
    assert head(site, "404.html").meta["robots"] == "noindex"


EXPECTED_TYPES = {
    "index.html": "WebSite",
    "actors/nato/index.html": "Organization",
    "actors/ap4/index.html": "Organization",
    "actors/france/index.html": "Country",
    "actors/jens-stoltenberg/index.html": "Person",
    "events/office-proposed/index.html": "Event",
    "sources/news-shelved/index.html": "NewsArticle",
    "sources/gov-statement/index.html": "CreativeWork",
    "sources/report-partners/index.html": "CreativeWork",
    "about/index.html": "WebPage",
    "timeline/index.html": "CollectionPage",
    "actors/index.html": "CollectionPage",
    "sources/index.html": "CollectionPage",
    "disputes/index.html": "CollectionPage",
}


def test_json_ld_type_and_url_of_every_page(site: Path) -> None:
    for rel in html_pages(site):
        data = json_ld(site, rel)
        if rel == "404.html":
            assert data is None
            continue
        assert data is not None, rel
        assert data["@context"] == "https://schema.org", rel
        assert data["@id"] == data["url"] == url_of(rel), rel
        if rel in EXPECTED_TYPES:
            assert data["@type"] == EXPECTED_TYPES[rel], rel


def test_json_ld_of_an_event_carries_actors_dates_place_and_citations(site: Path) -> None:
    data = json_ld(site, "events/vilnius-summit-2023/index.html")
    assert data["@type"] == "Event" and data["name"] == HOSTILE
    assert (data["startDate"], data["endDate"]) == ("2023-07-11", "2023-07-12")
    assert data["location"] == {"@type": "Place", "name": "Vilnius, Lithuania"}
    assert [(a["@type"], a["@id"]) for a in data["actor"]] == [
        ("Country", BASE + "actors/france/"), ("Person", BASE + "actors/jens-stoltenberg/"),
        ("Organization", BASE + "actors/nato/")]
    assert [(c["@type"], c["@id"]) for c in data["citation"]] == [
        ("NewsArticle", BASE + "sources/news-shelved/"), ("CreativeWork", BASE + "sources/report-partners/")]


def test_json_ld_of_people_organisations_and_sources(site: Path) -> None:
    person = json_ld(site, "actors/jens-stoltenberg/index.html")
    assert person["jobTitle"] == "NATO Secretary General (2014–2024)"
    assert person["affiliation"] == [{"@type": "Organization", "@id": BASE + "actors/nato/", "name": "NATO",
                                      "url": BASE + "actors/nato/"}]
    assert person["nationality"]["@id"] == BASE + "actors/norway/"
    nato = json_ld(site, "actors/nato/index.html")
    assert nato["alternateName"] == ["North Atlantic Treaty Organization"]
    assert [m["@id"] for m in nato["member"]] == [BASE + "actors/france/"]
    source = json_ld(site, "sources/news-shelved/index.html")
    assert source["headline"] == "NATO shelves Tokyo office & other 50% {plans} #1_deal"
    assert source["publisher"] == {"@type": "Organization", "name": "The Example Times"}
    assert source["datePublished"] == "2023-07-12"
    assert source["sameAs"] == ["https://news.example.com/2023/07/12/office-shelved",
                                "https://archive.example.org/web/2023/news.example.com/office-shelved"]
    home = json_ld(site, "index.html")
    assert home["name"] == "Test explainer" and home["publisher"]["name"] == "Fixture Desk"


def test_no_title_can_break_out_of_the_json_ld_script(site: Path) -> None:
    html = read(site, "events/vilnius-summit-2023/index.html")
    start = html.index('<script type="application/ld+json">') + len('<script type="application/ld+json">')
    raw = html[start: html.index("</script>", start)]
    # What the HTML tokenizer sees as the script's text is the whole JSON object...
    assert json.loads(raw)["name"] == HOSTILE
    # ...because nothing in it can end the element or open a comment (which would
    # change how </script> is parsed).
    assert "<" not in raw and ">" not in raw
    assert "<script>alert" not in html  # the title's <script> is escaped everywhere else too


# --- data.json -------------------------------------------------------------------------------

def validator() -> Draft202012Validator:
    schema_doc = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema_doc)
    return Draft202012Validator(schema_doc, format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_data_json_is_valid_against_its_schema(site: Path) -> None:
    data = json.loads(read(site, "data.json"))
    errors = [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator().iter_errors(data)]
    assert not errors, "\n".join(errors)
    assert read(site, "data.schema.json") == SCHEMA_FILE.read_text(encoding="utf-8")
    assert data["$schema"] == BASE + "data.schema.json"
    assert (data["format"], data["version"]) == ("explainer-data", VERSION)
    assert re.fullmatch(r"1\.[0-9]+", VERSION)
    entries = {e["id"]: e for e in data["entries"]}
    assert set(entries) == {""} | {Path(k).stem for k in FILES if k.startswith("content/") and k.count("/") == 2}
    event = entries["vilnius-summit-2023"]
    assert event["url"] == BASE + "events/vilnius-summit-2023/"
    assert event["file"] == "content/events/vilnius-summit-2023.md"
    assert event["front_matter"]["date"] == "2023-07-11" and event["front_matter"]["title"] == HOSTILE
    refs = {r["id"]: r["how"] for r in event["references"]}
    assert refs["france"] == ["actors", "link"] and refs["news-shelved"] == ["citation", "sources"]
    assert {"id": "vilnius-summit-2023", "how": ["link"]} in entries["office-proposed"]["referenced_by"]
    assert {"id": "", "how": ["citation"]} in entries["gov-statement"]["referenced_by"]


def test_data_json_is_the_export_with_one_line_an_entry(project: Path, site: Path) -> None:
    """The file written entry by entry parses to exactly `data(site)`, and each entry is one line."""
    from explainer.diagnostics import Problems
    from explainer.pipeline import build_site
    from explainer.render.outputs.data import data

    text = read(site, "data.json")
    expected = data(build_site(project, Problems())[0])
    assert json.loads(text) == expected
    lines = [line for line in text.splitlines() if line.startswith('  {"')]
    assert [json.loads(line.rstrip(",")) for line in lines] == expected["entries"]


def test_data_schema_rejects_what_it_should(site: Path) -> None:
    v = validator()
    doc = json.loads(read(site, "data.json"))
    good = next(e for e in doc["entries"] if e["id"] == "talks-2022")
    good["front_matter"] = {"title": "X", "date": "2023-07"}
    doc["entries"] = [good]
    assert not list(v.iter_errors(doc))
    for bad in ({"kind": "essay"}, {"front_matter": {"title": "X"}},  # an event needs a date
                {"front_matter": {"title": "X", "date": "July 2023"}}, {"id": "Not An Id"},
                {"front_matter": {"title": "X", "date": "2023", "publisher": "P"}}):
        doc["entries"] = [{**good, **bad}]
        assert list(v.iter_errors(doc)), bad


def test_data_schema_knows_every_front_matter_key() -> None:
    """The shipped schema is a file: this keeps it in step with schema.py's table."""
    defs = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))["$defs"]
    for name, kind in {**schema.KINDS, "home": schema.HOME}.items():
        fm = defs[f"{name}_front_matter"]
        assert set(fm["properties"]) == {f.name for f in kind.fields}, name
        assert set(fm["required"]) == set(kind.required), name


# --- bibliography: CSL-JSON and BibTeX ---------------------------------------------------------

def test_sources_json_is_the_csl_export_with_one_line_an_item(project: Path, site: Path) -> None:
    """sources.json parses to exactly the CSL items of every source, sorted by id, one a line."""
    from explainer.diagnostics import Problems
    from explainer.pipeline import build_site
    from explainer.render.citestyle import sources_of
    from explainer.render.outputs.biblio import csl_item

    analysed, _ = build_site(project, Problems())
    expected = [csl_item(analysed, e) for e in sources_of(analysed)]
    text = read(site, "sources.json")
    lines = text.splitlines()
    assert lines[0] == "[" and lines[-1] == "]" and len(lines) == len(expected) + 2
    assert [json.loads(line.rstrip(",")) for line in lines[1:-1]] == json.loads(text) == expected


def test_csl_json_formats_with_citeproc(site: Path) -> None:
    from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
    from citeproc.source.json import CiteProcJSON

    items = json.loads(read(site, "sources.json"))
    assert [i["id"] for i in items] == ["gov-statement", "news-shelved", "report-partners"]
    news = items[1]
    assert news["type"] == "article-newspaper" and news["container-title"] == "The Example Times"
    assert news["author"] == [{"family": "Doe", "given": "Jane Q."}, {"literal": "Ministry of Foreign Affairs of Japan"}]
    assert news["issued"] == {"date-parts": [[2023, 7, 12]]} and news["accessed"] == {"date-parts": [[2024, 1, 5]]}
    assert items[0]["issued"] == {"date-parts": [[2023, 5]]}
    assert news["note"] == ("Archived copy: https://archive.example.org/web/2023/news.example.com/office-shelved. "
                            f"Explainer page: {BASE}sources/news-shelved/")
    style = CitationStylesStyle("harvard-cite-them-right", validate=False)  # bundled with citeproc-py
    bib = CitationStylesBibliography(style, CiteProcJSON(items), formatter.plain)
    bib.register(Citation([CitationItem("report-partners")]))
    text = str(bib.bibliography()[0])
    assert "Roe, R." in text and "2022" in text and "Partners across the globe" in text, text


def test_bibtex_parses_with_pybtex(site: Path) -> None:
    from pybtex.database import parse_string

    data = parse_string(read(site, "sources.bib"), "bibtex")
    assert list(data.entries) == ["gov-statement", "news-shelved", "report-partners"]
    news = data.entries["news-shelved"]
    assert news.type == "article"
    assert news.fields["title"] == r"{NATO shelves Tokyo office \& other 50\% \{plans\} \#1\_deal}"
    assert news.fields["journal"] == "The Example Times"
    assert (news.fields["year"], news.fields["month"], news.fields["date"]) == ("2023", "July", "2023-07-12")
    assert news.fields["url"] == "https://news.example.com/2023/07/12/office-shelved"
    assert news.fields["urldate"] == "2024-01-05"
    assert f"\\url{{{BASE}sources/news-shelved/}}" in news.fields["note"]
    people = news.persons["author"]
    assert [str(p) for p in people] == ["Doe, Jane Q.", "{Ministry of Foreign Affairs of Japan}"]
    assert data.entries["report-partners"].type == "techreport"
    assert data.entries["gov-statement"].fields["url"] == "https://gov.example.jp/statement?id=7&lang=en"


def test_sources_page_links_the_exports(site: Path) -> None:
    hrefs = head(site, "sources/index.html").hrefs
    for name in ("sources.json", "sources.bib", "data.json"):
        assert f"../{name}" in hrefs


# --- the whole site under a sub-path ------------------------------------------------------------

def test_every_internal_link_resolves_under_the_sub_path(site: Path) -> None:
    problems = internal_link_problems(site, base_path="/nato-tokyo/", base_url=BASE)
    assert not problems, "\n".join(problems)


def test_every_absolute_url_in_every_output_is_under_base_url(site: Path) -> None:
    url_re = re.compile(r"""https?://[^\s"'<>\\{}]+""")
    checked = 0
    for path in sorted(site.rglob("*")):
        if not path.is_file() or path.suffix not in (".html", ".xml", ".json", ".bib", ".txt"):
            continue
        if path.parent == site / "assets" / "fonts":  # the fonts' licence names its licensors' sites
            continue
        text = path.read_text(encoding="utf-8").replace("&amp;", "&").replace("\\u0026", "&")
        for url in url_re.findall(text):
            url = url.rstrip(".,;)")
            checked += 1
            assert url.startswith(BASE) or url in EXTERNAL or urlsplit(url).hostname in NAMESPACE_HOSTS, (
                f"{path.relative_to(site)}: {url}")
    assert checked > 100


def test_404_page_works_from_any_depth(site: Path) -> None:
    page = head(site, "404.html")
    internal = [h for h in page.hrefs if not h.startswith(("http:", "https:", "#"))]
    assert internal
    for depth_url in (BASE + "missing", BASE + "a/b/c/missing/", "https://user.example.io/nato-tokyo/x/y.html"):
        for href in internal:
            target = urljoin(depth_url, href)
            assert target.startswith(BASE), (depth_url, href)
            rel = urlsplit(target).path[len("/nato-tokyo/"):]
            assert (site / rel / "index.html" if rel == "" or rel.endswith("/") else site / rel).is_file(), target


def test_two_builds_are_byte_identical(project: Path, tmp_path: Path) -> None:
    site = build_ok(project, tmp_path / "first")
    again = build_ok(project, tmp_path / "again")
    first = {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    second = {p.relative_to(again).as_posix(): p.read_bytes() for p in again.rglob("*") if p.is_file()}
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []


def test_pages_with_the_new_head_tags_pass_the_nu_checker(site: Path) -> None:
    from tools import run_nu_checker

    errors = run_nu_checker([site / "index.html", site / "404.html", site / "sources" / "index.html",
                             site / "events" / "vilnius-summit-2023" / "index.html",
                             site / "actors" / "jens-stoltenberg" / "index.html"])
    assert not errors, "\n".join(errors)


def test_dates_other_stages_may_fill_in_take_the_forms_sitemaps_and_atom_need() -> None:
    """`updated` may later come from git as a string or datetime, not only from front matter."""
    import datetime as dt

    from explainer.dates import PartialDate
    from explainer.render.outputs.common import rfc3339, w3c_date

    tokyo = dt.timezone(dt.timedelta(hours=9))
    cases = [
        (PartialDate(2023, 7), "2023-07", "2023-07-01T00:00:00Z"),
        ("2024-03-01", "2024-03-01", "2024-03-01T00:00:00Z"),
        ("2024-03-01T09:30:00+09:00", "2024-03-01T09:30:00+09:00", "2024-03-01T09:30:00+09:00"),
        (dt.datetime(2024, 3, 1, 9, 30, tzinfo=tokyo), "2024-03-01T00:30:00Z", "2024-03-01T00:30:00Z"),
        (dt.date(2024, 3, 1), "2024-03-01", "2024-03-01T00:00:00Z"),
        ("last Tuesday", None, None),
        (None, None, None),
    ]
    for value, sitemap_form, atom_form in cases:
        assert (w3c_date(value), rfc3339(value)) == (sitemap_form, atom_form), value
