"""What a page's context reads of the site, recorded as it reads it (for `cache.layer`).

A warm build reuses a page without building its context when everything the context
read answers the same now. The reads are recorded by rendering through a copy of the
site whose parts note each read (`watched_site`), by a renderer and a story that note
their site-wide values (`WatchedRenderer`), and each read is one short key:

* `e:ID` an entry's front matter, path and kind (any attribute of the entry object);
* `f:ID` its file as a whole (its Markdown, its digest, its parsed YAML);
* `has:ID` whether an id exists; `entries*` the set of every entry (a scan of all);
* `b:ID` a parsed body; `bodies*` all of them;
* `g:ID` who references the entry, and how; `graph*` the whole graph;
* `disputes`, `nav`, `corrections`, `coverage`, `ref:ID` (a source's reference in the
  citation style), `story.order`, `story.actors`, `story.palette`: values the renderer
  or the story computes once for every page.

`Answers` gives the digest of what a key answers in a build; a page is reused only if
every key it recorded has the same digest now. The recording is only the cache's: the
stage code (`render/`) reads plain objects and never knows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, cast

from ..model import HOME_ID, Entry, Graph, Project, SiteData
from ..render.pages import Renderer, View
from ..render.story import Story, events_by_actor_of, events_in_order, palette_of

_FILE_FIELDS = frozenset({"body", "digest", "doc", "body_line"})


class Recorder:
    """Where reads go: the set of the page being made, or nowhere."""

    def __init__(self) -> None:
        self.current: set[str] | None = None

    def note(self, key: str) -> None:
        if self.current is not None:
            self.current.add(key)

    @contextmanager
    def recording(self) -> Iterator[set[str]]:
        """Record every read made inside, into the set yielded."""
        reads: set[str] = set()
        before, self.current = self.current, reads
        try:
            yield reads
        finally:
            self.current = before

    @contextmanager
    def paused(self) -> Iterator[None]:
        before, self.current = self.current, None
        try:
            yield
        finally:
            self.current = before


class WatchedEntry:
    """An entry that notes every read of it (see the module's keys)."""

    __slots__ = ("_entry", "_recorder")

    def __init__(self, entry: Entry, recorder: Recorder) -> None:
        object.__setattr__(self, "_entry", entry)
        object.__setattr__(self, "_recorder", recorder)

    def __getattr__(self, name: str) -> Any:
        entry: Entry = object.__getattribute__(self, "_entry")
        object.__getattribute__(self, "_recorder").note(("f:" if name in _FILE_FIELDS else "e:") + entry.id)
        return getattr(entry, name)


class Watched(dict):  # type: ignore[type-arg]
    """A dict calling `note(prefix + key)` for each key asked for (`note(every)` when `prefix`
    is None), and `note(every)` when all of them are looked at."""

    def __init__(self, data: dict[str, Any], prefix: str | None, every: str, note: Callable[[str], None]) -> None:
        super().__init__(data)
        self._prefix, self._every, self._note = prefix, every, note

    def _one(self, key: object) -> None:
        self._note(self._every if self._prefix is None else self._prefix + str(key))

    def get(self, key: Any, default: Any = None) -> Any:
        self._one(key)
        return super().get(key, default)

    def __getitem__(self, key: Any) -> Any:
        self._one(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self._one(key)
        return super().__contains__(key)

    def __iter__(self) -> Iterator[Any]:
        self._note(self._every)
        return super().__iter__()

    def keys(self) -> Any:
        self._note(self._every)
        return super().keys()

    def values(self) -> Any:
        self._note(self._every)
        return super().values()

    def items(self) -> Any:
        self._note(self._every)
        return super().items()

    def __len__(self) -> int:
        self._note(self._every)
        return super().__len__()


class _WatchedGraph(Graph):
    """The graph, noting `g:ID` for each entry whose referrers are asked for."""

    def __init__(self, graph: Graph, recorder: Recorder) -> None:
        super().__init__(outgoing=Watched(graph.outgoing, None, "graph*", recorder.note),
                         incoming=Watched(graph.incoming, "g:", "graph*", recorder.note))


class _WatchedSite(SiteData):
    """The site with watched parts; `disputes` noted as one value."""

    def __init__(self, site: SiteData, recorder: Recorder) -> None:
        watched = {e.id: WatchedEntry(e, recorder) for e in site.project.entries.values()}
        home = WatchedEntry(site.project.home, recorder) if site.project.home is not None else None
        entries = Watched(watched, "has:", "entries*", recorder.note)
        project = Project(root=site.project.root, config=site.project.config, entries=cast(dict[str, Entry], entries),
                          home=cast(Entry | None, home), unreadable=site.project.unreadable,
                          translated=Watched(site.project.translated, None, "translated", recorder.note),
                          stale=Watched(site.project.stale, None, "stale", recorder.note),
                          strings=site.project.strings)
        both = {**watched, **({HOME_ID: home} if home is not None else {})}
        disputes = [(cast(Entry, both.get(e.id, e)), d) for e, d in site.disputes]
        super().__init__(project, Watched(site.bodies, "b:", "bodies*", recorder.note),
                         _WatchedGraph(site.graph, recorder), [])
        object.__setattr__(self, "_disputes", disputes)
        self._recorder = recorder

    @property
    def disputes(self) -> list[Any]:
        self._recorder.note("disputes")
        return cast(list[Any], self.__dict__["_disputes"])

    @disputes.setter
    def disputes(self, value: list[Any]) -> None:
        pass  # set by the dataclass's __init__; the watched list is `_disputes`


class _WatchedStory(Story):
    """The story, noting its site-wide values (computed once, unwatched) when a page reads them."""

    def __init__(self, project: Project, recorder: Recorder, lang: str = "en") -> None:
        super().__init__(project, lang)
        self._recorder = recorder
        self._made: dict[str, Any] = {}

    def _once(self, name: str, key: str, make: Callable[[], Any]) -> Any:
        self._recorder.note(key)
        if name not in self._made:
            with self._recorder.paused():
                self._made[name] = make()
        return self._made[name]

    @property
    def ordered(self) -> list[Entry]:
        return cast(list[Entry], self._once("ordered", "story.order", lambda: events_in_order(self.project)))

    @property
    def position(self) -> dict[str, int]:
        return cast(dict[str, int], self._once("position", "story.order",
                                               lambda: {e.id: i for i, e in enumerate(self.ordered)}))

    @property
    def by_actor(self) -> dict[str, list[Entry]]:
        return cast(dict[str, list[Entry]], self._once("by_actor", "story.actors",
                                                       lambda: events_by_actor_of(self.project)))

    @property
    def palette(self) -> Any:
        return self._once("palette", "story.palette", lambda: palette_of(self.project, self.by_actor))


class WatchedRenderer(Renderer):
    """A renderer of the watched site whose site-wide values are noted as one key each
    (and computed unwatched: they are the same for every page)."""

    def __init__(self, site: SiteData, env: Any, recorder: Recorder, lang: str | None = None) -> None:
        super().__init__(_WatchedSite(site, recorder), env, lang)
        self.recorder = recorder
        self.story = _WatchedStory(self.site.project, recorder, self.lang)

    def view(self, entry: Entry) -> View:
        self.recorder.note("e:" + entry.id)
        return super().view(entry)

    def source_view(self, entry: Entry) -> View:
        self.recorder.note("e:" + entry.id)
        self.recorder.note("ref:" + entry.id)
        with self.recorder.paused():
            return super().source_view(entry)

    def nav(self) -> list[dict[str, str]]:
        self.recorder.note("nav")
        with self.recorder.paused():
            return super().nav()

    @property
    def has_corrections(self) -> bool:
        self.recorder.note("corrections")
        with self.recorder.paused():
            return super().has_corrections

    @property
    def site_coverage(self) -> dict[str, object]:
        self.recorder.note("coverage")
        with self.recorder.paused():
            return super().site_coverage


class Answers:
    """What each key answers in this build, as a short digest (each computed once, when first asked)."""

    def __init__(self, site: SiteData, renderer: WatchedRenderer,
                 carried: dict[str, tuple[object, str]] | None = None) -> None:
        self.site = site
        self.renderer = renderer
        self.entries: dict[str, Entry] = {**site.project.entries,
                                          **({HOME_ID: site.project.home} if site.project.home else {})}
        self._known: dict[str, str] = {}
        self.carried = {} if carried is None else carried
        """Answers about one object (an entry, a body) from earlier builds, by key, with the
        object they were computed from: the dev server's memo keeps the objects of unchanged
        files, and the disk memo gives each entry it reused with what it answered when it
        was kept (`entry_answer`, `file_answer`), so their answers need not be computed again."""

    def __call__(self, key: str) -> str:
        found = self._known.get(key)
        if found is None:
            with self.renderer.recorder.paused():
                found = self._known[key] = self._answer(key)
        return found

    def sum(self, keys: tuple[str, ...]) -> str:
        """One digest of what every key answers (a page reads ~90 keys: the loop is hot)."""
        known = self._known
        h = hashlib.sha256()
        for key in keys:
            now = known.get(key)
            h.update((now if now is not None else self(key)).encode("ascii"))
        return h.hexdigest()[:32]

    def _answer(self, key: str) -> str:
        kind, _, name = key.partition(":")
        if kind in ("e", "f", "b"):
            obj: object = self.site.bodies.get(name) if kind == "b" else self.entries.get(name)
            carried = self.carried.get(key)
            if carried is not None and carried[0] is obj and obj is not None:
                return carried[1]
            found = self._of_object(kind, name)
            self.carried[key] = (obj, found)
            return found
        return _digest(self._site_wide(key))

    def _of_object(self, kind: str, name: str) -> str:
        if kind == "b":
            b = self.site.bodies.get(name)
            return _digest("missing" if b is None else repr((hashlib.sha256(b.packed).hexdigest(), b.cited,
                                                             b.disputes, b.claims_total, b.claims_cited, b.refs)))
        e = self.entries.get(name)
        if e is None:
            return _digest("missing")
        return entry_answer(e) if kind == "e" else file_answer(e)

    def _site_wide(self, key: str) -> str:
        site, project, renderer = self.site, self.site.project, self.renderer
        kind, _, name = key.partition(":")
        if kind == "has":
            return repr(name in project.entries)
        if kind == "g":
            return repr(sorted((src, sorted(ways)) for src, ways in site.graph.incoming.get(name, {}).items()))
        if kind == "ref":
            return repr(self.renderer.reference(name))
        if key == "entries*":
            return repr(sorted((e.id, e.kind) for e in project.entries.values()))
        if key == "bodies*":
            return repr(sorted((k, hashlib.sha256(b.packed).hexdigest()) for k, b in site.bodies.items()))
        if key == "graph*":
            return repr(sorted((s, sorted((t, sorted(w)) for t, w in ts.items()))
                               for s, ts in site.graph.outgoing.items()))
        if key == "disputes":
            return repr([(e.id, d) for e, d in site.disputes])
        if key == "translated":
            return repr(sorted((code, sorted(ids)) for code, ids in project.translated.items()))
        if key == "stale":
            return repr(sorted(project.stale.items()))
        if key == "nav":
            return repr(renderer.nav())
        if key == "corrections":
            return repr(renderer.has_corrections)
        if key == "coverage":
            return repr(renderer.site_coverage)
        story = renderer.story  # its values are computed once, unwatched, for pages and answers alike
        if key == "story.order":
            return repr([(e.id, e.date.first_day if e.date else None) for e in story.ordered])
        if key == "story.actors":
            return repr({a: [e.id for e in es] for a, es in story.by_actor.items()})
        if key == "story.palette":
            palette = story.palette
            return repr((sorted(palette.colour.items()), sorted(palette.titles.items())))
        raise KeyError(key)


def entry_answer(e: Entry) -> str:
    """What `e:ID` answers for the entry `e` (its front matter, path and kind)."""
    return _digest(repr((e.id, e.kind, e.path, e.slug, e.meta, e.csl, e.language)))


def file_answer(e: Entry) -> str:
    """What `f:ID` answers for the entry `e` (its file as a whole)."""
    return _digest(repr((e.digest, e.body_line)))


def config_digest(site: SiteData) -> str:
    """Every page reads the config: its digest goes into every page's salt."""
    return _digest(repr(replace(site.project.config, doc=None)))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


__all__ = ["Answers", "Recorder", "Watched", "WatchedEntry", "WatchedRenderer", "config_digest", "entry_answer",
           "file_answer"]
