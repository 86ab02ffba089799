"""`explainer new` and `explainer init`: files that start right and pass `check --strict`."""

from __future__ import annotations

import datetime as _dt
import os
import shutil
from pathlib import Path

from . import schema
from .diagnostics import UsageError
from .load.ids import id_problem

SKELETON = Path(__file__).parent / "skeleton"


def today() -> str:
    """Today's date, or the one SOURCE_DATE_EPOCH fixes (for reproducible output)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return _dt.datetime.fromtimestamp(int(epoch), _dt.UTC).date().isoformat()
    return _dt.date.today().isoformat()


_PLACEHOLDERS = {
    "title": '"TITLE"',
    "kind": "organisation",
    "date": None,  # today
    "publisher": '"PUBLISHER"',
}


def entry_template(kind: schema.Kind, entry_id: str, schema_ref: str | None = None) -> str:
    """Front matter with the required keys filled in and the optional ones commented out.

    `schema_ref` (the kind's JSON Schema, relative to the new file) becomes a
    `# yaml-language-server: $schema=…` modeline, so an editor validates as you type.
    """
    lines = ["---"]
    if schema_ref:
        lines.append(f"# yaml-language-server: $schema={schema_ref}")
    date = today()
    for f in kind.fields:
        if f.required:
            value = date if f.type == schema.DATE else _PLACEHOLDERS.get(f.name, '""')
            if f.name == "title":
                value = '"' + entry_id.replace("-", " ").capitalize() + '"'
            lines.append(f"{f.name}: {value}")
    for f in kind.fields:
        if f.required:
            continue
        if f.type == schema.DATE:
            example = date
        elif f.type in (schema.REF_LIST, schema.TEXT_LIST):
            example = "[]"
        elif f.type == schema.CHOICE:
            example = f.choices[0]
        elif f.type == schema.INT:
            example = "1"
        elif f.type == schema.URL:
            example = "https://"
        elif f.type == schema.RECORD_LIST:
            example = "[{" + ", ".join(f"{i.name}: {date if i.type == schema.DATE else chr(34) * 2}"
                                       for i in f.items) + "}]"
        else:
            example = '""'
        choices = f" ({', '.join(f.choices)})" if f.choices else ""
        lines.append(f"# {f.name}: {example}    # {f.description}{choices}")
    if kind.name == schema.BIBLIOGRAPHY_KIND:
        lines.append("# Sources can also come from a reference manager: 'bibliography: refs.bib' in config.yaml")
        lines.append("# makes each record a source; a file named after a record's key (in lower case) adds its")
        lines.append("# text and summary to it, and its own keys win.")
    lines.append("---")
    lines.append("")
    return "\n".join(lines)


def new_entry(root: Path, kind_name: str, entry_id: str) -> Path:
    """Write `content/<kind>s/<id>.md`; refuses a bad id or one already used by any entry."""
    if not (root / "config.yaml").is_file():
        raise UsageError(f"no config.yaml in '{root}': run this inside an explainer project or pass --root")
    why = id_problem(entry_id)
    if why:
        raise UsageError(why[0] + (f" ({why[1].replace('rename the file to', 'try')})" if why[1] else ""))
    kind = schema.KINDS[kind_name]
    content = root / "content"
    for other in schema.KINDS.values():
        existing = content / other.folder / f"{entry_id}.md"
        if existing.exists():
            raise UsageError(f"'{entry_id}' is already used by {existing.relative_to(root).as_posix()}; "
                             "ids are unique across kinds")
    path = content / kind.folder / f"{entry_id}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    # the modeline only when `explainer schema` has written the schemas (default folder)
    schema_ref = None
    if (root / "schemas" / f"{kind.name}.schema.json").is_file():
        schema_ref = f"../../schemas/{kind.name}.schema.json"
    with open(path, "x", encoding="utf-8") as fh:  # "x": never overwrite, even in a race
        fh.write(entry_template(kind, entry_id, schema_ref))
    return path


def init_project(target: Path) -> None:
    """Copy the skeleton project into a new or empty folder.

    No default layout is copied: a copy would never get the tool's fixes. The project's
    `layouts/` holds only a note on overriding one file (the build reads templates by
    name and assets from `layouts/assets/`, so the note is inert).
    """
    if target.exists() and any(target.iterdir()):
        raise UsageError(f"'{target}' is not empty; choose a new folder")
    shutil.copytree(SKELETON, target, dirs_exist_ok=True)
