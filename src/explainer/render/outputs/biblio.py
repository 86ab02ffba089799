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
from ..citestyle import CSL_TYPES, csl_date, csl_name, csl_title, source_item, sources_of  # noqa: F401 (re-exported)
from ..pages import Renderer
from .common import absolute

BIB_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def _sources(site: SiteData) -> list[Entry]:
    return sources_of(site)


def csl_item(site: SiteData, entry: Entry) -> dict[str, Any]:
    """One source as a CSL-JSON item. An imported record's item goes out as it came in (with a
    companion file's keys laid over it); a Markdown source's notes its page on this site."""
    item = source_item(entry)
    if entry.csl is not None:
        return item
    meta = entry.meta
    item["note"] = f"Explainer page: {absolute(site.project, entry.url_path)}"
    if meta.get("archive_url"):  # CSL has no variable for an archived copy's address
        item["note"] = f"Archived copy: {meta['archive_url']}. " + item["note"]
    return item


def csl_json_output(site: SiteData, renderer: Renderer) -> Iterator[tuple[str, str]]:
    """Write sources.json: a CSL-JSON array (what Zotero, Pandoc and citeproc read), one item a
    line as in data.json (an indented dump runs json's pure-Python encoder)."""
    items = [json.dumps(csl_item(site, e), ensure_ascii=False, sort_keys=True) for e in _sources(site)]
    yield "sources.json", ("[\n" + ",\n".join(items) + "\n]\n") if items else "[]\n"


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
    if entry.csl is not None:
        return imported_bib_entry(site, entry)
    meta = entry.meta
    source_type = meta.get("type")
    kind = {"news": "article", "report": "techreport"}.get(source_type or "", "misc")
    publisher_field = {"article": "journal", "techreport": "institution"}.get(kind, "publisher")
    fields: list[tuple[str, str]] = [("title", "{" + tex(csl_title(entry)) + "}")]
    if meta.get("authors"):
        fields.append(("author", " and ".join(bib_name(str(a)) for a in meta["authors"])))
    if meta.get("editors"):
        fields.append(("editor", " and ".join(bib_name(str(a)) for a in meta["editors"])))
    if meta.get("container") and publisher_field != "journal":
        fields.append(("journaltitle", tex(meta["container"])))
    fields.append((publisher_field, tex(meta["container"] if meta.get("container") and publisher_field == "journal"
                                        else meta.get("publisher", ""))))
    date = meta.get("date")
    if isinstance(date, PartialDate):
        fields.append(("year", str(date.year)))
        if date.month:
            fields.append(("month", BIB_MONTHS[date.month - 1]))
        fields.append(("date", date.iso))
    if meta.get("doi"):
        fields.append(("doi", bib_url(str(meta["doi"]))))
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


#: CSL item types -> BibTeX entry types, for imported records (anything else: @misc).
CSL_TO_BIB = {"article-journal": "article", "article-newspaper": "article", "article-magazine": "article",
              "article": "article", "book": "book", "chapter": "incollection", "paper-conference": "inproceedings",
              "report": "techreport", "thesis": "phdthesis", "manuscript": "unpublished", "pamphlet": "booklet",
              "webpage": "online", "post-weblog": "online"}


def _csl_bib_name(name: Any) -> str:
    if not isinstance(name, dict):
        return "{" + tex(str(name)) + "}"
    if name.get("literal"):
        return "{" + tex(str(name["literal"])) + "}"
    family = " ".join(str(name[k]) for k in ("non-dropping-particle", "family") if name.get(k))
    given = " ".join(str(name[k]) for k in ("given", "dropping-particle") if name.get(k))
    parts = [tex(family)] + ([tex(str(name["suffix"]))] if name.get("suffix") else []) + ([tex(given)] if given else [])
    return ", ".join(p for p in parts if p)


def _csl_parts(value: Any) -> list[int]:
    try:
        return [int(p) for p in value["date-parts"][0][:3]]
    except (KeyError, IndexError, TypeError, ValueError):
        return []


def imported_bib_entry(site: SiteData, entry: Entry) -> str:
    """An imported record as BibTeX, from its CSL item: the same key and the same fields."""
    item = csl_item(site, entry)
    csl_type = str(item.get("type", ""))
    kind = CSL_TO_BIB.get(csl_type, "misc")
    fields: list[tuple[str, str]] = [("title", "{" + tex(str(item.get("title", entry.title))) + "}")]
    for variable, name in (("author", "author"), ("editor", "editor")):
        if isinstance(item.get(variable), list) and item[variable]:
            fields.append((name, " and ".join(_csl_bib_name(n) for n in item[variable])))
    container = item.get("container-title")
    if container:
        fields.append(({"article": "journal", "incollection": "booktitle", "inproceedings": "booktitle"}
                       .get(kind, "journaltitle"), tex(str(container))))
    if item.get("publisher"):
        fields.append(({"techreport": "institution", "phdthesis": "school"}.get(kind, "publisher"),
                       tex(str(item["publisher"]))))
    if csl_type in ("article-newspaper", "article-magazine"):
        fields.append(("entrysubtype", csl_type.split("-", 1)[1]))
    parts = _csl_parts(item.get("issued"))
    if parts:
        fields.append(("year", str(parts[0])))
        if len(parts) > 1 and 1 <= parts[1] <= 12:
            fields.append(("month", BIB_MONTHS[parts[1] - 1]))
        fields.append(("date", "-".join([f"{parts[0]:04d}"] + [f"{p:02d}" for p in parts[1:]])))
    for variable, name in (("publisher-place", "address"), ("volume", "volume"), ("issue", "number"),
                           ("number", "number"), ("page", "pages"), ("edition", "edition"), ("ISBN", "isbn"),
                           ("ISSN", "issn"), ("language", "langid"), ("abstract", "abstract"), ("note", "note")):
        if item.get(variable) and name not in dict(fields):
            value = str(item[variable])
            fields.append((name, tex(value.replace("–", "--")) if name == "pages" else tex(value)))
    if item.get("DOI"):
        fields.append(("doi", bib_url(str(item["DOI"]))))
    if item.get("URL"):
        fields.append(("url", bib_url(str(item["URL"]))))
    accessed = _csl_parts(item.get("accessed"))
    if accessed:
        fields.append(("urldate", "-".join([f"{accessed[0]:04d}"] + [f"{p:02d}" for p in accessed[1:]])))
    body = ",\n".join(f"  {name} = {value if name == 'month' else '{' + value + '}'}" for name, value in fields)
    return f"@{kind}{{{entry.id},\n{body}\n}}\n"


def bibtex_output(site: SiteData, renderer: Renderer) -> Iterator[tuple[str, str]]:
    """Write sources.bib (UTF-8; fields for BibTeX and biblatex alike)."""
    header = "% The sources of this explainer site, generated by explainer.\n\n"
    yield "sources.bib", header + "\n".join(bib_entry(site, e) for e in _sources(site))
