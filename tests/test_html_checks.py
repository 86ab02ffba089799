"""The repository's own site, checked as files: the Nu HTML checker, internal links, and
the structure every page owes its readers (lang, one h1, a skip link that lands, alt
text, no resource from another host).

These need no browser, so they stay fast; the browser tests are in test_browser.py.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from explainer.build import build
from tools import internal_link_problems, run_nu_checker

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's explainer, built once for this module."""
    out = tmp_path_factory.mktemp("html") / "site"
    result = build(REPO, out)
    assert result.ok, "\n".join(p.format() for p in result.problems.items)
    return out


@pytest.fixture(scope="module")
def pages(site_dir: Path) -> list[Path]:
    found = sorted(site_dir.rglob("*.html"))
    assert len(found) >= 100, f"only {len(found)} pages built"
    return found


def test_nu_checker_finds_no_errors(pages: list[Path], site_dir: Path) -> None:
    """Every page in ONE call of vnu.jar (each JVM start costs over a second)."""
    errors = run_nu_checker(pages)
    assert not errors, "\n".join(e.replace(str(site_dir), "site") for e in errors)


def test_internal_links_resolve(site_dir: Path) -> None:
    import yaml

    base_url = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))["base_url"]
    problems = internal_link_problems(site_dir, base_url=base_url)
    assert not problems, "\n".join(problems)


class Outline(HTMLParser):
    """What a page promises a reader before any script runs."""

    RESOURCE_ATTRS = {"link": "href", "script": "src", "img": "src", "source": "src", "iframe": "src",
                      "video": "src", "audio": "src", "image": "href", "use": "href"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lang: str | None = None
        self.h1 = 0
        self.ids: set[str] = set()
        self.first_link: str | None = None
        self.images_without_alt: list[str] = []
        self.foreign: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "h1":
            self.h1 += 1
        if a.get("id"):
            self.ids.add(a["id"] or "")
        if tag == "a" and self.first_link is None:
            self.first_link = a.get("href")
        if tag == "img" and a.get("alt") is None:
            self.images_without_alt.append(a.get("src") or "?")
        wanted = self.RESOURCE_ATTRS.get(tag)
        url = a.get(wanted) if wanted else None
        is_resource = tag != "link" or (a.get("rel") or "").lower() in ("stylesheet", "icon", "preload",
                                                                        "modulepreload", "manifest")
        if url and is_resource and (urlsplit(url).netloc or url.startswith("//")):
            self.foreign.append(f"<{tag}> {url}")


def test_every_page_has_lang_one_h1_a_working_skip_link_and_only_local_resources(pages: list[Path],
                                                                                site_dir: Path) -> None:
    problems = []
    for path in pages:
        outline = Outline()
        outline.feed(path.read_text(encoding="utf-8"))
        rel = path.relative_to(site_dir).as_posix()
        if not outline.lang:
            problems.append(f"{rel}: <html> has no lang")
        if outline.h1 != 1:
            problems.append(f"{rel}: {outline.h1} h1 elements (want exactly 1)")
        if outline.first_link != "#main" or "main" not in outline.ids:
            problems.append(f"{rel}: the first link is {outline.first_link!r}, not a skip link to #main")
        if outline.images_without_alt:
            problems.append(f"{rel}: images without alt: {outline.images_without_alt}")
        if outline.foreign:
            problems.append(f"{rel}: loads from another host: {outline.foreign}")
    assert not problems, "\n".join(problems)


def test_outline_catches_what_it_should() -> None:
    """The structural check above must be able to fail."""
    outline = Outline()
    outline.feed('<html><body><a href="/x">x</a><h1>a</h1><h1>b</h1><img src="a.png">'
                 '<script src="https://cdn.example/x.js"></script><link rel="stylesheet" href="//fonts.example/f.css">'
                 '<link rel="canonical" href="https://example.org/"></body></html>')
    assert (outline.lang, outline.h1, outline.first_link) == (None, 2, "/x")
    assert outline.images_without_alt == ["a.png"]
    assert outline.foreign == ["<script> https://cdn.example/x.js", "<link> //fonts.example/f.css"]
