"""The git date fallback for `updated` (issue 11), in a real temporary repository."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from conftest import make_project
from explainer.build import build
from explainer.dates import PartialDate
from explainer.resolve.provenance import git_dates

GIT_ENV = {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.org",
           "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.org",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def git(root: Path, *args: str, date: str | None = None) -> None:
    env = {**os.environ, **GIT_ENV}
    if date:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = f"{date}T12:00:00+00:00"
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


def repo(tmp_path: Path) -> Path:
    root = make_project(tmp_path)
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "first", date="2024-03-01")
    return root


def test_last_commit_date_per_file(tmp_path: Path) -> None:
    root = repo(tmp_path)
    actor = root / "content/actors/nato.md"
    actor.write_text(actor.read_text() + "\nMore.[@guardian-2023]\n")
    git(root, "commit", "-q", "-am", "second", date="2024-05-06")
    dates = git_dates(root)
    assert dates["content/actors/nato.md"] == "2024-05-06"
    assert dates["content/events/summit-2023.md"] == "2024-03-01"
    assert "config.yaml" not in dates  # only content/ is asked about


def test_build_shows_git_date_and_front_matter_wins(tmp_path: Path) -> None:
    root = repo(tmp_path)
    event = root / "content/events/summit-2023.md"
    event.write_text(event.read_text().replace("date: 2023-07-11\n", "date: 2023-07-11\nupdated: 2023-08-01\n"))
    git(root, "commit", "-q", "-am", "updated by hand", date="2024-06-07")
    result = build(root, out=tmp_path / "out")
    assert result.ok
    assert result.site.project.entries["nato"].meta["updated"] == PartialDate(2024, 3, 1)
    assert result.site.project.entries["summit-2023"].meta["updated"] == PartialDate(2023, 8, 1)
    actor = (tmp_path / "out/actors/nato/index.html").read_text()
    assert 'Updated <time datetime="2024-03-01">1 March 2024</time>.' in actor
    event_page = (tmp_path / "out/events/summit-2023/index.html").read_text()
    assert 'Updated <time datetime="2023-08-01">1 August 2023</time>.' in event_page
    # the feed uses `updated`
    assert "<updated>2023-08-01T00:00:00Z</updated>" in (tmp_path / "out/feed.xml").read_text()


def test_a_subfolder_project_inside_a_repository(tmp_path: Path) -> None:
    top = tmp_path / "top"
    top.mkdir()
    root = make_project(top)  # top/project
    git(top, "init", "-q")
    git(top, "add", ".")
    git(top, "commit", "-q", "-m", "first", date="2024-02-02")
    assert git_dates(root)["content/actors/nato.md"] == "2024-02-02"


def test_uncommitted_file_gets_no_date(tmp_path: Path) -> None:
    root = repo(tmp_path)
    (root / "content/actors/new-actor.md").write_text("---\ntitle: New\nkind: person\n---\n")
    assert "content/actors/new-actor.md" not in git_dates(root)


def test_not_a_repository_or_no_git(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    root = make_project(tmp_path)
    assert git_dates(root) == {}
    result = build(root, out=tmp_path / "out")
    assert "updated" not in result.site.project.entries["nato"].meta
    assert "Updated" not in (tmp_path / "out/actors/nato/index.html").read_text()
    git_repo = repo(tmp_path / "b")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # git cannot be found
    assert git_dates(git_repo) == {}


def test_git_dates_false_turns_the_fallback_off(tmp_path: Path) -> None:
    root = repo(tmp_path)
    config = root / "config.yaml"
    config.write_text(config.read_text() + "git_dates: false\n")
    result = build(root, out=tmp_path / "out")
    assert "updated" not in result.site.project.entries["nato"].meta
