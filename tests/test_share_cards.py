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


def _ink_columns(data: bytes, top: int, bottom: int) -> int:
    """How many columns of the card's rows top..bottom hold anything but background."""
    with Image.open(io.BytesIO(data)) as im:
        band = im.convert("L").crop((0, top, 1200, bottom))
        background = band.getpixel((1199, 0))
        return sum(1 for x in range(1200) if any(band.getpixel((x, y)) != background for y in range(0, band.height, 2)))


def test_a_japanese_card_is_set_in_the_bundled_japanese_font_and_wraps_between_characters() -> None:
    from explainer.render.cards import BOLD, face, units, wrap

    title = "北大西洋条約機構（NATO）が東京に連絡事務所を開設する構想について、フランスのマクロン大統領が反対した"
    lines = wrap(face(BOLD, 60), title, 1040, 3)
    assert lines is not None and len(lines) > 1 and "".join(lines) == title  # no spaces added between characters
    assert not any(line[0] in "、。）」" for line in lines)  # never a closing mark first on a line
    assert units("NATO東京、構想")[:3] == [("NATO", True), ("東", False), ("京、", False)]
    japanese = draw(Card("サイト", title, "関係者", "2023年7月11日", "引用した出典12件", False))
    boxes = draw(Card("サイト", "\u25a1" * 40, "関係者", "2023年7月11日", "引用した出典12件", False))
    assert japanese != boxes
    assert _ink_columns(japanese, 200, 400) > 800  # the title's lines run across the card


def test_japanese_cards_need_no_font_of_the_machine(tmp_path: Path) -> None:
    """The same bytes with fontconfig out of reach: the fonts are the package's own."""
    import subprocess
    import sys

    code = ("import sys; from explainer.render.cards import Card, draw; sys.stdout.buffer.write("
            "draw(Card('サイト', '東京に連絡事務所', '出来事', '2023年7月11日', '引用した出典3件', True, '出典の食い違い')))")
    alone = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60,
                           env={"PATH": str(tmp_path), "HOME": str(tmp_path)})
    assert alone.returncode == 0, alone.stderr
    assert alone.stdout == draw(Card("サイト", "東京に連絡事務所", "出来事", "2023年7月11日", "引用した出典3件", True,
                                     "出典の食い違い"))


def test_the_bundled_japanese_fonts_cover_the_theme_and_the_site() -> None:
    from explainer.render.cards import WIDE_BOLD, WIDE_REGULAR, covers, is_wide

    repo = Path(__file__).resolve().parent.parent
    table = (repo / "src/explainer/layouts/i18n/ja.yaml").read_text(encoding="utf-8")
    assert {ch for ch in table if is_wide(ch)} <= covers(WIDE_REGULAR)  # labels in regular
    titles = "".join(p.read_text(encoding="utf-8").split("\n---", 1)[0] for p in repo.glob("content/**/*.ja.md"))
    assert {ch for ch in titles if is_wide(ch)} <= covers(WIDE_BOLD)
    assert "龍" in covers(WIDE_BOLD) and "한" not in covers(WIDE_BOLD)  # JIS X 0208, not Hangul


def test_a_title_the_cards_cannot_draw_is_warned_where_it_is(tmp_path: Path) -> None:
    from conftest import problems_of

    root = make_project(tmp_path, {"content/actors/korea.md": "---\ntitle: 한국\nkind: country\n---\n"
                                   "Korea.[@guardian-2023]\n"})
    found = [p for p in problems_of(root) if "card-font" in p or "share card" in p]
    assert found == ["content/actors/korea.md:2:8: warning: the share card cannot draw '한' (U+D55C) in this title: "
                     "the bundled fonts lack it (the characters of JIS X 0208 are drawn; "
                     "scripts/subset-cjk-fonts.py adds others)"]
    off = make_project(tmp_path / "off", {"content/actors/korea.md": "---\ntitle: 한국\nkind: country\n---\n"
                                          "Korea.[@guardian-2023]\n",
                                          "config.yaml": "title: T\nbase_url: https://example.org/\n"
                                                         "share_cards: false\n"})
    assert not [p for p in problems_of(off) if "share card" in p]
