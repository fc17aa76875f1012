"""`http`: a read-only JSON endpoint (an internal admin API) with a templated URL and a field map.

    accounts_api:
      type: http
      url: "https://admin.internal/api/accounts/{account_id}"   # placeholders: entity params
      params: {include: plan}                # query parameters; values may use placeholders too
      headers: {Authorization: "Bearer ${ADMIN_API_TOKEN}"}     # values are secrets (masked)
      kind: customer
      items: "data"                          # JMESPath to the list of items (default: the body)
      fields:                                # JMESPath per item
        title: "join(' ', ['Account', id, name])"
        detail: "plan.name"
        time: "updated_at"
        url: "links.admin"
        severity: "status == 'suspended' && 'error' || 'info'"
      provides: {org_id: "org.id"}           # identity resolution, like the SQL connectors

One GET per entity value (at most `max_values` per placeholder and `max_requests` in all). Every
value is percent-encoded with nothing left safe, so it can never change the host, the path
segments or the query (`/`, `..`, `%2F`, `?`, `#`, `@` arrive as data); placeholders are refused in
the scheme and host at config load, and a value that is only dots is never sent. A 404 for a
value means "nothing known", not a failure. Bodies are read as a stream and given up on past
`max_response_bytes`.
"""

from __future__ import annotations

import asyncio
import json
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import httpx2
import jmespath
import jmespath.exceptions
from pydantic import Field, SecretStr, field_validator, model_validator

from investigate.sdk import MASKER, PARAMS, Evidence, EvidenceKind, Level, SourceError, Strict
from investigate.sdk.contract import Check, Collected, Connector, ConnectorConfig, Provides, Query
from investigate.sdk.fieldchecks import passes
from investigate.sdk.fieldmap import FieldMapping
from investigate.sdk.jsonapi import MAX_RESPONSE_BYTES, JsonResponse, fetch_json, request_timeout
from investigate.sdk.jsonapi import HttpFailure as HttpFailure  # re-exported for older imports
from investigate.sdk.rows import parse_time, row_evidence
from investigate.sdk.sqlparams import bindings
from investigate.sdk.textmatch import EntityMatcher
from investigate.sdk.transport import HttpOptions

CHECK_PROBE = "investigate-check"
"""The value `check` puts in every placeholder: it names no record, so 404 is a fine answer."""
CHECK_TIMEOUT = 10.0

_LEVELS: dict[str, Level] = {
    "fatal": "critical",
    "critical": "critical",
    "crit": "critical",
    "emergency": "critical",
    "error": "error",
    "err": "error",
    "failed": "error",
    "warning": "warning",
    "warn": "warning",
    "info": "info",
    "notice": "info",
    "debug": "debug",
    "trace": "debug",
}


# --- shared by the HTTP JSON connectors (sentry uses it too) ---------------------------------


def _compile(expression: str) -> jmespath.parser.ParsedResult:
    try:
        return jmespath.compile(expression)
    except jmespath.exceptions.JMESPathError as exc:
        raise ValueError(f"invalid JMESPath {expression!r}: {exc}") from None


def _placeholders(template: str) -> list[str]:
    try:
        fields = [(f, s, c) for _, f, s, c in string.Formatter().parse(template) if f is not None]
    except ValueError as exc:
        raise ValueError(f"invalid template {template!r}: {exc}") from None
    if any(spec or conversion for _, spec, conversion in fields):
        raise ValueError(f"placeholders take no format spec or conversion in {template!r}")
    names = [f for f, _, _ in fields]
    unknown = sorted({n for n in names if n not in PARAMS})
    if unknown:
        raise ValueError(
            f"unknown placeholder(s) {', '.join('{' + n + '}' for n in unknown)} in {template!r}; "
            f"available: {', '.join(PARAMS)}"
        )
    return names


class FieldMap(Strict):
    """JMESPath expressions evaluated against each item."""

    title: str | None = None
    detail: str | None = None
    time: str | None = None
    url: str | None = None
    severity: str | None = None

    _jmespath = field_validator("*")(passes(_compile))


class HttpJsonConfig(ConnectorConfig, FieldMapping):
    url: str = Field(description="URL template, e.g. https://admin/api/accounts/{account_id}")
    params: dict[str, str] = Field(default_factory=dict)
    headers: dict[str, SecretStr] = Field(default_factory=dict)
    kind: EvidenceKind = "db_row"
    items: str = Field("@", description="JMESPath to the list of items in the body.")
    fields: FieldMap = Field(default_factory=FieldMap)
    time_field: str | None = Field(
        None, description="The item's time, a key or dotted path (fields.time, a JMESPath, wins)."
    )
    provides: Provides = Field(default_factory=dict)
    max_values: int = Field(5, ge=1, le=50)
    max_requests: int = Field(10, ge=1, le=100)
    max_items: int = Field(20, ge=1, le=500)
    max_response_bytes: int = Field(MAX_RESPONSE_BYTES, ge=1_000, le=100_000_000)
    concurrency: int = Field(4, ge=1, le=16)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        _placeholders(value)
        parts = urlsplit(value.replace("{", "").replace("}", ""))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"url must be an absolute http(s) URL (got {value!r})")
        head = re.match(r"^[^:]*://[^/?#]*", value)
        if head is None or "{" in head.group(0):
            raise ValueError(
                "placeholders may appear only in the path or the query, never in the scheme or host"
            )
        return value

    _params = field_validator("params")(passes(_placeholders))
    _expressions = field_validator("items", "provides")(passes(_compile))

    @model_validator(mode="after")
    def _register_secrets(self) -> HttpJsonConfig:
        for secret in self.headers.values():
            MASKER.add(secret)
        return self

    def placeholders(self) -> tuple[str, ...]:
        names = _placeholders(self.url) + [
            n for t in self.params.values() for n in _placeholders(t)
        ]
        return tuple(dict.fromkeys(names))


@dataclass
class _Outcome:
    binding: dict[str, str]
    response: JsonResponse | None = None
    error: SourceError | None = None


class HttpJson(Connector[HttpJsonConfig]):
    type_name = "http"
    config_model = HttpJsonConfig
    description = "A read-only JSON endpoint (internal admin API): URL template + field mapping"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._done: set[tuple[tuple[str, str], ...]] = set()
        self.label = f"http '{self.name}'"

    def provides(self) -> frozenset[str]:
        return frozenset(self.config.provides)

    def _options(self, deadline: float | None, timeout: float) -> HttpOptions:
        headers = {k: v.get_secret_value() for k, v in self.config.headers.items()}
        return HttpOptions(timeout=timeout, headers=headers, deadline=deadline)

    async def check(self) -> list[Check]:
        """One real read-only GET: the URL with every placeholder filled by a probe value that
        names no record (`investigate-check`), so a 2xx or a 404 both prove that the endpoint
        answers JSON and takes the credentials; 401/403, a refused connection or a non-JSON
        answer fail the check with the connector's own hint."""
        names = self.config.placeholders()
        parts = urlsplit(self.config.url)
        host = f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)
        per = f", one request per {', '.join(names)}" if names else ""
        timeout = self.config.timeout.total_seconds() if self.config.timeout else CHECK_TIMEOUT
        try:
            async with self.ctx.http(self._options(None, timeout)) as client:
                answer = await self._get(client, dict.fromkeys(names, CHECK_PROBE))
        except SourceError as exc:
            hint = f" ({exc.hint})" if exc.hint else ""
            return [Check("reachable", False, f"GET {host}{per}: {exc.message}{hint}")]
        what = "404, no record for the probe value" if answer.status == 404 else str(answer.status)
        return [Check("reachable", True, f"GET {host}{per}: answered {what}")]

    async def collect(self, query: Query) -> Collected:
        cfg = self.config
        if query.stage == "resolve" and not cfg.provides:
            return Collected()
        runs = [
            b
            for b in bindings(
                self.config.placeholders(), query.params(), cfg.max_values, cfg.max_requests
            )
            if _key(b) not in self._done
        ]
        out = Collected()
        runs = self._sendable(runs, out)
        if not runs:
            return out
        self._done.update(_key(b) for b in runs)
        timeout = request_timeout(cfg, query)
        async with self.ctx.http(self._options(query.deadline, timeout)) as client:
            outcomes = await self._fetch_all(client, runs)
        self._gather(outcomes, query, out)
        return out

    def _sendable(self, runs: list[dict[str, str]], out: Collected) -> list[dict[str, str]]:
        keep = []
        for binding in runs:
            dots = [v for v in binding.values() if v.strip(".") == ""]
            if dots:
                out.notes.append(f"{self.label}: skipped the value {dots[0]!r}: not an identifier")
            else:
                keep.append(binding)
        return keep

    async def _fetch_all(
        self, client: httpx2.AsyncClient, runs: list[dict[str, str]]
    ) -> list[_Outcome]:
        limit = asyncio.Semaphore(self.config.concurrency)

        async def one(binding: dict[str, str]) -> _Outcome:
            async with limit:
                try:
                    return _Outcome(binding, await self._get(client, binding))
                except SourceError as exc:
                    if getattr(exc, "http_status", None) in (401, 403):
                        raise  # the same for every value: say so once
                    return _Outcome(binding, error=exc)

        return list(await asyncio.gather(*(one(b) for b in runs)))

    async def _get(self, client: httpx2.AsyncClient, binding: dict[str, str]) -> JsonResponse:
        url = fill_url(self.config.url, binding)
        params = {k: v.format_map(binding) for k, v in self.config.params.items()}
        return await fetch_json(
            client,
            url,
            label=self.label,
            name=self.name,
            params=params or None,
            max_bytes=self.config.max_response_bytes,
            ok_statuses=frozenset({404}),
            hints={
                401: "check connectors.{name}.headers (e.g. Authorization)",
                403: "the credentials in connectors.{name}.headers lack permission for this read",
            },
        )

    def _gather(self, outcomes: list[_Outcome], query: Query, out: Collected) -> None:
        failures = [o.error for o in outcomes if o.error is not None]
        if failures and len(failures) == len(outcomes):
            raise failures[0]
        for failure in failures:
            out.notes.append(MASKER.mask(failure.message))
        matcher = EntityMatcher(query.entities.matchable())
        for outcome in outcomes:
            if outcome.response is None or outcome.response.body is None:
                continue
            items = self._items(outcome.response.body)
            for item in items[: self.config.max_items]:
                out.evidence.append(self._evidence(item, outcome, matcher))
                for param, expression in self.config.provides.items():
                    for value in _values(jmespath.search(expression, item)):
                        out.provides.setdefault(param, []).append(value)
            if len(items) > self.config.max_items:
                out.notes.append(
                    f"{self.label}: {len(items)} items for {outcome.binding}; kept {self.config.max_items}"
                )

    def _items(self, body: Any) -> list[dict[str, Any]]:
        found = jmespath.search(self.config.items, body)
        if found is None:
            return []
        listed = found if isinstance(found, list) else [found]
        return [i if isinstance(i, dict) else {"value": i} for i in listed]

    def _evidence(
        self, item: dict[str, Any], outcome: _Outcome, matcher: EntityMatcher
    ) -> Evidence:
        assert outcome.response is not None
        f = self.config.fields
        evidence = row_evidence(
            source=self.name,
            kind=self.config.kind,
            row=item,
            query=outcome.response.request,
            matcher=matcher,
            default_title=f"{self.name}: "
            + ", ".join(
                f"{k}={v}" for k, v in list(item.items())[:4] if not isinstance(v, dict | list)
            ),
            fields=self.config,
            time_field=self.config.time_field,
        )
        if f.title and (title := _text(jmespath.search(f.title, item))):
            evidence.title = title[:300]
        if f.detail and (detail := _text(jmespath.search(f.detail, item))):
            evidence.detail = detail[:2000]
        if f.time:
            evidence.timestamp = parse_time(jmespath.search(f.time, item))
        if f.url:
            link = _text(jmespath.search(f.url, item))
            evidence.url = link if link.startswith(("https://", "http://")) else None
        if f.severity:
            severity = _text(jmespath.search(f.severity, item)).strip().lower()
            evidence.level = _LEVELS.get(severity)
            evidence.attributes["severity"] = severity
        evidence.matched = sorted(
            set(evidence.matched) | {v.lower() for v in outcome.binding.values()}
        )
        evidence.attributes["request"] = outcome.binding
        return evidence


def fill_url(template: str, binding: Mapping[str, str]) -> str:
    """The template with every value percent-encoded (`quote(safe="")`): data, never syntax."""
    return template.format_map({k: quote(v, safe="") for k, v in binding.items()})


def _key(binding: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(binding.items()))


def _values(found: Any) -> list[str]:
    listed = found if isinstance(found, list) else [found]
    return [str(v) for v in listed if v not in (None, "") and not isinstance(v, dict | list)]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    return str(value)
