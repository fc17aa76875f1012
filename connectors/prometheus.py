"""`prometheus`: active alerts for the ticket's services, and PromQL queries run over the
baseline and the window ("is it everyone's outage?").

    metrics:
      type: prometheus
      base_url: http://prometheus:9090
      # bearer_token: ${PROM_TOKEN}           # or username: … / password: ${PROM_PASSWORD}
      service_label: service                  # the alert label that names the service (job, app…)
      # services: [api, billing]              # only alerts of these services
      # matchers: {env: production}           # only alerts with these labels
      # only_ticket_services: false           # true: drop alerts of services the ticket doesn't name
      # url_template: "https://grafana.example.com/alerting/list?search={alertname}"
      baseline: 24h                           # queries also read this long before the window
      queries:
        - name: api_5xx
          promql: 'sum(rate(http_requests_total{status=~"5..",region="{region}"}[5m]))'
          title: API 5xx rate in {region}
          factor: 3                           # a change: above 3× the baseline (median) …
          # threshold: 0.05                   # … or above this value
      # vars: {region: us-east-1}             # fixed values for placeholders

Alerts come from `GET /api/v1/alerts` (firing and pending) as evidence of kind `alert` whose
`status` is the alert state, so the ranking and the outage detector read `firing` as a problem.
Queries run as `GET /api/v1/query_range` from `window.start - baseline` to `window.end`; each
series becomes one `status` item saying baseline vs window and the first step that crossed the
threshold (`status: firing`) or that nothing changed (`status: ok`).

Placeholders (`{region}`, `{account_id}`, `{service}`…) may appear only inside the quoted value
of a label matcher (`label="{x}"`, `label=~"{x}"`); the config is refused otherwise. Values are
escaped for the string literal (backslash, quote, newline, control characters) and, after `=~`
or `!~`, regex-quoted first, so a value is always one literal label value: it can never close the
string, add a matcher or a pipeline stage. A placeholder takes, in order: an entity parameter
(`account_id`, `email`…), `service` (the ticket's services), `vars`, or the ticket's custom field
of that name.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx2
from pydantic import Field, field_validator

from investigate.sdk import MASKER, PARAMS, Duration, Evidence, Level, SourceError, Strict
from investigate.sdk.alerts import (
    Blank,
    MonitoringConfig,
    MonitoringConnector,
    alert_evidence,
    alert_order,
    fill_url,
    keep_alert,
    label_text,
    regex_quote,
)
from investigate.sdk.contract import Collected, Query
from investigate.sdk.evidence import str_map, time_of
from investigate.sdk.sqlparams import bindings
from investigate_connectors._prom_series import Summary, describe, num, rfc3339, summarise
from investigate_connectors._promql import Segment, escape_string, parse_template, render, slots

__all__ = ["Prometheus", "escape_string", "parse_template", "regex_quote", "render"]

MAX_VALUE_CHARS = 500


# --- configuration ----------------------------------------------------------------------------


class PromQuery(Strict):
    name: str
    promql: str
    title: str | None = Field(None, description="Template; placeholders and series labels.")
    factor: float = Field(3.0, gt=1.0, description="Changed: above factor × baseline median.")
    threshold: float | None = Field(None, description="Changed: above this value.")
    min_value: float = Field(0.0, description="Never a change at or below this value.")
    level: Level = "warning"
    step: Duration | None = None

    @field_validator("promql")
    @classmethod
    def _template(cls, value: str) -> str:
        parse_template(value)
        return value

    @property
    def segments(self) -> list[Segment]:
        return parse_template(self.promql)


class PrometheusConfig(MonitoringConfig):
    include_pending: bool = True
    baseline: Duration = timedelta(hours=24)
    queries: list[PromQuery] = Field(default_factory=list)
    vars: dict[str, str] = Field(default_factory=dict, description="Fixed placeholder values.")
    graph_url_template: str = "{base_url}/graph?g0.expr={promql}&g0.tab=0"
    max_values: int = Field(3, ge=1, le=20)
    max_runs: int = Field(10, ge=1, le=100)
    max_series: int = Field(10, ge=1, le=200)
    max_points: int = Field(300, ge=10, le=11_000)


# --- HTTP -------------------------------------------------------------------------------------


def prom_data(body: Any, label: str, sent: str) -> dict[str, Any]:
    """The `data` of Prometheus's `{"status": "success", "data": …}` envelope."""
    if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
        if isinstance(body, dict) and body.get("status") == "error":
            raise SourceError(f"{label}: {MASKER.mask(str(body.get('error'))[:300])}")
        raise SourceError(
            f"{label}: unexpected answer from {sent} (no data object)",
            hint="check that base_url points at Prometheus's HTTP API",
        )
    data: dict[str, Any] = body["data"]
    return data


# --- the connector ----------------------------------------------------------------------------


@dataclass
class Run:
    query: PromQuery
    binding: dict[str, str]
    promql: str


class Prometheus(MonitoringConnector[PrometheusConfig]):
    type_name = "prometheus"
    config_model = PrometheusConfig
    description = "Prometheus: active alerts for the ticket's services, PromQL baseline vs window"
    product = "Prometheus"
    status_path = "/api/v1/status/buildinfo"

    async def fetch(
        self,
        client: httpx2.AsyncClient,
        path: str,
        params: Mapping[str, str | list[str]] | None = None,
    ) -> tuple[dict[str, Any], str]:
        body, sent = await super().fetch(client, path, params)
        return prom_data(body, self.label, sent), sent

    def version(self, status: Any) -> str:
        return str(status.get("version", "?"))

    async def gather(self, query: Query) -> Collected:
        out = Collected()
        runs = self.runs(query, out)
        async with self.session(query) as client:
            results = await asyncio.gather(
                self._alerts(client, query),
                *(self._range(client, run, query) for run in runs),
                return_exceptions=True,
            )
        failures = []
        for result in results:
            if isinstance(result, BaseException):
                if not isinstance(result, SourceError):
                    raise result
                failures.append(result)
                continue
            evidence, notes = result
            out.evidence += evidence
            out.notes += notes
        if failures and (len(failures) == len(results) or auth_failure(failures)):
            raise failures[0]
        out.notes += [f.message for f in failures]
        return out

    def runs(self, query: Query, out: Collected) -> list[Run]:
        cfg = self.config
        values = self._values(query)
        plan: list[Run] = []
        for q in cfg.queries:
            segments = q.segments
            names = slots(segments)
            missing = [n for n in names if not values.get(n)]
            if missing:
                out.notes.append(
                    f"{self.label}: query '{q.name}' skipped: the ticket gives no "
                    + ", ".join("{" + n + "}" for n in missing)
                )
                continue
            for binding in bindings(names, values, cfg.max_values, cfg.max_runs):
                plan.append(Run(q, binding, render(segments, binding)))
        if len(plan) > cfg.max_runs:
            out.notes.append(f"{self.label}: {len(plan)} query runs; kept {cfg.max_runs}")
        return plan[: cfg.max_runs]

    def _values(self, query: Query) -> dict[str, list[str]]:
        values = dict(query.params())
        values["service"] = query.ticket_services(self.config.service_fields)
        for key, value in self.config.vars.items():
            if not values.get(key):
                values[key] = [value]
        for key, raw in query.ticket.custom_fields.items():
            if key not in values and key not in PARAMS and isinstance(raw, str | int | float):
                values[key] = [str(raw)]
        return {k: [v for v in vs if v and len(v) <= MAX_VALUE_CHARS] for k, vs in values.items()}

    async def _alerts(
        self, client: httpx2.AsyncClient, query: Query
    ) -> tuple[list[Evidence], list[str]]:
        data, sent = await self.fetch(client, "/api/v1/alerts")
        alerts = data.get("alerts")
        if not isinstance(alerts, list):
            raise SourceError(f"{self.label}: no alert list in the answer from {sent}")
        wanted = query.ticket_services(self.config.service_fields)
        states = {"firing", "pending"} if self.config.include_pending else {"firing"}
        found, later = [], 0
        for alert in alerts:
            if not isinstance(alert, dict) or alert.get("state") not in states:
                continue
            labels = str_map(alert.get("labels"), 100)
            if not keep_alert(labels, self.config, wanted):
                continue
            started = time_of(alert.get("activeAt"))
            if started is not None and started > query.window.end:
                later += 1
                continue
            found.append(
                alert_evidence(
                    source=self.name,
                    labels=labels,
                    annotations=str_map(alert.get("annotations"), 100),
                    status=str(alert["state"]),
                    started=started,
                    config=self.config,
                    wanted=wanted,
                    request=sent,
                    url=fill_url(
                        "{base_url}/alerts?search={alertname}", self.config.base_url, labels
                    ),
                    extra={"value": alert.get("value")},
                    lines=[f"value {alert['value']}"] if alert.get("value") else [],
                )
            )
        found.sort(key=alert_order)
        notes = []
        if later:
            notes.append(f"{self.label}: {later} alert(s) became active after the window; left out")
        if len(found) > self.config.max_alerts:
            notes.append(f"{self.label}: {len(found)} alerts; kept {self.config.max_alerts}")
        return found[: self.config.max_alerts], notes

    def _span(self, run: Run, query: Query) -> tuple[datetime, datetime, float]:
        start = query.window.start - self.config.baseline
        end = query.window.end
        seconds = (end - start).total_seconds()
        step = run.query.step.total_seconds() if run.query.step else 0.0
        step = max(step, math.ceil(seconds / self.config.max_points), 1.0)
        return start, end, step

    async def _range(
        self, client: httpx2.AsyncClient, run: Run, query: Query
    ) -> tuple[list[Evidence], list[str]]:
        start, end, step = self._span(run, query)
        params = {
            "query": run.promql,
            "start": rfc3339(start),
            "end": rfc3339(end),
            "step": f"{step:g}s",
        }
        data, sent = await self.fetch(client, "/api/v1/query_range", params)
        series = data.get("result")
        if data.get("resultType") != "matrix" or not isinstance(series, list):
            raise SourceError(
                f"{self.label}: query '{run.query.name}' did not return a range vector ({sent})"
            )
        notes = []
        if not series:
            notes.append(f"{self.label}: query '{run.query.name}' returned no series")
        summaries = [summarise(s, run.query, query.window.start) for s in series[:5000]]
        kept = sorted((s for s in summaries if s is not None), key=lambda s: -(s.window_max or 0.0))
        if len(kept) > self.config.max_series:
            notes.append(
                f"{self.label}: query '{run.query.name}' returned {len(kept)} series; "
                f"kept the {self.config.max_series} highest"
            )
        return [self._metric(s, run, sent) for s in kept[: self.config.max_series]], notes

    def _metric(self, s: Summary, run: Run, sent: str) -> Evidence:
        q = run.query
        values = {**s.labels, **run.binding}
        heading = _fill(q.title, values) if q.title else q.name
        if s.labels and not q.title:
            heading += " {" + label_text(s.labels) + "}"
        base = num(s.baseline)
        if s.changed_at is not None:
            status = "firing"
            title = (
                f"{heading}: {num(s.changed_value)} at {s.changed_at:%H:%M} UTC "
                f"(baseline {base}, above {num(s.threshold)})"
            )
        else:
            status = "ok"
            title = f"{heading}: no change (window max {num(s.window_max)}, baseline {base})"
        service = str(values.get(self.config.service_label) or values.get("service") or "")
        link = fill_url(
            self.config.graph_url_template, self.config.base_url, {"promql": run.promql}
        )
        return Evidence(
            source=self.name,
            kind="status",
            timestamp=s.changed_at,  # an unchanged series is context, not an event
            first_seen=s.changed_at,
            title=title[:300],
            detail=describe(s, run.promql)[:2000],
            url=link,
            level=q.level if status == "firing" else "info",
            query=sent,
            novelty="spike" if status == "firing" else None,
            services=[service] if service else [],
            status=status,
            record={
                "status": status,
                "service": service,
                "region": str(values.get("region") or ""),
                "labels": label_text(s.labels),
            },
            attributes={
                "query_name": q.name,
                "promql": run.promql,
                "labels": s.labels,
                "baseline": s.baseline,
                "window_max": s.window_max,
                "window_last": s.window_last,
                "threshold": s.threshold,
                "changed_at": s.changed_at.isoformat() if s.changed_at else None,
                "last_at": s.last_at.isoformat() if s.last_at else None,
            },
        )


def auth_failure(failures: Sequence[SourceError]) -> bool:
    """Credentials are wrong for every request alike: say so instead of partial results."""
    return any(getattr(f, "http_status", None) in (401, 403) for f in failures)


def _fill(template: str, values: Mapping[str, str]) -> str:
    try:
        return template.format_map(Blank(values))
    except (ValueError, IndexError, AttributeError, KeyError):
        return template
