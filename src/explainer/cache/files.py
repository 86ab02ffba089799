"""The files of `.explainer-cache/`: plain JSON under a sealed header, never code.

Each JSON file starts with a header line naming the format and its version, the tool's
code digest, the project it belongs to and a seal: the HMAC-SHA256, under the user's
cache key (`cache_key`), of all of these, the file's name and the rest of the file. A
file that fails a check is ignored with a one-line note (`read_json`). The key lives
outside the project, so a cache that arrives with the project (committed, copied,
restored by CI without the key) cannot be forged: whoever writes it without the key
writes files explainer ignores.

The folder is explainer's, inside the project: `unsafe_path` refuses a cache folder (or
any path in it) that is a symlink, FIFO, device or anything but a regular file or
folder, and every file is opened without following a symlink, checked to be a regular
file and read up to `MAX_READ` bytes (`read_file`).

Used by the warm build's memo (`cache.disk`) and by the record of the last build
(`cache.noop`); light on purpose: a build that finds nothing changed imports only
this, the record and the writer, never the pipeline.
"""

from __future__ import annotations

import errno
import hashlib
import hmac
import json
import os
import secrets
import stat
import sys
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..diagnostics import Problem, Severity
from ..write.stamps import code_digest
from ..write.writer import atomic_write

CACHE_DIR = ".explainer-cache"
FORMAT = "explainer-cache"
VERSION = 3
CACHEDIR_TAG = b"Signature: 8a477f597d28d172789f06886806bc55\n# explainer's build cache: safe to delete.\n"
"""The standard marker (bford.info/cachedir) that tells backup tools to skip the folder."""


def note(message: str) -> None:
    print(f"explainer: note: {message}", file=sys.stderr, flush=True)


def project_id(root: Path) -> str:
    """Which project a cache belongs to: its folder (a cache copied from elsewhere is not reused)."""
    return hashlib.sha256(str(root.resolve()).encode("utf-8", "surrogatepass")).hexdigest()


MAX_READ = 256_000_000
"""No cache file is read past this size (a table of 10,000 entries' bodies is about 20 MB in all)."""

KEY_ENV = "EXPLAINER_CACHE_KEY_FILE"
"""Names the key file instead of `$XDG_CACHE_HOME/explainer/key` (CI keeps it with the cache)."""


class CacheFileError(OSError):
    """A cache path that is not a regular file, or too large to read."""


def read_file(path: Path, limit: int = MAX_READ) -> bytes:
    """A cache file's bytes: opened without following a symlink (nor blocking on a FIFO),
    refused unless it is a regular file of at most `limit` bytes. Raises OSError."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise CacheFileError(errno.EINVAL, "not a regular file")
        if st.st_size > limit:
            raise CacheFileError(errno.EFBIG, f"larger than {limit // 1_000_000} MB")
        chunks, remaining = [], st.st_size + 1  # one byte more than its size tells a file that grew
        while remaining > 0:
            chunk = os.read(fd, remaining)
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        if remaining <= 0:
            raise CacheFileError(errno.EAGAIN, "written to while being read")
        return b"".join(chunks)
    finally:
        os.close(fd)


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symlink"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file or folder"


def unsafe_path(root: Path) -> tuple[str, str] | None:
    """(path, what it is) of the first path of `.explainer-cache/` (the folder itself, what it
    holds, and what its folders hold: all explainer writes) that is anything but a regular
    file or folder; None when there is none (or no cache at all)."""
    top = root / CACHE_DIR
    try:
        st = os.lstat(top)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return CACHE_DIR, f"cannot be examined ({exc.strerror or exc})"
    if not stat.S_ISDIR(st.st_mode):
        return CACHE_DIR, _kind(st.st_mode)
    folders = [(top, CACHE_DIR, True)]
    while folders:
        folder, rel, descend = folders.pop(0)
        try:
            with os.scandir(folder) as listing:
                items = sorted(listing, key=lambda item: item.name)  # the first by name: the same each time
            for item in items:
                name = f"{rel}/{item.name}"
                if item.is_dir(follow_symlinks=False):
                    if descend:
                        folders.append((Path(item.path), name, False))
                elif not item.is_file(follow_symlinks=False):
                    return name, _kind(item.stat(follow_symlinks=False).st_mode)
        except OSError as exc:
            return rel, f"cannot be listed ({exc.strerror or exc})"
    return None


def key_file() -> Path:
    """Where the cache key is kept: `$EXPLAINER_CACHE_KEY_FILE`, else `explainer/key` in the
    user's cache folder (`$XDG_CACHE_HOME`, else `~/.cache`): outside every project."""
    named = os.environ.get(KEY_ENV)
    if named:
        return Path(named).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "explainer" / "key"


@lru_cache(maxsize=4)
def _load_key(path: Path) -> bytes:
    """The key in `path`, made (32 random bytes, hex, mode 0600) if there is none. Raises OSError."""
    for _ in range(3):
        try:
            text = read_file(path, 4096).decode("ascii").strip()
        except FileNotFoundError:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
            try:
                os.write(fd, secrets.token_hex(32).encode() + b"\n")
                os.fsync(fd)
            finally:
                os.close(fd)
            try:
                os.link(tmp, path)  # whole or not at all; a key another build made first wins
            except FileExistsError:
                pass
            finally:
                os.unlink(tmp)
            continue
        except UnicodeDecodeError:
            raise CacheFileError(errno.EINVAL, "not a key explainer made") from None
        if len(text) < 32:
            raise CacheFileError(errno.EINVAL, "too short to be a key explainer made")
        return text.encode("ascii")
    raise CacheFileError(errno.EAGAIN, "could not be made")


def cache_key() -> bytes:
    """The key that seals this user's cache files (`key_file`); raises OSError when it can be
    neither read nor made (the build then goes without the cache)."""
    return _load_key(key_file())


def key_id(key: bytes) -> str:
    """A short name of a key, in each header: a file sealed with another key is told apart
    from an altered one (a cache restored without its key: one note, not one a file)."""
    return hashlib.sha256(b"explainer cache key id\0" + key).hexdigest()[:16]


_OTHER_KEY_NOTED: list[bool] = []


def seal(key: bytes, header: dict[str, Any], name: str, payload: bytes) -> str:
    """The HMAC-SHA256 of a cache file: its header's fields, its name and its payload."""
    fields = json.dumps([header.get("format"), header.get("version"), header.get("code"), header.get("project"),
                         header.get("key"), name], separators=(",", ":")).encode()
    mac = hmac.new(key, fields + b"\n", hashlib.sha256)
    mac.update(payload)
    return mac.hexdigest()


def _name(path: Path) -> str:
    """A cache file's name as notes and seals give it: `pages.json`, `bodies/3.json`."""
    part = "" if path.parent.name == CACHE_DIR else f"{path.parent.name}/"  # a table in parts: bodies/3.json
    return f"{part}{path.name}"


def read_json(path: Path, root: Path, note: Callable[[str], None]) -> Any:
    """The payload of one cache file if every check passes; None (with a note) otherwise."""
    name = _name(path)
    shown = f"{CACHE_DIR}/{name}"
    try:
        data = read_file(path)
        key = cache_key()
    except FileNotFoundError:
        return None
    except OSError as exc:
        why = "is a symlink" if exc.errno == errno.ELOOP else f"cannot be read ({exc.strerror or exc})"
        note(f"{shown}: {why}; ignored, building afresh")
        return None
    head, sep, payload = data.partition(b"\n")
    try:
        header = json.loads(head)
        if not sep or not isinstance(header, dict) or header.get("format") != FORMAT:
            raise ValueError
    except ValueError:
        note(f"{shown}: not an explainer cache file; ignored, building afresh")
        return None
    if header.get("version") != VERSION or header.get("code") != code_digest():
        note(f"{shown}: written by another version of explainer; ignored, building afresh")
        return None
    if header.get("project") != project_id(root):
        note(f"{shown}: belongs to another project folder; ignored, building afresh")
        return None
    if header.get("key") != key_id(key):
        if not _OTHER_KEY_NOTED:
            _OTHER_KEY_NOTED.append(True)
            note(f"{shown} and the rest of {CACHE_DIR}/ were sealed with another cache key (another machine or "
                 f"user, or a new '{key_file()}'); not reused, building afresh")
        return None
    if not hmac.compare_digest(str(header.get("seal", "")), seal(key, header, name, payload)):
        note(f"{shown}: does not match its seal (truncated, altered, or sealed with another cache key); "
             "ignored, building afresh")
        return None
    try:
        return json.loads(payload)
    except ValueError:  # pragma: no cover - a matching checksum over bad JSON: our own bug
        note(f"{shown}: unreadable; ignored, building afresh")
        return None


def write_json(path: Path, root: Path, payload: Any) -> None:
    """Write one cache file: header line, then the payload (compact, sorted JSON). Raises OSError."""
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8",
                                                                                                "surrogatepass")
    key = cache_key()
    header: dict[str, Any] = {"format": FORMAT, "version": VERSION, "code": code_digest(),
                              "project": project_id(root), "key": key_id(key)}
    header["seal"] = seal(key, header, _name(path), body)
    atomic_write(path, json.dumps(header, sort_keys=True).encode() + b"\n" + body)


# --- a table in parts ----------------------------------------------------------

PARTS = "0123456789abcdef"
"""A table keyed by hex digests is kept in one file per first digit (`FOLDER/X.json`): one
changed record rewrites a sixteenth of it (at 4,000 entries the whole of the parsed
bodies was 18 MB, rewritten after every edit)."""


def part_of(key: str) -> str:
    """Which file of a table in parts holds `key`."""
    first = key[:1]
    return first if first and first in PARTS else "0"


class Table:
    """A table in parts (`FOLDER/X.json`) as one build sees it: every record its files held
    that passed `read_json`'s checks, and how to write back only the parts that changed."""

    def __init__(self, folder: Path, root: Path, note: Callable[[str], None]) -> None:
        self.folder, self.root = folder, root
        self.parts: dict[str, dict[str, Any]] = {}
        if folder.is_dir():
            for part in PARTS:
                data = read_json(folder / f"{part}.json", root, note)
                if isinstance(data, dict):
                    self.parts[part] = data
        self.records: dict[str, Any] = {key: record for table in self.parts.values() for key, record in table.items()}

    def save(self, records: dict[str, Any], fresh: set[str]) -> None:
        """Make the files hold `records`, writing only the parts with other keys than were read or
        a record made afresh (a key in `fresh`); the others hold exactly these records already."""
        parts: dict[str, dict[str, Any]] = {part: {} for part in PARTS}
        for key, record in records.items():
            parts[part_of(key)][key] = record
        touched = {part_of(key) for key in fresh}
        for part, table in parts.items():
            before = self.parts.get(part)
            if before is not None and part not in touched and before.keys() == table.keys():
                continue
            path = self.folder / f"{part}.json"
            if table or before is not None or path.exists():
                write_json(path, self.root, table)


# --- problems as plain values -------------------------------------------------

def problem_to_json(p: Problem) -> list[Any]:
    return [p.path, p.line, p.column, p.code, p.message, p.hint, int(p.severity), p.end_line, p.end_column]


def problem_from_json(v: list[Any]) -> Problem:
    path, line, column, code, message, hint, severity, end_line, end_column = v
    if (type(path) is str and type(line) is int and type(column) is int and type(code) is str  # the usual case
            and type(message) is str and (hint is None or type(hint) is str) and severity in _SEVERITIES
            and (end_line is None or type(end_line) is int) and (end_column is None or type(end_column) is int)):
        made = object.__new__(Problem)  # a warm build of 4,000 drafts decodes 71,000 of them
        made.__dict__.update(path=path, line=line, column=column, code=code, message=message, hint=hint,
                             severity=_SEVERITIES[severity], end_line=end_line, end_column=end_column)
        return made
    return Problem(str(path), int(line), int(column), str(code), str(message), None if hint is None else str(hint),
                   Severity(int(severity)), end_line, end_column)


_SEVERITIES = {int(s): s for s in Severity}
