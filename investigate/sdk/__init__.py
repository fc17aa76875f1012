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

What is here (each part has its own module; everything is re-exported below, lazily: a name's
module is imported when the name is first used, so `import investigate.sdk.rows` does not load
the HTTP stack):

- the spine's foundation a connector needs: config field types (`Duration`, `Strict`,
  `ConfigPath`, `SAFE_LOADER`), the errors, the models, `MASKER` (secrets never printed) and
  `in_thread`;
- the contract (`investigate.sdk.contract`): `Connector`, `ConnectorConfig`, `Query`, `Collected`,
  `Check`, the `TicketSource` / `TicketSearch` capabilities, and the models `Evidence`,
  `Ticket`, `Entities`, `Window`; errors `SourceError`, `SourceTimeout`;
- `investigate.sdk.http`: `HttpConnector` (client, auth, timeouts against the deadline, capped
  JSON/text reads, paging, error hints, a default `check()`), `HttpConfig`, the auth kinds
  `Bearer` / `Basic` / `HeaderKey` / `NoAuth`, paging `OffsetPaging` / `PagePaging` /
  `CursorPaging` / `LinkPaging` (`items_at` reads a page's list), and the `Resolver` capability (identity resolution);
- `investigate.sdk.evidence`: `one_line`, `web_link`, `str_map`, `alert_state`, `matched`, `time_of`,
  `overlaps`, `epoch_ms`, `lucene_phrase`; rows and times from `investigate.sdk.rows`;
- query-language literals from `investigate.sdk.querylang` (LogQL, PromQL, RE2, Datadog,
  CloudWatch): a ticket's words go into a query only through these;
- text from markup: `html_to_text` (`investigate.sdk.html_text`), `adf_to_text` (`investigate.sdk.adf`);
- `investigate.sdk.testing`: the contract suite every HTTP connector runs against its fake;
- what vendor connectors share, so that no connector imports another (import these from their
  submodules): `investigate.sdk.alerts` (alert and incident evidence), `.helpdesk` (helpdesk
  ticket plumbing), `.trackers` (bug-tracker issues).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import (
        Field,
        SecretStr,
        field_validator,
        model_validator,
    )

    from investigate.config import (
        SAFE_LOADER,
        ConfigPath,
        Duration,
        Strict,
    )
    from investigate.errors import (
        ConfigError,
        ReadOnlyViolation,
        SourceError,
        SourceTimeout,
        TicketNotFound,
        TicketSourceError,
        UsageError,
    )
    from investigate.models import (
        PARAMS,
        Comment,
        Entities,
        Evidence,
        EvidenceKind,
        Level,
        Organization,
        Person,
        Ticket,
        Window,
    )
    from investigate.sdk.adf import (
        adf_to_text,
    )
    from investigate.sdk.contract import (
        ENTRY_POINT_GROUP,
        Check,
        Collected,
        Connector,
        ConnectorConfig,
        HttpConnectorConfig,
        Provides,
        Query,
        TicketSearch,
        TicketSource,
        gather_parts,
    )
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
    from investigate.sdk.fieldmap import (
        STATE_VALUES,
    )
    from investigate.sdk.html_text import (
        html_to_text,
        looks_like_html,
    )
    from investigate.sdk.http import (
        Auth,
        Basic,
        Bearer,
        CursorPaging,
        Either,
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
        either,
        items_at,
        link_header_next,
    )
    from investigate.sdk.jsonapi import (
        MAX_RESPONSE_BYTES,
        JsonResponse,
    )
    from investigate.sdk.querylang import (
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
    from investigate.sdk.rows import (
        detail_pairs,
        epoch_time,
        parse_time,
        render_template,
        row_evidence,
    )
    from investigate.sdk.transport import (
        ReadOnlyPost,
    )
    from investigate.secrets import (
        MASKER,
    )
    from investigate.threads import (
        in_thread,
    )

SDK_VERSION = 1
"""The major version of this API; the entry-point group is `investigate.connectors.v<SDK_VERSION>`."""

_EXPORTS: dict[str, str] = {
    "pydantic": "Field SecretStr field_validator model_validator",
    "investigate.config": "SAFE_LOADER ConfigPath Duration Strict",
    "investigate.errors": "ConfigError ReadOnlyViolation SourceError SourceTimeout TicketNotFound "
    "TicketSourceError UsageError",
    "investigate.models": "PARAMS Comment Entities Evidence EvidenceKind Level Organization "
    "Person Ticket Window",
    "investigate.sdk.adf": "adf_to_text",
    "investigate.sdk.contract": "ENTRY_POINT_GROUP Check Collected Connector ConnectorConfig "
    "HttpConnectorConfig Provides Query TicketSearch TicketSource gather_parts",
    "investigate.sdk.evidence": "alert_state entity_matcher epoch_ms lucene_phrase matched "
    "one_line overlaps str_map time_of web_link",
    "investigate.sdk.fieldmap": "STATE_VALUES",
    "investigate.sdk.html_text": "html_to_text looks_like_html",
    "investigate.sdk.http": "Auth Basic Bearer CursorPaging Either HeaderKey HttpConfig "
    "HttpConnector LinkPaging NoAuth OffsetPaging PagePaging Pages Paging Params Resolver "
    "Session either items_at link_header_next",
    "investigate.sdk.jsonapi": "MAX_RESPONSE_BYTES JsonResponse",
    "investigate.sdk.querylang": "QueryValueError cloudwatch_any cloudwatch_term datadog_any "
    "datadog_attr datadog_phrase logql_contains logql_regex_filter logql_string promql_regex "
    "promql_string re2_escape",
    "investigate.sdk.rows": "detail_pairs epoch_time parse_time render_template row_evidence",
    "investigate.sdk.transport": "ReadOnlyPost",
    "investigate.secrets": "MASKER",
    "investigate.threads": "in_thread",
}
"""Each module and the public names it holds, as the imports above list them."""

_WHERE = {name: module for module, names in _EXPORTS.items() for name in names.split()}
"""Each public name and the module it lives in."""

__all__ = [
    "ENTRY_POINT_GROUP",
    "MASKER",
    "MAX_RESPONSE_BYTES",
    "PARAMS",
    "SAFE_LOADER",
    "SDK_VERSION",
    "STATE_VALUES",
    "Auth",
    "Basic",
    "Bearer",
    "Check",
    "Collected",
    "Comment",
    "ConfigError",
    "ConfigPath",
    "Connector",
    "ConnectorConfig",
    "CursorPaging",
    "Duration",
    "Either",
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
    "Organization",
    "PagePaging",
    "Pages",
    "Paging",
    "Params",
    "Person",
    "Provides",
    "Query",
    "QueryValueError",
    "ReadOnlyPost",
    "ReadOnlyViolation",
    "Resolver",
    "SecretStr",
    "Session",
    "SourceError",
    "SourceTimeout",
    "Strict",
    "Ticket",
    "TicketNotFound",
    "TicketSearch",
    "TicketSource",
    "TicketSourceError",
    "UsageError",
    "Window",
    "adf_to_text",
    "alert_state",
    "cloudwatch_any",
    "cloudwatch_term",
    "datadog_any",
    "datadog_attr",
    "datadog_phrase",
    "detail_pairs",
    "either",
    "entity_matcher",
    "epoch_ms",
    "epoch_time",
    "field_validator",
    "gather_parts",
    "html_to_text",
    "in_thread",
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


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'investigate.sdk' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
