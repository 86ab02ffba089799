"""The one table of what each kind of entry, and config.yaml, may contain.

The validator, `explainer new`, `explainer schema` and the README all read this table,
so a new key or a new kind is one edit here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Field types. "ref" values are entry ids; `targets` says which kinds they may name.
TEXT = "text"
TEXT_LIST = "text-list"
DATE = "date"
URL = "url"
INT = "int"
BOOL = "bool"
CHOICE = "choice"
REF = "ref"
REF_LIST = "ref-list"
NAV_LIST = "nav-list"
SEVERITY_MAP = "severity-map"
RECORD_LIST = "record-list"
"""A list of mappings, each with the keys `Field.items` lists (corrections: date and text)."""
PATH_LIST = "path-list"
"""One path relative to the project root, or a list of them (bibliography files)."""


@dataclass(frozen=True)
class Field:
    """One front-matter or config key."""

    name: str
    type: str
    description: str
    required: bool = False
    choices: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    default: object = None
    items: tuple["Field", ...] = ()
    """For RECORD_LIST: the keys of each mapping in the list."""


@dataclass(frozen=True)
class Kind:
    """A kind of entry: where its files live, how its pages are titled, what it may say."""

    name: str
    folder: str
    label: str
    plural: str
    fields: tuple[Field, ...] = field(default_factory=tuple)
    what: str = ""
    """The kind with its article, as messages say it ('an actor')."""
    claims: bool = False
    """Its bodies make claims: every paragraph should cite a source (coverage, uncited-paragraph)."""
    site_figures: bool = False
    """Its pages show site-wide figures (citation coverage, link counts), so any edit may change them."""

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def required(self) -> list[str]:
        return [f.name for f in self.fields if f.required]


_SUMMARY = Field("summary", TEXT, "One or two sentences shown in lists, previews and link cards.")
_SOURCES = Field(
    "sources", REF_LIST,
    "Ids of sources that support this entry (listed in its Sources list even if not cited inline). "
    "A schema cannot check that the ids exist: `explainer check` does.",
    targets=("source",),
)
_UPDATED = Field("updated", DATE, "ISO date the entry was last changed (defaults to its last git commit).")
_REVIEWED = Field("reviewed", DATE, "ISO date an editor last checked the entry against its sources.")
_CORRECTIONS = Field(
    "corrections", RECORD_LIST,
    "Corrections published after the entry went out, each {date, text}: shown at the top of its page, "
    "on /corrections/ and in corrections.xml.",
    items=(
        Field("date", DATE, "When the correction was made (ISO 8601).", required=True),
        Field("text", TEXT, "What was wrong and what the page says now.", required=True),
    ),
)


def _refs(name: str, targets: tuple[str, ...], what: str) -> Field:
    return Field(
        name, REF_LIST,
        f"{what} A schema cannot check that the ids exist: `explainer check` does.",
        targets=targets,
    )


ACTOR = Kind(
    "actor", "actors", "Actor", "Actors",
    (
        Field("title", TEXT, "The actor's name as readers know it.", required=True),
        Field("kind", CHOICE, "What sort of actor this is.", required=True,
              choices=("person", "organisation", "country", "grouping")),
        _SUMMARY,
        Field("role", TEXT, "The actor's role in the story, e.g. 'NATO Secretary General (2014–2024)'."),
        Field("aliases", TEXT_LIST, "Other names and abbreviations of the actor."),
        _refs("members", ("actor",), "Ids of actors that belong to this one (for organisations and groupings)."),
        _refs("member_of", ("actor",), "Ids of organisations or groupings this actor belongs to."),
        _refs("affiliations", ("actor",), "Ids of actors this one works for or speaks for."),
        Field("country", REF, "Id of the country actor this actor belongs to. "
              "A schema cannot check that the id exists: `explainer check` does.", targets=("actor",)),
        _SOURCES,
        Field("image", TEXT, "Path or URL of an image of the actor."),
        Field("image_alt", TEXT, "Text alternative of the image (required for readers who cannot see it)."),
        _UPDATED,
        _REVIEWED,
        _CORRECTIONS,
    ),
    what="an actor",
    claims=True,
)

EVENT = Kind(
    "event", "events", "Event", "Timeline",
    (
        Field("title", TEXT, "What happened, in a few words.", required=True),
        Field("date", DATE, "ISO 8601 date: 2023-07-11, or 2023-07 / 2023 when only that is known.",
              required=True),
        Field("end_date", DATE, "Last day of an event that spans several days (ISO 8601)."),
        Field("date_precision", CHOICE,
              "How precisely the date is known; defaults to the precision the date is written with.",
              choices=("day", "month", "year", "approximate")),
        Field("location", TEXT, "Where it happened."),
        _refs("actors", ("actor",), "Ids of the actors who took part."),
        _SOURCES,
        _SUMMARY,
        Field("status", TEXT, "Where the matter stands, e.g. 'proposed', 'shelved'."),
        _UPDATED,
        _REVIEWED,
        _CORRECTIONS,
    ),
    what="an event",
    claims=True,
)

SOURCE = Kind(
    "source", "sources", "Source", "Sources",
    (
        Field("title", TEXT, "The headline or title, as published.", required=True),
        Field("publisher", TEXT, "Who published it (newspaper, agency, government body).", required=True),
        Field("authors", TEXT_LIST, "Authors' names, as credited."),
        Field("date", DATE, "Publication date (ISO 8601; partial dates allowed)."),
        Field("url", URL, "Address of the original (absolute http or https URL)."),
        Field("accessed", DATE, "When the url was last read (ISO 8601; partial dates allowed)."),
        Field("archive_url", URL, "Address of an archived copy."),
        Field("type", CHOICE, "What sort of document it is.",
              choices=("news", "official", "statement", "report", "analysis")),
        Field("language", TEXT, "Language of the source, as a BCP 47 tag (en, ja, fr)."),
        _SUMMARY,
        Field("container", TEXT, "The journal, newspaper, book or site the source appeared in, "
              "when it is not the publisher."),
        Field("editors", TEXT_LIST, "Editors' names, as credited."),
        Field("doi", TEXT, "Digital Object Identifier, without https://doi.org/ (10.1000/xyz)."),
        _CORRECTIONS,
    ),
    what="a source",
)

PAGE = Kind(
    "page", "pages", "Page", "Pages",
    (
        Field("title", TEXT, "The page title.", required=True),
        _SUMMARY,
        Field("nav", INT, "Position in the site menu (lower first); pages without it are not in the menu.",
              minimum=0),
        _CORRECTIONS,
    ),
    what="a page",
    site_figures=True,
)

HOME = Kind(
    "home", "", "Home", "Home",
    (
        Field("title", TEXT, "Heading of the home page (defaults to the site title)."),
        _SUMMARY,
        _CORRECTIONS,
    ),
    what="the home page",
    site_figures=True,
)

#: Entry kinds by name; `content/<folder>/` holds each kind's files.
KINDS: dict[str, Kind] = {k.name: k for k in (ACTOR, EVENT, SOURCE, PAGE)}
KIND_BY_FOLDER: dict[str, Kind] = {k.folder: k for k in KINDS.values()}

CONFIG = Kind(
    "config", "", "Config", "Config",
    (
        Field("title", TEXT, "The site's title, shown in every page's header.", required=True),
        Field("description", TEXT, "One sentence about the site, for search engines and feeds.", default=""),
        Field("language", TEXT, "Language of the site as a BCP 47 tag (the html lang attribute).",
              default="en"),
        Field("base_url", URL, "Absolute URL the site is published at, ending with '/'; "
              "may include a path (https://user.example.io/project/).",
              default="http://127.0.0.1:8000/"),
        Field("author", TEXT, "Who publishes the site (feeds and structured data).", default=""),
        Field("repository", URL, "URL of the project's source repository, for 'report an error' links.",
              default=None),
        Field("nav", NAV_LIST, "Menu order: built-in sections (timeline, actors, sources, disputes, search, "
              "corrections) and page ids.", default=None),
        Field("trust_html", BOOL, "Let raw HTML in Markdown through (only for fully trusted authors).",
              default=False),
        Field("git_dates", BOOL, "Use the date of an entry file's last git commit as its 'updated' date "
              "when its front matter has none (false: never).", default=True),
        Field("coverage_min", INT, "Minimum share (0–100) of an entry's claims that must carry a citation.",
              minimum=0, maximum=100, default=0),
        Field("problems", SEVERITY_MAP, "Problem codes turned into errors, warnings or off: "
              "{uncited-paragraph: error}.", default=None),
        Field("bibliography", PATH_LIST, "Bibliography files (BibTeX .bib or CSL-JSON .json) relative to the "
              "project root, one path or a list: each record becomes a source.", default=None),
        Field("citation_style", TEXT, "CSL style for Sources lists and the bibliography: a name such as apa, "
              "chicago-author-date, ieee, modern-language-association, or a .csl file relative to the "
              "project root (none: the built-in format).", default=None),
    ),
    what="config.yaml",
)

BUILTIN_SECTIONS = ("timeline", "actors", "sources", "disputes", "search", "corrections")
"""Menu items that are not pages. `corrections` shows only once an entry carries a correction."""

BIBLIOGRAPHY_KIND = "source"
"""The kind every record of a bibliography file becomes (and the kind citations name)."""
