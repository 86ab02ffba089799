"""Differential tests: every way of building a project gives a clean build's bytes.

Issue 16, point 4. A Hypothesis state machine (`AuthorEdits`) plays an author editing a
small explainer project (4 actors, 4 events, 3 sources, a page, a home page; cross-links,
citations, file links, footnotes, a dispute, member lists, an event's actors and
sources). Each step is one of:

* a front-matter value other pages show: title, summary, date, actor `kind`, `role`,
  `publisher`, `authors`, `members` / `member_of`, an event's `actors` and `sources`;
* a body: a cross-link, a citation, a file link, a footnote or a dispute added, a block
  removed, text changed; more than the 100 problems shown per file;
* a new, deleted or renamed entry (a rename may leave dangling references), a file moved
  to another kind's folder, the home page deleted and restored, an empty folder in
  `content/` (an error), a save that changes no byte;
* `config.yaml`: title, nav, a `problems:` severity, `git_dates`;
* a layout override (a copy of a default template with a small change, or with a
  template mistake), an asset override or a new asset, and their removal;
* an edit that plants an error (an unknown or wrong-kind id, a bad date, a bad kind) and
  `repair`, which fixes every error the rules can make;
* a `git commit` (the project is a git repository: entries without `updated` show their
  file's last commit date, unless `git_dates: false`), or no edit at all.

After EVERY step the project is built five ways (seven builds):

1. `default`: `explainer build`, exactly as an author runs it: into the project's `site/`,
   with `.explainer-cache/` kept from step to step (the warm path, including the
   "nothing changed" shortcut); and `warm-jobs2`, the same with `--jobs 2` in a copy of
   the project kept in step with it (what the default command does on sites of 200
   entries or more: the cache and forked workers together); and `restored`, the same in a
   fresh copy of the project made at one path every step (new file times, the git history
   copied) with the `.explainer-cache/` the previous step's copy left restored, as CI
   builds on every push;
2. `no-cache`: `explainer build --no-cache --out FRESH` (the reference: a cold build);
3. `jobs1`: `explainer build --no-cache --jobs 1 --out FRESH`;
4. `jobs2`: `explainer build --no-cache --jobs 2 --out FRESH`, which forks workers even on
   a site this small (the test counts the forks with `os.register_at_fork` and requires
   at least one when the build succeeds, so it cannot silently fall back to serial);
5. `engine`: the dev server's engine, kept across steps as `explainer serve` keeps it
   (the first rebuild full, later ones with `defer_extras` set and `finish()` called
   after each, as the server does once no save is waiting);

and `explainer check` once. What "the same" means:

* every way gives the same exit status (0 or 1) and the same problems, as formatted
  `path:line:col: severity: message` lines in the same order, and `check` reports
  exactly those problems with the same status;
* when the step's project builds (status 0), the seven output trees are byte-identical:
  the same relative paths (folders included) with the same sha256;
* when it has errors, a build writes nothing: the fresh folders of ways 2-4 and the
  restored copy's `site/` must not exist, and the folders of the ways that keep a site (1: both `site/` folders, 5: the
  served folder) must still hold exactly the last good tree (the reference of the last step
  that built; nothing before the first good build).

Nothing in the trees is ignored but the top-level `.explainer-site` marker, which a
build's folder has and the dev server's temporary folder has not (the marker's content
is compared between the builds that write it): the build's lock (`.NAME.lock`), its
temporary folders and `.explainer-cache/` live beside the output folder, not in it, and
any stray file in an output folder is a difference.

File times: with `aged=True` (drawn once per run) every file the author writes gets an
mtime 10 s in the past, as if the build ran a while after the save; stat-based
shortcuts (the warm build's "unchanged" record, the engine's file stamps) then trust
stats instead of re-reading "racy" files, which is the path where a stale answer would
hide. With `aged=False` every write is fresh (the racy path).

Runs are bounded for CI (EXPLAINER_DIFF_EXAMPLES runs, default 10, of up to
EXPLAINER_DIFF_STEPS steps, default 10); set them higher for a long hunt. Under CI
(`CI` set, as on GitHub Actions) the examples are derandomized, like the fuzzers'
`ci` profile.

The plain tests at the end are regression tests of the bug that opened issue 16: build
this repository's own site, change one value other pages show, build again with the
default (cached) command and compare with `--no-cache`.

All access to explainer's internals is in the adapters right below; the CLI is the
interface, and the engine is reached through two functions.
"""

from __future__ import annotations

import contextlib
import datetime
import difflib
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, reject, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

# --- adapters: the only code here that knows explainer's modules ---------------------------------
import explainer
from conftest import make_project, run_cli
from explainer.cli import main as cli_main
from explainer.serve.engine import Engine
from explainer.write.writer import MARKER

DEFAULT_LAYOUTS = Path(explainer.__file__).parent / "layouts"
"""The templates and assets that ship with the package (copied, changed, for overrides)."""

PROBLEM_LINE = re.compile(r"^.+?:[0-9]+:[0-9]+: (?:error|warning): ")


@dataclass
class Run:
    """What one way of building said: its exit status and its problems, formatted."""

    status: int
    problems: list[str]
    forks: int = 0
    """Processes this build forked (only counted for the CLI builds)."""


_FORKS = [0]


def _count_fork() -> None:
    _FORKS[0] += 1


os.register_at_fork(after_in_parent=_count_fork)


def _cli(args: list[str]) -> Run:
    """`explainer ARGS` in this process (main() returns the exit code, never exits);
    problems are the `path:line:col: ...` lines it printed."""
    out, err = io.StringIO(), io.StringIO()
    before = _FORKS[0]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = cli_main(args)
    lines = (err.getvalue() + out.getvalue()).splitlines()
    return Run(status, [line for line in lines if PROBLEM_LINE.match(line)], _FORKS[0] - before)


def build_default(root: Path, jobs: int | None = None) -> Run:
    """`explainer build [--jobs N]` as an author runs it (its cache on, into `root/site`)."""
    return _cli(["build", "--root", str(root), "--format", "text"] + (["--jobs", str(jobs)] if jobs else []))


def build_cold(root: Path, out: Path, jobs: int | None) -> Run:
    """`explainer build --no-cache [--jobs N] --out OUT`."""
    args = ["build", "--root", str(root), "--format", "text", "--no-cache", "--out", str(out)]
    return _cli(args + (["--jobs", str(jobs)] if jobs is not None else []))


def check_project(root: Path) -> Run:
    """`explainer check`."""
    return _cli(["check", "--root", str(root), "--format", "text"])


def start_engine(root: Path, out: Path) -> Engine:
    """The dev server's engine, serving into `out` (which `explainer serve` creates empty)."""
    out.mkdir(parents=True, exist_ok=True)
    return Engine(root, out)


def build_engine(engine: Engine, changed: set[str] | None = None) -> Run:
    """One save as `explainer serve` handles it: a rebuild, then the deferred site-wide
    outputs (`finish`, which the server runs once no other save is waiting). The server
    turns deferring on after its first build; so does this. `changed`: the files the
    watcher reports (the preview trusts them; the rebuild must not need them)."""
    outcome = engine.rebuild(changed)
    problems = [p.format() for p in outcome.problems.items]
    ok = outcome.ok
    if ok:
        done = engine.finish()
        problems += [p.format() for p in done.problems.items]
        ok = done.ok
    engine.defer_extras = True
    return Run(0 if ok else 1, problems)


# --- output trees --------------------------------------------------------------------------------

Tree = dict[str, str]


def tree(folder: Path, marker: bool = True) -> Tree:
    """Every file (relative path -> sha256) and folder (path/ -> 'folder') under `folder`
    (without the top-level build marker when `marker` is false)."""
    found: Tree = {}
    if not folder.exists():
        return found
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if rel == MARKER and not marker:
            continue
        if path.is_dir():
            found[rel + "/"] = "folder"
        else:
            found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def _readable(data: bytes) -> list[str]:
    """Lines to diff: HTML and XML split after each tag and attribute, so a changed value is one line."""
    text = data.decode("utf-8", "replace")
    return re.sub(r'(>|" )', "\\1\n", text).splitlines()


def explain(name: str, got: Tree, got_dir: Path | None, want: Tree, want_dir: Path | None,
            limit: int = 24) -> str:
    """Which files differ between a way's tree and the reference, with a diff excerpt."""
    only_got = sorted(got.keys() - want.keys())
    only_want = sorted(want.keys() - got.keys())
    differ = sorted(k for k in got.keys() & want.keys() if got[k] != want[k])
    lines = [f"{name}: {len(differ)} files differ, {len(only_got)} extra, {len(only_want)} missing"]
    if only_got:
        lines.append(f"  extra: {only_got[:10]}")
    if only_want:
        lines.append(f"  missing: {only_want[:10]}")
    if differ:
        lines.append(f"  differ: {differ[:20]}")
        if got_dir is not None and want_dir is not None:
            rel = differ[0]
            diff = difflib.unified_diff(_readable((want_dir / rel).read_bytes()),
                                        _readable((got_dir / rel).read_bytes()),
                                        f"reference/{rel}", f"{name}/{rel}", n=1, lineterm="")
            lines += ["    " + line[:240] for line in list(diff)[:limit]]
    return "\n".join(lines)


# --- the project: a model the state machine edits, written out as Markdown files -----------------

KIND_FOLDER = {"actor": "actors", "event": "events", "source": "sources", "page": "pages"}
FOLDER_KIND = {v: k for k, v in KIND_FOLDER.items()}
DATE_KEYS = {"date", "accessed", "end_date"}

TITLES = ["NATO", "The Alliance", "North Atlantic Treaty Organization", "France & Japan",
          "Summit <b>bold</b>", "\u201cQuoted\u201d title", "Tokyo office", "\u6771\u4eac"]
SUMMARIES = [None, "A short summary.", "The western alliance that considered a Tokyo office.",
             "Summary with [brackets] & an ampersand", "\u8981\u7d04\u3067\u3059\u3002"]
GOOD_DATES = ["2023-07-11", "2023-05-03", "2022-06-29", "2024-07", "2023", "2025-06-24"]
BAD_DATES = ["2023-02-30", "July 2023"]
ACTOR_KINDS = ["person", "organisation", "country", "grouping"]
ROLES = [None, "Secretary General", "President of France", "Spokesperson"]
PUBLISHERS = ["The Guardian", "Stars and Stripes", "CNA", "Nikkei Asia", "Reuters & AP"]
AUTHORS = [None, ["Justin McCurry"], ["A. Author", "B. Writer"], []]
UNKNOWN_IDS = ["natoo", "gaurdian-2023"]
NEW_IDS = {"actor": ["kishida", "china", "stoltenberg"], "event": ["madrid-2022", "tokyo-visit-2023"],
           "source": ["nhk-2023", "reuters-2023"], "page": ["method", "notes"]}
RENAMES = ["nato-alliance", "summit-vilnius-2023", "guardian-report", "about-us", "paris",
           "kishida-fumio", "office-plan-2023"]
WORDS = ["Indeed.", "Also noted.", "More words here.", "Again?"]
SECTIONS = ["timeline", "actors", "sources", "disputes", "search"]
NAVS: list[list[str] | None] = [None, ["timeline", "actors", "sources", "disputes", "about"],
                                 ["actors", "timeline"], ["timeline", "about", "search"], ["about"]]
SEVERITIES: list[dict[str, str] | None] = [None, {"uncited-paragraph": "error"}, {"entry-orphan": "off"},
                                           {"source-uncited": "error"}, {"uncited-paragraph": "off",
                                                                           "entry-orphan": "error"}]
SITE_TITLES = ["Test explainer", "Renamed explainer", "The NATO Tokyo office & you"]

LAYOUTS: dict[str, Callable[[str, int], str]] = {
    # a project file that overrides a default: a copy of it with one small change
    "partials/breadcrumb.html": lambda text, k: _changed(text, '{{ t("breadcrumb_home") }}</a>',
                                                         f'{{{{ t("breadcrumb_home") }}}} ({k})</a>'),
    "partials/entry_footer.html": lambda text, k: f"<p class=\"override\">override {k}</p>\n" + text,
    "partials/meta.html": lambda text, k: f"<!-- meta override {k} -->\n" + text,
    "event.html": lambda text, k: _changed(text, '<p class="entry-kind">{{ t("kind_event") }}</p>',
                                           f'<p class="entry-kind">{{{{ t("kind_event") }}}} ({k})</p>'),
    # a project's translation table: one message of the theme's in its own words
    "i18n/en.yaml": lambda text, k: f"sources_heading: Sources ({k})\nevents_count_other: \"{{count}} events ({k})\"\n",
    "assets/style.css": lambda text, k: text + f"\n/* override {k} */\n",
}
NEW_ASSET = "assets/extra.css"
FOLDERS = ["content/drafts", "content/actors/drafts"]
BREAKAGES = {
    # a mistake in a layout: where it goes (a text of the default the mistake is put before) and what
    "partials/breadcrumb.html": '{{ t("breadcrumb_home") }}</a>',
    "partials/entry_footer.html": "<p",
    "event.html": '<p class="entry-kind">{{ t("kind_event") }}</p>',
}
MISTAKES = ["{{ no_such_variable }}", "{% if %}", "{{ entry.title|no_such_filter }}"]


def _changed(text: str, old: str, new: str) -> str:
    assert old in text, f"the default layout no longer contains {old!r}: update the test's override"
    return text.replace(old, new, 1)


@dataclass
class Doc:
    """One entry file: ordered front matter and body blocks (paragraphs, joined by a blank line)."""

    meta: dict[str, Any]
    blocks: list[str]

    def text(self) -> str:
        lines = ["---"] + [f"{key}: {_yaml(key, value)}" for key, value in self.meta.items()] + ["---"]
        return "\n".join(lines) + "\n" + "\n\n".join(self.blocks) + "\n"


def _yaml(key: str, value: Any) -> str:
    """A front-matter value as an author writes it: dates bare, ids in flow lists, text quoted."""
    if isinstance(value, list):
        return "[" + ", ".join(v if re.fullmatch(r"[a-z0-9-]+", v) else json.dumps(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {v}" for k, v in value.items()) + "}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) or key in DATE_KEYS:
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _source(title: str, publisher: str, date: str, slug: str, authors: list[str] | None = None) -> Doc:
    meta: dict[str, Any] = {"title": title, "publisher": publisher}
    if authors:
        meta["authors"] = authors
    meta.update(date=date, url=f"https://example.com/{slug}", accessed="2023-07-13")
    return Doc(meta, [])


def base_docs() -> dict[str, Doc]:
    """conftest's base project (same ids and titles), enlarged."""
    return {
        "content/index.md": Doc({"title": "Home"}, [
            "[[nato]] met at [[summit-2023]].[@guardian-2023]",
            "Read [[about]] or the [[office-proposed-2023|first report]].[@stripes-2023]",
            "Then [[france-objects-2023]] and [[remark-2024]].[@cna-2023]"]),
        "content/actors/nato.md": Doc({"title": "NATO", "kind": "organisation",
                                       "summary": "A military alliance of 31 members in 2023.",
                                       "members": ["france"]}, [
            "NATO is a military alliance.[@guardian-2023]",
            "Its members include [[france]].[@cna-2023, para. 2]"]),
        "content/actors/france.md": Doc({"title": "France", "kind": "country", "member_of": ["nato"]}, [
            "[[macron|France's president]] objected to the office.[@guardian-2023]"]),
        "content/actors/japan.md": Doc({"title": "Japan", "kind": "country",
                                        "summary": "NATO's oldest partner in Asia."}, [
            "Japan would have hosted the office.[@stripes-2023]"]),
        "content/actors/macron.md": Doc({"title": "Emmanuel Macron", "kind": "person",
                                         "role": "President of France", "member_of": []}, [
            "He opposed the plan.[@guardian-2023; @cna-2023]"]),
        "content/events/summit-2023.md": Doc({"title": "Summit", "date": "2023-07-11",
                                              "actors": ["nato", "france", "japan"],
                                              "sources": ["guardian-2023", "cna-2023"]}, [
            "[[nato]] met in Vilnius.[@guardian-2023]",
            "::: dispute How many staff would the office have?\n"
            "- One person.[@stripes-2023]\n- A few people.[@cna-2023]\n:::"]),
        "content/events/office-proposed-2023.md": Doc({"title": "An office in Tokyo is proposed",
                                                       "date": "2023-05-03", "actors": ["nato", "japan"],
                                                       "sources": ["stripes-2023"]}, [
            "Nikkei reported the plan.[@stripes-2023] See [the summit](../events/summit-2023.md).[@cna-2023]"]),
        "content/events/france-objects-2023.md": Doc({"title": "France objects", "date": "2023-06-05",
                                                      "actors": ["france", "macron"],
                                                      "sources": ["guardian-2023"]}, [
            "[[macron]] said no.[@guardian-2023][^why]\n\n[^why]: An aside about the reasons."]),
        "content/events/remark-2024.md": Doc({"title": "A diplomat's remark", "date": "2024-02",
                                              "actors": ["nato"], "sources": ["cna-2023"]}, [
            "The story was \u201cblown way out of proportion\u201d.[@cna-2023]"]),
        "content/sources/guardian-2023.md": _source("Summit report", "The Guardian", "2023-07-12", "report",
                                                    ["Justin McCurry"]),
        "content/sources/stripes-2023.md": _source("NATO office in Japan", "Stars and Stripes", "2023-05-03",
                                                   "stripes"),
        "content/sources/cna-2023.md": _source("Mixed messages", "CNA", "2023-07-12", "cna"),
        "content/pages/about.md": Doc({"title": "About", "nav": 1}, [
            "How this site is made, from [[guardian-2023|the sources]].[@guardian-2023]"]),
    }


def base_config() -> dict[str, Any]:
    return {"title": "Test explainer", "base_url": "https://example.org/"}


def config_text(config: dict[str, Any]) -> str:
    return "".join(f"{key}: {_yaml(key, value)}\n" for key, value in config.items())


def refs_in(block: str) -> list[tuple[str, str]]:
    """(kind wanted or '', id) of every reference in a block: cross-links, citations, file links."""
    found = [("", m) for m in re.findall(r"\[\[([a-z0-9-]+)", block)]
    found += [("source", m) for m in re.findall(r"@([a-z0-9-]+)", block)]
    found += [(FOLDER_KIND[f], m) for f, m in re.findall(r"\]\((?:\.\./)?([a-z]+)/([a-z0-9-]+)\.md\)", block)]
    return found


def file_link(from_home: bool, kind: str, target: str) -> str:
    return ("" if from_home else "../") + f"{KIND_FOLDER[kind]}/{target}.md"


# --- the state machine ---------------------------------------------------------------------------

class AuthorEdits(RuleBasedStateMachine):
    """An author editing a project; after every edit, every way of building must agree."""

    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="explainer-diff-"))
        self.docs = base_docs()
        self.config = base_config()
        self.layouts: dict[str, int] = {}
        """Project files in layouts/ (name -> how many times written)."""
        self.broken: set[str] = set()
        """Those of them with a template mistake."""
        self.folders: set[str] = set()
        """Empty folders added in content/ (errors)."""
        self.aged = False
        self.failing = False
        self.footnotes = 0
        self.steps = 0
        files: dict[str, str | bytes | None] = {rel: doc.text() for rel, doc in self.docs.items()}
        files["config.yaml"] = config_text(self.config)
        self.root = make_project(self.tmp, files)
        extra = sorted(p.relative_to(self.root).as_posix() for p in (self.root / "content").rglob("*.md")
                       if p.relative_to(self.root).as_posix() not in files)
        assert extra == [], f"conftest's base project has entries this model does not know: {extra}"
        (self.root / ".gitignore").write_text("/site/\n/.site.*\n/.explainer-cache/\n", encoding="utf-8")
        self.git("init", "-q")
        self.commits = 0
        self.events: list[str] = []
        """What happened besides file edits since the last step (commits), for the failure message."""
        self.commit_all(0)
        self.engine = start_engine(self.root, self.tmp / "served")
        self.mirror = self.tmp / "mirror"
        """A second copy of the project for the warm build with --jobs 2 (the cache lives in
        the project, and the default way's must not be shared)."""
        self.clone = self.tmp / "clone"
        """A fresh copy of the project at this same path every step, with the cache the last
        step's copy left restored (what CI does on every push)."""
        self.saved_cache = self.tmp / "saved-cache"
        self.inputs = inputs(self.root)
        self.good: Path | None = None
        """The reference tree of the last step that built (what `site/` and the served folder hold)."""

    def teardown(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    # --- helpers ---------------------------------------------------------------------------

    def ids(self, kind: str | None = None) -> list[str]:
        return sorted(Path(rel).stem for rel in self.docs
                      if rel != "content/index.md" and (kind is None or rel.split("/")[1] == KIND_FOLDER[kind]))

    def rels(self, kind: str | None = None, home: bool = False) -> list[str]:
        return sorted(rel for rel in self.docs if (home and rel == "content/index.md") or
                      (rel != "content/index.md" and (kind is None or rel.split("/")[1] == KIND_FOLDER[kind])))

    def kind_of(self, entry_id: str) -> str | None:
        for rel in self.docs:
            if rel != "content/index.md" and Path(rel).stem == entry_id:
                return FOLDER_KIND[rel.split("/")[1]]
        return None

    def git(self, *args: str, day: int = 0) -> None:
        """Run git in the project (a commit dated `day` days after 2024-01-01, whatever the clock)."""
        date = f"{datetime.date(2024, 1, 1) + datetime.timedelta(days=day)}T12:00:00+00:00"
        env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
               "GIT_AUTHOR_NAME": "Author", "GIT_AUTHOR_EMAIL": "author@example.org", "GIT_AUTHOR_DATE": date,
               "GIT_COMMITTER_NAME": "Author", "GIT_COMMITTER_EMAIL": "author@example.org",
               "GIT_COMMITTER_DATE": date}
        subprocess.run(["git", "-C", str(self.root), *args], check=True, capture_output=True, env=env,
                       stdin=subprocess.DEVNULL, timeout=60)

    def commit_all(self, day: int) -> None:
        self.commits += 1
        self.git("add", "-A", day=day)
        self.git("commit", "-q", "--allow-empty", "-m", f"commit {self.commits}", day=day)

    def _age(self, path: Path) -> None:
        if self.aged:
            past = time.time() - 10
            os.utime(path, (past, past))

    def write(self, rel: str, text: str) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        self._age(path)

    def save(self, rel: str) -> None:
        self.write(rel, self.docs[rel].text())

    def remove(self, rel: str) -> None:
        (self.root / rel).unlink()

    def pick(self, data: st.DataObject, options: list[str], label: str) -> str:
        """One of `options`; when there is none (every entry of a kind deleted), an unknown id
        for references (an error to repair) and, for a file to edit, no edit."""
        if not options:
            if label in ("entry", "actor", "event", "source", "file", "layout", "cited from"):
                reject()
            return UNKNOWN_IDS[0]
        return data.draw(st.sampled_from(options), label=label)

    def block(self, data: st.DataObject, rel: str) -> str:
        """A paragraph with a reference of some sort (or none)."""
        home = rel == "content/index.md"
        target = self.pick(data, self.ids() + UNKNOWN_IDS[:1], "target")
        source = self.pick(data, self.ids("source") + UNKNOWN_IDS[1:], "source")
        kind = self.kind_of(target) or "actor"
        self.footnotes += 1
        n = self.footnotes
        templates = [
            f"[[{target}]] appears here.[@{source}]",
            f"See [[{target}|the linked entry]] for more.[@{source}, p. {n}]",
            f"[A file link]({file_link(home, kind, target)}) to it.[@{source}]",
            f"Two sources agree.[@{source}; @{self.pick(data, self.ids('source'), 'second source')}]",
            f"An aside follows.[^n{n}][@{source}]\n\n[^n{n}]: The aside, with [[{target}]].",
            f"::: dispute Question {n}?\n- One answer.[@{source}]\n"
            f"- Another answer.[@{self.pick(data, self.ids('source'), 'second source')}]\n:::",
            "Plain words, no citation.",
        ]
        return data.draw(st.sampled_from(templates), label="block")

    # --- setup -----------------------------------------------------------------------------

    @initialize(aged=st.booleans())
    def file_times(self, aged: bool) -> None:
        """Draw once per run whether saves look old to the build (see the module docstring)."""
        self.aged = aged
        for path in self.root.rglob("*"):
            if path.is_file():
                self._age(path)

    # --- front matter ----------------------------------------------------------------------

    @rule(data=st.data())
    def set_title(self, data: st.DataObject) -> None:
        rel = self.pick(data, self.rels(home=True), "entry")
        self.docs[rel].meta["title"] = self.pick(data, TITLES, "title")
        self.save(rel)

    @rule(data=st.data())
    def set_summary(self, data: st.DataObject) -> None:
        rel = self.pick(data, self.rels(home=True), "entry")
        summary = data.draw(st.sampled_from(SUMMARIES), label="summary")
        self._set(rel, "summary", summary)

    @rule(data=st.data())
    def set_date(self, data: st.DataObject) -> None:
        rel = self.pick(data, self.rels("event") + self.rels("source"), "entry")
        bad = data.draw(st.integers(0, 9), label="bad?") == 0
        self._set(rel, "date", self.pick(data, BAD_DATES if bad else GOOD_DATES, "date"))

    @rule(data=st.data())
    def set_actor_kind(self, data: st.DataObject) -> None:
        rel = self.pick(data, self.rels("actor"), "actor")
        self._set(rel, "kind", self.pick(data, ACTOR_KINDS + ["club"], "kind"))

    @rule(data=st.data())
    def set_role(self, data: st.DataObject) -> None:
        rel = self.pick(data, self.rels("actor"), "actor")
        self._set(rel, "role", data.draw(st.sampled_from(ROLES), label="role"))

    @rule(data=st.data())
    def set_publisher(self, data: st.DataObject) -> None:
        rel = self.pick(data, self.rels("source"), "source")
        self._set(rel, "publisher", self.pick(data, PUBLISHERS, "publisher"))

    @rule(data=st.data())
    def set_authors(self, data: st.DataObject) -> None:
        rel = self.pick(data, self.rels("source"), "source")
        self._set(rel, "authors", data.draw(st.sampled_from(AUTHORS), label="authors"))

    @rule(data=st.data())
    def set_members(self, data: st.DataObject) -> None:
        rel = self.pick(data, self.rels("actor"), "actor")
        key = self.pick(data, ["members", "member_of"], "key")
        ids = data.draw(st.lists(st.sampled_from(self.ids("actor") + UNKNOWN_IDS[:1]), max_size=3, unique=True),
                        label="ids")
        self._set(rel, key, ids if ids or data.draw(st.booleans(), label="keep empty list") else None)

    @rule(data=st.data())
    def set_event_refs(self, data: st.DataObject) -> None:
        rel = self.pick(data, self.rels("event"), "event")
        key = self.pick(data, ["actors", "sources"], "key")
        right = self.ids("actor" if key == "actors" else "source")
        wrong = self.ids("source" if key == "actors" else "actor")[:1]
        ids = data.draw(st.lists(st.sampled_from(right + wrong + UNKNOWN_IDS), max_size=3, unique=True), label="ids")
        self._set(rel, key, ids or None)

    def _set(self, rel: str, key: str, value: Any) -> None:
        meta = self.docs[rel].meta
        if value is None:
            meta.pop(key, None)
        else:
            meta[key] = value
        self.save(rel)

    # --- bodies ----------------------------------------------------------------------------

    @rule(data=st.data())
    def add_block(self, data: st.DataObject) -> None:
        rel = self.pick(data, self.rels(home=True), "entry")
        blocks = self.docs[rel].blocks
        where = data.draw(st.integers(0, len(blocks)), label="at")
        blocks.insert(where, self.block(data, rel))
        self.save(rel)

    @rule(data=st.data())
    def remove_block(self, data: st.DataObject) -> None:
        rel = self.pick(data, self.rels(home=True), "entry")
        blocks = self.docs[rel].blocks
        if blocks:
            del blocks[data.draw(st.integers(0, len(blocks) - 1), label="which")]
            self.save(rel)

    @rule(data=st.data())
    def change_text(self, data: st.DataObject) -> None:
        rel = self.pick(data, self.rels(home=True), "entry")
        blocks = self.docs[rel].blocks
        if blocks:
            i = data.draw(st.integers(0, len(blocks) - 1), label="which")
            first, sep, rest = blocks[i].partition("\n")
            blocks[i] = first + " " + self.pick(data, WORDS, "words") + sep + rest
            self.save(rel)

    @rule(data=st.data())
    def many_problems(self, data: st.DataObject) -> None:
        """More than the 100 problems shown per file (uncited paragraphs): the rest are counted
        in one note, and every way must count the same."""
        rel = self.pick(data, self.rels("actor") + self.rels("event"), "entry")
        self.docs[rel].blocks += [f"Uncited paragraph {i}." for i in range(data.draw(st.integers(99, 103),
                                                                                       label="how many"))]
        self.save(rel)

    @precondition(lambda self: any("Uncited paragraph 0." in d.blocks for d in self.docs.values()))
    @rule()
    def fewer_problems(self) -> None:
        for rel, doc in self.docs.items():
            if "Uncited paragraph 0." in doc.blocks:
                doc.blocks = [b for b in doc.blocks if not b.startswith("Uncited paragraph ")]
                self.save(rel)

    # --- files -----------------------------------------------------------------------------

    @rule(data=st.data())
    def new_entry(self, data: st.DataObject) -> None:
        kind = self.pick(data, list(KIND_FOLDER), "kind")
        free = [i for i in NEW_IDS[kind] if self.kind_of(i) is None]
        if not free:
            return
        entry_id = self.pick(data, free, "id")
        rel = f"content/{KIND_FOLDER[kind]}/{entry_id}.md"
        cite = self.pick(data, self.ids("source"), "cites")
        title = self.pick(data, TITLES, "title")
        if kind == "actor":
            doc = Doc({"title": title, "kind": self.pick(data, ACTOR_KINDS, "actor kind"),
                       "member_of": [self.pick(data, self.ids("actor"), "member of")]},
                      [f"A new actor.[@{cite}]"])
        elif kind == "event":
            doc = Doc({"title": title, "date": self.pick(data, GOOD_DATES, "date"),
                       "actors": [self.pick(data, self.ids("actor"), "actor")], "sources": [cite]},
                      [f"Something happened to [[{self.pick(data, self.ids('actor'), 'actor')}]].[@{cite}]"])
        elif kind == "source":
            doc = _source(title, self.pick(data, PUBLISHERS, "publisher"), self.pick(data, GOOD_DATES, "date"),
                          entry_id)
        else:
            doc = Doc({"title": title, "nav": data.draw(st.integers(0, 3), label="nav")},
                      [f"A page about [[{self.pick(data, self.ids(), 'links')}]].[@{cite}]"])
        self.docs[rel] = doc
        self.save(rel)
        if kind == "source" and data.draw(st.booleans(), label="cite it"):
            citing = self.pick(data, self.rels(home=True), "cited from")
            if citing != rel:
                self.docs[citing].blocks.append(f"A new source says so.[@{entry_id}]")
                self.save(citing)

    @rule(data=st.data())
    def translate(self, data: st.DataObject) -> None:
        """A translation (`ID.ja.md`) written, rewritten or removed: its title and blocks keep the
        original's references; some carry a `translated_from` that no longer matches (stale)."""
        rel = self.pick(data, [r for r in self.rels(home=True) if "/sources/" not in r], "entry")
        target = rel[: -len(".md")] + ".ja.md"
        if (self.root / target).exists() and data.draw(st.booleans(), label="remove it"):
            self.remove(target)
            return
        title = "訳 " + self.pick(data, TITLES, "title")
        stale = 'translated_from: "title 00000000 body 00000000"\n' if data.draw(st.booleans(), label="stale") else ""
        blocks = ["訳：" + block for block in self.docs[rel].blocks[:2]]
        self.write(target, f"---\ntitle: {json.dumps(title, ensure_ascii=False)}\n{stale}---\n"
                   + "\n\n".join(blocks) + "\n")

    @rule(data=st.data())
    def delete_entry(self, data: st.DataObject) -> None:
        rel = self.pick(data, self.rels(home=True), "entry")
        del self.docs[rel]
        self.remove(rel)

    @precondition(lambda self: "content/index.md" not in self.docs)
    @rule()
    def restore_home(self) -> None:
        """A home page again, after it was deleted (the site builds without one too)."""
        self.docs["content/index.md"] = Doc({"title": "Home"}, ["[[nato]] met.[@guardian-2023]"])
        self.save("content/index.md")

    @rule(data=st.data())
    def rename_entry(self, data: st.DataObject) -> None:
        """A file renamed (so its id changes); with `relink` every reference follows it,
        without it the old references dangle (errors)."""
        rel = self.pick(data, self.rels(), "entry")
        free = [i for i in RENAMES if self.kind_of(i) is None]
        if not free:
            return
        new_id = self.pick(data, free, "new id")
        old_id = Path(rel).stem
        new_rel = f"{Path(rel).parent.as_posix()}/{new_id}.md"
        self.docs[new_rel] = self.docs.pop(rel)
        os.rename(self.root / rel, self.root / new_rel)
        if data.draw(st.booleans(), label="relink"):
            word = re.compile(rf"(?<![a-z0-9-]){re.escape(old_id)}(?![a-z0-9-])")
            for other, doc in self.docs.items():
                blocks = [word.sub(new_id, b) for b in doc.blocks]
                meta = {k: ([new_id if x == old_id else x for x in v] if isinstance(v, list) else v)
                        for k, v in doc.meta.items()}
                if blocks != doc.blocks or meta != doc.meta:
                    doc.blocks, doc.meta = blocks, meta
                    self.save(other)
            nav = self.config.get("nav")
            if isinstance(nav, list) and old_id in nav:
                self.config["nav"] = [new_id if x == old_id else x for x in nav]
                self.write("config.yaml", config_text(self.config))

    @rule(data=st.data())
    def change_kind(self, data: st.DataObject) -> None:
        """A file moved to another kind's folder, its front matter made valid for that kind:
        its page moves, and references expecting the old kind become errors."""
        rel = self.pick(data, self.rels(), "entry")
        old_kind = FOLDER_KIND[rel.split("/")[1]]
        kind = self.pick(data, [k for k in KIND_FOLDER if k != old_kind], "new kind")
        doc = self.docs.pop(rel)
        meta: dict[str, Any] = {"title": doc.meta["title"]}
        meta.update({"actor": {"kind": "organisation"}, "event": {"date": GOOD_DATES[0]},
                     "source": {"publisher": PUBLISHERS[0]}, "page": {}}[kind])
        if "summary" in doc.meta:
            meta["summary"] = doc.meta["summary"]
        new_rel = f"content/{KIND_FOLDER[kind]}/{Path(rel).name}"
        self.docs[new_rel] = Doc(meta, doc.blocks)
        self.remove(rel)
        self.save(new_rel)

    @rule(folder=st.sampled_from(FOLDERS))
    def add_folder(self, folder: str) -> None:
        """An empty folder where entries live (a mistake: sub-folders and unknown folders are errors)."""
        (self.root / folder).mkdir(parents=True, exist_ok=True)
        self.folders.add(folder)

    @precondition(lambda self: bool(self.folders))
    @rule()
    def remove_folders(self) -> None:
        for folder in sorted(self.folders):
            (self.root / folder).rmdir()
        self.folders.clear()

    @rule(data=st.data())
    def resave_unchanged(self, data: st.DataObject) -> None:
        """An editor saves a file without changing it: new stat, same bytes."""
        rel = self.pick(data, self.rels(home=True) + ["config.yaml"], "file")
        path = self.root / rel
        self.write(rel, path.read_text(encoding="utf-8"))

    @rule(day=st.integers(1, 500))
    def commit(self, day: int) -> None:
        """`git commit -a`: entries without `updated` take their file's last commit date."""
        self.commit_all(day)
        self.events.append(f"git commit of every change, dated {datetime.date(2024, 1, 1) + datetime.timedelta(days=day)}")

    @rule()
    def nothing(self) -> None:
        """No edit at all: the warm build may skip everything, and must still agree."""

    # --- config, layouts, assets -----------------------------------------------------------

    @rule(data=st.data())
    def set_config(self, data: st.DataObject) -> None:
        key = self.pick(data, ["title", "nav", "problems", "git_dates", "languages"], "key")
        if key == "languages":  # a second language: every translation is read, an edition under ja/
            self.config.pop("languages") if "languages" in self.config else self.config.__setitem__(
                "languages", ["en", "ja"])
        elif key == "title":
            self.config["title"] = self.pick(data, SITE_TITLES, "title")
        elif key == "git_dates":
            flag = data.draw(st.sampled_from([None, False, True]), label="git_dates")
            self.config.pop("git_dates", None) if flag is None else self.config.__setitem__("git_dates", flag)
        elif key == "nav":
            nav = data.draw(st.sampled_from(NAVS), label="nav")
            self.config.pop("nav", None) if nav is None else self.config.__setitem__("nav", nav)
        else:
            severities = data.draw(st.sampled_from(SEVERITIES), label="problems")
            (self.config.pop("problems", None) if severities is None
             else self.config.__setitem__("problems", severities))
        self.write("config.yaml", config_text(self.config))

    @rule(data=st.data())
    def override_layout(self, data: st.DataObject) -> None:
        """A project file overriding a default template or asset: a copy, slightly changed."""
        name = self.pick(data, sorted(LAYOUTS) + [NEW_ASSET], "layout")
        version = self.layouts.get(name, 0) + 1
        self.layouts[name] = version
        self.broken.discard(name)
        if name == NEW_ASSET:
            text = f"/* a project's own asset, version {version} */\n"
        else:
            text = LAYOUTS[name]((DEFAULT_LAYOUTS / name).read_text(encoding="utf-8"), version)
        self.write(f"layouts/{name}", text)

    @rule(data=st.data())
    def break_layout(self, data: st.DataObject) -> None:
        """A layout override with a template mistake (an undefined name, bad syntax, an unknown
        filter): every build fails with a template error until it is fixed or removed."""
        name = self.pick(data, sorted(BREAKAGES), "layout")
        mistake = self.pick(data, MISTAKES, "mistake")
        self.layouts[name] = self.layouts.get(name, 0) + 1
        self.broken.add(name)
        text = (DEFAULT_LAYOUTS / name).read_text(encoding="utf-8")
        self.write(f"layouts/{name}", _changed(text, BREAKAGES[name], mistake + BREAKAGES[name]))

    @precondition(lambda self: bool(self.layouts))
    @rule(data=st.data())
    def remove_override(self, data: st.DataObject) -> None:
        name = self.pick(data, sorted(self.layouts), "layout")
        del self.layouts[name]
        self.broken.discard(name)
        self.remove(f"layouts/{name}")

    # --- back to a good state --------------------------------------------------------------

    @precondition(lambda self: self.failing)
    @rule()
    def repair(self) -> None:
        """Fix what the other rules may have broken: dangling references, bad values, severities."""
        for rel, doc in self.docs.items():
            meta = dict(doc.meta)
            if meta.get("date") in BAD_DATES:
                meta["date"] = GOOD_DATES[0]
            if rel.startswith("content/actors/") and meta.get("kind") not in ACTOR_KINDS:
                meta["kind"] = "organisation"
            for key, kind in (("members", "actor"), ("member_of", "actor"), ("actors", "actor"),
                              ("sources", "source")):
                if isinstance(meta.get(key), list):
                    meta[key] = [x for x in meta[key] if self.kind_of(x) == kind and x != Path(rel).stem]
            blocks = [b for b in doc.blocks
                      if all(self.kind_of(i) is not None and (not k or self.kind_of(i) == k)
                             for k, i in refs_in(b))]
            if meta != doc.meta or blocks != doc.blocks:
                doc.meta, doc.blocks = meta, blocks
                self.save(rel)
        self.remove_folders()
        for name in sorted(self.broken):
            del self.layouts[name]
            self.remove(f"layouts/{name}")
        self.broken.clear()
        config = dict(self.config)
        config.pop("problems", None)
        if isinstance(config.get("nav"), list):
            config["nav"] = [x for x in config["nav"] if x in SECTIONS or self.kind_of(x) == "page"]
        if config != self.config:
            self.config = config
            self.write("config.yaml", config_text(config))

    # --- the property ----------------------------------------------------------------------

    @invariant()
    def every_way_builds_the_same(self) -> None:
        found = self.compare()
        assert not found, "\n".join(found)

    def compare(self) -> list[str]:
        """Build five ways and check; every disagreement, described (empty: all agree)."""
        self.steps += 1
        now = inputs(self.root)
        mirror(self.root, self.mirror)
        edit = "\n".join([input_diff(self.inputs, now)] + [f"    {e}" for e in self.events])
        changed = {rel for rel in self.inputs.keys() | now.keys() if self.inputs.get(rel) != now.get(rel)}
        if self.steps % 3 == 1:  # what the watcher reports: all of it, one file missed, or unknown
            changed = set(sorted(changed)[1:])
        hint = None if self.steps % 3 == 2 else changed
        self.inputs, self.events = now, []
        step = self.tmp / f"step-{self.steps}"
        step.mkdir()
        fresh = {"no-cache": step / "no-cache", "jobs1": step / "jobs1", "jobs2": step / "jobs2",
                 "restored": self.clone / "site"}
        fresh_clone(self.root, self.clone, self.saved_cache)
        runs = {
            "no-cache": build_cold(self.root, fresh["no-cache"], None),
            "jobs1": build_cold(self.root, fresh["jobs1"], 1),
            "jobs2": build_cold(self.root, fresh["jobs2"], 2),
            "default": build_default(self.root),
            "warm-jobs2": build_default(self.mirror, jobs=2),
            "engine": build_engine(self.engine, hint),
            "restored": build_default(self.clone),
        }
        keep_cache(self.clone, self.saved_cache)
        checked = check_project(self.root)
        reference = runs["no-cache"]
        found: list[str] = []
        for name, run in runs.items():
            if (run.status, run.problems) != (reference.status, reference.problems):
                found.append(f"{name}: exit {run.status}, problems differ from no-cache (exit "
                             f"{reference.status}):\n" + _problem_diff(reference.problems, run.problems))
        if checked.problems != reference.problems or checked.status != reference.status:
            found.append(f"check: exit {checked.status}, problems differ from build (exit {reference.status}):\n"
                         + _problem_diff(reference.problems, checked.problems))
        kept = {"default": self.root / "site", "warm-jobs2": self.mirror / "site", "engine": self.tmp / "served"}
        if reference.status == 0:
            want_dir = fresh["no-cache"]
            if runs["jobs2"].status == 0 and runs["jobs2"].forks == 0:
                found.append("jobs2: --jobs 2 forked no worker")
            if runs["jobs1"].forks:
                found.append(f"jobs1: --jobs 1 forked {runs['jobs1'].forks} processes")
            others = {"jobs1": fresh["jobs1"], "jobs2": fresh["jobs2"], "restored": fresh["restored"], **kept}
        else:
            want_dir = self.good
            for name, path in fresh.items():
                if path.exists():
                    found.append(f"{name}: a failed build wrote {path.name}/")
            others = kept
        want = tree(want_dir) if want_dir is not None else {}
        for name, path in others.items():
            got = tree(path, marker=name != "engine")
            if got != (want if name != "engine" else {k: v for k, v in want.items() if k != MARKER}):
                what = "reference" if reference.status == 0 else "last good site"
                found.append(f"(vs {what}) " + explain(name, got, path, want, want_dir))
        self.failing = reference.status != 0
        if reference.status == 0:
            if self.good is not None:
                shutil.rmtree(self.good)
            self.good = self.tmp / f"good-{self.steps}"
            os.rename(fresh["no-cache"], self.good)
        shutil.rmtree(step)
        if found:
            head = (f"step {self.steps}: exit {reference.status}, {len(reference.problems)} problems"
                    f"{' (first: ' + reference.problems[0] + ')' if reference.problems else ''}")
            found = [head, "this step's edit (of config.yaml, content/, layouts/):", edit, *found]
        return found


def fresh_clone(root: Path, clone: Path, saved_cache: Path) -> None:
    """`clone`: a new copy of the project's files and git history (every file with a new
    mtime, as a checkout makes them), with `saved_cache` restored as its `.explainer-cache/`."""
    shutil.rmtree(clone, ignore_errors=True)
    shutil.copytree(root, clone, copy_function=shutil.copy,
                    ignore=lambda folder, names: [n for n in names if folder == str(root) and
                                                  (n in ("site", ".explainer-cache") or n.startswith(".site."))])
    if saved_cache.is_dir():
        shutil.copytree(saved_cache, clone / ".explainer-cache", copy_function=shutil.copy)


def keep_cache(clone: Path, saved_cache: Path) -> None:
    """Keep the clone's cache for the next step's fresh copy (CI's cache step)."""
    shutil.rmtree(saved_cache, ignore_errors=True)
    if (clone / ".explainer-cache").is_dir():
        shutil.copytree(clone / ".explainer-cache", saved_cache, copy_function=shutil.copy)


def mirror(root: Path, copy: Path) -> None:
    """Make `copy` hold the author's files of `root` (and its git history), touching only the
    files that changed (bytes or mtime), as the author's saves touched them in `root`."""
    for top in ("content", "layouts", ".git"):
        for folder in sorted((root / top).rglob("*")):
            if folder.is_dir():
                (copy / folder.relative_to(root)).mkdir(parents=True, exist_ok=True)
        theirs = {p.relative_to(root).as_posix() for p in (root / top).rglob("*") if p.is_file()}
        ours = {p.relative_to(copy).as_posix() for p in (copy / top).rglob("*") if p.is_file()}
        for rel in ours - theirs:
            (copy / rel).unlink()
        for rel in sorted(theirs):
            src, dst = root / rel, copy / rel
            if (not dst.exists() or src.stat().st_mtime_ns != dst.stat().st_mtime_ns
                    or src.read_bytes() != dst.read_bytes()):
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dst)
        for folder in sorted((copy / top).rglob("*"), reverse=True):
            if folder.is_dir() and not (root / folder.relative_to(copy)).is_dir():
                folder.rmdir()
    for name in ("config.yaml", ".gitignore"):
        src, dst = root / name, copy / name
        if not dst.exists() or src.stat().st_mtime_ns != dst.stat().st_mtime_ns or src.read_bytes() != dst.read_bytes():
            shutil.copy2(src, dst)


def inputs(root: Path) -> dict[str, str]:
    """What the author wrote: config.yaml and every file of content/ and layouts/."""
    files = {"config.yaml": (root / "config.yaml").read_text(encoding="utf-8")}
    for top in ("content", "layouts"):
        for path in sorted((root / top).rglob("*")):
            if path.is_file():
                files[path.relative_to(root).as_posix()] = path.read_text(encoding="utf-8")
    return files


def input_diff(before: dict[str, str], after: dict[str, str], limit: int = 40) -> str:
    """A short unified diff of the author's files between two steps."""
    lines: list[str] = []
    for rel in sorted(before.keys() | after.keys()):
        old, new = before.get(rel), after.get(rel)
        if old == new:
            continue
        if rel.startswith("layouts/") and old is not None and new is not None:
            lines.append(f"    changed {rel}")
            continue
        lines += ["    " + line for line in difflib.unified_diff(
            (old or "").splitlines(), (new or "").splitlines(), rel if old is not None else "/dev/null",
            rel if new is not None else "/dev/null", n=0, lineterm="")]
    return "\n".join(lines[:limit] + (["    ..."] if len(lines) > limit else [])) or "    (no edit)"


def _problem_diff(want: list[str], got: list[str]) -> str:
    return "\n".join("    " + line for line in difflib.unified_diff(want, got, "no-cache", "this way",
                                                                     n=0, lineterm="")) or "    (same lines)"


EXAMPLES = int(os.environ.get("EXPLAINER_DIFF_EXAMPLES", "10"))
STEPS = int(os.environ.get("EXPLAINER_DIFF_STEPS", "10"))
_ci: dict[str, Any] = {}
if os.environ.get("CI"):  # reproducible, and bounded: shrinking a failure here takes up to 5 minutes
    _ci = {"derandomize": True, "phases": [Phase.explicit, Phase.reuse, Phase.generate]}
if os.environ.get("EXPLAINER_DIFF_SHRINK"):
    _ci.pop("phases", None)

AuthorEdits.TestCase.settings = settings(
    max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    **_ci,  # type: ignore[arg-type]
)
TestAuthorEdits = AuthorEdits.TestCase


# --- regression tests: this repository's own site, one edit, warm build vs cold build ------------

REPO = Path(__file__).resolve().parent.parent


def _copy_site(tmp_path: Path) -> Path:
    """This repository's explainer (content/, config.yaml, layouts/ if any) in a temporary project."""
    root = tmp_path / "project"
    root.mkdir()
    shutil.copytree(REPO / "content", root / "content")
    shutil.copy(REPO / "config.yaml", root / "config.yaml")
    if (REPO / "layouts").is_dir():
        shutil.copytree(REPO / "layouts", root / "layouts")
    return root


def _set_front_matter(path: Path, key: str, value: str) -> None:
    """Replace the `key:` line of a file's front matter (it must have one)."""
    text = path.read_text(encoding="utf-8")
    head, sep, body = text.partition("\n---\n")
    new, count = re.subn(rf"(?m)^{re.escape(key)}:.*$", lambda _: f"{key}: {value}", head, count=1)
    assert count == 1, f"{path.name} has no '{key}:' line to change"
    path.write_text(new + sep + body, encoding="utf-8")


@pytest.fixture(scope="module")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This repository's site, built once with the default command (so with its cache)."""
    root = _copy_site(tmp_path_factory.mktemp("repo-site"))
    first = run_cli("build", "--root", str(root))
    assert first.returncode == 0, first.stderr[-2000:]
    return root


def _warm_equals_cold(built: Path, tmp_path: Path, edit: Callable[[Path], None]) -> None:
    """From a built copy of this repository's site (its `site/` and `.explainer-cache/`
    included), edit, build again with the default command and compare the site with a
    `--no-cache` build of the same files: same exit, same messages, same bytes. The
    dev-server engine, started before the edit, must serve the same bytes after it."""
    root = tmp_path / "project"
    shutil.copytree(built, root, symlinks=True)
    primed = run_cli("build", "--root", str(root))  # a cache belongs to its project folder: refill it here
    assert primed.returncode == 0 and ".explainer-cache/bodies/0.json: belongs to another project" in primed.stderr
    served = tmp_path / "served"
    engine = start_engine(root, served)
    assert build_engine(engine).status == 0
    edit(root)
    warm = run_cli("build", "--root", str(root))
    clean = tmp_path / "clean"
    cold = run_cli("build", "--root", str(root), "--no-cache", "--out", str(clean))
    assert (warm.returncode, warm.stderr) == (cold.returncode, cold.stderr)
    assert warm.returncode == 0, warm.stderr[-2000:]
    rebuilt = build_engine(engine)
    assert rebuilt.status == 0, rebuilt.problems
    want = tree(clean)
    differences = [explain(name, got, path, want, clean)
                   for name, path in (("warm build", root / "site"), ("dev-server engine", served))
                   if (got := tree(path, marker=path != served)) != (want if path != served else tree(clean, False))]
    assert not differences, "\n".join(differences)


def test_summary_edit_reaches_every_page_of_a_warm_build(built_site: Path, tmp_path: Path) -> None:
    """The bug that opened issue 16: link previews (`data-summary`) on the home page and
    event pages, and feed.xml, kept the old summary until `--no-cache`."""
    _warm_equals_cold(built_site, tmp_path, lambda root: _set_front_matter(
        root / "content/actors/nato.md", "summary", '"The western alliance, edited to test the cache."'))


def test_title_edit_reaches_every_page_of_a_warm_build(built_site: Path, tmp_path: Path) -> None:
    """A title is shown wherever the entry is linked (link text, previews, lists, the map)."""
    _warm_equals_cold(built_site, tmp_path, lambda root: _set_front_matter(
        root / "content/actors/nato.md", "title", '"NATO, the alliance"'))


def test_event_date_edit_reaches_every_page_of_a_warm_build(built_site: Path, tmp_path: Path) -> None:
    """An event's date is shown in link previews (`data-date`), the timeline and actors' lists."""
    _warm_equals_cold(built_site, tmp_path, lambda root: _set_front_matter(
        root / "content/events/vilnius-summit-2023.md", "date", "2023-07-10"))


def test_actor_kind_edit_reaches_every_page_of_a_warm_build(built_site: Path, tmp_path: Path) -> None:
    """An actor's `kind` groups the actors page and labels it on other pages."""
    _warm_equals_cold(built_site, tmp_path, lambda root: _set_front_matter(
        root / "content/actors/france.md", "kind", "grouping"))


def test_source_publisher_edit_reaches_every_page_of_a_warm_build(built_site: Path, tmp_path: Path) -> None:
    """A source's publisher is part of every formatted reference that cites it."""
    _warm_equals_cold(built_site, tmp_path, lambda root: _set_front_matter(
        root / "content/sources/guardian-2023-nato-shelves-tokyo-office.md", "publisher", '"The Observer"'))


def test_a_source_marked_dead_reaches_every_page_of_a_warm_build(built_site: Path, tmp_path: Path) -> None:
    """Issue 32: `explainer links --write` marks a source dead in its front matter (the edit
    it makes, `links.edit.set_keys`); every page citing it then links the archived copy first,
    in a warm build and the dev server as in a clean one."""
    from explainer.links.edit import set_keys

    def mark(root: Path) -> None:
        path = root / "content/sources/guardian-2023-nato-shelves-tokyo-office.md"
        assert set_keys(path, {"url_status": "dead", "url_checked": "2026-12-07",
                               "archive_url": "https://archive.example/web/2023/guardian"})

    _warm_equals_cold(built_site, tmp_path, mark)
