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
import time
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, urlencode

import httpx2
from pydantic import Field, SecretStr, field_validator

from investigate.sdk import MASKER, ConfigError, Evidence, EvidenceKind, Level, SourceError
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

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SITE = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")


class ChargebeeConfig(ConnectorConfig):
    api_key: SecretStr
    site: str | None = Field(None, description="Your Chargebee site: https://{site}.chargebee.com")
    base_url: str | None = None
    app_url: str | None = Field(None, description="Web app for deep links; default from site.")
    page_size: int = Field(20, ge=1, le=100)
    max_pages: int = Field(3, ge=1, le=20)
    max_customers: int = Field(3, ge=1, le=20)
    max_response_bytes: int = Field(5_000_000, ge=1_000)

    @field_validator("site")
    @classmethod
    def _plain_site(cls, value: str | None) -> str | None:
        if value is not None and not _SITE.fullmatch(value):
            raise ValueError("site must be the subdomain only, e.g. 'acme' for acme.chargebee.com")
        return value

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


def _money(amount: Any, currency: Any) -> str:
    if not isinstance(amount, int):
        return "-"
    return f"{amount / 100:,.2f} {str(currency or '').upper()}".strip()


def shape(kind: str, o: Mapping[str, Any]) -> tuple[EvidenceKind, str, Level, str, str, Any]:
    """(evidence kind, title, level, detail, dashboard path, time) for one Chargebee object."""
    oid = str(o.get("id", ""))
    cur = o.get("currency_code")
    if kind == "customer":
        name = " ".join(str(o.get(k) or "") for k in ("first_name", "last_name")).strip()
        return (
            "customer",
            f"Chargebee customer {oid}" + (f" ({name})" if name else ""),
            "info",
            detail_pairs(
                [
                    ("email", o.get("email")),
                    ("company", o.get("company")),
                    ("card_status", o.get("card_status")),
                    ("auto_collection", o.get("auto_collection")),
                ]
            ),
            f"customers/{oid}",
            o.get("created_at"),
        )
    if kind == "subscription":
        status = str(o.get("status", "unknown"))
        dues = o.get("due_invoices_count") or 0
        level = "error" if dues else _SUB_LEVEL.get(status, "info")
        title = f"Subscription {oid} is {status}"
        if status == "in_trial":
            title += f", trial ends {epoch_text(o.get('trial_end'))}"
        if dues:
            title += f", {dues} invoice(s) due since {epoch_text(o.get('due_since'))}"
        return (
            "subscription",
            title,
            level,
            detail_pairs(
                [
                    ("status", status),
                    ("customer_id", o.get("customer_id")),
                    ("due_invoices_count", dues or None),
                    ("total_dues", _money(o.get("total_dues"), cur) if dues else None),
                    (
                        "cancelled_at",
                        epoch_text(o["cancelled_at"]) if o.get("cancelled_at") else None,
                    ),
                    ("cancel_reason", o.get("cancel_reason")),
                    (
                        "current_term_end",
                        epoch_text(o["current_term_end"]) if o.get("current_term_end") else None,
                    ),
                ]
            ),
            f"subscriptions/{oid}",
            o.get("created_at"),
        )
    if kind == "invoice":
        status = str(o.get("status", "unknown"))
        dunning = o.get("dunning_status")
        level = _INVOICE_LEVEL.get(status, "info")
        title = f"Invoice {oid} is {status}: {_money(o.get('amount_due'), cur)} due"
        if dunning:
            title += f", dunning {dunning}"
            if o.get("next_retry_at"):
                title += f", next retry {epoch_text(o.get('next_retry_at'))}"
        return (
            "invoice",
            title,
            level,
            detail_pairs(
                [
                    ("status", status),
                    ("total", _money(o.get("total"), cur)),
                    ("amount_due", _money(o.get("amount_due"), cur)),
                    ("amount_paid", _money(o.get("amount_paid"), cur)),
                    ("dunning_status", dunning),
                    (
                        "next_retry_at",
                        epoch_text(o["next_retry_at"]) if o.get("next_retry_at") else None,
                    ),
                    ("due_date", epoch_text(o["due_date"]) if o.get("due_date") else None),
                    ("subscription_id", o.get("subscription_id")),
                ]
            ),
            f"invoices/{oid}",
            o.get("date"),
        )
    status = str(o.get("status", "unknown"))
    ttype = str(o.get("type", "payment"))
    title = f"Transaction {oid} ({ttype}) {status}: {_money(o.get('amount'), cur)}"
    if o.get("error_code"):
        title += f" [{o['error_code']}]"
    return (
        "payment",
        title,
        _TXN_LEVEL.get(status, "info"),
        detail_pairs(
            [
                ("status", status),
                ("type", ttype),
                ("error_code", o.get("error_code")),
                ("error_text", o.get("error_text")),
                ("gateway", o.get("gateway")),
                ("payment_method", o.get("payment_method")),
                ("subscription_id", o.get("subscription_id")),
            ]
        ),
        f"transactions/{oid}",
        o.get("date"),
    )


class Chargebee(Connector[ChargebeeConfig]):
    type_name = "chargebee"
    config_model = ChargebeeConfig
    description = "Chargebee customers, subscriptions, invoices (dunning) and transactions"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        MASKER.add(self.config.api_key)
        self._transports = Transports(self.ctx)
        if not self.config.site and not self.config.base_url:
            # checked here, not in a model validator, whose error would quote the whole section
            raise ConfigError(
                f"connectors.{self.name}: set site (e.g. 'acme') or base_url",
                hint="site is the subdomain of https://{site}.chargebee.com",
            )
        self._customers: dict[str, dict[str, Any]] = {}
        self._looked_up: set[str] = set()
        self._collected = False

    async def aclose(self) -> None:
        await self._transports.aclose()

    def provides(self) -> frozenset[str]:
        return frozenset({"customer_id"})

    @property
    def label(self) -> str:
        return f"chargebee connector '{self.name}'"

    def _api(self, deadline: float) -> JsonApi:
        cfg = self.config
        timeout = cfg.timeout.total_seconds() if cfg.timeout else 30.0
        options = HttpOptions(
            base_url=cfg.api_base,
            timeout=max(0.1, min(timeout, deadline - time.monotonic())),
            auth=httpx2.BasicAuth(cfg.api_key.get_secret_value(), ""),
            deadline=deadline,
        )
        fix = f"set connectors.{self.name}.api_key to a valid read-only API key for this site"
        return JsonApi(
            client=self._transports.client(options),
            label=self.label,
            max_bytes=cfg.max_response_bytes,
            hints={
                401: f"Chargebee rejected the API key: {fix}",
                403: f"the API key lacks read access: {fix}",
                404: "check site / base_url (e.g. https://acme.chargebee.com/api/v2)",
                429: "Chargebee rate limit; try again later",
            },
            vendor_message=_chargebee_message,
        )

    async def check(self) -> list[Check]:
        api = self._api(time.monotonic() + 10)
        try:
            await api.get("/customers", {"limit": "1"})
        except SourceError as exc:
            message = exc.message + (f" ({exc.hint})" if exc.hint else "")
            return [Check("reachable", False, MASKER.mask(message))]
        finally:
            await api.client.aclose()
        return [Check("reachable", True, f"{self.config.api_base}: authenticated")]

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
                ids = list(self._customers)[: self.config.max_customers]
                await self._collect_billing(api, ids, query, out, matcher)
        finally:
            await api.client.aclose()
        return out

    async def _find_customers(
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
        results = await gather_parts(
            out,
            [
                self._list(api, "/customers", {name: value}, query, out, pages=1)
                for name, value in todo
            ],
            ([], ""),
        )
        for (_, value), (items, request) in zip(todo, results, strict=True):
            for customer in items:
                cid = str(customer.get("id", ""))
                if not cid or cid in self._customers or customer.get("deleted"):
                    continue
                self._customers[cid] = customer
                self._looked_up.add(cid)
                out.evidence.append(self._evidence("customer", customer, request, matcher, [value]))
                out.provides.setdefault("customer_id", []).append(cid)

    async def _list(
        self,
        api: JsonApi,
        path: str,
        params: dict[str, str],
        query: Query,
        out: Collected,
        pages: int | None = None,
    ) -> tuple[list[dict[str, Any]], str]:
        kind = path.strip("/").split("/")[-1].rstrip("s")
        params = {**params, "limit": str(self.config.page_size)}
        request = f"GET {path}?{urlencode(params)}"
        items: list[dict[str, Any]] = []
        most = pages or self.config.max_pages
        for page in range(most):
            _, body = await api.get(path, params)
            rows = body.get("list") if isinstance(body, dict) else None
            if not isinstance(rows, list):
                raise SourceError(f"{self.label}: unexpected response to GET {path} (no list)")
            items += [
                r[kind] for r in rows if isinstance(r, dict) and isinstance(r.get(kind), dict)
            ]
            offset = body.get("next_offset")
            if not offset or not isinstance(offset, str):
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
            params = {**params, "offset": offset}
        return items, request

    async def _collect_billing(
        self, api: JsonApi, ids: list[str], query: Query, out: Collected, matcher: EntityMatcher
    ) -> None:
        plan = [
            ("subscription", "/subscriptions", {"sort_by[desc]": "created_at"}),
            ("invoice", "/invoices", {"sort_by[desc]": "date"}),
            ("transaction", "/transactions", {"sort_by[desc]": "date"}),
        ]
        jobs = [
            self._list(api, path, {"customer_id[is]": cid, **extra}, query, out)
            for cid in ids
            for _, path, extra in plan
        ]
        kinds = [kind for _ in ids for kind, _, _ in plan]
        for kind, (items, request) in zip(
            kinds, await gather_parts(out, jobs, ([], "")), strict=True
        ):
            for item in items:
                out.evidence.append(self._evidence(kind, item, request, matcher))

    def _evidence(
        self,
        kind: str,
        obj: Mapping[str, Any],
        request: str,
        matcher: EntityMatcher,
        also: Iterable[str] = (),
    ) -> Evidence:
        ekind, title, level, detail, link, when = shape(kind, obj)
        refs = " ".join(
            str(obj.get(k) or "") for k in ("id", "email", "customer_id", "subscription_id")
        )
        web = self.config.web_base
        return Evidence(
            source=self.name,
            kind=ekind,
            timestamp=epoch_time(when),
            title=title[:300],
            detail=detail,
            url=f"{web}/d/{'/'.join(quote(p, safe='') for p in link.split('/'))}" if web else None,
            matched=sorted(set(matcher.find(refs)) | {v.lower() for v in also}),
            query=request,
            level=level,
            attributes={"chargebee_object": kind, "id": obj.get("id")},
        )


def _chargebee_message(body: Any) -> str | None:
    if isinstance(body, dict) and body.get("message"):
        code = body.get("api_error_code") or body.get("error_code")
        return (f"[{code}] " if code else "") + str(body["message"])
    return None
