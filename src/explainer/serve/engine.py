"""The dev server's engine: the pipeline run after every save, with its memo kept in memory.

Each rebuild is `pipeline.build_site`, as for `explainer build`, run by a
`cache.layer.Layer` whose memo is a `MemoryMemo`: a file whose stamp has not changed is not
read again, a body is re-parsed only if its file or an entry it looked up changed, and a
page is re-rendered only if something it read changed (`cache.reads`) — the layer's one rule. Only files
whose bytes changed are written (`write.sync`), so the served folder always equals a
clean build of the same files (tests/test_serve.py and tests/test_differential.py).

Two ways to show a save sooner, neither of which decides what the site is:
* **the site-wide files** (sitemap, feed, data.json, search index: ~1.4 s at 4,000
  entries) can be deferred until no save is waiting (`defer_extras`, `finish`);
* **the preview** (`_preview`): when the only changes are bodies of entries whose pages
  show no site-wide figures, that page is rendered and written first, through the same
  stage functions, from the last good site (looking only at the files the watcher names,
  when it names them). The full rebuild that follows renders it
  again and rewrites it if it differs; if that rebuild fails, the last good bytes go back.
"""

from __future__ import annotations

import gc
import hashlib
import os
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import schema
from ..cache.layer import Layer, Memo, PageRecord
from ..diagnostics import Problem, Problems, Severity
from ..load.files import CONFIG_FILE, CONTENT_DIR
from ..model import Body, Entry, Indexed, Project, SiteData, TemplateProblem
from ..pipeline import Memory, build_site, parse_labels, render_site_wide
from ..render import Renderer, make_environment
from ..resolve import build_lookup, make_markdown, parse_body
from ..validate import load_entry
from ..validate.project import extra_inputs
from ..write import stamps, sync

PREVIEW_KINDS = frozenset(k.name for k in schema.KINDS.values() if not k.site_figures)
"""Kinds whose page depends only on its own entry and body and on other entries' front
matter (pages show site-wide figures; the home page counts links)."""


class MemoryMemo(Memo):
    """The pipeline's memo in memory, trimmed after each run to what that run used."""

    keeps_pages = True
    keeps_index = True

    def __init__(self) -> None:
        self.entries: dict[str, tuple[Any, Entry | None, list[Problem]]] = {}
        self.bodies: dict[str, tuple[Body, list[Problem], dict[str, str]]] = {}
        self.records: dict[str, PageRecord] = {}
        self.pages: dict[str, bytes] = {}
        """Page bytes by their digest."""
        self.cards: dict[str, bytes] = {}
        self.index: dict[str, dict[str, Indexed]] = {}
        """Edition ('' for the site's) -> the last search index's entries by key."""
        self.before: dict[str, dict[str, Indexed]] = {}
        self.last_postings: dict[str, tuple[list[str], dict[str, bytes]]] = {}
        """The last search index's entry keys by number and its postings."""
        self.answers: dict[str, tuple[object, str]] = {}
        """What keys about one entry or body answered (`cache.reads.Answers`), with the object."""
        """The search index's entries by `render.search.index_key`."""
        self.rendered = 0
        self.drawn = 0
        """Share cards drawn in the last run (the others were kept: what they show is unchanged)."""
        self._stamped: dict[str, Any] = {}
        """The stamp of each file `entry` did not know, taken before it was loaded."""
        self.answered_keys: dict[str, str] = {}
        """What each key the kept pages read answered when they were kept."""
        self._used: tuple[set[str], set[str], dict[str, PageRecord], dict[str, str]] = (set(), set(), {}, {})

    def start(self) -> None:
        self.rendered = 0
        self.drawn = 0
        self._used = (set(), set(), {}, {})

    def entry(self, root: Path, rel: str, kind: schema.Kind,
              overrides: dict[str, Any]) -> tuple[Entry | None, list[Problem]] | None:
        self._used[0].add(rel)
        st = stamps.stamp(f"{root}{os.sep}{rel}")  # a str: joining 10,000 Paths cost ~30 ms a rebuild
        key = (st, kind.name, tuple(sorted((k, int(v)) for k, v in overrides.items())))
        known = self.entries.get(rel)
        if st is not None and known is not None and known[0] == key and not stamps.racy(st):
            return known[1], known[2]
        self._stamped[rel] = key  # taken before the file is read: a later save changes it
        return None

    def keep_entry(self, root: Path, rel: str, kind: schema.Kind, overrides: dict[str, Any],
                   loaded: tuple[Entry | None, list[Problem]]) -> tuple[Entry | None, list[Problem]]:
        entry, problems = loaded
        key = self._stamped.pop(rel)
        known = self.entries.get(rel)
        if known is not None and known[1] is not None and entry is not None and entry.digest == known[1].digest \
                and known[0][1:] == key[1:] and known[2] == problems:
            entry = known[1]  # same bytes: keep the object, so pages see the same entry
        self.entries[rel] = (key, entry, problems)
        return entry, problems

    def body(self, key: str, valid: Callable[[dict[str, str]], bool]) -> tuple[Body, list[Problem]] | None:
        known = self.bodies.get(key)
        if known is None or not valid(known[2]):
            return None
        self._used[1].add(key)
        return known[0], known[1]

    def keep_body(self, key: str, body: Body, problems: list[Problem], reads: dict[str, str]) -> None:
        self._used[1].add(key)
        self.bodies[key] = (body, problems, reads)

    def page(self, out: str) -> PageRecord | None:
        return self.records.get(out)

    def page_bytes(self, record: PageRecord) -> bytes | None:
        return self.pages.get(record["html"])

    def keep_page(self, out: str, record: PageRecord, data: bytes) -> PageRecord:
        self.rendered += 1
        digest = hashlib.sha256(data).hexdigest()
        self.pages[digest] = data
        return {**record, "html": digest}

    def used_pages(self, records: Iterable[tuple[str, PageRecord]], answered: dict[str, str]) -> None:
        self._used[2].update(records)
        self._used[3].update(answered)

    def answered(self) -> dict[str, str]:
        return self.answered_keys

    def carried_answers(self) -> dict[str, tuple[object, str]] | None:
        return self.answers

    def card(self, key: str) -> bytes | None:
        return self.cards.get(key)

    def indexed(self, key: str, edition: str = "") -> Indexed | None:
        return self.index.get(edition, {}).get(key)

    def keep_indexed(self, kept: dict[str, Indexed], edition: str = "") -> None:
        # every entry of the last index, and no other
        self.before[edition], self.index[edition] = self.index.get(edition, {}), kept

    def indexed_before(self, key: str, edition: str = "") -> Indexed | None:
        return self.before.get(edition, {}).get(key) or self.index.get(edition, {}).get(key)

    def postings(self, edition: str = "") -> tuple[list[str], dict[str, bytes]] | None:
        return self.last_postings.get(edition)

    def keep_postings(self, keys: list[str], lists: dict[str, bytes], edition: str = "") -> None:
        self.last_postings[edition] = keys, lists

    def keep_card(self, key: str, data: bytes) -> str:
        self.drawn += 1
        self.cards[key] = data
        return hashlib.sha256(data).hexdigest()

    def prune(self) -> None:
        """Forget what the last run did not use (renamed files, old versions of bodies and pages)."""
        entries, bodies, pages, answered = self._used
        self.answered_keys = answered
        self.entries = {k: v for k, v in self.entries.items() if k in entries}
        self.bodies = {k: v for k, v in self.bodies.items() if k in bodies}
        self.records = dict(pages)
        self.pages = {r["html"]: self.pages[r["html"]] for r in self.records.values() if r["html"] in self.pages}
        self.cards = {r["card"]: self.cards[r["card"]] for r in self.records.values() if r["card"] in self.cards}


@dataclass
class _Good:
    """The last build that succeeded: what the served folder holds, and what it came from."""

    site: SiteData
    outputs: dict[str, bytes]
    site_wide: set[str]
    inputs: tuple[Any, Any]
    """config.yaml's and layouts/'s stamps (the preview needs both unchanged)."""


@dataclass
class Outcome:
    """What one rebuild did."""

    problems: Problems
    ok: bool
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    rendered: int = 0
    """How many HTML pages were rendered (the others' contexts were unchanged)."""
    full: bool = False
    """The first build of this engine."""
    deferred: bool = False
    """The site-wide outputs are still those of the previous build (see `Engine.finish`)."""


class Engine:
    """Builds a project into `out` and keeps it up to date, one change at a time."""

    def __init__(self, root: Path, out: Path) -> None:
        self.root = root
        self.out = out
        self.memo = MemoryMemo()
        self.layer = Layer(self.memo)
        self.good: _Good | None = None
        self._tools: tuple[Any, ...] | None = None
        self._env: tuple[Any, Any] | None = None
        self.fast_pages = 0
        """Pages the preview wrote (tests check the full rebuild then agreed with them)."""
        self.defer_extras = False
        """Leave the site-wide outputs to `finish()`: the server sets this, and calls
        `finish()` once no save is waiting."""
        self.pending: SiteData | None = None
        self.on_pages: Callable[[], None] | None = None
        """Called once the changed pages are on disk, before the site-wide outputs."""

    def _inputs(self) -> tuple[Any, Any]:
        extra = tuple(stamps.stamp(self.root / rel) for rel in extra_inputs(self.root))  # bibliographies, .csl
        return (stamps.stamp(self.root / CONFIG_FILE), extra), stamps.tree(self.root / "layouts")

    def rebuild(self, changed: Collection[str] | None = None) -> Outcome:
        """Bring the output folder up to date; on any error leave it exactly as it was.

        `changed`: the files (relative to the root) the watcher saw change since the last
        rebuild, or None if it does not know. Only the preview trusts it, to look at those
        files alone; the rebuild itself looks at every file, so a missed event costs
        nothing but the preview."""
        inputs = self._inputs()
        previewed = self._preview(inputs, changed)
        problems = Problems()
        self.memo.start()
        good = self.good
        defer = self.defer_extras and good is not None
        env = self._environment(inputs)
        pages = Memory()
        site, written_pages = build_site(self.root, problems, pages, self.layer, site_wide=False, env=env)
        site_wide = Memory()
        if written_pages is not None and not defer:
            try:
                render_site_wide(site, site_wide, env=env, layer=self.layer)
            except TemplateProblem as exc:
                problems.add("template-error", exc.path, exc.line, 1, exc.message)
                written_pages = None
        if written_pages is None:
            self._undo(previewed)
            return Outcome(problems, ok=False)
        before = good.outputs if good is not None else None
        old_wide = {rel: before[rel] for rel in good.site_wide} if good is not None and before else {}
        first = {**pages.files, **old_wide}  # the pages first, the last site-wide files kept
        written, removed = sync(self.out, first, before)
        if good is not None and self.on_pages is not None:
            self.on_pages()  # the pages are on disk: the author is looking at one of them
        outputs = first if defer else {**pages.files, **site_wide.files}
        more, gone = sync(self.out, outputs, first)
        wide_set = set(old_wide) if defer else set(site_wide.files)
        self.good = _Good(site, outputs, wide_set, inputs)
        self.pending = site if defer else None
        self.memo.prune()
        self._preview_tools(self.good)  # made now, not on the next save's path
        if good is None:  # the memo is now most of the heap: keep the collector off it
            gc.collect()
            gc.freeze()
        return Outcome(problems, ok=True, written=sorted(set(written + more) | previewed.keys()),
                       removed=sorted(set(removed + gone)), rendered=self.memo.rendered, full=good is None,
                       deferred=defer)

    def finish(self, interrupted: Callable[[], bool] | None = None) -> Outcome:
        """Write the site-wide outputs a deferred rebuild left out (the server calls this when idle).

        Between two of them `interrupted()` (a new save?) may stop the work, which stays pending.
        """
        problems = Problems()
        if self.pending is None or self.good is None:
            return Outcome(problems, ok=True)
        wide = Memory()
        try:
            done = render_site_wide(self.pending, wide, interrupted, env=self._environment(self.good.inputs),
                                    layer=self.layer)
        except TemplateProblem as exc:
            self.pending = None
            problems.add("template-error", exc.path, exc.line, 1, exc.message)
            return Outcome(problems, ok=False)
        if done is None:
            return Outcome(problems, ok=True, deferred=True)
        self.pending = None
        good = self.good
        outputs = {rel: data for rel, data in good.outputs.items() if rel not in good.site_wide}
        outputs.update(wide.files)
        written, removed = sync(self.out, outputs, good.outputs)
        good.outputs, good.site_wide = outputs, set(wide.files)
        return Outcome(problems, ok=True, written=written, removed=removed)

    # --- the preview: a body-only edit's own page, before the whole-site passes ----------------

    def _preview(self, inputs: tuple[Any, Any], changed: Collection[str] | None = None) -> dict[str, bytes]:
        """Write the page of each entry whose body alone changed, first; returns {path: old bytes}.

        The whole-site passes of a rebuild (walking every file, the graph, every page's
        context) take long on a big project, and the author is looking at one page. When
        the only changes are bodies of `PREVIEW_KINDS` entries (same front matter, no file
        added or removed, config and layouts untouched) and the new bodies parse without an
        error (warnings, such as a draft's uncited paragraphs, do not stop it), that page's
        context is known from the last good site with the new entry and body in place. The
        full rebuild that follows decides what the page is, and reports the warnings.
        """
        good = self.good
        if good is None or good.inputs != inputs:
            return {}
        site = good.site
        known = self.memo.entries
        if changed is None:
            if self._new_files():
                return {}  # a new file (or one the loader reports): the full path
            candidates: Collection[str] = known
        elif all(rel in known for rel in changed):
            candidates = changed
        else:
            return {}  # config.yaml, a layout, a new or removed file: the full path
        overrides = dict(site.project.config.problems or {})
        edited: list[Entry] = []
        base = f"{self.root}{os.sep}"
        for rel in candidates:
            key, entry, found = known[rel]
            now = stamps.stamp(base + rel)
            if now is None:
                return {}
            if now == key[0] and not stamps.racy(now):
                continue
            if entry is None or _has_error(found):
                return {}
            new, problems = load_entry(self.root, rel, schema.KINDS.get(entry.kind, schema.HOME), overrides)
            if new is None or _has_error(problems) or new.id != entry.id:
                return {}
            if new.digest == entry.digest:  # a recent file's stat proves nothing: its bytes do
                continue
            if entry.kind not in PREVIEW_KINDS:
                return {}
            shown = site.project.entries.get(new.id)
            if shown is None or shown.path != rel:
                return {}
            if "updated" in shown.meta and "updated" not in new.meta:  # filled from git, as the full rebuild will
                new = _with_updated(new, shown)
            if new.meta != shown.meta:
                return {}
            edited.append(new)
        if not edited:
            return {}
        lookup, renderer, md = self._preview_tools(good)
        bodies = dict(site.bodies)
        entries = dict(site.project.entries)
        for new in edited:
            body, problems = parse_body(md, new, lookup, overrides)
            if _has_error(problems):
                return {}
            bodies[new.id], entries[new.id] = body, new
        project = Project(root=site.project.root, config=site.project.config, entries=entries,
                          home=site.project.home, unreadable=dict(site.project.unreadable),
                          translated=site.project.translated, stale=site.project.stale,
                          strings=site.project.strings)
        preview = renderer.with_bodies(SiteData(project, bodies, site.graph, site.disputes))
        try:
            pages = {new.url_path + "index.html": preview.render(preview.entry_page(new)).encode("utf-8")
                     for new in edited}
        except TemplateProblem:
            return {}
        old = {rel: good.outputs[rel] for rel in pages if rel in good.outputs}
        if len(old) != len(pages):
            return {}
        sync(self.out, {**good.outputs, **pages}, good.outputs)
        good.outputs.update(pages)  # what is on disk now: the full rebuild compares against it
        self.fast_pages += len(pages)
        if self.on_pages is not None:
            self.on_pages()
        return old

    def _environment(self, inputs: tuple[Any, Any]) -> Any:
        """The layouts' Jinja2 environment, kept while config.yaml and layouts/ keep their
        stamps (compiling the templates again took ~150 ms of every 4,000-entry rebuild)."""
        if self._env is None or self._env[0] != inputs:
            self._env = (inputs, make_environment(self.root))
        return self._env[1]

    def _new_files(self) -> bool:
        """Whether a content folder holds a file the last run did not load (a new file)."""
        known = self.memo.entries
        for kind in schema.KINDS.values():
            try:
                with os.scandir(self.root / CONTENT_DIR / kind.folder) as it:
                    if any(not item.name.startswith(".") and f"{CONTENT_DIR}/{kind.folder}/{item.name}" not in known
                           for item in it):
                        return True
            except FileNotFoundError:
                continue
            except OSError:
                return True
        return False

    def _preview_tools(self, good: _Good) -> tuple[Any, Renderer, Any]:
        """The last good site's lookup, a renderer with what every page reads of the whole
        site computed (the story's order and colours, the menu: ~60 ms at 4,000 entries),
        and a Markdown parser, for the preview."""
        if self._tools is None or self._tools[0] is not good:
            site = good.site
            renderer = Renderer(site, self._environment(good.inputs))
            renderer.warm()
            self._tools = (good, build_lookup(site.project), renderer,
                           make_markdown(trust_html=bool(site.config.trust_html), labels=parse_labels(site.project)))
        return self._tools[1], self._tools[2], self._tools[3]

    def _undo(self, previewed: dict[str, bytes]) -> None:
        """The rebuild failed after the preview wrote pages: put the last good bytes back."""
        if previewed and self.good is not None:
            sync(self.out, {**self.good.outputs, **previewed}, self.good.outputs)
            self.good.outputs.update(previewed)


def _has_error(problems: list[Problem]) -> bool:
    """Whether a file's problems stop a build. Warnings do not (a draft has many uncited
    paragraphs): the page is what the full rebuild will write, and it reports them."""
    return any(p.severity is Severity.ERROR for p in problems)


def _with_updated(new: Entry, shown: Entry) -> Entry:
    """The new entry with the `updated` date the last build gave it from git."""
    from dataclasses import replace

    return replace(new, meta={**new.meta, "updated": shown.meta["updated"]})


__all__ = ["Engine", "MemoryMemo", "Outcome"]
