"""`example`: <what this connector reads, in one line> (copy me: see docs/connectors.md).

    events:
      type: example
      base_url: https://api.example.com
      api_token: ${EXAMPLE_API_TOKEN}       # say which role or scope is enough to read
      # services: [api]                     # only these services

Requests: `GET /v1/events?since=&until=&service=` (`Authorization: Bearer <token>`), cursor
paging (`next_cursor`). States: `open` → `firing`, `acknowledged`, `closed` → `resolved`.

Copy this file to `connectors/<name>.py`, rename `Example`/`example`, register it in
`pyproject.toml` under `[project.entry-points."investigate.connectors.v1"]`, and import nothing
of the project but `investigate.sdk`.
"""

from __future__ import annotations

from typing import Any

from investigate.sdk import (
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
    alert_state,
    items_at,
    matched,
    one_line,
    overlaps,
    time_of,
    web_link,
)


class ExampleConfig(HttpConfig):
    """Every key is documented in the module docstring and in config.example.yaml."""

    api_token: SecretStr  # a SecretStr is masked everywhere once the config is loaded
    base_url: str = "https://api.example.com"
    services: list[str] = Field(default_factory=list)
    max_items: int = Field(50, ge=1, le=500)


class Example(HttpConnector[ExampleConfig]):
    type_name = "example"
    config_model = ExampleConfig
    description = "Example: events for the ticket's services"
    auth = Bearer("api_token")  # 401/403 hints name connectors.<name>.api_token
    check_path = "/v1/me"  # `investigate check`: a cheap GET that needs the credential

    async def gather(self, api: Session, query: Query) -> Collected:
        services = self.config.services or query.ticket_services()
        params: dict[str, str | list[str]] = {
            "since": query.window.start.isoformat(),
            "until": query.window.end.isoformat(),
            "service": services,  # a query parameter per value: nothing to escape
        }
        paging = CursorPaging(_next_cursor, param="cursor", size=100, size_param="limit")
        pages = await api.pages("/v1/events", params, paging, items_at("events"))
        sent = pages.requests[0] if pages.requests else "GET /v1/events"
        found = [self._evidence(item, query, sent) for item in pages.items]
        kept = [e for e in found if overlaps(query.window, e.timestamp)]
        out = Collected(evidence=kept[: self.config.max_items])
        if pages.truncated or len(kept) > self.config.max_items:
            out.notes.append(f"{self.label}: more events than read; kept the first")
        return out

    def _evidence(self, item: dict[str, Any], query: Query, sent: str) -> Evidence:
        status = str(item.get("status") or "").lower()
        state = alert_state(status, {"open": "firing", "closed": "resolved"})
        title = one_line(item.get("title"), 200)
        return Evidence(
            source=self.name,
            kind="alert",
            timestamp=time_of(item.get("created_at")),
            title=f"Example event [{status}] {title}",
            detail=one_line(item.get("description"), 1500),
            url=web_link(item.get("html_url")),
            matched=matched(query, [title, item.get("description")]),
            query=sent,
            state=state,
            status=status or None,
            services=[one_line(item["service"], 80)] if item.get("service") else [],
            record={"status": status, "id": one_line(item.get("id"), 60)},
        )


def _next_cursor(page: JsonResponse) -> str | None:
    cursor = page.body.get("next_cursor") if isinstance(page.body, dict) else None
    return str(cursor) if cursor else None
