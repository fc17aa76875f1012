"""The contract suite: what every HTTP connector promises, checked against its own fake.

A connector declares a `Contract` (its class, how to build its config for a base URL and a
secret, which config key holds the credential, how to start its fake and put records in it),
then runs every check in `CHECKS` (pytest: parametrise over `CHECKS`; see
`tests/contract/test_contract.py`):

    OPSGENIE = Contract(
        connector=Opsgenie,
        config=lambda url, secret: {"base_url": url, "api_key": secret},
        credential_key="api_key",
        fake=lambda secret: FakeOpsgenie(key=secret),
        seed=lambda fake, n: fake.alerts.extend(make_alert(f"a{i}") for i in range(n)) or n,
        page_config={"page_size": 2},
    )

    @pytest.mark.parametrize("check", CHECKS)
    async def test_contract(check: str) -> None:
        assert await CHECKS[check](OPSGENIE) == []

Each check returns the broken promises as one line each (empty: kept). What is checked:

- `fault:<scenario>`: every scenario of the fault matrix (`FAULTS`, the same names and expected
  statuses as `tests/faults/chaos.py`), answered by an in-process transport instead of a socket
  (no sleeps: connection errors and timeouts are raised, retries run in stamina's test mode):
  the right status with a one-line reason (no traceback, no secret, naming the HTTP status),
  a bounded number of requests, no request following a redirect to another host, and a 200 MB
  body read no further than the connector's cap;
- `size_cap`: with `max_response_bytes` set low, a body over it fails in one line;
- `auth_401` / `auth_403`: the hint names `connectors.<name>.<credential_key>`;
- `retry_after`: a 429 whose `Retry-After` does not fit says so in the hint;
- `paging`: with the fake holding `2 × page + 1` records and `page_config` applied, every
  record comes back (`seed` returns how many items to expect) over more than one request;
- `hostile`: a ticket full of query metacharacters gives `ok` or `empty` (never a crash), every
  request is a read, no control character reaches a URL, and `hostile_check(fake, values)`
  (optional) checks the vendor's own parsing of what arrived;
- `secrets`: a canary credential never shows in an outcome, a `check()` line or evidence;
- `check`: `check()` passes against the fake and fails (naming the key) on a 401.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx2
import stamina

from investigate.errors import SourceError
from investigate.models import Ticket, Window
from investigate.sdk.contract import Collected, Connector, Query
from investigate.secrets import MASKER

THIEF = "thief.invalid"
HUGE_BYTES = 200_000_000
CHUNK = 65_536


@dataclass(frozen=True)
class Fault:
    what: str
    expect: frozenset[str]
    status: int | None = None


_FAIL = frozenset({"error", "timeout"})
FAULTS: dict[str, Fault] = {
    "refused": Fault("connection refused (closed port)", _FAIL),
    "dns": Fault("DNS failure (.invalid host)", _FAIL),
    "tls": Fault("TLS error (https to a plain-HTTP port)", _FAIL),
    "stall": Fault("accepts, reads the request, never answers", frozenset({"timeout"})),
    "slow_drip": Fault("headers, then one body byte every 0.5 s", frozenset({"timeout"})),
    "reset": Fault("connection reset mid-body", _FAIL),
    "http_401": Fault("401 Unauthorized (wrong credentials)", _FAIL, 401),
    "http_403": Fault("403 Forbidden", _FAIL, 403),
    "http_500": Fault("500 Internal Server Error", _FAIL, 500),
    "http_502": Fault("502 Bad Gateway", _FAIL, 502),
    "http_503": Fault("503 Service Unavailable", _FAIL, 503),
    "http_504": Fault("504 Gateway Timeout", _FAIL, 504),
    "retry_secs": Fault("429, Retry-After: 1", _FAIL, 429),
    "retry_date": Fault("429, Retry-After as an HTTP date (+2 s)", _FAIL, 429),
    "retry_hour": Fault("429, Retry-After: 3600", frozenset({"error"}), 429),
    "redirect": Fault("302 to another host (records credentials)", _FAIL),
    "html": Fault("200 with an HTML login page", _FAIL),
    "truncated": Fault("200 with truncated JSON", _FAIL),
    "huge": Fault("200 with a 200 MB JSON body (chunked)", _FAIL),
    "wrong_type": Fault("200 with an XML body (text/xml)", frozenset({"error", "empty"})),
    "empty": Fault("200 with an empty body", frozenset({"error", "empty"})),
    "wrong_shape": Fault(
        "200 with JSON of the wrong shape (a list)", frozenset({"error", "empty", "ok"})
    ),
}
"""The fault matrix of `tests/faults/` (same names, same expected statuses), in-process."""

HOSTILE_VALUES: tuple[str, ...] = (
    'o\'brien+"x"%_@evil.example',
    "acc_1007'--",
    'acc_9X9Z"} |= "" or {app=~".+',
    'acc_7Q7Q AND project != APP OR text ~ "*"',
    'ERR_EXPORT_TIMEOUT"}) { __typename } mutation { deleteAll',
    "req_abc123def'; DELETE FROM users; --",
    "usr_1A2B3C%' OR 1=1 --",
    "acc_../../../etc/passwd",
    "acc_NL01\nDROP TABLE accounts",
)
"""Query-language metacharacters in every kind of entity (from `tests/hostile/corpus.py`)."""


@dataclass
class Contract:
    """What the suite needs to know about one HTTP connector and its fake."""

    connector: type[Connector[Any]]
    config: Callable[[str, str], dict[str, Any]]
    """(base URL, secret) → the config section (without `type`)."""
    credential_key: str
    fake: Callable[[str], AbstractContextManager[Any]]
    """secret → a fake (not started) accepting that secret, with `.url` once started."""
    other_keys: tuple[str, ...] = ()
    """Other config keys a 401/403 hint may name instead (a second credential)."""
    seed: Callable[[Any, int], int] | None = None
    """Put `n` records in the fake; return how many evidence items they should give."""
    page_config: dict[str, Any] = field(default_factory=dict)
    """Config keys that make a page hold `page_items` records."""
    page_items: int = 2
    services: list[str] = field(default_factory=lambda: ["api"])
    """What the ticket names as its product area / service."""
    hostile_check: Callable[[Any, tuple[str, ...]], list[str]] | None = None
    name: str = "contract"

    def build(
        self, base_url: str, secret: str, transport: httpx2.AsyncBaseTransport | None, **extra: Any
    ) -> Connector[Any]:
        from investigate.context import Context

        section = {"type": self.connector.type_name, **self.config(base_url, secret), **extra}
        config = self.connector.config_model.model_validate(section)
        return self.connector(self.name, config, Context(transport=transport))


def ticket(services: list[str], text: str = "") -> Ticket:
    created = datetime(2026, 11, 24, 8, 14, 22, tzinfo=UTC)
    return Ticket(
        id="9001",
        subject="Export fails with ERR_EXPORT_SERIALIZE",
        description=text or "Every CSV export fails since this morning (account acc_1042).",
        created_at=created,
        requester={"name": "Dana", "email": "dana@example.com"},
        custom_fields=dict(zip(("product_area", "service"), services, strict=False)),
    )


def query(services: list[str], text: str = "") -> Query:
    from investigate.evidence.entities import extract

    t = ticket(services, text)
    window = Window(start=t.created_at - timedelta(hours=24), end=t.created_at + timedelta(hours=1))
    return Query(t, extract(t), window, deadline=time.monotonic() + 60)


@dataclass
class Outcome:
    status: str
    reason: str = ""
    collected: Collected | None = None


async def outcome(connector: Connector[Any], q: Query) -> Outcome:
    """What the pipeline would record for this source (status and one-line reason)."""
    try:
        with stamina.set_testing(True, attempts=3):
            got = await connector.collect(q)
    except SourceError as exc:
        reason = MASKER.mask(exc.message) + (f" ({exc.hint})" if exc.hint else "")
        return Outcome(exc.status, reason)
    except Exception as exc:  # a crash: the pipeline would say "internal error"
        return Outcome("error", f"internal error in connector: {type(exc).__name__}: {exc}")
    finally:
        await connector.aclose()
    status = "timeout" if got.partial else "ok" if got.evidence else "empty"
    return Outcome(status, "", got)


# --- the in-process fault transport ------------------------------------------------------------


class _Body(httpx2.AsyncByteStream):
    def __init__(self, chunks: Callable[[], AsyncIterator[bytes]]) -> None:
        self.chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self.chunks():
            yield chunk


class FaultTransport(httpx2.AsyncBaseTransport):
    """Answers every request with one fault of `FAULTS` (or passes it to `inner`)."""

    def __init__(self, scenario: str, inner: httpx2.AsyncBaseTransport | None = None) -> None:
        self.scenario = scenario
        self.inner = inner
        self.requests: list[httpx2.Request] = []
        self.served = 0

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        if request.url.host == THIEF:
            return httpx2.Response(200, json={"stolen": True})
        s = self.scenario
        if s == "pass":
            assert self.inner is not None
            return await self.inner.handle_async_request(request)
        if s in ("refused", "dns", "tls"):
            raise httpx2.ConnectError(f"{s}: cannot connect", request=request)
        if s == "stall":
            raise httpx2.ReadTimeout("timed out", request=request)
        if s.startswith("http_"):
            return httpx2.Response(int(s[5:]), json={"message": "fault"})
        if s.startswith("retry_"):
            when = format_datetime(datetime.now(UTC) + timedelta(seconds=2), usegmt=True)
            wait = {"retry_secs": "1", "retry_date": when, "retry_hour": "3600"}[s]
            return httpx2.Response(429, headers={"Retry-After": wait}, json={"message": "slow"})
        if s == "redirect":
            target = f"http://{THIEF}/stolen{request.url.raw_path.decode()}"
            return httpx2.Response(302, headers={"Location": target})
        simple = {
            "html": ("text/html", b"<!doctype html><html><body><form>Sign in</form></body></html>"),
            "truncated": ("application/json", b'{"data": [{"id": "x", "mess'),
            "wrong_type": ("text/xml", b"<?xml version='1.0'?><alerts></alerts>"),
            "empty": ("application/json", b""),
            "wrong_shape": ("application/json", b'[1, "two", {"three": 3}]'),
        }
        if s in simple:
            kind, body = simple[s]
            return httpx2.Response(200, headers={"content-type": kind}, content=body)
        return httpx2.Response(
            200,
            headers={"content-type": "application/json"},
            stream=_Body(lambda: self._stream(request)),
        )

    async def _stream(self, request: httpx2.Request) -> AsyncIterator[bytes]:
        if self.scenario == "slow_drip":
            yield b"["
            raise httpx2.ReadTimeout("timed out", request=request)
        if self.scenario == "reset":
            yield b'{"data": [{"id": "x"'
            raise httpx2.ReadError("connection reset by peer", request=request)
        yield b'{"data": ['
        while self.served < HUGE_BYTES:  # "huge": stops being read at the cap, or it is a bug
            self.served += CHUNK
            yield b'{"id": "x"},' * (CHUNK // 12)
        yield b"{}]}"

    async def aclose(self) -> None:
        if self.inner is not None:
            await self.inner.aclose()


async def checks_of(connector: Connector[Any]) -> list[Any]:
    """`connector.check()`, then its clients closed."""
    try:
        with stamina.set_testing(True, attempts=3):
            return await connector.check()
    finally:
        await connector.aclose()


# --- the checks ----------------------------------------------------------------------------------


def _line_problems(o: Outcome, status: int | None) -> list[str]:
    problems = []
    if o.status in ("error", "timeout"):
        if not o.reason.strip():
            problems.append("no reason given")
        if "\n" in o.reason or "\r" in o.reason:
            problems.append(f"reason is not one line: {o.reason!r}")
        if "Traceback" in o.reason or 'File "' in o.reason or "internal error" in o.reason:
            problems.append(f"crashed: {o.reason[:200]}")
        if status and o.status == "error" and str(status) not in o.reason:
            problems.append(f"reason does not name HTTP {status}: {o.reason[:200]}")
    return problems


def _leaks(secret: str, *texts: Any) -> list[str]:
    return [f"the secret shows in {str(t)[:80]!r}…" for t in texts if secret in str(t)]


async def check_fault(contract: Contract, scenario: str) -> list[str]:
    fault = FAULTS[scenario]
    secret = f"canary-{uuid.uuid4()}"
    transport = FaultTransport(scenario)
    c = contract.build("http://api.test", secret, transport)
    o = await outcome(c, query(contract.services))
    problems = _line_problems(o, fault.status)
    if o.status not in fault.expect:
        problems.append(
            f"{fault.what}: status {o.status}, expected {'/'.join(sorted(fault.expect))}"
            f" ({o.reason[:200]})"
        )
    problems += _leaks(secret, o.reason, o.collected)
    sent = [f"{r.method} {r.url}" for r in transport.requests]
    if not sent:
        problems.append("sent no request (the scenario was not exercised)")
    if len(sent) > 40 or (sent and max(sent.count(s) for s in sent) > 8):
        problems.append(f"{len(sent)} requests: unbounded retries or paging")
    if any(r.url.host == THIEF for r in transport.requests):
        problems.append("followed a redirect to another host (with the credentials)")
    cap = getattr(c.config, "max_response_bytes", 200_000_000)
    if scenario == "huge" and transport.served > 4 * cap + 4 * CHUNK:
        problems.append(f"read {transport.served:,} bytes of a huge body; the cap is {cap:,}")
    return problems


async def check_size_cap(contract: Contract) -> list[str]:
    if "max_response_bytes" not in contract.connector.config_model.model_fields:
        return ["the config has no max_response_bytes"]
    transport = FaultTransport("huge")
    c = contract.build("http://api.test", "s3cret-value", transport, max_response_bytes=10_000)
    o = await outcome(c, query(contract.services))
    problems = _line_problems(o, None)
    if o.status != "error" or "larger than" not in o.reason:
        problems.append(f"a body over max_response_bytes gave {o.status}: {o.reason[:200]}")
    if transport.served > 40_000 + 2 * CHUNK * 2:
        problems.append(f"read {transport.served:,} bytes past a 10,000-byte cap")
    return problems


async def check_auth(contract: Contract, status: int) -> list[str]:
    c = contract.build("http://api.test", "s3cret-value", FaultTransport(f"http_{status}"))
    o = await outcome(c, query(contract.services))
    keys = [
        f"connectors.{contract.name}.{k}" for k in (contract.credential_key, *contract.other_keys)
    ]
    if any(k in o.reason for k in keys):
        return []
    return [f"HTTP {status}: the hint does not name {' or '.join(keys)}: {o.reason}"]


async def check_retry_after(contract: Contract) -> list[str]:
    c = contract.build("http://api.test", "s3cret-value", FaultTransport("retry_hour"))
    o = await outcome(c, query(contract.services))
    return (
        [] if "Retry-After" in o.reason else [f"429 hint says nothing of Retry-After: {o.reason}"]
    )


async def _with_fake(
    contract: Contract, run: Callable[[Any, str], Awaitable[list[str]]]
) -> list[str]:
    secret = f"canary-{uuid.uuid4()}"
    with contract.fake(secret) as fake:
        problems = await run(fake, secret)
        try:
            fake.check()
        except AssertionError as exc:
            problems.append(f"the fake saw a wrong request: {str(exc)[:300]}")
    return problems


async def check_paging(contract: Contract) -> list[str]:
    if contract.seed is None:
        return ["no seed hook: paging cannot be checked"]
    seed = contract.seed

    async def run(fake: Any, secret: str) -> list[str]:
        want = seed(fake, 2 * contract.page_items + 1)
        transport = FaultTransport("pass", httpx2.AsyncHTTPTransport())
        c = contract.build(fake.url, secret, transport, **contract.page_config)
        o = await outcome(c, query(contract.services))
        await transport.aclose()
        got = len(o.collected.evidence) if o.collected else 0
        problems = [] if got == want else [f"{got} items of {want} ({o.status}: {o.reason})"]
        if len(transport.requests) < 3:
            problems.append(f"only {len(transport.requests)} requests: the pages were not read")
        return problems

    return await _with_fake(contract, run)


async def check_hostile(contract: Contract) -> list[str]:
    text = "\n".join(f"Account {v} failed" for v in HOSTILE_VALUES)
    services = [*contract.services[:1], HOSTILE_VALUES[2]]

    async def run(fake: Any, secret: str) -> list[str]:
        if contract.seed is not None:
            contract.seed(fake, 1)
        transport = FaultTransport("pass", httpx2.AsyncHTTPTransport())
        c = contract.build(fake.url, secret, transport)
        q = query(services, text)
        o = await outcome(c, q)
        await transport.aclose()
        problems = [] if o.status in ("ok", "empty") else [f"{o.status}: {o.reason}"]
        for r in transport.requests:
            if r.method not in ("GET", "HEAD", "POST"):
                problems.append(f"a {r.method} was sent")
            if any(ch in str(r.url) for ch in "\n\r\x00 "):
                problems.append(f"a raw control character reached the URL: {str(r.url)[:200]}")
        if contract.hostile_check is not None:
            problems += contract.hostile_check(fake, HOSTILE_VALUES)
        return problems

    return await _with_fake(contract, run)


async def check_secrets(contract: Contract) -> list[str]:
    problems: list[str] = []
    for scenario in ("http_401", "http_500", "html", "redirect", "truncated"):
        secret = f"canary-{uuid.uuid4()}"
        c = contract.build("http://api.test", secret, FaultTransport(scenario))
        o = await outcome(c, query(contract.services))
        checks = await checks_of(
            contract.build("http://api.test", secret, FaultTransport(scenario))
        )
        problems += _leaks(secret, o.reason, *[f"{k.name}: {k.detail}" for k in checks])

    async def run(fake: Any, secret: str) -> list[str]:
        if contract.seed is not None:
            contract.seed(fake, 2)
        c = contract.build(fake.url, secret, None)
        o = await outcome(c, query(contract.services))
        found = (
            json.dumps([e.model_dump(mode="json") for e in o.collected.evidence])
            if o.collected
            else ""
        )
        return _leaks(secret, found, o.reason)

    return problems + await _with_fake(contract, run)


async def check_check(contract: Contract) -> list[str]:
    async def run(fake: Any, secret: str) -> list[str]:
        checks = await checks_of(contract.build(fake.url, secret, None))
        return [f"check() failed against the fake: {k.detail}" for k in checks if not k.ok]

    problems = await _with_fake(contract, run)
    bad = await checks_of(contract.build("http://api.test", "wrong", FaultTransport("http_401")))
    key = f"connectors.{contract.name}.{contract.credential_key}"
    if all(k.ok for k in bad) or not any(key in k.detail for k in bad):
        problems.append(f"check() on a 401 does not fail naming {key}: {bad}")
    return problems


Check = Callable[[Contract], Awaitable[list[str]]]


def _fault(scenario: str) -> Check:
    async def run(contract: Contract) -> list[str]:
        return await check_fault(contract, scenario)

    return run


def _auth(status: int) -> Check:
    async def run(contract: Contract) -> list[str]:
        return await check_auth(contract, status)

    return run


CHECKS: dict[str, Check] = {
    **{f"fault:{s}": _fault(s) for s in FAULTS},
    "size_cap": check_size_cap,
    "auth_401": _auth(401),
    "auth_403": _auth(403),
    "retry_after": check_retry_after,
    "paging": check_paging,
    "hostile": check_hostile,
    "secrets": check_secrets,
    "check": check_check,
}
"""Every check of the contract by name (parametrise a test over it)."""
