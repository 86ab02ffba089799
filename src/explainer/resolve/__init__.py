"""Stage 3, resolve: references checked, bodies parsed, the entry graph built.

`lookup` is what a body may link to or cite; `parse_body` turns one body into HTML and
records what it found (references, citations, disputes, claims) and its problems;
`link` builds the graph from every body's references and runs the site-wide checks.
"""

from __future__ import annotations

from typing import Any

from .. import schema
from ..diagnostics import Problem, Problems
from ..inputs import reads
from ..model import Body, Entry, Lookup, Project, SiteData
from .coverage import check_coverage
from .graph import build_graph, build_lookup, check_front_matter_refs, check_graph
from .markup import PageEnv, make_markdown, render_body
from .provenance import apply_git_dates


def root_for(entry: Entry) -> str:
    """Relative prefix from an entry's page to the site root."""
    return "../" * entry.url_path.count("/")


@reads("path", "kind", "body", "body_line", "url_path")
def parse_body(md: Any, entry: Entry, lookup: Lookup, overrides: dict[str, Any]) -> tuple[Body, list[Problem]]:
    """One body rendered, with every problem it has (no per-file limit: the build applies it).

    Reads of `entry` only the fields declared above, of `lookup` what the cache records
    (`cache.layer`), and `md`'s one option (trusted HTML) and `overrides` whole."""
    problems = Problems(overrides, limit=None)
    env = PageEnv(
        path=entry.path, body_line=entry.body_line, lines=entry.body.split("\n"), lookup=lookup,
        problems=problems, root=root_for(entry), check_claims=(schema.KINDS.get(entry.kind) or schema.HOME).claims,
    )
    html = render_body(md, env, entry.body)
    body = Body(Body.pack(html), list(env.cited.values()), env.disputes, env.claims.total, env.claims.cited, env.refs)
    return body, problems.items


def link(project: Project, bodies: dict[str, Body], problems: Problems) -> SiteData:
    """The graph from front matter and bodies, its checks, the disputes and coverage."""
    graph = build_graph(project, {k: b.refs for k, b in bodies.items()})
    check_graph(project, graph, problems)
    site = SiteData(project, bodies, graph)
    site.disputes = [(doc, d) for doc in project.all_documents for d in bodies[doc.id].disputes]
    check_coverage(site, problems)
    return site


__all__ = ["apply_git_dates", "build_lookup", "check_front_matter_refs", "link", "make_markdown", "parse_body",
           "root_for"]
