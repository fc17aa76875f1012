"""A loopback fake of Grafana's alerting and annotations HTTP API, shaped per Grafana's OpenAPI
description (`tests/fixtures/specs/grafana.json`, trimmed from grafana/grafana
`public/openapi3.json`).

    with FakeGrafana(token="glsa_x") as fake:
        fake.rules.append(make_rule("Checkout 5xx", [make_instance("Alerting", service="api")]))
        fake.annotations.append(make_annotation(1, "Deploy api v2.3.1", tags=["deploy"]))

Serves `GET /api/prometheus/grafana/api/v1/rules` (`RuleResponse`, one group holding every
rule) and `GET /api/annotations` (`from`/`to` inclusive on `time`, `limit` default 100, `tags`
repeated with `matchAny`, `type=annotation` leaves out alert annotations; newest first). The
token must come as `Authorization: Bearer <token>` (else Grafana's 401 body). Every 2xx body
is validated against the vendor schema; `fake.check()` fails on any problem.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from .server import Recorded, Reply, Response, VendorFake, raw_reply
from .vendored import body_check

RULES = "/api/prometheus/grafana/api/v1/rules"
CHECK_RULES = body_check("grafana.json", "#/components/schemas/RuleResponse")
CHECK_ANNOTATIONS = body_check("grafana.json", "#/components/schemas/Annotation", array=True)
NEVER = "0001-01-01T00:00:00Z"


def make_instance(
    state: str = "Alerting",
    *,
    service: str = "api",
    active_at: str = "2026-11-24T08:00:00Z",
    uid: str = "rule-uid-1",
    **labels: str,
) -> dict[str, Any]:
    """One alert instance (`Alert`) of a Grafana-managed rule."""
    return {
        "labels": {"alertname": "x", "service": service, "__alert_rule_uid__": uid, **labels},
        "annotations": {"summary": f"{service} error rate above 5%"},
        "state": state,
        "activeAt": active_at if state != "Normal" else NEVER,
        "value": "B=0.07",
    }


def make_rule(name: str, instances: list[dict[str, Any]], state: str = "") -> dict[str, Any]:
    """A Grafana-managed alerting rule (`AlertingRule`) with its instances."""
    firing = any(i["state"].startswith("Alerting") for i in instances)
    return {
        "name": name,
        "query": '[{"refId":"A"}]',
        "health": "ok",
        "type": "alerting",
        "state": state or ("firing" if firing else "inactive"),
        "annotations": {"summary": name},
        "labels": {},
        "activeAt": instances[0]["activeAt"] if instances else NEVER,
        "alerts": instances,
        "lastEvaluation": "2026-11-24T08:30:00Z",
        "evaluationTime": 0.01,
        "duration": 300,
    }


def make_annotation(
    annotation_id: int,
    text: str,
    *,
    time_ms: int = 1_763_960_000_000,
    tags: list[str] | None = None,
    alert: bool = False,
) -> dict[str, Any]:
    """An annotation as `GET /api/annotations` lists it (`Annotation`)."""
    return {
        "id": annotation_id,
        "alertId": 7 if alert else 0,
        "dashboardId": 12,
        "dashboardUID": "cIBgcSjkk",
        "panelId": 2,
        "userId": 1,
        "login": "deploy-bot",
        "email": "deploy-bot@example.com",
        "avatarUrl": "/avatar/x",
        "newState": "alerting" if alert else "",
        "prevState": "ok" if alert else "",
        "created": time_ms,
        "updated": time_ms,
        "time": time_ms,
        "timeEnd": time_ms,
        "text": text,
        "tags": tags if tags is not None else ["deploy"],
        "data": {},
    }


class FakeGrafana(VendorFake):
    def __init__(self, *, token: str = "glsa_fake_token_123") -> None:
        super().__init__()
        self.token = token
        self.rules: list[dict[str, Any]] = []
        self.annotations: list[dict[str, Any]] = []

    def _handle(self, request: Recorded) -> Response:
        scripted = self.scripted(request)
        if scripted is not None:
            return scripted
        if request.method != "GET":
            return self._error(405, "Method Not Allowed")
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return self._error(401, "Invalid API key")
        args = parse_qs(request.query, keep_blank_values=True)
        if request.path == RULES:
            body: Any = {
                "status": "success",
                "data": {
                    "groups": [
                        {
                            "name": "checkout",
                            "file": "Payments",
                            "rules": self.rules,
                            "interval": 60,
                            "lastEvaluation": "2026-11-24T08:30:00Z",
                            "evaluationTime": 0.02,
                        }
                    ]
                },
            }
            self.problems += CHECK_RULES(body)
            return self._json(200, body)
        if request.path == "/api/annotations":
            body = self._annotations(args)
            self.problems += CHECK_ANNOTATIONS(body)
            return self._json(200, body)
        return self._error(404, "Not found")

    def _annotations(self, args: dict[str, list[str]]) -> list[dict[str, Any]]:
        start = int(args.get("from", ["0"])[-1])
        end = int(args.get("to", [str(2**62)])[-1])
        limit = int(args.get("limit", ["100"])[-1])
        tags = args.get("tags", [])
        match_any = args.get("matchAny", ["false"])[-1] == "true"
        only_annotations = args.get("type", [""])[-1] == "annotation"
        found = []
        for a in self.annotations:
            if not start <= a["time"] <= end or (only_annotations and a["alertId"]):
                continue
            if tags and not (any if match_any else all)(t in a["tags"] for t in tags):
                continue
            found.append(a)
        found.sort(key=lambda a: (-a["time"], -a["id"]))
        return found[:limit]

    def _error(self, status: int, message: str) -> Response:
        return self._json(
            status, {"message": message, "messageId": "api.error", "statusCode": status}
        )

    def _overrun_reply(self, request: Recorded) -> Reply:
        return raw_reply(500, b'{"message":"no reply"}')

    def _internal_error(self, message: str) -> Response:
        return self._json(500, {"message": message})
