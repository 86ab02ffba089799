"""The interface's words come from the theme's translation tables (layouts/i18n/LANG.yaml),
a project can override any of them, and dates read as the site's language writes them."""

from __future__ import annotations

import re
from pathlib import Path

import lxml.html
import pytest

from conftest import make_project, problems_of
from explainer import schema
from explainer.build import build
from explainer.dates import PartialDate, display_range
from explainer.load.files import DEFAULT_LAYOUTS
from explainer.load.yamlsafe import load_yaml
from explainer.model import Strings, placeholders
from explainer.resolve.markup import BODY_LABELS, ENGLISH_LABELS

TABLES = DEFAULT_LAYOUTS / "i18n"


def table(lang: str) -> dict[str, str]:
    data = load_yaml((TABLES / f"{lang}.yaml").read_text(encoding="utf-8")).data
    assert isinstance(data, dict) and all(isinstance(v, str) for v in data.values())
    return data


# --- the tables ------------------------------------------------------------------------------

def test_every_shipped_table_has_the_english_ids_and_no_other() -> None:
    english = table("en")
    for path in sorted(TABLES.glob("*.yaml")):
        other = table(path.stem)
        assert sorted(other) == sorted(english), path.name
        for key, text in other.items():  # a translation fills in what the English fills in, no more
            assert placeholders(text) <= placeholders(english[key]), (path.name, key)


def test_plural_ids_come_in_pairs() -> None:
    english = table("en")
    for key in english:
        if key.endswith("_one"):
            assert key[:-4] + "_other" in english, key
        if key.endswith("_other"):
            assert key[:-6] + "_one" in english, key


def test_english_table_says_what_the_schema_and_the_parser_say() -> None:
    """The kinds table's wording and the body parser's labels are the English defaults a
    kind without a table entry falls back to: the English table must say the same."""
    english = table("en")
    for kind in schema.KINDS.values():
        page = kind.list_page
        if page is None:
            continue
        name = page.url.strip("/")
        assert english[f"section_{name}"] == page.title
        assert english[f"description_{name}"] == page.description
        group = kind.field(page.group_by)
        for value, label in (group.labels if group is not None else ()):
            assert english[f"{kind.name}_group_{value or 'untyped'}"] == label
    for section in schema.SECTIONS:
        assert english[f"section_{section}"] == section.capitalize()
    for key in BODY_LABELS:
        assert english[key] == ENGLISH_LABELS[key]


def test_a_missing_message_or_language_falls_back_to_english() -> None:
    strings = Strings({"en": {"a": "A", "n_one": "{count} thing", "n_other": "{count} things"},
                       "ja": {"n_one": "{count}件", "n_other": "{count}件"}})
    assert strings.text("ja", "a") == "A"
    assert strings.text("fr", "a") == "A"
    assert strings.text("ja-JP", "n_one") == "{count}件"
    assert strings.message("en", "n", count=1) == "1 thing"
    assert strings.message("en", "n", count=3) == "3 things"
    assert strings.message("ja", "n", count=3) == "3件"
    assert strings.message("en", "missing", "fallback") == "fallback"
    with pytest.raises(KeyError):
        strings.text("en", "missing")


# --- dates -----------------------------------------------------------------------------------

def test_japanese_dates() -> None:
    d = PartialDate.parse
    assert d("2023-07-11").display(lang="ja") == "2023年7月11日"
    assert d("2023-07").display(lang="ja") == "2023年7月"
    assert d("2023").display(lang="ja") == "2023年"
    assert d("2023-07").display(approximate=True, lang="ja") == "2023年7月ごろ"
    assert display_range(d("2023-07-11"), d("2023-07-12"), lang="ja") == "2023年7月11日～12日"
    assert display_range(d("2022-06-30"), d("2022-07-01"), lang="ja") == "2022年6月30日～7月1日"
    assert display_range(d("2023-12-30"), d("2024-01-02"), lang="ja") == "2023年12月30日～2024年1月2日"
    assert display_range(d("2023-07-11"), d("2023-07-12"), True, "ja") == "2023年7月11日～12日ごろ"
    # English as before
    assert display_range(d("2023-07-11"), d("2023-07-12")) == "11–12 July 2023"
    assert d("2023-07").display(approximate=True) == "c. July 2023"


# --- a Japanese site -------------------------------------------------------------------------

JA_FILES: dict[str, str | None] = {
    "config.yaml": ("title: テスト解説\nbase_url: https://example.org/\nlanguage: ja\n"
                    "repository: https://example.org/repo\n"),
    "content/index.md": (
        "---\ntitle: ホーム\nsummary: 東京事務所の構想を解説する。\n---\n"
        "[[nato]]は[[summit-2023]]で会合した。[@guardian-2023, 第2段落]\n\n"
        "::: dispute 事務所は必要か\n"
        "* 必要だとする見方がある。[@guardian-2023]\n"
        "* 不要だとする見方もある。[@guardian-2023, 第3段落]\n"
        ":::\n\n"
        "注がある文。[^1]\n\n[^1]: 注の本文。\n"
    ),
    "content/actors/nato.md": (
        "---\ntitle: 北大西洋条約機構\nkind: organisation\naliases: [ナトー]\nrole: 軍事同盟\n---\n"
        "北大西洋条約機構は軍事同盟である。[@guardian-2023]\n"
    ),
    "content/actors/japan.md": "---\ntitle: 日本\nkind: country\nmember_of: []\n---\n日本は国である。[@guardian-2023]\n",
    "content/events/summit-2023.md": (
        "---\ntitle: 首脳会議\ndate: 2023-07-11\nactors: [nato, japan]\nsources: [guardian-2023]\n"
        "location: ビリニュス\nstatus: 終了\n"
        "corrections:\n  - date: 2023-08-01\n    text: 日付を訂正した。\n---\n"
        "[[nato]]がビリニュスで会合した。[@guardian-2023]\n"
    ),
    "content/events/talks-2023.md": (
        "---\ntitle: 協議\ndate: 2023-05-10\nend_date: 2023-05-12\nactors: [nato]\nsources: [guardian-2023]\n---\n"
        "協議が行われた。[@guardian-2023]\n"
    ),
    "content/events/early-2007.md": (
        "---\ntitle: 演説\ndate: 2007-01\ndate_precision: approximate\nactors: [japan]\n"
        "sources: [guardian-2023]\n---\n演説が行われた。[@guardian-2023]\n"
    ),
    "content/sources/guardian-2023.md": (
        "---\ntitle: 首脳会議の報告\npublisher: 朝日新聞\ntype: news\ndate: 2023-07-12\nauthors: [山田太郎]\n"
        "url: https://example.com/report\naccessed: 2023-07-13\narchive_url: https://web.archive.example/report\n---\n"
    ),
    "content/pages/about.md": "---\ntitle: このサイトについて\nnav: 1\n---\nこのサイトの作り方。[@guardian-2023]\n",
}

ATTRIBUTES = ("aria-label", "title", "alt", "content", "data-kind", "data-date", "placeholder",
              "data-results-one", "data-results-other", "data-more", "data-unavailable")
"""Attributes whose words a reader hears or sees."""


def shown_words(html: bytes) -> str:
    """What a page shows or says to a reader: its text (scripts and JSON-LD left out) and the
    attributes that carry words."""
    doc = lxml.html.fromstring(html)
    for node in doc.xpath("//script|//style"):
        node.drop_tree()
    parts = [doc.text_content()]
    for name in ATTRIBUTES:
        parts += [v for v in doc.xpath(f"//@{name}") if not v.startswith(("http:", "https:"))]
    return "\n".join(str(p) for p in parts)


def english_fragments() -> dict[str, list[str]]:
    """Message id -> the fixed English words of its message (between placeholders), for the
    messages whose Japanese differs; only fragments with a word of three letters or more."""
    english, japanese = table("en"), table("ja")
    found: dict[str, list[str]] = {}
    for key, text in english.items():
        if japanese[key] == text:
            continue
        pieces = [p.strip(" .,:;()·+–“”'") for p in re.split(r"\{[a-z_]+\}", text)]
        pieces = [p for p in pieces if re.search(r"[A-Za-z]{3}", p)]
        if pieces:
            found[key] = pieces
    return found


@pytest.fixture(scope="module")
def ja_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_project(tmp_path_factory.mktemp("ja"), JA_FILES)
    result = build(root, root / "site")
    assert result.ok, "\n".join(p.format() for p in result.problems.items)
    return root / "site"


def test_a_japanese_site_shows_no_english_interface_words(ja_site: Path) -> None:
    fragments = english_fragments()
    assert len(fragments) > 100  # the check has something to check
    pages = sorted(ja_site.rglob("*.html"))
    assert len(pages) >= 12
    for page in pages:
        words = shown_words(page.read_bytes())
        left = sorted({(key, f) for key, pieces in fragments.items() for f in pieces
                       if re.search(rf"(?<![A-Za-z]){re.escape(f)}(?![A-Za-z])", words)})
        assert not left, f"{page.relative_to(ja_site)}: English interface words {left}"


def test_a_japanese_site_writes_dates_in_japanese(ja_site: Path) -> None:
    event = (ja_site / "events/summit-2023/index.html").read_text(encoding="utf-8")
    assert '<time datetime="2023-07-11">2023年7月11日</time>' in event
    assert "2023年8月1日" in event  # the correction's date
    talks = (ja_site / "events/talks-2023/index.html").read_text(encoding="utf-8")
    assert "2023年5月10日～12日" in talks
    timeline = (ja_site / "timeline/index.html").read_text(encoding="utf-8")
    assert ">7月11日</time>" in timeline and ">5月10日～12日</time>" in timeline and ">1月ごろ</time>" in timeline
    assert "2008～2022年：出来事なし" in timeline and ">2023年 <span" in timeline
    source = (ja_site / "sources/guardian-2023/index.html").read_text(encoding="utf-8")
    assert "2023年7月12日" in source and "（2023年7月13日閲覧）" in source
    for page in ja_site.rglob("*.html"):
        assert not re.search(r"\b(January|February|March|April|May|June|July|August|September|October|"
                             r"November|December)\b", shown_words(page.read_bytes())), page


def test_a_japanese_site_labels_its_parts_in_japanese(ja_site: Path) -> None:
    home = (ja_site / "index.html").read_text(encoding="utf-8")
    assert '<html lang="ja">' in home
    assert 'aria-label="出典1, 第2段落"' in home  # a citation marker, written by the body parser
    assert "<strong>出典の見解が分かれる点：</strong>" in home and ">注</h2>" in home
    assert '<h2 id="sources-heading">出典</h2>' in home
    search = (ja_site / "search/index.html").read_text(encoding="utf-8")
    assert 'data-results-other="「{query}」の検索結果：{count}件"' in search
    feed = (ja_site / "feed.xml").read_text(encoding="utf-8")
    assert "<title>テスト解説：出来事</title>" in feed
    corrections = (ja_site / "corrections.xml").read_text(encoding="utf-8")
    assert "<title>訂正：首脳会議</title>" in corrections
    disputes = (ja_site / "disputes/index.html").read_text(encoding="utf-8")
    assert '#dispute-' in disputes and "トップページ</a>で論じています。" in disputes


# --- a project's own words ---------------------------------------------------------------------

def test_a_project_overrides_a_message(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"layouts/i18n/en.yaml": "sources_heading: References\n"
                                                           "events_count_other: \"{count} happenings\"\n"})
    result = build(root, root / "site")
    assert result.ok, "\n".join(p.format() for p in result.problems.items)
    home = (root / "site/index.html").read_text(encoding="utf-8")
    assert '<h2 id="sources-heading">References</h2>' in home
    actors = (root / "site/actors/index.html").read_text(encoding="utf-8")
    assert "1 event<" in actors  # the singular keeps the theme's words


def test_a_project_gives_its_own_layouts_words_as_site_messages(tmp_path: Path) -> None:
    root = make_project(tmp_path, {
        "config.yaml": "title: T\nbase_url: https://example.org/\nlanguages: [en, ja]\n",
        "layouts/i18n/en.yaml": "site_banner: \"Read {count} reports\"\n",
        "layouts/i18n/ja.yaml": "site_banner: \"報道{count}件を読む\"\nsite_other: 未定義\n",
        "layouts/page.html": "{% extends 'default/page.html' %}{% block main %}<p class=banner>"
                             "{{ t('site_banner', count=2) }}</p>{{ super() }}{% endblock %}",
    })
    found = [p.format() for p in build(root, tmp_path / "out").problems.items]
    assert found == ["layouts/i18n/ja.yaml:2:1: error: 'site_other' is not defined in layouts/i18n/en.yaml (a "
                     "project's own message is written in layouts/i18n/en.yaml first, then translated)"]
    (root / "layouts/i18n/ja.yaml").write_text("site_banner: \"報道{count}件を読む\"\n", encoding="utf-8")
    result = build(root, root / "site")
    assert result.ok, "\n".join(p.format() for p in result.problems.items)
    assert '<p class=banner>Read 2 reports</p>' in (root / "site/about/index.html").read_text(encoding="utf-8")
    assert '<p class=banner>報道2件を読む</p>' in (root / "site/ja/about/index.html").read_text(encoding="utf-8")


def test_a_project_table_for_japanese_overrides_the_theme_and_keeps_the_rest(tmp_path: Path) -> None:
    files = dict(JA_FILES)
    files["layouts/i18n/ja.yaml"] = "sources_heading: 参考文献\n"
    root = make_project(tmp_path, files)
    result = build(root, root / "site")
    assert result.ok, "\n".join(p.format() for p in result.problems.items)
    home = (root / "site/index.html").read_text(encoding="utf-8")
    assert '<h2 id="sources-heading">参考文献</h2>' in home and "本文へ移動" in home


def test_unknown_ids_and_bad_messages_are_positioned(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"layouts/i18n/ja.yaml": (
        "# 独自の文言\n"
        "sources_heading: 参考文献\n"
        "sourcs_heading: 出典一覧\n"
        "events_count_one: \"{count}件の{kind}\"\n"
        "search_button: 42\n")})
    assert problems_of(root) == [
        "layouts/i18n/ja.yaml:3:1: error: 'sourcs_heading' is not a message id of the theme "
        "(did you mean 'sources_heading'?)",
        "layouts/i18n/ja.yaml:4:19: error: 'events_count_one' uses {kind}, which the theme does not fill in "
        "(this message's placeholders: {count})",
        "layouts/i18n/ja.yaml:5:16: error: 'search_button' must be text (quote it if it looks like a number "
        "or true/false)",
    ]


def test_a_broken_table_is_a_positioned_yaml_error(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"layouts/i18n/en.yaml": "sources_heading: [References\n"})
    found = problems_of(root)
    assert len(found) == 1 and found[0].startswith("layouts/i18n/en.yaml:"), found
    assert ": error: " in found[0]


def test_an_unknown_id_can_be_turned_down(tmp_path: Path) -> None:
    root = make_project(tmp_path, {
        "config.yaml": "title: Test explainer\nbase_url: https://example.org/\nproblems:\n  string-unknown: warning\n",
        "layouts/i18n/en.yaml": "qqq: x\n"})
    assert problems_of(root) == ["layouts/i18n/en.yaml:1:1: warning: 'qqq' is not a message id of the theme "
                                 "(the theme's layouts/i18n/en.yaml lists every id; a project's own messages have "
                                 "ids starting with 'site_')"]
