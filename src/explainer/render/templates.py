"""The Jinja2 layouts: the project's `layouts/` over the package's defaults, file by file.

Autoescape is on and undefined variables are errors, so a typo in a layout fails the
build instead of shipping an empty string. A failing layout becomes a `TemplateProblem`
carrying the layout's path and line.
"""

from __future__ import annotations

import json
import traceback
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from .. import __version__
from ..load.files import DEFAULT_LAYOUTS
from ..model import Page, Strings, TemplateProblem, fill
from .jsonld import json_ld

_DICT_ATTRIBUTES = frozenset(dir(dict))
"""Every attribute a plain dict has (its methods and dunders): the names `a.b` finds on one."""


class LayoutEnvironment(jinja2.Environment):
    """Jinja2's environment, with one shortcut for `a.b` where `a` is a plain dict.

    Jinja tries the attribute first and, when that raises `AttributeError`, the key. Page
    contexts are mostly dicts (`page.title`, `site.title`, `s.meta.url`, every menu item),
    so most lookups in a layout went through a raised and caught exception (about a tenth
    of the layouts' time, measured on 1,000 entry pages). For a plain dict and a name
    that is not one of its attributes the attribute lookup can only fail, so this asks
    for the key straight away: the same answer, or the same undefined value, as Jinja's
    own order gives (`tests/test_layout_environment.py` compares the two on every kind
    of name).
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


def make_environment(root: Path) -> jinja2.Environment:
    """One Jinja2 environment per process: project layouts over the packaged defaults (each
    also reachable as `default/NAME`, for a project's layout that extends its default)."""
    loaders: list[jinja2.BaseLoader] = []
    project_layouts = root / "layouts"
    if project_layouts.is_dir():
        loaders.append(jinja2.FileSystemLoader(str(project_layouts)))
    defaults = jinja2.FileSystemLoader(str(DEFAULT_LAYOUTS))
    loaders.append(defaults)
    # "default/home.html" is always the package's home.html, so a project's home.html can
    # extend it and replace only the blocks it wants (docs/guide/theming.md)
    loaders.append(jinja2.PrefixLoader({"default": defaults}))
    env = LayoutEnvironment(
        loader=jinja2.ChoiceLoader(loaders),
        auto_reload=False,  # each layout read once per environment: an edit mid-build cannot mix versions
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["tojson_safe"] = json_for_script
    env.filters["upper_first"] = upper_first
    env.globals["json_ld"] = json_ld
    env.globals["generator"] = f"explainer {__version__}"
    env.globals["t"] = translate
    return env


_TEXT = {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;", ord('"'): "&#34;"}
"""How a message's own text is escaped: as text (never markup), safe in element content and
in the double-quoted attributes the layouts write. An apostrophe stays as typed, as it did
when the same words were written in a layout (a translation table is part of `layouts/`)."""


@jinja2.pass_context
def translate(ctx: jinja2.runtime.Context, key: str, default: str | None = None, **values: Any) -> Markup:
    """Jinja global `t`: the interface message `key` in the page's language (`lang`, else
    the site's), its `{name}` placeholders filled with `values`, each escaped like any value
    a layout writes (a value that is already markup, a link made in the layout, is kept). An
    id with the plural forms `KEY_one` / `KEY_other` is picked by `count`."""
    strings: Strings = ctx["strings"]
    lang = ctx.get("lang") or ctx["site"]["language"]
    text = strings.text(lang, strings.key_for(key, values.get("count")), default)
    escaped = text.translate(_TEXT)
    if values:
        escaped = fill(escaped, {k: str(escape(v)) for k, v in values.items()})
    return Markup(escaped)


def upper_first(text: str) -> str:
    """`text` with its first letter upper-case and the rest as it is ("country" -> "Country")."""
    return text[:1].upper() + text[1:]


def json_for_script(value: Any) -> Markup:
    """JSON that cannot end a <script> element or open a comment, whatever the text says."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(text)


def template_location(exc: BaseException, root: Path) -> tuple[str, int]:
    """Where in which layout a Jinja error happened, as (path for messages, line)."""
    if isinstance(exc, jinja2.TemplateSyntaxError) and exc.filename:
        return _layout_name(exc.filename, root), exc.lineno or 1
    for frame, line in reversed(list(traceback.walk_tb(exc.__traceback__))):
        name = frame.f_code.co_filename
        if name.endswith((".html", ".xml", ".txt", ".json")):
            return _layout_name(name, root), line
    return "layouts", 1


def _layout_name(filename: str, root: Path) -> str:
    path = Path(filename)
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        try:
            return "(default) layouts/" + path.resolve().relative_to(DEFAULT_LAYOUTS.resolve()).as_posix()
        except ValueError:
            return path.name


def render_page(env: jinja2.Environment, page: Page, root: Path) -> str:
    """Fill one page's layout with its context; a failure becomes a positioned `TemplateProblem`."""
    try:
        return env.get_template(page.template).render(page.context)
    except jinja2.TemplateNotFound as exc:
        raise TemplateProblem("layouts", 1, f"layout '{exc.name}' not found") from None
    except jinja2.TemplateError as exc:
        path, line = template_location(exc, root)
        raise TemplateProblem(path, line, f"layout error: {exc.message or exc}") from None
    except Exception as exc:  # a broken filter or a bad value in a layout
        path, line = template_location(exc, root)
        raise TemplateProblem(path, line, f"layout error: {type(exc).__name__}: {exc}") from None
