"""`model.Config`: config.yaml validated once (`validate.validate_config`) into a typed value
nobody changes afterwards; the no-op check's `extra_inputs` reads config.yaml through it too."""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path

import pytest

from conftest import make_project, problems_of
from explainer import schema
from explainer.diagnostics import Problems, Severity
from explainer.load import read_config
from explainer.model import Config, Frozen
from explainer.validate.project import extra_inputs, validate_config

FULL = """title: A site
description: About it.
language: ja
base_url: https://example.org/sub
author: Someone
repository: https://example.org/repo
nav: [timeline, about]
trust_html: true
git_dates: false
coverage_min: 40
problems: {uncited-paragraph: off, entry-orphan: error}
bibliography: refs.bib
citation_style: apa
links: {timeout: 3}
share_cards: false
"""


def config_of(root: Path, with_root: bool = True) -> tuple[Config, list[str]]:
    problems = Problems()
    config = validate_config(read_config(root, problems), problems, root if with_root else None)
    return config, [p.format() for p in problems.items]


def test_config_has_one_typed_field_per_key_of_the_schema() -> None:
    fields = [f.name for f in dataclasses.fields(Config)]
    assert fields == [f.name for f in schema.CONFIG.fields] + ["site_texts", "edition_path", "style_file", "doc"]


def test_every_key_is_validated_into_its_field(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"config.yaml": FULL, "refs.bib": ""})
    config, problems = config_of(root)
    assert problems == []
    assert (config.title, config.description, config.language, config.author) == ("A site", "About it.", "ja",
                                                                                 "Someone")
    assert config.base_url == config.site_url == "https://example.org/sub/"  # always ends with '/'
    assert config.base_path == "/sub/"
    assert config.repository == "https://example.org/repo"
    assert config.nav == ("timeline", "about")
    assert (config.trust_html, config.git_dates, config.share_cards, config.coverage_min) == (True, False, False, 40)
    assert dict(config.problems) == {"uncited-paragraph": Severity.OFF, "entry-orphan": Severity.ERROR}
    assert config.bibliography == ("refs.bib",)
    assert config.citation_style == "apa"
    assert config.style_file is not None and Path(config.style_file).name == "apa.csl"
    assert dict(config.links) == {"timeout": 3}


def test_defaults_come_from_the_schema(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"config.yaml": "title: T\n"})
    config, problems = config_of(root)
    assert problems == []
    defaults = {f.name: f.default for f in schema.CONFIG.fields}
    assert config.base_url == defaults["base_url"] and config.language == defaults["language"]
    assert config.trust_html is defaults["trust_html"] and config.share_cards is defaults["share_cards"]
    assert (config.nav, config.bibliography, dict(config.problems), dict(config.links)) == ((), (), {}, {})
    assert config.citation_style is None and config.style_file is None
    missing, problems = config_of(tmp_path / "nowhere")
    assert missing.title == "Untitled" and missing.doc is None
    assert problems[0].startswith("config.yaml:1:1: error: no config.yaml in nowhere")


def test_config_cannot_be_changed(tmp_path: Path) -> None:
    config, _ = config_of(make_project(tmp_path, {"config.yaml": FULL, "refs.bib": ""}))
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.base_url = "https://elsewhere.org/"  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.problems["entry-orphan"] = Severity.OFF  # type: ignore[index]
    with pytest.raises(AttributeError):
        config.values  # type: ignore[attr-defined]  # noqa: B018  (typed fields, no dict of values)
    moved = config.with_base_url("https://elsewhere.org/x")
    assert moved.base_url == "https://elsewhere.org/x/" and moved.base_path == "/x/"
    assert config.base_url == "https://example.org/sub/"
    assert dataclasses.replace(moved, base_url=config.base_url) == config


def test_templates_get_every_key_read_only(tmp_path: Path) -> None:
    config, _ = config_of(make_project(tmp_path, {"config.yaml": FULL, "refs.bib": ""}))
    site = config.as_template_values()
    assert list(site) == [f.name for f in schema.CONFIG.fields]
    assert site["title"] == "A site" and site.get("repository") == "https://example.org/repo"
    with pytest.raises(TypeError):
        site["title"] = "Changed"  # type: ignore[index]
    again = pickle.loads(pickle.dumps(site))  # a page's context is pickled for its cache key
    assert isinstance(again, Frozen) and again == site


def test_problems_setting_applies_to_the_style_check(tmp_path: Path) -> None:
    """config.yaml's `problems:` is in force once the config is validated: the citation style,
    resolved after it, is reported at the severity the author chose."""
    root = make_project(tmp_path, {"config.yaml": "title: T\nbase_url: https://example.org/\n"
                                                  "citation_style: apa-nope\nproblems: {citation-style: warning}\n"})
    config, problems = config_of(root)
    assert config.style_file is None
    assert len(problems) == 1
    assert problems[0].startswith("config.yaml:3:17: warning: unknown citation style 'apa-nope' (did you mean")
    assert problems_of(root) == problems


def test_extra_inputs_reads_config_through_validation(tmp_path: Path) -> None:
    """The files outside content/ a build reads, from the validated config (bad items left out,
    as the build leaves them out), without resolving or loading a style."""
    root = make_project(tmp_path, {"config.yaml": "title: T\nbibliography: [refs.bib, 3, '', /abs/x.bib, b.json]\n"
                                                  "citation_style: styles/mine.csl\n"})
    assert extra_inputs(root) == ["refs.bib", "b.json", "styles/mine.csl"]
    config, problems = config_of(root, with_root=False)
    assert config.citation_style == "styles/mine.csl" and config.style_file is None
    assert [p.split(": error: ")[1] for p in problems] == ["'bibliography' items must be paths, not a number",
                                                           "'bibliography' items must be paths, not text"]
    (root / "config.yaml").write_text("title: T\nbibliography: one.bib\ncitation_style: apa\n", encoding="utf-8")
    assert extra_inputs(root) == ["one.bib"]  # a style's name is no file of the project
    (root / "config.yaml").write_text("title: [\n", encoding="utf-8")
    assert extra_inputs(root) == []
