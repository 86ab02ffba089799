"""Where an entry sits in the story: the order of events, gaps in time, who acted, who took part.

The story's views (the timeline, an event's strip, an actor's own timeline, the rows of
who took part in what) all read the story through these functions, so that they agree
on the same order, the same gaps and the same colour key. Everything
here is a pure function of the entries, sorted with explicit keys: two builds of the
same content give the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from .. import schema
from ..dates import display_range, uses_kanji_dates
from ..model import Entry, Project

MONTH_ABBR = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
KEY_COLOURS = 5
"""The colour key: the five actors in most events get a colour each, the rest share a
neutral one. More hues than that are hard to tell apart (and to name in a legend)."""
WHO_DATES = 40
"""An actor's row of event dates (home, /actors/) shows at most this many; its page has all."""
GAP_MONTHS = 4
"""A run of at least this many months without events is drawn as a labelled gap."""
STRIP_RADIUS = 3
"""An event page's strip shows this many events on each side of it."""
KEY_ACTORS = 5
"""Rows of the home page's who took part in what (the actors in most events); /actors/ has everyone."""
CO_ACTORS = 8
"""Rows of an actor page's "who else took part" list."""


@dataclass
class Palette:
    """The colour key: actor id -> colour number (1..KEY_COLOURS); 0 is every other actor."""

    colour: dict[str, int]
    titles: dict[str, str]

    def of(self, actor_id: str) -> int:
        return self.colour.get(actor_id, 0)

    def legend(self, actor_ids: Iterable[str] | None = None) -> list[dict[str, object]]:
        """The key of a view showing `actor_ids` (None: all of them): its coloured actors in
        colour order, then "any other actor" if one of them has none."""
        shown = set(self.colour) if actor_ids is None else set(actor_ids)
        items: list[dict[str, object]] = [{"colour": n, "title": self.titles[a]}
                                          for a, n in sorted(self.colour.items(), key=lambda x: x[1]) if a in shown]
        if actor_ids is None or shown - set(self.colour):
            items.append({"colour": 0, "title": ""})  # "any other actor", in the page's language
        return items


@dataclass
class Row:
    """One step down a timeline: a year heading, a labelled gap, or an event."""

    kind: str
    label: str = ""
    event: Entry | None = None


def short_date(entry: Entry, lang: str = "en") -> str:
    """The date as the narrow date column of a timeline shows it, under its year heading:
    `31 Jan`, `28–30 Jun`, `Apr` (a month), `c. 5 Jun` (approximate), `2024` (a year); in
    Japanese `1月31日`, `6月28日～30日`, `4月`, `6月5日ごろ`, `2024年`."""
    d = entry.date
    assert d is not None
    end = entry.meta.get("end_date")
    if uses_kanji_dates(lang):
        text = d.display(lang=lang)[len(f"{d.year}年"):] or f"{d.year}年"
        if d.day and end is not None and getattr(end, "day", None) and end != d:
            text += f"～{end.day}日" if (end.year, end.month) == (d.year, d.month) else "～"
        return f"{text}ごろ" if entry.approximate else text
    if d.day:
        text = f"{d.day} {MONTH_ABBR[d.month - 1]}"
        if end is not None and getattr(end, "day", None) and end != d:
            if (end.year, end.month) == (d.year, d.month):
                text = f"{d.day}–{end.day} {MONTH_ABBR[d.month - 1]}"
            else:
                text += "–"
    elif d.month:
        text = MONTH_ABBR[d.month - 1]
    else:
        text = str(d.year)
    return f"c. {text}" if entry.approximate else text


def precision(entry: Entry) -> str:
    """What a timeline mark's shape says: `day`, `range` (several days), `month`, `year`
    or `approximate`."""
    d = entry.date
    assert d is not None
    if entry.approximate:
        return "approximate"
    if d.precision != "day":
        return d.precision
    end = entry.meta.get("end_date")
    return "range" if end is not None and end != d else "day"


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


def _singular(heading: str) -> str:
    """A group's heading for one of its members: "Countries" -> "country", "People" -> "person"."""
    word = heading.lower()
    return {"people": "person"}.get(word, word[:-3] + "y" if word.endswith("ies") else word.rstrip("s"))


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


def acts_for_another(actor: Entry) -> bool:
    """Whether the actor acts for another (its kind's `acts_for` fields: a person's country or
    employer); a country acts for itself whatever it is a member of."""
    row = schema.kind_of(actor.kind)
    if row.acts_for_itself is not None and actor.meta.get(row.acts_for_itself[0]) == row.acts_for_itself[1]:
        return False
    return any(actor.meta.get(key) for key in row.acts_for)


# --- the colour key: one colour per key actor ------------------------------------------------

def palette_of(project: Project, by_actor: dict[str, list[Entry]] | None = None) -> Palette:
    """The site-wide colour key: the KEY_COLOURS actors that took part in most events (ties:
    by title) get a colour each, the same on every page and in every picture, dot, chip
    and legend; every other actor shares the neutral colour 0.

    The parties of the story come before the actors that act for one of them (a person with
    a country or an employer, a mission of a country): a reader follows a party's part
    through the story (France's objection, China's protests) more than a spokesperson's."""
    by_actor = events_by_actor_of(project) if by_actor is None else by_actor
    agents = {a for a in by_actor if acts_for_another(project.entries[a])}
    ranked = sorted(by_actor, key=lambda a: (a in agents, -len(by_actor[a]), project.entries[a].title.lower(), a))
    colour = {a: i + 1 for i, a in enumerate(ranked[:KEY_COLOURS])}
    return Palette(colour, {a: project.entries[a].title for a in colour})


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


def gap_label(first: int, last: int, lang: str = "en") -> str:
    """The label of the empty months `first..last` (month indexes, inclusive).

    Whole empty years are named as years ("2008–2017"), as readers count long gaps;
    a gap inside a year or across one New Year names its months ("Aug–Dec 2023",
    "Aug 2023 – Mar 2024"). In Japanese: `2008～2017年`, `2023年8～12月`, `2023年8月～2024年3月`."""
    first_full = (first + 11) // 12
    last_full = (last + 1) // 12 - 1
    if uses_kanji_dates(lang):
        if last_full >= first_full:
            return f"{first_full}年" if first_full == last_full else f"{first_full}～{last_full}年"
        a, b = divmod(first, 12), divmod(last, 12)
        if a[0] == b[0]:
            return f"{a[0]}年{a[1] + 1}～{b[1] + 1}月"
        return f"{a[0]}年{a[1] + 1}月～{b[0]}年{b[1] + 1}月"
    if last_full >= first_full:
        return str(first_full) if first_full == last_full else f"{first_full}–{last_full}"
    a, b = divmod(first, 12), divmod(last, 12)
    if a[0] == b[0]:
        return f"{MONTH_ABBR[a[1]]}–{MONTH_ABBR[b[1]]} {a[0]}"
    return f"{MONTH_ABBR[a[1]]} {a[0]} – {MONTH_ABBR[b[1]]} {b[0]}"


def story_rows(events: list[Entry], lang: str = "en") -> list[Row]:
    """The events (in story order) as rows, with a year heading where the year changes and
    a labelled gap for every run of at least GAP_MONTHS empty months."""
    rows: list[Row] = []
    year: int | None = None
    covered = None  # last month index an event so far covers
    for event in events:
        assert event.date is not None
        start = _month_index(event)
        if covered is not None and start - covered - 1 >= GAP_MONTHS:
            rows.append(Row("gap", gap_label(covered + 1, start - 1, lang)))
        if event.date.year != year:
            year = event.date.year
            rows.append(Row("year", str(year)))
        rows.append(Row("event", event=event))
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

def brief(entry: Entry, lang: str = "en") -> dict[str, str]:
    """An event or actor as the story's views show it: plain strings, cheap to pickle."""
    d = entry.date
    return {"id": entry.id, "title": entry.title, "url_path": entry.url_path,
            "date": display_range(d, entry.meta.get("end_date"), entry.approximate, lang) if d else "",
            "date_iso": d.iso if d else "", "short_date": short_date(entry, lang) if d else ""}


class Story:
    """The story of one project, computed once per renderer and shared by its pages.

    Its methods return template context (plain dicts and lists): the order of events, the
    colour key, each page's timeline rows and who took part in what."""

    def __init__(self, project: Project, lang: str = "en") -> None:
        self.project = project
        self.lang = lang
        """The language its dates are written in."""

    @cached_property
    def ordered(self) -> list[Entry]:
        return events_in_order(self.project)

    @cached_property
    def position(self) -> dict[str, int]:
        """Event id -> its index in story order (every event page asks: a list scan each was quadratic)."""
        return {e.id: i for i, e in enumerate(self.ordered)}

    @cached_property
    def palette(self) -> Palette:
        return palette_of(self.project, self.by_actor)

    @cached_property
    def by_actor(self) -> dict[str, list[Entry]]:
        return events_by_actor_of(self.project)

    def brief(self, entry: Entry) -> dict[str, str]:
        return brief(entry, self.lang)

    def chip(self, actor: Entry) -> dict[str, object]:
        return {"title": actor.title, "url_path": actor.url_path, "colour": self.palette.of(actor.id)}

    def rows(self, events: list[Entry], current: str | None = None, summaries: bool = True,
             chips: bool = True, besides: str | None = None) -> list[dict[str, Any]]:
        """`events` as the rows of a timeline: year headings (with their count of events),
        labelled gaps, and each event with its date, mark, title, summary and the coloured
        actors that took part besides the actor `besides` (the rest counted). Near `current`,
        the rows before and after it carry `rel` prev / next."""
        found: list[dict[str, Any]] = []
        year: dict[str, Any] = {"count": 0}
        at = next((i for i, e in enumerate(events) if e.id == current), None)
        for row in story_rows(events, self.lang):
            if row.kind != "event":
                found.append({"kind": row.kind, "label": row.label, "count": 0})
                if row.kind == "year":
                    year = found[-1]
                continue
            event = row.event
            assert event is not None
            year["count"] += 1
            made: dict[str, Any] = {"kind": "event", "event": self.brief(event), "precision": precision(event),
                                    "current": event.id == current, "rel": "", "actors": [], "others": 0}
            if at is not None:
                i = events.index(event)
                made["rel"] = "prev" if i == at - 1 else "next" if i == at + 1 else ""
            made["summary"] = str(event.meta.get("summary", "")) if summaries else ""
            if chips:
                named = [a for a in actors_of(self.project, event) if a != besides]
                keyed = sorted((a for a in named if self.palette.of(a)), key=self.palette.of)
                made["actors"] = [self.chip(self.project.entries[a]) for a in keyed]
                made["others"] = len(named) - len(keyed)
            found.append(made)
        return found

    def timeline(self) -> dict[str, Any]:
        """/timeline/: every dated event, and the colour key."""
        return {"rows": self.rows(self.ordered), "colour_key": self.palette.legend()}

    def event_place(self, entry: Entry) -> dict[str, Any]:
        """An event page: a strip of the timeline around it (the events just before and after
        it marked rel prev / next), and who took part, as colour chips (the colour key's
        actors in its order, then the others by name)."""
        i = self.position.get(entry.id)
        around = strip(self.ordered, i) if i is not None else []
        named = actors_of(self.project, entry)
        return {"strip": self.rows(around, entry.id, chips=False) if len(around) > 1 else [],
                "story_position": i + 1 if i is not None else 0,
                "story_total": len(self.ordered),
                "took_part": [self.chip(a) for a in sorted(
                    (self.project.entries[a] for a in named),
                    key=lambda a: (self.palette.of(a.id) == 0, self.palette.of(a.id), a.title.lower(), a.id))],
                "colour_key": self.palette.legend(named)}

    def actor_place(self, entry: Entry) -> dict[str, Any]:
        """An actor page: its own events as its timeline, and who else took part in them."""
        own = [e for e in self.by_actor.get(entry.id, []) if e.date is not None]
        others, more = co_actors(self.project, entry.id, self.by_actor)
        shown = {a for e in own for a in actors_of(self.project, e)}
        return {"rows": self.rows(own, besides=entry.id),
                "colour": self.palette.of(entry.id),
                "colour_key": self.palette.legend(shown) if own else [],
                "first_event": self.brief(own[0]) if own else None, "last_event": self.brief(own[-1]) if own else None,
                "co_actors": [{"actor": self.brief(a), "count": n, "colour": self.palette.of(a.id)} for a, n in others],
                "co_more": more, "own_events": len(self.by_actor.get(entry.id, []))}

    def who(self, actor: Entry) -> dict[str, Any]:
        """One actor's row of who took part in what: its events' dates by year (at most
        WHO_DATES; its page has them all), each a link to the event."""
        events = self.by_actor.get(actor.id, [])
        years: list[dict[str, Any]] = []
        for event in events[:WHO_DATES]:
            assert event.date is not None
            if not years or years[-1]["year"] != event.date.year:
                years.append({"year": event.date.year, "events": []})
            years[-1]["events"].append(self.brief(event))
        return {"actor": self.brief(actor), "colour": self.palette.of(actor.id), "count": len(events),
                "years": years, "more": max(0, len(events) - WHO_DATES)}

    def home_who(self) -> dict[str, Any]:
        """The home page: the KEY_ACTORS actors in most events (parties first, as in the colour
        key), each with its kind and the dates of its events; and the latest event."""
        by_actor = self.by_actor
        ranked = sorted(by_actor, key=lambda a: (self.palette.of(a) == 0, -len(by_actor[a]),
                                                 self.project.entries[a].title.lower(), a))
        chosen = [self.project.entries[a] for a in ranked[:KEY_ACTORS]]
        labels = {value: heading for value, heading, _ in participant_groups()}
        rows = [{**self.who(a), "kind": _singular(labels.get(str(a.meta.get(_group_field())), "")),
                 "kind_value": str(a.meta.get(_group_field()) or "")} for a in chosen]
        return {"who": {"rows": rows, "shown": len(chosen), "total": len(by_actor)},
                "colour_key": self.palette.legend(a.id for a in chosen),
                "latest": self.brief(self.ordered[-1]) if self.ordered else None}

    def actors_who(self, actors: list[Entry]) -> dict[str, Any]:
        """/actors/: every actor's row of event dates, by id, and the colour key."""
        return {"who": {a.id: self.who(a) for a in actors}, "colour_key": self.palette.legend()}
