"""Read config.yaml and content/ into plain data, reporting every file-level mistake.

Nothing here renders or resolves references: that needs every entry loaded first.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Callable

from . import schema
from .diagnostics import Problems, did_you_mean
from .model import HOME_ID, Config, Entry, Project
from .validate import id_problem, validate_fields
from .yamlsafe import FORBIDDEN_CHARS, YamlError, load_yaml

CONFIG_FILE = "config.yaml"
CONTENT_DIR = "content"
MAX_FILE_BYTES = 5_000_000
"""Entries larger than this are refused: no explainer entry is 5 MB of prose."""


CACHE_DIR = ".explainer-cache"
"""The build cache's folder (kept in step with `cache.CACHE_DIR`)."""


def project_reads(root: Path) -> list[Path]:
    """Every file and folder a build of `root` reads: the one list the output gate protects.

    `writer.check_output_folder` refuses to build into, over or inside any of these, so
    a new input (a bibliography file, say) is one more item here. The package's own
    default layouts are read too.
    """
    from .render import DEFAULT_LAYOUTS

    return [root / CONFIG_FILE, root / CONTENT_DIR, root / "layouts", root / CACHE_DIR, DEFAULT_LAYOUTS]


def load_config(root: Path, problems: Problems) -> Config:
    """Read and validate `config.yaml`; problems are recorded, defaults fill the gaps."""
    path = root / CONFIG_FILE
    defaults = {f.name: f.default for f in schema.CONFIG.fields}
    if not path.is_file():
        problems.add("config-missing", CONFIG_FILE, 1, 1,
                     f"no {CONFIG_FILE} in {root.name or root}: this is not an explainer project",
                     "run 'explainer init DIR' to start one, or pass --root")
        return Config({**defaults, "title": "Untitled"})
    text = _read_text(path, CONFIG_FILE, problems)
    if text is None:
        return Config({**defaults, "title": "Untitled"})
    try:
        doc = load_yaml(text)
    except YamlError as exc:
        problems.add(exc.code, CONFIG_FILE, exc.line, exc.column, exc.message)
        return Config({**defaults, "title": "Untitled"})
    values = validate_fields(schema.CONFIG, doc, CONFIG_FILE, problems, "config.yaml")
    merged = {**defaults, **values}
    if not merged.get("title"):
        merged["title"] = "Untitled"
    if not merged["base_url"].endswith("/"):
        merged["base_url"] += "/"
    return Config(merged, doc)


def check_nav_pages(project: Project, problems: Problems) -> None:
    """Every nav item names a built-in section or a page."""
    nav = project.config.values.get("nav") or []
    pages = [e.id for e in project.of_kind("page")]
    for i, item in enumerate(nav):
        if item in schema.BUILTIN_SECTIONS or item in pages:
            continue
        line, col = project.config.doc.pos("nav", i) if project.config.doc else (1, 1)
        problems.add("ref-unknown", CONFIG_FILE, line, col,
                     f"nav item '{item}' is neither a section ({', '.join(schema.BUILTIN_SECTIONS)}) nor a page",
                     did_you_mean(item, list(schema.BUILTIN_SECTIONS) + pages))


def load_project(root: Path, problems: Problems, load: Callable[..., Entry | None] | None = None) -> Project:
    """Load config and every entry under `root`; all problems go to `problems`.

    `load` stands in for `load_entry` (same arguments): the dev server passes one that
    re-reads only files whose stat changed.
    """
    config = load_config(root, problems)
    problems.overrides.update(config.problems or {})
    project = Project(root=root, config=config)
    content = root / CONTENT_DIR
    if not content.is_dir():
        problems.add("file-unexpected", CONTENT_DIR, 1, 1, "the project has no content/ folder",
                     "create content/ with actors/, events/, sources/ and pages/")
        return project
    content_real = content.resolve()
    seen_paths: dict[str, str] = {}  # id -> path of the first entry with it
    for rel, kind in _walk(root, content, content_real, problems):
        entry = (load or load_entry)(root, rel, kind, problems)
        if entry is None:
            if kind.name != "home" and id_problem(Path(rel).stem) is None:
                project.unreadable[rel] = Path(rel).stem
            continue
        if kind.name == "home":
            project.home = entry
            continue
        first = seen_paths.get(entry.id)
        if first is not None:
            problems.add("id-duplicate", entry.path, 1, 1,
                         f"id '{entry.id}' is already used by {first}",
                         "ids are unique across actors, events, sources and pages: rename one file")
            continue
        seen_paths[entry.id] = entry.path
        project.entries[entry.id] = entry
    check_nav_pages(project, problems)
    return project


def _walk(root: Path, content: Path, content_real: Path, problems: Problems):
    """Yield (relative path, kind) for every entry file, in a stable order."""
    home = content / "index.md"
    if home.exists() or home.is_symlink():
        if _safe_file(root, home, content_real, problems):
            yield "content/index.md", schema.HOME
    for child in sorted(content.iterdir(), key=lambda p: p.name):
        rel = _rel(root, child)
        if child.name.startswith(".") or child.name == "index.md":
            continue
        if child.is_symlink():
            problems.add("file-symlink", rel, 1, 1, "symlinked folders in content/ are not followed",
                         "move the folder into content/ instead")
            continue
        if not child.is_dir():
            problems.add("file-unexpected", rel, 1, 1,
                         "unexpected file in content/: entries go in actors/, events/, sources/ or pages/")
            continue
        kind = schema.KIND_BY_FOLDER.get(child.name)
        if kind is None:
            problems.add("file-unexpected", rel, 1, 1, f"unknown folder '{child.name}' in content/",
                         did_you_mean(child.name, schema.KIND_BY_FOLDER)
                         or "entries go in actors/, events/, sources/ or pages/")
            continue
        lower_names: dict[str, str] = {}
        for path in sorted(child.iterdir(), key=lambda p: p.name):
            prel = _rel(root, path)
            if path.name.startswith("."):
                continue
            if path.is_dir() and not path.is_symlink():
                problems.add("file-unexpected", prel, 1, 1,
                             f"sub-folders are not read: move its entries into content/{child.name}/")
                continue
            if path.suffix != ".md":
                problems.add("file-unexpected", prel, 1, 1, "not an entry: entries are Markdown files ending in .md")
                continue
            other = lower_names.get(path.name.lower())
            if other is not None:
                problems.add("id-case-clash", prel, 1, 1,
                             f"'{path.name}' and '{other}' differ only in case and would clash on "
                             "case-insensitive disks", "rename one of them")
                continue
            lower_names[path.name.lower()] = path.name
            if not _safe_file(root, path, content_real, problems):
                continue
            yield prel, kind


def _safe_file(root: Path, path: Path, content_real: Path, problems: Problems) -> bool:
    """A file is read only if it (or its symlink target) is a regular file inside content/."""
    rel = _rel(root, path)
    if path.is_symlink():
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):
            problems.add("file-symlink", rel, 1, 1, "symlink is broken or loops", "point it at a file in content/")
            return False
        if not target.is_relative_to(content_real):
            problems.add("file-symlink", rel, 1, 1,
                         "symlink points outside content/ and is not read", "copy the file into content/ instead")
            return False
    if not path.is_file():
        problems.add("file-unexpected", rel, 1, 1, "not a regular file")
        return False
    return True


def _rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def _read_text(path: Path, rel: str, problems: Problems) -> str | None:
    """Read a file as UTF-8, reporting the position of the first bad byte."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            problems.add("file-too-large", rel, 1, 1,
                         f"file is {size / 1_000_000:.1f} MB; entries are limited to {MAX_FILE_BYTES // 1_000_000} MB",
                         "split it into several entries")
            return None
        data = path.read_bytes()
    except OSError as exc:
        problems.add("file-unexpected", rel, 1, 1, f"cannot read file: {exc.strerror or exc}")
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        col = len(data[line_start:exc.start].decode("utf-8", "replace")) + 1
        problems.add("file-encoding", rel, line, col,
                     f"file is not valid UTF-8 (byte 0x{data[exc.start]:02x})", "save the file as UTF-8")
        return None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split_front_matter(text: str) -> tuple[str, str, int] | str:
    """Split `---` YAML `---` body. Returns (yaml, body, body_line) or an error code string."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return "front-matter-missing"
    for i in range(1, len(lines)):
        if lines[i].rstrip() in ("---", "..."):
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1:]), i + 2
    return "front-matter-unclosed"


def load_entry(root: Path, rel: str, kind: schema.Kind, problems: Problems) -> Entry | None:
    """Read one entry file; None (with problems recorded) when it cannot be used at all."""
    path = root / rel
    text = _read_text(path, rel, problems)
    if text is None:
        return None
    stem = Path(rel).stem
    if kind.name != "home":
        why = id_problem(stem)
        if why:
            problems.add("id-invalid", rel, 1, 1, why[0], why[1])
            return None
    parts = split_front_matter(text)
    if parts == "front-matter-missing":
        problems.add("front-matter-missing", rel, 1, 1,
                     "no front matter: an entry starts with a '---' line, its YAML keys, and another '---' line",
                     f"run 'explainer new {kind.name} {stem}' to see a template" if kind.name in schema.KINDS else None)
        return None
    if parts == "front-matter-unclosed":
        problems.add("front-matter-unclosed", rel, 1, 1,
                     "front matter opened here is never closed", "add a '---' line after the last key")
        return None
    yaml_text, body, body_line = parts  # type: ignore[misc]
    # Control characters and noncharacters in a body become U+FFFD, visibly, as CommonMark
    # does for NUL; one character for one, so every position stays. Front matter refuses them.
    body = FORBIDDEN_CHARS.sub("\ufffd", body)
    try:
        doc = load_yaml(yaml_text, line_offset=1)
    except YamlError as exc:
        problems.add(exc.code, rel, exc.line, exc.column, exc.message)
        return None
    what = {"actor": "an actor", "event": "an event", "source": "a source",
            "page": "a page", "home": "the home page"}[kind.name]
    meta = validate_fields(kind, doc, rel, problems, what)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Entry(id=stem if kind.name != "home" else HOME_ID, kind=kind.name, path=rel, meta=meta,
                 doc=doc, body=body, body_line=body_line, digest=digest)
