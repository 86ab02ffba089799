"""Theming (issue 30, point 9): a project's layout can extend the default of the same name
(`default/NAME`) and replace one block; `layouts/assets/extra.css` is loaded after the
theme's style sheets when, and only when, the project has one."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import make_project
from explainer.build import build

REPO = Path(__file__).resolve().parent.parent


def stylesheets(html: str) -> list[str]:
    return re.findall(r'<link rel="stylesheet" href="([^"]*)">', html)


def test_an_override_extends_its_default_and_replaces_one_block(tmp_path: Path) -> None:
    root = make_project(tmp_path, {
        "layouts/home.html": ('{% extends "default/home.html" %}\n'
                              '{% block who_heading %}The cast{% endblock %}\n'),
    })
    assert build(root, root / "site").ok
    home = (root / "site" / "index.html").read_text(encoding="utf-8")
    assert '<h2 id="who-heading">The cast</h2>' in home
    assert '<ul class="who-rows">' in home and '<section class="sources"' in home  # the rest is the default's


def test_extra_css_comes_after_the_theme_only_when_there_is_one(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    assert build(root, root / "site").ok
    assert stylesheets((root / "site" / "index.html").read_text(encoding="utf-8")) == [
        "assets/style.css", "assets/features.css"]
    (root / "layouts" / "assets").mkdir(parents=True)
    (root / "layouts" / "assets" / "extra.css").write_text(":root { --accent: #004a8f; }\n", encoding="utf-8")
    assert build(root, root / "site").ok
    for rel in ("index.html", "events/summit-2023/index.html"):
        html = (root / "site" / rel).read_text(encoding="utf-8")
        prefix = "../../" if "/" in rel else ""
        assert stylesheets(html) == [f"{prefix}assets/style.css", f"{prefix}assets/features.css",
                                     f"{prefix}assets/extra.css"]
    assert (root / "site" / "assets" / "extra.css").read_text(encoding="utf-8").startswith(":root")


def test_this_repository_keeps_only_its_own_look_in_layouts() -> None:
    """The repository's layouts/ holds what is particular to this explainer; every fix is in
    the default theme that ships with the package."""
    own = sorted(p.relative_to(REPO / "layouts").as_posix() for p in (REPO / "layouts").rglob("*") if p.is_file())
    assert own == ["assets/extra.css", "home.html", "i18n/en.yaml", "i18n/ja.yaml"]  # i18n: home.html's own words
    for table in ("en", "ja"):  # nothing but the site's own messages: the theme's words are the theme's
        ids = re.findall(r"(?m)^(\w+):", (REPO / "layouts" / "i18n" / f"{table}.yaml").read_text(encoding="utf-8"))
        assert ids and all(i.startswith("site_") for i in ids), ids
    assert (REPO / "layouts" / "home.html").read_text(encoding="utf-8").count('{% extends "default/home.html" %}') == 1
