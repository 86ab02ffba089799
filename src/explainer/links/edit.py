"""`--write`: keys added to (or updated in) a source's front matter, every other byte kept.

The edit is made on the file's text, not by dumping YAML: a key already in the front
matter has its one line replaced, a new key is one line inserted before the closing
`---`. Comments, key order, quoting and line endings stay as the author wrote them. The
result is parsed again and must hold exactly the old values plus the new ones, or the file
is left alone; it is written atomically with its permissions kept.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from pathlib import Path

from ..load.yamlsafe import YamlError, load_yaml

_KEY_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*)\s*:(\s|$)")


class EditRefused(Exception):
    """Why a file was left as it was."""


def set_keys(path: Path, values: dict[str, str], replace: tuple[str, ...] = ()) -> bool:
    """Give the front matter of `path` each key of `values` (a string, written double-quoted).

    A key already present is left alone unless it is in `replace` (then its line is
    rewritten). Returns whether the file changed; raises `EditRefused` (file untouched)
    when the front matter is not one the edit can make safely."""
    if path.is_symlink():
        raise EditRefused("it is a symlink")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise EditRefused("it is not UTF-8") from None
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip("\r\n").rstrip().lstrip("\ufeff") != "---":
        raise EditRefused("it has no front matter")
    close = next((i for i in range(1, len(lines)) if lines[i].rstrip("\r\n").rstrip() in ("---", "...")), None)
    if close is None:
        raise EditRefused("its front matter is not closed")
    newline = "\r\n" if lines[0].endswith("\r\n") else "\n"
    block = lines[1:close]
    first = next((ln for ln in block if ln.strip() and not ln.lstrip().startswith("#")), None)
    if first is not None and not _KEY_LINE.match(first):
        raise EditRefused("its front matter is not a block of 'key: value' lines")
    before = _parse(block)
    out = list(lines)
    insert_at = close
    changed = False
    for key, value in values.items():
        line = f"{key}: {json.dumps(value, ensure_ascii=False)}{newline}"
        at = next((1 + i for i, ln in enumerate(block) if (m := _KEY_LINE.match(ln)) and m.group(1) == key), None)
        if at is None:
            out.insert(insert_at, line)
            insert_at += 1
            changed = True
            continue
        if key not in replace:
            continue
        nxt = out[at + 1] if at + 1 < len(out) else ""
        if nxt[:1] in (" ", "\t"):
            raise EditRefused(f"its '{key}' value spans several lines")
        if out[at] != line:
            out[at] = line
            changed = True
    if not changed:
        return False
    after = _parse(out[1:insert_at])
    expected = dict(before)
    expected.update({k: v for k, v in values.items() if k not in before or k in replace})
    if after != expected:
        raise EditRefused("the edited front matter would not read back as intended")
    _write_keeping_mode(path, "".join(out).encode("utf-8"))
    return True


def _parse(block: list[str]) -> dict[str, object]:
    try:
        data = load_yaml("".join(block), line_offset=1).data
    except YamlError as exc:
        raise EditRefused(f"its front matter does not parse ({exc.message})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise EditRefused("its front matter is not a mapping")
    return data


def _write_keeping_mode(path: Path, data: bytes) -> None:
    mode = path.stat().st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
