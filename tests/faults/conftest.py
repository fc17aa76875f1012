"""Fault-suite fixtures: one chaos server per session, the whole scenario × connector matrix run
once (cases.run_all), and its table printed at the end of the session."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cases
from cases import NAMES, SKIPPED, FaultResults, run_all
from chaos import SCENARIOS, ChaosServer

_RESULTS: list[FaultResults] = []


@pytest.fixture(scope="session")
def chaos() -> Iterator[ChaosServer]:
    with ChaosServer() as server:
        yield server
        assert not server.errors, server.errors


@pytest.fixture(scope="session")
def fault_results(chaos: ChaosServer, tmp_path_factory: pytest.TempPathFactory) -> FaultResults:
    results = run_all(chaos, tmp_path_factory.mktemp("faults"))
    _RESULTS.append(results)
    return results


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for results in _RESULTS:
        verdicts = [results.verdict(s, n) for s in SCENARIOS for n in NAMES]
        tr = terminalreporter
        tr.write_sep("=", "fault injection: connector × scenario")
        tr.write_line(cases.table(verdicts, NAMES, list(SCENARIOS)))
        tr.write_line(
            f"200 MB body: tracemalloc peak {results.huge_traced_peak / 1e6:.1f} MB, "
            f"peak RSS {results.huge_rss_peak_kb / 1024:.0f} MiB "
            f"(from {results.huge_rss_before_kb / 1024:.0f} MiB before it); "
            f"all runs {results.elapsed:.1f}s"
        )
        for rerun in results.reruns:
            tr.write_line(f"re-ran alone (starved: timed out for want of a CPU): {rerun}")
        for v in verdicts:
            if v.problems:
                tr.write_line(f"! {v.scenario} / {v.connector}: {'; '.join(v.problems)}")
        for line in results.stderr.splitlines():
            if line.startswith(("error:", "  hint:")):
                tr.write_line(f"stderr: {line}")
        for name, why in SKIPPED.items():
            tr.write_line(f"skipped {name}: {why}")
