"""`alertmanager`: the alerts Alertmanager holds (firing, silenced, inhibited) for the ticket's
services, through its v2 API.

    alerts:
      type: alertmanager
      base_url: http://alertmanager:9093
      # bearer_token: ${AM_TOKEN}             # or username: … / password: ${AM_PASSWORD}
      service_label: service
      # services: [api, billing]              # only these services' alerts
      # matchers: {env: production}           # label equality filters (sent as `filter`)
      # only_ticket_services: false
      # include_silenced: true                # silenced alerts (status `acknowledged`)
      # include_inhibited: true
      # url_template: "https://alertmanager.example.com/#/alerts?filter=%7Balertname%3D%22{alertname}%22%7D"

One `GET /api/v2/alerts` with `filter` matchers: `label="value"` for `matchers`, and
`service=~"(?i)a|b"` for `services` (or the ticket's services with `only_ticket_services`;
service names compare in any case). Every
value is escaped for Alertmanager's matcher syntax (`\\`, `"`, newline) and regex-quoted after
`=~`, so a value can never close the string or add a matcher; each matcher is its own query
parameter. Statuses: `active` → `firing`; silenced → `acknowledged` (someone knows, it is still
a problem); inhibited → `inhibited`; an alert whose `endsAt` has passed → `resolved`.

Limitation: Alertmanager's API lists only alerts it still holds, and hides those whose `endsAt`
is past, so an incident that is already over usually does not show here; resolved alerts
appear only when the server still returns them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx2

from investigate.sdk import Evidence, SourceError
from investigate.sdk.alerts import (
    MonitoringConfig,
    alert_evidence,
    alert_order,
    get_json,
    keep_alert,
    regex_quote,
)
from investigate.sdk.contract import Check, Collected, Connector, Query
from investigate.sdk.rows import parse_time

LIMITATION = (
    "Alertmanager lists only alerts it still holds (not resolved ones), so an incident that "
    "is already over will not show here"
)


class AlertmanagerConfig(MonitoringConfig):
    include_silenced: bool = True
    include_inhibited: bool = True


def escape_matcher(value: str) -> str:
    """A value inside `label="…"` as Alertmanager's matcher parser reads it back exactly."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def matcher(label: str, value: str) -> str:
    return f'{label}="{escape_matcher(value)}"'


def regex_matcher(label: str, values: list[str], *, ignore_case: bool = False) -> str:
    """`label=~"a|b"` matching exactly these values (each regex-quoted, then escaped)."""
    pattern = ("(?i)" if ignore_case else "") + "|".join(regex_quote(v) for v in values)
    return f'{label}=~"{escape_matcher(pattern)}"'


class Alertmanager(Connector[AlertmanagerConfig]):
    type_name = "alertmanager"
    config_model = AlertmanagerConfig
    description = "Alertmanager: firing and silenced alerts for the ticket's services (API v2)"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.label = f"alertmanager '{self.name}'"
        self._done = False

    def _client(self, deadline: float | None, timeout: float) -> httpx2.AsyncClient:
        return self.ctx.http(self.config.options(deadline, timeout))

    async def _get(
        self, client: httpx2.AsyncClient, path: str, params: dict[str, str | list[str]] | None
    ) -> tuple[Any, str]:
        return await get_json(
            client,
            path,
            params,
            label=self.label,
            name=self.name,
            max_bytes=self.config.max_response_bytes,
        )

    async def check(self) -> list[Check]:
        try:
            async with self._client(None, 10) as client:
                body, _ = await self._get(client, "/api/v2/status", None)
        except SourceError as exc:
            return [Check("api", False, exc.message + (f" ({exc.hint})" if exc.hint else ""))]
        version = body.get("versionInfo", {}).get("version", "?") if isinstance(body, dict) else "?"
        return [Check("api", True, f"Alertmanager {version} answers")]

    def filters(self, wanted: list[str]) -> list[str]:
        """The `filter` matchers, one query parameter each."""
        cfg = self.config
        out = [matcher(k, v) for k, v in cfg.matchers.items()]
        if cfg.only_ticket_services and wanted:
            allowed = {s.lower() for s in cfg.services}
            ours = [w for w in wanted if not allowed or w.lower() in allowed]
            if ours:  # the ticket's words: any case, as `keep_alert` compares them
                out.append(regex_matcher(cfg.service_label, ours, ignore_case=True))
                return out
        if cfg.services:
            out.append(regex_matcher(cfg.service_label, cfg.services, ignore_case=True))
        return out

    async def collect(self, query: Query) -> Collected:
        if query.stage == "resolve" or self._done:
            return Collected()
        self._done = True
        cfg = self.config
        wanted = query.ticket_services(cfg.service_fields)
        params: dict[str, str | list[str]] = {
            "active": "true",
            "silenced": str(cfg.include_silenced).lower(),
            "inhibited": str(cfg.include_inhibited).lower(),
        }
        filters = self.filters(wanted)
        if filters:
            params["filter"] = filters
        timeout = cfg.timeout.total_seconds() if cfg.timeout else 30.0
        async with self._client(query.deadline, max(0.1, min(query.remaining, timeout))) as client:
            body, sent = await self._get(client, "/api/v2/alerts", params)
        if not isinstance(body, list):
            raise SourceError(
                f"{self.label}: expected a list of alerts from {sent}",
                hint=f"check connectors.{self.name}.base_url points at Alertmanager (API v2)",
            )
        now = self.ctx.clock()
        found: list[Evidence] = []
        outside = 0
        malformed = 0
        for alert in body:
            labels = _strings(alert.get("labels")) if isinstance(alert, dict) else {}
            if not isinstance(alert, dict) or not labels:
                malformed += 1  # Alertmanager requires at least one label: this is not an alert
                continue
            if not keep_alert(labels, cfg, wanted):
                continue
            started, ends = _time(alert.get("startsAt")), _time(alert.get("endsAt"))
            if (started is not None and started > query.window.end) or (
                ends is not None and ends < query.window.start
            ):
                outside += 1
                continue
            found.append(self._evidence(alert, labels, started, ends, now, wanted, sent))
        found.sort(key=alert_order)
        out = Collected(evidence=found[: cfg.max_alerts])
        if outside:
            out.notes.append(f"{self.label}: {outside} alert(s) outside the window; left out")
        if malformed:
            out.notes.append(f"{self.label}: {malformed} item(s) that are not alerts; left out")
        if len(found) > cfg.max_alerts:
            out.notes.append(f"{self.label}: {len(found)} alerts; kept {cfg.max_alerts}")
        if not found:
            out.notes.append(f"{self.label}: no alerts; {LIMITATION}")
        return out

    def _evidence(
        self,
        alert: dict[str, Any],
        labels: dict[str, str],
        started: datetime | None,
        ends: datetime | None,
        now: datetime,
        wanted: list[str],
        sent: str,
    ) -> Evidence:
        state = alert.get("status") if isinstance(alert.get("status"), dict) else {}
        assert isinstance(state, dict)
        silenced = [str(s) for s in state.get("silencedBy") or []]
        inhibited = [str(s) for s in state.get("inhibitedBy") or []]
        if ends is not None and ends <= now:
            status = "resolved"
        elif silenced:
            status = "acknowledged"
        elif inhibited:
            status = "inhibited"
        else:
            status = "firing"
        lines = []
        if silenced:
            lines.append(f"silenced by {', '.join(silenced[:5])}")
        if inhibited:
            lines.append(f"inhibited by {', '.join(inhibited[:5])}")
        if status == "resolved" and ends is not None:
            lines.append(f"resolved at {ends:%Y-%m-%d %H:%M:%S} UTC ({LIMITATION})")
        generator = str(alert.get("generatorURL") or "")
        evidence = alert_evidence(
            source=self.name,
            labels=labels,
            annotations=_strings(alert.get("annotations")),
            status=status,
            started=started,
            config=self.config,
            wanted=wanted,
            request=sent,
            url=generator if generator.startswith(("http://", "https://")) else None,
            extra={
                "alertmanager_state": str(state.get("state") or ""),
                "fingerprint": str(alert.get("fingerprint") or ""),
                "ends_at": ends.isoformat() if ends else None,
                "silenced_by": silenced,
                "inhibited_by": inhibited,
            },
            lines=lines,
        )
        evidence.last_seen = ends if status == "resolved" else None
        return evidence


def _strings(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in list(value.items())[:100]}


def _time(value: Any) -> datetime | None:
    parsed = parse_time(value)
    return parsed if parsed is not None and parsed.year > 1970 else None
