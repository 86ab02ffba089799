"""What the first search query downloads on a big site, measured in a real browser.

    python bench/bench_search.py [--entries 10000] [--work DIR] [QUERY ...]

Generates a corpus (bench/generate.py), builds it (`python -m explainer build
--no-cache`), serves the site on 127.0.0.1 and, for each query, opens
`/search/?q=QUERY` in a fresh headless Chromium context (Debian's /usr/bin/chromium)
and adds up the bytes of every file the page fetched from `search/` (the manifest, the
shards of the query's words, the result files shown), uncompressed, as a static host
without gzip would send them. The search page itself and the shared assets are listed
apart. Issue 19's target: the first query on 10,000 entries downloads at most 300 KB.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
from tools import launch_chromium, serve_directory  # noqa: E402

QUERIES = ["liaison office", "alliance summit minister", "deterrence", "the", "cyber resilience strategy", "commun"]


def measure(site: Path, queries: list[str]) -> list[tuple[str, int, int, int, int]]:
    """(query, results, files, search bytes, page+asset bytes) for each query."""
    from playwright.sync_api import sync_playwright

    rows = []
    with serve_directory(site) as base, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        for query in queries:
            context = browser.new_context()
            page = context.new_page()
            urls: list[str] = []
            page.on("requestfinished", lambda r, seen=urls: seen.append(r.url))
            page.goto(base + "search/?q=" + query)
            page.wait_for_selector(".search-count")
            page.wait_for_load_state("networkidle")
            results = int(page.locator(".search-count").inner_text().split()[0])
            paths = [u[len(base):].split("?")[0] for u in urls if u.startswith(base)]
            index = [p for p in paths if p.startswith("search/") and p != "search/"]
            other = [p + "index.html" if p.endswith("/") else p for p in paths if p not in index]
            rows.append((query, results, len(index), sum((site / p).stat().st_size for p in index),
                         sum((site / p).stat().st_size for p in other if (site / p).is_file())))
            context.close()
        browser.close()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("queries", nargs="*", default=QUERIES)
    parser.add_argument("--entries", type=int, default=10000)
    parser.add_argument("--work", type=Path, default=HERE / "corpus", help="scratch folder (git-ignored)")
    args = parser.parse_args(argv)
    root = args.work / f"search-{args.entries}"
    if root.exists():
        shutil.rmtree(root)
    subprocess.run([sys.executable, str(HERE / "generate.py"), str(args.entries), str(root)], check=True)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "explainer", "build", "--root", str(root), "--out", str(root / "site"),
                    "--no-cache"], check=True, stdout=subprocess.DEVNULL)
    print(f"built {args.entries:,} entries in {time.perf_counter() - start:.1f} s")
    search = root / "site" / "search"
    total = sum(p.stat().st_size for p in search.rglob("*") if p.is_file())
    print(f"index: {total / 1e6:.1f} MB in {sum(1 for _ in search.rglob('*.json')):,} files, manifest "
          f"{(search / 'manifest.json').stat().st_size:,} bytes")
    print(f"{'query':28s} {'results':>8s} {'files':>6s} {'search KB':>10s} {'page+assets KB':>15s}")
    for query, results, files, size, other in measure(root / "site", args.queries):
        print(f"{query:28s} {results:8d} {files:6d} {size / 1024:10.1f} {other / 1024:15.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
