"""Before and after: the same build figures for two versions of explainer, interleaved in one run.

    python bench/compare.py --base REF [--sizes 1000,4000] [--repeat 3] [--shape default]

REF is a git revision of this repository (e.g. the commit before a change); it is checked
out into a temporary worktree and run with `PYTHONPATH` pointing at its `src/`, the
working tree likewise, one after the other for every figure, so that both see the same
machine load. Figures (median of `--repeat`, seconds; memory: largest process, MB):
a cold build (`--no-cache`) and its CPU time (user + system of every process: it moves
less than wall time when others share the machine), a warm build with nothing changed
(`NOOP_RUNS` of them a round), a rebuild after one entry's body changed (with the cache),
and the peak memory of the cold build. Prints a table and the ratio after/before of each figure. No figure here
is asserted anywhere.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
import generate  # noqa: E402
from run import timed  # noqa: E402

NOOP_RUNS = 5
"""No-op builds a round, all of them kept: one takes about half a second at 10,000 entries,
so with a single run a round the figure moved by a fifth or more with the machine's load."""


def build(src: Path, root: Path, out: Path, *flags: str) -> tuple[float, float, int]:
    env = {"PYTHONPATH": str(src)}
    return timed([sys.executable, "-m", "explainer", "build", "--root", str(root), "--out", str(out), *flags],
                 env={**os.environ, **env})


def edit_one(root: Path, n: int) -> None:
    event = sorted((root / "content" / "events").glob("*.md"))[0]
    event.write_text(event.read_text(encoding="utf-8") + f"\nOne more sentence, number {n}.\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="git revision to compare against")
    parser.add_argument("--sizes", default="1000,4000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--shape", default="default", choices=generate.SHAPES)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="explainer-compare-"))
    base = work / "base"
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "-q", str(base), args.base], check=True)
    versions = {"before": base / "src", "after": REPO / "src"}
    try:
        print(f"before = {args.base}, after = working tree; shape {args.shape}; load {os.getloadavg()[0]:.1f}")
        print(f"{'entries':>7} {'figure':<22} {'before':>9} {'after':>9} {'after/before':>12}")
        for size in (int(s) for s in args.sizes.split(",")):
            figures: dict[str, dict[str, list[float]]] = {}
            corpora = {}
            for name in versions:  # one corpus per version: each keeps its own cache
                corpora[name] = work / f"corpus-{name}-{size}"
                generate.generate(size, corpora[name], shape=args.shape)
            for n in range(args.repeat):
                for name, src in versions.items():
                    root = corpora[name]
                    out = work / f"out-{name}-{size}"
                    shutil.rmtree(out, ignore_errors=True)
                    shutil.rmtree(root / ".explainer-cache", ignore_errors=True)
                    got = figures.setdefault(name, {})
                    wall, cpu, rss = build(src, root, out, "--no-cache")
                    got.setdefault("cold build", []).append(wall)
                    got.setdefault("cold build, CPU s", []).append(cpu)
                    got.setdefault("peak MB (cold)", []).append(rss)
                    shutil.rmtree(out, ignore_errors=True)
                    build(src, root, out)  # fills the cache
                    import time
                    time.sleep(2.1)  # older than the "racy" window, so the no-op build may be skipped
                    for _ in range(NOOP_RUNS):
                        got.setdefault("warm, nothing changed", []).append(build(src, root, out)[0])
                    edit_one(root, n)
                    got.setdefault("one body edit", []).append(build(src, root, out)[0])
            for figure in figures["before"]:
                b = statistics.median(figures["before"][figure])
                a = statistics.median(figures["after"][figure])
                print(f"{size:>7} {figure:<22} {b:>9.2f} {a:>9.2f} {a / b:>12.2f}")
        print(f"load at the end {os.getloadavg()[0]:.1f}")
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(base)], check=False)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
