"""Deterministic corpus generator: a typed explainer project of N entries.

    python bench/generate.py N OUTDIR [--seed S] [--plain] [--shape default|varied|drafts]

Writes OUTDIR/config.yaml and OUTDIR/content/ with 20 % actors, 50 % events and 30 %
sources (plus a home page). Every body is about 500 words of Markdown with headings,
lists, a fenced code block, 2–4 footnotes, 2–4 citations (with locators and
multi-citations), cross-links, a plain `.md` link and front-matter references. Every id
is valid, every source is cited and every actor and event is linked, so
`explainer check` reports no errors (and no warnings). The same N and seed always give
the same bytes, so benchmark runs and tests compare like with like.

`--shape varied` writes a differently shaped corpus of the same ids and titles (issue
19): a larger, Zipf-distributed vocabulary, paragraphs mostly uncited, long lists (12-30
items, some nested), 6-14 footnotes, dense cross-links (10-25 a body), tables, code,
several heading levels, a few "hub" actors in a large share of the events (2-8 actors
an event), and sources of very different sizes (a third with no body, a seventh of
2,000 words or more). It also passes `explainer check` without errors or warnings.
The default shape's output is unchanged by the option.

`--shape drafts` writes the varied shape's text with `uncited-paragraph` left on, as an
author's draft has it: tens of thousands of warnings at 4,000 entries (every uncited
paragraph of an event or actor), and no errors. The dev server's fast path is measured
on it, since a draft with warnings is what an author previews.

`--plain` writes the same text for peer generators (Hugo, Eleventy): only a title in
the front matter, citations dropped, cross-links turned into their text.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

WORDS = (
    "alliance office liaison summit minister ambassador treaty council partner security "
    "defence policy region cooperation statement meeting proposal objection delegation "
    "report officials government parliament committee strategy dialogue framework mission "
    "agreement declaration embassy spokesperson capital negotiation consensus member "
    "communique draft budget staff interview newspaper analyst decision review week month "
    "year early later public private formal informal joint bilateral regional global "
    "maritime cyber space industrial exercise technology supply chain resilience deterrence "
    "stability pressure response question concern support plan visit leader foreign "
    "national local senior junior former current future recent previous official unofficial "
    "the of and to in on for with by as at from about between after before during against "
    "under over into through while which that this these those its their his her"
).split()

PUBLISHERS = ("Daily Courier", "Evening Ledger", "Harbour Times", "Northern Gazette", "Policy Review",
              "Foreign Ministry", "Press Agency", "Defence Journal", "Civic Observer", "World Wire")
ACTOR_KINDS = ("person", "organisation", "country", "grouping")
SOURCE_TYPES = ("news", "official", "statement", "report", "analysis")


@dataclass
class Item:
    id: str
    kind: str
    title: str
    folder: str
    meta: list[str] = field(default_factory=list)


def _title(rng: random.Random, n: int) -> str:
    words = [rng.choice(WORDS[:120]) for _ in range(n)]
    return " ".join(words).capitalize()


def _sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    words[0] = words[0].capitalize()
    if n > 6:
        i = rng.randrange(2, n - 2)
        words[i] = f"*{words[i]}*" if rng.random() < 0.5 else f"**{words[i]}**"
    return " ".join(words) + "."


def _para(rng: random.Random, words: int) -> str:
    out, total = [], 0
    while total < words:
        n = rng.randint(8, 18)
        out.append(_sentence(rng, n))
        total += n
    return " ".join(out)


def plan(n: int, seed: int) -> list[Item]:
    """The entries: ids, kinds and titles, in a fixed order."""
    rng = random.Random(seed)
    n_actors, n_events = max(1, n * 20 // 100), max(1, n * 50 // 100)
    n_sources = max(1, n - n_actors - n_events)
    items: list[Item] = []
    for i in range(n_actors):
        items.append(Item(f"actor-{rng.choice(WORDS[:60])}-{i}", "actor", _title(rng, 2), "actors"))
    for i in range(n_events):
        items.append(Item(f"event-{rng.choice(WORDS[:60])}-{i}", "event", _title(rng, 5), "events"))
    for i in range(n_sources):
        items.append(Item(f"source-{rng.choice(WORDS[:60])}-{i}", "source", _title(rng, 7), "sources"))
    return items


def body(rng: random.Random, item: Item, index: int, actors: list[Item], events: list[Item],
         sources: list[Item]) -> tuple[str, list[str]]:
    """~500 words of Markdown; returns (text, ids of sources it cites)."""
    # Citations: event j cites sources 2j and 2j+1 (mod S), so every source is cited.
    if item.kind == "event":
        cites = [sources[(2 * index) % len(sources)], sources[(2 * index + 1) % len(sources)]]
    else:
        cites = [sources[(index * 3 + 5) % len(sources)], sources[(index * 7 + 1) % len(sources)]]
    cites += [rng.choice(sources) for _ in range(rng.randint(0, 2))]
    cites = list(dict.fromkeys(c.id for c in cites))
    a1 = actors[(index * 5 + 3) % len(actors)]
    a2 = rng.choice(actors)
    # Event j links to event j+1, so every event is linked; events also name actors.
    ev = events[(index + 1) % len(events)] if item.kind == "event" else rng.choice(events)
    other_event = rng.choice(events)
    notes = rng.randint(2, 4)
    loc = rng.choice(("p. 3", "para. 6", "pp. 12-14", "section 2"))
    cite_multi = f"[@{cites[0]}; @{cites[-1]}, {loc}]" if len(cites) > 1 else f"[@{cites[0]}, {loc}]"
    lines = [
        f"{_para(rng, 30)} [[{a1.id}]] and [[{ev.id}|the {rng.choice(WORDS[:40])}]] "
        f"{_para(rng, 15)}[@{cites[0]}]",
        "",
        "## Background",
        "",
        f"{_para(rng, 45)}[^n1] See [{other_event.title}](../events/{other_event.id}.md) "
        f"and [[{a2.id}]] for more.[@{cites[-1]}, {loc}]",
        "",
    ]
    for k in range(4):
        mark = f"[^n{k + 2}]" if k + 2 <= notes else ""
        lines.append(f"- {_para(rng, 8)}{mark}")
    lines += ["", "## Details", "", f"{_para(rng, 50)}{cite_multi}", "", "```text"]
    for _ in range(4):
        lines.append(" ".join(rng.choice(WORDS) for _ in range(6)))
    lines += ["```", "", f"{_para(rng, 45)}[@{cites[1 % len(cites)]}]", ""]
    for k in range(3):
        lines.append(f"{k + 1}. {_para(rng, 10)}")
    lines += ["", "### What the sources say", "",
              f"{_para(rng, 50)}[@{cites[-1]}] {_para(rng, 20)}", ""]
    lines.append(f"> {_para(rng, 20)}")
    lines.append("")
    if item.kind == "event" and index % 20 == 0 and len(cites) > 1:
        lines += [f"::: dispute {_sentence(rng, 6).rstrip('.')}?",
                  f"- {_para(rng, 12)}[@{cites[0]}]",
                  f"- {_para(rng, 12)}[@{cites[1]}]",
                  ":::", ""]
    for k in range(notes):
        lines.append(f"[^n{k + 1}]: {_para(rng, 10)}")
    return "\n".join(lines) + "\n", cites


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def front_matter(rng: random.Random, item: Item, index: int, actors: list[Item], sources: list[Item],
                 cites: list[str]) -> str:
    lines = [f"title: {_q(item.title)}"]
    if item.kind == "actor":
        lines.append(f"kind: {ACTOR_KINDS[index % len(ACTOR_KINDS)]}")
        lines.append(f"summary: {_q(_sentence(rng, 14))}")
        lines.append(f"role: {_q(_title(rng, 4))}")
        lines.append(f"aliases: [{_q(item.title.upper()[:6])}]")
        if index > 0 and index % 3 == 0:
            lines.append(f"member_of: [{actors[index // 3 - 1].id}]")
        lines.append(f"sources: [{cites[0]}]")
    elif item.kind == "event":
        year, month, day = 2000 + index % 25, 1 + index % 12, 1 + index % 28
        lines.append(f'date: "{year}-{month:02d}-{day:02d}"')
        lines.append(f"location: {_q(_title(rng, 1))}")
        ids = list(dict.fromkeys(actors[(index * k + 2 * k) % len(actors)].id for k in (1, 2, 3)))
        lines.append(f"actors: [{', '.join(ids)}]")
        lines.append(f"sources: [{cites[0]}]")
        lines.append(f"summary: {_q(_sentence(rng, 16))}")
    else:
        lines.append(f"publisher: {_q(PUBLISHERS[index % len(PUBLISHERS)])}")
        lines.append(f"authors: [{_q(_title(rng, 2))}]")
        year, month, day = 2000 + index % 25, 1 + index % 12, 1 + index % 28
        lines.append(f'date: "{year}-{month:02d}-{day:02d}"')
        lines.append(f'url: "https://news.example.org/{item.id}"')
        lines.append(f'accessed: "2024-{month:02d}-{day:02d}"')
        lines.append(f"type: {SOURCE_TYPES[index % len(SOURCE_TYPES)]}")
        lines.append("language: en")
        lines.append(f"summary: {_q(_sentence(rng, 12))}")
    return "---\n" + "\n".join(lines) + "\n---\n"


# --- the "varied" shape ---------------------------------------------------------------

SYLLABLES = ("ka to ri mi na su ve lo an ber gor tal min es ul dor pra sen vik ha "
             "mo ne tra ski vol zen ar is ob ek um ja qui fel ros tan bi").split()


class Vocabulary:
    """Function words and a Zipf-distributed vocabulary of pseudo-words (rank r drawn
    with weight 1/r), so a body has many distinct, mostly rare terms as real text has."""

    def __init__(self, seed: int, size: int = 8000) -> None:
        rng = random.Random(f"vocab-{seed}")
        words: dict[str, None] = {}
        while len(words) < size:
            words["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))] = None
        self.words = list(words)
        total, cum = 0.0, []
        for rank in range(1, size + 1):
            total += 1 / rank
            cum.append(total)
        self.cum = cum

    def sentence(self, rng: random.Random, n: int) -> str:
        picks = rng.choices(self.words, cum_weights=self.cum, k=n)
        words = [w if rng.random() < 0.55 else rng.choice(WORDS) for w in picks]
        words[0] = words[0].capitalize()
        if n > 6 and rng.random() < 0.3:
            i = rng.randrange(2, n - 2)
            words[i] = f"*{words[i]}*" if rng.random() < 0.5 else f"`{words[i]}`"
        return " ".join(words) + "."

    def para(self, rng: random.Random, words: int) -> str:
        out, total = [], 0
        while total < words:
            n = rng.randint(6, 22)
            out.append(self.sentence(rng, n))
            total += n
        return " ".join(out)


def _links(rng: random.Random, pool: list[Item], k: int) -> list[str]:
    out = []
    for _ in range(k):
        other = rng.choice(pool)
        out.append(f"[[{other.id}]]" if rng.random() < 0.6 else f"[[{other.id}|{other.title.split()[0].lower()}]]")
    return out


def body_varied(rng: random.Random, vocab: Vocabulary, item: Item, index: int, actors: list[Item],
                events: list[Item], sources: list[Item]) -> tuple[str, list[str]]:
    """A body of the varied shape; returns (text, ids of sources it cites)."""
    everyone = actors + events
    if item.kind == "event":
        cites = [sources[(2 * index) % len(sources)], sources[(2 * index + 1) % len(sources)]]
    elif item.kind == "actor":
        cites = [sources[(index * 3 + 5) % len(sources)]]
    else:
        cites = []
    cites += [rng.choice(sources) for _ in range(rng.randint(0, 3))] if item.kind != "source" else []
    cite_ids = [c for c in dict.fromkeys(c.id for c in cites) if c != item.id]
    if item.kind == "source":
        size = rng.random()
        if size < 0.33:
            return "", []
        paragraphs = rng.randint(30, 45) if size > 0.85 else rng.randint(1, 3)
    else:
        paragraphs = rng.randint(3, 6)
    notes = rng.randint(6, 14) if item.kind != "source" else rng.randint(0, 3)
    # the links every entry of the default shape also has, so every event and actor is linked
    fixed = [f"[[{actors[(index * 5 + 3) % len(actors)].id}]]"]
    if item.kind == "event":
        fixed.append(f"[[{events[(index + 1) % len(events)].id}|the next event]]")
    links = fixed + _links(rng, everyone, rng.randint(8, 22))
    note_marks = [f"[^v{k + 1}]" for k in range(notes)]
    lines: list[str] = []
    cited_once: set[str] = set()

    def cite() -> str:
        if not cite_ids:
            return ""
        left = [c for c in cite_ids if c not in cited_once]
        pick = left[0] if left else rng.choice(cite_ids)
        cited_once.add(pick)
        if rng.random() < 0.3:
            return f"[@{pick}, {rng.choice(('p. 3', 'para. 6', 'pp. 12-14', 'section 2'))}]"
        return f"[@{pick}]"

    def para(words: int) -> str:
        text = vocab.para(rng, words)
        for _ in range(rng.randint(0, 3)):
            if links:
                text += " " + links.pop() + " " + vocab.sentence(rng, rng.randint(4, 9))
        if note_marks and rng.random() < 0.6:
            text += note_marks.pop()
        # mostly uncited; the sources a page must cite are cited somewhere below
        if rng.random() < 0.3 or (len(cited_once) < len(cite_ids) and rng.random() < 0.5):
            text += cite()
        return text

    for p in range(paragraphs):
        if p and p % 3 == 0:
            level = "##" if rng.random() < 0.6 else "###"
            lines += [f"{level} {vocab.sentence(rng, rng.randint(2, 5)).rstrip('.')}", ""]
        lines += [para(rng.randint(25, 90)), ""]
    if item.kind != "source" or paragraphs > 10:
        for _ in range(rng.randint(12, 30)):
            extra = (" " + links.pop()) if links and rng.random() < 0.4 else ""
            mark = note_marks.pop() if note_marks and rng.random() < 0.2 else ""
            lines.append(f"- {vocab.sentence(rng, rng.randint(3, 10))}{extra}{mark}")
            if rng.random() < 0.1:
                lines.append(f"  - {vocab.sentence(rng, rng.randint(3, 8))}")
        lines.append("")
    if rng.random() < 0.6:
        cols = rng.randint(3, 5)
        lines.append("| " + " | ".join(vocab.sentence(rng, 1).rstrip(".") for _ in range(cols)) + " |")
        lines.append("|" + "---|" * cols)
        for _ in range(rng.randint(4, 14)):
            cells = [vocab.sentence(rng, rng.randint(1, 4)).rstrip(".") for _ in range(cols)]
            if links and rng.random() < 0.5:
                cells[0] = links.pop().replace("|", "\\|")  # in a table cell, `[[id\|text]]`
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    if rng.random() < 0.5:
        lines += ["```python"] + [f"{rng.choice(vocab.words)} = {rng.randint(0, 999)}  # {rng.choice(WORDS)}"
                                   for _ in range(rng.randint(4, 18))] + ["```", ""]
    if rng.random() < 0.4:
        lines += [f"> {vocab.para(rng, rng.randint(15, 40))}", ""]
    rest = " ".join(links)
    lines += [para(40) + (" See also " + rest + "." if rest else ""), ""]
    while len(cited_once) < len(cite_ids):
        lines += [vocab.para(rng, 20) + cite(), ""]
    if item.kind == "event" and index % 15 == 0 and len(cite_ids) > 1:
        lines += [f"::: dispute {vocab.sentence(rng, 6).rstrip('.')}?",
                  f"- {vocab.para(rng, 12)}[@{cite_ids[0]}]",
                  f"- {vocab.para(rng, 12)}[@{cite_ids[1]}]",
                  ":::", ""]
    used_notes = notes - len(note_marks)
    for k in range(used_notes):
        lines.append(f"[^v{notes - k}]: {vocab.para(rng, rng.randint(5, 25))}")
    return "\n".join(lines).rstrip("\n") + "\n", cite_ids


def front_matter_varied(rng: random.Random, vocab: Vocabulary, item: Item, index: int, actors: list[Item],
                        sources: list[Item], cites: list[str]) -> str:
    """Front matter of the varied shape: events name 2-8 actors, a few hubs in many."""
    if item.kind != "event":
        fm = front_matter(rng, item, index, actors, sources, cites or [sources[index % len(sources)].id])
        if item.kind == "actor" and not cites:
            fm = fm.replace(f"sources: [{sources[index % len(sources)].id}]\n", "")
        return fm
    lines = [f"title: {_q(item.title)}"]
    year, month, day = 2000 + index % 25, 1 + index % 12, 1 + index % 28
    lines.append(f'date: "{year}-{month:02d}-{day:02d}"')
    if rng.random() < 0.2:
        lines.append(f'end_date: "{year}-{month:02d}-{min(28, day + rng.randint(1, 3)):02d}"')
    lines.append(f"location: {_q(vocab.sentence(rng, 1).rstrip('.'))}")
    hubs = [actors[k % len(actors)].id for k in rng.sample(range(min(10, len(actors))), rng.randint(1, 2))]
    spread = [actors[(index * k + 2 * k) % len(actors)].id for k in (1, 2, 3)]
    others = [rng.choice(actors).id for _ in range(rng.randint(0, 3))]
    lines.append(f"actors: [{', '.join(dict.fromkeys(hubs + spread + others))}]")
    lines.append(f"sources: [{cites[0]}]")
    lines.append(f"summary: {_q(vocab.sentence(rng, rng.randint(8, 24)))}")
    return "---\n" + "\n".join(lines) + "\n---\n"


CONFIG = """\
title: Generated explainer ({n} entries)
description: A generated corpus for benchmarks.
language: en
base_url: http://127.0.0.1:8000/
author: bench
"""

QUIET = """\
problems:
  uncited-paragraph: "off"
"""

_CITE_RE = re.compile(r"\[@[^\]]*\]")
_XREF_RE = re.compile(r"\[\[([^\]|]*)(?:\|([^\]]*))?\]\]")


def plain(text: str, titles: dict[str, str]) -> str:
    """The same Markdown without explainer syntax: citations dropped, cross-links as text."""
    text = _CITE_RE.sub("", text)
    text = _XREF_RE.sub(lambda m: m.group(2) or titles.get(m.group(1), m.group(1)), text)
    text = re.sub(r"^::: dispute (.*)$", r"**\1**", text, flags=re.M)
    return re.sub(r"^:::$", "", text, flags=re.M)


SHAPES = ("default", "varied", "drafts")


def generate(n: int, out: Path, seed: int = 8, plain_text: bool = False, shape: str = "default") -> list[Path]:
    """Write the project (or its plain twin) of `shape` into `out`, replacing what was there."""
    if shape not in SHAPES:
        raise ValueError(f"unknown shape {shape!r} (one of {', '.join(SHAPES)})")
    vocab = Vocabulary(seed) if shape in ("varied", "drafts") else None
    items = plan(n, seed)
    actors = [i for i in items if i.kind == "actor"]
    events = [i for i in items if i.kind == "event"]
    sources = [i for i in items if i.kind == "source"]
    titles = {i.id: i.title for i in items}
    content = out / "content"
    if content.exists():
        shutil.rmtree(content)
    for folder in ("actors", "events", "sources"):
        (content / folder).mkdir(parents=True)
    written = []
    for group in (actors, events, sources):
        for index, item in enumerate(group):
            rng = random.Random(f"{seed}-{item.id}")
            if vocab is None:
                text, cites = body(rng, item, index, actors, events, sources)
                fm = front_matter(rng, item, index, actors, sources, cites)
            else:
                text, cites = body_varied(rng, vocab, item, index, actors, events, sources)
                fm = front_matter_varied(rng, vocab, item, index, actors, sources, cites)
            if plain_text:
                fm = f"---\ntitle: {_q(item.title)}\n---\n"
                text = plain(text, titles)
            path = content / item.folder / f"{item.id}.md"
            path.write_text(fm + text, encoding="utf-8")
            written.append(path)
    home = (f"---\ntitle: Generated explainer\n---\nA corpus of {n} entries. Start with "
            f"[[{actors[0].id}]] or [[{events[0].id}]].\n")
    if plain_text:
        home = plain(home, titles).replace("---\ntitle: Generated explainer\n---\n", "---\ntitle: Home\n---\n")
        (content / "_index.md").write_text(home, encoding="utf-8")
    else:
        (content / "index.md").write_text(home, encoding="utf-8")
        (out / "config.yaml").write_text(CONFIG.format(n=n) + ("" if shape == "drafts" else QUIET), encoding="utf-8")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, help="number of entries")
    parser.add_argument("out", type=Path, help="project folder to write")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--plain", action="store_true", help="plain Markdown for peer generators")
    parser.add_argument("--shape", choices=SHAPES, default="default", help="corpus shape (see above)")
    args = parser.parse_args(argv)
    if args.n < 3:
        parser.error("N must be at least 3 (one entry of each kind)")
    args.out.mkdir(parents=True, exist_ok=True)
    files = generate(args.n, args.out, args.seed, args.plain, args.shape)
    print(f"wrote {len(files)} entries to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
