"""Share cards: what drawing them costs (issue 30, point 8).

    python bench/share_cards.py [--entries 1000] [--rounds 3] [--cards 300]

Prints

* the cost of one card, drawn in this process (`render.cards.draw`) for every page of a
  generated corpus: the first card of a process (its glyphs and shared parts rendered
  then) and the median of the rest, in ms; the budget is 10 ms a card;
* a cold build of the generated corpus (bench/generate.py, `--entries` entries) with
  `share_cards: false` (the baseline) and with cards, run in turn `--rounds` times each
  (`explainer build --no-cache`, output deleted before each run, untimed), the medians of
  wall and CPU time (CPU time moves less when others share the machine) and the ratios of
  the two in this run;
* a warm build after one event's body changed: how many cards it drew (none: the card
  shows no body text).

The corpus goes to bench/corpus/cards-N (git-ignored) and is made afresh each run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))
import generate  # noqa: E402
from run import build_cmd, timed_into  # noqa: E402

from explainer.render.cards import Card, draw  # noqa: E402


def per_card(root: Path, n: int) -> tuple[float, float, int]:
    """(first card ms, median ms of the next ones, cards drawn), for the titles of `root`'s entries."""
    titles = []
    for path in sorted((root / "content").glob("*/*.md")):
        for line in path.read_text(encoding="utf-8").splitlines()[1:]:
            if line.startswith("title:"):
                titles.append((path.parent.name, line[6:].strip().strip("'\"")))
                break
    cards = [Card("A generated explainer", title, kind.rstrip("s").capitalize(), "11 July 2023",
                  f"{i % 17} sources cited", i % 5 == 0) for i, (kind, title) in enumerate(titles[:n])]
    start = time.perf_counter()
    draw(cards[0])
    first = (time.perf_counter() - start) * 1000
    times = []
    for card in cards[1:]:
        start = time.perf_counter()
        draw(card)
        times.append((time.perf_counter() - start) * 1000)
    return first, statistics.median(times), len(cards)


def set_cards(root: Path, on: bool) -> None:
    config = root / "config.yaml"
    lines = [line for line in config.read_text(encoding="utf-8").splitlines() if not line.startswith("share_cards:")]
    config.write_text("\n".join(lines + [f"share_cards: {'true' if on else 'false'}"]) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cards", type=int, default=300, help="cards drawn for the per-card cost")
    args = parser.parse_args(argv)
    os.environ["PYTHONPATH"] = os.pathsep.join([str(HERE.parent / "src"), os.environ.get("PYTHONPATH", "")])
    root = HERE / "corpus" / f"cards-{args.entries}"
    if root.exists():
        shutil.rmtree(root)
    generate.generate(args.entries, root)

    first, median, n = per_card(root, args.cards)
    print(f"per card ({n} cards, one process): first {first:.1f} ms, then median {median:.2f} ms")

    runs: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
    for _ in range(args.rounds):
        for on in (False, True):  # in turn: a slow spell of a shared machine lands on both
            set_cards(root, on)
            wall, cpu, _ = timed_into(root / "site", build_cmd(root, "--no-cache"))
            runs[on].append((wall, cpu))
    pages = len(list((root / "site").rglob("*.html")))
    cards = len(list((root / "site").rglob("*.png")))
    print(f"cold build, {args.entries} entries ({pages} pages), median of {args.rounds} (wall s / CPU s):")
    medians = {}
    for on, label in ((False, "share_cards: false"), (True, f"with {cards} cards")):
        wall, cpu = (statistics.median(r[i] for r in runs[on]) for i in (0, 1))
        medians[on] = (wall, cpu)
        each = " ".join(f"{w:.2f}/{c:.2f}" for w, c in runs[on])
        print(f"  {label:20} {wall:6.2f} / {cpu:6.2f}   runs: {each}")
    (base_wall, base_cpu), (wall, cpu) = medians[False], medians[True]
    print(f"  ratio with / without: wall {wall / base_wall:.2f}, CPU {cpu / base_cpu:.2f}; "
          f"{(cpu - base_cpu) * 1000 / max(cards, 1):.2f} ms of CPU a card")

    set_cards(root, True)
    shutil.rmtree(root / ".explainer-cache", ignore_errors=True)
    timed_into(root / "site", build_cmd(root))  # fills the cache
    event = sorted((root / "content" / "events").glob("*.md"))[0]
    lines = event.read_text(encoding="utf-8").splitlines()
    at = max(i for i, line in enumerate(lines) if line[:1].isalpha())  # the last paragraph gets a word more
    lines[at] = lines[at].replace(" ", " indeed ", 1)
    event.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = {p: p.stat().st_mtime_ns for p in (root / ".explainer-cache" / "pages").glob("*.png")}
    wall = timed_into(root / "site", build_cmd(root))[0]
    after = {p for p in (root / ".explainer-cache" / "pages").glob("*.png") if p not in before}
    print(f"warm build after one body edit: {wall:.2f} s, {len(after)} card(s) drawn")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
