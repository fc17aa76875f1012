"""`investigate.sdk`: one public module, versioned with the entry-point group; the two
connectors written on it import nothing else of the project and stay under 200 lines; the
contract suite mirrors the fault matrix and the hostile corpus and catches a connector that
breaks its promises; the fakes' bodies match the vendors' schemas."""

from __future__ import annotations

import ast
import importlib.util
import sys
import tomllib
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx2
import pytest
from fakes.grafana import (
    CHECK_ANNOTATIONS,
    CHECK_RULES,
    FakeGrafana,
    make_annotation,
    make_instance,
    make_rule,
)
from fakes.opsgenie import CHECK_ALERTS, CHECK_INCIDENTS, FakeOpsgenie, make_alert, make_incident
from fakes.vendored import load

import investigate.sdk as sdk
from investigate.errors import SourceError
from investigate.registry import discover
from investigate.sdk.contract import Collected, Connector, ConnectorConfig, Query
from investigate.sdk.testing import CHECKS, FAULTS, HOSTILE_VALUES, Contract

ROOT = Path(__file__).resolve().parents[1]
SDK_CONNECTORS = ("opsgenie", "grafana")


def _module(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_sdk_test_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_the_sdk_version_is_the_entry_point_groups() -> None:
    assert f"investigate.connectors.v{sdk.SDK_VERSION}" == sdk.ENTRY_POINT_GROUP
    groups = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]
    assert sdk.ENTRY_POINT_GROUP in groups
    assert sorted(sdk.__all__) == sorted(set(sdk.__all__))
    assert [n for n in sdk.__all__ if not hasattr(sdk, n)] == []


@pytest.mark.parametrize("name", SDK_CONNECTORS)
def test_sdk_connectors_import_only_the_sdk_and_stay_small(name: str) -> None:
    path = ROOT / "connectors" / f"{name}.py"
    tree = ast.parse(path.read_text())
    ours = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            ours += [
                a.name for a in node.names if a.name.split(".")[0] in ("investigate", "connectors")
            ]
        elif isinstance(node, ast.ImportFrom) and (
            node.level or (node.module or "").split(".")[0] in ("investigate", "connectors")
        ):
            ours.append("." * node.level + (node.module or ""))
    assert ours == ["investigate.sdk"]
    assert len(path.read_text().splitlines()) <= 200
    assert name in discover(refresh=True).types  # registered like the built-ins


def test_the_fault_cases_are_the_fault_matrix() -> None:
    chaos = _module(ROOT / "tests" / "faults" / "chaos.py")
    ours = {n: (f.what, f.expect, f.status) for n, f in FAULTS.items()}
    theirs = {n: (s.what, s.expect, s.status) for n, s in chaos.SCENARIOS.items()}
    assert ours == theirs
    assert {c for c in CHECKS if c.startswith("fault:")} == {f"fault:{n}" for n in FAULTS}


def test_the_hostile_values_are_the_hostile_corpus() -> None:
    corpus = _module(ROOT / "tests" / "hostile" / "corpus.py")
    assert set(HOSTILE_VALUES) == set(corpus.METACHAR_ENTITIES.values())


# --- the suite is not vacuous: a connector breaking every promise fails it ----------------------


class LeakyConfig(ConnectorConfig):
    base_url: str
    token: str


class Leaky(Connector[LeakyConfig]):
    """Follows redirects with its credential, puts the token and the body in its error, has no
    hint, and crashes on a body that is not JSON."""

    type_name = "leaky"
    config_model = LeakyConfig

    async def collect(self, query: Query) -> Collected:
        headers = {"Authorization": f"Bearer {self.config.token}"}
        async with httpx2.AsyncClient(
            base_url=self.config.base_url, transport=self.ctx.transport, follow_redirects=True
        ) as client:
            response = await client.get("/items", headers=headers)
            if response.status_code >= 400:
                raise SourceError(f"failed with {self.config.token}:\n{response.text}")
            response.json()
        return Collected()


LEAKY = Contract(
    connector=Leaky,
    config=lambda url, secret: {"base_url": url, "token": secret},
    credential_key="token",
    fake=lambda secret: FakeOpsgenie(key=secret),
)


@pytest.mark.parametrize(
    ("check", "complaint"),
    [
        ("fault:redirect", "followed a redirect"),
        ("fault:http_401", "the secret shows"),
        ("fault:http_500", "not one line"),
        ("fault:truncated", "crashed"),
        ("auth_401", "does not name connectors.contract.token"),
        ("retry_after", "nothing of Retry-After"),
        ("size_cap", "no max_response_bytes"),
    ],
)
async def test_the_contract_suite_catches_a_leaky_connector(check: str, complaint: str) -> None:
    problems = await CHECKS[check](LEAKY)
    assert any(complaint in p for p in problems), problems


# --- the fakes answer what the vendors' schemas describe ---------------------------------------


def test_the_vendored_specs_say_where_they_come_from() -> None:
    for name in ("opsgenie.json", "grafana.json"):
        source = load(name)["x-source"]
        assert source["repo"] and source["path"] and len(source["commit"]) == 40


async def _get(url: str, path: str, auth: str, **params: Any) -> Any:
    async with httpx2.AsyncClient(base_url=url, headers={"Authorization": auth}) as client:
        response = await client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_opsgenie_fakes_bodies_match_the_vendor_schema() -> None:
    with FakeOpsgenie(key="k") as fake:
        fake.alerts += [make_alert("a1"), make_alert("a2", acknowledged=True, snoozed=True)]
        fake.alerts.append(make_alert("a3", status="closed"))
        fake.incidents.append(make_incident("i1"))
        alerts = await _get(fake.url, "/v2/alerts", "GenieKey k", limit="2")
        incidents = await _get(fake.url, "/v1/incidents/", "GenieKey k", query="status: open")
        fake.check()
    assert CHECK_ALERTS(alerts) == [] and CHECK_INCIDENTS(incidents) == []
    assert len(alerts["data"]) == 2 and "offset=2" in alerts["paging"]["next"]
    # the check is live: a wrong body fails it
    assert CHECK_ALERTS({"data": [{"message": "no id"}], "took": 1, "requestId": "r"}) != []
    assert CHECK_INCIDENTS({"data": [], "took": "slow", "requestId": "r"}) != []


async def test_the_grafana_fakes_bodies_match_the_vendor_schema() -> None:
    with FakeGrafana(token="t") as fake:
        fake.rules.append(make_rule("5xx", [make_instance("Alerting"), make_instance("Normal")]))
        fake.annotations.append(make_annotation(1, "Deploy api"))
        rules = await _get(fake.url, "/api/prometheus/grafana/api/v1/rules", "Bearer t")
        notes = await _get(fake.url, "/api/annotations", "Bearer t", tags="deploy")
        fake.check()
    assert CHECK_RULES(rules) == [] and CHECK_ANNOTATIONS(notes) == []
    assert len(notes) == 1 and len(rules["data"]["groups"][0]["rules"][0]["alerts"]) == 2
    assert CHECK_RULES({"status": "success", "data": {"groups": [{"name": "g"}]}}) != []
    assert CHECK_ANNOTATIONS([{"id": "one", "time": 1}]) != []


def test_the_guide_names_only_what_the_sdk_has_and_what_opsgenie_does() -> None:
    import re

    guide = (ROOT / "docs" / "connectors.md").read_text()
    table = guide[guide.index("| You need |") : guide.index("## Walkthrough")]
    names = {
        m.group(1)
        for row in table.splitlines()[2:]
        if row.startswith("|")
        for m in re.finditer(r"`([A-Za-z_]+)[(`]", row.split("|")[2])
    }
    assert len(names) > 30
    members = (sdk, sdk.HttpConnector, sdk.Resolver)
    unknown = [
        n
        for n in names
        if not any(hasattr(m, n) for m in members) and n not in sdk.HttpConfig.model_fields
    ]
    assert unknown == []
    source = (ROOT / "connectors" / "opsgenie.py").read_text()
    for line in (
        'auth = Bearer("api_key", scheme="GenieKey")',
        'check_path = "/v2/alerts?limit=1"',
        'terms = [f"createdAt <= {end}", f"({since} >= {start} OR status: open)"]',
        "self.base_url = self.base_url or REGIONS[self.region]",
        'state = "acknowledged"',
        'pages = await api.pages(path, {"query": search}, paging, items_at("data"))',
    ):
        assert line in guide and line in source, line


def test_the_fake_server_machinery_is_shared_and_the_old_names_still_work() -> None:
    from fakes import anthropic_api, opsgenie, server

    for name in server.__all__:
        assert getattr(anthropic_api, name) is getattr(server, name), name
    assert issubclass(opsgenie.FakeOpsgenie, server.ScriptedServer)


def test_every_public_name_resolves_lazily_to_the_module_the_type_checker_sees() -> None:
    """`investigate.sdk` imports a name's module on first use (so `import investigate.sdk.rows`
    stays light); the table it uses must agree with the imports mypy reads."""
    import ast
    import importlib
    from pathlib import Path

    import investigate.sdk as sdk

    source = Path(sdk.__file__).read_text(encoding="utf-8")
    checked: dict[str, str] = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            for stmt in node.body:
                assert isinstance(stmt, ast.ImportFrom) and stmt.module
                checked.update({a.name: stmt.module for a in stmt.names})
    assert checked == sdk._WHERE
    assert sorted(sdk.__all__) == sorted([*checked, "SDK_VERSION"])
    for name, module in checked.items():
        assert getattr(sdk, name) is getattr(importlib.import_module(module), name), name


def test_importing_one_kit_module_does_not_load_the_http_stack() -> None:
    import subprocess
    import sys

    code = (
        "import sys, investigate.sdk.rows, investigate.sdk.patterns; print('httpx2' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
