"""`log_file`'s block scanner reads records, not lines: a stack trace stays joined to the line
that starts it (even when it straddles a block boundary, or only a marker-less frame names the
entity), and every `logformats` fixture gives the same evidence through the block scanner as
through a plain line-by-line read of the same file."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

import investigate_connectors._logscan as logscan
import investigate_connectors.log_file as log_file
from investigate.models import Evidence
from investigate.sdk import logformats
from investigate.sdk.patterns import PatternGrouper
from investigate.sdk.textmatch import EntityMatcher
from investigate_connectors._logscan import blocks
from investigate_connectors.log_file import LogFile, _open
from tests.connectors.test_log_file import make_logs, query
from tests.connectors.test_log_scan import ENGINES, use

FIXTURES = Path(__file__).parent.parent / "fixtures" / "logformats"
WRITTEN = 1795521600  # 2026-11-24T12:00Z: the day the fixtures' clock-only lines belong to
BLOCKS = [64, 150, 333, logscan.BLOCK_BYTES]
"""Block sizes small enough that records straddle blocks (lines are never split: a block ends
on a newline), and the real 4 MiB."""


def summary(evidence: list[Evidence]) -> list[tuple[Any, ...]]:
    return sorted(
        (
            e.title,
            e.count,
            e.level,
            tuple(e.matched),
            e.novelty,
            e.timestamp,
            tuple(e.examples),
            tuple(e.services),
            repr(sorted(e.fields.items())),
        )
        for e in evidence
    )


def line_by_line(conn: LogFile, path: Path) -> list[Evidence]:
    """The reference: every line read in turn, continuation lines joined by
    `logformats.records`, every record that names an entity or might be warning or worse
    parsed: no blocks, no candidate search, no seeking."""
    q = query()
    grouper = PatternGrouper(q.window)
    matcher = EntityMatcher(q.entities.matchable())
    fmt = conn.detection(path).format
    log_file._READING.format = fmt
    limit = conn.config.max_line_bytes
    with _open(path) as handle:
        for raw in logformats.records(log_file._lines(handle, limit), fmt, limit):
            matched = matcher.find_bytes(raw)
            if not matched and not fmt.interesting(raw):
                continue
            line = conn._parse_line(raw, matched)
            if line is None or not q.baseline_start <= line.timestamp <= q.window.end:
                continue
            if not matched and line.level not in {"warning", "error", "critical"}:
                continue
            if line.timestamp < q.window.start:
                grouper.add_baseline(line)
            else:
                grouper.add(line)
    return grouper.evidence(conn.name, "reference")[: conn.config.max_patterns]


FIXTURE_NAMES = sorted(p.name for p in FIXTURES.iterdir() if p.name != "README.md")


def test_the_reference_read_finds_evidence_in_the_fixtures(tmp_path: Path) -> None:
    """The comparison above is not vacuous: the line-by-line read finds an entity or a new
    error in (nearly) every fixture."""
    found = []
    for name in FIXTURE_NAMES:
        folder = tmp_path / name.replace(".", "_")
        (folder / "logs").mkdir(parents=True)
        target = folder / "logs" / name
        shutil.copy(FIXTURES / name, target)
        os.utime(target, (WRITTEN, WRITTEN))
        if line_by_line(make_logs(folder, f"logs/{name}"), target):
            found.append(name)
    assert len(found) >= len(FIXTURE_NAMES) - 2, sorted(set(FIXTURE_NAMES) - set(found))


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", FIXTURE_NAMES)
async def test_every_fixture_gives_the_same_evidence_in_blocks_as_line_by_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, engine: str
) -> None:
    (tmp_path / "logs").mkdir()
    target = tmp_path / "logs" / name
    shutil.copy(FIXTURES / name, target)
    os.utime(target, (WRITTEN, WRITTEN))
    conn = make_logs(tmp_path, f"logs/{name}")
    expected = summary(line_by_line(conn, target))

    for block in BLOCKS:
        use(monkeypatch, engine, block)
        got = summary((await conn.collect(query())).evidence)
        assert got == expected, f"{name}, {engine}, {block}-byte blocks"


JAVA = (
    "2026-11-24T09:12:41.608Z  INFO 88909 --- [exporter] [main] o.e.App : started\n"
    "2026-11-24T09:13:02.120Z ERROR 88909 --- [exporter] [exec-3] c.e.ExportController : "
    "Export failed\n"
    "java.lang.IllegalStateException: ledger unavailable\n"
    "\tat com.example.export.ExportService.run(ExportService.java:42)\n"
    "\tat com.example.export.Account.load(Account.java:7) for acc_1042\n"
    "Caused by: java.net.SocketTimeoutException: Read timed out\n"
    "\tat java.base/sun.nio.ch.NioSocketImpl.timedRead(NioSocketImpl.java:288)\n"
    "\t... 12 common frames omitted\n"
    "2026-11-24T09:14:44.030Z  INFO 88909 --- [exporter] [main] o.e.App : idle\n"
)
PYTHON = (
    "2026-11-24 09:12:59,001 - exporter - INFO - export queued\n"
    "2026-11-24 09:13:02,618 - exporter - INFO - export retried\n"
    "Traceback (most recent call last):\n"
    '  File "/app/export.py", line 12, in run\n'
    "    rows = fetch('acc_1042')\n"
    '  File "/app/db.py", line 3, in fetch\n'
    "    return total / count\n"
    "ZeroDivisionError: division by zero\n"
    "2026-11-24 09:13:05,001 - exporter - INFO - done\n"
)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("text", "example", "level", "exception", "frame"),
    [
        (JAVA, "Export failed", "error", "java.net.SocketTimeoutException", "Account.java:7"),
        # The head line is INFO and no line has a level marker: only a frame names acc_1042.
        (PYTHON, "export retried", "info", "ZeroDivisionError", "rows = fetch('acc_1042')"),
    ],
)
async def test_a_stack_trace_stays_joined_whatever_the_block_boundaries(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    engine: str,
    text: str,
    example: str,
    level: str,
    exception: str,
    frame: str,
) -> None:
    log = tmp_path / "logs" / "app.log"
    log.parent.mkdir(parents=True)
    log.write_bytes(text.encode())
    conn = make_logs(tmp_path, "logs/app.log")
    size = len(text.encode())
    boundaries = set()

    for block in [*range(40, size, 7), logscan.BLOCK_BYTES]:
        use(monkeypatch, engine, block)
        with log.open("rb") as handle:
            boundaries |= {offset for offset, _ in blocks(handle, 65_536)}
        evidence = (await conn.collect(query())).evidence

        hits = [e for e in evidence if e.matched == ["acc_1042"]]
        assert len(hits) == 1, (block, [(e.title, e.examples) for e in evidence])
        (item,) = hits
        assert item.examples == [example], block  # the frames are not records of their own
        assert item.level == level and item.count == 1
        fields = item.fields
        assert fields["exception"] == exception, block
        assert frame in fields["stack_trace"], block
        # From the trace's first line (evidence caps a field's length) to its last, which
        # names the exception (Python's last line; Java's root cause, "Caused by:").
        assert fields["stack_trace"].splitlines()[0] == text.splitlines()[2], block
        assert not [e for e in evidence if "at com.example" in e.title or "File " in e.title]

    # The block sizes put a block boundary before every continuation line of the trace (and
    # before the line after it) at least once.
    first = text.index("\n", text.index(example)) + 1
    last = len(text) - 1
    assert {first} | {i + 1 for i in range(first, last) if text[i] == "\n"} <= boundaries
