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
from investigate.http import HttpOptions, make_client, source_error, ssl_context
from investigate.secrets import MASKER

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

    def client(self, options: HttpOptions) -> httpx2.AsyncClient:
        inner = self.ctx.transport
        if inner is None:
            if self._own is None:
                self._own = httpx2.AsyncHTTPTransport(verify=ssl_context())
            inner = self._own
        return make_client(options, transport=_Borrowed(inner))

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
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise self._too_big(target)
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise self._too_big(target)
            chunks.append(chunk)
        return b"".join(chunks)

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
