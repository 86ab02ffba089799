"""--format text|json|github (issue 12): golden output of a broken fixture, escaping, defaults.

Also: the problem-code table in docs/reference/problems.md lists every code.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import make_project, run_cli
from explainer.diagnostics import CODES, Problem, Severity
from explainer.formats import as_github, default_format, escape_data, escape_property, workspace_prefix

REPO = Path(__file__).resolve().parent.parent
EVENT = "content/events/summit-2023.md"
BROKEN = ("---\ntitle: Summit\ndate: 2023-13-01\ncolour: red\nactors: [nato]\nsources: [guardian-2023]\n---\n"
          "[[nato]] met in Vilnius.[@gaurdian-2023]\n")
NO_CI = {"GITHUB_ACTIONS": "", "GITHUB_WORKSPACE": ""}
KNOWN = "known keys: title, date, end_date, date_precision, location, actors, sources, summary, status, updated, reviewed, corrections"

GOLDEN_JSON = [
    {"path": EVENT, "line": 3, "column": 7, "end_line": None, "end_column": None, "severity": "error",
     "code": "value-date",
     "message": "'date' is not a real date: there is no month 13 (months are 01 to 12)", "hint": None},
    {"path": EVENT, "line": 4, "column": 1, "end_line": None, "end_column": None, "severity": "error",
     "code": "key-unknown", "message": "unknown key 'colour' for an event", "hint": KNOWN},
    {"path": EVENT, "line": 8, "column": 1, "end_line": None, "end_column": None, "severity": "warning",
     "code": "uncited-paragraph", "message": "paragraph has no citation",
     "hint": "add [@source-id] after the claim it supports"},
    {"path": EVENT, "line": 8, "column": 26, "end_line": None, "end_column": None, "severity": "error",
     "code": "ref-unknown", "message": "unknown id 'gaurdian-2023' in a citation",
     "hint": "did you mean 'guardian-2023'?"},
]
GOLDEN_GITHUB = [
    f"::error file={EVENT},line=3,col=7,title=explainer value-date::"
    "'date' is not a real date: there is no month 13 (months are 01 to 12)",
    f"::error file={EVENT},line=4,col=1,title=explainer key-unknown::unknown key 'colour' for an event ({KNOWN})",
    f"::warning file={EVENT},line=8,col=1,title=explainer uncited-paragraph::"
    "paragraph has no citation (add [@source-id] after the claim it supports)",
    f"::error file={EVENT},line=8,col=26,title=explainer ref-unknown::"
    "unknown id 'gaurdian-2023' in a citation (did you mean 'guardian-2023'?)",
]


def broken(tmp_path: Path) -> Path:
    return make_project(tmp_path, {EVENT: BROKEN})


def test_json_golden(tmp_path: Path) -> None:
    result = run_cli("check", "--format", "json", cwd=broken(tmp_path), env=NO_CI)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert [json.loads(line) for line in lines] == GOLDEN_JSON
    assert list(json.loads(lines[0])) == ["path", "line", "column", "end_line", "end_column",
                                          "severity", "code", "message", "hint"]
    assert result.stderr == "3 errors, 1 warning\n"  # stdout carries only JSON lines


def test_github_golden_on_build_and_default_under_actions(tmp_path: Path) -> None:
    root = broken(tmp_path)
    result = run_cli("build", "--format", "github", cwd=root, env=NO_CI)
    assert result.returncode == 1
    assert result.stdout.splitlines() == GOLDEN_GITHUB
    assert not (root / "site").exists()
    under_actions = run_cli("check", cwd=root, env={"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(tmp_path)})
    assert under_actions.stdout.splitlines() == [line.replace("file=", "file=project/") for line in GOLDEN_GITHUB]
    text = run_cli("check", "--format", "text", cwd=root, env={"GITHUB_ACTIONS": "true"})
    assert text.stderr.splitlines()[0] == (
        f"{EVENT}:3:7: error: 'date' is not a real date: there is no month 13 (months are 01 to 12)")


def test_text_is_the_default_outside_actions(tmp_path: Path) -> None:
    result = run_cli("check", cwd=broken(tmp_path), env=NO_CI)
    assert result.stdout == ""
    assert result.stderr.splitlines()[1] == f"{EVENT}:4:1: error: unknown key 'colour' for an event ({KNOWN})"
    assert default_format({"GITHUB_ACTIONS": "true"}) == "github"
    assert default_format({}) == "text"


def test_bad_format_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("check", "--format", "xml", cwd=broken(tmp_path), env=NO_CI)
    assert result.returncode == 2
    assert "invalid choice: 'xml'" in result.stderr


def test_workflow_command_escaping() -> None:
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    problem = Problem("content/events/a,b:c.md", 2, 3, "value-type", "50% of\nit: yes, no", "x\ry",
                      Severity.WARNING, 4, 5)
    assert as_github(problem) == (
        "::warning file=content/events/a%2Cb%3Ac.md,line=2,col=3,endLine=4,endColumn=5,"
        "title=explainer value-type::50%25 of%0Ait: yes, no (x%0Dy)")


def test_workspace_prefix(tmp_path: Path) -> None:
    project = tmp_path / "docs" / "site"
    project.mkdir(parents=True)
    assert workspace_prefix(project, {"GITHUB_WORKSPACE": str(tmp_path)}) == "docs/site/"
    assert workspace_prefix(tmp_path, {"GITHUB_WORKSPACE": str(tmp_path)}) == ""
    assert workspace_prefix(tmp_path, {"GITHUB_WORKSPACE": str(project)}) == ""
    assert workspace_prefix(project, {}) == ""


def test_readme_lists_every_problem_code() -> None:
    """The problem-code table (moved from the README to docs/reference/problems.md) lists every code."""
    readme = (REPO / "docs/reference/problems.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\| `([a-z-]+)` \| (error|warning) \|", readme, re.M)
    assert sorted(name for name, _ in listed) == sorted(CODES)
    for name, severity in listed:
        assert CODES[name].severity.label == severity, name
