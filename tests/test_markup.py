"""The inline rules ([[xref]], [@citation], .md links, disputes) on the cases CommonMark makes tricky.

Unit tests render one body with a fixed lookup and check the HTML and the problems; the
last part checks every error and warning of issue 4 at its exact file position through
a whole project (`explainer check`), so body-line offsets are proven too.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import make_project, problems_of
from explainer.diagnostics import Problems
from explainer.model import Lookup, Target
from explainer.resolve.markup import PageEnv, make_markdown, render_body

LOOKUP = Lookup(
    by_id={
        "nato": Target("nato", "actor", "NATO", "actors/nato/"),
        "summit": Target("summit", "event", "Summit & after", "events/summit/"),
        "g": Target("g", "source", "G", "sources/g/"),
        "h": Target("h", "source", "H", "sources/h/"),
    },
    by_path={"content/actors/nato.md": "nato", "content/events/summit.md": "summit",
             "content/sources/g.md": "g", "content/sources/h.md": "h"},
)

XREF_NATO = '<a href="../../actors/nato/" class="xref xref-actor">NATO</a>'


def cite(number: int, anchor: int = 1, label: str = "") -> str:
    aria = f"Source {number}" + (f", {label}" if label else "")
    return (f'<a href="#source-{number}" id="cite-{number}-{anchor}" role="doc-noteref" '
            f'aria-label="{aria}">{number}</a>')


def sup(*links: str) -> str:
    return '<sup class="cite">[' + ", ".join(links) + "]</sup>"


def strip_data(html: str) -> str:
    """Drop data-* attributes: they feed the layout's previews, not these rules' contract."""
    return re.sub(r' data-[a-z-]+="[^"]*"', "", html)


def render(src: str, trust_html: bool = False) -> tuple[str, PageEnv, list[str]]:
    """Render `src` as the body of content/events/summit.md starting at file line 5 (data-* stripped)."""
    problems = Problems()
    env = PageEnv(path="content/events/summit.md", body_line=5, lines=src.split("\n"), lookup=LOOKUP,
                  problems=problems, root="../../", check_claims=False)
    html = strip_data(render_body(make_markdown(trust_html), env, src))
    return html, env, [p.format() for p in problems.items]


# --- cross-links ---------------------------------------------------------------------------------

def test_xref_uses_the_target_title_escaped() -> None:
    html, env, problems = render("[[summit]]")
    assert html == '<p><a href="../../events/summit/" class="xref xref-event">Summit &amp; after</a></p>\n'
    assert env.refs == [("summit", "link")] and problems == []


def test_xref_with_text() -> None:
    html, env, _ = render("[[nato|the *alliance*]]")
    assert html == '<p><a href="../../actors/nato/" class="xref xref-actor">the *alliance*</a></p>\n'


def test_xref_and_citation_in_code_span_stay_literal() -> None:
    html, env, problems = render("`[[nato]]` and `[@g]`")
    assert html == "<p><code>[[nato]]</code> and <code>[@g]</code></p>\n"
    assert env.refs == [] and env.cited == {} and problems == []


@pytest.mark.parametrize("src", ["```\n[[nato]] [@g] [[nope]]\n```", "    [[nato]] [@g] [[nope]]"])
def test_code_blocks_stay_literal(src: str) -> None:
    html, env, problems = render(src)
    assert html == "<pre><code>[[nato]] [@g] [[nope]]\n</code></pre>\n"
    assert env.refs == [] and problems == []


def test_nested_emphasis() -> None:
    html, env, problems = render("*emph [[nato]] and **strong [@g]***")
    assert html == f"<p><em>emph {XREF_NATO} and <strong>strong {sup(cite(1))}</strong></em></p>\n"
    assert problems == []


def test_escapes_keep_brackets_literal() -> None:
    html, env, problems = render(r"\[[nato]] and \[@g] and \[\[nato]]")
    assert html == "<p>[[nato]] and [@g] and [[nato]]</p>\n"
    assert env.refs == [] and problems == []


def test_link_text_never_nests_links() -> None:
    """CommonMark: links never contain links; the inner one wins, as for [a [b](/u)](/v)."""
    html, _, problems = render("[see [[nato]] now](https://example.org)")
    plain, _, _ = render("[see [NATO](../../actors/nato/) now](https://example.org)")
    assert html == f"<p>[see {XREF_NATO} now](https://example.org)</p>\n"
    assert plain.replace(' class="xref xref-actor"', "") == html.replace(' class="xref xref-actor"', "")
    assert html.count("<a ") == 1 and problems == []


def test_email_address_is_not_a_citation() -> None:
    html, env, problems = render("Write to press@nato.int or [press@nato.int](mailto:press@nato.int).")
    assert html == ('<p>Write to press@nato.int or <a href="mailto:press@nato.int">press@nato.int</a>.</p>\n')
    assert env.cited == {} and problems == []


def test_md_links_resolve_with_and_without_fragment() -> None:
    html, env, problems = render("[N](../actors/nato.md), [N2](../actors/nato.md#history), "
                                 "[G](../sources/g.md \"t\")")
    assert html == ('<p><a href="../../actors/nato/" class="xref xref-actor">N</a>, '
                    '<a href="../../actors/nato/#history" class="xref xref-actor">N2</a>, '
                    '<a href="../../sources/g/" title="t" class="xref xref-source">G</a></p>\n')
    assert env.refs == [("nato", "link"), ("nato", "link"), ("g", "link")] and problems == []


def test_external_md_links_are_left_alone() -> None:
    html, env, problems = render("[r](https://example.org/readme.md) [p](//cdn.example.org/x.md)")
    assert 'href="https://example.org/readme.md"' in html and 'href="//cdn.example.org/x.md"' in html
    assert env.refs == [] and problems == []


def test_raw_html_escaped_and_script_links_dropped() -> None:
    html, _, _ = render("<b>x</b> [a](javascript:alert(1)) [b](JaVaScRiPt:x) [c](data:text/html,x)")
    assert "<b>" not in html and "&lt;b&gt;" in html
    assert "href" not in html


def test_raw_html_kept_when_trusted() -> None:
    html, _, _ = render("<b>x</b>", trust_html=True)
    assert html == "<p><b>x</b></p>\n"


# --- citations -----------------------------------------------------------------------------------

def test_several_citations_in_one_bracket_and_repeat_keeps_number() -> None:
    html, env, problems = render("One [@g; @h, p. 3] and again [@g, para. 2].")
    assert html == (f"<p>One {sup(cite(1), cite(2, label='p. 3'))} and again "
                    f"{sup(cite(1, 2, 'para. 2'))}.</p>\n")
    assert [(c.id, c.number, c.anchors, c.locators) for c in env.cited.values()] == [
        ("g", 1, ["cite-1-1", "cite-1-2"], ["para. 2"]), ("h", 2, ["cite-2-1"], ["p. 3"])]
    assert problems == []


def test_citation_at_the_end_of_a_heading() -> None:
    html, env, problems = render("## The summit [@g]")
    assert html == f'<h2 id="the-summit">The summit {sup(cite(1))}</h2>\n'
    assert problems == []


def test_citation_and_xref_in_a_table_cell() -> None:
    html, env, problems = render("| a | b |\n|---|---|\n| x [@g] | [[nato]] |")
    assert f"<td>x {sup(cite(1))}</td>" in html and f"<td>{XREF_NATO}</td>" in html
    assert problems == []


def test_locator_is_escaped_in_the_label() -> None:
    html, _, _ = render('[@g, "p. <3>"]')
    assert 'aria-label="Source 1, &quot;p. &lt;3&gt;&quot;"' in html and "<3>" not in html


def test_footnotes_are_lettered_and_never_share_citation_numbers() -> None:
    html, env, problems = render("Text[^n] and [@g].\n\n[^n]: A note citing [@h].")
    assert '<a href="#note-1" id="note-ref-1" role="doc-noteref" aria-label="Note a">a</a>' in html
    assert '<section class="notes" role="doc-endnotes"' in html and '<ol class="notes-list" type="a">' in html
    assert sup(cite(1)) in html and sup(cite(2)) in html
    assert 'id="source-' not in html  # the Sources list is the layout's, not the body's
    assert problems == []


# --- problems at their exact position in the file (body starts at line 5) --------------------------

@pytest.mark.parametrize("src, expected", [
    ("See [[nata]].", ["content/events/summit.md:5:5: error: unknown id 'nata' in a cross-link "
                       "(did you mean 'nato'?)"]),
    ("x\n  and [[nata|them]]", ["content/events/summit.md:6:7: error: unknown id 'nata' in a cross-link "
                                "(did you mean 'nato'?)"]),
    ("## Head [[nata]]", ["content/events/summit.md:5:9: error: unknown id 'nata' in a cross-link "
                          "(did you mean 'nato'?)"]),
    ("| a |\n|---|\n| [@gg] |", ["content/events/summit.md:7:4: error: unknown id 'gg' in a citation "
                                 "(did you mean 'g'?)"]),
    ("- a\n  > quoted [[zzz]]", ["content/events/summit.md:6:12: error: unknown id 'zzz' in a cross-link"]),
    ("[[Bad Id]]", ["content/events/summit.md:5:1: error: 'Bad Id' in a cross-link is not a valid id "
                    "(ids are lower-case words joined by hyphens)"]),
    ("Both [@g; @hh].", ["content/events/summit.md:5:11: error: unknown id 'hh' in a citation "
                         "(did you mean 'h'?)"]),
    ("Cite [@nato].", ["content/events/summit.md:5:7: error: 'nato' is an actor, not a source: "
                       "citations name sources (to link to it, write [[nato]])"]),
    ("Cite [@g p. 3].", ["content/events/summit.md:5:7: error: '[@g p. 3]' is not a citation (write "
                         "[@source-id], [@source-id, p. 3] or [@a; @b]; to show '[@' literally, write '\\[@')"]),
    ("a\nb [x](../actors/nata.md)", ["content/events/summit.md:6:7: error: link to '../actors/nata.md', "
                                     "which is not an entry file (did you mean '../actors/nato.md'?)"]),
])
def test_reference_errors_at_exact_position(src: str, expected: list[str]) -> None:
    _, _, problems = render(src)
    assert problems == expected


# --- the same problems through a whole project -----------------------------------------------------

NATO_MD = "content/actors/nato.md"
UNCITED_5 = f"{NATO_MD}:5:1: warning: paragraph has no citation (add [@source-id] after the claim it supports)"


@pytest.mark.parametrize("body, expected", [
    ("NATO met [[sumit-2023]].[@guardian-2023]\n",
     [f"{NATO_MD}:5:10: error: unknown id 'sumit-2023' in a cross-link (did you mean 'summit-2023'?)"]),
    ("NATO.[@gaurdian-2023]\n",
     [UNCITED_5, f"{NATO_MD}:5:7: error: unknown id 'gaurdian-2023' in a citation (did you mean 'guardian-2023'?)"]),
    ("NATO met at [[summit-2023]].[@summit-2023]\n",
     [UNCITED_5, f"{NATO_MD}:5:30: error: 'summit-2023' is an event, not a source: citations name sources "
      "(to link to it, write [[summit-2023]])"]),
    ("NATO met.[@guardian-2023]\n\nAn uncited claim.\n\n- listed claim\n- [[summit-2023]]\n",
     [f"{NATO_MD}:7:1: warning: paragraph has no citation (add [@source-id] after the claim it supports)",
      f"{NATO_MD}:9:1: warning: paragraph has no citation (add [@source-id] after the claim it supports)"]),
    ("NATO.[@guardian-2023]\n\n::: dispute How big?\n- One.[@guardian-2023]\n- Two.\n:::\n",
     [f"{NATO_MD}:9:1: error: dispute position has no citation (each position needs at least one [@source-id])"]),
    ("NATO.[@guardian-2023]\n\n::: dispute\n- One.[@guardian-2023]\n:::\n",
     [f"{NATO_MD}:7:1: error: dispute has 1 position; it needs at least two "
      "(write each position as a '- ' list item inside the block)",
      f"{NATO_MD}:7:1: error: dispute has no question (write it after the marker: "
      "'::: dispute How big was the office?')"]),
    ("NATO.[@guardian-2023]\n\n::: dispute Q\n- One.[@guardian-2023]\n- Two.[@guardian-2023]\n",
     [f"{NATO_MD}:7:1: error: dispute block is never closed (add a line with ':::' after its last position)"]),
])
def test_body_problems_in_a_project(tmp_path: Path, body: str, expected: list[str]) -> None:
    root = make_project(tmp_path, {NATO_MD: "---\ntitle: NATO\nkind: organisation\n---\n" + body})
    assert problems_of(root) == expected


def test_warnings(tmp_path: Path) -> None:
    """A source nobody cites, an event with no source, an entry nothing links to, an unarchived url."""
    root = make_project(tmp_path, {
        "content/sources/lonely.md": "---\ntitle: Lonely\npublisher: P\nurl: https://example.com/l\n---\n",
        "content/events/quiet.md": "---\ntitle: Quiet\ndate: 2023\n---\nNothing cited here.\n",
    })
    assert problems_of(root) == [
        "content/events/quiet.md:1:1: warning: nothing links to an event 'quiet' "
        "(link to it with [[quiet]] from a related entry)",
        "content/events/quiet.md:1:1: warning: event 'quiet' has no source "
        "(list its sources in 'sources:' or cite them in the text)",
        "content/events/quiet.md:5:1: warning: paragraph has no citation "
        "(add [@source-id] after the claim it supports)",
        "content/sources/lonely.md:1:1: warning: source 'lonely' is not cited by any entry "
        "(cite it with [@lonely] or remove it)",
        "content/sources/lonely.md:4:1: warning: source has a url but neither 'accessed' nor 'archive_url' "
        "(add accessed: YYYY-MM-DD (when you read it) or an archive_url)",
    ]


# --- the citation label's fast path -----------------------------------------------------------------

_LABEL_TEXT = "ab @g@h[]`\\<>*_,;:.p3\n&!^"


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=_LABEL_TEXT, max_size=40))
def test_citation_labels_end_where_markdown_it_says(src: str) -> None:
    """Differential: the citation rule finds a label's end by itself unless the label holds a
    bracket, code span, escape or '<'; forcing markdown-it's `parseLinkLabel` every time gives
    the same HTML, references and problems on any text."""
    from explainer.resolve import markup

    text = "[@" + src
    fast = render(text)
    always = re.compile("")  # matches everywhere: every label goes through parseLinkLabel
    original, markup._LABEL_HARD = markup._LABEL_HARD, always
    try:
        slow = render(text)
    finally:
        markup._LABEL_HARD = original
    assert (fast[0], fast[1].refs, fast[2]) == (slow[0], slow[1].refs, slow[2])
