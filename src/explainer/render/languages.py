"""A page in every language of the site: its addresses in each edition, which of them are
really in that language, and what a page not yet translated tells its reader.

Every edition has every page (`validate.languages.edition`). A page is *available* in a
language when it is written in it: every page of the default language, every page the
generator makes (lists, search, disputes: their text is the interface's), a source's page
(a source keeps its own language and is listed in every edition), and an entry with a
translation. Only available pages are paired by `hreflang` and listed in a sitemap; a page
that is not is shown in the original's words under the edition's interface, with a notice
in the reader's language, a canonical link to the original, and `noindex` (so a search
engine never takes the original's text for a translation).
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import schema
from ..model import Entry, Project


@dataclass(frozen=True)
class Alternate:
    """The page in one language of the site."""

    code: str
    name: str
    href: str
    """Relative to the current page (for the switcher)."""
    url: str
    """Absolute (for hreflang)."""
    current: bool
    available: bool


def available(project: Project, code: str, entry: Entry | None) -> bool:
    """Whether the page of `entry` (None: a page the generator makes) is written in `code`."""
    if entry is None or code == project.config.languages[0][0]:
        return True
    if schema.kind_of(entry.kind).cited:
        return True
    return entry.id in project.translated.get(code, frozenset())


def site_base_url(project: Project) -> str:
    """The address of the default language's site (an edition's `base_url` ends with its code)."""
    base, edition = project.config.base_url, project.config.edition_path
    return base[: len(base) - len(edition)] if edition and base.endswith(edition) else base


def site_root(project: Project, root: str) -> str:
    """From a page whose edition's root is `root` to the site's root (where the assets are)."""
    return root + "../" * project.config.edition_path.count("/")


def alternates(project: Project, url_path: str, entry: Entry | None, root: str) -> list[Alternate]:
    """The page (at `url_path` in each edition) in every language of the site, in config order;
    `root` leads from the page to its edition's root."""
    config = project.config
    default = config.languages[0][0]
    to_site_root = site_root(project, root)
    base = site_base_url(project)
    found = []
    for code, name in config.languages:
        prefix = "" if code == default else code + "/"
        found.append(Alternate(code, name, to_site_root + prefix + url_path, base + prefix + url_path,
                               code == config.language, available(project, code, entry)))
    return found


def context(project: Project, url_path: str, entry: Entry | None, root: str) -> dict[str, object]:
    """What a page's layout needs to show its languages: `languages` (the switcher; empty for a
    one-language site), `hreflang` (alternates and x-default, only where the page is
    available), `original` (the original's address when this page is not translated), and
    `text_lang` (the language the page's own text is in)."""
    config = project.config
    if len(config.languages) < 2:
        return {"languages": [], "hreflang": [], "original": None, "text_lang": config.language,
                "stale_since": None, "translation": False}
    items = alternates(project, url_path, entry, root)
    here = next(a for a in items if a.current)
    default = items[0]
    shown = here.available
    hreflang = [(a.code, a.url) for a in items if a.available] + [("x-default", default.url)] if shown else []
    return {
        "languages": items,
        "hreflang": hreflang,
        "original": None if shown else default,
        "text_lang": config.language if shown else default.code,
        "stale_since": _stale_since(project, entry),
        "translation": entry is not None and bool(entry.language),
    }


def _stale_since(project: Project, entry: Entry | None) -> str | None:
    """When a translated entry's original changed after the translation: the original's
    last update as the page shows dates ('' when it has none); None when current."""
    if entry is None or not entry.language or entry.id not in project.stale:
        return None
    updated = entry.meta.get("updated")
    return updated.display(lang=project.config.language) if updated is not None else ""

__all__ = ["Alternate", "alternates", "available", "context", "site_base_url", "site_root"]
