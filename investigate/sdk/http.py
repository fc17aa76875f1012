"""`HttpConnector`: the base an HTTP API connector extends, built on the core's one HTTP stack.

    class Opsgenie(HttpConnector[OpsgenieConfig]):
        type_name = "opsgenie"
        config_model = OpsgenieConfig
        auth = Bearer("api_key", scheme="GenieKey")
        check_path = "/v2/alerts?limit=1"

        async def gather(self, api: Session, query: Query) -> Collected:
            page = await api.get("/v2/alerts", {"query": "status: open"})
            ...

What the base owns, so a connector does not:

- the client: `investigate.sdk.transport.make_client` through `jsonapi.Transports` (timeouts, user
  agent, retries on 429/5xx within the deadline, the read-only guard, no redirects), one pooled
  transport per instance, `ctx.transport` as the test seam;
- auth: `Bearer` (any scheme: `Bearer`, `GenieKey`, `Token token=`), `Basic`, `HeaderKey`, read
  from the config key the auth names, never printed (every `SecretStr` of an `HttpConfig` is
  registered with the masker);
- the per-request timeout: the connector's `timeout` but never past the investigation deadline
  (`jsonapi.request_timeout`);
- capped reads: `Session.get` (JSON, `jsonapi.fetch_json`) and `Session.text` stream at most
  `max_response_bytes` and fail in one line;
- errors → hints: 401/403 name the config key that holds the credential, 404 names `base_url`,
  429 says what `Retry-After` asked for;
- paging: `Session.pages` with `OffsetPaging`, `PagePaging`, `CursorPaging` or `LinkPaging`
  (a next link is followed only on the configured origin, so credentials never leave it);
- a default `check()` (GET `check_path`) and the resolve/collect stage split (`Resolver`).
"""

from __future__ import annotations

import contextlib
from abc import abstractmethod
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, TypeVar, runtime_checkable
from urllib.parse import urljoin, urlsplit

import httpx2
from pydantic import Field, SecretStr, field_validator, model_validator

from investigate.errors import SourceError
from investigate.sdk.contract import Check, Collected, Connector, HttpConnectorConfig, Query
from investigate.sdk.jsonapi import (
    MAX_RESPONSE_BYTES,
    HttpFailure,
    JsonResponse,
    Transports,
    fetch_json,
    read_capped,
    request_timeout,
)
from investigate.sdk.transport import HttpOptions, ReadOnlyPost, source_error
from investigate.secrets import MASKER

Params = dict[str, str | list[str]]
CHECK_TIMEOUT = 10.0
"""Seconds `investigate check` gives one request (or the connector's `timeout`, if shorter)."""


# --- config ----------------------------------------------------------------------------------


class HttpConfig(HttpConnectorConfig):
    """Keys every HTTP connector accepts: `base_url` (http/https, no trailing slash), a response
    cap and paging bounds. Every `SecretStr` field is registered with the secret masker."""

    max_response_bytes: int = Field(MAX_RESPONSE_BYTES, ge=1_000, le=200_000_000)
    page_size: int = Field(100, ge=1, le=1000)
    max_pages: int = Field(10, ge=1, le=1000)

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("base_url must start with http:// or https://")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _mask_secrets(self) -> HttpConfig:
        for value in self.__dict__.values():
            if isinstance(value, SecretStr) and value.get_secret_value():
                MASKER.add(value)
        return self


H = TypeVar("H", bound=HttpConfig)


# --- auth ------------------------------------------------------------------------------------


def _secret(config: HttpConfig, key: str) -> str:
    value = getattr(config, key, None)
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    return str(value) if value else ""


@dataclass(frozen=True)
class Auth:
    """How the credential in config key `key` is sent. `NoAuth()` sends none."""

    key: str = ""

    def headers(self, config: HttpConfig) -> dict[str, str]:
        return {}

    def basic(self, config: HttpConfig) -> tuple[str, str] | None:
        return None


NoAuth = Auth


@dataclass(frozen=True)
class Bearer(Auth):
    """`Authorization: <scheme> <secret>`: `Bearer`, `GenieKey`, `Token token=` (no space)."""

    header: str = field(default="Authorization", kw_only=True)
    key: str = "token"
    scheme: str = "Bearer"

    def headers(self, config: HttpConfig) -> dict[str, str]:
        secret = _secret(config, self.key)
        if not secret:
            return {}
        glue = "" if not self.scheme or self.scheme.endswith("=") else " "
        return {self.header: f"{self.scheme}{glue}{secret}"}


@dataclass(frozen=True)
class HeaderKey(Bearer):
    """The secret as the whole value of one header, e.g. `X-Api-Key` (no scheme)."""

    key: str = "api_key"
    header: str = "X-Api-Key"
    scheme: str = ""


@dataclass(frozen=True)
class Basic(Auth):
    """HTTP Basic: the user from config key `user_key`, the password (or token) from `key`."""

    key: str = "password"
    user_key: str = "username"
    user_suffix: str = ""
    """Added to the user (Zendesk: `agent@acme.io/token`)."""

    def basic(self, config: HttpConfig) -> tuple[str, str] | None:
        user = _secret(config, self.user_key)
        return (user + self.user_suffix, _secret(config, self.key)) if user else None


@dataclass(frozen=True)
class Either(Auth):
    """The first of `choices` whose credential is configured (an OAuth token, else an API
    token); build it with `either(...)`, which names the last choice's key in hints."""

    choices: tuple[Auth, ...] = ()

    def pick(self, config: HttpConfig) -> Auth:
        for choice in self.choices:
            if _secret(config, choice.key):
                return choice
        return self.choices[-1] if self.choices else NoAuth()

    def headers(self, config: HttpConfig) -> dict[str, str]:
        return self.pick(config).headers(config)

    def basic(self, config: HttpConfig) -> tuple[str, str] | None:
        return self.pick(config).basic(config)


def either(*choices: Auth) -> Either:
    return Either(key=choices[-1].key if choices else "", choices=choices)


@dataclass(frozen=True)
class Together(Auth):
    """Several credentials sent at once (Datadog: an API key and an application key)."""

    parts: tuple[Auth, ...] = ()

    def headers(self, config: HttpConfig) -> dict[str, str]:
        return {k: v for part in self.parts for k, v in part.headers(config).items()}


# --- paging ----------------------------------------------------------------------------------


class Paging(Protocol):
    """How to ask for the first page and, from a page, for the next one (None: the end).
    `next` may return a URL (a link to follow) instead of parameters."""

    def first(self, params: Params) -> Params: ...

    def next(self, page: JsonResponse, got: int, params: Params) -> Params | str | None: ...


@dataclass(frozen=True)
class OffsetPaging:
    """`limit`/`offset`; more pages while a page is full (or while `more(body)` says so)."""

    size: int
    limit: str = "limit"
    offset: str = "offset"
    more: Callable[[Any], bool] | None = None

    def first(self, params: Params) -> Params:
        return {**params, self.limit: str(self.size), self.offset: "0"}

    def next(self, page: JsonResponse, got: int, params: Params) -> Params | None:
        full = self.more(page.body) if self.more else got >= self.size
        if not full or got == 0:
            return None
        return {**params, self.offset: str(int(str(params[self.offset])) + got)}


@dataclass(frozen=True)
class PagePaging:
    """`page`/`per_page` numbered from `start`; more pages while a page is full."""

    size: int
    page: str = "page"
    per_page: str = "per_page"
    start: int = 1

    def first(self, params: Params) -> Params:
        return {**params, self.per_page: str(self.size), self.page: str(self.start)}

    def next(self, page: JsonResponse, got: int, params: Params) -> Params | None:
        if got < self.size:
            return None
        return {**params, self.page: str(int(str(params[self.page])) + 1)}


@dataclass(frozen=True)
class CursorPaging:
    """A cursor taken from each page (`cursor(page)`, None at the end) sent as `param`."""

    cursor: Callable[[JsonResponse], str | None]
    param: str = "cursor"
    size: int = 0
    size_param: str = ""

    def first(self, params: Params) -> Params:
        return {**params, self.size_param: str(self.size)} if self.size_param else dict(params)

    def next(self, page: JsonResponse, got: int, params: Params) -> Params | None:
        value = self.cursor(page) if got else None
        return {**params, self.param: value} if value else None


def link_header_next(page: JsonResponse) -> str | None:
    """The `rel="next"` target of an RFC 8288 `Link` header (parsed by httpx)."""
    links = httpx2.Response(200, headers=page.headers).links
    url = links.get("next", {}).get("url")
    return str(url) if url else None


@dataclass(frozen=True)
class LinkPaging:
    """Follow a next link: the `Link` header by default, or `next_url(page)` (a body field)."""

    next_url: Callable[[JsonResponse], str | None] = link_header_next

    def first(self, params: Params) -> Params:
        return dict(params)

    def next(self, page: JsonResponse, got: int, params: Params) -> str | None:
        return self.next_url(page) if got else None


def items_at(*keys: str) -> Callable[[Any], list[Any]]:
    """An `items` reader for `Session.pages`: the list at `body[k1][k2]…` (objects only); any
    other shape raises `ValueError`, which `pages` reports as one line."""

    def read(body: Any) -> list[Any]:
        for key in keys:
            if not isinstance(body, dict):
                raise ValueError(key)
            body = body.get(key)
        if body is None:
            return []
        if not isinstance(body, list):
            raise ValueError(keys)
        return [item for item in body if isinstance(item, dict)]

    return read


@dataclass
class Pages:
    """Every item of every page read, the requests sent, and whether `max_pages` cut it short."""

    items: list[Any] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    truncated: bool = False


# --- the session: one client for one stage ----------------------------------------------------


class Session:
    """A client bound to one stage (its deadline), with the connector's label, cap and hints."""

    def __init__(self, client: httpx2.AsyncClient, connector: HttpConnector[Any]) -> None:
        self.client = client
        self.connector = connector
        self.label = connector.label
        self.name = connector.name
        self.max_bytes = connector.config.max_response_bytes
        self.requests: list[str] = []
        self._retry_after: str | None = None
        client.event_hooks["response"].append(self._note)

    async def _note(self, response: httpx2.Response) -> None:
        if response.status_code == 429:
            self._retry_after = response.headers.get("retry-after")

    async def get(
        self,
        path: str,
        params: Mapping[str, str | list[str]] | None = None,
        *,
        ok_statuses: frozenset[int] = frozenset(),
    ) -> JsonResponse:
        """GET → decoded JSON, reading at most `max_response_bytes`; a status in `ok_statuses`
        comes back with `body=None`; every failure is a one-line `SourceError` with a hint."""
        try:
            found = await fetch_json(
                self.client,
                path,
                label=self.label,
                name=self.name,
                params=dict(params) if params else None,  # {} would drop a query in `path`
                max_bytes=self.max_bytes,
                ok_statuses=ok_statuses,
                hints=self.connector.hints(),
            )
        except HttpFailure as exc:
            if exc.http_status == 429 and self._retry_after:
                exc.hint = (
                    f"rate limited: Retry-After asked for {self._retry_after}s, more than the "
                    "time left; try again later"
                )
            raise
        self.requests.append(found.request)
        return found

    async def text(self, path: str, params: Mapping[str, str | list[str]] | None = None) -> str:
        """GET → text (UTF-8, undecodable bytes replaced), at most `max_response_bytes` read."""
        try:
            query = dict(params) if params else None
            async with self.client.stream("GET", path, params=query) as response:
                sent = MASKER.mask(f"GET {response.request.url}")
                if not response.is_success:
                    raise SourceError(
                        f"{self.label}: HTTP {response.status_code} {response.reason_phrase} "
                        f"from {sent}",
                        hint=self.connector.hints().get(response.status_code),
                    )
                raw = await read_capped(response, self.max_bytes, self.label, self.name)
        except httpx2.HTTPError as exc:
            error = source_error(exc)
            error.message = f"{self.label}: {error.message}"
            raise error from None
        self.requests.append(sent)
        return raw.decode("utf-8", "replace")

    async def pages(
        self,
        path: str,
        params: Params,
        paging: Paging,
        items: Callable[[Any], list[Any]],
        *,
        max_pages: int | None = None,
    ) -> Pages:
        """Read page after page until `paging` says the end or `max_pages` (config) is hit.
        A next link on another origin than `base_url` is never followed (credentials stay)."""
        limit = max_pages or self.connector.config.max_pages
        out = Pages()
        target: str = path
        current: Params | None = paging.first(params)
        for number in range(limit):
            page = await self.get(target, current)
            out.requests.append(page.request)
            try:
                found = items(page.body)
            except (TypeError, KeyError, AttributeError, ValueError):
                raise SourceError(
                    f"{self.label}: {page.request} answered JSON of an unexpected shape",
                    hint=f"check connectors.{self.name}.base_url points at the API itself",
                ) from None
            out.items += found
            following = paging.next(page, len(found), current or {})
            if following is None:
                return out
            if isinstance(following, str):
                target, current = self._same_origin(following), None
            else:
                current = following
            if number == limit - 1:
                out.truncated = True
        return out

    def _same_origin(self, url: str) -> str:
        base = urlsplit(self.connector.config.base_url)
        full = urlsplit(urljoin(self.connector.config.base_url + "/", url))
        if (full.scheme, full.netloc) != (base.scheme, base.netloc):
            raise SourceError(
                f"{self.label}: the next page is on another host ({full.netloc}); not followed",
                hint=f"check connectors.{self.name}.base_url matches the API's own address",
            )
        return str(full.path) + (f"?{full.query}" if full.query else "")


# --- the capability and the base --------------------------------------------------------------


@runtime_checkable
class Resolver(Protocol):
    """Identity resolution: a connector that can turn the ticket's entities into more of them
    (an email → an account ID). Its `provides()` names the parameters; `resolve` returns the
    values found, keyed by parameter, and runs in the "resolve" stage, before every connector's
    "collect" stage (see `investigate.sdk.contract`)."""

    def provides(self) -> frozenset[str]: ...

    async def resolve(self, query: Query) -> dict[str, list[str]]: ...


class HttpConnector(Connector[H]):
    """The base of an HTTP API connector: implement `gather`; set `auth`, `check_path`."""

    auth: ClassVar[Auth] = NoAuth()
    headers: ClassVar[Mapping[str, str]] = {}
    read_only_posts: ClassVar[Sequence[ReadOnlyPost | str]] = ()
    check_path: ClassVar[str | None] = None
    """A cheap GET that needs the credential; `check()` reports whether it answers."""
    check_ok: ClassVar[str] = "{base_url} answers and accepts the credential"
    """What `check()` says when it does (`{key}`: a config value, e.g. `{base_url}`)."""
    default_timeout: ClassVar[float] = 30.0
    vendor_hints: ClassVar[Mapping[int, str]] = {}
    """Hints by HTTP status in place of the defaults (`{name}`: the connector's name)."""
    pooled: ClassVar[bool] = True
    """False: each client has a transport of its own, closed with it (a ticket source whose
    callers fetch a ticket and never `aclose()` the connector)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.label = f"{self.type_name} '{self.name}'"
        self._transports = Transports(self.ctx)

    def hints(self) -> dict[int, str]:
        """Hints by HTTP status; 401/403 name the config key holding the credential."""
        where = f"connectors.{self.name}"
        key = f"{where}.{self.auth.key}" if self.auth.key else where
        return {
            401: f"the credential was refused: check {key}",
            403: f"the credential in {key} lacks permission for this read",
            404: f"check {where}.base_url and that the resource exists",
            429: "rate limited: the Retry-After did not fit in the deadline; try again later",
        } | {
            status: hint.replace("{name}", self.name) for status, hint in self.vendor_hints.items()
        }

    def own_timeout(self) -> float:
        """The connector's `timeout` (or `default_timeout`), for a request outside an
        investigation's stages (a ticket fetch, `investigate stats`)."""
        return self.config.timeout.total_seconds() if self.config.timeout else self.default_timeout

    def options(
        self, query: Query | None, *, timeout: float | None = None, deadline: float | None = None
    ) -> HttpOptions:
        configured = self.config.timeout.total_seconds() if self.config.timeout else None
        if timeout is not None:
            pass
        elif query is None:
            timeout = min(configured or CHECK_TIMEOUT, CHECK_TIMEOUT)
        else:
            timeout = request_timeout(self.config, query, self.default_timeout)
        return HttpOptions(
            base_url=self.config.base_url,
            timeout=timeout,
            headers={**self.headers, **self.auth.headers(self.config)},
            auth=self.auth.basic(self.config),
            read_only_posts=self.read_only_posts,
            deadline=query.deadline if query is not None else deadline,
        )

    def transport(self, inner: httpx2.AsyncBaseTransport) -> httpx2.AsyncBaseTransport:
        """A layer between the client's retries and the network (default: none), e.g.
        `helpdesk.VendorRetryAfter` to read a vendor's rate-limit header as `Retry-After`."""
        return inner

    def client(
        self, query: Query | None, *, timeout: float | None = None, deadline: float | None = None
    ) -> httpx2.AsyncClient:
        """The bare client `session` wraps (for a request `Session` has no method for)."""
        options = self.options(query, timeout=timeout, deadline=deadline)
        return self._transports.client(options, self.transport, pooled=self.pooled)

    @contextlib.asynccontextmanager
    async def session(
        self, query: Query | None, *, timeout: float | None = None, deadline: float | None = None
    ) -> AsyncIterator[Session]:
        """A client for one stage: `None` for `check()` (short timeout, no deadline), or with
        `timeout=self.own_timeout()` (and a `deadline`) for a request outside the stages (a
        ticket fetch)."""
        async with self.client(query, timeout=timeout, deadline=deadline) as client:
            yield Session(client, self)

    async def collect(self, query: Query) -> Collected:
        if query.stage == "resolve":
            if isinstance(self, Resolver) and self.provides():
                return Collected(provides=await self.resolve(query))
            return Collected()
        async with self.session(query) as api:
            return await self.gather(api, query)

    @abstractmethod
    async def gather(self, api: Session, query: Query) -> Collected:
        """The evidence for the query (the "collect" stage), or raise `SourceError`."""

    async def check(self) -> list[Check]:
        if self.check_path is None:
            return await super().check()
        try:
            async with self.session(None) as api:
                await api.get(self.check_path)
        except SourceError as exc:
            return [Check("api", False, exc.message + (f" ({exc.hint})" if exc.hint else ""))]
        return [Check("api", True, self.check_ok.format_map(vars(self.config)))]

    async def aclose(self) -> None:
        await self._transports.aclose()
