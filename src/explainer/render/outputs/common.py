"""Small helpers every output shares: absolute URLs and dates in the forms formats want."""

from __future__ import annotations

import datetime as dt
import os
import re
from typing import Any
from xml.sax import saxutils

from ...dates import PartialDate
from ...model import Entry, Project

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")


def escape(text: str) -> str:
    """Text for XML character data; characters XML 1.0 forbids are dropped, not fatal to readers."""
    return saxutils.escape(_NOT_XML.sub("", text))


def quoteattr(text: str) -> str:
    """A quoted XML attribute value, with the same clean-up as `escape`."""
    return saxutils.quoteattr(_NOT_XML.sub("", text))


def absolute(project: Project, url_path: str) -> str:
    """The published address of a site-relative path (base_url may carry a sub-path)."""
    return project.config.site_url + url_path


def updated_of(entry: Entry) -> Any:
    """The entry's `updated` value if known (front matter, or a date another stage filled in)."""
    return entry.meta.get("updated")


def w3c_date(value: Any) -> str | None:
    """A date as the W3C profile of ISO 8601 (what sitemaps accept), or None when unknown."""
    if isinstance(value, PartialDate):
        return value.iso
    if isinstance(value, dt.datetime):
        return rfc3339(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        text = value.strip()
        if PartialDate.parse(text) is not None or _ISO_DATETIME.match(text):
            return text
    return None


def rfc3339(value: Any) -> str | None:
    """A full RFC 3339 timestamp (what Atom requires); a date alone means its first midnight, UTC."""
    if isinstance(value, PartialDate):
        y, m, d = value.first_day
        return f"{y:04d}-{m:02d}-{d:02d}T00:00:00Z"
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return str(value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    if isinstance(value, dt.date):
        return f"{value.isoformat()}T00:00:00Z"
    if isinstance(value, str):
        text = value.strip()
        if _ISO_DATETIME.match(text):
            return text
        parsed = PartialDate.parse(text)
        return rfc3339(parsed) if parsed else None
    return None


def source_date_epoch() -> str | None:
    """SOURCE_DATE_EPOCH (reproducible-builds.org) as RFC 3339, when set and valid."""
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw.isdigit():
        return None
    return rfc3339(dt.datetime.fromtimestamp(int(raw), dt.UTC))


def plain(value: Any) -> Any:
    """Front-matter values as JSON-ready data: dates become ISO strings."""
    if isinstance(value, PartialDate):
        return value.iso
    if isinstance(value, (dt.date, dt.datetime)):
        return w3c_date(value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value
