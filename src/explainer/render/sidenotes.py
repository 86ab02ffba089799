"""Sidenotes: each citation's short reference beside the paragraph that cites it.

A body's top-level blocks (paragraphs, lists, disputes, quotes) are found by their tags;
before every block that holds citation markers (`href="#source-N"`) goes an aside with
the short reference of each source it cites: number, publisher, date and title the first
time the page cites that source, then number and publisher, on one line. The style sheet
floats the asides into the margin from 75rem wide and hides them below that width and on
paper, where the Sources list at the end is the record (the marker links to it, and
previews it on hover or tap).

The asides repeat the Sources list, so they are `aria-hidden` and hold no link: a screen
reader hears each source once, in the list, and the keyboard never stops on them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Protocol

from markupsafe import Markup, escape

BLOCK = re.compile(r"<(/?)(p|ul|ol|dl|blockquote|aside|table|pre|div|section|figure|details|h[1-6])\b[^>]*>")
MARKER = re.compile(r'href="#source-(\d+)"')
TITLE_CHARS = 80
"""A sidenote shows at most this much of a title (the Sources list has all of it)."""
UNTITLED_NOTE = "(headline not recorded)"
"""Follows the title of a source with `untitled: true` (a description), as in the Sources list."""


class Cited(Protocol):
    number: int
    source: Any


def with_sidenotes(html: str, sources: Sequence[Cited], untitled_note: str = UNTITLED_NOTE) -> Markup:
    """`html` (a rendered body) with an aside of short references before each top-level
    block that cites a source; unchanged when nothing is cited. `untitled_note` follows a
    described title (`untitled: true`), in the page's language."""
    if 'href="#source-' not in html:
        return Markup(html)
    by_number = {s.number: s.source for s in sources}
    seen: set[int] = set()
    parts: list[str] = []
    last = depth = start = 0
    for match in BLOCK.finditer(html):
        closing = match.group(1) == "/"
        if not closing and depth == 0:
            start = match.start()
        depth = max(0, depth + (-1 if closing else 1))
        if closing and depth == 0:
            numbers = list(dict.fromkeys(int(n) for n in MARKER.findall(html, start, match.end())))
            notes = "".join(_note(n, by_number.get(n), untitled_note) for n in numbers if n not in seen)
            again = [_again(n, by_number.get(n)) for n in numbers if n in seen]
            if any(again):
                notes += '<p class="sidenote again">' + " · ".join(a for a in again if a) + "</p>"
            seen.update(numbers)
            if notes:
                parts += [html[last:start], '<aside class="sidenotes" aria-hidden="true">', notes, "</aside>\n"]
                last = start
    parts.append(html[last:])
    return Markup("".join(parts))


def _note(number: int, source: Any, untitled_note: str) -> str:
    """A source's first short reference on the page: number, publisher, date, title."""
    if source is None:
        return ""
    bits = [str(escape(b)) for b in (source.meta.get("publisher") or "", source.date) if b]
    title = source.title if len(source.title) <= TITLE_CHARS else source.title[:TITLE_CHARS - 1].rstrip() + "…"
    if source.meta.get("untitled"):  # the title describes the item: no headline styling, and a note
        shown = f"{escape(title)} {escape(untitled_note)}"
    else:
        shown = f"<cite>{escape(title)}</cite>"
    text = ", ".join(bits) + (": " if bits else "") + shown
    return f'<p class="sidenote"><span class="sn-n">{number}</span> {text}</p>'


def _again(number: int, source: Any) -> str:
    """A source cited again: its number and publisher, on one line with the others."""
    if source is None:
        return ""
    return f'<span class="sn-n">{number}</span> {escape(source.meta.get("publisher") or source.title)}'
