"""The pipeline, top to bottom: load → validate → parse bodies → graph → render → write.

Every stage records problems instead of raising, so one run reports all of them; the
site is written only when no stage found an error (or, with --strict, a warning).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from .coverage import check_coverage
from .diagnostics import Problems
from .graph import build_graph, build_lookup, check_front_matter_refs, check_graph
from .loader import load_project
from .markup import Lookup, PageEnv, make_markdown, render_body
from .model import Entry, Project
from .provenance import apply_git_dates
from .render import DEFAULT_LAYOUTS, Body, Renderer, SiteData, TemplateProblem, make_environment
from .diagnostics import UsageError
from .loader import project_reads
from .writer import BuildLocked, OutputDir, OutputError, check_output_folder

Output = tuple[str, "str | bytes"]
#: Extra outputs (feeds, sitemap, exports): functions of the finished site data.
EXTRA_OUTPUTS: list[Callable[[SiteData, Renderer], Iterable[Output]]] = []

from .outputs import OUTPUTS as _PUBLISHED  # noqa: E402  sitemap, robots.txt, feed, data.json, bibliography

EXTRA_OUTPUTS.extend(_PUBLISHED)

from .search import search_index_output  # noqa: E402  search/index.json for the /search/ page

EXTRA_OUTPUTS.append(search_index_output)


@dataclass
class BuildResult:
    problems: Problems
    site: SiteData | None = None
    written: list[str] = field(default_factory=list)
    out: Path | None = None
    unchanged: bool = False
    """Nothing the build reads or wrote changed since the last cached build: nothing was
    done (and `site` is None; see `cache.unchanged`)."""

    @property
    def ok(self) -> bool:
        return self.site is not None or self.unchanged


def root_for(entry: Entry) -> str:
    """Relative prefix from an entry's page to the site root."""
    return "../" * entry.url_path.count("/")


def parse_bodies(project: Project, lookup: Lookup, problems: Problems, warm: Any = None,
                 jobs: int | None = 1) -> dict[str, Body]:
    """Render every body once; each records its references, citations, disputes and claims.

    With a warm cache (`cache.WarmCache`) or more than one job, `parallel.parse_bodies`
    does the same on every core, reusing unchanged bodies.
    """
    if warm is not None or jobs != 1:
        from .parallel import parse_bodies as on_every_core

        return on_every_core(project, lookup, problems, warm, jobs)
    md = make_markdown(trust_html=bool(project.config.trust_html))
    bodies: dict[str, Body] = {}
    for entry in project.all_documents:
        bodies[entry.id] = parse_body(md, entry, lookup, problems)
    return bodies


def parse_body(md, entry: Entry, lookup: Lookup, problems: Problems) -> Body:  # type: ignore[no-untyped-def]
    env = PageEnv(
        path=entry.path, body_line=entry.body_line, lines=entry.body.split("\n"), lookup=lookup,
        problems=problems, root=root_for(entry), check_claims=entry.kind in ("actor", "event"),
    )
    html = render_body(md, env, entry.body)
    return Body(Body.pack(html), list(env.cited.values()), env.disputes, env.claims.total, env.claims.cited, env.refs)


def analyse(root: Path, problems: Problems, cache: Any = None, warm: Any = None,
            jobs: int | None = 1) -> SiteData:
    """Everything `check` does: load, validate, parse and link; problems go to `problems`.

    `cache` (the dev server's `incremental.Engine`) may stand in for the costly
    stages, loading files, parsing bodies and the graph, reusing what did not change; every other
    stage runs here for both, so `serve` and `build` cannot drift apart.
    """
    project = load_project(root, problems) if cache is None else cache.load_project(root, problems)
    apply_git_dates(project)  # `updated` from the last commit where front matter has none
    check_front_matter_refs(project, problems)
    lookup = build_lookup(project)
    bodies = (parse_bodies(project, lookup, problems, warm, jobs) if cache is None
              else cache.parse_bodies(project, lookup, problems))
    graph = (build_graph if cache is None else cache.build_graph)(project, {k: b.refs for k, b in bodies.items()})
    check_graph(project, graph, problems)
    site = SiteData(project, bodies, graph)
    site.disputes = [(doc, d) for doc in project.all_documents for d in bodies[doc.id].disputes]
    check_coverage(site, problems)
    return site


def iter_outputs(site: SiteData) -> Iterator[Output]:
    """Every file of the site: pages, assets, then extra machine-readable outputs."""
    renderer = Renderer(site, make_environment(site.project.root))
    for page in renderer.pages():
        yield page.out, renderer.render(page)
    for rel, path in assets(site.project.root):
        yield rel, path.read_bytes()
    for make in EXTRA_OUTPUTS:
        yield from make(site, renderer)


def assets(root: Path) -> list[tuple[str, Path]]:
    """Files of `layouts/assets/`: the project's override the package's of the same name."""
    found: dict[str, Path] = {}
    for base in (DEFAULT_LAYOUTS / "assets", root / "layouts" / "assets"):
        if base.is_dir():
            for path in sorted(base.rglob("*")):
                if path.is_file() and not path.name.startswith("."):
                    found["assets/" + path.relative_to(base).as_posix()] = path
    return sorted(found.items())


def build(root: Path, out: Path | None = None, strict: bool = False, jobs: int | None = None,
          use_cache: bool = False, base_url: str | None = None) -> BuildResult:
    """Build the site into `out` (default `root/site`), atomically; never half-writes.

    `jobs`: worker processes (None: every core for sites of 200 entries or more, see
    `parallel`); `use_cache`: reuse and refresh `.explainer-cache/` (see `cache`);
    `base_url`: publish address overriding config.yaml's (CI knows it, the file may not).
    Raises `UsageError` (before reading or writing anything) when `out` is a folder a
    build must not replace (`writer.check_output_folder`). A symlinked `out` is
    followed: the real folder is replaced and the link kept.
    """
    from .cache import WarmCache
    from .parallel import write_site

    from . import cache

    problems = Problems()
    target = out if out is not None else root / "site"
    refused = check_output_folder(root, target, project_reads(root), shown=str(target))
    if refused is not None:
        raise UsageError(refused)
    state = cache.input_state(root, target, base_url) if use_cache else None
    record = cache.unchanged(root, target, state) if state is not None else None
    if record is not None:  # the site on disk is what this build would write, byte for byte
        if record["problems"].has_errors(strict):
            return BuildResult(record["problems"])
        return BuildResult(record["problems"], written=list(record["written"]), out=target, unchanged=True)
    warm = WarmCache(root) if use_cache else None
    site = analyse(root, problems, warm=warm, jobs=jobs)
    for doc in site.project.all_documents:  # parsed: nothing reads the Markdown again (10,000 entries: 44 MB)
        doc.body = ""
    if base_url:  # only absolute URLs use it; bodies link relatively, so nothing parsed changes
        site.project.config.values["base_url"] = base_url if base_url.endswith("/") else base_url + "/"
    result = BuildResult(problems)
    if problems.has_errors(strict):
        return result
    try:
        output = OutputDir(target)
    except OutputError as exc:
        code = "build-locked" if isinstance(exc, BuildLocked) else "output-error"
        problems.add(code, _shown(target, root), 1, 1, str(exc))
        return result
    try:
        write_site(site, output, warm, jobs)
        output.commit()
    except TemplateProblem as exc:
        output.abort()
        problems.add("template-error", exc.path, exc.line, 1, exc.message)
        return result
    except OutputError as exc:
        output.abort()
        problems.add("output-error", _shown(target, root), 1, 1, str(exc))
        return result
    except BaseException:
        output.abort()
        raise
    if warm is not None:
        warm.save()
        if state is not None:
            cache.record_build(root, target, state, output.written, problems)
    result.site, result.written, result.out = site, output.written, target
    return result


def check(root: Path) -> tuple[Problems, SiteData]:
    """Validate everything a build would, and render every page in memory; write nothing."""
    problems = Problems()
    site = analyse(root, problems)
    if not problems.errors:
        try:
            for _ in iter_outputs(site):
                pass
        except TemplateProblem as exc:
            problems.add("template-error", exc.path, exc.line, 1, exc.message)
    return problems, site


def _shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix() or "."
    except ValueError:
        return str(path)
