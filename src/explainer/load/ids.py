"""The id rule: an entry's id is its file name, so it must be safe as a file name and a URL."""

from __future__ import annotations

import re

ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_ID_LENGTH = 100
WINDOWS_RESERVED = {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(10)} | {f"lpt{i}" for i in range(10)}


def id_problem(name: str) -> tuple[str, str | None] | None:
    """Why `name` is not a valid id (message, hint), or None when it is one."""
    if len(name) > MAX_ID_LENGTH:
        return f"id '{name[:40]}…' is longer than {MAX_ID_LENGTH} characters", None
    if name in WINDOWS_RESERVED:
        return f"id '{name}' is a reserved file name on Windows", f"try '{name}-1' or a longer name"
    if ID_RE.match(name):
        return None
    suggestion = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    hint = f"rename the file to '{suggestion}.md'" if suggestion and ID_RE.match(suggestion) else None
    return (
        f"'{name}' is not a valid id: use lower-case letters, digits and single hyphens (like 'vilnius-summit-2023')",
        hint,
    )
