"""Share cards: the 1200 × 630 PNG a chat or a social network shows for a link to a page.

A card shows the site's name, the page's title, its kind and date, how many sources it
cites and, where it holds a dispute, a "Sources disagree" mark. It is drawn with Pillow
and the bundled Explainer Serif (a subset of Source Serif 4, OFL; `fonts/OFL.txt`): no
system font, nothing fetched. Identical inputs give identical bytes.

Drawing one must stay cheap (a build draws one per page; see `bench/share_cards.py`):

* the card is drawn in one 8-bit channel and written as a palette PNG: index 0–191 runs
  from the background to the ink, 192–255 from the background to the accent, so
  anti-aliased text keeps its smooth edges at a third of an RGB image's bytes;
* its image data is compressed in runs of rows, and a run met before (the background
  between the lines, the band and the site's name, a common count line) is not compressed
  again: it is known by its rows and what was drawn on them, never by reading its bytes
  (`png`);
* each glyph is rendered once per process and size (`Face`), then pasted: a card is some
  sixty pastes instead of a FreeType layout per line;
* the parts every card shares (the background, the accent band, the rule, the site's
  name) are drawn once per site (`_base`).

A card is drawn again only when what it shows changes: the pipeline keeps it with the
pages in the build cache under `card_key` (`cache.layer.Layer.render`).

Japanese text is set in the bundled Explainer Serif JP (a subset of Noto Serif CJK JP, OFL:
every character of JIS X 0208 in bold for titles, the theme's Japanese words in regular for
labels; `scripts/subset-cjk-fonts.py` makes it), and a title in Japanese, Chinese or Korean
wraps between any two characters, never before a closing mark such as 、。」. A character
no bundled font has is drawn as an empty box (`pipeline.check_card_fonts` warns where).
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections import OrderedDict
from dataclasses import astuple, dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont


def card_file(out: str) -> str:
    """Where the card of the page written to `out` goes: `card.png` in the page's own folder
    (`events/ID/card.png`, the home page's `card.png`), `404.card.png` beside `404.html`."""
    if out == "index.html" or out.endswith("/index.html"):
        return out[:-len("index.html")] + "card.png"
    return out.rsplit(".", 1)[0] + ".card.png"


Drawn = list[tuple[int, int, object]]
"""What a card's drawing put where, in order: (first row, row after the last, what: the
site for its base, or a text's font, size, position, text and fill)."""

WIDTH, HEIGHT = 1200, 630
FONTS = Path(__file__).resolve().parent / "fonts"
REGULAR = FONTS / "ExplainerSerif-Regular.ttf"
BOLD = FONTS / "ExplainerSerif-Bold.ttf"

BG = (251, 250, 247)
INK = (28, 28, 31)
ACCENT = (163, 60, 21)
INK_TOP = 191
"""Palette indexes 0..INK_TOP run from the background to the ink; the rest to the accent."""
MUTED = 125
RULE = 40
ROW = WIDTH + 1
"""A row of the canvas: the PNG filter byte (column 0, always 0: "none") and the card's pixels,
so the canvas's bytes are the PNG's image data as they are (no copy to insert filter bytes)."""
LEFT = 1 + 80
RIGHT = 1 + WIDTH - 80


@dataclass(frozen=True)
class Card:
    """What a card shows; the whole of it is the card's cache key."""

    site: str
    title: str
    kind: str
    """"Event", "Actor · Country", "Timeline"..."""
    date: str
    count: str
    """"12 sources cited", "36 events"..."""
    disputed: bool
    mark: str = "Sources disagree"
    """The words of the disputed mark, in the page's language."""


def card_key(salt: str, card: Card) -> str:
    """The cache key of `card`'s PNG: what it shows, the fonts and `salt` (the code's digest)."""
    h = hashlib.sha256(f"card\0{salt}\0{_fonts_digest()}\0".encode())
    h.update(repr(astuple(card)).encode("utf-8", "surrogatepass"))
    return h.hexdigest()


WIDE_REGULAR = FONTS / "ExplainerSerifJP-Regular.otf"
WIDE_BOLD = FONTS / "ExplainerSerifJP-Bold.otf"


@lru_cache(maxsize=1)
def _fonts_digest() -> str:
    return hashlib.sha256(b"".join(p.read_bytes() for p in (REGULAR, BOLD, WIDE_REGULAR, WIDE_BOLD))).hexdigest()


_WIDE_FROM = 0x2E80
"""Characters from here on (CJK radicals, kana, ideographs, Hangul, full-width forms) are
drawn with the Japanese fonts; Explainer Serif covers Latin-1 and punctuation only."""


def is_wide(ch: str) -> bool:
    """Whether `ch` is Japanese, Chinese or Korean script or punctuation (a wide font's)."""
    return ord(ch) >= _WIDE_FROM and not 0xFE00 <= ord(ch) <= 0xFE0F


@lru_cache(maxsize=4)
def covers(path: Path) -> frozenset[str]:
    """The characters a bundled Japanese font has (its `.chars` file, written with it)."""
    return frozenset(path.with_suffix(".chars").read_text(encoding="utf-8").strip())


def drawable(ch: str) -> bool:
    """Whether a card can draw `ch` (a wide character needs a glyph in the bold Japanese font)."""
    return not is_wide(ch) or ch in covers(WIDE_BOLD)


class Face:
    """A font at one size, its glyphs rendered once and pasted after that; a wide character
    (`is_wide`) comes from `wide`, the Japanese font of the same weight, when it has it, else
    from the next (`wide.wide`: the regular face falls back to the bold one)."""

    def __init__(self, path: Path, size: int, wide: Face | None = None) -> None:
        self.font = ImageFont.truetype(str(path), size, layout_engine=ImageFont.Layout.BASIC)
        self.path = path
        self.size = size
        self.wide = wide
        self.glyphs: dict[str, tuple[Image.Image | None, int, int, float]] = {}

    def glyph(self, ch: str) -> tuple[Image.Image | None, int, int, float]:
        """(mask, left, top from the baseline, advance) of one character."""
        found = self.glyphs.get(ch)
        if found is None and self.wide is not None and is_wide(ch):
            wide = self.wide
            while ch not in covers(wide.path) and wide.wide is not None:
                wide = wide.wide
            found = self.glyphs[ch] = wide.glyph(ch)
        if found is None:
            left, top, right, bottom = (int(v) for v in self.font.getbbox(ch, anchor="ls"))
            mask = None
            if right > left and bottom > top:
                mask = Image.new("L", (right - left, bottom - top), 0)
                ImageDraw.Draw(mask).text((-left, -top), ch, font=self.font, fill=255, anchor="ls")
            found = self.glyphs[ch] = (mask, int(left), int(top), self.font.getlength(ch))
        return found

    def width(self, text: str) -> float:
        return sum(self.glyph(ch)[3] for ch in text)

    def draw(self, im: Image.Image, x: float, baseline: int, text: str, fill: int, drawn: Drawn) -> None:
        """Paste `text` with its baseline at `baseline`, and add to `drawn` the rows it covers."""
        first, end = HEIGHT, 0
        start = x
        for ch in text:
            mask, left, top, advance = self.glyph(ch)
            if mask is not None:
                at = (round(x) + left, baseline + top)
                im.paste(fill, at + (at[0] + mask.width, at[1] + mask.height), mask)
                first, end = min(first, at[1]), max(end, at[1] + mask.height)
            x += advance
        if end > first:
            drawn.append((first, end, (self.path.name, self.size, start, baseline, text, fill)))


@lru_cache(maxsize=16)
def face(path: Path, size: int) -> Face:
    bold = Face(WIDE_BOLD, size)
    return Face(path, size, bold if path == BOLD else Face(WIDE_REGULAR, size, bold))


_NO_BREAK_BEFORE = set("、。，．・：；？！ー）」』】〕〉》’”ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ々…")
"""Characters a Japanese line never starts with (kinsoku): closing marks, small kana."""


def units(text: str) -> list[tuple[str, bool]]:
    """`text` as the pieces a line may break between, each with whether a space goes before
    it: words, and each Japanese, Chinese or Korean character on its own (with the closing
    marks that may not start a line kept on the character before)."""
    found: list[tuple[str, bool]] = []
    for word in text.split():
        first = True
        run = ""
        for ch in word:
            if is_wide(ch):
                if run:
                    found.append((run, first))
                    run, first = "", False
                if ch in _NO_BREAK_BEFORE and found and not first:
                    found[-1] = (found[-1][0] + ch, found[-1][1])
                else:
                    found.append((ch, first))
                first = False
            else:
                run += ch
        if run:
            found.append((run, first))
    return found


def wrap(face: Face, text: str, width: float, lines: int) -> list[str] | None:
    """`text` in at most `lines` lines of at most `width` pixels, or None if it does not fit."""
    found: list[str] = []
    line, used = "", 0.0
    space = face.width(" ")
    for piece, spaced in units(text):
        w = face.width(piece)
        gap = space if spaced else 0.0
        if line and used + gap + w <= width:
            line, used = line + (" " if spaced else "") + piece, used + gap + w
            continue
        if w > width:
            return None
        if line:
            found.append(line)
        line, used = piece, w
    if line:
        found.append(line)
    return found if len(found) <= lines else None


def _title_lines(text: str) -> tuple[Face, list[str]]:
    """The title at the largest size that fits in three lines (cut with an ellipsis at the smallest)."""
    for size, lines in ((72, 2), (60, 3), (50, 3)):
        f = face(BOLD, size)
        found = wrap(f, text, RIGHT - LEFT, lines)
        if found is not None:
            return f, found
    f = face(BOLD, 50)
    kept = ""
    for piece, spaced in units(text):  # the longest run of whole words that fits three lines with the ellipsis
        candidate = kept + (" " if spaced and kept else "") + piece
        if wrap(f, candidate + " …", RIGHT - LEFT, 3) is None:
            break
        kept = candidate
    return f, wrap(f, (kept or text[:40]) + " …", RIGHT - LEFT, 3) or [text[:40] + "…"]


@lru_cache(maxsize=4)
def _base(site: str) -> Image.Image:
    """What every card of a site shares: background, accent band, rule, the site's name."""
    im = Image.new("L", (ROW, HEIGHT), 0)
    draw = ImageDraw.Draw(im)
    draw.rectangle((1, 0, WIDTH, 14), fill=255)
    draw.rectangle((LEFT, 500, RIGHT, 501), fill=RULE)
    name = face(BOLD, 30)
    text = site if name.width(site) <= RIGHT - LEFT else site[:60] + "…"
    name.draw(im, LEFT, 84, text, MUTED, [])
    return im


@lru_cache(maxsize=1)
def _palette() -> list[int]:
    ramp: list[int] = []
    for i in range(256):
        if i <= INK_TOP:
            t, a, b = i / INK_TOP, BG, INK
        else:
            t, a, b = (i - INK_TOP - 1) / (255 - INK_TOP - 1), BG, ACCENT
        ramp += [round(a[c] + (b[c] - a[c]) * t) for c in range(3)]
    return ramp


def draw(card: Card) -> bytes:
    """The card's PNG."""
    im = _base(card.site).copy()
    drawn: Drawn = [(0, HEIGHT, card.site)]  # the base: every row is the site's
    label = face(REGULAR, 28)
    kind = card.kind.upper() + (f"  ·  {card.date}" if card.date else "")
    label.draw(im, LEFT, 158, kind, MUTED, drawn)
    title, lines = _title_lines(card.title)
    y = 158 + round(title.size * 1.25)
    for line in lines:
        title.draw(im, LEFT, y, line, INK_TOP, drawn)
        y += round(title.size * 1.16)
    if card.count:
        face(REGULAR, 32).draw(im, LEFT, 566, card.count, INK_TOP, drawn)
    if card.disputed:
        mark = face(BOLD, 30)
        text = card.mark
        w = round(mark.width(text))
        x0 = RIGHT - w - 44
        ImageDraw.Draw(im).rounded_rectangle((x0, 526, RIGHT, 582), radius=28, fill=255)
        drawn.append((526, 583, ("mark", x0)))
        mark.draw(im, x0 + 22, 565, text, INK_TOP + 1, drawn)
    return png(im.tobytes(), drawn)


def png(raw: bytes, drawn: Drawn | None = None) -> bytes:
    """A palette PNG of the card from its image data: HEIGHT rows of ROW bytes, each a 0
    (filter type "none", as for any palette image) and WIDTH palette indexes.

    The data is one zlib stream made of deflate segments, one per run of rows that are all
    background or all not: a run is compressed on its own (ending on a byte boundary,
    `Z_FULL_FLUSH`), so a run met before (the background between the lines, the band and
    the site's name every card shares, a common count line) is copied instead of
    compressed again: a blank run by its number of rows (`_blank`), a drawn one by its
    rows and what `drawn` (in drawing order) says was drawn on them (`_drawn`). The
    stream's Adler-32 is put together from each run's own (`_adler_join`), so only the rows
    compressed afresh are read for it."""
    blank = bytes(ROW)
    empty = [raw[y * ROW:(y + 1) * ROW] == blank for y in range(HEIGHT)]
    parts = [b"\x78\x01"]
    adler = 1
    start = 0
    for y in range(1, HEIGHT + 1):
        if y == HEIGHT or empty[y] != empty[start]:
            if empty[start]:
                segment, check = _blank(y - start)
            else:
                key = None if drawn is None else (start, y, *(what for first, end, what in drawn
                                                               if first < y and end > start))
                segment, check = _drawn(key, raw, start * ROW, y * ROW)
            parts.append(segment)
            adler = _adler_join(adler, check, (y - start) * ROW)
            start = y
    parts.append(_FINAL)
    parts.append(struct.pack(">I", adler))
    header = struct.pack(">IIBBBBB", WIDTH, HEIGHT, 8, 3, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"PLTE", _palette_bytes())
            + _chunk(b"IDAT", b"".join(parts)) + _chunk(b"IEND", b""))


_FINAL = zlib.compressobj(1, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)
"""The deflate stream's last block: final and empty."""
_ADLER = 65521


def _adler_join(first: int, second: int, length: int) -> int:
    """The Adler-32 of two byte strings one after the other, from the first's checksum, the
    second's (each started at 1) and the second's length (zlib's `adler32_combine`)."""
    a1, b1 = first & 0xFFFF, first >> 16
    a2, b2 = second & 0xFFFF, second >> 16
    a = (a1 + a2 - 1) % _ADLER
    b = (b1 + b2 + length * (a1 - 1)) % _ADLER
    return b << 16 | a


def _deflate(raw: bytes) -> bytes:
    """`raw` as raw deflate blocks that end on a byte boundary (to be followed by more)."""
    c = zlib.compressobj(1, zlib.DEFLATED, -15)
    return c.compress(raw) + c.flush(zlib.Z_FULL_FLUSH)


@lru_cache(maxsize=64)
def _blank(rows: int) -> tuple[bytes, int]:
    """`rows` background rows: their deflate segment and Adler-32."""
    raw = bytes(rows * ROW)
    return _deflate(raw), zlib.adler32(raw)


_KEPT = 128
"""Drawn runs kept, the least recently used dropped first: each holds its compressed bytes
only (a few KB), so the runs many cards share stay (the site's name, the common count
lines) while a title's lines, met once, pass through."""
_drawn_runs: OrderedDict[tuple[object, ...], tuple[bytes, int]] = OrderedDict()


def _drawn(key: tuple[object, ...] | None, raw: bytes, start: int, end: int) -> tuple[bytes, int]:
    """The deflate segment and Adler-32 of the drawn rows `raw[start:end]`, copied if `key`
    (the rows and what was drawn on them) was met before.

    The same drawing on the same rows gives the same bytes, so the key stands for them and
    the rows are neither compared nor hashed."""
    if key is not None:
        found = _drawn_runs.get(key)
        if found is not None:
            _drawn_runs.move_to_end(key)
            return found
    rows = raw[start:end]
    found = _deflate(rows), zlib.adler32(rows)
    if key is not None:
        _drawn_runs[key] = found
        if len(_drawn_runs) > _KEPT:
            _drawn_runs.popitem(last=False)
    return found


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@lru_cache(maxsize=1)
def _palette_bytes() -> bytes:
    return bytes(_palette())
