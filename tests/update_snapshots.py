"""Regenerate the golden snapshot of the fixture site: `python tests/update_snapshots.py`.

tests/test_graph_pages.py compares a few pages of tests/fixtures/mini, built fresh, with
the copies in tests/fixtures/mini-expected/. When a change to the layouts or the markup
is intended, run this script and review `git diff tests/fixtures/mini-expected` before
committing: the diff is the visible effect of the change on real pages.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
MINI = HERE / "fixtures" / "mini"
EXPECTED = HERE / "fixtures" / "mini-expected"

#: The pages kept in the snapshot: one of each kind of entry, the home page and the timeline.
SNAPSHOT_PAGES = [
    "index.html",
    "actors/nato/index.html",
    "events/alpha-summit/index.html",
    "sources/guardian-2023-07-12/index.html",
    "about/index.html",
    "timeline/index.html",
]


def build_mini(out: Path) -> Path:
    """Build the fixture site into `out` (no SOURCE_DATE_EPOCH, so no dates of the build)."""
    from explainer.build import build

    saved = os.environ.pop("SOURCE_DATE_EPOCH", None)
    try:
        result = build(MINI, out=out, strict=True)
    finally:
        if saved is not None:
            os.environ["SOURCE_DATE_EPOCH"] = saved
    if not result.ok:
        raise AssertionError("the fixture site does not build:\n"
                             + "\n".join(p.format() for p in result.problems.items))
    return out


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        site = build_mini(Path(tmp) / "site")
        shutil.rmtree(EXPECTED, ignore_errors=True)
        for rel in SNAPSHOT_PAGES:
            target = EXPECTED / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(site / rel, target)
    print(f"Wrote {len(SNAPSHOT_PAGES)} pages to {EXPECTED.relative_to(HERE.parent)}/; review them with git diff.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
