"""The dev server: incremental rebuilds equal clean builds; the server over real HTTP.

The first half drives `incremental.Engine` in process through a sequence of edits,
additions, deletions, renames, layout, asset and config changes, and compares the
served folder with a clean `explainer build` after every step. The second half starts
`explainer serve` as a subprocess on a free port and talks to it over HTTP and the
live-reload WebSocket, as a browser would.
"""

from __future__ import annotations

import html
import html.parser
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from tornado.ioloop import IOLoop
from tornado.websocket import websocket_connect

from conftest import make_project, problems_of, run_cli, tree_hash
from explainer.build import build
from explainer.serve.engine import Engine

# --- the engine: incremental == clean ---------------------------------------------------------

JAPAN = ("---\ntitle: Japan\nkind: country\nsources: [guardian-2023]\n---\n"
         "Japan hosted talks.[@guardian-2023]\n")
NHK = ("---\ntitle: NHK report\npublisher: NHK\ndate: 2023-06-01\n"
       "url: https://example.com/nhk\naccessed: 2023-06-02\n---\n")


def _edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, (rel, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _write(root: Path, rel: str, text: str) -> None:
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / rel).write_text(text, encoding="utf-8")


def _clean_hash(root: Path, out: Path) -> str:
    result = build(root, out=out)
    assert result.ok, [p.format() for p in result.problems.items]
    return tree_hash(out)


STEPS = [
    ("body edit", lambda r: _edit(r, "content/actors/nato.md", "military alliance", "defence alliance"), None),
    ("title change", lambda r: _edit(r, "content/actors/nato.md", "title: NATO", "title: The Alliance"), None),
    ("new actor, linked", lambda r: (_write(r, "content/actors/japan.md", JAPAN),
                                     _edit(r, "content/events/summit-2023.md", "actors: [nato]", "actors: [nato, japan]"),
                                     _edit(r, "content/events/summit-2023.md", "met in Vilnius.", "met [[japan]] in Vilnius.")),
     None),
    ("new source, cited", lambda r: (_write(r, "content/sources/nhk-2023.md", NHK),
                                     _edit(r, "content/actors/japan.md", "talks.[@guardian-2023]",
                                           "talks.[@guardian-2023; @nhk-2023, p. 2]")), None),
    ("rename without fixing links", lambda r: os.rename(r / "content/events/summit-2023.md",
                                                        r / "content/events/vilnius-2023.md"),
     "content/index.md"),  # the home page still links to the old id
    ("fix links to the renamed event", lambda r: (_edit(r, "content/index.md", "[[summit-2023]]", "[[vilnius-2023]]")),
     None),
    ("event date change", lambda r: _edit(r, "content/events/vilnius-2023.md", "date: 2023-07-11", "date: 2022-07-11"),
     None),
    ("dispute added", lambda r: _edit(r, "content/actors/nato.md", "alliance.[@guardian-2023]\n",
                                      "alliance.[@guardian-2023]\n\n::: dispute How big?\n"
                                      "- Small.[@guardian-2023]\n- Tiny.[@nhk-2023]\n:::\n"), None),
    ("actor deleted with its links", lambda r: (os.remove(r / "content/actors/japan.md"),
                                                _edit(r, "content/events/vilnius-2023.md", "actors: [nato, japan]",
                                                      "actors: [nato]"),
                                                _edit(r, "content/events/vilnius-2023.md", "met [[japan]] in",
                                                      "met in"),
                                                _edit(r, "content/sources/nhk-2023.md", "NHK report", "NHK special report"),
                                                _write(r, "content/pages/notes.md",
                                                       "---\ntitle: Notes\nnav: 2\n---\nSee [@nhk-2023].\n")),
     None),
    ("asset override", lambda r: _write(r, "layouts/assets/style.css", "body { color: #123; }\n"), None),
    ("asset edit", lambda r: _write(r, "layouts/assets/style.css", "body { color: #456; }\n"), None),
    ("broken layout", lambda r: _write(r, "layouts/page.html", "{% extends 'base.html' %}{% block main %}{{ nope }}"
                                                               "{% endblock %}"), "layouts/page.html"),
    ("layout fixed", lambda r: _write(r, "layouts/page.html", "{% extends 'base.html' %}{% block main %}"
                                                              "<h1>{{ page.title }}</h1>{{ body }}{% endblock %}"),
     None),
    ("config change", lambda r: _edit(r, "config.yaml", "title: Test explainer", "title: Renamed explainer"), None),
    ("menu change", lambda r: _edit(r, "content/pages/notes.md", "nav: 2", "nav: 0"), None),
    ("home edit", lambda r: _edit(r, "content/index.md", "met at", "gathered at"), None),
    ("a second language", lambda r: _edit(r, "config.yaml", "title: Renamed explainer",
                                          "title: Renamed explainer\nlanguages: [en, ja]"), None),
    ("a translation added", lambda r: _write(r, "content/actors/nato.ja.md",
                                             "---\ntitle: 北大西洋条約機構\n---\n軍事同盟である。[@guardian-2023]\n"), None),
    ("the translation edited, marked stale", lambda r: _edit(r, "content/actors/nato.ja.md", "---\n軍事",
                                                              "translated_from: \"title 00000000 body 00000000\"\n"
                                                              "---\n防衛の軍事"), None),
    ("the original edited", lambda r: _edit(r, "content/actors/nato.md", "defence alliance", "defensive alliance"),
     None),
    ("a translation without its original", lambda r: _write(r, "content/actors/japan.ja.md", "---\ntitle: 日本\n---\nx\n"),
     "content/actors/japan.ja.md"),
    ("the translations removed", lambda r: (os.remove(r / "content/actors/japan.ja.md"),
                                            os.remove(r / "content/actors/nato.ja.md")), None),
]


def test_incremental_rebuilds_equal_clean_builds(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    served = tmp_path / "served"
    served.mkdir()
    engine = Engine(root, served)
    first = engine.rebuild()
    assert first.ok and first.full
    assert tree_hash(served) == _clean_hash(root, tmp_path / "clean0")
    for n, (name, change, error_in) in enumerate(STEPS, 1):
        before = tree_hash(served)
        change(root)
        outcome = engine.rebuild()
        assert [p.format() for p in outcome.problems.items] == problems_of(root), name
        if error_in is not None:
            assert not outcome.ok, name
            assert any(p.path == error_in for p in outcome.problems.errors), (name, outcome.problems.items)
            assert tree_hash(served) == before, f"{name}: a failed rebuild changed the served files"
            continue
        assert outcome.ok, (name, [p.format() for p in outcome.problems.items])
        assert tree_hash(served) == _clean_hash(root, tmp_path / f"clean{n}"), f"after step {n}: {name}"


def test_body_edit_renders_only_what_it_affects(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    engine = Engine(root, tmp_path / "served")
    (tmp_path / "served").mkdir()
    assert engine.rebuild().ok
    _edit(root, "content/events/summit-2023.md", "met in Vilnius", "met in Lithuania")
    outcome = engine.rebuild()
    assert outcome.ok and not outcome.full
    html_written = sorted(w for w in outcome.written if w.endswith(".html"))
    assert html_written == ["events/summit-2023/index.html"]
    # only the page whose context changed: the site-wide citation figures that the about
    # and disputes pages show are the same, so their contexts (and memo keys) are too
    assert outcome.rendered == 1


# --- the server over HTTP -----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`explainer serve` in a subprocess; collects its output lines."""

    def __init__(self, root: Path, port: int, *extra: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "explainer", "serve", "--root", str(root), "--port", str(port), *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.out: list[str] = []
        self.err: list[str] = []
        for stream, sink in ((self.proc.stdout, self.out), (self.proc.stderr, self.err)):
            threading.Thread(target=lambda s=stream, k=sink: k.extend(iter(s.readline, "")), daemon=True).start()
        line = self.wait_for(lambda: next((x for x in self.out if x.startswith("Serving on ")), None), 30)
        m = re.match(r"Serving on http://127\.0\.0\.1:(\d+)(/\S*) \(live reload on\), files from (.+)$", line.strip())
        assert m, line
        self.port, self.base, self.folder = int(m.group(1)), m.group(2), Path(m.group(3))

    def wait_for(self, probe, timeout: float = 10):  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = probe()
            if value:
                return value
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        raise AssertionError(f"timed out; stdout={self.out} stderr={self.err}")

    def rebuilds(self) -> int:
        """How many rebuilds the server has finished (successful or not), from its output."""
        return (sum(line.startswith(("Built in", "Rebuilt in")) for line in self.out)
                + sum(line.startswith("Build failed") for line in self.err))

    def settle(self, before: int) -> None:
        """Wait until a rebuild started after `before` was counted has finished: the page of a
        body edit is on disk (and served) before the rebuild that checks it ends, and an edit
        made in between is read by that rebuild (which, failing, puts the last good page back)."""
        self.wait_for(lambda: self.rebuilds() > before)

    def get(self, path: str) -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        conn.request("GET", path)  # http.client sends the path as given: no normalisation
        resp = conn.getresponse()
        body = resp.read().decode("utf-8", "replace")
        conn.close()
        return resp.status, body

    def poll(self, path: str, check, timeout: float = 10) -> str:  # type: ignore[no-untyped-def]
        def probe():  # type: ignore[no-untyped-def]
            status, body = self.get(path)
            return body if check(status, body) else None
        return self.wait_for(probe, timeout)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout=30)


@pytest.fixture
def served(tmp_path: Path):  # type: ignore[no-untyped-def]
    root = make_project(tmp_path)
    server = Server(root, _free_port())
    yield root, server
    server.stop()


def test_page_is_served_with_live_reload_script_and_build_has_none(served, tmp_path: Path) -> None:
    root, server = served
    status, body = server.get("/actors/nato/")
    assert status == 200
    assert "NATO is a military alliance." in body
    assert '<script src="/livereload.js?port=' in body
    assert "livereload" not in (server.folder / "actors/nato/index.html").read_text(encoding="utf-8")
    assert server.get("/livereload.js")[0] == 200
    assert server.get("/actors/nato")[0] == 301
    result = run_cli("build", "--root", str(root))
    assert result.returncode == 0, result.stderr
    for path in (root / "site").rglob("*"):
        if path.is_file():
            assert b"livereload" not in path.read_bytes(), path


def test_edits_errors_recovery_new_and_deleted_entries(served) -> None:
    root, server = served
    before = server.rebuilds()
    _edit(root, "content/actors/nato.md", "military alliance", "defence alliance")
    server.poll("/actors/nato/", lambda s, b: "NATO is a defence alliance." in b)
    server.settle(before)

    # a broken edit: the same message as `explainer check`, escaped, over the last good page
    _edit(root, "content/actors/nato.md", "kind: organisation", "kind: organisation\ncolour: <b>blue</b>")
    expected = [p for p in problems_of(root) if ": error: " in p]
    assert expected == ["content/actors/nato.md:4:1: error: unknown key 'colour' for an actor (did you mean 'country'?)"]
    body = server.poll("/actors/nato/", lambda s, b: "explainer-build-errors" in b)
    assert html.escape(expected[0]) in body
    assert "<b>blue</b>" not in body
    assert "NATO is a defence alliance." in body  # the last good page is still there
    server.wait_for(lambda: expected[0] + "\n" in server.err)  # the terminal shows it too
    assert "explainer-build-errors" in server.poll("/timeline/", lambda s, b: s == 200)

    # the fix recovers without a restart
    _edit(root, "content/actors/nato.md", "\ncolour: <b>blue</b>", "")
    body = server.poll("/actors/nato/", lambda s, b: "explainer-build-errors" not in b)
    assert "NATO is a defence alliance." in body

    # a new entry appears and the indexes link to it
    _write(root, "content/actors/japan.md", JAPAN)
    _edit(root, "content/events/summit-2023.md", "met in Vilnius.", "met [[japan]] in Vilnius.")
    server.poll("/actors/japan/", lambda s, b: s == 200 and "Japan hosted talks." in b)
    assert 'href="japan/"' in server.poll("/actors/", lambda s, b: "Japan" in b) or \
        'href="../actors/japan/"' in server.get("/actors/")[1]
    # the event's edit may land in a rebuild of its own, after the new file's
    server.poll("/events/summit-2023/", lambda s, b: 'href="../../actors/japan/"' in b)

    # a deleted one disappears
    os.remove(root / "content/actors/japan.md")
    _edit(root, "content/events/summit-2023.md", "met [[japan]] in Vilnius.", "met in Vilnius.")
    server.poll("/actors/japan/", lambda s, b: s == 404)
    server.poll("/actors/", lambda s, b: s == 200 and "Japan" not in b)
    assert not (server.folder / "actors/japan").exists()


def test_overlay_shows_positioned_messages_for_inputs_that_once_crashed(served) -> None:
    """A 5000-digit number, a NUL escape, a null key, a list as a problem level: each a positioned
    message in the overlay and the terminal, never "internal error" (issue 15)."""
    root, server = served
    nato = (root / "content/actors/nato.md").read_text(encoding="utf-8")
    config = (root / "config.yaml").read_text(encoding="utf-8")
    edits = [
        ("content/actors/nato.md", nato.replace("kind: organisation", "kind: organisation\nrole: " + "9" * 5000),
         "content/actors/nato.md:4:7: error: a number may have at most 4300 digits, not 5000 "
         "(quote it if it is text)"),
        ("content/actors/nato.md", nato.replace("title: NATO", 'title: "NATO\\u0000"'),
         "content/actors/nato.md:2:8: error: text may not contain the control character U+0000 "
         "(remove the escape that writes it)"),
        ("config.yaml", config + "null: x\n",
         'config.yaml:3:1: error: a key must be text, not null (write a key name; to mean the word, '
         'quote it: "null":)'),
        ("config.yaml", config + "problems: {entry-orphan: [off]}\n",
         "config.yaml:3:26: error: problem level must be error, warning or off, not a list"),
    ]
    for rel, text, expected in edits:
        (root / rel).write_text(text, encoding="utf-8")
        assert [p for p in problems_of(root) if ": error: " in p] == [expected]
        body = server.poll("/actors/nato/", lambda s, b, e=expected: html.escape(e) in b)
        assert "internal error" not in body
        server.wait_for(lambda e=expected: e + "\n" in server.err)
        (root / "content/actors/nato.md").write_text(nato, encoding="utf-8")
        (root / "config.yaml").write_text(config, encoding="utf-8")
        server.poll("/actors/nato/", lambda s, b: "explainer-build-errors" not in b)
    assert not any("internal error" in line for line in server.err)


async def _reloads(port: int, edits: list) -> list[float]:  # type: ignore[type-arg]
    """Connect as livereload.js does, make each edit, and time each reload message."""
    ws = await websocket_connect(f"ws://127.0.0.1:{port}/livereload")
    ws.write_message(json.dumps({"command": "hello", "protocols": ["http://livereload.com/protocols/official-7"]}))
    assert json.loads(await ws.read_message())["command"] == "hello"
    ws.write_message(json.dumps({"command": "info", "url": f"http://127.0.0.1:{port}/", "plugins": {}}))
    times = []
    for edit in edits:
        edit()
        started = time.monotonic()
        while True:
            msg = json.loads(await ws.read_message())
            if msg["command"] == "reload":
                times.append(time.monotonic() - started)
                break
    ws.close()
    return times


def test_two_saves_a_second_apart_both_reload_and_are_served(served) -> None:
    root, server = served
    time.sleep(0.3)  # let the info message register the client

    def save(text: str):  # type: ignore[no-untyped-def]
        def edit() -> None:
            time.sleep(0.2)
            _write(root, "content/pages/about.md", f"---\ntitle: About\nnav: 1\n---\n{text}\n")
        return edit

    times = _in_own_thread(lambda: IOLoop(make_current=False).run_sync(
        lambda: _reloads(server.port, [save("First save."), save("Second save.")]), timeout=20))
    assert len(times) == 2  # livereload's own watcher would have dropped the second one
    assert "Second save." in server.get("/about/")[1]


def _in_own_thread(work):  # type: ignore[no-untyped-def]
    """Run an event loop in a thread of its own: the session's Playwright owns this thread's loop."""
    result: list = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            result.append(work())
        except BaseException as exc:  # re-raised in the test's thread
            errors.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    if errors:
        raise errors[0]
    return result[0]


def test_path_traversal_and_symlinks_get_404(served, tmp_path: Path) -> None:
    root, server = served
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret", encoding="utf-8")
    os.symlink(secret, server.folder / "leak.txt")
    os.symlink(tmp_path, server.folder / "leakdir")
    depth = "/".join([".."] * 12)
    for path in [f"/{depth}{secret}", f"/actors/{depth}{secret}", "/%2e%2e/" * 12 + str(secret)[1:],
                 "/..%2f" * 12 + str(secret)[1:], "/%2E%2E%2F" * 12 + str(secret)[1:],
                 "/..%5c..%5csecret.txt", "/leak.txt", "/leakdir/secret.txt", "/leakdir/",
                 "/actors/%2e%2e/%2e%2e/" + "../" * 10 + "etc/passwd", "/%00", "/index.html%00.css",
                 "//actors", "//example.org/"]:  # never a protocol-relative redirect
        status, body = server.get(path)
        assert status == 404, path
        assert "top secret" not in body and "root:" not in body, path


def test_ctrl_c_stops_cleanly_and_a_busy_port_moves_on(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        server = Server(root, port)
        assert server.port != port
        assert any(f"port {port} is in use, so serving on port {server.port} instead" in line for line in server.out)
        assert any("Only this computer can open it" in line for line in server.out)
        assert server.get("/")[0] == 200
        assert server.stop() == 0
    server.wait_for(lambda: any("Stopped." in line for line in server.out))
    assert not any("Traceback" in line for line in server.err), server.err
    assert not server.folder.exists()


# --- HTTP as a static host answers it (Tornado's StaticFileHandler behind the gate) ------------


def _request(port: int, path: str, method: str = "GET",
             headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(method, path, headers=headers or {})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body


def test_head_etag_range_and_content_types(served) -> None:
    root, server = served
    status, headers, page = _request(server.port, "/actors/nato/")
    assert status == 200 and b"NATO is a military alliance." in page
    etag = headers["etag"]
    on_disk = (server.folder / "actors/nato/index.html").read_bytes()
    assert len(page) > len(on_disk)  # the live-reload script is in the response only
    assert headers["content-length"] == str(len(page))

    status, head_headers, body = _request(server.port, "/actors/nato/", "HEAD")
    assert (status, body) == (200, b"")
    assert head_headers["content-length"] == str(len(page)) and head_headers["etag"] == etag

    status, _, body = _request(server.port, "/actors/nato/", headers={"If-None-Match": etag})
    assert (status, body) == (304, b"")

    status, range_headers, body = _request(server.port, "/actors/nato/", headers={"Range": "bytes=10-29"})
    assert status == 206 and body == page[10:30]
    assert range_headers["content-range"] == f"bytes 10-29/{len(page)}"

    css_status, css_headers, css = _request(server.port, "/assets/style.css")
    assert css_status == 200 and css == (server.folder / "assets/style.css").read_bytes()  # untouched
    assert _request(server.port, "/assets/style.css", headers={"If-None-Match": css_headers["etag"]})[0] == 304

    import mimetypes
    expected = {"/": "text/html; charset=utf-8", "/assets/style.css": "text/css; charset=utf-8",
                "/assets/explainer.js": "text/javascript; charset=utf-8", "/data.json": "application/json",
                "/feed.xml": "application/xml", "/sitemap.xml": "application/xml",
                "/assets/favicon.svg": "image/svg+xml", "/robots.txt": "text/plain; charset=utf-8",
                "/sources.bib": mimetypes.guess_type("sources.bib")[0] or "text/x-bibtex"}
    for path, kind in expected.items():
        status, headers, _ = _request(server.port, path)
        assert (status, headers["content-type"].replace("; charset=utf-8", "") if not kind.endswith("utf-8")
                else headers["content-type"]) == (200, kind), path

    # a directory without its slash redirects like a static host; unknown paths get the site's 404
    status, headers, _ = _request(server.port, "/actors/nato")
    assert (status, headers["location"]) == (301, "/actors/nato/")
    for method in ("GET", "HEAD"):
        status, headers, body = _request(server.port, "/actors/nobody/", method)
        assert status == 404 and headers["content-type"] == "text/html; charset=utf-8", method
        assert (b"Page not found" in body) == (method == "GET")

    # the overlay changes the response, not the file: the ETag follows the response
    _edit(root, "content/actors/nato.md", "kind: organisation", "kind: organisation\ncolour: blue")
    server.poll("/actors/nato/", lambda s, b: "explainer-build-errors" in b)
    assert (server.folder / "actors/nato/index.html").read_bytes() == on_disk
    status, headers, _ = _request(server.port, "/actors/nato/", headers={"If-None-Match": etag})
    assert status == 200 and headers["etag"] != etag


class _Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and (name in ("href", "src") or (tag == "div" and name == "data-index")):
                self.found.append(value)


def test_served_under_base_url_path_and_every_link_resolves(tmp_path: Path, browser) -> None:
    root = make_project(tmp_path, {"config.yaml": "title: Test explainer\nbase_url: https://example.org/nato-tokyo/\n"
                                                  "nav: [timeline, actors, sources, disputes, search, about]\n"})
    server = Server(root, _free_port())
    try:
        assert server.base == "/nato-tokyo/"
        origin = f"http://127.0.0.1:{server.port}"
        for path in ("/", "/nato-tokyo"):
            status, headers, _ = _request(server.port, path)
            assert (status, headers["location"]) == (302, "/nato-tokyo/"), path
        assert _request(server.port, "/actors/nato/")[0] == 404  # only where the site is published

        # follow every link, stylesheet, script and image of every page reached from home
        from urllib.parse import urldefrag, urljoin, urlsplit
        seen: set[str] = set()
        queue = [f"{origin}/nato-tokyo/", f"{origin}/nato-tokyo/no-such-page/"]
        broken: list[str] = []
        while queue:
            url = queue.pop()
            if url in seen:
                continue
            seen.add(url)
            path = urlsplit(url).path
            status, headers, body = _request(server.port, path)
            if status == 301:
                queue.append(urljoin(url, headers["location"]))
                continue
            if status != 200 and not path.endswith("/no-such-page/"):
                broken.append(f"{path}: {status}")
                continue
            if headers["content-type"].startswith("text/html"):
                parser = _Links()
                parser.feed(body.decode("utf-8"))
                for link in parser.found:
                    target = urldefrag(urljoin(url, link))[0]
                    if target.startswith(origin + "/"):
                        queue.append(target)
        assert broken == []
        pages = {"/nato-tokyo/" + p.relative_to(server.folder).parent.as_posix() + "/"
                 for p in server.folder.rglob("index.html")}
        reached = {urlsplit(u).path for u in seen}
        assert {p.replace("/./", "/") for p in pages} <= reached

        # and in a browser: the redirect, the pages, their assets and the search index load
        failed: list[str] = []
        page = browser.new_page()
        page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        page.goto(origin + "/")
        assert page.url == origin + "/nato-tokyo/"
        page.click("nav >> text=Actors")
        page.wait_for_url(origin + "/nato-tokyo/actors/")
        page.goto(origin + "/nato-tokyo/search/")
        page.fill("#search-q", "alliance")
        page.press("#search-q", "Enter")
        page.locator("#search-results a").first.click()
        page.wait_for_url(origin + "/nato-tokyo/actors/nato/")
        assert "NATO is a military alliance." in page.content()
        page.close()
        assert failed == []
    finally:
        server.stop()


# --- file events ----------------------------------------------------------------------------------


def _inotify_fds(pid: int) -> int:
    """How many inotify instances a process holds (Linux: /proc/PID/fd links)."""
    folder = Path(f"/proc/{pid}/fd")
    count = 0
    for fd in folder.iterdir():
        try:
            count += os.readlink(fd) == "anon_inode:inotify"
        except OSError:
            continue
    return count


def test_saves_are_picked_up_on_file_events_and_by_polling_with_poll(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    server = Server(root, _free_port())
    try:
        server.wait_for(lambda: any(line.startswith("Watching") for line in server.out))
        assert "Watching content/, layouts/ and config.yaml on file events. Press Ctrl-C to stop.\n" in server.out
        assert _inotify_fds(server.proc.pid) == 1
        _edit(root, "content/actors/nato.md", "military alliance", "defence alliance")
        server.poll("/actors/nato/", lambda s, b: "NATO is a defence alliance." in b)
        # a layouts/ folder made after the start is watched too
        _write(root, "layouts/assets/style.css", "body { color: #123; }\n")
        server.poll("/assets/style.css", lambda s, b: "#123" in b)
        _write(root, "layouts/assets/style.css", "body { color: #456; }\n")
        server.poll("/assets/style.css", lambda s, b: "#456" in b)
    finally:
        server.stop()
    polling = Server(root, _free_port(), "--poll")
    try:
        polling.wait_for(lambda: any(line.startswith("Watching") for line in polling.out))
        assert any("and config.yaml by polling (--poll)." in line for line in polling.out), polling.out
        assert _inotify_fds(polling.proc.pid) == 0
        _edit(root, "content/actors/nato.md", "defence alliance", "polled alliance")
        polling.poll("/actors/nato/", lambda s, b: "NATO is a polled alliance." in b)
    finally:
        polling.stop()


def test_renamed_and_editor_style_saves_are_picked_up(served) -> None:
    root, server = served
    os.rename(root / "content/pages/about.md", root / "content/pages/method.md")
    server.poll("/method/", lambda s, b: s == 200 and "How this site is made." in b)
    server.poll("/about/", lambda s, b: s == 404)
    # vim's way: a write test file, the original renamed to a backup, a new file, the backup removed
    actors = root / "content/actors"
    (actors / "4913").write_text("")
    (actors / "4913").unlink()
    os.rename(actors / "nato.md", actors / "nato.md~")
    (actors / "nato.md").write_text((actors / "nato.md~").read_text().replace("military", "vim-saved"))
    (actors / "nato.md~").unlink()
    server.poll("/actors/nato/", lambda s, b: "NATO is a vim-saved alliance." in b)
    # an atomic save through a temporary file renamed over the entry
    tmp = actors / ".nato.md.swp"
    tmp.write_text((actors / "nato.md").read_text().replace("vim-saved", "renamed-over"))
    os.replace(tmp, actors / "nato.md")
    server.poll("/actors/nato/", lambda s, b: "NATO is a renamed-over alliance." in b)
    assert not any("Traceback" in line for line in server.err), server.err


def test_editor_temp_files_are_not_changes(tmp_path: Path) -> None:
    from explainer.serve.watch import EventWatcher

    root = make_project(tmp_path)
    watcher = EventWatcher(root, threading.Event())
    try:
        for name in ("nato.md~", ".nato.md.swp", ".nato.md.swx", "4913", ".#nato.md", "#nato.md#",
                     "nato.md___jb_tmp___", ".goutputstream-XYZ1"):
            assert not watcher.relevant(str(root / "content/actors" / name)), name
        for rel in ("content/actors/nato.md", "content/actors", "layouts/assets/style.css", "config.yaml",
                    "content"):
            assert watcher.relevant(str(root / rel)), rel
        for rel in ("site/index.html", ".explainer-cache/x", "notes.txt", ".git/index"):
            assert not watcher.relevant(str(root / rel)), rel
    finally:
        watcher.notify.close()


def test_the_watcher_thread_waits_in_the_kernel_not_in_a_scan(tmp_path: Path) -> None:
    from explainer.serve.watch import Changes, EventWatcher

    root = make_project(tmp_path)
    changed = Changes(root)
    watcher = EventWatcher(root, changed)
    watcher.start()
    try:
        where = set()
        for _ in range(30):  # where the thread is, sampled while nothing changes
            frame = sys._current_frames()[watcher.ident]  # type: ignore[index]
            names = []
            while frame is not None:
                names.append(f"{Path(frame.f_code.co_filename).name}:{frame.f_code.co_name}")
                frame = frame.f_back
            where.add(names[0])
            assert not any(n.endswith(":scan") for n in names), names
            time.sleep(0.01)
        assert where == {"watch.py:watch"}, where  # inside watchfiles' Rust call, not in a Python loop
        assert not changed.is_set()
        _edit(root, "content/actors/nato.md", "military", "watched")
        assert changed.wait(10)
    finally:
        watcher.stopping.set()
        watcher.join(10)
    assert not watcher.is_alive()


def test_without_file_events_the_server_falls_back_to_polling(tmp_path: Path) -> None:
    import resource

    from explainer.serve.watch import Changes, PollWatcher, start_watching

    root = make_project(tmp_path)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    used = {int(n) for n in os.listdir("/proc/self/fd")}
    lowest_free = next(n for n in range(soft) if n not in used)
    resource.setrlimit(resource.RLIMIT_NOFILE, (lowest_free, hard))  # no new file descriptor: no inotify
    try:
        watcher, how = start_watching(root, Changes(root), poll=False)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert isinstance(watcher, PollWatcher)
    assert how.startswith("by polling: file events are unavailable (") and "Too many open files" in how, how


def test_a_save_during_site_wide_writes_interrupts_them(tmp_path: Path) -> None:
    from explainer.serve.app import State
    from explainer.serve.builder import Builder, rebuild
    from explainer.serve.watch import EventWatcher

    root = make_project(tmp_path)
    out = tmp_path / "served"
    out.mkdir()
    engine = Engine(root, out)
    state = State(out, 0)
    assert rebuild(engine, state).ok
    engine.defer_extras = True
    steps: list[tuple[str, bool, bool]] = []
    builder: Builder

    def on_step(name: str, outcome) -> None:  # type: ignore[no-untyped-def]
        page = (out / "actors/nato/index.html").read_text(encoding="utf-8")
        steps.append((name, outcome.deferred, "second save" in page))
        if name == "finishing" and len(steps) == 2:  # the site-wide files are next: save now
            _edit(root, "content/actors/nato.md", "first save", "second save")
            assert builder.changed.wait(10), "the watcher did not see the save"

    builder = Builder(root, engine, state, lambda: None, on_step)
    watcher = EventWatcher(root, builder.changed)
    builder.start()
    watcher.start()
    try:
        _edit(root, "content/actors/nato.md", "military alliance", "first save")
        deadline = time.monotonic() + 30
        while len(steps) < 6 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        watcher.stopping.set()
        builder.stop()
        builder.join(30)
        watcher.join(10)
    assert steps == [
        ("rebuilt", True, False),
        ("finishing", True, False),
        ("finished", True, False),  # interrupted: nothing written, still pending
        ("rebuilt", True, True),  # the second save's page, before any site-wide file
        ("finishing", True, True),
        ("finished", False, True),
    ]
    assert tree_hash(out) == _clean_hash(root, tmp_path / "clean")


def test_terminal_shows_only_the_problems_a_save_changed(tmp_path: Path) -> None:
    """A draft's warnings are printed once; after a save, only the ones that appeared, and
    the ones that went away (marked "fixed:"), not every warning of the site again."""
    root = make_project(tmp_path)
    _edit(root, "content/actors/nato.md", "NATO is a military alliance.",
          "NATO is a military alliance.\n\nAn old uncited paragraph.")
    old = [p for p in problems_of(root) if "uncited-paragraph" in p or "paragraph has no citation" in p]
    assert len(old) == 1, problems_of(root)
    server = Server(root, _free_port())
    try:
        server.wait_for(lambda: old[0] + "\n" in server.err)
        before, printed = server.rebuilds(), len(server.err)
        _edit(root, "content/events/summit-2023.md", "met in Vilnius.", "met in Vilnius.\n\nA new uncited one.")
        new = [p for p in problems_of(root) if "paragraph has no citation" in p and p not in old]
        assert len(new) == 1, problems_of(root)
        server.settle(before)
        server.wait_for(lambda: any(line.startswith("(1 problem reported before") for line in server.err[printed:]))
        assert new[0] + "\n" in server.err[printed:]
        assert old[0] + "\n" not in server.err[printed:], "an unchanged warning was printed again"
        before, printed = server.rebuilds(), len(server.err)
        _edit(root, "content/events/summit-2023.md", "\n\nA new uncited one.", "")
        server.settle(before)
        server.wait_for(lambda: "fixed: " + new[0] + "\n" in server.err[printed:])
        assert old[0] + "\n" not in server.err[printed:]
    finally:
        server.stop()
