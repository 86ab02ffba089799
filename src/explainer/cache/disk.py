"""The warm build: the pipeline's memo kept on disk in `.explainer-cache/`, as plain data.

The folder is an input of the build like `content/`, so nothing in it is ever executed:
every file is JSON (or a page's HTML) and is read only after three checks. Each JSON
file starts with a header line naming the format and its version, the tool's code
digest, the project it belongs to and a seal under the user's cache key (`cachefile`);
a cached page is reused only if its bytes have the SHA-256 the (sealed) index recorded
for it. A file that fails a check (corrupt, truncated, altered, sealed with another key,
from another project or another version of the tool) is ignored with a one-line note,
and what it held is computed afresh.

* `bodies/X.json`: parsed bodies by `cache.layer.body_key`, with their problems and the
  lookups they made (the validity rule is the pipeline's, not this module's), in sixteen
  parts by the key's first digit (`cachefile.Table` rewrites only the changed ones);
* `pages.json`, `pages/SHA.html` and `pages/KEY.png`: for each page of the site, what
  its context read (`cache.reads`) and the SHA-256 of its bytes (the name of its file),
  and its share card by `render.cards.card_key` with the SHA-256 of its PNG;
* `search/X.json`: every entry as the search index holds it, by `render.search.index_key`,
  in parts too (read and written by whichever process makes the index: a forked worker);
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
from pathlib import Path
from typing import Any

from ..diagnostics import Problem
from ..model import Body, Cited, Dispute, Indexed
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


class DiskMemo(Memo):
    """One build's view of `.explainer-cache/`: what the last build left, and what this one keeps."""

    keeps_pages = True
    keeps_index = True

    def __init__(self, root: Path, note: Callable[[str], None] = note) -> None:
        self.root = root
        self.dir = root / CACHE_DIR
        self.pages_dir = self.dir / "pages"
        self.note = note
        self.hits = {"bodies": 0, "pages": 0, "cards": 0, "index": 0}
        self._new_bodies: dict[str, Any] = {}
        self._records: dict[str, Any] = {}
        self._keys: list[str] = []
        """Every key the pages read, once: a record names its keys by their place here."""
        self._card_sums: dict[str, str] = {}
        self._used_pages: dict[str, PageRecord] = {}
        self._fresh_bodies: set[str] = set()
        self._bodies = Table(self.dir / "bodies", root, note)
        self._index: Table | None = None  # read on the first lookup, in the process that makes the index
        self._index_hits: set[str] = set()
        found = read_json(self.dir / "pages.json", root, note)
        records = found.get("pages") if isinstance(found, dict) else None
        keys = found.get("keys") if isinstance(found, dict) else None
        if isinstance(records, dict) and isinstance(keys, list) and all(isinstance(k, str) for k in keys):
            self._records, self._keys = records, keys
            self._card_sums = {r["card"]: r["png"] for r in records.values() if isinstance(r, dict)
                               and isinstance(r.get("card"), str) and isinstance(r.get("png"), str) and r["card"]}

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
                                                   for k in ("salt", "sum", "html", "card", "png")):
            return None
        reads = record.get("reads")
        if not isinstance(reads, list) or not all(isinstance(i, int) and 0 <= i < len(self._keys) for i in reads):
            return None
        return {**record, "reads": tuple(self._keys[i] for i in reads)}

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

    def used_pages(self, records: Iterable[tuple[str, PageRecord]]) -> None:
        for out, record in records:
            self._used_pages[out] = record

    # --- the search index's entries (wherever the index is made: its process reads and writes the file)

    def indexed(self, key: str) -> Indexed | None:
        if self._index is None:
            self._index = Table(self.dir / "search", self.root, self.note)
        record = self._index.records.get(key)
        if record is None:
            return None
        try:
            doc, terms, weights = record
            found = Indexed(str(doc), str(terms), base64.b64decode(weights))
        except (TypeError, ValueError):  # a checksum-valid file of another shape
            return None
        if (found.terms.count(" ") + 1 if found.terms else 0) != len(found.weights):
            return None
        self._index_hits.add(key)
        self.hits["index"] += 1
        return found

    def keep_indexed(self, kept: dict[str, Indexed]) -> None:
        if self._index is None:
            self._index = Table(self.dir / "search", self.root, self.note)
        hits, old = self._index_hits, self._index.records
        payload = {key: old[key] if key in hits else [made.doc, made.terms, base64.b64encode(made.weights).decode()]
                   for key, made in kept.items()}
        try:
            self._index.save(payload, set(kept) - hits)
        except OSError:
            pass  # a cache that cannot be written only costs time

    # --- end of build -----------------------------------------------------------------------------

    def save(self) -> None:
        """Keep what this build used or made; drop the rest."""
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            if not (self.dir / "CACHEDIR.TAG").exists():
                atomic_write(self.dir / "CACHEDIR.TAG", CACHEDIR_TAG)
            self._bodies.save(self._new_bodies, self._fresh_bodies)
            write_json(self.dir / "pages.json", self.root, _interned(self._used_pages))
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


def _interned(records: dict[str, PageRecord]) -> dict[str, Any]:
    """pages.json: every key once (`keys`), and each page's record naming its keys by number."""
    numbers: dict[str, int] = {}
    pages = {out: {**r, "reads": [numbers.setdefault(k, len(numbers)) for k in r["reads"]]}
             for out, r in sorted(records.items())}
    return {"keys": list(numbers), "pages": pages}

