"""Page contexts: what each page's layout sees, built from entries, bodies and the graph."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property, partial
from typing import Any

import jinja2
from markupsafe import Markup

from .. import schema
from ..dates import PartialDate, display_range
from ..load.strings import shipped_strings
from ..model import HOME_ID, Body, Entry, Page, SiteData
from ..resolve.coverage import site_coverage
from ..resolve.markup import letters
from .cards import Card, card_file
from .citestyle import format_references
from .disputes import disputes_page
from .languages import context as languages_context
from .languages import site_root
from .sidenotes import with_sidenotes
from .story import Story
from .templates import render_page, upper_first

# --- views: what templates see of an entry ----------------------------------------------------

@dataclass
class View:
    """An entry as templates see it: plain values, no methods to misuse."""

    id: str
    kind: str
    title: str
    url_path: str
    summary: str
    meta: dict[str, Any]
    date: str = ""
    date_iso: str = ""
    year: str = ""
    dates: dict[str, str] = field(default_factory=dict)
    """Human forms of every date field (date, end_date, accessed, updated, reviewed)."""
    formatted: str = ""
    """A source's reference in the site's citation style (HTML); '' for the built-in format."""


def view(entry: Entry, lang: str = "en") -> View:
    """An entry's view, its dates in the language `lang`, made afresh (`Renderer.view` keeps
    one per entry for a whole render)."""
    kind = schema.KINDS.get(entry.kind) or schema.HOME
    meta: dict[str, Any] = {f.name: None for f in kind.fields}  # templates may test any key
    meta.update({k: (v.iso if isinstance(v, PartialDate) else v) for k, v in entry.meta.items()})
    date = entry.date
    end = entry.meta.get("end_date")
    return View(
        id=entry.id, kind=entry.kind, title=entry.title, url_path=entry.url_path,
        summary=str(entry.meta.get("summary", "")), meta=meta,
        date=display_range(date, end, entry.approximate, lang) if date else "",
        date_iso=date.iso if date else "",
        year=str(date.year) if date else "",
        dates={k: v.display(lang=lang) for k, v in entry.meta.items() if isinstance(v, PartialDate)},
    )


def _date_key(entry: Entry) -> tuple[Any, ...]:
    d = entry.date
    return (d.first_day if d else (9999, 12, 31), entry.id)


@dataclass
class SourceItem:
    """One line of a page's Sources list."""

    number: int
    source: View
    anchors: list[str]
    locators: list[str]
    inline: bool


def sources_list(entry: Entry, body: Body, site: SiteData,
                 source_view: Callable[[Entry], View] = view) -> list[SourceItem]:
    """Cited sources in order of first citation, then front-matter sources not cited inline."""
    items = [SourceItem(c.number, source_view(site.project.entries[c.id]), c.anchors, c.locators, True)
             for c in body.cited if c.id in site.project.entries]
    seen = {c.id for c in body.cited}
    for sid in entry.meta.get("sources", []):
        if sid not in seen and sid in site.project.entries:
            seen.add(sid)
            items.append(SourceItem(len(items) + 1, source_view(site.project.entries[sid]), [], [], False))
    return items


def corrections_of(site: SiteData, entry_view: Callable[[Entry], View] = view,
                   lang: str = "en") -> list[dict[str, Any]]:
    """Every correction of every entry, newest first (then by page and order on the page)."""
    found = []
    for entry in site.project.all_documents:
        for n, item in enumerate(entry_corrections(entry, lang), 1):
            found.append({**item, "entry": entry_view(entry), "url_path": entry.url_path, "where": entry.title, "n": n})
    found.sort(key=lambda c: (tuple(-x for x in c["first_day"]), c["url_path"], c["n"]))
    return found


def entry_corrections(entry: Entry, lang: str = "en") -> list[dict[str, Any]]:
    """An entry's corrections, newest first, each with its anchor on the page (`correction-DATE`,
    then `-2`, `-3` for more on one day, in front-matter order)."""
    items = entry.meta.get("corrections") or []
    made = [{"date": c["date"].display(lang=lang), "date_iso": c["date"].iso, "first_day": c["date"].first_day,
             "text": c["text"]} for c in items]
    used: set[str] = set()
    for c in made:  # named by date (not by count), so a new correction never renames an old one
        anchor, n = f"correction-{c['date_iso']}", 2
        while anchor in used:
            anchor, n = f"correction-{c['date_iso']}-{n}", n + 1
        used.add(anchor)
        c["anchor"] = anchor
    made.sort(key=lambda c: tuple(-x for x in c["first_day"]))
    return made


# --- pages ------------------------------------------------------------------------------------

class Renderer:
    """Builds page contexts and renders them with the layouts."""

    def __init__(self, site: SiteData, env: jinja2.Environment, lang: str | None = None) -> None:
        self.site = site
        self.env = env
        self.config = site.project.config
        self.entries = site.project.entries
        self.strings = site.project.strings if site.project.strings.tables else shipped_strings()
        """The interface's words (`layouts/i18n/`)."""
        self.lang = lang or str(self.config.language)
        """The language of the pages it renders (their `lang`; default: the site's `language`)."""
        self.story = Story(site.project, self.lang)
        """The order, colours and pictures of the story, shared by every page."""
        self._references: dict[str, Markup] | None = None
        self._source_views: dict[str, View] = {}
        self._views: dict[str, tuple[Entry, View]] = {}
        self._nav: list[dict[str, str]] | None = None
        self._has_corrections: bool | None = None
        self._site_coverage: dict[str, object] | None = None

    def view(self, entry: Entry) -> View:
        """The entry's view, made once per entry in this render (pages show the same entry many
        times, and the cache layer digests each view object once)."""
        made = self._views.get(entry.id)
        if made is None or made[0] is not entry:
            made = self._views[entry.id] = (entry, view(entry, self.lang))
        return made[1]

    def msg(self, key: str, default: str | None = None, **values: object) -> str:
        """The interface message `key` in the pages' language (plain text: layouts escape it)."""
        return self.strings.message(self.lang, key, default, **values)

    def with_bodies(self, site: SiteData) -> Renderer:
        """A renderer of `site`, which has this site's front matter with other bodies: it shares
        what front matter alone decides (the story, the menu, the formatted references), so
        the dev server's preview of one edited body skips the whole-site scans they cost."""
        self.warm()
        other = Renderer(site, self.env, self.lang)
        other.story = self.story
        other._references, other._source_views = self._references, self._source_views
        other._nav, other._has_corrections = self._nav, self._has_corrections
        return other

    def warm(self) -> None:
        """Compute now what every entry page reads of the whole site (for a later `with_bodies`)."""
        self.prepare()
        self.nav()
        _ = self.has_corrections
        for name in ("ordered", "position", "palette", "by_actor"):
            getattr(self.story, name)

    def prepare(self, run: Callable[[Callable[[Any], Any], Sequence[Any]], list[Any]] | None = None) -> None:
        """Format every source in the citation style now, with `run` (the build's workers):
        pages rendered after this (in any process) only look the references up."""
        if self._references is None:
            self._references = format_references(self.site, run)

    def source_view(self, entry: Entry) -> View:
        """A source's view with its reference in the citation style, when one is set."""
        if self._references is None:
            self.prepare()
        formatted = self._references.get(entry.id) if self._references else None
        if not formatted:
            return self.view(entry)
        made = self._source_views.get(entry.id)
        if made is None or made.meta is not self.view(entry).meta:
            made = self._source_views[entry.id] = replace(self.view(entry), formatted=formatted)
        return made

    def reference(self, source_id: str) -> Markup | None:
        """A source's reference in the citation style (None: the built-in format)."""
        self.prepare()
        return self._references.get(source_id) if self._references else None

    @cached_property
    def untitled_note(self) -> str:
        """What follows a described source title in sidenotes, in the site's language."""
        return self.site.project.strings.message(self.config.language, "untitled_note")

    @cached_property
    def extra_css(self) -> bool:
        """Whether the project has `layouts/assets/extra.css`, loaded after the theme's style sheets."""
        return (self.site.project.root / "layouts" / "assets" / "extra.css").is_file()

    @property
    def has_corrections(self) -> bool:
        if self._has_corrections is None:
            self._has_corrections = any(e.meta.get("corrections") for e in self.site.project.all_documents)
        return self._has_corrections

    @cached_property
    def site_coverage_pages(self) -> frozenset[str]:
        """Only these pages show the site-wide citation figures (pages of `site_figures` kinds,
        and /disputes/), so only their contexts carry them: an edit that changes one claim
        count leaves every other page's context (its memo key) unchanged."""
        return frozenset(k.name for k in schema.kinds_where("site_figures")) | {"disputes"}

    @property
    def site_coverage(self) -> dict[str, object]:
        """Site-wide citation figures, shown on /disputes/ and on pages (the method page);
        computed on first use (a dev-server edit that renders no such page skips it)."""
        if self._site_coverage is None:
            self._site_coverage = site_coverage(self.site)
        return self._site_coverage

    def nav(self) -> list[dict[str, str]]:
        """The menu; computed once per renderer (it scans every entry, and every page shows it)."""
        if self._nav is None:
            self._nav = self._make_nav()
        return [dict(item) for item in self._nav]

    def _make_nav(self) -> list[dict[str, str]]:
        items = list(self.config.nav)
        pages = sorted((e for e in self.entries.values() if schema.kind_of(e.kind).in_menu and "nav" in e.meta),
                       key=lambda e: (e.meta["nav"], e.id))
        titles = {p.url.strip("/"): self.msg(f"section_{p.url.strip('/')}", p.title) for p in _list_pages()} \
            | {s: self.msg(f"section_{s}", s.capitalize()) for s in schema.SECTIONS}
        if not items:
            items = [p.url.strip("/") for p in _list_pages()] + ["disputes"] \
                + (["corrections"] if self.has_corrections else []) + [p.id for p in pages]
        result = []
        for item in items:
            if item == "corrections" and not self.has_corrections:
                continue  # the page exists once there is a correction
            if item in titles:
                result.append({"title": titles[item], "url_path": f"{item}/"})
            elif item in self.entries:
                result.append({"title": self.entries[item].title, "url_path": self.entries[item].url_path})
        return result

    def common(self, url_path: str, title: str, description: str, kind: str, depth: int | None,
               entry: Entry | None = None) -> dict[str, Any]:
        """What every page's layout sees; `entry`: the page's entry (None: a page the generator makes)."""
        root = "../" * url_path.count("/") if depth is None else self.config.base_path
        ctx = {
            "lang": self.lang,
            "strings": self.strings,
            "site": self.config.as_template_values(),
            "root": root,
            "assets_root": site_root(self.site.project, root),
            "nav": self.nav(),
            "extra_css": self.extra_css,
            "current": url_path,
            "page": {"title": title, "url_path": url_path, "description": description, "kind": kind,
                     "canonical": self.config.site_url + url_path},
        }
        if kind in self.site_coverage_pages:
            ctx["site_coverage"] = self.site_coverage
        ctx.update(languages_context(self.site.project, url_path, entry, root))
        return ctx

    def add_card(self, ctx: dict[str, Any], out: str, title: str, kind: str, date: str, count: str,
                 disputed: bool) -> None:
        """The page's share card (`render.cards`): what it shows and its address, unless
        `share_cards: false`. The build draws it next to the page (`cache.layer.Layer.render`)."""
        if self.config.share_cards:
            ctx["card"] = Card(str(self.config.title), title, kind, date, count, disputed, self.msg("sources_disagree"))
            ctx["card_url"] = self.config.site_url + card_file(out)

    def entry_page(self, entry: Entry) -> Page:
        body = self.site.bodies[entry.id]
        kind = schema.kind_of(entry.kind)
        ctx = self.common(entry.url_path, entry.title, str(entry.meta.get("summary", "")), entry.kind, None, entry)
        sources = sources_list(entry, body, self.site, self.source_view)
        ctx.update(
            entry=self.source_view(entry) if entry.kind == schema.BIBLIOGRAPHY_KIND else self.view(entry),
            body=with_sidenotes(body.html, sources, self.untitled_note),
            sources=sources,
            letters=letters,
            disputes=body.disputes,
            corrections=entry_corrections(entry, self.lang),
            coverage={"total": body.claims_total, "cited": body.claims_cited, "sources": len(sources)},
            related=self.related(entry, kind),
        )
        self.add_card(ctx, entry.url_path + "index.html", entry.title, self._card_kind(entry, kind),
                      self.view(entry).date or self.view(entry).dates.get("updated", ""),
                      self._card_count(entry, kind, len(sources)), bool(body.disputes))
        if kind is schema.HOME:
            ctx.update(self.story.home_who())
        elif kind.dated:
            ctx.update(self.story.event_place(entry))
        elif kind.name in schema.participant_kinds():
            ctx.update(self.story.actor_place(entry))
        return Page(entry.url_path + "index.html", kind.layout, ctx, entry.url_path.count("/"))

    def related(self, entry: Entry, kind: schema.Kind) -> dict[str, Any]:
        """The back-link lists of the entry's page, as its kind's row declares them (`schema.Related`)."""
        graph = self.site.graph
        found: dict[str, Any] = {}
        for rel in kind.related:
            ids: list[str] = []
            for name in rel.own:
                value = entry.meta.get(name)
                ids += value if isinstance(value, list) else [value] if value else []
            if rel.back:
                ids += graph.referrers(entry.id, set(rel.back))
            left_out = {v.id for name in rel.exclude for v in found[name]}
            chosen = [self.entries[i] for i in dict.fromkeys(ids) if i in self.entries and i not in left_out]
            chosen.sort(key=_date_key if rel.by_date else (lambda e: (e.title.lower(), e.id)))
            found[rel.name] = [self.view(e) for e in chosen]
            if rel.home:
                found[rel.name + "_home"] = bool(graph.incoming.get(entry.id, {}).get(HOME_ID, set()) & set(rel.back))
        return found

    def list_page(self, kind: schema.Kind) -> Page:
        """The page listing every entry of a kind, grouped as its row says (`schema.ListPage`)."""
        spec = kind.list_page
        assert spec is not None
        name = spec.url.strip("/")
        title = self.msg(f"section_{name}", spec.title)
        ctx = self.common(spec.url, title, self.msg(f"description_{name}", spec.description), name, None)
        entries = self.site.project.of_kind(kind.name)
        if spec.group_by == "year":
            years: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for e in sorted(entries, key=_date_key):
                named = e.meta.get(kind.participants, []) if kind.participants else []
                years[str(e.date.year) if e.date else "Undated"].append(
                    {"event": self.view(e), "actors": [self.view(self.entries[a]) for a in named if a in self.entries]})
            ctx["years"] = list(years.items())
        else:
            field = kind.field(spec.group_by)
            labels = dict(field.labels) if field is not None else {}
            groups: dict[str, list[View]] = defaultdict(list)
            for e in sorted(entries, key=_source_sort_key if kind.cited else (lambda e: (e.title.lower(), e.id))):
                groups[str(e.meta.get(spec.group_by) or "")].append(
                    self.source_view(e) if kind.cited else self.view(e))
            ctx["groups"] = [(self.msg(f"{kind.name}_group_{value or 'untyped'}", labels[value]), groups[value])
                             for value in labels if groups.get(value)]
        if kind.dated:
            ctx.update(self.story.timeline())
        if kind.name in schema.participant_kinds():
            ctx.update(self.story.actors_who(entries))
        if kind.cited:
            ctx["cited_count"] = {e.id: len(self.site.graph.referrers(e.id, {"citation", "sources"}))
                                  + (HOME_ID in self.site.graph.incoming.get(e.id, {})) for e in entries}
        out = spec.url + "index.html"
        self.add_card(ctx, out, title, self.msg("card_index"), "",
                      self.msg("entries_count", count=len(entries), kind=self.msg(f"kind_{kind.name}_word", kind.name)),
                      False)
        return Page(out, spec.template, ctx, out.count("/"))

    def disputes(self) -> Page:
        ctx = self.common("disputes/", self.msg("section_disputes"), self.msg("description_disputes"), "disputes", None)
        items = []
        for e, d in self.site.disputes:
            body = self.site.bodies.get(e.id)
            items.append((e, d, body.html if body else "",
                          sources_list(e, body, self.site, self.source_view) if body else []))
        found, cited = disputes_page(items, self.view, self.strings, self.lang)
        for item in found:
            item["html"] = with_sidenotes(str(item["html"]), cited, self.untitled_note)
        ctx.update(disputes=found, sources=cited, letters=letters)
        n = len(self.site.disputes)
        self.add_card(ctx, "disputes/index.html", self.msg("disputes_title"), self.msg("section_disputes"), "",
                      self.msg("disputes_count", count=n), n > 0)
        return Page("disputes/index.html", "disputes.html", ctx, 1)

    def corrections(self) -> Page:
        """`/corrections/`: every correction, newest first, each linking to its place on its page."""
        ctx = self.common("corrections/", self.msg("section_corrections"), self.msg("description_corrections"),
                          "corrections", None)
        ctx["corrections"] = corrections_of(self.site, self.view, self.lang)
        n = len(ctx["corrections"])
        self.add_card(ctx, "corrections/index.html", self.msg("section_corrections"), self.msg("card_index"), "",
                      self.msg("corrections_count", count=n), False)
        return Page("corrections/index.html", "corrections.html", ctx, 1)

    def search(self) -> Page:
        """`/search/`: a form that works as a plain GET result page (results filled by the script)."""
        title = self.msg("section_search")
        ctx = self.common("search/", title, self.msg("description_search"), "search", None)
        self.add_card(ctx, "search/index.html", title, title, "", "", False)
        return Page("search/index.html", "search.html", ctx, 1)

    def not_found(self) -> Page:
        title = self.msg("not_found_title")
        ctx = self.common("404.html", title, self.msg("not_found_description"), "404", 0)
        self.add_card(ctx, "404.html", title, self.msg("not_found_kind"), "", "", False)
        return Page("404.html", "404.html", ctx, 0)

    def pages(self) -> Iterator[Page]:
        """Every HTML page of the site, in a stable order."""
        project = self.site.project
        if project.home is not None:
            yield self.entry_page(project.home)
        for entry in sorted(project.entries.values(), key=lambda e: (e.kind, e.id)):
            yield self.entry_page(entry)
        yield from self.index_pages()

    def index_pages(self) -> Iterator[Page]:
        """The pages that are not an entry's (lists, 404), after the entry pages in `pages()`."""
        for _, make in self.index_page_makers():
            yield make()

    def index_outs(self) -> list[str]:
        """The files of `index_pages`, without building their contexts (the sitemap's list)."""
        return [out for out, _ in self.index_page_makers()]

    def index_page_makers(self) -> list[tuple[str, Callable[[], Page]]]:
        """(file, how to make its page) of every page that is not an entry's: the one list of them."""
        found: list[tuple[str, Callable[[], Page]]] = []
        for spec in _list_pages():
            kind = next(k for k in schema.KINDS.values() if k.list_page is spec)
            found.append((spec.url + "index.html", partial(self.list_page, kind)))
        found.append(("disputes/index.html", self.disputes))
        if self.has_corrections:
            found.append(("corrections/index.html", self.corrections))
        found += [("search/index.html", self.search), ("404.html", self.not_found)]
        return found

    def render(self, page: Page) -> str:
        return render_page(self.env, page, self.site.project.root)


    def _card_kind(self, entry: Entry, kind: schema.Kind) -> str:
        """A card's kind label: "Event", "Actor · Country", "Source · News", "Explainer" (home)."""
        if kind is schema.HOME:
            return self.msg("kind_home")
        participant = kind.name in schema.participant_kinds()
        sub = entry.meta.get("kind") if participant else entry.meta.get("type")
        label = self.msg(f"kind_{kind.name}", kind.name.capitalize())
        if not sub:
            return label
        sub_label = upper_first(self.msg(f"{kind.name}_{'kind' if participant else 'type'}_{sub}", str(sub)))
        return label + self.msg("kind_separator") + sub_label

    def _card_count(self, entry: Entry, kind: schema.Kind, sources: int) -> str:
        """A card's count: how many sources a page cites, or how many pages cite a source."""
        if kind.cited:
            n = len(self.site.graph.referrers(entry.id, {"citation", "sources"})) + (
                HOME_ID in self.site.graph.incoming.get(entry.id, {}))
            return self.msg("cited_by_pages", count=n)
        return self.msg("sources_cited", count=sources)


def _list_pages() -> list[schema.ListPage]:
    """Every kind's list page, in menu order."""
    return sorted((k.list_page for k in schema.KINDS.values() if k.list_page), key=lambda p: p.position)


def _source_sort_key(entry: Entry) -> tuple[Any, ...]:
    d = entry.date
    return (d.first_day if d else (9999, 12, 31), entry.meta.get("publisher", "").lower(), entry.title.lower())

