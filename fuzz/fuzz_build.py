"""Atheris (libFuzzer) target: arbitrary bytes as an entry file or as config.yaml through
`check` (and now and then `build`); anything but success or clean `path:line:col`
problems is a crash.

Run it locally for as long as you like (crashes land in fuzz/artifacts/):

    python fuzz/fuzz_build.py -max_total_time=600 -artifact_prefix=fuzz/artifacts/ fuzz/corpus/

Replay one input:  python fuzz/fuzz_build.py fuzz/artifacts/crash-<sha1>
CI runs a few dozen inputs as a smoke test (tests/test_fuzz.py::test_atheris_smoke).
Save what it finds as a seed in tests/fuzz_regressions/.
"""

from __future__ import annotations

import atexit
import re
import shutil
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from explainer.build import build, check

PROBLEM = re.compile(r"^[^\n]+?:[1-9][0-9]*:[1-9][0-9]*: (?:error|warning): [^\n]+$")
BASE = {
    "config.yaml": "title: Fuzz\nbase_url: https://example.org/\n",
    "content/index.md": "---\ntitle: Home\n---\n[[nato]] [[fuzz]].[@guardian-2023]\n",
    "content/actors/nato.md": "---\ntitle: NATO\nkind: organisation\n---\nAn alliance.[@guardian-2023]\n",
    "content/sources/guardian-2023.md": "---\ntitle: Report\npublisher: The Guardian\n---\n",
}
ROOT = Path(tempfile.mkdtemp(prefix="explainer-fuzz-"))
atexit.register(shutil.rmtree, ROOT, True)
for rel, text in BASE.items():
    (ROOT / rel).parent.mkdir(parents=True, exist_ok=True)
    (ROOT / rel).write_text(text, encoding="utf-8")
(ROOT / "content/pages").mkdir(parents=True, exist_ok=True)
ENTRY = ROOT / "content/pages/fuzz.md"
CONFIG = ROOT / "config.yaml"
CONFIG_HEAD = BASE["config.yaml"].encode()


def TestOneInput(data: bytes) -> None:  # noqa: N802 - the name libFuzzer expects
    """One input: the first byte picks what the rest becomes.

    Bit 7 clear: the entry file (mode % 3: valid front matter and a fuzzed body, fuzzed
    front matter, or raw bytes). Bit 7 set: config.yaml (bit 6: after a valid title and
    base_url, so the fuzzed keys' values are what gets checked), the entry a fixed one.
    """
    if not data:
        return
    mode, rest = data[0], data[1:]
    if mode & 0x80:
        CONFIG.write_bytes((CONFIG_HEAD if mode & 0x40 else b"") + rest)
        ENTRY.write_bytes(b"---\ntitle: Fuzz\n---\nText.\n")
    else:
        CONFIG.write_bytes(CONFIG_HEAD)
        if mode % 3 == 0:
            rest = b"---\ntitle: Fuzz\n---\n" + rest  # valid front matter: exercise the Markdown
        elif mode % 3 == 1:
            rest = b"---\n" + rest  # the front matter itself is fuzzed
        ENTRY.write_bytes(rest)
    problems, _ = check(ROOT)
    found = list(problems.items)
    if mode % 16 == 0:
        result = build(ROOT)
        found += result.problems.items
        outside = [p.name for p in ROOT.iterdir() if p.name not in ("config.yaml", "content", "site", ".site.lock")]
        assert not outside, f"files written outside site/: {outside}"
    for problem in found:
        text = problem.format()
        assert PROBLEM.match(text), f"badly formed problem: {text!r}"


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
