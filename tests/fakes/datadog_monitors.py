"""A loopback fake of Datadog's monitors API v1, checked against the vendor spec.

    with FakeDatadogMonitors(api_key="k", app_key="a") as fake:
        fake.monitors.append(make_monitor(1, "Checkout 5xx", "Alert", tags=["service:checkout"],
                                          groups={"region:eu": ("Alert", 1764000000, None)}))
        ... DatadogMonitors(base_url=fake.url, api_key="k", app_key="a") ...

Serves `GET /api/v1/monitor`: `monitor_tags` and `tags` (comma lists; every tag must be on the
monitor, or — for `tags` — in its query's scope), `group_states` (which groups' states come
back in `state.groups`; `all` for every group), `page`/`page_size` paging (0-based). Both
`DD-API-KEY` and `DD-APPLICATION-KEY` are enforced (403 `{"errors": ["Forbidden"]}` as Datadog
answers a bad key). Separate from `fakes/datadog.py` (Datadog logs).

When `../shared/specs/datadog-v1.json` is present every request and 2xx response is validated
with openapi-core; problems land in `fake.problems` and `fake.check()` fails on them.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote

from .anthropic_api import Recorded, Reply, Response, ScriptedServer, raw_reply

HOST_URL = "https://api.datadoghq.com"
Group = tuple[str, int | None, int | None]
"""(state, last_triggered_ts, last_resolved_ts)"""


def make_monitor(
    monitor_id: int,
    name: str,
    state: str = "Alert",
    *,
    tags: list[str] | None = None,
    groups: dict[str, Group] | None = None,
    query: str = "avg(last_5m):avg:trace.http.request.errors{service:checkout} > 5",
    priority: int | None = 2,
    message: str = "5xx rate is high @pagerduty-checkout",
) -> dict[str, Any]:
    monitor: dict[str, Any] = {
        "id": monitor_id,
        "name": name,
        "type": "query alert",
        "query": query,
        "message": message,
        "tags": list(tags or []),
        "overall_state": state,
        "priority": priority,
        "multi": bool(groups),
        "created": "2026-01-01T00:00:00+00:00",
        "modified": "2026-11-01T00:00:00+00:00",
        "creator": {"email": "sre@acme.io", "handle": "sre@acme.io", "name": "SRE"},
        "options": {"notify_no_data": False, "thresholds": {"critical": 5.0}},
        "restricted_roles": None,
        "deleted": None,
        "state": {
            "groups": {
                key: {
                    "name": key,
                    "status": st,
                    **({"last_triggered_ts": trig} if trig else {}),
                    **({"last_resolved_ts": res} if res else {}),
                }
                for key, (st, trig, res) in (groups or {}).items()
            }
        },
    }
    return monitor


@dataclass
class _Scripted:
    path: str
    reply: Reply


class FakeDatadogMonitors(ScriptedServer):
    def __init__(
        self,
        *,
        api_key: str = "dd_api_fake_123",
        app_key: str = "dd_app_fake_456",
        validate: bool = True,
        latency: float = 0.0,
    ) -> None:
        super().__init__()
        self.api_key = api_key
        self.app_key = app_key
        self.latency = latency
        self.busy: list[tuple[float, float]] = []
        self.monitors: list[dict[str, Any]] = []
        self.problems: list[str] = []
        self.validated = 0
        self._scripted: list[_Scripted] = []
        self._spec: Any = None
        self._spec_lock = threading.Lock()
        if validate:
            from spec_validation import SpecCheck, spec_missing_reason

            if spec_missing_reason("datadog-v1.json") is None:
                self._spec = SpecCheck("datadog-v1.json", host_url=HOST_URL)

    def script(self, reply: Reply, *, path: str = "") -> None:
        with self._lock:
            self._scripted.append(_Scripted(path, reply))

    @property
    def spec_active(self) -> bool:
        return self._spec is not None

    def check(self) -> None:
        super().check()
        if self.problems:
            raise AssertionError("FakeDatadogMonitors: spec problems:\n" + "\n".join(self.problems))

    def _headers(self, request: Recorded) -> dict[str, str]:
        return {
            "DD-API-KEY": request.headers.get("dd-api-key", ""),
            "DD-APPLICATION-KEY": request.headers.get("dd-application-key", ""),
        }

    def _handle(self, request: Recorded) -> Response:
        started = time.perf_counter()
        try:
            if self.latency:
                time.sleep(self.latency)
            return self._answer(request)
        finally:
            with self._lock:
                self.busy.append((started, time.perf_counter()))

    def _answer(self, request: Recorded) -> Response:
        path = unquote(request.path)
        if self._spec is not None:
            with self._spec_lock:
                self.validated += 1
                self.problems += self._spec.request(
                    request.method, path, query=request.query, headers=self._headers(request)
                )
        with self._lock:
            hit = next((s for s in self._scripted if s.path in request.path), None)
            if hit is not None:
                self._scripted.remove(hit)
        if hit is not None:
            return hit.reply.render(self, request)
        response = self._route(request)
        if self._spec is not None and 200 <= response.status < 300:
            assert isinstance(response.body, bytes)
            with self._spec_lock:
                self.problems += self._spec.response(
                    request.method,
                    path,
                    query=request.query,
                    headers=self._headers(request),
                    status=response.status,
                    body=response.body,
                )
        return response

    def _route(self, request: Recorded) -> Response:
        if request.method != "GET":
            return self._json(405, {"errors": ["Method Not Allowed"]})
        headers = self._headers(request)
        if headers["DD-API-KEY"] != self.api_key or headers["DD-APPLICATION-KEY"] != self.app_key:
            return self._json(403, {"errors": ["Forbidden"]})
        if request.path != "/api/v1/monitor":
            return self._json(404, {"errors": ["Not Found"]})
        args = {k: v[0] for k, v in parse_qs(request.query, keep_blank_values=True).items()}
        monitor_tags = [t for t in args.get("monitor_tags", "").split(",") if t]
        scope = [t for t in args.get("tags", "").split(",") if t]
        states = {s.strip() for s in args.get("group_states", "").split(",") if s.strip()}
        matched = [
            m
            for m in self.monitors
            if all(t in m["tags"] for t in monitor_tags)
            and all(t in m["tags"] or t in m["query"] for t in scope)
        ]
        if "page" in args:
            size = int(args.get("page_size", "100"))
            start = int(args["page"]) * size
            matched = matched[start : start + size]
        return self._json(200, [_with_groups(m, states) for m in matched])

    def _overrun_reply(self, request: Recorded) -> Reply:
        return raw_reply(500, '{"errors": ["no scripted reply"]}')

    def _internal_error(self, message: str) -> Response:
        return self._json(500, {"errors": [message[:500]]})


def _with_groups(monitor: dict[str, Any], states: set[str]) -> dict[str, Any]:
    """The monitor with only the groups `group_states` asks for (none when not given)."""
    out = dict(monitor)
    groups = monitor["state"]["groups"]
    if "all" in states:
        kept = groups
    else:
        kept = {k: g for k, g in groups.items() if g["status"].lower() in states}
    out["state"] = {"groups": kept}
    return out
