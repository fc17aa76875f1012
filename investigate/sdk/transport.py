"""The one HTTP client factory every HTTP connector uses.

    client = make_client(HttpOptions(base_url="https://acme.zendesk.com", timeout=10,
                                     read_only_posts=["/api/v2/search/export"]))

What it gives: timeouts, a user agent, retries on 429/502/503/504 (and connection failures)
honouring `Retry-After` but never waiting past the caller's deadline, and the read-only guard:
GET and HEAD pass; a POST passes only to an allow-listed read endpoint (search APIs, GraphQL
queries), optionally with a body check; anything else raises `ReadOnlyViolation` before a
byte is sent. Error messages go through the secret masker.

The one exception is `HttpOptions.write`: the client that posts an internal note
(`investigate.writeback`) allows exactly one documented create-note endpoint (method, path
pattern and a body check); no data connector ever sets it.
"""

from __future__ import annotations

import email.utils
import fnmatch
import functools
import random
import re
import ssl
import time
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx2
import stamina
import stamina.instrumentation

from investigate import __version__
from investigate.errors import ReadOnlyViolation, SourceError, SourceTimeout
from investigate.secrets import MASKER

# A retry is part of a source's result (its status and time), not a log line on the user's
# terminal: stamina would otherwise print `stamina.retry_scheduled` warnings to stderr.
stamina.instrumentation.set_on_retry_hooks([])

USER_AGENT = f"investigate/{__version__} (+read-only ticket investigator)"
RETRY_STATUSES = frozenset({429, 502, 503, 504})
SAFE_METHODS = frozenset({"GET", "HEAD"})
BodyCheck = Callable[[bytes], None]


@dataclass(frozen=True)
class ReadOnlyPost:
    """A POST endpoint that only reads, e.g. `ReadOnlyPost("/*/_search")`.

    `path` is a glob matched against the request path; `check` may inspect the body and raise
    `ReadOnlyViolation` (e.g. to refuse a GraphQL mutation).
    """

    path: str
    check: BodyCheck | None = None


@dataclass(frozen=True)
class WriteEndpoint:
    """The one write a note client may send, e.g. `WriteEndpoint("POST", r"/api/v2/tickets/\\d+/notes")`.

    `path` must match the whole request path; `check` inspects the body and raises
    `ReadOnlyViolation` for anything but an internal note (a status change, a public reply)."""

    method: str
    path: str
    check: BodyCheck | None = None

    def matches(self, method: str, path: str) -> bool:
        return method == self.method.upper() and re.fullmatch(self.path, path) is not None


@dataclass(frozen=True)
class HttpOptions:
    base_url: str = ""
    timeout: float = 30.0
    headers: dict[str, str] = field(default_factory=dict)
    auth: httpx2.Auth | tuple[str, str] | None = None
    read_only_posts: Sequence[ReadOnlyPost | str] = ()
    max_attempts: int = 4
    max_wait: float = 30.0
    deadline: float | None = None
    """Absolute `time.monotonic()` after which no retry starts and no wait is begun."""
    write: WriteEndpoint | None = None
    """The one create-note endpoint a write-back client may call (never set by a connector's
    data client)."""


class ReadOnlyGuard:
    def __init__(
        self, posts: Sequence[ReadOnlyPost | str], write: WriteEndpoint | None = None
    ) -> None:
        self.posts = [p if isinstance(p, ReadOnlyPost) else ReadOnlyPost(p) for p in posts]
        self.write = write

    def check(self, request: httpx2.Request) -> None:
        method = request.method.upper()
        if method in SAFE_METHODS:
            return
        target = f"{method} {request.url.copy_with(query=None)}"
        raw_path = request.url.raw_path.split(b"?")[0].decode("ascii", "replace")
        segments = urllib.parse.unquote(raw_path).split("/")
        traversal = bool({".", ".."} & set(segments))
        if self.write is not None and not traversal and self.write.matches(method, raw_path):
            if self.write.check is not None:
                self.write.check(request.content)
            return
        if self.write is not None:
            raise ReadOnlyViolation(
                f"refused {target}: the note client may only {self.write.method} the create-note "
                "endpoint",
                hint="write-back posts one internal note and changes nothing else on the ticket",
            )
        if method == "POST" and not traversal:
            for allowed in self.posts:
                if fnmatch.fnmatchcase(request.url.path, allowed.path):
                    if allowed.check is not None:
                        allowed.check(request.content)
                    return
            raise ReadOnlyViolation(
                f"refused {target}: POST is allowed only to read-only endpoints",
                hint="investigate never writes; this endpoint is not on the connector's read list",
            )
        raise ReadOnlyViolation(f"refused {target}: investigate only reads (GET/HEAD)")


class _Retry(Exception):
    def __init__(self, response: httpx2.Response) -> None:
        self.response = response


def retry_after(response: httpx2.Response, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (seconds or an HTTP date), if any."""
    return retry_after_seconds(response.headers.get("retry-after", ""), now)


def retry_after_seconds(header: str, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` value (seconds or an HTTP date); None if unusable."""
    value = header.strip()
    if not value:
        return None
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class GuardedTransport(httpx2.AsyncBaseTransport):
    """Checks every request with the read-only guard, then retries what is worth retrying."""

    def __init__(self, inner: httpx2.AsyncBaseTransport, options: HttpOptions) -> None:
        self.inner = inner
        self.options = options
        self.guard = ReadOnlyGuard(options.read_only_posts, options.write)
        self._attempt = 0

    def _backoff(self, exc: BaseException) -> bool | float:
        remaining = (
            self.options.deadline - time.monotonic() if self.options.deadline is not None else None
        )
        if remaining is not None and remaining <= 0:
            return False
        if isinstance(exc, _Retry):
            wait = retry_after(exc.response)
            if wait is not None:
                if wait > self.options.max_wait or (remaining is not None and wait >= remaining):
                    return False
                return wait
        elif not isinstance(exc, httpx2.ConnectError | httpx2.ConnectTimeout):
            return False
        if remaining is None:
            return True
        self._attempt += 1
        wait = min(0.2 * 2 ** (self._attempt - 1) + random.uniform(0, 0.2), 5.0)
        return wait if wait < remaining else False

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        self.guard.check(request)
        self._attempt = 0
        response: httpx2.Response | None = None
        try:
            async for attempt in stamina.retry_context(
                on=self._backoff,
                attempts=self.options.max_attempts,
                timeout=None,
                wait_initial=0.2,
                wait_max=min(self.options.max_wait, 5.0),
            ):
                with attempt:
                    response = await self.inner.handle_async_request(request)
                    if response.status_code in RETRY_STATUSES:
                        await response.aread()
                        raise _Retry(response)
        except _Retry as exc:
            return exc.response
        assert response is not None
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


@functools.cache
def ssl_context() -> ssl.SSLContext:
    """One CA bundle load per process (about 75 ms each time otherwise)."""
    return httpx2.create_ssl_context()


def make_client(
    options: HttpOptions, transport: httpx2.AsyncBaseTransport | None = None
) -> httpx2.AsyncClient:
    """An `AsyncClient` with our timeouts, user agent, retries and read-only guard.

    Tests pass `transport=httpx2.MockTransport(handler)` or point `base_url` at a local server.
    """
    inner = transport or httpx2.AsyncHTTPTransport(verify=ssl_context())
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **options.headers}
    return httpx2.AsyncClient(
        base_url=options.base_url,
        timeout=httpx2.Timeout(options.timeout, connect=min(options.timeout, 10.0)),
        headers=headers,
        auth=options.auth,
        transport=GuardedTransport(inner, options),
        follow_redirects=False,
    )


def describe(exc: BaseException, request: httpx2.Request | None = None) -> str:
    """One masked line saying what failed, e.g. `HTTP 401 Unauthorized from GET https://…`."""
    if isinstance(exc, httpx2.HTTPStatusError):
        r = exc.response
        text = f"HTTP {r.status_code} {r.reason_phrase} from {r.request.method} {r.request.url}"
    elif isinstance(exc, httpx2.TimeoutException):
        text = f"timed out talking to {_where(exc)}"
    elif isinstance(exc, httpx2.ConnectError):
        text = f"cannot connect to {_where(exc)}: {exc}"
    elif isinstance(exc, httpx2.HTTPError):
        text = f"{type(exc).__name__} from {_where(exc)}: {exc}"
    else:
        text = str(exc) or type(exc).__name__
    return MASKER.mask(text)


def _where(exc: httpx2.HTTPError) -> str:
    try:
        request = exc.request
    except RuntimeError:
        return "the server"
    return f"{request.method} {request.url.copy_with(query=None)}"


def source_error(exc: Exception) -> SourceError:
    """Map an httpx2 exception to the SourceError the pipeline records."""
    if isinstance(exc, SourceError):
        return exc
    if isinstance(exc, httpx2.TimeoutException):
        return SourceTimeout(describe(exc))
    return SourceError(describe(exc))
