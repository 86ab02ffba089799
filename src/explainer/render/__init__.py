"""Stage 4, render: every file of the site, as bytes, from the resolved `SiteData`.

`site_files` is the one list of what a site is made of — the entry pages, the index
pages, the assets and the site-wide files (feeds, sitemap, data.json, exports, search
index) — and `check`, `build` (serial or forked) and the dev server all take it from
here, so no way of building can leave a file out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..load.files import DEFAULT_LAYOUTS
from ..model import Entry, Page, SiteData
from .outputs import OUTPUTS
from .outputs.sitemap import robots_output
from .pages import Renderer
from .search import search_index_output
from .templates import make_environment, render_page

Output = tuple[str, "str | bytes"]
SiteWide = Callable[[SiteData, Renderer], Iterable[Output]]

SITE_WIDE: list[SiteWide] = [*OUTPUTS, search_index_output]
"""Files that are functions of the whole site (sitemap, robots.txt, feed, data.json, CSL-JSON,
BibTeX, search index), in the order a build writes them."""


@dataclass
class SiteFiles:
    """What a site is made of, in the order a build writes it."""

    entries: list[Entry]
    """Documents with a page of their own: the home page first, then entries by kind and id."""
    index_pages: Callable[[], Iterator[Page]]
    """Pages that are not an entry's (timeline, actors, sources, disputes, search, 404)."""
    assets: list[tuple[str, Path]]
    site_wide: list[SiteWide]


def site_files(site: SiteData, renderer: Renderer) -> SiteFiles:
    """The one list of a site's outputs. An edition in another language (its files go under
    `CODE/`) has every page and site-wide file of its own, but shares the assets and
    robots.txt of the site's root."""
    project = site.project
    docs = ([project.home] if project.home else []) + sorted(project.entries.values(), key=lambda e: (e.kind, e.id))
    if project.config.edition_path:
        return SiteFiles(docs, renderer.index_pages, [], [make for make in SITE_WIDE if make is not robots_output])
    return SiteFiles(docs, renderer.index_pages, assets(project.root), SITE_WIDE)


def assets(root: Path) -> list[tuple[str, Path]]:
    """Files of `layouts/assets/`: the project's override the package's of the same name."""
    found: dict[str, Path] = {}
    for base in (DEFAULT_LAYOUTS / "assets", root / "layouts" / "assets"):
        if base.is_dir():
            for path in sorted(base.rglob("*")):
                if path.is_file() and not path.name.startswith("."):
                    found["assets/" + path.relative_to(base).as_posix()] = path
    return sorted(found.items())


def iter_outputs(site: SiteData) -> Iterator[Output]:
    """Every file of the site, rendered in memory in build order (what `check` renders)."""
    renderer = Renderer(site, make_environment(site.project.root))
    files = site_files(site, renderer)
    for doc in files.entries:
        page = renderer.entry_page(doc)
        yield page.out, renderer.render(page)
    for page in files.index_pages():
        yield page.out, renderer.render(page)
    for rel, path in files.assets:
        yield rel, path.read_bytes()
    for make in files.site_wide:
        yield from make(site, renderer)


__all__ = ["SITE_WIDE", "Renderer", "SiteFiles", "assets", "iter_outputs", "make_environment", "render_page",
           "site_files"]
