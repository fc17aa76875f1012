"""`datadog_monitors`: Datadog monitors in Alert / Warn / No Data on the watched tags (and,
optionally, monitors that triggered in the window and have recovered), through API v1.

    monitors:
      type: datadog_monitors
      api_key: ${DD_API_KEY}
      app_key: ${DD_APP_KEY}                   # needs the monitors_read scope
      site: datadoghq.eu                        # datadoghq.com (default), us3.datadoghq.com, …
      monitor_tags: [service:checkout]          # tags on the monitor itself
      # tags: [env:prod]                        # scope tags of the monitors' groups
      # entity_tags: {region: "region:{value}", service: "service:{value}"}
      # filter_by_entity_tags: false            # true: also send them as monitor_tags
      # include_recovered: false                # also OK monitors that triggered in the window

One `GET /api/v1/monitor` per page (`page`/`page_size`) with `monitor_tags` and `tags`
(comma-separated) and `group_states=alert,warn,no data` (`all` with `include_recovered`).
`entity_tags` builds tags from the ticket: each key is an entity parameter (`account_id`,
`product_area`, …) or a ticket custom field (`region`, `service`), and `{value}` is its value.
A monitor carrying one of them is marked as the ticket's (ranked first, `ticket_service`); with
`filter_by_entity_tags` they are also sent in `monitor_tags` (Datadog then requires every tag,
so a monitor without the region tag would be left out — hence off by default). A value that is
not a plain tag value (letters, digits, `_-./:@`) is never used, with a note, so ticket text
can never add a filter or break the comma list.

Statuses: `Alert` → `firing`, `Warn` → `warning`, `No Data` → `no_data`, `OK` → `ok`; the
Datadog state is kept in `row["monitor_state"]`. Links go to `https://app.<site>/monitors/<id>`
(or `app_url`).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pydantic import Field, SecretStr, field_validator, model_validator

from investigate.sdk import Evidence, Level, SourceError, alerts
from investigate.sdk.contract import Collected, Query
from investigate.sdk.fieldchecks import each
from investigate.sdk.http import HeaderKey, HttpConfig, HttpConnector, Session, Together
from investigate.sdk.rows import parse_time

_SITE = re.compile(r"^[a-z0-9]+(?:[.-][a-z0-9]+)*\.[a-z]{2,}$")
_TAG = re.compile(r"^[A-Za-z][A-Za-z0-9_\-./:@]{0,199}$")
_VALUE = re.compile(r"^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9_\-./:@]{0,149}$")
STATUS = {"Alert": "firing", "Warn": "warning", "No Data": "no_data", "OK": "ok"}
_LEVEL: dict[str, Level] = {"firing": "error", "warning": "warning", "no_data": "warning"}
_PRIORITY_LEVEL: dict[int, Level] = {1: "critical", 2: "error"}
_ORDER = {"firing": 0, "warning": 1, "no_data": 2, "ok": 3}
_HINTS = {
    400: "Datadog rejected the tag filters; check connectors.{name}.monitor_tags/tags",
    403: "set connectors.{name}.app_key to an application key with the monitors_read scope "
    "(and check the site: keys only work on their own site)",
    404: "check connectors.{name}.site / base_url",
    429: "rate limited by Datadog: the Retry-After did not fit in the deadline; try again later",
    0: "check connectors.{name}.base_url points at Datadog's API",
}


class DatadogMonitorsConfig(HttpConfig):
    api_key: SecretStr
    app_key: SecretStr
    site: str = "datadoghq.com"
    base_url: str = ""
    app_url: str | None = None
    monitor_tags: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    entity_tags: dict[str, str] = Field(default_factory=dict)
    filter_by_entity_tags: bool = False
    service_fields: list[str] = Field(default_factory=lambda: ["service", "product_area"])
    include_recovered: bool = False
    page_size: int = Field(100, ge=1, le=1000)
    max_pages: int = Field(10, ge=1, le=100)
    max_monitors: int = Field(20, ge=1, le=500)
    max_groups: int = Field(5, ge=1, le=50)
    max_response_bytes: int = Field(alerts.MAX_RESPONSE_BYTES, ge=1_000, le=200_000_000)

    @field_validator("site")
    @classmethod
    def _site(cls, value: str) -> str:
        value = value.strip().lower().removeprefix("https://").removeprefix("api.").rstrip("/")
        if not _SITE.match(value):
            raise ValueError("site must be a Datadog site such as datadoghq.com or datadoghq.eu")
        return value

    _unset = field_validator("base_url", mode="before")(lambda value: value or "")
    _app_url = field_validator("app_url")(alerts.check_base_url)

    _tags = field_validator("monitor_tags", "tags")(
        each(_TAG.match, "{!r} is not a Datadog tag (e.g. service:checkout)")
    )

    @field_validator("entity_tags")
    @classmethod
    def _templates(cls, value: dict[str, str]) -> dict[str, str]:
        for key, template in value.items():
            if "{value}" not in template or not _TAG.match(template.replace("{value}", "x")):
                raise ValueError(
                    f"{key}: {template!r} must be a tag with {{value}}, e.g. region:{{value}}"
                )
        return value

    @model_validator(mode="after")
    def _defaults(self) -> DatadogMonitorsConfig:
        if not self.base_url:
            self.base_url = f"https://api.{self.site}"
        if self.app_url is None:
            host = self.site if self.site.count(".") >= 2 else f"app.{self.site}"
            self.app_url = f"https://{host}"
        return self


class DatadogMonitors(HttpConnector[DatadogMonitorsConfig]):
    type_name = "datadog_monitors"
    config_model = DatadogMonitorsConfig
    description = "Datadog monitors in Alert/Warn/No Data on the ticket's services (API v1)"

    auth = Together(
        "api_key", (HeaderKey("api_key", "DD-API-KEY"), HeaderKey("app_key", "DD-APPLICATION-KEY"))
    )
    vendor_hints = _HINTS
    pooled = False
    check_path = "/api/v1/monitor?page=0&page_size=1"
    check_ok = "Datadog ({site}) answers; the keys read monitors"

    def hints(self) -> dict[int, str]:
        key = f"connectors.{self.name}.api_key"
        return super().hints() | {
            401: f"set {key} to a valid Datadog API key for {self.config.site}"
        }

    def ticket_tags(self, query: Query, out: Collected) -> list[str]:
        """Tags built from the ticket through `entity_tags` (plain tag values only)."""
        params = query.params()
        found: list[str] = []
        skipped = 0
        for key, template in self.config.entity_tags.items():
            raw = params.get(key) or _field(query, key)
            for value in raw[:5]:
                if _VALUE.match(value):
                    found.append(template.replace("{value}", value.lower()))
                else:
                    skipped += 1
        if skipped:
            out.notes.append(
                f"{self.label}: {skipped} ticket value(s) are not plain tag values; not used "
                "as tags"
            )
        return list(dict.fromkeys(found))

    async def gather(self, api: Session, query: Query) -> Collected:
        cfg = self.config
        out = Collected()
        mine = self.ticket_tags(query, out)
        monitor_tags = list(
            dict.fromkeys(cfg.monitor_tags + (mine if cfg.filter_by_entity_tags else []))
        )
        tags = list(cfg.tags)
        params = {
            "group_states": "all" if cfg.include_recovered else "alert,warn,no data",
            "page_size": str(cfg.page_size),
        }
        if monitor_tags:
            params["monitor_tags"] = ",".join(monitor_tags)
        if tags:
            params["tags"] = ",".join(tags)
        found: list[tuple[dict[str, Any], str]] = []
        for page in range(cfg.max_pages):
            got = await api.get("/api/v1/monitor", {**params, "page": str(page)})
            body, sent = got.body, got.request
            if not isinstance(body, list):
                raise SourceError(
                    f"{self.label}: expected a list of monitors from {sent}",
                    hint=self.hints()[0],
                )
            found += [(m, sent) for m in body if isinstance(m, dict)]
            if len(body) < cfg.page_size:
                break
            if page == cfg.max_pages - 1:
                out.notes.append(
                    f"{self.label}: stopped after {cfg.max_pages} pages of monitors "
                    f"(raise connectors.{self.name}.max_pages or narrow the tags)"
                )
        wanted = {w.lower() for w in query.ticket_services(cfg.service_fields)}
        evidence = [
            e
            for m, sent in found
            if (e := self._evidence(m, sent, query, wanted, set(mine))) is not None
        ]
        evidence.sort(key=_order)
        if len(evidence) > cfg.max_monitors:
            out.notes.append(f"{self.label}: {len(evidence)} monitors; kept {cfg.max_monitors}")
        out.evidence = evidence[: cfg.max_monitors]
        return out

    def _evidence(
        self, monitor: dict[str, Any], sent: str, query: Query, wanted: set[str], mine: set[str]
    ) -> Evidence | None:
        state = str(monitor.get("overall_state") or "")
        status = STATUS.get(state)
        if status is None:
            return None  # Ignored / Skipped / Unknown
        groups = _groups(monitor)
        bad = [g for g in groups if g[1] in ("Alert", "Warn", "No Data")]
        triggered = [t for g in (bad or groups) if (t := g[2]) is not None]
        started = min(triggered) if bad and triggered else None
        last = max(triggered) if triggered else None
        if status == "ok":
            recovered = [t for g in groups if (t := g[3]) is not None]
            ended = max(recovered) if recovered else None
            if not (_within(last, query) or _within(ended, query)):
                return None
        elif started is not None and started > query.window.end:
            return None
        tags = [alerts.clean(t, 100) for t in monitor.get("tags") or [] if isinstance(t, str)][:50]
        services = [t.split(":", 1)[1] for t in tags if t.startswith("service:")]
        region = next((t.split(":", 1)[1] for t in tags if t.startswith("region:")), "")
        name = alerts.clean(monitor.get("name") or "monitor", 200)
        priority = monitor.get("priority") if isinstance(monitor.get("priority"), int) else None
        monitor_id = monitor.get("id") if isinstance(monitor.get("id"), int) else None
        message = alerts.clean(str(monitor.get("message") or "").split("\n")[0], 300)
        detail = [
            f"{state}"
            + (f" since {_when(started)}" if started else "")
            + (f", priority P{priority}" if priority else ""),
            message,
            f"query: {alerts.clean(monitor.get('query'), 400)}",
            *(
                f"group {alerts.clean(g[0], 120)}: {g[1]}"
                + (f" (triggered {_when(g[2])})" if g[2] else "")
                for g in (bad or groups)[: self.config.max_groups]
            ),
            f"tags: {', '.join(tags)}" if tags else "",
        ]
        level: Level | None = _LEVEL.get(status)
        if status == "firing" and priority in _PRIORITY_LEVEL:
            level = _PRIORITY_LEVEL[priority]
        return Evidence(
            source=self.name,
            kind="alert",
            timestamp=started or last,
            first_seen=started or last,
            last_seen=last if status == "ok" else None,
            title=f"Datadog monitor [{status}] {name}"[:300],
            detail="\n".join(d for d in detail if d)[:3000],
            url=f"{self.config.app_url}/monitors/{monitor_id}" if monitor_id else None,
            level=level,
            query=sent,
            services=services[:5],
            status=status,
            record={
                "status": status,
                "monitor_state": state,
                "service": services[0] if services else "",
                "region": region,
                "labels": " ".join(tags),
                "priority": priority,
                "type": alerts.clean(monitor.get("type"), 40),
            },
            attributes={
                "monitor_id": monitor_id,
                "groups_alerting": len(bad),
                "ticket_service": bool(wanted & {s.lower() for s in services})
                or bool(mine & {t.lower() for t in tags}),
                "ticket_tags": sorted(mine & {t.lower() for t in tags}),
            },
        )


def _field(query: Query, key: str) -> list[str]:
    value = query.ticket.custom_fields.get(key)
    values = value if isinstance(value, list) else [value]
    return [str(v).strip() for v in values if isinstance(v, str | int) and str(v).strip()]


def _groups(
    monitor: dict[str, Any],
) -> list[tuple[str, str, datetime | None, datetime | None]]:
    """(name, state, last triggered, last resolved) of each group in the monitor's state."""
    state = monitor.get("state") if isinstance(monitor.get("state"), dict) else {}
    assert isinstance(state, dict)
    groups = state.get("groups") if isinstance(state.get("groups"), dict) else {}
    assert isinstance(groups, dict)
    out = []
    for key, group in list(groups.items())[:1000]:
        if isinstance(group, dict):
            out.append(
                (
                    str(group.get("name") or key),
                    str(group.get("status") or ""),
                    _epoch(group.get("last_triggered_ts")),
                    _epoch(group.get("last_resolved_ts")),
                )
            )
    return out


def _within(value: datetime | None, query: Query) -> bool:
    return value is not None and query.window.start <= value <= query.window.end


def _epoch(value: Any) -> datetime | None:
    return parse_time(value) if isinstance(value, int) and value > 0 else None


def _order(e: Evidence) -> tuple[int, int, float]:
    return (
        0 if e.attributes.get("ticket_service") else 1,
        _ORDER.get(str(e.status), 4),
        -(e.timestamp.timestamp() if e.timestamp else 0.0),
    )


def _when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC" if value else "?"
