"""The billing family's base (`stripe`, `chargebee`): find the ticket's customers in the
"resolve" stage (`provides` them as `customer_id`), read their billing objects in "collect",
and shape every object by its vendor's table (`investigate.sdk.shapes`).

A vendor implements `hints`, `auth` and `next_page` (its list envelope and paging),
`find_customers` and `collect_billing`, and sets `shapes`, `default_shape`, `object_key`,
`check_path`; `refs` and `web_link` say which fields name other objects and where an object
opens in the vendor's web app. Every read goes through `jsonapi.JsonApi` (streamed, capped at
`max_response_bytes`, one-line errors with the vendor's own message)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlencode

from pydantic import Field, SecretStr

from investigate.sdk import MASKER, Evidence, SourceError
from investigate.sdk.contract import Check, Collected, Connector, ConnectorConfig, Query
from investigate.sdk.jsonapi import JsonApi, Transports
from investigate.sdk.rows import epoch_time
from investigate.sdk.shapes import Shape, shape
from investigate.sdk.textmatch import EntityMatcher
from investigate.sdk.transport import HttpOptions


class BillingConfig(ConnectorConfig):
    api_key: SecretStr
    page_size: int = Field(20, ge=1, le=100)
    max_pages: int = Field(3, ge=1, le=20, description="Pages per list.")
    max_customers: int = Field(3, ge=1, le=20)
    max_response_bytes: int = Field(5_000_000, ge=1_000)


C = TypeVar("C", bound=BillingConfig)
Item = dict[str, Any]
Listed = tuple[list[Item], str]
"""The items a list gave and the request as sent (`GET /v1/invoices?…`)."""


class BillingConnector(Connector[C]):
    shapes: ClassVar[Mapping[str, Shape]]
    default_shape: ClassVar[str]
    """The table row for an object type the table does not have."""
    object_key: ClassVar[str]
    """The attribute naming the object type (`stripe_object`)."""
    check_path: ClassVar[str]
    """A one-item list `check` reads."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        MASKER.add(self.config.api_key)
        self._transports = Transports(self.ctx)
        self._customers: dict[str, Item] = {}
        self._looked_up: set[str] = set()  # values and ids already asked about
        self._collected = False

    @property
    def label(self) -> str:
        return f"{self.type_name} connector '{self.name}'"

    @property
    def api_base(self) -> str:
        raise NotImplementedError

    def provides(self) -> frozenset[str]:
        return frozenset({"customer_id"})

    async def aclose(self) -> None:
        await self._transports.aclose()

    # the vendor's part -----------------------------------------------------------------------

    def hints(self) -> dict[int, str]:
        raise NotImplementedError

    def vendor_message(self, body: Any) -> str | None:
        """The vendor's own words in an error body."""
        return None

    def auth(self) -> HttpOptions:
        """Headers and basic auth (the rest of the options are filled in by `_api`)."""
        raise NotImplementedError

    def next_page(self, path: str, body: Any) -> tuple[list[Item], dict[str, str] | None]:
        """A page's items and the parameters of the next page (None: the last page)."""
        raise NotImplementedError

    async def find_customers(
        self, api: JsonApi, query: Query, out: Collected, matcher: EntityMatcher
    ) -> None:
        raise NotImplementedError

    async def collect_billing(
        self, api: JsonApi, ids: list[str], query: Query, out: Collected, matcher: EntityMatcher
    ) -> None:
        raise NotImplementedError

    def refs(self, obj: Mapping[str, Any]) -> list[str]:
        return [str(obj.get("id") or "")]

    def web_link(self, path: str, obj: Mapping[str, Any]) -> str | None:
        return None

    def billing_ids(self, out: Collected) -> list[str]:
        """The customers whose billing is read (at most `max_customers`)."""
        return list(self._customers)[: self.config.max_customers]

    # shared ----------------------------------------------------------------------------------

    def _api(self, deadline: float) -> JsonApi:
        cfg = self.config
        timeout = cfg.timeout.total_seconds() if cfg.timeout else 30.0
        own = self.auth()
        options = HttpOptions(
            base_url=self.api_base,
            timeout=max(0.1, min(timeout, deadline - time.monotonic())),
            headers=own.headers,
            auth=own.auth,
            deadline=deadline,
        )
        return JsonApi(
            client=self._transports.client(options),
            label=self.label,
            max_bytes=cfg.max_response_bytes,
            hints=self.hints(),
            vendor_message=self.vendor_message,
        )

    async def reachable(self) -> Check:
        """`check`'s read: one item of `check_path` with the configured key."""
        api = self._api(time.monotonic() + 10)
        try:
            await api.get(self.check_path, {"limit": "1"})
        except SourceError as exc:
            message = exc.message + (f" ({exc.hint})" if exc.hint else "")
            return Check("reachable", False, MASKER.mask(message))
        finally:
            await api.client.aclose()
        return Check("reachable", True, f"{self.api_base}: authenticated")

    async def collect(self, query: Query) -> Collected:
        if self._collected:
            return Collected()
        api = self._api(query.deadline)
        out = Collected()
        matcher = EntityMatcher(query.entities.matchable())
        try:
            await self.find_customers(api, query, out, matcher)
            if query.stage == "collect":
                self._collected = True
                ids = self.billing_ids(out)
                if ids:
                    await self.collect_billing(api, ids, query, out, matcher)
        finally:
            await api.client.aclose()
        return out

    def register(
        self, customer: Item, request: str, matcher: EntityMatcher, also: str, out: Collected
    ) -> None:
        """A customer found for the first time: evidence, and provided as `customer_id`."""
        cid = str(customer.get("id", ""))
        if not cid or cid in self._customers:
            return
        self._customers[cid] = customer
        self._looked_up.add(cid)
        out.evidence.append(self.evidence("customer", customer, request, matcher, [also or cid]))
        out.provides.setdefault("customer_id", []).append(cid)

    async def list(
        self,
        api: JsonApi,
        path: str,
        params: dict[str, str],
        query: Query,
        out: Collected,
        *,
        pages: int | None = None,
        stop: Callable[[Item], bool] | None = None,
    ) -> Listed:
        """Up to `pages` (default `max_pages`) pages of a list, newest first; `stop(item)` ends
        paging early; a list cut short by the page cap says so (unless `pages` was given)."""
        params = {**params, "limit": str(self.config.page_size)}
        request = f"GET {path}?{urlencode(params)}"
        items: list[Item] = []
        most = pages or self.config.max_pages
        for page in range(most):
            _, body = await api.get(path, params)
            batch, following = self.next_page(path, body)
            items += batch
            if following is None or (stop and stop(batch[-1])):
                break
            if page == most - 1:
                if pages is None:
                    out.notes.append(
                        f"{self.name}: {path} has more than {len(items)} items; read the newest"
                    )
                break
            if query.expired():
                out.partial = True
                break
            params = {**params, **following}
        return items, request

    def add_all(
        self,
        out: Collected,
        kinds: Iterable[str],
        listed: Iterable[Listed],
        matcher: EntityMatcher,
    ) -> None:
        for kind, (items, request) in zip(kinds, listed, strict=True):
            for item in items:
                out.evidence.append(self.evidence(kind, item, request, matcher))

    def evidence(
        self,
        kind: str,
        obj: Mapping[str, Any],
        request: str,
        matcher: EntityMatcher,
        also: Iterable[str] = (),
    ) -> Evidence:
        s = shape(self.shapes, kind, obj, self.default_shape)
        return Evidence(
            source=self.name,
            kind=s.kind,
            timestamp=epoch_time(s.when),
            title=s.title[:300],
            detail=s.detail,
            url=self.web_link(s.link, obj),
            matched=sorted(set(matcher.find(" ".join(self.refs(obj)))) | {v.lower() for v in also}),
            query=request,
            level=s.level,
            attributes={self.object_key: kind, "id": obj.get("id")},
        )
