"""`explainer new` and `explainer init`: files that start right and pass `check --strict`."""

from __future__ import annotations

import datetime as _dt
import json
import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

from . import __version__, schema
from .dates import PartialDate
from .diagnostics import UsageError, did_you_mean
from .load.files import DEFAULT_LAYOUTS
from .load.ids import id_problem

SKELETON = Path(__file__).parent / "skeleton"


def today() -> str:
    """Today's date, or the one SOURCE_DATE_EPOCH fixes (for reproducible output)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return _dt.datetime.fromtimestamp(int(epoch), _dt.UTC).date().isoformat()
    return _dt.date.today().isoformat()


_SMALL_WORDS = {"a", "an", "and", "at", "by", "de", "del", "der", "for", "in", "of", "on", "the", "to", "van", "von"}


def title_from_id(entry_id: str, kind: schema.Kind) -> str:
    """A first title made from the id: a kind with a `kind` key names someone ('Mayor Anna Berg'), others a sentence."""
    words = entry_id.split("-")
    if kind.field("kind") is not None:
        return " ".join(w if i and w in _SMALL_WORDS else w[:1].upper() + w[1:] for i, w in enumerate(words))
    return " ".join(words).capitalize()


def _yaml_text(value: str) -> str:
    """A YAML double-quoted scalar (a JSON string is one), so no value can change the front matter's shape."""
    return json.dumps(value, ensure_ascii=False)


def entry_template(kind: schema.Kind, entry_id: str, schema_ref: str | None = None,
                   given: dict[str, str] | None = None) -> str:
    """Front matter with the required keys filled in and the optional ones commented out.

    `given` holds values the author passed (`--title`, `--date`, …), already checked;
    a required key nobody gave gets the kind's placeholder (`schema.placeholder`), which
    check and build report until it is replaced. `schema_ref` (the kind's JSON Schema,
    relative to the new file) becomes a `# yaml-language-server: $schema=…` modeline.
    """
    given = dict(given or {})
    if "title" not in given and kind.field("title") is not None:
        given["title"] = title_from_id(entry_id, kind)
    if "url" in given and kind.field("accessed") is not None and "accessed" not in given:
        given["accessed"] = today()  # the author has just looked at it
    lines = ["---"]
    if schema_ref:
        lines.append(f"# yaml-language-server: $schema={schema_ref}")
    date = today()
    for f in kind.fields:
        if f.name in given:
            value = given[f.name]
            lines.append(f"{f.name}: {value if f.type in (schema.DATE, schema.CHOICE) else _yaml_text(value)}")
        elif f.required:
            token = schema.placeholder(f) or ""
            value = token if f.type in (schema.DATE, schema.CHOICE) else _yaml_text(token)
            lines.append(f"{f.name}: {value}    # placeholder: replace it with {schema.placeholder_advice(f)}")
    for f in kind.fields:
        if f.required or f.name in given:
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
        elif f.type == schema.BOOL:
            example = "true"
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


OPTIONS = ("title", "kind", "date", "publisher", "url", "summary")
"""The keys `explainer new` takes as options (`--title TEXT`, …), each for the kinds that have it."""


def check_given(kind: schema.Kind, given: dict[str, str]) -> dict[str, str]:
    """The option values, checked as the validator would; a bad one is a usage error naming its option."""
    clean = {}
    for name, value in given.items():
        f = kind.field(name)
        if f is None:
            having = [k.name for k in schema.KINDS.values() if k.field(name) is not None]
            raise UsageError(f"--{name} is for {' and '.join(having)} entries, not for {kind.what}")
        value = value.strip()
        if not value or any(ord(c) < 0x20 for c in value):
            raise UsageError(f"--{name}: give one line of text")
        if f.type == schema.DATE and PartialDate.parse(value) is None:
            why = PartialDate.impossible(value)
            raise UsageError(f"--{name} {value}: " + (f"not a real date: {why}" if why else
                                                      "give an ISO 8601 date like 2024-03-12, 2024-03 or 2024"))
        if f.type == schema.CHOICE and value not in f.choices:
            hint = did_you_mean(value, f.choices)
            raise UsageError(f"--{name} {value}: choose one of {', '.join(f.choices)}" + (f" ({hint})" if hint else ""))
        if f.type == schema.URL:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc or any(c in value for c in " <>\"'`"):
                raise UsageError(f"--{name} {value}: give an absolute http or https URL")
        clean[name] = value
    return clean


def new_entry(root: Path, kind_name: str, entry_id: str, given: dict[str, str] | None = None) -> Path:
    """Write `content/<kind>s/<id>.md`; refuses a bad id or one already used by any entry."""
    if not (root / "config.yaml").is_file():
        raise UsageError(f"no config.yaml in '{root}': run this inside an explainer project or pass --root")
    why = id_problem(entry_id)
    if why:
        raise UsageError(why[0] + (f" ({why[1].replace('rename the file to', 'try')})" if why[1] else ""))
    kind = schema.KINDS[kind_name]
    values = check_given(kind, given or {})
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
        fh.write(entry_template(kind, entry_id, schema_ref, values))
    return path


def new_translation(root: Path, kind_name: str, entry_id: str, code: str) -> Path:
    """Write `content/<kind>s/<id>.<code>.md`: the original's translatable keys and body, to be
    translated in place (the file says how to mark it done); refuses a language config.yaml does
    not list, a missing original and an existing translation."""
    from .diagnostics import Problems
    from .load.files import read_config, read_document
    from .validate.project import validate_config, validate_entry

    if not (root / "config.yaml").is_file():
        raise UsageError(f"no config.yaml in '{root}': run this inside an explainer project or pass --root")
    config = validate_config(read_config(root, Problems()), Problems())
    codes = [c for c, _ in config.languages]
    if code not in codes[1:]:
        raise UsageError(f"'{code}' is the site's default language: write content in {kind_name}s/{entry_id}.md"
                         if code == codes[0] else
                         f"'{code}' is not one of the site's languages ({', '.join(codes)}): add it to "
                         "'languages' in config.yaml first")
    kind = schema.KINDS[kind_name]
    original = root / "content" / kind.folder / f"{entry_id}.md"
    rel = original.relative_to(root).as_posix()
    document = read_document(root, rel, kind, Problems()) if original.is_file() else None
    if document is None:
        raise UsageError(f"there is no readable {rel} to translate: write (or fix) the original first")
    entry = validate_entry(document, Problems())
    name = dict(config.languages)[code]
    lines = ["---", f"# Translation of {rel} into {name}: translate each value and the body below,",
             f"# then run: explainer translate mark content/{kind.folder}/{entry_id}.{code}.md"]
    for key in schema.TRANSLATABLE.get(kind.name, ()):
        value = entry.meta.get(key)
        if isinstance(value, list):
            lines.append(f"{key}: [{', '.join(_yaml_text(str(v)) for v in value)}]")
        elif value is not None:
            lines.append(f"{key}: {_yaml_text(str(value))}")
    path = original.with_name(f"{entry_id}.{code}.md")
    try:
        with open(path, "x", encoding="utf-8") as fh:  # "x": never overwrite, even in a race
            fh.write("\n".join(lines) + "\n---\n" + document.body.rstrip("\n") + "\n")
    except FileExistsError:
        raise UsageError(f"{path.relative_to(root).as_posix()} already exists: edit it (explainer never "
                         "overwrites a file)") from None
    return path


DISTRIBUTION = "explainer-ssg"
"""The name explainer is published under on the Python package index (`explainer` there is another project)."""

_DOT = "dot-"  # skeleton names starting with this become dotfiles (package data leaves dotfiles out)
_VERSION_TOKEN = "@EXPLAINER_REQUIREMENT@"


def requirement() -> str:
    """What a project's CI installs: this distribution at exactly this version."""
    return f"{DISTRIBUTION}=={__version__}"


def init_project(target: Path) -> str:
    """Write the skeleton project into a new or empty folder; return what git init did, as a phrase.

    No default layout is copied: a copy would never get the tool's fixes. The project's
    `layouts/` holds only a note on overriding one file (the build reads templates by
    name and assets from `layouts/assets/`, so the note is inert). `dot-NAME` in the
    skeleton is written as `.NAME`; `@EXPLAINER_REQUIREMENT@` becomes `requirement()`.
    The folder becomes a git repository when it is not inside one and git exists.
    """
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UsageError(f"'{target}' is not empty; choose a new folder")
    for source in sorted(SKELETON.rglob("*")):
        if not source.is_file() or "__pycache__" in source.parts:
            continue
        rel = Path(*("." + part[len(_DOT):] if part.startswith(_DOT) else part
                     for part in source.relative_to(SKELETON).parts))
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        text = source.read_text(encoding="utf-8").replace(_VERSION_TOKEN, requirement())
        with open(dest, "x", encoding="utf-8", newline="\n") as fh:  # "x": never overwrite
            fh.write(text)
    return _git_init(target)


def _git_init(target: Path) -> str:
    git = shutil.which("git")
    if git is None:
        return "did not make it a git repository (git is not installed)"
    inside = subprocess.run([git, "rev-parse", "--show-toplevel"], cwd=target, capture_output=True, text=True)
    if inside.returncode == 0:
        return f"left git alone (it is inside the repository {inside.stdout.strip()})"
    made = subprocess.run([git, "init", "--quiet", "--initial-branch=main"], cwd=target, capture_output=True)
    if made.returncode != 0:  # a git older than 2.28 has no --initial-branch
        made = subprocess.run([git, "init", "--quiet"], cwd=target, capture_output=True)
    if made.returncode != 0:
        return "could not make it a git repository (git init failed)"
    return "made it a git repository (git init)"


def default_layouts() -> list[str]:
    """The names of the default layouts that ship with explainer (`partials/meta.html`, `assets/style.css`)."""
    return sorted(p.relative_to(DEFAULT_LAYOUTS).as_posix() for p in DEFAULT_LAYOUTS.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts)


def copy_layout(root: Path, name: str) -> Path:
    """Copy one default layout to `layouts/NAME` for overriding; never overwrites a file."""
    if not (root / "config.yaml").is_file():
        raise UsageError(f"no config.yaml in '{root}': run this inside an explainer project or pass --root")
    names = default_layouts()
    wanted = name.replace("\\", "/").removeprefix("layouts/")
    if wanted not in names:
        by_file = [n for n in names if n.rsplit("/", 1)[-1] == wanted]
        hint = f"did you mean '{by_file[0]}'?" if len(by_file) == 1 else did_you_mean(wanted, names)
        hint = f"{hint} " if hint else ""
        raise UsageError(f"no default layout '{name}' ({hint}explainer layout list shows them all)")
    dest = root / "layouts" / wanted
    if dest.exists():
        raise UsageError(f"layouts/{wanted} already exists; it overrides the default already "
                         "(to start again from the default, delete it or move it away first)")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(dest, "xb") as fh:  # "x": never overwrite, even in a race
        fh.write((DEFAULT_LAYOUTS / wanted).read_bytes())
    return dest
