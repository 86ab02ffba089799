"""Stage 1, load: find the project's files, read them, split and parse their front matter.

Every file-level mistake (encoding, size, symlinks, stray files, YAML syntax) is
reported here; what the values mean is the validate stage's business.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

from .. import schema
from ..diagnostics import Problems, did_you_mean
from ..model import Document, YamlDoc
from .ids import id_problem
from .yamlsafe import YamlError, load_yaml, replace_forbidden

CONFIG_FILE = "config.yaml"
CONTENT_DIR = "content"
DEFAULT_LAYOUTS = Path(__file__).parent.parent / "layouts"
"""The package's own layouts, read by every build (a project's `layouts/` overrides them by name)."""
MAX_FILE_BYTES = 5_000_000
"""Entries larger than this are refused: no explainer entry is 5 MB of prose."""


def read_config(root: Path, problems: Problems) -> YamlDoc | None:
    """`config.yaml` parsed (not validated); None, with the problem recorded, if it cannot be."""
    path = root / CONFIG_FILE
    if not path.is_file():
        problems.add("config-missing", CONFIG_FILE, 1, 1,
                     f"no {CONFIG_FILE} in {root.name or root}: this is not an explainer project",
                     "run 'explainer init DIR' to start one, or pass --root")
        return None
    text = _read_text(path, CONFIG_FILE, problems)
    if text is None:
        return None
    try:
        return load_yaml(text)
    except YamlError as exc:
        problems.add(exc.code, CONFIG_FILE, exc.line, exc.column, exc.message, exc.hint)
        return None


def walk(root: Path, problems: Problems) -> list[tuple[str, schema.Kind]] | None:
    """(relative path, kind) of every entry file, in a stable order; None without content/."""
    content = root / CONTENT_DIR
    if not content.is_dir():
        problems.add("file-unexpected", CONTENT_DIR, 1, 1, "the project has no content/ folder",
                     "create content/ with actors/, events/, sources/ and pages/")
        return None
    return list(_walk(root, content, content.resolve(), problems))


TRANSLATION_NAME = re.compile(r"(?P<id>[^.]+)\.(?P<lang>[^.]+)\.md")
"""`ID.LANG.md`: a translation of `ID.md` (no id has a dot), whatever LANG turns out to be."""


def translation_files(root: Path, problems: Problems) -> list[tuple[str, schema.Kind, str, str]]:
    """(relative path, kind, original id, language code) of every translation file
    (`content/index.LANG.md`, `content/FOLDER/ID.LANG.md`), in a stable order; a name that is
    not a language code or not an id is reported."""
    content = root / CONTENT_DIR
    if not content.is_dir():
        return []
    content_real = content.resolve()
    found = []
    places = [(content, schema.HOME)] + [(content / k.folder, k) for k in schema.KINDS.values()]
    for folder, kind in places:
        if not folder.is_dir() or folder.is_symlink():
            continue
        for path in sorted(folder.iterdir(), key=lambda p: p.name):
            match = TRANSLATION_NAME.fullmatch(path.name)
            if match is None or path.name.startswith(".") or (kind is schema.HOME and match["id"] != "index"):
                continue
            rel = _rel(root, path)
            entry_id, code = match["id"], match["lang"]
            why = id_problem(entry_id) if kind is not schema.HOME else None
            if why:
                problems.add("id-invalid", rel, 1, 1, why[0], why[1])
            elif not LANGUAGE_CODE.fullmatch(code):
                problems.add("value-language", rel, 1, 1, f"'{code}' in the file name is not a language code",
                             "a translation is named ID.LANG.md with LANG a BCP 47 tag in lower case, like ja "
                             "or pt-br")
            elif _safe_file(root, path, content_real, problems):
                found.append((rel, kind, entry_id if kind is not schema.HOME else "", code))
    return found


def _walk(root: Path, content: Path, content_real: Path, problems: Problems) -> Iterator[tuple[str, schema.Kind]]:
    """Yield (relative path, kind) for every entry file, in a stable order (translations are
    `translation_files`')."""
    home = content / "index.md"
    if home.exists() or home.is_symlink():
        if _safe_file(root, home, content_real, problems):
            yield "content/index.md", schema.HOME
    for child in sorted(content.iterdir(), key=lambda p: p.name):
        rel = _rel(root, child)
        if child.name.startswith(".") or child.name == "index.md" or _is_translation(child, "index"):
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
            if path.name.startswith(".") or _is_translation(path):
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


def _is_translation(path: Path, stem: str | None = None) -> bool:
    match = TRANSLATION_NAME.fullmatch(path.name)
    return match is not None and (stem is None or match["id"] == stem) and not path.is_dir()


LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})*")
"""A BCP 47 language tag as config.yaml and translation file names write it: lower case."""


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
    return decode_text(data, rel, problems, "save the file as UTF-8")


def decode_text(data: bytes, rel: str, problems: Problems, hint: str) -> str | None:
    """UTF-8 bytes as text with `\n` line ends and no byte-order mark; a bad byte is reported
    at its line and column (with `hint`), and None returned."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        col = len(data[line_start:exc.start].decode("utf-8", "replace")) + 1
        problems.add("file-encoding", rel, line, col, f"file is not valid UTF-8 (byte 0x{data[exc.start]:02x})", hint)
        return None
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def split_front_matter(text: str) -> tuple[str, str, int] | str:
    """Split `---` YAML `---` body. Returns (yaml, body, body_line) or an error code string."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return "front-matter-missing"
    for i in range(1, len(lines)):
        if lines[i].rstrip() in ("---", "..."):
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1:]), i + 2
    return "front-matter-unclosed"


def body_of(text: str, body_line: int) -> str:
    """The body of an entry file's text whose body starts at line `body_line`, as
    `read_document` gives it. Control characters and noncharacters in a body become U+FFFD,
    visibly, as CommonMark does for NUL; one character for one, so every position stays
    (front matter refuses them)."""
    return replace_forbidden("\n".join(text.split("\n")[body_line - 1:]))


def read_document(root: Path, rel: str, kind: schema.Kind, problems: Problems,
                  check_id: bool = True) -> Document | None:
    """Read one entry file and parse its front matter; None (problems recorded) when unusable.
    `check_id=False` for a translation (`ID.LANG.md`), whose name `translation_files` checked."""
    path = root / rel
    text = _read_text(path, rel, problems)
    if text is None:
        return None
    stem = Path(rel).stem
    if kind is not schema.HOME and check_id:
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
    assert not isinstance(parts, str)
    yaml_text, _, body_line = parts
    body = body_of(text, body_line)
    try:
        doc = load_yaml(yaml_text, line_offset=1)
    except YamlError as exc:
        problems.add(exc.code, rel, exc.line, exc.column, exc.message, exc.hint)
        return None
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Document(path=rel, kind=kind.name, doc=doc, body=body, body_line=body_line, digest=digest)
