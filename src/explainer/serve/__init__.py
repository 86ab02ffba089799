"""`explainer serve`: build, serve, watch, rebuild what changed, reload the browser.

Built on livereload's pieces (its WebSocket handler and `livereload.js`) inside our own
Tornado application, because two of livereload's defaults do not suit authors:

* its watcher drops any change that comes within 3 s of the previous reload, so a
  second save a second after the first would be lost. Here the operating system's file
  events (inotify on Linux, through watchfiles' Rust backend) wake a watcher thread, which
  waits for a burst of saves to settle (20 ms) and raises a flag with the saved paths
  (`Changes`); a builder thread rebuilds with `serve.engine.Engine` (the saved page
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

The parts, one module each: `watch` (what is watched, and the watcher threads),
`builder` (the builder thread and the terminal's report), `app` (the HTTP application and
the live-reload WebSocket), `overlay` (the problems panel); this module starts them.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import sys
import tempfile
import threading
import webbrowser
from pathlib import Path
from typing import Any

from tornado import web
from tornado.httpserver import HTTPServer
from tornado.ioloop import IOLoop
from tornado.netutil import bind_sockets

from ..build import project_reads
from ..diagnostics import Problems, UsageError
from ..load import read_config
from ..write.writer import check_output_folder
from .app import ReloadScript, ReloadSocket, SiteHandler, State, allowed_hosts, register_types
from .builder import Builder, rebuild
from .engine import Engine
from .watch import EventWatcher, PollWatcher, start_watching, watched

PORT_TRIES = 10


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
