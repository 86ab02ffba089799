"""`build` and `check`: thin callers of `pipeline.build_site`, each with its own output and layer.

`check` builds in memory, cold, in one process (`pipeline.Memory`), and keeps nothing.
`build` runs nothing at all when `cache.noop` shows nothing changed; otherwise it builds
with the warm cache (`cache.disk.DiskMemo`) unless told not to, on every core for big
sites (`workers.ForkedExecutor`), into a fresh folder swapped in when complete
(`FolderOutput`, `write.OutputDir`). Neither changes what the stages compute: they only
decide how often a step runs and where.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .cache import noop
from .cache.files import CACHE_DIR, cache_key, key_file, unsafe_path
from .diagnostics import Problems, UsageError
from .load.files import CONFIG_FILE, CONTENT_DIR, DEFAULT_LAYOUTS
from .validate.project import extra_inputs
from .write import BuildLocked, OutputDir, OutputError, stamps
from .write.writer import FileRecord, check_output_folder, tidy_beside

if TYPE_CHECKING:
    from .model import SiteData

# The stages (`pipeline`, `render`, the memo and the workers) are imported inside `build`
# and `check`, once they are needed: a build that finds nothing changed never loads them
# (their imports were half of such a build's 0.3 s).

PROJECT_INPUTS = (CONFIG_FILE, CONTENT_DIR, "layouts")
"""What a build of every project reads, relative to its root."""


def project_inputs(root: Path) -> tuple[str, ...]:
    """What a build of this project reads, relative to its root: `PROJECT_INPUTS` plus the
    bibliography files and a .csl style file config.yaml names (the no-op record stamps these)."""
    return PROJECT_INPUTS + tuple(extra_inputs(root))


def project_reads(root: Path, inputs: tuple[str, ...] | None = None) -> list[Path]:
    """Every file and folder a build of `root` reads: the one list the output gate protects.

    `write.check_output_folder` refuses to build into, over or inside any of these, so a
    new input (a bibliography file, say) is one more item here. The package's own
    default layouts and the cache are read too.
    """
    rels = project_inputs(root) if inputs is None else inputs
    return [root / rel for rel in rels] + [root / CACHE_DIR, DEFAULT_LAYOUTS]


@dataclass
class BuildResult:
    problems: Problems
    site: SiteData | None = None
    written: list[str] = field(default_factory=list)
    out: Path | None = None
    unchanged: bool = False
    """Nothing the build reads or wrote changed since the last cached build: nothing was
    done (and `site` is None; see `cache.noop.unchanged`)."""

    @property
    def ok(self) -> bool:
        return self.site is not None or self.unchanged


def build(root: Path, out: Path | None = None, strict: bool = False, jobs: int | None = None,
          use_cache: bool = False, base_url: str | None = None) -> BuildResult:
    """Build the site into `out` (default `root/site`), atomically; never half-writes.

    `jobs`: worker processes (None: every core for sites of 200 entries or more);
    `use_cache`: reuse and refresh `.explainer-cache/`; `base_url`: publish address
    overriding config.yaml's (CI knows it, the file may not).
    Raises `UsageError` (before reading or writing anything) when `out` is a folder a
    build must not replace (`write.check_output_folder`). A symlinked `out` is followed:
    the real folder is replaced and the link kept.
    """
    try:
        return _build(root, out, strict, jobs, use_cache, base_url)
    finally:
        gc.unfreeze()  # what `collector_paused` froze: a caller that goes on collects its heap as before


def _build(root: Path, out: Path | None, strict: bool, jobs: int | None, use_cache: bool,
           base_url: str | None) -> BuildResult:
    target = out if out is not None else root / "site"
    inputs = project_inputs(root)  # reads config.yaml for its bibliography files: once
    listing: dict[str, stamps.Stamp | None] = {}
    refused = check_output_folder(root, target, project_reads(root, inputs), shown=str(target), listing=listing)
    if refused is not None:
        raise UsageError(refused)
    for line in tidy_beside(target):  # what a build that was stopped left beside the output
        print(f"explainer: note: {line}", file=sys.stderr, flush=True)
    refused_cache = None
    if use_cache:
        refused_cache, use_cache = cache_refusal(root)
    state = noop.input_state(root, target, base_url, inputs) if use_cache else None
    if state is not None:
        last = noop.unchanged(root, target, state, listing)
        if last is not None:  # the site on disk is what this build would write, byte for byte
            problems, written = last
            if problems.has_errors(strict):
                return BuildResult(problems)
            return BuildResult(problems, written=written, out=target, unchanged=True)
    from .cache.disk import DiskMemo
    from .cache.layer import NO_MEMO, Layer
    from .pipeline import build_site
    from .workers import ForkedExecutor

    problems = Problems()
    if refused_cache is not None:
        problems.add("cache-unsafe", *refused_cache)
    memo = DiskMemo(root) if use_cache else NO_MEMO
    layer = Layer(memo, ForkedExecutor(jobs), analysing=collector_paused, drop_markdown=True)
    output = FolderOutput(target, root, noop.last_files(root, target) if state is not None else None)
    site, made = build_site(root, problems, output, layer, strict=strict, base_url=base_url)
    if made is None:
        return BuildResult(problems)
    if isinstance(memo, DiskMemo) and state is not None and output.dir is not None:
        with collector_paused():
            memo.save()
            noop.record_build(root, target, state, made, problems, output.dir.files)
    return BuildResult(problems, site, made, target)


class FolderOutput:
    """A build's output folder (`write.OutputDir`): written beside `target`, swapped in whole;
    `previous`: the last cached build's record of its files, so unchanged ones are linked."""

    def __init__(self, target: Path, root: Path, previous: dict[str, FileRecord] | None = None) -> None:
        self.target, self.root, self.previous = target, root, previous
        self.dir: OutputDir | None = None

    def open(self) -> OutputDir:
        self.dir = OutputDir(self.target, self.previous)
        return self.dir

    def commit(self, written: list[str]) -> None:
        assert self.dir is not None
        self.dir.written = written  # forked workers wrote some of them: the list in build order
        self.dir.commit()

    def abort(self) -> None:
        if self.dir is not None:
            self.dir.abort()

    def problem(self, error: OutputError) -> tuple[str, str, str]:
        return "build-locked" if isinstance(error, BuildLocked) else "output-error", _shown(self.target, self.root), \
            str(error)


def cache_refusal(root: Path) -> tuple[tuple[str, int, int, str, str] | None, bool]:
    """Whether a build may use `.explainer-cache/`: (the warning to give, if any; whether to use it).

    A cache folder holding anything but regular files and folders (a symlink, FIFO or
    device: `cachefile.unsafe_path`) is refused with a warning, and a build without a
    cache key (`cachefile.cache_key`: its folder cannot be written) or with one inside the
    project goes without the cache, with a note; either way the build goes on, cold."""
    unsafe = unsafe_path(root)
    if unsafe is not None:
        path, what = unsafe
        return (path, 1, 1, f"'{path}' is {what}: explainer writes only regular files and folders there, "
                            "so it builds without the cache",
                "delete the .explainer-cache folder: it holds only what a build makes again"), False
    key = key_file()
    try:
        inside = key.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):
        inside = True
    if inside:  # a pull request could commit a key together with a cache it sealed
        print(f"explainer: note: the cache key '{key}' lies inside the project, where anyone who can change "
              "the project could put one; building without the cache (keep the key outside the project)",
              file=sys.stderr, flush=True)
        return None, False
    try:
        cache_key()
    except OSError as exc:
        print(f"explainer: note: cannot read or make the cache key '{key_file()}' "
              f"({exc.strerror or exc}); building without the cache", file=sys.stderr, flush=True)
        return None, False
    return None, True


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off for a while (as it was, after).

    Loading, resolving and reading the cache make next to no cyclic garbage (40 objects
    on 1,000 entries), but they grow the heap by millions of objects, and each of the
    collector's full passes walks all of them: at 10,000 entries, 0.8 s of a warm
    one-entry-edit build's 2.8 s of analysis. Rendering does make cycles (Jinja's), so
    it runs with the collector on; saving the cache and the record of the build do not.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()  # else the first allocation after `enable` would make a full pass over all of it
        if was:
            gc.enable()


def check(root: Path) -> tuple[Problems, SiteData]:
    """Validate everything a build would, and render every file in memory; write nothing."""
    from .pipeline import Memory, build_site

    problems = Problems()
    site, _ = build_site(root, problems, Memory())
    return problems, site


def _shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix() or "."
    except ValueError:
        return str(path)
