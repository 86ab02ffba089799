"""Builds on every core: bodies parsed, then entry pages rendered, by forked workers.

Two rounds, because a page needs the whole entry graph and the graph needs every body's
references: (1) workers parse bodies and send back the parsed `Body` (HTML and what the
rules found) with their problems; the main process builds the graph once; (2) workers,
forked after that so they inherit the finished site data, render the entry pages and
write them straight into the output's temporary folder, sending back only file names.
The main process meanwhile writes the list pages, assets and extra outputs.

The result is byte-identical to a serial build: the same functions render the same
pages, and problems are merged per entry in document order. Small sites stay serial:
starting a pool costs more than it saves below `MIN_ENTRIES`. Both rounds consult the
warm cache (`cache.WarmCache`) when one is given.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import shutil
from typing import Any, Iterable

from .diagnostics import MAX_PER_FILE, Problem, Problems
from .markup import Lookup, make_markdown
from .model import Entry, Project
from .render import Body, Renderer, SiteData, TemplateProblem, make_environment
from .writer import OutputDir, OutputError

MIN_ENTRIES = 200
"""Below this many documents a pool costs more than it saves."""
CHUNK = 64

_STATE: dict[str, Any] = {}
"""Set by the main process just before forking; the workers read their inputs from it."""


def default_jobs() -> int:
    """Cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _use_pool(jobs: int | None, count: int) -> int:
    """How many workers: `jobs` (None = every core), but none for a small site unless forced."""
    if jobs is None:
        jobs = default_jobs() if count >= MIN_ENTRIES else 1
    if jobs <= 1 or count < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return jobs


def _trim() -> None:
    """Hand freed heap pages back to the system before forking (glibc keeps them otherwise).

    A forked worker's resident set starts as its parent's: pages the parent freed but
    malloc kept (the Markdown a build dropped after parsing) would count in every process.
    """
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (AttributeError, OSError):  # pragma: no cover - not glibc
        pass


def _chunks(n: int, size: int = CHUNK) -> list[range]:
    return [range(i, min(i + size, n)) for i in range(0, n, size)]


# --- round 1: bodies ----------------------------------------------------------------------

def parse_options(project: Project, problems: Problems) -> str:
    """What besides the file and its targets changes a parse: trusted HTML, problem severities."""
    return f"trust_html={bool(project.config.trust_html)};overrides={sorted(problems.overrides.items())!r}"


def _parse(md: Any, entry: Entry, lookup: Lookup, overrides: dict[str, Any]) -> tuple[Body, list[Problem], bool]:
    """Parse one body with its own problem list; the flag says it hit the per-file limit."""
    from .build import parse_body  # build imports this module

    own = Problems(overrides)
    body = parse_body(md, entry, lookup, own)
    return body, own.items, len(own) >= MAX_PER_FILE


def _parse_chunk(indices: range) -> list[tuple[Body, list[Problem], bool]]:
    md = _STATE.get("md")
    if md is None:
        md = _STATE["md"] = make_markdown(trust_html=_STATE["trust_html"])
    out = []
    for i in indices:
        entry = _STATE["todo"][i]
        out.append(_parse(md, entry, _STATE["lookup"], _STATE["overrides"]))
    return out


def parse_bodies(project: Project, lookup: Lookup, problems: Problems, warm: Any = None,
                 jobs: int | None = 1) -> dict[str, Body]:
    """`build.parse_bodies` on every core, reusing cached bodies; same bodies, same problems."""
    from .build import parse_body

    docs = project.all_documents
    options = parse_options(project, problems)
    done: dict[str, tuple[Body, list[Problem], bool]] = {}
    cached: set[str] = set()
    todo: list[Entry] = []
    for doc in docs:
        hit = warm.get_body(doc, options, lookup) if warm is not None else None
        if hit is not None:
            done[doc.id] = (hit[0], hit[1], False)
            cached.add(doc.id)
        else:
            todo.append(doc)
    workers = _use_pool(jobs, len(todo))
    _STATE.clear()
    _STATE.update(todo=todo, lookup=lookup, overrides=dict(problems.overrides),
                  trust_html=bool(project.config.trust_html))
    try:
        if workers > 1:
            gc.freeze()  # workers inherit the heap: a collection there would touch (copy) all of it
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                parts = pool.map(_parse_chunk, _chunks(len(todo)), chunksize=1)
        else:
            parts = [_parse_chunk(range(len(todo)))]
    finally:
        _STATE.clear()
    for entry, result in zip(todo, (r for part in parts for r in part)):
        done[entry.id] = result
    bodies: dict[str, Body] = {}
    md = None
    for doc in docs:
        body, found, overflow = done[doc.id]
        if overflow:  # past the per-file limit: parse again into the build's list, as a serial build does
            md = md or make_markdown(trust_html=bool(project.config.trust_html))
            bodies[doc.id] = parse_body(md, doc, lookup, problems)
            continue
        problems.extend(found)
        if warm is not None and doc.id not in cached:
            warm.put_body(doc, options, lookup, body, found)
        bodies[doc.id] = body
    return bodies


# --- round 2: pages -------------------------------------------------------------------------

def _render_chunk(indices: range) -> tuple[list[str], list[str], int, tuple[str, str, int, str] | None]:
    """Render and write some entry pages; returns (files, cache keys used, hits, error)."""
    renderer = _STATE.get("renderer")
    if renderer is None:
        site: SiteData = _STATE["site"]
        renderer = _STATE["renderer"] = Renderer(site, make_environment(site.project.root))
    output: OutputDir = _STATE["output"]
    warm = _STATE["warm"]
    written, keys, hits = [], [], 0
    try:
        for i in indices:
            page = renderer.entry_page(_STATE["docs"][i])
            path = output.path_for(page.out)
            path.parent.mkdir(parents=True, exist_ok=True)
            key = warm.page_key(page.template, page.out, page.context) if warm is not None else None
            if key is not None:
                try:
                    shutil.copyfile(warm.page_file(key), path)
                    keys.append(key)
                    written.append(page.out)
                    hits += 1
                    continue
                except OSError:
                    pass
            data = renderer.render(page).encode("utf-8")
            with open(path, "wb") as fh:
                fh.write(data)
            if key is not None:
                warm.store_page(key, data)
                keys.append(key)
            written.append(page.out)
    except TemplateProblem as exc:
        return written, keys, hits, ("template", exc.path, exc.line, exc.message)
    except (OutputError, OSError) as exc:
        return written, keys, hits, ("output", "", 0, str(exc))
    return written, keys, hits, None


def write_site(site: SiteData, output: OutputDir, warm: Any = None, jobs: int | None = 1,
               extra: Iterable[Any] = ()) -> None:
    """Write every file of the site into `output`: what `build.iter_outputs` yields, in order."""
    from .build import EXTRA_OUTPUTS, assets

    project = site.project
    docs = ([project.home] if project.home else []) + sorted(project.entries.values(), key=lambda e: (e.kind, e.id))
    workers = _use_pool(jobs, len(docs))
    renderer = Renderer(site, make_environment(project.root))
    _STATE.clear()
    _STATE.update(site=site, docs=docs, output=output, warm=warm, renderer=renderer if workers == 1 else None)
    try:
        if workers > 1:
            _trim()
            gc.freeze()  # workers inherit the heap: a collection there would touch (copy) all of it
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                # The extra outputs (data.json, the search index: ~1 s of CPU at 4,000 entries)
                # go to the workers too, queued first: left to the main process they ran as a
                # third process on two cores and finished last.
                extras = [pool.apply_async(_extra_task, (i,)) for i in range(len(EXTRA_OUTPUTS))]
                pending = pool.map_async(_render_chunk, _chunks(len(docs)), chunksize=1)
                rest = _write_rest(site, renderer, output, (), assets)
                for task in extras:
                    names, error = task.get()
                    if error is not None:
                        pending.wait()
                        _raise(error)
                    rest.extend(names)
                parts = pending.get()
        else:
            parts = [_render_chunk(range(len(docs)))]
            rest = _write_rest(site, renderer, output, EXTRA_OUTPUTS, assets)
    finally:
        _STATE.clear()
    for written, keys, hits, error in parts:
        if error is not None:
            _raise(error)
        output.written.extend(written)
        if warm is not None:
            warm.used_pages.update(keys)
            warm.hits["pages"] += hits
    output.written.extend(rest)


def _raise(error: tuple[str, str, int, str]) -> None:
    """Raise in the main process what a worker reported."""
    kind, path, line, message = error
    if kind == "template":
        raise TemplateProblem(path, line, message)
    raise OutputError(message)


def _extra_task(index: int) -> tuple[list[str], tuple[str, str, int, str] | None]:
    """Write one of `build.EXTRA_OUTPUTS` in a worker; returns (file names, error)."""
    from .build import EXTRA_OUTPUTS

    renderer = _STATE.get("renderer")
    if renderer is None:
        site: SiteData = _STATE["site"]
        renderer = _STATE["renderer"] = Renderer(site, make_environment(site.project.root))
    names: list[str] = []
    try:
        for rel, data in EXTRA_OUTPUTS[index](_STATE["site"], renderer):
            names.append(_put(_STATE["output"], rel, data))
    except TemplateProblem as exc:
        return names, ("template", exc.path, exc.line, exc.message)
    except (OutputError, OSError) as exc:
        return names, ("output", "", 0, str(exc))
    return names, None


def _write_rest(site: SiteData, renderer: Renderer, output: OutputDir, extras: Any, assets: Any) -> list[str]:
    """List pages, assets and extra outputs (the main process's share); returns file names."""
    names = []
    for page in renderer.index_pages():
        names.append(_put(output, page.out, renderer.render(page)))
    for rel, path in assets(site.project.root):
        names.append(_put(output, rel, path.read_bytes()))
    for make in extras:
        for rel, data in make(site, renderer):
            names.append(_put(output, rel, data))
    return names


def _put(output: OutputDir, rel: str, data: str | bytes) -> str:
    """`OutputDir.write` without its bookkeeping (names are added in page order afterwards)."""
    before = len(output.written)
    output.write(rel, data)
    del output.written[before:]
    return rel
