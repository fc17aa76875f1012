"""`opsgenie`: Opsgenie alerts and incidents around the ticket's window (read-only).

    oncall_og:
      type: opsgenie
      api_key: ${OPSGENIE_API_KEY}          # an API integration key with read access only
      # region: eu                          # api.eu.opsgenie.com (default us: api.opsgenie.com)
      # app_url: https://acme.app.opsgenie.com   # links to each alert and incident
      # query: 'teams: "payments"'          # Opsgenie search syntax, ANDed with the window
      # status: open                        # open | closed | any (default)
      # acknowledged: false                 # only (un)acknowledged alerts
      # include_snoozed: true
      # tags: [production]                  # any of these tags
      # priorities: [P1, P2]
      # only_ticket_services: false         # only alerts tagged with a service the ticket names
      # incidents: true                     # also the Incident API

`GET /v2/alerts` and `GET /v1/incidents/` (`Authorization: GenieKey <key>`), `query` =
`createdAt <= <window end> AND (lastOccurredAt|updatedAt >= <start> OR status: open)` (epoch ms)
and the filters above (ticket values as quoted phrases), `offset` paging while `paging.next`.
A closed alert is `resolved`; an open one `acknowledged` when acknowledged or snoozed (known,
still a problem), else `firing`. Incidents: `open`, `resolved`, `closed`.
"""

from __future__ import annotations

from typing import Any, Literal

from investigate.sdk import (
    Bearer,
    Collected,
    Evidence,
    Field,
    HttpConfig,
    HttpConnector,
    Level,
    OffsetPaging,
    Query,
    SecretStr,
    Session,
    alert_state,
    detail_pairs,
    epoch_ms,
    items_at,
    lucene_phrase,
    matched,
    model_validator,
    one_line,
    overlaps,
    str_map,
    time_of,
    web_link,
)

REGIONS = {"us": "https://api.opsgenie.com", "eu": "https://api.eu.opsgenie.com"}
LEVELS: dict[str, Level] = {"P1": "critical", "P2": "error", "P3": "warning"}


class OpsgenieConfig(HttpConfig):
    api_key: SecretStr
    region: Literal["us", "eu"] = "us"
    base_url: str = ""
    app_url: str | None = None
    query: str = ""
    status: Literal["open", "closed", "any"] = "any"
    acknowledged: bool | None = None
    include_snoozed: bool = True
    tags: list[str] = Field(default_factory=list)
    priorities: list[Literal["P1", "P2", "P3", "P4", "P5"]] = Field(default_factory=list)
    only_ticket_services: bool = False
    service_fields: list[str] = Field(default_factory=lambda: ["service", "product_area"])
    incidents: bool = True
    page_size: int = Field(100, ge=1, le=100)
    max_pages: int = Field(5, ge=1, le=100)
    max_items: int = Field(50, ge=1, le=500)

    @model_validator(mode="after")
    def _region(self) -> OpsgenieConfig:
        self.base_url = self.base_url or REGIONS[self.region]
        self.app_url = (self.app_url or "").rstrip("/") or None
        return self


def any_of(field: str, values: list[str], quote: bool = True) -> str:
    return "(" + " OR ".join(f"{field}: {lucene_phrase(v) if quote else v}" for v in values) + ")"


class Opsgenie(HttpConnector[OpsgenieConfig]):
    type_name = "opsgenie"
    config_model = OpsgenieConfig
    description = "Opsgenie: alerts and incidents around the ticket (read-only API key)"
    auth = Bearer("api_key", scheme="GenieKey")
    check_path = "/v2/alerts?limit=1"

    def search(self, query: Query, kind: str) -> str:
        cfg, alerts = self.config, kind == "alert"
        start, end = epoch_ms(query.window.start), epoch_ms(query.window.end)
        since = "lastOccurredAt" if alerts else "updatedAt"
        terms = [f"createdAt <= {end}", f"({since} >= {start} OR status: open)"]
        if cfg.status != "any":
            terms.append(f"status: {cfg.status}")
        if alerts and cfg.acknowledged is not None:  # alert-only fields
            terms.append(f"acknowledged: {str(cfg.acknowledged).lower()}")
        if alerts and not cfg.include_snoozed:
            terms.append("snoozed: false")
        if cfg.priorities:
            terms.append(any_of("priority", list(cfg.priorities), quote=False))
        if cfg.tags:
            terms.append(any_of("tag", cfg.tags))
        services = query.ticket_services(cfg.service_fields)
        if cfg.only_ticket_services and services:
            terms.append(any_of("tag", services))
        if cfg.query.strip():
            terms.append(f"({cfg.query.strip()})")
        return " AND ".join(terms)

    async def _list(self, api: Session, path: str, search: str) -> tuple[list[Any], bool, str]:
        paging = OffsetPaging(self.config.page_size, more=_has_next)
        pages = await api.pages(path, {"query": search}, paging, items_at("data"))
        return pages.items, pages.truncated, pages.requests[0] if pages.requests else path

    async def gather(self, api: Session, query: Query) -> Collected:
        cfg = self.config
        out = Collected()
        kinds = {"alert": "/v2/alerts", "incident": "/v1/incidents/"}
        for kind, path in list(kinds.items())[: 1 + cfg.incidents]:
            items, truncated, sent = await self._list(api, path, self.search(query, kind))
            found = [self._evidence(kind, item, query, sent) for item in items]
            kept = [e for e in found if overlaps(query.window, e.first_seen, _ended(e))]
            kept.sort(key=lambda e: (e.state == "resolved", e.attributes["rank"]))
            out.evidence += kept[: cfg.max_items]
            if truncated or len(kept) > cfg.max_items:
                out.notes.append(f"{self.label}: more {kind}s than read; kept {cfg.max_items}")
        return out

    def _evidence(self, kind: str, item: dict[str, Any], query: Query, sent: str) -> Evidence:
        status = str(item.get("status") or "").lower()
        tags = [one_line(t, 80) for t in item.get("tags") or [] if isinstance(t, str)][:20]
        priority = str(item.get("priority") or "")
        if kind == "incident":
            state = alert_state(status)
        elif status == "closed":
            state = "resolved"
        elif item.get("acknowledged") or item.get("snoozed"):
            state = "acknowledged"
        else:
            state = "firing"
        created = time_of(item.get("createdAt"))
        last = time_of(item.get("lastOccurredAt") or item.get("updatedAt"))
        report = str_map(item.get("report"))
        detail = detail_pairs(
            [
                ("priority", priority),
                ("tags", ", ".join(tags)),
                ("count", item.get("count")),
                ("acknowledged_by", report.get("acknowledgedBy")),
                ("snoozed_until", item.get("snoozedUntil") if item.get("snoozed") else None),
                ("closed_by", report.get("closedBy")),
                ("owner_team", item.get("ownerTeam")),
            ]
        )
        wanted = {s.lower() for s in query.ticket_services(self.config.service_fields)}
        app = self.config.app_url
        page = "alert/detail/{}/details" if kind == "alert" else "incident/detail/{}"
        number, message = one_line(item.get("tinyId"), 20), one_line(item.get("message"))
        return Evidence(
            source=self.name,
            kind="alert" if kind == "alert" else "incident",
            timestamp=created,
            first_seen=created,
            last_seen=last,
            title=f"Opsgenie {kind} #{number} [{status or state}] {message}"[:300],
            detail=one_line(detail, 1500),
            url=web_link(f"{app}/{page.format(one_line(item.get('id'), 60))}") if app else None,
            matched=matched(query, [message, item.get("alias"), item.get("description"), *tags]),
            query=sent,
            level=LEVELS.get(priority, "info") if state != "resolved" else "info",
            count=item["count"] if isinstance(item.get("count"), int) and item["count"] > 0 else 1,
            services=[t for t in tags if t.lower() in wanted],
            state=state,
            status=status or None,
            record={"status": status, "priority": priority, "tags": tags},
            attributes={
                "id": one_line(item.get("id"), 60),
                "rank": priority or "P9",
                "acknowledged": bool(item.get("acknowledged")),
                "snoozed": bool(item.get("snoozed")),
            },
        )


def _has_next(body: Any) -> bool:
    paging = body.get("paging") if isinstance(body, dict) else None
    return isinstance(paging, dict) and bool(paging.get("next"))


def _ended(e: Evidence) -> Any:
    return e.last_seen if e.state == "resolved" else None
