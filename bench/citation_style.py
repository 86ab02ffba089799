"""What a citation style costs: a cold build of a generated corpus with and without `citation_style`.

    python bench/citation_style.py [--size 1000] [--style apa] [--repeat 5] [--work DIR]

Two copies of the same corpus (bench/generate.py) differ only in one line of config.yaml
(`citation_style: STYLE`). Each is built cold (`explainer build --no-cache`, every core),
in a fresh process, the two interleaved (A, B, A, B, …) so that a change in the machine's
load hits both alike. Prints the median wall and CPU time of each, the ratio (issue 20's
target: at most 1.20) and the load average before and after, since the machine may be shared.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import generate  # noqa: E402
from run import timed  # noqa: E402


def cold_build(root: Path) -> tuple[float, float, int]:
    shutil.rmtree(root / "site", ignore_errors=True)
    shutil.rmtree(root / ".explainer-cache", ignore_errors=True)
    return timed([sys.executable, "-m", "explainer", "build", "--no-cache", "--root", str(root),
                  "--out", str(root / "site")])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--style", default="apa")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="explainer-bench-csl-"))
    plain, styled = work / "plain", work / "styled"
    for folder in (plain, styled):
        shutil.rmtree(folder, ignore_errors=True)
        generate.generate(args.size, folder)
    with open(styled / "config.yaml", "a", encoding="utf-8") as fh:
        fh.write(f"citation_style: {args.style}\n")
    sources = len(list((styled / "content" / "sources").glob("*.md")))
    load_before = os.getloadavg()
    cold_build(plain), cold_build(styled)  # warm the disk cache and the interpreter's files once
    runs: dict[str, list[tuple[float, float, int]]] = {"plain": [], "styled": []}
    for _ in range(args.repeat):
        runs["plain"].append(cold_build(plain))
        runs["styled"].append(cold_build(styled))
    load_after = os.getloadavg()
    wall = {k: statistics.median(r[0] for r in v) for k, v in runs.items()}
    cpu = {k: statistics.median(r[1] for r in v) for k, v in runs.items()}
    assert "reference csl" in next((styled / "site" / "events").glob("*/index.html")).read_text(encoding="utf-8")
    result = {
        "size": args.size, "sources": sources, "style": args.style, "repeat": args.repeat,
        "wall_s": wall, "cpu_s": cpu, "wall_ratio": round(wall["styled"] / wall["plain"], 3),
        "cpu_ratio": round(cpu["styled"] / cpu["plain"], 3),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
    }
    print(json.dumps(result, indent=1))
    print(f"{args.size} entries ({sources} sources), {args.style}: cold build {wall['plain']:.2f} s -> "
          f"{wall['styled']:.2f} s wall ({result['wall_ratio']:.2f}x), CPU {cpu['plain']:.2f} s -> "
          f"{cpu['styled']:.2f} s ({result['cpu_ratio']:.2f}x); load average {load_before[0]:.2f} -> "
          f"{load_after[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
