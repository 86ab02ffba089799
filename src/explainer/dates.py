"""ISO 8601 dates that may be partial (`2023`, `2023-07`, `2023-07-11`) and know it."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass

_ISO = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")

MONTHS = [
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December",
]


@dataclass(frozen=True, order=True)
class PartialDate:
    """A calendar date known to the day, the month or only the year."""

    year: int
    month: int = 0
    day: int = 0

    @classmethod
    def parse(cls, text: str) -> PartialDate | None:
        """Parse `YYYY`, `YYYY-MM` or `YYYY-MM-DD`; None if it is not a real date."""
        m = _ISO.match(text.strip())
        if not m:
            return None
        year, month, day = int(m[1]), int(m[2] or 0), int(m[3] or 0)
        if m[2] and not 1 <= month <= 12:
            return None
        if m[3] and not 1 <= day <= calendar.monthrange(year, month)[1]:
            return None
        if year < 1:
            return None
        return cls(year, month, day)

    @staticmethod
    def impossible(text: str) -> str | None:
        """Why an ISO-shaped date is not a real one ('February 2023 has 28 days'); None otherwise."""
        m = _ISO.match(text.strip())
        if not m:
            return None
        year, month, day = int(m[1]), int(m[2] or 0), int(m[3] or 0)
        if year < 1:
            return "there is no year 0 (the calendar starts at year 1)"
        if m[2] and not 1 <= month <= 12:
            return f"there is no month {m[2]} (months are 01 to 12)"
        if m[3]:
            days = calendar.monthrange(year, month)[1]
            if not 1 <= day <= days:
                return f"{MONTHS[month - 1]} {year} has {days} days"
        return None

    @property
    def precision(self) -> str:
        return "day" if self.day else "month" if self.month else "year"

    @property
    def iso(self) -> str:
        if self.day:
            return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"
        if self.month:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}"

    @property
    def first_day(self) -> tuple[int, int, int]:
        return (self.year, self.month or 1, self.day or 1)

    @property
    def last_day(self) -> tuple[int, int, int]:
        month = self.month or 12
        return (self.year, month, self.day or calendar.monthrange(self.year, month)[1])

    def display(self, approximate: bool = False, lang: str = "en") -> str:
        """Human form at the date's own precision, in the language `lang`: `11 July 2023`,
        `July 2023`, `2023`; in Japanese (`ja`) `2023年7月11日`, `2023年7月`, `2023年`, an
        approximate one `2023年7月ごろ`."""
        if uses_kanji_dates(lang):
            text = f"{self.year}年" + (f"{self.month}月" if self.month else "") + (f"{self.day}日" if self.day else "")
            return f"{text}ごろ" if approximate else text
        if self.day:
            text = f"{self.day} {MONTHS[self.month - 1]} {self.year}"
        elif self.month:
            text = f"{MONTHS[self.month - 1]} {self.year}"
        else:
            text = str(self.year)
        return f"c. {text}" if approximate else text

    def __str__(self) -> str:
        return self.iso


def uses_kanji_dates(lang: str) -> bool:
    """Whether dates in `lang` are written year, month, day with 年月日 (Japanese)."""
    return lang == "ja" or lang.startswith("ja-")


def display_range(start: PartialDate, end: PartialDate | None, approximate: bool = False, lang: str = "en") -> str:
    """`11–12 July 2023`, `30 June – 1 July 2022`, or a single date when there is no end.

    In Japanese, as Japanese newspapers write a span: the end leaves out what it shares with
    the start (`2023年7月11日～12日`, `2022年6月30日～7月1日`, `2023年12月～2024年1月`), joined by
    the wave dash, and `ごろ` after the whole when it is approximate."""
    if end is None or end == start:
        return start.display(approximate, lang)
    if uses_kanji_dates(lang):
        tail = end.display(lang=lang)
        if start.year == end.year and start.month and end.month:
            tail = tail[len(f"{end.year}年"):]
            if start.day and end.day and start.month == end.month:
                tail = tail[len(f"{end.month}月"):]
        text = f"{start.display(lang=lang)}～{tail}"
        return f"{text}ごろ" if approximate else text
    prefix = "c. " if approximate else ""
    if start.day and end.day and (start.year, start.month) == (end.year, end.month):
        return f"{prefix}{start.day}–{end.display()}"
    if start.year == end.year and start.month and end.month:
        head = f"{start.day} {MONTHS[start.month - 1]}" if start.day else MONTHS[start.month - 1]
        return f"{prefix}{head} – {end.display()}"
    return f"{prefix}{start.display()} – {end.display()}"
