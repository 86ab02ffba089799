"""The entry graph: who references whom, from front matter and from bodies.

Built once per build, after every body is parsed (body references are only known then),
and handed to every template so each page can show its back-links.
"""

from __future__ import annotations

from .. import schema
from ..dates import display_range
from ..diagnostics import Problems, did_you_mean
from ..load.ids import ID_RE, fold_name
from ..model import Entry, Graph, Lookup, Project, Target


def build_lookup(project: Project) -> Lookup:
    """Targets by id and by file path, for the Markdown rules (dates and kinds in the site's language)."""
    lang = str(project.config.language)
    by_id = {e.id: Target(e.id, e.kind, e.title, e.url_path, str(e.meta.get("summary", "")),
                          display_range(e.date, e.meta.get("end_date"), e.approximate, lang) if e.date else "",
                          project.strings.text(lang, f"kind_{e.kind}_word", e.kind))
             for e in project.entries.values()}
    by_path = {e.path: e.id for e in project.entries.values() if e.path.endswith(".md")}  # not a bibliography
    names: dict[str, str] = {}
    for entry_id in sorted(project.entries):  # a name two entries share suggests the first id
        entry = project.entries[entry_id]
        aliases = entry.meta.get("aliases") or []
        for name in [entry.title, *(a for a in aliases if isinstance(a, str))]:
            folded = fold_name(name)
            if folded:
                names.setdefault(folded, entry_id)
    return Lookup(by_id, by_path, dict(project.unreadable), names)



def front_matter_refs(entry: Entry) -> list[tuple[str, str, tuple[int, int]]]:
    """(target id, field name, position) for every reference field of an entry."""
    kind = schema.KINDS.get(entry.kind)
    if kind is None:
        return []
    refs = []
    for f in kind.fields:
        if f.type == schema.REF and f.name in entry.meta:
            refs.append((entry.meta[f.name], f.name, entry.pos(f.name)))
        elif f.type == schema.REF_LIST:
            for i, target in enumerate(entry.meta.get(f.name, [])):
                refs.append((target, f.name, entry.pos(f.name, i)))
    return refs


def check_front_matter_refs(project: Project, problems: Problems) -> None:
    """Every id in a reference field exists and is of a kind the field accepts."""
    for entry in project.entries.values():
        kind = schema.KINDS[entry.kind]
        for target_id, name, (line, col) in front_matter_refs(entry):
            target = project.entries.get(target_id)
            wanted = kind.field(name).targets  # type: ignore[union-attr]
            if target is None and target_id in project.unreadable.values():
                continue
            if target is None:
                candidates = [e.id for e in project.entries.values() if e.kind in wanted]
                named = _named(project, fold_name(target_id), wanted)
                hint = (f"did you mean '{named}'?" if named else did_you_mean(target_id, candidates)
                        or new_entry_hint(target_id, wanted))
                problems.add("ref-unknown", entry.path, line, col,
                             f"unknown {' or '.join(wanted)} '{target_id}' in '{name}'", hint)
            elif target.kind not in wanted:
                problems.add("ref-wrong-kind", entry.path, line, col,
                             f"'{target_id}' in '{name}' is {schema.kind_of(target.kind).what}, but '{name}' lists "
                             f"{' or '.join(w + 's' for w in wanted)}")
            elif target_id == entry.id:
                problems.add("ref-wrong-kind", entry.path, line, col, f"'{name}' names the entry itself")


def _named(project: Project, folded: str, wanted: tuple[str, ...]) -> str | None:
    """The id of the entry of a wanted kind whose id, title or alias folds to `folded`."""
    for entry_id in sorted(project.entries):
        entry = project.entries[entry_id]
        if entry.kind in wanted and folded in (entry_id, fold_name(entry.title),
                                               *(fold_name(a) for a in entry.meta.get("aliases") or []
                                                 if isinstance(a, str))):
            return entry_id
    return None


def new_entry_hint(target_id: str, wanted: tuple[str, ...] | list[str]) -> str | None:
    """'to add it: explainer new source ID' when one kind is wanted and the id is a valid entry id."""
    if len(wanted) != 1 or not ID_RE.match(target_id):
        return None
    return f"to add it: explainer new {wanted[0]} {target_id}"


def build_graph(project: Project, body_refs: dict[str, list[tuple[str, str]]]) -> Graph:
    """Combine front-matter references with those found while parsing bodies."""
    graph = Graph()
    for entry in project.entries.values():
        for target_id, name, _ in front_matter_refs(entry):
            if target_id in project.entries:
                graph.add(entry.id, target_id, name)
    for source_id, refs in body_refs.items():
        for target_id, how in refs:
            if target_id in project.entries:
                graph.add(source_id, target_id, how)
    return graph


def check_graph(project: Project, graph: Graph, problems: Problems) -> None:
    """Warnings about the graph: sources nobody cites, unsourced events, orphans, unarchived URLs."""
    cited_ways = {"citation", "sources"}
    in_nav = set(project.config.nav)
    for entry in sorted(project.entries.values(), key=lambda e: e.path):
        kind = schema.kind_of(entry.kind)
        if kind.cited:
            if not graph.referrers(entry.id, cited_ways):
                line, col = (1, 1) if entry.path.endswith(".md") else entry.doc.pos()  # a record: its line
                problems.add("source-uncited", entry.path, line, col,
                             f"{kind.name} '{entry.id}' is not cited by any entry",
                             "cite it with [@" + entry.id + "] or remove it")
            if "url" in entry.meta and "accessed" not in entry.meta and "archive_url" not in entry.meta:
                line, col = entry.doc.key("url")
                problems.add("source-unarchived", entry.path, line, col,
                             f"{kind.name} has a url but neither 'accessed' nor 'archive_url'",
                             "add accessed: YYYY-MM-DD (when you read it) or an archive_url")
        elif kind.dated:
            if not graph.targets(entry.id, cited_ways):
                problems.add("event-unsourced", entry.path, 1, 1, f"{kind.name} '{entry.id}' has no source",
                             "list its sources in 'sources:' or cite them in the text")
        in_menu = kind.in_menu and ("nav" in entry.meta or entry.id in in_nav)
        if not kind.cited and not in_menu and not graph.referrers(entry.id):
            problems.add("entry-orphan", entry.path, 1, 1,
                         f"nothing links to {kind.what} '{entry.id}'",
                         f"link to it with [[{entry.id}]] from a related entry")
