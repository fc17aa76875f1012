"""Normalised models: what connectors produce and what analysts and renderers consume.

Field names follow product.md §4 and are a stable contract; fields may be added, never renamed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from investigate.states import STATES, State, classify

SCHEMA_VERSION = 1

Category = Literal[
    "billing",
    "bug",
    "outage",
    "performance",
    "configuration",
    "access",
    "data",
    "integration",
    "user_error",
    "feature_request",
    "unknown",
]
CATEGORIES: tuple[str, ...] = Category.__args__  # type: ignore[attr-defined]
Confidence = Literal["high", "medium", "low"]
Severity = Literal["sev1", "sev2", "sev3", "sev4"]
Tier = Literal["L1", "L2", "L3"]
SourceStatus = Literal["ok", "empty", "error", "timeout", "skipped"]
EvidenceKind = Literal[
    "log",
    "log_pattern",
    "db_row",
    "customer",
    "subscription",
    "invoice",
    "charge",
    "payment",
    "issue",
    "error_group",
    "alert",
    "incident",
    "deploy",
    "status",
    "ticket",
]
Level = Literal["debug", "info", "warning", "error", "critical"]
Relation = Literal["requester", "organization", "same_signature"]
"""How a helpdesk ticket relates to the ticket under investigation."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class Person(_Model):
    name: str | None = None
    email: str | None = None


class Organization(_Model):
    model_config = ConfigDict(
        extra="forbid", coerce_numbers_to_str=True
    )  # Zendesk org IDs are ints

    id: str | None = None
    name: str | None = None


class Comment(_Model):
    author: str | None = None
    body: str = ""
    created_at: datetime | None = None
    public: bool = True


class Ticket(_Model):
    id: str
    url: str | None = None
    subject: str = ""
    description: str = ""
    comments: list[Comment] = Field(default_factory=list)
    requester: Person = Field(default_factory=Person)
    organization: Organization = Field(default_factory=Organization)
    created_at: datetime
    updated_at: datetime | None = None
    priority: str | None = None
    status: str | None = None
    tags: list[str] = Field(default_factory=list)
    custom_fields: dict[str, Any] = Field(default_factory=dict)
    raw: dict[str, Any] = Field(default_factory=dict, description="The source payload, as is.")

    @field_validator("created_at", "updated_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        """A time without a zone is taken as UTC (exports often drop it)."""
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value

    def text(self, *, include_internal: bool = True) -> str:
        """Subject, description and comments as one block of text."""
        parts = [self.subject, self.description]
        parts += [c.body for c in self.comments if c.public or include_internal]
        return "\n".join(p for p in parts if p)


class Window(_Model):
    start: datetime
    end: datetime


class Entities(_Model):
    """What the ticket is about. Lists are de-duplicated and keep first-seen order."""

    emails: list[str] = Field(default_factory=list)
    requester_email: str | None = None
    ticket_id: str | None = None
    account_ids: list[str] = Field(default_factory=list)
    org_ids: list[str] = Field(default_factory=list)
    user_ids: list[str] = Field(default_factory=list)
    request_ids: list[str] = Field(default_factory=list)
    customer_ids: list[str] = Field(default_factory=list)
    invoice_ids: list[str] = Field(default_factory=list)
    charge_ids: list[str] = Field(default_factory=list)
    subscription_ids: list[str] = Field(default_factory=list)
    payment_ids: list[str] = Field(default_factory=list)
    error_codes: list[str] = Field(default_factory=list)
    error_messages: list[str] = Field(default_factory=list)
    http_statuses: list[int] = Field(default_factory=list)
    urls: list[str] = Field(default_factory=list)
    endpoints: list[str] = Field(default_factory=list)
    product_areas: list[str] = Field(default_factory=list)
    times: list[datetime] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    resolved: dict[str, str] = Field(
        default_factory=dict,
        description="Entity values found by identity resolution, mapped to the source that provided them.",
    )

    def matchable(self) -> dict[str, str]:
        """Every identifying value (lower-cased) mapped to its entity name; used for matching."""
        out: dict[str, str] = {}
        for name in (
            *("emails", "account_ids", "org_ids", "user_ids", "request_ids", "customer_ids"),
            *("invoice_ids", "charge_ids", "subscription_ids", "payment_ids", "error_codes"),
        ):
            for value in getattr(self, name):
                if len(value) >= 4:
                    out.setdefault(value.lower(), name)
        return out


class CausalLink(_Model):
    """A change followed by the first new error it may explain (see `investigate.evidence.causal`)."""

    cause: str = Field("", description="Evidence ID of the change (deploy, audit row, rotation…).")
    effect: str = Field("", description="Evidence ID of the first new error after it.")
    change: Literal["deploy", "change"] = "change"
    gap_minutes: int = 0
    strength: float = Field(0.0, ge=0, le=1)
    same_service: bool = False
    same_account: bool = False
    new_for: Literal["everyone", "customer"] | None = None


class Evidence(_Model):
    id: str = ""
    source: str
    kind: EvidenceKind
    timestamp: datetime | None = None
    title: str
    detail: str = ""
    url: str | None = None
    score: float = 0.0
    matched: list[str] = Field(default_factory=list, description="Entity values this item matched.")
    query: str = Field("", description="The exact query or request that produced this item.")
    level: Level | None = None
    count: int = 1
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    examples: list[str] = Field(default_factory=list)
    services: list[str] = Field(default_factory=list)
    novelty: Literal["new", "spike", "steady"] | None = None
    new_for: Literal["everyone", "customer"] | None = Field(
        None,
        description="A new/spiking pattern: new for the whole population or only this customer.",
    )
    state: State | None = Field(
        None,
        description="What the item's status shows: problem, firing, acknowledged, resolved, "
        "healthy or context (set by the source, else read from `status`).",
    )
    status: str | None = Field(
        None, description="The record's own status word, lower-cased: past_due, running, acked…"
    )
    region: str | None = None
    accounts: list[str] = Field(
        default_factory=list, description="Tenant/account keys the item belongs to."
    )
    accounts_affected: int | None = Field(None, description="Distinct accounts hit (patterns).")
    links: list[CausalLink] = Field(
        default_factory=list, description="Errors this change may have caused (on the change)."
    )
    merged: int = Field(0, description="True duplicates folded into this item.")
    record: dict[str, Any] = Field(
        default_factory=dict,
        description="The source record's cells (a SQL row, an exported record, a ticket's or "
        "issue's summary), for display and generic record rules.",
    )
    fields: dict[str, Any] = Field(
        default_factory=dict, description="Structured fields of a log line (key=value, JSON)."
    )
    relation: Relation | None = Field(
        None, description="A helpdesk ticket: the requester's own, or another with its signature."
    )
    text_score: float | None = Field(
        None, description="Text relevance (BM25) of the item against the ticket."
    )
    error_codes: list[str] = Field(default_factory=list, description="Error codes it carries.")
    http_statuses: list[int] = Field(
        default_factory=list, description="HTTP statuses it carries (from structured fields)."
    )
    matched_first_seen: datetime | None = Field(
        None, description="When the ticket's own entities first showed up in a pattern."
    )
    matched_count: int | None = Field(
        None, description="Occurrences of a pattern that carry the ticket's entities."
    )
    baseline_all: int | None = Field(
        None, description="Occurrences of a pattern in the whole population before the window."
    )
    payment_attempts: int | None = Field(None, description="Failed payment attempts (invoices).")
    payment_error: str | None = Field(None, description="The last payment error (invoices).")
    attributes: dict[str, Any] = Field(
        default_factory=dict,
        description="Free-form source data for display; the core reads no key of it.",
    )
    reasons: list[str] = Field(default_factory=list, description="Why it ranked where it did.")

    @model_validator(mode="before")
    @classmethod
    def _typed_signals(cls, data: Any) -> Any:
        """Lift the signals older recordings kept in `attributes` into the typed fields, and
        read `state` from the `status` word when the source gave only the word."""
        if not isinstance(data, dict):
            return data
        attributes = data.get("attributes")
        state = data.get("state")
        if attributes or (state is not None and "status" not in data):
            data = lift_legacy(data)
        if data.get("state") is None and data.get("status") is not None:
            data["state"] = classify(
                str(data.get("kind") or ""),
                str(data["status"]),
                payment_attempts=as_number(data.get("payment_attempts"), int),
                payment_error=data.get("payment_error"),
            )
        return data


class SourceResult(_Model):
    name: str
    type: str
    status: SourceStatus
    items: int = 0
    elapsed_ms: int = 0
    error: str | None = None
    cached: bool = Field(False, description="Answered from the --cache, not asked this run.")


class RootCause(_Model):
    statement: str
    category: Category = "unknown"
    confidence: Confidence = "low"
    evidence: list[str] = Field(default_factory=list)


class Alternative(_Model):
    statement: str
    why_less_likely: str = ""
    evidence: list[str] = Field(default_factory=list)


class TimelineEntry(_Model):
    timestamp: datetime | None = None
    event: str
    evidence: list[str] = Field(default_factory=list)


class Escalation(_Model):
    tier: Tier = "L1"
    team: str = "support"
    reason: str = ""


class Incident(_Model):
    suspected: bool = False
    reason: str = ""
    related_tickets: list[str] = Field(
        default_factory=list,
        description="Other customers' tickets that report the same problem (their IDs).",
    )
    alerts: list[str] = Field(
        default_factory=list,
        description="Evidence IDs of the open alerts or incidents behind the suspicion.",
    )


class Analysis(_Model):
    analyst: str = Field(description="Who wrote it, for people: `offline`, `anthropic:claude-…`.")
    outcome: Literal["ok", "fallback", "replayed"] = Field(
        "ok",
        description="ok: the chosen analyst wrote it; fallback: the LLM failed and the offline "
        "analyst wrote it (`--strict` counts this as a failure); replayed: from a recording.",
    )
    summary: str
    root_cause: RootCause
    alternatives: list[Alternative] = Field(default_factory=list)
    timeline: list[TimelineEntry] = Field(default_factory=list)
    customer_impact: str = ""
    severity: Severity = "sev3"
    escalation: Escalation = Field(default_factory=Escalation)
    incident: Incident = Field(default_factory=Incident)
    gaps: list[str] = Field(default_factory=list)
    next_steps: list[str] = Field(default_factory=list)
    draft_reply: str = ""
    internal_note: str = ""
    runbooks: list[str] = Field(
        default_factory=list, description="Names of the organisation runbooks that matched."
    )


class TicketSummary(_Model):
    id: str
    url: str | None = None
    subject: str = ""
    requester: Person = Field(default_factory=Person)
    organization: Organization = Field(default_factory=Organization)
    created_at: datetime
    priority: str | None = None
    status: str | None = None


class SLA(_Model):
    policy: str | None = None
    first_response_due: datetime | None = None
    resolution_due: datetime | None = None
    breached: bool = False
    minutes_left: int | None = None


class Usage(_Model):
    llm_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    estimated_input_tokens: int = Field(0, description="Our estimate before sending.")
    cost_usd: float = 0.0
    elapsed_ms: int = 0
    redactions: dict[str, int] = Field(
        default_factory=dict, description="How many distinct values of each kind were redacted."
    )


class Report(_Model):
    schema_version: Literal[1] = 1
    ticket: TicketSummary
    window: Window
    entities: Entities
    sources: list[SourceResult]
    evidence: list[Evidence]
    omitted_evidence: int = Field(0, description="Items left out by the evidence budget.")
    analysis: Analysis
    sla: SLA
    usage: Usage = Field(default_factory=Usage)
    generated_at: datetime


_LIFTED = (
    "text_score",
    "relation",
    "error_codes",
    "http_statuses",
    "matched_first_seen",
    "matched_count",
    "baseline_all",
    "fields",
)


def lift_legacy(data: dict[str, Any]) -> dict[str, Any]:
    """An evidence item as recordings before the typed signals stored it: `attributes["row"]`
    (the record), `attributes["status"]`, `attributes["text_score"]`… and a free-form `state`
    word. Returns a new dict with those in the typed fields."""
    data = dict(data)
    attributes = dict(data.get("attributes") or {})
    row = attributes.pop("row", None)
    if isinstance(row, dict) and not data.get("record"):
        data["record"] = row
    record = data.get("record") or {}
    word = attributes.pop("status", None)
    for key in _LIFTED:
        if key in attributes:
            value = attributes.pop(key)
            if data.get(key) in (None, [], {}) and value is not None:
                data[key] = value
    if "accounts_affected" in attributes:
        value = attributes.pop("accounts_affected")
        if data.get("accounts_affected") is None and value is not None:
            data["accounts_affected"] = as_number(value, int)
    if data.get("relation") not in (None, *Relation.__args__):  # type: ignore[attr-defined]
        data["relation"] = None
    if data.get("status") is None:
        old_state = data.get("state")
        spelled = old_state or record.get("status") or word
        if spelled not in (None, ""):
            data["status"] = str(spelled).strip().lower()
        if old_state is not None and old_state not in STATES:
            data["state"] = None
    if isinstance(record, dict) and data.get("kind") == "invoice":
        if data.get("payment_attempts") is None and record.get("attempt_count") is not None:
            data["payment_attempts"] = as_number(record.get("attempt_count"), int)
        if data.get("payment_error") is None and record.get("last_payment_error"):
            data["payment_error"] = str(record["last_payment_error"])
    data["attributes"] = attributes
    return data


_N = TypeVar("_N", int, float)


def as_number(value: Any, kind: type[_N]) -> _N | None:
    """`kind(value)`, or None where the value is no number (None, `"n/a"`)."""
    try:
        return kind(value)
    except (TypeError, ValueError):
        return None


# Query parameters a connector can bind, and the entity list each one draws from.
LIST_PARAMS = {
    "email": "emails",
    "account_id": "account_ids",
    "org_id": "org_ids",
    "user_id": "user_ids",
    "request_id": "request_ids",
    "customer_id": "customer_ids",
    "invoice_id": "invoice_ids",
    "charge_id": "charge_ids",
    "subscription_id": "subscription_ids",
    "error_code": "error_codes",
}
SCALAR_PARAMS = ("requester_email", "ticket_id", "window_start", "window_end")
PARAMS = (*LIST_PARAMS, *SCALAR_PARAMS)
