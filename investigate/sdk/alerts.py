"""Shared parts of the alerting and incident connectors (Prometheus, Alertmanager, PagerDuty,
Statuspage, Datadog monitors): capped JSON GETs with one-line errors, the monitoring config
(auth, service label, matchers), and one alert as evidence. Vendor connectors import these from
here, never from one another.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar, TypeVar
from urllib.parse import quote

import httpx2
from pydantic import Field, SecretStr, field_validator, model_validator

from investigate.errors import SourceError
from investigate.models import Evidence, Level
from investigate.sdk import jsonapi
from investigate.sdk.contract import Check, Collected, Connector, ConnectorConfig, Query
from investigate.sdk.fieldchecks import http_url, one
from investigate.sdk.jsonapi import HttpFailure
from investigate.sdk.transport import HttpOptions, describe, source_error
from investigate.secrets import MASKER

MAX_RESPONSE_BYTES = 5_000_000


_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


_REGEX_META = frozenset("\\.+*?()|[]{}^$")


LEVELS: dict[str, Level] = {
    "critical": "critical",
    "crit": "critical",
    "page": "critical",
    "fatal": "critical",
    "emergency": "critical",
    "p1": "critical",
    "high": "error",
    "error": "error",
    "major": "error",
    "p2": "error",
    "warning": "warning",
    "warn": "warning",
    "medium": "warning",
    "minor": "warning",
    "p3": "warning",
    "low": "info",
    "info": "info",
    "none": "info",
    "p4": "info",
}


check_base_url = http_url("base_url must start with http:// or https://", ("http://", "https://"))


def clean(value: Any, limit: int = 300) -> str:
    """One masked line of at most `limit` characters (control characters become spaces)."""
    text = _CONTROL.sub(" ", str(value if value is not None else "")).strip()
    text = MASKER.mask(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def timeout_for(config: ConnectorConfig, query: Query | None) -> float:
    configured = config.timeout.total_seconds() if config.timeout else 30.0
    if query is None:
        return min(configured, 10.0)
    return max(0.1, min(query.remaining, configured))


def regex_quote(value: str) -> str:
    """Go's `regexp.QuoteMeta`: every RE2 metacharacter becomes a literal."""
    return "".join("\\" + ch if ch in _REGEX_META else ch for ch in value)


class MonitoringConfig(ConnectorConfig):
    """What the prometheus and alertmanager connectors share."""

    base_url: str
    username: str | None = None
    password: SecretStr | None = None
    bearer_token: SecretStr | None = None
    service_label: str = "service"
    services: list[str] = Field(default_factory=list, description="Only these services' alerts.")
    matchers: dict[str, str] = Field(default_factory=dict, description="Label equality filters.")
    only_ticket_services: bool = False
    service_fields: list[str] = Field(
        default_factory=lambda: ["service", "product_area"],
        description="Ticket custom fields that name the affected service.",
    )
    url_template: str | None = None
    max_alerts: int = Field(20, ge=1, le=500)
    max_response_bytes: int = Field(MAX_RESPONSE_BYTES, ge=1_000, le=200_000_000)

    _base = field_validator("base_url")(check_base_url)
    _label = field_validator("service_label")(
        one(_IDENT.match, "service_label must be a label name (letters, digits, _)")
    )

    @field_validator("matchers")
    @classmethod
    def _matchers(cls, value: dict[str, str]) -> dict[str, str]:
        bad = [k for k in value if not _IDENT.match(k)]
        if bad:
            raise ValueError(f"matchers: {bad[0]!r} is not a label name")
        return value

    @model_validator(mode="after")
    def _auth(self) -> MonitoringConfig:
        if self.bearer_token is not None and (self.username or self.password):
            raise ValueError("use either bearer_token or username/password, not both")
        if (self.username is None) != (self.password is None):
            raise ValueError("basic auth needs both username and password")
        for secret in (self.password, self.bearer_token):
            if secret is not None:
                MASKER.add(secret)
        return self

    def options(self, deadline: float | None, timeout: float) -> HttpOptions:
        headers = {}
        if self.bearer_token is not None:
            headers["Authorization"] = f"Bearer {self.bearer_token.get_secret_value()}"
        auth = (
            (self.username, self.password.get_secret_value())
            if self.username is not None and self.password is not None
            else None
        )
        return HttpOptions(
            base_url=self.base_url, timeout=timeout, headers=headers, auth=auth, deadline=deadline
        )


def hints(name: str) -> dict[int, str]:
    return {
        401: f"set connectors.{name}.bearer_token or username/password to valid credentials",
        403: f"the credentials in connectors.{name}.bearer_token (or username/password) may not "
        "read this API",
        404: f"check connectors.{name}.base_url (the server's root, without /api/…)",
        429: "rate limited: the Retry-After did not fit in the deadline; try again later",
    }


async def get_json(
    client: httpx2.AsyncClient,
    path: str,
    params: Mapping[str, str | list[str]] | None,
    *,
    label: str,
    name: str,
    max_bytes: int,
) -> tuple[Any, str]:
    """GET and decode JSON, reading at most `max_bytes`; a 400/422 says the server's reason."""
    try:
        async with client.stream("GET", path, params=params) as response:
            sent = MASKER.mask(f"GET {response.request.url}")
            if response.status_code in (400, 422):
                reason = _api_error(await jsonapi.read_capped(response, 64_000, label, name))
                raise SourceError(
                    f"{label}: the server rejected the request ({reason})",
                    hint=f"check the PromQL / matchers in connectors.{name}",
                )
            if not response.is_success:
                error = httpx2.HTTPStatusError("", request=response.request, response=response)
                raise HttpFailure(
                    f"{label}: {describe(error)}",
                    hint=hints(name).get(response.status_code),
                    http_status=response.status_code,
                )
            raw = await jsonapi.read_capped(response, max_bytes, label, name)
    except httpx2.HTTPError as exc:
        failure = source_error(exc)
        failure.message = f"{label}: {failure.message}"
        raise failure from None
    try:
        return json.loads(raw), sent
    except (ValueError, UnicodeDecodeError):
        kind = response.headers.get("content-type", "").split(";")[0] or "no content type"
        raise SourceError(
            f"{label}: expected JSON from {sent} but got {kind} that is not JSON",
            hint=f"check connectors.{name}.base_url: a proxy or login page may be answering",
        ) from None


def _api_error(raw: bytes) -> str:
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return MASKER.mask(raw[:200].decode("utf-8", "replace").strip() or "no reason given")
    if isinstance(body, dict):
        return MASKER.mask(str(body.get("error") or body.get("message") or body)[:300])
    return MASKER.mask(str(body)[:300])


def label_text(labels: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(labels.items()))


def fill_url(template: str, base_url: str, values: Mapping[str, Any]) -> str:
    """A link from a template: `{base_url}` as is, every other value percent-encoded."""
    encoded = Blank({str(k): quote(str(v), safe="") for k, v in values.items()})
    encoded["base_url"] = base_url
    try:
        return template.format_map(encoded)
    except (ValueError, IndexError, AttributeError, KeyError):
        return base_url


class Blank(dict[str, str]):
    """Reads a missing key as empty (for `str.format_map`)."""

    def __missing__(self, key: str) -> str:
        return ""


def keep_alert(labels: Mapping[str, str], config: MonitoringConfig, wanted: Sequence[str]) -> bool:
    """Does an alert pass the static matchers and the service filters?"""
    if any(labels.get(k) != v for k, v in config.matchers.items()):
        return False
    service = str(labels.get(config.service_label, "")).lower()
    if config.services and service not in {s.lower() for s in config.services}:
        return False
    return not (config.only_ticket_services and wanted and service not in _lower(wanted))


def _lower(values: Sequence[str]) -> set[str]:
    return {v.lower() for v in values}


def alert_evidence(
    *,
    source: str,
    labels: Mapping[str, str],
    annotations: Mapping[str, str],
    status: str,
    started: datetime | None,
    config: MonitoringConfig,
    wanted: Sequence[str],
    request: str,
    url: str | None,
    extra: Mapping[str, Any],
    lines: Sequence[str] = (),
) -> Evidence:
    """One alert as evidence of kind `alert`, readable by `signals.is_problem`."""
    # an alert without `alertname` (Alertmanager requires only some label) is named by its labels
    name = labels.get("alertname") or ("{" + label_text(labels)[:120] + "}" if labels else "alert")
    severity = str(labels.get("severity") or "")
    service = str(labels.get(config.service_label) or "")
    summary = annotations.get("summary") or annotations.get("message") or ""
    title = " ".join(p for p in (f"{name} [{status}]", severity, service) if p)
    detail = [
        summary,
        annotations.get("description", ""),
        f"{status} since {started:%Y-%m-%d %H:%M:%S} UTC" if started else "",
        *lines,
        f"labels: {label_text(labels)}",
    ]
    template = config.url_template
    link = fill_url(template, config.base_url, {**labels}) if template else url
    ours = bool(service) and service.lower() in _lower(wanted)
    return Evidence(
        source=source,
        kind="alert",
        timestamp=started,
        first_seen=started,
        title=MASKER.mask(f"{title}: {summary}" if summary else title)[:300],
        detail=MASKER.mask("\n".join(d for d in detail if d))[:2000],
        url=link or None,
        level=LEVELS.get(severity.lower()),
        query=request,
        services=[service] if service else [],
        status=status,
        record={
            "status": status,
            "alertname": name,
            "severity": severity,
            "service": service,
            "region": str(labels.get("region") or ""),
            "labels": label_text(labels),
        },
        attributes={
            "labels": dict(labels),
            "annotations": dict(annotations),
            "ticket_service": ours,
            **extra,
        },
    )


def alert_order(e: Evidence) -> tuple[int, int, int, float]:
    """The ticket's services first, then problems, then severity, then newest."""
    rank = {"critical": 0, "error": 1, "warning": 2, "info": 3}
    return (
        0 if e.attributes.get("ticket_service") else 1,
        0 if e.status in ("firing", "active", "acknowledged") else 1,
        rank.get(e.level or "", 4),
        -(e.timestamp.timestamp() if e.timestamp else 0.0),
    )


M = TypeVar("M", bound=MonitoringConfig)


class MonitoringConnector(Connector[M]):
    """The base of the prometheus and alertmanager connectors: a client per stage with the
    config's auth (`session`), capped JSON GETs with one-line errors (`fetch`), `check` reading
    `status_path`, and `gather` run once per investigation, in the "collect" stage."""

    product: ClassVar[str]
    """What `check` calls the server (`Prometheus`)."""
    status_path: ClassVar[str]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.label = f"{self.type_name} '{self.name}'"
        self._done = False

    def _client(self, deadline: float | None, timeout: float) -> httpx2.AsyncClient:
        return self.ctx.http(self.config.options(deadline, timeout))

    def session(self, query: Query) -> httpx2.AsyncClient:
        return self._client(query.deadline, timeout_for(self.config, query))

    async def fetch(
        self,
        client: httpx2.AsyncClient,
        path: str,
        params: Mapping[str, str | list[str]] | None = None,
    ) -> tuple[Any, str]:
        return await get_json(
            client,
            path,
            params,
            label=self.label,
            name=self.name,
            max_bytes=self.config.max_response_bytes,
        )

    def version(self, status: Any) -> str:
        """The server's version in the answer to `status_path`."""
        return "?"

    async def check(self) -> list[Check]:
        try:
            async with self._client(None, 10) as client:
                status, _ = await self.fetch(client, self.status_path)
        except SourceError as exc:
            return [Check("api", False, exc.message + (f" ({exc.hint})" if exc.hint else ""))]
        return [Check("api", True, f"{self.product} {self.version(status)} answers")]

    async def collect(self, query: Query) -> Collected:
        if query.stage == "resolve" or self._done:
            return Collected()
        self._done = True
        return await self.gather(query)

    async def gather(self, query: Query) -> Collected:
        raise NotImplementedError
