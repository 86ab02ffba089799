"""The warm build: the pipeline's memo kept on disk in `.explainer-cache/`, as plain data.

The folder is an input of the build like `content/`, so nothing in it is ever executed:
every file is JSON (or a page's HTML) and is read only after three checks. Each JSON
file starts with a header line naming the format and its version, the tool's code
digest, the project it belongs to and a seal under the user's cache key (`cachefile`);
a cached page is reused only if its bytes have the SHA-256 the (sealed) index recorded
for it. A file that fails a check (corrupt, truncated, altered, sealed with another key,
from another project or another version of the tool) is ignored with a one-line note,
and what it held is computed afresh.

* `entries/X.json`: what `validate.load_entry` gave for an entry file (its front matter,
  their positions, its problems; not its body, made again from the file), by the digest
  of the file's text with its path, kind and the problem severities, in sixteen parts;
* `bodies/X.json`: parsed bodies by `cache.layer.body_key`, with their problems and the
  lookups they made (the validity rule is the pipeline's, not this module's), in sixteen
  parts by the key's first digit (`cachefile.Table` rewrites only the changed ones);
* `pages.json`, `pages/SHA.html` and `pages/KEY.png`: every key the pages read, once,
  with the digest of what it answered; for each page of the site, the keys its context
  read (`cache.reads`, by number) and the SHA-256 of its bytes (the name of its file),
  and its share card by `render.cards.card_key` with the SHA-256 of its PNG;
* `search/X.json`: every entry as the search index holds it, by `render.search.index_key`,
  in parts too (read and written by whichever process makes the index: a forked worker);
* `postings.json`: the last search index, each entry's key by number and every term's
  postings, which the next index patches when few entries changed (`cache.layer`);
* `site.json`: the record of the last build (`cache.noop`).

`build` checks the folder first (`cachefile.unsafe_path`): a cache folder holding a
symlink, FIFO or device is not used at all, so nothing here reads or writes through one.

Entries not used by a build are dropped at its end, so the folder stays the size of a site.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from collections.abc import Callable, Iterable
from operator import itemgetter
from pathlib import Path
from typing import Any

from .. import schema
from ..dates import PartialDate
from ..diagnostics import Problem, Problems
from ..load.files import MAX_FILE_BYTES, body_of, decode_text
from ..model import Body, Cited, Dispute, Entry, Indexed, YamlDoc
from ..write.writer import atomic_write
from .files import (
    CACHE_DIR,
    CACHEDIR_TAG,
    Table,
    note,
    problem_from_json,
    problem_to_json,
    read_file,
    read_json,
    write_json,
)
from .layer import Memo, PageRecord
from .reads import entry_answer, file_answer

POSTINGS = "postings.json"


def _postings_file(edition: str) -> str:
    """The last search index's postings of the site ('') or of an edition (`postings-CODE.json`)."""
    return f"postings-{edition}.json" if edition else POSTINGS
"""The last search index's postings (`postings.json`), which a build with few changed entries patches."""
_POSTING = re.compile(r"[A-Za-z0-9_-]+ [A-Za-z0-9_-]+")
"""A term's postings as the index stores them: gaps, a space, weights (`render.search.encode_postings`)."""

PAGE_NAME = re.compile(r"^[0-9a-f]{64}\.(html|png)$")
"""A cached page's file name in `pages/` (the SHA-256 of its key): nothing else there is ours."""


# --- bodies as plain values ------------------------------------------------------------------------

def body_to_json(body: Body) -> dict[str, Any]:
    return {
        "html": base64.b64encode(body.packed).decode("ascii"),
        "cited": [[c.id, c.number, c.anchors, c.locators, c.inline] for c in body.cited],
        "disputes": [[d.anchor, d.question, d.positions, d.line] for d in body.disputes],
        "claims": [body.claims_total, body.claims_cited],
        "refs": [list(r) for r in body.refs],
    }


def body_from_json(v: dict[str, Any]) -> Body:
    return Body(
        base64.b64decode(v["html"]),
        [Cited(str(i), int(n), [str(a) for a in anchors], [str(x) for x in locators], bool(inline))
         for i, n, anchors, locators, inline in v["cited"]],
        [Dispute(str(a), str(q), [str(x) for x in positions], int(line)) for a, q, positions, line in v["disputes"]],
        int(v["claims"][0]), int(v["claims"][1]),
        [(str(t), str(how)) for t, how in v["refs"]],
    )


# --- loaded entries as plain values ---------------------------------------------------------------

def value_to_json(value: Any) -> Any:
    """A validated front-matter value (or a parsed YAML one) as JSON: text, numbers, true/false
    and null as they are; a list `["l", ...]`, a mapping `["m", [key, value], ...]`, a date
    `["d", year, month, day]`. Anything else raises TypeError (the entry is then not kept)."""
    kind = type(value)
    if value is None or kind in _SCALARS:
        return value
    if kind is list:
        return ["l", *map(value_to_json, value)]
    if kind is dict:
        if not all(type(k) is str for k in value):
            raise TypeError("a key that is not text")
        return ["m", *([k, value_to_json(v)] for k, v in value.items())]
    if kind is PartialDate:
        return ["d", value.year, value.month, value.day]
    raise TypeError(type(value).__name__)


_SCALARS = (str, bool, int, float)


def value_from_json(v: Any) -> Any:
    if type(v) is not list:
        if v is None or type(v) in _SCALARS:
            return v
        raise ValueError("not a value")
    tag = v[0]
    if tag == "l":
        return [value_from_json(x) for x in v[1:]]
    if tag == "m":
        return {str(k): value_from_json(x) for k, x in v[1:]}
    if tag == "d" and len(v) == 4 and all(type(x) is int for x in v[1:]):
        return PartialDate(v[1], v[2], v[3])
    raise ValueError("not a value")


def _positions_to_json(positions: dict[tuple[Any, ...], tuple[int, int]]) -> list[Any]:
    return [[list(path), line, col] for path, (line, col) in positions.items()]


def _positions_from_json(v: list[Any]) -> dict[tuple[Any, ...], tuple[int, int]]:
    found: dict[tuple[Any, ...], tuple[int, int]] = {}
    for path, line, col in v:
        if not all(isinstance(x, (str, int)) for x in path):
            raise ValueError("not a path")
        found[tuple(path)] = (int(line), int(col))
    return found


def entry_to_json(entry: Entry | None, problems: list[Problem]) -> dict[str, Any]:
    """What `validate.load_entry` gave for one file, but its body (made again from the file)."""
    found: dict[str, Any] = {"problems": [problem_to_json(p) for p in problems], "entry": None}
    if entry is not None:
        if entry.csl is not None:
            raise TypeError("a bibliography record")
        found["entry"] = [entry.id, entry.kind, entry.path, value_to_json(entry.meta), value_to_json(entry.doc.data),
                          _positions_to_json(entry.doc.value_pos), _positions_to_json(entry.doc.key_pos),
                          entry.body_line, entry.digest, entry.slug]
    return found


def entry_from_json(v: dict[str, Any], text: str) -> tuple[Entry | None, list[Problem]]:
    """`entry_to_json`'s record back, its body taken from the file's `text`."""
    problems = [problem_from_json(p) for p in v["problems"]]
    if v["entry"] is None:
        return None, problems
    id_, kind, path, meta, data, value_pos, key_pos, body_line, digest, slug = v["entry"]
    meta = value_from_json(meta)
    if not isinstance(meta, dict) or type(body_line) is not int or body_line < 1:
        raise ValueError("not an entry")
    doc = YamlDoc(value_from_json(data), _positions_from_json(value_pos), _positions_from_json(key_pos))
    return Entry(id=str(id_), kind=str(kind), path=str(path), meta=meta, doc=doc, body=body_of(text, body_line),
                 body_line=body_line, digest=str(digest), slug=str(slug)), problems


class DiskMemo(Memo):
    """One build's view of `.explainer-cache/`: what the last build left, and what this one keeps."""

    keeps_pages = True
    keeps_index = True

    def __init__(self, root: Path, note: Callable[[str], None] = note) -> None:
        self.root = root
        self.dir = root / CACHE_DIR
        self.pages_dir = self.dir / "pages"
        self.note = note
        self.hits = {"entries": 0, "bodies": 0, "pages": 0, "cards": 0, "index": 0}
        self._new_bodies: dict[str, Any] = {}
        self._records: dict[str, Any] = {}
        self._keys: list[str] = []
        """Every key the pages read, once: a record names its keys by their place here."""
        self._card_sums: dict[str, str] = {}
        self._used_pages: dict[str, PageRecord] = {}
        self._fresh_bodies: set[str] = set()
        self._bodies = Table(self.dir / "bodies", root, note)
        self._entries: Table | None = None  # read on the first lookup
        self._read_entries: dict[str, tuple[str, str]] = {}
        """Each entry file's key and text digest, as `entry` read it."""
        self._new_entries: dict[str, Any] = {}
        self._carried: dict[str, tuple[object, str]] = {}
        """What the keys of each reused entry answered when it was kept (`cache.reads.Answers`)."""
        self._fresh_entries: set[str] = set()
        self._indexes: dict[str, Table] = {}  # by edition, read on the first lookup where the index is made
        self._index_hits: dict[str, set[str]] = {}
        self._answered: dict[str, str] = {}
        self._used_answers: dict[str, str] = {}
        self._given: dict[str, tuple[PageRecord, dict[str, Any]]] = {}
        """What `page` gave for each file, with the record of pages.json it came from."""
        self._kept_as_read: dict[str, dict[str, Any]] = {}
        """The records of pages.json of the pages used as they were (their keys by number)."""
        found = read_json(self.dir / "pages.json", root, note)
        try:
            records, keys, answers = found["pages"], found["keys"], found["answers"]
            if (isinstance(records, dict) and isinstance(keys, list) and isinstance(answers, list)
                    and len(keys) == len(answers) == len(set(keys)) and all(isinstance(k, str) for k in keys)
                    and all(isinstance(a, str) for a in answers)):
                self._records, self._keys, self._answered = records, keys, dict(zip(keys, answers, strict=True))
                self._card_sums = {r["card"]: r["png"] for r in records.values() if isinstance(r, dict)
                                   and isinstance(r.get("card"), str) and isinstance(r.get("png"), str)
                                   and r["card"]}
        except (KeyError, TypeError):  # no file, or a checksum-valid file of another shape
            pass

    # --- entry files (in the main process: read to find their key, loaded only when unknown)

    def entry(self, root: Path, rel: str, kind: schema.Kind,
              overrides: dict[str, Any]) -> tuple[Entry | None, list[Problem]] | None:
        """By what the file holds: the digest of its bytes, with its path, kind and the
        problem severities (what `validate.load_entry` reads). Its body is made from the
        bytes read here, and the entry's `digest` (of its text) must be theirs."""
        if self._entries is None:
            self._entries = Table(self.dir / "entries", self.root, self.note)
        try:
            with open(f"{root}{os.sep}{rel}", "rb") as fh:
                data = fh.read(MAX_FILE_BYTES + 1)
        except OSError:
            return None
        text = decode_text(data, rel, Problems(), "") if len(data) <= MAX_FILE_BYTES else None
        if text is None:
            return None  # loading it reports why
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        key = hashlib.sha256("\0".join((rel, kind.name, repr(sorted((k, int(v)) for k, v in overrides.items())),
                                         digest)).encode("utf-8", "surrogatepass")).hexdigest()
        self._read_entries[rel] = (key, digest)
        record = self._entries.records.get(key)
        if record is None:
            return None
        try:
            found = entry_from_json(record, text)
        except (KeyError, TypeError, ValueError, AttributeError):  # a checksum-valid record of another shape
            return None
        entry = found[0]
        if entry is not None and entry.digest != digest:
            return None
        self._new_entries[key] = record
        self.hits["entries"] += 1
        answers = record.get("answers")
        if entry is not None and isinstance(answers, list) and len(answers) == 2 and all(
                isinstance(a, str) for a in answers):  # what its keys answered when it was kept
            self._carried["e:" + entry.id] = (entry, answers[0])
            self._carried["f:" + entry.id] = (entry, answers[1])
        return found

    def keep_entry(self, root: Path, rel: str, kind: schema.Kind, overrides: dict[str, Any],
                   loaded: tuple[Entry | None, list[Problem]]) -> tuple[Entry | None, list[Problem]]:
        """Kept only for an entry whose text is the one `entry` read (its digest says so: the
        file may have changed in between), under that text's key."""
        read = self._read_entries.get(rel)
        entry, problems = loaded
        if read is not None and entry is not None and entry.digest == read[1]:
            try:
                self._new_entries[read[0]] = {**entry_to_json(entry, problems),
                                              "answers": [entry_answer(entry), file_answer(entry)]}
                self._fresh_entries.add(read[0])
            except TypeError:  # a value the record cannot hold: loaded again next time
                pass
        return loaded

    # --- bodies -----------------------------------------------------------------------------------

    def body(self, key: str, valid: Callable[[dict[str, str]], bool]) -> tuple[Body, list[Problem]] | None:
        record = self._bodies.records.get(key)
        if record is None:
            return None
        try:
            reads = record["reads"]  # JSON's keys are strings; a value of another type never matches
            if not isinstance(reads, dict) or not valid(reads):
                return None
            found = body_from_json(record["body"]), [problem_from_json(p) for p in record["problems"]]
        except (KeyError, TypeError, ValueError, AttributeError):  # a checksum-valid file of another shape
            return None
        self._new_bodies[key] = record
        self.hits["bodies"] += 1
        return found

    def keep_body(self, key: str, body: Body, problems: list[Problem], reads: dict[str, str]) -> None:
        self._fresh_bodies.add(key)
        self._new_bodies[key] = {"body": body_to_json(body), "problems": [problem_to_json(p) for p in problems],
                                 "reads": reads}

    # --- pages (may run in forked workers: they read and write page files, the main process the record)

    def page(self, out: str) -> PageRecord | None:
        record = self._records.get(out)
        if not isinstance(record, dict) or not all(isinstance(record.get(k), str)
                                                   for k in ("salt", "html", "card", "png")):
            return None
        if record["card"] and self._card_sums.get(record["card"]) != record["png"]:
            return None  # its card is checked against the digest it gives (`card`): two that differ, neither
        reads = record.get("reads")
        try:  # numbers of keys: each an int in range (a bool, a float or a negative number is not)
            if not isinstance(reads, list) or (reads and (min(reads) < 0 or not all(map(_is_int, reads)))):
                return None
            keys = _pick(self._keys, reads)
        except (IndexError, TypeError):
            return None
        given = {**record, "reads": keys}
        self._given[out] = (given, record)
        return given

    def answered(self) -> dict[str, str]:
        return self._answered

    def carried_answers(self) -> dict[str, tuple[object, str]] | None:
        return self._carried

    def page_bytes(self, record: PageRecord) -> bytes | None:
        return self._read(record["html"], "html", record["html"], "pages", "rendering the page afresh")

    def keep_page(self, out: str, record: PageRecord, data: bytes) -> PageRecord:
        digest = hashlib.sha256(data).hexdigest()
        self._write(digest, "html", data)
        return {**record, "html": digest}

    def card(self, key: str) -> bytes | None:
        expected = self._card_sums.get(key)
        return self._read(key, "png", expected, "cards", "drawing the card afresh") if expected else None

    def keep_card(self, key: str, data: bytes) -> str:
        self._write(key, "png", data)
        return hashlib.sha256(data).hexdigest()

    def _read(self, name: str, suffix: str, expected: str, what: str, instead: str) -> bytes | None:
        """A kept page (`.html`, named by its digest) or share card (`.png`, by its key), if
        its bytes have the digest the (sealed) record gives."""
        if not PAGE_NAME.match(f"{name}.{suffix}"):
            return None
        try:
            data = read_file(self.pages_dir / f"{name}.{suffix}")  # no symlink, FIFO or device; bounded
        except OSError:
            return None
        if hashlib.sha256(data).hexdigest() != expected:
            self.note(f"{CACHE_DIR}/pages/{name}.{suffix} does not match its checksum; ignored, {instead}")
            return None
        self.hits[what] += 1
        return data

    def _write(self, name: str, suffix: str, data: bytes) -> None:
        path = self.pages_dir / f"{name}.{suffix}"
        try:
            if not path.is_file():
                atomic_write(path, data)
        except OSError:
            pass  # a cache that cannot be written only costs time

    def used_pages(self, records: Iterable[tuple[str, PageRecord]], answered: dict[str, str]) -> None:
        for out, record in records:
            given = self._given.get(out)
            self._used_pages[out] = record
            if given is not None and given[0] is record:  # reused as it was: its record in pages.json, as read
                self._kept_as_read[out] = given[1]
        self._used_answers.update(answered)

    # --- the search index's entries (wherever the index is made: its process reads and writes the file)

    def _index(self, edition: str) -> Table:
        """The search index's entries of the site ('') or of an edition (`search-CODE/`)."""
        found = self._indexes.get(edition)
        if found is None:
            found = self._indexes[edition] = Table(self.dir / ("search-" + edition if edition else "search"),
                                                   self.root, self.note)
        return found

    def indexed(self, key: str, edition: str = "") -> Indexed | None:
        found = self.indexed_before(key, edition)
        if found is not None:
            self._index_hits.setdefault(edition, set()).add(key)
            self.hits["index"] += 1
        return found

    def indexed_before(self, key: str, edition: str = "") -> Indexed | None:
        record = self._index(edition).records.get(key)
        if record is None:
            return None
        try:
            doc, terms, weights = record
            found = Indexed(str(doc), str(terms), base64.b64decode(weights))
        except (TypeError, ValueError):  # a checksum-valid file of another shape
            return None
        if (found.terms.count(" ") + 1 if found.terms else 0) != len(found.weights):
            return None
        return found

    def postings(self, edition: str = "") -> tuple[list[str], dict[str, bytes]] | None:
        found = read_json(self.dir / _postings_file(edition), self.root, self.note)
        try:
            keys, lists = found["keys"], found["lists"]
            if (isinstance(keys, list) and all(isinstance(k, str) for k in keys) and isinstance(lists, dict)
                    and all(isinstance(v, str) and _POSTING.fullmatch(v) for v in lists.values())):
                return keys, {str(t): v.encode("ascii") for t, v in lists.items()}
        except (KeyError, TypeError):  # no file, or a checksum-valid file of another shape
            pass
        return None

    def keep_postings(self, keys: list[str], lists: dict[str, bytes], edition: str = "") -> None:
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            write_json(self.dir / _postings_file(edition), self.root,
                       {"keys": keys, "lists": {t: v.decode("ascii") for t, v in lists.items()}})
        except OSError:
            pass  # a cache that cannot be written only costs time

    def keep_indexed(self, kept: dict[str, Indexed], edition: str = "") -> None:
        table = self._index(edition)
        hits, old = self._index_hits.get(edition, set()), table.records
        payload = {key: old[key] if key in hits else [made.doc, made.terms, base64.b64encode(made.weights).decode()]
                   for key, made in kept.items()}
        try:
            table.save(payload, set(kept) - hits)
        except OSError:
            pass  # a cache that cannot be written only costs time

    # --- end of build -----------------------------------------------------------------------------

    def _pages_json(self) -> dict[str, Any]:
        """pages.json for the pages this build used: when most keys of the last one are still
        read, its keys keep their numbers (new keys are added at the end) and the records of
        the pages used as they were are written as they were read; else numbered afresh."""
        kept = self._kept_as_read
        used: set[int] = set()
        for record in kept.values():
            used.update(record["reads"])
        if not self._keys or len(used) * 4 < len(self._keys) * 3:
            return _interned(self._used_pages, self._used_answers)
        numbers = {key: n for n, key in enumerate(self._keys)}
        answers = [self._used_answers.get(key, was) for key, was in zip(self._keys, self._answered.values(),
                                                                        strict=True)]
        pages: dict[str, Any] = {}
        for out, record in sorted(self._used_pages.items()):
            if out in kept:
                pages[out] = kept[out]
                continue
            reads = []
            for key in record["reads"]:
                n = numbers.get(key)
                if n is None:
                    n = numbers[key] = len(numbers)
                    answers.append(self._used_answers[key])
                reads.append(n)
            pages[out] = {**record, "reads": reads}
        return {"keys": list(numbers), "answers": answers, "pages": pages}

    def save(self) -> None:
        """Keep what this build used or made; drop the rest."""
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            if not (self.dir / "CACHEDIR.TAG").exists():
                atomic_write(self.dir / "CACHEDIR.TAG", CACHEDIR_TAG)
            self._bodies.save(self._new_bodies, self._fresh_bodies)
            if self._entries is not None:
                self._entries.save(self._new_entries, self._fresh_entries)
            write_json(self.dir / "pages.json", self.root, self._pages_json())
            (self.dir / "bodies.json").unlink(missing_ok=True)  # where an earlier version kept the bodies
            if self.pages_dir.is_dir():
                keep = {f"{r['html']}.html" for r in self._used_pages.values()}
                keep |= {f"{r['card']}.png" for r in self._used_pages.values() if r["card"]}
                with os.scandir(self.pages_dir) as it:
                    for item in it:
                        if PAGE_NAME.match(item.name) and item.name not in keep:
                            os.unlink(item.path)
        except OSError:
            pass


def _interned(records: dict[str, PageRecord], answered: dict[str, str]) -> dict[str, Any]:
    """pages.json: every key once (`keys`) with what it answered (`answers`), and each page's
    record naming its keys by number."""
    numbers: dict[str, int] = {}
    pages = {out: {**r, "reads": [numbers.setdefault(k, len(numbers)) for k in r["reads"]]}
             for out, r in sorted(records.items())}
    return {"keys": list(numbers), "answers": [answered[k] for k in numbers], "pages": pages}


def _is_int(value: object) -> bool:
    return type(value) is int


def _pick(keys: list[str], numbers: list[int]) -> tuple[str, ...]:
    """The keys at `numbers` (C-speed: a page reads ~90 keys, a site has thousands of pages)."""
    if not numbers:
        return ()
    found = itemgetter(*numbers)(keys)
    return found if len(numbers) > 1 else (found,)
