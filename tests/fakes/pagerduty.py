"""A loopback fake of PagerDuty's REST API v2 incidents, checked against the vendor spec.

    with FakePagerDuty(token="pd_test") as fake:
        fake.add_incident(make_incident("PINC1", status="triggered", service=("PSVC1", "checkout")),
                          log_entries=[make_log_entry("trigger_log_entry", "Triggered via API")])
        ... PagerDuty(base_url=fake.url, api_token="pd_test", service_ids=["PSVC1"]) ...

Serves `GET /incidents` (filters `service_ids[]`, `team_ids[]` (ignored), `statuses[]`,
`urgencies[]`, `since`/`until` on `created_at` unless `date_range=all`, offset paging with
`limit`/`offset`/`more`) and `GET /incidents/{id}/log_entries` (`limit`). The token
(`Authorization: Token token=…`) is enforced with PagerDuty's 401 body, and the `Accept`
header must ask for API version 2 (else 406).

When `../shared/specs/pagerduty.json` is present every request and every 2xx response is
validated with openapi-core; problems land in `fake.problems` and `fake.check()` fails on them.
Two vendor-spec quirks shape the canned bodies: optional fields are omitted rather than `null`
(the spec marks `resolved_at`, `resolve_reason`, … non-nullable), and log entries carry no
`channel` (its `oneOf` matches several channel types at once) and no `acknowledge_log_entry`
type (the spec's AcknowledgeLogEntry says `acknowledgement_log_entry`).
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, unquote

from .anthropic_api import Recorded, Reply, Response, ScriptedServer, raw_reply

HOST_URL = "https://api.pagerduty.com"
ACCEPT = "application/vnd.pagerduty+json;version=2"
_LOGS = re.compile(r"^/incidents/([^/]+)/log_entries$")
_ENTRY_IDS = itertools.count(1)


def make_incident(
    incident_id: str,
    *,
    number: int = 1,
    title: str = "Checkout API elevated errors",
    status: str = "triggered",
    urgency: str = "high",
    service: tuple[str, str] = ("PSVC1", "checkout"),
    created_at: str = "2026-11-24T09:30:00Z",
    resolved_at: str | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """An incident as `GET /incidents` returns it (valid against the vendor schema)."""
    service_id, service_name = service
    incident: dict[str, Any] = {
        "id": incident_id,
        "type": "incident",
        "summary": f"[#{number}] {title}",
        "self": f"{HOST_URL}/incidents/{incident_id}",
        "html_url": f"https://acme.pagerduty.com/incidents/{incident_id}",
        "incident_number": number,
        "title": title,
        "created_at": created_at,
        "updated_at": resolved_at or created_at,
        "status": status,
        "incident_key": f"key-{incident_id}",
        "service": {
            "id": service_id,
            "type": "service_reference",
            "summary": service_name,
            "self": f"{HOST_URL}/services/{service_id}",
            "html_url": f"https://acme.pagerduty.com/service-directory/{service_id}",
        },
        "assignments": [],
        "assigned_via": "escalation_policy",
        "last_status_change_at": resolved_at or created_at,
        "alert_counts": {
            "all": 1,
            "triggered": 0 if resolved_at else 1,
            "resolved": 1 if resolved_at else 0,
        },
        "is_mergeable": True,
        "pending_actions": [],
        "acknowledgements": [],
        "urgency": urgency,
    }
    if resolved_at is not None:
        incident["resolved_at"] = resolved_at
    incident.update(overrides)
    return incident


def make_log_entry(
    kind: str, summary: str, *, when: str = "2026-11-24T09:31:00Z", **extra: Any
) -> dict[str, Any]:
    entry_id = f"Q{next(_ENTRY_IDS):09d}"
    return {
        "id": entry_id,
        "type": kind,
        "summary": summary,
        "self": f"{HOST_URL}/log_entries/{entry_id}",
        "html_url": f"https://acme.pagerduty.com/log_entries/{entry_id}",
        "created_at": when,
        **extra,
    }


@dataclass
class _Scripted:
    path: str
    reply: Reply


@dataclass
class _Incident:
    body: dict[str, Any]
    log_entries: list[dict[str, Any]] = field(default_factory=list)


class FakePagerDuty(ScriptedServer):
    def __init__(
        self, *, token: str = "pd_fake_token_123", validate: bool = True, latency: float = 0.0
    ) -> None:
        super().__init__()
        self.token = token
        self.latency = latency
        self.busy: list[tuple[float, float]] = []
        self.max_limit = 100
        self.incidents: list[_Incident] = []
        self.problems: list[str] = []
        self.validated = 0
        self._scripted: list[_Scripted] = []
        self._spec: Any = None
        self._spec_lock = threading.Lock()
        if validate:
            from spec_validation import SpecCheck, spec_missing_reason

            if spec_missing_reason("pagerduty.json") is None:
                self._spec = SpecCheck("pagerduty.json", host_url=HOST_URL)

    def add_incident(
        self, body: dict[str, Any], log_entries: list[dict[str, Any]] | None = None
    ) -> None:
        self.incidents.append(_Incident(body, list(log_entries or [])))

    def script(self, reply: Reply, *, path: str = "") -> None:
        """The next request whose path contains `path` takes `reply`."""
        with self._lock:
            self._scripted.append(_Scripted(path, reply))

    @property
    def spec_active(self) -> bool:
        return self._spec is not None

    def check(self) -> None:
        super().check()
        if self.problems:
            raise AssertionError("FakePagerDuty: spec problems:\n" + "\n".join(self.problems))

    # serving --------------------------------------------------------------------------------

    def _handle(self, request: Recorded) -> Response:
        started = time.perf_counter()
        try:
            if self.latency:
                time.sleep(self.latency)
            return self._answer(request)
        finally:
            with self._lock:
                self.busy.append((started, time.perf_counter()))

    def _headers(self, request: Recorded) -> dict[str, str]:
        return {
            "Authorization": request.headers.get("authorization", ""),
            "Accept": request.headers.get("accept", ""),
            "Content-Type": request.headers.get("content-type", ""),
        }

    def _answer(self, request: Recorded) -> Response:
        if self._spec is not None:
            with self._spec_lock:
                self.validated += 1
                self.problems += self._spec.request(
                    request.method,
                    unquote(request.path),
                    query=request.query,
                    headers=self._headers(request),
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
                    unquote(request.path),
                    query=request.query,
                    headers=self._headers(request),
                    status=response.status,
                    body=response.body,
                )
        return response

    def _route(self, request: Recorded) -> Response:
        if request.method != "GET":
            return self._json(405, {"error": {"message": "Method not allowed", "code": 2000}})
        if request.headers.get("authorization") != f"Token token={self.token}":
            return self._json(401, {"error": {"message": "Authentication required", "code": 2006}})
        if request.headers.get("accept") != ACCEPT:
            return self._json(406, {"error": {"message": "Not acceptable", "code": 2001}})
        args = parse_qs(request.query, keep_blank_values=True)
        if request.path == "/incidents":
            return self._list(args)
        logs = _LOGS.match(request.path)
        if logs:
            found = next(
                (i for i in self.incidents if i.body["id"] == unquote(logs.group(1))), None
            )
            if found is None:
                return self._json(404, {"error": {"message": "Not Found", "code": 2100}})
            limit = int(args.get("limit", ["25"])[0])
            entries = found.log_entries[:limit]
            return self._json(
                200,
                {
                    "log_entries": entries,
                    "limit": limit,
                    "offset": 0,
                    "more": len(found.log_entries) > limit,
                },
            )
        return self._json(404, {"error": {"message": "Not Found", "code": 2100}})

    def _list(self, args: dict[str, list[str]]) -> Response:
        limit = min(int(args.get("limit", ["25"])[0]), self.max_limit)
        offset = int(args.get("offset", ["0"])[0])
        services = set(args.get("service_ids[]", []))
        statuses = set(args.get("statuses[]", []))
        urgencies = set(args.get("urgencies[]", []))
        whole = args.get("date_range", [""])[0] == "all"
        since = _time(args.get("since", [""])[0])
        until = _time(args.get("until", [""])[0])
        matched = []
        for inc in self.incidents:
            b = inc.body
            created = _time(b["created_at"])
            if services and b["service"]["id"] not in services:
                continue
            if statuses and b["status"] not in statuses:
                continue
            if urgencies and b["urgency"] not in urgencies:
                continue
            if not whole and since and created and created < since:
                continue
            if not whole and until and created and created >= until:
                continue
            matched.append(b)
        page = matched[offset : offset + limit]
        return self._json(
            200,
            {
                "incidents": page,
                "limit": limit,
                "offset": offset,
                "more": offset + limit < len(matched),
            },
        )

    def _overrun_reply(self, request: Recorded) -> Reply:
        return raw_reply(500, '{"error": {"message": "no scripted reply"}}')

    def _internal_error(self, message: str) -> Response:
        return self._json(500, {"error": {"message": message[:500]}})


def _time(value: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
