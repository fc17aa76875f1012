"""The SDK contract suite (`investigate.sdk.testing`) on every HTTP connector, through its fake:
the alerting connectors here (opsgenie and grafana, written on the SDK; pagerduty,
datadog_monitors, sentry), the helpdesk, tracker and status-page connectors from
`contracts_tickets.py`, the monitoring, billing, log and generic HTTP ones from
`contracts_data_sources.py`. A promise one does not keep yet is an `xfail(strict=True)` in
`KNOWN` naming the gap, so fixing it shows up as XPASS."""

from __future__ import annotations

from typing import Any

import contracts_data_sources
import contracts_tickets
import pytest
from fakes.datadog_monitors import FakeDatadogMonitors, make_monitor
from fakes.grafana import FakeGrafana, make_annotation
from fakes.opsgenie import FakeOpsgenie, make_alert
from fakes.pagerduty import FakePagerDuty, make_incident
from fakes.sentry import FakeSentry, make_issue

from investigate.sdk.testing import CHECKS, Contract
from investigate_connectors.datadog_monitors import DatadogMonitors
from investigate_connectors.grafana import Grafana
from investigate_connectors.opsgenie import Opsgenie
from investigate_connectors.pagerduty import PagerDuty
from investigate_connectors.sentry import Sentry

WINDOW_MS = 1_795_507_200_000  # 2026-11-24T08:00:00Z, inside every contract query's window


def _seed_opsgenie(fake: FakeOpsgenie, n: int) -> int:
    fake.alerts += [make_alert(f"a{i}", tags=["api"]) for i in range(n)]
    return n


def _opsgenie_hostile(fake: FakeOpsgenie, values: tuple[str, ...]) -> list[str]:
    """The service tag arrived as one phrase, exactly, and nothing was left unparsed."""
    problems = [f"not one phrase: {v!r}" for v in values[2:3] if v not in fake.phrases]
    return problems + [f"unparsed term: {t!r}" for t in fake.unparsed]


def _seed_grafana(fake: FakeGrafana, n: int) -> int:
    fake.annotations += [
        make_annotation(i, f"Deploy api v{i}", time_ms=WINDOW_MS - i * 60_000) for i in range(n)
    ]
    return n


def _seed_pagerduty(fake: FakePagerDuty, n: int) -> int:
    for i in range(n):
        fake.add_incident(make_incident(f"PINC{i}", number=i, created_at="2026-11-24T08:00:00Z"))
    return n


def _seed_datadog(fake: FakeDatadogMonitors, n: int) -> int:
    fake.monitors += [
        make_monitor(i, f"Checkout 5xx {i}", tags=["team:payments"]) for i in range(n)
    ]
    return n


def _seed_sentry(fake: FakeSentry, n: int) -> int:
    fake.page_size = 2
    for i in range(n):
        fake.add_issue(make_issue(str(100 + i)), emails=["dana@example.com"])
    return n


ALERTING: dict[str, Contract] = {
    "opsgenie": Contract(
        connector=Opsgenie,
        config=lambda url, secret: {
            "base_url": url,
            "api_key": secret,
            "only_ticket_services": True,
        },
        credential_key="api_key",
        fake=lambda secret: FakeOpsgenie(key=secret),
        seed=_seed_opsgenie,
        page_config={"page_size": 2},
        hostile_check=_opsgenie_hostile,
    ),
    "grafana": Contract(
        connector=Grafana,
        config=lambda url, secret: {"base_url": url, "token": secret},
        credential_key="token",
        fake=lambda secret: FakeGrafana(token=secret),
        seed=_seed_grafana,
        page_config={"page_size": 2},
    ),
    "pagerduty": Contract(
        connector=PagerDuty,
        config=lambda url, secret: {"base_url": url, "api_token": secret},
        credential_key="api_token",
        fake=lambda secret: FakePagerDuty(token=secret),
        seed=_seed_pagerduty,
        page_config={"page_size": 2},
    ),
    "datadog_monitors": Contract(
        connector=DatadogMonitors,
        config=lambda url, secret: {
            "base_url": url,
            "api_key": secret,
            "app_key": "app-key-123",
            "monitor_tags": ["team:payments"],
        },
        credential_key="api_key",
        other_keys=("app_key",),  # a 403 is about the application key's scopes
        fake=lambda secret: FakeDatadogMonitors(api_key=secret, app_key="app-key-123"),
        seed=_seed_datadog,
        page_config={"page_size": 2},
    ),
    "sentry": Contract(
        connector=Sentry,
        config=lambda url, secret: {"base_url": url, "auth_token": secret, "organization": "acme"},
        credential_key="auth_token",
        fake=lambda secret: FakeSentry(org="acme", token=secret),
        seed=_seed_sentry,
        page_config={"max_pages": 5},
    ),
}

CONTRACTS = dict(ALERTING)
CONTRACTS.update(contracts_tickets.CONTRACTS)  # helpdesk, tracker and status-page connectors
CONTRACTS.update(contracts_data_sources.CONTRACTS)  # monitoring, billing, logs, generic HTTP
assert len(CONTRACTS) == len(ALERTING) + len(contracts_tickets.CONTRACTS) + len(
    contracts_data_sources.CONTRACTS
), "two contracts share a name"

# (connector, check) → the promise it does not keep yet (strict: a fix shows up as XPASS).
KNOWN: dict[tuple[str, str], str] = {}


def _params() -> list[Any]:
    out = []
    for name in CONTRACTS:
        for check in CHECKS:
            marks = []
            if (name, check) in KNOWN:
                marks.append(pytest.mark.xfail(strict=True, reason=KNOWN[(name, check)]))
            out.append(pytest.param(name, check, id=f"{name}-{check}", marks=marks))
    return out


@pytest.mark.parametrize(("name", "check"), _params())
async def test_contract(name: str, check: str) -> None:
    assert await CHECKS[check](CONTRACTS[name]) == []
