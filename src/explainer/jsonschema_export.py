"""`explainer schema`: JSON Schemas (draft 2020-12) of config.yaml and each kind's front matter.

Editors with a YAML language server use them for completion, hover text and red
squiggles. They are generated from `schema.py`, the table the validator reads, so there
is no second copy to drift. A schema can check shapes, not the site: whether an id
names an existing entry, or whether 2023-02-30 is a real day, only `explainer check`
knows, and the descriptions say so.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from . import schema
from .diagnostics import CODES, UsageError
from .write.writer import atomic_write

DRAFT = "https://json-schema.org/draft/2020-12/schema"
DEFAULT_DIR = "schemas"
"""Where `explainer schema` writes by default, relative to the project root."""

ID_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
"""The id rule of `load.ids.ID_RE` (a test keeps the two equal)."""
KEY_PATTERN = r"^[A-Za-z0-9_][\w:.#$%&+?<>~/-]*$"
"""The citation-key rule of `load.ids.KEY_RE`: fields naming sources also take bibliography keys."""
DATE_PATTERN = r"^(?!0000)[0-9]{4}(?:-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12][0-9]|3[01]))?)?$"
URL_PATTERN = r"^https?://[^\s<>\"'`/]+[^\s<>\"'`]*$"
NOT_BLANK = r"\S"

_NO_ID_CHECK = "A schema cannot check that the ids exist: `explainer check` does."


def file_name(kind: schema.Kind) -> str:
    """`actor.schema.json`, `config.schema.json`, …"""
    return f"{kind.name}.schema.json"


def field_schema(field: schema.Field) -> dict[str, Any]:
    """The JSON Schema of one key, with its description for the editor's hover text."""
    t = field.type
    description = field.description
    out: dict[str, Any]
    if t == schema.TEXT:
        out = {"type": "string", "pattern": NOT_BLANK}
    elif t == schema.TEXT_LIST:
        out = {"type": "array", "items": {"type": "string", "pattern": NOT_BLANK}}
    elif t in (schema.REF, schema.REF_LIST):
        one = {"type": "string", "pattern": KEY_PATTERN if schema.BIBLIOGRAPHY_KIND in field.targets else ID_PATTERN}
        out = one if t == schema.REF else {"type": "array", "items": one}
        if _NO_ID_CHECK not in description:
            description = f"{description} {_NO_ID_CHECK}"
    elif t == schema.LANGUAGE_LIST:
        code = {"type": "string", "pattern": "^[a-z]{2,3}(-[a-z0-9]{2,8})*$"}
        out = {"type": "array", "minItems": 1, "items": {"anyOf": [code, {
            "type": "object", "properties": {"code": code, "name": {"type": "string", "pattern": NOT_BLANK},
                                             "title": {"type": "string", "pattern": NOT_BLANK},
                                             "description": {"type": "string", "pattern": NOT_BLANK}},
            "required": ["code"], "additionalProperties": False}]}}
    elif t == schema.NAV_LIST:
        out = {"type": "array", "items": {"type": "string", "pattern": NOT_BLANK}, "uniqueItems": True}
        description += " A schema cannot check that a page id exists: `explainer check` does."
    elif t == schema.DATE:
        out = {"anyOf": [{"type": "string", "pattern": DATE_PATTERN},
                         {"type": "integer", "minimum": 1, "maximum": 9999}]}
        description += " (A schema checks the form; `explainer check` also checks that the day exists.)"
    elif t == schema.URL:
        out = {"type": "string", "format": "uri", "pattern": URL_PATTERN}
    elif t == schema.INT:
        out = {"type": "integer"}
        if field.minimum is not None:
            out["minimum"] = field.minimum
        if field.maximum is not None:
            out["maximum"] = field.maximum
    elif t == schema.NUMBER:
        out = {"type": "number"}
        if field.minimum is not None:
            out["minimum"] = field.minimum
    elif t == schema.SETTINGS:
        out = {"type": "object",
               "properties": {f.name: {**field_schema(f), "default": f.default} for f in field.items},
               "additionalProperties": False}
    elif t == schema.BOOL:
        out = {"type": "boolean"}
    elif t == schema.CHOICE:
        out = {"type": "string", "enum": list(field.choices)}
    elif t == schema.PATH_LIST:
        one = {"type": "string", "pattern": NOT_BLANK}
        out = {"anyOf": [one, {"type": "array", "items": one, "minItems": 1}]}
    elif t == schema.RECORD_LIST:
        out = {"type": "array", "items": {
            "type": "object",
            "properties": {f.name: field_schema(f) for f in field.items},
            "required": [f.name for f in field.items if f.required],
            "additionalProperties": False,
        }}
    elif t == schema.SEVERITY_MAP:
        levels = ["error", "warning", "off"]
        out = {
            "type": "object",
            "properties": {
                name: {"enum": levels,
                       "description": f"{code.summary} (default: {code.severity.label})."}
                for name, code in CODES.items()
            },
            "additionalProperties": False,
        }
    else:  # pragma: no cover - a new field type must be added here
        raise AssertionError(f"no JSON Schema for field type {t}")
    return {"description": description, **out}


def kind_schema(kind: schema.Kind) -> dict[str, Any]:
    """The JSON Schema of one kind's front matter (or of config.yaml)."""
    if kind is schema.CONFIG:
        title, what = "explainer config.yaml", "Settings of an explainer site (config.yaml)."
    elif kind is schema.HOME:
        title, what = "explainer home page front matter", "Front matter of content/index.md, the home page."
    else:
        title = f"explainer {kind.name} front matter"
        what = f"Front matter of an {kind.name} entry (content/{kind.folder}/ID.md)." if kind.name[0] in "aeiou" \
            else f"Front matter of a {kind.name} entry (content/{kind.folder}/ID.md)."
    result: dict[str, Any] = {
        "$schema": DRAFT,
        "title": title,
        "description": what + " Generated by `explainer schema` from the validator's own table.",
        "type": "object",
        "properties": {f.name: field_schema(f) for f in kind.fields},
        "additionalProperties": False,
    }
    if kind.required:
        result["required"] = list(kind.required)
    return result


def translation_schema(kind: schema.Kind) -> dict[str, Any]:
    """The JSON Schema of a translation's front matter (`content/FOLDER/ID.LANG.md`): only
    the keys a translation gives (`schema.TRANSLATABLE`) and `translated_from`."""
    where = "content/index.LANG.md" if kind is schema.HOME else f"content/{kind.folder}/ID.LANG.md"
    keys = schema.TRANSLATABLE.get(kind.name, ())
    properties = {f.name: field_schema(f) for f in kind.fields if f.name in keys}
    properties[schema.TRANSLATED_FROM] = {
        "description": "Which version of the original this translates; written by `explainer translate mark`.",
        "type": "string"}
    return {
        "$schema": DRAFT,
        "title": f"explainer {kind.name} translation front matter",
        "description": f"Front matter of a translation ({where}): the keys that differ in its language; "
                       "everything else comes from the original. Generated by `explainer schema` from the "
                       "validator's own table.",
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }


def all_schemas() -> dict[str, dict[str, Any]]:
    """File name -> schema, for config.yaml, the home page and every kind (and a translation of
    each), in a stable order."""
    kinds = [schema.CONFIG, *schema.KINDS.values(), schema.HOME]
    found = {file_name(k): kind_schema(k) for k in kinds}
    for k in [*schema.KINDS.values(), schema.HOME]:
        found[file_name(k).replace(".schema.json", ".translation.schema.json")] = translation_schema(k)
    return found


def dumps(value: dict[str, Any]) -> str:
    """Stable text: the same table always gives the same bytes."""
    return json.dumps(value, ensure_ascii=False, indent=2) + "\n"


def _ours(path: Path) -> bool:
    """Whether a file is a schema this command wrote (its description says so)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return False
    return isinstance(data, dict) and "Generated by `explainer schema`" in str(data.get("description", ""))


def write_schemas(out: Path) -> list[Path]:
    """Write every schema into `out` (created if needed); returns the files written.

    A folder that cannot be written is the user's choice of --out, so it is a UsageError.
    """
    written = []
    schemas = all_schemas()
    for name in schemas:  # never overwrite a file explainer did not write
        path = out / name
        if path.exists() and not _ours(path):
            raise UsageError(f"'{path}' exists and was not written by `explainer schema`; "
                             "move it away or choose another --out")
    try:
        for name, value in schemas.items():
            path = out / name
            atomic_write(path, dumps(value).encode("utf-8"))
            written.append(path)
    except OSError as exc:
        raise UsageError(f"cannot write schemas into '{out}': {exc.strerror or exc}") from None
    return written
