"""`investigate batch`: many tickets, streamed reports, files, reruns, limits, Ctrl-C."""

from __future__ import annotations

import asyncio
import io
import json
import signal
from pathlib import Path

import pytest
import yaml

from investigate.models import Report

ROOT = Path(__file__).resolve().parents[1]
DEMO = str(ROOT / "config.example.yaml")
EXPECTED = yaml.safe_load((ROOT / "examples/demo/expected.yaml").read_text())
IDS = sorted(EXPECTED)


def test_the_whole_demo_as_json_lines(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("batch", *IDS, "-c", DEMO, "--analyst", "offline", "--concurrency", "4")
    assert result.code == 0, result.err
    reports = [Report.model_validate_json(line) for line in result.out.splitlines()]
    assert sorted(r.ticket.id for r in reports) == IDS
    for r in reports:  # the same answers as one at a time
        assert r.analysis.root_cause.category == EXPECTED[r.ticket.id]["category"], r.ticket.id
    assert "10 tickets: 10 ok, 0 partial, 0 failed" in result.err
    table = result.err.split("Batch summary", 1)[1]
    rows = {line.split("│")[1].strip(): line for line in table.splitlines() if line.count("│") > 3}
    assert set(rows) >= {"billing", "bug", "outage", "configuration", "user_error"}
    assert "L1" in table and "L3" in table and "Incident" in table


def test_missing_tickets_fail_alone_and_set_the_exit_code(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("batch", "4812", "nope", "9999", "-c", DEMO)
    assert result.code == 3  # every failure was a missing ticket
    assert [json.loads(x)["ticket"]["id"] for x in result.out.splitlines()] == ["4812"]
    assert "failed nope: ticket nope not found" in result.err
    assert "3 tickets: 1 ok, 0 partial, 2 failed" in result.err


def test_bad_ids_are_failures_not_crashes(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("batch", "4812", "../../etc/passwd", "-c", DEMO)
    assert result.code == 4
    assert "failed ../../etc/passwd: not a ticket ID" in result.err


def test_output_dir_writes_one_file_each_then_skips_then_force_redoes(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "reports"
    first = cli("batch", "4812", "4813", "-c", DEMO, "-d", str(out), "-f", "markdown")
    assert first.code == 0 and first.out == ""
    assert sorted(p.name for p in out.iterdir()) == ["4812.md", "4813.md"]  # no temp files left
    assert (out / "4812.md").read_text().startswith("# Ticket 4812:")
    (out / "4812.md").write_text("kept")

    again = cli("batch", "4812", "4813", "-c", DEMO, "-d", str(out), "-f", "markdown")
    assert again.code == 0
    assert "2 skipped (already done)" in again.err
    assert (out / "4812.md").read_text() == "kept"

    forced = cli("batch", "4812", "-c", DEMO, "-d", str(out), "-f", "markdown", "--force")
    assert forced.code == 0
    assert (out / "4812.md").read_text().startswith("# Ticket 4812:")


def test_batch_records_each_ticket_for_replay(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rec = tmp_path / "rec"
    live = cli("batch", "4812", "4813", "-c", DEMO, "--record", str(rec))
    assert live.code == 0, live.err
    assert sorted(p.name for p in rec.iterdir()) == ["4812", "4813"]
    reports = {json.loads(x)["ticket"]["id"]: json.loads(x) for x in live.out.splitlines()}
    again = cli("ticket", "4813", "--replay", str(rec / "4813"), "-f", "json")
    assert again.code == 0, again.err
    shape = lambda r: [(e["id"], e["score"], e["kind"]) for e in r["evidence"]]  # noqa: E731
    assert shape(json.loads(again.out)) == shape(reports["4813"])


def test_ids_from_stdin(cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("sys.stdin", io.StringIO("4812\n# a comment\n\n4813\n4812\n"))
    result = cli("batch", "-", "-c", DEMO)
    assert result.code == 0, result.err
    assert sorted(json.loads(x)["ticket"]["id"] for x in result.out.splitlines()) == [
        "4812",
        "4813",
    ]  # once each, in finishing order


def test_ids_from_the_ticket_sources_own_search(cli) -> None:  # type: ignore[no-untyped-def]
    tickets = ROOT / "examples/demo/tickets"
    high = sorted(
        p.stem for p in tickets.glob("*.json") if json.loads(p.read_text())["priority"] == "high"
    )
    result = cli("batch", "--query", "priority:high", "-c", DEMO)
    assert result.code == 0, result.err
    assert sorted(json.loads(x)["ticket"]["id"] for x in result.out.splitlines()) == high


def test_no_ids_is_a_usage_error(cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    result = cli("batch", "-c", DEMO)
    assert result.code == 2 and "no tickets to investigate" in result.err


@pytest.mark.usefixtures("example_plugin")
def test_each_connector_is_capped_across_concurrent_investigations(cli, write_config) -> None:  # type: ignore[no-untyped-def]
    from example_connector import Example, ticket

    config = write_config(
        {
            "ticket_source": "helpdesk",
            "connectors": {
                "helpdesk": {
                    "type": "example",
                    "tickets": {str(i): ticket() for i in range(1, 7)},
                },
                "billing": {"type": "example", "delay": 0.2},
            },
        }
    )
    Example.peak.clear()
    result = cli(
        "batch",
        *map(str, range(1, 7)),
        "-c",
        str(config),
        "--concurrency",
        "6",
        "--per-connector",
        "1",
    )
    assert result.code == 0, result.err
    assert Example.peak["billing"] == 1
    Example.peak.clear()
    result = cli(
        "batch",
        *map(str, range(1, 7)),
        "-c",
        str(config),
        "--concurrency",
        "6",
        "--per-connector",
        "3",
    )
    assert result.code == 0
    assert Example.peak["billing"] == 3


@pytest.mark.usefixtures("example_plugin")
def test_a_failed_source_is_partial_exit_0_or_5_with_strict(cli, write_config) -> None:  # type: ignore[no-untyped-def]
    from example_connector import ticket

    config = write_config(
        {
            "ticket_source": "helpdesk",
            "connectors": {
                "helpdesk": {"type": "example", "tickets": {"1": ticket()}},
                "billing": {"type": "example", "fail": "401 from billing"},
            },
        }
    )
    result = cli("batch", "1", "-c", str(config))
    assert result.code == 0 and "1 ticket: 0 ok, 1 partial, 0 failed" in result.err
    assert cli("batch", "1", "-c", str(config), "--strict").code == 5


def test_ctrl_c_keeps_the_finished_reports(cli, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import investigate.batch as batch

    real = batch.investigate
    done: list[str] = []
    not_cancelled: list[str] = []

    async def interrupted_after_two(ctx, options, progress=None, *, limits=None):  # type: ignore[no-untyped-def]
        if len(done) >= 2:  # the user presses Ctrl-C: a real SIGINT, handled by the runner
            if not_cancelled:  # already waited once: fail the rest at once
                raise AssertionError(not_cancelled[0])
            handler = signal.getsignal(signal.SIGINT)
            signal.raise_signal(signal.SIGINT)
            # only the runner's cancellation ends this wait (however slowly a loaded machine
            # delivers the signal); were it never to come, the test fails, saying why
            await asyncio.sleep(60)
            not_cancelled.append(f"no cancellation 60 s after SIGINT; SIGINT handler: {handler!r}")
            raise AssertionError(not_cancelled[0])
        report = await real(ctx, options, progress, limits=limits)
        done.append(options.ticket_id)
        return report

    monkeypatch.setattr(batch, "investigate", interrupted_after_two)
    out = tmp_path / "out"
    result = cli("batch", *IDS, "-c", DEMO, "-d", str(out), "--concurrency", "1")
    assert result.code == 130, not_cancelled or result.err
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{t}.json" for t in done)
    assert "2 of 10 tickets: 2 ok" in result.err


def _comparable(out: str) -> dict[str, dict[str, object]]:
    """Reports by ticket ID without what depends on the moment of the run."""
    reports = {}
    for line in out.splitlines():
        r = json.loads(line)
        for key in ("generated_at", "sla"):
            r.pop(key)
        r["usage"].pop("elapsed_ms")
        for source in r["sources"]:
            source.pop("elapsed_ms", None)
        reports[r["ticket"]["id"]] = r
    return reports


@pytest.mark.parametrize("resolvers", [False, True])
def test_a_planned_batch_fetches_each_ticket_once_and_gives_the_same_reports(  # type: ignore[no-untyped-def]
    cli, monkeypatch, tmp_path, resolvers
) -> None:
    """With a log_file connector the batch fetches its tickets first and scans each log once
    for every ticket's entity values (`ctx.planned`); each ticket is fetched once, and every
    report is the one an unplanned batch gives. Values a resolver adds later (the demo's
    database) are not in the plan: those tickets scan for themselves, as before."""
    from investigate.sdk.contract import Connector
    from investigate_connectors._logscan import EntityIndex
    from investigate_connectors.file import FileTickets
    from investigate_connectors.log_file import LogFile

    config = DEMO
    if not resolvers:  # the ticket folder and the logs only
        settings = yaml.safe_load(Path(DEMO).read_text())
        kept = {k: settings["connectors"][k] for k in ("tickets", "logs")}
        kept["tickets"]["path"] = str(ROOT / kept["tickets"]["path"])
        kept["logs"]["paths"] = [str(ROOT / g) for g in kept["logs"]["paths"]]
        settings["connectors"] = kept
        config = str(tmp_path / "logs-only.yaml")
        Path(config).write_text(yaml.safe_dump(settings))
    fetched: list[str] = []
    real = FileTickets.fetch_ticket

    async def counting(self, ticket_id):  # type: ignore[no-untyped-def]
        fetched.append(ticket_id)
        return await real(self, ticket_id)

    monkeypatch.setattr(FileTickets, "fetch_ticket", counting)
    answered: list[bool] = []
    lines = EntityIndex.lines

    def spying(self, *args):  # type: ignore[no-untyped-def]
        found = lines(self, *args)
        answered.append(found is not None)
        return found

    monkeypatch.setattr(EntityIndex, "lines", spying)
    # a fixed window end: the two batches must not straddle a minute (queries quote the window)
    args = ("batch", *IDS, "-c", config, "--analyst", "offline", "--concurrency", "3")
    args += ("--until", "2026-11-25T00:00:00Z")
    planned = cli(*args)
    assert planned.code == 0, planned.err
    assert sorted(fetched) == IDS  # once each: the investigations took the fetched tickets
    assert answered and all(answered) != resolvers  # the plan held every ticket's values

    monkeypatch.setattr(LogFile, "plans_batches", Connector.plans_batches)
    fetched.clear()
    answered.clear()
    unplanned = cli(*args)
    assert unplanned.code == 0, unplanned.err
    assert sorted(fetched) == IDS
    assert not answered
    assert _comparable(planned.out) == _comparable(unplanned.out)


def test_a_ticket_that_breaks_while_the_batch_plans_fails_alone(cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The planning fetch meets a ticket source bug: that ticket fails in its investigation,
    with the reason, and the rest of the batch is done."""
    from investigate_connectors.file import FileTickets

    real = FileTickets.fetch_ticket

    async def broken(self, ticket_id):  # type: ignore[no-untyped-def]
        if ticket_id == "4813":
            raise RuntimeError("the export folder moved")
        return await real(self, ticket_id)

    monkeypatch.setattr(FileTickets, "fetch_ticket", broken)
    result = cli("batch", "4812", "4813", "4814", "-c", DEMO, "--analyst", "offline")
    assert result.code == 4, result.err
    assert "3 tickets: 2 ok, 0 partial, 1 failed" in result.err
    assert "failed 4813: internal error: RuntimeError: the export folder moved" in result.err
    assert sorted(json.loads(line)["ticket"]["id"] for line in result.out.splitlines()) == [
        "4812",
        "4814",
    ]


def test_a_batch_runs_with_the_long_run_collector_settings_and_restores_them(  # type: ignore[no-untyped-def]
    cli, monkeypatch
) -> None:
    """During a batch the objects made before it are frozen out of the collector's passes and
    young collections are rarer (`long_run_gc`); after it, the settings are as they were."""
    import gc

    from investigate import batch

    during: list[tuple[tuple[int, int, int], int]] = []
    real = batch._investigate_one

    async def spying(*args):  # type: ignore[no-untyped-def]
        during.append((gc.get_threshold(), gc.get_freeze_count()))
        return await real(*args)

    monkeypatch.setattr(batch, "_investigate_one", spying)
    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    result = cli("batch", *IDS[:2], "-c", DEMO, "--analyst", "offline")
    assert result.code == 0, result.err
    assert [threshold for threshold, _ in during] == [batch.LONG_RUN_GC] * 2
    assert all(count > frozen for _, count in during)
    assert (gc.get_threshold(), gc.get_freeze_count()) == (before, frozen)
