"""Problems found in an author's input: one type, one format, one place for every code.

Every mistake an author can make ends as a `Problem` with the file, line and column of
the offending spot, so editors and CI can jump to it. Python tracebacks are for bugs in
the tool, never for bad content.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from difflib import get_close_matches
from enum import IntEnum
from operator import attrgetter

MAX_PER_FILE = 100
"""Problems shown per file; past that one note says how many more there are."""


class Severity(IntEnum):
    OFF = 0
    WARNING = 20
    ERROR = 30

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Code:
    """A stable problem code: its default severity and what it means (for the table in docs/reference/problems.md)."""

    name: str
    severity: Severity
    summary: str


#: Every problem kind the tool reports. The name is stable: configs and scripts refer to it.
CODES: dict[str, Code] = {
    c.name: c
    for c in [
        # files and front matter
        Code("file-encoding", Severity.ERROR, "a file is not valid UTF-8"),
        Code("file-too-large", Severity.ERROR, "an entry file is larger than the 5 MB limit"),
        Code("file-symlink", Severity.ERROR, "a symlink points outside content/ or loops"),
        Code("file-unexpected", Severity.ERROR, "a file or folder in content/ that is not an entry"),
        Code("front-matter-missing", Severity.ERROR, "an entry has no front matter"),
        Code("front-matter-unclosed", Severity.ERROR, "front matter has no closing '---'"),
        Code("yaml-syntax", Severity.ERROR, "front matter or config.yaml is not valid YAML"),
        Code("yaml-unsafe", Severity.ERROR, "YAML uses a tag, an alias bomb or nesting the tool refuses"),
        Code("id-invalid", Severity.ERROR, "a file name is not a lower-case kebab-case id"),
        Code("id-duplicate", Severity.ERROR, "two entries share an id (ids are unique across kinds)"),
        Code("id-case-clash", Severity.ERROR, "two file names differ only in case"),
        Code("key-unknown", Severity.ERROR, "a front-matter or config key the schema does not know"),
        Code("key-missing", Severity.ERROR, "a required key is missing"),
        Code("value-type", Severity.ERROR, "a value has the wrong type"),
        Code("value-choice", Severity.ERROR, "a value is not one of the allowed ones"),
        Code("value-date", Severity.ERROR, "a value is not an ISO 8601 date"),
        Code("value-url", Severity.ERROR, "a URL is not an absolute http(s) URL"),
        Code("value-control-character", Severity.ERROR,
             "a text value holds a control character or noncharacter (a YAML escape such as \"\\u0000\")"),
        Code("value-duplicate", Severity.ERROR, "a nav: or languages: item is listed twice"),
        Code("value-language", Severity.ERROR, "a language code is malformed or not in the built-in table "
             "without a name"),
        # translations (ID.LANG.md)
        Code("translation-orphan", Severity.ERROR, "a translation has no original beside it (ID.md)"),
        Code("translation-language", Severity.ERROR, "a translation's language is not one of config.yaml's "
             "other languages"),
        Code("translation-key", Severity.ERROR, "a translation gives a key that is not translated (or "
             "disagrees with the original's value)"),
        Code("card-font", Severity.WARNING, "a title has a character the share cards' bundled fonts cannot draw"),
        Code("translation-stale", Severity.WARNING, "the original changed after the translation was marked "
             "as up to date (explainer translate mark)"),
        Code("date-order", Severity.ERROR, "an event ends before it starts"),
        Code("date-precision", Severity.ERROR, "date_precision disagrees with how precisely the date is written"),
        # bibliographies and citation styles
        Code("bibliography-file", Severity.ERROR, "a bibliography file config.yaml names is missing or unreadable"),
        Code("bibliography-syntax", Severity.ERROR, "a bibliography file is not valid BibTeX or CSL-JSON"),
        Code("bibliography-record", Severity.ERROR, "a bibliography record lacks a key or title, or has a bad value"),
        Code("citation-style", Severity.ERROR, "citation_style names no known CSL style or a broken .csl file"),
        # references
        Code("ref-unknown", Severity.ERROR, "a reference names an id that does not exist"),
        Code("ref-wrong-kind", Severity.ERROR, "a reference names an entry of the wrong kind"),
        Code("link-unknown-file", Severity.ERROR, "a Markdown link to a .md file that is not an entry"),
        Code("citation-malformed", Severity.ERROR, "a '[@…]' that is not a valid citation"),
        Code("markup-unclosed", Severity.ERROR,
             "a '[[' cross-link or '[@' citation with no closing bracket on its line"),
        Code("dispute-malformed", Severity.ERROR, "a dispute block without a question, positions or citations"),
        Code("dispute-unclosed", Severity.ERROR, "a dispute block with no closing ':::'"),
        Code("markdown-too-deep", Severity.ERROR, "lists or block quotes nest deeper than the parser's limit"),
        # warnings
        Code("source-uncited", Severity.WARNING, "a source nobody cites"),
        Code("event-unsourced", Severity.WARNING, "an event with no source"),
        Code("entry-orphan", Severity.WARNING, "an entry nothing links to"),
        Code("uncited-paragraph", Severity.WARNING, "a paragraph of an event or actor body with no citation"),
        Code("source-unarchived", Severity.WARNING, "a source with a url but neither accessed nor archive_url"),
        Code("coverage-low", Severity.WARNING, "an entry's citation coverage is below coverage_min"),
        Code("placeholder", Severity.WARNING,
             "a value explainer new wrote for the author to replace (\"PUBLISHER\", YYYY-MM-DD, KIND) is still there"),
        # external links (`explainer links`)
        Code("link-broken", Severity.WARNING, "an external link answered 404, 410, another 4xx or a lasting 5xx"),
        Code("link-redirected", Severity.WARNING, "an external link redirects permanently (301 or 308) elsewhere"),
        Code("link-unreachable", Severity.WARNING,
             "an external link could not be checked: no DNS answer, connection refused, timeout, or a server "
             "that refuses automated checks (401, 403, lasting 429)"),
        # the interface's words (layouts/i18n/LANG.yaml)
        Code("string-unknown", Severity.ERROR,
             "a project's translation table names a message id the theme does not have"),
        Code("string-placeholder", Severity.ERROR,
             "a message in a project's translation table uses a {placeholder} the theme does not fill in"),
        # build
        Code("template-error", Severity.ERROR, "a layout template failed to load or render"),
        Code("output-error", Severity.ERROR, "the output folder could not be written"),
        Code("build-locked", Severity.ERROR, "another build of the same project is running"),
        Code("cache-unsafe", Severity.WARNING,
             ".explainer-cache holds a symlink, FIFO or device: the build runs without the cache"),
        Code("config-missing", Severity.ERROR, "the project has no config.yaml"),
        Code("too-many-problems", Severity.ERROR, "a file has more than 100 problems; the rest are counted"),
    ]
}


@dataclass(frozen=True, order=True)
class Problem:
    """One problem at one spot of one file. Sorts by file, line, column."""

    path: str
    line: int
    column: int
    code: str
    message: str
    hint: str | None = None
    severity: Severity = field(default=Severity.ERROR, compare=False)
    end_line: int | None = field(default=None, compare=False)
    end_column: int | None = field(default=None, compare=False)

    def format(self) -> str:
        """Render as `path:line:col: severity: message (hint)`, the format editors understand."""
        text = f"{self.path}:{self.line}:{self.column}: {self.severity.label}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        if text.isprintable():  # nothing `_ONE_LINE` maps (it maps only characters that are not)
            return text
        return text.translate(_ONE_LINE)  # a quoted key or value may hold a line break


_ONE_LINE = {c: f"\\x{c:02x}" for c in [*range(0x20), *range(0x7F, 0xA0)] if c != 0x09} | {
    0x0A: "\\n", 0x0D: "\\r", 0x2028: "\\u2028", 0x2029: "\\u2029"}
"""Control characters (C0, DEL, C1: a file name may hold a terminal's ESC) and line breaks in
messages, shown escaped: one problem, one line, nothing a terminal or a CI log acts on."""


_CONTROLS = {c: v for c, v in _ONE_LINE.items() if c not in (0x0A, 0x0D)}


def escape_controls(text: str) -> str:
    """`text` with control characters but CR and LF escaped as `_ONE_LINE` does (for a format
    that escapes line breaks its own way: GitHub's workflow commands)."""
    return text.translate(_CONTROLS)


_ORDER = attrgetter("path", "line", "column", "code", "message", "hint")
"""What `Problem`s sort by (`order=True` compares these fields as a tuple)."""


class Problems:
    """Collects problems during a build; severities come from the code table and the config."""

    def __init__(self, overrides: dict[str, Severity] | None = None, limit: int | None = MAX_PER_FILE) -> None:
        self.limit = limit
        """Problems kept per file (None: all; a stage's own list, merged into a limited one)."""
        self._items: list[Problem] = []
        self._seen: set[tuple[str, int, int, str, str]] = set()
        self._per_file: dict[str, int] = {}
        self._dropped: dict[str, Severity] = {}
        self._sorted: list[Problem] | None = None
        self.overrides: dict[str, Severity] = dict(overrides or {})

    def add(
        self,
        code: str,
        path: str,
        line: int,
        column: int,
        message: str,
        hint: str | None = None,
        end: tuple[int, int] | None = None,
    ) -> None:
        """Record a problem; the code decides its severity (possibly turned off by config)."""
        severity = self._admit(code, path, line, column, message)
        if severity is not None:
            self._items.append(Problem(path, max(line, 1), max(column, 1), code, message, hint, severity,
                                       end[0] if end else None, end[1] if end else None))

    def _admit(self, code: str, path: str, line: int, column: int, message: str) -> Severity | None:
        """The severity a new problem is kept with, or None: turned off, already recorded, or
        past the file's limit (an author fixes the first hundred; the rest is noise)."""
        severity = self.overrides.get(code, CODES[code].severity)
        if severity is Severity.OFF:
            return None
        key = (path, line, column, code, message)
        if key in self._seen:
            return None
        self._seen.add(key)
        self._sorted = None
        shown = self._per_file.get(path, 0)
        self._per_file[path] = shown + 1
        if self.limit is not None and shown >= self.limit:
            worst = self._dropped.get(path, Severity.WARNING)
            self._dropped[path] = max(worst, severity)
            return None
        return severity

    @classmethod
    def restore(cls, items: Iterable[Problem]) -> Problems:
        """Problems exactly as a finished build reported them (severities included)."""
        made = cls(limit=None)
        made._items = list(items)
        made._sorted = None
        return made

    def extend(self, problems: Iterable[Problem]) -> None:
        """Record problems another list made (a stage's own, the cache's): each as `add` would,
        the same object kept when it already has the severity it gets here."""
        for p in problems:
            severity = self._admit(p.code, p.path, p.line, p.column, p.message)
            if severity is None:
                continue
            if severity is not p.severity or p.line < 1 or p.column < 1 or bool(p.end_line) != bool(p.end_column):
                p = Problem(p.path, max(p.line, 1), max(p.column, 1), p.code, p.message, p.hint, severity,
                            p.end_line if p.end_column else None, p.end_column if p.end_line else None)
            self._items.append(p)

    @property
    def items(self) -> list[Problem]:
        """Every problem kept, sorted (made once until the next one is added)."""
        if self._sorted is None:
            self._sorted = self._sort()
        return list(self._sorted)

    def _sort(self) -> list[Problem]:
        notes = [
            Problem(path, 1, 1, "too-many-problems",
                    f"{self._per_file[path] - (self.limit or 0)} more problems in this file are not shown",
                    "fix the ones above and run again", severity)
            for path, severity in self._dropped.items()
        ]
        return sorted(self._items + notes, key=_ORDER)  # the order of `Problem`'s fields, without its __lt__

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.severity is Severity.WARNING]

    def has_errors(self, strict: bool = False) -> bool:
        return bool(self.errors) or (strict and bool(self.warnings))

    def __len__(self) -> int:
        return len(self._items)


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """Suggest the closest candidate, as a hint string, or None when nothing is close."""
    matches = get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"did you mean '{matches[0]}'?" if matches else None


class UsageError(Exception):
    """Wrong use of the command line (exit code 2): a bad argument, not bad content."""
