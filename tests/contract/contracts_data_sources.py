"""The SDK contract suite (`investigate.sdk.testing`) on the monitoring, billing, log and
generic HTTP connectors, through their fakes: prometheus, alertmanager, stripe, chargebee,
loki, elasticsearch, datadog_logs, http. Run by `test_contract.py`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fakes.admin_api import FakeAdminAPI
from fakes.chargebee import FakeChargebee, cb_customer, cb_invoice
from fakes.datadog import FakeDatadog
from fakes.elasticsearch import FakeElasticsearch
from fakes.loki import FakeLoki
from fakes.prometheus import FakeAlertmanager, FakePrometheus, am_alert, prom_alert
from fakes.stripe import FakeStripe, stripe_customer, stripe_invoice

from investigate.sdk.contract import Collected
from investigate.sdk.testing import Contract
from investigate_connectors.alertmanager import Alertmanager
from investigate_connectors.chargebee import Chargebee
from investigate_connectors.datadog_logs import DatadogLogs
from investigate_connectors.elasticsearch import Elasticsearch
from investigate_connectors.http_json import HttpJson
from investigate_connectors.loki import Loki
from investigate_connectors.prometheus import Prometheus
from investigate_connectors.stripe import Stripe

EMAIL = "dana@example.com"  # the contract ticket's requester
IN_WINDOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # inside every contract query's window
APP_KEY = "app-key-123"


def _lines(got: Collected) -> int:
    """Log connectors group lines into patterns: the lines they stand for."""
    return sum(e.count for e in got.evidence)


def _line(i: int) -> str:
    return f"ERROR export {i} failed for acc_1042"


def _seed_prometheus(fake: FakePrometheus, n: int) -> int:
    fake.alerts += [prom_alert(f"ApiDown{i}", service="api") for i in range(n)]
    return n


def _seed_alertmanager(fake: FakeAlertmanager, n: int) -> int:
    fake.alerts += [am_alert(f"ApiDown{i}", service="api") for i in range(n)]
    return n


def _alertmanager_hostile(fake: FakeAlertmanager, values: tuple[str, ...]) -> list[str]:
    """The hostile service arrived inside one quoted regex matcher, never as a matcher."""
    return [f"a filter outside the service matcher: {f!r}" for f in fake.filters[1:]]


def _seed_stripe(fake: FakeStripe, n: int) -> int:
    customer = fake.add(stripe_customer(EMAIL))
    fake.add(*[stripe_invoice(customer["id"], "paid") for _ in range(n)])
    return n + 1  # the customer and its invoices


def _seed_chargebee(fake: FakeChargebee, n: int) -> int:
    customer = fake.add(cb_customer(EMAIL))
    fake.add(*[cb_invoice(customer["id"], "paid") for _ in range(n)])
    return n + 1


def _ns(when: datetime) -> int:
    return int(when.timestamp()) * 1_000_000_000


def _seed_loki(fake: FakeLoki, n: int) -> int:
    for i in range(n):
        fake.add({"app": "api"}, _ns(IN_WINDOW - timedelta(minutes=i)), _line(i))
    return n


def _seed_elasticsearch(fake: FakeElasticsearch, n: int) -> int:
    for i in range(n):
        when = (IN_WINDOW - timedelta(minutes=i)).isoformat().replace("+00:00", "Z")
        fake.add(
            "logs-api",
            {"@timestamp": when, "message": _line(i), "log": {"level": "error"}},
        )
    return n


def _seed_datadog(fake: FakeDatadog, n: int) -> int:
    for i in range(n):
        fake.add(IN_WINDOW - timedelta(minutes=i), _line(i), status="error")
    return n


def _seed_http(fake: FakeAdminAPI, n: int) -> int:
    fake.users["acc_1042"] = [{"id": f"u{i}", "email": f"user{i}@example.com"} for i in range(n)]
    return n


CONTRACTS: dict[str, Contract] = {
    "prometheus": Contract(
        connector=Prometheus,
        config=lambda url, secret: {"base_url": url, "bearer_token": secret},
        credential_key="bearer_token",
        fake=lambda secret: FakePrometheus(token=secret),
        seed=_seed_prometheus,
        page_config={"max_alerts": 500},
        paged=False,
    ),
    "alertmanager": Contract(
        connector=Alertmanager,
        config=lambda url, secret: {
            "base_url": url,
            "bearer_token": secret,
            "only_ticket_services": True,
        },
        credential_key="bearer_token",
        fake=lambda secret: FakeAlertmanager(token=secret),
        seed=_seed_alertmanager,
        page_config={"max_alerts": 500},
        paged=False,
        hostile_check=_alertmanager_hostile,
    ),
    "stripe": Contract(
        connector=Stripe,
        config=lambda url, secret: {"base_url": url, "api_key": f"rk_test_{secret}"},
        credential_key="api_key",
        fake=lambda secret: FakeStripe(api_key=f"rk_test_{secret}"),
        seed=_seed_stripe,
        page_config={"page_size": 2},
    ),
    "chargebee": Contract(
        connector=Chargebee,
        config=lambda url, secret: {"base_url": f"{url}/api/v2", "api_key": secret},
        credential_key="api_key",
        fake=lambda secret: FakeChargebee(api_key=secret),
        seed=_seed_chargebee,
        page_config={"page_size": 2},
    ),
    "loki": Contract(
        connector=Loki,
        config=lambda url, secret: {
            "base_url": url,
            "selector": '{app="api"}',
            "username": "123456",
            "password": secret,
        },
        credential_key="password",
        fake=lambda secret: FakeLoki(basic=("123456", secret)),
        seed=_seed_loki,
        page_config={"page_size": 2},
        tally=_lines,
    ),
    "elasticsearch": Contract(
        connector=Elasticsearch,
        config=lambda url, secret: {"base_url": url, "index": "logs-*", "api_key": secret},
        credential_key="api_key",
        fake=lambda secret: FakeElasticsearch(api_key=secret),
        seed=_seed_elasticsearch,
        page_config={"page_size": 2},
        tally=_lines,
    ),
    "datadog_logs": Contract(
        connector=DatadogLogs,
        config=lambda url, secret: {"base_url": url, "api_key": secret, "app_key": APP_KEY},
        credential_key="api_key",
        other_keys=("app_key",),  # a 403 is about the application key's permission
        fake=lambda secret: FakeDatadog(api_key=secret, app_key=APP_KEY),
        seed=_seed_datadog,
        page_config={"page_size": 2},
        tally=_lines,
    ),
    "http": Contract(
        connector=HttpJson,
        config=lambda url, secret: {
            "url": url + "/api/accounts/{account_id}/users",
            "headers": {"Authorization": f"Bearer {secret}"},
            "items": "data",
        },
        credential_key="headers",
        fake=lambda secret: FakeAdminAPI(token=secret),
        seed=_seed_http,
        paged=False,
    ),
}
