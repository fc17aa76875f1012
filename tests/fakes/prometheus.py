"""Loopback fakes of Prometheus's HTTP API (`/api/v1/alerts`, `/api/v1/query_range`,
`/api/v1/status/buildinfo`) and Alertmanager's v2 API (`/api/v2/alerts`, `/api/v2/status`),
answering from their own state, for the contract suite. The connectors' own tests run against
the real servers (Debian packages); these fakes serve what the suite needs: a bearer token
checked on every request, alerts to list, and the `filter` matchers Alertmanager was sent.
Neither API pages: every alert comes back in one answer."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from fakes.server import Recorded, Response, VendorFake

ACTIVE_AT = "2026-11-24T08:00:00Z"  # inside every contract query's window


def prom_alert(name: str, **labels: str) -> dict[str, Any]:
    return {
        "labels": {"alertname": name, "severity": "critical", **labels},
        "annotations": {"summary": f"{name} is firing"},
        "state": "firing",
        "activeAt": ACTIVE_AT,
        "value": "1e+00",
    }


def am_alert(name: str, **labels: str) -> dict[str, Any]:
    return {
        "labels": {"alertname": name, "severity": "critical", **labels},
        "annotations": {"summary": f"{name} is firing"},
        "startsAt": ACTIVE_AT,
        "endsAt": "2099-01-01T00:00:00Z",
        "updatedAt": ACTIVE_AT,
        "fingerprint": f"fp{name}",
        "generatorURL": "http://prometheus.example/graph",
        "status": {"state": "active", "silencedBy": [], "inhibitedBy": []},
        "receivers": [{"name": "default"}],
    }


class _Monitoring(VendorFake):
    def __init__(self, *, token: str) -> None:
        super().__init__()
        self.token = token
        self.alerts: list[dict[str, Any]] = []

    def _handle(self, request: Recorded) -> Response:
        scripted = self.scripted(request)
        if scripted is not None:
            return scripted
        if request.method != "GET":
            self.problems.append(f"{request.method} {request.path}: only GET is read")
            return self._json(405, {"status": "error", "error": "method not allowed"})
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return self._json(401, {"status": "error", "error": "unauthorized"})
        return self._route(request, parse_qs(request.query, keep_blank_values=True))

    def _route(self, request: Recorded, args: dict[str, list[str]]) -> Response:
        raise NotImplementedError


class FakePrometheus(_Monitoring):
    def _route(self, request: Recorded, args: dict[str, list[str]]) -> Response:
        if request.path == "/api/v1/status/buildinfo":
            return self._ok({"version": "2.53.0"})
        if request.path == "/api/v1/alerts":
            return self._ok({"alerts": list(self.alerts)})
        if request.path == "/api/v1/query_range":
            if not args.get("query") or not args.get("step"):
                self.problems.append(f"query_range without query or step: {request.query}")
            return self._ok({"resultType": "matrix", "result": []})
        return self._json(404, {"status": "error", "error": "not found"})

    def _ok(self, data: Any) -> Response:
        return self._json(200, {"status": "success", "data": data})


class FakeAlertmanager(_Monitoring):
    def __init__(self, *, token: str) -> None:
        super().__init__(token=token)
        self.filters: list[str] = []

    def _route(self, request: Recorded, args: dict[str, list[str]]) -> Response:
        if request.path == "/api/v2/status":
            return self._json(200, {"versionInfo": {"version": "0.27.0"}, "cluster": {}})
        if request.path == "/api/v2/alerts":
            with self._lock:
                self.filters += args.get("filter", [])
            return self._json(200, list(self.alerts))
        return self._json(404, {"code": 404, "message": "not found"})
