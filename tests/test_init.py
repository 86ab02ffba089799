"""`explainer init` makes a project that publishes (issue 31, point 1), and `explainer layout` (point 6).

Real subprocesses of the command, real git, actionlint and the workflow schema on the
generated `.github/workflows/publish.yml`.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from test_workflow import actionlint, check_jsonschema

from conftest import make_project, run_cli, tree_hash
from explainer import __version__

GIT = shutil.which("git")


def _init(tmp_path: Path, name: str = "tram") -> Path:
    done = run_cli("init", name, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return tmp_path / name


def _workflow(project: Path) -> dict:
    workflow = yaml.safe_load((project / ".github/workflows/publish.yml").read_text(encoding="utf-8"))
    if True in workflow:  # YAML 1.1 reads the key `on` as True
        workflow["on"] = workflow.pop(True)
    assert isinstance(workflow, dict)
    return workflow


def test_init_prints_the_next_three_steps(tmp_path: Path) -> None:
    assert GIT, "git is needed for this test (apt-get install git)"
    done = run_cli("init", "tram", cwd=tmp_path)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == (
        "Started an explainer project in tram/ and made it a git repository (git init).\n"
        "Next:\n"
        "  1. cd tram && explainer serve\n"
        "     Preview the site on http://127.0.0.1:8000/ as you edit; give config.yaml your title.\n"
        "  2. explainer new event ID --date YYYY-MM-DD\n"
        "     Write your entries (also explainer new actor ID, explainer new source ID); delete the examples.\n"
        "  3. Push to a new GitHub repository, then set Settings > Pages > Source: GitHub Actions.\n"
        "     Every push to the default branch then publishes the site (see README.md).\n"
    )


def test_init_makes_a_complete_project_that_builds_strict(tmp_path: Path) -> None:
    project = _init(tmp_path)
    rels = [p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file()]
    files = sorted(rel for rel in rels if not rel.startswith(".git/"))
    assert files == [
        ".github/workflows/publish.yml", ".gitignore", "README.md", "config.yaml",
        "content/actors/example-organisation.md", "content/events/example-meeting.md", "content/index.md",
        "content/pages/about.md", "content/sources/example-announcement.md", "layouts/README.md",
    ]
    built = run_cli("build", "--strict", cwd=project)
    assert (built.returncode, built.stderr) == (0, "")
    # the .gitignore covers everything a build and the dev server leave in the project
    ignored = (project / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert {"/site/", "/.site.*", "/.explainer-cache/"} <= set(ignored)
    status = subprocess.run([GIT or "git", "status", "--porcelain", "--untracked-files=all"], cwd=project,
                            capture_output=True, text=True, check=True).stdout
    assert (project / "site").is_dir() and (project / ".explainer-cache").is_dir()
    assert "site/" not in status and ".explainer-cache" not in status and ".site." not in status, status
    # the project's README says how to write, preview and publish, with this version
    readme = (project / "README.md").read_text(encoding="utf-8")
    for heading in ("## Write", "## Preview", "## Publish"):
        assert heading in readme
    assert f"explainer-ssg=={__version__}" in readme


def test_init_inside_a_repository_leaves_git_alone(tmp_path: Path) -> None:
    assert GIT, "git is needed for this test (apt-get install git)"
    subprocess.run([GIT, "init", "--quiet"], cwd=tmp_path, check=True)
    done = run_cli("init", "sub", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == (
        f"Started an explainer project in sub/ and left git alone (it is inside the repository {tmp_path.resolve()}).")
    assert not (tmp_path / "sub" / ".git").exists()


def test_init_without_git_still_makes_the_project(tmp_path: Path) -> None:
    python_only = tmp_path / "bin"
    python_only.mkdir()
    done = run_cli("init", "tram", cwd=tmp_path, env={"PATH": str(python_only)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == (
        "Started an explainer project in tram/ and did not make it a git repository (git is not installed).")
    assert (tmp_path / "tram/.github/workflows/publish.yml").is_file() and not (tmp_path / "tram/.git").exists()


@pytest.mark.parametrize("existing", ["notes.txt", ".git"])
def test_init_refuses_a_folder_that_holds_anything(tmp_path: Path, existing: str) -> None:
    target = tmp_path / "taken"
    (target / existing).mkdir(parents=True)
    before = tree_hash(target)
    done = run_cli("init", "taken", cwd=tmp_path)
    assert (done.returncode, done.stderr) == (2, "explainer: error: 'taken' is not empty; choose a new folder\n")
    assert tree_hash(target) == before


# --- the generated workflow ------------------------------------------------------------------------

def test_generated_workflow_passes_actionlint_and_the_schema(tmp_path: Path) -> None:
    workflow = _init(tmp_path) / ".github/workflows/publish.yml"
    linted = actionlint(workflow)
    assert linted.returncode == 0, linted.stdout + linted.stderr
    schema = check_jsonschema(workflow)
    assert schema.returncode == 0, schema.stdout + schema.stderr


def test_generated_workflow_installs_this_version(tmp_path: Path) -> None:
    workflow = _workflow(_init(tmp_path))
    assert workflow["env"]["EXPLAINER"] == f"explainer-ssg=={__version__}"
    for name, job in workflow["jobs"].items():
        runs = [s.get("run", "") for s in job["steps"]]
        if any("explainer " in r for r in runs):
            assert 'python -m pip install "$EXPLAINER"' in runs, name


def _if(expression: str, event: str, branch: str, default: str = "main") -> bool:
    """Evaluate a job's `if:` for an event on a branch (the few names these workflows use)."""
    names = {"github.event_name": event, "github.ref_name": branch,
             "github.event.repository.default_branch": default}
    python = re.sub(r"github\.[a-z_.]+", lambda m: repr(names[m.group(0)]), expression)
    python = python.replace("&&", " and ").replace("||", " or ")
    return bool(eval(python, {"__builtins__": {}}, {}))  # noqa: S307 (literals only)


@pytest.mark.parametrize("event, branch, jobs", [
    ("pull_request", "feature", {"check"}),
    ("push", "main", {"build", "deploy"}),
    ("push", "feature", set()),
    ("workflow_dispatch", "main", {"build", "deploy", "links"}),
    ("schedule", "main", {"links"}),
])
def test_generated_workflow_runs_the_right_jobs(tmp_path: Path, event: str, branch: str, jobs: set[str]) -> None:
    workflow = _workflow(_init(tmp_path))
    assert set(workflow["on"]) == {"push", "pull_request", "schedule", "workflow_dispatch"}
    running = set()
    for name, job in workflow["jobs"].items():
        needs = job.get("needs")
        if needs:
            runs = needs in running
        else:
            runs = _if(job["if"], event, branch)
        if runs:
            running.add(name)
    assert running == jobs


def test_generated_workflow_steps(tmp_path: Path) -> None:
    jobs = _workflow(_init(tmp_path))["jobs"]

    def uses(job: str, action: str) -> list[dict]:
        return [s for s in jobs[job]["steps"] if str(s.get("uses", "")).split("@")[0] == action]

    def runs(job: str) -> list[str]:
        return [s["run"] for s in jobs[job]["steps"] if "run" in s]

    assert "explainer check --strict --format github" in runs("check")
    assert "explainer build --strict --format github" in runs("build")
    for job in ("check", "build"):
        (cache,) = uses(job, "actions/cache")
        assert cache["with"]["path"].split() == [".explainer-cache", "~/.cache/explainer"]  # the cache and its key
        (checkout,) = uses(job, "actions/checkout")
        assert checkout["with"]["fetch-depth"] == 0
    (upload,) = uses("build", "actions/upload-pages-artifact")
    assert upload["with"]["path"] == "site"
    assert uses("deploy", "actions/deploy-pages")
    assert jobs["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    (links,) = [s for s in jobs["links"]["steps"] if "run" in s and "links" in s["run"]]
    assert links["run"] == "explainer links --format github" and links["continue-on-error"] is True


# --- explainer layout ------------------------------------------------------------------------------

def test_layout_list_names_every_default(tmp_path: Path) -> None:
    done = run_cli("layout", "list", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    names = done.stdout.splitlines()
    assert {"base.html", "event.html", "partials/meta.html", "assets/style.css"} <= set(names)
    assert names == sorted(names)


def test_layout_copy_overrides_one_layout(tmp_path: Path) -> None:
    project = _init(tmp_path)
    done = run_cli("layout", "copy", "page.html", cwd=project)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == ("Wrote layouts/page.html: edit it to change the site's look "
                           "(it replaces the default of that name)\n")
    copy = project / "layouts/page.html"
    copy.write_text(copy.read_text(encoding="utf-8").replace("{% block main %}",
                                                             "{% block main %}<p>My own layout.</p>", 1),
                    encoding="utf-8")
    built = run_cli("build", "--strict", cwd=project)
    assert (built.returncode, built.stderr) == (0, "")
    assert "<p>My own layout.</p>" in (project / "site/about/index.html").read_text(encoding="utf-8")
    assert "My own layout." not in (project / "site/actors/example-organisation/index.html").read_text(encoding="utf-8")


def test_layout_copy_makes_sub_folders(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    done = run_cli("layout", "copy", "assets/style.css", cwd=root)
    assert done.returncode == 0, done.stderr
    assert (root / "layouts/assets/style.css").stat().st_size > 0


@pytest.mark.parametrize("name, message", [
    ("meta.html", "explainer: error: no default layout 'meta.html' (did you mean 'partials/meta.html'? "
                  "explainer layout list shows them all)\n"),
    ("evnt.html", "explainer: error: no default layout 'evnt.html' (did you mean 'event.html'? "
                  "explainer layout list shows them all)\n"),
    ("../../etc/passwd", "explainer: error: no default layout '../../etc/passwd' "
                         "(explainer layout list shows them all)\n"),
])
def test_layout_copy_refuses_an_unknown_name(tmp_path: Path, name: str, message: str) -> None:
    root = make_project(tmp_path)
    before = tree_hash(root)
    done = run_cli("layout", "copy", name, cwd=root)
    assert (done.returncode, done.stderr) == (2, message)
    assert tree_hash(root) == before


def test_layout_copy_never_overwrites(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"layouts/event.html": "mine"})
    done = run_cli("layout", "copy", "event.html", cwd=root)
    assert (done.returncode, done.stderr) == (2, (
        "explainer: error: layouts/event.html already exists; it overrides the default already "
        "(to start again from the default, delete it or move it away first)\n"))
    assert (root / "layouts/event.html").read_text(encoding="utf-8") == "mine"


def test_layout_copy_outside_a_project(tmp_path: Path) -> None:
    done = run_cli("layout", "copy", "event.html", cwd=tmp_path)
    assert done.returncode == 2 and "no config.yaml" in done.stderr
    assert not (tmp_path / "layouts").exists()


def test_version_is_one_number() -> None:
    done = run_cli("--version")
    assert (done.returncode, done.stdout) == (0, f"explainer {__version__}\n")
