"""`render.templates.LayoutEnvironment`: `a.b` on a plain dict by the key first, with Jinja's answers.

The shortcut must never change what a layout sees, so these tests compare it with
Jinja2's own `Environment.getattr` on every attribute name a dict has, on keys that are
also attribute names, on missing names, and on objects that are not plain dicts, then
render the same templates in both environments (output and error messages alike).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jinja2
import pytest

from explainer.render.templates import LayoutEnvironment


@dataclass
class Thing:
    title: str = "a thing"


class DictWithAttribute(dict):  # type: ignore[type-arg]
    extra = "attribute of a subclass"


def environments() -> tuple[jinja2.Environment, jinja2.Environment]:
    options: dict[str, Any] = {"autoescape": True, "undefined": jinja2.StrictUndefined}
    return jinja2.Environment(**options), LayoutEnvironment(**options)


def same(a: Any, b: Any) -> bool:
    if isinstance(a, jinja2.Undefined) or isinstance(b, jinja2.Undefined):
        return (type(a) is type(b) and a._undefined_name == b._undefined_name  # type: ignore[union-attr]
                and a._undefined_obj is b._undefined_obj)  # type: ignore[union-attr]
    return a == b or a is b


def test_getattr_gives_jinjas_answer_for_every_kind_of_name() -> None:
    stock, ours = environments()
    names = sorted(set(dir(dict)) | {"title", "items", "keys", "get", "missing", "", "__class__", "__len__",
                                     "extra", "meta", "url"})
    objects: list[Any] = [
        {"title": "T", "url": None, "meta": {}},
        {"items": "a key named like a method", "keys": 3, "__len__": "a key named like a dunder", "": "empty"},
        {},
        DictWithAttribute(title="sub", items="key"),
        Thing(),
        ["a", "list"],
        "a string",
        None,
    ]
    checked = 0
    for obj in objects:
        for name in names:
            assert same(stock.getattr(obj, name), ours.getattr(obj, name)), (obj, name)
            checked += 1
    assert checked == len(objects) * len(names)


@pytest.mark.parametrize("source", [
    "{{ d.title }}|{{ d.items is defined }}|{{ d['items'] }}|{{ d.keys()|list|join(',') }}",
    "{% if d.missing is defined %}yes{% else %}no{% endif %}|{{ d.get('title') }}|{{ d.meta.url }}",
    "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}",
])
def test_layouts_render_the_same_in_both(source: str) -> None:
    stock, ours = environments()
    data = {"d": {"title": "<T>", "items": "key", "meta": {"url": "https://example.org/?a=1&b=2"}}}
    assert ours.from_string(source).render(data) == stock.from_string(source).render(data)


def test_a_missing_key_fails_with_jinjas_message() -> None:
    messages = []
    for env in environments():
        with pytest.raises(jinja2.UndefinedError) as raised:
            env.from_string("{{ page.nope }}").render(page={"title": "T"})
        messages.append(str(raised.value))
    assert messages[0] == messages[1] == "'dict object' has no attribute 'nope'"
