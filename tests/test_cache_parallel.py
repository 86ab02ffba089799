"""Parallel builds and the warm cache change speed only: never a byte of output or a problem."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from explainer.build import build
from explainer.cache.files import CACHE_DIR
from tools import bench_generate

generate = bench_generate()


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    generate.generate(40, root)
    return root


def test_generated_corpus_is_deterministic_and_clean(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    generate.generate(30, a)
    generate.generate(30, b)
    assert tree(a) == tree(b)
    kinds = [p.parent.name for p in (a / "content").glob("*/*.md")]
    assert (kinds.count("actors"), kinds.count("events"), kinds.count("sources")) == (6, 15, 9)
    result = build(a, out=tmp_path / "out", strict=True, jobs=1)
    assert [p.format() for p in result.problems.items] == []


def test_two_processes_write_the_same_bytes_as_one(corpus: Path, tmp_path: Path) -> None:
    serial = build(corpus, out=tmp_path / "serial", jobs=1)
    forked = build(corpus, out=tmp_path / "forked", jobs=2)
    assert serial.ok and forked.ok
    assert tree(tmp_path / "serial") == tree(tmp_path / "forked")
    assert sorted(serial.written) == sorted(forked.written)


def test_two_processes_report_the_same_problems(corpus: Path, tmp_path: Path) -> None:
    event = next((corpus / "content" / "events").glob("*.md"))
    text = event.read_text(encoding="utf-8")
    event.write_text(text + "\nSee [[no-such-entry]] and [@actor-x-0] and [@nope].\n\n::: dispute\n- one\n:::\n",
                     encoding="utf-8")
    serial = build(corpus, out=tmp_path / "serial", jobs=1)
    forked = build(corpus, out=tmp_path / "forked", jobs=2, use_cache=True)
    again = build(corpus, out=tmp_path / "again", jobs=2, use_cache=True)
    shown = [p.format() for p in serial.problems.items]
    assert any("unknown id 'no-such-entry' in a cross-link" in s for s in shown)
    assert [p.format() for p in forked.problems.items] == shown
    assert [p.format() for p in again.problems.items] == shown
    assert not serial.ok and not forked.ok


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_cache_never_changes_output_across_edits(corpus: Path, tmp_path: Path) -> None:
    """After each edit, a cached build equals a cold build byte for byte, and the cache is used."""
    content = corpus / "content"
    actor = sorted((content / "actors").glob("*.md"))[1]
    event = sorted((content / "events").glob("*.md"))[2]
    source = sorted((content / "sources").glob("*.md"))[0]
    edits = [
        ("nothing", lambda: None),
        ("body edit", lambda: _edit(event, "## Details", "## Details\n\nA new sentence here.[^n1]")),
        ("actor title", lambda: _edit(actor, "title: ", 'title: "Renamed" #')),
        ("source publisher", lambda: _edit(source, "publisher: ", 'publisher: "Other Press" #')),
        ("new entry", lambda: (content / "actors" / "newcomer.md").write_text(
            "---\ntitle: Newcomer\nkind: person\n---\nLinks to [[" + actor.stem + "]].\n", encoding="utf-8")),
        ("removed entry", lambda: (content / "actors" / "newcomer.md").unlink()),
        ("layout override", lambda: (corpus / "layouts" / "partials").mkdir(parents=True) or
         (corpus / "layouts" / "partials" / "entry_footer.html").write_text("<p>custom footer</p>\n")),
        ("config", lambda: _edit(corpus / "config.yaml", "description: ", "description: Changed. ")),
        ("same bytes again", lambda: None),
    ]
    first = build(corpus, out=tmp_path / "warm", jobs=2, use_cache=True)
    assert first.ok
    for name, edit in edits:
        edit()
        cold = build(corpus, out=tmp_path / "cold", jobs=1)
        warm_cache_files = list((corpus / CACHE_DIR / "pages").iterdir())
        warm = build(corpus, out=tmp_path / "warm", jobs=2, use_cache=True)
        assert cold.ok and warm.ok, name
        assert tree(tmp_path / "warm") == tree(tmp_path / "cold"), name
        assert warm_cache_files, name
    assert build(corpus, out=tmp_path / "serial-warm", jobs=1, use_cache=True).ok
    assert tree(tmp_path / "serial-warm") == tree(tmp_path / "cold")


def test_unchanged_site_reuses_every_entry_page(corpus: Path, tmp_path: Path) -> None:
    from explainer.cache.disk import DiskMemo
    from explainer.cache.layer import Layer
    from explainer.diagnostics import Problems
    from explainer.pipeline import build_site

    build(corpus, out=tmp_path / "a", jobs=1, use_cache=True)
    warm = DiskMemo(corpus)
    build_site(corpus, Problems(), layer=Layer(warm))
    assert warm.hits["bodies"] == 41  # 40 entries and the home page
    entries = len(list((corpus / "content").glob("*/*.md"))) + 1
    index_pages = 6  # timeline, actors, sources, disputes, search, 404
    assert len(list((corpus / CACHE_DIR / "pages").glob("*.html"))) == entries + index_pages


def test_damaged_cache_is_ignored(corpus: Path, tmp_path: Path) -> None:
    build(corpus, out=tmp_path / "a", jobs=1, use_cache=True)
    for part in (corpus / CACHE_DIR).glob("*/?.json"):  # bodies/X.json and search/X.json
        part.write_bytes(b"not a cache file")
    for page in (corpus / CACHE_DIR / "pages").glob("*.html"):
        page.unlink()
    again = build(corpus, out=tmp_path / "b", jobs=1, use_cache=True)
    assert again.ok
    assert tree(tmp_path / "a") == tree(tmp_path / "b")


def test_cli_jobs_must_be_positive(corpus: Path) -> None:
    from conftest import run_cli

    result = run_cli("build", "--jobs", "0", "--no-cache", cwd=corpus)
    assert result.returncode == 2
    assert "--jobs 0: give at least 1 process" in result.stderr
    shutil.rmtree(corpus / "site", ignore_errors=True)


def _page_keys(root: Path) -> set[str]:
    import json

    text = (root / CACHE_DIR / "pages.json").read_text(encoding="utf-8")
    return {record["html"] for record in json.loads(text.split("\n", 1)[1])["pages"].values()}


@pytest.mark.parametrize("first, second", [(2, 1), (1, 2)])
def test_another_worker_count_reuses_every_unchanged_page(corpus: Path, tmp_path: Path, first: int,
                                                          second: int) -> None:
    """What a page's context read is recorded the same in any process: a warm build with
    another number of workers re-renders only the pages whose bytes change."""
    assert build(corpus, out=tmp_path / "a", jobs=first, use_cache=True).ok
    before = _page_keys(corpus)
    event = sorted((corpus / "content" / "events").glob("*.md"))[0]
    event.write_text(event.read_text(encoding="utf-8").replace("## Details\n", "## Details\n\nOne more line.\n", 1),
                     encoding="utf-8")
    assert build(corpus, out=tmp_path / "b", jobs=second, use_cache=True).ok
    old, new = tree(tmp_path / "a"), tree(tmp_path / "b")
    changed = [rel for rel in new if rel.endswith(".html") and old.get(rel) != new[rel]]
    assert changed and len(changed) < 5, changed
    assert len(_page_keys(corpus) - before) == len(changed)


def _stamps(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.glob("*.json")}


def test_one_body_edit_indexes_one_entry_and_rewrites_only_its_parts(corpus: Path, tmp_path: Path) -> None:
    """The search index reuses every unchanged entry's row and terms (`render.search.index_key`),
    and the cache's tables in parts rewrite only the files whose records changed."""
    from explainer.cache.disk import DiskMemo
    from explainer.cache.files import Table, part_of
    from explainer.cache.layer import Layer
    from explainer.diagnostics import Problems
    from explainer.pipeline import Memory, build_site
    from explainer.render.search import index_inputs, index_key, index_order

    assert build(corpus, jobs=2, use_cache=True).ok  # the index made in a worker, which keeps its records
    search, bodies = corpus / CACHE_DIR / "search", corpus / CACHE_DIR / "bodies"
    before = {name: _stamps(folder) for name, folder in (("search", search), ("bodies", bodies))}
    old_keys = set(Table(search, corpus, print).records)
    event = sorted((corpus / "content" / "events").glob("*.md"))[0]
    _edit(event, "## Details\n", "## Details\n\nA zebra crossed the text.\n")

    memo = DiskMemo(corpus)
    sink = Memory()
    site, _ = build_site(corpus, Problems(), sink, Layer(memo))
    entries = len(site.project.entries)
    assert memo.hits["index"] == entries - 1
    edited = next(e for e in site.project.entries.values() if e.path.endswith(event.name))
    new_key = index_key(index_inputs(site, edited))
    assert new_key not in old_keys
    new_keys = {index_key(index_inputs(site, e)) for e in index_order(site)}
    (gone,) = old_keys - new_keys
    assert new_keys - old_keys == {new_key}
    assert any(b'"zebra":' in data for rel, data in sink.files.items() if rel.startswith("search/s/"))
    after = _stamps(search)
    assert {n for n in after if after[n] != before["search"].get(n)} == {f"{part_of(k)}.json" for k in (gone, new_key)}
    memo.save()
    changed = {n for n, st in _stamps(bodies).items() if st != before["bodies"].get(n)}
    assert 1 <= len(changed) <= 2  # the edited body's old key's part and its new key's part
    warm = build(corpus, out=tmp_path / "warm", use_cache=True)
    cold = build(corpus, out=tmp_path / "cold", use_cache=False)
    assert warm.ok and cold.ok and tree(tmp_path / "warm") == tree(tmp_path / "cold")


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_build_leaves_the_cycle_collector_as_it_found_it(corpus: Path, tmp_path: Path, jobs: int) -> None:
    """`build.collector_paused` pauses the collector and freezes the heap while the build
    analyses; a caller that goes on afterwards (a script, these tests) gets it back as it was."""
    import gc

    assert gc.isenabled() and gc.get_freeze_count() == 0
    assert build(corpus, out=tmp_path / "a", jobs=jobs, use_cache=True).ok
    assert gc.isenabled() and gc.get_freeze_count() == 0
