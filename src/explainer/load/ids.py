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


KEY_RE = re.compile(r"^[A-Za-z0-9_][\w:.#$%&+?<>~/-]*$")
"""A citation key as reference managers write them (`smithTitle2020`, `doe:2019`,
`pereira_2022`): Pandoc's rule. Only bibliography records and citations of them use it;
an entry file's id stays `ID_RE`."""


def url_slug(key: str) -> str:
    """The URL segment of a citation key: lower-cased, every character outside a-z, 0-9 and
    '-' turned into '-' (one for one, so different keys rarely meet)."""
    return re.sub(r"[^a-z0-9-]", "-", key.lower())


def key_problem(key: str) -> str | None:
    """Why a bibliography key cannot be cited or published, or None when it can."""
    if not key:
        return "record has no key"
    if len(key) > MAX_ID_LENGTH:
        return f"key '{key[:40]}…' is longer than {MAX_ID_LENGTH} characters"
    if not KEY_RE.match(key):
        return (f"key '{key}' cannot be cited: a key starts with a letter, digit or '_' and holds only "
                "letters, digits and _ : . # $ % & + ? < > ~ / -")
    if url_slug(key) in WINDOWS_RESERVED:
        return f"key '{key}' gives the page sources/{url_slug(key)}/, a reserved file name on Windows"
    return None


def fold_name(text: str) -> str:
    """A title or alias as an id would spell it: 'Mayor Anna Berg' -> 'mayor-anna-berg'."""
    return "-".join(re.findall(r"[^\W_]+", text.casefold()))
