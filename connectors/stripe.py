"""`stripe`: the customer's billing state — subscriptions, invoices, charges, payment intents,
refunds, disputes and recent events — read with a restricted key.

    billing:
      type: stripe
      api_key: ${STRIPE_RESTRICTED_KEY}   # rk_live_… with read access; `check` warns on sk_ keys
      # api_version: "2023-08-16"         # the Stripe-Version header (pinned)
      # base_url: https://api.stripe.com

Customers are found by email (`/v1/customers/search`, falling back to `/v1/customers?email=`
where search is unavailable) and by `cus_…` ids in the ticket; they are `provides`d as
`customer_id` in the resolve stage. Lists page with `has_more`/`starting_after` up to
`max_pages`; every response is read as a stream and capped at `max_response_bytes`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlencode

from pydantic import Field

from investigate.sdk import Duration, Level, SourceError
from investigate.sdk.contract import Check, Collected, Query, gather_parts
from investigate.sdk.jsonapi import JsonApi
from investigate.sdk.rows import epoch_text
from investigate.sdk.shapes import (
    Case,
    Shape,
    by,
    epoch,
    key,
    money,
    named,
    nested,
    ref,
    ref_of,
    text,
    under,
)
from investigate.sdk.textmatch import EntityMatcher
from investigate.sdk.transport import HttpOptions
from investigate_connectors._billing import BillingConfig, BillingConnector

CUSTOMER_ID = re.compile(r"cus_[A-Za-z0-9]{1,64}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class StripeConfig(BillingConfig):
    base_url: str = "https://api.stripe.com"
    api_version: str = Field("2023-08-16", description="Sent as the Stripe-Version header.")
    dashboard_url: str = "https://dashboard.stripe.com"
    events_lookback: Duration = Field(
        timedelta(days=7), description="Events older than the window start minus this are skipped."
    )


# --- evidence rules ----------------------------------------------------------------------------

_SUBSCRIPTION_LEVEL: dict[str, Level] = {
    "past_due": "error",
    "unpaid": "error",
    "incomplete": "warning",
    "incomplete_expired": "warning",
    "canceled": "warning",
    "paused": "warning",
}
_BAD_EVENTS = ("failed", "dispute", "past_due", "deleted", "uncollectible")


def _status(*values: str) -> Callable[[Mapping[str, Any]], bool]:
    return lambda o: str(o.get("status", "unknown")) in values


def _attempts(o: Mapping[str, Any]) -> Any:
    return o.get("attempt_count") or 0


def _failed_invoice(o: Mapping[str, Any]) -> bool:
    return str(o.get("status", "unknown")) == "open" and _attempts(o) > 0


def _event_object(o: Mapping[str, Any]) -> Any:
    return (o.get("data") or {}).get("object") or {}


_STATUS = text("status")
_AMOUNT = money("amount", "currency")
_INVOICE_DUE = "Invoice {id} is {status}: {amount_due} due"
_FAILED_ATTEMPTS = ", {attempts} failed payment attempt{plural}"
_SUBSCRIPTION = "Subscription {id} is {status}"
_by_subscription_status = by("status", _SUBSCRIPTION_LEVEL)

SHAPES: dict[str, Shape] = {
    "customer": Shape(
        "customer",
        cases=(
            Case(
                "Stripe customer {id} is delinquent", "warning", lambda o: bool(o.get("delinquent"))
            ),
            Case("Stripe customer {id}", "info"),
        ),
        details=(
            *named(key, "email", "name"),
            ("delinquent", lambda o: bool(o.get("delinquent"))),
            ("balance", money("balance", "currency")),
        ),
        link="customers/{id}",
    ),
    "subscription": Shape(
        "subscription",
        cases=(
            Case(
                _SUBSCRIPTION + ", trial ends {trial_end}",
                _by_subscription_status,
                _status("trialing"),
            ),
            Case(
                _SUBSCRIPTION + ", cancels at {cancel_at}",
                "warning",
                lambda o: bool(o.get("cancel_at_period_end")),
            ),
            Case(_SUBSCRIPTION + " on {canceled_at}", _by_subscription_status, _status("canceled")),
            Case(_SUBSCRIPTION, _by_subscription_status),
        ),
        details=(
            ("status", _STATUS),
            *named(ref, "customer"),
            *named(epoch, "trial_end", "canceled_at"),
            ("cancellation_reason", nested("cancellation_details", "reason")),
            ("cancel_at_period_end", lambda o: o.get("cancel_at_period_end") or None),
            ("latest_invoice", ref("latest_invoice")),
        ),
        link="subscriptions/{id}",
        values={
            "trial_end": lambda o: epoch_text(o.get("trial_end")),
            "cancel_at": lambda o: epoch_text(o.get("cancel_at")),
            "canceled_at": lambda o: epoch_text(o.get("canceled_at")),
        },
    ),
    "invoice": Shape(
        "invoice",
        cases=(
            Case(
                _INVOICE_DUE + _FAILED_ATTEMPTS + ", next retry {next_attempt}",
                "error",
                lambda o: _failed_invoice(o) and bool(o.get("next_payment_attempt")),
            ),
            Case(_INVOICE_DUE + _FAILED_ATTEMPTS, "error", _failed_invoice),
            Case(_INVOICE_DUE, "error", _status("uncollectible")),
            Case(_INVOICE_DUE, "warning", _status("open")),
            Case(_INVOICE_DUE, "info"),
        ),
        details=(
            ("status", _STATUS),
            ("amount_due", money("amount_due", "currency")),
            ("amount_paid", money("amount_paid", "currency")),
            ("attempt_count", _attempts),
            *named(epoch, "next_payment_attempt"),
            *named(key, "billing_reason"),
            *named(ref, "subscription", "charge"),
            *named(key, "hosted_invoice_url"),
        ),
        link="invoices/{id}",
        values={
            "amount_due": money("amount_due", "currency"),
            "attempts": _attempts,
            "plural": lambda o: "s" if _attempts(o) != 1 else "",
            "next_attempt": lambda o: epoch_text(o.get("next_payment_attempt")),
        },
    ),
    "charge": Shape(
        "charge",
        cases=(
            Case("Charge {id} failed ({failure}): {amount}", "error", _status("failed")),
            Case("Charge {id} is disputed: {amount}", "error", lambda o: bool(o.get("disputed"))),
            Case(
                "Charge {id} refunded {refunded} of {amount}",
                "warning",
                lambda o: bool(o.get("refunded") or (o.get("amount_refunded") or 0) > 0),
            ),
            Case("Charge {id} {status}: {amount}", "info"),
        ),
        details=(
            ("status", _STATUS),
            *named(key, "failure_code", "failure_message"),
            *under("outcome", "type", "reason", "network_status", "seller_message", "risk_level"),
            *named(ref, "invoice", "payment_intent"),
            *named(key, "receipt_url"),
        ),
        link="payments/{payment}",
        values={
            "amount": _AMOUNT,
            "failure": lambda o: (
                o.get("failure_code") or nested("outcome", "reason")(o) or "failed"
            ),
            "refunded": money("amount_refunded", "currency"),
            "payment": lambda o: ref_of(o.get("payment_intent")) or str(o.get("id", "")),
        },
    ),
    "payment_intent": Shape(
        "payment",
        cases=(
            Case(
                "Payment {id} failed ({decline}): {amount}, now {status}",
                "error",
                lambda o: bool(o.get("last_payment_error")),
            ),
            Case(
                "Payment {id} {status}: {amount}",
                "warning",
                _status("requires_action", "requires_payment_method"),
            ),
            Case("Payment {id} {status}: {amount}", "info"),
        ),
        details=(
            ("status", _STATUS),
            *under("last_payment_error", "code", "decline_code", "message", label="error"),
            *named(key, "cancellation_reason"),
            *named(ref, "invoice", "latest_charge"),
        ),
        link="payments/{id}",
        values={
            "amount": _AMOUNT,
            "decline": lambda o: (
                nested("last_payment_error", "decline_code")(o)
                or nested("last_payment_error", "code")(o)
                or "error"
            ),
        },
    ),
    "refund": Shape(
        "payment",
        cases=(
            Case("Refund {id} {status}: {amount}", "error", _status("failed")),
            Case("Refund {id} {status}: {amount}", "info"),
        ),
        details=(
            ("status", _STATUS),
            *named(key, "reason", "failure_reason"),
            *named(ref, "charge"),
        ),
        link="payments/{payment}",
        values={
            "amount": _AMOUNT,
            "payment": lambda o: (
                ref_of(o.get("payment_intent")) or ref_of(o.get("charge")) or str(o.get("id", ""))
            ),
        },
    ),
    "dispute": Shape(
        "charge",
        cases=(
            Case("Dispute {id} ({reason}) is {status}: {amount}", "warning", _status("won")),
            Case("Dispute {id} ({reason}) is {status}: {amount}", "error"),
        ),
        details=(
            ("status", _STATUS),
            ("reason", key("reason")),
            ("evidence_due_by", lambda o: epoch("due_by")(o.get("evidence_details") or {})),
            ("charge", ref("charge")),
        ),
        link="disputes/{id}",
        values={"amount": _AMOUNT, "reason": key("reason", "unknown reason")},
    ),
    "event": Shape(
        "log",
        cases=(
            Case(
                "Stripe event {type}",
                "warning",
                lambda o: any(w in str(o.get("type", "event")) for w in _BAD_EVENTS),
            ),
            Case("Stripe event {type}", "info"),
        ),
        details=(
            ("event", lambda o: str(o.get("id", ""))),
            ("object", lambda o: ref_of(_event_object(o))),
            ("status", lambda o: _event_object(o).get("status")),
        ),
        link="events/{id}",
        values={"type": text("type", "event")},
    ),
}
"""How each Stripe object reads as evidence (an unknown type reads as an event)."""


# --- the connector --------------------------------------------------------------------------


def search_query(email: str) -> str:
    """A Stripe search clause matching exactly this email (quotes and backslashes escaped)."""
    escaped = email.replace("\\", "\\\\").replace('"', '\\"')
    return f'email:"{escaped}"'


class Stripe(BillingConnector[StripeConfig]):
    type_name = "stripe"
    config_model = StripeConfig
    description = "Stripe customers, subscriptions, invoices, charges, disputes and events"
    shapes = SHAPES
    default_shape = "event"
    object_key = "stripe_object"
    check_path = "/v1/customers"

    @property
    def api_base(self) -> str:
        return self.config.base_url.rstrip("/")

    def _key(self) -> str:
        return self.config.api_key.get_secret_value()

    def auth(self) -> HttpOptions:
        headers = {
            "Authorization": f"Bearer {self._key()}",
            "Stripe-Version": self.config.api_version,
        }
        return HttpOptions(headers=headers)

    def hints(self) -> dict[int, str]:
        fix = (
            f"set connectors.{self.name}.api_key to a valid restricted key (rk_…) with read access"
        )
        return {
            401: f"Stripe rejected the API key: {fix}",
            403: f"the key lacks read permission for this resource: {fix}",
            404: "check base_url and the resource path",
            429: "Stripe rate limit; try again later",
        }

    def vendor_message(self, body: Any) -> str | None:
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            parts = [str(error.get(k)) for k in ("type", "code") if error.get(k)]
            message = str(error.get("message") or "")
            return (f"[{'/'.join(parts)}] " if parts else "") + message
        return None

    def next_page(self, path: str, body: Any) -> tuple[list[dict[str, Any]], dict[str, str] | None]:
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise SourceError(f"{self.label}: unexpected response to GET {path} (no data list)")
        batch = [d for d in data if isinstance(d, dict)]
        if not body.get("has_more") or not batch:
            return batch, None
        return batch, {"starting_after": str(batch[-1].get("id", ""))}

    def web_link(self, path: str, obj: Mapping[str, Any]) -> str | None:
        live = obj.get("livemode")
        test = (live is False) or (live is None and "_test_" in self._key())
        return f"{self.config.dashboard_url.rstrip('/')}/{'test/' if test else ''}{path}"

    def refs(self, obj: Mapping[str, Any]) -> list[str]:
        refs = [str(obj.get(k) or "") for k in ("id", "email", "customer_email")]
        return refs + [
            ref_of(obj.get(k)) or ""
            for k in ("customer", "invoice", "charge", "payment_intent", "subscription")
        ]

    # check -----------------------------------------------------------------------------------

    async def check(self) -> list[Check]:
        key = self._key()
        prefix = key.split("_", 2)[:2]
        shown = "_".join(prefix) + "_…" if len(prefix) == 2 else "unknown"
        if key.startswith("sk_"):
            kind = Check(
                "api key",
                True,
                f"a secret key ({shown}) can write; use a restricted key (rk_…) with read-only permissions",
                warning=True,
            )
        elif key.startswith("rk_"):
            kind = Check(
                "api key",
                True,
                f"restricted key ({shown}); Stripe does not report its permissions, so "
                "read-only access is not verified",
            )
        else:
            return [
                Check("api key", False, "not a Stripe secret or restricted key (expected rk_…)")
            ]
        return [kind, await self.reachable()]

    # collect ---------------------------------------------------------------------------------

    def billing_ids(self, out: Collected) -> list[str]:
        customers = super().billing_ids(out)
        if len(self._customers) > len(customers):
            out.notes.append(
                f"{self.name}: {len(self._customers)} Stripe customers matched; "
                f"read the first {len(customers)}"
            )
        return customers

    async def find_customers(
        self, api: JsonApi, query: Query, out: Collected, matcher: EntityMatcher
    ) -> None:
        e = query.entities
        ids = [c for c in e.customer_ids if c not in self._looked_up]
        emails = [m for m in dict.fromkeys([e.requester_email or "", *e.emails]) if m]
        for bad in [v for v in ids if not CUSTOMER_ID.fullmatch(v)]:
            self._looked_up.add(bad)
        ids = [v for v in ids if CUSTOMER_ID.fullmatch(v)]
        skipped = [m for m in emails if _CONTROL.search(m) or "@" not in m]
        if skipped:
            out.notes.append(f"{self.name}: skipped {len(skipped)} malformed email value(s)")
        emails = [m for m in emails if m not in skipped and m not in self._looked_up]
        limit = self.config.max_customers
        ids, emails = ids[:limit], emails[:limit]
        self._looked_up.update(ids + emails)
        lookups = [self._by_id(api, cid) for cid in ids]
        lookups += [self._by_email(api, email, out) for email in emails]
        for pairs in await gather_parts(out, lookups, []):
            for customer, request in pairs:
                self.register(customer, request, matcher, "", out)

    async def _by_id(self, api: JsonApi, cid: str) -> list[tuple[dict[str, Any], str]]:
        path = f"/v1/customers/{quote(cid, safe='')}"
        status, body = await api.get(path, allow=[404])
        if status == 200 and isinstance(body, dict) and not body.get("deleted"):
            return [(body, f"GET {path}")]
        return []

    async def _by_email(
        self, api: JsonApi, email: str, out: Collected
    ) -> list[tuple[dict[str, Any], str]]:
        limit = str(self.config.max_customers)
        params = {"query": search_query(email), "limit": limit}
        status, body = await api.get("/v1/customers/search", params, allow=[400, 404])
        request = f"GET /v1/customers/search?{urlencode(params)}"
        if status in (400, 404):
            out.notes.append(
                f"{self.name}: customer search unavailable (HTTP {status}); used the exact-email list"
            )
            params = {"email": email, "limit": limit}
            status, body = await api.get("/v1/customers", params)
            request = f"GET /v1/customers?{urlencode(params)}"
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise SourceError(f"{self.label}: unexpected response to {request.split('?')[0]}")
        return [(c, request) for c in data if isinstance(c, dict)]

    async def collect_billing(
        self, api: JsonApi, ids: list[str], query: Query, out: Collected, matcher: EntityMatcher
    ) -> None:
        per_customer = [
            ("subscription", "/v1/subscriptions", {"status": "all"}),
            ("invoice", "/v1/invoices", {}),
            ("charge", "/v1/charges", {}),
            ("payment_intent", "/v1/payment_intents", {}),
        ]
        jobs = [
            self.list(api, path, {**extra, "customer": cid}, query, out)
            for cid in ids
            for _, path, extra in per_customer
        ]
        oldest = (query.window.start - self.config.events_lookback).timestamp()
        jobs.append(
            self.list(
                api, "/v1/events", {}, query, out, stop=lambda ev: (ev.get("created") or 0) < oldest
            )
        )
        results = await gather_parts(out, jobs, ([], ""))
        kinds = [kind for _ in ids for kind, _, _ in per_customer]
        self.add_all(out, kinds, results[:-1], matcher)
        charges = [
            c
            for kind, (items, _) in zip(kinds, results, strict=False)
            if kind == "charge"
            for c in items
        ]
        events, request = results[-1]
        wanted = set(ids)
        for event in events:
            obj = _event_object(event)
            owner = {
                ref_of(obj.get("customer")),
                ref_of(obj) if obj.get("object") == "customer" else None,
            }
            if owner & wanted and (event.get("created") or 0) >= oldest:
                out.evidence.append(self.evidence("event", event, request, matcher))
        await self._refunds_and_disputes(api, charges, query, out, matcher)

    async def _refunds_and_disputes(
        self,
        api: JsonApi,
        charges: list[dict[str, Any]],
        query: Query,
        out: Collected,
        matcher: EntityMatcher,
    ) -> None:
        refunded = [c["id"] for c in charges if (c.get("amount_refunded") or 0) > 0][:5]
        disputed = [c["id"] for c in charges if c.get("disputed")][:5]
        jobs = [self.list(api, "/v1/refunds", {"charge": c}, query, out) for c in refunded]
        jobs += [self.list(api, "/v1/disputes", {"charge": c}, query, out) for c in disputed]
        kinds = ["refund"] * len(refunded) + ["dispute"] * len(disputed)
        self.add_all(out, kinds, await gather_parts(out, jobs, ([], "")), matcher)
