"""Archived copies: the Wayback availability API (or one that answers like it), and captures.

`find_snapshots` asks `GET {archive_api}?url=URL&timestamp=YYYYMMDD` for the snapshot
closest to a date and reads `archived_snapshots.closest` from the JSON answer, as the
Internet Archive documents it (https://archive.org/help/wayback_api.php). `save` asks
`{save_api}URL` (the Internet Archive's Save Page Now) to capture a page, one request every
`save_interval` seconds. Nothing here invents an address: a snapshot is reported only as
the service named it.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass

import httpx

from .check import Settings, ask, connect_reason, make_client, status_text

MAX_ANSWER_BYTES = 1024 * 1024
_TIMESTAMP = re.compile(r"^(\d{4})(\d{2})(\d{2})\d{0,6}$")


@dataclass(frozen=True)
class Snapshot:
    url: str
    date: str
    """The capture's day, ISO 8601."""


@dataclass(frozen=True)
class Lookup:
    """What the archive said about one URL: a snapshot, none, or why it could not say."""

    snapshot: Snapshot | None
    error: str | None = None


def find_snapshots(wanted: list[tuple[str, str]], s: Settings) -> list[Lookup]:
    """For each (url, YYYYMMDD or '') what the archive knows, in order; `per_host` asked at a time."""
    return asyncio.run(_find_all(wanted, s))


async def _find_all(wanted: list[tuple[str, str]], s: Settings) -> list[Lookup]:
    gate = asyncio.Semaphore(s.per_host)
    async with make_client(s) as client:
        async def one(url: str, stamp: str) -> Lookup:
            async with gate:
                return await lookup(client, s, url, stamp)

        return list(await asyncio.gather(*(one(url, stamp) for url, stamp in wanted)))


async def lookup(client: httpx.AsyncClient, s: Settings, url: str, stamp: str) -> Lookup:
    params = {"url": url, **({"timestamp": stamp} if stamp else {})}
    try:
        async with asyncio.timeout(s.timeout):
            response = await client.get(s.archive_api, params=params)
    except (TimeoutError, httpx.TimeoutException):
        return Lookup(None, f"the archive gave no answer within {s.timeout:g} s")
    except httpx.ConnectError as exc:
        return Lookup(None, f"the archive could not be reached: {connect_reason(exc)}")
    except httpx.HTTPError as exc:
        return Lookup(None, f"the archive could not be reached ({exc or type(exc).__name__})")
    if response.status_code != 200:
        return Lookup(None, f"the archive answered {status_text(response.status_code)}")
    if len(response.content) > MAX_ANSWER_BYTES:
        return Lookup(None, "the archive's answer is too large")
    try:
        return Lookup(parse_answer(json.loads(response.content)))
    except (ValueError, RecursionError):
        return Lookup(None, "the archive's answer is not the availability API's JSON")


def parse_answer(data: object) -> Snapshot | None:
    """`archived_snapshots.closest` of an availability answer, if it is an available capture."""
    if not isinstance(data, dict):
        raise ValueError("not an object")
    snapshots = data.get("archived_snapshots")
    if snapshots in (None, {}):
        return None
    if not isinstance(snapshots, dict):
        raise ValueError("archived_snapshots is not an object")
    closest = snapshots.get("closest")
    if closest is None:
        return None
    if not isinstance(closest, dict):
        raise ValueError("closest is not an object")
    if closest.get("available") is not True or str(closest.get("status", "200")) != "200":
        return None
    url, stamp = closest.get("url"), closest.get("timestamp")
    if not isinstance(url, str) or not re.match(r"^https?://[^\s<>\"'`]+$", url):
        raise ValueError("closest.url is not an http(s) URL")
    m = _TIMESTAMP.match(stamp) if isinstance(stamp, str) else None
    if m is None:
        raise ValueError("closest.timestamp is not a Wayback timestamp")
    return Snapshot(url, f"{m.group(1)}-{m.group(2)}-{m.group(3)}")


def save(urls: list[str], s: Settings, report: Report) -> None:
    """Ask the archive to capture each URL, one every `save_interval` seconds."""
    asyncio.run(_save_all(urls, s, report))


class Report:
    """Where `save` says what each request answered (the command prints it)."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []

    def __call__(self, url: str, what: str) -> None:
        self.lines.append((url, what))


async def _save_all(urls: list[str], s: Settings, report: Report) -> None:
    async with make_client(s) as client:
        for i, url in enumerate(urls):
            if i:
                await asyncio.sleep(s.save_interval)
            answer = await ask(client, "GET", s.save_api + url, s.timeout)
            if isinstance(answer, httpx.Response):
                done = answer.status_code < 400
                report(url, f"capture {'requested' if done else 'refused'}: the archive answered "
                            f"{status_text(answer.status_code)}")
            else:
                report(url, f"capture not requested: {answer.reason}")
