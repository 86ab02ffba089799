"""write/writer.py: a cached build links the files whose bytes the last build wrote.

`OutputDir` hard-links a file from the old site instead of writing it when the record of
the last cached build (`cache/noop.py`, `files.json`) shows the same bytes and the file
still has the stamp it had when written. These tests build real projects on disk and
check that the site is still a clean build's, byte for byte, and that anything in doubt
(a hand edit, a planted symlink, a record of another folder) is written afresh.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import make_project, run_cli, tree_hash
from explainer.build import build
from explainer.cache import noop
from explainer.write import stamps
from explainer.write.writer import MARKER, OutputDir, content_digest, read_marker

EVENT = "content/events/summit-2023.md"
PAGE = "events/summit-2023/index.html"
STABLE = "404.html"  # the same after an event's body changes


def inodes(folder: Path) -> dict[str, int]:
    """Every file under `folder` (not the marker) by its inode."""
    found = {}
    for path in folder.rglob("*"):
        st = os.lstat(path)
        if not stat.S_ISDIR(st.st_mode) and path.name != MARKER:
            found[path.relative_to(folder).as_posix()] = st.st_ino
    return found


def cached(root: Path, out: Path | None = None, jobs: int = 1) -> list[str]:
    result = build(root, out=out, use_cache=True, jobs=jobs)
    assert result.ok, [p.format() for p in result.problems.items]
    return result.written


def clean(root: Path, out: Path) -> str:
    assert build(root, out=out, jobs=1).ok
    return tree_hash(out)


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_warm_build_links_what_did_not_change_and_gives_a_clean_builds_bytes(tmp_path: Path, jobs: int) -> None:
    root = make_project(tmp_path)
    site = root / "site"
    cached(root, jobs=jobs)
    before = inodes(site)
    with (root / EVENT).open("a", encoding="utf-8") as fh:
        fh.write("\nOne more sentence.\n")
    written = cached(root, jobs=jobs)
    after = inodes(site)
    linked = {rel for rel, ino in after.items() if before.get(rel) == ino}
    assert PAGE in after and PAGE not in linked  # its bytes changed: written
    assert STABLE in linked and len(linked) > len(after) // 2
    assert tree_hash(site) == clean(root, tmp_path / "clean")
    # the record covers every file, whichever process wrote it (forked workers keep journals)
    assert set(noop.last_files(root, site)) == set(written) == set(after)
    assert read_marker(site) == set(written)


def test_a_hand_edited_output_file_is_written_again_not_linked(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    site = root / "site"
    cached(root)
    page = site / STABLE
    data = page.read_bytes()
    with page.open("r+b") as fh:  # in place, same size: only its stamp tells
        fh.write(data[:1].swapcase() if data[:1].isalpha() else b"X")
    edited = os.lstat(page).st_ino
    robots = site / "robots.txt"
    mode = stat.S_IMODE(os.stat(robots).st_mode)
    os.chmod(robots, 0o600)  # another mode than a new file's: written again too, with a new file's
    result = build(root, use_cache=True, jobs=1)
    assert result.ok and not result.unchanged  # the output changed: no no-op
    assert page.read_bytes() == data
    assert os.lstat(page).st_ino != edited
    assert stat.S_IMODE(os.stat(robots).st_mode) == mode
    assert tree_hash(site) == clean(root, tmp_path / "clean")


def test_a_symlink_planted_in_the_site_is_never_followed_or_linked(tmp_path: Path) -> None:
    """The file a build wrote, moved out and linked back by a symlink: followed, it has the
    recorded stamp and bytes; it is still not the build's file, so it is written afresh."""
    root = make_project(tmp_path)
    site = root / "site"
    cached(root)
    outside = tmp_path / "outside.html"
    os.rename(site / STABLE, outside)
    os.symlink(outside, site / STABLE)
    kept = outside.read_bytes(), os.stat(outside)
    result = build(root, use_cache=True, jobs=1)
    assert result.ok and not result.unchanged
    now = os.lstat(site / STABLE)
    assert stat.S_ISREG(now.st_mode) and now.st_ino != kept[1].st_ino
    assert (site / STABLE).read_bytes() == kept[0]
    assert outside.read_bytes() == kept[0] and os.stat(outside).st_nlink == 1
    assert tree_hash(site) == clean(root, tmp_path / "clean")


def test_a_record_of_another_folder_links_nothing(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    cached(root)
    other = tmp_path / "other"
    cached(root, out=other)
    assert not set(inodes(root / "site").values()) & set(inodes(other).values())
    assert set(noop.last_files(root, other)) == set(inodes(other))  # the record now is of `other`
    assert noop.last_files(root, root / "site") == {}


def test_a_file_linked_then_written_again_leaves_the_old_site_as_it_was(tmp_path: Path) -> None:
    target = tmp_path / "site"
    start = time.time_ns()
    first = OutputDir(target, {})
    first.write("a.html", b"one")
    first.write("b/c.html", "two")
    first.commit()
    assert first.files is not None and first.files["a.html"][0] == content_digest(b"one")
    written = os.stat(target / "a.html").st_mtime_ns  # dated before the build: a later edit changes it
    assert start - stamps.RACY_NS <= written <= time.time_ns() - stamps.RACY_NS
    second = OutputDir(target, first.files)
    second.write("a.html", b"one")
    assert os.stat(second.tmp / "a.html").st_ino == os.stat(target / "a.html").st_ino  # linked
    second.write("a.html", b"three")  # never into the linked file: a new one
    assert (target / "a.html").read_bytes() == b"one"
    second.write("b/c.html", b"two")
    second.commit()
    assert (target / "a.html").read_bytes() == b"three"
    assert (target / "b/c.html").read_bytes() == b"two"
    assert second.files is not None and second.files["b/c.html"] == first.files["b/c.html"]


def test_without_a_record_every_file_is_written_and_none_recorded(tmp_path: Path) -> None:
    target = tmp_path / "site"
    first = OutputDir(target, {})
    first.write("a.html", b"one")
    first.commit()
    second = OutputDir(target)  # a --no-cache build
    second.write("a.html", b"one")
    assert os.stat(second.tmp / "a.html").st_ino != os.stat(target / "a.html").st_ino
    second.commit()
    assert second.files is None and (target / "a.html").read_bytes() == b"one"


KILLED_AFTER_LINKING = """
import os, signal, sys
from pathlib import Path
from explainer.cache import noop
from explainer.write.writer import OutputDir, read_marker
root = Path(sys.argv[1])
site = root / "site"
out = OutputDir(site, noop.last_files(root, site))
for rel in sorted(read_marker(site)):
    out.write(rel, (site / rel).read_bytes())  # every file linked
out.write("404.html", b"half a site")
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_warm_build_killed_after_linking_leaves_the_old_site(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    site = root / "site"
    cached(root)
    before = tree_hash(site)
    killed = subprocess.run([sys.executable, "-c", KILLED_AFTER_LINKING, str(root)], capture_output=True,
                            text=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    left = [p for p in root.iterdir() if p.name.startswith(".site.tmp-")]
    assert len(left) == 1 and os.stat(left[0] / PAGE).st_ino == os.stat(site / PAGE).st_ino
    assert tree_hash(site) == before  # nothing written into a linked file
    done = run_cli("build", "--root", str(root))
    assert done.returncode == 0, done.stderr
    assert not left[0].exists()
    assert tree_hash(site) == before == clean(root, tmp_path / "clean")
