"""Check front matter and config values against the schema table, pointing at each mistake."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from .. import schema
from ..dates import PartialDate
from ..diagnostics import CODES, Problems, Severity, did_you_mean
from ..load.files import LANGUAGE_CODE
from ..load.ids import ID_RE, KEY_RE
from ..model import YamlDoc


def _describe(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__  # pragma: no cover


def validate_fields(
    kind: schema.Kind, doc: YamlDoc, path: str, problems: Problems, what: str
) -> dict[str, Any]:
    """Validate a mapping of front matter (or config) and return the clean values.

    Unknown keys, missing required keys, wrong types, bad choices and bad dates are
    reported at the key's or value's position; a bad value is left out of the result.
    """
    data = doc.data
    if data is None:
        data = {}
    if not isinstance(data, dict):
        line, col = doc.pos()
        problems.add("value-type", path, line, col,
                     f"{what} must be a mapping of keys to values, not {_describe(data)}")
        return {}
    clean: dict[str, Any] = {}
    known = [f.name for f in kind.fields]
    for key, value in data.items():
        field = kind.field(key)
        line, col = doc.key(key)
        if field is None:
            problems.add("key-unknown", path, line, col, f"unknown key '{key}' for {what}",
                         did_you_mean(key, known) or f"known keys: {', '.join(known)}")
            continue
        result = _check_value(field, value, doc, (key,), path, problems)
        if result is not _BAD:
            clean[key] = result
    missing = [name for name in kind.required if name not in data]
    for name in missing:
        line, col = (1, 1)
        problems.add("key-missing", path, line, col,
                     f"missing required key '{name}' for {what}",
                     f"{what} needs: {', '.join(kind.required)}")
    _check_date_pair(clean, doc, path, problems)
    return clean


def _check_date_pair(clean: dict[str, Any], doc: YamlDoc, path: str, problems: Problems) -> None:
    """An end before the start, or a precision the date is not written with, is a contradiction."""
    start, end = clean.get("date"), clean.get("end_date")
    if isinstance(start, PartialDate) and isinstance(end, PartialDate) and end.last_day < start.first_day:
        line, col = doc.pos("end_date")
        problems.add("date-order", path, line, col, f"'end_date' {end.iso} is before 'date' {start.iso}")
    precision = clean.get("date_precision")
    if isinstance(start, PartialDate) and precision in ("day", "month", "year") and precision != start.precision:
        line, col = doc.pos("date_precision")
        problems.add("date-precision", path, line, col,
                     f"'date_precision' is {precision}, but 'date' {start.iso} is written to the {start.precision}",
                     f"write the date to the {precision}, or use date_precision: {start.precision}")


_BAD = object()


def _ref_re(field: schema.Field) -> Any:
    """Ids of entries; a field that names sources also takes bibliography keys (`smithTitle2020`)."""
    return KEY_RE if schema.BIBLIOGRAPHY_KIND in field.targets else ID_RE


def _check_records(field: schema.Field, value: Any, doc: YamlDoc, at: tuple[Any, ...], path: str,
                   problems: Problems) -> Any:
    """A list of mappings (corrections): each item's keys checked like front matter, at their positions."""
    name = field.name
    line, col = doc.pos(*at)
    if not isinstance(value, list):
        example = ", ".join(f"{f.name}: …" for f in field.items)
        problems.add("value-type", path, line, col, f"'{name}' must be a list of mappings, not {_describe(value)}",
                     f"write each item as '- {{{example}}}'")
        return _BAD
    known = [f.name for f in field.items]
    items = []
    for i, item in enumerate(value):
        il, ic = doc.pos(*at, i)
        if not isinstance(item, dict):
            problems.add("value-type", path, il, ic,
                         f"'{name}' items must be mappings with {' and '.join(known)}, not {_describe(item)}")
            continue
        clean: dict[str, Any] = {}
        ok = True
        for key, sub in item.items():
            sub_field = next((f for f in field.items if f.name == key), None)
            kl, kc = doc.key(*at, i, key)
            if sub_field is None:
                problems.add("key-unknown", path, kl, kc, f"unknown key '{key}' in an item of '{name}'",
                             did_you_mean(str(key), known) or f"known keys: {', '.join(known)}")
                ok = False
                continue
            result = _check_value(sub_field, sub, doc, (*at, i, key), path, problems)
            if result is _BAD:
                ok = False
            else:
                clean[key] = result
        for required in (f.name for f in field.items if f.required):
            if required not in item:
                problems.add("key-missing", path, il, ic, f"item {i + 1} of '{name}' has no '{required}'",
                             f"each item needs: {', '.join(f.name for f in field.items if f.required)}")
                ok = False
        if ok:
            items.append(clean)
    return items


def _check_settings(field: schema.Field, value: Any, doc: YamlDoc, at: tuple[Any, ...], path: str,
                    problems: Problems) -> Any:
    """A mapping of optional settings (config's `links:`): each key checked at its position."""
    if not isinstance(value, dict):
        line, col = doc.pos(*at)
        problems.add("value-type", path, line, col, f"'{field.name}' must be a mapping, not {_describe(value)}",
                     f"write it as {field.name}: {{{field.items[0].name}: …}}")
        return _BAD
    known = [f.name for f in field.items]
    clean: dict[str, Any] = {}
    for key, sub in value.items():
        sub_field = next((f for f in field.items if f.name == key), None)
        if sub_field is None:
            kl, kc = doc.key(*at, key)
            problems.add("key-unknown", path, kl, kc, f"unknown key '{key}' in '{field.name}'",
                         did_you_mean(str(key), known) or f"known keys: {', '.join(known)}")
            continue
        result = _check_value(sub_field, sub, doc, (*at, key), path, problems)
        if result is not _BAD:
            clean[key] = result
    return clean


def _check_value(field: schema.Field, value: Any, doc: YamlDoc, at: tuple[Any, ...],
                 path: str, problems: Problems) -> Any:
    line, col = doc.pos(*at)
    name = field.name

    def bad(code: str, message: str, hint: str | None = None) -> object:
        problems.add(code, path, line, col, message, hint)
        return _BAD

    kind = field.type
    token = schema.placeholder(field)
    if token is not None and isinstance(value, str) and value.strip() == token:
        stand_in = {schema.DATE: schema.PLACEHOLDER_STAND_IN_DATE, schema.CHOICE: field.choices[0] if field.choices
                    else token}.get(kind, token)
        hint = f"replace it with {schema.placeholder_advice(field)}" + (
            f"; until then the site shows {stand_in}" if stand_in != token else "")
        problems.add("placeholder", path, line, col,
                     f"'{name}' is still the placeholder \"{token}\" written by explainer new", hint)
        return PartialDate.parse(stand_in) if kind == schema.DATE else stand_in
    if value is None and not field.required:
        return bad("value-type", f"'{name}' is empty", "give it a value or remove the line")
    if kind == schema.TEXT:
        if not isinstance(value, str) or not value.strip():
            if isinstance(value, int | float | bool):
                return bad("value-type", f"'{name}' must be text, not {_describe(value)}",
                           f"quote it: {name}: \"{str(value).lower() if isinstance(value, bool) else value}\"")
            return bad("value-type", f"'{name}' must be text, not {_describe(value) if value != '' else 'empty'}")
        return value.strip()
    if kind == schema.TEXT_LIST or kind == schema.REF_LIST or kind == schema.NAV_LIST:
        if isinstance(value, str) and " - " in value:  # `key: a` then `  - b` lines: YAML folds them into one text
            listed = ", ".join(part.strip() for part in value.split(" - "))
            return bad("value-type", f"'{name}' must be a list, not text: its '- ' items are under a value",
                       f"write nothing after '{name}:' and each item on its own '- ' line, or write {name}: [{listed}]")
        if isinstance(value, str):
            return bad("value-type", f"'{name}' must be a list, not text",
                       f"write it as {name}: [{value}]")
        if not isinstance(value, list):
            return bad("value-type", f"'{name}' must be a list, not {_describe(value)}")
        items = []
        first: dict[str, tuple[int, int]] = {}
        for i, item in enumerate(value):
            il, ic = doc.pos(*at, i)
            if not isinstance(item, str) or not item.strip():
                problems.add("value-type", path, il, ic,
                             f"'{name}' items must be text, not {_describe(item)}")
                continue
            if kind == schema.REF_LIST and not _ref_re(field).match(item.strip()):
                problems.add("value-type", path, il, ic, f"'{item}' in '{name}' is not a valid id")
                continue
            if kind == schema.NAV_LIST and item.strip() in first:  # the menu would show it twice
                fl, fc = first[item.strip()]
                problems.add("value-duplicate", path, il, ic,
                             f"'{item.strip()}' is listed twice in '{name}': first at line {fl}, column {fc}",
                             "remove one of them")
                continue
            first[item.strip()] = (il, ic)
            items.append(item.strip())
        return items
    if kind == schema.LANGUAGE_LIST:
        return _languages(value, doc, at, path, problems) if isinstance(value, list) else \
            bad("value-type", f"'{name}' must be a list of language codes, not {_describe(value)}",
                "write it as languages: [en, ja]")
    if kind == schema.REF:
        if not isinstance(value, str):
            return bad("value-type", f"'{name}' must be an id, not {_describe(value)}")
        if not _ref_re(field).match(value.strip()):
            return bad("value-type", f"'{value}' in '{name}' is not a valid id",
                       "ids are lower-case words joined by hyphens, like 'japan'")
        return value.strip()
    if kind == schema.DATE:
        text = value if isinstance(value, str) else str(value) if isinstance(value, int) else None
        parsed = PartialDate.parse(text) if text is not None else None
        impossible = PartialDate.impossible(text) if text is not None else None
        if impossible:
            return bad("value-date", f"'{name}' is not a real date: {impossible}")
        if parsed is None:
            return bad("value-date",
                       f"'{name}' must be an ISO 8601 date like 2023-07-11, 2023-07 or 2023, not '{value}'")
        return parsed
    if kind == schema.URL:
        if not isinstance(value, str):
            return bad("value-type", f"'{name}' must be a URL, not {_describe(value)}")
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc or any(c in value for c in " <>\"'`"):
            return bad("value-url", f"'{name}' must be an absolute http or https URL, not '{value}'")
        return value.strip()
    if kind == schema.INT:
        if isinstance(value, bool) or not isinstance(value, int):
            return bad("value-type", f"'{name}' must be a whole number, not {_describe(value)}")
        if field.minimum is not None and value < field.minimum or field.maximum is not None and value > field.maximum:
            lo = field.minimum if field.minimum is not None else "…"
            hi = field.maximum if field.maximum is not None else "…"
            return bad("value-choice", f"'{name}' must be between {lo} and {hi}, not {value}")
        return value
    if kind == schema.NUMBER:
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
            return bad("value-type", f"'{name}' must be a number, not {_describe(value)}")
        if field.minimum is not None and value < field.minimum:
            return bad("value-choice", f"'{name}' must be at least {field.minimum}, not {value}")
        return value
    if kind == schema.SETTINGS:
        return _check_settings(field, value, doc, at, path, problems)
    if kind == schema.BOOL:
        if not isinstance(value, bool):
            return bad("value-type", f"'{name}' must be true or false, not {_describe(value)}")
        return value
    if kind == schema.CHOICE:
        if not isinstance(value, str) or value not in field.choices:
            shown = value if isinstance(value, str) else _describe(value)
            return bad("value-choice", f"'{name}' must be one of {', '.join(field.choices)}, not '{shown}'",
                       did_you_mean(str(value), field.choices))
        return value
    if kind == schema.PATH_LIST:
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not values:
            return bad("value-type", f"'{name}' must be a path or a list of paths, not {_describe(value)}")
        paths = []
        for i, item in enumerate(values):
            il, ic = doc.pos(*at, i) if isinstance(value, list) else (line, col)
            if not isinstance(item, str) or not item.strip():
                problems.add("value-type", path, il, ic, f"'{name}' items must be paths, not {_describe(item)}")
                continue
            paths.append(item.strip())
        return paths[0] if isinstance(value, str) and paths else paths
    if kind == schema.RECORD_LIST:
        return _check_records(field, value, doc, at, path, problems)
    if kind == schema.SEVERITY_MAP:
        if not isinstance(value, dict):
            return bad("value-type", f"'{name}' must be a mapping of problem codes to error, warning or off")
        levels = {"error": Severity.ERROR, "warning": Severity.WARNING, "off": Severity.OFF}
        result = {}
        for code, level in value.items():
            kl, kc = doc.key(*at, code)
            if code not in CODES:
                problems.add("key-unknown", path, kl, kc, f"unknown problem code '{code}'",
                             did_you_mean(code, CODES))
            elif not isinstance(level, str) or level not in levels:  # a list or mapping is no level
                vl, vc = doc.pos(*at, code)
                shown = f"'{level}'" if isinstance(level, str) else _describe(level)
                problems.add("value-choice", path, vl, vc,
                             f"problem level must be error, warning or off, not {shown}")
            else:
                result[code] = levels[level]
        return result
    raise AssertionError(f"unknown field type {kind}")  # pragma: no cover



def _languages(value: list[Any], doc: YamlDoc, at: tuple[Any, ...], path: str,
               problems: Problems) -> list[tuple[str, str, dict[str, str]]] | object:
    """`languages:` as (code, display name, the site's title and description in it) triples:
    each item a code from `schema.LANGUAGE_NAMES` or `{code: CODE, name: NAME, title: …,
    description: …}`; codes are BCP 47 tags in lower case, each listed once."""
    found: list[tuple[str, str, dict[str, str]]] = []
    for i, item in enumerate(value):
        il, ic = doc.pos(*at, i)
        code, name = (item, None) if isinstance(item, str) else (
            (item.get("code"), item.get("name")) if isinstance(item, dict) else (None, None))
        allowed = {"code", "name", "title", "description"}
        if isinstance(item, dict) and set(item) - allowed:
            problems.add("key-unknown", path, il, ic, f"a language has only {', '.join(sorted(allowed))}, not "
                         f"'{sorted(set(item) - allowed)[0]}'", "write {code: ja, name: 日本語, title: …}")
            continue
        texts = {k: item[k].strip() for k in ("title", "description")
                 if isinstance(item, dict) and isinstance(item.get(k), str) and item[k].strip()}
        if isinstance(item, dict) and any(k in item and k not in texts for k in ("title", "description")):
            problems.add("value-type", path, il, ic, "a language's title and description must be text")
            continue
        if not isinstance(code, str):
            problems.add("value-type", path, il, ic, f"'languages' items must be language codes, not "
                         f"{_describe(item if not isinstance(item, dict) else code)}", "write them as [en, ja]")
            continue
        if not LANGUAGE_CODE.fullmatch(code.strip()):
            problems.add("value-language", path, il, ic, f"'{code}' is not a language code",
                         "use a BCP 47 tag in lower case, like en, ja, pt-br")
            continue
        code = code.strip()
        if name is not None and (not isinstance(name, str) or not name.strip()):
            problems.add("value-type", path, il, ic, f"the name of '{code}' must be text")
            continue
        name = name.strip() if isinstance(name, str) else schema.LANGUAGE_NAMES.get(code)
        if name is None:
            problems.add("value-language", path, il, ic, f"'{code}' is not in the built-in table of languages",
                         did_you_mean(code, schema.LANGUAGE_NAMES) or f"give its name: {{code: {code}, name: …}}")
            continue
        if code in (c for c, _, _ in found):
            problems.add("value-duplicate", path, il, ic, f"'{code}' is listed twice in 'languages'",
                         "remove one of them")
            continue
        found.append((code, name, texts))
    return found
