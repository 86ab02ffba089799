"""A new kind is one row of the kinds table (`schema.KINDS`), plus its layouts if it wants its own.

The test adds a kind, `place`, to the table (and a `places` field to events, so events
can name where they happened), writes a fixture project with two places and layouts for
them, and builds it: the places get their pages at the row's URL, are validated, are
linked both ways, listed on their list page and in the menu, and appear in the sitemap,
data.json, the search index and the editor schemas — with no other change to the code.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from conftest import make_project
from explainer import schema
from explainer.build import build, check

PLACE = schema.Kind(
    "place", "places",
    (
        schema.Field("title", schema.TEXT, "The place's name.", required=True),
        schema.Field("summary", schema.TEXT, "One sentence about it."),
        schema.Field("region", schema.CHOICE, "Where it is.", choices=("europe", "asia"),
                     labels=(("asia", "Asia"), ("europe", "Europe"))),
    ),
    what="a place",
    url="where/{id}/",
    related=(schema.Related("events", back=("places",), by_date=True),
             schema.Related("mentioned_by", back=("link",), exclude=("events",))),
    list_page=schema.ListPage("where/", "places.html", "Places", "Every place in the story.", "region", 4),
    schema_org="Place",
    search_fields=("region",),
)

LAYOUTS = {
    "layouts/place.html": (
        '{% extends "base.html" %}\n{% block main %}<h1>{{ entry.title }}</h1>\n{{ body }}\n'
        '<h2>Events here</h2><ul>{% for e in related.events %}'
        '<li><a href="{{ root }}{{ e.url_path }}">{{ e.title }}</a></li>{% endfor %}</ul>\n'
        '<h2>Mentioned in</h2><ul>{% for e in related.mentioned_by %}'
        '<li><a href="{{ root }}{{ e.url_path }}">{{ e.title }}</a></li>{% endfor %}</ul>\n'
        '{% endblock %}\n'),
    "layouts/places.html": (
        '{% extends "base.html" %}\n{% block main %}<h1>{{ page.title }}</h1>\n'
        '{% for heading, items in groups %}<h2>{{ heading }}</h2><ul>{% for p in items %}'
        '<li><a href="{{ root }}{{ p.url_path }}">{{ p.title }}</a></li>{% endfor %}</ul>{% endfor %}\n'
        '{% endblock %}\n'),
}


@pytest.fixture()
def with_places(monkeypatch: pytest.MonkeyPatch) -> None:
    """The table with the new row (and events that may name places); undone after the test."""
    event = schema.KINDS["event"]
    places = schema.Field("places", schema.REF_LIST, "Ids of the places where it happened.", targets=("place",))
    kinds = dict(schema.KINDS)
    kinds["event"] = dataclasses.replace(event, fields=event.fields + (places,))
    kinds["place"] = PLACE
    monkeypatch.setattr(schema, "KINDS", kinds)
    monkeypatch.setattr(schema, "KIND_BY_FOLDER", {k.folder: k for k in kinds.values()})


def project(tmp_path: Path, extra: dict[str, str | None] | None = None) -> Path:
    return make_project(tmp_path, {
        **LAYOUTS,
        "content/events/summit-2023.md": (
            "---\ntitle: Summit\ndate: 2023-07-11\nactors: [nato]\nplaces: [vilnius]\n"
            "sources: [guardian-2023]\n---\n[[nato]] met in [[vilnius]].[@guardian-2023]\n"),
        "content/places/vilnius.md": "---\ntitle: Vilnius\nregion: europe\nsummary: Lithuania's capital.\n---\n"
                                     "The summit's host city, near [[tokyo]].\n",
        "content/places/tokyo.md": "---\ntitle: Tokyo\nregion: asia\n---\nWhere the office would have been.\n",
        **(extra or {}),
    })


def test_a_new_kind_builds_from_its_row(with_places: None, tmp_path: Path) -> None:
    root = project(tmp_path)
    out = tmp_path / "out"
    result = build(root, out=out, jobs=1, strict=True)
    assert [p.format() for p in result.problems.items] == []
    page = (out / "where" / "vilnius" / "index.html").read_text(encoding="utf-8")
    assert "<h1>Vilnius</h1>" in page and 'href="../../events/summit-2023/"' in page  # back-link from the event
    assert 'href="../../where/tokyo/"' in page  # its cross-link, at the row's URL
    event = (out / "events" / "summit-2023" / "index.html").read_text(encoding="utf-8")
    assert 'href="../../where/vilnius/"' in event and 'data-kind="place"' in event
    listing = (out / "where" / "index.html").read_text(encoding="utf-8")
    assert listing.index("<h2>Asia</h2>") < listing.index("Tokyo") < listing.index("<h2>Europe</h2>")
    assert 'href="where/"' in (out / "index.html").read_text(encoding="utf-8")  # in the menu
    assert "where/vilnius/" in (out / "sitemap.xml").read_text(encoding="utf-8")
    data = json.loads((out / "data.json").read_text(encoding="utf-8"))
    assert {e["id"]: e["kind"] for e in data["entries"]}["vilnius"] == "place"
    assert '"@type":"Place"' in page
    docs = [json.loads(p.read_text(encoding="utf-8")) for p in (out / "search" / "doc").glob("*.json")]
    assert any("where/vilnius/" in json.dumps(d) and "europe" in json.dumps(d) for d in docs)  # its search field
    tokyo = (out / "where" / "tokyo" / "index.html").read_text(encoding="utf-8")
    assert '<li><a href="../../where/vilnius/">Vilnius</a></li>' in tokyo  # "Mentioned in", from the row


def test_a_new_kind_is_validated_like_every_kind(with_places: None, tmp_path: Path) -> None:
    root = project(tmp_path, {
        "content/places/tokyo.md": "---\ntitle: Tokyo\nregion: moon\n---\nWhere the office would have been.\n",
        "content/events/summit-2023.md": (
            "---\ntitle: Summit\ndate: 2023-07-11\nactors: [nato]\nplaces: [vilnus]\n"
            "sources: [guardian-2023]\n---\n[[nato]] met in [[vilnius]].[@guardian-2023]\n"),
    })
    problems, _ = check(root)
    assert [p.format() for p in problems.items] == [
        "content/events/summit-2023.md:5:10: error: unknown place 'vilnus' in 'places' (did you mean 'vilnius'?)",
        "content/places/tokyo.md:3:9: error: 'region' must be one of europe, asia, not 'moon'",
    ]


def test_without_the_row_the_folder_is_unknown(tmp_path: Path) -> None:
    """The same project with the table as shipped: the row really is what makes the kind."""
    root = project(tmp_path)
    problems, _ = check(root)
    assert "content/places:1:1: error: unknown folder 'places' in content/ (did you mean 'pages'?)" in [
        p.format() for p in problems.items]
