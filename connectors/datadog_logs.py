"""`datadog_logs`: Datadog Log Management events in the ticket's window.

    logs:
      type: datadog_logs
      site: datadoghq.eu                       # datadoghq.com (US1), us3/us5.datadoghq.com,
                                               # ap1/ap2.datadoghq.com, ddog-gov.com; or base_url
      api_key: ${DD_API_KEY}
      app_key: ${DD_APP_KEY}                   # needs the logs_read_data permission
      query: "service:api env:prod"            # trusted base filter, ANDed with every search
      # indexes: ["main"]
      # attributes: ["@usr.email", "@account_id"]   # also searched for the ticket's values

`POST /api/v2/logs/events/search` (allow-listed as a read-only POST), paged with `page.cursor`
from `meta.page.after`. Three searches: the window's logs that mention the ticket's entities
(free text `("acc_1042" OR "dana@acme.io")`, plus the configured attributes), the window's
error-level logs (`status:(error OR critical OR alert OR emergency)`), and the same error logs
over `baseline` before the window. Every value is a quoted Datadog sequence with `\\` and `"`
escaped (`querylang.datadog_phrase`), so it can neither end the phrase nor add an operator.
Evidence links open the Log Explorer on the same query and time range.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
from pydantic import Field, SecretStr, field_validator

from investigate.sdk import MASKER, SourceError
from investigate.sdk.contract import Check, Collected, Connector, Query
from investigate.sdk.patterns import account_keys
from investigate.sdk.querylang import QueryValueError, datadog_any, datadog_attr
from investigate.sdk.remote_logs import (
    Entry,
    Phase,
    RemoteLogsConfig,
    RemoteScan,
    bad_shape,
    baseline_of,
    drain,
    entity_values,
    epoch_ms,
    flatten,
    link,
    read_json,
)
from investigate.sdk.rows import parse_time
from investigate.sdk.transport import HttpOptions, ReadOnlyPost

SEARCH = "/api/v2/logs/events/search"
SITES = {
    "datadoghq.com": "datadoghq.com",
    "us1": "datadoghq.com",
    "us3.datadoghq.com": "us3.datadoghq.com",
    "us3": "us3.datadoghq.com",
    "us5.datadoghq.com": "us5.datadoghq.com",
    "us5": "us5.datadoghq.com",
    "datadoghq.eu": "datadoghq.eu",
    "eu": "datadoghq.eu",
    "eu1": "datadoghq.eu",
    "ap1.datadoghq.com": "ap1.datadoghq.com",
    "ap1": "ap1.datadoghq.com",
    "ap2.datadoghq.com": "ap2.datadoghq.com",
    "ap2": "ap2.datadoghq.com",
    "ddog-gov.com": "ddog-gov.com",
    "gov": "ddog-gov.com",
}
_HINTS = {
    401: "check connectors.{name}.api_key and the site (keys are per site)",
    403: "check connectors.{name}.app_key: it needs the logs_read_data permission on this site",
    404: "check connectors.{name}.site or base_url",
}


class DatadogLogsConfig(RemoteLogsConfig):
    base_url: str = Field("", description="Overrides site (proxies, tests).")
    site: str = "datadoghq.com"
    api_key: SecretStr
    app_key: SecretStr
    query: str = Field("", description="Base filter ANDed with every search (trusted config).")
    indexes: list[str] = Field(default_factory=lambda: ["*"], min_length=1)
    attributes: list[str] = Field(
        default_factory=list, description="Attributes also searched for the ticket's values."
    )
    error_statuses: list[str] = Field(
        default_factory=lambda: ["error", "critical", "alert", "emergency"], min_length=1
    )
    page_size: int = Field(1000, ge=1, le=1000)
    url_template: str | None = Field(
        None, description="Deep link; default: the Log Explorer on the site with the same query."
    )

    @field_validator("site")
    @classmethod
    def _site(cls, value: str) -> str:
        site = SITES.get(value.strip().lower())
        if site is None:
            raise ValueError(
                f"unknown Datadog site {value!r}; one of {sorted(set(SITES.values()))}"
            )
        return site

    @field_validator("attributes")
    @classmethod
    def _attributes(cls, value: list[str]) -> list[str]:
        for name in value:
            datadog_attr(name, ["x"])  # raises on a name that is not an attribute
        return value

    @property
    def root(self) -> str:
        return self.base_url or f"https://api.{self.site}"

    @property
    def explorer(self) -> str:
        return self.url_template or (
            f"https://app.{self.site}/logs?query={{query}}&from_ts={{start_ms}}&to_ts={{end_ms}}"
        )


class DatadogLogs(Connector[DatadogLogsConfig]):
    type_name = "datadog_logs"
    config_model = DatadogLogsConfig
    description = "Datadog Log Management events (logs search API), grouped into patterns"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        MASKER.add(self.config.api_key)
        MASKER.add(self.config.app_key)
        self.label = f"datadog_logs '{self.name}'"

    def _client(self, deadline: float | None, timeout: float) -> httpx2.AsyncClient:
        c = self.config
        return self.ctx.http(
            HttpOptions(
                base_url=c.root,
                timeout=timeout,
                headers={
                    "DD-API-KEY": c.api_key.get_secret_value(),
                    "DD-APPLICATION-KEY": c.app_key.get_secret_value(),
                    "Content-Type": "application/json",
                },
                deadline=deadline,
                read_only_posts=[ReadOnlyPost(SEARCH)],
            )
        )

    async def check(self) -> list[Check]:
        now = datetime.now(UTC)
        body = self.body("*", now - timedelta(minutes=5), now, 1)
        try:
            async with self._client(None, 10) as client:
                await self._search(client, body, 1_000_000)
        except SourceError as exc:
            return [Check("auth", False, exc.message + (f" ({exc.hint})" if exc.hint else ""))]
        return [Check("auth", True, f"keys can search logs on {self.config.site}")]

    def searches(self, query: Query) -> list[tuple[Phase, str]]:
        c = self.config
        base = c.query.strip()
        out: list[tuple[Phase, str]] = []
        values = entity_values(query, c.max_values)
        if values:
            try:
                parts = [datadog_any(values)[1:-1]]
                parts += [datadog_attr(a, values) for a in c.attributes]
                matches = "(" + " OR ".join(parts) + ")"
            except QueryValueError:
                matches = ""
            if matches:
                out.append(("matches", f"{base} {matches}".strip()))
        errors = "status:(" + " OR ".join(c.error_statuses) + ")"
        out.append(("errors", f"{base} {errors}".strip()))
        if baseline_of(c.baseline, query) and c.max_baseline_lines:
            out.append(("baseline", f"{base} {errors}".strip()))
        return out

    def body(self, text: str, start: datetime, end: datetime, size: int) -> dict[str, Any]:
        return {
            "filter": {
                "query": text,
                "from": str(epoch_ms(start)),
                "to": str(epoch_ms(end)),
                "indexes": list(self.config.indexes),
            },
            "sort": "-timestamp",
            "page": {"limit": size},
        }

    async def collect(self, query: Query) -> Collected:
        if query.stage == "resolve":
            return Collected()
        c = self.config
        scan = RemoteScan(query, c.limits(), account_keys(c.account_field))
        window = query.window
        sent: list[str] = []
        async with self._client(query.deadline, c.request_timeout(query)) as client:
            for phase, text in self.searches(query):
                if phase == "baseline":
                    start, end = window.start - baseline_of(c.baseline, query), window.start
                else:
                    start, end = window.start, window.end + timedelta(milliseconds=1)
                sent.append(text)
                if not await drain(
                    scan, phase, self._pages(client, scan, self.body(text, start, end, c.page_size))
                ):
                    break
        request = f"POST {c.root}{SEARCH} filter.query=" + " ; ".join(sent)
        url = link(c.explorer, sent[0], window.start, window.end)
        return scan.collected(self.name, request, url=url)

    async def _search(self, client: httpx2.AsyncClient, body: dict[str, Any], cap: int) -> Any:
        reply = await read_json(
            client,
            "POST",
            SEARCH,
            label=self.label,
            name=self.name,
            body=body,
            max_bytes=cap,
            hints=_HINTS,
        )
        if not isinstance(reply.body, dict) or not isinstance(reply.body.get("data"), list):
            raise bad_shape(self.label, reply.sent, "no data list")
        return reply.body

    async def _pages(
        self, client: httpx2.AsyncClient, scan: RemoteScan, body: dict[str, Any]
    ) -> AsyncGenerator[list[Entry], None]:
        c = self.config
        for _ in range(c.max_pages):
            reply = await self._search(client, body, c.max_response_bytes)
            yield [e for e in (self._entry(item) for item in reply["data"]) if e is not None]
            meta = _object(reply.get("meta"))
            page = _object(meta.get("page"))
            cursor = page.get("after")
            for warning in meta.get("warnings") or []:
                if isinstance(warning, dict) and warning.get("title"):
                    scan.note(f"{self.name}: Datadog warned: {str(warning['title'])[:200]}")
            if not isinstance(cursor, str) or not cursor or not reply["data"]:
                return
            body["page"] = {**body["page"], "cursor": cursor}
        scan.note(f"{self.name}: stopped after {c.max_pages} pages of one search")

    def _entry(self, item: Any) -> Entry | None:
        if not isinstance(item, dict) or not isinstance(item.get("attributes"), dict):
            return None
        a: dict[str, Any] = item["attributes"]
        ts = parse_time(a.get("timestamp"))
        if ts is None:
            return None
        fields = flatten(_object(a.get("attributes")))
        if a.get("host"):
            fields.setdefault("host", a["host"])
        return Entry(
            ts,
            str(a.get("message") or ""),
            str(a["status"]) if a.get("status") else None,
            str(a["service"]) if a.get("service") else None,
            fields,
            key=item.get("id") or None,
        )


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
