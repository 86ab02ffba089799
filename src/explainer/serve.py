"""`explainer serve`: build, serve, watch, rebuild what changed, reload the browser.

Built on livereload's pieces (its WebSocket handler and `livereload.js`) inside our own
Tornado application, because two of livereload's defaults do not suit authors:

* its watcher drops any change that comes within 3 s of the previous reload, so a
  second save a second after the first would be lost. Here a thread of our own polls
  the stat of every file under content/, layouts/ and config.yaml (every 100 ms),
  waits for a burst of saves to settle (debounce), rebuilds in memory with
  `incremental.Engine`, writes the changed files, and then tells the browsers to
  reload directly (`LiveReloadHandler.reload_waiters`), which has no such window;
* its static handler follows symlinks out of the served folder. Ours serves only
  regular files inside the output folder, and answers 404 to anything else.

The output is a temporary folder (never `site/`), removed on exit. The live-reload
script is added to HTML responses by this server only; the files on disk, like
`explainer build`'s, never contain it. While the content is broken, every HTML page
is served with an overlay listing the problems (the last good page stays beneath it).
"""

from __future__ import annotations

import errno
import hashlib
import html
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from livereload.handlers import LiveReloadHandler, LiveReloadJSHandler
from livereload.watcher import Watcher
from tornado import web
from tornado.httpserver import HTTPServer
from tornado.ioloop import IOLoop
from tornado.netutil import bind_sockets

from .build import project_reads
from .diagnostics import Problems, UsageError
from .load import read_config
from .speed.engine import Engine, Outcome
from .write.stamps import racy, stamp
from .write.writer import check_output_folder

POLL_SECONDS = 0.1
"""How often the watcher looks at the files' stat (a few ms for thousands of files)."""
SETTLE_SECONDS = 0.03
"""A burst of saves is rebuilt once: the watcher waits until one more look finds nothing new."""
PORT_TRIES = 10


class State:
    """What the HTTP handlers need to know, shared with the watcher thread."""

    def __init__(self, out: Path, port: int) -> None:
        self.out = out.resolve()
        self.port = port
        self.problems: list[str] = []
        """Formatted errors of the last build; empty while the build is good."""
        self.has_good = False
        self.reloaded = False
        """Whether the browsers were told to reload during the current rebuild."""


def scan(root: Path) -> dict[str, Any]:
    """The stat of every watched file: content/, layouts/ (assets included), config.yaml."""
    found: dict[str, Any] = {"config.yaml": stamp(root / "config.yaml")}
    for top in ("content", "layouts"):
        base = root / top
        if not base.is_dir():
            found[top] = None
            continue
        stack = [str(base)]
        while stack:
            folder = stack.pop()
            try:
                items = list(os.scandir(folder))
            except OSError:
                continue
            found[folder] = len(items)
            for item in items:
                if item.is_dir(follow_symlinks=False):
                    stack.append(item.path)
                else:
                    try:
                        st = item.stat()
                        found[item.path] = (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)
                        if racy(found[item.path]):  # a second save may keep the stat: compare bytes
                            found[item.path] += (hashlib.sha256(Path(item.path).read_bytes()).digest(),)
                    except OSError:
                        found[item.path] = None
    return found


class ProjectWatcher(threading.Thread):
    """Polls the project, rebuilds after each settled burst of changes, reloads browsers."""

    def __init__(self, root: Path, engine: Engine, state: State, on_built: Callable[[], None],
                 first: dict[str, Any]) -> None:
        super().__init__(name="explainer-watcher", daemon=True)
        self.root, self.engine, self.state, self.on_built = root, engine, state, on_built
        self.last = first
        self.stopping = threading.Event()

    def run(self) -> None:
        pause = POLL_SECONDS
        while not self.stopping.wait(pause):
            started = time.perf_counter()
            now = scan(self.root)
            # on a big project a look takes tens of ms: never spend over a third of a core on it
            pause = max(POLL_SECONDS, 2 * (time.perf_counter() - started))
            if now == self.last:
                if self.engine.pending is not None:  # idle: now the site-wide outputs, unless a save comes
                    finish(self.engine, self.state, lambda: scan(self.root) != self.last)
                continue
            while not self.stopping.wait(SETTLE_SECONDS):  # debounce: until a look finds nothing new
                again = scan(self.root)
                if again == now:
                    break
                now = again
            self.last = now
            self.state.reloaded = False
            rebuild(self.engine, self.state)
            if not self.state.reloaded:  # errors, full builds: reload once it is all done
                self.on_built()


def finish(engine: Engine, state: State, interrupted: Callable[[], bool]) -> None:
    """Write the site-wide outputs a rebuild deferred (sitemap, feed, data.json, search index)."""
    try:
        outcome = engine.finish(interrupted)
    except Exception as exc:  # a bug of ours must not kill the server
        outcome = Outcome(Problems(), ok=False)
        state.problems = [f"internal error while writing site-wide files: {type(exc).__name__}: {exc}"]
        print(f"explainer: {state.problems[0]}", file=sys.stderr, flush=True)
        return
    if not outcome.ok:
        state.problems = [p.format() for p in outcome.problems.errors]
        for line in state.problems:
            print(line, file=sys.stderr, flush=True)


def rebuild(engine: Engine, state: State) -> Outcome:
    """Run one rebuild and report it in the terminal as `build` would."""
    started = time.perf_counter()
    try:
        outcome = engine.rebuild()
    except Exception as exc:  # a bug of ours must not kill the server: say so and keep serving
        state.problems = [f"internal error while rebuilding: {type(exc).__name__}: {exc}"]
        print(f"explainer: {state.problems[0]}", file=sys.stderr, flush=True)
        return Outcome(Problems(), ok=False)
    elapsed = (time.perf_counter() - started) * 1000
    for p in outcome.problems.items:
        print(p.format(), file=sys.stderr)
    if outcome.ok:
        state.problems = []
        state.has_good = True
        changed = len(outcome.written) + len(outcome.removed)
        verb = "Built" if outcome.full else "Rebuilt"
        print(f"{verb} in {elapsed:.0f} ms: {changed} file{'s' if changed != 1 else ''} written or removed, "
              f"{outcome.rendered} page{'s' if outcome.rendered != 1 else ''} rendered.", flush=True)
    else:
        state.problems = [p.format() for p in outcome.problems.errors]
        n = len(state.problems)
        print(f"Build failed ({n} error{'s' if n != 1 else ''}): still serving the last good version.",
              file=sys.stderr, flush=True)
    sys.stderr.flush()
    return outcome


def live_script(port: int) -> bytes:
    return f'<script src="/livereload.js?port={port}"></script>'.encode()


OVERLAY_STYLE = (
    "position:fixed;inset:0;z-index:2147483647;overflow:auto;margin:0;padding:2rem;"
    "background:#fff;color:#111;font:15px/1.5 ui-monospace,monospace"
)


def overlay(problems: list[str]) -> bytes:
    """The problems as an escaped, link-free panel over the page."""
    items = "".join(f"<li>{html.escape(p)}</li>" for p in problems)
    n = len(problems)
    return (
        f'<section id="explainer-build-errors" role="alert" style="{OVERLAY_STYLE}">'
        f"<h1>Build failed: {n} error{'s' if n != 1 else ''}</h1>"
        "<p>Fix the files below and save; this page reloads by itself. "
        "The last good version of the site is still served beneath this panel.</p>"
        f"<ul>{items}</ul></section>"
    ).encode()


def error_page(problems: list[str], port: int) -> bytes:
    return (b'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Build failed</title>'
            + live_script(port) + b"</head><body>" + overlay(problems) + b"</body></html>")


class SiteHandler(web.RequestHandler):
    """Serves regular files from the output folder only; 404 for anything else."""

    state: State

    def initialize(self, state: State) -> None:  # type: ignore[override]
        self.state = state

    def set_default_headers(self) -> None:
        self.set_header("Cache-Control", "no-store")

    def head(self, _: str) -> None:
        self.get(_)

    def get(self, _: str) -> None:
        raw = self.request.path
        path = self._resolve(raw)
        if path is None:
            return self._not_found()
        if path.is_dir():
            if not raw.endswith("/"):
                return self.redirect(raw + "/", permanent=True)
            path = path / "index.html"
            if not self._inside(path) or not path.is_file():
                return self._not_found()
        data = path.read_bytes()
        is_html = path.suffix == ".html"
        self.set_header("Content-Type", _content_type(path))
        if is_html:
            data = self._decorate(data)
        self.finish(data)

    def _decorate(self, data: bytes) -> bytes:
        """Add the live-reload script, and the error overlay while the build is broken."""
        data = data.replace(b"</head>", live_script(self.state.port) + b"</head>", 1)
        if self.state.problems:
            start = data.find(b"<body")
            end = data.find(b">", start) + 1 if start >= 0 else 0
            data = data[:end] + overlay(self.state.problems) + data[end:]
        return data

    def _resolve(self, raw: str) -> Path | None:
        """The file a URL path names, or None when it could name anything outside the folder."""
        lowered = raw.lower()
        if "%2f" in lowered or "%5c" in lowered or "%00" in lowered:
            return None
        decoded = unquote(raw)
        parts = [p for p in decoded.split("/") if p]
        if any(p in (".", "..") or "\\" in p or "\x00" in p for p in parts):
            return None
        path = self.state.out.joinpath(*parts) if parts else self.state.out
        if not self._inside(path) or not path.exists():
            return None
        return path

    def _inside(self, path: Path) -> bool:
        """No symlink anywhere on the way: what is served is what the build wrote."""
        real = os.path.realpath(path)
        if real != os.path.abspath(path):
            return False
        return real == str(self.state.out) or real.startswith(str(self.state.out) + os.sep)

    def _not_found(self) -> None:
        self.set_status(404)
        if self.state.problems and not self.state.has_good:
            self.set_header("Content-Type", "text/html; charset=utf-8")
            return self.finish(error_page(self.state.problems, self.state.port))
        page = self.state.out / "404.html"
        if page.is_file() and not page.is_symlink():
            self.set_header("Content-Type", "text/html; charset=utf-8")
            return self.finish(self._decorate(page.read_bytes()))
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(b"404: not found\n")


_TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
          ".js": "text/javascript; charset=utf-8", ".json": "application/json",
          ".xml": "application/xml", ".txt": "text/plain; charset=utf-8", ".svg": "image/svg+xml",
          ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp",
          ".ico": "image/x-icon", ".bib": "text/plain; charset=utf-8", ".woff2": "font/woff2"}


def _content_type(path: Path) -> str:
    return _TYPES.get(path.suffix.lower(), "application/octet-stream")


def bind(host: str, port: int) -> tuple[list[Any], int, str | None]:
    """Listen on `port`, or the next free one; returns (sockets, port, note for the terminal)."""
    last = port + (PORT_TRIES - 1 if port else 0)
    for candidate in range(port, last + 1):
        try:
            sockets = bind_sockets(candidate, address=host)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                continue
            raise UsageError(f"cannot listen on {host}:{candidate}: {exc.strerror or exc}") from None
        actual = sockets[0].getsockname()[1]
        note = f"port {port} is in use, so serving on port {actual} instead" if candidate != port else None
        return sockets, actual, note
    raise UsageError(f"ports {port}-{last} on {host} are all in use: stop the other server or pass --port")


def serve(root: Path, host: str = "127.0.0.1", port: int = 8000, open_browser: bool = False) -> int:
    """Build, serve and watch until Ctrl-C (or SIGTERM); returns the exit code."""
    if not (root / "config.yaml").is_file():  # not a project at all: nothing to wait for
        problems = Problems()
        read_config(root, problems)
        for p in problems.items:
            print(p.format(), file=sys.stderr)
        return 1
    out = Path(tempfile.mkdtemp(prefix="explainer-serve-"))
    # the same gate as `build`: a TMPDIR inside content/ would put the site into the project
    refused = check_output_folder(root, out, project_reads(root),
                                  advice="the dev server builds into a new folder in TMPDIR: "
                                         "set TMPDIR to a folder outside the project")
    if refused is not None:
        os.rmdir(out)
        raise UsageError(refused)
    try:
        sockets, port, note = bind(host, port)
    except BaseException:
        os.rmdir(out)
        raise
    engine = Engine(root, out)
    state = State(out, port)
    watcher: ProjectWatcher | None = None
    try:
        first = scan(root)
        rebuild(engine, state)
        LiveReloadHandler.watcher = Watcher()  # only read for its log line; we watch ourselves
        LiveReloadHandler.live_css = False
        app = web.Application([
            (r"/livereload", LiveReloadHandler),
            (r"/livereload.js", LiveReloadJSHandler),
            (r"(.*)", SiteHandler, {"state": state}),
        ], log_function=lambda handler: None)
        server = HTTPServer(app)
        server.add_sockets(sockets)
        loop = IOLoop.current()

        def reload_browsers() -> None:
            loop.add_callback(LiveReloadHandler.reload_waiters, "*")

        def pages_ready() -> None:
            state.reloaded = True
            reload_browsers()

        engine.on_pages = pages_ready
        engine.defer_extras = True  # the watcher writes them once no save is waiting (`finish`)
        watcher = ProjectWatcher(root, engine, state, reload_browsers, first)
        watcher.start()
        shown = "localhost" if host in ("127.0.0.1", "::1", "localhost") else host
        if note:
            print(note, flush=True)
        print(f"Serving on http://{host}:{port}/ (live reload on), files from {out}", flush=True)
        if shown == "localhost":
            print("Only this computer can open it; pass --host 0.0.0.0 to share it on your network.", flush=True)
        print("Watching content/, layouts/ and config.yaml. Press Ctrl-C to stop.", flush=True)
        if open_browser:
            threading.Timer(0.5, webbrowser.open, [f"http://{host}:{port}/"]).start()
        signal.signal(signal.SIGTERM, lambda *_: loop.add_callback_from_signal(loop.stop))
        loop.start()
        server.stop()
    except KeyboardInterrupt:
        pass
    finally:
        if watcher is not None:
            watcher.stopping.set()
            watcher.join(timeout=30)  # let a rebuild in progress finish before the folder goes
        for s in sockets:
            s.close()
        shutil.rmtree(out, ignore_errors=True)
    print("Stopped.", flush=True)
    return 0
