"""Pictures laid out at build time: the visual timeline and the relationship map.

Both are inline SVG written as text, with no JavaScript and no randomness: the same
entries give the same bytes. Every mark is a real `<a>` link with a `<title>`, and every
label is SVG text, so the picture is searchable, selectable and read by screen readers;
the layouts show the same information as a list beside it. Colours come from classes
styled in `assets/features.css`, so dark mode and print follow the page.

The viewBox is narrow (about a phone's width) and the SVG scales with `max-width: 100%`,
so the text stays readable at 320 px instead of shrinking a wide drawing.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass
from html import escape
from typing import Iterable

from markupsafe import Markup

from ..dates import MONTHS, PartialDate, display_range
from ..model import Entry, Project

FONT = 13
"""Label size in viewBox units: about 11 px on a 320 px screen, 16 px on a desktop."""
CHAR = 0.6 * FONT
"""Average advance of a system-ui character, used to wrap labels (a little generous)."""


def _num(x: float) -> str:
    """Coordinates with at most one decimal, so output never depends on float noise."""
    text = f"{round(x, 1):.1f}"
    return text[:-2] if text.endswith(".0") else text


def wrap(text: str, width: int, max_lines: int) -> list[str]:
    """Split `text` into at most `max_lines` lines of at most `width` characters.

    Words longer than a line are cut; text that does not fit ends with an ellipsis
    (the full text is in the node's `<title>`)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        while len(word) > width:  # a word longer than a line is cut
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:width - 1] + "-")
            word = word[width - 1:]
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        lines.append(current)
    if len(lines) <= max_lines:
        return lines or [""]
    shown = lines[:max_lines]
    last = shown[-1]
    shown[-1] = (last if len(last) < width else last[:width - 1].rstrip()) + "…"
    return shown


def _text_lines(x: float, y: float, lines: list[str], cls: str, size: float = FONT,
                anchor: str = "start") -> str:
    """One `<text>` with a `<tspan>` per line; `y` is the first line's baseline."""
    spans = "".join(
        f'<tspan x="{_num(x)}" y="{_num(y + i * size * 1.2)}">{escape(line)}</tspan>'
        for i, line in enumerate(lines))
    extra = f' text-anchor="{anchor}"' if anchor != "start" else ""
    return f'<text class="{cls}"{extra}>{spans}</text>'


def _ordinal(t: tuple[int, int, int]) -> int:
    return datetime.date(*t).toordinal()


@dataclass
class Span:
    """Where an event sits in time: first and last day (inclusive), at its precision."""

    first: int
    last: int
    precision: str


def event_span(entry: Entry) -> Span | None:
    """An event's days: a day-precision event one day, a month one its whole month, and so on."""
    start = entry.date
    if start is None:
        return None
    end = entry.meta.get("end_date")
    last = end.last_day if isinstance(end, PartialDate) else start.last_day
    precision = "approximate" if entry.approximate else start.precision
    if isinstance(end, PartialDate) and end != start and precision == "day":
        precision = "range"
    return Span(_ordinal(start.first_day), max(_ordinal(last), _ordinal(start.first_day)), precision)


def _date_label(entry: Entry) -> str:
    assert entry.date is not None
    return display_range(entry.date, entry.meta.get("end_date"), entry.approximate)


# --- the visual timeline ----------------------------------------------------------------------

TL_WIDTH = 360
TL_AXIS = 58
TL_LABEL_X = 80
TL_MONTH_MIN = 8
"""Height of a month without events (viewBox units); a month with events fits their labels."""
TL_GAP = 34
"""Height standing for a run of years without events."""


def timeline_svg(events: Iterable[Entry], root: str, label: str = "Timeline of events") -> Markup:
    """A vertical time axis: years run down the page, each event a linked mark and label.

    A day-precision event is a dot; a month, a year, an approximate date or a date range is
    a bar spanning those days. Years without events collapse into a short dashed gap so a
    story with one old event does not stretch the axis. Labels stack below each other and
    a leader line joins each to its mark, so they never overlap.
    """
    placed = sorted(((event_span(e), e) for e in events if e.date is not None),
                    key=lambda p: (p[0].first, p[0].last, p[1].id))  # type: ignore[union-attr]
    if not placed:
        return Markup("")
    line_h = FONT * 1.2
    chars = int((TL_WIDTH - TL_LABEL_X - 4) / CHAR)
    labels = [(wrap(e.title, chars, 2), span, e) for span, e in placed]  # type: ignore[misc]
    block = [line_h * (1 + len(lines)) + 8 for lines, _, _ in labels]
    years = sorted({datetime.date.fromordinal(s.first).year for _, s, _ in labels}
                   | {datetime.date.fromordinal(s.last).year for _, s, _ in labels})
    active = set(years)
    # piecewise axis: each month of an active year is as tall as the labels of the events
    # that start in it (at least TL_MONTH_MIN); a run of years without events is a short gap
    need: dict[tuple[int, int], float] = {}
    for (_, s, _), h in zip(labels, block):
        d = datetime.date.fromordinal(s.first)
        need[(d.year, d.month)] = need.get((d.year, d.month), 0.0) + h
    top = 28.0
    segment: dict[tuple[int, int], tuple[float, float]] = {}
    y = top
    parts: list[str] = []
    for year in range(years[0], years[-1] + 1):
        if year not in active:
            if year - 1 in active:
                parts.append(f'<line class="tl-gap" x1="{TL_AXIS}" y1="{_num(y)}" x2="{TL_AXIS}" '
                             f'y2="{_num(y + TL_GAP)}"/>')
                y += TL_GAP
            continue
        year_top = y
        for month in range(1, 13):
            height = max(TL_MONTH_MIN, need.get((year, month), 0.0))
            segment[(year, month)] = (y, height)
            if month > 1:
                parts.append(f'<line class="tl-tick tl-month" x1="{TL_AXIS - 4}" y1="{_num(y)}" '
                             f'x2="{TL_AXIS}" y2="{_num(y)}"/>')
            if (year, month) in need and month > 1:
                parts.append(_text_lines(TL_AXIS - 7, y + 8, [MONTHS[month - 1][:3]], "tl-monthname",
                                         size=10, anchor="end"))
            y += height
        parts.insert(0, f'<line class="tl-axis" x1="{TL_AXIS}" y1="{_num(year_top)}" x2="{TL_AXIS}" '
                        f'y2="{_num(y)}"/>')
        parts.append(f'<line class="tl-tick" x1="{TL_AXIS - 10}" y1="{_num(year_top)}" x2="{TL_AXIS}" '
                     f'y2="{_num(year_top)}"/>')
        parts.append(_text_lines(TL_AXIS - 14, year_top + FONT * 0.9, [str(year)], "tl-year", anchor="end"))
    bottom = y

    def y_at(day: int, end: bool = False) -> float:
        """Top of `day` on the axis (its bottom with `end`)."""
        d = datetime.date.fromordinal(day)
        start, height = segment.get((d.year, d.month), (top, 0.0))
        days = calendar.monthrange(d.year, d.month)[1]
        return start + height * (d.day - 1 + end) / days

    next_free = top
    for (lines, span, entry), h in zip(labels, block):
        y0, y1 = y_at(span.first), y_at(span.last, end=True)
        mid = (y0 + y1) / 2
        at = mid if span.precision == "day" else y0 + min(6.0, (y1 - y0) / 2)
        label_top = max(at - line_h * 0.6, next_free)
        next_free = label_top + h
        if span.precision == "day":
            mark = f'<circle class="tl-mark tl-day" cx="{TL_AXIS}" cy="{_num(mid)}" r="5"/>'
        else:
            height = max(y1 - y0, 4.0)
            mark = (f'<rect class="tl-mark tl-{span.precision}" x="{TL_AXIS - 5}" y="{_num(mid - height / 2)}" '
                    f'width="10" height="{_num(height)}" rx="3"/>')
        date = _date_label(entry)
        anchor_y = label_top + line_h * 0.6
        title = f"{entry.title} ({date})"
        parts.append(
            f'<a href="{escape(root + entry.url_path)}" class="tl-event">'
            f'<title>{escape(title)}</title>{mark}'
            f'<polyline class="tl-leader" points="{TL_AXIS + 6},{_num(at)} {TL_LABEL_X - 6},{_num(anchor_y)} '
            f'{TL_LABEL_X - 2},{_num(anchor_y)}"/>'
            + _text_lines(TL_LABEL_X, label_top + FONT * 0.85, [date], "tl-date", size=FONT * 0.85)
            + _text_lines(TL_LABEL_X, label_top + FONT * 0.85 + line_h, lines, "tl-title")
            + "</a>")
    height = max(bottom, next_free) + 12
    return _svg("xsvg timeline-svg", TL_WIDTH, height, label, parts)


def _svg(cls: str, width: float, height: float, label: str, parts: list[str]) -> Markup:
    return Markup(
        f'<svg class="{cls}" viewBox="0 0 {_num(width)} {_num(height)}" width="{_num(width)}" '
        f'height="{_num(height)}" role="group" aria-label="{escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg">' + "".join(parts) + "</svg>")


# --- the relationship map ---------------------------------------------------------------------

MAP_WIDTH = 340
MAP_BOX = 136
MAP_LINES = 3
MAP_MAX_EVENTS = 40
"""A map of more events is unreadable (and heavy): the latest ones are drawn, the list says so."""


@dataclass
class MapData:
    """Who took part in what: events in date order, actors, and (event, actor) edges."""

    events: list[Entry]
    actors: list[Entry]
    edges: list[tuple[str, str]]
    focus: str | None = None
    total_events: int = 0
    """How many events qualified; only the latest MAP_MAX_EVENTS are drawn."""


def story_map(project: Project) -> MapData:
    """The whole story: every event with actors, and every actor that took part in one."""
    return _map_of(project, [e for e in project.of_kind("event") if _actors_of(project, e)], None)


def neighbourhood_map(project: Project, actor_id: str,
                      events_by_actor: dict[str, list[Entry]] | None = None) -> MapData:
    """One actor's events and everyone who took part in them with it.

    Pass `events_by_actor(project)` when drawing many actors: one pass over the events
    instead of one per actor."""
    if events_by_actor is None:
        events_by_actor = events_by_actor_of(project)
    return _map_of(project, events_by_actor.get(actor_id, []), actor_id)


def events_by_actor_of(project: Project) -> dict[str, list[Entry]]:
    """Actor id -> the events it took part in."""
    found: dict[str, list[Entry]] = {}
    for event in project.of_kind("event"):
        for actor_id in _actors_of(project, event):
            found.setdefault(actor_id, []).append(event)
    return found


def _actors_of(project: Project, event: Entry) -> list[str]:
    seen: list[str] = []
    for a in event.meta.get("actors", []):
        if a in project.entries and project.entries[a].kind == "actor" and a not in seen:
            seen.append(a)
    return seen


def _map_of(project: Project, events: list[Entry], focus: str | None) -> MapData:
    total = len(events)
    events = sorted(events, key=lambda e: (e.date.first_day if e.date else (9999, 12, 31), e.id))
    events = events[-MAP_MAX_EVENTS:]
    edges = [(e.id, a) for e in events for a in _actors_of(project, e)]
    rank: dict[str, list[int]] = {}
    for i, e in enumerate(events):
        for a in _actors_of(project, e):
            rank.setdefault(a, []).append(i)
    # actors in the order of their events' mean position: fewer crossing lines
    order = sorted(rank, key=lambda a: (a != focus, sum(rank[a]) / len(rank[a]),
                                        project.entries[a].title.lower(), a))
    return MapData(events, [project.entries[a] for a in order], edges, focus, total)


def map_svg(data: MapData, root: str, label: str = "Map of who took part in which event") -> Markup:
    """Events (left, by date) and actors (right) as linked boxes, a line per participation."""
    if not data.events:
        return Markup("")
    chars = int((MAP_BOX - 12) / CHAR)
    line_h = FONT * 1.2
    gap = 8.0
    head = 30.0

    def boxes(entries: list[Entry]) -> list[tuple[Entry, list[str], float]]:
        return [(e, wrap(e.title, chars, MAP_LINES), line_h * len(wrap(e.title, chars, MAP_LINES)) + 10)
                for e in entries]

    left, right = boxes(data.events), boxes(data.actors)
    heights = [sum(h for _, _, h in col) + gap * (len(col) - 1) for col in (left, right)]
    total = max(heights)
    pos: dict[str, tuple[float, float]] = {}  # id -> (top, height)
    for col, used in zip((left, right), heights):
        spacing = gap + ((total - used) / (len(col) - 1) if len(col) > 1 else 0)
        y = head + ((total - used) / 2 if len(col) == 1 else 0)
        for e, _, h in col:
            pos[e.id] = (y, h)
            y += h + spacing
    x_right = MAP_WIDTH - MAP_BOX
    parts = [_text_lines(0, 16, ["Events"], "map-head"),
             _text_lines(x_right, 16, ["Actors"], "map-head")]
    for event_id, actor_id in data.edges:
        (ey, eh), (ay, ah) = pos[event_id], pos[actor_id]
        y1, y2 = ey + eh / 2, ay + ah / 2
        mid = MAP_WIDTH / 2
        cls = "map-edge map-edge-focus" if actor_id == data.focus else "map-edge"
        parts.append(f'<path class="{cls}" d="M{MAP_BOX},{_num(y1)} C{_num(mid)},{_num(y1)} '
                     f'{_num(mid)},{_num(y2)} {x_right},{_num(y2)}"/>')
    for col, x, kind in ((left, 0, "event"), (right, x_right, "actor")):
        for e, lines, h in col:
            top, _ = pos[e.id]
            focus = e.id == data.focus
            cls = f"map-node map-{kind}" + (" map-focus" if focus else "")
            current = ' aria-current="page"' if focus else ""
            title = f"{e.title} ({_date_label(e)})" if kind == "event" and e.date else e.title
            parts.append(
                f'<a href="{escape(root + e.url_path)}" class="{cls}"{current}><title>{escape(title)}</title>'
                f'<rect x="{x}" y="{_num(top)}" width="{MAP_BOX}" height="{_num(h)}" rx="5"/>'
                + _text_lines(x + 6, top + 5 + FONT, lines, "map-label") + "</a>")
    return _svg("xsvg map-svg", MAP_WIDTH, head + total + 4, label, parts)
