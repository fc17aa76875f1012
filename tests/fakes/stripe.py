"""A loopback fake of the Stripe API (the read endpoints the `stripe` connector uses).

    with FakeStripe(api_key="rk_test_abc") as fake:
        cus = fake.add(stripe_customer("dana@acme.io"))
        fake.add(stripe_subscription(cus["id"], "past_due"))
        ... point the connector's base_url at fake.url ...
        assert not fake.violations

Every request is checked against `../shared/specs/stripe.json` (openapi-core, deepObject
parameters dropped, see `spec_validation`) *after* the auth check; a request the spec rejects
is answered 400 and recorded in `fake.violations`. Every JSON response the fake builds (data and
Stripe-shaped errors) is validated too; a response the spec rejects is also a violation. The
pytest fixture fails the test on violations, on exceptions inside the fake and on requests the
fake could not route.

Objects are seeded from `../shared/specs/stripe-fixtures.json` (current API shape) and adapted
to the 2023-08-16 spec (README: invoices gain `paid`/`paid_out_of_band`/`total_tax_amounts`,
line items `proration`/`type`, subscriptions `current_period_*`, customers lose the new
`discount` shape).

Failures are scripted per path: `fake.fail("/v1/customers/search", stripe_error(429, ...))`
answers the next request to that path with the reply (each call queues one answer).
"""

from __future__ import annotations

import copy
import itertools
import json
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from .server import (
    Recorded,
    Reply,
    Response,
    ScriptedServer,
    _Handler,
)

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
FIXTURES = SHARED / "specs" / "stripe-fixtures.json"
NOW = 1_795_000_000  # 2026-11-18, an arbitrary fixed "now" for seeded objects
_counter = itertools.count(1)


# --- seeded objects --------------------------------------------------------------------------


def _fixtures() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FIXTURES.read_text(encoding="utf-8"))["resources"]
    return data


def _new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(6)}{next(_counter):04d}"


def _base(resource: str, prefix: str, over: dict[str, Any]) -> dict[str, Any]:
    obj: dict[str, Any] = copy.deepcopy(_fixtures()[resource])
    obj["id"] = _new_id(prefix)
    obj["livemode"] = False
    obj["created"] = NOW - 3600 * next(_counter)
    obj.update(over)
    return obj


def stripe_customer(email: str | None, **over: Any) -> dict[str, Any]:
    obj = _base("customer", "cus", {"email": email, "name": "Dana Scully", **over})
    obj.setdefault("discount", None)
    if isinstance(obj.get("discount"), dict) and "source" in obj["discount"]:
        obj["discount"] = None  # 2026 shape; not valid under the 2023 spec
    return obj


def stripe_subscription(customer: str, status: str, **over: Any) -> dict[str, Any]:
    obj = _base("subscription", "sub", {"customer": customer, "status": status})
    obj.update(
        current_period_start=NOW - 86400 * 20,
        current_period_end=NOW + 86400 * 10,
        cancel_at=None,
        canceled_at=None,
        ended_at=None,
        trial_end=None,
        trial_start=None,
        cancel_at_period_end=False,
    )
    for item in obj.get("items", {}).get("data", []):
        item["subscription"] = obj["id"]
    obj.update(over)
    return obj


def stripe_invoice(customer: str, status: str, **over: Any) -> dict[str, Any]:
    obj = _base("invoice", "in", {"customer": customer, "status": status})
    obj.update(paid=status == "paid", paid_out_of_band=False, total_tax_amounts=[])
    obj["hosted_invoice_url"] = f"https://invoice.stripe.com/i/acct_test/{obj['id']}"
    for line in obj.get("lines", {}).get("data", []):
        line.setdefault("proration", False)
        line.setdefault("type", "subscription")
    obj.update(over)
    return obj


def stripe_charge(customer: str, status: str = "succeeded", **over: Any) -> dict[str, Any]:
    obj = _base(
        "charge", "ch", {"customer": customer, "status": status, "paid": status == "succeeded"}
    )
    obj.update(over)
    return obj


def declined_charge(
    customer: str, decline: str = "insufficient_funds", **over: Any
) -> dict[str, Any]:
    outcome = {
        "network_status": "declined_by_network",
        "reason": decline,
        "risk_level": "normal",
        "seller_message": f"The bank returned the decline code `{decline}`.",
        "type": "issuer_declined",
    }
    return stripe_charge(
        customer,
        "failed",
        failure_code="card_declined",
        failure_message="Your card has insufficient funds.",
        outcome=outcome,
        **over,
    )


def stripe_payment_intent(customer: str, status: str, **over: Any) -> dict[str, Any]:
    obj = _base("payment_intent", "pi", {"customer": customer, "status": status})
    obj["last_payment_error"] = None
    obj["canceled_at"] = None
    obj.update(over)
    return obj


def stripe_refund(charge: str, status: str = "succeeded", **over: Any) -> dict[str, Any]:
    return _base("refund", "re", {"charge": charge, "status": status, **over})


def stripe_dispute(charge: str, status: str = "needs_response", **over: Any) -> dict[str, Any]:
    return _base(
        "dispute", "dp", {"charge": charge, "status": status, "reason": "fraudulent", **over}
    )


def stripe_event(etype: str, obj: dict[str, Any], **over: Any) -> dict[str, Any]:
    return _base("event", "evt", {"type": etype, "data": {"object": copy.deepcopy(obj)}, **over})


# --- replies -----------------------------------------------------------------------------------


@dataclass
class _StripeError(Reply):
    status: int
    payload: dict[str, Any]
    headers: dict[str, str]

    def render(self, fake: Any, request: Recorded) -> Response:
        response: Response = fake._respond(request, self.status, self.payload, self.headers)
        return response


def stripe_error(
    status: int,
    message: str,
    *,
    type: str = "invalid_request_error",
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    """A Stripe-shaped error `{"error": {"type", "code", "message"}}` (validated like data)."""
    error: dict[str, Any] = {"type": type, "message": message}
    if code:
        error["code"] = code
    return _StripeError(status, {"error": error}, dict(headers or {}))


def rate_limited(retry_after: int = 1) -> Reply:
    return stripe_error(
        429,
        "Too many requests hit the API too quickly.",
        code="rate_limit",
        headers={"Retry-After": str(retry_after)},
    )


# --- the fake --------------------------------------------------------------------------------


class _NoDelayHandler(_Handler):
    # The shared handler writes headers and body in separate sends; without TCP_NODELAY each
    # keep-alive response waits ~40 ms for Nagle + delayed ACK, which swamps latency numbers.
    disable_nagle_algorithm = True


class NoDelayServer(ScriptedServer):
    """`ScriptedServer` whose connections set TCP_NODELAY (used by the billing fakes)."""

    handler = _NoDelayHandler


_LISTS = {
    "/v1/subscriptions": ("subscription", ("customer", "status")),
    "/v1/invoices": ("invoice", ("customer", "status", "subscription")),
    "/v1/charges": ("charge", ("customer", "payment_intent")),
    "/v1/payment_intents": ("payment_intent", ("customer",)),
    "/v1/refunds": ("refund", ("charge", "payment_intent")),
    "/v1/disputes": ("dispute", ("charge", "payment_intent")),
    "/v1/events": ("event", ("type",)),
    "/v1/customers": ("customer", ("email",)),
}


class SearchSyntaxError(ValueError):
    pass


def parse_search(query: str) -> list[tuple[str, str, str]]:
    """Stripe's search language, the part we need: `field:"value"` clauses joined by AND/OR.

    Returns [(field, op, value)]; raises SearchSyntaxError on anything else, so an unescaped
    quote in a value (an injection) shows up as a parse error or an extra clause.
    """
    clauses: list[tuple[str, str, str]] = []
    i, n = 0, len(query)
    while True:
        j = i
        while j < n and (query[j].isalnum() or query[j] in "_.[]'"):
            j += 1
        field = query[i:j]
        if not field or j >= n or query[j] not in ":~":
            raise SearchSyntaxError(f'expected field:"value" at position {i}')
        op = query[j]
        j += 1
        if j >= n or query[j] != '"':
            raise SearchSyntaxError(f"expected a quoted value at position {j}")
        j += 1
        value: list[str] = []
        while True:
            if j >= n:
                raise SearchSyntaxError("unterminated string")
            ch = query[j]
            if ch == "\\" and j + 1 < n:
                value.append(query[j + 1])
                j += 2
                continue
            if ch == '"':
                j += 1
                break
            value.append(ch)
            j += 1
        clauses.append((field, op, "".join(value)))
        if j == n:
            return clauses
        for joiner in (" AND ", " OR "):
            if query.startswith(joiner, j):
                i = j + len(joiner)
                break
        else:
            raise SearchSyntaxError(f"unexpected text at position {j}: {query[j : j + 20]!r}")


class FakeStripe(NoDelayServer):
    def __init__(
        self,
        *,
        api_key: str = "rk_test_fake0123456789",
        api_version: str | None = "2023-08-16",
        validate: bool = True,
        latency: float = 0.0,
    ) -> None:
        super().__init__(expected_key=api_key)
        self.api_version = api_version
        self.latency = latency
        self.busy: list[tuple[float, float]] = []  # (start, end) of each request, server side
        self.objects: dict[str, list[dict[str, Any]]] = {}
        self.violations: list[str] = []
        self.searches: list[list[tuple[str, str, str]]] = []
        self.search_unavailable: int | None = None  # e.g. 400 or 404: search is off here
        self.scripted: dict[str, deque[Reply]] = {}
        self.spec: Any = None
        self._spec_lock = threading.Lock()
        if validate:
            from spec_validation import SpecCheck

            self.spec = SpecCheck("stripe.json", host_url="https://api.stripe.com")

    # seeding ---------------------------------------------------------------------------------

    def add(self, *objs: dict[str, Any]) -> dict[str, Any]:
        for obj in objs:
            self.objects.setdefault(obj["object"], []).append(obj)
        return objs[0]

    def fail(self, path: str, *replies: Reply) -> None:
        """Answer the next requests to `path` with these replies (one each), in order."""
        self.scripted.setdefault(path, deque()).extend(replies)

    @property
    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    def check(self) -> None:
        super().check()
        if self.violations:
            raise AssertionError("FakeStripe spec violations:\n" + "\n".join(self.violations))

    # serving ---------------------------------------------------------------------------------

    def _handle(self, request: Recorded) -> Response:
        started = time.monotonic()
        try:
            return self._serve(request)
        finally:
            self.busy.append((started, time.monotonic()))

    def _serve(self, request: Recorded) -> Response:
        if self.latency:
            time.sleep(self.latency)
        auth = request.headers.get("authorization", "")
        if auth != f"Bearer {self.expected_key}":
            shown = auth.removeprefix("Bearer ")[:8] + "*" * 4 if auth else ""
            message = (
                f"Invalid API Key provided: {shown}"
                if auth
                else "You did not provide an API key. Provide it in the Authorization header (Bearer)."
            )
            return self._respond(
                request, 401, {"error": {"type": "invalid_request_error", "message": message}}
            )
        if self.api_version and request.headers.get("stripe-version") != self.api_version:
            self.violations.append(
                f"request #{request.index}: Stripe-Version {request.headers.get('stripe-version')!r}, expected {self.api_version!r}"
            )
        if request.method != "GET":
            self.violations.append(
                f"request #{request.index}: {request.method} {request.path}: not a read"
            )
            return self._error(request, 405, f"Method {request.method} not allowed here")
        if self.spec is not None:
            with self._spec_lock:
                problems = self.spec.request(
                    "GET", request.path, query=request.query, headers={"Authorization": auth}
                )
            if problems:
                self.violations += problems
                return self._error(request, 400, problems[0][:300])
        queue = self.scripted.get(request.path)
        if queue:
            return queue.popleft().render(self, request)
        return self._route(request)

    def _route(self, request: Recorded) -> Response:
        path = request.path
        args = {k: v[-1] for k, v in parse_qs(request.query, keep_blank_values=True).items()}
        if path == "/v1/customers/search":
            return self._search(request, args)
        if path.startswith("/v1/customers/") and path.count("/") == 3:
            cid = path.rsplit("/", 1)[1]
            for customer in self.objects.get("customer", []):
                if customer["id"] == cid:
                    return self._respond(request, 200, customer)
            return self._error(request, 404, f"No such customer: '{cid}'", code="resource_missing")
        if path in _LISTS:
            resource, filters = _LISTS[path]
            items = self.objects.get(resource, [])
            for name in filters:
                if name in args and not (name == "status" and args[name] == "all"):
                    items = [o for o in items if _ref(o.get(name)) == args[name]]
            if resource == "subscription" and "status" not in args:
                items = [o for o in items if o["status"] != "canceled"]
            return self._page(request, path, items, args)
        self.overruns.append(request)
        return self._error(request, 404, f"Unrecognized request URL (GET: {path}).")

    def _search(self, request: Recorded, args: dict[str, str]) -> Response:
        if self.search_unavailable:
            return self._error(
                request,
                self.search_unavailable,
                "Search is not available for this account or region.",
                code="feature_not_enabled" if self.search_unavailable == 400 else None,
            )
        try:
            clauses = parse_search(args.get("query", ""))
        except SearchSyntaxError as exc:
            self.searches.append([])
            return self._error(
                request, 400, f"Invalid search query: {exc}", code="parameter_invalid_string_empty"
            )
        self.searches.append(clauses)
        items = [
            c
            for c in self.objects.get("customer", [])
            if all(str(c.get(f) or "").lower() == v.lower() for f, _, v in clauses)
        ]
        limit = int(args.get("limit", "10"))
        body = {
            "object": "search_result",
            "url": "/v1/customers/search",
            "has_more": len(items) > limit,
            "next_page": None,
            "data": items[:limit],
        }
        return self._respond(request, 200, body)

    def _page(
        self, request: Recorded, path: str, items: list[dict[str, Any]], args: dict[str, str]
    ) -> Response:
        ordered = sorted(items, key=lambda o: (-(o.get("created") or 0), o["id"]))
        limit = int(args.get("limit", "10"))
        if "starting_after" in args:
            ids = [o["id"] for o in ordered]
            if args["starting_after"] not in ids:
                return self._error(
                    request, 400, "starting_after object not found", code="resource_missing"
                )
            ordered = ordered[ids.index(args["starting_after"]) + 1 :]
        body = {
            "object": "list",
            "url": path,
            "has_more": len(ordered) > limit,
            "data": ordered[:limit],
        }
        return self._respond(request, 200, body)

    def _error(
        self, request: Recorded, status: int, message: str, code: str | None = None
    ) -> Response:
        error: dict[str, Any] = {"type": "invalid_request_error", "message": message}
        if code:
            error["code"] = code
        return self._respond(request, status, {"error": error})

    def _respond(
        self, request: Recorded, status: int, payload: Any, headers: dict[str, str] | None = None
    ) -> Response:
        body = json.dumps(payload).encode()
        if self.spec is not None:
            with self._spec_lock:
                self.violations += self.spec.response(
                    "GET",
                    request.path,
                    query=request.query,
                    headers={"Authorization": f"Bearer {self.expected_key}"},
                    status=status,
                    body=body,
                )
        extra = [("request-id", f"req_{request.index:06d}"), ("stripe-version", "2023-08-16")]
        extra += list((headers or {}).items())
        return self._json(status, payload, extra)

    def _overrun_reply(self, request: Recorded) -> Reply:
        return stripe_error(500, "FakeStripe: nothing scripted", type="api_error")

    def _internal_error(self, message: str) -> Response:
        return Response(
            500,
            [("content-type", "application/json")],
            json.dumps({"error": {"type": "api_error", "message": message[:500]}}).encode(),
        )


def _ref(value: Any) -> Any:
    return value.get("id") if isinstance(value, dict) else value
