"""The dev server: incremental rebuilds equal clean builds; the server over real HTTP.

The first half drives `incremental.Engine` in process through a sequence of edits,
additions, deletions, renames, layout, asset and config changes, and compares the
served folder with a clean `explainer build` after every step. The second half starts
`explainer serve` as a subprocess on a free port and talks to it over HTTP and the
live-reload WebSocket, as a browser would.
"""

from __future__ import annotations

import html
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
from explainer.incremental import Engine

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
    # the page itself, plus the two that show site-wide citation figures (about, disputes)
    assert outcome.rendered == 3


# --- the server over HTTP -----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`explainer serve` in a subprocess; collects its output lines."""

    def __init__(self, root: Path, port: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "explainer", "serve", "--root", str(root), "--port", str(port)],
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
    _edit(root, "content/actors/nato.md", "military alliance", "defence alliance")
    server.poll("/actors/nato/", lambda s, b: "NATO is a defence alliance." in b)

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
                 "/actors/%2e%2e/%2e%2e/" + "../" * 10 + "etc/passwd", "/%00", "/index.html%00.css"]:
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
