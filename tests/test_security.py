"""Hostile input and failure: nothing executable reaches the site, nothing escapes site/,
nothing is lost when the disk or a second build gets in the way.

Every guarantee in SECURITY.md names the test here that checks it. Resource limits run
through a real `python -m explainer build` subprocess with a generous timeout: the
timeout is a hang guard, not a timing assertion. Tests that need root (bind mounts,
tmpfs) fail with a clear message when they cannot mount; they never skip.
"""

from __future__ import annotations

import contextlib
import fcntl
import html
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from conftest import BASE_FILES, make_project, problems_of, run_cli, tree_hash
from explainer.build import build
from explainer.write.writer import OutputDir, OutputError

# --- the inertness checker -------------------------------------------------------------------

BAD_SCHEMES = ("javascript:", "vbscript:", "data:")
URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "poster", "background", "data", "codebase"}
BANNED_TAGS = {"iframe", "object", "embed", "base", "frame", "frameset", "applet"}
NOT_HTML = {".json", ".css", ".js", ".bib"}
BINARY = {".png": b"\x89PNG\r\n\x1a\n", ".woff2": b"wOF2"}
"""Outputs browsers never render as HTML (served with their own MIME type); JSON is parsed."""


def compact_url(value: str) -> str:
    """What a browser sees of a URL's scheme: no whitespace or control characters, any case."""
    return "".join(ch for ch in value if ch > " " and ch != "\x7f").lower()


class InertChecker(HTMLParser):
    """Collects everything executable in one HTML (or XML) file; `found` lists it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._ld: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        where = f"line {self.getpos()[0]}"
        values = {name: value or "" for name, value in attrs}
        if tag == "script":
            src, kind = values.get("src"), values.get("type", "").strip().lower()
            if src is not None:
                if ":" in src or src.startswith("//") or "assets/" not in src:
                    self.found.append(f"{where}: <script src={src!r}> is not one of our assets")
            elif kind == "application/ld+json":
                self._ld = []
            else:
                self.found.append(f"{where}: inline <script type={kind!r}>")
        if tag in BANNED_TAGS:
            self.found.append(f"{where}: <{tag}>")
        if tag == "meta" and values.get("http-equiv", "").strip().lower() == "refresh":
            self.found.append(f"{where}: <meta http-equiv=refresh>")
        for name, value in values.items():
            if name.startswith("on"):
                self.found.append(f"{where}: <{tag} {name}=...> event handler")
            if name in URL_ATTRS and compact_url(value).startswith(BAD_SCHEMES):
                self.found.append(f"{where}: <{tag} {name}={value!r}>")
            if name in ("srcset", "imagesrcset"):
                for candidate in value.split(","):
                    if compact_url(candidate).startswith(BAD_SCHEMES):
                        self.found.append(f"{where}: <{tag} {name}={value!r}>")

    handle_startendtag = handle_starttag

    def handle_data(self, data: str) -> None:
        if self._ld is not None:
            self._ld.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._ld is not None:
            text, self._ld = "".join(self._ld), None
            try:
                json.loads(text)
            except ValueError as exc:
                self.found.append(f"line {self.getpos()[0]}: JSON-LD is not JSON ({exc}): {text[:80]!r}")
            if "</script" in text.lower() or "<!--" in text:
                self.found.append(f"line {self.getpos()[0]}: JSON-LD contains '</script' or '<!--'")


def executable_parts(text: str) -> list[str]:
    checker = InertChecker()
    checker.feed(text)
    checker.close()
    return checker.found


def site_problems(site: Path) -> list[str]:
    """Everything executable in any file of a built site, as 'file: what' lines."""
    found = []
    files = sorted(p for p in site.rglob("*") if p.is_file())
    assert files, f"{site} has no files"
    for path in files:
        rel = path.relative_to(site).as_posix()
        if path.suffix == ".json":
            try:
                json.loads(path.read_text(encoding="utf-8"))
            except ValueError as exc:
                found.append(f"{rel}: not JSON: {exc}")
            continue
        if path.suffix in NOT_HTML:
            continue
        if path.suffix in BINARY:  # share cards and fonts: inert as long as they are what they say
            if not path.read_bytes().startswith(BINARY[path.suffix]):
                found.append(f"{rel}: not a {path.suffix} file")
            continue
        found += [f"{rel}: {what}" for what in executable_parts(path.read_text(encoding="utf-8"))]
    return found


def site_text(site: Path) -> str:
    """All the HTML of a site as a reader (or a parser) sees its text and attributes, unescaped."""
    return "\n".join(html.unescape(p.read_text(encoding="utf-8")) for p in sorted(site.rglob("*.html")))


@pytest.mark.parametrize("snippet", [
    "<script>alert(1)</script>",
    "<SCRIPT type=text/javascript>x</SCRIPT>",
    "<script src='https://evil.example/x.js'></script>",
    "<img src=x onerror=alert(1)>",
    "<a href='&#106;ava&#x09;script:alert(1)'>x</a>",
    "<a href=' JaVaScRiPt:alert(1)'>x</a>",
    "<img src='data:image/svg+xml,<svg onload=alert(1)>'>",
    "<img srcset='ok.png 1x, data:x 2x'>",
    "<svg><a xlink:href='javascript:alert(1)'>x</a></svg>",
    "<form action='vbscript:x'></form>",
    "<iframe src=x></iframe>",
    "<base href=https://evil.example/>",
    "<meta http-equiv=Refresh content='0;url=https://evil.example/'>",
    '<script type="application/ld+json">{"a": "</script><script>alert(1)</script>"}</script>',
    '<script type="application/ld+json">{"a": "<!--"}</script>',
])
def test_checker_catches_executable_html(snippet: str) -> None:
    """The checker itself must be able to fail, or the matrix below proves nothing."""
    assert executable_parts(snippet), snippet


def test_checker_passes_inert_html() -> None:
    inert = ('<a href="https://example.org/javascript:x">x</a><script src="../assets/site.js" defer></script>'
             '<script type="application/ld+json">{"name":"\\u003c/script\\u003e"}</script>'
             '<p title="javascript:alert(1)">&lt;script&gt;alert(1)&lt;/script&gt;</p>')
    assert executable_parts(inert) == []


# --- injection matrix ------------------------------------------------------------------------

def attack(channel: str) -> str:
    """A hostile string that names its channel, so the test can see it reached the page."""
    return (f'"><script>alert("{channel}")</script><img src=x onerror=alert(1)>'
            f"</title><svg onload=alert(1)><!--<script>\u2028{{{{7*7}}}}zz-{channel}-zz")


URL_VECTORS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "&#106;avascript:alert(1)",
    "&#x6A;&#x61;vascript:alert(1)",
    "&#0000106avascript:alert(1)",
    "jav&#x09;ascript:alert(1)",
    "java&#10;script:alert(1)",
    "java&#13;script:alert(1)",
    "javascript&colon;alert(1)",
    "&#1;javascript:alert(1)",
    "<java\tscript:alert(1)>",
    "< javascript:alert(1)>",
    "<\x01javascript:alert(1)>",
    "vbscript:msgbox(1)",
    "VBScript:msgbox(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "DATA:text/html,<script>alert(1)</script>",
    "<data:image/svg+xml,<svg onload=alert(1)>>",
]


def hostile_body(raw_html: bool) -> str:
    """Every Markdown channel: links, images, autolinks, references, titles, alts, rules, HTML.

    Without `raw_html` (the `trust_html` variant, where raw HTML is trusted) the strings
    carry no tags, only script URLs and quotes.
    """
    attack = globals()["attack"] if raw_html else (lambda c: f"\" javascript:alert(1) ' zz-{c}-zz")
    lines = ["## Heading " + attack("heading"), ""]
    vectors = URL_VECTORS if raw_html else [u for u in URL_VECTORS if "<svg" not in u and "<script" not in u]
    for i, url in enumerate(vectors):
        lines += [f"Link [l{i}]({url}) image ![i{i}]({url}) ref [r{i}][] auto <{url.strip('<>')}>.", "",
                  f"[r{i}]: {url}", ""]
    lines += [
        f'[titled](https://example.org/ "{attack("link-title")}") '
        f'![{attack("image-alt")}](https://example.org/i.png "{attack("image-title")}")',
        "",
        f"[[nato|{attack('xref-text')}]] [@guardian-2023, {attack('locator').replace(';', ',')}]",
        "",
        f"`</code>{attack('code-span')}`",
        "",
        "```" + "html", attack("code-block"), "```",
        "",
        "A note.[^n]", "", f"[^n]: {attack('footnote')}", "",
        f"| {attack('table').replace('|', '/')} |", "|---|", "| x |", "",
        f"::: dispute {attack('dispute')}",
        "- One view.[@guardian-2023]",
        "- Another view.[@guardian-2023]",
        ":::",
        "",
    ]
    if raw_html:
        lines += [attack("html-block"), "", f"Inline {attack('html-inline')} <a href=javascript:alert(1)>x</a>", "",
                  "<iframe src=https://evil.example/></iframe>", "",
                  "<meta http-equiv=refresh content='0;url=https://evil.example/'>", ""]
    return "\n".join(lines) + "\n"


def front_matter(values: dict[str, object], body: str = "") -> str:
    return "---\n" + yaml.safe_dump(values, allow_unicode=True, sort_keys=False, width=10**6) + "---\n" + body


FRONT_MATTER_CHANNELS = {
    "content/actors/nato.md": ("actor", {
        "title": attack("actor-title"), "kind": "organisation", "summary": attack("actor-summary"),
        "role": attack("role"), "aliases": [attack("alias")], "image": "javascript:alert(1)",
        "image_alt": attack("image_alt")}),
    "content/events/summit-2023.md": ("event", {
        "title": attack("event-title"), "date": "2023-07-11", "actors": ["nato"], "sources": ["guardian-2023"],
        "location": attack("location"), "status": attack("status"), "summary": attack("event-summary")}),
    "content/sources/guardian-2023.md": ("source", {
        "title": attack("source-title"), "publisher": attack("publisher"), "authors": [attack("author")],
        "date": "2023-07-12", "url": "https://example.com/javascript:alert(1)/?a=1&b=2#x",
        "archive_url": "https://web.archive.example/javascript:alert(1)", "accessed": "2023-07-13",
        "language": attack("language"), "summary": attack("source-summary")}),
    "content/pages/about.md": ("page", {"title": attack("page-title"), "summary": attack("page-summary"), "nav": 1}),
    "content/index.md": ("home", {"title": attack("home-title"), "summary": attack("home-summary")}),
}
SHOWN = {"actor-title", "actor-summary", "role", "alias", "event-title", "location", "event-summary",
         "source-title", "publisher", "author", "page-title", "home-title", "site-title", "site-description",
         "heading", "link-title", "image-alt", "image-title", "xref-text", "locator", "code-span",
         "code-block", "footnote", "table", "dispute"}
"""Channels the default layouts show today; each must reach a page (escaped) or the test is void."""


def hostile_project(tmp_path: Path, trust_html: bool) -> Path:
    files: dict[str, str | bytes | None] = {
        "config.yaml": yaml.safe_dump({
            "title": attack("site-title"), "description": attack("site-description"),
            "author": attack("site-author"), "base_url": "https://example.org/sub/", "trust_html": trust_html}),
    }
    for rel, (kind, values) in FRONT_MATTER_CHANNELS.items():
        body = BASE_FILES[rel].split("---\n", 2)[2]
        if kind == "actor":
            body += "\n" + hostile_body(raw_html=not trust_html)
        files[rel] = front_matter(values, body)
    return make_project(tmp_path, files)


@pytest.mark.parametrize("trust_html", [False, True], ids=["default", "trust_html"])
def test_injection_matrix_every_file_is_inert(tmp_path: Path, trust_html: bool) -> None:
    """Hostile strings in every channel: every output file parses with nothing executable in it.

    With `trust_html: true` raw HTML in bodies is trusted by definition (SECURITY.md), so
    that variant leaves raw HTML out of the bodies and checks every other channel.
    """
    root = hostile_project(tmp_path, trust_html)
    result = build(root)
    assert result.ok, [p.format() for p in result.problems.items]
    site = root / "site"
    assert site_problems(site) == []
    text = site_text(site)
    missing = sorted(c for c in SHOWN if f"zz-{c}-zz" not in text)
    assert missing == [], f"channels that never reached a page (the test would prove nothing): {missing}"
    assert "alert(1)" in text  # the vectors are shown as text
    if not trust_html:
        assert "{{7*7}}zz-actor-title-zz" in text  # template syntax in content stays text


def test_trust_html_lets_raw_html_through(tmp_path: Path) -> None:
    """`trust_html: true` is what it says: the author's raw HTML reaches the page unescaped."""
    root = make_project(tmp_path, {
        "config.yaml": BASE_FILES["config.yaml"] + "trust_html: true\n",
        "content/pages/about.md": "---\ntitle: About\nnav: 1\n---\n<aside class=\"trusted\">Hi</aside>\n\n"
                                  "<b onclick=\"x()\">b</b> [j](javascript:alert(1))\n"})
    assert build(root).ok
    page = (root / "site/about/index.html").read_text(encoding="utf-8")
    assert '<aside class="trusted">Hi</aside>' in page
    found = site_problems(root / "site")
    assert len(found) == 1 and found[0].startswith("about/index.html: line ")
    assert found[0].endswith(": <b onclick=...> event handler")
    assert 'href="javascript' not in page  # Markdown links are filtered even so


def test_raw_html_is_escaped_by_default(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"content/pages/about.md": "---\ntitle: About\nnav: 1\n---\n"
                                   "<script>alert(1)</script>\n\nText <b onclick=x()>b</b>\n"})
    assert build(root).ok
    page = (root / "site/about/index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Text &lt;b onclick=x()&gt;b&lt;/b&gt;" in page


# --- resource limits (real subprocesses; the timeout is a hang guard, not a measurement) ----

HANG_GUARD = 300


def build_cli(root: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_cli("build", "--root", str(root), *extra, timeout=HANG_GUARD)


def page(body: str, title: str = "Big") -> str:
    return f"---\ntitle: {title}\n---\n[[about]]\n\n{body}"


def test_yaml_alias_bomb_is_refused(tmp_path: Path) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8))
    root = make_project(tmp_path, {"content/pages/bomb.md": "---\ntitle: Bomb\n" + bomb + "---\nText\n"})
    done = build_cli(root)
    assert done.returncode == 1, done.stderr
    assert ("content/pages/bomb.md:3:29: error: YAML expands to more than 20000 values (an alias bomb?)"
            in done.stderr.splitlines())
    assert "Traceback" not in done.stderr
    assert not (root / "site").exists()


def test_ten_megabyte_entry_is_refused(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"content/pages/big.md": page("word " * 2_000_000)})
    done = build_cli(root)
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == ("content/pages/big.md:1:1: error: file is 10.0 MB; entries are limited "
                                           "to 5 MB (split it into several entries)")


@pytest.mark.parametrize("name, body, marker", [
    ("one-megabyte-line", "word " * 200_000 + "end\n", "end"),
    ("nineteen-quotes", ">" * 19 + " deep\n", "deep"),
], ids=lambda v: v if isinstance(v, str) and len(v) < 30 else "")
def test_huge_bodies_build_in_bounded_time(tmp_path: Path, name: str, body: str, marker: str) -> None:
    root = make_project(tmp_path, {f"content/pages/{name}.md": page(body)})
    done = build_cli(root)
    assert done.returncode == 0, done.stderr[-2000:]
    assert marker in (root / "site" / name / "index.html").read_text(encoding="utf-8")


def test_fifty_thousand_unclosed_brackets_are_capped_errors(tmp_path: Path) -> None:
    """25,000 `[[` and 25,000 `[@` never closed: each an error at its column (`markup-unclosed`),
    the report capped per file, found in bounded time (the rules scan the line once)."""
    root = make_project(tmp_path, {"content/pages/brackets.md": page("[[" * 25_000 + "[@" * 25_000 + "x\n")})
    done = build_cli(root)
    lines = done.stderr.splitlines()
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert lines[0].startswith("content/pages/brackets.md:1:1: error: ") and "more problems" in lines[0], lines[0]
    assert lines[1] == ("content/pages/brackets.md:6:1: error: the cross-link '[[' is never closed (end it with "
                        "']]' on the same line; to show '[[' as text, write '\\[[')")
    assert len(lines) < 120


DEEP_MESSAGE = ("error: lists or block quotes nest too deeply here: the parser stops at 20 levels (a list counts "
                "two) and the deeper text would be lost (flatten the nesting)")


@pytest.mark.parametrize("name, body, line", [
    ("nested-list", "- " * 10_000 + "deep\n", 6),
    ("nested-list-lines", "".join("  " * i + "- item\n" for i in range(1_000)), 15),
    ("nested-quotes", ">" * 10_000 + " deep\n", 6),
    ("nested-quote-lines", "".join(">" * i + f" q{i}\n" for i in range(1, 2_000)), 25),
], ids=lambda v: v if isinstance(v, str) and len(v) < 30 else "")
def test_ten_thousand_nested_levels_are_refused_not_dropped(tmp_path: Path, name: str, body: str, line: int) -> None:
    """markdown-it stops at 20 levels and silently drops the rest: the build says so instead."""
    root = make_project(tmp_path, {f"content/pages/{name}.md": page(body)})
    done = build_cli(root)
    assert done.returncode == 1
    assert f"content/pages/{name}.md:{line}:1: {DEEP_MESSAGE}" in done.stderr.splitlines()


def test_fifty_thousand_citations_on_one_page(tmp_path: Path) -> None:
    body = "".join(f"Claim {i}.[@guardian-2023, p. {i}]\n" for i in range(50_000))
    root = make_project(tmp_path, {"content/pages/cites.md": page(body, "Cites")})
    done = build_cli(root)
    assert done.returncode == 0, done.stderr[-2000:]
    html_text = (root / "site/cites/index.html").read_text(encoding="utf-8")
    assert 'id="cite-1-50000"' in html_text and 'href="#cite-1-50000"' in html_text


def test_fifty_thousand_bad_citations_are_capped(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"content/pages/cites.md": page("[@nope] " * 50_000 + "\n", "Cites")})
    done = build_cli(root)
    lines = done.stderr.splitlines()
    assert done.returncode == 1
    assert lines[0] == ("content/pages/cites.md:1:1: error: 49901 more problems in this file are not shown "
                        "(fix the ones above and run again)")
    assert lines[1] == ("content/pages/cites.md:6:2: error: unknown id 'nope' in a citation "
                        "(to add it: explainer new source nope)")
    assert len(lines) < 120


# --- file system: symlinks, ids that try to climb out, case clashes -------------------------

PAGE = "---\ntitle: P\n---\nx\n"


def test_symlinks_out_of_content_loops_and_folders_are_refused(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    pages = root / "content/pages"
    outside = tmp_path / "outside.md"
    outside.write_text("---\ntitle: Secret\n---\nsecret text\n", encoding="utf-8")
    (tmp_path / "elsewhere").mkdir()
    os.symlink(outside, pages / "out.md")
    os.symlink("../../../outside.md", pages / "out-relative.md")
    os.symlink("loop-b.md", pages / "loop-a.md")
    os.symlink("loop-a.md", pages / "loop-b.md")
    os.symlink("missing.md", pages / "broken.md")
    os.symlink(tmp_path / "elsewhere", root / "content/extra")
    assert problems_of(root) == [
        "content/extra:1:1: error: symlinked folders in content/ are not followed "
        "(move the folder into content/ instead)",
        "content/pages/broken.md:1:1: error: symlink is broken or loops (point it at a file in content/)",
        "content/pages/loop-a.md:1:1: error: symlink is broken or loops (point it at a file in content/)",
        "content/pages/loop-b.md:1:1: error: symlink is broken or loops (point it at a file in content/)",
        "content/pages/out-relative.md:1:1: error: symlink points outside content/ and is not read "
        "(copy the file into content/ instead)",
        "content/pages/out.md:1:1: error: symlink points outside content/ and is not read "
        "(copy the file into content/ instead)",
    ]


def test_symlink_inside_content_is_read(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    os.symlink("about.md", root / "content/pages/about-again.md")
    result = build(root)
    assert result.ok, [p.format() for p in result.problems.items]
    assert (root / "site/about-again/index.html").is_file()


def test_ids_and_references_that_try_to_climb_out(tmp_path: Path) -> None:
    root = make_project(tmp_path, {
        "content/pages/%2e%2e.md": PAGE, "content/pages/a%2fb.md": PAGE, "content/pages/con.md": PAGE,
        "content/pages/a\\b.md": PAGE, "content/pages/...md": PAGE, "content/pages/..%2f..%2fx.md": PAGE,
        "content/pages/about.md": "---\ntitle: About\nnav: 1\n---\n"
                                  "[[../../etc/passwd]] [[/etc/passwd]] [x](../../../../etc/passwd.md)\n",
        "content/events/summit-2023.md": "---\ntitle: Summit\ndate: 2023-07-11\n"
                                         "actors: [nato, ../nato, /etc/passwd, nato/../x]\n---\n[[nato]]\n",
    })
    assert [p for p in problems_of(root) if ": error: " in p] == [
        "content/events/summit-2023.md:4:16: error: '../nato' in 'actors' is not a valid id",
        "content/events/summit-2023.md:4:25: error: '/etc/passwd' in 'actors' is not a valid id",
        "content/events/summit-2023.md:4:38: error: 'nato/../x' in 'actors' is not a valid id",
        "content/pages/%2e%2e.md:1:1: error: '%2e%2e' is not a valid id: use lower-case letters, digits and "
        "single hyphens (like 'vilnius-summit-2023') (rename the file to '2e-2e.md')",
        "content/pages/a%2fb.md:1:1: error: 'a%2fb' is not a valid id: use lower-case letters, digits and "
        "single hyphens (like 'vilnius-summit-2023') (rename the file to 'a-2fb.md')",
        "content/pages/a\\b.md:1:1: error: 'a\\b' is not a valid id: use lower-case letters, digits and "
        "single hyphens (like 'vilnius-summit-2023') (rename the file to 'a-b.md')",
        "content/pages/about.md:5:1: error: '../../etc/passwd' in a cross-link is not a valid id "
        "(ids are lower-case words joined by hyphens)",
        "content/pages/about.md:5:22: error: '/etc/passwd' in a cross-link is not a valid id "
        "(ids are lower-case words joined by hyphens)",
        "content/pages/about.md:5:42: error: link to '../../../../etc/passwd.md', which is not an entry file",
        "content/pages/con.md:1:1: error: id 'con' is a reserved file name on Windows (try 'con-1' or a longer name)",
    ]  # names starting with '.' ('...md', '..%2f..%2fx.md') are hidden files: never read, never written


def test_ids_differing_only_in_case_clash(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"content/pages/nato-2.md": PAGE, "content/pages/NATO-2.md": PAGE})
    found = [p for p in problems_of(root) if ": error: " in p]
    assert found == [
        "content/pages/NATO-2.md:1:1: error: 'NATO-2' is not a valid id: use lower-case letters, digits and "
        "single hyphens (like 'vilnius-summit-2023') (rename the file to 'nato-2.md')",
        "content/pages/nato-2.md:1:1: error: 'nato-2.md' and 'NATO-2.md' differ only in case and would clash "
        "on case-insensitive disks (rename one of them)",
    ]


@pytest.mark.parametrize("rel", ["../x.html", "a/../../x", "/etc/passwd", "a\\..\\x", "a/\x00", ""])
def test_writer_refuses_paths_outside_the_output_folder(tmp_path: Path, rel: str) -> None:
    """Whatever an id, a slug or an extra output says, the writer is the last gate."""
    out = OutputDir(tmp_path / "site")
    try:
        with pytest.raises(OutputError, match="refusing to write outside the output folder"):
            out.write(rel, "x")
    finally:
        out.abort()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


# --- file system: read-only, missing and full output folders --------------------------------

def _run(*cmd: str) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise AssertionError(f"this test needs root and mount (CI runs as root): {' '.join(cmd)} failed: "
                             f"{done.stderr.strip()}")


@contextlib.contextmanager
def mounted(*mount_args: str, target: Path) -> Iterator[Path]:
    """Mount something on `target` for the block; unmount however the block ends."""
    _run("mount", *mount_args, str(target))
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], capture_output=True)


def leftovers(folder: Path) -> list[str]:
    """Temporary build folders left next to the output (there must be none)."""
    return sorted(p.name for p in folder.iterdir() if ".tmp-" in p.name or ".old-" in p.name)


def test_read_only_parent_of_output_folder(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    holder = tmp_path / "holder"
    holder.mkdir()
    out = holder / "site"
    assert build(root, out=out).ok
    before = tree_hash(out)
    (root / "content/pages/about.md").write_text("---\ntitle: About\nnav: 1\n---\nChanged.\n", encoding="utf-8")
    with mounted("--bind", str(holder), target=holder):
        _run("mount", "-o", "remount,ro,bind", str(holder))
        done = build_cli(root, "--out", str(out))
        assert tree_hash(out) == before
        assert leftovers(holder) == []
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == (
        f"{out}:1:1: error: cannot create the output folder beside '{out}': Read-only file system")


def test_read_only_output_folder(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    site = root / "site"
    assert build(root).ok
    before = tree_hash(site)
    (root / "content/pages/about.md").write_text("---\ntitle: About\nnav: 1\n---\nChanged.\n", encoding="utf-8")
    with mounted("--bind", str(site), target=site):
        _run("mount", "-o", "remount,ro,bind", str(site))
        done = build_cli(root)
        assert tree_hash(site) == before
    assert done.returncode == 1
    assert done.stderr.splitlines()[0].startswith(f"site:1:1: error: cannot replace '{site}': ")
    assert leftovers(root) == []


def test_missing_output_folder_is_created(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    out = tmp_path / "not" / "yet" / "there"
    done = build_cli(root, "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert (out / "index.html").is_file()
    assert leftovers(out.parent) == []


def test_full_disk_keeps_the_previous_site(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    disk = tmp_path / "disk"
    disk.mkdir()
    out = disk / "site"
    with mounted("-t", "tmpfs", "-o", "size=1m", "tmpfs", target=disk):
        first = build_cli(root, "--out", str(out))
        assert first.returncode == 0, f"the small site must fit in 1 MB: {first.stderr}"
        before = tree_hash(out)
        # more than the whole disk: a cached build links the unchanged files, which takes no room
        filler = "".join(f"Paragraph {i} of a long page that no longer fits.\n\n" for i in range(24_000))
        (root / "content/pages/long.md").write_text(f"---\ntitle: Long\n---\n[[about]]\n\n{filler}",
                                                    encoding="utf-8")
        done = build_cli(root, "--out", str(out))
        assert tree_hash(out) == before
        assert leftovers(disk) == []
    assert done.returncode == 1
    first_line = done.stderr.splitlines()[0]
    assert first_line.startswith(f"{out}:1:1: error: cannot write '"), first_line
    assert first_line.endswith("': No space left on device"), first_line
    assert "Traceback" not in done.stderr


# --- concurrency ---------------------------------------------------------------------------

def test_held_lock_gives_build_locked(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    with open(root / ".site.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        done = build_cli(root)
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == ("site:1:1: error: another build is writing 'site' right now; "
                                           "wait for it to finish and try again")
    assert not (root / "site").exists() and leftovers(root) == []


def clean_build_hash(root: Path, tmp_path: Path, name: str) -> str:
    out = tmp_path / name
    result = build(root, out=out)
    assert result.ok, [p.format() for p in result.problems.items]
    return tree_hash(out)


def test_two_builds_at_once_do_not_corrupt_each_other(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    expected = clean_build_hash(root, tmp_path, "clean")
    cmd = [sys.executable, "-m", "explainer", "build", "--root", str(root)]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outcomes = [p.communicate(timeout=HANG_GUARD) + (p.returncode,) for p in procs]
    for _, err, code in outcomes:
        assert code == 0 or "error: another build is writing 'site' right now" in err, err
    assert any(code == 0 for _, _, code in outcomes)
    assert tree_hash(root / "site") == expected
    assert leftovers(root) == []


def _variants(root: Path, rel: str, tmp_path: Path) -> tuple[str, str, str, str]:
    """Two versions of one file (each changing many pages) and the clean build of each."""
    path = root / rel
    old = path.read_text(encoding="utf-8")
    new = old.replace("title: ", "title: Renamed ", 1).replace("<title>", "<title>Renamed ", 1)
    assert new != old
    hash_old = clean_build_hash(root, tmp_path, "clean-old")
    path.write_text(new, encoding="utf-8")
    hash_new = clean_build_hash(root, tmp_path, "clean-new")
    path.write_text(old, encoding="utf-8")
    return old, new, hash_old, hash_new


@pytest.mark.parametrize("rel", ["content/actors/nato.md", "layouts/base.html"])
def test_edit_during_build_never_yields_a_mixed_site(tmp_path: Path, rel: str) -> None:
    """An editor saving over and over while builds run: every build is all old or all new."""
    extra = {"layouts/base.html": (Path(__import__("explainer").__file__).parent / "layouts/base.html")
             .read_text(encoding="utf-8")} if rel.startswith("layouts/") else {}
    root = make_project(tmp_path, extra)
    old, new, hash_old, hash_new = _variants(root, rel, tmp_path)
    assert hash_old != hash_new
    stop = threading.Event()

    def edit() -> None:
        path = root / rel
        tmp = path.with_name(f".{path.name}.swp")  # hidden: never read as an entry
        while not stop.is_set():
            for text in (new, old):
                tmp.write_text(text, encoding="utf-8")
                os.replace(tmp, path)  # as editors save: the file is never half-written

    editor = threading.Thread(target=edit, daemon=True)
    editor.start()
    try:
        seen = set()
        for i in range(6):
            result = build(root, out=tmp_path / f"run-{i}")
            assert result.ok, [p.format() for p in result.problems.items]
            got = tree_hash(tmp_path / f"run-{i}")
            assert got in (hash_old, hash_new), f"build {i} mixed the old and the new {rel}"
            seen.add(got)
    finally:
        stop.set()
        editor.join()


# --- the dev server's error overlay ----------------------------------------------------------

def test_dev_server_overlay_shows_hostile_messages_escaped(tmp_path: Path) -> None:
    """A problem message quoting the author's `<script>` is shown as text in the browser overlay."""
    from explainer.serve.overlay import error_page, overlay

    root = make_project(tmp_path, {"content/pages/about.md": "---\ntitle: About\nnav: 1\n---\n"
                                   "[[<script>alert(1)</script>]] [@<img src=x onerror=alert(1)>]\n"})
    errors = [p for p in problems_of(root) if ": error: " in p]
    assert any("<script>alert(1)</script>" in p for p in errors), errors
    panel = overlay(errors).decode("utf-8")
    assert executable_parts(panel) == []
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in panel
    page_found = executable_parts(error_page(errors, 35729).decode("utf-8"))
    assert [f for f in page_found if "/livereload.js?port=35729" not in f] == []  # the server's own script
