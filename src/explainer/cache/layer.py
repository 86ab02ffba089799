"""The one cache layer: how a build runs the pipeline's repeated steps, and which results it reuses.

`pipeline.build_site` runs the stages in order; three of them repeat one function over
many inputs, and it runs those through a `Layer`:

* `load_entries`: every entry file read and validated (`validate.load_entry`);
* `parse_bodies`: every body parsed (`resolve.parse_body`);
* `render`: every page, share card and site-wide file rendered (`render.Renderer`,
  `render.cards.draw`, `render.SITE_WIDE`) into the build's sink.

A layer is two parts. Its `Memo` is what earlier runs computed: nothing for a cold build
(`NO_MEMO`), `.explainer-cache/` for the warm build (`cache.disk.DiskMemo`), memory for
the dev server (`serve.engine.MemoryMemo`). Its `Executor` is where the work runs: here,
in order (`SERIAL`), or in forked workers (`workers.ForkedExecutor`). Whatever they are,
the same stage functions run with the same inputs, and a result is reused only if what
it read answers the same now:

* an entry file: its text (with its path, kind and the problem severities), which is
  all `validate.load_entry` reads;
* a body: the fields of its entry that `resolve.parse_body` declares (`inputs.reads`),
  its options and the code, plus every lookup the parse made of other entries (recorded
  as it happened: the whole `Target` seen, or that an id was missing, or that it scanned
  every id for a suggestion), each of which must give the same answer now;
* a page: every part of the site its context read (`cache.reads`: each entry's front
  matter, body and referrers it looked at, the story's order and colour key, the menu…),
  each of which must answer the same now, with the layouts, the config and the code;
* a page's share card: what it shows (`render.cards.Card`), the fonts and the code;
* an entry in the search index: the argument of `render.search.index_entry`; the index's
  postings: the last index's, with the entries not at their numbers any more taken out
  and put in (`render.search.patched_postings`).

Keys are digests of content, never file stamps (only the dev server's memo, which lives
as long as the files it watches, trusts a stamp to skip reading an unchanged file).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from functools import partial
from pathlib import Path
from typing import Any, Protocol, TypeVar

from .. import schema
from ..diagnostics import Problem
from ..inputs import declared_values
from ..model import Body, Entry, Indexed, Lookup, Page, SiteData
from ..render import Renderer, site_files
from ..render.cards import Card, card_file, card_key
from ..render.cards import draw as draw_card
from ..render.search import (
    Postings,
    doc_files,
    index_entry,
    index_files,
    index_inputs,
    index_key,
    index_order,
    patched_postings,
    search_index_output,
)
from ..resolve import make_markdown, parse_body
from ..validate import load_entry
from ..write.stamps import code_digest
from .reads import Answers, Recorder, Watched, WatchedRenderer, config_digest

T = TypeVar("T")
R = TypeVar("R")

PageRecord = dict[str, Any]
"""What the memo keeps of a rendered page: `salt` (code, layouts, config), `reads` (the
keys its context read, `cache.reads`, sorted), `html` (the SHA-256 of its bytes), `card`
and `png` (its share card's key and the SHA-256 of its PNG, or ""). What each key
answered is kept once for all pages (`Memo.answered`)."""


class Sink(Protocol):
    """Where rendered files go: a build's output folder (`write.OutputDir`) or memory."""

    def write(self, rel: str, data: bytes) -> None: ...


# --- the two parts of a layer -------------------------------------------------------------------

class Memo:
    """What earlier runs computed. This base remembers nothing: every step runs (a cold build)."""

    keeps_pages = False
    """Whether `page` can ever answer (pages are then rendered with their reads recorded)."""
    keeps_index = False
    """Whether `indexed` can ever answer (the search index then computes every entry's key)."""

    def entry(self, root: Path, rel: str, kind: schema.Kind,
              overrides: dict[str, Any]) -> tuple[Entry | None, list[Problem]] | None:
        """The loaded and validated entry file `rel` if the memo knows what its file holds
        now gives (in the main process, before any file is loaded), or None."""
        return None

    def keep_entry(self, root: Path, rel: str, kind: schema.Kind, overrides: dict[str, Any],
                   loaded: tuple[Entry | None, list[Problem]]) -> tuple[Entry | None, list[Problem]]:
        """Remember what loading `rel` gave, for a file `entry` was asked about first (in the
        main process); returns the result to use (an equal one the memo already holds)."""
        return loaded

    def body(self, key: str, valid: Callable[[dict[str, str]], bool]) -> tuple[Body, list[Problem]] | None:
        """A parsed body stored under `key` whose recorded lookups `valid` accepts, or None."""
        return None

    def keep_body(self, key: str, body: Body, problems: list[Problem], reads: dict[str, str]) -> None:
        """Remember a parsed body, its problems and the lookups it made."""

    def page(self, out: str) -> PageRecord | None:
        """The record of the page last rendered at `out` (what it read, its bytes' digest), or None."""
        return None

    def answered(self) -> dict[str, str]:
        """What each key the kept pages read answered when they were kept (`used_pages`)."""
        return {}

    def page_bytes(self, record: PageRecord) -> bytes | None:
        """The bytes of the page a record describes, or None."""
        return None

    def keep_page(self, out: str, record: PageRecord, data: bytes) -> PageRecord:
        """Remember a rendered page (may run in a worker); returns its record, which `used_pages` gets."""
        return record

    def used_pages(self, records: Iterable[tuple[str, PageRecord]], answered: dict[str, str]) -> None:
        """In the main process: the pages this run used or kept, by file (the rest may be
        forgotten), and what each key they read answers now."""

    def carried_answers(self) -> dict[str, tuple[object, str]] | None:
        """Where answers about unchanged objects are kept from one run to the next (`cache.reads.Answers`)."""
        return None

    def card(self, key: str) -> bytes | None:
        """The PNG of a share card drawn under `key` (`render.cards.card_key`), or None."""
        return None

    def keep_card(self, key: str, data: bytes) -> str:
        """Remember a drawn card (may run in a worker); returns the digest of its bytes."""
        return ""

    def indexed(self, key: str, edition: str = "") -> Indexed | None:
        """An entry as the search index holds it, made under `key` (`render.search.index_key`), or
        None; `edition`: the language code of an edition's own index ('' for the site's)."""
        return None

    def keep_indexed(self, kept: dict[str, Indexed], edition: str = "") -> None:
        """Every entry the search index used, by key (runs where the index is made: maybe a worker)."""

    def indexed_before(self, key: str, edition: str = "") -> Indexed | None:
        """An entry of the last search index, by key (`indexed`, for what was there before)."""
        return self.indexed(key, edition)

    def postings(self, edition: str = "") -> tuple[list[str], dict[str, bytes]] | None:
        """The last search index: its entries' keys by number, and every term's postings
        (`render.search.Postings.lists`); None if unknown."""
        return None

    def keep_postings(self, keys: list[str], lists: dict[str, bytes], edition: str = "") -> None:
        """Remember the search index made (where it is made: maybe a worker)."""


class Executor:
    """Runs a step's function over many inputs. This base runs them in this process, in order."""

    def map(self, fn: Callable[[T], R], items: Sequence[T], weight: int | None = None) -> list[R]:
        """`fn` of every item, in order; `weight`: how many entries the items stand for."""
        return [fn(item) for item in items]


NO_MEMO = Memo()
SERIAL = Executor()


class Layer:
    """How a build runs the pipeline's repeated steps: what it reuses (`memo`) and where it
    runs them (`executor`). `PLAIN` reuses nothing and runs everything here, in order."""

    def __init__(self, memo: Memo = NO_MEMO, executor: Executor = SERIAL,
                 analysing: Callable[[], AbstractContextManager[None]] = nullcontext,
                 drop_markdown: bool = False) -> None:
        self.memo = memo
        self.executor = executor
        self.analysing = analysing
        """A context the first three stages run in (`build.collector_paused` for a build)."""
        self.drop_markdown = drop_markdown
        """Forget each document's Markdown once every body is parsed (a build: at 10,000
        entries it is 44 MB nothing reads again; the dev server keeps it)."""

    # --- stages 1 and 2: entry files ------------------------------------------------------------

    def load_entries(self, root: Path, files: Sequence[tuple[str, schema.Kind]],
                     overrides: dict[str, Any]) -> list[tuple[Entry | None, list[Problem]]]:
        """`validate.load_entry` of every file (reused when the memo knows what the file holds)."""
        memo = self.memo
        done = [memo.entry(root, rel, kind, overrides) for rel, kind in files]
        todo = [i for i, hit in enumerate(done) if hit is None]

        def load(i: int) -> tuple[Entry | None, list[Problem]]:
            return load_entry(root, *files[i], overrides)

        for i, loaded in zip(todo, self.executor.map(load, todo, weight=len(files)), strict=True):
            done[i] = memo.keep_entry(root, *files[i], overrides, loaded)
        return [hit for hit in done if hit is not None]

    # --- stage 3: bodies, with the lookups they make recorded ----------------------------------

    def parse_bodies(self, docs: Sequence[Entry], lookup: Lookup, trust_html: bool,
                     overrides: dict[str, Any], labels: Mapping[str, str] | None = None
                     ) -> list[tuple[Body, list[Problem]]]:
        """`resolve.parse_body` of every document, in order (each reused under the one rule);
        `labels`: the interface words a body's HTML holds (`resolve.markup.BODY_LABELS`)."""
        options = parse_options(trust_html, overrides, labels)
        digests = LookupDigests(lookup)
        keys = [body_key(options, doc) for doc in docs]
        done: list[tuple[Body, list[Problem]] | None] = [self.memo.body(key, digests.valid) for key in keys]
        todo = [i for i, hit in enumerate(done) if hit is None]
        md = make_markdown(trust_html=trust_html, labels=labels) if todo else None

        def parse(i: int) -> tuple[Body, list[Problem], list[str]]:
            reads: set[str] = set()
            recording = Lookup(*(Watched(getattr(lookup, name), f"{name}:", f"{name}*", reads.add)
                                 for name in LOOKUP_TABLES))
            body, found = parse_body(md, docs[i], recording, overrides)
            return body, found, sorted(reads)

        for i, (body, found, reads) in zip(todo, self.executor.map(parse, todo), strict=True):
            self.memo.keep_body(keys[i], body, found, {read: digests(read) for read in reads})
            done[i] = (body, found)
        if self.drop_markdown:
            for doc in docs:
                doc.body = ""
        return [hit for hit in done if hit is not None]

    # --- stages 4 and 5: every file of the site into the sink ----------------------------------

    def render(self, site: SiteData, renderer: Renderer, sink: Sink, site_wide: bool = True) -> list[str]:
        """Every file of `render.site_files` into `sink`; returns their paths in build order.
        `site_wide=False` leaves out the site-wide files (the dev server may defer them).

        With a memo that keeps pages, each page is rendered through a watched copy of the
        site (`cache.reads`) that records what its context read; a page whose every read
        answers the same now is taken from the memo without building its context. The keys
        whose answer changed since the memo kept its pages are found once, before any page
        (`Memo.answered`); a page that read none of them is clean, and the sink links its
        last file when it can (`write.OutputDir.reuse`) instead of being given its bytes."""
        memo, executor = self.memo, self.executor
        prefix = site.project.config.edition_path  # an edition in another language lives under CODE/
        if prefix:
            sink = _Prefixed(sink, prefix)
        recorder = Recorder()
        if memo.keeps_pages:
            renderer = WatchedRenderer(site, renderer.env, recorder, renderer.lang)
        renderer.prepare(lambda fn, items: executor.map(fn, items, weight=len(site.project.entries)))  # citation style
        answers = Answers(site, renderer, memo.carried_answers()) if isinstance(renderer, WatchedRenderer) else None
        files = site_files(renderer.site, renderer)
        salt = _digest("\0".join((code_digest(), layouts_digest(site.project.root), config_digest(site),
                                  str(renderer.extra_css)))) if answers is not None else ""
        chunk = 64

        # an edition's keys are kept as `CODE/KEY`: the same key answers otherwise in each language
        last = {k: v for k, v in memo.answered().items() if _in_edition(k, prefix)} if answers is not None else {}

        def answer(key: str) -> str:
            assert answers is not None
            return answers(key[len(prefix):])

        changed = _changed(answer, last) if answers is not None else set()
        known_key, unchanged = last.__contains__, changed.isdisjoint
        reuse = getattr(sink, "reuse", None)

        def put_page(out: str, make: Callable[[], Page]) -> list[tuple[str, PageRecord | None]]:
            if answers is None:
                page = make()
                sink.write(out, renderer.render(page).encode("utf-8"))
                card = page.context.get("card")
                if isinstance(card, Card):
                    sink.write(card_file(out), draw_card(card))
                    return [(out, None), (card_file(out), None)]
                return [(out, None)]
            known = memo.page(prefix + out)
            if (known is not None and known["salt"] == salt and unchanged(known["reads"])
                    and all(map(known_key, known["reads"]))):
                # every key the page read answers as when it was rendered: the same bytes
                if _kept(sink, reuse, out, known["html"], lambda: memo.page_bytes(known)) and (
                        not known["card"] or _kept(sink, reuse, card_file(out), known["png"],
                                                   lambda: memo.card(known["card"]))):
                    return [(out, known)] + ([(card_file(out), None)] if known["card"] else [])
            with recorder.recording() as reads:
                page = make()
                data = renderer.render(page).encode("utf-8")
            record: PageRecord = {"salt": salt, "reads": tuple(prefix + key for key in sorted(reads)), "card": "",
                                  "png": ""}
            sink.write(out, data)
            card = page.context.get("card")
            done: list[tuple[str, PageRecord | None]] = []
            if isinstance(card, Card):
                record["card"] = key = card_key(salt, card)
                png = memo.card(key)
                if png is None:
                    png = draw_card(card)
                    record["png"] = memo.keep_card(key, png)
                else:
                    record["png"] = hashlib.sha256(png).hexdigest()
                sink.write(card_file(out), png)
                done.append((card_file(out), None))
            return [(out, memo.keep_page(prefix + out, record, data))] + done

        def task(job: tuple[str, int]) -> list[tuple[str, PageRecord | None]]:
            what, n = job
            if what == "entries":
                return [done for doc in files.entries[n:n + chunk]
                        for done in put_page(doc.url_path + "index.html", partial(renderer.entry_page, doc))]
            if what == "site-wide":
                return [_put(sink, rel, data) for rel, data in self.site_wide_file(files.site_wide[n], site, renderer)]
            done = [item for out, make in renderer.index_page_makers() for item in put_page(out, make)]
            return done + [_put(sink, rel, path.read_bytes()) for rel, path in files.assets]

        jobs = [("site-wide", i) for i in range(len(files.site_wide))] if site_wide else []
        jobs += [("entries", n) for n in range(0, len(files.entries), chunk)] + [("rest", 0)]
        results = executor.map(task, jobs, weight=len(files.entries))
        order = {"entries": 0, "rest": 1, "site-wide": 2}  # the order a reader of the list expects
        written: list[str] = []
        records: list[tuple[str, PageRecord]] = []
        for _, part in sorted(zip(jobs, results, strict=True), key=lambda jr: (order[jr[0][0]], jr[0][1])):
            for rel, record in part:
                written.append(prefix + rel)
                if record is not None:
                    records.append((prefix + rel, record))
        if answers is not None:
            read: set[str] = set()
            for _, record in records:
                read.update(record["reads"])
            memo.used_pages(records, {key: answer(key) for key in read})
        return written

    def site_wide_file(self, make: Callable[[SiteData, Renderer], Iterable[tuple[str, str | bytes]]],
                       site: SiteData, renderer: Renderer) -> Iterable[tuple[str, str | bytes]]:
        """The files one maker of `render.SITE_WIDE` makes; the search index's entries are
        reused from the memo when it keeps them."""
        if make is search_index_output and self.memo.keeps_index:
            return self._search_files(site, renderer)
        return make(site, renderer)

    def _search_files(self, site: SiteData, renderer: Renderer) -> list[tuple[str, str | bytes]]:
        """`search_index_output`'s files, every entry reused by `index_key`, and the postings
        patched from the last index's when only a few entries changed (`patched_postings`):
        the last index's entries by number, their keys and postings, are the memo's."""
        memo = self.memo
        edition = site.project.config.edition_path.rstrip("/")  # each language has its own index
        keys: list[str] = []
        made: list[Indexed] = []
        kept: dict[str, Indexed] = {}
        for entry in index_order(site):
            inputs = index_inputs(site, entry, renderer)
            key = index_key(inputs)
            keys.append(key)
            made.append(kept.setdefault(key, memo.indexed(key, edition) or index_entry(inputs)))
        memo.keep_indexed(kept, edition)
        groups: list[int] = []
        files: list[tuple[str, str | bytes]] = list(doc_files(made, groups))
        lists = None
        last = memo.postings(edition)
        if last is not None and len(last[0]) == len(keys):
            changed = [n for n, (was, now) in enumerate(zip(last[0], keys, strict=True)) if was != now]
            if len(changed) <= max(PATCH_MOST, len(keys) // 20):
                before = [memo.indexed_before(last[0][n], edition) for n in changed]
                try:
                    lists = patched_postings(last[1], {n: (old, made[n]) for n, old in zip(changed, before, strict=True)
                                                       if old is not None}) if None not in before else None
                except ValueError:  # a posting that is not one: made afresh
                    lists = None
        if lists is None:
            index = Postings()
            for one in made:
                index.add(one)
            lists = index.lists()
        memo.keep_postings(keys, lists, edition)
        return files + list(index_files(lists, len(keys), groups))


PATCH_MOST = 64
"""The search index's postings are patched (`Layer._search_files`) when at most this many
entries, or a twentieth of them, are not what they were at their numbers; else made afresh."""


PLAIN = Layer()


class _Prefixed:
    """A sink that puts every file under a folder (an edition's `CODE/`), and links a kept
    file there when the sink it wraps can (`write.OutputDir.reuse`)."""

    def __init__(self, sink: Sink, prefix: str) -> None:
        self.sink, self.prefix = sink, prefix
        inner = getattr(sink, "reuse", None)
        if inner is not None:
            self.reuse = lambda rel, digest: inner(prefix + rel, digest)

    def write(self, rel: str, data: bytes, *digest: str) -> None:
        self.sink.write(self.prefix + rel, data, *digest)


def _in_edition(key: str, prefix: str) -> bool:
    """Whether a kept key belongs to the edition under `prefix` (its keys are `CODE/KEY`)."""
    return key.startswith(prefix) if prefix else _EDITION_KEY.match(key) is None


_EDITION_KEY = re.compile(r"[a-z0-9-]+/")


def _changed(answers: Callable[[str], str], last: dict[str, str]) -> set[str]:
    """The keys of `last` that answer otherwise now (a key this version does not know: changed)."""
    found = set()
    for key, was in last.items():
        try:
            if answers(key) != was:
                found.add(key)
        except KeyError:
            found.add(key)
    return found


def _kept(sink: Sink, reuse: Callable[[str, str], bool] | None, rel: str, digest: str,
          read: Callable[[], bytes | None]) -> bool:
    """Put a kept file whose bytes have the SHA-256 `digest` into the sink: the sink's copy
    of it if it has one (`write.OutputDir.reuse`: the file linked without reading it), else
    its bytes from the memo (which checked them against `digest`); False if neither has it."""
    if reuse is not None and reuse(rel, digest):
        return True
    data = read()
    if data is None:
        return False
    if reuse is not None:  # a sink that links: `write.OutputDir`, told the digest the memo checked
        sink.write(rel, data, digest)  # type: ignore[call-arg]
    else:
        sink.write(rel, data)
    return True


def _put(sink: Sink, rel: str, data: str | bytes) -> tuple[str, PageRecord | None]:
    sink.write(rel, data.encode("utf-8") if isinstance(data, str) else data)
    return rel, None


# --- keys ----------------------------------------------------------------------------------------

def layouts_digest(root: Path) -> str:
    """Hash of the project's own `layouts/` (the package's are in `code_digest`)."""
    h = hashlib.sha256()
    base = root / "layouts"
    if base.is_dir():
        for path in sorted(base.rglob("*")):
            if path.is_file():
                h.update(path.relative_to(base).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


LOOKUP_TABLES = ("by_id", "by_path", "unreadable", "names")
"""The tables of `model.Lookup`, in its order: a body's reads of them are recorded."""


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


def parse_options(trust_html: bool, overrides: dict[str, Any], labels: Mapping[str, str] | None = None) -> str:
    """What besides the entry and its lookups changes a parse: trusted HTML, problem severities,
    the interface words the HTML holds."""
    text = f"trust_html={trust_html};overrides={sorted((k, int(v)) for k, v in overrides.items())!r}"
    return text + (f";labels={sorted(labels.items())!r}" if labels is not None else "")


def body_key(options: str, entry: Entry) -> str:
    """Everything a body's parse reads besides the entries it looks up: the code, the options
    and the fields of the entry `resolve.parse_body` declares."""
    fields = declared_values(parse_body, entry)
    return _digest("\0".join((code_digest(), options, repr(fields))))


__all__ = ["Executor", "Layer", "LookupDigests", "Memo", "NO_MEMO", "PLAIN", "PageRecord", "SERIAL", "Sink",
           "body_key", "layouts_digest", "parse_options"]
