"""Languages: `languages:` in config.yaml, `ID.LANG.md` translations, one edition per language
under `/CODE/`, and `explainer translate status|mark` (validate/languages.py, render/languages.py,
translate.py)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from urllib.parse import urljoin

from conftest import BASE_FILES, make_project, problems_of, run_cli, tree_hash

CONFIG = BASE_FILES["config.yaml"] + "languages: [en, ja]\n"
JA_NATO = ("---\ntitle: 北大西洋条約機構\nsummary: 軍事同盟。\n---\n"
           "NATOは軍事同盟である。[@guardian-2023]\n")
JA_SUMMIT = "---\ntitle: 首脳会議\n---\n[[nato]]はビリニュスで会合した。[@guardian-2023]\n"


def ja_project(tmp_path: Path, extra: dict[str, str | bytes | None] | None = None) -> Path:
    return make_project(tmp_path, {"config.yaml": CONFIG, "content/actors/nato.ja.md": JA_NATO,
                                   "content/events/summit-2023.ja.md": JA_SUMMIT, **(extra or {})})


def built(root: Path, *args: str) -> Path:
    done = run_cli("build", "--root", str(root), *args)
    assert done.returncode == 0, done.stdout + done.stderr
    return root / "site"


def test_a_translated_page_is_paired_with_its_original(tmp_path: Path) -> None:
    site = built(ja_project(tmp_path))
    ja = (site / "ja/actors/nato/index.html").read_text(encoding="utf-8")
    en = (site / "actors/nato/index.html").read_text(encoding="utf-8")
    assert '<html lang="ja">' in ja and '<html lang="en">' in en
    assert "<h1>北大西洋条約機構" in ja
    pairs = re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', ja)
    assert pairs == re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', en)
    assert [code for code, _ in pairs] == ["en", "ja", "x-default"]
    assert dict(pairs)["ja"].endswith("/ja/actors/nato/") and dict(pairs)["x-default"] == dict(pairs)["en"]
    assert re.search(r'<link rel="canonical" href="[^"]*/ja/actors/nato/">', ja)
    assert "noindex" not in ja and "translation-notice" not in ja
    # the switcher goes to the same entry in the other language
    switch = re.search(r'<a href="([^"]+)" hreflang="en" lang="en">English</a>', ja)
    assert switch and urljoin("https://x.test/ja/actors/nato/", switch[1]) == "https://x.test/actors/nato/"
    switch = re.search(r'<a href="([^"]+)" hreflang="ja" lang="ja">日本語</a>', en)
    assert switch and urljoin("https://x.test/actors/nato/", switch[1]) == "https://x.test/ja/actors/nato/"


def test_links_in_a_translation_stay_in_its_edition(tmp_path: Path) -> None:
    site = built(ja_project(tmp_path))
    page = (site / "ja/events/summit-2023/index.html").read_text(encoding="utf-8")
    link = re.search(r'<a [^>]*href="([^"]+)"[^>]*>北大西洋条約機構</a>', page)
    assert link and urljoin("https://x.test/ja/events/summit-2023/", link[1]) == "https://x.test/ja/actors/nato/"
    assert '"inLanguage":"ja"' in page  # JSON-LD
    assert '"inLanguage":"en"' in (site / "events/summit-2023/index.html").read_text(encoding="utf-8")
    assert (site / "ja/data.json").is_file() and (site / "ja/feed.xml").is_file()
    feed = (site / "ja/feed.xml").read_text(encoding="utf-8")
    assert "首脳会議" in feed and "/ja/events/summit-2023/" in feed
    assert (site / "ja/search").is_dir() and not (site / "ja/assets").exists() and not (site / "ja/robots.txt").exists()
    css = re.search(r'<link rel="stylesheet" href="([^"]+style\.css)">', page)
    assert css and urljoin("https://x.test/ja/events/summit-2023/", css[1]) == "https://x.test/assets/style.css"


def test_an_untranslated_page_says_so_and_points_at_the_original(tmp_path: Path) -> None:
    site = built(ja_project(tmp_path))
    page = (site / "ja/pages/about/index.html").read_text(encoding="utf-8") if (site / "ja/pages/about").exists() \
        else (site / "ja/about/index.html").read_text(encoding="utf-8")
    assert '<html lang="ja">' in page
    assert "このページはまだ日本語に翻訳されていません" in page
    assert "How this site is made." in page  # the original's text, under the edition's interface
    assert '<meta name="robots" content="noindex">' in page
    assert re.search(r'<link rel="canonical" href="[^"]*/about/">', page) and "/ja/about/" not in page.split(
        'rel="canonical"')[1].split(">")[0]
    assert 'hreflang="x-default"' not in page
    assert re.search(r'<main id="main" tabindex="-1" lang="en">', page)
    sitemap = (site / "ja/sitemap.xml").read_text(encoding="utf-8")
    assert "/ja/actors/nato/" in sitemap and "/ja/about/" not in sitemap
    assert 'hreflang="x-default"' in sitemap
    robots = (site / "robots.txt").read_text(encoding="utf-8")
    assert robots.count("Sitemap:") == 2 and "/ja/sitemap.xml" in robots


def test_translation_mistakes_are_positioned(tmp_path: Path) -> None:
    root = ja_project(tmp_path, {
        "content/actors/chaos.ja.md": "---\ntitle: 混乱\n---\n本文。\n",
        "content/actors/nato.fr.md": "---\ntitle: OTAN\n---\nL'OTAN.\n",
        "content/actors/nato.en.md": "---\ntitle: NATO\n---\nNATO.\n",
        "content/actors/nato.JA.md": "---\ntitle: x\n---\nx\n",
        "content/events/summit-2023.ja.md": "---\ntitle: 首脳会議\ndate: 2023-07-12\nactors: [nato]\n---\n本文。\n",
    })
    found = problems_of(root)
    assert any(p.startswith("content/actors/chaos.ja.md:1:1: error: a translation of 'chaos', but "
                            "content/actors/chaos.md does not exist") for p in found), found
    assert any(p.startswith("content/actors/nato.fr.md:1:1: error: 'fr' is not one of the site's languages")
               for p in found)
    assert any(p.startswith("content/actors/nato.en.md:1:1: error: 'en' is the site's default language") for p in found)
    assert any(p.startswith("content/actors/nato.JA.md:1:1: error: 'JA' in the file name is not a language code")
               for p in found)
    # a key that comes from the original: an error where it disagrees, nothing where it agrees
    assert any(p.startswith("content/events/summit-2023.ja.md:3:1: error: 'date' comes from the original")
               for p in found), found
    assert not any("'actors' comes from the original" in p for p in found)


def test_config_language_must_agree_with_languages(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"config.yaml": BASE_FILES["config.yaml"] + "language: fr\n"
                                   + "languages: [en, {code: xx, name: Xish}, zz]\n"})
    found = problems_of(root)
    assert any(re.match(r"config\.yaml:\d+:\d+: error: 'language' says fr but 'languages' starts with en", p)
               for p in found), found
    assert any("'zz' is not in the built-in table of languages" in p for p in found)
    assert not any("'xx'" in p for p in found)


def test_translate_status_mark_and_stale(tmp_path: Path) -> None:
    root = ja_project(tmp_path)
    status = run_cli("translate", "status", "--root", str(root))
    assert status.returncode == 0, status.stderr
    assert "日本語 (ja): 0 of 4 current, 0 stale, 2 not marked, 2 missing" in status.stdout
    assert "missing    content/pages/about.ja.md" in status.stdout
    marked = run_cli("translate", "mark", "content/actors/nato.ja.md", "content/events/summit-2023.ja.md", cwd=root)
    assert marked.returncode == 0, marked.stderr
    assert "Marked content/actors/nato.ja.md" in marked.stdout
    text = (root / "content/actors/nato.ja.md").read_text(encoding="utf-8")
    assert re.search(r'^translated_from: "title \w{8} body \w{8}"$', text, re.M)
    assert text.endswith("NATOは軍事同盟である。[@guardian-2023]\n")  # the rest kept byte for byte
    assert problems_of(root) == []
    assert "2 of 4 current" in run_cli("translate", "status", "--root", str(root)).stdout
    original = root / "content/actors/nato.md"
    original.write_text(original.read_text(encoding="utf-8").replace("title: NATO", "title: The NATO"), encoding="utf-8")
    found = problems_of(root)
    line = next(i for i, ln in enumerate(text.splitlines(), 1) if ln.startswith("translated_from"))
    assert found == [f"content/actors/nato.ja.md:{line}:18: warning: content/actors/nato.md changed after this "
                     "translation was marked up to date (its title) (bring the translation up to date, then run "
                     "'explainer translate mark content/actors/nato.ja.md')"]
    assert "stale      content/actors/nato.ja.md  (the original's title changed)" in run_cli(
        "translate", "status", "--root", str(root)).stdout
    page = (built(root) / "ja/actors/nato/index.html").read_text(encoding="utf-8")
    assert "このページの原文は、この翻訳の後に更新されています" in page
    refused = run_cli("translate", "mark", "content/actors/nato.md", cwd=root)
    assert refused.returncode == 2 and "not named ID.LANG.md" in refused.stderr and "Traceback" not in refused.stderr


def test_a_cached_build_after_adding_a_translation_matches_a_clean_one(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"config.yaml": CONFIG, "content/actors/nato.ja.md": JA_NATO})
    built(root)
    (root / "content/events/summit-2023.ja.md").write_text(JA_SUMMIT, encoding="utf-8")
    warm = tree_hash(built(root))
    clean = tmp_path / "clean"
    shutil.copytree(root, clean, ignore=shutil.ignore_patterns("site", ".explainer-cache"))
    assert warm == tree_hash(built(clean, "--no-cache"))
    en = (root / "site/events/summit-2023/index.html").read_text(encoding="utf-8")
    assert 'hreflang="ja"' in en  # the English page learned of its new translation
    data = json.loads((root / "site/ja/data.json").read_text(encoding="utf-8"))
    assert "首脳会議" in json.dumps(data, ensure_ascii=False)


def test_one_language_sites_show_no_switcher(tmp_path: Path) -> None:
    site = built(make_project(tmp_path))
    page = (site / "actors/nato/index.html").read_text(encoding="utf-8")
    assert 'class="languages"' not in page and "hreflang" not in page and not (site / "ja").exists()


def test_new_lang_writes_a_translation_to_translate_in_place(tmp_path: Path) -> None:
    root = ja_project(tmp_path)
    done = run_cli("new", "page", "about", "--lang", "ja", cwd=root)
    assert done.returncode == 0, done.stderr
    text = (root / "content/pages/about.ja.md").read_text(encoding="utf-8")
    assert 'title: "About"' in text and text.endswith("How this site is made.\n")
    assert "explainer translate mark content/pages/about.ja.md" in text
    assert problems_of(root) == []  # a fresh translation is valid as it is
    again = run_cli("new", "page", "about", "--lang", "ja", cwd=root)
    assert again.returncode != 0 and "Traceback" not in again.stderr
    assert (root / "content/pages/about.ja.md").read_text(encoding="utf-8") == text  # never overwritten
    wrong = run_cli("new", "page", "about", "--lang", "fr", cwd=root)
    assert wrong.returncode == 2 and "'fr' is not one of the site's languages (en, ja)" in wrong.stderr


def test_the_schemas_know_translations() -> None:
    from explainer.jsonschema_export import all_schemas

    found = all_schemas()
    actor = found["actor.translation.schema.json"]
    assert set(actor["properties"]) == {"title", "summary", "role", "aliases", "translated_from"}
    assert actor["additionalProperties"] is False and "required" not in actor
    assert "languages" in found["config.schema.json"]["properties"]


def test_a_second_build_reuses_every_edition_from_the_cache(tmp_path: Path) -> None:
    """Each edition keeps its own pages, bodies and search entries in the cache (its keys are
    `CODE/KEY`, its index `search-CODE/`): a build with nothing changed renders nothing again."""
    from explainer.cache.disk import DiskMemo
    from explainer.cache.layer import Layer
    from explainer.diagnostics import Problems
    from explainer.pipeline import Memory, build_site

    root = ja_project(tmp_path)
    first = DiskMemo(root)
    one = Memory()
    assert build_site(root, Problems(), one, Layer(first))[1]
    first.save()
    memo = DiskMemo(root)
    two = Memory()
    site, _ = build_site(root, Problems(), two, Layer(memo))
    assert two.files == one.files
    editions = [site, *site.editions]
    assert [s.project.config.language for s in editions] == ["en", "ja"]
    assert memo.hits["index"] == sum(len(s.project.entries) for s in editions)
    assert memo.hits["pages"] == sum(1 for rel in two.files if rel.endswith(".html"))
