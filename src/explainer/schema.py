"""The one table of the kinds of entry, and of what config.yaml may contain.

A kind's row says everything the tool knows about it: its folder and URL, its wording,
its front-matter keys, its page's layout and the back-link lists that page shows, its
list page, and the roles it plays in the story (`claims`, `cited`, `dated`, `in_menu`,
`participants`). The loader, the validator, the renderer, the outputs, `explainer new`,
`explainer schema` and the docs all read this table and no other module names a kind,
so a new kind is one row here (and, if it wants its own look, a layout).
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
LANGUAGE_LIST = "language-list"
SEVERITY_MAP = "severity-map"
RECORD_LIST = "record-list"
"""A list of mappings, each with the keys `Field.items` lists (corrections: date and text)."""
PATH_LIST = "path-list"
"""One path relative to the project root, or a list of them (bibliography files)."""
NUMBER = "number"
"""A number, whole or not (seconds)."""
SETTINGS = "settings"
"""A mapping with the keys `Field.items` lists (config's `links:`), each optional, with its default."""


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
    labels: tuple[tuple[str, str], ...] = ()
    """Headings for a choice's values, in the order lists show them (e.g. 'Countries')."""
    short: tuple[tuple[str, str], ...] = ()
    """Short forms of those headings, for a heading over fewer columns than it needs ('Ctry')."""
    items: tuple[Field, ...] = ()
    """For RECORD_LIST: the keys of each mapping in the list."""


PLACEHOLDER_DATE = "YYYY-MM-DD"
"""What `explainer new` writes for a date it was not given."""

PLACEHOLDER_STAND_IN_DATE = "1970-01-01"
"""The date a placeholder date stands for until it is replaced (the warning says so)."""


def placeholder(field: Field) -> str | None:
    """The value `explainer new` writes for a key it cannot know, which check and build report.

    `PUBLISHER` for a text (the key's name in capitals), `KIND` for a choice, `YYYY-MM-DD`
    for a date; None for other types (new leaves them commented out).
    """
    if field.type == DATE:
        return PLACEHOLDER_DATE
    if field.type in (TEXT, CHOICE):
        return field.name.upper()
    return None


def placeholder_advice(field: Field) -> str:
    """What to replace a placeholder with, for the warning and the comment `explainer new` writes beside it."""
    if field.type == DATE:
        return "the date: 2024-03-12, or 2024-03 / 2024 when only that is known"
    if field.choices:
        return "one of " + ", ".join(field.choices)
    what = field.description.rstrip(".")
    return what[0].lower() + what[1:] if what[1:2].islower() else what


@dataclass(frozen=True)
class Related:
    """A list of linked entries an entry's page shows, e.g. an actor's events or a source's "Cited by".

    Its entries are the ids in the entry's own `own` fields, plus the entries that refer to
    it in one of the `back` ways (a front-matter field name, 'link' or 'citation'), minus
    those already in the lists named in `exclude`; sorted by title, or by date.
    """

    name: str
    """The key in the layout's `related` mapping."""
    own: tuple[str, ...] = ()
    back: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    by_date: bool = False
    home: bool = False
    """Also tell the layout whether the home page refers to it that way (`related[name + '_home']`)."""


@dataclass(frozen=True)
class ListPage:
    """The page that lists every entry of a kind (the timeline, the actors, the bibliography)."""

    url: str
    """Its URL path, e.g. 'timeline/'; also its name in the menu (`nav`)."""
    template: str
    title: str
    description: str
    group_by: str
    """'year' (by date), or a choice field of the kind whose `labels` head the groups."""
    position: int = 0
    """Its place among the list pages in the default menu."""


@dataclass(frozen=True)
class Kind:
    """A kind of entry: where its files live, what it may say, how its pages show it."""

    name: str
    folder: str
    fields: tuple[Field, ...] = field(default_factory=tuple)
    what: str = ""
    """The kind with its article, as messages say it ('an actor')."""
    url: str = "{folder}/{id}/"
    """URL path of an entry's page: `{folder}` and `{id}` are filled in."""
    template: str = ""
    """Layout of an entry's page (default: NAME.html)."""
    related: tuple[Related, ...] = ()
    list_page: ListPage | None = None
    claims: bool = False
    """Its bodies make claims: every paragraph should cite a source (coverage, uncited-paragraph)."""
    cited: bool = False
    """Its entries are what `[@id]` citations name: each should be cited, and the bibliography
    exports (CSL-JSON, BibTeX) list them."""
    dated: bool = False
    """Its entries are dated happenings: on the timeline and in the feed, and each needs a source."""
    participants: str | None = None
    """The field naming the entries that took part (an event's `actors`), for the story's pictures."""
    acts_for: tuple[str, ...] = ()
    """Fields naming whom an entry acts for (a person's country, employer, organisation): an
    actor that acts for another comes after the parties in the colour key (`story.palette_of`)."""
    acts_for_itself: tuple[str, str] | None = None
    """(field, value) of entries that act for themselves (a country)."""
    in_menu: bool = False
    """Its entries may have a place in the menu (then nothing needs to link to them)."""
    site_figures: bool = False
    """Its pages show site-wide figures (citation coverage, link counts), so any edit may change them."""
    schema_org: str = "WebPage"
    """JSON-LD type of its pages; `schema_org_by` may pick another by a choice field's value."""
    schema_org_by: tuple[str, tuple[tuple[str, str], ...]] | None = None
    search_fields: tuple[str, ...] = ()
    """Front-matter text fields readers also search by (a source's publisher, an actor's aliases)."""

    @property
    def layout(self) -> str:
        return self.template or f"{self.name}.html"

    def url_of(self, entry_id: str) -> str:
        return self.url.format(folder=self.folder, id=entry_id)

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
    "actor", "actors",
    (
        Field("title", TEXT, "The actor's name as readers know it.", required=True),
        Field("kind", CHOICE, "What sort of actor this is.", required=True,
              choices=("person", "organisation", "country", "grouping"),
              labels=(("country", "Countries"), ("organisation", "Organisations"), ("grouping", "Groupings"),
                      ("person", "People")),
              short=(("country", "Ctry"), ("organisation", "Org"), ("grouping", "Grp"), ("person", "Ppl"))),
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
    related=(
        Related("events", back=("actors",), by_date=True),
        Related("members", own=("members",), back=("member_of",)),
        Related("member_of", own=("member_of",), back=("members",)),
        Related("affiliations", own=("affiliations",)),
        Related("country", own=("country",)),
        Related("mentioned_by", back=("link",), exclude=("events",)),
    ),
    list_page=ListPage("actors/", "actors.html", "Actors", "Everyone in the story, by kind.", "kind", 2),
    claims=True,
    acts_for=("country", "affiliations", "member_of"),
    acts_for_itself=("kind", "country"),
    schema_org="Organization",
    schema_org_by=("kind", (("person", "Person"), ("country", "Country"), ("organisation", "Organization"),
                            ("grouping", "Organization"))),
    search_fields=("aliases",),
)

EVENT = Kind(
    "event", "events",
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
    related=(
        Related("actors", own=("actors",)),
        Related("mentioned_by", back=("link",)),
    ),
    list_page=ListPage("timeline/", "timeline.html", "Timeline", "Every event, by date.", "year", 1),
    claims=True,
    dated=True,
    participants="actors",
    schema_org="Event",
)

SOURCE = Kind(
    "source", "sources",
    (
        Field("title", TEXT, "The headline or title, as published; with `untitled: true`, a plain description "
              "of the item.", required=True),
        Field("untitled", BOOL, "The item's own headline or title is not known: `title` describes it. Pages "
              "show it as a description with a note, not as a headline; citation styles and the exports "
              "put it in square brackets."),
        Field("publisher", TEXT, "Who published it (newspaper, agency, government body).", required=True),
        Field("authors", TEXT_LIST, "Authors' names, as credited."),
        Field("date", DATE, "Publication date (ISO 8601; partial dates allowed)."),
        Field("url", URL, "Address of the original (absolute http or https URL)."),
        Field("accessed", DATE, "When the url was last read (ISO 8601; partial dates allowed)."),
        Field("archive_url", URL, "Address of an archived copy."),
        Field("archive_date", DATE, "When the archived copy was captured (ISO 8601; `explainer links --archive "
              "--write` fills it in with archive_url)."),
        Field("url_status", CHOICE, "Whether the url still answers, as `explainer links --write` last found it: "
              "dead makes pages link the archived copy first.", choices=("live", "dead")),
        Field("url_checked", DATE, "When `explainer links --write` last checked the url (ISO 8601)."),
        Field("type", CHOICE, "What sort of document it is.",
              choices=("news", "official", "statement", "report", "analysis"),
              labels=(("official", "Official documents"), ("statement", "Statements"), ("report", "Reports"),
                      ("news", "News reports"), ("analysis", "Analysis and opinion"), ("", "Other sources"))),
        Field("language", TEXT, "Language of the source, as a BCP 47 tag (en, ja, fr)."),
        _SUMMARY,
        Field("container", TEXT, "The journal, newspaper, book or site the source appeared in, "
              "when it is not the publisher."),
        Field("via", TEXT, "Who carried the copy that was read, when it is not the original publisher "
              "(a syndicated or aggregated copy: publisher Reuters, via Devdiscourse)."),
        Field("editors", TEXT_LIST, "Editors' names, as credited."),
        Field("doi", TEXT, "Digital Object Identifier, without https://doi.org/ (10.1000/xyz)."),
        _CORRECTIONS,
    ),
    what="a source",
    related=(Related("cited_by", back=("citation", "sources"), home=True),),
    list_page=ListPage("sources/", "sources.html", "Sources", "Every source this site cites.", "type", 3),
    cited=True,
    schema_org="CreativeWork",
    schema_org_by=("type", (("news", "NewsArticle"),)),
    search_fields=("authors", "publisher"),
)

PAGE = Kind(
    "page", "pages",
    (
        Field("title", TEXT, "The page title.", required=True),
        _SUMMARY,
        Field("nav", INT, "Position in the site menu (lower first); pages without it are not in the menu.",
              minimum=0),
        _CORRECTIONS,
    ),
    what="a page",
    url="{id}/",
    in_menu=True,
    site_figures=True,
)

HOME = Kind(
    "home", "",
    (
        Field("title", TEXT, "Heading of the home page (defaults to the site title)."),
        _SUMMARY,
        _CORRECTIONS,
    ),
    what="the home page",
    url="",
    template="home.html",
)

#: Entry kinds by name; `content/<folder>/` holds each kind's files.
KINDS: dict[str, Kind] = {k.name: k for k in (ACTOR, EVENT, SOURCE, PAGE)}
KIND_BY_FOLDER: dict[str, Kind] = {k.folder: k for k in KINDS.values()}

CONFIG = Kind(
    "config", "",
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
        Field("links", SETTINGS, "How `explainer links` checks external links and finds archived copies.",
              default=None, items=(
                  Field("timeout", NUMBER, "Seconds to wait for a server's answer.", minimum=0, default=10),
                  Field("recheck_after_days", INT, "Days a recorded result stays fresh: a link is asked "
                        "again only after that.", minimum=0, default=7),
                  Field("retries", INT, "Extra attempts after a 429 or 5xx answer.", minimum=0, maximum=10,
                        default=2),
                  Field("retry_wait_max", NUMBER, "Longest wait in seconds before a retry, whatever "
                        "Retry-After asks.", minimum=0, default=60),
                  Field("per_host", INT, "Requests at once to one host.", minimum=1, maximum=16, default=2),
                  Field("archive_api", URL, "A Wayback-availability-compatible API.",
                        default="https://archive.org/wayback/available"),
                  Field("save_api", URL, "Where `--save` asks for a capture (the URL is appended).",
                        default="https://web.archive.org/save/"),
                  Field("save_interval", NUMBER, "Seconds between two `--save` requests.", minimum=0,
                        default=20),
              )),
        Field("share_cards", BOOL, "Draw a 1200×630 share card (card.png) for every page and name it in the "
              "page's og:image and twitter:image (false: no cards).", default=True),
        Field("languages", LANGUAGE_LIST, "The site's languages, the default first: [en, ja] (a name from the "
              "built-in table) or {code: ja, name: 日本語}; each other language is an edition under /CODE/, "
              "with translations in ID.CODE.md beside their originals.", default=None),
    ),
    what="config.yaml",
)

SECTIONS = ("disputes", "search", "corrections")
"""Built-in pages that list no kind: every dispute, the search page, and the corrections
(shown only once an entry carries a correction)."""


def kinds_where(role: str) -> list[Kind]:
    """The kinds that play a role ('claims', 'cited', 'dated', 'in_menu', 'site_figures'), in table order."""
    return [k for k in KINDS.values() if getattr(k, role)]


def participant_kinds() -> set[str]:
    """Kinds whose entries take part in dated ones (the actors of events)."""
    found: set[str] = set()
    for kind in kinds_where("dated"):
        named = kind.field(kind.participants) if kind.participants else None
        if named is not None:
            found |= set(named.targets)
    return found


def kind_of(name: str) -> Kind:
    """The row of an entry's kind (the home page's too)."""
    return KINDS.get(name) or HOME


def builtin_sections() -> tuple[str, ...]:
    """Menu items that name a built-in page: each kind's list page, then disputes and search."""
    pages = sorted((k.list_page for k in KINDS.values() if k.list_page), key=lambda p: p.position)
    return tuple(p.url.strip("/") for p in pages) + SECTIONS


TRANSLATABLE: dict[str, tuple[str, ...]] = {
    "actor": ("title", "summary", "role", "aliases"),
    "event": ("title", "summary", "location"),
    "source": ("summary",),
    "page": ("title", "summary"),
    "home": ("title", "summary"),
}
"""Front-matter keys a translation (`ID.LANG.md`) may give, by kind; its body is translated too.
Everything else (ids, dates, actors, sources, a source's title as published) comes from the
original. A translation may also carry `translated_from`, the digest `explainer translate mark`
writes."""

TRANSLATED_FROM = "translated_from"

LANGUAGE_NAMES: dict[str, str] = {
    "ar": "العربية", "de": "Deutsch", "en": "English", "es": "Español", "fr": "Français", "hi": "हिन्दी",
    "id": "Bahasa Indonesia", "it": "Italiano", "ja": "日本語", "ko": "한국어", "nl": "Nederlands",
    "pl": "Polski", "pt": "Português", "ru": "Русский", "sv": "Svenska", "th": "ไทย", "tr": "Türkçe",
    "uk": "Українська", "vi": "Tiếng Việt", "zh": "中文", "zh-hans": "简体中文", "zh-hant": "繁體中文",
}
"""Display names of the languages `languages:` may name by code alone (others need `name:`)."""


BIBLIOGRAPHY_KIND = next(k.name for k in KINDS.values() if k.cited)
"""The kind every record of a bibliography file becomes (and the kind citations name)."""
