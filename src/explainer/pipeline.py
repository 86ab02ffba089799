"""The build, top to bottom: load → validate → resolve → render → write.

`build_site` is the one function that builds a site; `explainer check` (renders in
memory, writes nothing), `explainer build` (an output folder) and the dev server (only
what changed) call it, each with its own `Output` and `cache.layer.Layer`. Every stage
records problems instead of raising, so one run reports all of them.

The layer decides how the repeated steps run — which results earlier builds left can be
reused, and whether forked workers share the work — never what they compute: every
way of building gives a clean build's bytes (tests/test_differential.py).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import jinja2

from . import schema
from .cache.layer import PLAIN, Layer, Sink
from .diagnostics import Problems
from .load import read_config, walk
from .load.bibliography import read_bibliographies
from .load.ids import id_problem
from .load.strings import body_labels, read_strings
from .model import Entry, Project, SiteData, TemplateProblem
from .render import Renderer, make_environment, site_files
from .render.cards import drawable
from .resolve import apply_git_dates, build_lookup, check_front_matter_refs, link
from .resolve.markup import BODY_LABELS
from .validate import assemble, validate_config
from .validate.bibliography import record_entries
from .validate.languages import edition, load_translations
from .write import OutputError


class Output(Protocol):
    """Where a build's files go: opened once the site has no errors, then committed (or
    aborted). `build.FolderOutput` (a folder swapped in whole) and `Memory` are two."""

    def open(self) -> Sink: ...

    def commit(self, written: list[str]) -> None:
        """Make the files written (all of them, in build order) the output."""
        ...

    def abort(self) -> None: ...

    def problem(self, error: OutputError) -> tuple[str, str, str]:
        """(code, file, message) of the problem to report when opening or committing failed."""
        ...


class Memory:
    """An output kept in memory (`files`): `check` throws it away, the dev server writes what changed."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def open(self) -> Sink:
        return self

    def write(self, rel: str, data: bytes) -> None:
        self.files[rel] = data

    def commit(self, written: list[str]) -> None:
        pass

    def abort(self) -> None:
        self.files.clear()

    def problem(self, error: OutputError) -> tuple[str, str, str]:
        return "output-error", ".", str(error)


def build_site(root: Path, problems: Problems, output: Output | None = None, layer: Layer = PLAIN, *,
               strict: bool = False, base_url: str | None = None, site_wide: bool = True,
               env: jinja2.Environment | None = None) -> tuple[SiteData, list[str] | None]:
    """Build the project at `root`: returns the resolved site and the files written to
    `output` (None if nothing was written: no output, or an error in `problems`).

    `strict`: warnings stop it before writing; `base_url`: the publish address instead of
    config.yaml's; `site_wide=False`: only pages and assets (the dev server defers the
    rest); `env`: the layouts' Jinja2 environment, if the caller keeps one.
    """
    with layer.analysing():
        # 1-2. load and validate: the config, the bibliographies, every entry file, every translation
        project = load_project(root, problems, layer)
        translations = load_translations(project, problems)
        project.translated = {code: frozenset(found) for code, found in translations.items()}
        # 3. resolve: dates from git, references, every body parsed, the graph — for the
        #    site and for its edition in each other language
        apply_git_dates(project)
        check_front_matter_refs(project, problems)
        editions = [edition(project, code, found) for code, found in translations.items()]
        site = resolve(project, problems, layer)
        site.editions = [resolve(one, problems, layer) for one in editions]
    sites = [site, *site.editions]
    check_card_fonts(sites, problems)
    if base_url:  # only absolute URLs use it; bodies link relatively, so nothing parsed changes
        for one in sites:
            one.project.config = one.project.config.with_base_url(base_url)
    if output is None or problems.has_errors(strict):
        return site, None
    # 4-5. render every file of every edition and write it
    try:
        sink = output.open()
    except OutputError as exc:
        problems.add(*_output_problem(output, exc))
        return site, None
    try:
        written = []
        for one in sites:
            renderer = Renderer(one, env or make_environment(root))
            written += layer.render(one, renderer, sink, site_wide)
        output.commit(written)
    except TemplateProblem as exc:
        output.abort()
        problems.add("template-error", exc.path, exc.line, 1, exc.message)
        return site, None
    except OutputError as exc:
        output.abort()
        problems.add(*_output_problem(output, exc))
        return site, None
    except BaseException:
        output.abort()
        raise
    return site, written


def check_card_fonts(sites: list[SiteData], problems: Problems) -> None:
    """A warning for each title (and site title) with a Japanese, Chinese or Korean character
    the share cards' bundled fonts cannot draw (it would show as an empty box)."""
    for one in sites:
        config = one.project.config
        if not config.share_cards:
            continue
        missing = next((ch for ch in config.title if not drawable(ch)), None)
        if missing is not None:
            line, col = config.doc.pos("title") if config.doc is not None else (1, 1)
            problems.add("card-font", "config.yaml", line, col, _card_font_message(missing, "the site's title"),
                         _CARD_FONT_HINT)
        for entry in one.project.all_documents:
            missing = next((ch for ch in entry.title if not drawable(ch)), None)
            if missing is not None:
                line, col = entry.pos("title")
                problems.add("card-font", entry.path, line, col, _card_font_message(missing, "this title"),
                             _CARD_FONT_HINT)


_CARD_FONT_HINT = "the characters of JIS X 0208 are drawn; scripts/subset-cjk-fonts.py adds others"


def _card_font_message(ch: str, what: str) -> str:
    return f"the share card cannot draw '{ch}' (U+{ord(ch):04X}) in {what}: the bundled fonts lack it"


def resolve(project: Project, problems: Problems, layer: Layer = PLAIN) -> SiteData:
    """Stage 3 for one edition of the project: every body parsed, references linked, the graph built."""
    docs = project.all_documents
    parsed = layer.parse_bodies(docs, build_lookup(project), bool(project.config.trust_html),
                                dict(problems.overrides), parse_labels(project))
    for _, found in parsed:
        problems.extend(found)
    return link(project, {doc.id: body for doc, (body, _) in zip(docs, parsed, strict=True)}, problems)


def render_site_wide(site: SiteData, sink: Sink, interrupted: Callable[[], bool] | None = None,
                     env: jinja2.Environment | None = None, layer: Layer = PLAIN) -> list[str] | None:
    """Stage 4 for the site-wide files only (what the dev server deferred), one after
    another; None if `interrupted()` said stop between two."""
    written: list[str] = []
    for one in [site, *site.editions]:
        renderer = Renderer(one, env or make_environment(site.project.root))
        prefix = one.project.config.edition_path
        for make in site_files(one, renderer).site_wide:
            if interrupted is not None and interrupted():
                return None
            for rel, data in layer.site_wide_file(make, one, renderer):
                sink.write(prefix + rel, data.encode("utf-8") if isinstance(data, str) else data)
                written.append(prefix + rel)
    return written


def parse_labels(project: Project) -> dict[str, str]:
    """The interface words a body's HTML holds, in the site's language."""
    return body_labels(project.strings, str(project.config.language), BODY_LABELS)


def load_project(root: Path, problems: Problems, layer: Layer = PLAIN) -> Project:
    """Stages 1 and 2: the config, the bibliographies and every entry file, loaded,
    validated and assembled (alone, what `explainer links` needs)."""
    config = validate_config(read_config(root, problems), problems, root)  # its `problems:` apply from here
    imported = record_entries(read_bibliographies(root, config, problems), problems)
    files = walk(root, problems) or []
    loaded = layer.load_entries(root, files, dict(problems.overrides))
    project = assemble(root, config, *_loaded_entries(files, loaded, imported, problems), problems, imported)
    project.strings = read_strings(root, problems)
    return project


def _loaded_entries(files: list[tuple[str, schema.Kind]], loaded: list[tuple[Entry | None, list]],  # type: ignore[type-arg]
                    imported: list[Entry], problems: Problems) -> tuple[list[Entry], dict[str, str]]:
    """The entries that loaded, and the files that did not (path -> id), problems merged in file order."""
    companions = {f"content/{schema.KINDS[schema.BIBLIOGRAPHY_KIND].folder}/{e.slug}.md" for e in imported}
    entries: list[Entry] = []
    unreadable: dict[str, str] = {}
    for (rel, kind), (entry, found) in zip(files, loaded, strict=True):
        if rel in companions:  # a record's companion: the record gives the required keys
            found = [p for p in found if p.code != "key-missing"]
        problems.extend(found)
        if entry is not None:
            entries.append(entry)
        elif kind is not schema.HOME and id_problem(Path(rel).stem) is None:
            unreadable[rel] = Path(rel).stem
    return entries, unreadable


def _output_problem(output: Output, error: OutputError) -> tuple[str, str, int, int, str]:
    code, where, message = output.problem(error)
    return code, where, 1, 1, message


__all__ = ["Memory", "Output", "build_site", "load_project", "parse_labels", "render_site_wide"]
