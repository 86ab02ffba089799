"""sitemap.xml (every page; `lastmod` only when an entry says when it changed) and robots.txt."""

from __future__ import annotations

from collections.abc import Iterator

from ...model import Entry, Project, SiteData
from ..languages import alternates, available
from ..pages import Renderer
from .common import absolute, escape, updated_of, w3c_date

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"


def page_urls(site: SiteData, renderer: Renderer) -> list[tuple[str, str | None, Entry | None]]:
    """(url_path, lastmod or None, its entry or None) of every HTML page but the 404 page, in page order.

    Entry pages come from the project and the other pages from `renderer.index_outs()`
    (building their contexts again would cost seconds on a large site), so a section
    page added there is listed here too.
    """
    project = site.project
    entries = ([project.home] if project.home else []) + sorted(
        project.entries.values(), key=lambda e: (e.kind, e.id))
    found: list[tuple[str, str | None, Entry | None]] = [(e.url_path, w3c_date(updated_of(e)), e) for e in entries]
    for out in renderer.index_outs():
        if out.endswith("index.html"):  # not 404.html: not a page to index
            found.append((out[: -len("index.html")], None, None))
    return found


def _alternates(project: Project, url_path: str, entry: Entry | None) -> list[tuple[str, str]]:
    """hreflang pairs of a page: each language it is available in, and x-default (the original)."""
    items = alternates(project, url_path, entry, "")
    return [(a.code, a.url) for a in items if a.available] + [("x-default", items[0].url)]


def sitemap_output(site: SiteData, renderer: Renderer) -> Iterator[tuple[str, str]]:
    """Write sitemap.xml: the sitemaps.org 0.9 format, absolute URLs under base_url."""
    project = site.project
    several = len(project.config.languages) > 1
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             f'<urlset xmlns="{SITEMAP_NS}"' + (f' xmlns:xhtml="{XHTML_NS}"' if several else "") + ">"]
    for url_path, lastmod, entry in page_urls(site, renderer):
        if several and not available(project, project.config.language, entry):
            continue  # not translated: the page is the original's, which the original's sitemap lists
        links = "".join(f'<xhtml:link rel="alternate" hreflang="{escape(code)}" href="{escape(url)}"/>'
                        for code, url in _alternates(project, url_path, entry)) if several else ""
        lines.append(f"  <url><loc>{escape(absolute(project, url_path))}</loc>"
                     + (f"<lastmod>{escape(lastmod)}</lastmod>" if lastmod else "") + links + "</url>")
    lines.append("</urlset>")
    yield "sitemap.xml", "\n".join(lines) + "\n"


def robots_output(site: SiteData, renderer: Renderer) -> Iterator[tuple[str, str]]:
    """Write robots.txt: everything may be crawled; the sitemap's absolute address.

    Crawlers read robots.txt only at a host's root, so under a sub-path this file is a
    courtesy; the Sitemap line is what matters, and it is absolute either way.
    """
    config = site.project.config
    maps = [absolute(site.project, "sitemap.xml")] + [
        f"{config.base_url}{code}/sitemap.xml" for code, _ in config.languages[1:]]
    yield "robots.txt", "User-agent: *\nAllow: /\n\n" + "".join(f"Sitemap: {m}\n" for m in maps)
