"""The `::: dispute` block (issue 11): positions, citations, errors, and the /disputes/ page."""

from __future__ import annotations

from pathlib import Path

from conftest import make_project, problems_of
from explainer.build import build
from explainer.diagnostics import Problems
from explainer.model import Lookup, Target
from explainer.resolve.markup import PageEnv, make_markdown, render_body
from tools import internal_link_problems

LOOKUP = Lookup(
    by_id={"g": Target("g", "source", "G", "sources/g/"), "h": Target("h", "source", "H", "sources/h/")},
    by_path={},
)
PATH = "content/events/e.md"


def run(body: str, body_line: int = 5) -> tuple[str, PageEnv, list[str]]:
    problems = Problems()
    env = PageEnv(path=PATH, body_line=body_line, lines=body.split("\n"), lookup=LOOKUP,
                  problems=problems, root="../../", check_claims=True)
    html = render_body(make_markdown(), env, body)
    return html, env, [p.format() for p in problems.items]


def test_positions_with_nested_lists_and_numbering_shared_with_the_page() -> None:
    body = ("Intro.[@h]\n\n::: dispute How many staff?\n- One person.[@g]\n  - detail a\n  - detail b\n"
            "- A few\n  people.[@h; @g]\n:::\n")
    html, env, problems = run(body)
    assert problems == []
    [d] = env.disputes
    assert (d.anchor, d.question, d.line) == ("dispute-how-many-staff", "How many staff?", 7)
    assert d.positions == ["One person.", "A few people."]  # nested items are not positions
    assert ('<aside class="dispute" id="dispute-how-many-staff" aria-labelledby="dispute-how-many-staff-q">'
            in html)
    assert "<strong>Sources disagree:</strong> How many staff?" in html
    # the page's one numbering: h is source 1 (cited first, before the dispute), g is 2
    assert [(c.id, c.number, c.anchors) for c in env.cited.values()] == [
        ("h", 1, ["cite-1-1", "cite-1-2"]), ("g", 2, ["cite-2-1", "cite-2-2"])]
    assert 'id="cite-1-2" role="doc-noteref" aria-label="Source 1">1</a>' in html


def test_a_citation_only_in_a_nested_item_still_supports_the_position() -> None:
    _, env, problems = run("::: dispute Q?\n- One.\n  - because[@g]\n- Two.[@h]\n:::\n")
    assert problems == []
    assert env.disputes[0].positions == ["One.", "Two."]


def test_position_without_citation() -> None:
    _, _, problems = run("::: dispute Q?\n- One.[@g]\n- Two, uncited.\n:::\n")
    assert problems == [f"{PATH}:7:1: error: dispute position has no citation "
                        "(each position needs at least one [@source-id])"]


def test_one_position() -> None:
    _, _, problems = run("::: dispute Q?\n- Only one.[@g]\n:::\n")
    assert problems == [f"{PATH}:5:1: error: dispute has 1 position; it needs at least two "
                        "(write each position as a '- ' list item inside the block)"]


def test_no_list_at_all() -> None:
    _, _, problems = run("::: dispute Q?\nJust a paragraph.[@g]\n:::\n")
    assert problems == [f"{PATH}:5:1: error: dispute has 0 positions; it needs at least two "
                        "(write each position as a '- ' list item inside the block)"]


def test_unclosed_block() -> None:
    _, _, problems = run("Text.[@g]\n\n::: dispute Q?\n- One.[@g]\n- Two.[@h]\n\nMore text.[@g]\n")
    assert problems == [f"{PATH}:7:1: error: dispute block is never closed "
                        "(add a line with ':::' after its last position)"]


def test_dispute_inside_a_list_item() -> None:
    body = "- Item one.[@g]\n\n  ::: dispute Inside a list?\n  - Yes.[@g]\n  - No.[@h]\n  :::\n- Item two.[@h]\n"
    html, env, problems = run(body)
    assert problems == []
    assert [(d.question, d.positions, d.line) for d in env.disputes] == [("Inside a list?", ["Yes.", "No."], 7)]
    assert html.index("<li>\n<p>Item one.") < html.index('<aside class="dispute"') < html.index("Item two.")


def test_dispute_inside_a_block_quote_is_closed_by_a_quoted_marker() -> None:
    _, env, problems = run("> ::: dispute In a quote?\n> - a[@g]\n> - b[@h]\n> :::\n")
    assert problems == []
    assert env.disputes[0].positions == ["a", "b"]


def test_two_disputes_with_the_same_question_get_distinct_anchors() -> None:
    block = "::: dispute Same?\n- a[@g]\n- b[@h]\n:::\n\n"
    _, env, problems = run(block * 2)
    assert problems == []
    assert [d.anchor for d in env.disputes] == ["dispute-same", "dispute-same-2"]


def test_question_is_escaped() -> None:
    html, env, _ = run("::: dispute Is <b>this</b> & that?\n- a[@g]\n- b[@h]\n:::\n")
    assert "Is &lt;b&gt;this&lt;/b&gt; &amp; that?" in html
    assert "<b>this" not in html


def test_disputes_page_lists_every_dispute_with_link_to_its_anchor(tmp_path: Path) -> None:
    root = make_project(tmp_path, {
        "content/events/summit-2023.md": (
            "---\ntitle: Summit\ndate: 2023-07-11\nactors: [nato]\nsources: [guardian-2023]\n---\n"
            "[[nato]] met in Vilnius.[@guardian-2023]\n\n"
            "::: dispute How big was the office?\n"
            "- One person, says one report.[@guardian-2023]\n"
            "- A few people, say officials.[@guardian-2023, para. 2]\n:::\n"),
    })
    assert problems_of(root) == []
    result = build(root, out=tmp_path / "out")
    assert result.ok
    index = (tmp_path / "out" / "disputes" / "index.html").read_text()
    assert ('<p class="where">Discussed <a href="../events/summit-2023/#dispute-how-big-was-the-office">'
            'on the page of the event “Summit”</a>.</p>') in index
    # each position in full with its citation markers, numbered in the page's own Sources list
    assert ('<li>One person, says one report.<sup class="cite">[<a href="#source-1" id="cite-1-1" '
            'role="doc-noteref" aria-label="Source 1">1</a>]</sup></li>') in index
    assert ('<li>A few people, say officials.<sup class="cite">[<a href="#source-1" id="cite-1-2" '
            'role="doc-noteref" aria-label="Source 1, para. 2">1</a>]</sup></li>') in index
    assert '<li id="source-1" value="1">' in index and 'href="#cite-1-2"' in index
    assert "Cited at: para. 2." in index
    page = (tmp_path / "out" / "events" / "summit-2023" / "index.html").read_text()
    assert 'id="dispute-how-big-was-the-office"' in page
    # every marker of the dispute points at an item of the page's one Sources list
    assert 'href="#source-1" id="cite-1-2"' in page and 'href="#source-1" id="cite-1-3"' in page
    assert '<li id="source-1" value="1">' in page


def test_disputes_page_names_the_page_in_words_and_keeps_links_working(tmp_path: Path) -> None:
    root = make_project(tmp_path, {
        "content/actors/japan.md": (
            "---\ntitle: Japan\nkind: country\n---\nJapan.[@guardian-2023]\n\n"
            "::: dispute Did [[nato]] ask first?\n"
            "- Yes, says [[nato]].[@guardian-2023]\n"
            "- No, says a report.[@guardian-2023]\n\n"
            "The evidence favours the first: it is NATO's own account.[@guardian-2023]\n:::\n"),
    })
    result = build(root, out=tmp_path / "out")
    assert result.ok, [p.format() for p in result.problems.items]
    index = (tmp_path / "out" / "disputes" / "index.html").read_text()
    assert '>on the page about Japan</a>' in index
    assert '<li>Yes, says <a href="../actors/nato/"' in index  # the body's ../../ link, moved
    assert "<p>The evidence favours the first: it is NATO's own account." in index
    assert not internal_link_problems(tmp_path / "out")


def test_disputes_page_without_disputes(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    assert build(root, out=tmp_path / "out").ok
    assert "No disputes have been recorded." in (tmp_path / "out" / "disputes" / "index.html").read_text()
