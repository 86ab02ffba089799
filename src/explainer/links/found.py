"""Every external URL a site links to, with each place an author wrote it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urldefrag, urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token

from ..model import Entry, Project

FRONT_MATTER_URLS = ("url", "archive_url")
"""Front-matter keys that hold an external URL (a source's, or a bibliography record's)."""
DOI_BASE = "https://doi.org/"


@dataclass(frozen=True, order=True)
class Place:
    """Where an author wrote a URL: file, line, column, and what it is there."""

    path: str
    line: int
    column: int
    what: str
    """'url', 'archive_url', 'doi' or 'link' (in a body)."""
    entry_id: str


def external(url: str) -> bool:
    """An absolute http(s) URL with a host: something `explainer links` can ask."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def find_urls(project: Project) -> dict[str, list[Place]]:
    """URL (without its #fragment) -> every place it is written, in file order; URLs sorted."""
    found: dict[str, list[Place]] = {}

    def add(url: str, place: Place) -> None:
        url = urldefrag(url.strip())[0]  # the server never sees the fragment: one question per page
        if external(url):
            found.setdefault(url, []).append(place)

    md = MarkdownIt("commonmark", {"html": False})
    for entry in project.all_documents:
        for key in FRONT_MATTER_URLS:
            value = entry.meta.get(key)
            if isinstance(value, str):
                add(value, Place(entry.path, *entry.pos(key), key, entry.id))
        doi = entry.meta.get("doi")
        if isinstance(doi, str) and doi.strip():
            add(doi_url(doi), Place(entry.path, *entry.pos("doi"), "doi", entry.id))
        for url, line, column in body_links(md, entry):
            add(url, Place(entry.path, line, column, "link", entry.id))
    return {url: sorted(places) for url, places in sorted(found.items())}


def doi_url(doi: str) -> str:
    """A DOI as the address that resolves it (a `https://doi.org/…` value is kept as it is)."""
    doi = doi.strip()
    for prefix in ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/", "doi:"):
        if doi.lower().startswith(prefix):
            doi = doi[len(prefix):]
            break
    return DOI_BASE + doi


def body_links(md: MarkdownIt, entry: Entry) -> list[tuple[str, int, int]]:
    """(href, line, column) of every link and image in a body, as Markdown parses them."""
    if not entry.body:
        return []
    lines = entry.body.split("\n")
    out: list[tuple[str, int, int]] = []
    for block in md.parse(entry.body):
        if block.type != "inline" or not block.children:
            continue
        searched_from: dict[str, tuple[int, int]] = {}
        for token in _links(block.children):
            href = str(token.attrGet("href") or token.attrGet("src") or "")
            if not href:
                continue
            line, column = _position(lines, block, href, searched_from)
            out.append((href, entry.body_line + line, column))
    return out


def _links(tokens: list[Token]) -> list[Token]:
    found: list[Token] = []
    for token in tokens:
        if token.type in ("link_open", "image"):
            found.append(token)
        if token.children:
            found += _links(token.children)
    return found


def _position(lines: list[str], block: Token, href: str,
              after: dict[str, tuple[int, int]]) -> tuple[int, int]:
    """(line index in the body, 1-based column) of `href` in its block's source lines, searching
    past the previous occurrence of the same href (a URL linked twice in a paragraph); a
    reference-style link's address is on its definition's line, anywhere in the body. The
    address must end where it ends in Markdown (a space, `)`, `>`, a quote or the line's end),
    so `https://a/b` is not found inside `https://a/b#c`."""
    if not block.map:
        return 0, 1
    whole = re.compile(re.escape(href) + r"(?=[\s)>\"']|$)")
    start_line, start_col = after.get(href, (block.map[0], 0))
    for index in range(start_line, min(block.map[1], len(lines))):
        found = whole.search(lines[index], start_col if index == start_line else 0)
        if found:
            after[href] = (index, found.start() + 1)
            return index, found.start() + 1
    for index, line in enumerate(lines):  # `[text][ref]` … `[ref]: https://…`
        found = whole.search(line)
        if found:
            return index, found.start() + 1
    return block.map[0], 1
