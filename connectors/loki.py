"""`loki`: Grafana Loki (self-hosted or Grafana Cloud) log lines in the ticket's window.

    logs:
      type: loki
      base_url: http://loki:3100                 # Grafana Cloud: https://logs-prod-….grafana.net
      selector: '{app="api", env="prod"}'        # stream selector (trusted config)
      # tenant: acme                             # X-Scope-OrgID (multi-tenant Loki)
      # username: "123456"                       # basic auth (Grafana Cloud: the instance ID)
      # password: ${GRAFANA_CLOUD_TOKEN}
      # error_filter: '| detected_level=~"error|critical|fatal"'   # default: a line regex
      # url_template: "https://grafana.acme.io/explore?left=…{query}…"

Three `GET /loki/api/v1/query_range` queries, each paged backward by timestamp: the window's
lines that mention the ticket's entities (`{selector} |~ "(?i)(?:acc_1042|dana@x\\.io)"`, every
value RE2-escaped and then quoted as a LogQL string literal, so it can neither widen the selector
nor add a stage), the window's error-level lines (`{selector} <error_filter>`), and the same
error lines over `baseline` before the window, so new patterns stand out. A page that comes back
full moves `end` to its oldest timestamp + 1 ns; lines seen twice at the boundary are dropped.
When the server answers that `limit` is above its `max_entries_limit_per_query`, the page size
drops to the server's limit and the page is asked again.
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
from pydantic import Field, SecretStr, field_validator, model_validator

from investigate.sdk import MASKER, SourceError
from investigate.sdk import remote_logs as rl
from investigate.sdk.querylang import logql_regex_filter
from investigate.sdk.transport import HttpOptions

QUERY_RANGE = "/loki/api/v1/query_range"
_STRING = r'"(?:[^"\\\n]|\\.)*"|`[^`]*`'
_MATCHER = rf"\s*[A-Za-z_][A-Za-z0-9_]*\s*(?:=~|!~|!=|=)\s*(?:{_STRING})\s*"
_SELECTOR = re.compile(rf"^\{{{_MATCHER}(?:,{_MATCHER})*,?\s*\}}$")
_ENTRY_LIMIT = re.compile(r"max_entries_limit_per_query\D*\((\d+)\s*>\s*(\d+)\)")
_HINTS = {
    401: "check connectors.{name}.password (or bearer_token), and tenant",
    403: "the credentials in connectors.{name}.password (or bearer_token) lack permission to "
    "read logs",
}
DEFAULT_ERROR_FILTER = '|~ "(?i)\\\\b(?:' + "|".join(rl.ERROR_WORDS) + '|exception|traceback)\\\\b"'


class LokiConfig(rl.RemoteLogsConfig):
    selector: str = Field(description='Stream selector, e.g. {app="api"} (trusted config).')
    error_filter: str = Field(
        DEFAULT_ERROR_FILTER, description="LogQL stages that keep error-level lines."
    )
    tenant: str | None = Field(None, description="X-Scope-OrgID for multi-tenant Loki.")
    username: str | None = None
    password: SecretStr | None = None
    bearer_token: SecretStr | None = None
    page_size: int = Field(1000, ge=1, le=5000)
    service_labels: list[str] = Field(
        default_factory=lambda: ["service_name", "service", "app", "job", "container"]
    )
    level_labels: list[str] = Field(
        default_factory=lambda: ["level", "detected_level", "severity", "lvl"]
    )

    @field_validator("selector")
    @classmethod
    def _selector(cls, value: str) -> str:
        if not _SELECTOR.match(value.strip()):
            raise ValueError(
                'selector must be a LogQL stream selector only, e.g. {app="api", env="prod"}'
            )
        return value.strip()

    @field_validator("error_filter")
    @classmethod
    def _filter(cls, value: str) -> str:
        text = value.strip()
        if not text.startswith(("|", "!=", "!~")):
            raise ValueError('error_filter must be LogQL pipeline stages, e.g. |= "ERROR"')
        return text

    @model_validator(mode="after")
    def _auth(self) -> LokiConfig:
        both = "use either username/password or bearer_token, not both"
        rl.basic_auth_alone(self.username, self.password, self.bearer_token, both)
        return self


def _ns(value: datetime) -> int:
    delta = value - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000


def _from_ns(ns: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=ns // 1000)


class Loki(rl.RemoteLogConnector[LokiConfig]):
    type_name = "loki"
    config_model = LokiConfig
    description = "Grafana Loki log lines (LogQL query_range), grouped into patterns"
    vendor_hints = _HINTS

    def options(self) -> HttpOptions:
        c = self.config
        headers = {"X-Scope-OrgID": c.tenant} if c.tenant else {}
        if c.bearer_token is not None:
            headers["Authorization"] = f"Bearer {c.bearer_token.get_secret_value()}"
        auth = (c.username, c.password.get_secret_value()) if c.username and c.password else None
        return HttpOptions(headers=headers, auth=auth)

    async def probe(self, client: httpx2.AsyncClient) -> None:
        await self.read_json(client, "GET", "/loki/api/v1/labels", max_bytes=1_000_000)

    def probe_ok(self) -> str:
        return f"can read labels from {self.config.base_url}"

    def match_search(self, values: list[str]) -> str:
        return f"{self.config.selector} {logql_regex_filter(values)}"

    def error_search(self) -> str:
        return f"{self.config.selector} {self.config.error_filter}"

    def prepare(self, search: Any, start: datetime, end: datetime) -> tuple[str, Any]:
        return search, (search, _ns(start), _ns(end) + 1)

    def pages(
        self, client: httpx2.AsyncClient, scan: rl.RemoteScan, payload: Any
    ) -> AsyncGenerator[list[rl.Entry], None]:
        return self._pages(client, scan, *payload)

    def request_text(self, sent: list[str]) -> str:
        return f"GET {self.config.base_url}{QUERY_RANGE} " + " ; ".join(sent)

    async def _pages(
        self, client: httpx2.AsyncClient, scan: rl.RemoteScan, logql: str, start: int, end: int
    ) -> AsyncGenerator[list[rl.Entry], None]:
        c = self.config
        limit = c.page_size
        pages = 0
        while pages < c.max_pages and end > start:
            params = {
                "query": logql,
                "start": str(start),
                "end": str(end),
                "limit": str(limit),
                "direction": "backward",
            }
            reply = await self.read_json(
                client,
                "GET",
                QUERY_RANGE,
                params=params,
                max_bytes=c.max_response_bytes,
                passthrough=frozenset({400}),
            )
            if reply.status == 400:
                lower = self._server_limit(reply.text)
                if lower is not None and lower < limit:
                    scan.note(
                        f"{self.name}: the server caps a query at {lower} lines; paging by that"
                    )
                    limit = lower
                    continue
                raise SourceError(
                    f"{self.label}: Loki rejected the query: {MASKER.mask(' '.join(reply.text.split()))[:200]}",
                    hint=f"check connectors.{self.name}.selector and error_filter",
                )
            pages += 1
            entries, oldest = self._entries(reply.body, reply.sent)
            yield entries
            if len(entries) < limit or oldest is None:
                return
            if oldest + 1 < end:
                end = (
                    oldest + 1
                )  # end is exclusive: the oldest second is asked again, de-duplicated
            else:  # a whole page at one nanosecond: skip past it
                scan.note(
                    f"{self.name}: more than {limit} lines share one timestamp; some were skipped"
                )
                end = oldest
        if pages >= c.max_pages:
            scan.note(f"{self.name}: stopped after {c.max_pages} pages of one query")

    @staticmethod
    def _server_limit(text: str) -> int | None:
        match = _ENTRY_LIMIT.search(text)
        return int(match.group(2)) if match and int(match.group(2)) > 0 else None

    def _entries(self, body: Any, sent: str) -> tuple[list[rl.Entry], int | None]:
        if not isinstance(body, dict) or body.get("status") != "success":
            raise rl.bad_shape(self.label, sent, "no status: success")
        data = body.get("data")
        if not isinstance(data, dict) or data.get("resultType") != "streams":
            kind = data.get("resultType") if isinstance(data, dict) else None
            raise rl.bad_shape(self.label, sent, f"resultType {kind!r}, expected 'streams'")
        result = data.get("result")
        if not isinstance(result, list):
            raise rl.bad_shape(self.label, sent, "data.result is not a list")
        entries: list[rl.Entry] = []
        oldest: int | None = None
        for stream in result:
            if not isinstance(stream, dict) or not isinstance(stream.get("values"), list):
                continue
            raw_labels = stream.get("stream")
            labels = (
                {str(k): str(v) for k, v in raw_labels.items()}
                if isinstance(raw_labels, dict)
                else {}
            )
            level = next((labels[k] for k in self.config.level_labels if labels.get(k)), None)
            service = next((labels[k] for k in self.config.service_labels if labels.get(k)), None)
            identity = hash(tuple(sorted(labels.items())))
            for value in stream["values"]:
                if not isinstance(value, list) or len(value) < 2:
                    continue
                try:
                    ns = int(value[0])
                except (TypeError, ValueError):
                    continue
                line = str(value[1])
                oldest = ns if oldest is None else min(oldest, ns)
                entries.append(
                    rl.Entry(
                        _from_ns(ns),
                        line,
                        level,
                        service,
                        labels,
                        key=(ns, identity, hash(line)),
                    )
                )
        return entries, oldest
