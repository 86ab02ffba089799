"""Page contexts: what each page's layout sees, built from entries, bodies and the graph."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterator, Sequence

import jinja2
from markupsafe import Markup

from .. import schema
from ..dates import PartialDate, display_range
from ..model import HOME_ID, Body, Entry, Page, SiteData
from ..resolve.coverage import site_coverage
from ..resolve.markup import letters
from .citestyle import format_references
from .templates import render_page
from .svg import MAP_MAX_EVENTS, MapData, events_by_actor_of, map_svg, neighbourhood_map, story_map, timeline_svg

KIND_ORDER = ("country", "organisation", "grouping", "person")
KIND_HEADINGS = {"country": "Countries", "organisation": "Organisations", "grouping": "Groupings",
                 "person": "People"}
SOURCE_TYPES = {"official": "Official documents", "statement": "Statements", "report": "Reports",
                "news": "News reports", "analysis": "Analysis and opinion", None: "Other sources"}


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


def view(entry: Entry) -> View:
    """The entry's view, made once per entry object (pages show the same entry many times)."""
    made = entry.__dict__.get("_view")
    if made is None or made[0] is not entry.meta or made[1] != len(entry.meta):
        made = entry.__dict__["_view"] = (entry.meta, len(entry.meta), _make_view(entry))
    return made[2]


def _make_view(entry: Entry) -> View:
    kind = schema.KINDS.get(entry.kind) or schema.HOME
    meta: dict[str, Any] = {f.name: None for f in kind.fields}  # templates may test any key
    meta.update({k: (v.iso if isinstance(v, PartialDate) else v) for k, v in entry.meta.items()})
    date = entry.date
    end = entry.meta.get("end_date")
    return View(
        id=entry.id, kind=entry.kind, title=entry.title, url_path=entry.url_path,
        summary=str(entry.meta.get("summary", "")), meta=meta,
        date=display_range(date, end, entry.approximate) if date else "",
        date_iso=date.iso if date else "",
        year=str(date.year) if date else "",
        dates={k: v.display() for k, v in entry.meta.items() if isinstance(v, PartialDate)},
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


def corrections_of(site: SiteData) -> list[dict[str, Any]]:
    """Every correction of every entry, newest first (then by page and order on the page)."""
    found = []
    for entry in site.project.all_documents:
        for n, item in enumerate(entry_corrections(entry), 1):
            found.append({**item, "entry": view(entry), "url_path": entry.url_path, "where": entry.title, "n": n})
    found.sort(key=lambda c: (tuple(-x for x in c["first_day"]), c["url_path"], c["n"]))
    return found


def entry_corrections(entry: Entry) -> list[dict[str, Any]]:
    """An entry's corrections, newest first, each with its anchor on the page (`correction-DATE`,
    then `-2`, `-3` for more on one day, in front-matter order)."""
    items = entry.meta.get("corrections") or []
    made = [{"date": c["date"].display(), "date_iso": c["date"].iso, "first_day": c["date"].first_day,
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

    def __init__(self, site: SiteData, env: jinja2.Environment) -> None:
        self.site = site
        self.env = env
        self.config = site.project.config
        self.entries = site.project.entries
        self._events_by_actor: dict[str, list[Entry]] | None = None
        self._references: dict[str, Markup] | None = None
        self._source_views: dict[str, View] = {}

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
            return view(entry)
        made = self._source_views.get(entry.id)
        if made is None or made.meta is not view(entry).meta:
            made = self._source_views[entry.id] = replace(view(entry), formatted=formatted)
        return made

    @property
    def has_corrections(self) -> bool:
        made = self.__dict__.get("_has_corrections")
        if made is None:
            made = self.__dict__["_has_corrections"] = any(
                e.meta.get("corrections") for e in self.site.project.all_documents)
        return made

    SITE_COVERAGE_KINDS = frozenset({"page", "disputes"})
    """Only these pages show the site-wide citation figures, so only their contexts carry
    them: an edit that changes one claim count then leaves every other page's context (its
    warm-cache key, the dev server's view of it) unchanged."""

    @property
    def site_coverage(self) -> dict[str, object]:
        """Site-wide citation figures, shown on /disputes/ and on pages (the method page);
        computed on first use (a dev-server edit that renders no such page skips it)."""
        made = self.__dict__.get("_site_coverage")
        if made is None:
            made = self.__dict__["_site_coverage"] = site_coverage(self.site)
        return made

    def nav(self) -> list[dict[str, str]]:
        """The menu; computed once per renderer (it scans every entry, and every page shows it)."""
        cached = self.__dict__.get("_nav")
        if cached is None:
            cached = self.__dict__["_nav"] = self._nav()
        return [dict(item) for item in cached]

    def _nav(self) -> list[dict[str, str]]:
        items = self.config.nav
        pages = sorted((e for e in self.entries.values() if e.kind == "page" and "nav" in e.meta),
                       key=lambda e: (e.meta["nav"], e.id))
        if not items:
            items = ["timeline", "actors", "sources", "disputes"] + (["corrections"] if self.has_corrections else []) \
                + [p.id for p in pages]
        result = []
        for item in items:
            if item == "corrections" and not self.has_corrections:
                continue  # the page exists once there is a correction
            if item in schema.BUILTIN_SECTIONS:
                result.append({"title": item.capitalize(), "url_path": f"{item}/"})
            elif item in self.entries:
                result.append({"title": self.entries[item].title, "url_path": self.entries[item].url_path})
        return result

    def common(self, url_path: str, title: str, description: str, kind: str, depth: int | None) -> dict[str, Any]:
        root = "../" * url_path.count("/") if depth is None else self.config.base_path
        ctx = {
            "site": self.config.values,
            "root": root,
            "nav": self.nav(),
            "current": url_path,
            "page": {"title": title, "url_path": url_path, "description": description, "kind": kind,
                     "canonical": self.config.site_url + url_path},
        }
        if kind in self.SITE_COVERAGE_KINDS:
            ctx["site_coverage"] = self.site_coverage
        return ctx

    def entry_page(self, entry: Entry) -> Page:
        body = self.site.bodies[entry.id]
        graph = self.site.graph
        ctx = self.common(entry.url_path, entry.title, str(entry.meta.get("summary", "")), entry.kind, None)
        by_id = self.entries

        def views(ids: list[str], sort_by_date: bool = False) -> list[View]:
            found = [by_id[i] for i in ids if i in by_id]
            found.sort(key=_date_key if sort_by_date else (lambda e: (e.title.lower(), e.id)))
            return [view(e) for e in found]

        sources = sources_list(entry, body, self.site, self.source_view)
        ctx.update(
            entry=self.source_view(entry) if entry.kind == schema.BIBLIOGRAPHY_KIND else view(entry),
            body=Markup(body.html),
            sources=sources,
            letters=letters,
            disputes=body.disputes,
            corrections=entry_corrections(entry),
            coverage={"total": body.claims_total, "cited": body.claims_cited, "sources": len(sources)},
        )
        if entry.kind == "actor":
            events = [i for i in graph.referrers(entry.id) if i in by_id and by_id[i].kind == "event"
                      and "actors" in graph.outgoing[i][entry.id]]
            mentioned = [i for i in graph.referrers(entry.id, {"link"}) if i not in events and i in by_id]
            members = set(entry.meta.get("members", [])) | {
                i for i in graph.referrers(entry.id, {"member_of"})}
            member_of = set(entry.meta.get("member_of", [])) | {
                i for i in graph.referrers(entry.id, {"members"})}
            ctx["related"] = {
                "events": views(events, sort_by_date=True),
                "members": views(sorted(members)),
                "member_of": views(sorted(member_of)),
                "affiliations": views(entry.meta.get("affiliations", [])),
                "country": views([entry.meta["country"]]) if "country" in entry.meta else [],
                "mentioned_by": views(mentioned),
            }
            if self._events_by_actor is None:
                self._events_by_actor = events_by_actor_of(self.site.project)
            neighbours = neighbourhood_map(self.site.project, entry.id, self._events_by_actor)
            ctx["map_svg"] = map_svg(neighbours, ctx["root"], f"Map of the events {entry.title} took part in, "
                                     "and who else took part")
            ctx["map_list"] = self.map_list(neighbours)
            ctx["map_total"] = neighbours.total_events
        elif entry.kind == "event":
            mentioned = [i for i in graph.referrers(entry.id, {"link"}) if i in by_id]
            ctx["related"] = {
                "actors": views(entry.meta.get("actors", [])),
                "mentioned_by": views(mentioned),
            }
        elif entry.kind == "source":
            cited_by = graph.referrers(entry.id, {"citation", "sources"})
            home_cites = HOME_ID in graph.incoming.get(entry.id, {})
            ctx["related"] = {
                "cited_by": views([i for i in cited_by if i in by_id]),
                "cited_by_home": home_cites,
            }
        else:
            ctx["related"] = {}
        template = "home.html" if entry.kind == "home" else f"{entry.kind}.html"
        if entry.kind == "home":
            ctx.update(self.home_extras())
        return Page(entry.url_path + "index.html", template, ctx, entry.url_path.count("/"))

    def home_extras(self) -> dict[str, Any]:
        events = sorted(self.site.project.of_kind("event"), key=_date_key)
        actors = self.site.project.of_kind("actor")
        actors.sort(key=lambda a: (-len(self.site.graph.referrers(a.id)), a.title.lower()))
        story = story_map(self.site.project)
        return {"latest_events": [view(e) for e in reversed(events[-5:])],
                "key_actors": [view(a) for a in actors[:8]],
                "timeline_svg": timeline_svg(events[-MAP_MAX_EVENTS:], ""), "timeline_total": len(events),
                "map_svg": map_svg(story, ""), "map_list": self.map_list(story), "map_total": story.total_events}

    def map_list(self, data: MapData) -> list[dict[str, Any]]:
        """The relationship map as a list: each event with the actors that took part."""
        actors = {a.id: a for a in data.actors}
        return [{"event": view(e), "actors": [view(actors[a]) for ev, a in data.edges if ev == e.id]}
                for e in data.events]

    def timeline(self) -> Page:
        events = sorted(self.site.project.of_kind("event"), key=_date_key)
        years: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for e in events:
            years[str(e.date.year) if e.date else "Undated"].append(
                {"event": view(e), "actors": [view(self.entries[a]) for a in e.meta.get("actors", [])
                                              if a in self.entries]})
        ctx = self.common("timeline/", "Timeline", "Every event, by date.", "timeline", None)
        ctx["years"] = list(years.items())
        ctx["timeline_svg"] = timeline_svg(events, ctx["root"])
        return Page("timeline/index.html", "timeline.html", ctx, 1)

    def actors(self) -> Page:
        groups: dict[str, list[View]] = defaultdict(list)
        for a in sorted(self.site.project.of_kind("actor"), key=lambda a: (a.title.lower(), a.id)):
            groups[a.meta.get("kind", "organisation")].append(view(a))
        ctx = self.common("actors/", "Actors", "Everyone in the story, by kind.", "actors", None)
        ctx["groups"] = [(KIND_HEADINGS[k], groups[k]) for k in KIND_ORDER if groups.get(k)]
        return Page("actors/index.html", "actors.html", ctx, 1)

    def bibliography(self) -> Page:
        groups: dict[Any, list[View]] = defaultdict(list)
        for s in sorted(self.site.project.of_kind("source"), key=_source_sort_key):
            groups[s.meta.get("type")].append(self.source_view(s))
        ctx = self.common("sources/", "Sources", "Every source this site cites.", "sources", None)
        ctx["groups"] = [(SOURCE_TYPES[t], groups[t]) for t in SOURCE_TYPES if groups.get(t)]
        ctx["cited_count"] = {s.id: len(self.site.graph.referrers(s.id, {"citation", "sources"}))
                              + (HOME_ID in self.site.graph.incoming.get(s.id, {}))
                              for s in self.site.project.of_kind("source")}
        return Page("sources/index.html", "sources.html", ctx, 1)

    def disputes(self) -> Page:
        ctx = self.common("disputes/", "Disputes", "Points on which the sources disagree.", "disputes", None)
        ctx["disputes"] = [{"entry": view(e) if e.kind != "home" else None, "url_path": e.url_path,
                            "where": e.title, "dispute": d} for e, d in self.site.disputes]
        return Page("disputes/index.html", "disputes.html", ctx, 1)

    def corrections(self) -> Page:
        """`/corrections/`: every correction, newest first, each linking to its place on its page."""
        ctx = self.common("corrections/", "Corrections", "Every correction made to this site, newest first.",
                          "corrections", None)
        ctx["corrections"] = corrections_of(self.site)
        return Page("corrections/index.html", "corrections.html", ctx, 1)

    def search(self) -> Page:
        """`/search/`: a form that works as a plain GET result page (results filled by the script)."""
        ctx = self.common("search/", "Search", "Search every entry of this site.", "search", None)
        return Page("search/index.html", "search.html", ctx, 1)

    def not_found(self) -> Page:
        ctx = self.common("404.html", "Page not found", "This page does not exist.", "404", 0)
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
        yield self.timeline()
        yield self.actors()
        yield self.bibliography()
        yield self.disputes()
        if self.has_corrections:
            yield self.corrections()
        yield self.search()
        yield self.not_found()

    def render(self, page: Page) -> str:
        return render_page(self.env, page, self.site.project.root)


def _source_sort_key(entry: Entry) -> tuple[Any, ...]:
    d = entry.date
    return (d.first_day if d else (9999, 12, 31), entry.meta.get("publisher", "").lower(), entry.title.lower())

