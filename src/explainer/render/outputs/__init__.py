"""Machine-readable outputs: sitemap, robots.txt, Atom feed, data.json, CSL-JSON, BibTeX.

Each output is a function `(site, renderer) -> iterable of (relative path, text)`,
listed in `render.SITE_WIDE`, so a build writes them next to the pages and a
check renders them in memory. Every absolute URL is `config.site_url` + the page's
`url_path`, so the outputs stay right when the site lives under a sub-path
(`https://user.example.io/nato-tokyo/`). Nothing reads the clock: a build is
byte-identical when its input is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ...model import SiteData
from ..pages import Renderer
from .biblio import bibtex_output, csl_json_output
from .data import data_json_output
from .feed import corrections_feed_output, feed_output
from .sitemap import robots_output, sitemap_output

Output = tuple[str, "str | bytes"]

#: Every output of this package, in the order a build writes them.
OUTPUTS: list[Callable[[SiteData, Renderer], Iterable[Output]]] = [
    sitemap_output,
    robots_output,
    feed_output,
    corrections_feed_output,
    data_json_output,
    csl_json_output,
    bibtex_output,
]
