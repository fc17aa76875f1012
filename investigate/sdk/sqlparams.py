"""Named SQL queries bound to entities — shared by every SQL connector.

    queries:
      account:
        sql: SELECT id, name FROM accounts WHERE owner_email = :requester_email
        kind: customer
        title: "Account {name}"
        provides: {account_id: id}
      jobs: "SELECT * FROM jobs WHERE account_id = :account_id"   # short form

A query runs only when every parameter it names is known, once per value (at most
`max_values` values per parameter and `max_runs` combinations).
"""

from __future__ import annotations

import itertools
from typing import Any, ClassVar

from pydantic import Field, field_validator, model_validator

from investigate.config import Strict
from investigate.errors import ReadOnlyViolation
from investigate.models import PARAMS, EvidenceKind
from investigate.sdk.contract import Collected, ConnectorConfig, Provides
from investigate.sdk.fieldmap import FieldMapping
from investigate.sdk.rows import row_evidence
from investigate.sdk.sqlcheck import checked as check_sql
from investigate.sdk.sqltypes import CheckedSQL, bind_pattern
from investigate.sdk.textmatch import EntityMatcher


class NamedQuery(Strict, FieldMapping):
    sql: str
    kind: EvidenceKind = "db_row"
    title: str | None = Field(None, description="Template filled from the row, e.g. 'Job {id}'.")
    provides: Provides = Field(default_factory=dict)
    time_field: str | None = None
    url_template: str | None = None


def normalise_queries(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: {"sql": v} if isinstance(v, str) else v for k, v in value.items()}
    return value


def validate_queries(queries: dict[str, NamedQuery], dialect: str) -> dict[str, CheckedSQL]:
    checked = {}
    for name, query in queries.items():
        try:
            checked[name] = check_sql(query.sql, dialect)
        except ReadOnlyViolation as exc:
            raise ValueError(f"query '{name}': {exc}") from None
        unknown = [p for p in checked[name].params if p not in PARAMS]
        if unknown:
            raise ValueError(
                f"query '{name}' uses unknown parameter(s) {', '.join(':' + p for p in unknown)}; "
                f"available: {', '.join(':' + p for p in PARAMS)}"
            )
    return checked


class SQLConnectorConfig(ConnectorConfig):
    """Keys shared by SQL connectors; queries are checked by the SQL guard at load time."""

    dialect: ClassVar[str] = "sqlite"
    queries: dict[str, NamedQuery] = Field(min_length=1)
    max_rows: int = Field(50, ge=1, le=10_000)
    max_values: int = Field(5, ge=1, le=50)
    max_runs: int = Field(10, ge=1, le=200)

    @field_validator("queries", mode="before")
    @classmethod
    def _short_form(cls, value: Any) -> Any:
        return normalise_queries(value)

    @model_validator(mode="after")
    def _guard(self) -> SQLConnectorConfig:
        validate_queries(self.queries, self.dialect)
        return self


def bindings(
    params: tuple[str, ...], values: dict[str, list[str]], max_values: int, max_runs: int
) -> list[dict[str, str]]:
    """Every combination of known values for `params` (empty if one is unknown)."""
    lists = [values.get(p, [])[:max_values] for p in params]
    if any(not v for v in lists):
        return []
    combos = itertools.islice(itertools.product(*lists), max_runs)
    return [dict(zip(params, combo, strict=True)) for combo in combos]


def bound(checked: CheckedSQL, params: dict[str, str]) -> dict[str, str]:
    """The values as sent: one bound into a LIKE or GLOB pattern is escaped, so `%` or `_`
    in an entity matches only itself, never every account."""
    escapes = dict(checked.like_escapes)
    return {k: bind_pattern(v, escapes[k]) if k in escapes else v for k, v in params.items()}


def add_row(
    out: Collected,
    source: str,
    name: str,
    named: NamedQuery,
    sql: str,
    params: dict[str, str],
    row: dict[str, Any],
    matcher: EntityMatcher,
) -> None:
    """One row of the query `name` (run as `sql` with `params`) into `out`: as evidence, whose
    matched values include the parameters' (not the window's bounds), and the values of the
    columns the query `provides`."""
    evidence = row_evidence(
        source=source,
        kind=named.kind,
        row=row,
        query=f"{sql}  -- {name} {params}",
        matcher=matcher,
        title=named.title,
        default_title=f"{name}: " + ", ".join(f"{k}={v}" for k, v in list(row.items())[:4]),
        time_field=named.time_field,
        url_template=named.url_template,
        fields=named,
    )
    evidence.attributes["query_name"] = name
    evidence.matched = sorted(
        set(evidence.matched)
        | {str(v).lower() for k, v in params.items() if not k.startswith("window")}
    )
    out.evidence.append(evidence)
    for param, column in named.provides.items():
        if row.get(column) not in (None, ""):
            out.provides.setdefault(param, []).append(str(row[column]))
