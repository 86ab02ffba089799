"""Problems in the three forms their readers want: text, JSON lines, GitHub workflow commands.

Authors read `text` in a terminal or editor, scripts read `json` (one object per line, so
a reader can stream it), and GitHub Actions turns `github` lines into annotations on the
pull request's changed lines. All three come from the same `Problem` objects, so the
forms cannot disagree about what is wrong.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from .diagnostics import Problem, escape_controls

FORMATS = ("text", "json", "github")


def default_format(environ: Mapping[str, str] | None = None) -> str:
    """`github` inside GitHub Actions (which sets GITHUB_ACTIONS=true), else `text`."""
    env = os.environ if environ is None else environ
    return "github" if env.get("GITHUB_ACTIONS") else "text"


def as_json(problem: Problem) -> str:
    """One problem as one line of JSON; unknown end positions and hints are null."""
    record = {
        "path": problem.path,
        "line": problem.line,
        "column": problem.column,
        "end_line": problem.end_line,
        "end_column": problem.end_column,
        "severity": problem.severity.label,
        "code": problem.code,
        "message": problem.message,
        "hint": problem.hint,
    }
    return json.dumps(record, ensure_ascii=False)


def escape_data(text: str) -> str:
    """Escape a workflow command's message as the runner expects (actions/toolkit `escapeData`)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command's property value (toolkit `escapeProperty`): also ':' and ','."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def as_github(problem: Problem, prefix: str = "") -> str:
    """One problem as a `::error …::message` (or `::warning`) workflow command.

    `prefix` is the project folder relative to the repository root, because annotations
    name files by their repository path.
    """
    props = [("file", prefix + problem.path), ("line", str(problem.line)), ("col", str(problem.column))]
    if problem.end_line is not None:
        props.append(("endLine", str(problem.end_line)))
        if problem.end_column is not None:
            props.append(("endColumn", str(problem.end_column)))
    props.append(("title", f"explainer {problem.code}"))
    command = "error" if problem.severity.label == "error" else "warning"
    message = escape_controls(problem.message + (f" ({problem.hint})" if problem.hint else ""))
    joined = ",".join(f"{k}={escape_property(escape_controls(v))}" for k, v in props)
    return f"::{command} {joined}::{escape_data(message)}"


def format_problems(problems: Iterable[Problem], fmt: str, prefix: str = "") -> list[str]:
    """Every problem as a line of the chosen format."""
    if fmt == "json":
        return [as_json(p) for p in problems]
    if fmt == "github":
        return [as_github(p, prefix) for p in problems]
    return [p.format() for p in problems]


def workspace_prefix(root: Path, environ: Mapping[str, str] | None = None) -> str:
    """The project folder relative to GITHUB_WORKSPACE ('' at the top or outside it), with '/'."""
    env = os.environ if environ is None else environ
    workspace = env.get("GITHUB_WORKSPACE")
    if not workspace:
        return ""
    try:
        rel = root.resolve().relative_to(Path(workspace).resolve()).as_posix()
    except ValueError:
        return ""
    return "" if rel in ("", ".") else rel + "/"
