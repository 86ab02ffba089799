"""Make the bundled Japanese card fonts: Explainer Serif JP, a subset of Noto Serif CJK JP (OFL).

    pip install fonttools && python scripts/subset-cjk-fonts.py /usr/share/fonts/opentype/noto

Maintainers run this when the theme's Japanese table or the repository's Japanese text needs
characters the fonts lack (tests/test_share_cards.py says so); a build never runs it.
The Noto Serif CJK files come from Debian's `fonts-noto-cjk` (`NotoSerifCJK-Bold.ttc`,
`NotoSerifCJK-Regular.ttc`). It writes into src/explainer/render/fonts/:

* `ExplainerSerifJP-Bold.otf`: every kanji, kana and symbol of JIS X 0208 (what Japanese
  newspapers set), and every character of the repository's `content/` (a Chinese source's
  title too) and of the theme's `ja.yaml`: card titles and site names;
* `ExplainerSerifJP-Regular.otf`: kana, CJK punctuation, full-width forms and the
  characters of the theme's `ja.yaml`: card labels (kind, date, count);
* `ExplainerSerifJP-*.chars`: the characters each holds, one line, which `render.cards`
  reads to know what it can draw;

renamed (a modified version), without hinting or layout tables (cards lay out one glyph
after another).
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset

REPO = Path(__file__).resolve().parent.parent
FONTS = REPO / "src" / "explainer" / "render" / "fonts"
WIDE_FROM = 0x2E80  # as render.cards.is_wide


def jis_x_0208() -> set[str]:
    found = set()
    for high in range(0xA1, 0xFF):
        for low in range(0xA1, 0xFF):
            try:
                found.add(bytes([high, low]).decode("euc_jp"))
            except UnicodeDecodeError:
                pass
    return found


def text_of(paths: list[Path]) -> set[str]:
    return {ch for path in paths for ch in path.read_text(encoding="utf-8")}


def wide(chars: set[str]) -> str:
    return "".join(sorted(ch for ch in chars if ord(ch) >= WIDE_FROM))


def make(source: Path, name: str, chars: str) -> None:
    options = subset.Options()
    options.name_IDs = ["*"]
    options.layout_features = []
    options.hinting = False
    options.font_number = 0  # the JP face of the collection
    font = subset.load_font(str(source), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=chars)
    subsetter.subset(font)
    style = name.rsplit("-", 1)[1]
    for record in font["name"].names:
        if record.nameID in (1, 16):
            record.string = "Explainer Serif JP"
        elif record.nameID in (3, 4):
            record.string = f"Explainer Serif JP {style}"
        elif record.nameID == 6:
            record.string = f"ExplainerSerifJP-{style}"
    subset.save_font(font, str(FONTS / f"{name}.otf"), options)
    (FONTS / f"{name}.chars").write_text(chars + "\n", encoding="utf-8")
    print(f"{name}.otf: {len(chars)} characters, {(FONTS / f'{name}.otf').stat().st_size:,} bytes")


def main(noto: Path) -> None:
    table = REPO / "src" / "explainer" / "layouts" / "i18n" / "ja.yaml"
    content = sorted(REPO.glob("content/**/*.md"))
    kana = {chr(c) for c in range(0x3000, 0x3100)} | {chr(c) for c in range(0xFF01, 0xFF5F)}
    make(noto / "NotoSerifCJK-Bold.ttc", "ExplainerSerifJP-Bold", wide(jis_x_0208() | text_of([table, *content])))
    make(noto / "NotoSerifCJK-Regular.ttc", "ExplainerSerifJP-Regular", wide(kana | text_of([table])))


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/fonts/opentype/noto"))
