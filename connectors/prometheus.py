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
import re
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
from pydantic import Field, field_validator

from investigate.sdk import MASKER, PARAMS, Duration, Evidence, Level, SourceError, Strict
from investigate.sdk.alerts import (
    Blank,
    MonitoringConfig,
    alert_evidence,
    alert_order,
    fill_url,
    get_json,
    keep_alert,
    label_text,
    regex_quote,
)
from investigate.sdk.contract import Check, Collected, Connector, Query
from investigate.sdk.rows import parse_time
from investigate.sdk.sqlparams import bindings

MAX_RESPONSE_BYTES = 5_000_000
MAX_VALUE_CHARS = 500
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_OPERATOR = re.compile(r"(=~|!~|!=|=)\s*$")


# --- escaping ---------------------------------------------------------------------------------


def escape_string(value: str, quote_char: str = '"') -> str:
    """The inside of a PromQL string literal that reads back as exactly `value`."""
    out = []
    for ch in value:
        if ch == "\\":
            out.append("\\\\")
        elif ch == quote_char:
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ch == "\x7f":
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return "".join(out)


@dataclass(frozen=True)
class Slot:
    """A placeholder inside a quoted label-matcher value."""

    name: str
    regex: bool
    quote: str


Segment = str | Slot


def parse_template(promql: str) -> list[Segment]:
    """Split a PromQL template into literal text and placeholders; refuse misplaced ones."""
    segments: list[Segment] = []
    i, start, depth = 0, 0, 0
    while i < len(promql):
        ch = promql[i]
        if ch in "\"'`":
            end = _string_end(promql, i)
            inner = promql[i + 1 : end]
            if _PLACEHOLDER.search(inner):
                op = _OPERATOR.search(promql[start:i])
                if ch == "`" or op is None or depth <= 0:
                    raise ValueError(
                        "placeholders may appear only inside a double- or single-quoted label "
                        'matcher value, e.g. region="{region}"'
                    )
                segments.append(promql[start : i + 1])
                regex = op.group(1) in ("=~", "!~")
                pos = 0
                for match in _PLACEHOLDER.finditer(inner):
                    segments.append(inner[pos : match.start()])
                    segments.append(Slot(match.group(1), regex, ch))
                    pos = match.end()
                segments.append(inner[pos:] + ch)
                start = end + 1
            i = end + 1
            continue
        if ch == "#":  # a comment runs to the end of the line
            newline = promql.find("\n", i)
            i = len(promql) if newline < 0 else newline
            continue
        if ch == "{":
            depth += 1
            if bare := _PLACEHOLDER.match(promql, i):
                raise ValueError(
                    f"placeholder {bare.group(0)} must be inside a quoted label matcher value, "
                    'e.g. region="{region}"'
                )
        elif ch == "}":
            depth -= 1
        i += 1
    segments.append(promql[start:])
    return [s for s in segments if s != ""]


def _string_end(text: str, open_at: int) -> int:
    quote_char = text[open_at]
    i = open_at + 1
    while i < len(text):
        if text[i] == "\\" and quote_char != "`":
            i += 2
            continue
        if text[i] == quote_char:
            return i
        if text[i] == "\n" and quote_char != "`":
            break
        i += 1
    raise ValueError("unterminated string in the PromQL")


def render(segments: Sequence[Segment], binding: Mapping[str, str]) -> str:
    """The PromQL with every placeholder replaced by its escaped value."""
    out = []
    for segment in segments:
        if isinstance(segment, Slot):
            value = binding[segment.name]
            if segment.regex:
                value = regex_quote(value)
            out.append(escape_string(value, segment.quote))
        else:
            out.append(segment)
    return "".join(out)


def slots(segments: Sequence[Segment]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(s.name for s in segments if isinstance(s, Slot)))


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


def _time(value: Any) -> datetime | None:
    parsed = parse_time(value)
    return parsed if parsed is not None and parsed.year > 1970 else None


# --- the connector ----------------------------------------------------------------------------


@dataclass
class Run:
    query: PromQuery
    binding: dict[str, str]
    promql: str


class Prometheus(Connector[PrometheusConfig]):
    type_name = "prometheus"
    config_model = PrometheusConfig
    description = "Prometheus: active alerts for the ticket's services, PromQL baseline vs window"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.label = f"prometheus '{self.name}'"
        self._done = False

    def _client(self, deadline: float | None, timeout: float) -> httpx2.AsyncClient:
        return self.ctx.http(self.config.options(deadline, timeout))

    async def _get(
        self, client: httpx2.AsyncClient, path: str, params: Mapping[str, str] | None = None
    ) -> tuple[dict[str, Any], str]:
        body, sent = await get_json(
            client,
            path,
            params,
            label=self.label,
            name=self.name,
            max_bytes=self.config.max_response_bytes,
        )
        return prom_data(body, self.label, sent), sent

    async def check(self) -> list[Check]:
        try:
            async with self._client(None, 10) as client:
                data, _ = await self._get(client, "/api/v1/status/buildinfo")
        except SourceError as exc:
            return [Check("api", False, exc.message + (f" ({exc.hint})" if exc.hint else ""))]
        return [Check("api", True, f"Prometheus {data.get('version', '?')} answers")]

    async def collect(self, query: Query) -> Collected:
        if query.stage == "resolve" or self._done:
            return Collected()
        self._done = True
        out = Collected()
        runs = self.runs(query, out)
        timeout = self.config.timeout.total_seconds() if self.config.timeout else 30.0
        async with self._client(query.deadline, max(0.1, min(query.remaining, timeout))) as client:
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
        data, sent = await self._get(client, "/api/v1/alerts")
        alerts = data.get("alerts")
        if not isinstance(alerts, list):
            raise SourceError(f"{self.label}: no alert list in the answer from {sent}")
        wanted = query.ticket_services(self.config.service_fields)
        states = {"firing", "pending"} if self.config.include_pending else {"firing"}
        found, later = [], 0
        for alert in alerts:
            if not isinstance(alert, dict) or alert.get("state") not in states:
                continue
            labels = _strings(alert.get("labels"))
            if not keep_alert(labels, self.config, wanted):
                continue
            started = _time(alert.get("activeAt"))
            if started is not None and started > query.window.end:
                later += 1
                continue
            found.append(
                alert_evidence(
                    source=self.name,
                    labels=labels,
                    annotations=_strings(alert.get("annotations")),
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
            "start": _rfc3339(start),
            "end": _rfc3339(end),
            "step": f"{step:g}s",
        }
        data, sent = await self._get(client, "/api/v1/query_range", params)
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
        base = _num(s.baseline)
        if s.changed_at is not None:
            status = "firing"
            title = (
                f"{heading}: {_num(s.changed_value)} at {s.changed_at:%H:%M} UTC "
                f"(baseline {base}, above {_num(s.threshold)})"
            )
        else:
            status = "ok"
            title = f"{heading}: no change (window max {_num(s.window_max)}, baseline {base})"
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
            detail="\n".join(
                [
                    f"baseline median {base} ({s.baseline_points} points before the window)",
                    f"window max {_num(s.window_max)}, last {_num(s.window_last)}",
                    f"change threshold {_num(s.threshold)}"
                    + (
                        f", first crossed at {s.changed_at:%Y-%m-%d %H:%M:%S} UTC"
                        if s.changed_at
                        else ""
                    ),
                    f"promql: {run.promql}",
                ]
            )[:2000],
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


@dataclass
class Summary:
    labels: dict[str, str]
    baseline: float | None
    baseline_points: int
    window_max: float | None
    window_last: float | None
    last_at: datetime | None
    threshold: float | None
    changed_at: datetime | None
    changed_value: float | None


def summarise(series: Any, q: PromQuery, window_start: datetime) -> Summary | None:
    """Baseline (median before the window) vs the window, and the first step past the threshold."""
    if not isinstance(series, dict) or not isinstance(series.get("values"), list):
        return None
    points = []
    for pair in series["values"]:
        if isinstance(pair, list) and len(pair) == 2:
            try:
                when, value = float(pair[0]), float(pair[1])
            except (TypeError, ValueError):
                continue
            if math.isfinite(value):
                points.append((datetime.fromtimestamp(when, tz=UTC), value))
    before = [v for t, v in points if t < window_start]
    during = [(t, v) for t, v in points if t >= window_start]
    baseline = statistics.median(before) if before else None
    if q.threshold is not None:
        threshold: float | None = q.threshold
    elif baseline is not None:
        threshold = baseline * q.factor
    else:
        threshold = None
    changed = next(
        ((t, v) for t, v in during if threshold is not None and v > threshold and v > q.min_value),
        None,
    )
    return Summary(
        labels=_strings(series.get("metric")),
        baseline=baseline,
        baseline_points=len(before),
        window_max=max((v for _, v in during), default=None),
        window_last=during[-1][1] if during else None,
        last_at=during[-1][0] if during else None,
        threshold=threshold,
        changed_at=changed[0] if changed else None,
        changed_value=changed[1] if changed else None,
    )


def auth_failure(failures: Sequence[SourceError]) -> bool:
    """Credentials are wrong for every request alike: say so instead of partial results."""
    return any(getattr(f, "http_status", None) in (401, 403) for f in failures)


def _strings(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in list(value.items())[:100]}


def _fill(template: str, values: Mapping[str, str]) -> str:
    try:
        return template.format_map(Blank(values))
    except (ValueError, IndexError, AttributeError, KeyError):
        return template


def _num(value: float | None) -> str:
    return "none" if value is None else f"{value:.4g}"


def _rfc3339(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
