"""The cache layer (`cache.layer`): every cached step reads only what its key covers.

A result is reused when its key matches, so a step that reads something its key leaves
out would serve stale output. These tests run the real steps on the repository's own
site and on a generated corpus and watch what they read:

* `resolve.parse_body` reads of its entry only the fields it declares (`inputs.reads`),
  which are exactly what `cache.layer.body_key` digests;
* `validate.load_entry` opens no file but its own (`sys.addaudithook` sees every `open`);
* rendering a page opens nothing but layout files (the page key covers the layouts) and
  code (Python's modules, the package: the key's `code_digest`);
* keys are digests of content, not file stamps: a fresh copy of a project at the same
  path, every file with a new time, with the cache restored, reuses every body and page.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from explainer.cache.disk import DiskMemo
from explainer.cache.files import CACHE_DIR
from explainer.cache.layer import Layer, body_key, parse_options
from explainer.diagnostics import Problems
from explainer.inputs import declared, reads
from explainer.load import walk
from explainer.load.files import DEFAULT_LAYOUTS
from explainer.model import Entry
from explainer.pipeline import Memory, build_site
from explainer.render import Renderer, make_environment, site_files
from explainer.resolve import build_lookup, make_markdown, parse_body
from explainer.validate import load_entry
from tools import bench_generate

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("layer") / "corpus"
    bench_generate().generate(40, root, shape="varied")
    return root


class Watched:
    """An entry that records which of its fields were read."""

    def __init__(self, entry: Entry) -> None:
        self._entry = entry
        self._read: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        self._read.add(name)
        return getattr(self._entry, name)


def fields_read(fn: Callable[..., Any], entry: Entry, *args: Any) -> set[str]:
    watched = Watched(entry)
    fn(*args[:1], watched, *args[1:])
    return watched._read


def test_parse_body_reads_only_the_fields_it_declares(corpus: Path) -> None:
    for root in (REPO, corpus):
        site, _ = build_site(root, Problems())
        lookup = build_lookup(site.project)
        md = make_markdown(trust_html=bool(site.project.config.trust_html))
        assert sum(bool(doc.body) for doc in site.project.all_documents) > 30  # `check` keeps the Markdown
        for doc in site.project.all_documents:
            found = fields_read(parse_body, doc, md, lookup, {})
            assert found <= set(declared(parse_body)), (doc.path, found - set(declared(parse_body)))


def test_the_field_check_can_fail(corpus: Path) -> None:
    @reads("path")
    def sneaky(md: Any, entry: Any, lookup: Any, overrides: Any) -> str:
        return f"{entry.path}{entry.meta}"

    site, _ = build_site(corpus, Problems())
    doc = site.project.all_documents[0]
    assert fields_read(sneaky, doc, None, None, {}) - set(declared(sneaky)) == {"meta"}


def test_body_key_covers_each_declared_field(corpus: Path) -> None:
    """Change any one declared field and the key changes (so the declaration is the key)."""
    from dataclasses import replace

    site, _ = build_site(corpus, Problems())
    doc = next(d for d in site.project.all_documents if d.kind == "event")
    options = parse_options(False, {})
    key = body_key(options, doc)
    changed = {"path": replace(doc, path="content/events/other.md"), "kind": replace(doc, kind="actor"),
               "body": replace(doc, body=doc.body + "x"), "body_line": replace(doc, body_line=doc.body_line + 1),
               "url_path": replace(doc, id="other")}
    assert set(changed) == set(declared(parse_body))
    for name, other in changed.items():
        assert body_key(options, other) != key, name
    assert body_key(parse_options(True, {}), doc) != key


@contextmanager
def opened() -> Iterator[list[str]]:
    """Every path opened for reading while inside (an audit hook cannot be removed: it is switched off)."""
    found: list[str] = []
    state = {"on": True}

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if state["on"] and event == "open" and isinstance(args[0], (str, Path)):
            found.append(str(args[0]))

    sys.addaudithook(hook)
    try:
        yield found
    finally:
        state["on"] = False


def test_load_entry_opens_only_its_own_file(corpus: Path) -> None:
    for root in (REPO, corpus):
        files = walk(root, Problems()) or []
        assert len(files) > 30
        for rel, kind in files:
            with opened() as paths:
                load_entry(root, rel, kind, {})
            assert {Path(p).resolve() for p in paths} <= {(root / rel).resolve()}, (rel, paths)


def test_rendering_opens_only_layouts(corpus: Path) -> None:
    layouts = [DEFAULT_LAYOUTS.resolve(), (REPO / "layouts").resolve(), (corpus / "layouts").resolve()]
    code = [Path(p).resolve() for p in (sys.prefix, sys.base_prefix, DEFAULT_LAYOUTS.parent)]  # in `code_digest`
    layouts += code
    for root in (REPO, corpus):
        site, _ = build_site(root, Problems())
        renderer = Renderer(site, make_environment(root))
        renderer.prepare()
        files = site_files(site, renderer)
        with opened() as paths:
            for doc in files.entries:
                renderer.render(renderer.entry_page(doc))
            for page in files.index_pages():
                renderer.render(page)
        outside = {p for p in paths if not any(Path(p).resolve().is_relative_to(base) for base in layouts)}
        assert not outside, outside


def test_a_fresh_copy_with_the_cache_restored_reuses_everything(corpus: Path, tmp_path: Path) -> None:
    """CI's path: a new checkout (every file a new mtime) at the same path, `.explainer-cache/` restored."""
    root = tmp_path / "project"
    shutil.copytree(corpus, root)
    first = DiskMemo(root)
    assert build_site(root, Problems(), Memory(), Layer(first))[1]
    first.save()
    saved = tmp_path / "saved"
    shutil.copytree(root / CACHE_DIR, saved)
    shutil.rmtree(root)
    shutil.copytree(corpus, root, copy_function=shutil.copy)  # new times, same bytes
    shutil.copytree(saved, root / CACHE_DIR)
    memo = DiskMemo(root)
    out = Memory()
    site, _ = build_site(root, Problems(), out, Layer(memo))
    docs = len(site.project.all_documents)
    pages = sum(1 for rel in out.files if rel.endswith(".html"))
    assert memo.hits["entries"] == len(walk(root, Problems()) or [])
    assert memo.hits["bodies"] == docs
    assert memo.hits["pages"] == pages
    assert memo.hits["index"] == len(site.project.entries)
    assert memo.hits["cards"] == sum(1 for rel in out.files if rel.endswith(".png"))


def test_the_open_check_can_fail(corpus: Path) -> None:
    with opened() as paths:
        (corpus / "config.yaml").read_bytes()
    assert str(corpus / "config.yaml") in paths
