"""`explainer links`: the stages run in order for the command line.

Load the project (front matter and bibliographies, no bodies rendered), find every
external URL, take fresh answers from `.explainer-cache/links.json` and ask the rest,
report each broken, permanently moved or unreachable link at every place it is written,
then (with `--archive`) look up archived copies and (with `--write`) record what was
found in the sources' front matter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .. import schema
from ..dates import PartialDate
from ..diagnostics import Problems
from ..model import Entry, Project
from .archive import Report, find_snapshots, save
from .check import Settings, check_urls, settings
from .edit import EditRefused, set_keys
from .found import Place, find_urls
from .results import Result, now_utc, read_results, write_results

SOURCE = schema.KINDS[schema.BIBLIOGRAPHY_KIND]


@dataclass
class Outcome:
    """What a run found, for the command's summary and for tests."""

    problems: Problems
    results: dict[str, Result] = field(default_factory=dict)
    asked: int = 0
    """URLs asked over the network in this run (the rest came from the cache)."""
    archive: list[str] = field(default_factory=list)
    """Lines saying what the archive step found and did."""
    written: list[str] = field(default_factory=list)
    """Files `--write` changed."""


def run(root: Path, project: Project, problems: Problems, *, archive: bool = False, write: bool = False,
        capture: bool = False, recheck: bool = False,
        say: Callable[[str], None] = lambda _: None) -> Outcome:
    """Check every external link of `project`; problems go to `problems` (its severities from config)."""
    s = settings(project.config)
    places = find_urls(project)
    recorded = read_results(root)
    now = now_utc()
    todo = [url for url in places
            if recheck or url not in recorded or not recorded[url].fresh(now, s.recheck_after_days)]
    if todo:
        say(f"Asking {len(todo)} of {len(places)} links ({len(places) - len(todo)} answered within "
            f"{s.recheck_after_days} days are taken from .explainer-cache/links.json)…")
    asked = check_urls(todo, s) if todo else {}
    results = {url: asked.get(url) or recorded[url] for url in places}
    write_results(root, results)
    outcome = Outcome(problems, results, len(todo))
    for url, at in places.items():
        for place in at:
            report(problems, url, place, results[url], project.entries.get(place.entry_id))
    if archive:
        find_archives(root, project, s, outcome, write, capture)
    if write:
        record_status(root, project, outcome)
    return outcome


def report(problems: Problems, url: str, place: Place, result: Result, entry: Entry | None) -> None:
    """One place's problem for the URL's result (nothing for a link that answers)."""
    at = (place.path, place.line, place.column)
    when = f"(checked {result.day})"
    if result.outcome == "broken":
        copy = entry.meta.get("archive_url") if entry is not None and place.what == "url" else None
        message = f"link-broken: {url} {result.reason} {when}"
        if result.final:
            message += f" after redirecting to {result.final}"
        if copy:
            marked = entry is not None and entry.meta.get("url_status") == "dead"
            problems.add("link-broken", *at, f"{message}; an archived copy exists: {copy}",
                         "readers are sent to the copy" if marked else
                         "run 'explainer links --write' to link readers to the copy first")
        elif place.what == "url" and entry is not None and entry.kind == SOURCE.name:
            problems.add("link-broken", *at, message, "run 'explainer links --archive' to look for an archived copy")
        else:
            problems.add("link-broken", *at, message, "fix the address or link an archived copy")
    elif result.outcome == "redirected":
        problems.add("link-redirected", *at, f"link-redirected: {url} {result.reason} to {result.final} {when}",
                     "link the new address")
    elif result.outcome == "unreachable":
        problems.add("link-unreachable", *at, f"link-unreachable: {url} could not be checked: {result.reason} {when}",
                     "not marked broken; open it in a browser, or run again later")


def _stamp(entry: Entry) -> str:
    """The day to look for a snapshot near: the source's `accessed`, else its `date` (YYYYMMDD, or '')."""
    for key in ("accessed", "date"):
        value = entry.meta.get(key)
        if isinstance(value, PartialDate):
            return value.iso.replace("-", "")
    return ""


def _markdown(entry: Entry) -> bool:
    return entry.path.endswith(".md") and entry.csl is None


def find_archives(root: Path, project: Project, s: Settings, outcome: Outcome, write: bool, capture: bool) -> None:
    """Ask the archive for every source with a url and no archive_url; with `write`, record each found copy."""
    sources = [e for e in project.of_kind(SOURCE.name) if e.meta.get("url") and not e.meta.get("archive_url")]
    sources.sort(key=lambda e: e.path)
    wanted = sorted({(str(e.meta["url"]), _stamp(e)) for e in sources})
    found = dict(zip(wanted, find_snapshots(wanted, s) if wanted else [], strict=True))
    missing: list[str] = []
    for entry in sources:
        url = str(entry.meta["url"])
        lookup = found[(url, _stamp(entry))]
        line = f"{entry.path}:{entry.pos('url')[0]}:{entry.pos('url')[1]}: {url}"
        if lookup.error:
            outcome.archive.append(f"{line}: not looked up: {lookup.error}")
        elif lookup.snapshot is None:
            outcome.archive.append(f"{line}: no archived copy")
            missing.append(url)
        else:
            snap = lookup.snapshot
            outcome.archive.append(f"{line}: archived copy of {snap.date}: {snap.url}")
            if write:
                _write(root, entry, {"archive_url": snap.url, "archive_date": snap.date}, (), outcome)
    if capture and missing:
        done = Report()
        save(sorted(set(missing)), s, done)
        outcome.archive += [f"{url}: {what}" for url, what in done.lines]


def record_status(root: Path, project: Project, outcome: Outcome) -> None:
    """`url_status: dead` (and `url_checked`) on every Markdown source whose url is broken; back to
    `live` on one marked dead whose url answers again. Unreachable links are never marked."""
    for entry in sorted(project.of_kind(SOURCE.name), key=lambda e: e.path):
        url = entry.meta.get("url")
        result = outcome.results.get(str(url)) if url else None
        if result is None:
            continue
        if result.outcome == "broken":
            status = "dead"
        elif result.outcome in ("ok", "redirected") and entry.meta.get("url_status") == "dead":
            status = "live"
        else:
            continue
        checked = entry.meta.get("url_checked")
        if entry.meta.get("url_status") == status and isinstance(checked, PartialDate) and checked.iso == result.day:
            continue
        _write(root, entry, {"url_status": status, "url_checked": result.day}, ("url_status", "url_checked"), outcome)


def _write(root: Path, entry: Entry, values: dict[str, str], replace: tuple[str, ...], outcome: Outcome) -> None:
    shown = ", ".join(f"{k}: {v}" for k, v in values.items())
    if not _markdown(entry):
        outcome.archive.append(f"{entry.path}: record '{entry.id}': add {shown} to it yourself "
                               "(explainer writes only Markdown front matter)")
        return
    try:
        changed = set_keys(root / entry.path, values, replace)
    except (EditRefused, OSError) as exc:
        outcome.archive.append(f"{entry.path}: not written: {exc}")
        return
    if changed:
        outcome.written.append(entry.path)
        outcome.archive.append(f"{entry.path}: wrote {shown}")
