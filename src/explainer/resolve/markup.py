"""Markdown for explainers: cross-links, citations and disputes as markdown-it-py rules.

The rules produce tokens (never regex edits of the text), so code spans, code blocks,
link texts and backslash escapes behave as any CommonMark reader expects. Everything a
rule learns about the page (references, citations, disputes, claims) goes into the
`PageEnv` kept in markdown-it's `env`, and every problem carries its file position.
"""

from __future__ import annotations

import posixpath
import re
from bisect import bisect_right
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from difflib import get_close_matches
from html import escape
from typing import Any
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.footnote import footnote_plugin

from .. import schema
from ..diagnostics import Problems, did_you_mean
from ..load.ids import ID_RE, KEY_RE, fold_name
from ..model import Cited, Claims, Dispute, Lookup, Target, fill


def preview_attrs(target: Target) -> dict[str, str]:
    """data-* attributes the reader's script shows as a preview of the linked entry."""
    attrs = {"data-kind": target.kind_word or target.kind, "data-title": target.title}
    if target.summary:
        attrs["data-summary"] = target.summary
    if target.date:
        attrs["data-date"] = target.date
    return attrs


@dataclass
class PageEnv:
    """What rendering one body learns and needs; lives in markdown-it's `env`."""

    path: str
    body_line: int
    lines: list[str]
    lookup: Lookup
    problems: Problems
    root: str = ""
    check_claims: bool = False
    refs: list[tuple[str, str]] = field(default_factory=list)
    """(target id, how) for every cross-link, citation and .md link, in order."""
    cited: dict[str, Cited] = field(default_factory=dict)
    disputes: list[Dispute] = field(default_factory=list)
    claims: Claims = field(default_factory=Claims)
    current_map: list[int] | None = None
    current_src: str = ""
    _starts_of: str | None = field(default=None, repr=False)
    _starts: list[int] = field(default_factory=list, repr=False)
    _found: dict[int, int] = field(default_factory=dict, repr=False)

    def position(self, offset: int) -> tuple[int, int]:
        """File (line, column) of an offset into the inline text being parsed."""
        src, block = self.current_src, self.current_map
        if self._starts_of is not src:  # line starts, computed once per inline block
            self._starts_of = src
            self._starts = [0] + [i + 1 for i, ch in enumerate(src) if ch == "\n"]
            self._found = {}
        k = bisect_right(self._starts, offset) - 1
        line_start = self._starts[k]
        col_in_line = offset - line_start
        if block is None:
            return self.body_line, col_in_line + 1
        index = block[0] + k
        raw = self.lines[index] if 0 <= index < len(self.lines) else ""
        if k not in self._found:  # where the block's k-th line starts in the raw source line
            content_line = src[line_start:].split("\n", 1)[0]
            self._found[k] = max(raw.find(content_line), 0) if content_line else 0
        return self.body_line + index, self._found[k] + col_in_line + 1

    def line_of(self, block_line: int) -> int:
        return self.body_line + block_line


def _env(state_env: Any) -> PageEnv:
    env: PageEnv = state_env["explainer"]
    return env


# --- cross-links: [[id]] and [[id|text]] -------------------------------------------------

_XREF = re.compile(r"\[\[([^\[\]|\n]*)(?:\|([^\[\]\n]*))?\]\]")


def xref_rule(state: StateInline, silent: bool) -> bool:
    """`[[id]]` links to the entry with its title; `[[id|text]]` sets the text."""
    if not state.src.startswith("[[", state.pos) or state.linkLevel > 0:
        return False
    m = _XREF.match(state.src, state.pos)
    if not m:
        if not silent:
            _unclosed(state, "[[", "]]", "cross-link")
        return False
    if not silent:
        env = _env(state.env)
        target_id = m.group(1).strip()
        text = (m.group(2) or "").strip()
        target = env.lookup.by_id.get(target_id)
        if target is None:
            line, col = env.position(state.pos)
            _unknown(env, target_id, line, col, "cross-link")
            token = state.push("xref_broken", "span", 0)
            token.content = text or target_id
        else:
            env.refs.append((target.id, "link"))
            token = state.push("link_open", "a", 1)
            token.attrs = {"href": env.root + target.url_path, "class": f"xref xref-{target.kind}",
                           **preview_attrs(target)}
            token.meta = {"xref": target.id}
            inner = state.push("text", "", 0)
            inner.content = text or target.title
            state.push("link_close", "a", -1)
    state.pos = m.end()
    return True


_WORD = re.compile(r"[^\s\[\]|;,]*")


def _unclosed(state: StateInline, opener: str, closer: str, what: str) -> None:
    """A `[[` or `[@` with no closing bracket on its line would show literally: say where it starts."""
    line_end = state.src.find("\n", state.pos)
    rest = state.src[state.pos + len(opener):line_end if line_end >= 0 else len(state.src)]
    if closer in rest:
        return  # closed, but not as a cross-link or citation (`[[a [b] c]]`): CommonMark's to read
    env = _env(state.env)
    line, col = env.position(state.pos)
    word = _WORD.match(rest)
    shown = opener + (word.group(0) if word else "")
    index = line - env.body_line
    raw = env.lines[index] if 0 <= index < len(env.lines) else ""
    if closer in raw[col - 1 + len(opener):] and raw.lstrip().startswith("|"):
        # closed on its line, but the `|` of `[[id|text]]` ended the table cell before it
        env.problems.add("markup-unclosed", env.path, line, col, f"the {what} '{shown}' is cut by the table's '|'",
                         f"in a table cell write '\\|' for the '|' inside it: {shown}\\|text{closer}")
        return
    env.problems.add("markup-unclosed", env.path, line, col, f"the {what} '{shown}' is never closed",
                     f"end it with '{closer}' on the same line; to show '{opener}' as text, write '\\{opener}'")


def _unknown(env: PageEnv, target_id: str, line: int, col: int, what: str) -> None:
    if target_id in env.lookup.unreadable.values():
        return
    wrote, folded = ("[[", "]]") if what == "cross-link" else ("[@", "]"), fold_name(target_id)
    named = folded if folded != target_id and folded in env.lookup.by_id else env.lookup.names.get(folded)
    if named is not None and named != target_id and (
            what == "cross-link" or schema.kind_of(env.lookup.by_id[named].kind).cited):
        env.problems.add("ref-unknown", env.path, line, col,
                         f"'{target_id}' in a {what} is a name of '{named}', not its id",
                         f"did you mean {wrote[0]}{named}{wrote[1]}?")
        return
    if not ID_RE.match(target_id) and not KEY_RE.match(target_id):
        env.problems.add("ref-unknown", env.path, line, col, f"'{target_id}' in a {what} is not a valid id",
                         "ids are lower-case words joined by hyphens")
        return
    if what == "citation":  # close keys of every source, imported or not, whatever their case
        hint = _close_key(target_id, [t.id for t in env.lookup.by_id.values() if t.kind == schema.BIBLIOGRAPHY_KIND])
        if hint is None and ID_RE.match(target_id):
            hint = f"to add it: explainer new {schema.BIBLIOGRAPHY_KIND} {target_id}"
    else:
        hint = did_you_mean(target_id, env.lookup.by_id)
    env.problems.add("ref-unknown", env.path, line, col, f"unknown id '{target_id}' in a {what}", hint)


def _close_key(key: str, keys: list[str]) -> str | None:
    """'did you mean …?' for a citation key: compared in lower case (`SmithTitle2020` finds `smithTitle2020`)."""
    lower: dict[str, str] = {}
    for k in sorted(keys):
        lower.setdefault(k.lower(), k)
    found = get_close_matches(key.lower(), list(lower), n=1, cutoff=0.6)
    return f"did you mean '{lower[found[0]]}'?" if found else None


# --- citations: [@id], [@id, locator], [@a; @b, p. 3] --------------------------------------

_CITE_ITEM = re.compile(r"^\s*@([A-Za-z0-9_][\w:.#$%&+?<>~/-]*)\s*(?:,\s*(.*?))?\s*$", re.S)
"""One item of a citation: `@key` (an entry id, or a bibliography key as `load.ids.KEY_RE`
allows), then an optional locator after a comma."""


_LABEL_HARD = re.compile(r"[\[`\\<]")
"""What can hide or nest a `]` in a label (brackets, code spans, escapes, autolinks and HTML).
Without one of these, the first `]` closes the citation, as markdown-it's `parseLinkLabel`
(which runs every inline rule over the label, a tenth of a body's parse) would find."""


def citation_rule(state: StateInline, silent: bool) -> bool:
    """Pandoc-style citations; each item becomes a numbered marker linking to the Sources list."""
    if not state.src.startswith("[@", state.pos) or state.linkLevel > 0:
        return False
    end = state.src.find("]", state.pos + 2)
    if end >= 0 and _LABEL_HARD.search(state.src, state.pos + 1, end):
        end = state.md.helpers.parseLinkLabel(state, state.pos, False)
    if end < 0:
        if not silent:
            _unclosed(state, "[@", "]", "citation")
        return False
    inner = state.src[state.pos + 1:end]
    if silent:
        state.pos = end + 1
        return True
    env = _env(state.env)
    items: list[tuple[str, str]] = []
    offset = state.pos + 1
    for part in inner.split(";"):
        m = _CITE_ITEM.match(part)
        start = offset + len(part) - len(part.lstrip())
        offset += len(part) + 1
        target = env.lookup.by_id.get(m.group(1)) if m else None
        if target is not None and schema.kind_of(target.kind).cited:
            items.append((target.id, " ".join((m.group(2) or "").split())))  # type: ignore[union-attr]
            continue
        line, col = env.position(start)  # positions cost a scan of the text: only for problems
        named = env.lookup.names.get(fold_name(part.strip().lstrip("@"))) if not m else None
        if named is not None and schema.kind_of(env.lookup.by_id[named].kind).cited:
            env.problems.add("ref-unknown", env.path, line, col,
                             f"'{part.strip().lstrip('@')}' in a citation is a name of '{named}', not its id",
                             f"did you mean [@{named}]?")
            continue
        if not m:
            env.problems.add("citation-malformed", env.path, line, col,
                             f"'[{inner}]' is not a citation",
                             "write [@source-id], [@source-id, p. 3] or [@a; @b]; "
                             "to show '[@' literally, write '\\[@'")
            continue
        cid = m.group(1)
        if target is None:
            _unknown(env, cid, line, col, "citation")
        else:
            env.problems.add("ref-wrong-kind", env.path, line, col,
                             f"'{cid}' is {schema.kind_of(target.kind).what}, not "
                             f"{' or '.join(k.what for k in schema.kinds_where('cited'))}: citations name "
                             f"{' or '.join(k.folder for k in schema.kinds_where('cited'))}",
                             f"to link to it, write [[{cid}]]")
    token = state.push("citation", "sup", 0)
    token.meta = {"items": items}
    for cid, _ in items:
        env.refs.append((cid, "citation"))
    state.pos = end + 1
    return True


def number_citations(state: Any) -> None:
    """Core rule: number cited sources by first appearance and give each marker an anchor."""
    env = _env(state.env)
    locators_seen: dict[str, set[str]] = {}  # a list lookup per marker is quadratic on big pages
    for token in _walk_inline(state.tokens):
        if token.type != "citation":
            continue
        anchors = []
        for cid, locator in token.meta["items"]:
            cited = env.cited.get(cid)
            if cited is None:
                cited = env.cited[cid] = Cited(cid, len(env.cited) + 1)
            anchor = f"cite-{cited.number}-{len(cited.anchors) + 1}"
            cited.anchors.append(anchor)
            seen = locators_seen.get(cid)
            if seen is None:
                seen = locators_seen[cid] = set(cited.locators)
            if locator and locator not in seen:
                seen.add(locator)
                cited.locators.append(locator)
            anchors.append((cited.number, anchor, locator))
        token.meta["markers"] = anchors


def render_citation(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    markers = tokens[idx].meta.get("markers") or []
    if not markers:
        return ""
    links = []
    words = _labels(options)
    for number, anchor, locator in markers:
        label = fill(words["source_marker"], {"number": str(number)}) + (f", {locator}" if locator else "")
        links.append(
            f'<a href="#source-{number}" id="{anchor}" role="doc-noteref" '
            f'aria-label="{escape(label)}">{number}</a>'
        )
    return '<sup class="cite">[' + ", ".join(links) + "]</sup>"


def render_xref_broken(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    return f'<span class="xref-broken">{escape(tokens[idx].content)}</span>'


# --- plain Markdown links to entry files: [NATO](../actors/nato.md#x) ------------------------

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def resolve_md_links(state: Any) -> None:
    """Core rule: a link to another entry's `.md` file goes to that entry's page."""
    env = _env(state.env)
    base = posixpath.dirname(env.path)
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        for token in block.children:
            if token.type != "link_open" or "xref" in (token.meta or {}):
                continue
            href = str(token.attrGet("href") or "")
            path, _, fragment = href.partition("#")
            if not path.endswith(".md") or _SCHEME.match(path) or path.startswith("//"):
                continue
            target_path = posixpath.normpath(posixpath.join(base, unquote(path)))
            target_id = env.lookup.by_path.get(target_path)
            if target_id is None:
                if target_path in env.lookup.unreadable:
                    continue
                line, col = _find_pos(env, block, href)
                env.problems.add("link-unknown-file", env.path, line, col,
                                 f"link to '{href}', which is not an entry file",
                                 did_you_mean(target_path, env.lookup.by_path) and
                                 f"did you mean '{posixpath.relpath(_closest(target_path, env), base)}'?")
                continue
            target = env.lookup.by_id[target_id]
            env.refs.append((target_id, "link"))
            token.attrSet("href", env.root + target.url_path + (f"#{fragment}" if fragment else ""))
            token.attrSet("class", f"xref xref-{target.kind}")
            for name, value in preview_attrs(target).items():
                token.attrSet(name, value)
            token.meta = {**(token.meta or {}), "xref": target_id}


def _closest(path: str, env: PageEnv) -> str:
    return get_close_matches(path, list(env.lookup.by_path), n=1, cutoff=0.6)[0]


def _find_pos(env: PageEnv, block: Token, needle: str) -> tuple[int, int]:
    """File (line, column) of `needle` in a block's source lines (its first line when absent)."""
    if not block.map:
        return env.body_line, 1
    for index in range(block.map[0], min(block.map[1], len(env.lines))):
        found = env.lines[index].find(needle)
        if found >= 0:
            return env.line_of(index), found + 1
    return env.line_of(block.map[0]), 1


# --- inline parsing that knows where it is -------------------------------------------------

def positioned_inline(state: Any) -> None:
    """Core rule replacing markdown-it's `inline`: records each block's map for the rules."""
    env = _env(state.env)
    for token in state.tokens:
        if token.type == "inline":
            env.current_map = token.map
            env.current_src = token.content
            if token.children is None:
                token.children = []
            state.md.inline.parse(token.content, state.md, state.env, token.children)
    env.current_map = None


def _walk_inline(tokens: list[Token]) -> Iterator[Token]:
    for token in tokens:
        if token.type == "inline" and token.children:
            yield from token.children
        else:
            yield token


# --- disputes and claims --------------------------------------------------------------------

def _dispute_validate(params: str, *args: Any) -> bool:
    return params.strip() == "dispute" or params.strip().startswith("dispute ")


def _slug(text: str) -> str:
    """An anchor from a heading or a question: ASCII letters and digits, and Japanese,
    Chinese and Korean characters as they are (a question in Japanese keeps its words)."""
    return _NOT_IN_SLUG.sub("-", text.lower()).strip("-")[:60] or "section"


_NOT_IN_SLUG = re.compile("[^a-z0-9\u3005\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]+")


_CONTAINERS = ("blockquote_open", "bullet_list_open", "ordered_list_open", "list_item_open", "footnote_open")


def check_nesting(state: Any) -> None:
    """Core rule: markdown-it silently drops what nests past `maxNesting`; say so instead."""
    env = _env(state.env)
    limit = state.md.options.maxNesting
    for token in state.tokens:
        if token.level >= limit - 1 and (token.type in _CONTAINERS
                                         or (token.type.startswith("container_") and token.nesting == 1)):
            line = env.line_of(token.map[0]) if token.map else env.body_line
            env.problems.add("markdown-too-deep", env.path, line, 1,
                             "lists or block quotes nest too deeply here: the parser stops at "
                             f"{limit} levels (a list counts two) and the deeper text would be lost",
                             "flatten the nesting")
            return


def check_structure(state: Any) -> None:
    """Core rule: validate disputes and count claims (paragraphs and list items) with citations."""
    env = _env(state.env)
    tokens: list[Token] = state.tokens
    depth = {"blockquote": 0, "footnote": 0, "container_dispute": 0}
    used_anchors: set[str] = set()
    for i, token in enumerate(tokens):
        kind = token.type.rsplit("_", 1)[0]
        if kind in depth and token.type.endswith(("_open", "_close")):
            depth[kind] += 1 if token.type.endswith("_open") else -1
            if token.type == "container_dispute_open":
                _check_dispute(env, tokens, i, used_anchors)
        elif (token.type == "inline" and i > 0 and tokens[i - 1].type == "paragraph_open"
              and not depth["blockquote"] and not depth["footnote"]):
            if _is_link_list_item(tokens, i):
                continue
            cited = any(c.type == "citation" and c.meta.get("items") for c in token.children or [])
            env.claims.total += 1
            env.claims.cited += cited
            if not cited and env.check_claims and token.map and not depth["container_dispute"]:
                env.problems.add("uncited-paragraph", env.path, env.line_of(token.map[0]), 1,
                                 "paragraph has no citation",
                                 "add [@source-id] after the claim it supports")


def _is_link_list_item(tokens: list[Token], i: int) -> bool:
    """A list item that is only links (a 'see also' list) is navigation, not a claim."""
    if i < 2 or tokens[i - 2].type != "list_item_open":
        return False
    children = tokens[i].children or []
    depth = 0
    has_link = False
    for c in children:
        if c.type == "link_open":
            depth += 1
            has_link = True
        elif c.type == "link_close":
            depth -= 1
        elif depth == 0 and c.type == "text" and c.content.strip(" ,;·–-"):
            return False
        elif depth == 0 and c.type not in ("text", "softbreak"):
            return False
    return has_link


def _check_dispute(env: PageEnv, tokens: list[Token], start: int, used: set[str]) -> None:
    open_token = tokens[start]
    question = open_token.info.strip()[len("dispute"):].strip()
    line = env.line_of(open_token.map[0]) if open_token.map else env.body_line
    closing = open_token.map[1] if open_token.map else None
    # the closing line may sit inside a block quote ("> :::") or a list item (indented)
    if closing is None or closing >= len(env.lines) or not env.lines[closing].lstrip(" \t>").startswith(":::"):
        env.problems.add("dispute-unclosed", env.path, line, 1, "dispute block is never closed",
                         "add a line with ':::' after its last position")
    if not question:
        env.problems.add("dispute-malformed", env.path, line, 1, "dispute has no question",
                         "write it after the marker: '::: dispute How big was the office?'")
    level = open_token.level
    positions: list[str] = []
    j = start + 1
    while j < len(tokens) and not (tokens[j].type == "container_dispute_close" and tokens[j].level == level):
        t = tokens[j]
        if t.type == "list_item_open" and t.level == level + 2:
            k = j + 1
            cited = False
            text_parts: list[str] = []
            while not (tokens[k].type == "list_item_close" and tokens[k].level == t.level):
                if tokens[k].type == "inline":
                    # the one-line summary is the position's own text, not its nested lists'
                    own = tokens[k].level == t.level + 2
                    for c in tokens[k].children or []:
                        if c.type == "citation" and c.meta.get("items"):
                            cited = True
                        elif not own:
                            continue
                        elif c.type in ("text", "code_inline"):
                            text_parts.append(c.content)
                        elif c.type == "softbreak":
                            text_parts.append(" ")
                    if own:
                        text_parts.append(" ")
                k += 1
            if not cited:
                pl = env.line_of(t.map[0]) if t.map else line
                env.problems.add("dispute-malformed", env.path, pl, 1, "dispute position has no citation",
                                 "each position needs at least one [@source-id]")
            positions.append(" ".join("".join(text_parts).split()))
            j = k
        j += 1
    if len(positions) < 2:
        env.problems.add("dispute-malformed", env.path, line, 1,
                         f"dispute has {len(positions)} position{'s' if len(positions) != 1 else ''}; "
                         "it needs at least two",
                         "write each position as a '- ' list item inside the block")
    anchor = base = "dispute-" + _slug(question)
    n = 2
    while anchor in used:
        anchor, n = f"{base}-{n}", n + 1
    used.add(anchor)
    open_token.meta = {"anchor": anchor, "question": question}
    env.disputes.append(Dispute(anchor, question, positions, line))


def render_dispute(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    if token.nesting == -1:
        return "</aside>\n"
    anchor = token.meta.get("anchor", "dispute")
    question = escape(token.meta.get("question", ""))
    return (
        f'<aside class="dispute" id="{anchor}" aria-labelledby="{anchor}-q">\n'
        f'<p class="dispute-question" id="{anchor}-q"><strong>{escape(_labels(options)["dispute_label"])}</strong>'
        f' {question}</p>\n'
    )


# --- footnotes: the author's asides, lettered so they never look like source numbers --------

def letters(n: int) -> str:
    """Labels for notes and back-links: a, b, … z, aa, ab (never digits, which mean sources)."""
    s = ""
    while n > 0:
        n, r = divmod(n - 1, 26)
        s = chr(97 + r) + s
    return s


def _fn_render(kind: str) -> Callable[..., str]:
    def render(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
        meta = tokens[idx].meta or {}
        n = meta.get("id", 0) + 1
        sub = meta.get("subId", 0)
        letter = letters(n)
        words = _labels(options)
        if kind == "ref":
            ref_id = f"note-ref-{n}" + (f"-{sub}" if sub else "")
            return (f'<sup class="note-ref"><a href="#note-{n}" id="{ref_id}" role="doc-noteref" '
                    f'aria-label="{escape(fill(words["note_marker"], {"letter": letter}))}">{letter}</a></sup>')
        if kind == "block_open":
            return ('<section class="notes" role="doc-endnotes" aria-labelledby="notes-heading">\n'
                    f'<h2 id="notes-heading">{escape(words["notes_heading"])}</h2>\n<ol class="notes-list" type="a">\n')
        if kind == "block_close":
            return "</ol>\n</section>\n"
        if kind == "open":
            return f'<li id="note-{n}">'
        if kind == "anchor":
            ref_id = f"note-ref-{n}" + (f"-{sub}" if sub else "")
            return (f' <a href="#{ref_id}" class="backlink" role="doc-backlink" '
                    f'aria-label="{escape(fill(words["note_back"], {"letter": letter}))}">\u21a9\ufe0e</a>')
        raise AssertionError(kind)  # pragma: no cover

    return render


# --- the parser ----------------------------------------------------------------------------

_BAD_SCHEMES = ("javascript:", "vbscript:", "data:", "file:")


def safe_link(url: str) -> bool:
    """Drop script-capable schemes however they are spelled (case, spaces, control chars)."""
    compact = "".join(ch for ch in url if ch > " " and ch not in "\x7f").lower()
    return not compact.startswith(_BAD_SCHEMES)


BODY_LABELS = ("source_marker", "dispute_label", "note_marker", "notes_heading", "note_back")
"""The interface messages a body's HTML holds (its markers' labels, a dispute's label, the
notes' heading), written when the body is parsed."""

ENGLISH_LABELS = {"source_marker": "Source {number}", "dispute_label": "Sources disagree:",
                  "note_marker": "Note {letter}", "notes_heading": "Notes",
                  "note_back": "Back to note {letter} in the text"}
"""`BODY_LABELS` in English: the theme's table says the same (a test checks)."""


def _labels(options: Any) -> Mapping[str, str]:
    return options.get("explainer_labels") or ENGLISH_LABELS


def make_markdown(trust_html: bool = False, labels: Mapping[str, str] | None = None) -> MarkdownIt:
    """A parser with CommonMark, tables, footnotes, heading anchors and the explainer rules;
    `labels`: the `BODY_LABELS` messages in the site's language (default: English)."""
    md = MarkdownIt("commonmark", {"html": trust_html})
    if labels is not None:
        md.options["explainer_labels"] = dict(labels)
    md.enable("table")
    md.validateLink = safe_link  # type: ignore[method-assign]
    md.use(footnote_plugin)
    md.use(anchors_plugin, min_level=2, max_level=3, slug_func=_slug)
    md.use(container_plugin, name="dispute", validate=_dispute_validate, render=render_dispute)
    md.inline.ruler.before("link", "xref", xref_rule)
    md.inline.ruler.before("link", "citation", citation_rule)
    md.core.ruler.at("inline", positioned_inline)
    md.core.ruler.after("inline", "resolve_md_links", resolve_md_links)
    md.core.ruler.push("number_citations", number_citations)
    md.core.ruler.push("check_structure", check_structure)
    md.core.ruler.push("check_nesting", check_nesting)
    md.add_render_rule("citation", render_citation)
    md.add_render_rule("xref_broken", render_xref_broken)
    for kind in ("ref", "block_open", "block_close", "open", "anchor"):
        md.add_render_rule(f"footnote_{kind}", _fn_render(kind))
    return md


def render_body(md: MarkdownIt, env: PageEnv, body: str) -> str:
    """Render one body; `env` collects its references, citations, disputes and claims."""
    html: str = md.render(body, {"explainer": env})
    return html
