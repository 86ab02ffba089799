"""Citation coverage: how many of an entry's claims carry a citation.

A claim is a paragraph or a list item's paragraph in a body (see `markup.check_structure`
for what is not a claim: headings, block quotations, footnotes, lists of links).
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import schema
from ..diagnostics import Problems
from ..model import SiteData


@dataclass(frozen=True)
class Coverage:
    path: str
    kind: str
    claims: int
    cited: int
    sources: int

    @property
    def percent(self) -> float:
        return 100.0 * self.cited / self.claims if self.claims else 100.0


def coverage_of(site: SiteData) -> list[Coverage]:
    """Coverage of every body that makes claims, weakest first (then by path).

    Sources are left out: a source's body describes the source itself.
    """
    rows = []
    for doc in site.project.all_documents:
        if schema.kind_of(doc.kind).cited:
            continue
        body = site.bodies[doc.id]
        sources = {c.id for c in body.cited} | set(doc.meta.get("sources", []))
        rows.append(Coverage(doc.path, doc.kind, body.claims_total, body.claims_cited, len(sources)))
    return sorted(rows, key=lambda r: (r.percent, r.path))


def totals(rows: list[Coverage], kinds: tuple[str, ...] | None = None) -> tuple[int, int]:
    """(claims, cited) summed over rows of the given kinds (all when None)."""
    chosen = [r for r in rows if kinds is None or r.kind in kinds]
    return sum(r.claims for r in chosen), sum(r.cited for r in chosen)


def check_coverage(site: SiteData, problems: Problems) -> None:
    """With `coverage_min` set, an entry below it is a warning (an error under --strict)."""
    minimum = site.config.coverage_min
    if not minimum:
        return
    for row in coverage_of(site):
        if row.claims and row.percent < minimum:
            problems.add("coverage-low", row.path, 1, 1,
                         f"{row.cited} of {row.claims} claims cited ({row.percent:.0f} %), "
                         f"below coverage_min {minimum} %", "cite a source after each uncited paragraph")


def coverage_report(site: SiteData) -> str:
    """The text `explainer check --report` prints."""
    rows = coverage_of(site)
    lines = ["Citation coverage (claims = paragraphs and list items; weakest first):",
             f"{'entry':<60} {'cited':>7} {'claims':>7} {'%':>5} {'sources':>8}"]
    for r in rows:
        if r.claims or r.sources:
            lines.append(f"{r.path:<60} {r.cited:>7} {r.claims:>7} {r.percent:>5.0f} {r.sources:>8}")
    for label, kinds in ((_claims_label(), _claim_kinds()), ("all entries", None)):
        claims, cited = totals(rows, kinds)
        pct = 100.0 * cited / claims if claims else 100.0
        lines.append(f"Total, {label}: {cited} of {claims} claims cited ({pct:.1f} %)")
    lines.append(f"Disputes: {len(site.disputes)}")
    return "\n".join(lines)


def site_coverage(site: SiteData) -> dict[str, object]:
    """Site-wide figures for pages (the method page, /disputes/) and data.json.

    `events_actors` is the figure that matters to a reader of the story (their bodies
    make the claims); `all` adds pages and the home page. Percentages are rounded to
    one decimal so the page and data.json say the same thing.
    """
    rows = coverage_of(site)

    def share(kinds: tuple[str, ...] | None) -> dict[str, object]:
        claims, cited = totals(rows, kinds)
        return {"claims": claims, "cited": cited,
                "percent": round(100.0 * cited / claims, 1) if claims else 100.0}

    cited_sources = {c.id for body in site.bodies.values() for c in body.cited}
    return {
        "events_actors": share(_claim_kinds()),
        "all": share(None),
        "entries": len(rows),
        "sources_cited": len(cited_sources),
        "disputes": len(site.disputes),
    }


def _claim_kinds() -> tuple[str, ...]:
    """The kinds whose bodies make the story's claims (the figure that matters to a reader)."""
    return tuple(k.name for k in schema.kinds_where("claims"))


def _claims_label() -> str:
    return " and ".join(f"{name}s" for name in reversed(_claim_kinds()))
