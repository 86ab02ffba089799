"""The /disputes/ page: every dispute in full, as its entry's page shows it, with one Sources list.

Each dispute is taken from its entry's rendered body (the `<aside class="dispute">` the
markup wrote: every position with its citation markers, nested detail, and any sentence
after the positions on which one the evidence favours). Its markers are renumbered into
the page's own Sources list, in order of first citation, and its links are made relative
to /disputes/ (a body's links are relative to its own page).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from functools import partial
from html import escape as html_escape
from typing import Any

from markupsafe import Markup

from .. import schema
from ..model import HOME_ID, Dispute, Entry, Strings, fill

MARKER = re.compile(r'<a href="#source-(\d+)" id="cite-\d+-\d+" role="doc-noteref" '
                    r'aria-label="([^"]*)">\d+</a>')
HREF = re.compile(r'href="([^"#:?][^":]*)"')
QUESTION = re.compile(r'<p class="dispute-question"[^>]*>.*?</p>\n?', re.S)


@dataclass
class Cited:
    """One item of the disputes page's Sources list (the shape `partials/sources.html` reads)."""

    number: int
    source: Any
    anchors: list[str]
    locators: list[str]


def dispute_html(body_html: str, dispute: Dispute) -> str:
    """The dispute's aside in its entry's body, without its question line ('' if not found)."""
    start = body_html.find(f'<aside class="dispute" id="{dispute.anchor}"')
    if start < 0:
        return ""
    end = body_html.find("</aside>", start)
    inner = body_html[body_html.find(">", start) + 1:end]
    return QUESTION.sub("", inner, count=1).strip()


def relink(html: str, from_path: str, to_path: str) -> str:
    """`html`'s relative links, written for the page at `from_path`, for the page at `to_path`."""
    def move(match: re.Match[str]) -> str:
        href = match.group(1)
        target = posixpath.normpath(posixpath.join("/" + from_path, href))
        moved = posixpath.relpath(target, "/" + to_path.rstrip("/") or "/")
        if href.endswith("/") and not moved.endswith("/"):
            moved += "/"
        return f'href="{moved}"'
    return HREF.sub(move, html)


def where(entry: Entry, strings: Strings, lang: str = "en") -> str:
    """Where a dispute lives, in words: "on the page about Japan", "on the home page"."""
    if entry.id == HOME_ID or entry.kind == schema.HOME.name:
        return strings.message(lang, "dispute_where_home")
    if entry.kind in schema.participant_kinds():
        return strings.message(lang, "dispute_where_actor", title=entry.title)
    if schema.kind_of(entry.kind).dated:
        return strings.message(lang, "dispute_where_event", title=entry.title)
    if schema.kind_of(entry.kind).cited and entry.meta.get("untitled"):  # a description, not a headline
        return strings.message(lang, "dispute_where_untitled_source", title=entry.title)
    if schema.kind_of(entry.kind).cited:
        return strings.message(lang, "dispute_where_source", title=entry.title)
    return strings.message(lang, "dispute_where_page", title=entry.title)


def disputes_page(items: list[tuple[Entry, Dispute, str, list[Any]]], view: Any, strings: Strings,
                  lang: str = "en") -> tuple[list[dict[str, Any]], list[Cited]]:
    """Each dispute (entry, dispute, entry's body HTML, entry's Sources list) with its HTML
    renumbered into one Sources list, and that list."""
    numbers: dict[str, Cited] = {}
    found: list[dict[str, Any]] = []
    for entry, dispute, body_html, sources in items:
        renumber = partial(_renumber, {s.number: s for s in sources}, numbers,
                           strings.message(lang, "source_marker", number="{number}"))
        html = relink(MARKER.sub(renumber, dispute_html(body_html, dispute)), entry.url_path, "disputes/")
        found.append({"dispute": dispute, "url_path": entry.url_path, "where": where(entry, strings, lang),
                      "entry": view(entry) if entry.kind != schema.HOME.name else None, "html": Markup(html)})
    return found, list(numbers.values())


def _renumber(by_number: dict[int, Any], numbers: dict[str, Cited], label: str, match: re.Match[str]) -> str:
    """A marker of the entry's page as a marker of the disputes page (its source numbered on
    first citation there)."""
    item = by_number.get(int(match.group(1)))
    if item is None:
        return match.group(0)
    sid = item.source.id
    cited = numbers.get(sid)
    if cited is None:
        cited = numbers[sid] = Cited(len(numbers) + 1, item.source, [], [])
    anchor = f"cite-{cited.number}-{len(cited.anchors) + 1}"
    cited.anchors.append(anchor)
    locator = match.group(2)[len(html_escape(fill(label, {"number": match.group(1)}))):]  # ", p. 4" after the label
    if locator.startswith(", ") and locator[2:] not in cited.locators:
        cited.locators.append(locator[2:])
    return (f'<a href="#source-{cited.number}" id="{anchor}" role="doc-noteref" '
            f'aria-label="{html_escape(fill(label, {"number": str(cited.number)}))}{locator}">{cited.number}</a>')
