"""Load YAML safely and keep where every key and value came from.

Why not `yaml.safe_load`: it forgets positions (we need `line:col` for every message),
it turns `NO` into False and `2023-07-11` into a `date`, and it expands aliases without
bound. Here YAML is composed into nodes (which carry marks), resolved with the YAML 1.2
core schema (only `true`/`false` are booleans, nothing becomes a date), and converted to
plain Python values with a budget on alias expansion and nesting.
"""

from __future__ import annotations

import math
import re
import sys
from typing import Any

import yaml

from ..model import Path_, YamlDoc

_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_NODES = 20_000
"""How many nodes one document may expand to (an alias bomb expands to millions)."""

MAX_DEPTH = 40
"""How deeply collections may nest; front matter needs two or three levels."""

_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_NULL = "tag:yaml.org,2002:null"


FORBIDDEN_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef"
                             + "".join(f"{chr(p * 0x10000 + 0xFFFE)}{chr(p * 0x10000 + 0xFFFF)}" for p in range(17))
                             + "]")
"""Characters no text on a page may hold: C0 controls but tab, line feed and carriage
return; DEL and the C1 controls; surrogates; Unicode noncharacters. YAML refuses them
written out, but a double-quoted escape ("\\u0000", "\\x1b", "\\e") still makes them,
and HTML parsers treat each as an error (NUL even ends strings in some tools)."""

_FORBIDDEN_BMP = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")
"""`FORBIDDEN_CHARS` below U+10000. The 32 noncharacters above it make the whole class
~15 times slower to scan (0.65 s for 4,000 bodies, a third of loading them)."""


def find_forbidden(text: str) -> re.Match[str] | None:
    """`FORBIDDEN_CHARS.search(text)`, by the short class when no character is above U+FFFF."""
    if text.isascii() or max(text) <= "\uffff":
        return _FORBIDDEN_BMP.search(text)
    return FORBIDDEN_CHARS.search(text)


def replace_forbidden(text: str, by: str = "\ufffd") -> str:
    """`FORBIDDEN_CHARS.sub(by, text)`, as fast as `find_forbidden` when none is there."""
    return text if find_forbidden(text) is None else FORBIDDEN_CHARS.sub(by, text)


def forbidden_char_message(char: str) -> str:
    """The message for a character of `FORBIDDEN_CHARS`, naming its code point."""
    code = ord(char)
    what = ("noncharacter" if code >= 0xFDD0 else "surrogate" if 0xD800 <= code <= 0xDFFF
            else "control character")
    return f"text may not contain the {what} U+{code:04X}"


class _CoreSchemaLoader(_Loader):  # type: ignore[misc]
    """A safe loader whose implicit types are YAML 1.2's core schema only."""


_CoreSchemaLoader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in [
    (_BOOL, r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    (_INT, r"^[-+]?[0-9]+$", list("-+0123456789")),
    (_FLOAT, r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$", list("-+.0123456789")),
    (_NULL, r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
]:
    _CoreSchemaLoader.add_implicit_resolver(_tag, re.compile(_pattern), _first)


class YamlError(Exception):
    """Bad or refused YAML, with a 1-based position relative to the YAML text."""

    def __init__(self, message: str, line: int, column: int, code: str = "yaml-syntax",
                 hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.code = code
        self.hint = hint


_KEY_LINE = re.compile(r"^(\s*)(?:-\s+)?([^\s:#'\"][^:#]*?):(?:\s+|$)")


def _quoted(key: str, value: str) -> str:
    if '"' not in value:
        return f'{key}: "{value}"'
    if "'" not in value:
        return f"{key}: '{value}'"
    return f"{key}: \"{value.replace(chr(34), chr(92) + chr(34))}\""


def _translate(exc: yaml.MarkedYAMLError, text: str) -> tuple[str, str, int, int] | None:
    """PyYAML's words for a newcomer's usual mistakes turned into what to do: (message, hint, line, col), 0-based.

    A tab, an unquoted ': ' inside a value, a key indented unlike the keys above it, a
    quote never closed, text after a closing quote, a list item under a key that already
    has a value. None for anything else (PyYAML's own words are kept).
    """
    mark, context = exc.problem_mark, exc.context_mark
    if mark is None:
        return None
    lines = text.split("\n")
    line = lines[mark.line] if mark.line < len(lines) else ""
    problem = exc.problem or ""
    if "tab" in problem or (mark.column < len(line) and line[mark.column] == "\t"):
        col = line.index("\t") if "\t" in line else mark.column
        return ("a tab in the indentation: YAML indents with spaces only", "replace the tab with spaces",
                mark.line, col)
    if "while scanning a quoted scalar" in (exc.context or "") and context is not None:
        opened = lines[context.line][context.column] if context.column < len(lines[context.line]) else '"'
        return ("this quoted value is never closed", f"end it with {opened} on the same line",
                context.line, context.column)
    key_line = _KEY_LINE.match(line)
    if problem.startswith("mapping values are not allowed") and key_line:
        key = key_line.group(2).strip()
        first_colon = key_line.end(2)
        if mark.column > first_colon:  # a second ': ' on the line: inside the value
            value = line[key_line.end():].split(" #")[0].strip()
            return (f"the value of '{key}' holds ': ', which YAML reads as the start of a new key",
                    f"quote the value: {_quoted(key, value)}", mark.line, mark.column)
        return (f"'{key}' is indented differently from the keys above it",
                "align it with the keys above it, with the same number of spaces", mark.line,
                len(key_line.group(1)))
    before = line[:mark.column].rstrip()
    if problem.startswith("did not find expected key") and before[-1:] in ('"', "'") and before.count(before[-1]) >= 2:
        return ("text after the closing quote", "put the whole value inside the quotes", mark.line, mark.column)
    if problem.startswith("did not find expected key") and line.lstrip().startswith("- "):
        above_line = next((m for m in (_KEY_LINE.match(lines[i]) for i in range(mark.line - 1, -1, -1)) if m), None)
        above = above_line.group(2).strip() if above_line else None
        if above_line and not above_line.string[above_line.end():].split("#")[0].strip():
            return ("this list item is indented differently from the items above it",
                    "align its '-' with theirs", mark.line, mark.column)
        if above:
            return (f"a list item under '{above}', which already has a value",
                    f"write nothing after '{above}:' and each item on its own '- ' line, "
                    f"or write the list as {above}: [a, b]", mark.line, mark.column)
        return ("a list item where a key was expected", "front matter is a list of 'key: value' lines",
                mark.line, mark.column)
    if problem.startswith(("did not find expected key", "did not find expected '-' indicator")):
        indent = len(line) - len(line.lstrip(" "))
        what = f"'{key_line.group(2).strip()}'" if key_line else "this line"
        return (f"{what} is indented differently from the keys above it",
                "align it with the keys above it, with the same number of spaces", mark.line, indent)
    return None




def _flow_depth_ok(text: str) -> bool:
    """Cheap guard before parsing: libyaml's composer recurses per nesting level."""
    depth = deepest = 0
    for ch in text:
        if ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth = max(depth - 1, 0)
    return deepest <= MAX_DEPTH


def load_yaml(text: str, line_offset: int = 0) -> YamlDoc:
    """Parse one YAML document into a `YamlDoc`; positions are 1-based, shifted by `line_offset`.

    Raises `YamlError` for syntax errors and for refused constructs (tags, alias bombs,
    deep nesting, non-string keys).
    """
    if "\x00" in text:
        idx = text.index("\x00")
        line = text.count("\n", 0, idx)
        col = idx - (text.rfind("\n", 0, idx) + 1)
        raise YamlError("YAML may not contain a NUL character", line + 1 + line_offset, col + 1)
    if not _flow_depth_ok(text):
        raise YamlError(f"YAML nests deeper than {MAX_DEPTH} levels", 1 + line_offset, 1, "yaml-unsafe")
    try:
        node = yaml.compose(text, Loader=_CoreSchemaLoader)
    except yaml.MarkedYAMLError as exc:
        translated = _translate(exc, text)
        if translated is not None:
            message, hint, line, col = translated
            raise YamlError(message, line + 1 + line_offset, col + 1, hint=hint) from None
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = exc.problem or str(exc)
        if exc.context and "while" not in (exc.context or ""):
            message = f"{exc.context}: {message}"
        raise YamlError(f"invalid YAML: {message}", line + line_offset, col) from None
    except yaml.reader.ReaderError as exc:  # a control character: one line, at its own position
        at = exc.position  # libyaml counts UTF-8 bytes, PyYAML characters
        if _Loader is not yaml.SafeLoader:
            at = len(text.encode("utf-8")[:at].decode("utf-8", "ignore"))
        at = min(max(at, 0), len(text))
        line = text.count("\n", 0, at) + 1
        col = at - (text.rfind("\n", 0, at) + 1) + 1
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        raise YamlError(f"YAML may not contain the control character U+{ord(char):04X}",
                        line + line_offset, col) from None
    except yaml.YAMLError as exc:
        message = " ".join(str(exc).split())
        raise YamlError(f"invalid YAML: {message}", 1 + line_offset, 1) from None
    except RecursionError:
        raise YamlError("YAML nests too deeply", 1 + line_offset, 1, "yaml-unsafe") from None
    doc = YamlDoc(None)
    if node is None:
        doc.data = None
        return doc
    budget = [MAX_NODES]
    doc.data = _convert(node, (), doc, line_offset, budget, 0)
    return doc


def _mark(node: yaml.Node, line_offset: int) -> tuple[int, int]:
    return node.start_mark.line + 1 + line_offset, node.start_mark.column + 1


def _convert(node: yaml.Node, path: Path_, doc: YamlDoc, off: int, budget: list[int], depth: int) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        line, col = _mark(node, off)
        raise YamlError(
            f"YAML expands to more than {MAX_NODES} values (an alias bomb?)", line, col, "yaml-unsafe"
        )
    if depth > MAX_DEPTH:
        line, col = _mark(node, off)
        raise YamlError(f"YAML nests deeper than {MAX_DEPTH} levels", line, col, "yaml-unsafe")
    doc.value_pos.setdefault(path, _mark(node, off))
    if isinstance(node, yaml.ScalarNode):
        return _scalar(node, off)
    if isinstance(node, yaml.SequenceNode):
        _check_tag(node, _SEQ, off)
        return [_convert(item, path + (i,), doc, off, budget, depth + 1) for i, item in enumerate(node.value)]
    if isinstance(node, yaml.MappingNode):
        _check_tag(node, _MAP, off)
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                line, col = _mark(key_node, off)
                raise YamlError("mapping keys must be plain text", line, col, "yaml-unsafe")
            key = _scalar(key_node, off)
            if key is None:  # `null:`, `~:` or a bare `:` would read as the key ''
                line, col = _mark(key_node, off)
                raise YamlError("a key must be text, not null (write a key name; to mean the word, "
                                "quote it: \"null\":)", line, col, "yaml-unsafe")
            if not isinstance(key, str):
                key = str(key).lower() if isinstance(key, bool) else ("" if key is None else str(key))
            if key in result:
                line, col = _mark(key_node, off)
                raise YamlError(f"duplicate key '{key}'", line, col)
            doc.key_pos[path + (key,)] = _mark(key_node, off)
            result[key] = _convert(value_node, path + (key,), doc, off, budget, depth + 1)
        return result
    line, col = _mark(node, off)  # pragma: no cover - PyYAML has only three node kinds
    raise YamlError("unsupported YAML node", line, col, "yaml-unsafe")


def _check_tag(node: yaml.Node, expected: str, off: int) -> None:
    if node.tag != expected:
        line, col = _mark(node, off)
        shown = node.tag.replace("tag:yaml.org,2002:", "!!")
        raise YamlError(f"YAML tag '{shown}' is not allowed", line, col, "yaml-unsafe")


def _scalar(node: yaml.ScalarNode, off: int) -> Any:
    """A scalar node's value; refuses text no page may show and numbers Python cannot hold."""
    tag, value = node.tag, node.value
    if tag == _STR:
        bad = find_forbidden(value)
        if bad is not None:
            line, col = _mark(node, off)
            raise YamlError(f"{forbidden_char_message(bad.group())} (remove the escape that writes it)",
                            line, col, "value-control-character")
        return value
    if tag == _BOOL:
        return value.lower() == "true"
    if tag == _INT:
        try:
            return int(value)
        except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits, 4300)
            line, col = _mark(node, off)
            digits = len(value.lstrip("+-"))
            raise YamlError(f"a number may have at most {sys.get_int_max_str_digits()} digits, not {digits} "
                            "(quote it if it is text)", line, col, "yaml-unsafe") from None
    if tag == _FLOAT:
        number = float(value)
        if math.isinf(number):  # the core schema's `.inf` is not resolved: this is an overflow
            line, col = _mark(node, off)
            raise YamlError(f"the number {value[:40]}{'…' if len(value) > 40 else ''} is too large "
                            "(quote it if it is text)", line, col, "yaml-unsafe")
        return number
    if tag == _NULL:
        return None
    line, col = _mark(node, off)
    shown = tag.replace("tag:yaml.org,2002:", "!!")
    raise YamlError(f"YAML tag '{shown}' is not allowed", line, col, "yaml-unsafe")
