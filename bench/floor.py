"""The bare pipeline floor: what our stack costs with nothing of ours in it.

    python bench/floor.py PROJECT OUT [--jobs 1|2]

For every `content/*/*.md` file of PROJECT: read it, split the front matter, parse it
with PyYAML's libyaml `CSafeLoader`, render the body with markdown-it-py (CommonMark +
tables + footnotes, the Markdown our parser reads, so a corpus with tables such as
`generate.py --shape varied` costs the floor the same table parsing), fill one Jinja2
template, write `OUT/<folder>/<id>/index.html`. With `--jobs 2` the files are split
between two forked processes. No graph, no citations, no back-links, no index pages: the
benchmark divides our build time by this one, so the ratio is the price of everything
the explainer adds.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import sys
import time
from pathlib import Path

import jinja2
import yaml
from markdown_it import MarkdownIt
from mdit_py_plugins.footnote import footnote_plugin

TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ title }}</title></head>
<body>
<main>
<h1>{{ title }}</h1>
{{ body }}
</main>
</body>
</html>
"""

_md: MarkdownIt | None = None
_template: jinja2.Template | None = None


def _setup() -> None:
    global _md, _template
    _md = MarkdownIt("commonmark").enable("table").use(footnote_plugin)
    _template = jinja2.Environment(autoescape=True).from_string(TEMPLATE)


PARTS = ("read and front matter", "markdown-it", "template", "writing")
"""What `render_files(parts=...)` times, in the order each file goes through them."""


def render_files(paths: list[str], out: str, parts: dict[str, float] | None = None) -> int:
    """Read, parse, render and write every file of `paths`; returns how many were written.

    `parts`: if given, the seconds each of `PARTS` took are added to it (bench/budget.py)."""
    if _md is None:
        _setup()
    assert _md is not None and _template is not None
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    clock = time.perf_counter
    spent = [0.0] * len(PARTS)
    for path in paths:
        t0 = clock()
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        _, fm, body = text.split("---\n", 2)
        meta = yaml.load(fm, Loader=loader) or {}
        t1 = clock()
        html = _md.render(body)
        t2 = clock()
        page = _template.render(title=str(meta.get("title", "")), body=jinja2.utils.markupsafe.Markup(html))
        t3 = clock()
        folder, name = os.path.split(path)
        target = os.path.join(out, os.path.basename(folder), name[:-3])
        os.makedirs(target, exist_ok=True)
        with open(os.path.join(target, "index.html"), "w", encoding="utf-8") as fh:
            fh.write(page)
        t4 = clock()
        spent[0] += t1 - t0
        spent[1] += t2 - t1
        spent[2] += t3 - t2
        spent[3] += t4 - t3
    if parts is not None:
        for name, seconds in zip(PARTS, spent, strict=True):
            parts[name] = parts.get(name, 0.0) + seconds
    return len(paths)


def entry_files(project: Path) -> list[str]:
    content = project / "content"
    return sorted(str(p) for p in content.glob("*/*.md"))


def run(project: Path, out: Path, jobs: int = 1) -> float:
    """Build the floor site of `project` into `out`; returns wall seconds."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    start = time.perf_counter()
    files = entry_files(project)
    if jobs <= 1:
        render_files(files, str(out))
    else:
        chunks = [files[i::jobs] for i in range(jobs)]
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(jobs) as pool:
            pool.starmap(render_files, [(c, str(out)) for c in chunks])
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args(argv)
    seconds = run(args.project, args.out, args.jobs)
    print(f"floor ({args.jobs} process{'es' if args.jobs > 1 else ''}): {seconds:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
