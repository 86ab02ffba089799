"""Shared fixtures: a small valid explainer project any test can bend into shape.

`make_project(tmp_path, files)` writes a project that passes `explainer check --strict`
(one actor, one event, one source, a page and a home page, all linked and cited), then
applies `files`: each value replaces or adds that file, `None` removes it. A test that
plants one mistake therefore sees exactly that mistake's messages and nothing else.

Import the helpers with `from conftest import make_project, problems_of, run_cli`
(pytest puts tests/ on sys.path, as for tools.py).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_FILES: dict[str, str] = {
    "config.yaml": "title: Test explainer\nbase_url: https://example.org/\n",
    "content/index.md": (
        "---\ntitle: Home\n---\n"
        "[[nato]] met at [[summit-2023]].[@guardian-2023]\n"
    ),
    "content/actors/nato.md": (
        "---\ntitle: NATO\nkind: organisation\n---\n"
        "NATO is a military alliance.[@guardian-2023]\n"
    ),
    "content/events/summit-2023.md": (
        "---\ntitle: Summit\ndate: 2023-07-11\nactors: [nato]\nsources: [guardian-2023]\n---\n"
        "[[nato]] met in Vilnius.[@guardian-2023]\n"
    ),
    "content/sources/guardian-2023.md": (
        "---\ntitle: Summit report\npublisher: The Guardian\ndate: 2023-07-12\n"
        "url: https://example.com/report\naccessed: 2023-07-13\n---\n"
    ),
    "content/pages/about.md": "---\ntitle: About\nnav: 1\n---\nHow this site is made.\n",
}


def make_project(tmp_path: Path, files: dict[str, str | bytes | None] | None = None,
                 base: bool = True) -> Path:
    """Write a project under `tmp_path/project` and return its root.

    `files` maps repository paths to text (or bytes, written as is); `None` removes a
    base file. With `base=False` only `config.yaml` is taken from the base project.
    """
    root = tmp_path / "project"
    merged: dict[str, str | bytes | None] = dict(BASE_FILES if base else {"config.yaml": BASE_FILES["config.yaml"]})
    merged.update(files or {})
    for rel, text in merged.items():
        if text is None:
            continue
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
    (root / "content").mkdir(parents=True, exist_ok=True)
    return root


def problems_of(root: Path) -> list[str]:
    """Every problem `explainer check` finds, formatted as the CLI prints them, in order."""
    from explainer.build import check

    problems, _ = check(root)
    return [p.format() for p in problems.items]


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run `python -m explainer ARGS` in a real subprocess; returns its exit code and output."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "explainer", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


def tree_hash(folder: Path) -> str:
    """One hash of every file's path and bytes (and every folder's path) under `folder`.

    Leaves out the build's marker `.explainer-site` at the top: `explainer build` writes
    it, the dev server's folder has none, and the tests compare the two sites.
    (tests/test_output_safety.py hashes everything, markers included.)
    """
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*"), key=lambda p: p.relative_to(folder).as_posix()):
        rel = path.relative_to(folder).as_posix()
        if rel == ".explainer-site":
            continue
        if path.is_dir():
            digest.update(b"D " + rel.encode() + b"\n")
        else:
            digest.update(b"F " + rel.encode() + b"\n" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


@pytest.fixture(scope="session", autouse=True)
def user_cache_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The user's cache folder ($XDG_CACHE_HOME) for the whole session, in a temporary folder:
    builds keep their cache key there (`cache.files.key_file`), never in the real home."""
    folder = tmp_path_factory.mktemp("user-cache")
    os.environ["XDG_CACHE_HOME"] = str(folder)
    os.environ.pop("EXPLAINER_CACHE_KEY_FILE", None)
    return folder


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    """One headless Chromium for the whole session.

    Playwright's sync API allows one running instance per thread, so every browser test
    shares this one (Debian's /usr/bin/chromium, never a downloaded browser).
    """
    from playwright.sync_api import sync_playwright

    from tools import launch_chromium

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser):  # type: ignore[no-untyped-def]
    """A 1280 × 900 tab of the session's browser that fails its test on any script error
    (a test file may define its own `page` that checks more)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    yield tab
    context.close()
    assert not errors, errors
