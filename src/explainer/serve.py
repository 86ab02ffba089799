"""`explainer serve`: build, serve, watch, rebuild what changed, reload the browser.

Built on livereload's pieces (its WebSocket handler and `livereload.js`) inside our own
Tornado application, because two of livereload's defaults do not suit authors:

* its watcher drops any change that comes within 3 s of the previous reload, so a
  second save a second after the first would be lost. Here the operating system's file
  events (inotify on Linux, through watchfiles' Rust backend) wake a watcher thread, which
  waits for a burst of saves to settle (20 ms) and raises a flag with the saved paths
  (`Changes`); a builder thread rebuilds with `speed.engine.Engine` (the saved page
  first), writes the changed files, and tells the browsers to reload directly
  (`LiveReloadHandler.reload_waiters`) as soon as the edited page is on disk. The same
  flag interrupts the site-wide files (sitemap, feed, search index) so that a new save
  never waits for them. Where no file events exist (some
  network drives, or when the kernel refuses more watches) a thread polls the files'
  stat instead (`--poll`, or by itself when events cannot start);
* its static handler follows symlinks out of the served folder. Ours (Tornado's
  `StaticFileHandler`, for HEAD, ETag and Range) serves only regular files inside the
  output folder behind a path gate, and answers the site's 404 page to anything else.

The output is a temporary folder (never `site/`), removed on exit. The live-reload
script is added to HTML responses by this server only; the files on disk, like
`explainer build`'s, never contain it. While the content is broken, every HTML page
is served with an overlay listing the problems (the last good page stays beneath it).
When `base_url` has a path (`https://example.org/nato-tokyo/`), the site is served under
that path, as it will be published, so that links that work here work there.
"""

from __future__ import annotations

import errno
import hashlib
import html
import json
import mimetypes
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import webbrowser
from collections.abc import Callable, Collection, Generator, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from livereload.handlers import LiveReloadHandler, LiveReloadJSHandler
from tornado import web
from tornado.httpserver import HTTPServer
from tornado.ioloop import IOLoop
from tornado.netutil import bind_sockets
from tornado.websocket import WebSocketClosedError
from watchfiles._rust_notify import RustNotify

from .build import project_inputs, project_reads
from .diagnostics import Problems, UsageError
from .load import read_config
from .load.files import CONFIG_FILE, CONTENT_DIR
from .speed.engine import Engine, Outcome
from .write.stamps import racy, stamp
from .write.writer import check_output_folder

WATCHED_FOLDERS = (CONTENT_DIR, "layouts")
"""Folders watched with everything under them; every other input is watched as one file."""


def watched(root: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What the server watches, relative to the project root: (folders, with everything under
    them; files, by exact name). Folders: content/ and layouts/. Files: config.yaml, and the
    bibliography and .csl files config.yaml names (`build.project_inputs`) that lie inside
    the project, outside those folders: a file outside the project is refused by the build,
    so it is never watched, and no file's folder is watched as a whole (a bibliography in
    `refs/` makes `refs/` watched for that one name). Read again whenever config.yaml
    changes, so a file config.yaml no longer names is no longer watched."""
    base = os.path.abspath(root)
    try:
        real = Path(base).resolve()
    except (OSError, RuntimeError):
        real = Path(base)
    files = [CONFIG_FILE]
    for rel in project_inputs(root):
        path = os.path.normpath(os.path.join(base, rel))
        if not path.startswith(base + os.sep):
            continue  # `../refs.bib`: outside the project
        name = Path(os.path.relpath(path, base)).as_posix()
        if name.split("/")[0] in WATCHED_FOLDERS or name in files:
            continue
        try:
            inside = Path(path).resolve().is_relative_to(real)
        except (OSError, RuntimeError):
            inside = False
        if inside:
            files.append(name)
    return WATCHED_FOLDERS, tuple(files)


SETTLE_MS = 20
"""A burst of file events (an editor's temp file, rename, and write) is rebuilt once: the
watcher waits until this long passes without a new event (at most `BURST_MS`)."""
BURST_MS = 500
POLL_SECONDS = 0.1
"""Polling fallback: how often the stat of every file is looked at (a few ms for thousands)."""
SETTLE_SECONDS = 0.03
"""Polling fallback: a burst is rebuilt once one more look finds nothing new."""
PORT_TRIES = 10

EDITOR_TEMP = re.compile(r"~$|\.sw[a-px]$|^\.#|^#.*#$|^4913$|___jb_(?:tmp|old)___$|^\.goutputstream-|\.crswap$")
"""Files editors write next to the one being saved (backups, swap and lock files, vim's
write test `4913`, JetBrains' and gedit's temporary files): never a reason to rebuild."""


class Changes(threading.Event):
    """The flag the watchers raise, with the files they saw change.

    The builder takes both at once (`take`). The paths only let the engine's preview look
    at the saved files alone (`Engine.rebuild`); the rebuild looks at every file, so a
    change raised without paths (`set()`: after switching watchers, say) costs nothing
    but the preview."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = os.path.abspath(root)
        self._lock = threading.Lock()
        self._paths: set[str] | None = set()

    def note(self, paths: Iterable[str]) -> None:
        """Raise the flag for these absolute paths."""
        with self._lock:
            if self._paths is not None:
                self._paths.update(Path(os.path.relpath(p, self.root)).as_posix() for p in paths)
            super().set()

    def set(self) -> None:
        """Raise the flag for changes not known one by one."""
        with self._lock:
            self._paths = None
            super().set()

    def take(self) -> Collection[str] | None:
        """Lower the flag; the files changed since it was last lowered (None: not known)."""
        with self._lock:
            paths, self._paths = self._paths, set()
            super().clear()
        return paths


class State:
    """What the HTTP handlers need to know, shared with the builder thread."""

    def __init__(self, out: Path, port: int, hosts: frozenset[str] | None = None) -> None:
        self.out = out.resolve()
        self.port = port
        self.hosts = hosts
        """The `Host` header values answered (`allowed_hosts`); None: any."""
        self.problems: list[str] = []
        """Formatted errors of the last build; empty while the build is good."""
        self.has_good = False
        self.reloaded = False
        """Whether the browsers were told to reload during the current rebuild."""
        self.base_path = "/"
        """The path part of base_url: the site is served under it, as published."""
        self.reported: dict[str, None] | None = None
        """Every problem line the terminal has been told of and that still holds (None: none
        told yet). A rebuild prints only what changed against it (`report`)."""


def _stat(path: str) -> Any:
    st = stamp(path)
    if st is not None and racy(st):  # a second save may keep the stat: compare bytes
        try:
            return (*st, hashlib.sha256(Path(path).read_bytes()).digest())
        except OSError:
            return None
    return st


def scan(root: Path) -> dict[str, Any]:
    """The stat of every watched file (the polling fallback compares two of these)."""
    found: dict[str, Any] = {}
    folders, files = watched(root)
    for name in files:
        path = str(root / name)
        found[path] = _stat(path)
    for top in folders:
        base = root / top
        if not base.is_dir():
            found[str(base)] = stamp(base)
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
                    found[item.path] = _stat(item.path)
    return found


class EventWatcher(threading.Thread):
    """Waits for the operating system's file events on the project; raises `changed`.

    It watches the project folder itself (not recursively: only `watched` names count
    there, so site/, .git/ or a virtualenv cost nothing), every folder under the watched
    folders, each on its own, and the folder of each watched file, for that file alone. A
    folder added, removed or renamed under them is watched (or dropped) at once: the list
    is read again after each burst that touched a folder or config.yaml, before the
    rebuild that burst starts.
    Created in the caller's thread, so that a failure to start is known before serving.
    """

    def __init__(self, root: Path, changed: Changes) -> None:
        super().__init__(name="explainer-events", daemon=True)
        self.root = Path(os.path.abspath(root))
        self.names, self.files = watched(self.root)
        self.changed = changed
        self.stopping = threading.Event()
        self.folders = self.list_folders()
        self.notify = self.open(self.folders)
        self.mode = "file events"

    def list_folders(self) -> list[str]:
        """The project folder, every folder under the watched folders, and the folder of each
        watched file (for that file's events alone: see `relevant`) that exists."""
        found = {str(self.root)}
        for name in self.names:
            top = self.root / name
            if top.is_dir() and not top.is_symlink():
                for dirpath, _, _ in os.walk(top):
                    found.add(dirpath)
        for name in self.files:
            folder = (self.root / name).parent
            if folder.is_dir():
                found.add(str(folder))
        return sorted(found)

    def open(self, folders: list[str]) -> RustNotify:
        """Start watching `folders` (raises OSError or RuntimeError when events are unavailable)."""
        for _ in range(5):  # a folder may go between listing and watching: list again
            try:
                return RustNotify(folders, False, False, 0, False, True)
            except FileNotFoundError:
                folders[:] = self.list_folders()
        return RustNotify(folders, False, False, 0, False, True)

    def relevant(self, path: str) -> bool:
        """Whether a change at `path` can change the site: anything in a watched folder but
        editors' temp files, a watched file, or a folder on the way to one (made or renamed)."""
        try:
            rel = Path(path).relative_to(self.root)
        except ValueError:
            return False
        parts = rel.parts
        if not parts:
            return False
        if parts[0] in self.names:
            return not EDITOR_TEMP.search(parts[-1])
        name = rel.as_posix()
        return name in self.files or any(f.startswith(name + "/") for f in self.files)

    def run(self) -> None:
        try:
            self.watch()
        except (OSError, RuntimeError) as exc:
            if self.stopping.is_set():
                return
            print(f"explainer: file events stopped ({exc}); watching by polling instead", file=sys.stderr, flush=True)
            self.mode = "polling"
            poller = PollWatcher(self.root, self.changed, scan(self.root), self.stopping)
            self.changed.set()  # whatever changed while switching over
            poller.run()

    def watch(self) -> None:
        while not self.stopping.is_set():
            batch = self.notify.watch(BURST_MS, SETTLE_MS, 0, self.stopping)
            if not isinstance(batch, set):  # "stop" (or "signal"/"timeout", never asked for)
                continue
            paths = {path for _, path in batch if self.relevant(path)}
            if not paths:
                continue
            folders = set(self.folders)
            config = str(self.root / CONFIG_FILE)
            if config in paths:
                self.names, self.files = watched(self.root)  # a bibliography named or dropped
            if config in paths or any(p in folders or os.path.isdir(p) or os.path.dirname(p) == str(self.root)
                                      for p in paths):
                now = self.list_folders()
                if now != self.folders:  # watch the new folders before the rebuild reads them
                    self.notify.close()
                    self.folders = now
                    self.notify = self.open(self.folders)
            self.changed.note(paths)
        self.notify.close()


class PollWatcher(threading.Thread):
    """The fallback where no file events exist: looks at every watched file's stat."""

    def __init__(self, root: Path, changed: Changes, first: dict[str, Any],
                 stopping: threading.Event | None = None) -> None:
        super().__init__(name="explainer-poll", daemon=True)
        self.root, self.changed, self.last = root, changed, first
        self.stopping = stopping or threading.Event()
        self.mode = "polling"

    def run(self) -> None:
        pause = POLL_SECONDS
        while not self.stopping.wait(pause):
            started = time.perf_counter()
            now = scan(self.root)
            # on a big project a look takes tens of ms: never spend over a third of a core on it
            pause = max(POLL_SECONDS, 2 * (time.perf_counter() - started))
            if now == self.last:
                continue
            while not self.stopping.wait(SETTLE_SECONDS):  # debounce: until a look finds nothing new
                again = scan(self.root)
                if again == now:
                    break
                now = again
            self.changed.note(path for path in set(now) | set(self.last) if now.get(path) != self.last.get(path))
            self.last = now


def start_watching(root: Path, changed: Changes, poll: bool) -> tuple[EventWatcher | PollWatcher, str]:
    """The watcher to use (not started yet) and what to tell the author about it.

    Created before the first build: a save during that build is then not missed."""
    if not poll:
        try:
            return EventWatcher(root, changed), "on file events"
        except (OSError, RuntimeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            return PollWatcher(root, changed, scan(root)), f"by polling: file events are unavailable ({reason})"
    return PollWatcher(root, changed, scan(root)), "by polling (--poll)"


class Builder(threading.Thread):
    """Rebuilds once per raised `changed` flag, then writes the site-wide files unless a
    new change came in meanwhile (the same flag interrupts them: `Engine.finish`)."""

    def __init__(self, root: Path, engine: Engine, state: State, reload: Callable[[], None],
                 on_step: Callable[[str, Outcome], None] | None = None) -> None:
        super().__init__(name="explainer-builder", daemon=True)
        self.root, self.engine, self.state, self.reload = root, engine, state, reload
        self.on_step = on_step
        """Told of each step ("rebuilt", "finishing", "finished"): the tests follow their order."""
        self.changed = Changes(root)
        self.stopping = threading.Event()

    def stop(self) -> None:
        self.stopping.set()
        self.changed.set()

    def step(self, name: str, outcome: Outcome) -> None:
        if self.on_step is not None:
            self.on_step(name, outcome)

    def run(self) -> None:
        while True:
            self.changed.wait()  # blocks: no CPU while nothing changes
            if self.stopping.is_set():
                return
            paths = self.changed.take()
            before = list(self.state.problems)
            self.state.reloaded = False
            outcome = rebuild(self.engine, self.state, paths)
            self.step("rebuilt", outcome)
            if not self.state.reloaded and (outcome.written or outcome.removed or self.state.problems != before):
                self.reload()  # errors, full builds: reload once it is all done
            while self.engine.pending is not None and not self.changed.is_set() and not self.stopping.is_set():
                self.step("finishing", outcome)
                done = finish(self.engine, self.state, self.changed.is_set)
                self.step("finished", done)
                if not done.ok:  # reported; the next save tries again
                    break


def finish(engine: Engine, state: State, interrupted: Callable[[], bool]) -> Outcome:
    """Write the site-wide outputs a rebuild deferred (sitemap, feed, data.json, search index)."""
    try:
        outcome = engine.finish(interrupted)
    except Exception as exc:  # a bug of ours must not kill the server
        state.problems = [f"internal error while writing site-wide files: {type(exc).__name__}: {exc}"]
        print(f"explainer: {state.problems[0]}", file=sys.stderr, flush=True)
        return Outcome(Problems(), ok=False)
    if not outcome.ok:
        state.problems = [p.format() for p in outcome.problems.errors]
        for line in state.problems:
            print(line, file=sys.stderr, flush=True)
    return outcome


def rebuild(engine: Engine, state: State, paths: Collection[str] | None = None) -> Outcome:
    """Run one rebuild and report it in the terminal as `build` would (`paths`: the files
    the watcher saw change, if it knows)."""
    started = time.perf_counter()
    try:
        outcome = engine.rebuild(paths)
    except Exception as exc:  # a bug of ours must not kill the server: say so and keep serving
        state.problems = [f"internal error while rebuilding: {type(exc).__name__}: {exc}"]
        print(f"explainer: {state.problems[0]}", file=sys.stderr, flush=True)
        return Outcome(Problems(), ok=False)
    elapsed = (time.perf_counter() - started) * 1000
    report(state, [p.format() for p in outcome.problems.items])
    if outcome.ok:
        state.problems = []
        state.has_good = True
        if engine.good is not None:  # config.yaml may have moved the site: serve it where it is published
            state.base_path = engine.good.site.config.base_path
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


def report(state: State, lines: list[str]) -> None:
    """Print a rebuild's problems: all of them the first time, then only the ones that
    appeared and (marked "fixed:") the ones that went away. A draft may hold thousands of
    warnings; printing them all again after every save buried the one the save caused."""
    now = dict.fromkeys(lines)
    before = state.reported
    state.reported = now
    if before is None:
        for line in lines:
            print(line, file=sys.stderr)
        return
    for line in lines:
        if line not in before:
            print(line, file=sys.stderr)
    for line in before:
        if line not in now:
            print(f"fixed: {line}", file=sys.stderr)
    kept = sum(1 for line in lines if line in before)
    if kept:
        print(f"({kept} problem{'s' if kept != 1 else ''} reported before and still there, not shown again)",
              file=sys.stderr)


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


STRICT_TYPES = {".html": "text/html", ".css": "text/css", ".js": "text/javascript", ".mjs": "text/javascript",
                ".json": "application/json", ".xml": "application/xml", ".svg": "image/svg+xml",
                ".webmanifest": "application/manifest+json", ".txt": "text/plain"}
"""Types browsers are strict about (a stylesheet or script of another type is refused):
their standard values, whatever the platform's table says (Windows' registry has been
known to map .js to text/plain)."""
FALLBACK_TYPES = {".bib": "text/x-bibtex", ".woff2": "font/woff2", ".webp": "image/webp", ".avif": "image/avif",
                  ".ico": "image/vnd.microsoft.icon", ".png": "image/png", ".jpg": "image/jpeg",
                  ".pdf": "application/pdf"}
"""Types a site may need, used only where the platform's table has none."""


def register_types() -> None:
    """Teach the standard `mimetypes` table the types the site needs."""
    mimetypes.init()
    for ext, kind in STRICT_TYPES.items():
        mimetypes.add_type(kind, ext)
    for ext, kind in FALLBACK_TYPES.items():
        if mimetypes.guess_type("file" + ext)[0] is None:
            mimetypes.add_type(kind, ext)


def gate(raw: str) -> str | None:
    """The relative file path a raw (still percent-encoded) URL path names, or None when it
    could name anything outside the folder: dot segments (plain or encoded), encoded
    slashes or backslashes, NUL."""
    lowered = raw.lower()
    if "%2f" in lowered or "%5c" in lowered or "%00" in lowered:
        return None
    parts = [p for p in unquote(raw).split("/") if p]
    if any(p in (".", "..") or "\\" in p or "\x00" in p for p in parts):
        return None
    return "/".join(parts)


LOOPBACK = ("127.0.0.1", "::1", "localhost")


def allowed_hosts(host: str, port: int) -> frozenset[str] | None:
    """The `Host` header values the server answers (lower case), or None for any.

    Served on a loopback address (the default, 127.0.0.1), only the computer's own names
    for it with the port (`127.0.0.1:8000`, `localhost:8000`, `[::1]:8000`): a page of
    another site that makes its own name resolve to 127.0.0.1 (DNS rebinding) is refused
    before it can read a draft. With any other `--host` (0.0.0.0, a network address) the
    server was opened to other machines on purpose, under whatever names reach it, so the
    Host is not checked; the live-reload socket's `Origin` still is (`ReloadSocket`)."""
    if host not in LOOPBACK:
        return None
    names = {"127.0.0.1", "localhost", "[::1]"}
    return frozenset({f"{name}:{port}" for name in names} | (names if port == 80 else set()))


def host_allowed(state: State, request: Any) -> bool:
    return state.hosts is None or request.headers.get("Host", "").strip().lower() in state.hosts


HELLO = {"command": "hello", "protocols": ["http://livereload.com/protocols/official-7"],
         "serverName": "explainer"}


def _quiet(future: Any) -> None:
    """Retrieve a send's outcome: a browser that went away is not an error of ours."""
    if not future.cancelled():
        future.exception()


class ReloadSocket(LiveReloadHandler):  # type: ignore[misc]
    """livereload's WebSocket, checked: its `Host` (`allowed_hosts`) and its `Origin` (the
    page that opens it must come from this server: any other page is refused, whatever
    `--host`); a message that is not the protocol's JSON is ignored, quietly; a browser
    that goes away mid-send is dropped, quietly (no traceback)."""

    state: State

    def initialize(self, state: State) -> None:
        self.state = state

    def prepare(self) -> None:
        if not host_allowed(self.state, self.request):
            raise web.HTTPError(421)

    def check_origin(self, origin: str) -> bool:
        host = self.request.headers.get("Host", "").strip().lower()
        return bool(host) and urlsplit(origin).netloc.lower() == host and host_allowed(self.state, self.request)

    def on_message(self, message: str | bytes) -> None:
        try:
            data = json.loads(message)
        except (ValueError, TypeError, RecursionError):
            return
        if not isinstance(data, dict):
            return
        if data.get("command") == "hello":
            self.send(HELLO)
        elif data.get("command") == "info" and "url" in data:
            LiveReloadHandler.waiters.add(self)

    def send(self, message: dict[str, Any]) -> None:
        try:
            self.write_message(message).add_done_callback(_quiet)
        except WebSocketClosedError:
            LiveReloadHandler.waiters.discard(self)

    @classmethod
    def reload_all(cls) -> None:
        """Tell every browser to reload."""
        for waiter in list(LiveReloadHandler.waiters):
            if isinstance(waiter, ReloadSocket):
                waiter.send({"command": "reload", "path": "*", "liveCSS": False, "liveImg": True})


class ReloadScript(LiveReloadJSHandler):  # type: ignore[misc]
    """livereload.js, answered only to an allowed `Host`."""

    state: State

    def initialize(self, state: State) -> None:
        self.state = state

    def prepare(self) -> None:
        if not host_allowed(self.state, self.request):
            raise web.HTTPError(421)


class SiteHandler(web.StaticFileHandler):
    """Tornado's static file handler (HEAD, ETag, If-None-Match, Range) behind our gate.

    Only regular files inside the output folder, reached without a symlink anywhere on
    the way, are served; everything else gets the site's 404 page. HTML responses carry
    the live-reload script (and the error overlay while the build is broken), so their
    size, bytes and ETag are those of the decorated page, not of the file on disk.
    Validators are exact: the ETag is a hash of the bytes sent, and only If-None-Match is
    honoured (a file rewritten within the same second keeps its Last-Modified).
    """

    state: State
    page: bytes | None

    def initialize(self, state: State) -> None:  # type: ignore[override]
        super().initialize(path=str(state.out))
        self.state = state
        self.page = None

    def set_default_headers(self) -> None:
        self.set_header("Cache-Control", "no-cache")  # always revalidate: the ETag makes it cheap

    def prepare(self) -> None:
        if not host_allowed(self.state, self.request):
            raise web.HTTPError(421)  # Misdirected Request: not one of the names this server answers

    async def get(self, path: str, include_body: bool = True) -> None:
        raw = self.request.path
        base = self.state.base_path
        if base != "/" and raw in ("/", base.rstrip("/")):
            return self.redirect(base)  # where the site is published; temporary: config.yaml may change
        if not raw.startswith(base) or raw.startswith("//"):
            raise web.HTTPError(404)
        rel = gate(raw[len(base):])
        if rel is None:
            raise web.HTTPError(404)
        await super().get(rel, include_body)

    def validate_absolute_path(self, root: str, absolute_path: str) -> str | None:
        if not self._inside(absolute_path):
            raise web.HTTPError(404)
        if os.path.isdir(absolute_path):
            if not self.request.path.endswith("/"):
                self.redirect(self.request.path + "/", permanent=True)  # as static hosts do
                return None
            absolute_path = os.path.join(absolute_path, "index.html")
            if not self._inside(absolute_path):
                raise web.HTTPError(404)
        found = super().validate_absolute_path(root, absolute_path)  # regular files only
        if found is not None and found.endswith(".html"):
            with open(found, "rb") as fh:
                self.page = self.decorate(fh.read())
        return found

    def _inside(self, path: str) -> bool:
        """No symlink anywhere on the way: what is served is what the build wrote."""
        real = os.path.realpath(path)
        if real != os.path.abspath(path):
            return False
        return real == str(self.state.out) or real.startswith(str(self.state.out) + os.sep)

    def decorate(self, data: bytes) -> bytes:
        """Add the live-reload script, and the error overlay while the build is broken."""
        data = data.replace(b"</head>", live_script(self.state.port) + b"</head>", 1)
        if self.state.problems:
            start = data.find(b"<body")
            end = data.find(b">", start) + 1 if start >= 0 else 0
            data = data[:end] + overlay(self.state.problems) + data[end:]
        return data

    def get_content_size(self) -> int:
        return len(self.page) if self.page is not None else super().get_content_size()

    def get_content(self, abspath: str, start: int | None = None,  # type: ignore[override]
                    end: int | None = None) -> bytes | Generator[bytes, None, None]:
        if self.page is not None:
            return self.page[start or 0:end]
        return super().get_content(abspath, start, end)

    def compute_etag(self) -> str | None:
        """A hash of the bytes this response sends (never cached: the files change)."""
        if self.page is not None:
            return '"' + hashlib.sha256(self.page).hexdigest()[:32] + '"'
        assert self.absolute_path is not None
        with open(self.absolute_path, "rb") as fh:
            return '"' + hashlib.file_digest(fh, "sha256").hexdigest()[:32] + '"'

    def should_return_304(self) -> bool:
        return bool(self.request.headers.get("If-None-Match")) and self.check_etag_header()

    def get_cache_time(self, path: str, modified: Any, mime_type: str) -> int:
        return 0

    def get_content_type(self) -> str:
        kind = super().get_content_type()
        return kind + "; charset=utf-8" if kind.startswith("text/") else kind

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """403 (not a regular file) and 404 both get the site's 404 page: nothing tells
        a missing file from a refused one."""
        if status_code not in (403, 404):
            super().write_error(status_code, **kwargs)
            return
        self.set_status(404)
        self.clear_header("Content-Range")
        page = self.state.out / "404.html"
        if self.state.problems and not self.state.has_good:
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.finish(error_page(self.state.problems, self.state.port))
        elif page.is_file() and not page.is_symlink():
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.finish(self.decorate(page.read_bytes()))
        else:
            self.set_header("Content-Type", "text/plain; charset=utf-8")
            self.finish(b"404: not found\n")


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


def serve(root: Path, host: str = "127.0.0.1", port: int = 8000, open_browser: bool = False,
          poll: bool = False) -> int:
    """Build, serve and watch until Ctrl-C (or SIGTERM); returns the exit code."""
    # Ctrl-C stops the server even when it was started from a shell that ignores SIGINT
    # (a background job, `cmd &`): Python leaves an inherited "ignore" in place otherwise.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if not (root / "config.yaml").is_file():  # not a project at all: nothing to wait for
        problems = Problems()
        read_config(root, problems)
        for p in problems.items:
            print(p.format(), file=sys.stderr)
        return 1
    register_types()
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
    state = State(out, port, allowed_hosts(host, port))
    watcher: EventWatcher | PollWatcher | None = None
    builder: Builder | None = None
    try:
        loop = IOLoop.current()

        def reload_browsers() -> None:
            loop.add_callback(ReloadSocket.reload_all)

        builder = Builder(root, engine, state, reload_browsers)
        watcher, how = start_watching(root, builder.changed, poll)  # before the first build: no save is missed
        rebuild(engine, state)
        app = web.Application([
            (r"/livereload", ReloadSocket, {"state": state}),
            (r"/livereload.js", ReloadScript, {"state": state}),
            (r"(.*)", SiteHandler, {"state": state}),
        ], log_function=lambda handler: None)
        server = HTTPServer(app)
        server.add_sockets(sockets)

        def pages_ready() -> None:
            state.reloaded = True
            reload_browsers()

        engine.on_pages = pages_ready
        engine.defer_extras = True  # the builder writes them once no save is waiting (`finish`)
        builder.start()
        watcher.start()
        shown = "localhost" if host in ("127.0.0.1", "::1", "localhost") else host
        if note:
            print(note, flush=True)
        print(f"Serving on http://{host}:{port}{state.base_path} (live reload on), files from {out}", flush=True)
        if shown == "localhost":
            print("Only this computer can open it; pass --host 0.0.0.0 to share it on your network.", flush=True)
        folders, files = watched(root)
        names = [f"{n}/" for n in folders] + list(files)  # folders, then files
        print(f"Watching {', '.join(names[:-1])} and {names[-1]} {how}. Press Ctrl-C to stop.", flush=True)
        if open_browser:
            threading.Timer(0.5, webbrowser.open, [f"http://{host}:{port}{state.base_path}"]).start()
        signal.signal(signal.SIGTERM, lambda *_: loop.add_callback_from_signal(loop.stop))
        loop.start()
        server.stop()
    except KeyboardInterrupt:
        pass
    finally:
        if watcher is not None:
            watcher.stopping.set()
        if builder is not None:
            builder.stop()
            if builder.is_alive():
                builder.join(timeout=30)  # let a rebuild in progress finish before the folder goes
        if watcher is not None and watcher.is_alive():
            watcher.join(timeout=5)
        for s in sockets:
            s.close()
        shutil.rmtree(out, ignore_errors=True)
    print("Stopped.", flush=True)
    return 0
