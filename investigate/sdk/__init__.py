"""`investigate.sdk`: the one module a connector imports.

    from investigate.sdk import Bearer, Collected, HttpConfig, HttpConnector, Query, Session

A connector is one class registered under the entry-point group `ENTRY_POINT_GROUP`
(`investigate.connectors.v1`) in its package's `pyproject.toml`:

    [project.entry-points."investigate.connectors.v1"]
    opsgenie = "investigate_connectors.opsgenie:Opsgenie"

Versioning: `SDK_VERSION` is the major version of this API and the `v<N>` at the end of the
entry-point group. Names here are added, never removed or changed incompatibly, within a major
version; an incompatible change bumps both, so a connector built for `v1` is simply not loaded
by a core that looks up `v2` (instead of loading and then failing).

What is here (each part has its own module; everything is re-exported below):

- the contract (`investigate.connector`): `Connector`, `ConnectorConfig`, `Query`, `Collected`,
  `Check`, the `TicketSource` / `TicketSearch` capabilities, and the models `Evidence`,
  `Ticket`, `Entities`, `Window`; errors `SourceError`, `SourceTimeout`;
- `investigate.sdk.http`: `HttpConnector` (client, auth, timeouts against the deadline, capped
  JSON/text reads, paging, error hints, a default `check()`), `HttpConfig`, the auth kinds
  `Bearer` / `Basic` / `HeaderKey` / `NoAuth`, paging `OffsetPaging` / `PagePaging` /
  `CursorPaging` / `LinkPaging` (`items_at` reads a page's list), and the `Resolver` capability (identity resolution);
- `investigate.sdk.evidence`: `one_line`, `web_link`, `str_map`, `alert_state`, `matched`, `time_of`,
  `overlaps`, `epoch_ms`, `lucene_phrase`; rows and times from `investigate.rows`;
- query-language literals from `investigate.querylang` (LogQL, PromQL, RE2, Datadog,
  CloudWatch): a ticket's words go into a query only through these;
- text from markup: `html_to_text` (`investigate.html_text`), `adf_to_text` (`investigate.adf`);
- `investigate.sdk.testing`: the contract suite every HTTP connector runs against its fake;
- what vendor connectors share, so that no connector imports another (import these from their
  submodules): `investigate.sdk.alerts` (alert and incident evidence), `.helpdesk` (helpdesk
  ticket plumbing), `.trackers` (bug-tracker issues).
"""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator, model_validator

from investigate.adf import adf_to_text
from investigate.connector import (
    ENTRY_POINT_GROUP,
    Check,
    Collected,
    Connector,
    ConnectorConfig,
    HttpConnectorConfig,
    Query,
    TicketSearch,
    TicketSource,
)
from investigate.errors import ReadOnlyViolation, SourceError, SourceTimeout
from investigate.fieldmap import STATE_VALUES
from investigate.html_text import html_to_text, looks_like_html
from investigate.http import ReadOnlyPost
from investigate.jsonapi import MAX_RESPONSE_BYTES, JsonResponse
from investigate.models import Entities, Evidence, EvidenceKind, Level, Ticket, Window
from investigate.querylang import (
    QueryValueError,
    cloudwatch_any,
    cloudwatch_term,
    datadog_any,
    datadog_attr,
    datadog_phrase,
    logql_contains,
    logql_regex_filter,
    logql_string,
    promql_regex,
    promql_string,
    re2_escape,
)
from investigate.rows import detail_pairs, epoch_time, parse_time, render_template, row_evidence
from investigate.sdk.evidence import (
    alert_state,
    entity_matcher,
    epoch_ms,
    lucene_phrase,
    matched,
    one_line,
    overlaps,
    str_map,
    time_of,
    web_link,
)
from investigate.sdk.http import (
    Auth,
    Basic,
    Bearer,
    CursorPaging,
    HeaderKey,
    HttpConfig,
    HttpConnector,
    LinkPaging,
    NoAuth,
    OffsetPaging,
    PagePaging,
    Pages,
    Paging,
    Params,
    Resolver,
    Session,
    items_at,
    link_header_next,
)

SDK_VERSION = 1
"""The major version of this API; the entry-point group is `investigate.connectors.v<SDK_VERSION>`."""

__all__ = [
    "ENTRY_POINT_GROUP",
    "MAX_RESPONSE_BYTES",
    "SDK_VERSION",
    "STATE_VALUES",
    "Auth",
    "Basic",
    "Bearer",
    "Check",
    "Collected",
    "Connector",
    "ConnectorConfig",
    "CursorPaging",
    "Entities",
    "Evidence",
    "EvidenceKind",
    "Field",
    "HeaderKey",
    "HttpConfig",
    "HttpConnector",
    "HttpConnectorConfig",
    "JsonResponse",
    "Level",
    "LinkPaging",
    "NoAuth",
    "OffsetPaging",
    "PagePaging",
    "Pages",
    "Paging",
    "Params",
    "Query",
    "QueryValueError",
    "ReadOnlyPost",
    "ReadOnlyViolation",
    "Resolver",
    "SecretStr",
    "Session",
    "SourceError",
    "SourceTimeout",
    "Ticket",
    "TicketSearch",
    "TicketSource",
    "Window",
    "adf_to_text",
    "alert_state",
    "cloudwatch_any",
    "cloudwatch_term",
    "datadog_any",
    "datadog_attr",
    "datadog_phrase",
    "detail_pairs",
    "entity_matcher",
    "epoch_ms",
    "epoch_time",
    "field_validator",
    "html_to_text",
    "items_at",
    "link_header_next",
    "logql_contains",
    "logql_regex_filter",
    "logql_string",
    "looks_like_html",
    "lucene_phrase",
    "matched",
    "model_validator",
    "one_line",
    "overlaps",
    "parse_time",
    "promql_regex",
    "promql_string",
    "re2_escape",
    "render_template",
    "row_evidence",
    "str_map",
    "time_of",
    "web_link",
]
