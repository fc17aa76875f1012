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

from investigate.sdk import remote_logs as rl
from investigate.sdk.querylang import QueryValueError, datadog_any, datadog_attr
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


class DatadogLogsConfig(rl.RemoteLogsConfig):
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
    def link_template(self) -> str:
        return self.url_template or (
            f"https://app.{self.site}/logs?query={{query}}&from_ts={{start_ms}}&to_ts={{end_ms}}"
        )


class DatadogLogs(rl.RemoteLogConnector[DatadogLogsConfig]):
    type_name = "datadog_logs"
    config_model = DatadogLogsConfig
    description = "Datadog Log Management events (logs search API), grouped into patterns"
    read_only_posts = (ReadOnlyPost(SEARCH),)
    window_pad = timedelta(milliseconds=1)
    vendor_hints = _HINTS

    def options(self) -> HttpOptions:
        c = self.config
        headers = {
            "DD-API-KEY": c.api_key.get_secret_value(),
            "DD-APPLICATION-KEY": c.app_key.get_secret_value(),
            "Content-Type": "application/json",
        }
        return HttpOptions(headers=headers)

    async def probe(self, client: httpx2.AsyncClient) -> None:
        now = datetime.now(UTC)
        await self._search(client, self.body("*", now - timedelta(minutes=5), now, 1), 1_000_000)

    def probe_ok(self) -> str:
        return f"keys can search logs on {self.config.site}"

    def match_search(self, values: list[str]) -> str | None:
        try:
            parts = [datadog_any(values)[1:-1]]
            parts += [datadog_attr(a, values) for a in self.config.attributes]
        except QueryValueError:
            return None
        return f"{self.config.query.strip()} ({' OR '.join(parts)})".strip()

    def error_search(self) -> str:
        errors = "status:(" + " OR ".join(self.config.error_statuses) + ")"
        return f"{self.config.query.strip()} {errors}".strip()

    def prepare(self, search: Any, start: datetime, end: datetime) -> tuple[str, Any]:
        return search, self.body(search, start, end, self.config.page_size)

    def request_text(self, sent: list[str]) -> str:
        return f"POST {self.config.root}{SEARCH} filter.query=" + " ; ".join(sent)

    def body(self, text: str, start: datetime, end: datetime, size: int) -> dict[str, Any]:
        return {
            "filter": {
                "query": text,
                "from": str(rl.epoch_ms(start)),
                "to": str(rl.epoch_ms(end)),
                "indexes": list(self.config.indexes),
            },
            "sort": "-timestamp",
            "page": {"limit": size},
        }

    async def _search(self, client: httpx2.AsyncClient, body: dict[str, Any], cap: int) -> Any:
        reply = await self.read_json(client, "POST", SEARCH, body=body, max_bytes=cap)
        if not isinstance(reply.body, dict) or not isinstance(reply.body.get("data"), list):
            raise rl.bad_shape(self.label, reply.sent, "no data list")
        return reply.body

    async def pages(
        self, client: httpx2.AsyncClient, scan: rl.RemoteScan, body: dict[str, Any]
    ) -> AsyncGenerator[list[rl.Entry], None]:
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

    def _entry(self, item: Any) -> rl.Entry | None:
        if not isinstance(item, dict) or not isinstance(item.get("attributes"), dict):
            return None
        a: dict[str, Any] = item["attributes"]
        ts = parse_time(a.get("timestamp"))
        if ts is None:
            return None
        fields = rl.flatten(_object(a.get("attributes")))
        if a.get("host"):
            fields.setdefault("host", a["host"])
        return rl.Entry(
            ts,
            str(a.get("message") or ""),
            str(a["status"]) if a.get("status") else None,
            str(a["service"]) if a.get("service") else None,
            fields,
            key=item.get("id") or None,
        )


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
