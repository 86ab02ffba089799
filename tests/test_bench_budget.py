"""`bench/budget.py`, the cold build's time part by part (issue 19, point 1).

The table is only worth reading if every timer really sits on the function it names: a
renamed pipeline function, or a site-wide file made lazily (a generator returns before it
does its work), would show a part as 0 s and hide its cost in "the rest". This builds a
small corpus through the benchmark and checks that every part was timed and that the
build it timed wrote the same site as a plain build. It asserts no time.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from tools import bench_generate

REPO = Path(__file__).resolve().parent.parent
generate = bench_generate()


def tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_every_part_of_the_build_and_the_floor_is_timed(tmp_path: Path) -> None:
    sys.path.insert(0, str(REPO / "bench"))
    try:
        import budget
    finally:
        sys.path.remove(str(REPO / "bench"))
    root = tmp_path / "corpus"
    generate.generate(80, root, shape="varied")
    made: dict[str, int] = {}
    wall, parts = budget.time_ours(root, tmp_path / "timed", made)
    assert set(parts) == set(budget.OURS)
    untimed = [name for name in budget.OURS if name != "resolve and the rest" and parts[name] <= 0]
    assert untimed == []
    assert 0 < parts["of which markdown-it"] < parts["parse bodies"]
    assert abs(sum(v for k, v in parts.items() if k != "of which markdown-it") - wall) < 1e-6
    floor_wall, floor_parts = budget.time_floor(root, tmp_path / "floor")
    assert set(floor_parts) == set(budget.floor.PARTS) and min(floor_parts.values()) > 0
    assert sum(floor_parts.values()) <= floor_wall
    plain = subprocess.run([sys.executable, "-m", "explainer", "build", "--root", str(root), "--no-cache",
                            "--out", str(tmp_path / "plain")], capture_output=True, text=True)
    assert plain.returncode == 0, plain.stderr
    written = tree(tmp_path / "timed")
    assert written == tree(tmp_path / "plain")
    search_files = [rel for rel in written if rel.startswith("search/") and rel.endswith(".json")]
    assert made["search index"] == len(search_files) > 3  # the index was made inside its timer
    assert made["other site-wide files"] >= 6  # sitemap, robots.txt, feed, data.json, the exports
