"""`.explainer-cache/links.json`: each URL's last answer and when it was asked.

Plain JSON data, read by one small function (`read_results`) that trusts nothing: the file
is opened without following a symlink, read only up to `MAX_BYTES`, parsed as JSON and
checked record by record. Anything wrong (a symlink, too big, not JSON, a field of the
wrong type) is one note and a fresh start, never a traceback: the file is only a memory of
answers, and asking again is always correct.

Unlike the build's cache files, this one is not tied to the tool's code digest: an
upgrade of explainer does not make a week of answers worth asking again.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ..cache.files import CACHE_DIR, CACHEDIR_TAG
from ..write.writer import atomic_write

FILE = "links.json"
FORMAT = "explainer-links"
VERSION = 1
MAX_BYTES = 32 * 1024 * 1024
"""A file bigger than this is not one explainer wrote (100,000 URLs take about 20 MB)."""
OUTCOMES = ("ok", "broken", "redirected", "unreachable")


@dataclass(frozen=True)
class Result:
    """What one URL answered the last time it was asked."""

    outcome: str
    """'ok', 'broken' (the server says it is gone or failing), 'redirected' (moved permanently
    to `final`), or 'unreachable' (no answer: DNS, connection, timeout; or checks refused)."""
    status: int | None
    """The final HTTP status, or None when no answer came."""
    reason: str
    """What happened, for messages: '404 Not Found', 'no answer within 10 s'."""
    checked: str
    """When, as an ISO 8601 UTC time (seconds)."""
    final: str | None = None
    """Where redirects ended, when the URL redirected."""

    @property
    def day(self) -> str:
        """The date of the check (what messages and front matter show)."""
        return self.checked[:10]

    def fresh(self, now: datetime, days: int) -> bool:
        """Whether the answer may stand without asking again: younger than `days` days, and an
        answer from the server (an unreachable link is asked again on every run)."""
        if self.outcome == "unreachable":
            return False
        age = now - parse_time(self.checked)
        return timedelta(0) <= age < timedelta(days=days)  # a time in the future is no answer to trust


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def time_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def note(message: str) -> None:
    print(f"explainer: note: {message}", file=sys.stderr, flush=True)


def results_path(root: Path) -> Path:
    return root / CACHE_DIR / FILE


def read_results(root: Path) -> dict[str, Result]:
    """Every recorded answer, or {} (with a note saying why) when the file is missing or unusable."""
    shown = f"{CACHE_DIR}/{FILE}"
    folder = root / CACHE_DIR
    if folder.is_symlink():
        note(f"{CACHE_DIR}/ is a symlink; not followed, every link is asked afresh")
        return {}
    try:
        fd = os.open(results_path(root), os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        return {}
    except OSError as exc:
        why = "is a symlink" if exc.errno == errno.ELOOP else f"cannot be read ({exc.strerror or exc})"
        note(f"{shown} {why}; ignored, every link is asked afresh")
        return {}
    try:
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                note(f"{shown} is not a regular file; ignored, every link is asked afresh")
                return {}
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        note(f"{shown} cannot be read ({exc.strerror or exc}); ignored, every link is asked afresh")
        return {}
    if len(data) > MAX_BYTES:
        note(f"{shown} is larger than {MAX_BYTES // (1024 * 1024)} MB; ignored, every link is asked afresh")
        return {}
    try:
        return _validated(json.loads(data.decode("utf-8")))
    except (ValueError, RecursionError, UnicodeDecodeError, TypeError, KeyError) as exc:
        why = str(exc) if isinstance(exc, _Invalid) else "not valid JSON"
        note(f"{shown}: {why}; ignored, every link is asked afresh")
        return {}


class _Invalid(ValueError):
    pass


def _validated(data: Any) -> dict[str, Result]:
    """The records of a parsed file, each field checked; `_Invalid` at the first wrong one."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise _Invalid("not an explainer links file")
    if data.get("version") != VERSION:
        raise _Invalid("written by another version of explainer")
    urls = data.get("urls")
    if not isinstance(urls, dict):
        raise _Invalid("'urls' is not a mapping")
    out: dict[str, Result] = {}
    for url, record in urls.items():
        if not isinstance(record, dict):
            raise _Invalid(f"the record of {url!r} is not a mapping")
        outcome, status, reason = record.get("outcome"), record.get("status"), record.get("reason")
        checked, final = record.get("checked"), record.get("final")
        if outcome not in OUTCOMES:
            raise _Invalid(f"the record of {url!r} has an unknown outcome")
        if status is not None and (isinstance(status, bool) or not isinstance(status, int) or
                                   not 100 <= status <= 599):
            raise _Invalid(f"the record of {url!r} has a bad status")
        if not isinstance(reason, str) or len(reason) > 500:
            raise _Invalid(f"the record of {url!r} has a bad reason")
        if not isinstance(checked, str):
            raise _Invalid(f"the record of {url!r} has a bad time")
        try:
            parse_time(checked)
        except ValueError:
            raise _Invalid(f"the record of {url!r} has a bad time") from None
        if final is not None and not isinstance(final, str):
            raise _Invalid(f"the record of {url!r} has a bad final address")
        out[url] = Result(outcome, status, reason, checked, final)
    return out


def write_results(root: Path, results: dict[str, Result]) -> None:
    """Record every answer (sorted, so the same answers give the same bytes)."""
    folder = root / CACHE_DIR
    if folder.is_symlink():  # read_results said so already: never write through it
        return
    if not folder.exists():  # made here first: mark it as a cache, as the build does
        try:
            folder.mkdir()
            atomic_write(folder / "CACHEDIR.TAG", CACHEDIR_TAG)
        except OSError:
            pass
    payload = {"format": FORMAT, "version": VERSION,
               "urls": {url: asdict(result) for url, result in sorted(results.items())}}
    try:
        atomic_write(results_path(root), (json.dumps(payload, ensure_ascii=False, indent=1, sort_keys=True)
                                          + "\n").encode("utf-8"))
    except OSError as exc:
        note(f"{CACHE_DIR}/{FILE} could not be written ({exc.strerror or exc}); the answers are not remembered")
