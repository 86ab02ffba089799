"""JSON-LD (schema.org) for each page, built from the page's template context.

Layouts call `{{ json_ld()|tojson_safe }}` (partials/meta.html): the function reads the
context the page is rendered with, so it needs no second pass over the site, and
`tojson_safe` escapes `<`, `>` and `&`, so no title can close the script element.

Types come from the kinds table (`Kind.schema_org`, `schema_org_by`), and what each
node says follows its type: home WebSite; actors Person / Organization / Country (a
grouping is an Organization); events Event with `actor` (every actor listed, whatever its kind: the
content model does not say who organised an event, so nothing is claimed as
`organizer`), `location` and `citation`; sources NewsArticle (type news) or
CreativeWork, with a `headline` unless `untitled: true` says the title is a description;
pages WebPage; the section indexes CollectionPage; none on the 404 page.
"""

from __future__ import annotations

from typing import Any

import jinja2

from .. import schema

CONTEXT = "https://schema.org"


def _site_url(site: dict[str, Any]) -> str:
    url = str(site["base_url"])
    return url if url.endswith("/") else url + "/"


CREATIVE_WORKS = frozenset({"WebPage", "CreativeWork", "NewsArticle"})
"""schema.org types that are documents: they have a modification date and belong to the site."""
AGENTS = frozenset({"Person", "Organization", "Country"})


def _type_of(view: Any) -> str:
    """The schema.org type of an entry, from its kind's row (and a choice field's value)."""
    kind = schema.kind_of(view.kind)
    if kind.schema_org_by is not None:
        name, types = kind.schema_org_by
        return dict(types).get(view.meta.get(name) or "", kind.schema_org)
    return kind.schema_org


def node(view: Any, site_url: str) -> dict[str, Any]:
    """A short reference to another entry: its type, name and page."""
    url = site_url + view.url_path
    return {"@type": _type_of(view), "@id": url, "name": view.title, "url": url}


def _names(names: list[Any]) -> list[dict[str, Any]]:
    return [{"@type": "Person", "name": str(n)} for n in names]


def structured_data(ctx: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON-LD object of the page being rendered, or None for a page without one."""
    site = ctx["site"]
    page = ctx["page"]
    site_url = _site_url(site)
    url = site_url + page["url_path"]
    website = {"@type": "WebSite", "@id": site_url, "name": site["title"], "url": site_url}
    kind = page["kind"]
    entry = ctx.get("entry")
    if kind == "404":
        return None
    data: dict[str, Any]
    if kind == schema.HOME.name:
        data = {**website, "inLanguage": ctx.get("text_lang") or site["language"]}
        if site.get("description"):
            data["description"] = site["description"]
        if site.get("author"):
            data["publisher"] = {"@type": "Organization", "name": site["author"]}
        return {"@context": CONTEXT, **data}
    if entry is None:  # timeline, actors, sources, disputes and other section pages
        data = {"@type": "CollectionPage", "@id": url, "url": url, "name": page["title"], "isPartOf": website}
        if page.get("description"):
            data["description"] = page["description"]
        return {"@context": CONTEXT, **data}
    meta = entry.meta
    related = ctx.get("related") or {}
    data = node(entry, site_url)
    if entry.summary:
        data["description"] = entry.summary
    if data["@type"] in AGENTS:
        if meta.get("aliases"):
            data["alternateName"] = list(meta["aliases"])
        if meta.get("role") and data["@type"] == "Person":
            data["jobTitle"] = meta["role"]
        member_of = [node(v, site_url) for v in related.get("member_of", [])]
        if member_of and data["@type"] != "Country":
            data["memberOf"] = member_of
        members = [node(v, site_url) for v in related.get("members", [])]
        if members and data["@type"] == "Organization":
            data["member"] = members
        affiliations = [node(v, site_url) for v in related.get("affiliations", [])]
        if affiliations and data["@type"] == "Person":
            data["affiliation"] = affiliations
        countries = [node(v, site_url) for v in related.get("country", [])]
        if countries and data["@type"] == "Person":
            data["nationality"] = countries[0]
        events = [node(v, site_url) for v in related.get("events", [])]
        if events:
            data["subjectOf"] = events
    elif data["@type"] == "Event":
        data["startDate"] = meta["date"]
        if meta.get("end_date"):
            data["endDate"] = meta["end_date"]
        if meta.get("location"):
            data["location"] = {"@type": "Place", "name": meta["location"]}
        actors = [node(v, site_url) for v in related.get("actors", [])]
        if actors:
            data["actor"] = actors
    elif schema.kind_of(entry.kind).cited:
        if not meta.get("untitled"):  # a described title (untitled: true) is its `name`, not a headline
            data["headline"] = entry.title
        data["publisher"] = {"@type": "Organization", "name": meta["publisher"]}
        if meta.get("authors"):
            data["author"] = _names(meta["authors"])
        if meta.get("date"):
            data["datePublished"] = meta["date"]
        same = [meta[k] for k in ("url", "archive_url") if meta.get(k)]
        if same:
            data["sameAs"] = same
        if meta.get("language"):
            data["inLanguage"] = meta["language"]
    if not schema.kind_of(entry.kind).cited and ctx.get("sources"):
        data["citation"] = [node(item.source, site_url) for item in ctx["sources"]]
    if meta.get("updated") and data["@type"] in CREATIVE_WORKS:
        data["dateModified"] = str(meta["updated"])
    if data["@type"] in CREATIVE_WORKS:
        data["isPartOf"] = website
    if ctx.get("languages") and "inLanguage" not in data and (data["@type"] in CREATIVE_WORKS
                                                              or data["@type"] == "Event"):
        # a site in several languages: say which this page's text is in
        data["inLanguage"] = ctx.get("text_lang") or site["language"]
    return {"@context": CONTEXT, **data}


@jinja2.pass_context
def json_ld(ctx: jinja2.runtime.Context) -> dict[str, Any] | None:
    """Jinja global: the JSON-LD of the page being rendered (pipe it through tojson_safe)."""
    return structured_data(dict(ctx.get_all()))
