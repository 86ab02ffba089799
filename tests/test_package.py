"""Installable as a package (issue 31, point 6).

`python -m build` makes the sdist and the wheel of the distribution `explainer-ssg`; the
wheel installs into a fresh virtual environment (its dependencies from the package index,
or pip's local cache), where `explainer --version` prints the one version number and
`explainer init` + `explainer build --strict` publish a site; the sdist installs there too,
and so does a git URL pinned to a tag, as docs/guide/publishing.md shows.
Nothing of this repository is on that environment's path.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

from explainer import __version__

REPO = Path(__file__).resolve().parent.parent


def _run(args: list[str | Path], cwd: Path, env: dict[str, str], timeout: float = 900) -> str:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    return done.stdout


def test_build_install_and_publish_a_new_project(tmp_path: Path) -> None:
    # build from a copy, so the repository gets no build/ or egg-info
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "CHANGELOG.md"):
        shutil.copy2(REPO / name, source / name)
    shutil.copytree(REPO / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "build", "--outdir", dist, source], cwd=tmp_path, env=env)
    wheel = dist / f"explainer_ssg-{__version__}-py3-none-any.whl"
    sdist = dist / f"explainer_ssg-{__version__}.tar.gz"
    assert wheel.is_file() and sdist.is_file(), sorted(p.name for p in dist.iterdir())
    # the skeleton's dotfiles travel as dot-NAME (package data leaves dotfiles out)
    in_wheel = set(zipfile.ZipFile(wheel).namelist())
    assert {"explainer/skeleton/dot-gitignore", "explainer/skeleton/dot-github/workflows/publish.yml",
            "explainer/layouts/base.html", "explainer/render/outputs/data.schema.json"} <= in_wheel
    with tarfile.open(sdist) as tar:
        assert f"explainer_ssg-{__version__}/src/explainer/skeleton/dot-gitignore" in tar.getnames()

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", venv], cwd=tmp_path, env=env)
    pip, explainer = venv / "bin" / "pip", venv / "bin" / "explainer"
    # the pip a venv bundles may be old (23.2 rejects `NAME @ git+file:…`); CI's setup-python has a current one
    _run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--upgrade", "pip"], cwd=tmp_path, env=env)
    _run([pip, "install", "--quiet", wheel], cwd=tmp_path, env=env)
    assert _run([explainer, "--version"], cwd=tmp_path, env=env) == f"explainer {__version__}\n"
    where = _run([venv / "bin" / "python", "-c", "import explainer; print(explainer.__file__)"], cwd=tmp_path, env=env)
    assert Path(where.strip()).is_relative_to(venv), where

    def publish(name: str) -> None:
        _run([explainer, "init", name], cwd=tmp_path, env=env)
        project = tmp_path / name
        workflow = (project / ".github/workflows/publish.yml").read_text(encoding="utf-8")
        assert f'EXPLAINER: "explainer-ssg=={__version__}"' in workflow
        _run([explainer, "build", "--strict"], cwd=project, env=env)
        assert "Example meeting" in (project / "site/events/example-meeting/index.html").read_text(encoding="utf-8")

    publish("from-wheel")
    _run([pip, "install", "--quiet", "--no-deps", "--force-reinstall", sdist], cwd=tmp_path, env=env)
    publish("from-sdist")

    # the documented pin of a git URL instead: `explainer-ssg @ git+URL@TAG` (here a local repository)
    git = shutil.which("git")
    assert git, "git is needed for this test (apt-get install git)"
    for args in (["init", "--quiet"], ["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@example.org", "commit",
                                                     "--quiet", "-m", "release"], ["tag", f"v{__version__}"]):
        _run([git, *args], cwd=source, env=env)
    _run([pip, "install", "--quiet", "--no-deps", "--force-reinstall",
          f"explainer-ssg @ git+{source.as_uri()}@v{__version__}"], cwd=tmp_path, env=env)
    assert _run([explainer, "--version"], cwd=tmp_path, env=env) == f"explainer {__version__}\n"
    publish("from-git")
