"""`grafana`: Grafana-managed alert rules and their instances, and annotations as changes.

    grafana:
      type: grafana
      base_url: https://grafana.example.com
      token: ${GRAFANA_TOKEN}               # a service-account token with the Viewer role
      service_label: service                # the instance label naming the service
      # services: [api, billing]            # only these services' alerts
      # only_ticket_services: false         # only alerts for a service the ticket names
      # include_normal: true                # instances back to Normal (state `resolved`)
      # annotations: true                   # annotations tagged below are changes (deploys)
      # annotation_tags: [deploy]

`GET /api/prometheus/grafana/api/v1/rules` (`Authorization: Bearer`): every Grafana-managed
rule with its instances, filtered here by the service label; `Alerting` → `firing`, `Pending`
→ `pending`, `Normal` → `resolved`, `NoData` → `nodata`, `Error` → `error` (`Alerting
(NoData)` keeps the first word). `GET /api/annotations?type=annotation&tags=…&matchAny=true`
over the window, newest first, paged by moving `to` back to the oldest one read (no cursor):
`deploy` evidence for the service its tags name (`service:<name>`, or a ticket's service).
"""

from __future__ import annotations

from typing import Any

from investigate.sdk import (  # the only import a connector needs
    Bearer,
    Collected,
    CursorPaging,
    Evidence,
    Field,
    HttpConfig,
    HttpConnector,
    JsonResponse,
    Query,
    SecretStr,
    Session,
    SourceError,
    alert_state,
    epoch_ms,
    items_at,
    matched,
    one_line,
    str_map,
    time_of,
    web_link,
)

RULES = "/api/prometheus/grafana/api/v1/rules"


class GrafanaConfig(HttpConfig):
    token: SecretStr
    service_label: str = "service"
    services: list[str] = Field(default_factory=list)
    only_ticket_services: bool = False
    service_fields: list[str] = Field(default_factory=lambda: ["service", "product_area"])
    include_normal: bool = True
    annotations: bool = True
    annotation_tags: list[str] = Field(default_factory=lambda: ["deploy"], min_length=1)
    page_size: int = Field(100, ge=1, le=5000)
    max_pages: int = Field(5, ge=1, le=100)
    max_alerts: int = Field(50, ge=1, le=500)
    max_changes: int = Field(50, ge=1, le=500)


class Grafana(HttpConnector[GrafanaConfig]):
    type_name = "grafana"
    config_model = GrafanaConfig
    description = "Grafana: alert rule instances for the ticket's services, annotations as changes"
    auth = Bearer("token")
    check_path = "/api/annotations?limit=1"

    async def gather(self, api: Session, query: Query) -> Collected:
        cfg = self.config
        wanted = [s.lower() for s in query.ticket_services(cfg.service_fields)]
        allowed = {s.lower() for s in cfg.services}
        if cfg.only_ticket_services and wanted:
            allowed = {w for w in wanted if not allowed or w in allowed}
        page = await api.get(RULES)
        alerts = [
            self._alert(rule, group, instance, query, page.request)
            for group, rule, instance in _instances(page.body, self.name)
        ]
        kept = [e for e in alerts if _keep(e, allowed, cfg.include_normal, query)]
        kept.sort(key=lambda e: (e.state == "resolved", e.state != "firing"))
        out = Collected(evidence=kept[: cfg.max_alerts])
        if len(kept) > cfg.max_alerts:
            out.notes.append(f"{self.label}: {len(kept)} alert instances; kept {cfg.max_alerts}")
        if cfg.annotations:
            out.evidence += await self._changes(api, query, wanted, out)
        return out

    def _alert(
        self, rule: dict[str, Any], group: str, instance: dict[str, Any], query: Query, sent: str
    ) -> Evidence:
        labels = str_map(instance.get("labels"))
        notes = str_map(instance.get("annotations")) or str_map(rule.get("annotations"))
        state = alert_state(word := str(instance.get("state") or "").split(" (")[0].lower())
        service = labels.get(self.config.service_label, "")
        uid = one_line(labels.get("__alert_rule_uid__"), 60).replace("/", "")
        shown = {k: v for k, v in labels.items() if not k.startswith("__")}
        name = one_line(rule.get("name") or labels.get("alertname"), 200)
        summary = notes.get("summary") or notes.get("description") or ""
        detail = [
            one_line(summary, 500),
            "labels: " + one_line(", ".join(f"{k}={v}" for k, v in list(shown.items())[:20]), 500),
            f"value: {one_line(instance.get('value'), 200)}" if instance.get("value") else "",
        ]
        return Evidence(
            source=self.name,
            kind="alert",
            timestamp=time_of(instance.get("activeAt")),
            first_seen=time_of(instance.get("activeAt")),
            title=f"Grafana alert {name} [{word}] {one_line(service, 60)}".strip(),
            detail="\n".join(d for d in detail if d),
            url=web_link(f"{self.config.base_url}/alerting/grafana/{uid}/view") if uid else None,
            matched=matched(query, [name, summary, *shown.values()]),
            query=sent,
            level="error" if state == "firing" else "warning" if state != "resolved" else "info",
            services=[service] if service else [],
            state=state,
            status=word or None,
            record={**shown, "status": word, "service": service, "group": group},
        )

    async def _changes(
        self, api: Session, query: Query, wanted: list[str], out: Collected
    ) -> list[Evidence]:
        cfg = self.config
        params: dict[str, str | list[str]] = {
            "type": "annotation",
            "tags": list(cfg.annotation_tags),
            "matchAny": "true",
            "from": str(epoch_ms(query.window.start)),
            "to": str(epoch_ms(query.window.end)),
        }
        paging = CursorPaging(_oldest(cfg.page_size), "to", cfg.page_size, size_param="limit")
        pages = await api.pages("/api/annotations", params, paging, items_at())
        seen: dict[Any, Evidence] = {}
        for item in pages.items:
            seen.setdefault(item.get("id"), self._change(item, query, wanted, pages.requests[0]))
        found = sorted(seen.values(), key=lambda e: e.timestamp or query.window.start)
        if pages.truncated or len(found) > cfg.max_changes:
            out.notes.append(f"{self.label}: more annotations than read; kept the newest")
        return found[-cfg.max_changes :]

    def _change(self, item: dict[str, Any], query: Query, wanted: list[str], sent: str) -> Evidence:
        tags = [one_line(t, 80) for t in item.get("tags") or [] if isinstance(t, str)][:20]
        services = [t.split(":", 1)[1] for t in tags if t.lower().startswith("service:")]
        services += [t for t in tags if t.lower() in wanted and t not in services]
        text = str(item.get("text") or "")
        board = one_line(item.get("dashboardUID"), 60)
        who = one_line(item.get("login") or item.get("email"), 80)
        return Evidence(
            source=self.name,
            kind="deploy",
            timestamp=time_of(item.get("time")),
            title=f"Change: {one_line(text.splitlines()[0] if text else 'annotation', 200)}",
            detail="; ".join(
                d
                for d in (one_line(text, 1000), f"tags: {', '.join(tags)}", who and f"by {who}")
                if d
            ),
            url=web_link(f"{self.config.base_url}/d/{board}") if board else None,
            matched=matched(query, [text, *tags]),
            query=sent,
            services=services,
            record={"service": services[0] if services else "", "tags": tags},
        )


def _keep(e: Evidence, allowed: set[str], normal: bool, query: Query) -> bool:
    if allowed and not {s.lower() for s in e.services} & allowed:
        return False
    late = e.timestamp is not None and e.timestamp > query.window.end
    return not late and (e.state != "resolved" or normal)


def _instances(body: Any, name: str) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    data = body.get("data") if isinstance(body, dict) else None
    groups = data.get("groups") if isinstance(data, dict) else None
    if not isinstance(groups, list):
        hint = f"check connectors.{name}.base_url points at Grafana itself"
        raise SourceError(f"grafana '{name}': {RULES} did not answer a rule list", hint=hint)
    out = []
    for group in (g for g in groups if isinstance(g, dict)):
        for rule in (r for r in group.get("rules") or [] if isinstance(r, dict)):
            for instance in (i for i in rule.get("alerts") or [] if isinstance(i, dict)):
                out.append((str(group.get("file") or group.get("name") or ""), rule, instance))
    return out


def _oldest(size: int) -> Any:
    def cursor(page: JsonResponse) -> str | None:
        items = items_at()(page.body)
        times = [a["time"] for a in items if isinstance(a.get("time"), int)]
        return str(min(times)) if len(items) >= size and times else None

    return cursor
