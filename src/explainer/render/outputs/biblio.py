"""The bibliography for reference managers: sources.json (CSL-JSON) and sources.bib (BibTeX).

Both list every source, keyed by its id (the same key authors cite with `[@id]`), sorted
by id. Dates keep their known precision; `note` carries the source's page on this site.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from ...dates import PartialDate
from ...model import Entry, SiteData
from ..pages import Renderer
from .common import absolute

#: CSL item types by the source's `type` (no type: a web page if it has a URL, else a document).
CSL_TYPES = {"news": "article-newspaper", "official": "document", "statement": "speech",
             "report": "report", "analysis": "article"}
BIB_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def _sources(site: SiteData) -> list[Entry]:
    return sorted(site.project.where("cited"), key=lambda e: e.id)


def csl_name(name: str) -> dict[str, str]:
    """A credited name as CSL: 'Given Family' and 'Family, Given' split; anything else literal.

    Names of one word or more than three words (an agency, a desk) stay whole, so
    'Ministry of Foreign Affairs of Japan' is never cut into a given and a family name.
    """
    name = " ".join(name.split())
    if name.count(",") == 1:
        family, given = (p.strip() for p in name.split(","))
        if family and given:
            return {"family": family, "given": given}
    words = name.split(" ")
    if 2 <= len(words) <= 3 and "," not in name:
        return {"family": words[-1], "given": " ".join(words[:-1])}
    return {"literal": name}


def csl_date(value: PartialDate) -> dict[str, Any]:
    parts = [value.year] + ([value.month] if value.month else []) + ([value.day] if value.day else [])
    return {"date-parts": [parts]}


def csl_item(site: SiteData, entry: Entry) -> dict[str, Any]:
    """One source as a CSL-JSON item."""
    meta = entry.meta
    item: dict[str, Any] = {
        "id": entry.id,
        "type": CSL_TYPES.get(meta.get("type", ""), "webpage" if meta.get("url") else "document"),
        "title": entry.title,
        "publisher": meta["publisher"] if "publisher" in meta else "",
        "note": f"Explainer page: {absolute(site.project, entry.url_path)}",
    }
    if meta.get("type") == "news":
        item["container-title"] = item["publisher"]
    if meta.get("authors"):
        item["author"] = [csl_name(str(a)) for a in meta["authors"]]
    for key, csl_key in (("date", "issued"), ("accessed", "accessed")):
        if isinstance(meta.get(key), PartialDate):
            item[csl_key] = csl_date(meta[key])
    if meta.get("archive_url"):  # CSL has no variable for an archived copy's address
        item["note"] = f"Archived copy: {meta['archive_url']}. " + item["note"]
    for key, csl_key in (("url", "URL"), ("language", "language"), ("summary", "abstract")):
        if meta.get(key):
            item[csl_key] = str(meta[key])
    return item


def csl_json_output(site: SiteData, renderer: Renderer) -> Iterator[tuple[str, str]]:
    """Write sources.json: a CSL-JSON array (what Zotero, Pandoc and citeproc read)."""
    items = [csl_item(site, e) for e in _sources(site)]
    yield "sources.json", json.dumps(items, ensure_ascii=False, sort_keys=True, indent=1) + "\n"


_TEX_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%", "$": r"\$",
                "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
_TEX_RE = re.compile(r"[\\{}&%$#_~^]")


def tex(text: str) -> str:
    """Text for a BibTeX field: TeX's special characters escaped, whitespace folded."""
    return _TEX_RE.sub(lambda m: _TEX_SPECIAL[m.group()], " ".join(str(text).split()))


def bib_url(url: str) -> str:
    """A URL for a url field: verbatim, except what would unbalance the braces or break a line."""
    return re.sub(r"[{}\\\s]", lambda m: f"%{ord(m.group()):02X}", url)


def bib_name(name: str) -> str:
    """A name for the author list: corporate names (see `csl_name`) braced so BibTeX keeps them whole."""
    parts = csl_name(name)
    if "literal" in parts:
        return "{" + tex(parts["literal"]) + "}"
    return f"{tex(parts['family'])}, {tex(parts['given'])}"


def bib_entry(site: SiteData, entry: Entry) -> str:
    """One source as a BibTeX entry: @article for news, @techreport for reports, else @misc."""
    meta = entry.meta
    source_type = meta.get("type")
    kind = {"news": "article", "report": "techreport"}.get(source_type or "", "misc")
    publisher_field = {"article": "journal", "techreport": "institution"}.get(kind, "publisher")
    fields: list[tuple[str, str]] = [("title", "{" + tex(entry.title) + "}")]
    if meta.get("authors"):
        fields.append(("author", " and ".join(bib_name(str(a)) for a in meta["authors"])))
    fields.append((publisher_field, tex(meta.get("publisher", ""))))
    date = meta.get("date")
    if isinstance(date, PartialDate):
        fields.append(("year", str(date.year)))
        if date.month:
            fields.append(("month", BIB_MONTHS[date.month - 1]))
        fields.append(("date", date.iso))
    if meta.get("url"):
        fields.append(("url", bib_url(str(meta["url"]))))
    if isinstance(meta.get("accessed"), PartialDate):
        fields.append(("urldate", meta["accessed"].iso))
    if meta.get("language"):
        fields.append(("langid", tex(meta["language"])))
    note = f"Explainer page: \\url{{{bib_url(absolute(site.project, entry.url_path))}}}"
    if meta.get("archive_url"):
        note = f"Archived copy: \\url{{{bib_url(str(meta['archive_url']))}}}. " + note
    fields.append(("note", note))
    body = ",\n".join(f"  {name} = {value if name == 'month' else '{' + value + '}'}" for name, value in fields)
    return f"@{kind}{{{entry.id},\n{body}\n}}\n"


def bibtex_output(site: SiteData, renderer: Renderer) -> Iterator[tuple[str, str]]:
    """Write sources.bib (UTF-8; fields for BibTeX and biblatex alike)."""
    header = "% The sources of this explainer site, generated by explainer.\n\n"
    yield "sources.bib", header + "\n".join(bib_entry(site, e) for e in _sources(site))
