"""Pictures laid out at build time: the story's timeline (whole, an event's strip, an actor's own).

It is inline SVG written as text, with no JavaScript and no randomness: the same
entries give the same bytes. Every mark is a real `<a>` link with a `<title>`, and every
label is SVG text, so the picture is searchable, selectable and read by screen readers;
the layouts show the same information as a list beside it. Colours come from classes
styled in `assets/features.css`, so dark mode and print follow the page.

The viewBox is narrow (about a phone's width) and the SVG scales with `max-width: 100%`,
so the text stays readable at 320 px instead of shrinking a wide drawing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from html import escape

from markupsafe import Markup

from ..dates import display_range
from ..model import Entry

MONTH_ABBR = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@dataclass
class Palette:
    """Actor id -> colour number (1..SIDES) for the actors that act most; 0 is "other"."""

    colour: dict[str, int] = field(default_factory=dict)
    side: dict[str, str | None] = field(default_factory=dict)
    """Event id -> who acted in it."""
    titles: dict[str, str] = field(default_factory=dict)
    rows: dict[tuple[str, str, bool, bool], tuple[str, str, float]] = field(default_factory=dict, repr=False,
                                                                          compare=False)
    """Drawn event rows (`_event_row`) by (event, root, highlighted, date shown): each event
    is in the strips of its neighbours too, so a row is drawn once and placed many times."""

    def of(self, event: Entry) -> int:
        side = self.side.get(event.id)
        return self.colour.get(side, 0) if side else 0

    def side_title(self, event: Entry) -> str:
        side = self.side.get(event.id)
        return self.titles.get(side, "") if side else ""

    def legend(self, events: Iterable[Entry]) -> list[dict[str, object]]:
        """The legend of a picture of `events`: the colours it uses, in colour order."""
        used = sorted({self.of(e) for e in events}, key=lambda n: (n == 0, n))  # "Others" last
        by_number = {n: a for a, n in self.colour.items()}
        return [{"colour": n, "title": self.titles[by_number[n]] if n else "Others"} for n in used]


@dataclass
class Row:
    """One step down a timeline: a year heading, a labelled gap, or an event.

    `quiet` counts the months without events just before an event row (fewer than
    GAP_MONTHS: a short pause the axis still shows)."""

    kind: str
    label: str = ""
    event: Entry | None = None
    quiet: int = 0
    actors: int = 0
    """How many actors took part (set by `grid_of`)."""


def short_date(entry: Entry) -> str:
    """The date as the narrow date column of a timeline shows it, next to its year heading:
    `31 Jan`, `28–30 Jun`, `Apr` (a month), `c. 5 Jun` (approximate), `year` (a year)."""
    d = entry.date
    assert d is not None
    end = entry.meta.get("end_date")
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
        text = "year"
    return f"c. {text}" if entry.approximate else text


FONT = 13
"""Label size in viewBox units: about 11 px on a 320 px screen, 16 px on a desktop."""
CHAR = 0.6 * FONT
"""Average advance of a system-ui character, used to wrap labels (a little generous)."""


def _num(x: float) -> str:
    """Coordinates with at most one decimal, so output never depends on float noise."""
    text = f"{x:.1f}"  # the same digits as round(x, 1) (both round the exact binary value), without the call
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


def _date_label(entry: Entry) -> str:
    assert entry.date is not None
    return display_range(entry.date, entry.meta.get("end_date"), entry.approximate)


# --- the story's timeline ---------------------------------------------------------------------

TL_WIDTH = 360
TL_DATE_X = 64
"""Right edge of the date column (the dates are short: `28–30 Jun`, `c. 12 May`)."""
TL_AXIS = 76
TL_TITLE_X = 90
TL_LINES = 3
TL_YEAR = 26
"""Height of a year heading."""
TL_QUIET = 6
"""Height of a month without events inside a busy stretch (a longer run is a gap)."""
TL_GAP = 40
"""Height of a labelled gap, whatever its length: the label says how long it is."""
DATE_FONT = 11.5


def timeline_svg(rows: list[Row], palette: Palette, root: str, label: str = "Timeline of events",
                 current: str | None = None) -> Markup:
    """A vertical timeline scaled to the story, not to the calendar.

    Each event is a row (date, mark, title), so busy months get as much room as their
    events need and labels never overlap; a few quiet months are short steps of the axis,
    and a longer run of empty months is one labelled gap ("2008–2017"). The mark's shape
    is the date's precision (a dot: a day; a bar: several days; a ring: a month or a
    year; a dashed ring: approximate), its colour who acted (`Palette`, explained by
    the legend the layouts print next to it). The row of `current` is highlighted and
    marked `aria-current`. There are no leader lines: the mark sits on its label's row.
    """
    if not any(r.kind == "event" for r in rows):
        return Markup("")
    line_h = FONT * 1.2
    chars = int((TL_WIDTH - TL_TITLE_X - 2) / CHAR)
    parts: list[str] = []
    axis: list[str] = []
    y = 6.0
    run_top = y  # top of the solid axis run being drawn
    last_date = ""
    for row in rows:
        if row.kind == "gap":
            axis.append(_axis(run_top, y))
            axis.append(f'<line class="tl-gap" x1="{TL_AXIS}" y1="{_num(y)}" x2="{TL_AXIS}" y2="{_num(y + TL_GAP)}"/>')
            parts.append(_text_lines(TL_TITLE_X, y + TL_GAP / 2 + 4, [f"{row.label}: no events"], "tl-gaplabel",
                                     size=DATE_FONT))
            y += TL_GAP
            run_top = y
            last_date = ""
        elif row.kind == "year":
            parts.append(f'<line class="tl-tick" x1="{TL_AXIS - 10}" y1="{_num(y + 12)}" x2="{TL_AXIS}" '
                         f'y2="{_num(y + 12)}"/>')
            parts.append(_text_lines(TL_DATE_X - 2, y + 16, [row.label], "tl-yearlabel", anchor="end"))
            y += TL_YEAR
            last_date = ""
        else:
            entry = row.event
            assert entry is not None
            for _ in range(row.quiet):
                parts.append(f'<line class="tl-tick tl-quiet" x1="{TL_AXIS - 4}" y1="{_num(y + TL_QUIET / 2)}" '
                             f'x2="{TL_AXIS}" y2="{_num(y + TL_QUIET / 2)}"/>')
                y += TL_QUIET
            date = short_date(entry)
            key = (entry.id, root, entry.id == current, date != last_date)
            drawn = palette.rows.get(key)
            if drawn is None:
                lines = wrap(entry.title, chars, TL_LINES)
                height = line_h * len(lines) + 8
                drawn = palette.rows[key] = (*_event_row(entry, lines, height, palette, root, key[2], key[3]), height)
            parts.append(f'{drawn[0]} transform="translate(0 {_num(y)})"{drawn[1]}')
            last_date = date
            y += drawn[2]
    axis.append(_axis(run_top, y))
    return _svg("xsvg timeline-svg", TL_WIDTH, y + 6, label, axis + parts)


def _axis(top: float, bottom: float) -> str:
    return (f'<line class="tl-axis" x1="{TL_AXIS}" y1="{_num(top)}" x2="{TL_AXIS}" y2="{_num(bottom)}"/>'
            if bottom > top else "")


def _event_row(entry: Entry, lines: list[str], height: float, palette: Palette, root: str,
               here: bool, show_date: bool) -> tuple[str, str]:
    """One event, drawn from y = 0 (the caller moves it into place): a link holding its
    mark, its short date (unless the row above has the same one) and its title; the
    `<title>` gives the full date and who acted. Returns the link's opening tag, unclosed
    (the caller adds its `transform`), and the rest."""
    assert entry.date is not None
    colour = palette.of(entry)
    mid = 8.5
    end = entry.meta.get("end_date")
    if entry.approximate:
        mark = f'<circle class="tl-mark tl-approximate" cx="{TL_AXIS}" cy="{_num(mid)}" r="4.5"/>'
    elif entry.date.precision != "day":
        mark = f'<circle class="tl-mark tl-{entry.date.precision}" cx="{TL_AXIS}" cy="{_num(mid)}" r="4.5"/>'
    elif end is not None and end != entry.date:
        mark = (f'<rect class="tl-mark tl-range" x="{TL_AXIS - 5}" y="2" width="10" '
                f'height="{_num(max(height - 6, 14))}" rx="5"/>')
    else:
        mark = f'<circle class="tl-mark tl-day" cx="{TL_AXIS}" cy="{_num(mid)}" r="5"/>'
    side = palette.side_title(entry)
    title = f"{entry.title} ({_date_label(entry)}{'; ' + side if side else ''})"
    here_rect = (f'<rect class="tl-here" x="{TL_TITLE_X - 5}" y="0" width="{TL_WIDTH - TL_TITLE_X + 5}" '
                 f'height="{_num(height - 3)}" rx="3"/>' if here else "")
    current = ' aria-current="page"' if here else ""
    cls = f"tl-event side-{colour}" + (" tl-current" if here else "")
    return (f'<a href="{escape(root + entry.url_path)}" class="{cls}"{current}',
            f'><title>{escape(title)}</title>' + here_rect + mark
            + (_text_lines(TL_DATE_X, 12.5, [short_date(entry)], "tl-date", size=DATE_FONT, anchor="end")
               if show_date else "")
            + _text_lines(TL_TITLE_X, 13, lines, "tl-title") + "</a>")


def _svg(cls: str, width: float, height: float, label: str, parts: list[str]) -> Markup:
    return Markup(
        f'<svg class="{cls}" viewBox="0 0 {_num(width)} {_num(height)}" width="{_num(width)}" '
        f'height="{_num(height)}" role="group" aria-label="{escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg">' + "".join(parts) + "</svg>")
