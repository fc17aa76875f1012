"""A loopback fake of an Atlassian Statuspage's public v2 API (no spec exists; the shapes follow
Statuspage's documented public API, https://metastatuspage.com/api/v2/).

    with FakeStatuspage() as fake:
        fake.components.append(make_component("Checkout", "major_outage"))
        fake.incidents.append(make_incident("inc1", "Checkout errors", status="investigating",
                                            components=["Checkout"]))
        ... Statuspage(base_url=fake.url) ...

Serves `GET /api/v2/summary.json` (page, status, components, *unresolved* incidents,
scheduled maintenances) and `GET /api/v2/incidents.json` (page and the 50 most recent
incidents, newest first — the public API has no paging). Every other path is a 404 HTML page,
as a real status page answers. Failures are injected with `fake.script(reply, path=...)`.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass
from typing import Any

from .anthropic_api import Recorded, Reply, Response, ScriptedServer, raw_reply

PAGE_ID = "y2j98763l56x"
RESOLVED = ("resolved", "postmortem")


def make_component(
    name: str,
    status: str = "operational",
    *,
    updated_at: str = "2026-11-24T09:35:00Z",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": f"cmp{zlib.crc32(name.encode()):08x}",
        "name": name,
        "status": status,
        "created_at": "2024-01-01T00:00:00.000Z",
        "updated_at": updated_at,
        "position": 1,
        "description": None,
        "showcase": True,
        "start_date": None,
        "group_id": None,
        "page_id": PAGE_ID,
        "group": False,
        "only_show_if_degraded": False,
        **extra,
    }


def make_incident(
    incident_id: str,
    name: str,
    *,
    status: str = "investigating",
    impact: str = "major",
    created_at: str = "2026-11-24T09:30:00Z",
    resolved_at: str | None = None,
    components: list[str] | None = None,
    updates: list[tuple[str, str, str]] | None = None,
) -> dict[str, Any]:
    """An incident as Statuspage lists it; `updates` are (status, body, when), newest first."""
    updates = updates or [(status, f"We are looking into {name.lower()}.", created_at)]
    return {
        "id": incident_id,
        "name": name,
        "status": status,
        "created_at": created_at,
        "updated_at": resolved_at or updates[0][2],
        "monitoring_at": None,
        "resolved_at": resolved_at,
        "impact": impact,
        "shortlink": f"https://stspg.io/{incident_id}",
        "started_at": created_at,
        "page_id": PAGE_ID,
        "incident_updates": [
            {
                "id": f"upd{incident_id}{n}",
                "status": st,
                "body": body,
                "incident_id": incident_id,
                "created_at": when,
                "updated_at": when,
                "display_at": when,
                "affected_components": None,
                "deliver_notifications": True,
                "custom_tweet": None,
                "tweet_id": None,
            }
            for n, (st, body, when) in enumerate(updates)
        ],
        "components": [make_component(c, "major_outage") for c in components or []],
    }


@dataclass
class _Scripted:
    path: str
    reply: Reply


class FakeStatuspage(ScriptedServer):
    def __init__(self, *, latency: float = 0.0) -> None:
        super().__init__()
        self.latency = latency
        self.busy: list[tuple[float, float]] = []
        self.components: list[dict[str, Any]] = []
        self.incidents: list[dict[str, Any]] = []
        self._scripted: list[_Scripted] = []

    def script(self, reply: Reply, *, path: str = "") -> None:
        with self._lock:
            self._scripted.append(_Scripted(path, reply))

    def _page(self) -> dict[str, Any]:
        return {
            "id": PAGE_ID,
            "name": "Acme",
            "url": "https://status.acme.com",
            "time_zone": "Etc/UTC",
            "updated_at": "2026-11-24T09:40:00.000Z",
        }

    def _handle(self, request: Recorded) -> Response:
        started = time.perf_counter()
        try:
            if self.latency:
                time.sleep(self.latency)
            with self._lock:
                hit = next((s for s in self._scripted if s.path in request.path), None)
                if hit is not None:
                    self._scripted.remove(hit)
            if hit is not None:
                return hit.reply.render(self, request)
            return self._route(request)
        finally:
            with self._lock:
                self.busy.append((started, time.perf_counter()))

    def _route(self, request: Recorded) -> Response:
        if request.method != "GET":
            return Response(405, [("content-type", "text/html")], b"<html>405</html>")
        newest = sorted(self.incidents, key=lambda i: i["created_at"], reverse=True)
        if request.path == "/api/v2/summary.json":
            open_ = [i for i in newest if i["status"] not in RESOLVED]
            worst = max((_IMPACT.get(i["impact"], 0) for i in open_), default=0)
            return self._json(
                200,
                {
                    "page": self._page(),
                    "status": {"indicator": _INDICATOR[worst], "description": _DESCRIPTION[worst]},
                    "components": self.components,
                    "incidents": open_,
                    "scheduled_maintenances": [],
                },
            )
        if request.path == "/api/v2/incidents.json":
            return self._json(200, {"page": self._page(), "incidents": newest[:50]})
        return Response(404, [("content-type", "text/html")], b"<!DOCTYPE html><html>404</html>")

    def _overrun_reply(self, request: Recorded) -> Reply:
        return raw_reply(500, "{}")

    def _internal_error(self, message: str) -> Response:
        return Response(500, [("content-type", "text/plain")], message[:500].encode())


_IMPACT = {"none": 0, "minor": 1, "major": 2, "critical": 3}
_INDICATOR = ["none", "minor", "major", "critical"]
_DESCRIPTION = [
    "All Systems Operational",
    "Minor Service Outage",
    "Partial System Outage",
    "Major Service Outage",
]
