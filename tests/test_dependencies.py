"""Every third-party package the code imports is declared in pyproject.toml.

A package that is only installed because another one depends on it (MarkupSafe comes
with Jinja2, tornado with livereload) can disappear with that package's next release;
the code must not rely on it without saying so.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "src" / "explainer"


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def imported_top_modules() -> dict[str, list[str]]:
    """Top-level module name -> where it is imported (absolute imports only, in any scope)."""
    found: dict[str, list[str]] = {}
    for path in sorted(SOURCE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                where = f"{path.relative_to(ROOT).as_posix()}:{node.lineno}"
                found.setdefault(name.split(".")[0], []).append(where)
    return found


def declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {_canonical(re.match(r"[A-Za-z0-9._-]+", spec).group(0))  # type: ignore[union-attr]
            for spec in project["dependencies"]}


def test_every_imported_package_is_a_declared_dependency() -> None:
    providers = packages_distributions()
    deps = declared()
    third_party = {m: w for m, w in imported_top_modules().items()
                   if m not in sys.stdlib_module_names and m != "explainer"}
    assert {"yaml", "jinja2", "markdown_it", "tornado", "watchfiles"} <= third_party.keys()  # the walk sees them
    undeclared = []
    for module, where in sorted(third_party.items()):
        dists = {_canonical(d) for d in providers.get(module, [])}
        assert dists, f"{module} (imported at {where[0]}) is not installed by any distribution"
        if not dists & deps:
            undeclared.append(f"{module} (from {', '.join(sorted(dists))}) imported at {', '.join(where)}")
    assert undeclared == [], "add to [project] dependencies in pyproject.toml"
