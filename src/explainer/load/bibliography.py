"""Stage 1, load: the bibliography files config.yaml names, read into `Record`s.

Researchers keep their sources in a reference manager and export them as BibTeX/BibLaTeX
(`.bib`) or CSL-JSON (`.json`). This module only reads and parses them, keeping where
every record and field sits so that each problem is `file:line:col`; what a record means
as a source is the validate stage's business (`validate.bibliography`).

* BibTeX is parsed by `bibtexparser` 2 (a well-kept parser that recovers after a broken
  record and says where each record and field starts), names split into parts by its
  middlewares, and LaTeX (accents, braces, dashes) decoded to Unicode by `pylatexenc`.
* CSL-JSON is parsed by the standard library's JSON scanner, value by value, so that
  each record's and each field's position is known (`json.loads` forgets them).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import sys
from pathlib import Path
from typing import Any

from ..diagnostics import Problems
from ..model import Config, Record
from .files import CONFIG_FILE, decode_text

MAX_BIBLIOGRAPHY_BYTES = 50_000_000
"""A whole reference-manager library is a few MB; past this a file is refused."""

FORMATS = {".bib": "bibtex", ".json": "csl-json"}

VERBATIM_FIELDS = frozenset({"url", "doi", "eprint", "file", "urlraw", "isbn", "issn"})
"""BibTeX fields that are not LaTeX text: decoding them would eat their underscores and percent signs."""

NAME_FIELDS = ("author", "editor")

logging.getLogger("bibtexparser").addHandler(logging.NullHandler())
logging.getLogger("bibtexparser").propagate = False  # its warnings become our positioned problems


def configured_paths(config: Config) -> list[tuple[str, tuple[int, int]]]:
    """(path, position in config.yaml) of every bibliography file the config names."""
    doc = config.doc
    return [(item, doc.pos("bibliography", i) if doc else (1, 1)) for i, item in enumerate(config.bibliography)]


def read_bibliographies(root: Path, config: Config, problems: Problems) -> list[Record]:
    """Every record of every configured file, in file order; problems recorded, never raised."""
    records: list[Record] = []
    seen: set[str] = set()
    for rel, (line, col) in configured_paths(config):
        text = _read(root, rel, line, col, problems)
        if text is None or rel in seen:
            continue
        seen.add(rel)
        fmt = FORMATS[Path(rel).suffix.lower()]
        records += read_bibtex(rel, text, problems) if fmt == "bibtex" else read_csl_json(rel, text, problems)
    return records


def _read(root: Path, rel: str, line: int, col: int, problems: Problems) -> str | None:
    """A bibliography file's text, if the path is a readable UTF-8 file inside the project."""
    suffix = Path(rel).suffix.lower()
    if suffix not in FORMATS:
        problems.add("bibliography-file", CONFIG_FILE, line, col,
                     f"bibliography '{rel}' is neither BibTeX (.bib) nor CSL-JSON (.json)",
                     "export the library from your reference manager as .bib or CSL JSON")
        return None
    path = root / rel
    try:
        inside = Path(rel).is_absolute() is False and path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):
        inside = False
    if not inside:
        problems.add("bibliography-file", CONFIG_FILE, line, col,
                     f"bibliography '{rel}' is outside the project", "copy the file into the project folder")
        return None
    if not path.is_file():
        problems.add("bibliography-file", CONFIG_FILE, line, col, f"bibliography '{rel}' does not exist",
                     "paths are relative to the folder holding config.yaml")
        return None
    try:
        size = path.stat().st_size
        if size > MAX_BIBLIOGRAPHY_BYTES:
            problems.add("bibliography-file", CONFIG_FILE, line, col,
                         f"bibliography '{rel}' is {size / 1_000_000:.0f} MB; the limit is "
                         f"{MAX_BIBLIOGRAPHY_BYTES // 1_000_000} MB", "export only the collection this site cites")
            return None
        data = path.read_bytes()
    except OSError as exc:
        problems.add("bibliography-file", CONFIG_FILE, line, col,
                     f"cannot read bibliography '{rel}': {exc.strerror or exc}")
        return None
    return decode_text(data, rel, problems, "export the bibliography as UTF-8")


# --- BibTeX ---------------------------------------------------------------------------------

def read_bibtex(rel: str, text: str, problems: Problems) -> list[Record]:
    """The records of a .bib file; a broken record is an error at its first line."""
    import bibtexparser
    from bibtexparser import middlewares as mw
    from bibtexparser import model as bm

    library = bibtexparser.parse_string(  # type: ignore[attr-defined]
        text, append_middleware=[mw.SeparateCoAuthors(), mw.SplitNameParts()])
    lines = text.split("\n")
    records: list[Record] = []
    for block in library.blocks:
        line = (block.start_line or 0) + 1
        col = _column(lines, line, block.raw)
        if isinstance(block, bm.DuplicateBlockKeyBlock):
            first = (block.previous_block.start_line or 0) + 1
            problems.add("bibliography-syntax", rel, line, col,
                         f"key '{block.key}' is already used by the record at line {first}",
                         "keys are unique: rename one of them")
        elif isinstance(block, bm.DuplicateFieldKeyBlock):
            entry = block.ignore_error_block
            assert isinstance(entry, bm.Entry)
            dupes = sorted({f.key.lower() for f in entry.fields if sum(g.key.lower() == f.key.lower()
                                                                        for g in entry.fields) > 1})
            problems.add("bibliography-syntax", rel, line, col,
                         f"record '{entry.key}' has the field '{dupes[0]}' twice", "keep one of them")
        elif isinstance(block, bm.MiddlewareErrorBlock):
            entry = block.ignore_error_block
            problems.add("bibliography-syntax", rel, line, col,
                         f"record '{getattr(entry, 'key', '?')}' has a name list that cannot be read: "
                         f"{_plain_message(str(block.error))}",
                         "write names as 'Family, Given and Family, Given'")
        elif isinstance(block, bm.ParsingFailedBlock):
            reason = getattr(block.error, "abort_reason", "") or str(block.error)
            kind = (block.raw or "@").split("{", 1)[0].strip().lower() or "@"
            problems.add("bibliography-syntax", rel, line, col,
                         f"BibTeX syntax error in this {kind} record: {_plain_message(reason)}",
                         "check its braces, quotes and the commas between fields")
        elif isinstance(block, bm.Entry):
            records.append(_bibtex_record(rel, block, lines, line, col))
    return records


def _bibtex_record(rel: str, entry: Any, lines: list[str], line: int, col: int) -> Record:
    fields: dict[str, Any] = {}
    positions: dict[str, tuple[int, int]] = {}
    for f in entry.fields:
        name = f.key.strip().lower()
        fline = (f.start_line if f.start_line is not None else line - 1) + 1
        positions[name] = (fline, _field_column(lines, fline, f.key))
        if name in NAME_FIELDS and isinstance(f.value, list):
            fields[name] = [_name(parts) for parts in f.value]
        elif isinstance(f.value, str):
            fields[name] = " ".join(f.value.split()) if name in VERBATIM_FIELDS else latex_text(f.value)
    raw = entry.raw or ""
    return Record(key=str(entry.key).strip(), path=rel, line=line, column=col, format="bibtex",
                  type=str(entry.entry_type).lower(), fields=fields, positions=positions,
                  digest=hashlib.sha256(raw.encode("utf-8")).hexdigest())


_LATEX: Any = None


def latex_text(value: str) -> str:
    """LaTeX as readers see it: accents and escapes decoded, braces dropped, whitespace folded."""
    global _LATEX
    if not any(c in value for c in "\\{}~$%&-`'"):
        return " ".join(value.split())
    if _LATEX is None:
        from pylatexenc.latex2text import LatexNodes2Text

        _LATEX = LatexNodes2Text(keep_braced_groups=False, math_mode="text", strict_latex_spaces=False)
    try:
        decoded = _LATEX.latex_to_text(value)
    except Exception:  # pylatexenc gives up on some broken markup: show the text as written
        decoded = value.replace("{", "").replace("}", "")
    return " ".join(decoded.split())


def _name(parts: Any) -> dict[str, str]:
    """One name from bibtexparser's parts: a braced whole (`{World Health Organization}`) stays
    one literal name; otherwise family (with its von part), given and suffix."""
    first, von, last, jr = parts.first, parts.von, parts.last, parts.jr
    if not first and not von and not jr and len(last) == 1 and last[0].startswith("{") and last[0].endswith("}"):
        return {"literal": latex_text(last[0])}
    name: dict[str, str] = {}
    family = latex_text(" ".join(von + last))
    if family:
        name["family"] = family
    given = latex_text(" ".join(first))
    if given:
        name["given"] = given
    suffix = latex_text(" ".join(jr))
    if suffix:
        name["suffix"] = suffix
    return name


def _column(lines: list[str], line: int, raw: str | None) -> int:
    """Column of a block's first character on its line."""
    if not raw or not 0 < line <= len(lines):
        return 1
    head = raw.split("\n", 1)[0]
    found = lines[line - 1].find(head)
    return found + 1 if found >= 0 else 1


def _field_column(lines: list[str], line: int, key: str) -> int:
    if not 0 < line <= len(lines):
        return 1
    m = re.search(r"(?<![\w-])" + re.escape(key.strip()) + r"\s*=", lines[line - 1])
    if m:
        return m.start() + 1
    text = lines[line - 1]
    return len(text) - len(text.lstrip()) + 1


def _plain_message(text: str) -> str:
    """bibtexparser's reason, in our style: quotes instead of backticks, no trailing space."""
    text = " ".join(text.replace("`", "'").split()).rstrip(".")
    text = re.sub(r"\.\s+([A-Z])", lambda m: "; " + m.group(1).lower(), text)
    return text[:1].lower() + text[1:]


# --- CSL-JSON -------------------------------------------------------------------------------

class _Positions:
    """Line and column of an offset into a text (line starts computed once)."""

    def __init__(self, text: str) -> None:
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def __call__(self, offset: int) -> tuple[int, int]:
        from bisect import bisect_right

        k = bisect_right(self.starts, offset) - 1
        return k + 1, offset - self.starts[k] + 1


_WS = re.compile(r"[ \t\n\r]*")


class BadNumber:
    """A JSON number no CSL variable can hold, kept in its place so that the record's field
    is reported at its position (`_bad_numbers`): NaN and Infinity (not JSON at all: no
    output could carry them), a number too large for a float, more digits than Python reads."""

    def __init__(self, text: str, why: str) -> None:
        self.text, self.why = text, why


def _int(text: str) -> int | BadNumber:
    try:
        return int(text)
    except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits, 4300)
        return BadNumber(text, f"a number may have at most {sys.get_int_max_str_digits()} digits, "
                               f"not {len(text.lstrip('-'))}")


def _float(text: str) -> float | BadNumber:
    number = float(text)
    if math.isfinite(number):
        return number
    return BadNumber(text, f"the number {text[:40]}{'…' if len(text) > 40 else ''} is too large")


def _constant(text: str) -> BadNumber:
    return BadNumber(text, f"{text} is not a JSON value (JSON has no NaN or Infinity)")


def csl_decoder() -> json.JSONDecoder:
    """A JSON decoder that never raises on a number: bad ones become `BadNumber`s."""
    return json.JSONDecoder(parse_int=_int, parse_float=_float, parse_constant=_constant)


def _bad_numbers(value: Any) -> BadNumber | None:
    """The first `BadNumber` inside a decoded value, if any."""
    if isinstance(value, BadNumber):
        return value
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        for item in value:
            found = _bad_numbers(item)
            if found is not None:
                return found
    return None


def read_csl_json(rel: str, text: str, problems: Problems) -> list[Record]:
    """The records of a CSL-JSON file (an array of items); each with its own and its fields' positions.

    A field holding NaN, Infinity, a number too large for a float or one of more digits
    than Python reads is an error at the field, and the field is left out."""
    where = _Positions(text)
    decoder = csl_decoder()
    try:
        decoder.decode(text)
    except json.JSONDecodeError as exc:
        problems.add("bibliography-syntax", rel, exc.lineno, exc.colno, f"JSON syntax error: {exc.msg}",
                     "export the library again as CSL JSON")
        return []
    except RecursionError:
        problems.add("bibliography-syntax", rel, 1, 1, "JSON nests too deeply to be a bibliography")
        return []
    pos = _WS.match(text, 0).end()  # type: ignore[union-attr]
    if not text.startswith("[", pos):
        line, col = where(pos)
        problems.add("bibliography-syntax", rel, line, col,
                     "a CSL-JSON bibliography is a list of records ('[' … ']')",
                     "export the library again as CSL JSON")
        return []
    records: list[Record] = []
    pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
    index = 0
    while not text.startswith("]", pos):
        start = pos
        item, end = decoder.raw_decode(text, pos)
        line, col = where(start)
        if isinstance(item, dict):
            positions = _object_keys(text, start, decoder, where)
            for name in list(item):
                bad = _bad_numbers(item[name])
                if bad is not None:
                    fline, fcol = positions.get(str(name), (line, col))
                    problems.add("bibliography-record", rel, fline, fcol, f"'{name}': {bad.why}",
                                 "write it as text, in quotes, or remove it")
                    del item[name]
            records.append(_csl_record(rel, item, line, col, positions, text[start:end], problems))
        else:
            problems.add("bibliography-record", rel, line, col,
                         f"record {index + 1} is not a mapping of CSL variables", None)
        index += 1
        pos = _WS.match(text, end).end()  # type: ignore[union-attr]
        if text.startswith(",", pos):
            pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
    return records


def _object_keys(text: str, start: int, decoder: json.JSONDecoder, where: _Positions) -> dict[str, tuple[int, int]]:
    """Position of each key of the JSON object starting at `start` (top level only)."""
    positions: dict[str, tuple[int, int]] = {}
    pos = _WS.match(text, start + 1).end()  # type: ignore[union-attr]
    while text.startswith('"', pos):
        key, after = decoder.raw_decode(text, pos)
        positions.setdefault(str(key), where(pos))
        pos = _WS.match(text, after).end() + 1  # type: ignore[union-attr]  # past ':'
        _, end = decoder.raw_decode(text, _WS.match(text, pos).end())  # type: ignore[union-attr]
        pos = _WS.match(text, end).end()  # type: ignore[union-attr]
        if text.startswith(",", pos):
            pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
    return positions


def _csl_record(rel: str, item: dict[str, Any], line: int, col: int, positions: dict[str, tuple[int, int]],
                raw: str, problems: Problems) -> Record:
    key = item.get("id")
    key_text = str(key) if isinstance(key, (str, int)) and not isinstance(key, bool) else ""
    return Record(key=key_text.strip(), path=rel, line=line, column=col, format="csl-json",
                  type=str(item.get("type") or ""), fields=dict(item), positions=positions,
                  digest=hashlib.sha256(raw.encode("utf-8")).hexdigest())
