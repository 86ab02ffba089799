"""What a warm build reuses without redoing it, and why a stale or forged record cannot change a byte.

* entry files: `cache.disk` keeps what `validate.load_entry` gave for a file's text as plain
  JSON (`entry_to_json`), and gives it back for the same text only;
* pages: a page is clean when none of the keys it read answers otherwise now (each key's
  last answer is in pages.json), and its last file is linked, not read;
* the search index: its postings are patched from the last index's when few entries
  changed (`render.search.patched_postings`), and must equal postings made afresh.

Every build here is compared with a build without a cache (`--no-cache`'s bytes).
"""

from __future__ import annotations

import json
import random
import shutil
from dataclasses import fields
from pathlib import Path

import pytest

from explainer.cache.disk import DiskMemo, entry_from_json, entry_to_json
from explainer.cache.files import CACHE_DIR, cache_key, seal
from explainer.cache.layer import Layer
from explainer.diagnostics import Problems
from explainer.load import walk
from explainer.load.files import decode_text
from explainer.model import Entry, Indexed
from explainer.pipeline import Memory, build_site
from explainer.render.search import Postings, decode_postings, encode_postings, patched_postings
from explainer.validate import load_entry
from tools import bench_generate

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    bench_generate().generate(40, root, shape="varied")
    return root


def _fields(entry: object) -> str:
    return repr([getattr(entry, f.name) for f in fields(entry)])  # type: ignore[arg-type]


@pytest.mark.parametrize("where", ["repo", "corpus"])
def test_every_entry_file_comes_back_from_its_record_as_loaded(where: str, corpus: Path) -> None:
    root = REPO if where == "repo" else corpus
    files = walk(root, Problems()) or []
    assert len(files) > 30
    for rel, kind in files:
        entry, problems = load_entry(root, rel, kind, {})
        text = decode_text((root / rel).read_bytes(), rel, Problems(), "")
        assert text is not None
        back, back_problems = entry_from_json(json.loads(json.dumps(entry_to_json(entry, problems))), text)
        assert repr(back_problems) == repr(problems), rel
        assert (back is None) == (entry is None), rel
        if entry is not None:
            assert _fields(back) == _fields(entry), rel


def _made(rnd: random.Random, words: list[str]) -> Indexed:
    terms = rnd.sample(words, rnd.randint(0, 30))
    return Indexed("doc", " ".join(terms), bytes(rnd.randint(0, 63) for _ in terms))


def _lists(entries: list[Indexed]) -> dict[str, bytes]:
    index = Postings()
    for made in entries:
        index.add(made)
    return index.lists()


def test_patched_postings_are_the_postings_made_afresh() -> None:
    rnd = random.Random(28)
    words = [f"w{n}" for n in range(200)]
    for trial in range(200):
        count = rnd.randint(1, 2000 if trial % 20 == 0 else 60)  # long gaps: several characters a gap
        entries = [_made(rnd, words) for _ in range(count)]
        before = _lists(entries)
        for posting in before.values():
            assert encode_postings(*decode_postings(posting)) == posting
        after = list(entries)
        changes = {}
        for number in rnd.sample(range(count), min(count, rnd.randint(1, 6))):
            after[number] = _made(rnd, words)
            changes[number] = (entries[number], after[number])
        assert patched_postings(before, changes) == _lists(after), trial


def _cold(root: Path) -> dict[str, bytes]:
    out = Memory()
    assert build_site(root, Problems(), out)[1] is not None
    return out.files


def _warm(root: Path) -> tuple[dict[str, bytes], DiskMemo]:
    memo = DiskMemo(root)
    out = Memory()
    assert build_site(root, Problems(), out, Layer(memo))[1] is not None
    memo.save()
    return out.files, memo


def _edit(root: Path, n: int) -> None:
    events = sorted((root / "content" / "events").glob("*.md"))
    body = events[n % len(events)]
    body.write_text(body.read_text(encoding="utf-8") + f"\nOne more line, {n}.\n", encoding="utf-8")
    actor = sorted((root / "content" / "actors").glob("*.md"))[n % 3]
    actor.write_text(actor.read_text(encoding="utf-8").replace("title: ", f"title: Renamed {n} ", 1),
                     encoding="utf-8")


def test_a_warm_build_after_edits_reuses_entries_and_patches_the_index(corpus: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from explainer.cache import layer

    patched: list[int] = []

    def counted(lists: dict[str, bytes], changes: dict[int, tuple[Indexed, Indexed]]) -> dict[str, bytes]:
        patched.append(len(changes))
        return patched_postings(lists, changes)

    monkeypatch.setattr(layer, "patched_postings", counted)
    _warm(corpus)
    assert not patched
    _edit(corpus, 1)
    files, memo = _warm(corpus)
    assert files == _cold(corpus)
    entries = len(walk(corpus, Problems()) or [])
    assert memo.hits["entries"] == entries - 2  # the two files edited are loaded again
    assert patched and patched[0] >= 1  # the edited body's entry at least (a new title may move others)


@pytest.mark.parametrize("stale", ["pages.json", "postings.json", "entries", "all"])
def test_a_stale_record_changes_nothing(corpus: Path, tmp_path: Path, stale: str) -> None:
    """A cache left by an earlier state of the project (restored by CI from an older run, or
    copied back by hand) holds records of other contents: none of them is used for this one."""
    _warm(corpus)
    old = tmp_path / "old-cache"
    shutil.copytree(corpus / CACHE_DIR, old)
    for n in range(3):
        _edit(corpus, n)
        _warm(corpus)
    target = corpus / CACHE_DIR
    if stale == "all":
        shutil.rmtree(target)
        shutil.copytree(old, target)
    elif (old / stale).is_dir():
        shutil.rmtree(target / stale)
        shutil.copytree(old / stale, target / stale)
    else:
        shutil.copy(old / stale, target / stale)
    _edit(corpus, 5)
    assert _warm(corpus)[0] == _cold(corpus)


def _reseal(path: Path, payload: object) -> None:
    header = json.loads(path.read_bytes().partition(b"\n")[0])
    data = json.dumps(payload).encode()
    name = path.name if path.parent.name == CACHE_DIR else f"{path.parent.name}/{path.name}"
    header = {**header, "seal": seal(cache_key(), header, name, data)}
    path.write_bytes(json.dumps(header, sort_keys=True).encode() + b"\n" + data)


def _payload(path: Path) -> object:
    return json.loads(path.read_bytes().partition(b"\n")[2])


def test_a_forged_record_changes_nothing(corpus: Path) -> None:
    """Records altered without the key are ignored (their seal fails); sealed records that
    do not fit what they are kept for (an entry of another text, postings that are not
    postings, answers that do not line up with their keys) are not used either."""
    _warm(corpus)
    _edit(corpus, 1)
    _warm(corpus)
    cache = corpus / CACHE_DIR
    for part in (cache / "entries").glob("*.json"):  # every entry says it is of another text
        records = _payload(part)
        assert isinstance(records, dict)
        for record in records.values():
            record["entry"][8] = "0" * 64
        _reseal(part, records)
    postings = cache / "postings.json"
    found = _payload(postings)
    assert isinstance(found, dict)
    _reseal(postings, {**found, "lists": {term: 5 for term in found["lists"]}})
    pages = cache / "pages.json"
    found = _payload(pages)
    assert isinstance(found, dict)
    _reseal(pages, {**found, "answers": found["answers"][1:]})
    _edit(corpus, 2)
    files, memo = _warm(corpus)
    assert files == _cold(corpus)
    assert memo.hits["entries"] == 0


def test_a_reused_entry_carries_the_answers_its_keys_give(corpus: Path) -> None:
    """The disk memo gives each entry it reused with what its `e:` and `f:` keys answered when
    it was kept: the answers computed afresh for the entry as loaded now."""
    from explainer.cache.reads import entry_answer, file_answer

    _warm(corpus)
    _edit(corpus, 1)
    _, memo = _warm(corpus)
    carried = memo.carried_answers()
    assert carried is not None and len(carried) >= 2 * (memo.hits["entries"] - 1)
    for key, (entry, answer) in carried.items():
        kind, _, name = key.partition(":")
        if kind in ("e", "f"):
            assert isinstance(entry, Entry) and entry.id == name
            assert answer == (entry_answer if kind == "e" else file_answer)(entry)
