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
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from pydantic import Field, SecretStr

from investigate.sdk import MASKER, Duration, Evidence, EvidenceKind, Level, SourceError
from investigate.sdk.contract import (
    Check,
    Collected,
    Connector,
    ConnectorConfig,
    Query,
    gather_parts,
)
from investigate.sdk.jsonapi import JsonApi, Transports
from investigate.sdk.rows import detail_pairs, epoch_text, epoch_time
from investigate.sdk.textmatch import EntityMatcher
from investigate.sdk.transport import HttpOptions

if TYPE_CHECKING:
    pass

CUSTOMER_ID = re.compile(r"cus_[A-Za-z0-9]{1,64}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class StripeConfig(ConnectorConfig):
    api_key: SecretStr
    base_url: str = "https://api.stripe.com"
    api_version: str = Field("2023-08-16", description="Sent as the Stripe-Version header.")
    dashboard_url: str = "https://dashboard.stripe.com"
    page_size: int = Field(20, ge=1, le=100)
    max_pages: int = Field(3, ge=1, le=20, description="Pages per list (has_more/starting_after).")
    max_customers: int = Field(3, ge=1, le=20)
    max_response_bytes: int = Field(5_000_000, ge=1_000)
    events_lookback: Duration = Field(
        timedelta(days=7), description="Events older than the window start minus this are skipped."
    )


# --- evidence rules ----------------------------------------------------------------------------


def _money(amount: Any, currency: Any) -> str:
    if not isinstance(amount, int):
        return "-"
    return f"{amount / 100:,.2f} {str(currency or '').upper()}".strip()


def _id(value: Any) -> str | None:
    """An expandable field: either an id string or an object with an id."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else None


_SUBSCRIPTION_LEVEL: dict[str, Level] = {
    "past_due": "error",
    "unpaid": "error",
    "incomplete": "warning",
    "incomplete_expired": "warning",
    "canceled": "warning",
    "paused": "warning",
}


@dataclass
class Shaped:
    kind: EvidenceKind
    title: str
    level: Level
    detail: str
    link: str | None  # dashboard path after the (test/) prefix
    when: Any


def shape(obj_type: str, o: Mapping[str, Any]) -> Shaped:
    """How one Stripe object reads as evidence: title, severity, detail and dashboard link."""
    oid = str(o.get("id", ""))
    if obj_type == "customer":
        delinquent = bool(o.get("delinquent"))
        return Shaped(
            "customer",
            f"Stripe customer {oid}" + (" is delinquent" if delinquent else ""),
            "warning" if delinquent else "info",
            detail_pairs(
                [
                    ("email", o.get("email")),
                    ("name", o.get("name")),
                    ("delinquent", delinquent),
                    ("balance", _money(o.get("balance"), o.get("currency"))),
                ]
            ),
            f"customers/{oid}",
            o.get("created"),
        )
    if obj_type == "subscription":
        status = str(o.get("status", "unknown"))
        level: Level = _SUBSCRIPTION_LEVEL.get(status, "info")
        extra = ""
        if status == "trialing":
            extra = f", trial ends {epoch_text(o.get('trial_end'))}"
        elif o.get("cancel_at_period_end"):
            extra, level = f", cancels at {epoch_text(o.get('cancel_at'))}", "warning"
        elif status == "canceled":
            extra = f" on {epoch_text(o.get('canceled_at'))}"
        reason = (o.get("cancellation_details") or {}).get("reason")
        return Shaped(
            "subscription",
            f"Subscription {oid} is {status}{extra}",
            level,
            detail_pairs(
                [
                    ("status", status),
                    ("customer", _id(o.get("customer"))),
                    ("trial_end", epoch_text(o["trial_end"]) if o.get("trial_end") else None),
                    ("canceled_at", epoch_text(o["canceled_at"]) if o.get("canceled_at") else None),
                    ("cancellation_reason", reason),
                    ("cancel_at_period_end", o.get("cancel_at_period_end") or None),
                    ("latest_invoice", _id(o.get("latest_invoice"))),
                ]
            ),
            f"subscriptions/{oid}",
            o.get("created"),
        )
    if obj_type == "invoice":
        status = str(o.get("status", "unknown"))
        attempts = o.get("attempt_count") or 0
        failed = status == "open" and attempts > 0
        level = "error" if failed or status == "uncollectible" else "info"
        if status == "open" and not failed:
            level = "warning"
        title = f"Invoice {oid} is {status}: {_money(o.get('amount_due'), o.get('currency'))} due"
        if failed:
            title += f", {attempts} failed payment attempt{'s' if attempts != 1 else ''}"
            if o.get("next_payment_attempt"):
                title += f", next retry {epoch_text(o.get('next_payment_attempt'))}"
        return Shaped(
            "invoice",
            title,
            level,
            detail_pairs(
                [
                    ("status", status),
                    ("amount_due", _money(o.get("amount_due"), o.get("currency"))),
                    ("amount_paid", _money(o.get("amount_paid"), o.get("currency"))),
                    ("attempt_count", attempts),
                    (
                        "next_payment_attempt",
                        epoch_text(o.get("next_payment_attempt"))
                        if o.get("next_payment_attempt")
                        else None,
                    ),
                    ("billing_reason", o.get("billing_reason")),
                    ("subscription", _id(o.get("subscription"))),
                    ("charge", _id(o.get("charge"))),
                    ("hosted_invoice_url", o.get("hosted_invoice_url")),
                ]
            ),
            f"invoices/{oid}",
            o.get("created"),
        )
    if obj_type == "charge":
        status = str(o.get("status", "unknown"))
        outcome = o.get("outcome") or {}
        money = _money(o.get("amount"), o.get("currency"))
        if status == "failed":
            code = o.get("failure_code") or outcome.get("reason") or "failed"
            title, level = f"Charge {oid} failed ({code}): {money}", "error"
        elif o.get("disputed"):
            title, level = f"Charge {oid} is disputed: {money}", "error"
        elif o.get("refunded") or (o.get("amount_refunded") or 0) > 0:
            refunded = _money(o.get("amount_refunded"), o.get("currency"))
            title, level = f"Charge {oid} refunded {refunded} of {money}", "warning"
        else:
            title, level = f"Charge {oid} {status}: {money}", "info"
        return Shaped(
            "charge",
            title,
            level,
            detail_pairs(
                [
                    ("status", status),
                    ("failure_code", o.get("failure_code")),
                    ("failure_message", o.get("failure_message")),
                    ("outcome.type", outcome.get("type")),
                    ("outcome.reason", outcome.get("reason")),
                    ("outcome.network_status", outcome.get("network_status")),
                    ("outcome.seller_message", outcome.get("seller_message")),
                    ("outcome.risk_level", outcome.get("risk_level")),
                    ("invoice", _id(o.get("invoice"))),
                    ("payment_intent", _id(o.get("payment_intent"))),
                    ("receipt_url", o.get("receipt_url")),
                ]
            ),
            f"payments/{_id(o.get('payment_intent')) or oid}",
            o.get("created"),
        )
    if obj_type == "payment_intent":
        status = str(o.get("status", "unknown"))
        err = o.get("last_payment_error") or {}
        money = _money(o.get("amount"), o.get("currency"))
        if err:
            code = err.get("decline_code") or err.get("code") or "error"
            title, level = f"Payment {oid} failed ({code}): {money}, now {status}", "error"
        elif status in ("requires_action", "requires_payment_method"):
            title, level = f"Payment {oid} {status}: {money}", "warning"
        else:
            title, level = f"Payment {oid} {status}: {money}", "info"
        return Shaped(
            "payment",
            title,
            level,
            detail_pairs(
                [
                    ("status", status),
                    ("error.code", err.get("code")),
                    ("error.decline_code", err.get("decline_code")),
                    ("error.message", err.get("message")),
                    ("cancellation_reason", o.get("cancellation_reason")),
                    ("invoice", _id(o.get("invoice"))),
                    ("latest_charge", _id(o.get("latest_charge"))),
                ]
            ),
            f"payments/{oid}",
            o.get("created"),
        )
    if obj_type == "refund":
        status = str(o.get("status", "unknown"))
        return Shaped(
            "payment",
            f"Refund {oid} {status}: {_money(o.get('amount'), o.get('currency'))}",
            "error" if status == "failed" else "info",
            detail_pairs(
                [
                    ("status", status),
                    ("reason", o.get("reason")),
                    ("failure_reason", o.get("failure_reason")),
                    ("charge", _id(o.get("charge"))),
                ]
            ),
            f"payments/{_id(o.get('payment_intent')) or _id(o.get('charge')) or oid}",
            o.get("created"),
        )
    if obj_type == "dispute":
        status = str(o.get("status", "unknown"))
        due = (o.get("evidence_details") or {}).get("due_by")
        return Shaped(
            "charge",
            f"Dispute {oid} ({o.get('reason', 'unknown reason')}) is {status}: "
            f"{_money(o.get('amount'), o.get('currency'))}",
            "warning" if status == "won" else "error",
            detail_pairs(
                [
                    ("status", status),
                    ("reason", o.get("reason")),
                    ("evidence_due_by", epoch_text(due) if due else None),
                    ("charge", _id(o.get("charge"))),
                ]
            ),
            f"disputes/{oid}",
            o.get("created"),
        )
    # events
    etype = str(o.get("type", "event"))
    bad = any(w in etype for w in ("failed", "dispute", "past_due", "deleted", "uncollectible"))
    obj = (o.get("data") or {}).get("object") or {}
    return Shaped(
        "log",
        f"Stripe event {etype}",
        "warning" if bad else "info",
        detail_pairs([("event", oid), ("object", _id(obj)), ("status", obj.get("status"))]),
        f"events/{oid}",
        o.get("created"),
    )


# --- the connector --------------------------------------------------------------------------


def search_query(email: str) -> str:
    """A Stripe search clause matching exactly this email (quotes and backslashes escaped)."""
    escaped = email.replace("\\", "\\\\").replace('"', '\\"')
    return f'email:"{escaped}"'


class Stripe(Connector[StripeConfig]):
    type_name = "stripe"
    config_model = StripeConfig
    description = "Stripe customers, subscriptions, invoices, charges, disputes and events"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        MASKER.add(self.config.api_key)
        self._transports = Transports(self.ctx)
        self._customers: dict[str, dict[str, Any]] = {}
        self._looked_up: set[str] = set()  # emails and ids already asked about
        self._collected = False

    async def aclose(self) -> None:
        await self._transports.aclose()

    def provides(self) -> frozenset[str]:
        return frozenset({"customer_id"})

    @property
    def label(self) -> str:
        return f"stripe connector '{self.name}'"

    def _key(self) -> str:
        return self.config.api_key.get_secret_value()

    def _api(self, deadline: float) -> JsonApi:
        cfg = self.config
        timeout = cfg.timeout.total_seconds() if cfg.timeout else 30.0
        options = HttpOptions(
            base_url=cfg.base_url.rstrip("/"),
            timeout=max(0.1, min(timeout, deadline - time.monotonic())),
            headers={
                "Authorization": f"Bearer {self._key()}",
                "Stripe-Version": cfg.api_version,
            },
            deadline=deadline,
        )
        fix = (
            f"set connectors.{self.name}.api_key to a valid restricted key (rk_…) with read access"
        )
        return JsonApi(
            client=self._transports.client(options),
            label=self.label,
            max_bytes=cfg.max_response_bytes,
            hints={
                401: f"Stripe rejected the API key: {fix}",
                403: f"the key lacks read permission for this resource: {fix}",
                404: "check base_url and the resource path",
                429: "Stripe rate limit; try again later",
            },
            vendor_message=_stripe_message,
        )

    def _link(self, path: str | None, obj: Mapping[str, Any]) -> str | None:
        if not path:
            return None
        live = obj.get("livemode")
        test = (live is False) or (live is None and "_test_" in self._key())
        return f"{self.config.dashboard_url.rstrip('/')}/{'test/' if test else ''}{path}"

    # check -----------------------------------------------------------------------------------

    async def check(self) -> list[Check]:
        key = self._key()
        checks: list[Check] = []
        prefix = key.split("_", 2)[:2]
        shown = "_".join(prefix) + "_…" if len(prefix) == 2 else "unknown"
        if key.startswith("sk_"):
            checks.append(
                Check(
                    "api key",
                    True,
                    f"a secret key ({shown}) can write; use a restricted key (rk_…) with read-only permissions",
                    warning=True,
                )
            )
        elif key.startswith("rk_"):
            checks.append(
                Check(
                    "api key",
                    True,
                    f"restricted key ({shown}); Stripe does not report its permissions, so "
                    "read-only access is not verified",
                )
            )
        else:
            checks.append(
                Check("api key", False, "not a Stripe secret or restricted key (expected rk_…)")
            )
            return checks
        api = self._api(time.monotonic() + 10)
        try:
            await api.get("/v1/customers", {"limit": "1"})
        except SourceError as exc:
            message = exc.message + (f" ({exc.hint})" if exc.hint else "")
            checks.append(Check("reachable", False, MASKER.mask(message)))
        else:
            checks.append(Check("reachable", True, f"{self.config.base_url}: authenticated"))
        finally:
            await api.client.aclose()
        return checks

    # collect ---------------------------------------------------------------------------------

    async def collect(self, query: Query) -> Collected:
        if self._collected:
            return Collected()
        api = self._api(query.deadline)
        out = Collected()
        matcher = EntityMatcher(query.entities.matchable())
        try:
            await self._find_customers(api, query, out, matcher)
            if query.stage == "collect":
                self._collected = True
                customers = list(self._customers)[: self.config.max_customers]
                if len(self._customers) > len(customers):
                    out.notes.append(
                        f"{self.name}: {len(self._customers)} Stripe customers matched; "
                        f"read the first {len(customers)}"
                    )
                if customers:
                    await self._collect_billing(api, customers, query, out, matcher)
        finally:
            await api.client.aclose()
        return out

    async def _find_customers(
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
        found = [pair for pairs in await gather_parts(out, lookups, []) for pair in pairs]
        for customer, request in found:
            cid = str(customer.get("id", ""))
            if not cid or cid in self._customers:
                continue
            self._customers[cid] = customer
            self._looked_up.add(cid)
            out.evidence.append(self._evidence("customer", customer, request, matcher, [cid]))
            out.provides.setdefault("customer_id", []).append(cid)

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

    async def _list(
        self,
        api: JsonApi,
        path: str,
        params: dict[str, str],
        query: Query,
        out: Collected,
        stop: Callable[[dict[str, Any]], bool] | None = None,
    ) -> tuple[list[dict[str, Any]], str]:
        """Up to `max_pages` pages of a list; `stop(item)` ends paging early (items are newest first)."""
        params = {**params, "limit": str(self.config.page_size)}
        request = f"GET {path}?{urlencode(params)}"
        items: list[dict[str, Any]] = []
        for page in range(self.config.max_pages):
            _, body = await api.get(path, params)
            data = body.get("data") if isinstance(body, dict) else None
            if not isinstance(data, list):
                raise SourceError(f"{self.label}: unexpected response to GET {path} (no data list)")
            batch = [d for d in data if isinstance(d, dict)]
            items += batch
            if not body.get("has_more") or not batch or (stop and stop(batch[-1])):
                break
            if page == self.config.max_pages - 1:
                out.notes.append(
                    f"{self.name}: {path} has more than {len(items)} items; read the newest"
                )
                break
            if query.expired():
                out.partial = True
                break
            params = {**params, "starting_after": str(batch[-1].get("id", ""))}
        return items, request

    async def _collect_billing(
        self,
        api: JsonApi,
        customers: list[str],
        query: Query,
        out: Collected,
        matcher: EntityMatcher,
    ) -> None:
        per_customer = [
            ("subscription", "/v1/subscriptions", {"status": "all"}),
            ("invoice", "/v1/invoices", {}),
            ("charge", "/v1/charges", {}),
            ("payment_intent", "/v1/payment_intents", {}),
        ]
        jobs = [
            self._list(api, path, {**extra, "customer": cid}, query, out)
            for cid in customers
            for _, path, extra in per_customer
        ]
        oldest = (query.window.start - self.config.events_lookback).timestamp()
        jobs.append(
            self._list(
                api, "/v1/events", {}, query, out, stop=lambda ev: (ev.get("created") or 0) < oldest
            )
        )
        results = await gather_parts(out, jobs, ([], ""))
        kinds = [kind for _ in customers for kind, _, _ in per_customer]
        charges: list[dict[str, Any]] = []
        for kind, (items, request) in zip(kinds, results[:-1], strict=True):
            for item in items:
                out.evidence.append(self._evidence(kind, item, request, matcher))
            if kind == "charge":
                charges += items
        events, request = results[-1]
        wanted = set(customers)
        for event in events:
            obj = (event.get("data") or {}).get("object") or {}
            owner = {
                _id(obj.get("customer")),
                _id(obj) if obj.get("object") == "customer" else None,
            }
            if owner & wanted and (event.get("created") or 0) >= oldest:
                out.evidence.append(self._evidence("event", event, request, matcher))
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
        jobs = [self._list(api, "/v1/refunds", {"charge": c}, query, out) for c in refunded]
        jobs += [self._list(api, "/v1/disputes", {"charge": c}, query, out) for c in disputed]
        kinds = ["refund"] * len(refunded) + ["dispute"] * len(disputed)
        listed = await gather_parts(out, jobs, ([], ""))
        for kind, (items, request) in zip(kinds, listed, strict=True):
            for item in items:
                out.evidence.append(self._evidence(kind, item, request, matcher))

    def _evidence(
        self,
        obj_type: str,
        obj: Mapping[str, Any],
        request: str,
        matcher: EntityMatcher,
        also: Iterable[str] = (),
    ) -> Evidence:
        s = shape(obj_type, obj)
        refs = [str(obj.get(k) or "") for k in ("id", "email", "customer_email")]
        refs += [
            _id(obj.get(k)) or ""
            for k in ("customer", "invoice", "charge", "payment_intent", "subscription")
        ]
        return Evidence(
            source=self.name,
            kind=s.kind,
            timestamp=epoch_time(s.when),
            title=s.title[:300],
            detail=s.detail,
            url=self._link(s.link, obj),
            matched=sorted(set(matcher.find(" ".join(refs))) | {v.lower() for v in also}),
            query=request,
            level=s.level,
            attributes={"stripe_object": obj_type, "id": obj.get("id")},
        )


def _stripe_message(body: Any) -> str | None:
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        parts = [str(error.get(k)) for k in ("type", "code") if error.get(k)]
        message = str(error.get("message") or "")
        return (f"[{'/'.join(parts)}] " if parts else "") + message
    return None
