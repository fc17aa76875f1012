"""The stats report: every number carries its sample size, what was left out and why, and a
`low_sample` flag when there were fewer samples than `stats.min_samples`.
`investigate schema stats` prints this model's JSON Schema."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Sample(_Model):
    n: int = Field(description="Tickets (or answers) the number is computed from.")
    excluded: dict[str, int] = Field(
        default_factory=dict, description="Left out, by reason (e.g. 'no agent reply yet')."
    )
    low_sample: bool = Field(False, description="Fewer than stats.min_samples: indicative only.")


class Durations(Sample):
    """Minutes."""

    median: float | None = None
    p90: float | None = None


class Breakdown(_Model):
    overall: Durations
    note: str = Field("", description="What the figures include, e.g. pending time or not.")
    by: dict[str, dict[str, Durations]] = Field(
        default_factory=dict, description="Dimension (priority, channel, category) → value → stats."
    )


class Breach(_Model):
    ticket_id: str
    priority: str
    target: Literal["first_response", "resolution"]
    target_minutes: float
    actual_minutes: float
    open: bool = Field(False, description="Still unanswered/unsolved and past due.")


class SLATarget(Sample):
    target_minutes: float
    met: int = 0
    breached: int = 0
    attainment: float | None = Field(None, description="met / (met + breached), 0–1.")


class SLAPriority(_Model):
    priority: str
    first_response: SLATarget
    resolution: SLATarget


class SLAStats(_Model):
    priorities: list[SLAPriority] = Field(default_factory=list)
    breaches: list[Breach] = Field(default_factory=list)
    no_policy: int = Field(0, description="Tickets whose priority has no sla: policy.")


class Funnel(Sample):
    """Share of tickets that reached each tier (L2 includes L3)."""

    source: Literal["helpdesk", "reports"]
    reached: dict[str, int] = Field(default_factory=dict)
    rate: dict[str, float] = Field(default_factory=dict)


class EscalationStats(_Model):
    funnels: list[Funnel] = Field(default_factory=list)
    disagreements: list[str] = Field(
        default_factory=list, description="'4812: helpdesk L1, report L2' for tickets in both."
    )
    notes: list[str] = Field(default_factory=list)


class CSATScale(Sample):
    scale: Literal["1-5", "good_bad"]
    satisfied: float | None = Field(None, description="Share satisfied, 0–1 (4–5, or good).")
    mean: float | None = Field(None, description="Mean score on the 1–5 scale.")


class NPSStats(Sample):
    promoters: int = 0
    passives: int = 0
    detractors: int = 0
    nps: float | None = Field(None, description="% promoters − % detractors, −100…100.")
    source: str = ""


class Cause(_Model):
    category: str
    tickets: int
    hours_lost: float = Field(description="Resolution time of these tickets (open ones: so far).")


class CauseStats(Sample):
    by_count: list[Cause] = Field(default_factory=list)
    by_time: list[Cause] = Field(default_factory=list)


class Bucket(_Model):
    """One week of the trend charts."""

    start: datetime
    tickets: int = 0
    frt_median: float | None = None
    frt_n: int = 0
    mttr_median: float | None = None
    mttr_n: int = 0
    sla_attainment: float | None = None
    sla_n: int = Field(0, description="Targets measured (first response and resolution).")
    csat: float | None = None
    csat_n: int = 0
    nps: float | None = None
    nps_n: int = 0


class RadarAlert(_Model):
    name: str
    source: str
    started_at: datetime | None = None


class RadarCluster(_Model):
    signature: str
    kind: Literal["error_code", "http_status", "message", "alert", "deploy"]
    service: str | None = None
    customers: list[str]
    tickets: list[str]
    times: list[datetime] = Field(default_factory=list, description="Each ticket's creation.")
    first_at: datetime
    last_at: datetime
    covered_by: list[RadarAlert] = Field(default_factory=list)
    lead_minutes: float | None = Field(
        None, description="Minutes from the first ticket to the first covering alert."
    )
    headline: str = ""


class Radar(_Model):
    window_start: datetime
    window_end: datetime
    tickets: int
    min_customers: int
    clusters: list[RadarCluster] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


class StatsReport(_Model):
    schema_version: Literal[1] = 1
    since: datetime
    until: datetime
    source: str = Field(description="Where the tickets came from (connector, reports folder).")
    tickets: int
    reports: int = 0
    min_samples: int
    frt: Breakdown
    mttr: Breakdown
    sla: SLAStats
    escalation: EscalationStats
    csat: list[CSATScale] = Field(default_factory=list)
    nps: NPSStats | None = None
    causes: CauseStats | None = None
    trend: list[Bucket] = Field(default_factory=list)
    radar: Radar | None = None
    notes: list[str] = Field(default_factory=list)
    generated_at: datetime
