"""The output gate (issue 15): no `--out`, however it is written, loses a file explainer did not write.

A build replaces its output folder as a whole. Each hostile `--out` below runs the real
command in a subprocess and must exit 2 with its exact message, leaving every file of
the project and of the named folder byte for byte (path, bytes, mode and symlink target
of everything under both, hashed before and after). The positive cases show that a new
folder, an empty one and an earlier build's output (it carries the `.explainer-site`
marker and nothing it does not list) still build, repeatedly, and that a symlinked
`site/` is followed without leaving a dangling `.site.old-*` link.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import make_project, run_cli
from explainer.write.writer import MARKER, OutputDir, OutputError

ADVICE = "a build replaces its whole output folder (choose an empty or new folder for the site, e.g. --out site)"


def foreign(name: str) -> str:
    """The advice for a non-empty folder that no build marked."""
    return (f"a build replaces its whole output folder (choose an empty or new folder, or delete '{name}' "
            "yourself if it really is old output)")


def snapshot(folder: Path) -> dict[str, tuple[object, ...]]:
    """Everything under `folder` (itself included), symlinks not followed: kind, mode, bytes' hash, link."""
    def one(path: Path) -> tuple[object, ...]:
        if path.is_symlink():
            return ("link", os.readlink(path))
        mode = path.lstat().st_mode
        if path.is_dir():
            return ("dir", mode)
        return ("file", mode, hashlib.sha256(path.read_bytes()).hexdigest())

    found = {".": one(folder)}
    for base, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(base, name)
            found[path.relative_to(folder).as_posix()] = one(path)
    return found


def project(tmp_path: Path) -> Path:
    """The base project with a layouts/ folder, a git repository and a cache, all of which a build reads."""
    root = make_project(tmp_path, {"layouts/assets/custom.css": "p { margin: 0 }\n"})
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / ".explainer-cache").mkdir()
    (root / ".explainer-cache" / "keep").write_text("cache\n")
    return root


def someone_elses(folder: Path) -> Path:
    """A folder of someone else's work, nested, with a symlink."""
    (folder / "drafts").mkdir(parents=True)
    (folder / "thesis.tex").write_text("\\chapter{One}\n")
    (folder / "drafts" / "notes.md").write_text("# notes\n")
    os.symlink("thesis.tex", folder / "latest")
    return folder


# (id, make: (tmp_path, root) -> (cwd, args, folder the message names or None, expected message), env)
Case = Callable[[Path, Path], tuple[Path, list[str], "Path | None", str]]


def _home(tmp: Path, root: Path) -> tuple[Path, list[str], Path | None, str]:
    home = someone_elses(tmp / "home")
    return root, ["--out", str(home)], home, f"cannot build into '{home}': it is your home folder; {ADVICE}"


def _parent_of_home(tmp: Path, root: Path) -> tuple[Path, list[str], Path | None, str]:
    someone_elses(tmp / "home")
    return root, ["--out", str(tmp)], tmp, (
        f"cannot build into '{tmp}': it contains your home folder '{tmp / 'home'}'; {ADVICE}")


def _a_file(tmp: Path, root: Path) -> tuple[Path, list[str], Path | None, str]:
    (tmp / "notes").mkdir()
    (tmp / "notes" / "todo.txt").write_text("call the press office\n")
    return root, ["--out", str(tmp / "notes" / "todo.txt")], tmp / "notes", (
        f"cannot build into '{tmp / 'notes' / 'todo.txt'}': it is a file, not a folder; {ADVICE}")


def _symlink_to_content(tmp: Path, root: Path) -> tuple[Path, list[str], Path | None, str]:
    os.symlink("content", root / "linked")
    return root, ["--out", "linked"], root / "content", (
        f"cannot build into 'linked': it is the project's content/, which the build reads; {ADVICE}")


def _site_links_to_content(tmp: Path, root: Path) -> tuple[Path, list[str], Path | None, str]:
    os.symlink("content", root / "site")
    return root, [], root / "content", (
        f"cannot build into 'site': it is the project's content/, which the build reads; {ADVICE}")


def _someone_elses_folder(tmp: Path, root: Path) -> tuple[Path, list[str], Path | None, str]:
    folder = someone_elses(tmp / "thesis")
    return root, ["--out", str(folder)], folder, (
        f"cannot build into '{folder}': it is a folder of files explainer did not write "
        f"(it has no {MARKER} marker); {foreign(str(folder))}")


def _default_site_of_someone_else(tmp: Path, root: Path) -> tuple[Path, list[str], Path | None, str]:
    folder = root / "site"
    folder.mkdir()
    (folder / "index.html").write_text("<p>my hand-made page</p>\n")
    return root, [], folder, (
        f"cannot build into 'site': it is a folder of files explainer did not write "
        f"(it has no {MARKER} marker); {foreign('site')}")


def _stray_file(tmp: Path, root: Path) -> tuple[Path, list[str], Path | None, str]:
    folder = tmp / "out"
    done = run_cli("build", "--out", str(folder), cwd=root)
    assert done.returncode == 0, done.stderr
    (folder / "actors" / "notes.txt").write_text("mine, not the build's\n")
    return root, ["--out", str(folder)], folder, (
        f"cannot build into '{folder}': it holds 'actors/notes.txt', which no earlier build wrote; "
        f"a build replaces its whole output folder (move that file elsewhere, choose an empty or new folder, "
        f"or delete '{folder}' yourself if it really is old output)")


def _forged_marker(tmp: Path, root: Path) -> tuple[Path, list[str], Path | None, str]:
    folder = someone_elses(tmp / "forged")
    (folder / MARKER).write_text("explainer\n")  # not the marker a build writes
    return root, ["--out", str(folder)], folder, (
        f"cannot build into '{folder}': it is a folder of files explainer did not write "
        f"(it has no {MARKER} marker); {foreign(str(folder))}")


CASES: dict[str, Case] = {
    "content": lambda tmp, root: (root, ["--out", "content"], root / "content", (
        f"cannot build into 'content': it is the project's content/, which the build reads; {ADVICE}")),
    "layouts": lambda tmp, root: (root, ["--out", "layouts"], root / "layouts", (
        f"cannot build into 'layouts': it is the project's layouts/, which the build reads; {ADVICE}")),
    "content/actors": lambda tmp, root: (root, ["--out", "content/actors"], root / "content", (
        f"cannot build into 'content/actors': it lies inside the project's content/, which the build reads; "
        f"{ADVICE}")),
    "a new folder inside content": lambda tmp, root: (root, ["--out", "content/site"], root / "content", (
        f"cannot build into 'content/site': it lies inside the project's content/, which the build reads; "
        f"{ADVICE}")),
    ".git": lambda tmp, root: (root, ["--out", ".git"], root / ".git", (
        f"cannot build into '.git': it lies inside a .git folder, a repository's history; {ADVICE}")),
    ".explainer-cache": lambda tmp, root: (root, ["--out", ".explainer-cache/site"], root / ".explainer-cache", (
        f"cannot build into '.explainer-cache/site': it lies inside the project's .explainer-cache/, "
        f"which the build reads; {ADVICE}")),
    "--root proj --out proj": lambda tmp, root: (tmp, ["--root", "project", "--out", "project"], root, (
        f"cannot build into 'project': it is the project folder itself; {ADVICE}")),
    "the current folder": lambda tmp, root: (root, ["--out", "."], root, (
        f"cannot build into '.': it is the project folder itself; {ADVICE}")),
    "config.yaml": lambda tmp, root: (root, ["--out", "config.yaml"], root / "config.yaml", (
        f"cannot build into 'config.yaml': it is the project's config.yaml, which the build reads; {ADVICE}")),
    "a parent of the root": lambda tmp, root: (root, ["--out", ".."], tmp, (
        f"cannot build into '..': it contains the project folder '{root}'; {ADVICE}")),
    "/": lambda tmp, root: (root, ["--out", "/"], None, (
        f"cannot build into '/': it is the root of the file system; {ADVICE}")),
    "the home folder": _home,
    "a parent of the home folder": _parent_of_home,
    "a symlink to content": _symlink_to_content,
    "site/ a symlink to content": _site_links_to_content,
    "content/../content": lambda tmp, root: (root, ["--out", "content/../content"], root / "content", (
        f"cannot build into 'content/../content': it is the project's content/, which the build reads; "
        f"{ADVICE}")),
    "an entry file": lambda tmp, root: (root, ["--out", "content/index.md"], root / "content", (
        f"cannot build into 'content/index.md': it lies inside the project's content/, which the build reads; "
        f"{ADVICE}")),
    "a file": _a_file,
    "someone else's folder": _someone_elses_folder,
    "the default site/ made by hand": _default_site_of_someone_else,
    "an earlier build's output with a stray file": _stray_file,
    "a marker that is not explainer's": _forged_marker,
}


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_out_is_refused_and_nothing_changes(tmp_path: Path, name: str) -> None:
    root = project(tmp_path)
    cwd, args, named, message = CASES[name](tmp_path, root)
    env = {"HOME": str(tmp_path / "home")} if "home" in name else {}
    before_project, before_named = snapshot(root), snapshot(named) if named is not None else None
    before_slash = sorted(os.listdir("/"))
    for extra in ([], ["--no-cache"], ["--format", "json"]):
        done = run_cli("build", *args, *extra, cwd=cwd, env=env)
        assert (done.returncode, done.stdout, done.stderr) == (2, "", f"explainer: error: {message}\n"), extra
    assert snapshot(root) == before_project
    if named is not None:
        assert snapshot(named) == before_named
    assert sorted(os.listdir("/")) == before_slash
    leftovers = [p.name for p in [*root.iterdir(), *tmp_path.iterdir()] if ".tmp-" in p.name or ".old-" in p.name]
    assert leftovers == []


def test_serve_refuses_a_temporary_folder_inside_content(tmp_path: Path) -> None:
    """`serve` builds into a new folder in TMPDIR; the same gate refuses one inside content/."""
    root = project(tmp_path)
    before = snapshot(root)
    done = run_cli("serve", "--port", "0", cwd=root, env={"TMPDIR": str(root / "content")}, timeout=60)
    assert (done.returncode, done.stdout) == (2, "")
    pattern = (re.escape(f"explainer: error: cannot build into '{root / 'content'}/") + r"explainer-serve-[^/']+"
               + re.escape("': it lies inside the project's content/, which the build reads; a build replaces its "
                           "whole output folder (the dev server builds into a new folder in TMPDIR: set TMPDIR "
                           "to a folder outside the project)") + "\n")
    assert re.fullmatch(pattern, done.stderr), done.stderr
    assert snapshot(root) == before


# --- what still builds -----------------------------------------------------------------------------

def marker_files(folder: Path) -> list[str]:
    data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    assert data["generator"] == "explainer" and data["format"] == 1
    return data["files"]


def files_under(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() or p.is_symlink())


def test_new_folder_builds_and_is_marked(tmp_path: Path) -> None:
    root = project(tmp_path)
    out = tmp_path / "new" / "site"
    done = run_cli("build", "--out", str(out), cwd=root)
    assert done.returncode == 0, done.stderr
    listed = marker_files(out)
    assert listed == sorted(listed) and listed == [f for f in files_under(out) if f != MARKER]
    assert "index.html" in listed and "assets/custom.css" in listed
    assert MARKER not in (out / "sitemap.xml").read_text(encoding="utf-8")
    assert all(MARKER not in path.read_text(encoding="utf-8") for path in (out / "search").rglob("*.json"))


def test_empty_folder_builds(tmp_path: Path) -> None:
    root = project(tmp_path)
    (tmp_path / "empty").mkdir()
    done = run_cli("build", "--out", str(tmp_path / "empty"), cwd=root)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "empty" / "index.html").is_file()


def test_earlier_output_is_replaced_and_default_site_keeps_working(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "content/pages/old.md").write_text("---\ntitle: Old\n---\nTo be deleted.\n")
    first = run_cli("build", cwd=root)
    assert first.returncode == 0, first.stderr
    assert (root / "site/old/index.html").is_file()
    marker = (root / "site" / MARKER).read_bytes()
    again = run_cli("build", "--no-cache", cwd=root)
    assert again.returncode == 0, again.stderr
    assert (root / "site" / MARKER).read_bytes() == marker  # same input, same marker
    (root / "content/pages/old.md").unlink()
    for extra in ([], ["--no-cache"], []):
        done = run_cli("build", *extra, cwd=root)
        assert done.returncode == 0, done.stderr
        assert not (root / "site/old").exists() and "old/index.html" not in marker_files(root / "site")
    assert [p.name for p in root.iterdir() if p.name.startswith(".site")] == []  # the lock file goes too


def test_symlinked_site_is_followed_and_the_link_kept(tmp_path: Path) -> None:
    """site -> www/real: the real folder is replaced beside itself; no `.site.old-*` link is left."""
    root = project(tmp_path)
    (tmp_path / "www").mkdir()
    os.symlink(tmp_path / "www" / "real", root / "site")
    for extra in ([], ["--no-cache"], []):
        done = run_cli("build", *extra, cwd=root)
        assert done.returncode == 0, done.stderr
        assert os.readlink(root / "site") == str(tmp_path / "www" / "real")
        assert (tmp_path / "www" / "real" / "index.html").is_file() and (root / "site" / MARKER).is_file()
    assert sorted(p.name for p in root.iterdir() if "site" in p.name) == ["site"]
    assert sorted(p.name for p in (tmp_path / "www").iterdir()) == ["real"]


def test_a_file_appearing_during_the_build_stops_the_swap(tmp_path: Path) -> None:
    """The gate runs again just before the swap: a file saved into the folder meanwhile is kept."""
    target = tmp_path / "site"
    first = OutputDir(target)
    first.write("index.html", "one")
    first.commit()
    output = OutputDir(target)
    output.write("index.html", "two")
    (target / "mine.txt").write_text("saved while the site was building")
    with pytest.raises(OutputError, match="now holds 'mine.txt', which appeared during the build; nothing was"):
        output.commit()
    assert (target / "mine.txt").read_text() == "saved while the site was building"
    assert (target / "index.html").read_text() == "one"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_schema_never_overwrites_a_file_it_did_not_write(tmp_path: Path) -> None:
    """`explainer schema --out DIR` rewrites its own schemas, never someone else's file."""
    root = make_project(tmp_path)
    out = tmp_path / "mine"
    out.mkdir()
    theirs = out / "actor.schema.json"
    theirs.write_text('{"title": "my own actor schema"}\n', encoding="utf-8")
    done = run_cli("schema", "--root", str(root), "--out", str(out))
    assert done.returncode == 2
    assert done.stderr == (f"explainer: error: '{theirs}' exists and was not written by `explainer schema`; "
                           "move it away or choose another --out\n")
    assert theirs.read_text(encoding="utf-8") == '{"title": "my own actor schema"}\n'
    assert sorted(p.name for p in out.iterdir()) == ["actor.schema.json"]
    theirs.unlink()
    assert run_cli("schema", "--root", str(root), "--out", str(out)).returncode == 0
    again = run_cli("schema", "--root", str(root), "--out", str(out))  # its own files: rewritten
    assert again.returncode == 0, again.stderr


def _unlistable(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """`folder` cannot be listed, as a folder without read permission (tests run as root,
    whom permissions do not stop, so the refusal is made by os.scandir itself)."""
    real_scandir = os.scandir

    def scandir(path: object = ".") -> object:
        if isinstance(path, (str, os.PathLike)) and os.fspath(path) == str(folder):
            raise PermissionError(13, "Permission denied", str(folder))
        return real_scandir(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", scandir)


def test_an_earlier_output_with_a_folder_that_cannot_be_listed_is_refused(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """What an unreadable folder holds is unknown: the build must not replace it (it might delete
    files explainer did not write), and says which folder and what to do."""
    from explainer.build import build
    from explainer.diagnostics import UsageError

    root = project(tmp_path)
    assert build(root).ok
    before = snapshot(root / "site")
    _unlistable(monkeypatch, root / "site" / "actors")
    for use_cache in (False, True):
        with pytest.raises(UsageError) as refused:
            build(root, use_cache=use_cache)
        assert str(refused.value) == (
            f"cannot build into '{root / 'site'}': its folder 'actors/' cannot be listed, so it may hold files "
            "explainer did not write; a build replaces its whole output folder (give yourself read access to it, "
            f"choose an empty or new folder, or delete '{root / 'site'}' yourself if it really is old output)")
    monkeypatch.undo()
    assert snapshot(root / "site") == before


def test_a_folder_that_cannot_be_listed_at_the_swap_stops_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "site"
    first = OutputDir(target)
    first.write("notes/index.html", "one")
    first.commit()
    output = OutputDir(target)
    output.write("index.html", "two")
    _unlistable(monkeypatch, target / "notes")
    with pytest.raises(OutputError) as stopped:
        output.commit()
    assert str(stopped.value) == (f"'{target}': its folder 'notes/' cannot be listed now, so it may hold files "
                                  "explainer did not write; nothing was replaced (give yourself read access to it "
                                  "and build again)")
    monkeypatch.undo()
    assert (target / "notes" / "index.html").read_text() == "one"
