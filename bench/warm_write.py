"""What writing the output costs: a warm one-edit build and a cold build, two versions interleaved.

    python bench/warm_write.py --base-src OLD/src [--size 4000] [--shape drafts,default] [--repeat 3]

`--base-src` is the `src/` folder of another version of explainer (e.g. `git archive REF src |
tar -x -C /tmp/base`); the working tree's `src/` is the other. For each shape, each version
builds its own copy of one generated project, one after the other for every figure, so that
both see the same machine load:

* cold: `explainer build --no-cache` (wall seconds);
* warm: a sentence appended to one event, then `explainer build` with the cache (wall
  seconds), after one cached build that filled the cache;
* write: the same warm build in one process (`--jobs 1`), with the time spent in
  `OutputDir.write` and `OutputDir.commit` summed by a timer wrapped around them (seconds,
  and their share of that build's wall time). The timer is this script's, not the tool's.

Medians of `--repeat`. No figure here is asserted anywhere.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import generate  # noqa: E402

TIMED_WRITE = """
import sys, time
from explainer.write import writer
spent = [0.0]
def timed(fn):
    def run(*args, **kwargs):
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - start
    return run
writer.OutputDir.write = timed(writer.OutputDir.write)
writer.OutputDir.commit = timed(writer.OutputDir.commit)
from explainer.cli import main
start = time.perf_counter()
try:
    code = main(sys.argv[1:])
finally:
    print(f"WRITE {spent[0]:.3f} {time.perf_counter() - start:.3f}", file=sys.stderr)
sys.exit(code)
"""


def run(src: Path, *args: str, timed_write: bool = False) -> tuple[float, float]:
    """(wall seconds, seconds in OutputDir.write and commit, or 0) of one `explainer` command."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    cmd = [sys.executable, "-c", TIMED_WRITE] if timed_write else [sys.executable, "-m", "explainer"]
    start = time.perf_counter()
    done = subprocess.run([*cmd, *args], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr[-2000:]}")
    write = 0.0
    for line in done.stderr.splitlines():
        if line.startswith("WRITE "):
            write = float(line.split()[1])
    return wall, write


def edit(root: Path, n: int) -> None:
    event = sorted((root / "content" / "events").glob("*.md"))[0]
    with event.open("a", encoding="utf-8") as fh:
        fh.write(f"\nOne more sentence, number {n}.\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-src", type=Path, required=True, help="src/ of the version to compare against")
    parser.add_argument("--size", type=int, default=4000)
    parser.add_argument("--shape", default="drafts,default")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    versions = {"before": args.base_src.resolve(), "after": HERE.parent / "src"}
    work = Path(tempfile.mkdtemp(prefix="explainer-warm-write-"))
    print(f"{args.size} entries; before = {args.base_src}, after = working tree; load {os.getloadavg()[0]:.1f}")
    print("| shape | version | cold --no-cache | warm one edit | ratio | write+commit, --jobs 1 | of that build |")
    print("|---|---|---:|---:|---:|---:|---:|")
    try:
        for shape in args.shape.split(","):
            corpus = work / f"corpus-{shape}"
            generate.main([str(args.size), str(corpus), "--shape", shape])
            roots = {}
            for name in versions:
                roots[name] = work / f"{shape}-{name}"
                shutil.copytree(corpus, roots[name])
            figures: dict[str, dict[str, list[float]]] = {name: {} for name in versions}
            n = 0
            for _ in range(args.repeat):
                for name, src in versions.items():
                    root = str(roots[name])
                    figures[name].setdefault("cold", []).append(run(src, "build", "--root", root, "--no-cache")[0])
                    run(src, "build", "--root", root)  # fills the cache and the record
                    n += 1
                    edit(roots[name], n)
                    figures[name].setdefault("warm", []).append(run(src, "build", "--root", root)[0])
                    n += 1
                    edit(roots[name], n)
                    wall, write = run(src, "build", "--root", root, "--jobs", "1", timed_write=True)
                    figures[name].setdefault("write", []).append(write)
                    figures[name].setdefault("write wall", []).append(wall)
                    print(f"  {shape} {name}: " + ", ".join(f"{k} {v[-1]:.2f}" for k, v in figures[name].items()),
                          file=sys.stderr, flush=True)
            for name in versions:
                med = {k: statistics.median(v) for k, v in figures[name].items()}
                ratio, share = med["warm"] / med["cold"], med["write"] / med["write wall"]
                print(f"| {shape} | {name} | {med['cold']:.2f} s | {med['warm']:.2f} s | {ratio:.2f}× "
                      f"| {med['write']:.2f} s | {share:.0%} of {med['write wall']:.2f} s |", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
