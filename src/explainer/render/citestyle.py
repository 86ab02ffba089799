"""Sources as CSL-JSON items, and formatted in a CSL style (`citation_style`) by citeproc-py.

Every source is formatted once per build, as a one-item bibliography, and the result is
shown wherever the source is listed (each page's Sources list, the Sources page, the
source's own page); the page's numbers, locators and back-links stay explainer's. Styles
that number their bibliography (ieee) lose their own number there: on a page the number
is the page's. Results are kept per (style file, item) for the life of the process, so
the dev server formats only what changed, and a build formats in its worker processes.

Why not one bibliography for the whole site: its only gain is disambiguation across
sources (2020a/2020b), which numbered citations do not need, and it would make every
source's text depend on every other source.
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
import os
import re
import weakref
from collections.abc import Callable, Sequence
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from markupsafe import Markup

from .. import schema
from ..dates import PartialDate
from ..model import Entry, SiteData

#: CSL item types by the source's `type` (no type: a web page if it has a URL, else a document).
CSL_TYPES = {"news": "article-newspaper", "official": "document", "statement": "speech",
             "report": "report", "analysis": "article"}

def csl_name(name: str) -> dict[str, str]:
    """A credited name as CSL: 'Given Family' and 'Family, Given' split; anything else literal.

    Names of one word or more than three words (an agency, a desk) stay whole, so
    'Ministry of Foreign Affairs of Japan' is never cut into a given and a family name.
    """
    name = " ".join(name.split())
    if name.count(",") == 1:
        family, given = (p.strip() for p in name.split(","))
        if family and given:
            return {"family": family, "given": given}
    words = name.split(" ")
    if 2 <= len(words) <= 3 and "," not in name:
        return {"family": words[-1], "given": " ".join(words[:-1])}
    return {"literal": name}


def csl_date(value: PartialDate) -> dict[str, Any]:
    parts = [value.year] + ([value.month] if value.month else []) + ([value.day] if value.day else [])
    return {"date-parts": [parts]}


def described(title: str) -> str:
    """The title of a source with `untitled: true` (a description of the item, its own headline
    not known) as APA writes a description in place of a title: in square brackets."""
    return f"[{title}]"


def csl_title(entry: Entry) -> str:
    """A source's title for citation styles and the exports: bracketed when it is a description."""
    return described(entry.title) if entry.meta.get("untitled") else entry.title


def source_item(entry: Entry) -> dict[str, Any]:
    """One source as a CSL-JSON item: an imported record's own item, else made from front matter.
    A source with `untitled: true` has its title, a description, in square brackets."""
    if entry.csl is not None:
        item: dict[str, Any] = dict(entry.csl)
        if entry.meta.get("untitled"):
            item["title"] = described(str(item.get("title") or entry.title))
        return item
    meta = entry.meta
    item = {
        "id": entry.id,
        "type": CSL_TYPES.get(meta.get("type", ""), "webpage" if meta.get("url") else "document"),
        "title": csl_title(entry),
        "publisher": meta["publisher"] if "publisher" in meta else "",
    }
    if meta.get("type") == "news":
        item["container-title"] = item["publisher"]
    if meta.get("container"):
        item["container-title"] = str(meta["container"])
    for key, variable in (("authors", "author"), ("editors", "editor")):
        if meta.get(key):
            item[variable] = [csl_name(str(a)) for a in meta[key]]
    for key, csl_key in (("date", "issued"), ("accessed", "accessed")):
        if isinstance(meta.get(key), PartialDate):
            item[csl_key] = csl_date(meta[key])
    if meta.get("via"):
        item["note"] = f"via {meta['via']}"
    for key, csl_key in (("url", "URL"), ("language", "language"), ("summary", "abstract"), ("doi", "DOI")):
        if meta.get(key):
            item[csl_key] = str(meta[key])
    return item


def sources_of(site: SiteData) -> list[Entry]:
    """Every source, by id."""
    return sorted(site.project.of_kind(schema.BIBLIOGRAPHY_KIND), key=lambda e: e.id)


# --- formatting -----------------------------------------------------------------------------

_FORMATTED: dict[tuple[str, str], str] = {}
"""(style digest, item JSON) -> formatted HTML, for the life of the process."""
_STYLES: dict[str, Any] = {}


def format_references(site: SiteData, run: Callable[[Callable[[Any], Any], Sequence[Any]], list[Any]] | None = None
                      ) -> dict[str, Markup]:
    """Source id -> its reference in the configured style ({} without a style).

    `run(fn, chunks)`: how to run the formatting (the build's executor: forked workers);
    None: here, one after another.
    """
    path = site.config.style_file
    if not path:
        return {}
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    items = {e.id: json.dumps(source_item(e), ensure_ascii=False, sort_keys=True) for e in sources_of(site)}
    todo = sorted({text for text in items.values() if (digest, text) not in _FORMATTED})
    if todo:
        size = max(1, len(todo) // 16)
        chunks = [(path, todo[i:i + size]) for i in range(0, len(todo), size)]
        results = run(_format_chunk, chunks) if run is not None and len(chunks) > 1 else \
            [_format_chunk(c) for c in chunks]
        for (_, texts), done in zip(chunks, results, strict=True):
            for text, html in zip(texts, done, strict=True):
                _FORMATTED[(digest, text)] = html
    return {sid: Markup(_FORMATTED[(digest, text)]) for sid, text in items.items() if _FORMATTED[(digest, text)]}


def _format_chunk(chunk: tuple[str, list[str]]) -> list[str]:
    path, texts = chunk
    return [format_item(path, json.loads(text)) for text in texts]


def format_item(style_path: str, item: dict[str, Any]) -> str:
    """One item as a bibliography entry in HTML, its URLs linked; '' if citeproc-py cannot format it
    (the built-in format then stands in).

    citeproc-py copies variable text into its HTML as it is, so a `<` in a publisher would
    be markup. Here no author text can be: every `<`, `>` and `&` in the item is replaced
    by a private-use character before citeproc sees it (`hide_markup`), citeproc's output
    is rebuilt keeping only the few tags its HTML formatter makes (`citeproc_markup`:
    every text escaped, every other tag and attribute dropped), and only then do the
    private-use characters become the escaped characters they stand for.
    """
    hidden = hide_markup(item)
    try:  # the style was checked by validate.style; a file changed since then is not fatal
        made = bibliography_entry(_style(style_path), hidden)
    except Exception:  # a processor bug on an odd record must not cost the whole build
        return ""
    return show_markup(_link_urls(citeproc_markup(" ".join(made.split()))))


def bibliography_entry(style: Any, item: dict[str, Any]) -> str:
    """citeproc-py's HTML for `item` as a one-item bibliography in `style` ('' if it makes none)."""
    from citeproc import Citation, CitationItem, CitationStylesBibliography, formatter
    from citeproc.source.json import CiteProcJSON

    bib = CitationStylesBibliography(style, CiteProcJSON([item]), formatter.html)
    bib.register(Citation([CitationItem(str(item["id"]))]))
    entries = bib.bibliography()
    return str(entries[0]) if entries else ""


_HIDDEN = {"<": "\ue000", ">": "\ue001", "&": "\ue002"}
_SHOWN = {"\ue000": "&lt;", "\ue001": "&gt;", "\ue002": "&amp;"}
_HIDE = str.maketrans(_HIDDEN)
_SHOW = str.maketrans(_SHOWN)


def hide_markup(value: Any) -> Any:
    """`value` (a CSL item, or any part of it) with `<`, `>` and `&` in every string, keys
    included, replaced by private-use characters that no style changes or reads as markup."""
    if isinstance(value, str):
        return value.translate(_HIDE)
    if isinstance(value, dict):
        return {hide_markup(k): hide_markup(v) for k, v in value.items()}
    if isinstance(value, list):
        return [hide_markup(v) for v in value]
    return value


def show_markup(text: str) -> str:
    """The private-use characters of `hide_markup` as the escaped characters they stand for."""
    return text.translate(_SHOW)


CITEPROC_TAGS = frozenset({"i", "b", "u", "l", "sup", "sub", "span"})
"""The tags citeproc-py's HTML formatter writes (`l` is its 'light' weight)."""
SMALL_CAPS = "font-variant:small-caps;"


class _Markup(HTMLParser):
    """Rebuilds HTML keeping only `CITEPROC_TAGS` (span only with citeproc's small-caps
    style, the others bare); every text escaped; anything else dropped, its text kept."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in CITEPROC_TAGS:
            return
        if tag == "span":
            if attrs != [("style", SMALL_CAPS)]:
                return
            self.out.append(f'<span style="{SMALL_CAPS}">')
        else:
            self.out.append(f"<{tag}>")
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.open:
            while self.open:
                last = self.open.pop()
                self.out.append(f"</{last}>")
                if last == tag:
                    break

    def handle_data(self, data: str) -> None:
        self.out.append(html.escape(data, quote=False))


def citeproc_markup(made: str) -> str:
    """citeproc-py's HTML with only its own tags kept and every text escaped (see `_Markup`)."""
    parser = _Markup()
    parser.feed(made)
    parser.close()
    return "".join(parser.out) + "".join(f"</{tag}>" for tag in reversed(parser.open))


_URL = re.compile("https?://[^\\s<>\"\ue000\ue001]+")


def _link_urls(html: str) -> str:
    """Plain URLs and DOIs in the formatted text made links (styles print them as text).

    Runs before `show_markup`: an author's `&` in a URL is still a private-use character
    (shown escaped, in the text and in the link), and an author's `<` or `>` ends the URL."""
    def link(m: re.Match[str]) -> str:
        url = m.group()
        trail = ""
        while url and url[-1] in ".,;:)":
            url, trail = url[:-1], url[-1] + trail
        shown = show_markup(url)
        return f'<a href="{shown}">{shown}</a>{trail}'

    return _URL.sub(link, html)


def _style(path: str) -> Any:
    """The style, loaded once per process, without the bibliography's own numbers (pages number)."""
    stat = os.stat(path)
    key = f"{path}\0{stat.st_mtime_ns}\0{stat.st_size}"  # the dev server may see the file change
    style = _STYLES.get(key)
    if style is None:
        style = _STYLES[key] = unnumbered(load_style(path))
    return style


def unnumbered(style: Any) -> Any:
    """`style` without the bibliography's `citation-number` texts (on a page the number is the page's)."""
    ns = {"cs": "http://purl.org/net/xbiblio/csl"}
    for number in style.root.xpath(".//cs:bibliography//cs:text[@variable='citation-number']", namespaces=ns):
        number.getparent().remove(number)
    return style


# --- citeproc-py, with two answers remembered per style --------------------------------------

def load_style(path: str) -> Any:
    """A `citeproc.CitationStylesStyle` whose elements remember two answers (see `StyleMemo`).

    citeproc-py maps each CSL tag to one of its element classes through the lxml parser
    that reads the style. This parser maps each tag to a subclass of citeproc's class
    (`_remembering`), so only the styles loaded here answer from their memo: citeproc's
    own classes, and every style loaded by citeproc itself, are left as shipped.
    """
    from citeproc import CitationStylesStyle
    from lxml import etree

    parser = etree.XMLParser(remove_comments=True, encoding="UTF-8", no_network=True, resolve_entities=False)
    parser.set_element_class_lookup(_lookup())
    style = CitationStylesStyle.__new__(CitationStylesStyle)
    # what citeproc's CitationStylesXML and CitationStylesStyle constructors do, with this parser
    style.parser = parser
    style.xml = etree.parse(path, parser)
    style.root = style.xml.getroot()
    style.root.set_locale_list(style.root.get("default-locale", "en-US"), validate=False)
    return style


class StyleMemo:
    """Two of citeproc-py's questions, answered once for one loaded style.

    Formatting a reference asks, hundreds of times, for a macro by name (an XPath query
    each time) and whether an element of the style calls a variable (a walk of its
    subtree each time). Both answers depend only on the style, which never changes once
    loaded (and stripped of its numbers, before the first question): remembering them makes apa about twice as fast
    with the same output (tests/test_citation_style.py formats with both and compares).
    The elements are kept with their answers, so lxml keeps their proxies (and the ids
    of the proxies stay theirs).
    """

    def __init__(self) -> None:
        self.macros: dict[str, Any] = {}
        self.calls: dict[int, tuple[Any, bool]] = {}

    @staticmethod
    def of(element: Any) -> StyleMemo:
        """The memo of the style `element` belongs to (made at its first question)."""
        root = element.get_root()
        memo = _MEMOS.get(root)
        if memo is None:
            memo = _MEMOS[root] = StyleMemo()
        return memo


_MEMOS: weakref.WeakKeyDictionary[Any, StyleMemo] = weakref.WeakKeyDictionary()
"""A loaded style's root element -> its memo, kept while the style is (its `root` keeps the
element: a style no longer used takes its memo with it)."""


class _MacroMemo:
    """Mixed into every element class of a style loaded by `load_style`: `get_macro` remembered."""

    def get_macro(self, name: str) -> Any:
        memo = StyleMemo.of(self)
        found = memo.macros.get(name)
        if found is None:
            found = memo.macros[name] = super().get_macro(name)  # type: ignore[misc]
        return found


class _CallsMemo(_MacroMemo):
    """… and, for the classes that have it, `calls_variable`."""

    def calls_variable(self) -> bool:
        memo = StyleMemo.of(self)
        found = memo.calls.get(id(self))
        if found is None:
            found = memo.calls[id(self)] = (self, super().calls_variable())  # type: ignore[misc]
        return found[1]


@functools.cache
def _lookup() -> Any:
    """The lxml class lookup of `load_style`: citeproc's own table (the tag of each direct
    subclass of `CitationStylesElement`), each class replaced by its `_remembering` subclass."""
    from citeproc import model
    from lxml import etree

    lookup = etree.ElementNamespaceClassLookup()
    namespace = lookup.get_namespace("http://purl.org/net/xbiblio/csl")
    namespace[None] = model.CitationStylesElement  # a tag CSL does not have: as citeproc does
    for cls in model.CitationStylesElement.__subclasses__():
        namespace[cls.__name__.replace("_", "-").lower()] = _remembering(cls)
    return lookup


def _remembering(cls: type) -> type:
    """A subclass of citeproc's element class `cls` that answers from the style's memo. (A
    subclass of a subclass: citeproc builds its own table from the direct subclasses of
    `CitationStylesElement`, which this leaves as they are.)"""
    memo = _CallsMemo if "calls_variable" in dir(cls) else _MacroMemo
    return type(cls.__name__, (memo, cls), {"__module__": __name__})
