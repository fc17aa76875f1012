"""`investigate.sdk.http` pieces no connector of ours uses yet: each auth kind, each paging
kind (a next link on another host is refused), capped text, the resolve stage through the
`Resolver` capability, the Retry-After hint and the default `check()` without a `check_path`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import httpx2
import pytest
import stamina

from investigate.context import Context
from investigate.errors import SourceError
from investigate.sdk import (
    Auth,
    Basic,
    Bearer,
    Collected,
    CursorPaging,
    HeaderKey,
    HttpConfig,
    HttpConnector,
    LinkPaging,
    NoAuth,
    OffsetPaging,
    PagePaging,
    Paging,
    Query,
    Resolver,
    SecretStr,
    Session,
    items_at,
)
from investigate.sdk.testing import query

Handler = Callable[[httpx2.Request], httpx2.Response]


class DemoConfig(HttpConfig):
    base_url: str = "https://api.demo.test"
    token: SecretStr = SecretStr("tok-1")
    username: str = "ops"
    password: SecretStr = SecretStr("pw-1")


class Demo(HttpConnector[DemoConfig]):
    type_name = "demo"
    config_model = DemoConfig
    paging: ClassVar[Paging] = OffsetPaging(2)

    async def gather(self, api: Session, q: Query) -> Collected:
        pages = await api.pages("/items", {"q": "x"}, self.paging, items_at("items"))
        self.seen = pages
        return Collected()


class Resolving(Demo):
    def provides(self) -> frozenset[str]:
        return frozenset({"account_id"})

    async def resolve(self, q: Query) -> dict[str, list[str]]:
        async with self.session(q) as api:
            found = await api.get("/accounts", {"email": q.entities.emails})
        return {"account_id": [str(a["id"]) for a in found.body]}


def make(handler: Handler, cls: type[Demo] = Demo, **config: Any) -> Demo:
    cfg = cls.config_model.model_validate({"type": "demo", **config})
    return cls("demo", cfg, Context(transport=httpx2.MockTransport(handler)))


@pytest.mark.parametrize(
    ("auth", "header", "basic"),
    [
        (Bearer("token"), "Bearer tok-1", None),
        (Bearer("token", scheme="GenieKey"), "GenieKey tok-1", None),
        (Bearer("token", scheme="Token token="), "Token token=tok-1", None),
        (HeaderKey("token", header="X-Api-Key"), None, None),
        (Basic("password", user_key="username"), None, "ops:pw-1"),
        (NoAuth(), None, None),
    ],
)
async def test_each_auth_kind_sends_its_credential(
    auth: Auth, header: str | None, basic: str | None
) -> None:
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return httpx2.Response(200, json={"items": []})

    c = make(handler)
    c.auth = auth  # type: ignore[misc]
    await c.collect(query(["api"]))
    await c.aclose()
    sent = seen[0].headers
    if isinstance(auth, HeaderKey):
        assert sent["x-api-key"] == "tok-1" and "authorization" not in sent
    elif basic:
        import base64

        assert sent["authorization"] == "Basic " + base64.b64encode(basic.encode()).decode()
    else:
        assert sent.get("authorization") == header


def _pages(n: int, size: int) -> list[list[dict[str, int]]]:
    items = [{"id": i} for i in range(n)]
    return [items[i : i + size] for i in range(0, n, size)] or [[]]


async def test_offset_and_page_paging_read_to_the_end() -> None:
    pages = _pages(5, 2)

    def offset(request: httpx2.Request) -> httpx2.Response:
        start = int(request.url.params["offset"])
        assert request.url.params["limit"] == "2" and request.url.params["q"] == "x"
        return httpx2.Response(200, json={"items": pages[start // 2]})

    c = make(offset)
    await c.collect(query(["api"]))
    assert [i["id"] for i in c.seen.items] == [0, 1, 2, 3, 4] and not c.seen.truncated

    def numbered(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, json={"items": pages[int(request.url.params["page"]) - 1]})

    c = make(numbered)
    c.paging = PagePaging(2)
    await c.collect(query(["api"]))
    assert len(c.seen.items) == 5 and len(c.seen.requests) == 3


async def test_cursor_paging_and_max_pages() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        n = int(request.url.params.get("cursor", "0"))
        return httpx2.Response(200, json={"items": [{"id": n}], "next": str(n + 1)})

    c = make(handler, max_pages=3)
    c.paging = CursorPaging(lambda page: page.body["next"])
    await c.collect(query(["api"]))
    assert [i["id"] for i in c.seen.items] == [0, 1, 2] and c.seen.truncated


async def test_link_paging_follows_links_on_the_same_host_only() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        if request.url.params.get("after") == "2":
            link = '<https://evil.test/items?after=3>; rel="next"'
        else:
            link = '<https://api.demo.test/items?after=2>; rel="next"'
        return httpx2.Response(200, json={"items": [{"id": 1}]}, headers={"Link": link})

    c = make(handler)
    c.paging = LinkPaging()
    with pytest.raises(SourceError, match="next page is on another host"):
        await c.collect(query(["api"]))


async def test_a_page_of_the_wrong_shape_is_one_line() -> None:
    c = make(lambda r: httpx2.Response(200, json={"items": {"not": "a list"}}))
    with pytest.raises(SourceError, match="unexpected shape") as raised:
        await c.collect(query(["api"]))
    assert "connectors.demo.base_url" in str(raised.value.hint)


async def test_text_is_capped_and_errors_carry_the_hint() -> None:
    async def read(handler: Handler, **config: Any) -> str:
        c = make(handler, **config)
        async with c.session(None) as api:
            return await api.text("/raw")

    assert await read(lambda r: httpx2.Response(200, content=b"caf\xc3\xa9 \xff")) == "café �"
    with pytest.raises(SourceError, match="larger than 1,000 bytes"):
        await read(lambda r: httpx2.Response(200, content=b"x" * 5000), max_response_bytes=1000)
    with pytest.raises(SourceError, match="HTTP 401") as raised:
        await read(lambda r: httpx2.Response(401))
    assert raised.value.hint == "the credential was refused: check connectors.demo"


async def test_the_resolve_stage_runs_the_resolver() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        assert request.url.path == "/accounts"
        return httpx2.Response(200, json=[{"id": "acc_1"}])

    c = make(handler, Resolving)
    assert isinstance(c, Resolver) and not isinstance(make(handler), Resolver)
    q = query(["api"])
    q.stage = "resolve"
    assert (await c.collect(q)).provides == {"account_id": ["acc_1"]}
    assert (await make(handler).collect(q)).provides == {}


async def test_a_429_names_its_retry_after() -> None:
    c = make(lambda r: httpx2.Response(429, headers={"Retry-After": "120"}))
    with stamina.set_testing(True, attempts=1), pytest.raises(SourceError) as raised:
        await c.collect(query(["api"]))
    assert "Retry-After asked for 120s" in str(raised.value.hint)


async def test_check_without_a_check_path_only_says_configured() -> None:
    checks = await make(lambda r: httpx2.Response(500)).check()
    assert [(k.name, k.ok) for k in checks] == [("configured", True)]
