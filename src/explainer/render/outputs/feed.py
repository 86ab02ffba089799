"""feed.xml: an Atom feed (RFC 4287) of the events, newest first.

Entry ids are the events' page URLs (stable: URLs are part of the interface). An
entry's `updated` is its `updated` field when known, else its date; the feed's is the
newest of those, so a build never reads the clock (SOURCE_DATE_EPOCH, then the Unix
epoch, only stand in when there are no events). Bodies go in as escaped HTML with
`xml:base` set to the event's page, so the body's relative links resolve in readers.
"""

from __future__ import annotations

from collections.abc import Iterator

from ... import __version__, schema
from ...model import Entry, Project, SiteData
from ..pages import Renderer, _date_key, corrections_of
from .common import absolute, escape, quoteattr, rfc3339, source_date_epoch, updated_of

ATOM_NS = "http://www.w3.org/2005/Atom"
FEED_PATH = "feed.xml"
EPOCH = "1970-01-01T00:00:00Z"


def entry_updated(entry: Entry) -> str:
    """RFC 3339 `updated` of an event: its `updated` field, else its date, else the epoch."""
    return rfc3339(updated_of(entry)) or rfc3339(entry.date) or EPOCH


FEED_LIMIT = 50
"""Events in the feed: readers poll it, so it carries the latest, not the archive."""


def newest_first(site: SiteData) -> list[Entry]:
    """Events by date, newest first (the timeline's order reversed, so ties never depend on file order)."""
    return sorted(site.project.where("dated"), key=_date_key, reverse=True)


def _head(project: Project, id_path: str, title: str, updated: str, self_path: str, alternate: str,
          subtitle: bool = False) -> list[str]:
    """The opening of an Atom feed of this site, up to its first entry (one for every feed)."""
    config = project.config
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="{ATOM_NS}" xml:lang={quoteattr(config.language)}>',
        f"  <id>{escape(absolute(project, id_path))}</id>",
        f"  <title>{escape(title)}</title>",
    ]
    if subtitle and config.description:
        out.append(f"  <subtitle>{escape(config.description)}</subtitle>")
    return out + [
        f"  <updated>{updated}</updated>",
        f"  <author><name>{escape(config.author or config.title)}</name></author>",
        f'  <link rel="self" type="application/atom+xml" href={quoteattr(absolute(project, self_path))}/>',
        f'  <link rel="alternate" type="text/html" href={quoteattr(absolute(project, alternate))}/>',
        f'  <generator version={quoteattr(__version__)}>explainer</generator>',
    ]


def feed_output(site: SiteData, renderer: Renderer) -> Iterator[tuple[str, str]]:
    """Write feed.xml."""
    project = site.project
    events = newest_first(site)[:FEED_LIMIT]
    stamps = [entry_updated(e) for e in events]
    feed_updated = max(stamps) if stamps else (source_date_epoch() or EPOCH)
    out = _head(project, "", renderer.msg("feed_title", site=project.config.title), feed_updated, FEED_PATH,
                _list_url(), subtitle=True)
    for entry, stamp in zip(events, stamps, strict=True):
        url = absolute(project, entry.url_path)
        out += [
            "  <entry>",
            f"    <id>{escape(url)}</id>",
            f"    <title>{escape(entry.title)}</title>",
            f"    <updated>{stamp}</updated>",
            f'    <link rel="alternate" type="text/html" href={quoteattr(url)}/>',
        ]
        summary = str(entry.meta.get("summary", "")).strip()
        if summary:
            out.append(f'    <summary type="text">{escape(summary)}</summary>')
        html = site.bodies[entry.id].html if entry.id in site.bodies else ""
        if html.strip():
            out.append(f'    <content type="html" xml:base={quoteattr(url)}>{escape(html)}</content>')
        out.append("  </entry>")
    out.append("</feed>")
    yield FEED_PATH, "\n".join(out) + "\n"


def _list_url() -> str:
    """The page that lists what the feed carries (the timeline), or the home page."""
    return next((k.list_page.url for k in schema.kinds_where("dated") if k.list_page), "")


CORRECTIONS_PATH = "corrections.xml"


def corrections_feed_output(site: SiteData, renderer: Renderer) -> Iterator[tuple[str, str]]:
    """Write corrections.xml: every correction, newest first (only once the site has one).

    An entry's id is the correction's place on its page (`…/#correction-N`, counted from
    the newest), its `updated` the correction's date: a reader is told of each correction once.
    """
    if not renderer.has_corrections:
        return
    project = site.project
    corrections = corrections_of(site, lang=renderer.lang)
    out = _head(project, "corrections/", renderer.msg("corrections_feed_title", site=project.config.title),
                str(rfc3339(corrections[0]["date_iso"])), CORRECTIONS_PATH, "corrections/")
    for c in corrections:
        url = absolute(project, c["url_path"]) + "#" + c["anchor"]
        out += [
            "  <entry>",
            f"    <id>{escape(url)}</id>",
            f"    <title>{escape(renderer.msg('corrections_feed_entry', where=c['where']))}</title>",
            f"    <updated>{rfc3339(c['date_iso'])}</updated>",
            f'    <link rel="alternate" type="text/html" href={quoteattr(url)}/>',
            f'    <summary type="text">{escape(c["text"])}</summary>',
            "  </entry>",
        ]
    out.append("</feed>")
    yield CORRECTIONS_PATH, "\n".join(out) + "\n"
