"""The pipeline, top to bottom: load → validate → resolve → render → write.

`analyse` runs the first three stages and returns the resolved `SiteData` with every
problem recorded (that is all `check` needs); `render_site` renders every file of the
one list (`render.site_files`) into a sink (a build's output folder, or the dev
server's memory). Every stage records problems instead of raising, so one run reports
all of them.

Speed is a way of running this pipeline, not a copy of it. Two objects passed in decide
how it runs: a `Memo` (what earlier runs computed: nothing for a cold build, a folder on
disk for the warm build, memory for the dev server) and an `Executor` (one process, or
forked workers). Whatever they are, the same stage functions run with the same inputs,
and a memoised result is reused only under one rule: its key is a digest of exactly what
the stage read —

* a body: its file, its options and the code, plus every lookup the parse made of
  other entries (recorded as it happened: the whole `Target` seen, or that an id was
  missing, or that it scanned every id for a suggestion); the body is reused only if
  every such lookup gives the same answer now;
* a page: its template, its place and its whole context, with the layouts and the code;
* a page's share card: what it shows (`render.cards.Card`), the fonts and the code;
* an entry in the search index: every value its row and terms are made from (URL, kind,
  title, date, summary, search fields and body), with the code.
"""

from __future__ import annotations

import hashlib
import io
import pickle
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any, Protocol, TypeVar

import jinja2

from . import schema
from .diagnostics import Problem, Problems
from .load import read_config, read_document, walk
from .load.bibliography import read_bibliographies
from .load.ids import id_problem
from .model import Body, Entry, Indexed, Lookup, Page, Project, SiteData, Target
from .render import Renderer, make_environment, site_files
from .render.cards import Card, card_file, card_key
from .render.cards import draw as draw_card
from .render.pages import View
from .resolve import apply_git_dates, build_lookup, check_front_matter_refs, link, make_markdown, parse_body, root_for
from .validate import assemble, validate_config, validate_entry
from .validate.bibliography import record_entries
from .write.stamps import code_digest

T = TypeVar("T")
R = TypeVar("R")


# --- how the pipeline is run --------------------------------------------------------------------

class Memo:
    """What earlier runs computed. This base remembers nothing: every stage runs (a cold build).

    `serve.engine.MemoryMemo` keeps results in memory (the dev server), `cache.disk.DiskMemo` on disk (the warm build).
    """

    keeps_pages = False
    """Whether `page` can ever answer: computing a page's key costs a pickling of its context."""
    keeps_index = False
    """Whether `indexed` can ever answer (the search index then computes every entry's key)."""

    def entry(self, root: Path, rel: str, kind: schema.Kind, overrides: dict[str, Any],
              load: Callable[[], tuple[Entry | None, list[Problem]]]) -> tuple[Entry | None, list[Problem]]:
        """A loaded and validated entry file: `load()` unless the file is known unchanged."""
        return load()

    def body(self, key: str, valid: Callable[[dict[str, str]], bool]) -> tuple[Body, list[Problem]] | None:
        """A parsed body stored under `key` whose recorded lookups `valid` accepts, or None."""
        return None

    def keep_body(self, key: str, body: Body, problems: list[Problem], reads: dict[str, str]) -> None:
        """Remember a parsed body, its problems and the lookups it made."""

    def page(self, key: str) -> bytes | None:
        """The bytes of a page rendered under `key`, or None."""
        return None

    def keep_page(self, key: str, data: bytes) -> str:
        """Remember a rendered page (may run in a worker); returns what `used_pages` needs."""
        return key

    def used_pages(self, records: Iterable[str]) -> None:
        """In the main process: the pages this run used or kept (the rest may be forgotten)."""

    def card(self, key: str) -> bytes | None:
        """The PNG of a share card drawn under `key` (`render.cards.card_key`), or None."""
        return None

    def keep_card(self, key: str, data: bytes) -> str:
        """Remember a drawn card (may run in a worker); returns what `used_pages` needs."""
        return key

    def indexed(self, key: str) -> Indexed | None:
        """An entry as the search index holds it, made under `key` (`render.search.index_key`), or None."""
        return None

    def keep_indexed(self, kept: dict[str, Indexed]) -> None:
        """Every entry the search index used, by key (runs where the index is made: maybe a worker)."""


class Executor:
    """Runs a stage's function over many inputs. This base runs them in this process, in order."""

    def map(self, fn: Callable[[T], R], items: Sequence[T], weight: int | None = None) -> list[R]:
        """`fn` of every item, in order; `weight`: how many entries the items stand for."""
        return [fn(item) for item in items]


NO_MEMO = Memo()
SERIAL = Executor()


def layouts_digest(root: Path) -> str:
    """Hash of the project's own `layouts/` (the package's are in `code_digest`)."""
    h = hashlib.sha256()
    base = root / "layouts"
    if base.is_dir():
        for path in sorted(base.rglob("*")):
            if path.is_file():
                h.update(path.relative_to(base).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


# --- load and validate --------------------------------------------------------------------------

def load_entry(root: Path, rel: str, kind: schema.Kind,
               overrides: dict[str, Any]) -> tuple[Entry | None, list[Problem]]:
    """Stages 1 and 2 for one file: read and parse it, then validate its front matter."""
    own = Problems(overrides, limit=None)
    document = read_document(root, rel, kind, own)
    entry = validate_entry(document, own) if document is not None else None
    return entry, own.items


def load_project(root: Path, problems: Problems, memo: Memo = NO_MEMO, executor: Executor = SERIAL) -> Project:
    """Config and every entry, loaded and validated (each file on its own: `executor` may
    spread them over workers); the project assembled (ids unique, menu known)."""
    config = validate_config(read_config(root, problems), problems, root)  # its `problems:` apply from here
    overrides = dict(problems.overrides)
    imported = record_entries(read_bibliographies(root, config, problems), problems)
    companions = {f"content/{schema.KINDS[schema.BIBLIOGRAPHY_KIND].folder}/{e.slug}.md" for e in imported}
    entries: list[Entry] = []
    unreadable: dict[str, str] = {}
    files = walk(root, problems) or []

    def load(item: tuple[str, schema.Kind]) -> tuple[Entry | None, list[Problem]]:
        rel, kind = item
        return memo.entry(root, rel, kind, overrides, partial(load_entry, root, rel, kind, overrides))

    for (rel, kind), (entry, found) in zip(files, executor.map(load, files), strict=True):
        if rel in companions:  # a record's companion: the record gives the required keys
            found = [p for p in found if p.code != "key-missing"]
        problems.extend(found)
        if entry is not None:
            entries.append(entry)
        elif kind is not schema.HOME and id_problem(Path(rel).stem) is None:
            unreadable[rel] = Path(rel).stem
    return assemble(root, config, entries, unreadable, problems, imported)


# --- resolve: bodies, with the lookups they make recorded ---------------------------------------

class _Recording(dict):  # type: ignore[type-arg]
    """A dict that records which keys were asked for, and whether all of them were looked at."""

    def __init__(self, data: dict[str, Any], name: str, reads: set[str]) -> None:
        super().__init__(data)
        self._name, self._reads = name, reads

    def get(self, key: Any, default: Any = None) -> Any:
        self._reads.add(f"{self._name}:{key}")
        return super().get(key, default)

    def __getitem__(self, key: Any) -> Any:
        self._reads.add(f"{self._name}:{key}")
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self._reads.add(f"{self._name}:{key}")
        return super().__contains__(key)

    def __iter__(self) -> Iterator[Any]:
        self._reads.add(f"{self._name}*")
        return super().__iter__()

    def keys(self) -> Any:
        self._reads.add(f"{self._name}*")
        return super().keys()

    def values(self) -> Any:
        self._reads.add(f"{self._name}*")
        return super().values()

    def items(self) -> Any:
        self._reads.add(f"{self._name}*")
        return super().items()

    def __len__(self) -> int:
        self._reads.add(f"{self._name}*")
        return super().__len__()


class LookupDigests:
    """What each possible lookup of a body answers in this build, as a short digest (cached)."""

    def __init__(self, lookup: Lookup) -> None:
        self.lookup = lookup
        self._known: dict[str, str] = {}

    def __call__(self, read: str) -> str:
        found = self._known.get(read)
        if found is None:
            found = self._known[read] = _digest(self._answer(read))
        return found

    def _answer(self, read: str) -> str:
        table_name, sep, key = read.partition(":")
        if not sep:  # "by_id*": every key of the table was looked at
            table = getattr(self.lookup, read[:-1])
            return repr(sorted(table.items()))
        table = getattr(self.lookup, table_name)
        return repr(table.get(key, None)) + ("" if key in table else "\0missing")

    def valid(self, reads: dict[str, str]) -> bool:
        """Whether every recorded lookup still gives the recorded answer."""
        return all(self(read) == digest for read, digest in reads.items())


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def parse_options(trust_html: bool, overrides: dict[str, Any]) -> str:
    """What besides the file and its lookups changes a parse: trusted HTML, problem severities."""
    return f"trust_html={trust_html};overrides={sorted((k, int(v)) for k, v in overrides.items())!r}"


def body_key(options: str, entry: Entry) -> str:
    """Everything a body's parse reads besides the entries it looks up."""
    text = "\0".join((code_digest(), options, entry.path, entry.kind, entry.digest, str(entry.body_line),
                      root_for(entry)))
    return _digest(text)


def parse_bodies(project: Project, lookup: Lookup, problems: Problems, memo: Memo = NO_MEMO,
                 executor: Executor = SERIAL) -> dict[str, Body]:
    """Every body parsed once (or reused under the one rule); problems merged in document order."""
    trust = bool(project.config.trust_html)
    overrides = dict(problems.overrides)
    options = parse_options(trust, overrides)
    digests = LookupDigests(lookup)
    docs: list[Entry] = project.all_documents
    keys = {doc.id: body_key(options, doc) for doc in docs}
    done: dict[str, tuple[Body, list[Problem]]] = {}
    todo: list[Entry] = []
    for doc in docs:
        hit = memo.body(keys[doc.id], digests.valid)
        if hit is not None:
            done[doc.id] = hit
        else:
            todo.append(doc)
    md = make_markdown(trust_html=trust) if todo else None

    def parse(doc: Entry) -> tuple[Body, list[Problem], list[str]]:
        reads: set[str] = set()
        recording = Lookup(_Recording(lookup.by_id, "by_id", reads), _Recording(lookup.by_path, "by_path", reads),
                           _Recording(lookup.unreadable, "unreadable", reads), _Recording(lookup.names, "names", reads))
        body, found = parse_body(md, doc, recording, overrides)
        return body, found, sorted(reads)

    for doc, (body, found, reads) in zip(todo, executor.map(parse, todo), strict=True):
        memo.keep_body(keys[doc.id], body, found, {read: digests(read) for read in reads})
        done[doc.id] = (body, found)
    bodies: dict[str, Body] = {}
    for doc in docs:
        body, found = done[doc.id]
        problems.extend(found)
        bodies[doc.id] = body
    return bodies


def analyse(root: Path, problems: Problems, memo: Memo = NO_MEMO, executor: Executor = SERIAL) -> SiteData:
    """Stages 1-3: everything `check` does; problems go to `problems`."""
    project = load_project(root, problems, memo, executor)
    apply_git_dates(project)  # `updated` from the last commit where front matter has none
    check_front_matter_refs(project, problems)
    lookup = build_lookup(project)
    bodies = parse_bodies(project, lookup, problems, memo, executor)
    return link(project, bodies, problems)


# --- render and write ---------------------------------------------------------------------------

class Sink(Protocol):
    """Where rendered files go: a build's output folder (`write.OutputDir`) or the dev server's memory."""

    def write(self, rel: str, data: bytes) -> None: ...


def _view_digest(digest: bytes) -> None:
    """Stands for a view in the bytes `page_key` hashes (never called: nothing is unpickled)."""


class _KeyPickler(pickle.Pickler):
    """Pickles a context in "fast" mode, without pickle's memo: a value met twice is written
    twice, so the bytes depend on the values alone. (With the memo they depended on which
    equal values happened to be one object — a view cached by one worker, built afresh by
    another — and a build with another number of workers missed every page.)

    A `View` is written as the SHA-256 of its own pickled value, computed once per view
    object (`views`): an entry page names dozens of other entries, and pickling each of
    them again on every page was most of the key's cost."""

    def __init__(self, buffer: io.BytesIO, views: dict[int, tuple[View, bytes]]) -> None:
        super().__init__(buffer, protocol=5)
        self.fast = True  # hashed only: nothing is ever unpickled
        self.views = views

    def reducer_override(self, obj: Any) -> Any:
        if type(obj) is not View:
            return NotImplemented
        known = self.views.get(id(obj))
        if known is None:
            inner = io.BytesIO()
            _KeyPickler(inner, self.views).dump(obj.__dict__)
            known = self.views[id(obj)] = (obj, hashlib.sha256(inner.getbuffer()).digest())  # obj: its id stays its own
        return _view_digest, (known[1],)


def page_key(salt: str, page: Page, views: dict[int, tuple[View, bytes]] | None = None) -> str | None:
    """Digest of a page's template, place and whole context; None if the context cannot be pickled.

    `views`: the digests of views met so far in this render (see `_KeyPickler`)."""
    buffer = io.BytesIO()
    try:
        _KeyPickler(buffer, {} if views is None else views).dump(page.context)
    except Exception:
        return None
    h = hashlib.sha256(f"{salt}\0{page.template}\0{page.out}\0".encode())
    h.update(buffer.getbuffer())
    return h.hexdigest()


def render_site(site: SiteData, sink: Sink, memo: Memo = NO_MEMO, executor: Executor = SERIAL,
                site_wide: bool = True, env: jinja2.Environment | None = None) -> list[str]:
    """Stage 4 into stage 5: every file of `render.site_files` into `sink`; returns their paths in
    build order. `site_wide=False` leaves out the site-wide files (see `render_site_wide`)."""
    root = site.project.root
    renderer = Renderer(site, env or make_environment(root), memo if memo.keeps_index else None)
    renderer.prepare(lambda fn, items: executor.map(fn, items, weight=len(site.project.entries)))  # citation style
    files = site_files(site, renderer)
    salt = f"{code_digest()}\0{layouts_digest(root)}" if memo.keeps_pages else ""
    views: dict[int, tuple[View, bytes]] = {}  # each process's own (a forked worker starts with a copy)
    chunk = 64

    def put_page(page: Page) -> list[tuple[str, str | None]]:
        key = page_key(salt, page, views) if memo.keeps_pages else None
        data = memo.page(key) if key is not None else None
        if data is None:
            data = renderer.render(page).encode("utf-8")
            record = memo.keep_page(key, data) if key is not None else None
        else:
            record = key
        sink.write(page.out, data)
        card = page.context.get("card")
        return [(page.out, record)] + ([put_card(page.out, card)] if isinstance(card, Card) else [])

    def put_card(out: str, card: Card) -> tuple[str, str | None]:
        """The page's share card, drawn only if the memo has none that shows the same."""
        key = card_key(salt, card) if memo.keeps_pages else None
        data = memo.card(key) if key is not None else None
        if data is None:
            data = draw_card(card)
            record = memo.keep_card(key, data) if key is not None else None
        else:
            record = key
        rel = card_file(out)
        sink.write(rel, data)
        return rel, record

    def task(job: tuple[str, int]) -> list[tuple[str, str | None]]:
        what, n = job
        if what == "entries":
            return [done for doc in files.entries[n:n + chunk] for done in put_page(renderer.entry_page(doc))]
        if what == "site-wide":
            return [_put(sink, rel, data) for rel, data in files.site_wide[n](site, renderer)]
        done = [item for page in files.index_pages() for item in put_page(page)]
        return done + [_put(sink, rel, path.read_bytes()) for rel, path in files.assets]

    jobs = [("site-wide", i) for i in range(len(files.site_wide))] if site_wide else []
    jobs += [("entries", n) for n in range(0, len(files.entries), chunk)] + [("rest", 0)]
    results = executor.map(task, jobs, weight=len(files.entries))
    order = {"entries": 0, "rest": 1, "site-wide": 2}  # the order a reader of the list expects
    written: list[str] = []
    records: list[str] = []
    for _, part in sorted(zip(jobs, results, strict=True), key=lambda jr: (order[jr[0][0]], jr[0][1])):
        for rel, record in part:
            written.append(rel)
            if record is not None:
                records.append(record)
    memo.used_pages(records)
    return written


def render_site_wide(site: SiteData, sink: Sink, interrupted: Callable[[], bool] | None = None,
                     env: jinja2.Environment | None = None) -> list[str] | None:
    """Only the site-wide files, one after another; None if `interrupted()` said stop between two."""
    renderer = Renderer(site, env or make_environment(site.project.root))
    written: list[str] = []
    for make in site_files(site, renderer).site_wide:
        if interrupted is not None and interrupted():
            return None
        written += [_put(sink, rel, data)[0] for rel, data in make(site, renderer)]
    return written


def _put(sink: Sink, rel: str, data: str | bytes) -> tuple[str, None]:
    sink.write(rel, data.encode("utf-8") if isinstance(data, str) else data)
    return rel, None


__all__ = ["Executor", "LookupDigests", "Memo", "NO_MEMO", "SERIAL", "Sink", "Target", "analyse", "code_digest",
           "layouts_digest", "load_project", "parse_bodies", "render_site", "render_site_wide"]
