"""The full-text search index: a small manifest, term shards and one file per entry.

Why our own index rather than Pagefind: no 59 MB binary to install and run beside the
build, byte-identical output, and the client is one small script of ours
(`assets/search.js`). Why sharded: one file with every entry's text was 41 MB at
10,000 entries, all fetched before the first result. Now a query fetches

* `search/manifest.json`: which shard file holds which term prefix (a few KB);
* the shards of the query's words: `search/s/HASH.json`, `{"term": "postings", ...}`,
  each at most `SHARD_BUDGET` bytes unless one term alone is larger;
* the result files of the results shown (ten at a time): `search/doc/K.json`, a list of
  rows `[url, kind, title, date, summary, text]` (the text capped at `TEXT_CAP`
  characters, for the snippet) of consecutive entries, as many as fit in `DOC_BUDGET`
  bytes (at least one, at most `DOC_MAX`); the manifest's `groups` says how many each
  file holds, one character of `ALPHABET` a file. One file per entry was half of all
  the files a build wrote (10,000 entries: 20,149 files), and writing and stat-ing them
  a large part of every build.

Entries are numbered 0..N-1 in (folded title, kind, id) order, so equal scores list
alphabetically without fetching anything. A term's postings are one ASCII string,
`"GAPS WEIGHTS"`: for each entry containing it, in number order, the gap to the
previous entry's number minus one as a varint (5 bits a character, the 6th bit says
"more follows"), then after the space one weight character per entry (`weight`: how
much of the title the term is, whether the summary has it, how often the body has it).
Characters are the 64 of URL-safe base64, so JSON needs no escapes; a term found in
every one of 10,000 entries costs ~20 KB.

Shards: terms are grouped by prefix, starting from the empty prefix; a group larger
than `SHARD_BUDGET` is split by its next character (the term equal to the prefix stays
in the group's own key); neighbouring small groups are packed into one file. A term's
shard is the manifest's longest key that is a prefix of it (the client does the same).
Shard file names are the SHA-256 of their bytes: a browser never mixes a cached
shard of an old build with a new manifest. Everything is sorted, so two builds write
the same bytes.

Tokens (`fold`, `tokens`): the text is NFKD-decomposed (full-width "ＮＡＴＯ" becomes
"NATO", half-width kana full-width), its combining marks dropped ("é" -> "e") except the
kana voicing marks, which are joined again to their kana (NFC: "グ" stays "グ", never
"ク"; Hangul jamo become syllables again), and lower-cased; a possessive "'s" is dropped.
A token is then a run of letters and digits, cut into terms of `MAX_TERM` characters if
longer, except for runs of CJK characters (`_CJK`: Han, hiragana, katakana with its
long-vowel mark "ー", Hangul): Japanese, Chinese and Korean do not put spaces between
words, so such a run gives its overlapping pairs of characters ("連絡事務所" -> "連絡",
"絡事", "事務", "務所"), and a run of one character that character. The middle dot "・"
and the CJK punctuation separate runs like spaces. `assets/search.js` (`tokens`) turns a
query into terms by the same rule, and `tests/fixtures/search-tokens.json` holds the cases both
are tested on; a query of CJK characters thus matches the entries that have all of its
pairs, which is the entries that contain it (or, rarely, its pairs apart).
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import unicodedata
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from html import unescape

from .. import schema
from ..model import Entry, Indexed, SiteData
from .pages import Renderer, view

FIELDS = ["url", "kind", "title", "date", "summary", "text"]
MANIFEST_PATH = "search/manifest.json"
SHARD_BUDGET = 24 * 1024
"""Largest shard in bytes (unless one term alone is larger): a query's words cost at
most this each, and small enough that a 2-3 word query on 10,000 entries stays far
below the 300 KB of issue 19 together with ten result files."""
TEXT_CAP = 6000
"""Characters of plain text per result file (~900 words): snippets come from them, and
ten results shown cost at most ~60 KB whatever the length of the entries."""
DOC_BUDGET = 12 * 1024
"""Largest result file in bytes (unless one entry alone is larger): ten results shown cost
at most ten of them (120 KB), and a site of ~4 KB entries writes 2-3 entries a file."""
DOC_MAX = 63
"""Most entries in one result file: the count is one character of `ALPHABET`."""
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_CODES = ALPHABET.encode("ascii")

_CITE = re.compile(r'<sup class="cite">.*?</sup>|<sup class="note-ref">.*?</sup>|\u21a9\ufe0e', re.S)
_BLOCK_END = re.compile(r"</(?:p|li|h[1-6]|div|aside|blockquote|tr|td|th|pre)>|<br\s*/?>", re.I)
_TAG = re.compile(r"<[^>]*>")
_CJK = ("\u1100-\u11ff\u3005-\u3007\u3041-\u3096\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff"
        "\u3131-\u318e\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7ff"
        "\uf900-\ufaff\U00020000-\U0003ffff")
"""The characters written without spaces between words, after `fold`: Hangul jamo, the
iteration marks 々〆〇, hiragana, katakana with "ー" (not the middle dot "・"), Hangul
compatibility jamo, katakana extensions, Han (extension A, the unified block, the
compatibility block, the supplementary planes), Hangul syllables. `assets/search.js`
holds the same list."""
MAX_TERM = 64
"""A longer run of letters is cut into terms of this length: no reader types one, and a
single 200,000-letter "word" (found by the fuzzer) must not split shards 200,000 deep."""
_TOKEN = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]{{1,{MAX_TERM}}}")
_HAS_CJK = re.compile(f"[{_CJK}]")
_VOICING = "\u3099\u309a"
"""The combining kana voicing marks (dakuten, handakuten): `fold` keeps them on their kana."""
_RECOMPOSE = re.compile(f"[{_VOICING}\u1100-\u11ff]")
_STRAY_VOICING = {ord(c): None for c in _VOICING}
_ASCII_TOKEN = re.compile(rf"[a-z0-9]{{1,{MAX_TERM}}}")
_POSSESSIVE = re.compile(r"['\u2019]s\b")


_ITEM_END = re.compile(r"(</(?:h[1-6]|li|dt)>)", re.I)
_STOPS = ".?!:;…\"'”’)"


def _end_sentences(html: str) -> str:
    """A heading or list item ends with a full stop (unless it has its own) before the text
    after it, so that a snippet never runs a heading into the next sentence: the text
    before each closing tag loses its trailing whitespace and gains a "." unless it is
    empty or ends with a tag's ">".

    Why split rather than one regex matching "a character, spaces, a closing tag": such a
    pattern is tried at every character of the body (about 0.5 ms a body); splitting on the
    closing tags, found by their literal `</`, does the same in a twentieth of that."""
    parts = _ITEM_END.split(html)
    for i in range(0, len(parts) - 1, 2):
        kept = parts[i].rstrip()
        if kept and kept[-1] != ">":
            parts[i] = kept if kept[-1] in _STOPS else kept + "."
    return "".join(parts)


def plain_text(html: str) -> str:
    """Body HTML as one line of readable text: markers and tags gone, entities decoded; a
    heading or list item ends with a full stop, like a sentence."""
    text = _end_sentences(_CITE.sub("", html))
    text = _BLOCK_END.sub(" ", text)
    text = _TAG.sub("", text)
    # str.split() and the regex's \s agree on what whitespace is (both use str.isspace);
    # splitting is several times faster than a \s+ substitution on 4,000 bodies.
    return " ".join(unescape(text).split())


@lru_cache(maxsize=1)
def _marks() -> dict[int, None]:
    """Every combining mark (Unicode category M) but the kana voicing marks, for
    `str.translate` to delete.

    Made once, on the first non-ASCII text: JavaScript's `/(?![\\u3099\\u309a])\\p{M}/gu`
    removes the same set.
    """
    return {c: None for c in range(sys.maxunicode + 1)
            if unicodedata.category(chr(c))[0] == "M" and chr(c) not in _VOICING}


def fold(text: str) -> str:
    """Text as the index compares it: compatibility forms split, marks stripped (a kana keeps
    its voicing mark), lower case.

    NFC joins only a kana and its voicing mark, and Hangul jamo, once the other marks are
    gone (no other pair of Unicode's compositions lacks a mark), so Latin text folds as
    NFKD and mark stripping alone fold it; it runs only when there is something to join.
    """
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).translate(_marks())
        if _RECOMPOSE.search(text):
            text = unicodedata.normalize("NFC", text).translate(_STRAY_VOICING)
    return text.lower()


def _is_cjk(run: str) -> bool:
    return _HAS_CJK.match(run) is not None


def tokens(text: str) -> list[str]:
    """The index terms of a text, in order (see the module docstring)."""
    if text.isascii():  # the same result by a faster road: no marks, no CJK
        text = text.lower()
        if "'" in text:
            text = _POSSESSIVE.sub("", text)
        return _ASCII_TOKEN.findall(text)
    text = _POSSESSIVE.sub("", fold(text))
    runs = _TOKEN.findall(text)
    if not _HAS_CJK.search(text):
        return runs
    found: list[str] = []
    for run in runs:
        if len(run) > 2 and _is_cjk(run):  # overlapping pairs; a run of one or two is its own term
            found.extend(run[i:i + 2] for i in range(len(run) - 1))
        else:
            found.append(run)
    return found


def title_words(title: str, terms: list[str]) -> int:
    """How many words a title has, for `weight`: its terms, except that a run of CJK
    characters counts one word per four characters (rounded up) rather than one per pair
    ("岸田文雄" one word, "イェンス・ストルテンベルグ" three)."""
    folded = fold(title)
    if not _HAS_CJK.search(folded):
        return len(terms)
    return sum(-(-len(run) // 4) if _is_cjk(run) else 1 for run in _TOKEN.findall(_POSSESSIVE.sub("", folded)))


IndexInputs = tuple[str, str, str, str, str, str, bytes, bool]
"""What an entry's search row is made of: its URL, kind, title, date, summary, the text of
its kind's `search_fields`, its body (`Body.packed`), and whether its title describes it
rather than being its own (a source with `untitled: true`: weighted as a summary)."""


def index_order(site: SiteData) -> list[Entry]:
    """Every entry page in entry-number order: folded title, kind, id."""
    return sorted(site.project.entries.values(), key=lambda e: (fold(e.title), e.kind, e.id))


def index_inputs(site: SiteData, entry: Entry, renderer: Renderer | None = None) -> IndexInputs:
    """Everything `index_entry` reads of an entry (the build cache keys it by their digest)."""
    v = renderer.view(entry) if renderer is not None else view(entry)
    extra = " ".join(t for t in (_as_text(entry.meta.get(name)) for name in schema.kind_of(entry.kind).search_fields)
                     if t)  # who published a source, an actor's other names: what readers type
    body = site.bodies.get(entry.id)
    kind = renderer.msg(f"kind_{v.kind}_word", v.kind) if renderer is not None else v.kind
    return (v.url_path, kind, v.title, v.date, v.summary, extra, body.packed if body is not None else b"",
            bool(entry.meta.get("untitled")))


def index_key(inputs: IndexInputs) -> str:
    """Digest of exactly what `index_entry` reads: its argument (the code is checked by the cache's file)."""
    h = hashlib.sha256(json.dumps([*inputs[:6], inputs[7]], ensure_ascii=False).encode("utf-8", "surrogatepass"))
    h.update(inputs[6])
    return h.hexdigest()


def index_entry(inputs: IndexInputs) -> Indexed:
    """One entry's result row (`FIELDS`, the text capped at `TEXT_CAP`) and its terms' weights."""
    url, kind, title, date, summary, extra, packed, described = inputs
    text = plain_text(zlib.decompress(packed).decode("utf-8")) if packed else ""
    if extra:
        text = f"{extra} {text}" if text else extra
    title_terms = tokens(title)
    bucket = _BODY_BUCKET
    weights = {t: bucket[c] if c < 13 else 7 for t, c in Counter(tokens(text)).items()}
    for t in set(tokens(summary)) | (set(title_terms) if described else set()):
        weights[t] = weights.get(t, 0) | 8
    level = weight(title_words(title, title_terms), True, False, 0) if not described else 0
    for t in set(title_terms):
        weights[t] = weights.get(t, 0) | level
    if len(text) > TEXT_CAP:
        text = cut_text(text, TEXT_CAP)
    doc = json.dumps([url, kind, title, date, summary, text], ensure_ascii=False, separators=(",", ":"))
    return Indexed(doc, " ".join(weights), bytes(weights.values()))


_CJK_STOPS = "\u3002\u3001\uff01\uff1f\uff0c\uff1b"
"""Where a text without spaces may be cut: after 。 、 ！ ？ ， ；."""


def cut_text(text: str, cap: int) -> str:
    """`text` cut to at most `cap` characters and an ellipsis: at its last space, or after its
    last 。、！？，； if that comes later (Japanese and Chinese have no spaces), provided the
    cut keeps more than half; otherwise at `cap` itself, a character boundary."""
    space = text.rfind(" ", 0, cap)
    stop = max(text.rfind(c, 0, cap) for c in _CJK_STOPS) + 1
    if stop > space and stop > cap // 2:
        return text[:stop] + "\u2026"
    if space > cap // 2:
        return text[:space] + " \u2026"
    return text[:cap] + ("\u2026" if _HAS_CJK.match(fold(text[cap - 1])) else " \u2026")


def _as_text(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return "" if value is None else str(value)


_TO_ALPHABET = bytes.maketrans(bytes(range(64)), _CODES)
_FROM_ALPHABET = bytes.maketrans(_CODES, bytes(range(64)))


def weight(title_words: int, in_title: bool, in_summary: bool, body_count: int) -> int:
    """The posting's weight (0-63): bits 4-5 the title level, bit 3 the summary, bits 0-2
    how often the body has the term.

    Title level: 0 not in the title, 1 in a title of 6 words or more, 2 of 3-5 words,
    3 of 1-2 words (the term is most of the title: "Macron" finds the actor "Emmanuel
    Macron" before the sources that name him in a long headline). Body count: 0-4 as
    is, 5 for 5-7, 6 for 8-12, 7 for more.
    """
    level = 0 if not in_title else 3 if title_words <= 2 else 2 if title_words <= 5 else 1
    body = body_count if body_count <= 4 else 5 if body_count <= 7 else 6 if body_count <= 12 else 7
    return level << 4 | (8 if in_summary else 0) | body


_BODY_BUCKET = [weight(0, False, False, c) for c in range(13)]


class Postings:
    """Every term's entry numbers and weights, filled entry by entry in number order.

    Built with C-speed steps where it can (Counter, dict comprehension, bytes.translate):
    a 10,000-entry site has ~1.3 million postings, and this runs inside the build.
    """

    def __init__(self) -> None:
        self.terms: dict[str, tuple[list[int], bytearray]] = {}
        self.count = 0

    def add(self, entry: Indexed) -> None:
        """Index the next entry's terms."""
        number = self.count
        self.count += 1
        terms = self.terms
        for t, w in zip(entry.terms.split(" ") if entry.terms else (), entry.weights, strict=True):
            found = terms.get(t)
            if found is None:
                terms[t] = ([number], bytearray((w,)))
            else:
                found[0].append(number)
                found[1].append(w)

    def encode(self, term: str) -> bytes:
        """The term's postings as the shard stores them: `"gaps weights"` (see the module)."""
        numbers, weights = self.terms[term]
        return encode_postings(numbers, weights)

    def lists(self) -> dict[str, bytes]:
        """Every term's encoded postings (`encode`), by term."""
        return {term: encode_postings(numbers, weights) for term, (numbers, weights) in self.terms.items()}


def encode_postings(numbers: list[int], weights: bytes | bytearray) -> bytes:
    """Entry numbers (ascending) and their weights as a shard stores them: `"gaps weights"`."""
    gaps = [b - a - 1 for a, b in zip([-1, *numbers], numbers, strict=False)]
    if max(gaps) < 32:  # the usual case for frequent terms: one character a gap
        packed = bytes(gaps)
    else:
        out = bytearray()
        for gap in gaps:
            while gap >= 32:
                out.append((gap & 31) | 32)
                gap >>= 5
            out.append(gap)
        packed = bytes(out)
    return packed.translate(_TO_ALPHABET) + b" " + bytes(weights).translate(_TO_ALPHABET)


def decode_postings(posting: bytes) -> tuple[list[int], bytes]:
    """`encode_postings` undone: the entry numbers and their weights."""
    gaps, _, weights = posting.partition(b" ")
    numbers: list[int] = []
    number = -1
    gap = shift = 0
    for value in gaps.translate(_FROM_ALPHABET):
        if value >= 32:  # more follows
            gap |= (value & 31) << shift
            shift += 5
            continue
        number += (gap | value << shift) + 1
        numbers.append(number)
        gap = shift = 0
    return numbers, weights.translate(_FROM_ALPHABET)


def patched_postings(lists: dict[str, bytes], changes: dict[int, tuple[Indexed, Indexed]]) -> dict[str, bytes]:
    """Every term's postings as `Postings.lists` gives them for a list of entries, from the
    lists of another list of as many entries that differs only at the numbers in `changes`
    (each number: the entry it held there, the entry it holds here). ValueError if a
    posting it changes is not one (as many weights as entry numbers)."""
    edits: dict[str, dict[int, int]] = {}
    for number, (old, _) in changes.items():
        for t in old.terms.split(" ") if old.terms else ():
            edits.setdefault(t, {})[number] = -1
    for number, (_, new) in changes.items():
        for t, w in zip(new.terms.split(" ") if new.terms else (), new.weights, strict=True):
            edits.setdefault(t, {})[number] = w
    found = dict(lists)
    for term, edit in edits.items():
        before = found.get(term)
        merged = dict(zip(*decode_postings(before), strict=True)) if before is not None else {}  # ValueError: not
        for number, w in edit.items():
            if w < 0:
                merged.pop(number, None)
            else:
                merged[number] = w
        if merged:
            numbers = sorted(merged)
            found[term] = encode_postings(numbers, bytes(merged[n] for n in numbers))
        else:
            found.pop(term, None)
    return found


def _cost(term: str, posting: bytes) -> int:
    """Bytes a term adds to its shard: `"term":"postings",`."""
    return len(_dump(term)) + len(posting) + 4


def shard_groups(sizes: dict[str, int], budget: int = SHARD_BUDGET) -> list[tuple[str, list[str]]]:
    """(key, terms) groups in key order: each term under the longest key that prefixes it.

    `sizes` maps each term to its cost; a group over `budget` is split by its next
    character until it fits or is the one term equal to its key.
    """
    groups: list[tuple[str, list[str]]] = []

    def split(prefix: str, terms: list[str]) -> None:
        if sum(sizes[t] for t in terms) <= budget or terms == [prefix]:
            groups.append((prefix, terms))
            return
        depth = len(prefix)
        own = [t for t in terms if len(t) == depth]
        if own:
            groups.append((prefix, own))
        children: dict[str, list[str]] = {}
        for t in terms:
            if len(t) > depth:
                children.setdefault(t[depth], []).append(t)
        for char in sorted(children):
            split(prefix + char, children[char])

    split("", sorted(sizes))
    return groups


def search_index_output(site: SiteData, renderer: Renderer) -> Iterator[tuple[str, bytes]]:
    """The search files for `/search/` (one of `render.SITE_WIDE`): every entry indexed
    (`index_entry`), in `index_order`."""
    return search_files(index_entry(index_inputs(site, e, renderer)) for e in index_order(site))


def search_files(indexed: Iterable[Indexed]) -> Iterator[tuple[str, bytes]]:
    """The search files from every entry as the index holds it, in `index_order`: result files
    first, one group at a time, then the shards and the manifest."""
    index = Postings()
    groups: list[int] = []
    yield from doc_files(indexed, groups, index.add)
    yield from index_files(index.lists(), index.count, groups)


def doc_files(indexed: Iterable[Indexed], groups: list[int],
              each: Callable[[Indexed], None] | None = None) -> Iterator[tuple[str, bytes]]:
    """The result files of every entry, in `index_order`, one group at a time; each group's
    size is added to `groups`, and `each` (if given) sees every entry in turn."""
    group: list[bytes] = []
    size = 0

    def flush_docs() -> tuple[str, bytes]:
        data = b"[" + b",".join(group) + b"]\n"
        groups.append(len(group))
        group.clear()
        return f"search/doc/{len(groups) - 1}.json", data

    for made in indexed:
        if each is not None:
            each(made)
        doc = made.doc.encode("utf-8")
        if group and (size + 1 + len(doc) > DOC_BUDGET or len(group) == DOC_MAX):
            yield flush_docs()
        size = (size + 1 if group else 3) + len(doc)  # the file's bytes: "[", the rows, commas, "]\n"
        group.append(doc)
    if group:
        yield flush_docs()


def index_files(lists: dict[str, bytes], count: int, groups: list[int]) -> Iterator[tuple[str, bytes]]:
    """The shards and the manifest, from every term's encoded postings (`Postings.lists`),
    the number of entries and the sizes of the result files' groups (`doc_files`)."""
    dumped = {term: _dump_term(term) for term in lists}
    sizes = {term: len(name) + len(posting) + 4 for (term, posting), name  # `_cost`
             in zip(lists.items(), dumped.values(), strict=True)}
    keys: dict[str, int] = {}
    files: list[str] = []
    batch: list[str] = []
    batch_keys: list[str] = []
    used = 0

    def flush() -> Iterator[tuple[str, bytes]]:
        body = b"{" + b",".join(dumped[t] + b':"' + lists[t] + b'"' for t in batch) + b"}\n"
        name = hashlib.sha256(body).hexdigest()[:16]
        for key in batch_keys:
            keys[key] = len(files)
        files.append(name)
        yield f"search/s/{name}.json", body

    for key, terms in shard_groups(sizes):
        cost = sum(sizes[t] for t in terms)
        if batch_keys and used + cost > SHARD_BUDGET:
            yield from flush()
            batch, batch_keys, used = [], [], 0
        batch.extend(terms)
        batch_keys.append(key)
        used += cost
    if batch_keys or not files:
        yield from flush()
    manifest = {"version": 3, "entries": count, "fields": FIELDS, "docs": "doc/",
                "groups": "".join(ALPHABET[n] for n in groups), "shards": "s/", "files": files, "keys": keys}
    yield MANIFEST_PATH, json.dumps(manifest, ensure_ascii=False, sort_keys=True,
                                    separators=(",", ":")).encode("utf-8") + b"\n"


_ESCAPED = re.compile(r'[\x00-\x1f"\\]')
"""What `json.dumps(ensure_ascii=False)` escapes in a string."""


def _dump_term(term: str) -> bytes:
    """`_dump(term)`, without the encoder for the plain terms nearly all are."""
    if _ESCAPED.search(term) is None:
        return b'"' + term.encode("utf-8") + b'"'
    return _dump(term)


def _dump(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
