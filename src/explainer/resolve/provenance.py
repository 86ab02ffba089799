"""Where an entry's `updated` date comes from when its front matter does not say.

Readers of a contested story want to know how fresh a page is. Authors forget to bump
`updated`, but git remembers: the date of the last commit that touched the entry's file
is a fair, deterministic stand-in (the same commit always gives the same date). Outside
a git repository, or without git, nothing is filled in and nothing fails.
"""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

from .. import schema
from ..dates import PartialDate
from ..model import Project

_MARK = "\x01"


def git_dates(root: Path, folder: str = "content") -> dict[str, str]:
    """Path (relative to `root`, '/'-separated) -> ISO date of the last commit touching it.

    One `git log` for every file, newest commit first, so the first date seen for a path
    is its last change. Empty when `root` is not in a git work tree or git is missing.
    """
    try:
        result = subprocess.run(
            ["git", "-c", "core.quotepath=off", "-C", str(root), "log", "--no-renames",
             f"--format=format:{_MARK}%cs", "--name-only", "--relative", "--", folder],
            capture_output=True, text=True, encoding="utf-8", errors="replace", timeout=60,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):
        return {}
    if result.returncode != 0:
        return {}
    dates: dict[str, str] = {}
    current = ""
    for line in result.stdout.splitlines():
        if line.startswith(_MARK):
            current = line[1:].strip()
        elif line and current:
            dates.setdefault(line, current)
    return dates


def apply_git_dates(project: Project) -> int:
    """Give every entry whose kind has an `updated` key, and which lacks one, its git date.

    Returns how many entries got a date (0 outside a repository, or with `git_dates: false`,
    which snapshot fixtures inside a repository need: their commit dates change).
    """
    if not project.config.git_dates:
        return 0
    wanting = [e for e in project.all_documents
               if "updated" not in e.meta and schema.KINDS.get(e.kind) is not None
               and schema.KINDS[e.kind].field("updated") is not None]
    if not wanting:
        return 0
    dates = git_dates(project.root)
    filled = 0
    for entry in wanting:  # new entries, not edits: a loaded entry may be reused by the next build
        found = dates.get(entry.path)
        parsed = PartialDate.parse(found) if found else None
        if parsed is not None:
            dated = replace(entry, meta={**entry.meta, "updated": parsed})
            if entry.kind == schema.HOME.name:
                project.home = dated
            else:
                project.entries[entry.id] = dated
            filled += 1
    return filled
