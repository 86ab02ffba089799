"""The benchmark's second corpus shape (issue 19, point 1): `generate.py --shape varied`.

The speed figures must hold on a corpus the project did not shape around; this checks
that the varied corpus is deterministic, passes `explainer check --strict`, and really
has the features it promises (the generator is benchmark input, not product code, but a
corpus that silently lost its tables or footnotes would make its figures meaningless).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from conftest import problems_of
from tools import bench_generate

REPO = Path(__file__).resolve().parent.parent
generate = bench_generate()


def files(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in sorted(root.rglob("*.md"))}


def test_varied_corpus_is_deterministic_clean_and_varied(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    generate.generate(150, a, shape="varied")
    generate.generate(150, b, shape="varied")
    texts = files(a)
    assert texts == files(b)
    assert problems_of(a) == []  # no error and no warning: --strict passes too
    bodies = {k: v.split("---\n", 2)[2] for k, v in texts.items() if k.count("/") == 2}
    default = tmp_path / "default"
    generate.generate(150, default)
    assert {k.split("/")[-1] for k in files(default)} == {k.split("/")[-1] for k in texts}  # same ids
    assert files(default) != texts
    events = [v for k, v in texts.items() if "/events/" in k]
    sources = [bodies[k] for k in bodies if "/sources/" in k]
    assert max(len(re.search(r"actors: \[(.*)\]", e)[1].split(", ")) for e in events) >= 6  # type: ignore[index]
    assert sum(1 for s in sources if not s.strip()) >= len(sources) // 5  # sources without a body
    assert max(len(s.split()) for s in sources) >= 2000  # and large ones
    assert sum(1 for t in bodies.values() if "|---|" in t) >= len(bodies) // 3  # tables
    assert sum(1 for t in bodies.values() if "```python" in t) >= len(bodies) // 4  # code
    assert max(t.count("\n[^v") for t in bodies.values()) >= 10  # many footnotes
    assert max(len(re.findall(r"^- ", t, re.M)) for t in bodies.values()) >= 20  # long lists
    assert max(t.count("[[") for t in bodies.values()) >= 15  # dense cross-links
    paragraphs = [p for t in bodies.values() for p in t.split("\n\n") if p and p[0].isalpha()]
    uncited = sum(1 for p in paragraphs if "[@" not in p)
    assert uncited > len(paragraphs) // 2  # mostly uncited paragraphs
    taking_part: dict[str, int] = {}
    for e in events:
        for actor in re.search(r"actors: \[(.*)\]", e)[1].split(", "):  # type: ignore[index]
            taking_part[actor] = taking_part.get(actor, 0) + 1
    assert max(taking_part.values()) >= len(events) // 8  # hub actors in many events


def test_drafts_corpus_is_the_varied_text_with_warnings_and_no_errors(tmp_path: Path) -> None:
    """The dev server is measured on a draft: the varied text with uncited-paragraph left on."""
    varied, drafts = tmp_path / "varied", tmp_path / "drafts"
    generate.generate(150, varied, shape="varied")
    generate.generate(150, drafts, shape="drafts")
    assert files(drafts) == files(varied)  # the same entries, byte for byte
    assert (drafts / "config.yaml").read_text(encoding="utf-8") != (varied / "config.yaml").read_text(encoding="utf-8")
    found = problems_of(drafts)
    assert not [p for p in found if ": error: " in p], found[:3]
    assert len(found) > 150 and all("warning: paragraph has no citation" in p or "more problems" in p for p in found)


def test_unknown_shape_is_a_usage_error(tmp_path: Path) -> None:
    done = run_cli_generate(tmp_path, "--shape", "round")
    assert done.returncode == 2
    assert "invalid choice: 'round' (choose from 'default', 'varied', 'drafts')" in done.stderr


def run_cli_generate(tmp_path: Path, *args: str):  # type: ignore[no-untyped-def]
    import subprocess

    return subprocess.run([sys.executable, str(REPO / "bench" / "generate.py"), "10", str(tmp_path / "x"), *args],
                          capture_output=True, text=True)
