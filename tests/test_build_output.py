"""Writing the site: atomic (a failed build leaves site/ byte for byte) and deterministic."""

from __future__ import annotations

import os
import pathlib
import random
from pathlib import Path

import pytest

from conftest import BASE_FILES, make_project, tree_hash
from explainer.build import build
from explainer.diagnostics import UsageError
from explainer.write.writer import BuildLocked, OutputDir, OutputError

BAD_ENTRY = {"content/pages/about.md": "---\ntitle: About\nnav: 1\ncolour: red\n---\n"}


def siblings(root: Path) -> list[str]:
    """Everything beside site/ that a build may leave behind (temp folders, the lock file): nothing."""
    return sorted(p.name for p in root.iterdir() if p.name.startswith(".site"))


def test_failed_build_keeps_old_site_byte_for_byte(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    assert build(root).ok
    before = tree_hash(root / "site")
    (root / "content/pages/about.md").write_text(BAD_ENTRY["content/pages/about.md"])
    (root / "content/actors/nato.md").write_text("---\ntitle: Changed\nkind: organisation\n---\nx[@guardian-2023]\n")
    result = build(root)
    assert not result.ok and result.problems.errors
    assert tree_hash(root / "site") == before
    assert siblings(root) == []


def test_template_failure_midway_keeps_old_site_and_no_temp_folder(tmp_path: Path) -> None:
    """The timeline layout fails after the entry pages were already written to the temp folder."""
    root = make_project(tmp_path)
    assert build(root).ok
    before = tree_hash(root / "site")
    (root / "layouts").mkdir()
    (root / "layouts/timeline.html").write_text("{% extends 'base.html' %}{% block main %}{{ no_such_variable }}"
                                                "{% endblock %}\n")
    result = build(root)
    assert [p.format() for p in result.problems.items] == [
        "layouts/timeline.html:1:1: error: layout error: 'no_such_variable' is undefined"]
    assert tree_hash(root / "site") == before
    assert siblings(root) == []


def test_successful_rebuild_replaces_site_and_cleans_up(tmp_path: Path) -> None:
    """A page the earlier build wrote and this one does not (its entry was deleted) goes."""
    root = make_project(tmp_path, {"content/pages/stale.md": "---\ntitle: Stale\n---\nOld page.\n"})
    assert build(root).ok
    assert (root / "site/stale/index.html").is_file()
    (root / "content/pages/stale.md").unlink()
    (root / "content/pages/about.md").write_text("---\ntitle: About us\nnav: 1\n---\nNew text.\n")
    assert build(root).ok
    assert not (root / "site/stale").exists()
    assert "About us" in (root / "site/about/index.html").read_text()
    assert siblings(root) == []


def test_output_path_that_is_a_file(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    (tmp_path / "taken").write_text("a file")
    with pytest.raises(UsageError) as refused:
        build(root, out=tmp_path / "taken")
    assert str(refused.value) == (
        f"cannot build into '{tmp_path / 'taken'}': it is a file, not a folder; a build replaces its whole "
        "output folder (choose an empty or new folder for the site, e.g. --out site)")
    assert (tmp_path / "taken").read_text() == "a file"


@pytest.mark.parametrize("rel", ["../evil.html", "/etc/evil", "a/../../evil", "a\\..\\evil", "", "a\x00b"])
def test_writer_refuses_paths_outside_the_folder(tmp_path: Path, rel: str) -> None:
    out = OutputDir(tmp_path / "site")
    try:
        with pytest.raises(OutputError, match="refusing to write outside the output folder"):
            out.write(rel, "x")
    finally:
        out.abort()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_two_builds_at_once_are_refused(tmp_path: Path) -> None:
    first = OutputDir(tmp_path / "site")
    try:
        with pytest.raises(BuildLocked, match="another build is writing 'site' right now"):
            OutputDir(tmp_path / "site")
    finally:
        first.abort()
    OutputDir(tmp_path / "site").abort()  # the lock is released after abort


# --- determinism -------------------------------------------------------------------------------------

def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    assert build(root, out=tmp_path / "one").ok
    assert build(root, out=tmp_path / "two").ok
    assert tree_hash(tmp_path / "one") == tree_hash(tmp_path / "two")


def test_same_content_elsewhere_builds_the_same_site(tmp_path: Path) -> None:
    """Files written in the opposite order, in another folder: the site must not differ."""
    first = make_project(tmp_path / "a")
    second = tmp_path / "b" / "other-name"
    for rel in reversed(list(BASE_FILES)):
        path = second / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(BASE_FILES[rel])
    assert build(first, out=tmp_path / "one").ok
    assert build(second, out=tmp_path / "two").ok
    assert tree_hash(tmp_path / "one") == tree_hash(tmp_path / "two")


def test_directory_listing_order_does_not_matter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The file system's listing order is not ours to rely on: shuffle every listing and compare."""
    root = make_project(tmp_path, {
        f"content/sources/s{i:02d}.md": f"---\ntitle: S{i}\npublisher: P\n---\n" for i in range(12)})
    (root / "content/pages/about.md").write_text(
        "---\ntitle: About\nnav: 1\n---\n" + " ".join(f"[@s{i:02d}]" for i in range(12)) + "\n")
    assert build(root, out=tmp_path / "one").ok

    rng = random.Random(7)
    real_iterdir, real_scandir, real_listdir = pathlib.Path.iterdir, os.scandir, os.listdir

    def shuffled_iterdir(self: Path):  # type: ignore[no-untyped-def]
        items = list(real_iterdir(self))
        rng.shuffle(items)
        return iter(items)

    class ShuffledScandir:
        def __init__(self, path: object = ".") -> None:
            with real_scandir(path) as it:  # type: ignore[arg-type]
                self.items = list(it)
            rng.shuffle(self.items)

        def __iter__(self):  # type: ignore[no-untyped-def]
            return iter(self.items)

        def __enter__(self) -> ShuffledScandir:
            return self

        def __exit__(self, *exc: object) -> None:
            pass

        def close(self) -> None:
            pass

    def shuffled_listdir(path: object = ".") -> list[str]:
        items = real_listdir(path)  # type: ignore[arg-type]
        rng.shuffle(items)
        return items

    monkeypatch.setattr(pathlib.Path, "iterdir", shuffled_iterdir)
    monkeypatch.setattr(os, "scandir", ShuffledScandir)
    monkeypatch.setattr(os, "listdir", shuffled_listdir)
    assert build(root, out=tmp_path / "two").ok
    monkeypatch.undo()
    assert tree_hash(tmp_path / "one") == tree_hash(tmp_path / "two")


def test_source_date_epoch_build_is_reproducible(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_project(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert build(root, out=tmp_path / "one").ok
    assert build(root, out=tmp_path / "two").ok
    assert tree_hash(tmp_path / "one") == tree_hash(tmp_path / "two")


def test_repository_site_builds_deterministically(tmp_path: Path) -> None:
    """Two builds of this repository's site (its pages' "updated" dates come from git) are identical."""
    repo = Path(__file__).resolve().parent.parent
    first, second = build(repo, out=tmp_path / "one"), build(repo, out=tmp_path / "two")
    assert first.ok and second.ok, [p.format() for p in first.problems.errors]
    assert tree_hash(tmp_path / "one") == tree_hash(tmp_path / "two")
