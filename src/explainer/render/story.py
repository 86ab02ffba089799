"""Where an entry sits in the story: the order of events, gaps in time, who acted, who took part.

The pictures and grids of the site (`svg.py`, the layouts) all read the story through
these functions, so that the home page, the timeline, an event's strip and an actor's
own timeline agree on the same order, the same gaps and the same colours. Everything
here is a pure function of the entries, sorted with explicit keys: two builds of the
same content give the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from markupsafe import Markup

from .. import schema
from ..dates import display_range
from ..model import Entry, Project
from .svg import MONTH_ABBR, Palette, Row, short_date, timeline_svg

SIDES = 5
"""Colours for "who acted": the five actors that act in most events get one each, the rest
share a neutral one. More hues than that are hard to tell apart (and to name in a legend)."""
GAP_MONTHS = 4
"""A run of at least this many months without events is drawn as a labelled gap."""
STRIP_RADIUS = 3
"""An event page's strip shows this many events on each side of it."""
KEY_ACTORS = 10
"""Columns of the home page's who-took-part grid; the actors page has every actor."""
CO_ACTORS = 8
"""Rows of an actor page's "who else took part" list."""
GRID_EVENTS = 60
GRID_ACTORS = 60
"""The /actors/ grid's bounds: the events with the most actors (in story order) and the
actors in most of them. Unbounded, the grid grows as actors × events (95 MB of HTML at
10,000 entries); each actor's page has its own whole timeline."""


def _group_field() -> str:
    """The choice field participants are grouped by (the actors page's: an actor's `kind`)."""
    for name in sorted(schema.participant_kinds()):
        page = schema.kind_of(name).list_page
        if page is not None and page.group_by != "year":
            return page.group_by
    return ""


def participant_groups() -> list[tuple[str, str, str]]:
    """(value, heading, short heading) of each group of participants, in the order shown."""
    found: list[tuple[str, str, str]] = []
    for name in sorted(schema.participant_kinds()):
        field = schema.kind_of(name).field(_group_field())
        if field is not None:
            short = dict(field.short)
            found += [(value, heading, short.get(value, heading[:3])) for value, heading in field.labels]
    return found


def _short(heading: str) -> str:
    """A group's heading over fewer columns than it needs (a column fits about 3.5 letters)."""
    return next((short for _, h, short in participant_groups() if h == heading), heading[:3])


def event_key(entry: Entry) -> tuple[object, ...]:
    """Date order (undated last), then id: the one order every view of the story uses."""
    d = entry.date
    return (d.first_day if d else (9999, 12, 31), entry.id)


def events_in_order(project: Project) -> list[Entry]:
    """Every dated event, oldest first (undated events have no place on an axis)."""
    return sorted((e for e in project.where("dated") if e.date is not None), key=event_key)


def actors_of(project: Project, event: Entry) -> list[str]:
    """The event's participants (its `actors:`) that exist, in the author's order, without repeats."""
    field = schema.kind_of(event.kind).participants
    allowed = schema.participant_kinds()
    seen: list[str] = []
    for a in event.meta.get(field, []) if field else []:
        if a in project.entries and project.entries[a].kind in allowed and a not in seen:
            seen.append(a)
    return seen


def events_by_actor_of(project: Project) -> dict[str, list[Entry]]:
    """Actor id -> the events it took part in, in story order."""
    found: dict[str, list[Entry]] = {}
    for event in sorted(project.where("dated"), key=event_key):
        for actor_id in actors_of(project, event):
            found.setdefault(actor_id, []).append(event)
    return found


# --- who acted: one colour per event -----------------------------------------------------------

def side_of(project: Project, event: Entry) -> str | None:
    """Who acted in `event`: its first-listed actor, or the country or organisation that
    actor acts for (a person's `country`, else its first `affiliations` or `member_of`).

    A country stands for itself, so "Kishida tells parliament" and "Japan opens a mission"
    share Japan's colour, and Stoltenberg's statements share NATO's."""
    actors = actors_of(project, event)
    if not actors:
        return None
    first = project.entries[actors[0]]
    row = schema.kind_of(first.kind)
    if row.acts_for_itself is not None and first.meta.get(row.acts_for_itself[0]) == row.acts_for_itself[1]:
        return first.id
    allowed = schema.participant_kinds()
    for key in row.acts_for:
        value = first.meta.get(key)
        target = value if isinstance(value, str) else (value[0] if value else None)
        if target and target in project.entries and project.entries[target].kind in allowed:
            return str(target)
    return first.id


def palette_of(project: Project) -> Palette:
    """The site-wide colours of "who acted", the same on every page.

    The SIDES actors that act in most events (ties: by title) get a colour each."""
    side = {e.id: side_of(project, e) for e in sorted(project.where("dated"), key=event_key)}
    counts: dict[str, int] = {}
    for s in side.values():
        if s:
            counts[s] = counts.get(s, 0) + 1
    ranked = sorted(counts, key=lambda a: (-counts[a], project.entries[a].title.lower(), a))
    colour = {a: i + 1 for i, a in enumerate(ranked[:SIDES])}
    titles = {a: project.entries[a].title for a in counts}
    return Palette(colour, side, titles)


# --- the shape of time: years, quiet months, long gaps ---------------------------------------

def _month_index(entry: Entry) -> int:
    assert entry.date is not None
    y, m, _ = entry.date.first_day
    return y * 12 + (m - 1)


def _last_month_index(entry: Entry) -> int:
    end = entry.meta.get("end_date")
    date = end if end is not None and hasattr(end, "last_day") else entry.date
    assert date is not None
    y, m, _ = date.last_day
    return max(y * 12 + (m - 1), _month_index(entry))


def gap_label(first: int, last: int) -> str:
    """The label of the empty months `first..last` (month indexes, inclusive).

    Whole empty years are named as years ("2008–2017"), as readers count long gaps;
    a gap inside a year or across one New Year names its months ("Aug–Dec 2023",
    "Aug 2023 – Mar 2024")."""
    first_full = (first + 11) // 12
    last_full = (last + 1) // 12 - 1
    if last_full >= first_full:
        return str(first_full) if first_full == last_full else f"{first_full}–{last_full}"
    a, b = divmod(first, 12), divmod(last, 12)
    if a[0] == b[0]:
        return f"{MONTH_ABBR[a[1]]}–{MONTH_ABBR[b[1]]} {a[0]}"
    return f"{MONTH_ABBR[a[1]]} {a[0]} – {MONTH_ABBR[b[1]]} {b[0]}"


def story_rows(events: list[Entry]) -> list[Row]:
    """The events (in story order) as rows, with a year heading where the year changes and
    a labelled gap for every run of at least GAP_MONTHS empty months."""
    rows: list[Row] = []
    year: int | None = None
    covered = None  # last month index an event so far covers
    for event in events:
        assert event.date is not None
        start = _month_index(event)
        quiet = 0
        if covered is not None and start > covered + 1:
            empty = start - covered - 1
            if empty >= GAP_MONTHS:
                rows.append(Row("gap", gap_label(covered + 1, start - 1)))
            else:
                quiet = empty
        if event.date.year != year:
            year = event.date.year
            rows.append(Row("year", str(year)))
        rows.append(Row("event", event=event, quiet=quiet))
        covered = max(covered if covered is not None else start, _last_month_index(event))
    return rows


# --- an event's place: neighbours and strip ---------------------------------------------------

def neighbours(ordered: list[Entry], i: int) -> tuple[Entry | None, Entry | None]:
    """The events just before and just after the `i`-th in story order."""
    return (ordered[i - 1] if i > 0 else None), (ordered[i + 1] if i + 1 < len(ordered) else None)


def strip(ordered: list[Entry], i: int, radius: int = STRIP_RADIUS) -> list[Entry]:
    """The `i`-th event with up to `radius` events on each side (more on one side near either end)."""
    lo = max(0, min(i - radius, len(ordered) - 2 * radius - 1))
    return ordered[lo:lo + 2 * radius + 1]


# --- who took part in what --------------------------------------------------------------------

@dataclass
class Grid:
    """Events (story order) × actors (grouped by kind) and the pairs that took part."""

    rows: list[Row]
    events: list[Entry]
    groups: list[tuple[str, list[Entry]]]
    cells: set[tuple[str, str]]
    total_actors: int = 0
    """How many actors took part in any of the events (the grid may show fewer)."""

    @property
    def actors(self) -> list[Entry]:
        return [a for _, group in self.groups for a in group]


def grid_of(project: Project, events: list[Entry], limit: int | None = None) -> Grid:
    """Who took part in which of `events`; with `limit`, only the actors in most of them.

    Actors are grouped by kind (countries, organisations, groupings, people), and within
    a kind ordered by how many of the events they took part in (then by title)."""
    cells = {(e.id, a) for e in events for a in actors_of(project, e)}
    counts: dict[str, int] = {}
    for _, a in sorted(cells):
        counts[a] = counts.get(a, 0) + 1
    ranked = sorted(counts, key=lambda a: (-counts[a], project.entries[a].title.lower(), a))
    chosen = ranked if limit is None else ranked[:limit]
    groups = []
    for value, heading, _ in participant_groups():
        group = [project.entries[a] for a in chosen if project.entries[a].meta.get(_group_field()) == value]
        if group:
            groups.append((heading, group))
    shown = {a.id for _, g in groups for a in g}
    rows = story_rows(events)
    for row in rows:
        if row.event is not None:
            row.actors = len(actors_of(project, row.event))
    return Grid(rows, events, groups, {c for c in cells if c[1] in shown}, len(counts))


def co_actors(project: Project, actor_id: str, events_by_actor: dict[str, list[Entry]],
              limit: int = CO_ACTORS) -> tuple[list[tuple[Entry, int]], int]:
    """The actors that took part in most of `actor_id`'s events, with how many, and how
    many others there were (the list is bounded, so the picture stays small)."""
    counts: dict[str, int] = {}
    for event in events_by_actor.get(actor_id, []):
        for a in actors_of(project, event):
            if a != actor_id:
                counts[a] = counts.get(a, 0) + 1
    ranked = sorted(counts, key=lambda a: (-counts[a], project.entries[a].title.lower(), a))
    return [(project.entries[a], counts[a]) for a in ranked[:limit]], max(0, len(ranked) - limit)


# --- what the layouts get ---------------------------------------------------------------------

def brief(entry: Entry) -> dict[str, str]:
    """An event or actor as the story's views show it: plain strings, cheap to pickle."""
    d = entry.date
    return {"id": entry.id, "title": entry.title, "url_path": entry.url_path,
            "date": display_range(d, entry.meta.get("end_date"), entry.approximate) if d else "",
            "date_iso": d.iso if d else "", "short_date": short_date(entry) if d else ""}


class Story:
    """The story of one project, computed once per renderer and shared by its pages.

    Its methods return template context (plain dicts, lists and Markup): the order of
    events, the site-wide colours of who acted, and each page's picture."""

    def __init__(self, project: Project) -> None:
        self.project = project

    @cached_property
    def ordered(self) -> list[Entry]:
        return events_in_order(self.project)

    @cached_property
    def position(self) -> dict[str, int]:
        """Event id -> its index in story order (every event page asks: a list scan each was quadratic)."""
        return {e.id: i for i, e in enumerate(self.ordered)}

    @cached_property
    def palette(self) -> Palette:
        return palette_of(self.project)

    @cached_property
    def by_actor(self) -> dict[str, list[Entry]]:
        return events_by_actor_of(self.project)

    def _timeline(self, events: list[Entry], root: str, label: str, current: str | None = None) -> Markup:
        return timeline_svg(story_rows(events), self.palette, root, label, current)

    def timeline(self, root: str) -> dict[str, Any]:
        """/timeline/: every dated event."""
        return {"timeline_svg": self._timeline(self.ordered, root, "Timeline of every event"),
                "timeline_legend": self.palette.legend(self.ordered)}

    def event_place(self, entry: Entry, root: str) -> dict[str, Any]:
        """An event page: the events before and after it, and a strip of the timeline around it."""
        i = self.position.get(entry.id)
        before, after = neighbours(self.ordered, i) if i is not None else (None, None)
        around = strip(self.ordered, i) if i is not None else []
        return {"previous_event": brief(before) if before else None,
                "next_event": brief(after) if after else None,
                "strip_svg": self._timeline(around, root, f"{entry.title} among the events around it", entry.id)
                if len(around) > 1 else Markup(""),
                "strip_legend": self.palette.legend(around),
                "story_position": i + 1 if i is not None else 0,
                "story_total": len(self.ordered)}

    def actor_place(self, entry: Entry, root: str) -> dict[str, Any]:
        """An actor page: its own events as a compact timeline, and who else took part in them."""
        own = [e for e in self.by_actor.get(entry.id, []) if e.date is not None]
        others, more = co_actors(self.project, entry.id, self.by_actor)
        return {"actor_timeline_svg": self._timeline(own, root, f"Timeline of the events {entry.title} took part in"),
                "actor_legend": self.palette.legend(own),
                "co_actors": [{"actor": brief(a), "count": n} for a, n in others],
                "co_more": more, "own_events": len(self.by_actor.get(entry.id, []))}

    def home_grid(self) -> dict[str, Any]:
        """The home page: every event (rows, story order) × the KEY_ACTORS that took part in most."""
        return {"grid": event_rows_grid(grid_of(self.project, self.ordered, KEY_ACTORS))}

    def actors_grid(self) -> dict[str, Any]:
        """/actors/: the actors (rows, by kind) × the events (columns, story order), within
        GRID_ACTORS and GRID_EVENTS (the events with most actors, the actors in most of them)."""
        events = self.ordered
        if len(events) > GRID_EVENTS:
            size = {e.id: len(actors_of(self.project, e)) for e in events}
            chosen = set(sorted(size, key=lambda i: (-size[i], self.position[i]))[:GRID_EVENTS])
            events = [e for e in events if e.id in chosen]
        grid = grid_of(self.project, events, GRID_ACTORS)
        found = actor_rows_grid(grid)
        everyone = {a for e in self.ordered for a in actors_of(self.project, e)}
        found.update(all_events=len(self.ordered), shown_actors=len(grid.actors), all_actors=len(everyone))
        return {"grid": found}


def event_rows_grid(grid: Grid) -> dict[str, Any]:
    """A grid with an event per row (years and gaps as rows between them), actors as columns."""
    actors = grid.actors
    rows: list[dict[str, Any]] = []
    for row in grid.rows:
        if row.kind != "event":
            rows.append({"kind": row.kind, "label": row.label})
            continue
        assert row.event is not None
        shown = [(row.event.id, a.id) in grid.cells for a in actors]
        rows.append({"kind": "event", "event": brief(row.event), "marks": shown,
                     "others": row.actors - sum(shown)})
    return {"others": grid.total_actors > len(actors),
            "groups": [{"heading": h, "short": _short(h) if len(g) * 3.5 < len(h) else "",
                        "actors": [brief(a) for a in g]} for h, g in grid.groups],
            "rows": rows, "shown": len(actors), "total": grid.total_actors,
            "width": len(actors) + (grid.total_actors > len(actors))}


def actor_rows_grid(grid: Grid) -> dict[str, Any]:
    """A grid with an actor per row (grouped by kind), events as columns under their years."""
    columns: list[dict[str, Any]] = []
    years: list[dict[str, Any]] = []
    year = ""
    for row in grid.rows:
        if row.kind == "year":
            year = row.label
            years.append({"label": row.label, "span": 0, "gap": False})
        elif row.kind == "gap":
            columns.append({"kind": "gap", "label": row.label})
            years.append({"label": "", "span": 1, "gap": True})
        else:
            assert row.event is not None
            columns.append({"kind": "event", "event": brief(row.event)})
            if not years or years[-1]["gap"]:  # the same year goes on after a gap
                years.append({"label": year, "span": 0, "gap": False})
            years[-1]["span"] += 1
    groups = []
    for heading, actors in grid.groups:
        groups.append({"heading": heading, "rows": [
            {"actor": brief(a),
             "cells": [None if c["kind"] == "gap" else (c["event"]["id"], a.id) in grid.cells for c in columns]}
            for a in actors]})
    return {"columns": columns, "years": [y for y in years if y["span"]], "groups": groups,
            "events": sum(c["kind"] == "event" for c in columns)}
