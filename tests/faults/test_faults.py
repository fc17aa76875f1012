"""Every HTTP connector against the chaos server, scenario by scenario, through the real CLI
(`investigate ticket --format json --timeout 3s -o FILE`): the report is still produced, the
source shows the right status with a one-line reason (no traceback, no secret), the deadline
holds and nothing is retried without bound. The table prints at the end of the session."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import cases
import pytest
from busyclock import Stopwatch
from cases import NAMES, SKIPPED, FaultResults
from chaos import HUGE_BYTES, SCENARIOS, ChaosServer

from investigate.registry import discover
from investigate.sdk.jsonapi import MAX_RESPONSE_BYTES

# (scenario, connector) → what the connector does wrong; strict, so a fix shows up as XPASS.
KNOWN: dict[tuple[str, str], str] = {}


def _params() -> list[object]:
    params: list[object] = []
    for scenario in SCENARIOS:
        for name in NAMES:
            marks = []
            if (scenario, name) in KNOWN:
                marks.append(pytest.mark.xfail(strict=True, reason=KNOWN[(scenario, name)]))
            params.append(pytest.param(scenario, name, id=f"{scenario}-{name}", marks=marks))
    return params


@pytest.mark.parametrize(("scenario", "connector"), _params())
def test_connector_survives_fault(
    fault_results: FaultResults, scenario: str, connector: str
) -> None:
    verdict = fault_results.verdict(scenario, connector)
    assert verdict.problems == [], f"{connector} / {SCENARIOS[scenario].what}: {verdict}"


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_every_run_keeps_the_deadline_and_writes_the_report(
    fault_results: FaultResults, scenario: str
) -> None:
    runs = {id(r): r for (s, _), r in fault_results.runs.items() if s == scenario}
    assert runs, "no run for the scenario"
    for run in runs.values():
        assert run.code == 0, f"{scenario} {run.connectors}: exit {run.code}"
        assert run.report is not None
        assert run.busy_free <= cases.DEADLINE + cases.SLACK, f"{scenario}: {run.took()}"
        assert {s["name"] for s in run.report["sources"]} >= set(run.connectors)


def _cap(name: str) -> int:
    cls = discover().types[cases.BUILDERS[name][0]]
    field = cls.config_model.model_fields.get("max_response_bytes")
    return int(field.default) if field is not None else MAX_RESPONSE_BYTES


def test_the_200mb_body_is_capped_by_streaming(fault_results: FaultResults) -> None:
    for name in NAMES:
        sent = fault_results.chaos.bytes_sent("huge", name)
        requests = fault_results.chaos.requests("huge", name) or 0
        # what the server wrote includes the socket buffers; no request read the whole body
        assert 0 < sent < requests * HUGE_BYTES / 4, f"{name}: {sent:,} bytes in {requests}"
    # memory: at most each connector's own cap twice over (chunks + joined), all of them
    # reading at once, never anything like one whole 200 MB body per connector
    rest = cases.groups(NAMES)[-1]
    bound = sum(2 * _cap(n) for n in rest) + 32_000_000
    assert 0 < fault_results.huge_traced_peak < bound, (fault_results.huge_traced_peak, bound)
    grew = fault_results.huge_rss_peak_kb - fault_results.huge_rss_before_kb
    assert grew * 1024 < HUGE_BYTES, f"peak RSS grew by {grew / 1024:.0f} MiB"


def test_no_credentials_follow_a_redirect(fault_results: FaultResults) -> None:
    assert all(fault_results.runs[("redirect", n)].report for n in NAMES)
    for hit in fault_results.chaos.thief.hits:
        assert not cases.CREDENTIAL_HEADERS & set(hit.headers), hit
        assert "canary-" not in repr(hit.headers) + hit.target, hit


def test_stderr_has_no_secret_and_no_traceback(fault_results: FaultResults) -> None:
    text = fault_results.stderr
    assert "Traceback" not in text
    for canaries in fault_results.canaries.values():
        assert canaries.found_in(text) == []


def test_skipped_connectors_say_why() -> None:
    for name, why in SKIPPED.items():
        assert name in cases.BUILDERS and why, name
    assert len(NAMES) >= 9  # the HTTP connectors that existed when this suite was written


def test_a_stalled_resolver_leaves_the_others_time_to_answer(
    chaos: ChaosServer, tmp_path: Path
) -> None:
    from investigate.cli import run

    if "stripe" not in NAMES or "statuspage" not in NAMES:
        pytest.skip("needs the stripe and statuspage connectors")
    canaries = cases.Canaries()
    tickets = cases.write_tickets(tmp_path / "tickets")
    urls = {
        "stripe": chaos.base_url("stall", "stripe-starves"),
        "statuspage": chaos.base_url("slow_500", "statuspage-starved"),
    }
    path = cases.write_config(tmp_path / "c.yaml", cases.config(tickets, urls, canaries))
    out = tmp_path / "r.json"
    code = run(["ticket", "9001", "-c", str(path), "-f", "json", "--timeout", "3s", "-o", str(out)])
    assert code == 0
    sources = {s["name"]: s for s in json.loads(out.read_text())["sources"]}
    assert sources["stripe"]["status"] == "timeout"
    assert (chaos.requests("slow_500", "statuspage-starved") or 0) >= 1
    assert sources["statuspage"]["status"] == "error", sources["statuspage"]


def test_a_hanging_dns_lookup_does_not_hold_the_run_past_the_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from investigate.cli import run

    real = socket.getaddrinfo

    def hanging(host: object, *args: object, **kwargs: object) -> object:
        text = host.decode() if isinstance(host, bytes) else str(host)
        if text.endswith("dns-stall.invalid"):
            time.sleep(6)
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return real(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", hanging)
    tickets = cases.write_tickets(tmp_path / "tickets")
    urls = {n: "http://dns-stall.invalid" for n in NAMES if n in ("statuspage", "loki")}
    path = cases.write_config(tmp_path / "c.yaml", cases.config(tickets, urls, cases.Canaries()))
    with Stopwatch() as watch:
        code = run(["ticket", "9001", "-c", str(path), "-f", "json", "--timeout", "2s"])
    assert code == 0
    assert watch.busy_free <= 2 + cases.SLACK, f"{watch} for a 2s deadline"
