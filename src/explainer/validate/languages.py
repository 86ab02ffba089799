"""Translations: `ID.LANG.md` beside its original `ID.md`, read, checked and laid over the
original to make the project's edition in that language (`edition`).

A translation gives only what differs in its language (`schema.TRANSLATABLE`: a title, a
summary, a role, a location, aliases, and the body); ids, dates, `actors:`, `sources:` and a
source's title as published come from the original. `translated_from` records which
version of the original it translates (`explainer translate mark`): when the original's
translatable text changes afterwards, the translation is reported `translation-stale`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import Any

from .. import schema
from ..diagnostics import Problems
from ..load.files import read_document, translation_files
from ..model import Entry, Project
from .fields import validate_fields


@dataclass(frozen=True)
class Translation:
    """One `ID.LANG.md`, validated: its own front matter (translatable keys only) and body."""

    entry: Entry
    """The translation as an entry: the original's id and kind, the translation's path,
    front matter (`meta`: only its own keys) and body."""
    language: str
    changed: tuple[str, ...] = ()
    """The parts of the original that changed since `translated_from` (empty: current or unmarked)."""


def load_translations(project: Project, problems: Problems) -> dict[str, dict[str, Translation]]:
    """Every translation of the project by language and original id; problems for the rest."""
    config = project.config
    others = [code for code, _ in config.languages[1:]]
    found: dict[str, dict[str, Translation]] = {code: {} for code in others}
    for rel, kind, entry_id, code in translation_files(project.root, problems):
        if code not in others:
            default = config.languages[0][0]
            listed = ", ".join(c for c, _ in config.languages)
            problems.add("translation-language", rel, 1, 1,
                         f"'{code}' is the site's default language: the original itself is in it" if code == default
                         else f"'{code}' is not one of the site's languages ({listed})",
                         f"rename it to {entry_id}.md" if code == default
                         else f"add {code} to 'languages' in config.yaml, or rename the file")
            continue
        original = project.home if kind is schema.HOME else project.entries.get(entry_id)
        if original is None or original.kind != kind.name:
            own = "content/index.md" if kind is schema.HOME else f"content/{kind.folder}/{entry_id}.md"
            problems.add("translation-orphan", rel, 1, 1,
                         f"a translation of '{entry_id or 'index'}', but {own} does not exist",
                         f"translations live beside their original: add {own} or rename this file")
            continue
        translation = _read(project, rel, kind, original, code, problems)
        if translation is not None:
            found[code][original.id] = translation
    return found


def _read(project: Project, rel: str, kind: schema.Kind, original: Entry, code: str,
          problems: Problems) -> Translation | None:
    document = read_document(project.root, rel, kind, problems, check_id=False)
    if document is None:
        return None
    own = schema.TRANSLATABLE.get(kind.name, ())
    loose = replace(kind, fields=tuple(replace(f, required=False) for f in kind.fields)
                    + (schema.Field(schema.TRANSLATED_FROM, schema.TEXT, ""),))
    meta = validate_fields(loose, document.doc, rel, problems, f"a translation of {kind.what or 'the home page'}")
    kept: dict[str, Any] = {}
    for key, value in meta.items():
        if key in own or key == schema.TRANSLATED_FROM:
            kept[key] = value
        elif value != original.meta.get(key):
            line, col = document.doc.key(key)
            problems.add("translation-key", rel, line, col,
                         f"'{key}' comes from the original ({original.path}), and this one disagrees with it",
                         f"a translation gives only {', '.join(own)} and its body: remove '{key}'")
    entry = Entry(id=original.id, kind=original.kind, path=rel, meta=kept, doc=document.doc, body=document.body,
                  body_line=document.body_line, digest=document.digest, slug=original.slug, csl=original.csl,
                  language=code)
    stamp = kept.get(schema.TRANSLATED_FROM)
    changed = changed_parts(stamp, original) if isinstance(stamp, str) else []
    if changed:
        line, col = document.doc.pos(schema.TRANSLATED_FROM)
        problems.add("translation-stale", rel, line, col,
                     f"{original.path} changed after this translation was marked up to date "
                     f"(its {', '.join(changed)})",
                     f"bring the translation up to date, then run 'explainer translate mark {rel}'")
    return Translation(entry, code, tuple(changed))


def edition(project: Project, code: str, translations: dict[str, Translation]) -> Project:
    """The project as its edition in language `code`: each translated entry's own keys and
    body laid over its original's; entries not translated stay as they are (their pages
    say so). The config names the edition's language and its address (`BASE/CODE/`)."""
    def laid_over(entry: Entry) -> Entry:
        found = translations.get(entry.id)
        if found is None:
            return replace(entry)  # its own object: a build may drop an entry's Markdown once parsed
        own = found.entry
        meta = {**entry.meta, **{k: v for k, v in own.meta.items() if k != schema.TRANSLATED_FROM}}
        return replace(own, meta=meta)

    texts = project.config.site_texts.get(code, {})
    config = replace(project.config, language=code, base_url=project.config.base_url + code + "/",
                     edition_path=code + "/", title=texts.get("title", project.config.title),
                     description=texts.get("description", project.config.description))
    home = laid_over(project.home) if project.home is not None else None
    return replace(project, config=config, home=home,
                   entries={i: laid_over(e) for i, e in project.entries.items()},
                   translated={**project.translated, code: frozenset(translations)},
                   stale={i: list(t.changed) for i, t in translations.items() if t.changed})


# --- what a translation translates --------------------------------------------------------------

def parts_of(original: Entry) -> dict[str, str]:
    """The original's translatable text, part by part (each front-matter key, and the body),
    as short digests: what `translated_from` records."""
    found = {}
    for key in schema.TRANSLATABLE.get(original.kind, ()):
        if key in original.meta:
            found[key] = _short(repr(original.meta[key]))
    found["body"] = _short(original.body.strip())
    return found


def stamp_of(original: Entry) -> str:
    """The `translated_from` value for a translation of `original` as it is now:
    `title 3f9a1c summary 77ab02 body 9c0e11`."""
    return " ".join(f"{key} {digest}" for key, digest in parts_of(original).items())


def changed_parts(stamp: str, original: Entry) -> list[str]:
    """The parts of `original` that changed since `stamp` (an unreadable stamp: 'text')."""
    words = stamp.split()
    recorded = dict(zip(words[::2], words[1::2], strict=False)) if len(words) % 2 == 0 else None
    now = parts_of(original)
    if not recorded:
        return ["text"] if stamp.strip() else []
    return [key for key in dict.fromkeys([*now, *recorded]) if now.get(key) != recorded.get(key)]


def _short(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


__all__ = ["Translation", "changed_parts", "edition", "load_translations", "parts_of", "stamp_of"]
