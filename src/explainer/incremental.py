"""Incremental rebuilds for the dev server: redo only what a change can affect.

The engine keeps everything of the last build in memory: each file's loaded entry
(keyed by its stat), each body's parse (keyed by its file's hash and by the entries it
looked up), the graph, and every output's bytes. A rebuild runs the very same pipeline
as `explainer build` (`build.analyse`, with this engine standing in for the two costly
stages), then renders only the pages whose context can differ from the last good build:

* the changed entries' own pages;
* the pages of entries whose references to or from them changed (back-links, "Cited by");
* when an entry's front matter changed: every page that shows it (its graph neighbours)
  and the index pages that list its kind (timeline, actors, sources);
* the home page and the disputes page when anything they show changed;
* everything when config.yaml, a layout, an asset or the menu changed.

Machine-readable outputs (sitemap, feed, data.json, ...) are functions of the whole site,
so they are recomputed every time (the server defers them until no save is waiting,
`defer_extras` and `finish`); only files whose bytes changed are written. A body-only
edit's own page is written even before the whole-site passes (`_fast_lane`). The
result is byte-identical to a clean build of the same files (tests/test_serve.py checks
this after edits, additions, deletions and renames; tests/test_speed_paths.py for the
fast lane and deferred outputs).
"""

from __future__ import annotations

import gc
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Callable

from . import loader, schema
from .build import EXTRA_OUTPUTS, analyse, assets, parse_body
from .diagnostics import Problem, Problems
from .graph import Graph, front_matter_refs
from .markup import Lookup, make_markdown
from .model import HOME_ID, Entry, Project
from .render import Body, Page, Renderer, SiteData, TemplateProblem, make_environment

Stamp = tuple[int, int, int, int]


def stamp(path: Path) -> Stamp | None:
    """What tells a changed file from an unchanged one without reading it (follows symlinks)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)


RACY_NS = 2_000_000_000


def racy(st: Stamp) -> bool:
    """A file changed this recently may change again within the clock's granularity (a few
    ms) without its stat changing, so its stat alone cannot prove it unchanged."""
    return time.time_ns() - st[0] < RACY_NS


class _Recorder(dict):  # type: ignore[type-arg]
    """A lookup table that remembers which keys a body asked for, found or not."""

    seen: set[Any]

    def get(self, key: Any, default: Any = None) -> Any:
        self.seen.add(key)
        return super().get(key, default)

    def __getitem__(self, key: Any) -> Any:
        self.seen.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self.seen.add(key)
        return super().__contains__(key)


@dataclass
class _ParsedBody:
    key: tuple[Any, ...]
    body: Body
    problems: list[Problem]
    ids: set[str]
    paths: set[str]


@dataclass
class _Good:
    """The last build that succeeded: what the served folder holds, and what it came from."""

    config: dict[str, Any]
    layouts: dict[str, Stamp | None]
    nav: list[dict[str, str]]
    entries: dict[str, Entry]
    home: Entry | None
    bodies: dict[str, Body]
    outgoing: dict[str, dict[str, set[str]]]
    disputes: list[tuple[str, Any]]
    outputs: dict[str, bytes]
    pages: dict[str, str]
    """Entry id -> its page's output path (HOME_ID for the home page)."""
    extras: set[str]


@dataclass
class Outcome:
    """What one rebuild did."""

    problems: Problems
    ok: bool
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    rendered: int = 0
    """How many HTML pages were rendered (written or found unchanged)."""
    full: bool = False
    deferred: bool = False
    """The site-wide outputs are still those of the previous build (see `Engine.finish`)."""


class Engine:
    """Builds a project into `out` and keeps it up to date, one change at a time."""

    def __init__(self, root: Path, out: Path) -> None:
        self.root = root
        self.out = out
        self.good: _Good | None = None
        self._files: dict[str, tuple[Stamp, Any, Entry | None, list[Problem]]] = {}
        self._present: set[str] = set()
        self._fm_refs: dict[str, tuple[Entry, list[tuple[str, str]]]] = {}
        self._bodies: dict[str, _ParsedBody] = {}
        self._by_id_seen: dict[str, set[str]] = {}
        self._by_path_seen: dict[str, set[str]] = {}
        self._lookup: Lookup | None = None
        self._md: Any = None
        self._md_trust: Any = None
        self._env: Any = None
        self._env_layouts: dict[str, Stamp | None] | None = None
        self._last: tuple[SiteData, Stamp | None] | None = None
        """The last good build's site data and config.yaml's stat (for `_fast_lane`)."""
        self.fast_pages = 0
        self.defer_extras = False
        """Leave the site-wide outputs (sitemap, feed, data.json, search index) to `finish()`:
        the server sets this, and calls `finish()` once no save is waiting."""
        self.pending: tuple[SiteData, Renderer] | None = None
        """Pages the fast lane wrote (tests check the full path then agreed with them)."""
        self.on_pages: Callable[[], None] | None = None
        """Called once the changed pages are on disk, before the site-wide outputs
        (sitemap, feed, data.json, search index), which take longer on big sites."""

    # --- the two cached stages (called by build.analyse) ------------------------------------

    def load_project(self, root: Path, problems: Problems) -> Project:
        """`loader.load_project`, reading only files whose stat changed since the last call."""
        self._present: set[str] = set()
        project = loader.load_project(root, problems, load=self._load_entry)
        for rel in set(self._files) - self._present:
            del self._files[rel]
        return project

    def _load_entry(self, root: Path, rel: str, kind: Any, problems: Problems) -> Entry | None:
        self._present.add(rel)
        st = stamp(root / rel)
        cached = self._files.get(rel)
        severities = tuple(sorted(problems.overrides.items()))  # config.yaml may change them
        if (st is not None and cached is not None and cached[0] == st and cached[1] == (kind.name, severities)
                and not racy(st)):
            problems.extend(cached[3])
            return cached[2]
        own = Problems(problems.overrides)
        entry = loader.load_entry(root, rel, kind, own)
        if st is not None:
            self._files[rel] = (st, (kind.name, severities), entry, own.items)
        problems.extend(own.items)
        return entry

    def parse_bodies(self, project: Project, lookup: Lookup, problems: Problems) -> dict[str, Body]:
        """`build.parse_bodies`, re-parsing only bodies whose text or looked-up targets changed."""
        trust = bool(project.config.trust_html)
        setting = (trust, tuple(sorted(problems.overrides.items())))
        if self._md is None or self._md_trust != setting:  # start over
            self._md, self._md_trust = make_markdown(trust_html=trust), setting
            self._bodies.clear()
            self._by_id_seen.clear()
            self._by_path_seen.clear()
            self._lookup = None
        stale: set[str] = set()
        old = self._lookup
        ids_changed = old is None or old.by_id.keys() != lookup.by_id.keys() or old.by_path.keys() != lookup.by_path.keys()
        if old is not None:
            for key in old.by_id.keys() | lookup.by_id.keys():
                if old.by_id.get(key) != lookup.by_id.get(key):
                    stale |= self._by_id_seen.get(key, set())
            for key in old.by_path.keys() | lookup.by_path.keys():
                if old.by_path.get(key) != lookup.by_path.get(key):
                    stale |= self._by_path_seen.get(key, set())
        self._lookup = lookup
        by_id, by_path = _Recorder(lookup.by_id), _Recorder(lookup.by_path)
        recording = Lookup(by_id, by_path)  # type: ignore[arg-type]
        bodies: dict[str, Body] = {}
        for entry in project.all_documents:
            key = (entry.path, entry.digest, entry.kind, entry.body_line, entry.url_path)
            cached = self._bodies.get(entry.id)
            if (cached is not None and cached.key == key and entry.id not in stale
                    and not (cached.problems and ids_changed)):
                problems.extend(cached.problems)
                bodies[entry.id] = cached.body
                continue
            if cached is not None:
                self._forget(entry.id, cached)
            by_id.seen, by_path.seen = set(), set()
            own = Problems(problems.overrides)
            body = parse_body(self._md, entry, recording, own)
            parsed = _ParsedBody(key, body, own.items, by_id.seen, by_path.seen)
            self._bodies[entry.id] = parsed
            for k in parsed.ids:
                self._by_id_seen.setdefault(k, set()).add(entry.id)
            for k in parsed.paths:
                self._by_path_seen.setdefault(k, set()).add(entry.id)
            problems.extend(parsed.problems)
            bodies[entry.id] = body
        for gone in set(self._bodies) - set(bodies):
            self._forget(gone, self._bodies.pop(gone))
        return bodies

    def build_graph(self, project: Project, body_refs: dict[str, list[tuple[str, str]]]) -> Graph:
        """`graph.build_graph`, with each unchanged entry's front-matter references remembered."""
        graph = Graph()
        memo: dict[str, tuple[Entry, list[tuple[str, str]]]] = {}
        for entry in project.entries.values():
            known = self._fm_refs.get(entry.id)
            if known is None or known[0] is not entry:
                known = (entry, [(t, name) for t, name, _ in front_matter_refs(entry)])
            memo[entry.id] = known
            for target_id, name in known[1]:
                if target_id in project.entries:
                    graph.add(entry.id, target_id, name)
        self._fm_refs = memo
        for source_id, refs in body_refs.items():
            for target_id, how in refs:
                if target_id in project.entries:
                    graph.add(source_id, target_id, how)
        return graph

    def _forget(self, entry_id: str, parsed: _ParsedBody) -> None:
        for k in parsed.ids:
            self._by_id_seen.get(k, set()).discard(entry_id)
        for k in parsed.paths:
            self._by_path_seen.get(k, set()).discard(entry_id)

    # --- the rebuild ------------------------------------------------------------------------

    def layouts_stamp(self) -> dict[str, Stamp | None]:
        """Every file of the project's layouts/ (assets included) with its stat."""
        base = self.root / "layouts"
        found: dict[str, Stamp | None] = {}
        if base.is_dir():
            for dirpath, dirnames, filenames in os.walk(base):
                dirnames.sort()
                for name in sorted(filenames):
                    path = Path(dirpath) / name
                    found[path.relative_to(base).as_posix()] = stamp(path)
        return found

    def rebuild(self) -> Outcome:
        """Bring the output folder up to date; on any error leave it exactly as it was."""
        problems = Problems()
        layouts = self.layouts_stamp()
        config_stamp = stamp(self.root / loader.CONFIG_FILE)
        fast = self._fast_lane(layouts, config_stamp)
        self._last = None
        site = analyse(self.root, problems, cache=self)
        if problems.has_errors():
            self._undo(fast)
            return Outcome(problems, ok=False)
        if self._env is None or layouts != self._env_layouts:
            self._env, self._env_layouts = make_environment(self.root), layouts
        renderer = Renderer(site, self._env)
        try:
            outcome = self._render(site, renderer, layouts, problems)
            outcome.written = sorted(set(outcome.written) | fast.keys())
            self._last = (site, config_stamp)
            if outcome.full:  # the cache is now most of the heap: keep the collector off it
                gc.collect()
                gc.freeze()
            return outcome
        except TemplateProblem as exc:
            self._undo(fast)
            problems.add("template-error", exc.path, exc.line, 1, exc.message)
            return Outcome(problems, ok=False)

    # --- the fast lane: a body-only edit's own page, before the whole-site passes -----------

    def _fast_lane(self, layouts: dict[str, Stamp | None], config_stamp: Stamp | None) -> dict[str, bytes]:
        """Write the page of each entry whose body alone changed, first; returns {path: old bytes}.

        The whole-site passes of a rebuild (walking and stat-ing every file, the graph, the
        checks) take ~250 ms at 4,000 entries, and the author is looking at one page. When
        the only changes are bodies of actors, events or sources (same front matter, no file
        added or removed, config and layouts untouched) and the new bodies parse without a
        problem, that page's context is known without them: it depends on its own entry and
        body, on what references it, and on other entries' front matter, none of which
        changed. The full rebuild that follows renders it again and writes it only if the
        bytes differ (they do not: tests check this); if that rebuild fails, `_undo` puts
        the last good bytes back.
        """
        good, last = self.good, self._last
        if good is None or last is None or last[1] != config_stamp or layouts != good.layouts or self._env is None:
            return {}
        site = last[0]
        changed: list[tuple[str, Entry]] = []
        for kind in schema.KINDS.values():
            try:
                with os.scandir(self.root / loader.CONTENT_DIR / kind.folder) as it:
                    for item in it:
                        rel = f"{loader.CONTENT_DIR}/{kind.folder}/{item.name}"
                        if not item.name.startswith(".") and rel not in self._files:
                            return {}  # a new file (or one the loader reports): the full path
            except FileNotFoundError:
                continue
            except OSError:
                return {}
        for rel, (st, _, entry, found) in self._files.items():
            now = stamp(self.root / rel)
            if now is None:
                return {}
            if now == st and not racy(st):
                continue
            if entry is None or found:
                return {}
            own = Problems(dict(site.project.config.problems or {}))
            new = loader.load_entry(self.root, rel, schema.KINDS.get(entry.kind, schema.HOME), own)
            if new is None or own.items or new.id != entry.id:
                return {}
            if new.digest == entry.digest:  # a recent file's stat proves nothing: its bytes do
                continue
            if entry.kind not in ("actor", "event", "source"):  # pages show site-wide figures, home counts links
                return {}
            if "updated" in entry.meta and "updated" not in new.meta:  # filled from git, as analyse will
                new.meta["updated"] = entry.meta["updated"]
            if new.meta != entry.meta or site.project.entries.get(new.id) is not entry:
                return {}
            changed.append((rel, new))
        if not changed or self._md is None or self._lookup is None:
            return {}
        bodies = dict(site.bodies)
        entries = dict(site.project.entries)
        for _, new in changed:
            own = Problems(dict(site.project.config.problems or {}))
            bodies[new.id] = parse_body(self._md, new, self._lookup, own)
            if own.items:
                return {}
            entries[new.id] = new
        project = Project(root=site.project.root, config=site.project.config, entries=entries,
                          home=site.project.home, unreadable=dict(site.project.unreadable))
        renderer = Renderer(SiteData(project, bodies, site.graph, site.disputes), self._env)
        try:
            pages = {new.url_path + "index.html": renderer.render(renderer.entry_page(new)).encode("utf-8")
                     for _, new in changed}
        except TemplateProblem:
            return {}
        old = {rel: good.outputs[rel] for rel in pages if rel in good.outputs}
        if len(old) != len(pages):
            return {}
        self._sync({**good.outputs, **pages}, good.outputs)
        good.outputs.update(pages)  # what is on disk now: the full path compares against it
        self.fast_pages += len(pages)
        if self.on_pages is not None:
            self.on_pages()
        return old

    def _undo(self, fast: dict[str, bytes]) -> None:
        """The rebuild failed after the fast lane wrote pages: put the last good bytes back."""
        if fast and self.good is not None:
            self._sync({**self.good.outputs, **fast}, self.good.outputs)
            self.good.outputs.update(fast)

    def _render(self, site: SiteData, renderer: Renderer, layouts: dict[str, Stamp | None],
                problems: Problems) -> Outcome:
        project = site.project
        good = self.good
        nav = renderer.nav()
        disputes = [(e.id, d) for e, d in site.disputes]
        full = (good is None or good.config != project.config.values or good.layouts != layouts
                or good.nav != nav)
        outputs: dict[str, bytes] = {} if full or good is None else dict(good.outputs)
        pages: dict[str, str] = {}
        docs: dict[str, Entry] = dict(project.entries)
        if project.home is not None:
            docs[HOME_ID] = project.home
        for doc_id, doc in docs.items():
            pages[doc_id] = doc.url_path + "index.html"
        rendered = 0

        def put(page: Page) -> None:
            nonlocal rendered
            rendered += 1
            outputs[page.out] = renderer.render(page).encode("utf-8")

        if full or good is None:
            for page in renderer.pages():
                put(page)
            for rel, path in assets(project.root):
                outputs[rel] = path.read_bytes()
        else:
            old_docs = dict(good.entries)
            if good.home is not None:
                old_docs[HOME_ID] = good.home
            for gone in old_docs.keys() - docs.keys():
                outputs.pop(good.pages[gone], None)
            for doc_id, out in good.pages.items():  # a renamed kind moves the page
                if doc_id in docs and pages[doc_id] != out:
                    outputs.pop(out, None)
            new_out = {k: dict(v) for k, v in site.graph.outgoing.items()}
            view_changed = {i for i in old_docs.keys() | docs.keys()
                            if old_docs.get(i) is not docs.get(i) and _view_differs(old_docs.get(i), docs.get(i))}
            body_changed = {i for i in docs if good.bodies.get(i) is not site.bodies.get(i)
                            and good.bodies.get(i) != site.bodies.get(i)}
            edges_changed = {i for i in good.outgoing.keys() | new_out.keys()
                             if good.outgoing.get(i, {}) != new_out.get(i, {})}
            changed = view_changed | body_changed | edges_changed
            dirty = set(changed)
            for i in edges_changed:  # their targets' back-links and "Cited by" lists
                dirty |= good.outgoing.get(i, {}).keys() | new_out.get(i, {}).keys()
            if view_changed:  # pages that show the entry, up to two steps away (an actor's map
                # shows the events it took part in and the other actors of those events)
                near = _undirected(good.outgoing, new_out)
                ring = set(view_changed)
                for _ in range(2):
                    ring = {n for i in ring for n in near.get(i, ())} - dirty
                    dirty |= ring
            kinds = {d.kind for i in view_changed for d in (old_docs.get(i), docs.get(i)) if d is not None}
            if kinds & {"event", "actor"}:  # event strips (neighbours in time) and the colours of
                # who acted (story.Palette) are site-wide: every event and actor page shows them
                dirty |= {i for i, d in docs.items() if d.kind in ("event", "actor")}
            if changed:  # pages (the method page) show site-wide citation figures
                dirty |= {i for i, d in docs.items() if d.kind == "page"}
            for doc_id in sorted(dirty & docs.keys(), key=lambda i: (docs[i].kind, i)):
                if doc_id != HOME_ID:
                    put(renderer.entry_page(docs[doc_id]))
            if project.home is not None and (view_changed or edges_changed or HOME_ID in body_changed):
                put(renderer.entry_page(project.home))
            if kinds & {"event", "actor"}:
                put(renderer.timeline())
            if kinds & {"event", "actor"}:  # its grid has every event as a column
                put(renderer.actors())
            if "source" in kinds or any(docs[i].kind == "source" for i in dirty & docs.keys() if i):
                put(renderer.bibliography())
            if changed:  # every dispute, and the site-wide citation figures
                put(renderer.disputes())
        before = dict(good.outputs) if good is not None else None
        if before is not None:  # the pages first: the author is looking at one of them
            early, _ = self._sync({**before, **outputs}, before)
            before.update((rel, outputs[rel]) for rel in early)
            if early and self.on_pages is not None:
                self.on_pages()
        extras: set[str] = set()
        defer = self.defer_extras and good is not None and not full
        if defer:  # the last site-wide files stay in place until `finish()`
            extras = set(good.extras)  # type: ignore[union-attr]
        else:
            for make in EXTRA_OUTPUTS:
                for rel, data in make(site, renderer):
                    outputs[rel] = data.encode("utf-8") if isinstance(data, str) else data
                    extras.add(rel)
        self.pending = (site, renderer) if defer else None
        if good is not None and not full:
            for rel in good.extras - extras:
                outputs.pop(rel, None)
        written, removed = self._sync(outputs, before)
        if good is not None:
            written = sorted(set(written) | set(early))
        self.good = _Good(
            config=project.config.values, layouts=layouts, nav=nav, entries=dict(project.entries),
            home=project.home, bodies=dict(site.bodies),
            outgoing={k: dict(v) for k, v in site.graph.outgoing.items()},
            disputes=disputes, outputs=outputs, pages=pages, extras=extras,
        )
        return Outcome(problems, ok=True, written=written, removed=removed, rendered=rendered, full=full,
                       deferred=defer)

    def finish(self, interrupted: Callable[[], bool] | None = None) -> Outcome:
        """Write the site-wide outputs a deferred rebuild left out (the server calls this when idle).

        Together they take ~1.4 s at 4,000 entries (data.json, the search index, sitemap,
        feed); computed after every save they made the next save wait for them. Between
        two of them `interrupted()` (a new save?) may stop the work, which stays pending.
        """
        problems = Problems()
        if self.pending is None or self.good is None:
            return Outcome(problems, ok=True)
        site, renderer = self.pending
        outputs = dict(self.good.outputs)
        extras: set[str] = set()
        try:
            for make in EXTRA_OUTPUTS:
                if interrupted is not None and interrupted():
                    return Outcome(problems, ok=True, deferred=True)
                for rel, data in make(site, renderer):
                    outputs[rel] = data.encode("utf-8") if isinstance(data, str) else data
                    extras.add(rel)
        except TemplateProblem as exc:
            self.pending = None
            problems.add("template-error", exc.path, exc.line, 1, exc.message)
            return Outcome(problems, ok=False)
        self.pending = None
        for rel in self.good.extras - extras:
            outputs.pop(rel, None)
        written, removed = self._sync(outputs, self.good.outputs)
        self.good.outputs, self.good.extras = outputs, extras
        return Outcome(problems, ok=True, written=written, removed=removed)

    def _sync(self, outputs: dict[str, bytes], before: dict[str, bytes] | None) -> tuple[list[str], list[str]]:
        """Write the files whose bytes changed (each atomically) and delete the ones gone."""
        written = []
        for rel in sorted(outputs):
            data = outputs[rel]
            if before is not None and before.get(rel) == data:
                continue
            path = safe_path(self.out, rel)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.parent / f".{path.name}.tmp"
            tmp.write_bytes(data)
            os.replace(tmp, path)
            written.append(rel)
        removed = []
        for rel in sorted(set(before or ()) - set(outputs)):
            path = safe_path(self.out, rel)
            if path.is_file():
                path.unlink()
            removed.append(rel)
            parent = path.parent
            while parent != self.out and parent.is_dir() and not any(parent.iterdir()):
                parent.rmdir()
                parent = parent.parent
        return written, removed


def _view_differs(old: Entry | None, new: Entry | None) -> bool:
    """Whether anything another page shows of an entry (its front matter, kind, place) changed."""
    if old is None or new is None:
        return True
    return old.meta != new.meta or old.kind != new.kind or old.path != new.path


def _undirected(*graphs: dict[str, dict[str, set[str]]]) -> dict[str, set[str]]:
    """Neighbours of every entry in any of the graphs, whichever way the reference goes."""
    result: dict[str, set[str]] = {}
    for outgoing in graphs:
        for src, targets in outgoing.items():
            for t in targets:
                result.setdefault(t, set()).add(src)
                result.setdefault(src, set()).add(t)
    return result


def safe_path(out: Path, rel: str) -> Path:
    """The file for a site-relative path; refuses anything that would leave `out`."""
    pure = PurePosixPath(rel)
    if pure.is_absolute() or ".." in pure.parts or "\\" in rel or "\x00" in rel or not pure.parts:
        raise ValueError(f"refusing to write outside the output folder: '{rel}'")
    return out.joinpath(*pure.parts)


def clean_build(root: Path, out: Path) -> Outcome:
    """A one-off full build through the engine (used by the benchmark and the tests)."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    return Engine(root, out).rebuild()
