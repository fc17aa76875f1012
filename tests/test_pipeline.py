"""The fan-out: concurrency, deadlines, failures that never sink the report, identity resolution."""

from __future__ import annotations

import pytest
from busyclock import Stopwatch
from example_connector import Example, ticket  # type: ignore[import-not-found]

pytestmark = pytest.mark.usefixtures("example_plugin")

NOW = "2026-11-24T12:00:00Z"


def config(**connectors: dict) -> dict:  # type: ignore[type-arg]
    return {
        "ticket_source": "helpdesk",
        "investigation": {"timeout": "3s", "connector_timeout": "2s"},
        "connectors": {
            "helpdesk": {"type": "example", "tickets": {"4812": ticket()}},
            **connectors,
        },
    }


def run_json(cli, write_config, cfg: dict, *extra: str):  # type: ignore[no-untyped-def]
    return cli(
        "ticket",
        "4812",
        "--config",
        str(write_config(cfg)),
        "--format",
        "json",
        "--until",
        NOW,
        *extra,
    )


def test_failing_and_slow_connectors_do_not_stop_the_report(cli, write_config) -> None:  # type: ignore[no-untyped-def]
    cfg = config(
        good={
            "type": "example",
            "evidence": [{"title": "ERROR acc_1042 export failed", "level": "error"}],
        },
        failing={"type": "example", "fail": "HTTP 503 Service Unavailable from GET https://x/api"},
        crashing={"type": "example", "crash": True},
        slow={"type": "example", "delay": 30, "timeout": "1s"},
    )
    started = Stopwatch()
    result = run_json(cli, write_config, cfg)
    elapsed = started.busy_free
    assert result.code == 0, result.err
    report = result.json()
    status = {s["name"]: s for s in report["sources"]}
    assert status["good"]["status"] == "ok" and status["good"]["items"] == 1
    assert status["failing"]["status"] == "error"
    assert "HTTP 503" in status["failing"]["error"]
    assert status["crashing"]["status"] == "error"
    assert "internal error in connector: RuntimeError: boom" in status["crashing"]["error"]
    assert status["slow"]["status"] == "timeout"
    assert [e["title"] for e in report["evidence"]] == ["ERROR acc_1042 export failed"]
    assert report["evidence"][0]["id"] == "E1"
    assert any("failing" in gap for gap in report["analysis"]["gaps"])
    assert elapsed < 25  # the 30 s connector was cut off by its 1 s deadline


def test_the_overall_deadline_caps_every_connector(cli, write_config) -> None:  # type: ignore[no-untyped-def]
    cfg = config(slow={"type": "example", "delay": 60, "timeout": "50s"})
    cfg["investigation"]["timeout"] = "1s"
    started = Stopwatch()
    result = run_json(cli, write_config, cfg)
    assert result.code == 0
    assert {s["name"]: s["status"] for s in result.json()["sources"]}["slow"] == "timeout"
    assert started.busy_free < 30


def test_identity_resolution_runs_providers_first(cli, write_config) -> None:  # type: ignore[no-untyped-def]
    cfg = config(
        resolver={"type": "example", "provides": {"account_id": ["acc_7777"]}},
        logs={
            "type": "example",
            "evidence": [{"title": "WARN acc_7777 quota near limit", "level": "warning"}],
        },
    )
    result = run_json(cli, write_config, cfg)
    report = result.json()
    assert "acc_7777" in report["entities"]["account_ids"]
    assert report["entities"]["resolved"]["acc_7777"] == "resolver"
    assert report["evidence"][0]["matched"] == ["acc_7777"]
    assert Example.calls.index(("resolver", "resolve")) < Example.calls.index(("logs", "collect"))
    assert ("logs", "resolve") not in Example.calls


def test_only_and_skip_select_connectors(cli, write_config) -> None:  # type: ignore[no-untyped-def]
    cfg = config(
        a={"type": "example"}, b={"type": "example"}, c={"type": "example", "enabled": False}
    )
    report = run_json(cli, write_config, cfg, "--only", "a").json()
    status = {s["name"]: s for s in report["sources"]}
    assert status["a"]["status"] == "empty"
    assert status["b"]["status"] == "skipped" and "--only" in status["b"]["error"]
    assert status["c"]["error"] == "disabled in config"
    report = run_json(cli, write_config, cfg, "--skip", "a,b").json()
    assert {s["name"]: s["status"] for s in report["sources"]}["a"] == "skipped"


def test_unknown_only_name_is_a_usage_error(cli, write_config) -> None:  # type: ignore[no-untyped-def]
    result = run_json(cli, write_config, config(), "--only", "nope")
    assert result.code == 2
    assert "no connector named 'nope'" in result.err


def test_evidence_budget_caps_what_the_analyst_sees(cli, write_config) -> None:  # type: ignore[no-untyped-def]
    many = [
        {"title": f"ERROR acc_1042 failure number {i}", "level": "error", "detail": "x" * 400}
        for i in range(30)
    ]
    cfg = config(logs={"type": "example", "evidence": many})
    cfg["investigation"]["max_evidence"] = 10
    report = run_json(cli, write_config, cfg).json()
    assert len(report["evidence"]) == 10
    assert report["omitted_evidence"] == 20
    assert [e["id"] for e in report["evidence"]] == [f"E{i}" for i in range(1, 11)]
    assert any("left out" in gap for gap in report["analysis"]["gaps"])


def test_ranking_explains_itself(cli, write_config) -> None:  # type: ignore[no-untyped-def]
    cfg = config(
        logs={
            "type": "example",
            "evidence": [
                {"title": "INFO healthcheck ok", "level": "info"},
                {
                    "title": "ERROR acc_1042 export failed",
                    "level": "error",
                    "timestamp": "2026-11-24T09:55:00Z",
                },
            ],
        }
    )
    report = run_json(cli, write_config, cfg).json()
    top = report["evidence"][0]
    assert top["title"] == "ERROR acc_1042 export failed"
    assert top["score"] > report["evidence"][1]["score"]
    assert any("matches acc_1042" in r for r in top["reasons"])
    assert any("error level" in r for r in top["reasons"])
