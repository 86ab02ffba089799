"""Share cards (issue 30, point 8): every page names a 1200 × 630 PNG as its og:image and
twitter:image; the same inputs give the same bytes; a warm build, the dev server and CI
with a restored cache draw only the cards whose title, kind, date, counts or dispute mark
changed; `share_cards: false` turns them off."""

from __future__ import annotations

import io
import re
from pathlib import Path

from PIL import Image

from conftest import make_project
from explainer.build import build
from explainer.cache.disk import DiskMemo
from explainer.cache.layer import Layer
from explainer.diagnostics import Problems
from explainer.pipeline import Memory, build_site
from explainer.render.cards import Card, card_file, draw
from explainer.serve.engine import Engine

BASE = "https://example.org/"


def pages(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))


def test_every_page_names_its_card_and_the_card_is_there(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    site = root / "site"
    assert build(root, site, base_url=BASE).ok
    found = pages(site)
    assert len(found) >= 10
    for rel in found:
        html = (site / rel).read_text(encoding="utf-8")
        og = re.findall(r'<meta property="og:image" content="([^"]*)">', html)
        tw = re.findall(r'<meta name="twitter:image" content="([^"]*)">', html)
        assert og == tw == [BASE + card_file(rel)], rel
        assert '<meta name="twitter:card" content="summary_large_image">' in html, rel
        with Image.open(site / card_file(rel)) as im:
            assert (im.format, im.size) == ("PNG", (1200, 630)), rel
    event = (site / "events/summit-2023/index.html").read_text(encoding="utf-8")
    alt = re.search(r'<meta property="og:image:alt" content="([^"]*)">', event)
    assert alt is not None and alt.group(1) == "Event: Summit, 11 July 2023; 1 source cited"


def test_cards_are_identical_from_identical_inputs(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    assert build(root, tmp_path / "a").ok and build(root, tmp_path / "b", jobs=2).ok
    cards = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.png"))
    assert cards
    for rel in cards:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel
    card = Card("Site", "A title", "Event", "1 May 2023", "3 sources cited", True)
    assert draw(card) == draw(Card(*[getattr(card, f) for f in card.__dataclass_fields__]))
    assert draw(card) != draw(Card("Site", "A title", "Event", "1 May 2023", "3 sources cited", False))


def test_a_long_title_is_cut_with_an_ellipsis(tmp_path: Path) -> None:
    data = draw(Card("Site", "word " * 80, "Event", "", "", False))
    with Image.open(io.BytesIO(data)) as im:
        assert im.size == (1200, 630)


def test_share_cards_false_turns_them_off(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    config = root / "config.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "share_cards: false\n", encoding="utf-8")
    assert build(root, root / "site").ok
    assert not list((root / "site").rglob("*.png"))
    home = (root / "site" / "index.html").read_text(encoding="utf-8")
    assert "og:image" not in home and "twitter:image" not in home
    assert '<meta name="twitter:card" content="summary">' in home


def test_share_cards_must_be_a_boolean(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    config = root / "config.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "share_cards: sometimes\n", encoding="utf-8")
    result = build(root, root / "site")
    assert not result.ok
    assert any("share_cards" in p.format() and p.format().startswith("config.yaml:") for p in result.problems.items)


def _render(root: Path) -> tuple[DiskMemo, Memory]:
    memo = DiskMemo(root)
    files = Memory()
    build_site(root, Problems(), files, Layer(memo))
    memo.save()
    return memo, files


def test_a_warm_build_draws_only_the_cards_that_changed(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    _, first = _render(root)
    cards = [rel for rel in first.files if rel.endswith(".png")]
    warm, again = _render(root)
    assert warm.hits["cards"] == len(cards)  # nothing changed: every card from the cache
    assert again.files == first.files
    event = root / "content" / "events" / "summit-2023.md"
    event.write_text(event.read_text(encoding="utf-8").replace("met in Vilnius", "met in Lithuania"),
                     encoding="utf-8")
    assert "met in Lithuania" in event.read_text(encoding="utf-8")
    warm, _ = _render(root)
    assert warm.hits["cards"] == len(cards)  # the text changed, not what the card shows
    event.write_text(event.read_text(encoding="utf-8").replace("title: Summit", "title: Vilnius summit"),
                     encoding="utf-8")
    warm, after = _render(root)
    assert warm.hits["cards"] == len(cards) - 1  # only the event's own card shows its title
    changed = [rel for rel in cards if after.files[rel] != first.files[rel]]
    assert changed == ["events/summit-2023/card.png"]


def test_the_dev_server_draws_only_the_cards_that_changed(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    served = tmp_path / "served"
    served.mkdir()
    engine = Engine(root, served)
    assert engine.rebuild().ok
    assert engine.memo.drawn == len(list(served.rglob("*.png"))) > 5
    event = root / "content" / "events" / "summit-2023.md"
    event.write_text(event.read_text(encoding="utf-8").replace("title: Summit", "title: Vilnius summit"),
                     encoding="utf-8")
    assert engine.rebuild().ok
    assert engine.memo.drawn == 1


def test_the_png_writer_round_trips_runs_of_rows() -> None:
    """`png` compresses runs of rows apart and reuses runs met before: what a decoder reads
    back is every pixel as drawn, whatever the runs."""
    from explainer.render.cards import HEIGHT, WIDTH, png

    rows = []
    for y in range(HEIGHT):
        if y % 97 < 40:
            rows.append(bytes(WIDTH))  # background
        else:
            rows.append(bytes((x * 7 + y) % 256 for x in range(WIDTH)))
    raw = b"".join(b"\0" + row for row in rows)  # each row: its filter byte, then its pixels
    for _ in range(2):  # the second time every run comes from the cache
        with Image.open(io.BytesIO(png(raw))) as im:
            assert (im.mode, im.size) == ("P", (WIDTH, HEIGHT))
            assert im.tobytes() == b"".join(rows)
