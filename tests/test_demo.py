"""Every demo ticket, end to end through the CLI: the right category, and the decisive evidence
(examples/demo/expected.yaml, written by build_demo.py) cited in the root cause."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from busyclock import Stopwatch

from investigate.models import Report

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config.example.yaml"
EXPECTED: dict[str, Any] = yaml.safe_load((ROOT / "examples/demo/expected.yaml").read_text())


def _cites(report: Report, source: str, kind: str, contains: str) -> bool:
    cited = {e.id: e for e in report.evidence if e.id in report.analysis.root_cause.evidence}
    kinds = {kind, "log"} if kind == "log_pattern" else {kind}
    return any(
        e.source == source
        and e.kind in kinds
        and contains in f"{e.title}\n{e.detail}\n{e.examples}"
        for e in cited.values()
    )


@pytest.fixture(scope="module")
def reports() -> dict[str, Report]:
    from investigate.cli import run

    out: dict[str, Report] = {}
    for ticket_id in EXPECTED:
        path = ROOT / f".pytest-demo-{ticket_id}.json"
        try:
            assert run(["ticket", ticket_id, "--config", str(CONFIG), "-o", str(path)]) == 0
            out[ticket_id] = Report.model_validate_json(path.read_text())
        finally:
            path.unlink(missing_ok=True)
    return out


@pytest.mark.parametrize("ticket_id", list(EXPECTED))
def test_demo_ticket_gets_the_right_category(reports: dict[str, Report], ticket_id: str) -> None:
    analysis = reports[ticket_id].analysis
    assert analysis.root_cause.category == EXPECTED[ticket_id]["category"], (
        analysis.root_cause.statement
    )
    assert analysis.root_cause.confidence in ("high", "medium")


@pytest.mark.parametrize("ticket_id", list(EXPECTED))
def test_demo_ticket_cites_the_decisive_evidence(
    reports: dict[str, Report], ticket_id: str
) -> None:
    report = reports[ticket_id]
    missing = [
        d
        for d in EXPECTED[ticket_id]["decisive"]
        if not _cites(report, d["source"], d["kind"], d["contains"])
    ]
    cited = [
        (e.id, e.source, e.kind, e.title[:80])
        for e in report.evidence
        if e.id in report.analysis.root_cause.evidence
    ]
    assert not missing, f"not cited: {missing}\ncited: {cited}"


@pytest.mark.parametrize("ticket_id", list(EXPECTED))
def test_demo_report_is_complete_and_honest(reports: dict[str, Report], ticket_id: str) -> None:
    report = reports[ticket_id]
    ids = {e.id for e in report.evidence}
    a = report.analysis
    for claim in [a.root_cause, *a.alternatives, *a.timeline]:
        assert set(claim.evidence) <= ids  # every citation exists
    assert all(s.status in ("ok", "empty") for s in report.sources), report.sources
    assert a.analyst == "offline"
    assert a.draft_reply.startswith("Hi ") and "E1" not in a.draft_reply
    assert a.next_steps and a.internal_note and a.escalation.reason
    assert report.sla.policy == report.ticket.priority


def test_identity_resolution_reaches_the_account_from_the_email_alone(
    reports: dict[str, Report],
) -> None:
    report = reports["4812"]  # the ticket carries only the requester's email
    assert report.ticket.organization.id is None
    assert report.entities.resolved.get("acc_1007") == "db"
    assert any("acc_1007" in e.matched for e in report.evidence if e.source == "logs")


def test_the_readme_command_prints_a_report_quickly(cli) -> None:  # type: ignore[no-untyped-def]
    started = Stopwatch()
    result = cli("ticket", "4812", "--config", str(CONFIG))
    assert result.code == 0
    assert "## Root cause" in result.out and "**billing**" in result.out
    assert started.busy_free < 60  # generous; the benchmark measures the real figure


def test_json_report_matches_the_published_schema(cli) -> None:  # type: ignore[no-untyped-def]
    import jsonschema

    schema = json.loads(cli("schema").out)
    report = json.loads(cli("ticket", "4813", "--config", str(CONFIG), "--format", "json").out)
    jsonschema.validate(report, schema)


@pytest.mark.parametrize(
    ("ticket_id", "says", "never"),
    [
        ("4812", "card issuer declined", "certificate"),
        ("4816", "certificate", "rate limit"),
        ("4817", "requests per minute than your plan allows", "certificate"),
        ("4821", "third-party service", "restarting"),
    ],
)
def test_demo_draft_reply_speaks_to_the_actual_cause(
    reports: dict[str, Report], ticket_id: str, says: str, never: str
) -> None:
    draft = reports[ticket_id].analysis.draft_reply
    assert says in draft and never not in draft


def test_a_scan_cut_off_by_the_deadline_is_a_timeout_not_ok(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli(
        "ticket",
        "4812",
        "--config",
        str(CONFIG),
        "--only",
        "logs",
        "--timeout",
        "1ms",  # `0s` is a usage error now; 1 ms is the smallest deadline there is
        "--format",
        "json",
    )
    assert result.code == 0, result.err
    logs = {s["name"]: s for s in json.loads(result.out)["sources"]}["logs"]
    assert logs["status"] == "timeout"
    strict = cli(
        "ticket",
        "4812",
        "--config",
        str(CONFIG),
        "--only",
        "logs",
        "--timeout",
        "1ms",
        "--format",
        "json",
        "--strict",
    )
    assert strict.code == 5
