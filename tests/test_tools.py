"""Tests of the shared test helpers in tests/tools.py.

Each checker is shown to pass a good input AND to fail a bad one, so that a
green run of the site tests means something.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tools import (
    format_axe_violations,
    internal_link_problems,
    run_axe,
    run_nu_checker,
    serve_directory,
)

VALID_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
</head>
<body>
<header><a href="#main">Skip to content</a></header>
<main id="main">
<h1>{title}</h1>
{body}
</main>
</body>
</html>
"""


def page(title: str = "A page", body: str = "<p>Text.</p>") -> str:
    return VALID_PAGE.format(title=title, body=body)


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


# --------------------------------------------------------------------------
# serve_directory
# --------------------------------------------------------------------------


def test_serve_directory_serves_files_and_folder_index(tmp_path: Path) -> None:
    write(tmp_path, {"index.html": page("Home"), "a/index.html": page("A"), "style.css": "p{}"})
    with serve_directory(tmp_path) as base:
        assert base.startswith("http://127.0.0.1:") and base.endswith("/")
        assert fetch(base) == (200, page("Home").encode())
        assert fetch(base + "a/")[1] == page("A").encode()
        assert fetch(base + "style.css") == (200, b"p{}")
        assert fetch(base + "missing.html")[0] == 404


def test_serve_directory_under_a_prefix(tmp_path: Path) -> None:
    write(tmp_path, {"index.html": page("Home"), "a/index.html": page("A")})
    with serve_directory(tmp_path, prefix="/sub/") as base:
        root = base[: -len("sub/")]
        assert base.endswith("/sub/")
        assert fetch(base) == (200, page("Home").encode())
        assert fetch(base + "a/")[0] == 200
        assert fetch(root + "sub") == (200, page("Home").encode())  # redirected to /sub/
        assert fetch(root + "a/")[0] == 404  # outside the mount point
        assert fetch(root + "index.html")[0] == 404


# --------------------------------------------------------------------------
# internal_link_problems
# --------------------------------------------------------------------------

GOOD_SITE = {
    "index.html": page(
        "Home",
        """<nav><a href="actors/">Actors</a> <a href="./actors/nato/">NATO</a>
<a href="/actors/nato/#members">Members</a> <a href="#main">top of main</a> <a href="#">#</a>
<a href="timeline/?year=2023#y2023">2023</a> <a href="actors/nato/index.html">file link</a>
<a href="mailto:someone@example.org">mail</a> <a href="https://example.com/missing/">elsewhere</a>
<a href="tel:+123">tel</a> <a data-href="nowhere/" href="#main">data attribute ignored</a></nav>
<img src="img/map%20small.png" alt="Map" srcset="img/map%20small.png 1x, img/map.png 2x">
<svg aria-hidden="true"><use href="icons.svg#arrow"></use></svg>
<form action="search/"><label>q <input name="q"></label></form>""",
    ),
    "actors/index.html": page("Actors", '<a href="nato/">NATO</a> <a href="../">Home</a>'),
    "actors/nato/index.html": page(
        "NATO", '<h2 id="members">Members</h2><a href="../../timeline/#y2023">Timeline</a><a name="old"></a>'
    ),
    "timeline/index.html": page("Timeline", '<h2 id="y2023">2023</h2><a href="../actors/nato/#old">old</a>'),
    "search/index.html": page("Search"),
    "img/map small.png": "png",
    "img/map.png": "png",
    "icons.svg": '<svg xmlns="http://www.w3.org/2000/svg"><symbol id="arrow"></symbol></svg>',
}


def test_link_checker_passes_a_good_site(tmp_path: Path) -> None:
    site = write(tmp_path, GOOD_SITE)
    assert internal_link_problems(site) == []


def test_link_checker_finds_a_missing_page(tmp_path: Path) -> None:
    site = write(
        tmp_path,
        {
            "index.html": page("Home", '<a href="actors/">Actors</a>\n<a href="events/missing/">gone</a>'),
            "actors/index.html": page("Actors", '<a href="/style.css">css</a><script src="../app.js"></script>'),
        },
    )
    problems = internal_link_problems(site)
    assert len(problems) == 3, problems
    assert any("index.html:" in p and "'events/missing/'" in p and "events/missing/index.html" in p for p in problems)
    assert any("actors/index.html" in p and "'/style.css'" in p and "no such file: style.css" in p for p in problems)
    assert any("<script src>" in p and "'../app.js'" in p for p in problems)


def test_link_checker_finds_a_fragment_miss(tmp_path: Path) -> None:
    site = write(
        tmp_path,
        {
            "index.html": page("Home", '<a href="a/#here">ok</a> <a href="a/#nowhere">miss</a> <a href="#nope">self</a>'),
            "a/index.html": page("A", '<p id="here">here</p>'),
        },
    )
    problems = internal_link_problems(site)
    assert len(problems) == 2, problems
    assert any("'a/#nowhere'" in p and "no id 'nowhere' in a/index.html" in p for p in problems)
    assert any("'#nope'" in p and "no id 'nope' in index.html" in p for p in problems)


def test_link_checker_finds_images_srcset_svg_use_and_form_targets(tmp_path: Path) -> None:
    site = write(
        tmp_path,
        {
            "index.html": page(
                "Home",
                '<img src="a.png" alt="a" srcset="a.png 1x, b.png 2x">'
                '<svg aria-hidden="true"><use href="icons.svg#nope"></use></svg>'
                '<form action="search/"></form><link rel="stylesheet" href="s.css">',
            ),
            "a.png": "png",
            "icons.svg": '<svg xmlns="http://www.w3.org/2000/svg"><symbol id="arrow"></symbol></svg>',
        },
    )
    problems = internal_link_problems(site)
    assert any("'b.png'" in p for p in problems), problems
    assert any("no id 'nope' in icons.svg" in p for p in problems), problems
    assert any("<form action>" in p for p in problems), problems
    assert any("<link href>" in p for p in problems), problems
    assert len(problems) == 4, problems


def test_link_checker_flags_a_folder_link_without_trailing_slash(tmp_path: Path) -> None:
    site = write(tmp_path, {"index.html": page("Home", '<a href="actors">Actors</a>'), "actors/index.html": page()})
    problems = internal_link_problems(site)
    assert len(problems) == 1 and "trailing slash" in problems[0], problems


def test_link_checker_under_a_base_path(tmp_path: Path) -> None:
    good = {
        "index.html": page("Home", '<a href="/sub/actors/">Actors</a> <a href="actors/#x">x</a>'),
        "actors/index.html": page("Actors", '<p id="x">x</p><a href="../">home</a><a href="/sub/">home</a>'),
    }
    site = write(tmp_path / "good", good)
    assert internal_link_problems(site, base_path="/sub/") == []
    # A root-absolute link that forgets the sub-path leaves the published site.
    bad = write(tmp_path / "bad", {**good, "index.html": page("Home", '<a href="/actors/">Actors</a>')})
    problems = internal_link_problems(bad, base_path="/sub/")
    assert len(problems) == 1 and "outside the site's base path /sub/" in problems[0], problems
    # ... and so does a relative one that climbs too high.
    bad2 = write(tmp_path / "bad2", {**good, "actors/index.html": page("Actors", '<p id="x"><a href="../../x/">x</a></p>')})
    problems = internal_link_problems(bad2, base_path="/sub/")
    assert len(problems) == 1 and "outside the site's base path" in problems[0], problems


def test_link_checker_checks_absolute_urls_under_base_url(tmp_path: Path) -> None:
    base_url = "https://example.org/sub/"
    site = write(
        tmp_path,
        {
            "index.html": page(
                "Home",
                '<link rel="canonical" href="https://example.org/sub/">'
                '<a href="https://example.org/sub/a/#here">ok</a>'
                '<a href="https://example.org/sub/gone/">gone</a>'
                '<a href="//example.org/sub/a/#missing">protocol-relative</a>'
                '<a href="https://example.org/other-site/">another site on the host</a>'
                '<a href="https://elsewhere.example/sub/gone/">another host</a>',
            ),
            "a/index.html": page("A", '<p id="here">here</p>'),
        },
    )
    problems = internal_link_problems(site, base_url=base_url)
    assert len(problems) == 2, problems
    assert any("'https://example.org/sub/gone/'" in p and "no such file: gone/index.html" in p for p in problems)
    assert any("'//example.org/sub/a/#missing'" in p and "no id 'missing'" in p for p in problems)
    with pytest.raises(ValueError):
        internal_link_problems(site, base_path="/other/", base_url=base_url)


def test_link_checker_refuses_a_folder_without_pages(tmp_path: Path) -> None:
    write(tmp_path, {"style.css": "p{}"})
    with pytest.raises(AssertionError, match="no HTML files"):
        internal_link_problems(tmp_path)


def test_link_checker_honours_base_href(tmp_path: Path) -> None:
    # With <base href="/"> every relative URL, "#main" included, resolves from the root.
    site = write(
        tmp_path,
        {
            "index.html": page("Home"),
            "deep/page/index.html": page("Deep", '<a href="a/">via base</a>').replace(
                "<title>", '<base href="/"><title>'
            ),
            "a/index.html": page("A"),
        },
    )
    assert internal_link_problems(site) == []


# --------------------------------------------------------------------------
# Chromium and axe-core
# --------------------------------------------------------------------------


def test_chromium_loads_a_served_page(tmp_path: Path, browser) -> None:
    write(tmp_path, {"index.html": page("Served"), "a/index.html": page("Sub page")})
    with serve_directory(tmp_path) as base:
        tab = browser.new_page()
        tab.goto(base + "a/")
        assert tab.title() == "Sub page"
        assert tab.evaluate("document.querySelector('h1').textContent") == "Sub page"
        tab.close()


def test_axe_passes_a_clean_page(tmp_path: Path, browser) -> None:
    write(tmp_path, {"index.html": page("Clean")})
    with serve_directory(tmp_path) as base:
        tab = browser.new_page()
        tab.goto(base)
        violations = run_axe(tab)
        tab.close()
    assert violations == [], format_axe_violations(violations)


def test_axe_finds_an_image_without_alt(tmp_path: Path, browser) -> None:
    write(tmp_path, {"index.html": page("Image", '<img src="x.png" width="10" height="10">'), "x.png": ""})
    with serve_directory(tmp_path) as base:
        tab = browser.new_page()
        tab.goto(base)
        violations = run_axe(tab)
        tab.close()
    assert [v["id"] for v in violations] == ["image-alt"], format_axe_violations(violations)
    report = format_axe_violations(violations)
    assert "image-alt (critical)" in report and "img" in report


def test_axe_runs_best_practice_rules(tmp_path: Path, browser) -> None:
    # Two <main> landmarks break a best-practice rule, not a WCAG one.
    html = page("Two mains").replace("</main>", "</main><main><p>again</p></main>")
    write(tmp_path, {"index.html": html})
    with serve_directory(tmp_path) as base:
        tab = browser.new_page()
        tab.goto(base)
        ids = {v["id"] for v in run_axe(tab)}
        ids_wcag_only = {v["id"] for v in run_axe(tab, tags=["wcag2a", "wcag2aa"])}
        tab.close()
    assert "landmark-no-duplicate-main" in ids, ids
    assert "landmark-no-duplicate-main" not in ids_wcag_only, ids_wcag_only


# --------------------------------------------------------------------------
# Nu HTML checker
# --------------------------------------------------------------------------


def test_nu_checker_passes_valid_pages_and_finds_an_unclosed_element(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "good.html": page("Good", "<search><form><label>Find <input name=q></label></form></search>"),
            "sub/also-good.html": page("Also good"),
            "bad.html": page("Bad", "<p>An <b>unclosed element.</p>"),
            "style.css": "p { color: red }",
        },
    )
    assert run_nu_checker([tmp_path / "good.html", tmp_path / "sub/also-good.html"]) == []
    errors = run_nu_checker([tmp_path])  # a folder: its HTML files, other files skipped
    assert errors, "the Nu checker found nothing in bad.html"
    assert all(e.startswith(str(tmp_path / "bad.html") + ":") for e in errors), errors
    assert any("Unclosed element" in e and "“b”" in e for e in errors), errors


def test_nu_checker_refuses_missing_files_and_empty_folders(tmp_path: Path) -> None:
    # vnu.jar itself passes a missing file silently; the helper must not.
    with pytest.raises(AssertionError, match="no such file or folder"):
        run_nu_checker([tmp_path / "missing.html"])
    with pytest.raises(AssertionError, match="no HTML files"):
        run_nu_checker([tmp_path])
    with pytest.raises(AssertionError, match="no files given"):
        run_nu_checker([])
