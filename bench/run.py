"""The benchmark: our builds against the bare-pipeline floor (and peers, if installed).

    python bench/run.py [--sizes 1000,4000,10000] [--work DIR] [--repeat 3] [--shape default,varied] [--cold-only]

For each size it generates a corpus (bench/generate.py), then times, each in a fresh
process (`python -m explainer build`): a cold build (no cache, every core), a warm build
with nothing changed, a rebuild after a one-entry body edit and after a title edit (both
with the cache), a fresh copy of the project at the same path with only the cache kept
and one body edit (what CI builds on a push), and the floor (bench/floor.py) with 1 and 2 processes, all in
the same run so ratios compare like with like. The floors and the cold builds run in
turn, one of each a round (`interleaved`), and the summary gives each round's cold /
2-process floor ratio beside the ratio of the medians. Wall time is the median of
`--repeat` runs; CPU is user+sys of the build and its workers; memory is the largest
resident set of any one process (ru_maxrss of the build and of its children). If Hugo
(`hugo` on the PATH, or `HUGO=path`) or Eleventy (`ELEVENTY=path/to/cmd.cjs`, else the copy
`scripts/install-bench-tools.sh` puts in bench/tools/) are found, they build the same text
without our syntax, in the same rounds as the cold builds, and the summary gives each
round's cold build / Eleventy ratio. `--shape` lists the
corpus shapes to run (bench/generate.py --shape; default: default and varied), each size and shape
with its own floor measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import generate  # noqa: E402


def timed(cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """Run a command in a child; return (wall s, CPU s, peak RSS MB of its largest process).

    The command runs under a small Python wrapper so that its own ru_maxrss (children
    included) is measured alone, not mixed with earlier runs, and with Python's bytecode
    cache on (`PYTHONDONTWRITEBYTECODE` dropped), as on an author's machine: otherwise each
    run compiles every module of the version measured again.
    """
    wrapper = (
        "import resource, subprocess, sys, time, json\n"
        "t = time.perf_counter()\n"
        "rc = subprocess.run(sys.argv[1:]).returncode\n"
        "w = time.perf_counter() - t\n"
        "r = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(json.dumps([rc, w, r.ru_utime + r.ru_stime, r.ru_maxrss]), file=sys.stderr)\n"
    )
    env = {k: v for k, v in {**os.environ, **(env or {})}.items() if k != "PYTHONDONTWRITEBYTECODE"}
    done = subprocess.run([sys.executable, "-c", wrapper, *cmd], cwd=cwd, env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    rc, wall, cpu, rss = json.loads(done.stderr.strip().splitlines()[-1])
    if rc != 0:
        raise SystemExit(f"failed ({rc}): {' '.join(cmd)}\n{done.stderr[-2000:]}")
    return wall, cpu, rss // 1024


def timed_into(out: Path, cmd: list[str]) -> tuple[float, float, int]:
    """`timed(cmd)` for a command that writes the folder `out`, which is deleted first, untimed.

    Why: both sides then start from nothing. Before, the floor's own process deleted the
    previous run's output inside its timed run (4,000 folders: about 1 s on this disk,
    counted as the floor's), while a build hands its old `site/` to a detached `rm -rf`
    that went on into whatever run came next."""
    shutil.rmtree(out, ignore_errors=True)
    return timed(cmd)


def median_of(n: int, run) -> tuple[float, float, int]:  # type: ignore[no-untyped-def]
    return median_of_runs([run() for _ in range(n)])


def median_of_runs(results: list[tuple[float, float, int]]) -> tuple[float, float, int]:
    """Median wall and CPU seconds, largest peak memory."""
    return (statistics.median(r[0] for r in results), statistics.median(r[1] for r in results),
            max(r[2] for r in results))


def interleaved(repeat: int, runs: dict[str, Callable[[], tuple[float, float, int]]]
                ) -> dict[str, list[tuple[float, float, int]]]:
    """Every run of `runs` once a round, `repeat` rounds, in turn.

    Why: on a shared machine a slow spell lasts tens of seconds or minutes; run one
    figure's repeats back to back and the spell lands on that figure alone, so a ratio of
    two figures measured minutes apart says more about the machine than about the build.
    In turn, a spell slows each figure of its round, and the ratio of one round's two
    runs is measured seconds apart."""
    found: dict[str, list[tuple[float, float, int]]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, run in runs.items():
            found[name].append(run())
    return found


def build_cmd(root: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "explainer", "build", "--root", str(root), "--out", str(root / "site"), *extra]


def edit_body(root: Path, n: int) -> None:
    path = sorted((root / "content" / "events").glob("*.md"))[0]
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("## Details\n", f"## Details\n\nEdit {n} of this body.\n", 1), encoding="utf-8")


def edit_title(root: Path, n: int) -> None:
    path = sorted((root / "content" / "actors").glob("*.md"))[0]
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[1] = f'title: "Renamed actor {n}"'
    path.write_text("\n".join(lines), encoding="utf-8")


def fresh_copy(root: Path) -> None:
    """What CI builds on a push: the project checked out afresh at the same path (every file
    a new mtime, no `site/`), with `.explainer-cache/` restored from the last build."""
    aside = root.with_name(root.name + "-aside")
    shutil.rmtree(aside, ignore_errors=True)
    os.rename(root, aside)
    shutil.copytree(aside, root, copy_function=shutil.copy, ignore=shutil.ignore_patterns("site", ".site.*"))
    shutil.rmtree(aside, ignore_errors=True)  # the last build's detached removal of its old site may still run there


ELEVENTY = HERE / "tools" / "node_modules" / "@11ty" / "eleventy" / "cmd.cjs"
"""Where scripts/install-bench-tools.sh installs Eleventy (bench/tools/, git-ignored)."""


def eleventy_cli() -> str | None:
    """Eleventy's command-line script: `ELEVENTY`, else bench/tools/'s copy, else None."""
    if os.environ.get("ELEVENTY"):
        return os.environ["ELEVENTY"]
    return str(ELEVENTY) if ELEVENTY.is_file() else None


def peers(plain: Path) -> dict[str, Callable[[], tuple[float, float, int]]]:
    """A timed run of Hugo and of Eleventy on the plain corpus, for those installed."""
    found: dict[str, Callable[[], tuple[float, float, int]]] = {}
    hugo = os.environ.get("HUGO") or shutil.which("hugo")
    if hugo:
        (plain / "hugo.toml").write_text('baseURL = "http://127.0.0.1/"\ndisableKinds = ["taxonomy", "term"]\n')
        layouts = plain / "layouts" / "_default"
        layouts.mkdir(parents=True, exist_ok=True)
        page = "<!DOCTYPE html><html><head><title>{{ .Title }}</title></head><body>{{ .Content }}</body></html>\n"
        for name in ("single.html", "list.html"):
            (layouts / name).write_text(page)
        hugo_out = plain / "public-hugo"
        hugo_build = [hugo, "--quiet", "-s", str(plain), "-d", str(hugo_out)]
        found["hugo"] = lambda: timed_into(hugo_out, hugo_build)
    eleventy = eleventy_cli()
    if eleventy:
        eleventy_out = plain / "public-11ty"
        eleventy_build = ["node", eleventy, "--quiet", "--input=content", f"--output={eleventy_out}"]
        found["eleventy"] = lambda: (shutil.rmtree(eleventy_out, ignore_errors=True),
                                     timed(eleventy_build, cwd=plain))[1]
    return found


def run_size(n: int, work: Path, repeat: int, shape: str = "default", cold_only: bool = False
             ) -> tuple[dict[str, tuple[float, float, int]], dict[str, list[float]]]:
    """Every figure of one corpus, and the ratio of each round's cold build to its 2-process
    floor and (if installed) to its Eleventy build, keyed by the other figure's name.
    `cold_only`: the cold build (every core) and the peers alone, in rounds."""
    suffix = "" if shape == "default" else f"-{shape}"
    root = work / f"corpus-{n}{suffix}"
    if root.exists():
        shutil.rmtree(root)
    generate.generate(n, root, shape=shape)
    plain = work / f"plain-{n}{suffix}"
    if plain.exists():
        shutil.rmtree(plain)
    generate.generate(n, plain, plain_text=True, shape=shape)
    floor_out = work / "floor-out"
    floor = [sys.executable, str(HERE / "floor.py"), str(root), str(floor_out)]
    runs: dict[str, Callable[[], tuple[float, float, int]]] = {
        "floor 1 process": lambda: timed_into(floor_out, floor + ["--jobs", "1"]),
        "floor 2 processes": lambda: timed_into(floor_out, floor + ["--jobs", "2"]),
        "cold build": lambda: timed_into(root / "site", build_cmd(root, "--no-cache")),
        "cold build, 1 process": lambda: timed_into(root / "site", build_cmd(root, "--no-cache", "--jobs", "1")),
        **peers(plain),
    }
    if cold_only:
        runs = {name: run for name, run in runs.items() if not name.startswith(("floor", "cold build,"))}
    rounds = interleaved(repeat, runs)
    results = {name: median_of_runs(runs) for name, runs in rounds.items()}
    ratios = {other: [cold[0] / peer[0] for cold, peer in zip(rounds["cold build"], rounds[other], strict=True)]
              for other in ("floor 2 processes", "eleventy") if other in rounds}
    if cold_only:
        return results, ratios
    shutil.rmtree(root / ".explainer-cache", ignore_errors=True)
    timed(build_cmd(root))  # fills the cache
    results["warm build, nothing changed"] = median_of(repeat, lambda: timed(build_cmd(root)))
    count = iter(range(1000))
    results["one body edit"] = median_of(repeat, lambda: (edit_body(root, next(count)), timed(build_cmd(root)))[1])
    results["one title edit"] = median_of(repeat, lambda: (edit_title(root, next(count)), timed(build_cmd(root)))[1])
    results["fresh copy, cache kept, 1 edit"] = median_of(
        repeat, lambda: (fresh_copy(root), edit_body(root, next(count)), timed(build_cmd(root)))[2])
    return results, ratios


def report(n: int, results: dict[str, tuple[float, float, int]], shape: str = "default") -> str:
    cold = results["cold build"][0]
    f1, f2 = (results[name][0] if name in results else float("nan")
              for name in ("floor 1 process", "floor 2 processes"))
    lines = [f"\n== {n:,} entries, {shape} shape ==",
             f"{'':32s} {'wall s':>8s} {'CPU s':>8s} {'peak MB':>8s} {'/floor1':>8s} {'/floor2':>8s} {'/cold':>7s}"]
    for name, (wall, cpu, rss) in results.items():
        lines.append(f"{name:32s} {wall:8.2f} {cpu:8.2f} {rss:8d} {wall / f1:8.2f} {wall / f2:8.2f} {wall / cold:7.3f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,4000,10000", help="comma-separated corpus sizes")
    parser.add_argument("--work", type=Path, default=HERE / "corpus", help="scratch folder (git-ignored)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (the median is shown)")
    parser.add_argument("--shape", default="default,varied",
                        help=f"comma-separated corpus shapes ({', '.join(generate.SHAPES)}; default: default,varied)")
    parser.add_argument("--cold-only", action="store_true",
                        help="only the cold build (every core) and the installed peers, in rounds: "
                             "no floors, no one-process, warm or edit builds")
    args = parser.parse_args(argv)
    shapes = args.shape.split(",")
    for shape in shapes:
        if shape not in generate.SHAPES:
            parser.error(f"unknown shape {shape!r} (one of {', '.join(generate.SHAPES)})")
    args.work.mkdir(parents=True, exist_ok=True)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}", flush=True)
    summary, peer_summary = [], []
    for n in (int(s) for s in args.sizes.split(",")):
        for shape in shapes:
            results, ratios = run_size(n, args.work, args.repeat, shape, args.cold_only)
            print(report(n, results, shape), flush=True)
            if "floor 2 processes" in ratios:
                f1, f2 = results["floor 1 process"][0], results["floor 2 processes"][0]
                rounds = " ".join(f"{r:.2f}" for r in ratios["floor 2 processes"])
                summary.append(f"{n:>8,} {shape:>8s} {results['cold build'][0] / f2:8.2f} "
                               f"{statistics.median(ratios['floor 2 processes']):8.2f}   {rounds:18s} {f1 / f2:8.2f}")
            if "eleventy" in ratios:
                (cold, cold_cpu, _), (peer, peer_cpu, _) = results["cold build"], results["eleventy"]
                rounds = " ".join(f"{r:.2f}" for r in ratios["eleventy"])
                peer_summary.append(f"{n:>8,} {shape:>8s} {cold:8.2f} {peer:9.2f} {cold / peer:8.2f}   {rounds:18s} "
                                    f"{cold_cpu:8.2f} {peer_cpu:9.2f} {cold_cpu / peer_cpu:8.2f}")
    if summary:
        print("\ncold build / 2-process floor, same run (by round: cold and floor seconds apart; the floor's\n"
              "speed-up from 2 processes far below ~1.7 means the machine did not give this run two cores):\n"
              f"{'entries':>8s} {'shape':>8s} {'ratio':>8s} {'rounds':>8s}   {'each round':18s} {'floor 1/2':>8s}",
              flush=True)
        print("\n".join(summary), flush=True)
    if peer_summary:
        print("\ncold build / Eleventy, same rounds (wall: medians in seconds, their ratio, each round's ratio;\n"
              "then the median CPU seconds, every process, and their ratio):\n"
              f"{'entries':>8s} {'shape':>8s} {'cold':>8s} {'eleventy':>9s} {'ratio':>8s}   {'each round':18s} "
              f"{'cold CPU':>8s} {'11ty CPU':>9s} {'ratio':>8s}", flush=True)
        print("\n".join(peer_summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
