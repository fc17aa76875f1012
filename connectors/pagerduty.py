"""`pagerduty`: PagerDuty incidents on the configured services that overlap the ticket's window,
each with a capped summary of its log entries and a link to the incident.

    oncall:
      type: pagerduty
      api_token: ${PAGERDUTY_API_TOKEN}        # a read-only REST API key is enough
      service_ids: [PSVC123, PSVC456]          # watch these services (empty: every service)
      # ticket_services: {checkout: PSVC789}   # a service the ticket names → its PagerDuty ID
      # team_ids: [PTEAM1]
      # urgencies: [high]
      # include_open: true                     # also incidents still open that began earlier
      # base_url: https://api.eu.pagerduty.com

Requests (REST API v2, `Authorization: Token token=…`,
`Accept: application/vnd.pagerduty+json;version=2`):

- `GET /incidents` with `service_ids[]`, `since`/`until` (the window), `time_zone=UTC`, every
  status, offset paging (`limit`/`offset` while `more`); with `include_open`, a second listing
  (run concurrently) of `statuses[]=triggered,acknowledged` over `date_range=all` catches an
  incident that began before the window and is still open. Incidents are kept when they overlap
  the window.
- `GET /incidents/{id}/log_entries?is_overview=true` for the first `max_log_incidents`
  incidents (concurrently), at most `max_log_entries` lines each.

Evidence kind `incident`, `status` = `triggered` | `acknowledged` |
`resolved`, which `signals.is_problem` reads (the first two are problems).
"""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from typing import Any
from urllib.parse import quote

from pydantic import Field, SecretStr, field_validator

from investigate.sdk import Evidence, Level, SourceError, web_link
from investigate.sdk.alerts import MAX_RESPONSE_BYTES, check_base_url, clean
from investigate.sdk.contract import Collected, Query, gather_parts
from investigate.sdk.fieldchecks import each
from investigate.sdk.http import Bearer, HttpConfig, HttpConnector, Session
from investigate.sdk.rows import parse_time

_PD_ID = re.compile(r"^[A-Za-z0-9]{1,40}$")
PD_ACCEPT = "application/vnd.pagerduty+json;version=2"
_HEADERS = {"Accept": PD_ACCEPT, "Content-Type": "application/json"}
_HINTS = {
    401: "set connectors.{name}.api_token to a valid PagerDuty REST API key",
    403: "the key in connectors.{name}.api_token may not read incidents "
    "(use a general-access read-only key, not a user key without access)",
    404: "check connectors.{name}.base_url (https://api.pagerduty.com, or "
    "https://api.eu.pagerduty.com for EU accounts)",
    429: "rate limited by PagerDuty: the Retry-After did not fit in the deadline; try again later",
    0: "check connectors.{name}.base_url points at PagerDuty's REST API",
}


# --- PagerDuty -------------------------------------------------------------------------------


class PagerDutyConfig(HttpConfig):
    api_token: SecretStr
    base_url: str = "https://api.pagerduty.com"
    service_ids: list[str] = Field(default_factory=list)
    ticket_services: dict[str, str] = Field(
        default_factory=dict, description="A service name the ticket names → its PagerDuty ID."
    )
    service_fields: list[str] = Field(default_factory=lambda: ["service", "product_area"])
    team_ids: list[str] = Field(default_factory=list)
    urgencies: list[str] = Field(default_factory=list)
    include_open: bool = True
    page_size: int = Field(100, ge=1, le=100)
    max_pages: int = Field(10, ge=1, le=100)
    max_incidents: int = Field(20, ge=1, le=500)
    max_log_incidents: int = Field(5, ge=0, le=50)
    max_log_entries: int = Field(10, ge=1, le=100)
    max_response_bytes: int = Field(MAX_RESPONSE_BYTES, ge=1_000, le=200_000_000)

    _base = field_validator("base_url")(check_base_url)

    _ids = field_validator("service_ids", "team_ids")(
        each(_PD_ID.match, "{!r} is not a PagerDuty ID (letters and digits, e.g. PSVC123)")
    )

    @field_validator("ticket_services")
    @classmethod
    def _map(cls, value: dict[str, str]) -> dict[str, str]:
        bad = [v for v in value.values() if not _PD_ID.match(v)]
        if bad:
            raise ValueError(f"{bad[0]!r} is not a PagerDuty service ID")
        return {k.lower(): v for k, v in value.items()}

    @field_validator("urgencies")
    @classmethod
    def _urgencies(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if v not in ("high", "low")]
        if bad:
            raise ValueError(f"urgency {bad[0]!r}: choose high or low")
        return value


_URGENCY_LEVEL: dict[str, Level] = {"high": "error", "low": "warning"}
_STATUS_ORDER = {"triggered": 0, "acknowledged": 1, "resolved": 2}


class PagerDuty(HttpConnector[PagerDutyConfig]):
    type_name = "pagerduty"
    config_model = PagerDutyConfig
    description = "PagerDuty: incidents on the ticket's services that overlap its window"
    auth = Bearer("api_token", scheme="Token token=")
    headers = _HEADERS
    pooled = False
    check_path = "/incidents?limit=1&time_zone=UTC"
    check_ok = "PagerDuty REST API answers; the key can read incidents"
    vendor_hints = _HINTS

    def services_for(self, wanted: list[str]) -> list[str]:
        ids = list(self.config.service_ids)
        ids += [
            self.config.ticket_services[w.lower()]
            for w in wanted
            if w.lower() in self.config.ticket_services
        ]
        return list(dict.fromkeys(ids))

    def listings(self, query: Query, services: list[str]) -> list[dict[str, str | list[str]]]:
        cfg = self.config
        common: dict[str, str | list[str]] = {"time_zone": "UTC", "limit": str(cfg.page_size)}
        if services:
            common["service_ids[]"] = services
        if cfg.team_ids:
            common["team_ids[]"] = list(cfg.team_ids)
        if cfg.urgencies:
            common["urgencies[]"] = list(cfg.urgencies)
        out: list[dict[str, str | list[str]]] = [
            {
                **common,
                "since": _iso(query.window.start),
                "until": _iso(query.window.end),
                "statuses[]": ["triggered", "acknowledged", "resolved"],
            }
        ]
        if cfg.include_open:
            out.append({**common, "date_range": "all", "statuses[]": ["triggered", "acknowledged"]})
        return out

    async def gather(self, api: Session, query: Query) -> Collected:
        cfg = self.config
        wanted = query.ticket_services(cfg.service_fields)
        services = self.services_for(wanted)
        out = Collected()
        found: dict[str, tuple[dict[str, Any], str]] = {}
        listed = await gather_parts(
            out, [self._list(api, params, out) for params in self.listings(query, services)], []
        )
        for incident, sent in (pair for pairs in listed for pair in pairs):
            found.setdefault(str(incident.get("id")), (incident, sent))
        kept = [(inc, sent) for inc, sent in found.values() if _overlaps(inc, query)]
        outside = len(found) - len(kept)
        kept.sort(key=lambda pair: _order(pair[0], wanted))
        if len(kept) > cfg.max_incidents:
            out.notes.append(
                f"{self.label}: {len(kept)} incidents; kept the first {cfg.max_incidents}"
            )
            kept = kept[: cfg.max_incidents]
        logs = await self._logs(api, [inc for inc, _ in kept[: cfg.max_log_incidents]], out)
        for incident, sent in kept:
            out.evidence.append(
                self._evidence(incident, sent, logs.get(str(incident["id"]), []), wanted)
            )
        if outside:
            out.notes.append(f"{self.label}: {outside} incident(s) outside the window; left out")
        return out

    async def _list(
        self, api: Session, params: dict[str, str | list[str]], out: Collected
    ) -> list[tuple[dict[str, Any], str]]:
        cfg = self.config
        offset = 0
        found: list[tuple[dict[str, Any], str]] = []
        for page in range(cfg.max_pages):
            got = await api.get("/incidents", {**params, "offset": str(offset)})
            body, sent = got.body, got.request
            if not isinstance(body, dict) or not isinstance(body.get("incidents"), list):
                raise SourceError(
                    f"{self.label}: expected an object with an incidents list from {sent}",
                    hint=self.hints()[0],
                )
            batch = [i for i in body["incidents"] if isinstance(i, dict) and i.get("id")]
            found += [(i, sent) for i in batch]
            if body.get("more") is not True or not body["incidents"]:
                return found
            offset += len(body["incidents"])
            if page == cfg.max_pages - 1:
                out.notes.append(
                    f"{self.label}: stopped after {cfg.max_pages} pages of incidents "
                    f"(raise connectors.{self.name}.max_pages to read more)"
                )
        return found

    async def _logs(
        self, api: Session, incidents: list[dict[str, Any]], out: Collected
    ) -> dict[str, list[str]]:
        limit = asyncio.Semaphore(4)

        async def one(incident_id: str) -> tuple[str, list[str]]:
            if not _PD_ID.match(incident_id):
                return incident_id, []
            async with limit:
                try:
                    answer = await api.get(
                        f"/incidents/{quote(incident_id, safe='')}/log_entries",
                        {
                            "limit": str(self.config.max_log_entries),
                            "time_zone": "UTC",
                            "is_overview": "true",
                        },
                    )
                except SourceError as exc:
                    out.notes.append(f"{exc.message} (log entries of {incident_id} left out)")
                    return incident_id, []
            body = answer.body
            entries = body.get("log_entries") if isinstance(body, dict) else None
            if not isinstance(entries, list):
                return incident_id, []
            lines = [_log_line(e) for e in entries[: self.config.max_log_entries]]
            return incident_id, [line for line in lines if line]

        pairs = await asyncio.gather(*(one(str(i["id"])) for i in incidents))
        return dict(pairs)

    def _evidence(
        self, incident: dict[str, Any], sent: str, logs: list[str], wanted: list[str]
    ) -> Evidence:
        status = str(incident.get("status") or "").lower() or "unknown"
        urgency = str(incident.get("urgency") or "")
        service_ref = incident.get("service") if isinstance(incident.get("service"), dict) else {}
        assert isinstance(service_ref, dict)
        service = clean(service_ref.get("summary") or service_ref.get("name") or "", 100)
        created = parse_time(incident.get("created_at"))
        resolved = parse_time(incident.get("resolved_at")) if status == "resolved" else None
        if status == "resolved" and resolved is None:
            resolved = parse_time(incident.get("last_status_change_at"))
        number = incident.get("incident_number")
        title = clean(incident.get("title") or incident.get("summary") or "incident", 200)
        priority = incident.get("priority") if isinstance(incident.get("priority"), dict) else {}
        assert isinstance(priority, dict)
        prio = clean(priority.get("summary") or "", 20)
        detail = [
            f"status {status}, urgency {urgency or '?'}" + (f", priority {prio}" if prio else ""),
            f"service: {service}" if service else "",
            f"created {_when(created)}" + (f", resolved {_when(resolved)}" if resolved else ""),
            *(f"log: {line}" for line in logs),
        ]
        ours = bool(service) and service.lower() in {w.lower() for w in wanted}
        return Evidence(
            source=self.name,
            kind="incident",
            timestamp=created,
            first_seen=created,
            last_seen=resolved,
            title=f"PagerDuty #{number} [{status}] {title}"[:300],
            detail="\n".join(d for d in detail if d)[:3000],
            url=web_link(incident.get("html_url")),
            level=_URGENCY_LEVEL.get(urgency) if status != "resolved" else "info",
            query=sent,
            services=[service] if service else [],
            status=status,
            record={
                "status": status,
                "urgency": urgency,
                "service": service,
                "service_id": clean(service_ref.get("id") or "", 40),
                "priority": prio,
                "incident_number": number,
                "title": title,
                "created_at": created.isoformat() if created else None,
                "resolved_at": resolved.isoformat() if resolved else None,
            },
            attributes={
                "incident_id": clean(incident.get("id"), 40),
                "log_entries": logs,
                "ticket_service": ours,
            },
        )


def _log_line(entry: Any) -> str:
    if not isinstance(entry, dict):
        return ""
    kind = str(entry.get("type") or "").removesuffix("_log_entry").removesuffix("_reference")
    when = parse_time(entry.get("created_at"))
    agent = entry.get("agent") if isinstance(entry.get("agent"), dict) else {}
    assert isinstance(agent, dict)
    channel = entry.get("channel") if isinstance(entry.get("channel"), dict) else {}
    assert isinstance(channel, dict)
    details = entry.get("event_details") if isinstance(entry.get("event_details"), dict) else {}
    assert isinstance(details, dict)
    parts = [
        f"{when:%H:%M}" if when else "",
        kind or "entry",
        clean(entry.get("summary") or "", 160),
        f"by {clean(agent.get('summary'), 60)}" if agent.get("summary") else "",
        clean(entry.get("note") or channel.get("summary") or details.get("description") or "", 200),
    ]
    return " ".join(p for p in parts if p)


def _overlaps(incident: dict[str, Any], query: Query) -> bool:
    created = parse_time(incident.get("created_at"))
    if created is not None and created > query.window.end:
        return False
    if str(incident.get("status")) != "resolved":
        return True
    resolved = parse_time(incident.get("resolved_at") or incident.get("last_status_change_at"))
    return resolved is None or resolved >= query.window.start


def _order(incident: dict[str, Any], wanted: list[str]) -> tuple[int, int, int, float]:
    service = incident.get("service") if isinstance(incident.get("service"), dict) else {}
    assert isinstance(service, dict)
    ours = str(service.get("summary") or "").lower() in {w.lower() for w in wanted}
    created = parse_time(incident.get("created_at"))
    return (
        0 if ours else 1,
        _STATUS_ORDER.get(str(incident.get("status")), 3),
        0 if incident.get("urgency") == "high" else 1,
        -(created.timestamp() if created else 0.0),
    )


def _iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M:%S} UTC" if value else "?"
