"""Which fields of a record (SQL row, exported record, JSON object) carry the signals the core
reads: the end of its span, state, service, severity, account (tenant), region and, for invoices, the payment
attempts and error (Stripe-shaped exports: `attempt_count`, `last_payment_error`). Each source
may name its own fields; the defaults read common names. The values land in typed `Evidence`
fields; this is the one place the core reads a record's vocabulary."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from investigate.models import Evidence, Level
from investigate.states import classify

STATUS_FIELDS = ("status", "state", "alert_state", "alertstate", "phase")
SERVICE_FIELDS = ("service", "app", "application", "component", "service_name", "job")
SEVERITY_FIELDS = ("severity", "level", "lvl")
ACCOUNT_FIELDS = (
    "account_id",
    "account",
    "tenant_id",
    "tenant",
    "org_id",
    "organization_id",
    "customer_id",
    "workspace_id",
    "company_id",
)
REGION_FIELDS = ("region", "zone", "datacenter", "location", "cluster_region")
STATE_VALUES: dict[str, str] = {
    "firing": "firing",
    "active": "firing",
    "alerting": "firing",
    "alert": "firing",
    "triggered": "firing",
    "open": "open",
    "ongoing": "firing",
    "investigating": "firing",
    "identified": "firing",
    "acknowledged": "acknowledged",
    "acked": "acknowledged",
    "resolved": "resolved",
    "ok": "resolved",
    "inactive": "resolved",
    "closed": "closed",
    "normal": "resolved",
    "recovered": "resolved",
}
"""Alert/incident states read as firing or resolved whatever the tool calls them; other values
are kept lower-cased (`past_due`, `running`…)."""
_LEVELS: dict[str, Level] = {
    "debug": "debug",
    "info": "info",
    "notice": "info",
    "low": "info",
    "warning": "warning",
    "warn": "warning",
    "medium": "warning",
    "minor": "warning",
    "error": "error",
    "high": "error",
    "major": "error",
    "critical": "critical",
    "fatal": "critical",
    "page": "critical",
    "sev1": "critical",
    "p1": "critical",
    "sev2": "error",
    "p2": "error",
}


class AccountField(BaseModel):
    """Mixed into every source whose items belong to tenants (records, SQL, HTTP, logs)."""

    model_config = ConfigDict(extra="forbid")

    account_field: str | None = Field(
        None, description="Tenant key for 'accounts affected'. Default: account_id, tenant_id, …"
    )


class FieldMapping(AccountField):
    """Mixed into record/SQL/HTTP source settings."""

    end_field: str | None = Field(
        None,
        description="End of the record's span (an alert, incident, job): the item's last_seen.",
    )
    status_field: str | None = Field(None, description="Default: status, state, …")
    status_values: dict[str, str] = Field(
        default_factory=dict,
        description="Extra value → state mapping, e.g. {'red': firing, 'green': resolved}.",
    )
    service_field: str | None = Field(None, description="Default: service, app, component, …")
    severity_field: str | None = Field(None, description="Default: severity, level.")
    region_field: str | None = Field(None, description="Default: region, zone, …")


def _first(row: Mapping[str, Any], named: str | None, defaults: tuple[str, ...]) -> Any:
    if named:
        return _dig(row, named)
    for name in defaults:
        value = row.get(name)
        if value not in (None, ""):
            return value
    labels = row.get("labels")
    if isinstance(labels, Mapping):  # Alertmanager/Prometheus style label sets
        for name in defaults:
            if labels.get(name) not in (None, ""):
                return labels[name]
    return None


def end_value(row: Mapping[str, Any], mapping: FieldMapping | None) -> Any:
    """The raw value of the mapped `end_field` (a dotted path), or None."""
    return _dig(row, mapping.end_field) if mapping and mapping.end_field else None


def value_at(row: Mapping[str, Any], path: str) -> Any:
    """`row[path]`, else the dotted path into nested objects (`slot.depart`)."""
    value = row.get(path)
    return _dig(row, path) if value is None and "." in path else value


def _dig(row: Mapping[str, Any], path: str) -> Any:
    value: Any = row
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


ALERTING_KINDS = frozenset({"alert", "incident", "status"})


def state_of(
    value: Any, extra: Mapping[str, str] | None = None, *, alerting: bool = True
) -> str | None:
    """The normalised state; the alert vocabulary (`active` → firing) applies to alerting
    kinds only (an `active` subscription is healthy)."""
    if value in (None, "") or isinstance(value, dict | list):
        return None
    text = str(value).strip().lower()
    extra_lower = {k.lower(): v.lower() for k, v in (extra or {}).items()}
    known = STATE_VALUES.get(text) if alerting else None
    return extra_lower.get(text) or known or text


def apply(e: Evidence, row: Mapping[str, Any], mapping: FieldMapping | None = None) -> Evidence:
    """Fill the typed signal fields of `e` from `row` (in place; returns `e`)."""
    m = mapping or FieldMapping()
    word = state_of(
        _first(row, m.status_field, STATUS_FIELDS),
        m.status_values,
        alerting=e.kind in ALERTING_KINDS,
    ) or state_of(row.get("status"), alerting=False)
    if word:
        e.status = word
    if e.kind == "invoice":
        cells = e.record or row  # the cells as kept (a nested object is JSON text there)
        attempts = _int(cells.get("attempt_count"))
        if attempts is not None:
            e.payment_attempts = attempts
        error = cells.get("last_payment_error")
        if error:
            e.payment_error = str(error)
    e.state = classify(
        e.kind, e.status, payment_attempts=e.payment_attempts, payment_error=e.payment_error
    )
    service = _first(row, m.service_field, SERVICE_FIELDS)
    if isinstance(service, str | int) and str(service) and str(service) not in e.services:
        e.services = [*e.services, str(service)]
    account = _first(row, m.account_field, ACCOUNT_FIELDS)
    if isinstance(account, str | int) and str(account) and not e.accounts:
        e.accounts = [str(account)]
    region = _first(row, m.region_field, REGION_FIELDS)
    if isinstance(region, str) and region:
        e.region = region.lower()
    severity = _first(row, m.severity_field, SEVERITY_FIELDS)
    level = _LEVELS.get(str(severity).strip().lower()) if severity is not None else None
    if level and e.level is None and e.kind not in ("log", "log_pattern"):
        e.level = level
    return e


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
