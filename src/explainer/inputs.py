"""What a cached stage function reads, declared beside its definition.

A stage function whose result the build cache keeps (`cache.layer`) is keyed by a digest
of what it reads. For its arguments that is their value; for a record it reads only part
of (an entry), the part is declared here, with the function:

    @reads("path", "kind", "body")
    def parse_body(md, entry, lookup, overrides): ...

The cache digests exactly the declared fields (`declared_values`), so a field added to the
declaration is in the key at once, and `tests/test_cache_layer.py` runs each declared
function on a record that records which fields it touched: a field read but not declared
fails that test, so a new input cannot be forgotten.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def reads(*fields: str) -> Callable[[F], F]:
    """Declare the fields of its record argument that a cached function reads."""
    def mark(fn: F) -> F:
        fn.__reads__ = fields  # type: ignore[attr-defined]
        return fn
    return mark


def declared(fn: Callable[..., Any]) -> tuple[str, ...]:
    """The fields `fn` declared with `reads` (a function that declared none reads only its arguments)."""
    return tuple(getattr(fn, "__reads__", ()))


def declared_values(fn: Callable[..., Any], record: object) -> tuple[Any, ...]:
    """The values of the fields `fn` declared, read from `record`."""
    return tuple(getattr(record, name) for name in declared(fn))


__all__ = ["declared", "declared_values", "reads"]
