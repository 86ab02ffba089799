"""Plain data types the pipeline passes from stage to stage."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .dates import PartialDate
from .yamlsafe import YamlDoc


HOME_ID = ""
"""The home page's id: empty, so it can never clash with an entry's."""


@dataclass
class Entry:
    """One Markdown file of `content/`: its id, kind, validated front matter and body."""

    id: str
    kind: str
    """actor, event, source, page or home."""
    path: str
    """Path relative to the project root, with forward slashes (what messages show)."""
    meta: dict[str, Any]
    """Validated front matter: dates are `PartialDate`, lists are lists, absent keys absent."""
    doc: YamlDoc
    """The raw front matter with the position of every key and value."""
    body: str
    body_line: int
    """1-based line number of the body's first line in the file."""
    digest: str
    """Hash of the file's bytes, for caches."""

    @property
    def title(self) -> str:
        return str(self.meta.get("title") or self.id)

    @property
    def url_path(self) -> str:
        """Site-relative URL of the entry's page, e.g. `actors/nato/` (the home page is '')."""
        if self.kind == "home":
            return ""
        if self.kind == "page":
            return f"{self.id}/"
        return f"{self.kind}s/{self.id}/"

    @property
    def date(self) -> PartialDate | None:
        value = self.meta.get("date")
        return value if isinstance(value, PartialDate) else None

    @property
    def approximate(self) -> bool:
        return self.meta.get("date_precision") == "approximate"

    def pos(self, *path: Any) -> tuple[int, int]:
        """File position (line, column) of a front-matter value."""
        return self.doc.pos(*path)


@dataclass
class Config:
    """config.yaml, validated, with defaults filled in."""

    values: dict[str, Any]
    doc: YamlDoc | None = None

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["values"][name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def base_path(self) -> str:
        """The path part of base_url, always starting and ending with '/'."""
        from urllib.parse import urlsplit

        path = urlsplit(self.values["base_url"]).path or "/"
        return path if path.endswith("/") else path + "/"

    @property
    def site_url(self) -> str:
        url = self.values["base_url"]
        return url if url.endswith("/") else url + "/"


@dataclass
class Project:
    """Everything `load` read: the config, every entry by id, and the home page."""

    root: Path
    config: Config
    entries: dict[str, Entry] = field(default_factory=dict)
    home: Entry | None = None
    unreadable: dict[str, str] = field(default_factory=dict)
    """Path -> id of entry files that exist but could not be loaded (already reported):
    references to them are not reported again as unknown ids."""

    def of_kind(self, kind: str) -> list[Entry]:
        return [e for e in self.entries.values() if e.kind == kind]

    @property
    def all_documents(self) -> list[Entry]:
        """Entries plus the home page, in a stable order."""
        docs = sorted(self.entries.values(), key=lambda e: (e.kind, e.id))
        return docs + ([self.home] if self.home else [])
