"""Benchmark of the dev server: save -> page on disk, save -> LiveReload "reload", idle CPU.

    python bench/bench_serve.py [--entries 4000] [--edits 20] [--saves 15] [--idle 30] [--pause 2]
                                [--poll] [--keep DIR] [--shape default|varied|drafts]

Generates a corpus with bench/generate.py, times a cold full build (`build.build`,
what `explainer build` runs) and then, in the same run:

* engine: save an event's body, then `serve.engine.Engine.rebuild()` until the page is
  written (what the server's builder thread runs once the watcher has seen the change),
  told the saved file as the server's watcher tells it, then again not told (every file
  is stat-ed); the site-wide outputs are written after the pages and timed with the rest;
* idle: a real `explainer serve` subprocess, once its first build is done, doing
  nothing for `--idle` seconds: its CPU time (utime + stime of /proc/PID/stat, every
  thread) over that time, as a share of one core;
* server: the same server, with a WebSocket client on livereload's endpoint (the hello
  handshake livereload.js does): save an event's body, time until the "reload" command
  arrives (and check that the page on disk then has the new text), `--pause` seconds
  between saves (an author's pace: the site-wide files finish in between).

`--edits 0 --saves 0` leaves only the idle figure (e.g. at 10,000 entries); `--poll`
measures the polling fallback. Prints medians, ratios to the cold build and the load average. Wall-clock
figures; compare only figures from the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
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


def cpu_ticks(pid: int) -> int:
    """utime + stime of a process (all its threads), in clock ticks."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


async def reload_times(port: int, folder: Path, targets: list[Path], pause: float) -> list[float]:
    """Save each target's body; time until livereload's "reload" command arrives."""
    from tornado.websocket import websocket_connect

    ws = await websocket_connect(f"ws://127.0.0.1:{port}/livereload")
    await ws.write_message(json.dumps({"command": "hello", "protocols": ["http://livereload.com/protocols/official-7"]}))
    hello = json.loads(await ws.read_message())  # type: ignore[arg-type]
    assert hello["command"] == "hello", hello
    await ws.write_message(json.dumps({"command": "info", "url": f"http://127.0.0.1:{port}/", "plugins": {}}))
    await asyncio.sleep(0.3)  # the info message registers the client
    times = []
    for n, path in enumerate(targets, start=1000):
        page = folder / "events" / path.stem / "index.html"
        while True:  # drain the reloads of the previous save (the full pass may send a second one)
            try:
                await asyncio.wait_for(ws.read_message(), pause)
            except TimeoutError:
                break
        marker = edit_body(path, n)
        started = time.perf_counter()
        while True:
            msg = await asyncio.wait_for(ws.read_message(), 30)
            assert msg is not None, "the server closed the WebSocket"
            if json.loads(msg)["command"] == "reload":
                times.append(time.perf_counter() - started)
                break
        assert marker in page.read_text(encoding="utf-8"), "reloaded before the page was on disk"
    ws.close()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=4000)
    parser.add_argument("--edits", type=int, default=20, help="edits timed through the engine (0: none)")
    parser.add_argument("--saves", type=int, default=15, help="saves timed through the server (0: none)")
    parser.add_argument("--idle", type=float, default=30, help="seconds of idle CPU measured (0: none)")
    parser.add_argument("--pause", type=float, default=2.0, help="seconds between two saves to the server")
    parser.add_argument("--poll", action="store_true", help="run the server with --poll")
    parser.add_argument("--keep", metavar="DIR", help="work in DIR instead of a temporary folder")
    parser.add_argument("--shape", default="default", help="corpus shape of bench/generate.py (drafts: with warnings)")
    args = parser.parse_args()

    from explainer.build import build
    try:
        from explainer.serve.engine import Engine
    except ImportError:  # a version before the engine moved beside the server (PYTHONPATH=its src, as a baseline)
        from explainer.speed.engine import Engine  # type: ignore[no-redef]

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-serve-"))
    try:
        root = work / "project"
        if root.exists():
            shutil.rmtree(root)
        subprocess.run([sys.executable, str(HERE / "generate.py"), str(args.entries), str(root), "--shape", args.shape],
                       check=True,
                       stdout=subprocess.DEVNULL)
        events = sorted((root / "content" / "events").glob("*.md"))
        targets = [events[(i * 7919) % len(events)] for i in range(max(args.edits, args.saves))]
        print(f"load average at the start: {os.getloadavg()[0]:.2f}")

        cold = 0.0
        if args.edits or args.saves:  # the ratios' denominator (the idle figure alone needs none)
            started = time.perf_counter()
            result = build(root, out=work / "site")
            cold = time.perf_counter() - started
            assert result.ok, [p.format() for p in result.problems.items[:5]]
            pages = sum(1 for w in result.written if w.endswith(".html"))
            print(f"corpus: {args.entries} entries, {pages} pages; cold full build: {cold * 1000:.0f} ms")
            shutil.rmtree(work / "site", ignore_errors=True)

        med = None
        if args.edits:
            served = work / "served"
            shutil.rmtree(served, ignore_errors=True)
            served.mkdir()
            engine = Engine(root, served)
            started = time.perf_counter()
            assert engine.rebuild().ok
            print(f"engine's first (full) build: {(time.perf_counter() - started) * 1000:.0f} ms")
            on_disk: list[float] = []
            engine.on_pages = lambda: on_disk.append(time.perf_counter())
            for told in (True, False):  # the server passes the watcher's list; without one, every file is stat-ed
                times, totals, rendered = [], [], []
                for n, path in enumerate(targets[: args.edits]):
                    page = served / "events" / path.stem / "index.html"
                    marker = edit_body(path, n + (0 if told else 500))
                    on_disk.clear()
                    started = time.perf_counter()
                    outcome = engine.rebuild({path.relative_to(root).as_posix()} if told else None)
                    totals.append(time.perf_counter() - started)
                    assert outcome.ok and marker in page.read_text(encoding="utf-8") and on_disk
                    times.append(on_disk[0] - started)
                    rendered.append(outcome.rendered)
                how = "told the saved file, as the server is" if told else "not told which file changed"
                if told:
                    med = statistics.median(times)
                print(f"engine ({how}): body edit -> page on disk, median of {len(times)}: "
                      f"{statistics.median(times) * 1000:.1f} ms (min {min(times) * 1000:.1f}, max "
                      f"{max(times) * 1000:.1f}; pages rendered per edit: {statistics.median(rendered):.0f}); "
                      f"cold build / median = {cold / statistics.median(times):.0f}x")
                print(f"engine ({how}): whole rebuild incl. sitemap/feed/data.json/search index, median: "
                      f"{statistics.median(totals) * 1000:.1f} ms")
            del engine
            shutil.rmtree(served, ignore_errors=True)

        if args.idle > 0 or args.saves:
            serve_args = ["--poll"] if args.poll else []
            proc = subprocess.Popen([sys.executable, "-m", "explainer", "serve", "--root", str(root), "--port", "0",
                                     *serve_args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            try:
                assert proc.stdout is not None
                folder, port = None, 0
                for line in proc.stdout:
                    m = re.search(r"127\.0\.0\.1:(\d+)\S* \(live reload on\), files from (.+)$", line.strip())
                    if m:
                        port, folder = int(m.group(1)), Path(m.group(2))
                        break
                assert folder is not None, "the server did not start"
                for line in proc.stdout:
                    if line.startswith("Watching"):
                        print(f"server: {line.strip()}")
                        break
                out = proc.stdout
                threading.Thread(target=out.read, daemon=True).start()  # never let its output block it
                if args.idle > 0:
                    time.sleep(2)  # the first build is done ("Serving on"); let its last writes settle
                    before, load = cpu_ticks(proc.pid), os.getloadavg()[0]
                    time.sleep(args.idle)
                    used = (cpu_ticks(proc.pid) - before) / os.sysconf("SC_CLK_TCK")
                    print(f"idle: {used:.2f} s of CPU over {args.idle:.0f} s = {100 * used / args.idle:.2f} % "
                          f"of a core (load average {load:.2f} before, {os.getloadavg()[0]:.2f} after)")
                if args.saves:
                    load = os.getloadavg()[0]
                    stimes = asyncio.run(reload_times(port, folder, targets[: args.saves], args.pause))
                    smed = statistics.median(stimes)
                    print(f"server: save -> LiveReload reload message over a WebSocket, median of {len(stimes)}: "
                          f"{smed * 1000:.1f} ms (min {min(stimes) * 1000:.1f}, max {max(stimes) * 1000:.1f}); "
                          f"cold build / median = {cold / smed:.0f}x (load average {load:.2f} before, "
                          f"{os.getloadavg()[0]:.2f} after)")
            finally:
                proc.terminate()
                proc.wait(timeout=120)  # a big site takes a while to delete
        if med is not None:
            ok = med < 0.100 and med < cold / 20
            print(f"target (engine median < 100 ms and < cold/20): {'met' if ok else 'NOT met'}")
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
