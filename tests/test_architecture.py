"""The code's shape: one pipeline whose imports point one way.

The stages (load → validate → resolve → render → write) may import the model and the
shared helpers, and earlier stages; never a later stage, the pipeline, the cache, the
workers, the commands, the server or the CLI. Nothing may import in a cycle. These
tests read the imports from the source with `ast`, so they hold for code not yet run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "explainer"

LAYERS = [
    {"dates", "diagnostics", "inputs", "schema", "model"},
    {"load"},
    {"validate"},
    {"resolve"},
    {"render"},
    {"write"},
    {"cache", "workers"},
    {"pipeline"},
    {"build", "formats", "scaffold", "jsonschema_export", "links", "translate"},
    {"serve"},
    {"cli", "__main__"},
]
"""Top-level modules and packages, lowest first: each may import only its own layer and lower ones."""


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Every explainer module `path` imports (at any depth of the file), resolved to full names."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "explainer"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "explainer":
                continue
            for alias in node.names:  # `from . import schema` imports a module
                candidate = f"{target}.{alias.name}"
                found.add(candidate if _exists(candidate) else target)
    return found


def _exists(name: str) -> bool:
    rel = Path(*name.split(".")[1:])
    return (PACKAGE / rel).with_suffix(".py").is_file() or (PACKAGE / rel / "__init__.py").is_file()


def graph() -> dict[str, set[str]]:
    return {module_name(p): imports_of(p) for p in sorted(PACKAGE.rglob("*.py"))}


def layer_of(name: str) -> int:
    top = name.split(".")[1] if "." in name else "__init__"
    if top == "__init__":
        return 0
    for i, layer in enumerate(LAYERS):
        if top in layer:
            return i
    raise AssertionError(f"{name}: not in any layer of tests/test_architecture.py (add it where it belongs)")


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt == node or nxt not in edges:
                continue
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_no_import_cycles() -> None:
    # a package's __init__ re-exporting its modules is not a cycle with them: leave those edges out
    edges = {m: {t for t in ts if not (m == t.rsplit(".", 1)[0] or t == m.rsplit(".", 1)[0] and m.endswith("__init__"))}
             for m, ts in graph().items()}
    edges = {m: {t for t in ts if not t.startswith(m + ".")} for m, ts in edges.items()}
    assert find_cycle(edges) is None, " -> ".join(find_cycle(edges) or [])


def test_imports_point_down_the_pipeline() -> None:
    wrong = []
    for module, targets in graph().items():
        for target in targets:
            if layer_of(target) > layer_of(module):
                wrong.append(f"{module} imports {target}")
    assert not wrong, "\n".join(sorted(wrong))


def test_the_checks_can_fail() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    assert layer_of("explainer.cli") > layer_of("explainer.render.pages") > layer_of("explainer.load.files")
    with pytest.raises(AssertionError):
        layer_of("explainer.nowhere")


def test_stage_folders_exist() -> None:
    for stage in ("load", "validate", "resolve", "render", "write"):
        assert (PACKAGE / stage / "__init__.py").is_file(), stage
