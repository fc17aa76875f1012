"""`investigate stats` end to end on the demo: every metric with its sample size, batch reports
folded in, the JSON Schema, bad input as one line, the batch summary's radar, and the HTML page
opened in headless Chromium (no console errors, every chart drawn, a screenshot not blank)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from investigate.cli import run
from investigate.context import Context
from investigate.models import (
    SLA,
    Analysis,
    Entities,
    Organization,
    Report,
    RootCause,
    TicketSummary,
    Window,
)
from investigate.stats.run import batch_radar_lines

ROOT = Path(__file__).resolve().parents[2]
CONFIG = str(ROOT / "config.example.yaml")


@pytest.fixture(scope="module")
def reports_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("reports")
    assert run(["batch", "4812", "4814", "4817", "--config", CONFIG, "-d", str(folder)]) == 0
    (folder / "notes.json").write_text('{"not": "a report"}')
    return folder


def stats(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(["stats", "--config", CONFIG, *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_every_metric_is_printed_with_its_sample_size(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = stats(capsys)
    assert code == 0, err
    flat = " ".join(out.split())
    for heading in (
        "First response time",
        "Time to resolution",
        "SLA attainment",
        "SLA breaches:",
        "Escalation",
        "CSAT (1-5):",
        "CSAT (good_bad):",
        "NPS:",
        "Weekly trend",
    ):
        assert heading in flat, heading
    assert re.search(r"all tickets .*? n=\d+; \d+ no agent reply yet", flat)
    assert re.search(r"NPS: [+-]\d+ \(\d+ promoters.*n=\d+", flat)
    assert "helpdesk L1 100%" in flat
    assert "no batch reports given" in flat  # said, not silently missing


def test_root_causes_without_reports_are_said_not_left_out(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = stats(capsys)
    assert code == 0, err
    flat = " ".join(out.split())
    assert "Root causes: none without batch reports (--reports DIR" in flat


def test_reports_add_tiers_and_root_causes_flagged_as_too_few(
    capsys: pytest.CaptureFixture[str], reports_dir: Path
) -> None:
    code, out, err = stats(capsys, "--reports", str(reports_dir), "-f", "json", "--since", "60d")
    assert code == 0, err
    data = json.loads(out)
    assert data["reports"] == 3
    funnels = {f["source"]: f for f in data["escalation"]["funnels"]}
    assert funnels["reports"]["n"] == 3 and funnels["reports"]["low_sample"] is True
    assert {c["category"] for c in data["causes"]["by_count"]} == {
        "billing",
        "outage",
        "configuration",
    }
    assert data["causes"]["low_sample"] is True
    assert any("not reports; skipped" in n for n in data["notes"])


def test_schema_stats_describes_the_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["schema", "stats"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert {"frt", "mttr", "sla", "escalation", "csat", "nps", "radar"} <= set(schema["properties"])
    assert run(["schema", "nope"]) == 2
    assert "no schema named 'nope'" in capsys.readouterr().err


def test_bad_input_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = stats(capsys, "--reports", str(tmp_path / "missing"))
    assert code == 2 and "Traceback" not in err
    code, _, err = stats(capsys, "--since", "yesterday-ish")
    assert code == 2 and "--since/--until" in err and "Traceback" not in err


def _report(tid: str, org: str, minutes: int) -> Report:
    t0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC) + timedelta(minutes=minutes)
    return Report(
        ticket=TicketSummary(
            id=tid, created_at=t0, organization=Organization(name=org), subject="Export fails"
        ),
        window=Window(start=t0, end=t0),
        entities=Entities(error_codes=["ERR_EXPORT_SERIALIZE"]),
        sources=[],
        evidence=[],
        analysis=Analysis(analyst="offline", summary="", root_cause=RootCause(statement="x")),
        sla=SLA(),
        generated_at=t0,
    )


def test_batch_summary_lists_a_cluster_across_customers() -> None:
    reports = [_report("1", "Acme", 0), _report("2", "Globex", 5), _report("3", "Initech", 9)]
    lines = batch_radar_lines(Context(), reports)
    assert any(
        "ERR_EXPORT_SERIALIZE" in line and "3 customers since 12:00" in line for line in lines
    )
    quiet = batch_radar_lines(Context(), reports[:2])  # two customers: not an incident
    assert quiet == ["incident radar: no signature shared by 3+ customers across these 2 tickets"]


def _chromium() -> str | None:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None and os.environ.get("CI") == "true":
        pytest.fail("chromium is missing in CI (apt-get install chromium)")
    if found is None:
        pytest.skip("chromium not installed")
    return found


def _browser(binary: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        f"--user-data-dir={cwd / 'profile'}",
        "--enable-logging=stderr",
        "--v=0",
        *args,
    ]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=120, cwd=cwd, check=False
    )


@pytest.mark.slow
def test_html_opens_in_chromium_with_every_chart_drawn(
    capsys: pytest.CaptureFixture[str], reports_dir: Path, tmp_path: Path
) -> None:
    binary = _chromium()
    assert binary is not None
    page = tmp_path / "stats.html"
    code, _, err = stats(capsys, "--reports", str(reports_dir), "--html", str(page))
    assert code == 0, err
    html = page.read_text()
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in html and "<script" not in html  # self-contained, no network
    dom = _browser(binary, "--dump-dom", page.as_uri(), cwd=tmp_path)
    assert dom.returncode == 0, dom.stderr[-2000:]
    console = [line for line in dom.stderr.splitlines() if ":CONSOLE" in line]
    assert console == [], console
    charts = re.findall(r"<svg class=\"chart\" data-chart=\"([\w-]+)\".*?</svg>", dom.stdout, re.S)
    assert set(charts) >= {
        "frt-mttr",
        "tickets",
        "sla",
        "escalation",
        "csat",
        "nps",
        "causes",
        "radar",
    }
    for name, body in re.findall(r"data-chart=\"([\w-]+)\"(.*?)</svg>", dom.stdout, re.S):
        assert 'class="mark"' in body, f"chart {name} has nothing drawn"
    shot = tmp_path / "shot.png"
    done = _browser(
        binary,
        "--hide-scrollbars",
        "--window-size=1280,1250",
        f"--screenshot={shot}",
        page.as_uri(),
        cwd=tmp_path,
    )
    assert done.returncode == 0 and shot.is_file(), done.stderr[-2000:]
    blank_page = tmp_path / "blank.html"
    blank_page.write_text("<!doctype html><html><body></body></html>")
    blank = tmp_path / "blank.png"
    _browser(
        binary,
        "--hide-scrollbars",
        "--window-size=1280,1250",
        f"--screenshot={blank}",
        blank_page.as_uri(),
        cwd=tmp_path,
    )
    # A blank page compresses to almost nothing; charts, text and colours do not.
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 10 * blank.stat().st_size, (
        shot.stat().st_size,
        blank.stat().st_size,
    )


def test_nps_from_an_http_endpoint(tmp_path: Path) -> None:
    import httpx2

    from investigate.config import NPSSource
    from investigate.stats.inputs import read_nps
    from investigate.threads import run as run_async

    answers = {
        "data": [{"score": 10, "at": "2026-11-01T00:00:00Z"}, {"score": 3}, {"score": "n/a"}]
    }

    def reply(request: httpx2.Request) -> httpx2.Response:
        assert request.method == "GET" and request.url.path == "/nps"
        return httpx2.Response(200, json=answers)

    ctx = Context(transport=httpx2.MockTransport(reply))
    source = NPSSource(url="https://surveys.example/nps", items="data", time_field="at")
    found, invalid, where = run_async(read_nps(ctx, source))
    assert [s for _, s in found] == [10.0, 3.0] and invalid == 1 and where.endswith("/nps")
    assert found[0][0] == datetime(2026, 11, 1, tzinfo=UTC)


def test_reports_only_and_query(capsys: pytest.CaptureFixture[str], reports_dir: Path) -> None:
    code, out, err = stats(
        capsys, "--no-source", "--reports", str(reports_dir), "-f", "json", "--since", "60d"
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["tickets"] == 0 and data["reports"] == 3 and data["frt"]["overall"]["n"] == 0
    assert [f["source"] for f in data["escalation"]["funnels"]] == ["reports"]
    code, out, err = stats(capsys, "--query", "priority:urgent", "-f", "json")
    assert code == 0, err
    data = json.loads(out)
    assert 0 < data["tickets"] < 60 and set(data["frt"]["by"]["priority"]) == {"urgent"}


def test_the_committed_demo_history_is_what_the_script_builds(tmp_path: Path) -> None:
    import sys

    folder = ROOT / "examples/demo/history"
    done = subprocess.run(
        [sys.executable, str(folder / "build_history.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for name in ("tickets.jsonl", "nps.csv"):
        assert (tmp_path / name).read_bytes() == (folder / name).read_bytes(), name
    assert (folder / "tickets.jsonl").stat().st_size < 1_000_000
