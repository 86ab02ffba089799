"""Asking servers whether each URL still answers: politely, boundedly, with httpx.

One `httpx.AsyncClient` for the run (connections reused), at most `per_host` requests
at once to one host and `MAX_AT_ONCE` in all, a timeout on every attempt, HEAD first and
GET where a server refuses HEAD, redirects followed (and those that are permanent
reported), 429 and 5xx answers retried with exponential backoff or after the
`Retry-After` the server asks for, never waiting longer than `retry_wait_max`.
"""

from __future__ import annotations

import asyncio
import email.utils
import errno
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from urllib.parse import urlsplit

import httpx

from .. import __version__, schema
from ..model import Config
from .results import Result, now_utc, time_text

USER_AGENT = f"explainer/{__version__} (link checker)"
"""Names the tool and its version, so a site's owner can tell who is asking (`settings` adds the
project's `repository` address when config.yaml gives one)."""
MAX_AT_ONCE = 16
"""Requests in flight at once, across every host."""
MAX_REDIRECTS = 10
HEAD_REFUSED = (400, 403, 405, 501)
"""Answers to HEAD after which the same URL is asked with GET (405 and 501 say the method is
refused; some servers answer 400 or 403 to HEAD alone)."""
RETRIED = (429, 500, 502, 503, 504)
PERMANENT = (301, 308)
UNCHECKABLE = (401, 403, 429)
"""Answers that say the server would not let a robot look, not that the page is gone."""
BACKOFF_FIRST = 1.0
"""Seconds before the first retry when the server sends no Retry-After (then 2, 4, …)."""


@dataclass(frozen=True)
class Settings:
    """config.yaml's `links:` with its defaults filled in (the defaults live in `schema.CONFIG`)."""

    timeout: float
    recheck_after_days: int
    retries: int
    retry_wait_max: float
    per_host: int
    archive_api: str
    save_api: str
    save_interval: float
    user_agent: str = USER_AGENT


def settings(config: Config) -> Settings:
    field = schema.CONFIG.field("links")
    assert field is not None
    given = config.links
    repository = config.repository
    agent = f"explainer/{__version__} (link checker; +{repository})" if repository else USER_AGENT
    return Settings(**{f.name: given.get(f.name, f.default) for f in field.items}, user_agent=agent)


def make_client(s: Settings) -> httpx.AsyncClient:
    return httpx.AsyncClient(headers={"User-Agent": s.user_agent}, follow_redirects=True,
                             max_redirects=MAX_REDIRECTS, timeout=httpx.Timeout(s.timeout),
                             limits=httpx.Limits(max_connections=MAX_AT_ONCE))


def check_urls(urls: list[str], s: Settings, on_done: Callable[[str, Result], None] | None = None) -> dict[str, Result]:
    """Ask every URL once (concurrently); URL -> its result."""
    return asyncio.run(_check_all(urls, s, on_done))


async def _check_all(urls: list[str], s: Settings,
                     on_done: Callable[[str, Result], None] | None) -> dict[str, Result]:
    hosts: dict[str, asyncio.Semaphore] = {}
    overall = asyncio.Semaphore(MAX_AT_ONCE)
    results: dict[str, Result] = {}
    async with make_client(s) as client:
        async def one(url: str) -> None:
            host = (urlsplit(url).hostname or "").lower()
            gate = hosts.setdefault(host, asyncio.Semaphore(s.per_host))
            result = await check_one(client, url, s, gate, overall)
            results[url] = result
            if on_done is not None:
                on_done(url, result)

        await asyncio.gather(*(one(url) for url in urls))
    return {url: results[url] for url in urls}


async def check_one(client: httpx.AsyncClient, url: str, s: Settings, gate: asyncio.Semaphore,
                    overall: asyncio.Semaphore) -> Result:
    """One URL: HEAD (GET if HEAD is refused), retried on 429/5xx; never raises."""
    attempt = 0
    method = "HEAD"
    while True:
        async with gate, overall:
            answer = await ask(client, method, url, s.timeout)
        if isinstance(answer, Result):
            return answer
        response = answer
        if method == "HEAD" and response.status_code in HEAD_REFUSED:
            method = "GET"
            continue
        if response.status_code in RETRIED and attempt < s.retries:
            await asyncio.sleep(retry_wait(response, attempt, s.retry_wait_max))
            attempt += 1
            continue
        return classify(url, response)


async def ask(client: httpx.AsyncClient, method: str, url: str, timeout: float) -> httpx.Response | Result:
    """One request (redirects followed); the response (body not read), or a Result saying why none came."""
    try:
        async with asyncio.timeout(timeout):
            async with client.stream(method, url) as response:
                return response
    except (TimeoutError, httpx.TimeoutException):
        return unreachable(f"no answer within {timeout:g} s")
    except httpx.TooManyRedirects:
        return unreachable(f"more than {MAX_REDIRECTS} redirects")
    except httpx.ConnectError as exc:
        return unreachable(connect_reason(exc))
    except httpx.HTTPError as exc:
        return unreachable(f"the connection failed ({type(exc).__name__}: {exc})".replace(" ()", ""))
    except (ssl.SSLError, OSError, ValueError) as exc:  # a malformed URL or an odd socket error
        return unreachable(f"cannot be asked ({exc})")


def connect_reason(exc: httpx.ConnectError) -> str:
    """A connection failure in words: DNS, refused, TLS, or as the library put it. The cause is
    looked for along the exception's chain (httpx wraps the socket's error)."""
    seen: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and cause not in seen:
        seen.append(cause)
        cause = cause.__cause__ or cause.__context__
    for err in seen:
        if isinstance(err, socket.gaierror):
            return "the host name does not resolve (DNS)"
        if isinstance(err, ssl.SSLError):
            return f"the TLS handshake failed ({err})"
        if isinstance(err, ConnectionRefusedError) or getattr(err, "errno", None) == errno.ECONNREFUSED:
            return "the connection was refused"
    lowered = " ".join(str(err) for err in seen).lower()
    if any(m in lowered for m in ("name or service not known", "nodename nor servname", "name resolution",
                                  "getaddrinfo failed", "no address associated")):
        return "the host name does not resolve (DNS)"
    if "refused" in lowered:
        return "the connection was refused"
    text = str(exc)
    return f"the connection failed ({text})" if text else "the connection failed"


def unreachable(reason: str) -> Result:
    return Result("unreachable", None, reason, time_text(now_utc()))


def status_text(code: int) -> str:
    try:
        return f"{code} {HTTPStatus(code).phrase}"
    except ValueError:
        return str(code)


def classify(url: str, response: httpx.Response) -> Result:
    """A final answer as a Result: ok, broken, redirected (permanently, to `final`) or unreachable."""
    code = response.status_code
    checked = time_text(now_utc())
    final = str(response.url)
    moved = final if response.history and final != url else None
    if code in UNCHECKABLE:
        why = "the server refuses automated checks" if code != 429 else "the server asks to slow down"
        return Result("unreachable", code, f"answered {status_text(code)} ({why})", checked, moved)
    if code >= 400:
        return Result("broken", code, f"answered {status_text(code)}", checked, moved)
    if code >= 300:  # a redirect without a usable Location
        return Result("broken", code, f"answered {status_text(code)} without a usable address", checked, moved)
    if any(r.status_code in PERMANENT for r in response.history) and moved is not None:
        return Result("redirected", code, f"moved permanently ({status_text(response.history[0].status_code)})",
                      checked, _after_permanent(response))
    return Result("ok", code, f"answered {status_text(code)}", checked, moved)


def _after_permanent(response: httpx.Response) -> str:
    """The address the last permanent redirect pointed to (a later temporary hop is not the new home)."""
    last = ""
    for i, hop in enumerate(response.history):
        if hop.status_code in PERMANENT:
            nxt = response.history[i + 1].url if i + 1 < len(response.history) else response.url
            last = str(nxt)
    return last


def retry_wait(response: httpx.Response, attempt: int, cap: float) -> float:
    """Seconds before the next attempt: Retry-After (seconds or an HTTP date) if given, else
    1, 2, 4 … seconds; never more than `cap`."""
    wanted = parse_retry_after(response.headers.get("Retry-After"))
    if wanted is None:
        wanted = BACKOFF_FIRST * 2 ** attempt
    return max(0.0, min(wanted, cap))


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


