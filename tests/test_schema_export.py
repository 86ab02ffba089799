"""`explainer schema` (issue 12): schemas from the validator's table that agree with the validator."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from conftest import BASE_FILES, make_project, problems_of, run_cli
from explainer import schema
from explainer.jsonschema_export import ID_PATTERN, all_schemas
from explainer.load import split_front_matter
from explainer.load.ids import ID_RE
from explainer.load.yamlsafe import load_yaml

REPO = Path(__file__).resolve().parent.parent
SCHEMAS = all_schemas()
VALIDATORS = {name: jsonschema.Draft202012Validator(s) for name, s in SCHEMAS.items()}


def schema_name(rel: str) -> str:
    """Which schema a project file is checked against: by folder, as the yaml.schemas globs say."""
    if rel.endswith("config.yaml"):
        return "config.schema.json"
    translation = ".translation" if Path(rel).name.count(".") == 2 else ""  # ID.LANG.md
    if rel.endswith("content/index.md") or (translation and Path(rel).parent.name == "content"):
        return f"home{translation}.schema.json"
    return f"{schema.KIND_BY_FOLDER[Path(rel).parent.name].name}{translation}.schema.json"


def front_matter(path: Path) -> object:
    if path.suffix == ".yaml":
        return load_yaml(path.read_text(encoding="utf-8")).data
    parts = split_front_matter(path.read_text(encoding="utf-8"))
    assert isinstance(parts, tuple), path
    return load_yaml(parts[0]).data or {}


def schema_errors(rel: str, data: object) -> list[str]:
    return [e.message for e in VALIDATORS[schema_name(rel)].iter_errors(data)]


def test_every_schema_is_valid_draft_2020_12() -> None:
    kinds = ["actor", "event", "home", "page", "source"]
    assert sorted(SCHEMAS) == sorted(["config.schema.json"] + [f"{k}.schema.json" for k in kinds]
                                     + [f"{k}.translation.schema.json" for k in kinds])
    for s in SCHEMAS.values():
        jsonschema.Draft202012Validator.check_schema(s)
        assert s["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert s["additionalProperties"] is False
        assert all(p.get("description") for p in s["properties"].values())
    assert ID_PATTERN == ID_RE.pattern


def test_ref_fields_say_a_schema_cannot_check_ids() -> None:
    actor = SCHEMAS["actor.schema.json"]["properties"]
    for key in ("members", "member_of", "affiliations", "country", "sources"):
        assert "A schema cannot check that the ids exist" in actor[key]["description"]
    assert SCHEMAS["event.schema.json"]["required"] == ["title", "date"]
    assert SCHEMAS["actor.schema.json"]["properties"]["kind"]["enum"] == [
        "person", "organisation", "country", "grouping"]
    assert "uncited-paragraph" in SCHEMAS["config.schema.json"]["properties"]["problems"]["properties"]


def repository_files() -> list[Path]:
    files = [REPO / "config.yaml", *sorted((REPO / "content").rglob("*.md"))]
    fixtures = REPO / "tests" / "fixtures"
    for config in sorted(fixtures.rglob("config.yaml")):
        files += [config, *sorted((config.parent / "content").rglob("*.md"))]
    return files


def test_schemas_accept_every_entry_of_the_site_and_fixtures() -> None:
    files = repository_files()
    assert len(files) > 100
    bad = {}
    for path in files:
        rel = path.relative_to(REPO).as_posix()
        errors = schema_errors(rel, front_matter(path))
        if errors:
            bad[rel] = errors
    assert bad == {}


def test_schemas_accept_the_test_base_project() -> None:
    for rel, text in BASE_FILES.items():
        data = load_yaml(text).data if rel.endswith(".yaml") else load_yaml(split_front_matter(text)[0]).data
        assert schema_errors(rel, data) == [], rel


EVENT = "content/events/summit-2023.md"
GOOD_EVENT = "title: Summit\ndate: 2023-07-11\nactors: [nato]\nsources: [guardian-2023]\n"
BAD_FRONT_MATTER = {
    "unknown key": GOOD_EVENT + "colour: red\n",
    "missing key": "title: Summit\nactors: [nato]\nsources: [guardian-2023]\n",
    "wrong type (number for text)": GOOD_EVENT.replace("title: Summit", "title: 2023"),
    "wrong type (text for list)": GOOD_EVENT.replace("actors: [nato]", "actors: nato"),
    "bad enum": GOOD_EVENT + "date_precision: weekly\n",
    "bad date": GOOD_EVENT.replace("2023-07-11", "2023-13-01"),
    "bad date (words)": GOOD_EVENT.replace("2023-07-11", "July 2023"),
    "empty value": GOOD_EVENT + "location:\n",
    "bad id in a list": GOOD_EVENT.replace("actors: [nato]", "actors: [NATO]"),
}
GOOD_VARIANTS = {
    "partial date": GOOD_EVENT.replace("2023-07-11", "2023-07"),
    "year as a number": GOOD_EVENT.replace("2023-07-11", "2023"),
    "all optional keys": GOOD_EVENT + "end_date: 2023-07-12\ndate_precision: day\nlocation: Vilnius\n"
                         "summary: A summit.\nstatus: held\nupdated: 2024-01-02\nreviewed: 2024-01-03\n",
}


@pytest.mark.parametrize("case", sorted(BAD_FRONT_MATTER))
def test_schema_and_validator_agree_on_bad_front_matter(tmp_path: Path, case: str) -> None:
    yaml_text = BAD_FRONT_MATTER[case]
    root = make_project(tmp_path, {EVENT: f"---\n{yaml_text}---\n[[nato]] met in Vilnius.[@guardian-2023]\n"})
    validator_errors = [p for p in problems_of(root) if p.startswith(EVENT) and ": error: " in p]
    assert validator_errors, case
    assert schema_errors(EVENT, load_yaml(yaml_text).data), case


@pytest.mark.parametrize("case", sorted(GOOD_VARIANTS))
def test_schema_and_validator_agree_on_good_front_matter(tmp_path: Path, case: str) -> None:
    yaml_text = GOOD_VARIANTS[case]
    root = make_project(tmp_path, {EVENT: f"---\n{yaml_text}---\n[[nato]] met in Vilnius.[@guardian-2023]\n"})
    assert problems_of(root) == []
    assert schema_errors(EVENT, load_yaml(yaml_text).data) == []


def test_source_url_and_config_values() -> None:
    good = {"title": "T", "publisher": "P", "url": "https://example.com/a", "accessed": "2024-01"}
    assert schema_errors("content/sources/s.md", good) == []
    assert schema_errors("content/sources/s.md", {**good, "url": "javascript:alert(1)"})
    assert schema_errors("config.yaml", {"title": "T", "coverage_min": 101})
    assert schema_errors("config.yaml", {"title": "T", "problems": {"uncited-paragraph": "loud"}})
    assert schema_errors("config.yaml", {"title": "T", "problems": {"no-such-code": "error"}})
    assert schema_errors("config.yaml", {"title": "T", "trust_html": "yes"})
    assert schema_errors("config.yaml", {"title": "T", "coverage_min": 80,
                                         "problems": {"uncited-paragraph": "error"}}) == []


def test_cli_writes_schemas_and_new_writes_the_modeline(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    result = run_cli("schema", cwd=root)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "Wrote schemas/config.schema.json"
    written = json.loads((root / "schemas" / "event.schema.json").read_text())
    assert written == SCHEMAS["event.schema.json"]
    # (without --date, new writes the placeholder YYYY-MM-DD, which the schema flags in the editor too)
    assert run_cli("new", "event", "new-summit-2024", "--date", "2023-11-14", cwd=root).returncode == 0
    text = (root / "content/events/new-summit-2024.md").read_text()
    assert text.splitlines()[:4] == ["---", "# yaml-language-server: $schema=../../schemas/event.schema.json",
                                     'title: "New summit 2024"', "date: 2023-11-14"]
    # the new entry itself passes both the schema and the validator
    assert schema_errors("content/events/x.md", front_matter(root / "content/events/new-summit-2024.md")) == []
    assert not [p for p in problems_of(root) if ": error: " in p]
    other = tmp_path / "elsewhere"
    assert run_cli("schema", "--out", str(other), cwd=root).returncode == 0
    assert len(list(other.glob("*.schema.json"))) == 11


def test_new_without_schemas_writes_no_modeline(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    assert run_cli("new", "actor", "someone", cwd=root).returncode == 0
    assert "yaml-language-server" not in (root / "content/actors/someone.md").read_text()
