"""JSON-over-HTTP plumbing for API connectors: pooled transports shared by a connector's
stages, and GET → parsed JSON with a streamed size cap and one-line errors that name the
connector (never its secrets)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx2

from investigate.errors import SourceError
from investigate.sdk.contract import ConnectorConfig, Query
from investigate.sdk.transport import HttpOptions, describe, make_client, source_error, ssl_context
from investigate.secrets import MASKER

MAX_RESPONSE_BYTES = 2_000_000

if TYPE_CHECKING:
    from investigate.context import Context


class _Borrowed(httpx2.AsyncBaseTransport):
    """A transport a client may use but not close (the connector owns it)."""

    def __init__(self, inner: httpx2.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        pass


class Transports:
    """One pooled transport per connector instance, so the resolve and collect stages share
    keep-alive connections; each stage still gets its own client (and deadline)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._own: httpx2.AsyncHTTPTransport | None = None

    def client(
        self,
        options: HttpOptions,
        wrap: Callable[[httpx2.AsyncBaseTransport], httpx2.AsyncBaseTransport] | None = None,
        *,
        pooled: bool = True,
    ) -> httpx2.AsyncClient:
        """A client on the shared transport; `wrap` puts a layer of the connector's own between
        the client's retries and the network (e.g. a vendor rate-limit header → Retry-After).
        `pooled=False`: a transport of the client's own, closed with it (nothing to `aclose`)."""
        inner = self.ctx.transport
        if inner is None and not pooled:
            own = httpx2.AsyncHTTPTransport(verify=ssl_context())
            return make_client(options, transport=wrap(own) if wrap else own)
        if inner is None:
            if self._own is None:
                self._own = httpx2.AsyncHTTPTransport(verify=ssl_context())
            inner = self._own
        borrowed: httpx2.AsyncBaseTransport = _Borrowed(inner)
        return make_client(options, transport=wrap(borrowed) if wrap else borrowed)

    async def aclose(self) -> None:
        own, self._own = self._own, None
        if own is not None:
            await own.aclose()


@dataclass
class JsonApi:
    """GET → parsed JSON, with a streamed size cap and one-line errors naming the connector."""

    client: httpx2.AsyncClient
    label: str  # e.g. "stripe connector 'billing'"
    max_bytes: int
    hints: Mapping[int, str] = field(default_factory=dict)
    vendor_message: Callable[[Any], str | None] = lambda _body: None
    requests: int = 0

    async def get(
        self, path: str, params: Mapping[str, str] | None = None, *, allow: Iterable[int] = ()
    ) -> tuple[int, Any]:
        """(status, body) for 2xx and the `allow`ed statuses; anything else raises SourceError."""
        target = f"GET {path}"
        self.requests += 1
        try:
            async with self.client.stream("GET", path, params=dict(params or {})) as response:
                body = await self._read(response, target)
        except SourceError:
            raise
        except httpx2.HTTPError as exc:
            error = source_error(exc)
            error.message = MASKER.mask(f"{self.label}: {error.message}")
            raise error from None
        status = response.status_code
        if not response.is_success and status not in set(allow):
            raise self._status_error(status, response.reason_phrase, body, target, response)
        if not body.strip() and status in set(allow):
            return status, None
        try:
            return status, json.loads(body)
        except ValueError:
            kind = response.headers.get("content-type", "unknown content type").split(";")[0]
            raise SourceError(
                f"{self.label}: {target} returned HTTP {status} with a body that is not valid JSON ({kind}, {len(body)} bytes)",
                hint="check base_url points at the API (not a proxy or login page)",
            ) from None

    async def _read(self, response: httpx2.Response, target: str) -> bytes:
        raw = await read_upto(response, self.max_bytes)
        if raw is None:
            raise self._too_big(target)
        return raw

    def _too_big(self, target: str) -> SourceError:
        return SourceError(
            f"{self.label}: the response to {target} is larger than {self.max_bytes:,} bytes; stopped reading",
            hint="lower page_size or raise max_response_bytes in the connector's config",
        )

    def _status_error(
        self, status: int, reason: str, body: bytes, target: str, response: httpx2.Response
    ) -> SourceError:
        try:
            said = self.vendor_message(json.loads(body))
        except ValueError:
            said = None
        text = f"{self.label}: HTTP {status} {reason} from {target}"
        if said:
            text += f": {said[:200]}"
        hint = self.hints.get(status)
        if status == 429:
            wait = response.headers.get("retry-after")
            hint = (hint or "rate limited") + (f" (Retry-After: {wait}s)" if wait else "")
        elif status >= 500 and hint is None:
            hint = "the service failed; try again later"
        return SourceError(MASKER.mask(" ".join(text.split())), hint=hint)


# --- one-shot GETs (sentry, http) -----------------------------------------------------------


class HttpFailure(SourceError):
    """A non-success HTTP status (`http_status`), as a one-line source error."""

    def __init__(self, message: str, *, hint: str | None = None, http_status: int = 0) -> None:
        super().__init__(message, hint=hint)
        self.http_status = http_status


@dataclass
class JsonResponse:
    status: int
    body: Any
    headers: httpx2.Headers
    request: str
    """`GET <url>` as sent, for provenance (masked)."""


_HINTS = {
    401: "check the credentials in connectors.{name}",
    403: "the credentials in connectors.{name} lack permission for this read",
    404: "check base_url / url in connectors.{name}",
    429: "rate limited: the Retry-After did not fit in the deadline; try again later",
}


def request_timeout(config: ConnectorConfig, query: Query, default: float = 30.0) -> float:
    """Per-request timeout: the connector's `timeout` (or `default`), never past the deadline."""
    own = config.timeout.total_seconds() if config.timeout else default
    return max(0.1, min(query.remaining, own))


async def fetch_json(
    client: httpx2.AsyncClient,
    url: str,
    *,
    label: str,
    name: str,
    params: Mapping[str, str | list[str]] | None = None,
    max_bytes: int = MAX_RESPONSE_BYTES,
    ok_statuses: frozenset[int] = frozenset(),
    hints: Mapping[int, str] | None = None,
) -> JsonResponse:
    """GET `url` and decode its JSON body, reading at most `max_bytes` of it.

    A status in `ok_statuses` (e.g. 404) comes back with `body=None` instead of raising. Every
    failure is a `SourceError` whose one-line message starts with `label` (e.g. `sentry 'errors'`)
    and whose hint names `connectors.<name>`.
    """
    try:
        async with client.stream("GET", url, params=params) as response:
            sent = MASKER.mask(f"GET {response.request.url}")
            if response.status_code in ok_statuses:
                return JsonResponse(response.status_code, None, response.headers, sent)
            if not response.is_success:
                error = httpx2.HTTPStatusError("", request=response.request, response=response)
                status = response.status_code
                hint = {**_HINTS, **(hints or {})}.get(status)
                if hint is None and status >= 500:
                    hint = "the service had a server error; try again later"
                raise HttpFailure(
                    f"{label}: {describe(error)}",
                    hint=hint.replace("{name}", name) if hint else None,
                    http_status=status,
                )
            raw = await read_capped(response, max_bytes, label, name)
    except httpx2.HTTPError as exc:
        failure = source_error(exc)
        failure.message = f"{label}: {failure.message}"
        raise failure from None
    return JsonResponse(
        response.status_code,
        _decode(raw, response, label, sent, (hints or {}).get(0)),
        response.headers,
        sent,
    )


async def read_upto(response: httpx2.Response, max_bytes: int) -> bytes | None:
    """The body read in chunks, or `None` once it is larger than `max_bytes` (by Content-Length
    or as read: the rest is not read)."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def read_capped(response: httpx2.Response, max_bytes: int, label: str, name: str) -> bytes:
    """The body, read in chunks and refused past `max_bytes` (by Content-Length or as read)."""
    raw = await read_upto(response, max_bytes)
    if raw is None:
        raise SourceError(
            f"{label}: the response from {response.request.url.copy_with(query=None)} is larger "
            f"than {max_bytes:,} bytes; stopped reading",
            hint=f"narrow the request or raise connectors.{name}.max_response_bytes",
        )
    return raw


def _decode(
    raw: bytes, response: httpx2.Response, label: str, sent: str, hint: str | None = None
) -> Any:
    """JSON, or a one-line error saying what came instead (`hint`: the connector's own)."""
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        kind = response.headers.get("content-type", "").split(";")[0].strip() or "no content type"
        looks_html = raw.lstrip()[:1] == b"<" or "html" in kind
        what = f"an HTML page ({kind})" if looks_html else f"invalid JSON ({kind}: {exc})"
        raise SourceError(
            f"{label}: expected JSON from {sent} but got {what}",
            hint=hint
            or (
                "a login page or proxy may be answering; check the URL and credentials"
                if looks_html
                else "check that the endpoint returns JSON"
            ),
        ) from None


# --- the `http` connector -------------------------------------------------------------------
