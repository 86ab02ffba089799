"""sitemap.xml (every page; `lastmod` only when an entry says when it changed) and robots.txt."""

from __future__ import annotations

from collections.abc import Iterator

from ...model import SiteData
from ..pages import Renderer
from .common import absolute, escape, updated_of, w3c_date

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def page_urls(site: SiteData, renderer: Renderer) -> list[tuple[str, str | None]]:
    """(url_path, lastmod or None) of every HTML page but the 404 page, in page order.

    Entry pages come from the project and the other pages from `renderer.index_outs()`
    (building their contexts again would cost seconds on a large site), so a section
    page added there is listed here too.
    """
    project = site.project
    entries = ([project.home] if project.home else []) + sorted(
        project.entries.values(), key=lambda e: (e.kind, e.id))
    found: list[tuple[str, str | None]] = [(e.url_path, w3c_date(updated_of(e))) for e in entries]
    for out in renderer.index_outs():
        if out.endswith("index.html"):  # not 404.html: not a page to index
            found.append((out[: -len("index.html")], None))
    return found


def sitemap_output(site: SiteData, renderer: Renderer) -> Iterator[tuple[str, str]]:
    """Write sitemap.xml: the sitemaps.org 0.9 format, absolute URLs under base_url."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<urlset xmlns="{SITEMAP_NS}">']
    for url_path, lastmod in page_urls(site, renderer):
        lines.append(f"  <url><loc>{escape(absolute(site.project, url_path))}</loc>"
                     + (f"<lastmod>{escape(lastmod)}</lastmod>" if lastmod else "") + "</url>")
    lines.append("</urlset>")
    yield "sitemap.xml", "\n".join(lines) + "\n"


def robots_output(site: SiteData, renderer: Renderer) -> Iterator[tuple[str, str]]:
    """Write robots.txt: everything may be crawled; the sitemap's absolute address.

    Crawlers read robots.txt only at a host's root, so under a sub-path this file is a
    courtesy; the Sitemap line is what matters, and it is absolute either way.
    """
    yield "robots.txt", f"User-agent: *\nAllow: /\n\nSitemap: {absolute(site.project, 'sitemap.xml')}\n"
