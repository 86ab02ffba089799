"""sitemap.xml (every page; `lastmod` only when an entry says when it changed) and robots.txt."""

from __future__ import annotations

from typing import Iterator

from ..render import Renderer, SiteData
from .common import absolute, escape, updated_of, w3c_date

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def page_urls(site: SiteData, renderer: Renderer) -> list[tuple[str, str | None]]:
    """(url_path, lastmod or None) of every HTML page but the 404 page, in page order."""
    project = site.project
    found: list[tuple[str, str | None]] = []
    for page in renderer.pages():
        if not page.out.endswith("index.html"):
            continue  # 404.html and any other non-folder page: not a page to index
        url_path = page.out[: -len("index.html")]
        entry_view = page.context.get("entry")
        lastmod = None
        if entry_view is not None:
            entry = project.home if entry_view.kind == "home" else project.entries.get(entry_view.id)
            if entry is not None:
                lastmod = w3c_date(updated_of(entry))
        found.append((url_path, lastmod))
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
