"""The dev server's fast lane (issue 6, speed): a body edit's own page first, and never wrong.

`incremental.Engine._fast_lane` writes the edited entry's page before the whole-site
passes. These tests check that the full rebuild that follows agrees with it byte for
byte (and with a clean build), that a rebuild which then fails puts the last good page
back, and that anything beyond a body edit takes the ordinary path.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import make_project, tree_hash
from explainer.build import build
from explainer.diagnostics import UsageError
from explainer.serve.engine import Engine

EVENT = "content/events/summit-2023.md"
PAGE = "events/summit-2023/index.html"


def _engine(root: Path, served: Path) -> tuple[Engine, list[bytes]]:
    """An engine after its first build, recording the edited page each time pages are on disk."""
    served.mkdir()
    engine = Engine(root, served)
    assert engine.rebuild().ok
    seen: list[bytes] = []
    engine.on_pages = lambda: seen.append((served / PAGE).read_bytes())
    return engine, seen


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_fast_lane_page_equals_the_full_rebuild_and_a_clean_build(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    engine, seen = _engine(root, tmp_path / "served")
    for n, (old, new) in enumerate([("met in Vilnius", "met in Lithuania"), ("Lithuania", "Lithuania, twice")]):
        _replace(root / EVENT, old, new)
        outcome = engine.rebuild()
        assert outcome.ok and not outcome.full
        assert engine.fast_pages == n + 1
        assert b"Lithuania" in seen[0], "the fast lane did not write the new page"
        assert seen[0] == (tmp_path / "served" / PAGE).read_bytes(), "the full rebuild changed the fast page"
        assert PAGE in outcome.written
        assert build(root, out=tmp_path / f"clean{n}").ok
        assert tree_hash(tmp_path / "served") == tree_hash(tmp_path / f"clean{n}")
        seen.clear()


def test_fast_lane_page_is_taken_back_when_the_rebuild_fails(tmp_path: Path) -> None:
    root = make_project(tmp_path, {
        "config.yaml": "title: Test explainer\nbase_url: https://example.org/\nproblems: {source-uncited: error}\n",
        "content/sources/nhk-2023.md": "---\ntitle: NHK report\npublisher: NHK\n---\n",
        EVENT: ("---\ntitle: Summit\ndate: 2023-07-11\nactors: [nato]\nsources: [guardian-2023]\n---\n"
                "[[nato]] met in Vilnius.[@guardian-2023; @nhk-2023]\n"),
    })
    engine, seen = _engine(root, tmp_path / "served")
    before = tree_hash(tmp_path / "served")
    _replace(root / EVENT, "; @nhk-2023", "")  # the page alone is fine; the site now has an uncited source
    outcome = engine.rebuild()
    assert engine.fast_pages == 1 and b"nhk" not in seen[0].lower()
    assert not outcome.ok
    assert [p.format() for p in outcome.problems.errors] == [
        "content/sources/nhk-2023.md:1:1: error: source 'nhk-2023' is not cited by any entry "
        "(cite it with [@nhk-2023] or remove it)"]
    assert tree_hash(tmp_path / "served") == before, "the last good page was not put back"
    _replace(root / EVENT, "[@guardian-2023]", "[@guardian-2023; @nhk-2023]")  # the fix recovers
    assert engine.rebuild().ok
    assert build(root, out=tmp_path / "clean").ok
    assert tree_hash(tmp_path / "served") == tree_hash(tmp_path / "clean")


def test_front_matter_edits_new_files_and_pages_take_the_full_path(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    engine, _ = _engine(root, tmp_path / "served")
    changes = [
        lambda: _replace(root / EVENT, "title: Summit", "title: Vilnius summit"),
        lambda: (root / "content/actors/japan.md").write_text(
            "---\ntitle: Japan\nkind: country\n---\n[[nato]] partner.[@guardian-2023]\n", encoding="utf-8"),
        lambda: _replace(root / "content/pages/about.md", "is made", "is written"),
        lambda: _replace(root / "content/index.md", "met at", "gathered at"),
    ]
    for n, change in enumerate(changes):
        change()
        assert engine.rebuild().ok
        assert engine.fast_pages == 0, f"change {n} took the fast lane"
        assert build(root, out=tmp_path / f"clean{n}").ok
        assert tree_hash(tmp_path / "served") == tree_hash(tmp_path / f"clean{n}")


def _search_files(site: Path) -> bytes:
    """Every file of the search index (manifest, shards, result files), concatenated."""
    return b"".join(p.read_bytes() for p in sorted((site / "search").rglob("*.json")))


def test_deferred_site_wide_outputs_are_written_by_finish(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    served = tmp_path / "served"
    engine, _ = _engine(root, served)
    engine.defer_extras = True  # as the server does
    _replace(root / EVENT, "met in Vilnius", "met in Lithuania")
    outcome = engine.rebuild()
    assert outcome.ok and outcome.deferred
    assert b"Lithuania" in (served / PAGE).read_bytes()
    assert b"Lithuania" not in _search_files(served)  # still the last ones
    assert engine.finish(lambda: True).deferred, "an interrupted finish writes nothing"
    assert b"Lithuania" not in _search_files(served)
    finished = engine.finish()
    assert finished.ok and not finished.deferred and "search/manifest.json" in finished.written
    assert b"Lithuania" in _search_files(served)
    assert engine.pending is None
    assert build(root, out=tmp_path / "clean").ok
    assert tree_hash(served) == tree_hash(tmp_path / "clean")


def _age(root: Path, seconds: int = 3600) -> None:
    """Date every input back: files saved just now are 'racy' and never skip a build."""
    import os
    import time

    then = time.time() - seconds
    for path in [root / "config.yaml", *(root / "content").rglob("*"), *(root / "layouts").rglob("*")]:
        os.utime(path, (then, then))


def test_unchanged_site_is_not_rebuilt_and_any_change_is(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"content/sources/nhk-2023.md": "---\ntitle: NHK\npublisher: NHK\n---\n"})
    _age(root)
    first = build(root, use_cache=True)
    assert first.ok and not first.unchanged
    warnings = [p.format() for p in first.problems.items]
    assert warnings == ["content/sources/nhk-2023.md:1:1: warning: source 'nhk-2023' is not cited by any entry "
                        "(cite it with [@nhk-2023] or remove it)"]
    again = build(root, use_cache=True)
    assert again.unchanged and again.ok and again.written == first.written
    assert [p.format() for p in again.problems.items] == warnings  # reported again, every time
    assert not build(root, use_cache=True, strict=True).ok  # --strict fails on them, as a real build does
    assert not build(root, use_cache=True, base_url="https://example.net/x/").unchanged

    def asset() -> None:
        (root / "layouts/assets").mkdir(parents=True)
        (root / "layouts/assets/extra.css").write_text("p { margin: 0 }\n", encoding="utf-8")

    # a file no build wrote appears in site/: no build, not even a skipped one, may go on (issue 15)
    (root / "site/extra.txt").write_text("stray", encoding="utf-8")
    with pytest.raises(UsageError, match="it holds 'extra.txt', which no earlier build wrote"):
        build(root, use_cache=True)
    assert (root / "site/extra.txt").read_text(encoding="utf-8") == "stray"
    (root / "site/extra.txt").unlink()

    changes = [  # (change, inputs touched)
        (lambda: (root / "site/actors/nato/index.html").write_text("hand edit", encoding="utf-8"), False),
        (lambda: (root / "site/about/index.html").unlink(), False),
        (lambda: _replace(root / EVENT, "met in Vilnius", "met in Lithuania"), True),
        (asset, True),
    ]
    for n, (change, inputs) in enumerate(changes):
        _age(root)
        build(root, use_cache=True)  # a record of the current state
        assert build(root, use_cache=True).unchanged, n
        change()
        if inputs:
            _age(root)  # old enough to be trusted by stat: the stat itself must tell the change
        result = build(root, use_cache=True)
        assert result.ok and not result.unchanged, f"change {n} was not noticed"
        assert build(root, out=tmp_path / f"clean{n}").ok
        assert tree_hash(root / "site") == tree_hash(tmp_path / f"clean{n}")


def test_the_preview_looks_only_at_the_files_the_watcher_names(tmp_path: Path) -> None:
    """`rebuild(changed)`: the preview trusts the watcher's list; the rebuild does not need it."""
    root = make_project(tmp_path)
    engine, seen = _engine(root, tmp_path / "served")
    _replace(root / EVENT, "met in Vilnius", "met in Lithuania")
    outcome = engine.rebuild({EVENT})
    assert outcome.ok and engine.fast_pages == 1 and b"Lithuania" in seen[0]
    seen.clear()
    _replace(root / EVENT, "Lithuania", "Vilnius again")  # a save the watcher missed: no preview ...
    outcome = engine.rebuild({"content/actors/nato.md"})
    assert outcome.ok and engine.fast_pages == 1
    assert b"Vilnius again" in (tmp_path / "served" / PAGE).read_bytes()  # ... but the rebuild saw it
    for n, changed in enumerate(({"config.yaml"}, {"layouts/base.html"}, {"content/events/new-one.md"})):
        _replace(root / EVENT, f"again{n or ''}", f"again{n + 1}")  # with files that are not entries
        assert engine.rebuild(changed).ok
        assert engine.fast_pages == 1, f"{changed} took the fast lane"
    assert build(root, out=tmp_path / "clean").ok
    assert tree_hash(tmp_path / "served") == tree_hash(tmp_path / "clean")


def test_fast_lane_holds_on_a_draft_with_warnings(tmp_path: Path) -> None:
    """A draft's warnings (here an uncited paragraph before and after the edit, and a source
    nobody cites) do not send a body edit down the slow path; errors still do."""
    root = make_project(tmp_path, {
        "content/sources/nhk-2023.md": "---\ntitle: NHK report\npublisher: NHK\n---\n",
        EVENT: ("---\ntitle: Summit\ndate: 2023-07-11\nactors: [nato]\nsources: [guardian-2023]\n---\n"
                "[[nato]] met in Vilnius.[@guardian-2023]\n\nA paragraph that cites nothing.\n"),
    })
    engine, seen = _engine(root, tmp_path / "served")
    _replace(root / EVENT, "cites nothing.", "cites nothing.\n\nAnother uncited paragraph.")
    outcome = engine.rebuild({EVENT})
    assert outcome.ok and engine.fast_pages == 1, "a warning sent the edit down the slow path"
    assert b"Another uncited paragraph." in seen[0]
    assert seen[0] == (tmp_path / "served" / PAGE).read_bytes(), "the full rebuild changed the fast page"
    codes = sorted(p.code for p in outcome.problems.warnings)
    assert codes == ["source-uncited", "uncited-paragraph", "uncited-paragraph"], codes
    assert build(root, out=tmp_path / "clean").ok
    assert tree_hash(tmp_path / "served") == tree_hash(tmp_path / "clean")
    _replace(root / EVENT, "Another uncited", "[[no-such-id]] uncited")  # an error: never previewed
    outcome = engine.rebuild({EVENT})
    assert not outcome.ok and engine.fast_pages == 1
