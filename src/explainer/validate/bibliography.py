"""Stage 2, validate: bibliography records become source entries, like Markdown sources.

Each record is mapped to a CSL-JSON item (BibTeX fields to CSL variables; a CSL-JSON
record is one already), and the item to a source's front matter (title, authors,
publisher, date, url, accessed, …), which is then checked by the same validator as a
Markdown file's, with the record's own positions. The item is kept on the entry
(`Entry.csl`): the exports and the citation style read all of it, not only what a page shows.
"""

from __future__ import annotations

import re
from typing import Any

from .. import schema
from ..dates import PartialDate
from ..diagnostics import Problems
from ..load.ids import key_problem, url_slug
from ..model import Entry, Record, YamlDoc
from .fields import validate_fields

SOURCE = schema.KINDS[schema.BIBLIOGRAPHY_KIND]

#: BibTeX/BibLaTeX entry types -> CSL item types (anything else: document).
BIB_TO_CSL = {
    "article": "article-journal", "book": "book", "mvbook": "book", "inbook": "chapter", "incollection": "chapter",
    "bookinbook": "chapter", "inproceedings": "paper-conference", "conference": "paper-conference",
    "proceedings": "book", "collection": "book", "techreport": "report", "report": "report",
    "phdthesis": "thesis", "mastersthesis": "thesis", "thesis": "thesis", "online": "webpage", "www": "webpage",
    "electronic": "webpage", "misc": "document", "unpublished": "manuscript", "manual": "book",
    "booklet": "pamphlet", "legislation": "legislation", "jurisdiction": "legal_case", "patent": "patent",
    "dataset": "dataset", "software": "software", "periodical": "periodical", "newspaper": "article-newspaper",
}

#: CSL item types -> the explainer source `type` (only where the meaning is the same).
CSL_TO_TYPE = {"article-newspaper": "news", "article-magazine": "news", "report": "report", "speech": "statement",
               "legislation": "official", "bill": "official", "legal_case": "official", "regulation": "official",
               "treaty": "official", "hearing": "official"}

MONTHS = {name: i + 1 for i, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}


def record_entries(records: list[Record], problems: Problems) -> list[Entry]:
    """A source entry for every record that has a usable key and title; the rest reported."""
    entries = []
    for record in records:
        entry = record_entry(record, problems)
        if entry is not None:
            entries.append(entry)
    return entries


def record_entry(record: Record, problems: Problems) -> Entry | None:
    """One record as a source entry, or None (problems recorded) when it cannot be one."""
    at = (record.line, record.column)
    if not record.key:
        what = "an 'id'" if record.format == "csl-json" else "a key"
        problems.add("bibliography-record", record.path, *at, f"record without {what}: a source needs its citation key",
                     "give it the key you cite it with")
        return None
    why = key_problem(record.key)
    if why:
        problems.add("bibliography-record", record.path, *at, why)
        return None
    csl = bibtex_to_csl(record, problems) if record.format == "bibtex" else dict(record.fields)
    csl["id"] = record.key
    meta, where = csl_to_meta(csl, record, problems)
    if "title" not in meta:
        problems.add("bibliography-record", record.path, *at, f"record '{record.key}' has no title",
                     "add a title field" if record.format == "bibtex" else "add a \"title\"")
        return None
    if "publisher" not in meta:
        hint = "add publisher, institution or journal" if record.format == "bibtex" \
            else "add \"publisher\" or \"container-title\""
        problems.add("bibliography-record", record.path, *at,
                     f"record '{record.key}' names no publisher, journal or site", hint)
        return None
    positions = {(k,): where.get(k, at) for k in meta}
    doc = YamlDoc(meta, value_pos=dict(positions), key_pos=dict(positions))
    doc.value_pos[()] = at
    clean = validate_fields(SOURCE, doc, record.path, problems, f"record '{record.key}'")
    if "title" not in clean or "publisher" not in clean:
        return None
    return Entry(id=record.key, kind=SOURCE.name, path=record.path, meta=clean, doc=doc, body="",
                 body_line=record.line, digest=record.digest, slug=url_slug(record.key), csl=csl)


# --- BibTeX -> CSL --------------------------------------------------------------------------

def bibtex_to_csl(record: Record, problems: Problems) -> dict[str, Any]:
    """A BibTeX record as a CSL-JSON item (the variables Zotero and Pandoc read)."""
    f = record.fields
    subtype = str(f.get("entrysubtype", "")).lower()
    csl_type = BIB_TO_CSL.get(record.type, "document")
    if record.type == "article" and subtype in ("newspaper", "magazine"):
        csl_type = f"article-{subtype}"
    item: dict[str, Any] = {"type": csl_type}
    title = f.get("title")
    if title:
        item["title"] = f"{title}: {f['subtitle']}" if f.get("subtitle") else title
    for bib, csl in (("author", "author"), ("editor", "editor")):
        if f.get(bib):
            item[csl] = f[bib]
    container = f.get("journaltitle") or f.get("journal") or f.get("booktitle")
    if container:
        item["container-title"] = container
    publisher = f.get("publisher") or f.get("institution") or f.get("school") or f.get("organization")
    if publisher:
        item["publisher"] = publisher
    simple = (("address", "publisher-place"), ("location", "publisher-place"), ("volume", "volume"),
              ("edition", "edition"), ("isbn", "ISBN"), ("issn", "ISSN"), ("abstract", "abstract"),
              ("langid", "language"), ("language", "language"), ("note", "note"), ("url", "URL"))
    for bib, csl in simple:
        if f.get(bib) and csl not in item:
            item[csl] = f[bib]
    if f.get("number"):
        item["issue" if csl_type.startswith("article") else "number"] = f["number"]
    if f.get("pages"):
        item["page"] = re.sub(r"\s*-+\s*", "–", f["pages"])
    if f.get("doi"):
        item["DOI"] = re.sub(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)", "", f["doi"], flags=re.I)
    issued = _bib_date(record, "date", problems) if f.get("date") else _bib_year(record, problems)
    if issued:
        item["issued"] = issued
    if f.get("urldate"):
        accessed = _bib_date(record, "urldate", problems)
        if accessed:
            item["accessed"] = accessed
    return item


def _bib_date(record: Record, name: str, problems: Problems) -> dict[str, Any] | None:
    text = str(record.fields[name]).split("/", 1)[0].strip()  # a range: its start
    parsed = PartialDate.parse(text[:10] if re.match(r"^\d{4}-\d{2}-\d{2}T", text) else text)
    if parsed is None:
        problems.add("bibliography-record", record.path, *record.positions.get(name, (record.line, record.column)),
                     f"'{name}' must be an ISO 8601 date like 2023-07-11, 2023-07 or 2023, not '{text}'")
        return None
    return csl_date(parsed)


def _bib_year(record: Record, problems: Problems) -> dict[str, Any] | None:
    f = record.fields
    year = str(f.get("year", "")).strip()
    if not year:
        return None
    if not re.fullmatch(r"\d{1,4}", year):
        problems.add("bibliography-record", record.path, *record.positions.get("year", (record.line, record.column)),
                     f"'year' must be a year like 2023, not '{year}'")
        return None
    parts = [int(year)]
    month = str(f.get("month", "")).strip().lower()
    if month:
        number = MONTHS.get(month[:3]) if not month.isdigit() else int(month)
        if number is None or not 1 <= number <= 12:
            problems.add("bibliography-record", record.path,
                         *record.positions.get("month", (record.line, record.column)),
                         f"'month' must be a month like jul, July or 7, not '{f['month']}'")
            return {"date-parts": [parts]}
        parts.append(number)
        day = str(f.get("day", "")).strip()
        if day.isdigit():
            parts.append(int(day))
    return {"date-parts": [parts]}


def csl_date(value: PartialDate) -> dict[str, Any]:
    parts = [value.year] + ([value.month] if value.month else []) + ([value.day] if value.day else [])
    return {"date-parts": [parts]}


# --- CSL -> a source's front matter ---------------------------------------------------------

def name_text(name: Any) -> str:
    """A CSL name as a page shows it: 'Given Family', or the literal name."""
    if isinstance(name, str):
        return name
    if not isinstance(name, dict):
        return ""
    if name.get("literal"):
        return str(name["literal"])
    family = " ".join(str(name[k]) for k in ("non-dropping-particle", "family") if name.get(k))
    parts = [str(name[k]) for k in ("given", "dropping-particle") if name.get(k)] + ([family] if family else [])
    text = " ".join(parts)
    return f"{text}, {name['suffix']}" if name.get("suffix") and text else text


def _csl_date_text(value: Any) -> str | None:
    """A CSL date as ISO 8601 (year, year-month or a full day); None when it has no readable date."""
    if not isinstance(value, dict):
        return str(value) if isinstance(value, str) else None
    parts = value.get("date-parts")
    if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
        try:
            numbers = [int(p) for p in parts[0][:3]]
        except (TypeError, ValueError):
            return " ".join(str(p) for p in parts[0])
        return "-".join([f"{numbers[0]:04d}"] + [f"{n:02d}" for n in numbers[1:]])
    for key in ("raw", "literal"):
        if isinstance(value.get(key), str):
            return str(value[key]).split("/", 1)[0].strip()
    return None


def csl_to_meta(csl: dict[str, Any], record: Record,
                problems: Problems) -> tuple[dict[str, Any], dict[str, tuple[int, int]]]:
    """The front matter a record stands for, and where in the file each key came from."""
    bib = record.format == "bibtex"
    pos = record.positions
    at = (record.line, record.column)

    def where(*names: str) -> tuple[int, int]:
        return next((pos[n] for n in names if n in pos), at)

    meta: dict[str, Any] = {}
    spots: dict[str, tuple[int, int]] = {}

    def put(key: str, value: Any, *names: str) -> None:
        meta[key] = value
        spots[key] = where(*names)

    if isinstance(csl.get("title"), str) and csl["title"].strip():
        put("title", csl["title"], "title")
    elif "title" in csl:
        put("title", csl["title"], "title")  # the validator names the wrong type
    names: tuple[str, ...]
    for key, variable, names in (("authors", "author", ("author",)), ("editors", "editor", ("editor",))):
        value = csl.get(variable)
        if isinstance(value, list) and value:
            texts = [name_text(n) for n in value]
            put(key, [t for t in texts if t] or texts, *names)
        elif value is not None:
            put(key, value, *names)
    publisher, container = csl.get("publisher"), csl.get("container-title")
    if publisher:
        put("publisher", publisher, "publisher", "institution", "school", "organization")
        if container and container != publisher:
            put("container", container, "journaltitle", "journal", "booktitle", "container-title")
    elif container:
        put("publisher", container, "journaltitle", "journal", "booktitle", "container-title")
    for key, variable, names in (("date", "issued", ("date", "year", "issued")),
                                 ("accessed", "accessed", ("urldate", "accessed"))):
        if variable in csl:
            text = _csl_date_text(csl[variable])
            if text is not None:
                put(key, text, *names)
            elif not bib:
                problems.add("bibliography-record", record.path, *where(*names),
                             f"'{variable}' must be a CSL date like {{\"date-parts\": [[2023, 7, 11]]}}")
    for key, variable, names in (("url", "URL", ("url", "URL")), ("doi", "DOI", ("doi", "DOI")),
                                 ("language", "language", ("langid", "language"))):
        if csl.get(variable):
            put(key, csl[variable], *names)
    mapped = CSL_TO_TYPE.get(str(csl.get("type", "")))
    if mapped:
        put("type", mapped, "entrysubtype", "type")
    return meta, spots
