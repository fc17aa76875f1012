"""A loopback fake of Chargebee's API v2 read endpoints (customers, subscriptions, invoices,
transactions), built from the documented shapes (no machine-readable spec is published):

- auth: HTTP basic with the API key as the username and an empty password; else 401
  `{"message", "type", "api_error_code": "api_authentication_failed", "http_status_code"}`;
- lists: `GET /api/v2/<resource>?limit=&offset=&<field>[is]=&sort_by[desc]=` answer
  `{"list": [{"<resource>": {...}}], "next_offset": "[\\"1700000000000\\",\\"3\\"]"}` — the offset is
  an opaque string with quotes, brackets and commas, so it must be URL-encoded on the way back;
- statuses (from Chargebee's API reference / SDK enums): subscription `future | in_trial | active |
  non_renewing | paused | cancelled | transferred`; invoice `paid | posted | payment_due | not_paid |
  voided | pending` with `dunning_status` `in_progress | exhausted | stopped | success`;
  transaction `in_progress | success | voided | failure | timeout | needs_attention` with
  `error_code` / `error_text`.

Unknown query parameters, bad limits, unknown offsets and non-GET methods are answered 400 and
recorded in `fake.violations`; every object served is validated against the JSON Schemas below.
"""

from __future__ import annotations

import base64
import itertools
import json
import secrets
import threading
import time
from collections import deque
from typing import Any
from urllib.parse import parse_qsl

from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from .anthropic_api import Recorded, Reply, Response, raw_reply
from .stripe import NoDelayServer

NOW = 1_795_000_000
_counter = itertools.count(1)

_STR = {"type": "string"}
_INT = {"type": "integer"}
_TS = {"type": "integer", "minimum": 0}
SCHEMAS: dict[str, dict[str, Any]] = {
    "customer": {
        "type": "object",
        "required": [
            "id",
            "object",
            "created_at",
            "auto_collection",
            "deleted",
            "resource_version",
        ],
        "properties": {
            "id": _STR,
            "object": {"const": "customer"},
            "email": _STR,
            "first_name": _STR,
            "last_name": _STR,
            "company": _STR,
            "created_at": _TS,
            "updated_at": _TS,
            "auto_collection": {"enum": ["on", "off"]},
            "card_status": {
                "enum": [
                    "no_card",
                    "valid",
                    "expiring",
                    "expired",
                    "pending_verification",
                    "invalid",
                ]
            },
            "deleted": {"type": "boolean"},
            "resource_version": _INT,
        },
    },
    "subscription": {
        "type": "object",
        "required": ["id", "object", "customer_id", "status", "created_at", "currency_code"],
        "properties": {
            "id": _STR,
            "object": {"const": "subscription"},
            "customer_id": _STR,
            "status": {
                "enum": [
                    "future",
                    "in_trial",
                    "active",
                    "non_renewing",
                    "paused",
                    "cancelled",
                    "transferred",
                ]
            },
            "created_at": _TS,
            "trial_end": _TS,
            "cancelled_at": _TS,
            "cancel_reason": _STR,
            "due_invoices_count": _INT,
            "due_since": _TS,
            "total_dues": _INT,
            "current_term_start": _TS,
            "current_term_end": _TS,
            "currency_code": _STR,
        },
    },
    "invoice": {
        "type": "object",
        "required": ["id", "object", "customer_id", "status", "date", "total", "currency_code"],
        "properties": {
            "id": _STR,
            "object": {"const": "invoice"},
            "customer_id": _STR,
            "subscription_id": _STR,
            "status": {"enum": ["paid", "posted", "payment_due", "not_paid", "voided", "pending"]},
            "dunning_status": {"enum": ["in_progress", "exhausted", "stopped", "success"]},
            "next_retry_at": _TS,
            "date": _TS,
            "due_date": _TS,
            "total": _INT,
            "amount_due": _INT,
            "amount_paid": _INT,
            "currency_code": _STR,
        },
    },
    "transaction": {
        "type": "object",
        "required": [
            "id",
            "object",
            "customer_id",
            "type",
            "status",
            "amount",
            "date",
            "currency_code",
        ],
        "properties": {
            "id": _STR,
            "object": {"const": "transaction"},
            "customer_id": _STR,
            "type": {"enum": ["authorization", "payment", "refund", "payment_reversal"]},
            "status": {
                "enum": [
                    "in_progress",
                    "success",
                    "voided",
                    "failure",
                    "timeout",
                    "needs_attention",
                ]
            },
            "amount": _INT,
            "date": _TS,
            "error_code": _STR,
            "error_text": _STR,
            "gateway": _STR,
            "currency_code": _STR,
        },
    },
}
_VALIDATORS = {k: Draft202012Validator(v) for k, v in SCHEMAS.items()}
_FILTERS = {
    "customers": {"id[is]", "email[is]", "sort_by[desc]", "sort_by[asc]"},
    "subscriptions": {"customer_id[is]", "status[is]", "sort_by[desc]", "sort_by[asc]"},
    "invoices": {
        "customer_id[is]",
        "subscription_id[is]",
        "status[is]",
        "sort_by[desc]",
        "sort_by[asc]",
    },
    "transactions": {
        "customer_id[is]",
        "subscription_id[is]",
        "status[is]",
        "sort_by[desc]",
        "sort_by[asc]",
    },
}
_SORTABLE = {
    "customers": {"created_at", "updated_at"},
    "subscriptions": {"created_at", "updated_at"},
    "invoices": {"date", "updated_at"},
    "transactions": {"date", "updated_at"},
}
_TIME = {
    "customers": "created_at",
    "subscriptions": "created_at",
    "invoices": "date",
    "transactions": "date",
}


def _id(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(5)}{next(_counter)}"


def cb_customer(email: str, **over: Any) -> dict[str, Any]:
    return {
        "id": _id("AzZ"),
        "object": "customer",
        "first_name": "Dana",
        "last_name": "Scully",
        "email": email,
        "auto_collection": "on",
        "card_status": "valid",
        "created_at": NOW - 86400 * 100,
        "updated_at": NOW - 86400,
        "deleted": False,
        "resource_version": 1_700_000_000_000,
        **over,
    }


def cb_subscription(customer_id: str, status: str, **over: Any) -> dict[str, Any]:
    return {
        "id": _id("16B"),
        "object": "subscription",
        "customer_id": customer_id,
        "status": status,
        "created_at": NOW - 3600 * next(_counter),
        "current_term_start": NOW - 86400 * 20,
        "current_term_end": NOW + 86400 * 10,
        "currency_code": "USD",
        **over,
    }


def cb_invoice(customer_id: str, status: str, **over: Any) -> dict[str, Any]:
    total = over.pop("total", 4900)
    return {
        "id": str(1000 + next(_counter)),
        "object": "invoice",
        "customer_id": customer_id,
        "status": status,
        "date": NOW - 3600 * next(_counter),
        "total": total,
        "amount_due": 0 if status == "paid" else total,
        "amount_paid": total if status == "paid" else 0,
        "currency_code": "USD",
        **over,
    }


def cb_transaction(customer_id: str, status: str, **over: Any) -> dict[str, Any]:
    return {
        "id": _id("txn_"),
        "object": "transaction",
        "customer_id": customer_id,
        "type": "payment",
        "status": status,
        "amount": 4900,
        "date": NOW - 3600 * next(_counter),
        "gateway": "stripe",
        "currency_code": "USD",
        **over,
    }


def cb_error(
    status: int, message: str, api_error_code: str, headers: dict[str, str] | None = None
) -> Reply:
    body = {
        "message": message,
        "type": "invalid_request" if status < 500 else "api_error",
        "api_error_code": api_error_code,
        "http_status_code": status,
    }
    return raw_reply(status, json.dumps(body), headers)


def cb_rate_limited(retry_after: int = 1) -> Reply:
    return cb_error(
        429,
        "Sorry, access has been blocked temporarily due to request count exceeding acceptable limits.",
        "api_request_limit_exceeded",
        {"Retry-After": str(retry_after)},
    )


class FakeChargebee(NoDelayServer):
    def __init__(self, *, api_key: str = "test_cbKey0123456789", latency: float = 0.0) -> None:
        super().__init__(expected_key=api_key)
        self.latency = latency
        self.busy: list[tuple[float, float]] = []  # (start, end) of each request, server side
        self.objects: dict[str, list[dict[str, Any]]] = {}
        self.violations: list[str] = []
        self.scripted: dict[str, deque[Reply]] = {}
        self._offsets: dict[str, int] = {}
        self._lock2 = threading.Lock()

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/v2"

    def add(self, *objs: dict[str, Any]) -> dict[str, Any]:
        for obj in objs:
            errors = sorted(e.message for e in _VALIDATORS[obj["object"]].iter_errors(obj))
            if errors:
                raise ValueError(f"not a documented Chargebee {obj['object']}: {errors}")
            self.objects.setdefault(obj["object"] + "s", []).append(obj)
        return objs[0]

    def fail(self, path: str, *replies: Reply) -> None:
        self.scripted.setdefault(path, deque()).extend(replies)

    @property
    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    def args(self, index: int) -> list[tuple[str, str]]:
        return parse_qsl(self.requests[index].query, keep_blank_values=True)

    def check(self) -> None:
        super().check()
        if self.violations:
            raise AssertionError("FakeChargebee violations:\n" + "\n".join(self.violations))

    def _reject(self, request: Recorded, message: str) -> Response:
        self.violations.append(
            f"request #{request.index} {request.method} {request.path}: {message}"
        )
        return self._error(400, message, "invalid_request", "param_wrong_value")

    def _handle(self, request: Recorded) -> Response:
        started = time.monotonic()
        try:
            return self._serve(request)
        finally:
            self.busy.append((started, time.monotonic()))

    def _serve(self, request: Recorded) -> Response:
        if self.latency:
            time.sleep(self.latency)
        expected = "Basic " + base64.b64encode(f"{self.expected_key}:".encode()).decode()
        if request.headers.get("authorization") != expected:
            return self._error(
                401,
                "Sorry, authentication failed. Invalid api key",
                "invalid_request",
                "api_authentication_failed",
            )
        if request.method != "GET":
            return self._reject(request, f"{request.method} is not a read")
        queue = self.scripted.get(request.path)
        if queue:
            return queue.popleft().render(self, request)
        resource = request.path.removeprefix("/api/v2/")
        if resource not in _FILTERS:
            self.overruns.append(request)
            return self._error(
                404,
                "Sorry, we couldn't find that resource",
                "invalid_request",
                "resource_not_found",
            )
        args = parse_qsl(request.query, keep_blank_values=True)
        names = [k for k, _ in args]
        if len(names) != len(set(names)):
            return self._reject(request, f"repeated parameter in {names}")
        params = dict(args)
        unknown = set(params) - _FILTERS[resource] - {"limit", "offset"}
        if unknown:
            return self._reject(request, f"unknown parameters {sorted(unknown)}")
        limit = params.get("limit", "10")
        if not limit.isdigit() or not 1 <= int(limit) <= 100:
            return self._reject(request, f"limit {limit!r} must be 1..100")
        for order in ("sort_by[desc]", "sort_by[asc]"):
            if order in params and params[order] not in _SORTABLE[resource]:
                return self._reject(request, f"cannot sort {resource} by {params[order]!r}")
        items = list(self.objects.get(resource, []))
        for key, value in params.items():
            if key.endswith("[is]"):
                field = key.removesuffix("[is]")
                items = [o for o in items if str(o.get(field)) == value]
        field = _TIME[resource]
        items.sort(key=lambda o: o.get(field) or 0, reverse="sort_by[asc]" not in params)
        start = 0
        if "offset" in params:
            with self._lock2:
                if params["offset"] not in self._offsets:
                    return self._reject(request, f"unknown offset {params['offset']!r}")
                start = self._offsets[params["offset"]]
        page = items[start : start + int(limit)]
        body: dict[str, Any] = {"list": [{resource[:-1]: o} for o in page]}
        if start + int(limit) < len(items):
            offset = json.dumps([str(page[-1].get(field) or 0) + "000", str(start + int(limit))])
            with self._lock2:
                self._offsets[offset] = start + int(limit)
            body["next_offset"] = offset
        return self._json(200, body)

    def _error(self, status: int, message: str, type_: str, code: str) -> Response:
        body = {
            "message": message,
            "type": type_,
            "api_error_code": code,
            "http_status_code": status,
        }
        return self._json(status, body)

    def _overrun_reply(self, request: Recorded) -> Reply:
        return cb_error(500, "FakeChargebee: nothing scripted", "internal_error")

    def _internal_error(self, message: str) -> Response:
        return self._error(500, message[:500], "api_error", "internal_error")
