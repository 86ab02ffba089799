"""Search that understands Japanese (issue 33, point 3): one tokeniser for the index and the query.

Runs of CJK characters become overlapping pairs of characters, in `render/search.py`
(`tokens`) and in `assets/search.js` (`tokens`, exposed as `window.explainerTokens`).
The two are held to one table of cases, `tests/fixtures/search-tokens.json`: the Python
tests check `tokens` against it, a Chromium test the script, so they cannot drift.
Then the real client, in Debian Chromium, searches a small Japanese site
(`tests/fixtures/ja-search`, the facts of this repository's content/ in Japanese) for
the queries of the issue and finds the expected page among the first three.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from explainer.build import build
from explainer.render.search import _CJK, TEXT_CAP, cut_text, fold, index_entry, title_words, tokens, weight
from tools import serve_directory

REPO = Path(__file__).resolve().parent.parent
TABLE = json.loads((REPO / "tests" / "fixtures" / "search-tokens.json").read_text(encoding="utf-8"))
SCRIPT = REPO / "src" / "explainer" / "layouts" / "assets" / "search.js"
JA_SITE = REPO / "tests" / "fixtures" / "ja-search"

# The five queries, and the page each should find among the first three results;
# then a half-width query and a query made of two words of the same run.
JA_QUERIES = {
    "東京": "events/nikkei-scoop-2023-05-03/",
    "連絡事務所": "events/nikkei-scoop-2023-05-03/",
    "岸田": "actors/fumio-kishida/",
    "マクロン": "actors/emmanuel-macron/",
    "ストルテンベルグ": "actors/jens-stoltenberg/",
    "ﾏｸﾛﾝ": "actors/emmanuel-macron/",
    "東京 連絡": "events/nikkei-scoop-2023-05-03/",
}


# --- one rule, two implementations ------------------------------------------------------------

@pytest.mark.parametrize("case", TABLE, ids=[c["why"] for c in TABLE])
def test_tokens_follow_the_shared_table(case: dict[str, object]) -> None:
    assert tokens(str(case["text"])) == case["tokens"]


def test_the_browser_tokenises_like_the_table(browser: Browser) -> None:
    context = browser.new_context()
    page = context.new_page()
    try:
        page.add_script_tag(content=SCRIPT.read_text(encoding="utf-8"))  # no #search-results: only the tokeniser
        got = page.evaluate("cases => cases.map(c => window.explainerTokens(c.text))", TABLE)
    finally:
        context.close()
    wrong = {c["why"]: (g, c["tokens"]) for c, g in zip(TABLE, got, strict=True) if g != c["tokens"]}
    assert wrong == {}


def test_the_script_lists_the_same_cjk_characters() -> None:
    """The table tests behaviour on its cases; the character ranges must also be the same."""
    source = SCRIPT.read_text(encoding="utf-8")
    literal = re.search(r'var CJK = ((?:"[^"]*"\s*\+?\s*)+),', source)
    assert literal is not None
    js = "".join(re.findall(r'"([^"]*)"', literal[1]))
    decoded = re.sub(r"\\u\{([0-9a-f]+)\}|\\u([0-9a-f]{4})", lambda m: chr(int(m[1] or m[2], 16)), js)
    assert decoded == _CJK


def test_the_table_covers_what_the_rule_promises() -> None:
    table = {c["text"]: c["tokens"] for c in TABLE}
    assert table["ＮＡＴＯ ＡＰ４"] == ["nato", "ap4"]
    assert table["連絡事務所"] == ["連絡", "絡事", "事務", "務所"]
    assert table["岸"] == ["岸"]
    assert table["エマニュエル・マクロン"][-3:] == ["マク", "クロ", "ロン"] and "ルマ" not in table["エマニュエル・マクロン"]
    assert table["ｽﾄﾙﾃﾝﾍﾞﾙｸﾞ"] == table["ストルテンベルグ"] != table["ストルテンベルク"]
    assert table["ゼレンスキー"][-1] == "キー"


def test_latin_text_folds_as_before() -> None:
    """Only kana and Hangul are joined again after the marks go: Latin text folds as NFKD
    and mark stripping always did, so English indexes stay byte for byte the same."""
    assert fold("Ｃafé Ångström ﬁle İstanbul") == "cafe angstrom file istanbul"
    assert fold("ガ") == "ガ" and fold("ｶﾞ") == "ガ" and fold("カ\u3099") == "ガ"
    assert fold("한국") == "한국"


# --- ranking weights and cut text ------------------------------------------------------------

def test_a_cjk_title_counts_a_word_per_four_characters() -> None:
    assert title_words("岸田文雄", tokens("岸田文雄")) == 1
    assert title_words("イェンス・ストルテンベルグ", tokens("イェンス・ストルテンベルグ")) == 3
    assert title_words("Emmanuel Macron", tokens("Emmanuel Macron")) == 2
    row = index_entry(("actors/fumio-kishida/", "person", "岸田文雄", "", "", "", b"", False))
    assert dict(zip(row.terms.split(" "), row.weights, strict=True)) == {
        "岸田": weight(1, True, False, 0), "田文": weight(1, True, False, 0), "文雄": weight(1, True, False, 0)}


def test_text_without_spaces_is_cut_after_a_japanese_stop() -> None:
    sentence = "日本はNATOに加盟しないと述べた。"
    text = sentence * (TEXT_CAP // len(sentence) + 5)
    cut = cut_text(text, TEXT_CAP)
    assert cut.endswith("。\u2026") and len(cut) <= TEXT_CAP + 2
    assert cut_text("東京" * TEXT_CAP, TEXT_CAP) == "東京" * (TEXT_CAP // 2) + "\u2026"  # no stop: at a character
    english = "word " * TEXT_CAP
    assert cut_text(english, TEXT_CAP) == english[:english.rfind(" ", 0, TEXT_CAP)] + " \u2026"


# --- the Japanese site in Chromium ------------------------------------------------------------

@pytest.fixture(scope="module")
def ja_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ja") / "project"
    shutil.copytree(JA_SITE, root)
    result = build(root, root / "site", strict=True)
    assert result.ok, "\n".join(p.format() for p in result.problems.items)
    return root / "site"


@pytest.fixture(scope="module")
def ja_served(ja_site: Path) -> Iterator[str]:
    with serve_directory(ja_site) as base:
        yield base


def type_query(page: Page, base: str, query: str) -> list[str]:
    """Type `query` into the search page's box, as a reader does; return the result links."""
    page.goto(base + "search/")
    page.wait_for_load_state("networkidle")
    page.locator("#search-q").press_sequentially(query)
    page.wait_for_function("q => { const c = document.querySelector('.search-count');"
                           " return c !== null && c.textContent.includes(q) &&"
                           " (c.dataset.count === '0' || document.querySelector('.search-results li') !== null); }",
                           arg=query)  # the count is shown first (in the page's language), the results once loaded
    links = page.eval_on_selector_all(".search-results .result-title a", "as => as.map(a => a.getAttribute('href'))")
    return [link.removeprefix("../") for link in links]


@pytest.mark.parametrize("query", list(JA_QUERIES))
def test_japanese_query_finds_the_expected_page_in_the_top_three(page: Page, ja_served: str, query: str) -> None:
    links = type_query(page, ja_served, query)
    assert JA_QUERIES[query] in links[:3], links


# The same queries on this repository's own Japanese edition (/ja/), its translations as written.
REPO_JA_QUERIES = {
    "東京": "events/nikkei-scoop-2023-05-03/",
    "連絡事務所": "events/nikkei-scoop-2023-05-03/",
    "岸田": "actors/fumio-kishida/",
    "マクロン": "actors/emmanuel-macron/",
    "ストルテンベルグ": "actors/jens-stoltenberg/",
    "ストルテンベルク": "actors/jens-stoltenberg/",  # another spelling, found by the actor's Japanese aliases
}


@pytest.fixture(scope="module")
def repo_ja_served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("repo-ja") / "project"
    root.mkdir()
    shutil.copytree(REPO / "content", root / "content")
    shutil.copy(REPO / "config.yaml", root / "config.yaml")
    result = build(root, root / "site")
    assert result.ok, "\n".join(p.format() for p in result.problems.errors)
    with serve_directory(root / "site") as base:
        yield base + "ja/"


@pytest.mark.parametrize("query", list(REPO_JA_QUERIES))
def test_the_japanese_edition_finds_the_expected_page_in_the_top_three(page: Page, repo_ja_served: str,
                                                                       query: str) -> None:
    links = type_query(page, repo_ja_served, query)
    assert REPO_JA_QUERIES[query] in links[:3], links


def test_a_name_finds_its_actor_first(page: Page, ja_served: str) -> None:
    """The actor whose title is the name comes before the events whose longer titles hold it."""
    assert type_query(page, ja_served, "岸田")[0] == "actors/fumio-kishida/"
    assert type_query(page, ja_served, "ストルテンベルグ")[0] == "actors/jens-stoltenberg/"


def test_a_title_holding_the_whole_query_comes_first(page: Page, ja_served: str) -> None:
    links = type_query(page, ja_served, "連絡事務所")
    assert links[0] == "events/nikkei-scoop-2023-05-03/"
    # the actor NATO has every pair of 連絡事務所 (its body says 連絡事務所) but not in its title
    assert "actors/nato/" in links


def test_the_snippet_marks_the_whole_query(page: Page, ja_served: str) -> None:
    type_query(page, ja_served, "連絡事務所")
    marks = page.eval_on_selector_all(".result-snippet mark", "ms => ms.map(m => m.textContent)")
    assert marks and set(marks) == {"連絡事務所"}, marks


def test_latin_words_in_japanese_text_are_marked(page: Page, ja_served: str) -> None:
    """A Latin word ends where CJK characters begin, in the snippet as in the index (日本とNATOの)."""
    assert type_query(page, ja_served, "NATO 東京")[0] == "events/nikkei-scoop-2023-05-03/"
    snippet = page.inner_text(".search-results li .result-snippet")
    marks = page.eval_on_selector_all(".search-results li:first-child .result-snippet mark", "ms => ms.map(m => m.textContent)")
    assert "日本とNATOの" in snippet and "NATO" in marks and "東京" in marks, (snippet, marks)


def test_another_spelling_is_another_word(page: Page, ja_served: str) -> None:
    """ストルテンベルク (ク) and ストルテンベルグ (グ) differ: an actor's `aliases` bridge such
    variants, not the tokeniser."""
    assert type_query(page, ja_served, "ストルテンベルク") == []
