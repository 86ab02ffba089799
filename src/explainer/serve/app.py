"""The dev server's HTTP application: what it shares with the builder (`State`), the
live-reload WebSocket and script, and the handler that serves the output folder."""

from __future__ import annotations

import hashlib
import json
import mimetypes
import os
from collections.abc import Generator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from livereload.handlers import LiveReloadHandler, LiveReloadJSHandler
from tornado import web
from tornado.websocket import WebSocketClosedError

from .overlay import error_page, live_script, overlay


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


def refuse_other_hosts(state: State, request: Any) -> None:
    """Every handler's first step: 421 Misdirected Request to a `Host` this server does not answer."""
    if not host_allowed(state, request):
        raise web.HTTPError(421)


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
        refuse_other_hosts(self.state, self.request)

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
        refuse_other_hosts(self.state, self.request)


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
        refuse_other_hosts(self.state, self.request)

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
