"""Benchmark of the dev server's incremental rebuild (issue 6): save-to-page-on-disk time.

    python bench/bench_serve.py [--entries 4000] [--edits 20] [--keep DIR]

Generates a corpus with bench/generate.py, times a cold full build (`build.build`,
what `explainer build` runs) and then, in the same run, the time from saving an
event's body to its new page being on disk, twice over:

* engine: save, then `incremental.Engine.rebuild()` until the page is written (what the
  server's watcher thread runs once it has seen the change; the site-wide outputs are
  written after the pages and timed separately);
* server: a real `explainer serve` subprocess, polling the served file until the new
  text is there (adds the watcher's polling interval and debounce).

Prints medians and the ratio to the cold build. Wall-clock figures; compare only
figures from the same run.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def edit_body(path: Path, n: int) -> str:
    """Append a marker sentence to the body's first paragraph; returns the marker."""
    marker = f"Benchmark edit number {n}."
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"Benchmark edit number \d+\. ", "", text)
    head, sep, body = text.partition("\n---\n")
    path.write_text(head + sep + marker + " " + body, encoding="utf-8")
    return marker


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=4000)
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--keep", metavar="DIR", help="work in DIR instead of a temporary folder")
    args = parser.parse_args()

    from explainer.build import build
    from explainer.speed.engine import Engine

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-serve-"))
    try:
        root = work / "project"
        if root.exists():
            shutil.rmtree(root)
        subprocess.run([sys.executable, str(HERE / "generate.py"), str(args.entries), str(root)], check=True,
                       stdout=subprocess.DEVNULL)
        events = sorted((root / "content" / "events").glob("*.md"))
        targets = [events[(i * 7919) % len(events)] for i in range(args.edits)]

        started = time.perf_counter()
        result = build(root, out=work / "site")
        cold = time.perf_counter() - started
        assert result.ok, [p.format() for p in result.problems.items[:5]]
        pages = sum(1 for w in result.written if w.endswith(".html"))
        print(f"corpus: {args.entries} entries, {pages} pages; cold full build: {cold * 1000:.0f} ms")

        served = work / "served"
        shutil.rmtree(served, ignore_errors=True)
        served.mkdir()
        engine = Engine(root, served)
        started = time.perf_counter()
        assert engine.rebuild().ok
        print(f"engine's first (full) build: {(time.perf_counter() - started) * 1000:.0f} ms")
        times, totals, rendered = [], [], []
        on_disk: list[float] = []
        engine.on_pages = lambda: on_disk.append(time.perf_counter())
        for n, path in enumerate(targets):
            page = served / "events" / path.stem / "index.html"
            marker = edit_body(path, n)
            on_disk.clear()
            started = time.perf_counter()
            outcome = engine.rebuild()
            totals.append(time.perf_counter() - started)
            assert outcome.ok and marker in page.read_text(encoding="utf-8") and on_disk
            times.append(on_disk[0] - started)
            rendered.append(outcome.rendered)
        med = statistics.median(times)
        print(f"engine: body edit -> page on disk, median of {len(times)}: {med * 1000:.1f} ms "
              f"(min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f}; pages rendered per edit: "
              f"{statistics.median(rendered):.0f}); cold build / median = {cold / med:.0f}x")
        print(f"engine: whole rebuild incl. sitemap/feed/data.json/search index, median: "
              f"{statistics.median(totals) * 1000:.1f} ms")

        proc = subprocess.Popen([sys.executable, "-m", "explainer", "serve", "--root", str(root), "--port", "0"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            folder = None
            for line in proc.stdout:  # type: ignore[union-attr]
                m = re.search(r"files from (.+)$", line.strip())
                if m:
                    folder = Path(m.group(1))
                    break
            assert folder is not None
            server_times = []
            for n, path in enumerate(targets[: max(5, args.edits // 2)], start=1000):
                page = folder / "events" / path.stem / "index.html"
                time.sleep(0.3)
                marker = edit_body(path, n)
                started = time.perf_counter()
                while marker not in page.read_text(encoding="utf-8"):
                    time.sleep(0.002)
                    if time.perf_counter() - started > 30:
                        raise AssertionError("the server did not rebuild within 30 s")
                server_times.append(time.perf_counter() - started)
            smed = statistics.median(server_times)
            print(f"server (watcher + debounce + rebuild): median of {len(server_times)}: {smed * 1000:.1f} ms "
                  f"(min {min(server_times) * 1000:.1f}, max {max(server_times) * 1000:.1f}); "
                  f"cold build / median = {cold / smed:.0f}x")
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        ok = med < 0.100 and med < cold / 20
        print(f"target (engine median < 100 ms and < cold/20): {'met' if ok else 'NOT met'}")
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
