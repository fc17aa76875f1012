"""The HTTP client factory: read-only guard, retries, Retry-After and deadlines, masked errors."""

from __future__ import annotations

import asyncio
import email.utils
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx2
import pytest
import stamina
from busyclock import Stopwatch

from investigate.errors import ReadOnlyViolation, SourceError, SourceTimeout
from investigate.sdk.transport import (
    HttpOptions,
    ReadOnlyGuard,
    ReadOnlyPost,
    describe,
    make_client,
    retry_after,
    source_error,
)
from investigate.secrets import MASKER

BASE = "https://api.example.com"
SECRET = "s3cr3t-token-value"

# A step of a scripted server: a status, a status with headers, or "connect-error".
Step = int | tuple[int, dict[str, str]] | str


@dataclass
class Script:
    """A MockTransport handler that plays `steps` in order (the last one repeats)."""

    steps: list[Step]
    body: str = "{}"
    requests: list[httpx2.Request] = field(default_factory=list)

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        step = self.steps[min(len(self.requests), len(self.steps)) - 1]
        if step == "connect-error":
            raise httpx2.ConnectError("connection refused", request=request)
        status, headers = step if isinstance(step, tuple) else (step, {})
        assert isinstance(status, int)
        return httpx2.Response(status, headers=headers, text=self.body)

    @property
    def calls(self) -> int:
        return len(self.requests)


def client_for(script: Script, **options: object) -> httpx2.AsyncClient:
    return make_client(
        HttpOptions(base_url=BASE, **options),  # type: ignore[arg-type]
        transport=httpx2.MockTransport(script),
    )


@pytest.fixture(autouse=True)
def retries_active() -> Iterator[None]:
    """Retries on, real backoff (tests that want no waiting ask for `no_backoff`)."""
    was_active = stamina.is_active()
    stamina.set_active(True)
    with stamina.set_testing(False):
        yield
    stamina.set_active(was_active)


@pytest.fixture
def no_backoff() -> Iterator[None]:
    """Keep the configured number of attempts but do not sleep between them."""
    with stamina.set_testing(True, attempts=1_000, cap=True):
        yield


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record every asyncio.sleep the retry loop asks for, without actually waiting."""
    real_sleep = asyncio.sleep
    requested: list[float] = []

    async def fake_sleep(delay: float, *args: object, **kwargs: object) -> None:
        requested.append(delay)
        await real_sleep(0)

    monkeypatch.setattr(asyncio, "sleep", fake_sleep)
    return requested


@pytest.fixture
def masked_secret() -> Iterator[str]:
    MASKER.add(SECRET)
    yield SECRET
    MASKER.clear()


# --- read-only guard ------------------------------------------------------------------------


async def test_get_and_head_pass() -> None:
    script = Script([200])
    async with client_for(script) as client:
        assert (await client.get("/api/v2/tickets/1")).status_code == 200
        assert (await client.head("/api/v2/tickets/1")).status_code == 200
    assert [r.method for r in script.requests] == ["GET", "HEAD"]


async def test_post_is_refused_before_anything_is_sent() -> None:
    script = Script([200])
    async with client_for(script) as client:
        with pytest.raises(ReadOnlyViolation) as info:
            await client.post("/api/v2/tickets", json={"subject": "hi"})
    assert script.calls == 0
    message = str(info.value)
    assert "POST" in message
    assert "/api/v2/tickets" in message
    assert info.value.hint is not None


async def test_post_to_an_allow_listed_glob_passes() -> None:
    script = Script([200])
    posts = [ReadOnlyPost("/api/v2/search/*"), "/*/_search"]
    async with client_for(script, read_only_posts=posts) as client:
        assert (await client.post("/api/v2/search/export", json={})).status_code == 200
        assert (await client.post("/logs-2026/_search", json={})).status_code == 200
        with pytest.raises(ReadOnlyViolation):
            await client.post("/api/v2/tickets", json={})
        with pytest.raises(ReadOnlyViolation):
            await client.post("/logs-2026/_delete_by_query", json={})
    assert [r.url.path for r in script.requests] == ["/api/v2/search/export", "/logs-2026/_search"]


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"])
async def test_other_methods_are_always_refused(method: str) -> None:
    script = Script([200])
    # Even on a path where POST is allowed.
    async with client_for(script, read_only_posts=["/api/v2/search/*"]) as client:
        with pytest.raises(ReadOnlyViolation) as info:
            await client.request(method, "/api/v2/search/export", content=b"{}")
    assert script.calls == 0
    assert method in str(info.value)
    assert "only reads" in str(info.value)


def test_guard_refusal_does_not_show_the_query_string() -> None:
    guard = ReadOnlyGuard([])
    request = httpx2.Request("DELETE", f"{BASE}/items/1?api_key={SECRET}")
    with pytest.raises(ReadOnlyViolation) as info:
        guard.check(request)
    assert SECRET not in str(info.value)
    assert "/items/1" in str(info.value)


def no_graphql_mutations(body: bytes) -> None:
    query = json.loads(body or b"{}").get("query", "")
    if query.lstrip().startswith("mutation"):
        raise ReadOnlyViolation("refused a GraphQL mutation")


async def test_body_check_refuses_a_graphql_mutation() -> None:
    script = Script([200])
    posts = [ReadOnlyPost("/graphql", check=no_graphql_mutations)]
    async with client_for(script, read_only_posts=posts) as client:
        ok = await client.post("/graphql", json={"query": "query { viewer { login } }"})
        assert ok.status_code == 200
        with pytest.raises(ReadOnlyViolation, match="mutation"):
            await client.post(
                "/graphql", json={"query": "mutation { deleteRepository(id: 1) { id } }"}
            )
    assert script.calls == 1
    assert b"query" in script.requests[0].content


async def test_allow_listed_glob_does_not_admit_encoded_dot_segments() -> None:
    # `%2e%2e` is `..` (RFC 3986 §2.3); servers normalise it, so this POST would land on
    # /api/v2/tickets/1, which is not a search endpoint.
    script = Script([200])
    async with client_for(script, read_only_posts=["/api/v2/search/*"]) as client:
        with pytest.raises(ReadOnlyViolation):
            await client.post("/api/v2/search/%2e%2e/%2e%2e/tickets/1", json={})
    assert script.calls == 0


# --- retries --------------------------------------------------------------------------------


@pytest.mark.usefixtures("no_backoff")
async def test_503_503_200_returns_200_after_three_calls() -> None:
    script = Script([503, 503, 200])
    async with client_for(script) as client:
        response = await client.get("/api/things")
    assert response.status_code == 200
    assert script.calls == 3


@pytest.mark.usefixtures("no_backoff")
async def test_retries_print_nothing_on_the_terminal(capfd: pytest.CaptureFixture[str]) -> None:
    script = Script([503, 200])
    async with client_for(script) as client:
        assert (await client.get("/x")).status_code == 200
    out, err = capfd.readouterr()
    assert script.calls == 2
    assert "retry" not in (out + err).lower()


@pytest.mark.usefixtures("no_backoff")
@pytest.mark.parametrize("status", [429, 502, 503, 504])
async def test_transient_statuses_are_retried(status: int) -> None:
    script = Script([status, 200])
    async with client_for(script) as client:
        assert (await client.get("/x")).status_code == 200
    assert script.calls == 2


async def test_429_with_retry_after_zero_is_retried(sleeps: list[float]) -> None:
    script = Script([(429, {"Retry-After": "0"}), 200])
    async with client_for(script) as client:
        assert (await client.get("/x")).status_code == 200
    assert script.calls == 2
    assert sleeps == [0.0]


@pytest.mark.usefixtures("no_backoff")
@pytest.mark.parametrize("status", [400, 401, 403, 404, 500])
async def test_other_errors_are_not_retried(status: int) -> None:
    script = Script([status, 200])
    async with client_for(script) as client:
        assert (await client.get("/x")).status_code == status
    assert script.calls == 1


@pytest.mark.usefixtures("no_backoff")
@pytest.mark.parametrize("attempts", [1, 2, 3])
async def test_max_attempts_is_respected(attempts: int) -> None:
    script = Script([503], body="busy")
    async with client_for(script, max_attempts=attempts) as client:
        response = await client.get("/x")
    assert script.calls == attempts
    assert response.status_code == 503
    assert response.text == "busy"  # the last response is returned, body intact


@pytest.mark.usefixtures("no_backoff")
async def test_default_attempts_is_four() -> None:
    script = Script([503])
    async with client_for(script) as client:
        assert (await client.get("/x")).status_code == 503
    assert script.calls == 4


@pytest.mark.usefixtures("no_backoff")
async def test_connection_error_is_retried_then_succeeds() -> None:
    script = Script(["connect-error", "connect-error", 200])
    async with client_for(script) as client:
        assert (await client.get("/x")).status_code == 200
    assert script.calls == 3


@pytest.mark.usefixtures("no_backoff")
async def test_connection_error_every_time_is_raised_after_max_attempts() -> None:
    script = Script(["connect-error"])
    async with client_for(script, max_attempts=3) as client:
        with pytest.raises(httpx2.ConnectError) as info:
            await client.get("/x")
    assert script.calls == 3
    error = source_error(info.value)
    assert type(error) is SourceError
    assert "cannot connect" in str(error)
    assert "/x" in str(error)


# --- Retry-After and the deadline -----------------------------------------------------------


def response_with(retry: str | bytes | None) -> httpx2.Response:
    headers = {} if retry is None else {"Retry-After": retry}
    return httpx2.Response(429, headers=headers)


NOW = datetime(2026, 11, 24, 9, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7", 7.0),
        (" 120 ", 120.0),
        ("0", 0.0),
        (email.utils.format_datetime(NOW + timedelta(seconds=30), usegmt=True), 30.0),
        (email.utils.format_datetime(NOW + timedelta(minutes=2)), 120.0),
        (email.utils.format_datetime(NOW - timedelta(minutes=5), usegmt=True), 0.0),
        (None, None),
        ("", None),
        ("soon", None),
        ("-5", None),
        ("1.5", None),
    ],
)
def test_retry_after_values(value: str | None, expected: float | None) -> None:
    assert retry_after(response_with(value), now=NOW) == expected


def test_retry_after_with_odd_digits_does_not_crash() -> None:
    # A Latin-1 superscript is `str.isdigit()` but not a number; the header must be ignored,
    # not turn into a ValueError escaping the HTTP client.
    assert retry_after(response_with(b"\xb2"), now=NOW) is None


async def test_retry_after_seconds_is_waited(sleeps: list[float]) -> None:
    script = Script([(429, {"Retry-After": "2"}), 200])
    async with client_for(script) as client:
        assert (await client.get("/x")).status_code == 200
    assert script.calls == 2
    assert sleeps == [2.0]


async def test_retry_after_http_date_is_waited(sleeps: list[float]) -> None:
    when = datetime.now(UTC) + timedelta(seconds=3)
    script = Script([(503, {"Retry-After": email.utils.format_datetime(when, usegmt=True)}), 200])
    async with client_for(script) as client:
        assert (await client.get("/x")).status_code == 200
    assert script.calls == 2
    assert len(sleeps) == 1
    assert 1.0 <= sleeps[0] <= 3.0  # the date has one-second resolution


async def test_long_retry_after_past_the_deadline_is_not_waited() -> None:
    script = Script([(429, {"Retry-After": "3600"}), 200])
    options = {"max_wait": 7200.0, "deadline": time.monotonic() + 2.0}
    started = Stopwatch()
    async with client_for(script, **options) as client:
        response = await asyncio.wait_for(client.get("/x"), timeout=30)
    assert started.busy_free < 5
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3600"
    assert script.calls == 1


async def test_retry_after_date_past_the_deadline_is_not_waited() -> None:
    when = datetime.now(UTC) + timedelta(hours=1)
    script = Script([(503, {"Retry-After": email.utils.format_datetime(when, usegmt=True)})])
    options = {"max_wait": 7200.0, "deadline": time.monotonic() + 2.0}
    started = Stopwatch()
    async with client_for(script, **options) as client:
        response = await asyncio.wait_for(client.get("/x"), timeout=30)
    assert started.busy_free < 5
    assert response.status_code == 503
    assert script.calls == 1


async def test_retry_after_longer_than_max_wait_is_not_waited(sleeps: list[float]) -> None:
    script = Script([(429, {"Retry-After": "120"}), 200])
    async with client_for(script, max_wait=30.0) as client:
        response = await client.get("/x")
    assert response.status_code == 429
    assert script.calls == 1
    assert sleeps == []


async def test_no_retry_once_the_deadline_has_passed(sleeps: list[float]) -> None:
    script = Script([503, 200])
    async with client_for(script, deadline=time.monotonic() - 1) as client:
        assert (await client.get("/x")).status_code == 503
    assert script.calls == 1
    assert sleeps == []


async def test_backoff_never_sleeps_past_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    # Without Retry-After the exponential backoff starts at 0.2 s; with only 0.1 s left
    # before the deadline, sleeping that long would overrun it.
    deadline = time.monotonic() + 0.1
    real_sleep = asyncio.sleep
    overruns: list[tuple[float, float]] = []

    async def checking_sleep(delay: float, *args: object, **kwargs: object) -> None:
        remaining = deadline - time.monotonic()
        if delay > remaining + 0.05:
            overruns.append((delay, remaining))
        await real_sleep(0)

    monkeypatch.setattr(asyncio, "sleep", checking_sleep)
    script = Script([503])
    async with client_for(script, deadline=deadline, max_attempts=3) as client:
        response = await client.get("/x")
    assert response.status_code == 503
    assert overruns == []


# --- headers --------------------------------------------------------------------------------


async def test_user_agent_accept_and_custom_headers() -> None:
    script = Script([200])
    headers = {"X-Api-Version": "2026-01", "Authorization": "Bearer abcdefgh12345"}
    async with client_for(script, headers=headers) as client:
        await client.get("/x")
    sent = script.requests[0].headers
    assert sent["User-Agent"].startswith("investigate/")
    assert sent["Accept"] == "application/json"
    assert sent["X-Api-Version"] == "2026-01"
    assert sent["Authorization"] == "Bearer abcdefgh12345"
    assert str(script.requests[0].url) == f"{BASE}/x"


async def test_basic_auth_is_sent() -> None:
    script = Script([200])
    async with client_for(script, auth=("me@example.com", "tok")) as client:
        await client.get("/x")
    assert script.requests[0].headers["Authorization"].startswith("Basic ")


async def test_redirects_are_not_followed() -> None:
    script = Script([(302, {"Location": "https://elsewhere.example.com/"})])
    async with client_for(script) as client:
        response = await client.get("/x")
    assert response.status_code == 302
    assert script.calls == 1


# --- the real transport against a local server ----------------------------------------------


@dataclass
class LocalServer:
    url: str
    seen: list[tuple[str, str, str]]  # method, path, user agent


@pytest.fixture
def local_server() -> Iterator[LocalServer]:
    seen: list[tuple[str, str, str]] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def _record(self) -> int:
            with lock:
                seen.append((self.command, self.path, self.headers.get("User-Agent", "")))
                return len(seen)

        def do_GET(self) -> None:
            if self._record() == 1:
                body = b"try again"
                self.send_response(503)
            else:
                body = json.dumps({"ok": True, "path": self.path}).encode()
                self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            self._record()
            self.send_response(201)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield LocalServer(url=f"http://{host!s}:{port}", seen=seen)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


async def test_real_transport_retries_503_then_200(local_server: LocalServer) -> None:
    async with make_client(HttpOptions(base_url=local_server.url, timeout=10)) as client:
        response = await client.get("/api/things", params={"q": "a b"})
    assert response.status_code == 200
    assert response.json() == {"ok": True, "path": "/api/things?q=a+b"}
    assert [(m, p) for m, p, _ in local_server.seen] == [
        ("GET", "/api/things?q=a+b"),
        ("GET", "/api/things?q=a+b"),
    ]
    assert all(agent.startswith("investigate/") for _, _, agent in local_server.seen)


async def test_real_transport_post_never_reaches_the_server(local_server: LocalServer) -> None:
    async with make_client(HttpOptions(base_url=local_server.url, timeout=10)) as client:
        with pytest.raises(ReadOnlyViolation):
            await client.post("/api/things", json={"x": 1})
    assert local_server.seen == []


async def test_real_transport_connection_refused_becomes_a_source_error(
    no_backoff: None,
) -> None:
    # A port that was just free: connecting is refused (retried, then reported).
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = server.server_address[1]
    server.server_close()
    async with make_client(HttpOptions(base_url=f"http://127.0.0.1:{port}", timeout=5)) as client:
        with pytest.raises(httpx2.ConnectError) as info:
            await client.get("/x")
    error = source_error(info.value)
    assert isinstance(error, SourceError)
    assert f"127.0.0.1:{port}" in str(error)


# --- errors and secrets ---------------------------------------------------------------------


def failed(status: int, url: str, method: str = "GET") -> httpx2.Response:
    return httpx2.Response(status, request=httpx2.Request(method, url), text="nope")


def status_line(response: httpx2.Response) -> str:
    """The message an error status gets (the capped readers `describe` the status error)."""
    return describe(httpx2.HTTPStatusError("", request=response.request, response=response))


def test_401_message_never_contains_the_secret(masked_secret: str) -> None:
    message = status_line(failed(401, f"{BASE}/v1/me?api_key={masked_secret}&limit=5"))
    assert masked_secret not in message
    assert "HTTP 401 Unauthorized" in message
    assert "limit=5" in message


def test_describe_never_contains_the_secret(masked_secret: str) -> None:
    request = httpx2.Request("GET", f"{BASE}/hooks/{masked_secret}/events?api_key={masked_secret}")
    response = httpx2.Response(404, request=request)
    texts = [
        describe(httpx2.HTTPStatusError("", request=request, response=response)),
        describe(httpx2.ConnectError(f"refused for {masked_secret}", request=request)),
        describe(httpx2.ReadTimeout("timed out", request=request)),
        describe(httpx2.RemoteProtocolError(f"bad reply {masked_secret}", request=request)),
        describe(RuntimeError(f"oops {masked_secret}")),
    ]
    for text in texts:
        assert masked_secret not in text, text
    assert texts[0].startswith("HTTP 404 Not Found from GET")
    assert texts[1].startswith("cannot connect to GET")
    assert texts[2].startswith("timed out talking to GET")


async def test_secret_in_query_params_is_masked_end_to_end(masked_secret: str) -> None:
    script = Script([401])
    async with client_for(script) as client:
        response = await client.get("/v1/me", params={"api_key": masked_secret})
    assert masked_secret in str(script.requests[0].url)  # it was sent...
    assert masked_secret not in status_line(response)  # ...but is never shown


async def test_percent_encoded_secret_is_masked_too() -> None:
    # A base64-style secret is percent-encoded in the URL; the encoded form is the same
    # secret and must not be shown either.
    secret = "AbC+dEf/GhI=jKl0"
    MASKER.add(secret)
    try:
        script = Script([403])
        async with client_for(script) as client:
            response = await client.get("/v1/export", params={"sig": secret})
        message = status_line(response)
    finally:
        MASKER.clear()
    assert secret not in message
    assert "AbC%2BdEf" not in message, message


def test_source_error_mapping() -> None:
    request = httpx2.Request("GET", f"{BASE}/x")
    timeout = source_error(httpx2.ReadTimeout("slow", request=request))
    assert isinstance(timeout, SourceTimeout)
    assert timeout.status == "timeout"
    assert "timed out" in str(timeout)

    connect = source_error(httpx2.ConnectError("refused", request=request))
    assert type(connect) is SourceError
    assert connect.status == "error"

    original = ReadOnlyViolation("refused POST")
    assert source_error(original) is original
