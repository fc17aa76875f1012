"""docs/connector_template.py is the file a contributor copies: it type-checks under the
project's strict mypy settings, loads, answers from a paged API, and keeps the SDK contract
(every fault of the matrix, the size cap, the 401/403 hints, Retry-After)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import httpx2
import pytest

from investigate.context import Context
from investigate.sdk.testing import CHECKS, Contract, query

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "docs" / "connector_template.py"


def _template() -> ModuleType:
    spec = importlib.util.spec_from_file_location("connector_template", TEMPLATE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


T = _template()


def test_the_template_type_checks_strictly(tmp_path: Path) -> None:
    from mypy import api

    def mypy(path: Path) -> tuple[str, int]:
        out, err, code = api.run(["--config-file", str(ROOT / "pyproject.toml"), str(path)])
        return out + err, code

    assert mypy(TEMPLATE) == ("Success: no issues found in 1 source file\n", 0)
    broken = tmp_path / "broken.py"
    source = TEMPLATE.read_text()
    broken.write_text(
        source.replace("_next_cursor(page: JsonResponse) -> str | None:", "_next_cursor(page):")
    )
    assert mypy(broken)[1] == 1  # the check is live: an untyped function fails it


async def test_the_template_reads_every_page() -> None:
    pages = {
        None: {
            "events": [
                {
                    "id": "e1",
                    "title": "Checkout 5xx",
                    "status": "open",
                    "created_at": "2026-11-24T08:00:00Z",
                    "service": "api",
                }
            ],
            "next_cursor": "c2",
        },
        "c2": {
            "events": [
                {
                    "id": "e2",
                    "title": "Queue slow",
                    "status": "closed",
                    "created_at": "2026-11-24T07:00:00Z",
                }
            ]
        },
    }
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return httpx2.Response(200, json=pages[request.url.params.get("cursor")])

    config = T.Example.config_model.model_validate({"type": "example", "api_token": "tok-123"})
    connector = T.Example("events", config, Context(transport=httpx2.MockTransport(handler)))
    found = (await connector.collect(query(["api"]))).evidence
    await connector.aclose()
    assert [(e.title, e.state) for e in found] == [
        ("Example event [open] Checkout 5xx", "firing"),
        ("Example event [closed] Queue slow", "resolved"),
    ]
    assert [r.url.path for r in seen] == ["/v1/events", "/v1/events"]
    assert seen[0].headers["authorization"] == "Bearer tok-123"
    assert seen[0].url.params.get_list("service") == ["api", "exports"]  # + from its text


TEMPLATE_CONTRACT = Contract(
    connector=T.Example,
    config=lambda url, secret: {"base_url": url, "api_token": secret},
    credential_key="api_token",
    fake=lambda secret: pytest.fail("the template has no fake"),
)


@pytest.mark.parametrize(
    "check",
    [c for c in CHECKS if c.startswith("fault:")]
    + ["size_cap", "auth_401", "auth_403", "retry_after"],
)
async def test_the_template_keeps_the_contract(check: str) -> None:
    assert await CHECKS[check](TEMPLATE_CONTRACT) == []
