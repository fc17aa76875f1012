"""`statuspage`: the company's own Atlassian Statuspage, through its public v2 API: unresolved
incidents, recent incidents that overlap the ticket's window, and components that are not
operational. An open incident on your own status page is strong evidence of an outage.

    status:
      type: statuspage
      base_url: https://status.acme.com          # the status page's root (public, no auth)
      # components: [API, Checkout]              # only these components (empty: all)
      # ticket_components: {checkout: Checkout}  # a service the ticket names → component

Requests (concurrently): `GET {base_url}/api/v2/summary.json` (components, unresolved
incidents) and `GET {base_url}/api/v2/incidents.json` (the 50 most recent incidents; the public
API has no paging, so when all 50 are newer than the window the report says older ones were not
seen).

Evidence: each incident is kind `incident` with `status` `open` (while
investigating / identified / monitoring) or `resolved`, and the Statuspage status kept in
`row["statuspage_status"]`; each degraded component is kind `status` with the component's
status (`degraded_performance`, `partial_outage`, `major_outage`, `under_maintenance`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field, field_validator

from investigate.sdk import Evidence, Level, SourceError, web_link
from investigate.sdk.alerts import clean
from investigate.sdk.contract import Check, Collected, Query, gather_parts
from investigate.sdk.http import HttpConfig, HttpConnector, Session
from investigate.sdk.rows import parse_time

RESOLVED = frozenset({"resolved", "postmortem", "completed"})
RECENT_LIMIT = 50
"""What `incidents.json` returns: the 50 most recent incidents."""
_IMPACT_LEVEL: dict[str, Level] = {
    "critical": "critical",
    "major": "error",
    "minor": "warning",
    "none": "info",
    "maintenance": "info",
}
_COMPONENT_LEVEL: dict[str, Level] = {
    "major_outage": "critical",
    "partial_outage": "error",
    "degraded_performance": "warning",
    "under_maintenance": "info",
}


class StatuspageConfig(HttpConfig):
    components: list[str] = Field(default_factory=list, description="Only these components.")
    ticket_components: dict[str, str] = Field(
        default_factory=dict, description="A service the ticket names → a component name."
    )
    service_fields: list[str] = Field(default_factory=lambda: ["service", "product_area"])
    max_incidents: int = Field(20, ge=1, le=200)
    max_updates: int = Field(3, ge=0, le=20)

    @field_validator("base_url")
    @classmethod
    def _base(cls, value: str) -> str:
        value = value.rstrip("/")
        for suffix in ("/api/v2/summary.json", "/api/v2", "/api"):
            value = value.removesuffix(suffix)
        return value


class Statuspage(HttpConnector[StatuspageConfig]):
    type_name = "statuspage"
    config_model = StatuspageConfig
    description = "Statuspage: open and recent incidents and degraded components (public API)"
    pooled = False

    def hints(self) -> dict[int, str]:
        fix = f"check connectors.{self.name}.base_url is the status page's root"
        return {
            401: f"this status page is private; {fix} of a public page",
            403: f"this status page is private or blocks this client; {fix} of a public page",
            404: f"{fix} (e.g. https://status.acme.com, where /api/v2/summary.json exists)",
            429: "rate limited by the status page: the Retry-After did not fit in the deadline",
            0: f"{fix}: it answered with something other than Statuspage's JSON",
        }

    async def _get(self, api: Session, path: str) -> tuple[dict[str, Any], str]:
        page = await api.get(path)
        key = "components" if path.endswith("summary.json") else "incidents"
        if not isinstance(page.body, dict) or not isinstance(page.body.get(key), list):
            raise SourceError(
                f"{self.label}: expected a Statuspage object with a {key} list from {page.request}",
                hint=self.hints()[0],
            )
        return page.body, page.request

    async def check(self) -> list[Check]:
        try:
            async with self.session(None) as api:
                body, _ = await self._get(api, "/api/v2/summary.json")
        except SourceError as exc:
            return [Check("api", False, exc.message + (f" ({exc.hint})" if exc.hint else ""))]
        status = body.get("status") if isinstance(body.get("status"), dict) else {}
        assert isinstance(status, dict)
        return [Check("api", True, f"status page answers: {clean(status.get('description'), 80)}")]

    def watched(self, query: Query) -> tuple[set[str], set[str]]:
        """(components to keep — empty for all, components the ticket names)."""
        wanted = query.ticket_services(self.config.service_fields)
        mapping = {k.lower(): v.lower() for k, v in self.config.ticket_components.items()}
        named = {mapping.get(w.lower(), w.lower()) for w in wanted}
        return {c.lower() for c in self.config.components}, named

    async def gather(self, api: Session, query: Query) -> Collected:
        out = Collected()
        (summary, sent_summary), (recent, sent_recent) = await gather_parts(
            out,
            [self._get(api, "/api/v2/summary.json"), self._get(api, "/api/v2/incidents.json")],
            ({}, ""),
        )
        keep, named = self.watched(query)
        page = summary.get("page") if isinstance(summary.get("page"), dict) else {}
        assert isinstance(page, dict)
        page_url = web_link(page.get("url")) or self.config.base_url
        incidents: dict[str, tuple[dict[str, Any], str]] = {}
        for body, sent in ((summary, sent_summary), (recent, sent_recent)):
            for inc in body.get("incidents") or []:
                if isinstance(inc, dict) and inc.get("id"):
                    incidents.setdefault(str(inc["id"]), (inc, sent))
        kept = [
            (inc, sent)
            for inc, sent in incidents.values()
            if _overlaps(inc, query) and _relevant(_component_names(inc), keep)
        ]
        kept.sort(key=lambda pair: _order(pair[0], named))
        if len(kept) > self.config.max_incidents:
            out.notes.append(
                f"{self.label}: {len(kept)} incidents; kept {self.config.max_incidents}"
            )
        for inc, sent in kept[: self.config.max_incidents]:
            out.evidence.append(self._incident(inc, sent, page_url, named))
        for comp in summary.get("components") or []:
            if not isinstance(comp, dict) or comp.get("group") is True:
                continue
            status = str(comp.get("status") or "operational")
            name = str(comp.get("name") or "")
            if status != "operational" and _relevant([name], keep):
                out.evidence.append(self._component(comp, sent_summary, page_url, named))
        listed = [i for i in recent.get("incidents") or [] if isinstance(i, dict)]
        oldest = min((t for i in listed if (t := _started(i)) is not None), default=None)
        if len(listed) >= RECENT_LIMIT and oldest is not None and oldest > query.window.start:
            out.notes.append(
                f"{self.label}: the public API lists only the {RECENT_LIMIT} most recent incidents "
                f"(back to {oldest:%Y-%m-%d %H:%M} UTC); older ones in the window were not seen"
            )
        return out

    def _incident(self, inc: dict[str, Any], sent: str, page_url: str, named: set[str]) -> Evidence:
        sp_status = str(inc.get("status") or "").lower() or "unknown"
        status = "resolved" if sp_status in RESOLVED else "open"
        impact = str(inc.get("impact") or "none").lower()
        started = _started(inc)
        resolved = parse_time(inc.get("resolved_at")) if status == "resolved" else None
        components = [clean(c, 80) for c in _component_names(inc)]
        name = clean(inc.get("name") or "incident", 200)
        updates = [u for u in inc.get("incident_updates") or [] if isinstance(u, dict)]
        lines = [
            f"{sp_status}, impact {impact}"
            + (f", components: {', '.join(components[:10])}" if components else ""),
            f"started {_when(started)}" + (f", resolved {_when(resolved)}" if resolved else ""),
        ]
        for u in updates[: self.config.max_updates]:
            when = parse_time(u.get("display_at") or u.get("created_at"))
            lines.append(
                f"update {_when(when)} [{clean(u.get('status'), 30)}]: {clean(u.get('body'), 300)}"
            )
        url = web_link(inc.get("shortlink")) or f"{page_url}/incidents/{clean(inc.get('id'), 40)}"
        return Evidence(
            source=self.name,
            kind="incident",
            timestamp=started,
            first_seen=started,
            last_seen=resolved,
            title=f"Status page incident [{sp_status}] {name}"[:300],
            detail="\n".join(lines)[:3000],
            url=url,
            level=_IMPACT_LEVEL.get(impact, "warning") if status == "open" else "info",
            query=sent,
            services=components[:10],
            status=status,
            record={
                "status": status,
                "statuspage_status": sp_status,
                "impact": impact,
                "component": ", ".join(components[:10]),
                "service": ", ".join(components[:10]),
                "name": name,
                "started_at": started.isoformat() if started else None,
                "resolved_at": resolved.isoformat() if resolved else None,
            },
            attributes={
                "incident_id": clean(inc.get("id"), 40),
                "ticket_service": bool({c.lower() for c in components} & named),
            },
        )

    def _component(
        self, comp: dict[str, Any], sent: str, page_url: str, named: set[str]
    ) -> Evidence:
        status = clean(comp.get("status"), 40).lower()
        name = clean(comp.get("name") or "component", 120)
        updated = parse_time(comp.get("updated_at"))
        return Evidence(
            source=self.name,
            kind="status",
            timestamp=updated,
            first_seen=updated,
            title=f"Status page: {name} is {status.replace('_', ' ')}"[:300],
            detail=f"component {name}: {status} since {_when(updated)}"
            + (f"\n{clean(comp.get('description'), 300)}" if comp.get("description") else ""),
            url=page_url,
            level=_COMPONENT_LEVEL.get(status, "warning"),
            query=sent,
            services=[name],
            status=status,
            record={"status": status, "component": name, "service": name},
            attributes={"ticket_service": name.lower() in named},
        )


def _component_names(inc: dict[str, Any]) -> list[str]:
    names = [c.get("name") for c in inc.get("components") or [] if isinstance(c, dict)]
    return [str(n) for n in names if n]


def _relevant(components: list[str], keep: set[str]) -> bool:
    return not keep or not components or any(c.lower() in keep for c in components)


def _started(inc: dict[str, Any]) -> datetime | None:
    return parse_time(inc.get("started_at")) or parse_time(inc.get("created_at"))


def _overlaps(inc: dict[str, Any], query: Query) -> bool:
    started = _started(inc)
    if started is not None and started > query.window.end:
        return False
    if str(inc.get("status") or "").lower() not in RESOLVED:
        return True
    resolved = parse_time(inc.get("resolved_at"))
    return resolved is None or resolved >= query.window.start


def _order(inc: dict[str, Any], named: set[str]) -> tuple[int, int, float]:
    started = _started(inc)
    ours = bool({c.lower() for c in _component_names(inc)} & named)
    return (
        0 if ours else 1,
        1 if str(inc.get("status") or "").lower() in RESOLVED else 0,
        -(started.timestamp() if started else 0.0),
    )


def _when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC" if value else "?"
