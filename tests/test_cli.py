"""The `explainer` command through real subprocesses: exit codes, options, new, init, no tracebacks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import make_project, run_cli, tree_hash

ORPHAN = {"content/pages/lonely.md": "---\ntitle: Lonely\n---\nNobody links here.\n"}
ORPHAN_WARNING = ("content/pages/lonely.md:1:1: warning: nothing links to a page 'lonely' "
                  "(link to it with [[lonely]] from a related entry)")


def test_build_succeeds_with_exit_0(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    done = run_cli("build", cwd=root)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("Built ")
    assert (root / "site/index.html").is_file() and (root / "site/actors/nato/index.html").is_file()


def test_content_error_exits_1_with_the_message(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"content/pages/about.md": "---\ntitle: About\nnav: 1\ncolour: red\n---\n"})
    for command in ("build", "check"):
        done = run_cli(command, cwd=root)
        assert done.returncode == 1
        assert done.stderr.splitlines()[0] == (
            "content/pages/about.md:4:1: error: unknown key 'colour' for a page (known keys: title, summary, nav, corrections)")
    assert not (root / "site").exists()


@pytest.mark.parametrize("args", [
    ["frobnicate"], ["build", "--bogus"], [], ["new", "person", "x"], ["check", "--root", "does-not-exist"],
    ["build", "--root", "does-not-exist"],
])
def test_usage_errors_exit_2(tmp_path: Path, args: list[str]) -> None:
    done = run_cli(*args, cwd=tmp_path)
    assert done.returncode == 2, done
    assert "Traceback" not in done.stderr and done.stderr.strip()


def test_root_option_from_another_folder(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert run_cli("check", "--root", str(root), cwd=elsewhere).returncode == 0
    done = run_cli("build", "--root", str(root), cwd=elsewhere)
    assert done.returncode == 0, done.stderr
    assert (root / "site/index.html").is_file() and not (elsewhere / "site").exists()


def test_no_project_is_a_content_error_not_a_traceback(tmp_path: Path) -> None:
    done = run_cli("build", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.splitlines()[0].startswith("config.yaml:1:1: error: no config.yaml in ")


def test_out_option(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    out = tmp_path / "public"
    done = run_cli("build", "--out", str(out), cwd=root)
    assert done.returncode == 0, done.stderr
    assert (out / "index.html").is_file() and not (root / "site").exists()
    assert f"into {out}/" in done.stdout


@pytest.mark.parametrize("command", ["build", "check"])
def test_strict_turns_warnings_into_failure(tmp_path: Path, command: str) -> None:
    root = make_project(tmp_path, ORPHAN)
    lax = run_cli(command, cwd=root)
    assert lax.returncode == 0
    assert lax.stderr.splitlines() == [ORPHAN_WARNING, "0 errors, 1 warning"]
    assert (root / "site").exists() == (command == "build")
    strict = run_cli(command, "--strict", "--root", str(root), cwd=tmp_path)
    assert strict.returncode == 1
    assert strict.stderr.splitlines()[:2] == [ORPHAN_WARNING,
                                              "0 errors, 1 warning (--strict: warnings fail the build)"]


def test_strict_build_failure_keeps_previous_site(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    assert run_cli("build", cwd=root).returncode == 0
    before = tree_hash(root / "site")
    (root / "content/pages/lonely.md").write_text(ORPHAN["content/pages/lonely.md"])
    assert run_cli("build", "--strict", cwd=root).returncode == 1
    assert tree_hash(root / "site") == before


@pytest.mark.parametrize("command", [[], ["build"], ["check"], ["new"], ["init"]])
def test_help_on_each_command(tmp_path: Path, command: list[str]) -> None:
    done = run_cli(*command, "--help", cwd=tmp_path)
    assert done.returncode == 0
    assert done.stdout.startswith("usage: explainer" + (f" {command[0]}" if command else ""))
    if command in (["build"], ["check"], ["new"]):
        assert "--root DIR" in done.stdout


# --- new ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind, folder, title, placeholders", [
    ("actor", "actors", "Fresh Entry", 1), ("event", "events", "Fresh entry", 1),
    ("source", "sources", "Fresh entry", 1), ("page", "pages", "Fresh entry", 0)])
def test_new_writes_an_entry_that_validates(tmp_path: Path, kind: str, folder: str, title: str,
                                            placeholders: int) -> None:
    root = make_project(tmp_path)
    done = run_cli("new", kind, "fresh-entry", cwd=root, env={"SOURCE_DATE_EPOCH": "1700000000"})
    assert done.returncode == 0, done.stderr
    tail = "Replace its placeholders (check and build point at each one until you do).\n" if placeholders else ""
    assert done.stdout == f"Wrote content/{folder}/fresh-entry.md\n" + tail
    text = (root / f"content/{folder}/fresh-entry.md").read_text()
    assert text.startswith(f"---\ntitle: \"{title}\"\n")
    check = run_cli("check", cwd=root)
    assert check.returncode == 0, check.stderr
    assert " error:" not in check.stderr  # only warnings (nothing links to it yet; its placeholders)
    assert check.stderr.count(": warning: '") == placeholders


def test_new_never_overwrites(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    before = (root / "content/actors/nato.md").read_bytes()
    done = run_cli("new", "actor", "nato", cwd=root)
    assert done.returncode == 2
    assert done.stderr == ("explainer: error: 'nato' is already used by content/actors/nato.md; "
                           "ids are unique across kinds\n")
    assert (root / "content/actors/nato.md").read_bytes() == before


def test_new_refuses_an_id_taken_by_another_kind(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    done = run_cli("new", "page", "nato", cwd=root)
    assert done.returncode == 2
    assert "'nato' is already used by content/actors/nato.md" in done.stderr
    assert not (root / "content/pages/nato.md").exists()


@pytest.mark.parametrize("bad_id, message", [
    ("Bad_Id", "explainer: error: 'Bad_Id' is not a valid id: use lower-case letters, digits and single "
               "hyphens (like 'vilnius-summit-2023') (try 'bad-id.md')\n"),
    ("../escape", "explainer: error: '../escape' is not a valid id: use lower-case letters, digits and single "
                  "hyphens (like 'vilnius-summit-2023') (try 'escape.md')\n"),
    ("aux", "explainer: error: id 'aux' is a reserved file name on Windows (try 'aux-1' or a longer name)\n"),
])
def test_new_refuses_bad_ids(tmp_path: Path, bad_id: str, message: str) -> None:
    root = make_project(tmp_path)
    before = tree_hash(root)
    done = run_cli("new", "actor", bad_id, cwd=root)
    assert (done.returncode, done.stderr) == (2, message)
    assert tree_hash(root) == before and not (tmp_path / "escape.md").exists()


def test_new_outside_a_project(tmp_path: Path) -> None:
    done = run_cli("new", "actor", "someone", cwd=tmp_path)
    assert done.returncode == 2 and "no config.yaml" in done.stderr
    assert not (tmp_path / "content").exists()


# --- init ---------------------------------------------------------------------------------------------

def test_init_build_check_strict_round_trip(tmp_path: Path) -> None:
    done = run_cli("init", "fresh", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    project = tmp_path / "fresh"
    assert (project / "config.yaml").is_file()
    for folder in ("actors", "events", "sources", "pages"):
        assert list((project / "content" / folder).glob("*.md")), folder
    built = run_cli("build", "--strict", cwd=project)
    assert (built.returncode, built.stderr) == (0, "")
    checked = run_cli("check", "--strict", cwd=project)
    assert (checked.returncode, checked.stderr) == (0, "")
    assert checked.stdout.endswith(": no problems.\n")
    # no default layout is copied (a copy never gets the tool's fixes); the note is inert
    assert [p.relative_to(project).as_posix() for p in (project / "layouts").rglob("*")] == ["layouts/README.md"]
    assert not list((project / "site").rglob("README*"))


def test_init_note_on_overriding_one_layout_works_as_written(tmp_path: Path) -> None:
    assert run_cli("init", "fresh", cwd=tmp_path).returncode == 0
    project = tmp_path / "fresh"
    note = (project / "layouts/README.md").read_text(encoding="utf-8")
    commands = [line.split("#")[0].split() for line in note.splitlines() if line.strip().startswith("explainer ")]
    assert [c[:3] for c in commands] == [["explainer", "layout", "list"]] + [["explainer", "layout", "copy"]] * 3
    for command in commands:
        done = run_cli(*command[1:], cwd=project)
        assert done.returncode == 0, (command, done.stderr)
    assert sorted(p.relative_to(project / "layouts").as_posix() for p in (project / "layouts").rglob("*.*")) == [
        "README.md", "assets/style.css", "event.html", "partials/sources.html"]
    built = run_cli("build", "--strict", cwd=project)
    assert (built.returncode, built.stderr) == (0, "")


def test_init_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    done = run_cli("init", "taken", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == "explainer: error: 'taken' is not empty; choose a new folder\n"
    assert sorted(p.name for p in target.iterdir()) == ["notes.txt"]


# --- never a traceback --------------------------------------------------------------------------------

BROKEN: dict[str, dict[str, str | bytes | None]] = {
    "many broken entries": {
        "content/actors/nato.md": "---\ntitle: NATO\nkind: [organisation\n---\n",
        "content/actors/bomb.md": "---\ntitle: B\nkind: person\na: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,"
                                  "*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c,"
                                  "*c]\n---\n",
        "content/actors/tagged.md": "---\ntitle: !!python/object/apply:os.system [echo hi]\nkind: person\n---\n",
        "content/actors/deep.md": "---\ntitle: D\nkind: person\nx: " + "[" * 5000 + "\n---\n",
        "content/events/summit-2023.md": "---\ntitle: S\ndate: 2023-02-30\nend_date: 1999\nactors: [guardian-2023, "
                                         "ghost]\n---\n[[nata]] [@nato] [@] [x](../actors/gone.md) [[Bad Id]]\n\n"
                                         "::: dispute\n- one\n",
        "content/sources/binary.md": b"\x00\xff\xfe\x00garbage",
        "content/sources/no-front.md": "just text\n",
        "content/sources/unclosed.md": "---\ntitle: x\n",
        "content/pages/Upper.md": "---\ntitle: U\n---\n",
        "content/pages/con.md": "---\ntitle: C\n---\n",
        "content/pages/list.md": "---\n- a\n- b\n---\n",
        "content/pages/scalar.md": "---\njust a string\n---\n",
        "content/pages/empty.md": "",
        "content/pages/nav.md": "---\ntitle: N\nnav: {a: 1}\n---\n[[",
        "content/pages/notes.txt": "x",
        "content/strange/file.md": "x",
        "content/loose.md": "x",
    },
    "broken config": {"config.yaml": "title: [unclosed\nbase_url: 5\n"},
    "config of binary garbage": {"config.yaml": b"\xff\xfe\x00\x01"},
    "config with bad values": {"config.yaml": "title: 5\nbase_url: ftp://x\nnav: 3\nproblems: [a]\n"
                                              "trust_html: maybe\ncoverage_min: -5\n"},
    "no content folder": {"content/index.md": None, "content/actors/nato.md": None,
                          "content/events/summit-2023.md": None, "content/sources/guardian-2023.md": None,
                          "content/pages/about.md": None},
}


@pytest.mark.parametrize("files", BROKEN.values(), ids=list(BROKEN))
@pytest.mark.parametrize("command", ["build", "check"])
def test_broken_files_never_give_a_traceback(tmp_path: Path, files: dict[str, str | bytes | None],
                                             command: str) -> None:
    root = make_project(tmp_path, files)
    if not any((root / "content").iterdir()):
        os.rmdir(root / "content")
    done = run_cli(command, cwd=root)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 1, done.stderr
    lines = [line for line in done.stderr.splitlines() if ": error: " in line]
    assert lines, done.stderr
    assert not (root / "site").exists()
