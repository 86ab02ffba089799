"""The pipeline's data types, in the order the stages make them.

load → `Document` (a file read and its YAML parsed), validate → `Entry`, `Config`,
`Project`, resolve → `Target`/`Lookup` (what a body may link to), `Body` (a parsed body
and what it cites), `Graph`, `SiteData`, render → `Page`. Every stage imports its types
from here, and nothing here imports a stage, so the stages can only import downwards.
"""

from __future__ import annotations

import re
import zlib
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from . import schema
from .dates import PartialDate

Path_ = tuple[Any, ...]
"""Where a value sits in a YAML document: keys and list indexes from the top."""


@dataclass
class YamlDoc:
    """Plain data plus the position of every value (and every mapping key) by its path."""

    data: Any
    value_pos: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    key_pos: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def pos(self, *path: Any) -> tuple[int, int]:
        """Best position for a path: the value, else its key, else the nearest parent."""
        while path:
            if path in self.value_pos:
                return self.value_pos[path]
            if path in self.key_pos:
                return self.key_pos[path]
            path = path[:-1]
        return self.value_pos.get((), (1, 1))

    def key(self, *path: Any) -> tuple[int, int]:
        """Position of a mapping key (falls back to the value's position)."""
        return self.key_pos.get(path) or self.pos(*path)


HOME_ID = ""
"""The home page's id: empty, so it can never clash with an entry's."""


@dataclass
class Entry:
    """One Markdown file of `content/`: its id, kind, validated front matter and body."""

    id: str
    kind: str
    """The name of its row in `schema.KINDS` (or `schema.HOME`'s)."""
    path: str
    """Path relative to the project root, with forward slashes (what messages show)."""
    meta: dict[str, Any]
    """Validated front matter: dates are `PartialDate`, lists are lists, absent keys absent."""
    doc: YamlDoc
    """The raw front matter with the position of every key and value."""
    body: str
    body_line: int
    """1-based line number of the body's first line in the file."""
    digest: str
    """Hash of the file's bytes, for caches."""
    slug: str = ""
    """The URL segment when it is not the id (a bibliography key: `smithTitle2020` -> `smithtitle2020`)."""
    csl: dict[str, Any] | None = None
    """A bibliography record's CSL-JSON item, as imported (with a companion file's keys laid over it)."""
    language: str = ""
    """The language of its text when it is a translation (`ID.LANG.md` laid over its original);
    '' for an original, written in the site's default language."""

    @property
    def title(self) -> str:
        return str(self.meta.get("title") or self.id)

    @property
    def url_path(self) -> str:
        """Site-relative URL of the entry's page, e.g. `actors/nato/` (the home page is '')."""
        return schema.kind_of(self.kind).url_of(self.slug or self.id)

    @property
    def date(self) -> PartialDate | None:
        value = self.meta.get("date")
        return value if isinstance(value, PartialDate) else None

    @property
    def approximate(self) -> bool:
        return self.meta.get("date_precision") == "approximate"

    def pos(self, *path: Any) -> tuple[int, int]:
        """File position (line, column) of a front-matter value."""
        return self.doc.pos(*path)


class Frozen(Mapping[str, Any]):
    """A mapping nobody can change once made: a config value that is a mapping (`problems`,
    `links`) and what templates get as `site`. Pickles as the dict it holds."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, Any] | None = None) -> None:
        self._items = dict(items or {})

    def __getitem__(self, key: str) -> Any:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and self._items == dict(other.items())

    __hash__ = None  # type: ignore[assignment]  # equal to a dict, so unhashable like one

    def __repr__(self) -> str:
        return f"Frozen({self._items!r})"

    def __reduce__(self) -> tuple[type, tuple[dict[str, Any]]]:
        return (Frozen, (self._items,))


def slashed(url: str) -> str:
    """A base URL ending with '/' (every site URL is base URL + a relative path)."""
    return url if url.endswith("/") else url + "/"


@dataclass(frozen=True)
class Config:
    """config.yaml, validated once (`validate.validate_config`), defaults filled in; never
    changed after (`with_base_url` makes a copy). One field per key of `schema.CONFIG`,
    which holds each key's type, default and description
    (tests/test_load_validate.py checks that the two agree)."""

    title: str
    description: str
    language: str
    base_url: str
    """Always ends with '/'."""
    author: str
    repository: str | None
    nav: tuple[str, ...]
    """The menu's items in order; () when config.yaml gives none (the built-in order)."""
    trust_html: bool
    git_dates: bool
    coverage_min: int
    problems: Frozen
    """Problem code -> `Severity`, for the codes config.yaml turns up or down."""
    bibliography: tuple[str, ...]
    """Bibliography files as config.yaml names them, relative to the project root."""
    citation_style: str | None
    """The style as config.yaml names it (a name or a .csl path); `style_file` is its file."""
    links: Frozen
    """`links:` as config.yaml gives it (absent settings absent: `links.check.settings` fills them)."""
    share_cards: bool
    languages: tuple[tuple[str, str], ...] = (("en", "English"),)
    """(code, name) of every language of the site, the default first (`language` alone when
    config.yaml names no `languages`)."""
    site_texts: Frozen = field(default_factory=Frozen)
    """Language code -> the site's `title` and `description` in it, where `languages:` gives them."""
    edition_path: str = ""
    """'' for the default language's site; 'CODE/' for the edition in another language
    (`validate.languages.edition`), whose `base_url` and `language` are the edition's."""
    style_file: str | None = None
    """The .csl file `citation_style` resolves to, once `validate.style` found it usable; else None."""
    doc: YamlDoc | None = field(default=None, compare=False, repr=False)
    """config.yaml as read, with the position of every value (None: no readable file)."""

    def with_base_url(self, base_url: str) -> Config:
        """The same config published at another address (`build --base-url`)."""
        return replace(self, base_url=slashed(base_url) + self.edition_path)

    def as_template_values(self) -> Frozen:
        """What layouts see as `site`: every config.yaml key with its value (read-only)."""
        return Frozen({f.name: getattr(self, f.name) for f in schema.CONFIG.fields})

    @property
    def base_path(self) -> str:
        """The path part of base_url, always starting and ending with '/'."""
        from urllib.parse import urlsplit

        return slashed(urlsplit(self.base_url).path or "/")

    @property
    def site_url(self) -> str:
        return self.base_url


_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True)
class Strings:
    """The interface's words (`layouts/i18n/LANG.yaml`): language -> message id -> text, the
    theme's tables with a project's overrides over them. A language without a table, or a
    message its table lacks, reads the English one (`en-GB` reads `en-GB`, then `en`)."""

    tables: Mapping[str, Mapping[str, str]]

    def text(self, lang: str, key: str, default: str | None = None) -> str:
        """The message `key` in `lang`; `default` (else KeyError) when even English lacks it."""
        for code in (lang, lang.split("-")[0], "en"):
            table = self.tables.get(code)
            if table is not None and key in table:
                return table[key]
        if default is None:
            raise KeyError(key)
        return default

    def key_for(self, key: str, count: object) -> str:
        """`key`, or its plural form `KEY_one` / `KEY_other` by `count` when English has those."""
        english = self.tables.get("en", {})
        if key not in english and isinstance(count, int) and f"{key}_other" in english:
            return f"{key}_one" if count == 1 else f"{key}_other"
        return key

    def message(self, lang: str, key: str, default: str | None = None, **values: object) -> str:
        """The message with its `{name}` placeholders filled (plural ids picked by `count`)."""
        text = self.text(lang, self.key_for(key, values.get("count")), default)
        return fill(text, {k: str(v) for k, v in values.items()}) if values else text


def fill(text: str, values: Mapping[str, str]) -> str:
    """`text` with each `{name}` it holds replaced by `values[name]` (a name not given is kept)."""
    return _PLACEHOLDER.sub(lambda m: values.get(m[1], m[0]), text)


def placeholders(text: str) -> set[str]:
    """The `{name}` placeholders `text` holds."""
    return set(_PLACEHOLDER.findall(text))


NO_STRINGS = Strings({})
"""No tables: every message its default (a project made without `load.strings`)."""


@dataclass
class Project:
    """Everything `load` read: the config, every entry by id, and the home page."""

    root: Path
    config: Config
    entries: dict[str, Entry] = field(default_factory=dict)
    home: Entry | None = None
    translated: dict[str, frozenset[str]] = field(default_factory=dict)
    """Language code -> ids of the entries translated into it ('' stands for the home page)."""
    stale: dict[str, list[str]] = field(default_factory=dict)
    """In an edition: id -> the parts of its original that changed after its translation was marked."""
    unreadable: dict[str, str] = field(default_factory=dict)
    """Path -> id of entry files that exist but could not be loaded (already reported):
    references to them are not reported again as unknown ids."""
    strings: Strings = field(default=NO_STRINGS, compare=False, repr=False)
    """The interface's words in every language (`load.strings.read_strings`)."""

    def where(self, role: str) -> list[Entry]:
        """Entries of the kinds that play a role in the story (`schema.kinds_where`), by kind and id."""
        names = {k.name for k in schema.kinds_where(role)}
        return sorted((e for e in self.entries.values() if e.kind in names), key=lambda e: (e.kind, e.id))

    def of_kind(self, kind: str) -> list[Entry]:
        return [e for e in self.entries.values() if e.kind == kind]

    @property
    def all_documents(self) -> list[Entry]:
        """Entries plus the home page, in a stable order."""
        docs = sorted(self.entries.values(), key=lambda e: (e.kind, e.id))
        return docs + ([self.home] if self.home else [])


@dataclass
class Document:
    """One entry file as the load stage read it: text split, YAML parsed, nothing validated."""

    path: str
    """Path relative to the project root, with forward slashes."""
    kind: str
    """The kind its folder says (or 'home' for content/index.md)."""
    doc: YamlDoc
    body: str
    body_line: int
    digest: str
    """Hash of the file's text."""


@dataclass
class Record:
    """One record of a bibliography file as the load stage read it: nothing validated yet.

    BibTeX fields are text with LaTeX decoded to Unicode (names split into parts); CSL-JSON
    records are the item as the file holds it. Positions are 1-based (line, column).
    """

    key: str
    path: str
    """The bibliography file, relative to the project root."""
    line: int
    column: int
    format: str
    """'bibtex' or 'csl-json'."""
    type: str
    """The entry type (`article`, lower-case) or the CSL item type."""
    fields: dict[str, Any]
    positions: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Field name -> position of its key in the file."""
    digest: str = ""
    """Hash of the record's text."""


# --- resolve: what bodies link to, what they found --------------------------------------------

@dataclass(frozen=True)
class Target:
    """What a body sees of an entry it links to or cites (all of it goes into the page)."""

    id: str
    kind: str
    title: str
    url_path: str
    summary: str = ""
    date: str = ""
    """Human date (events), for the link previews."""
    kind_word: str = ""
    """The kind as the site's language names it ("event"), for the link previews."""


@dataclass
class Lookup:
    """Every linkable entry by id, and by file path (for plain `.md` links)."""

    by_id: dict[str, Target]
    by_path: dict[str, str]
    unreadable: dict[str, str] = field(default_factory=dict)
    """Path -> id of entry files that failed to load: their problem is reported once, there."""
    names: dict[str, str] = field(default_factory=dict)
    """Every entry's title and aliases, folded as `fold_name` folds them -> its id: for "did you mean [[id]]?"."""


@dataclass
class Cited:
    """One source as cited on one page: its number and each place it is cited."""

    id: str
    number: int
    anchors: list[str] = field(default_factory=list)
    """Ids of the markers citing it, in page order (targets of the back-links)."""
    locators: list[str] = field(default_factory=list)
    inline: bool = True
    """False for sources listed only in front matter."""


@dataclass
class Dispute:
    anchor: str
    question: str
    positions: list[str]
    line: int


@dataclass
class Claims:
    """Citation coverage of one body: paragraphs and list items, cited or not."""

    total: int = 0
    cited: int = 0


@dataclass
class Body:
    """A rendered body and what parsing it found.

    The HTML is kept zlib-compressed UTF-8 (`Body.pack`) and decoded when a page asks for
    it: a build holds every body at once, in every process, and a body with one non-ASCII
    character costs CPython 2 bytes per character as `str` (10,000 entries: 146 MB as
    str, 73 MB as UTF-8, 26 MB compressed; unpacking them all takes ~0.3 s).
    """

    packed: bytes
    cited: list[Cited]
    disputes: list[Dispute]
    claims_total: int
    claims_cited: int
    refs: list[tuple[str, str]] = field(default_factory=list)
    """(target id, how) for every reference in the body, in order."""

    @property
    def html(self) -> str:
        """The body's HTML, decoded afresh on each call (keep it only as long as needed)."""
        return zlib.decompress(self.packed).decode("utf-8")

    @staticmethod
    def pack(html: str) -> bytes:
        """What `Body.packed` holds for this HTML."""
        return zlib.compress(html.encode("utf-8"), 1)


@dataclass
class Indexed:
    """One entry as the search index holds it (`render.search.index_entry`): what a warm build
    keeps, so that an unchanged entry is not made into plain text and terms again."""

    doc: str
    """Its row in a result file, as JSON."""
    terms: str
    """Its distinct terms, separated by spaces (one string, not a list of small ones: a warm
    build holds every entry's, and 4,000 lists of them were ~100 MB)."""
    weights: bytes
    """Each term's weight (0-63), in the order of `terms`."""


@dataclass
class Graph:
    """Outgoing and incoming references of every entry (front matter and body)."""

    outgoing: dict[str, dict[str, set[str]]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(set)))
    """source id -> target id -> set of ways ('link', 'citation', or a front-matter key)."""
    incoming: dict[str, dict[str, set[str]]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(set)))

    def add(self, source: str, target: str, how: str) -> None:
        if source == target:
            return
        self.outgoing[source][target].add(how)
        self.incoming[target][source].add(how)

    def referrers(self, target: str, how: set[str] | None = None) -> list[str]:
        """Ids of entries that reference `target` (optionally only in the given ways), sorted."""
        return sorted(src for src, ways in self.incoming.get(target, {}).items() if how is None or ways & how)

    def targets(self, source: str, how: set[str] | None = None) -> list[str]:
        return sorted(t for t, ways in self.outgoing.get(source, {}).items() if how is None or ways & how)


@dataclass
class SiteData:
    """Everything templates can ask about: entries, bodies, graph, config."""

    project: Project
    bodies: dict[str, Body]
    graph: Graph
    disputes: list[tuple[Entry, Dispute]] = field(default_factory=list)
    editions: list[SiteData] = field(default_factory=list)
    """The site in each of its other languages (`validate.languages.edition`), resolved: what
    `pipeline.build_site` renders under `CODE/` after this one."""

    @property
    def config(self) -> Config:
        return self.project.config


# --- render -----------------------------------------------------------------------------------

@dataclass
class Page:
    """One HTML output file: where it goes and how to fill it."""

    out: str
    template: str
    context: dict[str, Any]
    depth: int


class TemplateProblem(Exception):
    """A layout failed; carries the template's path and line for the message."""

    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(message)
        self.path, self.line, self.message = path, line, message

    def __reduce__(self) -> tuple[type, tuple[str, int, str]]:  # raised in a worker, re-raised here
        return (TemplateProblem, (self.path, self.line, self.message))
