"""`chargebee`: the customer's subscriptions, invoices (dunning) and transactions.

    billing:
      type: chargebee
      site: acme                          # https://acme.chargebee.com/api/v2
      api_key: ${CHARGEBEE_API_KEY}       # a read-only API key; sent as the basic-auth username
      # base_url: https://acme.chargebee.com/api/v2

Customers are found by email (`email[is]`) and by customer id entities (`id[is]`, never put in
the path) and `provides`d as `customer_id`; then `customer_id[is]` lists page with
`next_offset` up to `max_pages`. Responses are streamed and capped like `stripe`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx2
from pydantic import Field, field_validator

from investigate.sdk import ConfigError, Level, SourceError
from investigate.sdk.contract import Check, Collected, Query, gather_parts
from investigate.sdk.fieldchecks import one
from investigate.sdk.jsonapi import JsonApi
from investigate.sdk.rows import epoch_text
from investigate.sdk.shapes import Case, Get, Shape, by, epoch, key, money, named, text
from investigate.sdk.textmatch import EntityMatcher
from investigate.sdk.transport import HttpOptions
from investigate_connectors._billing import BillingConfig, BillingConnector

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SITE = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")


class ChargebeeConfig(BillingConfig):
    site: str | None = Field(None, description="Your Chargebee site: https://{site}.chargebee.com")
    base_url: str | None = None
    app_url: str | None = Field(None, description="Web app for deep links; default from site.")

    _plain_site = field_validator("site")(
        one(_SITE.fullmatch, "site must be the subdomain only, e.g. 'acme' for acme.chargebee.com")
    )

    @property
    def api_base(self) -> str:
        return (self.base_url or f"https://{self.site}.chargebee.com/api/v2").rstrip("/")

    @property
    def web_base(self) -> str | None:
        if self.app_url:
            return self.app_url.rstrip("/")
        return f"https://{self.site}.chargebee.com" if self.site else None


_SUB_LEVEL: dict[str, Level] = {
    "cancelled": "warning",
    "non_renewing": "warning",
    "paused": "warning",
    "transferred": "info",
}
_INVOICE_LEVEL: dict[str, Level] = {
    "payment_due": "error",
    "not_paid": "error",
    "pending": "warning",
}
_TXN_LEVEL: dict[str, Level] = {
    "failure": "error",
    "timeout": "error",
    "needs_attention": "warning",
    "in_progress": "info",
}


def _name(o: Mapping[str, Any]) -> str:
    return " ".join(str(o.get(k) or "") for k in ("first_name", "last_name")).strip()


def _dues(o: Mapping[str, Any]) -> Any:
    return o.get("due_invoices_count") or 0


def _trial(o: Mapping[str, Any]) -> str:
    in_trial = str(o.get("status", "unknown")) == "in_trial"
    return f", trial ends {epoch_text(o.get('trial_end'))}" if in_trial else ""


def _due(o: Mapping[str, Any]) -> str:
    return f", {_dues(o)} invoice(s) due since {epoch_text(o.get('due_since'))}" if _dues(o) else ""


def _dunning(o: Mapping[str, Any]) -> str:
    if not o.get("dunning_status"):
        return ""
    retry = o.get("next_retry_at")
    return f", dunning {o['dunning_status']}" + (
        f", next retry {epoch_text(retry)}" if retry else ""
    )


_STATUS = text("status")


def _money(name: str) -> Get:
    return money(name, "currency_code")


_SUBSCRIPTION = "Subscription {id} is {status}{trial}{due}"

SHAPES: dict[str, Shape] = {
    "customer": Shape(
        "customer",
        cases=(
            Case("Chargebee customer {id} ({name})", "info", lambda o: bool(_name(o))),
            Case("Chargebee customer {id}", "info"),
        ),
        details=(*named(key, "email", "company", "card_status", "auto_collection"),),
        link="customers/{id}",
        time="created_at",
        values={"name": _name},
    ),
    "subscription": Shape(
        "subscription",
        cases=(
            Case(_SUBSCRIPTION, "error", lambda o: bool(_dues(o))),
            Case(_SUBSCRIPTION, by("status", _SUB_LEVEL)),
        ),
        details=(
            ("status", _STATUS),
            *named(key, "customer_id"),
            ("due_invoices_count", lambda o: _dues(o) or None),
            ("total_dues", lambda o: _money("total_dues")(o) if _dues(o) else None),
            *named(epoch, "cancelled_at"),
            *named(key, "cancel_reason"),
            *named(epoch, "current_term_end"),
        ),
        link="subscriptions/{id}",
        time="created_at",
        values={"trial": _trial, "due": _due},
    ),
    "invoice": Shape(
        "invoice",
        cases=(
            Case(
                "Invoice {id} is {status}: {amount_due} due{dunning}", by("status", _INVOICE_LEVEL)
            ),
        ),
        details=(
            ("status", _STATUS),
            *named(_money, "total", "amount_due", "amount_paid"),
            *named(key, "dunning_status"),
            *named(epoch, "next_retry_at", "due_date"),
            *named(key, "subscription_id"),
        ),
        link="invoices/{id}",
        time="date",
        values={"amount_due": _money("amount_due"), "dunning": _dunning},
    ),
    "transaction": Shape(
        "payment",
        cases=(
            Case("Transaction {id} ({type}) {status}: {amount}{code}", by("status", _TXN_LEVEL)),
        ),
        details=(
            ("status", _STATUS),
            ("type", text("type", "payment")),
            *named(key, "error_code", "error_text", "gateway", "payment_method", "subscription_id"),
        ),
        link="transactions/{id}",
        time="date",
        values={
            "type": text("type", "payment"),
            "amount": _money("amount"),
            "code": lambda o: f" [{o['error_code']}]" if o.get("error_code") else "",
        },
    ),
}
"""How each Chargebee object reads as evidence (an unknown type reads as a transaction)."""


class Chargebee(BillingConnector[ChargebeeConfig]):
    type_name = "chargebee"
    config_model = ChargebeeConfig
    description = "Chargebee customers, subscriptions, invoices (dunning) and transactions"
    shapes = SHAPES
    default_shape = "transaction"
    object_key = "chargebee_object"
    check_path = "/customers"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.config.site and not self.config.base_url:
            # checked here, not in a model validator, whose error would quote the whole section
            raise ConfigError(
                f"connectors.{self.name}: set site (e.g. 'acme') or base_url",
                hint="site is the subdomain of https://{site}.chargebee.com",
            )

    @property
    def api_base(self) -> str:
        return self.config.api_base

    def auth(self) -> HttpOptions:
        return HttpOptions(auth=httpx2.BasicAuth(self.config.api_key.get_secret_value(), ""))

    def hints(self) -> dict[int, str]:
        fix = f"set connectors.{self.name}.api_key to a valid read-only API key for this site"
        return {
            401: f"Chargebee rejected the API key: {fix}",
            403: f"the API key lacks read access: {fix}",
            404: "check site / base_url (e.g. https://acme.chargebee.com/api/v2)",
            429: "Chargebee rate limit; try again later",
        }

    def vendor_message(self, body: Any) -> str | None:
        if isinstance(body, dict) and body.get("message"):
            code = body.get("api_error_code") or body.get("error_code")
            return (f"[{code}] " if code else "") + str(body["message"])
        return None

    def next_page(self, path: str, body: Any) -> tuple[list[dict[str, Any]], dict[str, str] | None]:
        kind = path.strip("/").split("/")[-1].rstrip("s")
        rows = body.get("list") if isinstance(body, dict) else None
        if not isinstance(rows, list):
            raise SourceError(f"{self.label}: unexpected response to GET {path} (no list)")
        items = [r[kind] for r in rows if isinstance(r, dict) and isinstance(r.get(kind), dict)]
        offset = body.get("next_offset")
        return items, ({"offset": offset} if offset and isinstance(offset, str) else None)

    def refs(self, obj: Mapping[str, Any]) -> list[str]:
        return [str(obj.get(k) or "") for k in ("id", "email", "customer_id", "subscription_id")]

    def web_link(self, path: str, obj: Mapping[str, Any]) -> str | None:
        web = self.config.web_base
        return f"{web}/d/{'/'.join(quote(p, safe='') for p in path.split('/'))}" if web else None

    async def check(self) -> list[Check]:
        return [await self.reachable()]

    async def find_customers(
        self, api: JsonApi, query: Query, out: Collected, matcher: EntityMatcher
    ) -> None:
        e = query.entities
        wanted: list[tuple[str, str]] = [("id[is]", v) for v in e.customer_ids]
        wanted += [
            ("email[is]", v) for v in dict.fromkeys([e.requester_email or "", *e.emails]) if v
        ]
        bad = [v for _, v in wanted if _CONTROL.search(v) or len(v) > 254]
        if bad:
            out.notes.append(f"{self.name}: skipped {len(bad)} malformed entity value(s)")
        todo = [(f, v) for f, v in wanted if v not in bad and v not in self._looked_up]
        todo = todo[: self.config.max_customers * 2]
        for _, value in todo:
            self._looked_up.add(value)
        jobs = [self.list(api, "/customers", {f: v}, query, out, pages=1) for f, v in todo]
        results = await gather_parts(out, jobs, ([], ""))
        for (_, value), (items, request) in zip(todo, results, strict=True):
            for customer in items:
                if not customer.get("deleted"):
                    self.register(customer, request, matcher, value, out)

    async def collect_billing(
        self, api: JsonApi, ids: list[str], query: Query, out: Collected, matcher: EntityMatcher
    ) -> None:
        plan = [
            ("subscription", "/subscriptions", {"sort_by[desc]": "created_at"}),
            ("invoice", "/invoices", {"sort_by[desc]": "date"}),
            ("transaction", "/transactions", {"sort_by[desc]": "date"}),
        ]
        jobs = [
            self.list(api, path, {"customer_id[is]": cid, **extra}, query, out)
            for cid in ids
            for _, path, extra in plan
        ]
        kinds = [kind for _ in ids for kind, _, _ in plan]
        self.add_all(out, kinds, await gather_parts(out, jobs, ([], "")), matcher)
