"""`explainer links` (issue 32) against real HTTP servers on 127.0.0.1.

One test server (a stdlib `ThreadingHTTPServer` in a thread) answers every case the
checker must tell apart: 200, 404, 410, a chain of 301s, a temporary 302, 429 with
Retry-After then 200, 503 then 200, a HEAD-refusing 405, a server that never answers,
and a Wayback-availability-compatible API with a save endpoint. It records every request
(method, path, time, User-Agent), so the tests can count what the command asked. Nothing
here reaches outside the machine: every URL in the test project is the server's.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from jsonschema import Draft202012Validator

from conftest import make_project, run_cli, tree_hash
from explainer import __version__
from explainer.build import build
from explainer.links.check import parse_retry_after, retry_wait
from explainer.links.found import doi_url, find_urls
from explainer.links.results import MAX_BYTES, read_results
from explainer.pipeline import load_project
from explainer.render.outputs.data import SCHEMA_FILE


def today() -> str:
    """The date the tool stamps now (asked when a test builds what it expects, not at import:
    a run that crosses midnight UTC would otherwise expect yesterday)."""
    return datetime.now(UTC).date().isoformat()
NO_PROXY = {"HTTP_PROXY": "", "HTTPS_PROXY": "", "ALL_PROXY": "", "http_proxy": "", "https_proxy": "",
            "all_proxy": "", "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}


@dataclass
class Seen:
    method: str
    path: str
    at: float
    agent: str


@dataclass
class Server:
    base: str
    seen: list[Seen] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    release: threading.Event = field(default_factory=threading.Event)

    def paths(self) -> list[str]:
        return [s.path for s in self.seen]

    def asked(self, path: str) -> list[str]:
        return [s.method for s in self.seen if s.path == path]


class Handler(BaseHTTPRequestHandler):
    server_state: Server

    def log_message(self, *args: object) -> None:
        pass

    def do_HEAD(self) -> None:  # noqa: N802 - the stdlib's naming
        self.answer(head=True)

    def do_GET(self) -> None:  # noqa: N802
        self.answer(head=False)

    def answer(self, head: bool) -> None:
        state = self.server_state
        parts = urlsplit(self.path)
        path = parts.path
        state.seen.append(Seen(self.command, path, time.monotonic(), self.headers.get("User-Agent", "")))
        n = state.counts[path] = state.counts.get(path, 0) + 1
        if path == "/hang":
            state.release.wait(30)  # answers nothing until the test is over
            return
        if path in ("/ok", "/page") or path.startswith("/web/"):
            return self.send(200)
        if path == "/gone404":
            return self.send(404)
        if path == "/gone410":
            return self.send(410)
        if path == "/moved1":
            return self.send(301, {"Location": "/moved2"})
        if path == "/moved2":
            return self.send(301, {"Location": "/ok"})
        if path == "/temp":
            return self.send(302, {"Location": "/ok"})
        if path == "/busy":
            return self.send(429, {"Retry-After": "1"}) if n == 1 else self.send(200)
        if path == "/flaky":
            return self.send(503) if n == 1 else self.send(200)
        if path == "/nohead":
            return self.send(405, {"Allow": "GET"}) if head else self.send(200)
        if path == "/wayback/available":
            query = parse_qs(parts.query)
            url, stamp = query["url"][0], query.get("timestamp", [""])[0]
            if url.endswith("/gone404"):
                found = {"archived_snapshots": {"closest": {
                    "available": True, "status": "200", "timestamp": stamp + "000000",
                    "url": f"{state.base}web/{stamp}000000/{url}"}}}
            else:
                found = {"archived_snapshots": {}}
            return self.send(200, {"Content-Type": "application/json"}, json.dumps(found).encode(), head)
        if path.startswith("/save/"):
            return self.send(200)
        return self.send(404)

    def send(self, code: int, headers: dict[str, str] | None = None, body: bytes = b"", head: bool = False) -> None:
        self.send_response(code)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)


@pytest.fixture
def server() -> Iterator[Server]:
    state = Server("")
    handler = type("H", (Handler,), {"server_state": state})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    state.base = f"http://127.0.0.1:{httpd.server_address[1]}/"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        httpd.shutdown()
        httpd.server_close()


def config(base: str, extra: str = "") -> str:
    return ("title: T\nbase_url: https://example.org/\n"
            f"links: {{timeout: 0.5, retry_wait_max: 2, archive_api: '{base}wayback/available', "
            f"save_api: '{base}save/', save_interval: 0{extra}}}\n")


def gone_source(base: str) -> str:
    return ("---\n"
            "title: Gone report\n"
            "publisher: Paper   # as printed\n"
            "# the original went away in 2024\n"
            f"url: '{base}gone404'\n"
            "accessed: 2023-07-13\n"
            "---\n"
            "Its body.\n")


def files(base: str) -> dict[str, str | bytes | None]:
    return {
        "config.yaml": config(base),
        "content/index.md": "---\ntitle: Home\n---\nSee [[summit]].[@gone]\n",
        "content/events/summit.md": (
            "---\ntitle: Summit\ndate: 2023-07-11\nsources: [gone, moved, fine]\n---\n"
            f"It met.[@gone] A [gone page]({base}gone410) and a [moved one]({base}moved1).[@moved]\n"
            "\n"
            f"Then <{base}busy>, [flaky]({base}flaky), [no HEAD]({base}nohead) and [temp]({base}temp).[@fine]\n"),
        "content/sources/gone.md": gone_source(base),
        "content/sources/moved.md": f"---\ntitle: Moved\npublisher: P\nurl: {base}moved1\ndate: 2023-05\n---\n",
        "content/sources/fine.md": f"---\ntitle: Fine\npublisher: P\nurl: \"{base}ok\"\n---\n",
        "content/pages/about.md": f"---\ntitle: About\nnav: 1\n---\nA [silent server]({base}hang).\n",
    }


def links(root: Path, *args: str) -> tuple[int, list[str], str, str]:
    done = run_cli("links", "--root", str(root), *args, env=NO_PROXY)
    stream = done.stdout if "--format" in args else done.stderr
    lines = [ln for ln in stream.splitlines() if ln.startswith(("content/", "refs.bib", "{", "::"))]
    return done.returncode, lines, done.stdout, done.stderr


def col(base: str, path: str, line: int, needle: str) -> int:
    """The 1-based column of `needle` on a line of a test file (ports differ in length)."""
    text = files(base)[path]
    assert isinstance(text, str)
    return text.split("\n")[line - 1].index(base + needle) + 1


def expected_problems(base: str) -> list[str]:
    when = f"(checked {today()})"
    summit = "content/events/summit.md"
    return [
        f"{summit}:6:{col(base, summit, 6, 'gone410')}: warning: link-broken: {base}gone410 answered 410 Gone {when} "
        "(fix the address or link an archived copy)",
        f"{summit}:6:{col(base, summit, 6, 'moved1')}: warning: link-redirected: {base}moved1 moved permanently "
        f"(301 Moved Permanently) to {base}ok {when} (link the new address)",
        f"content/pages/about.md:5:{col(base, 'content/pages/about.md', 5, 'hang')}: warning: link-unreachable: "
        f"{base}hang could not be checked: "
        f"no answer within 0.5 s {when} (not marked broken; open it in a browser, or run again later)",
        f"content/sources/gone.md:5:6: warning: link-broken: {base}gone404 answered 404 Not Found {when} "
        "(run 'explainer links --archive' to look for an archived copy)",
        f"content/sources/moved.md:4:6: warning: link-redirected: {base}moved1 moved permanently "
        f"(301 Moved Permanently) to {base}ok {when} (link the new address)",
    ]


def test_every_outcome_is_reported_where_the_author_wrote_it(tmp_path: Path, server: Server) -> None:
    base = server.base
    root = make_project(tmp_path, files(base), base=False)
    code, lines, out, err = links(root)
    assert code == 0, err
    assert lines == expected_problems(base)
    assert out.splitlines()[-1] == ("Checked 9 links (9 asked, 0 from .explainer-cache/links.json): 2 broken, "
                                    "1 moved permanently, 1 could not be checked.")
    # HEAD first; GET only where HEAD was refused; redirects followed hop by hop
    assert server.asked("/gone404") == ["HEAD"]
    assert server.asked("/nohead") == ["HEAD", "GET"]
    assert server.asked("/moved1") == ["HEAD"] and server.asked("/moved2") == ["HEAD"]
    # 429 and 503 retried once each, then answered 200 (no problem reported)
    assert server.asked("/busy") == ["HEAD", "HEAD"] and server.asked("/flaky") == ["HEAD", "HEAD"]
    busy = [s.at for s in server.seen if s.path == "/busy"]
    assert busy[1] - busy[0] >= 0.95, "Retry-After: 1 was not honoured"
    assert {s.agent for s in server.seen} == {f"explainer/{__version__} (link checker)"}
    # --strict: the warnings fail the run
    code, lines, _, _ = links(root, "--strict")
    assert code == 1 and lines == expected_problems(base)


def test_formats_json_and_github(tmp_path: Path, server: Server) -> None:
    root = make_project(tmp_path, files(server.base), base=False)
    code, lines, _, err = links(root, "--format", "json")
    assert code == 0, err
    records = [json.loads(ln) for ln in lines]
    summit = "content/events/summit.md"
    assert [(r["path"], r["line"], r["column"], r["code"], r["severity"]) for r in records] == [
        (summit, 6, col(server.base, summit, 6, "gone410"), "link-broken", "warning"),
        (summit, 6, col(server.base, summit, 6, "moved1"), "link-redirected", "warning"),
        ("content/pages/about.md", 5, col(server.base, "content/pages/about.md", 5, "hang"), "link-unreachable",
         "warning"),
        ("content/sources/gone.md", 5, 6, "link-broken", "warning"),
        ("content/sources/moved.md", 4, 6, "link-redirected", "warning"),
    ]
    code, lines, _, _ = links(root, "--format", "github")
    assert code == 0
    assert lines[3] == (f"::warning file=content/sources/gone.md,line=5,col=6,title=explainer link-broken::"
                        f"link-broken: {server.base}gone404 answered 404 Not Found (checked {today()}) "
                        "(run 'explainer links --archive' to look for an archived copy)")


def test_a_code_turned_off_in_config_is_not_reported(tmp_path: Path, server: Server) -> None:
    base = server.base
    root = make_project(tmp_path, {**files(base), "config.yaml": config(base) + "problems: {link-redirected: off}\n"
                                   "repository: https://example.org/repo\n"}, base=False)
    code, lines, _, _ = links(root, "--strict")
    assert code == 1
    assert lines == [p for p in expected_problems(base) if "link-redirected" not in p]
    # the project's repository address tells a site's owner whose checker is asking
    assert {s.agent for s in server.seen} == {f"explainer/{__version__} (link checker; +https://example.org/repo)"}


def test_a_second_run_within_the_recheck_age_asks_nothing_again(tmp_path: Path, server: Server) -> None:
    base = server.base
    root = make_project(tmp_path, files(base), base=False)
    _, first, _, _ = links(root)
    asked = len(server.seen)
    code, second, out, _ = links(root)
    assert code == 0 and second == first == expected_problems(base)
    # only the link that gave no answer is asked again: an unreachable link is never taken as fresh
    assert server.paths()[asked:] == ["/hang"]
    assert out.splitlines()[-1].startswith("Checked 9 links (1 asked, 8 from .explainer-cache/links.json)")
    # an answer older than recheck_after_days is asked again
    path = root / ".explainer-cache" / "links.json"
    data = json.loads(path.read_text())
    old = (datetime.now(UTC) - timedelta(days=8)).strftime("%Y-%m-%dT%H:%M:%SZ")
    data["urls"][f"{base}gone404"]["checked"] = old
    path.write_text(json.dumps(data))
    asked = len(server.seen)
    links(root)
    assert sorted(server.paths()[asked:]) == ["/gone404", "/hang"]
    # an answer dated in the future is not trusted
    data = json.loads(path.read_text())
    data["urls"][f"{base}gone410"]["checked"] = "2099-01-01T00:00:00Z"
    path.write_text(json.dumps(data))
    asked = len(server.seen)
    links(root)
    assert sorted(server.paths()[asked:]) == ["/gone410", "/hang"]
    tag = (root / ".explainer-cache/CACHEDIR.TAG").read_bytes()
    assert tag.startswith(b"Signature: 8a477f597d28d172789f06886806bc55\n")  # backup tools skip the folder
    # --recheck asks everything
    asked = len(server.seen)
    links(root, "--recheck")
    assert len(server.seen) - asked >= 9


def test_cached_results_are_reported_like_fresh_ones(tmp_path: Path, server: Server) -> None:
    base = server.base
    root = make_project(tmp_path, {**files(base), "config.yaml": config(base, ", recheck_after_days: 30")},
                        base=False)
    links(root)
    # a result recorded days ago is reported with the day it was found
    path = root / ".explainer-cache" / "links.json"
    data = json.loads(path.read_text())
    data["urls"][f"{base}gone404"]["checked"] = "2026-11-30T08:00:00Z"
    path.write_text(json.dumps(data))
    _, lines, _, _ = links(root)
    assert (f"content/sources/gone.md:5:6: warning: link-broken: {base}gone404 answered 404 Not Found "
            "(checked 2026-11-30) (run 'explainer links --archive' to look for an archived copy)") in lines


@pytest.mark.parametrize("hostile", ["garbage", "deep", "wrong-type", "symlink", "huge", "fifo", "folder-symlink"])
def test_a_broken_or_hostile_cache_file_is_a_note_and_a_fresh_start(tmp_path: Path, server: Server,
                                                                    hostile: str) -> None:
    root = make_project(tmp_path, files(server.base), base=False)
    cache = root / ".explainer-cache"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    if hostile == "folder-symlink":
        cache.symlink_to(elsewhere, target_is_directory=True)
    else:
        cache.mkdir()
    path = cache / "links.json"
    secret = tmp_path / "elsewhere.json"
    if hostile == "garbage":
        path.write_bytes(b"\x00\xff not json")
    elif hostile == "deep":
        path.write_text("[" * 200_000 + "]" * 200_000)
    elif hostile == "wrong-type":
        path.write_text(json.dumps({"format": "explainer-links", "version": 1,
                                    "urls": {"http://x/": {"outcome": "ok", "status": "200", "reason": "",
                                                           "checked": "2026-12-01T00:00:00Z", "final": None}}}))
    elif hostile == "symlink":
        secret.write_text(json.dumps({"format": "explainer-links", "version": 1, "urls": {}}))
        path.symlink_to(secret)
    elif hostile == "huge":
        with path.open("wb") as fh:
            fh.truncate(MAX_BYTES + 1)
    elif hostile == "fifo":
        os.mkfifo(path)
    code, lines, _, err = links(root)
    assert code == 0, err
    assert "Traceback" not in err
    notes = [ln for ln in err.splitlines() if ln.startswith("explainer: note: .explainer-cache/")]
    assert len(notes) == 1 and notes[0].endswith(("; ignored, every link is asked afresh",
                                                  "not followed, every link is asked afresh")), err
    assert lines == expected_problems(server.base)
    assert len(server.seen) >= 9  # everything asked afresh
    if hostile == "symlink":
        assert json.loads(secret.read_text())["urls"] == {}  # the link's target was never written through
    if hostile == "folder-symlink":
        assert list(elsewhere.iterdir()) == []  # nothing written through a symlinked cache folder
        return
    assert set(read_results(root)) == set(find_urls(load_project(root, _problems())))


def _problems():  # type: ignore[no-untyped-def]
    from explainer.diagnostics import Problems

    return Problems()


def test_archive_write_adds_two_lines_and_keeps_every_other_byte(tmp_path: Path, server: Server) -> None:
    base = server.base
    crlf = gone_source(base).replace("gone404", "gone410").replace("\n", "\r\n")
    root = make_project(tmp_path, {**files(base), "content/sources/crlf.md": crlf.encode()}, base=False)
    before = (root / "content/sources/gone.md").read_bytes()
    unchanged = {p: p.read_bytes() for p in (root / "content").rglob("*.md") if p.name not in ("gone.md", "crlf.md")}
    code, _, out, err = links(root, "--archive")
    assert code == 0, err
    snapshot = f"{base}web/20230713000000/{base}gone404"
    assert f"content/sources/gone.md:5:6: {base}gone404: archived copy of 2023-07-13: {snapshot}" in out.splitlines()
    assert f"content/sources/fine.md:4:6: {base}ok: no archived copy" in out.splitlines()
    assert (root / "content/sources/gone.md").read_bytes() == before  # without --write nothing is written
    wayback = [s for s in server.seen if s.path == "/wayback/available"]
    assert len(wayback) == 4  # every source with a url and no archive_url
    code, _, out, err = links(root, "--archive", "--write")
    assert code == 0, err
    lines = before.decode().splitlines(keepends=True)
    expected = "".join(lines[:6] + [f'archive_url: "{snapshot}"\n', 'archive_date: "2023-07-13"\n',
                                    'url_status: "dead"\n', f'url_checked: "{today()}"\n'] + lines[6:])
    assert (root / "content/sources/gone.md").read_text() == expected
    crlf_lines = crlf.splitlines(keepends=True)
    assert (root / "content/sources/crlf.md").read_bytes() == "".join(
        crlf_lines[:6] + ['url_status: "dead"\r\n', f'url_checked: "{today()}"\r\n'] + crlf_lines[6:]).encode()
    assert {p: p.read_bytes() for p in unchanged} == unchanged
    assert f"content/sources/gone.md: wrote archive_url: {snapshot}, archive_date: 2023-07-13" in out.splitlines()
    # the broken link's report now names the copy; a second --write changes nothing
    code, lines, _, _ = links(root, "--archive", "--write")
    assert (f"content/sources/gone.md:5:6: warning: link-broken: {base}gone404 answered 404 Not Found "
            f"(checked {today()}); an archived copy exists: {snapshot} (readers are sent to the copy)") in lines
    assert (root / "content/sources/gone.md").read_text() == expected


def test_save_asks_the_archive_to_capture_only_urls_without_a_copy(tmp_path: Path, server: Server) -> None:
    base = server.base
    root = make_project(tmp_path, files(base), base=False)
    code, _, _, err = links(root, "--save")
    assert code == 2 and "use it with --archive" in err
    code, _, out, _ = links(root, "--archive", "--save")
    assert code == 0
    saved = sorted(unquote(s.path[len("/save/"):]) for s in server.seen if s.path.startswith("/save/"))
    assert saved == [f"{base}moved1", f"{base}ok"]
    assert f"{base}ok: capture requested: the archive answered 200 OK" in out.splitlines()


def test_readers_get_the_archived_copy_when_the_original_is_gone(tmp_path: Path, server: Server) -> None:
    base = server.base
    root = make_project(tmp_path, files(base), base=False)
    out_before = tmp_path / "before"
    assert build(root, out=out_before, use_cache=True).ok
    links(root, "--archive", "--write")
    snapshot = f"{base}web/20230713000000/{base}gone404"
    warm = build(root, out=out_before, use_cache=True)  # the warm, no-op-detecting build sees the edit
    clean = tmp_path / "clean"
    assert warm.ok and not warm.unchanged and build(root, out=clean).ok
    assert tree_hash(out_before) == tree_hash(clean)
    page = (clean / "sources/gone/index.html").read_text()
    checked = f'(checked <time datetime="{today()}">{datetime.now(UTC).day} {datetime.now(UTC):%B %Y}</time>)'
    assert (f'<dt>Archived</dt><dd><a href="{snapshot}">Archived copy</a><span class="link-gone">: the original '
            f'is no longer available {checked}</span></dd>') in page  # the source's key facts: the copy first
    assert (f'<dt>Original</dt><dd><span class="link-gone">No longer available {checked}:</span> '
            f'<a href="{base}gone404">original address</a>') in page
    assert page.index("<dt>Archived</dt>") < page.index("<dt>Original</dt>")
    reference = (
        f'<span class="reference"><cite><a href="{snapshot}">Gone report</a></cite>.\n'
        '<span class="publisher">Paper</span>, undated. Accessed 13 July 2023.'
        f' <span class="link-gone">Archived copy linked: original no longer available {checked}: '
        f'<a href="{base}gone404">original address</a>.</span></span>')
    summit = (clean / "events/summit/index.html").read_text()  # the Sources list, which previews show
    assert reference in summit
    assert f'<a href="{base}moved1">Moved</a>' in summit  # a redirect is reported, never hidden from readers


def test_the_build_never_reads_link_results(tmp_path: Path, server: Server) -> None:
    """What readers see comes from front matter alone: a links.json saying every link is broken
    changes no byte of the site (a fresh clone and CI build the same pages)."""
    root = make_project(tmp_path, files(server.base), base=False)
    assert build(root, out=tmp_path / "a").ok
    links(root)
    assert (root / ".explainer-cache/links.json").is_file()
    assert build(root, out=tmp_path / "b").ok
    assert tree_hash(tmp_path / "a") == tree_hash(tmp_path / "b")
    assert "original no longer available" not in (tmp_path / "b/sources/gone/index.html").read_text()


def test_bibliography_urls_and_dois_are_found_at_their_fields(tmp_path: Path, server: Server) -> None:
    base = server.base
    bib = ("@article{smithTitle2020,\n  title = {A study},\n  journal = {J},\n  year = {2020},\n"
           f"  url = {{{base}gone410}},\n  doi = {{10.1000/xyz}}\n}}\n")
    root = make_project(tmp_path, {**files(base), "refs.bib": bib,
                                   "config.yaml": config(base) + "bibliography: refs.bib\n"}, base=False)
    project = load_project(root, _problems())
    found = find_urls(project)
    assert [(p.path, p.line, p.column, p.what) for p in found[f"{base}gone410"]] == [
        ("content/events/summit.md", 6, col(base, "content/events/summit.md", 6, "gone410"), "link"),
        ("refs.bib", 5, 3, "url")]
    assert [(p.path, p.line, p.column) for p in found["https://doi.org/10.1000/xyz"]] == [("refs.bib", 6, 3)]
    # a reference-style link is found at its definition; a fragment is not part of what is asked
    about = f"---\ntitle: About\nnav: 1\n---\nSee [the report][r] and [part 2]({base}ok#part-2).\n\n[r]: {base}ok\n"
    (root / "content/pages/about.md").write_text(about)
    found = find_urls(load_project(root, _problems()))
    assert [(p.path, p.line, p.column) for p in found[f"{base}ok"]] == [
        ("content/pages/about.md", 5, about.split("\n")[4].index(base + "ok#") + 1),
        ("content/pages/about.md", 7, 6),
        ("content/sources/fine.md", 4, 6),
    ]
    assert doi_url("https://doi.org/10.1/a") == doi_url("doi:10.1/a") == "https://doi.org/10.1/a"


def test_retry_waits_honour_retry_after_within_the_cap() -> None:
    import httpx

    def response(value: str | None) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": value} if value else {})

    assert retry_wait(response("1"), 0, 60) == 1
    assert retry_wait(response("3600"), 0, 5) == 5
    assert [retry_wait(response(None), n, 60) for n in range(4)] == [1, 2, 4, 8]
    now = datetime(2026, 12, 7, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Mon, 07 Dec 2026 12:00:30 GMT", now) == 30
    assert parse_retry_after("soon", now) is None


def test_a_project_that_does_not_load_is_not_checked(tmp_path: Path, server: Server) -> None:
    root = make_project(tmp_path, {**files(server.base), "content/sources/fine.md": "---\ntitle: [\n---\n"},
                        base=False)
    code, _, _, err = links(root)
    assert code == 1 and "content/sources/fine.md:3:1: error: invalid YAML" in err and "Fix these first" in err
    assert server.seen == []


def test_config_links_keys_are_validated(tmp_path: Path) -> None:
    from conftest import problems_of

    root = make_project(tmp_path, {"config.yaml": "title: T\nbase_url: https://example.org/\n"
                                                  "links: {timeout: soon, recheck_after: 3}\n"})
    assert problems_of(root)[:2] == [
        "config.yaml:3:18: error: 'timeout' must be a number, not text",
        "config.yaml:3:24: error: unknown key 'recheck_after' in 'links' (did you mean 'recheck_after_days'?)",
    ]


def test_a_machine_without_network_marks_nothing_broken(tmp_path: Path) -> None:
    """Connection refused (as for every host on a machine without network) is link-unreachable,
    never link-broken, and --write records no url_status for it."""
    import socket

    with socket.socket() as sock:  # a port nothing listens on once this block ends
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}/page"
    source = f"---\ntitle: Offline\npublisher: P\nurl: {closed}\n---\n"
    root = make_project(tmp_path, {"config.yaml": config("http://127.0.0.1:9/"),
                                   "content/sources/offline.md": source}, base=False)
    code, lines, out, err = links(root, "--write")
    assert code == 0, err
    assert lines == [f"content/sources/offline.md:4:6: warning: link-unreachable: {closed} could not be checked: "
                     f"the connection was refused (checked {today()}) (not marked broken; open it in a browser, "
                     "or run again later)"]
    assert out.splitlines()[-1] == "No link could be reached: is this machine offline? Nothing was marked broken."
    assert (root / "content/sources/offline.md").read_text() == source


@pytest.mark.parametrize("style", ["", "citation_style: apa\n"])
def test_a_dead_source_without_a_copy_says_so_and_a_style_links_the_copy_first(tmp_path: Path, style: str) -> None:
    """The front-matter fields alone decide what readers see (no network, no cache)."""
    dead = ("---\ntitle: Dead\npublisher: P\nurl: https://example.com/dead\nurl_status: dead\n"
            "url_checked: 2026-12-01\n---\n")
    kept = ("---\ntitle: Kept\npublisher: P\nurl: https://example.com/kept\nurl_status: dead\n"
            "url_checked: 2026-12-01\narchive_url: https://archive.example/kept\narchive_date: 2023-01-02\n---\n")
    root = make_project(tmp_path, {
        "config.yaml": "title: T\nbase_url: https://example.org/\n" + style,
        "content/index.md": "---\ntitle: Home\n---\nSee [@dead] and [@kept].\n",
        "content/sources/dead.md": dead, "content/sources/kept.md": kept}, base=False)
    assert build(root, out=tmp_path / "site").ok
    data = json.loads((tmp_path / "site/data.json").read_text())
    Draft202012Validator(json.loads(SCHEMA_FILE.read_text())).validate(data)  # the new keys are in data.json's schema
    kept_data = next(e for e in data["entries"] if e["id"] == "kept")["front_matter"]
    assert (kept_data["url_status"], kept_data["url_checked"], kept_data["archive_date"]) == (
        "dead", "2026-12-01", "2023-01-02")
    checked = '(checked <time datetime="2026-12-01">1 December 2026</time>)'
    dead_page = (tmp_path / "site/sources/dead/index.html").read_text()
    kept_page = (tmp_path / "site/sources/kept/index.html").read_text()
    from tools import run_nu_checker

    errors = run_nu_checker([tmp_path / "site/sources/dead/index.html", tmp_path / "site/sources/kept/index.html",
                             tmp_path / "site/index.html"])
    assert not errors, "\n".join(errors)
    assert (f'<dt>Original</dt><dd><span class="link-gone">No longer available {checked}:</span> '
            '<a href="https://example.com/dead">original address</a>') in dead_page  # the key facts
    assert (f'<dt>Archived</dt><dd><a href="https://archive.example/kept">Archived copy</a><span class="link-gone">: '
            f'the original is no longer available {checked}</span></dd>') in kept_page
    if not style:  # the Sources list of the page that cites them
        home = (tmp_path / "site/index.html").read_text()
        assert (f'<cite><a href="https://example.com/dead">Dead</a></cite>.\n<span class="publisher">P</span>, '
                f'undated. <span class="link-gone">Original no longer available {checked}.</span>') in home
        assert '<cite><a href="https://archive.example/kept">Kept</a></cite>' in home
    else:
        assert f'<span class="link-gone">original no longer available {checked}</span>)</span>' in dead_page
        assert (f'<span class="reference csl"><a href="https://archive.example/kept">Archived copy</a> '
                f'(original no longer available {checked}): ') in kept_page


def test_the_citation_preview_links_the_archived_copy_first(tmp_path: Path, browser) -> None:  # type: ignore[no-untyped-def]
    """In Chromium: hovering the citation of a dead source shows its reference with the
    archived copy as the first link and the note saying why."""
    from tools import serve_directory

    kept = ("---\ntitle: Kept\npublisher: P\nurl: https://example.com/kept\nurl_status: dead\n"
            "url_checked: 2026-12-01\narchive_url: https://archive.example/kept\n---\n")
    root = make_project(tmp_path, {"content/index.md": "---\ntitle: Home\n---\nSee [[nato]].[@kept]\n",
                                   "content/sources/kept.md": kept})
    assert build(root, out=tmp_path / "site").ok
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        with serve_directory(tmp_path / "site") as base:
            page.goto(base)
            page.locator("main a[role=doc-noteref]").first.hover()
            page.wait_for_selector(".x-preview", state="visible")
            box = page.locator(".x-preview")
            assert box.locator("a").first.get_attribute("href") == "https://archive.example/kept"
            assert box.inner_text().split("\n")[-1] == (
                "Kept. P, undated. Archived copy linked: original no longer available "
                "(checked 1 December 2026): original address.")
    finally:
        context.close()
