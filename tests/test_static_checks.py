"""The code passes `mypy --strict` and `ruff` over the package, the tests, the benchmarks and the scripts
(configured in pyproject.toml): run by the test command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=REPO, capture_output=True, text=True, timeout=600)


def test_mypy_strict() -> None:
    done = _run("mypy")  # settings (strict, files = src/explainer) in pyproject.toml
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff() -> None:
    done = _run("ruff", "check", "src/explainer", "tests", "bench", "scripts", "fuzz")
    assert done.returncode == 0, done.stdout + done.stderr
