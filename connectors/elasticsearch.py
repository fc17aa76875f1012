"""`elasticsearch`: Elasticsearch or OpenSearch log documents in the ticket's window.

    logs:
      type: elasticsearch
      base_url: https://es.internal:9200
      index: "logs-*"                          # index, alias, data stream or pattern (a,b too)
      api_key: ${ES_API_KEY}                   # Authorization: ApiKey …  (or username/password)
      # fields: {timestamp: "@timestamp", message: message, level: log.level,
      #          service: service.name}
      # match_fields: [message]                # searched for the ticket's values (phrases)
      # term_fields: [user.email, labels.account_id]   # exact keyword matches too
      # tiebreaker: event.sequence             # a unique sortable field, for exact paging
      # filters: [{term: {service.environment: production}}]   # trusted extra filters
      # url_template: "https://kibana.internal/app/discover#/?_g=(time:(from:'{start}',to:'{end}'))"

`POST /{index}/_search` (allow-listed as a read-only POST) with a query built as JSON — a `bool`
filter on the time range and `multi_match` phrase / `term` clauses whose values are JSON strings,
never a `query_string` assembled from ticket text. Three searches, as for the other log
connectors: the window's documents that mention the ticket's entities, the window's error-level
documents (`terms` on the level field) and the same error documents over `baseline` before the
window. Paging: `search_after` on `[timestamp, tiebreaker]` when a tiebreaker field is set;
without one, the next page asks again from the oldest timestamp seen (inclusive) and drops the
documents already read (by `_index` + `_id`), so equal timestamps on a page boundary are neither
lost nor counted twice.
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx2
from pydantic import Field, SecretStr, field_validator, model_validator

from investigate.sdk import Strict
from investigate.sdk import remote_logs as rl
from investigate.sdk.fieldchecks import each, one
from investigate.sdk.rows import parse_time
from investigate.sdk.transport import HttpOptions, ReadOnlyPost

_INDEX = re.compile(r"^(?![_.+-])[A-Za-z0-9._*:+-]{1,255}(?:,(?![_.+-])[A-Za-z0-9._*:+-]{1,255})*$")
_FIELD = re.compile(r"^[A-Za-z_@][A-Za-z0-9_@.\-]{0,199}$")
_HINTS = {
    401: "check connectors.{name}.api_key (or username/password)",
    403: "the credentials in connectors.{name}.api_key (or username/password) need the read "
    "privilege on the index",
    404: "check connectors.{name}.index (no such index) and base_url",
}
_ERROR_LEVELS = ["error", "ERROR", "Error", "err", "ERR", "fatal", "FATAL", "critical",
                 "CRITICAL", "crit", "emerg", "alert", "panic"]  # fmt: skip


class EsFields(Strict):
    timestamp: str = "@timestamp"
    message: str = "message"
    level: str = "log.level"
    service: str = "service.name"

    _field = field_validator("*")(one(_FIELD.match, "not a field name: {!r}"))


class ElasticsearchConfig(rl.RemoteLogsConfig):
    index: str = Field(description="Index, alias, data stream or pattern; a,b for several.")
    api_key: SecretStr | None = Field(None, description="Sent as Authorization: ApiKey <key>.")
    username: str | None = None
    password: SecretStr | None = None
    fields: EsFields = Field(default_factory=EsFields)
    match_fields: list[str] = Field(default_factory=lambda: ["message"], min_length=1)
    term_fields: list[str] = Field(default_factory=list)
    tiebreaker: str | None = Field(None, description="A unique, sortable field for paging.")
    error_levels: list[str] = Field(default_factory=lambda: list(_ERROR_LEVELS), min_length=1)
    filters: list[dict[str, Any]] = Field(
        default_factory=list, description="Extra bool filter clauses (trusted config)."
    )
    page_size: int = Field(1000, ge=1, le=10_000)

    @field_validator("index")
    @classmethod
    def _index(cls, value: str) -> str:
        if not _INDEX.match(value) or any(p in ("*", "_all") for p in value.split(",")):
            raise ValueError(
                "index must name indices or patterns (letters, digits, . _ - * :, comma-separated), "
                "not '*' or '_all'"
            )
        return value

    _fields = field_validator("match_fields", "term_fields")(
        each(_FIELD.match, "not a field name: {!r}")
    )
    _tiebreaker = field_validator("tiebreaker")(one(_FIELD.match, "not a field name: {!r}"))

    @model_validator(mode="after")
    def _auth(self) -> ElasticsearchConfig:
        both = "use either api_key or username/password, not both"
        rl.basic_auth_alone(self.username, self.password, self.api_key, both)
        return self


def dig(source: Mapping[str, Any], path: str) -> Any:
    """`a.b.c` from nested objects, or from a flattened `"a.b.c"` key."""
    if path in source:
        return source[path]
    node: Any = source
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


class Elasticsearch(rl.RemoteLogConnector[ElasticsearchConfig]):
    type_name = "elasticsearch"
    config_model = ElasticsearchConfig
    description = "Elasticsearch / OpenSearch log documents (_search), grouped into patterns"
    read_only_posts = (ReadOnlyPost("/*/_search"),)
    baseline_gap = timedelta(milliseconds=1)
    vendor_hints = _HINTS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.path = f"/{quote(self.config.index, safe='*,:+')}/_search"
        self._shard_failures = False

    def options(self) -> HttpOptions:
        c = self.config
        headers = {"Content-Type": "application/json"}
        if c.api_key is not None:
            headers["Authorization"] = f"ApiKey {c.api_key.get_secret_value()}"
        auth = (c.username, c.password.get_secret_value()) if c.username and c.password else None
        return HttpOptions(headers=headers, auth=auth)

    async def probe(self, client: httpx2.AsyncClient) -> None:
        await self._search(client, {"size": 0, "query": {"match_all": {}}}, 1_000_000)

    def probe_ok(self) -> str:
        return f"can search {self.config.index}"

    # a search: (filter clauses, extra bool keys)
    def match_search(self, values: list[str]) -> tuple[list[Any], dict[str, Any]]:
        c = self.config
        should: list[dict[str, Any]] = [
            {
                "multi_match": {
                    "query": v,
                    "type": "phrase",
                    "fields": c.match_fields,
                    "lenient": True,
                }
            }
            for v in values
        ]
        should += [{"terms": {f: values}} for f in c.term_fields]
        return [], {"should": should, "minimum_should_match": 1}

    def error_search(self) -> tuple[list[Any], dict[str, Any]]:
        return [{"terms": {self.config.fields.level: self.config.error_levels}}], {}

    def prepare(self, search: Any, start: datetime, end: datetime) -> tuple[str, Any]:
        filters, extra = search
        body = self.body(filters, extra, start, end, self.config.page_size)
        return _compact(body), body

    def request_text(self, sent: list[str]) -> str:
        return f"POST {self.config.base_url}{self.path} {sent[0]}"

    def body(
        self,
        filters: list[dict[str, Any]],
        extra: Mapping[str, Any],
        start: datetime,
        end: datetime,
        size: int,
    ) -> dict[str, Any]:
        c = self.config
        ts = c.fields.timestamp
        time_range = {
            "range": {
                ts: {"gte": rl.epoch_ms(start), "lte": rl.epoch_ms(end), "format": "epoch_millis"}
            }
        }
        sort: list[dict[str, Any]] = [{ts: {"order": "desc"}}]
        if c.tiebreaker:
            sort.append({c.tiebreaker: {"order": "desc"}})
        return {
            "size": size,
            "track_total_hits": False,
            "sort": sort,
            "query": {"bool": {"filter": [time_range, *c.filters, *filters], **extra}},
        }

    async def _search(self, client: httpx2.AsyncClient, body: dict[str, Any], cap: int) -> Any:
        reply = await self.read_json(client, "POST", self.path, body=body, max_bytes=cap)
        hits = reply.body.get("hits") if isinstance(reply.body, dict) else None
        if not isinstance(hits, dict) or not isinstance(hits.get("hits"), list):
            raise rl.bad_shape(self.label, reply.sent, "no hits.hits list")
        if isinstance(reply.body.get("_shards"), dict) and reply.body["_shards"].get("failed"):
            self._shard_failures = True
        return hits["hits"]

    async def pages(
        self, client: httpx2.AsyncClient, scan: rl.RemoteScan, body: dict[str, Any]
    ) -> AsyncGenerator[list[rl.Entry], None]:
        c = self.config
        self._shard_failures = False
        ts_range = body["query"]["bool"]["filter"][0]["range"][c.fields.timestamp]
        for _ in range(c.max_pages):
            hits = await self._search(client, body, c.max_response_bytes)
            entries = [e for e in (self._entry(h) for h in hits) if e is not None]
            yield entries
            if len(hits) < body["size"]:
                break
            last = hits[-1].get("sort")
            if not isinstance(last, list) or not last:
                raise rl.bad_shape(self.label, f"POST {self.path}", "hits carry no sort values")
            if c.tiebreaker:
                body["search_after"] = last
            elif ts_range["lte"] == last[0]:  # a whole page at one timestamp: skip past it
                scan.note(f"{self.name}: more than {body['size']} documents share one timestamp")
                ts_range["lte"] = last[0] - 1
            else:
                ts_range["lte"] = last[0]  # inclusive: re-read the boundary, drop what was seen
        else:
            scan.note(f"{self.name}: stopped after {c.max_pages} pages of one search")
        if self._shard_failures:
            scan.note(f"{self.name}: some shards failed; results may be incomplete")

    def _entry(self, hit: Any) -> rl.Entry | None:
        if not isinstance(hit, dict) or not isinstance(hit.get("_source"), dict):
            return None
        f = self.config.fields
        source: dict[str, Any] = hit["_source"]
        ts = parse_time(dig(source, f.timestamp))
        if ts is None:
            return None
        message = dig(source, f.message)
        level, service = dig(source, f.level), dig(source, f.service)
        skip = {f.timestamp, f.message, f.level, f.service}
        fields = {k: v for k, v in rl.flatten(source).items() if k not in skip}
        return rl.Entry(
            ts,
            str(message) if message is not None else "",
            str(level) if level is not None else None,
            str(service) if service is not None else None,
            fields,
            key=(hit.get("_index"), hit.get("_id")),
        )


def _compact(body: Mapping[str, Any]) -> str:
    import json

    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)
