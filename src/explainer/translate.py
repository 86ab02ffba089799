"""`explainer translate`: where each language's translations stand, and marking one as up to date.

`status` lists, per language of the site, the entries with no translation (sources are
listed in every edition as they are, so they are not counted), the translations whose
original changed after they were marked (and what changed), the ones never marked, and
how many are current. `mark FILE...` writes into each translation's front matter the
`translated_from` stamp of its original as it is now (`validate.languages.stamp_of`):
after that, a change to the original's title, summary, role, location, aliases or body is
reported on the translation as `translation-stale` until it is marked again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import schema
from .diagnostics import Problems, UsageError
from .links.edit import EditRefused, set_keys
from .load.files import TRANSLATION_NAME
from .model import Entry, Project
from .pipeline import load_project
from .validate.languages import Translation, load_translations, stamp_of


@dataclass
class Standing:
    """Where one language's translations stand."""

    code: str
    name: str
    missing: list[Entry] = field(default_factory=list)
    stale: list[tuple[Translation, tuple[str, ...]]] = field(default_factory=list)
    unmarked: list[Translation] = field(default_factory=list)
    current: list[Translation] = field(default_factory=list)


def standing(project: Project, translations: dict[str, dict[str, Translation]]) -> list[Standing]:
    """Each non-default language's missing, stale, unmarked and current translations, by path."""
    originals = sorted((e for e in project.all_documents if not schema.kind_of(e.kind).cited), key=lambda e: e.path)
    found = []
    for code, name in project.config.languages[1:]:
        made = translations.get(code, {})
        row = Standing(code, name)
        for original in originals:
            t = made.get(original.id)
            if t is None:
                row.missing.append(original)
            elif t.changed:
                row.stale.append((t, t.changed))
            elif schema.TRANSLATED_FROM not in t.entry.meta:
                row.unmarked.append(t)
            else:
                row.current.append(t)
        found.append(row)
    return found


def status(root: Path) -> tuple[Problems, list[str]]:
    """The report `explainer translate status` prints, line by line."""
    problems = Problems()
    project = load_project(root, problems)
    translations = load_translations(project, problems)
    if len(project.config.languages) < 2:
        return problems, ["config.yaml names one language: add 'languages: [en, ja]' (the default first) "
                          "to publish translations."]
    lines = []
    for row in standing(project, translations):
        total = len(row.missing) + len(row.stale) + len(row.unmarked) + len(row.current)
        lines.append(f"{row.name} ({row.code}): {len(row.current)} of {total} current, {len(row.stale)} stale, "
                     f"{len(row.unmarked)} not marked, {len(row.missing)} missing")
        for t, changed in row.stale:
            lines.append(f"  stale      {t.entry.path}  (the original's {', '.join(changed)} changed)")
        for t in row.unmarked:
            lines.append(f"  not marked {t.entry.path}  (run: explainer translate mark {t.entry.path})")
        for e in row.missing:
            lines.append(f"  missing    {_translation_path(e, row.code)}")
    return problems, lines


def mark(root: Path, files: list[str]) -> list[str]:
    """Stamp each translation file with its original's current version; returns what was done."""
    problems = Problems()
    project = load_project(root, problems)
    translations = load_translations(project, problems)
    by_path = {t.entry.path: t for made in translations.values() for t in made.values()}
    done = []
    for name in files:
        rel = _relative(root, name)
        t = by_path.get(rel)
        if t is None:
            why = ("it is not named ID.LANG.md" if TRANSLATION_NAME.fullmatch(Path(rel).name) is None
                   else "it is not a readable translation of an entry in a language config.yaml lists "
                        "('explainer check' says why)")
            raise UsageError(f"{name}: cannot mark it: {why}")
        original = project.home if t.entry.id == "" and project.home is not None else project.entries[t.entry.id]
        try:
            changed = set_keys(root / rel, {schema.TRANSLATED_FROM: stamp_of(original)},
                               replace=(schema.TRANSLATED_FROM,))
        except EditRefused as exc:
            raise UsageError(f"{rel}: cannot mark it: {exc}") from None
        done.append(f"{'Marked' if changed else 'Already marked'} {rel} as a translation of {original.path} "
                    "as it is now")
    return done


def _translation_path(entry: Entry, code: str) -> str:
    stem, _, suffix = entry.path.rpartition(".")
    return f"{stem}.{code}.{suffix}"


def _relative(root: Path, name: str) -> str:
    path = Path(name)
    if path.is_absolute() or (Path.cwd() / path).resolve().is_relative_to(root.resolve()):
        try:
            return (Path.cwd() / path).resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return path.as_posix()


__all__ = ["Standing", "mark", "standing", "status"]
