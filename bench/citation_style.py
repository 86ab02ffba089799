"""What a citation style costs: a cold build of a generated corpus with and without `citation_style`.

    python bench/citation_style.py [--size 1000] [--style apa] [--repeat 5] [--work DIR]

Two copies of the same corpus (bench/generate.py) differ only in one line of config.yaml
(`citation_style: STYLE`). Each is built cold (`explainer build --no-cache`, every core),
in a fresh process, the two interleaved (A, B, A, B, …) so that a change in the machine's
load hits both alike. Prints the median wall and CPU time of each, the ratio (issue 20's
target: at most 1.20) and the load average before and after, since the machine may be shared.

Then, in this process, the CPU time of one reference: every source of the corpus formatted
in the style by citeproc-py as shipped (its own `CitationStylesStyle`) and by explainer's
(`render.citestyle.load_style`: the same classes, two lookups remembered per style), the
two interleaved over `--repeat` rounds, median.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
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


def per_reference(root: Path, rounds: int) -> dict[str, float]:
    """CPU ms a reference, citeproc-py as shipped and explainer's style (see the module's docstring)."""
    from citeproc import CitationStylesStyle

    from explainer.diagnostics import Problems
    from explainer.pipeline import build_site
    from explainer.render import citestyle

    site, _ = build_site(root, Problems())
    path = site.config.style_file
    assert path is not None
    items = [citestyle.hide_markup(citestyle.source_item(e)) for e in citestyle.sources_of(site)]
    styles = {"shipped": citestyle.unnumbered(CitationStylesStyle(path, validate=False)),
              "explainer": citestyle.unnumbered(citestyle.load_style(path))}
    times: dict[str, list[float]] = {name: [] for name in styles}
    for _ in range(rounds):
        for name, style in styles.items():
            start = time.process_time()
            for item in items:
                citestyle.bibliography_entry(style, item)
            times[name].append((time.process_time() - start) * 1000 / len(items))
    return {name: round(statistics.median(t), 2) for name, t in times.items()}


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
        "ms_per_reference": per_reference(styled, args.repeat),
    }
    print(json.dumps(result, indent=1))
    print(f"{args.size} entries ({sources} sources), {args.style}: cold build {wall['plain']:.2f} s -> "
          f"{wall['styled']:.2f} s wall ({result['wall_ratio']:.2f}x), CPU {cpu['plain']:.2f} s -> "
          f"{cpu['styled']:.2f} s ({result['cpu_ratio']:.2f}x); load average {load_before[0]:.2f} -> "
          f"{load_after[0]:.2f}")
    ms = result["ms_per_reference"]
    print(f"CPU a reference, in one process: citeproc-py as shipped {ms['shipped']:.2f} ms, "
          f"explainer's {ms['explainer']:.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
