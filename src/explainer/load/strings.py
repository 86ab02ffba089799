"""The interface's words: the theme's translation tables and a project's overrides.

The theme ships one table per language, `layouts/i18n/LANG.yaml` (`en.yaml`, `ja.yaml`):
a flat mapping of message id to text, `{name}` marking a value filled in (`{count}`).
A project's `layouts/i18n/LANG.yaml` replaces any of those messages, or gives a language
the theme has no table for; what it leaves out is the theme's (and English for a message
the language's table lacks). Its own layouts' words are its own messages, with ids starting
with `site_`, defined in its `en.yaml`. Every table is read once per build through the safe YAML
loader; a project's is checked against the English table, each mistake at its position.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from ..diagnostics import Problems, did_you_mean
from ..model import Strings, placeholders
from .files import DEFAULT_LAYOUTS
from .yamlsafe import YamlError, load_yaml

I18N_DIR = "i18n"
"""The tables' folder inside `layouts/` (the theme's and a project's)."""

DEFAULT_LANGUAGE = "en"
"""The language every table falls back to, and whose ids are the only valid ones."""

PROJECT_PREFIX = "site_"
"""A project's own messages (the words of its own layouts) have ids starting with this,
defined in its `layouts/i18n/en.yaml` and translated in its other tables."""


def _table_files(base: Path) -> list[Path]:
    folder = base / I18N_DIR
    return sorted(p for p in folder.glob("*.yaml") if p.is_file()) if folder.is_dir() else []


@lru_cache(maxsize=1)
def _shipped() -> dict[str, dict[str, str]]:
    """The theme's tables (part of the tool: a broken one is a bug, so it raises)."""
    found: dict[str, dict[str, str]] = {}
    for path in _table_files(DEFAULT_LAYOUTS):
        data = load_yaml(path.read_text(encoding="utf-8")).data
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise ValueError(f"{path.name}: a theme table maps message ids to text")
        found[path.stem] = data
    return found


def shipped_strings() -> Strings:
    """The theme's tables alone, without a project's overrides."""
    return Strings({lang: dict(t) for lang, t in _shipped().items()})


def read_strings(root: Path, problems: Problems) -> Strings:
    """The theme's tables with the project's `layouts/i18n/*.yaml` over them; every mistake in a
    project's table is a problem at its position (the message it concerns keeps the theme's text)."""
    tables = {lang: dict(table) for lang, table in _shipped().items()}
    english = dict(tables[DEFAULT_LANGUAGE])  # the valid ids: the theme's, then the project's own
    files = _table_files(root / "layouts")
    files.sort(key=lambda p: p.stem != DEFAULT_LANGUAGE)  # the project's English first: it defines its own ids
    for path in files:
        rel = path.relative_to(root).as_posix()
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            problems.add("file-encoding", rel, 1, 1, "the file is not valid UTF-8", "save it as UTF-8")
            continue
        except OSError as exc:
            problems.add("file-encoding", rel, 1, 1, f"cannot read the file: {exc.strerror or exc}")
            continue
        try:
            doc = load_yaml(text)
        except YamlError as exc:
            problems.add(exc.code, rel, exc.line, exc.column, exc.message, exc.hint)
            continue
        if doc.data is None:
            continue
        if not isinstance(doc.data, dict):
            line, col = doc.value_pos.get((), (1, 1))
            problems.add("value-type", rel, line, col, "a translation table maps message ids to text",
                         "write one 'message_id: text' line per message, e.g. "
                         f"sources_heading: {english['sources_heading']}")
            continue
        table = tables.setdefault(path.stem, {})
        for key, value in doc.data.items():
            line, col = doc.key_pos.get((key,), (1, 1))
            own = isinstance(key, str) and key.startswith(PROJECT_PREFIX) and path.stem == DEFAULT_LANGUAGE
            if key not in english and not own:
                if isinstance(key, str) and key.startswith(PROJECT_PREFIX):
                    problems.add("string-unknown", rel, line, col,
                                 f"'{key}' is not defined in layouts/i18n/{DEFAULT_LANGUAGE}.yaml",
                                 f"a project's own message is written in layouts/i18n/{DEFAULT_LANGUAGE}.yaml first, "
                                 "then translated")
                else:
                    problems.add("string-unknown", rel, line, col, f"'{key}' is not a message id of the theme",
                                 did_you_mean(key, english) or f"the theme's layouts/i18n/en.yaml lists every id; "
                                 f"a project's own messages have ids starting with '{PROJECT_PREFIX}'")
                continue
            vline, vcol = doc.value_pos.get((key,), (line, col))
            if not isinstance(value, str):
                problems.add("value-type", rel, vline, vcol, f"'{key}' must be text",
                             "quote it if it looks like a number or true/false")
                continue
            if own and key not in english:
                english[key] = table[key] = value
                continue
            extra = sorted(placeholders(value) - placeholders(english[key]))
            if extra:
                known = ", ".join(f"{{{n}}}" for n in sorted(placeholders(english[key]))) or "none"
                problems.add("string-placeholder", rel, vline, vcol,
                             f"'{key}' uses {', '.join(f'{{{n}}}' for n in extra)}, which the theme does not fill in",
                             f"this message's placeholders: {known}")
                continue
            table[key] = value
    return Strings(tables)


def body_labels(strings: Strings, lang: str, names: tuple[str, ...]) -> dict[str, str]:
    """The messages `names` in `lang`: the words a parsed body's HTML holds."""
    return {name: strings.text(lang, name) for name in names}


__all__ = ["DEFAULT_LANGUAGE", "I18N_DIR", "body_labels", "read_strings", "shipped_strings"]
