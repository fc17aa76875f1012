"""`log_file` block scanning: the same evidence whatever the block size and search engine
(lines straddling blocks, CRLF, invalid UTF-8, over-long lines, .gz), seeking by time in ordered
files (and reading unordered ones whole), and the bounded baseline."""

from __future__ import annotations

import gzip
import io
import json
import os
import random
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import investigate_connectors._logscan as logscan
from investigate.models import Evidence
from investigate_connectors._logscan import Finder, blocks, seek_range
from tests.connectors.test_log_file import (
    END,
    START,
    at,
    find,
    iso,
    jline,
    make_logs,
    query,
    write_lines,
)

ENGINES = ["re"] + (["hyperscan"] if logscan.accelerated() else [])


def summary(evidence: list[Evidence]) -> list[tuple[Any, ...]]:
    return sorted(
        (e.title, e.count, e.level, tuple(e.matched), e.novelty, e.timestamp, tuple(e.examples))
        for e in evidence
    )


def use(monkeypatch: pytest.MonkeyPatch, engine: str, block: int) -> None:
    if engine == "re":
        monkeypatch.setattr(logscan, "hyperscan", None)
    monkeypatch.setattr(logscan, "BLOCK_BYTES", block)


def mixed_lines() -> bytes:
    rows = [
        jline(at(1), "info", "export queued for acc_1042"),
        jline(at(2), "error", "export serializer crashed: ERR_EXPORT_SERIALIZE"),
        "2026-11-24T09:03:00Z WARN [web] slow export for Dana@Acme.io",
        jline(at(4), "info", "healthcheck ok"),
        jline(at(5), "info", "request req_8f2a9c1d served in 20ms"),
        "2026-11-24T09:06:00Z INFO [web] nothing to see",
        jline(at(7), "error", "ledger timeout after 30s", service="billing"),
        jline(at(30, hour=8), "error", "ledger timeout after 30s", service="billing"),
    ]
    return "".join(r + "\n" for r in rows).encode()


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("block", [7, 64, 333, 1 << 22])
async def test_the_same_evidence_whatever_the_block_size_and_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: str, block: int
) -> None:
    (tmp_path / "app.log").write_bytes(mixed_lines())
    expected = summary((await make_logs(tmp_path, "app.log").collect(query())).evidence)
    assert len(expected) == 4  # queued, crashed, slow export, req served (ledger: steady)

    use(monkeypatch, engine, block)
    got = summary((await make_logs(tmp_path, "app.log").collect(query())).evidence)

    assert got == expected


@pytest.mark.parametrize("engine", ENGINES)
async def test_crlf_line_endings_are_not_part_of_the_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: str
) -> None:
    use(monkeypatch, engine, 50)
    (tmp_path / "app.log").write_bytes(mixed_lines().replace(b"\n", b"\r\n"))

    evidence = (await make_logs(tmp_path, "app.log").collect(query())).evidence

    slow = find(evidence, "slow export")
    assert slow.examples == ["slow export for Dana@Acme.io"]
    assert slow.services == ["web"]
    assert find(evidence, "export queued").matched == ["acc_1042"]
    assert not any("\r" in ex for e in evidence for ex in e.examples)


@pytest.mark.parametrize("engine", ENGINES)
async def test_invalid_utf8_and_over_long_lines_across_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: str
) -> None:
    use(monkeypatch, engine, 1000)
    limit = 4096
    huge = f'{{"ts": "{iso(at(10))}", "level": "error", "msg": "huge for acc_1042 ' + "x" * 9000
    data = b"".join(
        [
            b"\xff\xfe\x80 junk \xc3\x28\n",
            jline(at(9), "info", "before for acc_1042").encode() + b"\n",
            (huge + " 2026-11-24T09:11:00Z ERROR ghost line for acc_1042").encode(),
            b"\n",
            b'{"ts": "2026-11-24T09:12:00Z", "level": "info", "msg": "caf\xe9 acc_1042"}\n',
            jline(at(13), "info", "after for acc_1042").encode(),  # no final newline
        ]
    )
    (tmp_path / "app.log").write_bytes(data)

    conn = make_logs(tmp_path, "app.log", max_line_bytes=limit)
    evidence = (await conn.collect(query())).evidence

    find(evidence, "before for")
    find(evidence, "after for")
    assert "\ufffd" in find(evidence, "caf").examples[0]
    assert len(find(evidence, "huge for").examples[0]) <= 500
    assert not any("ghost" in ex for e in evidence for ex in e.examples)


@pytest.mark.parametrize("engine", ENGINES)
async def test_gzip_is_read_in_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: str
) -> None:
    use(monkeypatch, engine, 100)
    with gzip.open(tmp_path / "app.log.gz", "wb") as handle:
        handle.write(mixed_lines())
    expected_conn = make_logs(tmp_path / "plain", "app.log")
    (tmp_path / "plain" / "app.log").write_bytes(mixed_lines())

    got = (await make_logs(tmp_path, "app.log.gz").collect(query())).evidence

    assert summary(got) == summary((await expected_conn.collect(query())).evidence)


def test_finder_returns_each_candidate_line_once() -> None:
    block = b"a acc_1042 acc_1042\nplain info\nERROR here\nWarning: acc_1042\nlast error"
    for accelerate in (False, True):
        finder = Finder([b"acc_1042"], accelerate=accelerate)
        spans = finder.lines(block)
        assert [flag for *_, flag in spans] == [True, False, True, False] or not accelerate
        assert [block[a:b] for a, b, _ in spans] == [
            b"a acc_1042 acc_1042",
            b"ERROR here",
            b"Warning: acc_1042",
            b"last error",
        ]


def test_blocks_end_on_line_boundaries_and_cap_long_lines() -> None:
    data = b"one\n" + b"x" * 50 + b"\ntwo\nthree"
    for size in (3, 8, 100):
        got = [
            line[:20]
            for _, block in blocks(io.BytesIO(data), limit=20, size=size)
            for line in bytes(block).split(b"\n")
            if line
        ]
        assert got == [b"one", b"x" * 20, b"two", b"three"], size
        for offset, block in blocks(io.BytesIO(data), limit=20, size=size):
            assert data[offset : offset + 3] == bytes(block[:3])  # offsets are the file's


# --- seek by time -------------------------------------------------------------------------


def ordered_log(path: Path, hours: int, per_hour: int = 120) -> list[str]:
    """A time-ordered log ending at END, one error pattern per hour, an entity hit each hour."""
    rows = []
    first = END - timedelta(hours=hours)
    for h in range(hours):
        for i in range(per_hour):
            ts = first + timedelta(hours=h, seconds=i * 3600 // per_hour)
            if i == 0:
                rows.append(jline(ts, "error", f"hourly job {h % 5} failed", pad="p" * 80))
            elif i == 1:
                rows.append(jline(ts, "info", "export for acc_1042 ok", pad="p" * 80))
            else:
                rows.append(jline(ts, "info", f"served {i}", pad="p" * 80))
    write_lines(path, rows)
    return rows


def timeof(raw: bytes) -> datetime | None:
    try:
        return datetime.fromisoformat(json.loads(raw)["ts"])
    except (ValueError, KeyError):
        return None


def test_seek_range_finds_the_baseline_start_by_binary_search(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logscan, "PROBE_BYTES", 2048)
    path = tmp_path / "ordered.jsonl"
    rows = ordered_log(path, hours=24 * 20)
    size = path.stat().st_size
    since, until = START - timedelta(days=3), END
    with path.open("rb") as handle:
        found = seek_range(handle, size, since, until, timeof, 65536)
    assert found is not None
    start, stop = found
    assert size * 0.75 < start < size * 0.9  # the last 4 of 20 days (with slack)
    offsets, pos = [], 0
    for row in rows:
        offsets.append(pos)
        pos += len(row) + 1
    wanted = [o for o, r in zip(offsets, rows, strict=True) if since <= timeof(r.encode()) <= until]  # type: ignore[operator]
    assert start <= wanted[0]
    assert stop == -1 or stop > wanted[-1]


def test_seek_range_reuses_the_probes_of_earlier_searches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch's tickets search one file version for their own windows: the probes already
    read are kept (`probed`), every range is the one a fresh search finds, and the later
    searches read only the offsets the earlier ones did not."""
    monkeypatch.setattr(logscan, "PROBE_BYTES", 2048)
    path = tmp_path / "ordered.jsonl"
    ordered_log(path, hours=24 * 20)
    size = path.stat().st_size
    reads: list[int] = []
    real = logscan.first_time

    def counting(*args: Any) -> Any:
        reads.append(args[1])
        return real(*args)

    monkeypatch.setattr(logscan, "first_time", counting)
    probed: dict[int, Any] = {}
    windows = [(END - timedelta(days=d + 3), END - timedelta(days=d)) for d in range(6)]
    with path.open("rb") as handle:
        fresh = [seek_range(handle, size, a, b, timeof, 65536) for a, b in windows]
        alone = len(reads)
        reads.clear()
        kept = [seek_range(handle, size, a, b, timeof, 65536, probed) for a, b in windows]
    assert kept == fresh and all(found is not None for found in kept)
    assert len(reads) == len(set(reads)) < alone  # each offset read once, all told


def test_seek_range_refuses_an_unordered_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logscan, "PROBE_BYTES", 2048)
    path = tmp_path / "shuffled.jsonl"
    rows = ordered_log(path, hours=24 * 5)
    random.Random(3).shuffle(rows)
    write_lines(path, rows)
    with path.open("rb") as handle:
        assert seek_range(handle, path.stat().st_size, START, END, timeof, 65536) is None


async def test_ordered_and_shuffled_files_give_the_same_evidence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logscan, "PROBE_BYTES", 2048)
    rows = ordered_log(tmp_path / "a" / "app.jsonl", hours=24 * 10)
    shuffled = rows[:]
    random.Random(5).shuffle(shuffled)
    write_lines(tmp_path / "b" / "app.jsonl", shuffled)
    ordered = make_logs(tmp_path / "a", "app.jsonl")
    unordered = make_logs(tmp_path / "b", "app.jsonl")
    q = query(deadline=time.monotonic() + 300)

    got = summary((await ordered.collect(q)).evidence)

    assert got == summary((await unordered.collect(q)).evidence)
    assert any("acc_1042" in t[3] for t in got)


async def test_a_gz_written_before_the_baseline_or_starting_after_the_window_is_skipped(
    tmp_path: Path,
) -> None:
    old = tmp_path / "old.log.gz"
    with gzip.open(old, "wt") as handle:
        handle.write(jline(at(5), "error", "old file says acc_1042") + "\n")
    stamp = (START - timedelta(days=10)).timestamp()
    os.utime(old, (stamp, stamp))
    later = tmp_path / "later.log.gz"
    with gzip.open(later, "wt") as handle:
        handle.write(jline(at(0, hour=23), "error", "later file acc_1042") + "\n")
        handle.write(jline(at(6), "error", "out of order in later file acc_1042") + "\n")
    current = tmp_path / "current.log.gz"
    with gzip.open(current, "wt") as handle:
        handle.write(jline(at(7), "error", "current file says acc_1042") + "\n")

    evidence = (await make_logs(tmp_path, "*.log.gz").collect(query())).evidence

    assert [e.examples[0] for e in evidence] == ["current file says acc_1042"]


# --- the bounded baseline -------------------------------------------------------------------


async def test_novelty_is_judged_against_the_configured_baseline_only(tmp_path: Path) -> None:
    rows = [
        jline(START - timedelta(days=5, minutes=m), "error", "quota sync failed") for m in (1, 2)
    ]
    rows += [jline(at(m), "error", "quota sync failed") for m in (10, 20, 30)]
    write_lines(tmp_path / "app.jsonl", rows)
    conn = make_logs(tmp_path, "app.jsonl")

    three_days = (await conn.collect(query())).evidence
    q = query()
    q.baseline = timedelta(days=7)
    seven_days = (await conn.collect(q)).evidence

    (item,) = three_days
    assert item.novelty == "new"  # five days ago is outside a 3-day baseline: not read
    assert item.attributes["baseline_count"] == 0
    assert seven_days == []  # inside a 7-day baseline: steady, not worth showing


# --- batches share parsed lines ---------------------------------------------------------------


async def test_a_batch_parses_each_line_once_and_every_ticket_gets_its_own_evidence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from investigate.evidence.entities import extract
    from investigate.models import Person, Ticket
    from tests.connectors.test_log_file import TICKET

    other = Ticket(
        id="4813",
        subject="Invoices missing",
        description="Account acc_2077 sees no invoices; request req_77aa1234.",
        requester=Person(name="Lee", email="lee@globex.io"),
        created_at=END,
    )
    rows = [
        jline(at(1), "info", "export queued for acc_1042"),
        jline(at(2), "info", "invoice run for acc_2077 found 0 invoices"),
        jline(at(3), "error", "invoice renderer crashed: ERR_PDF_FONT"),
        jline(at(4), "warn", "slow export for acc_1042"),
        jline(at(30, hour=8), "error", "ledger timeout after 30s"),
        jline(at(5), "error", "ledger timeout after 30s"),
    ]
    write_lines(tmp_path / "app.jsonl", rows)
    alone = {
        t.id: summary((await make_logs(tmp_path, "app.jsonl").collect(query(t))).evidence)
        for t in (TICKET, other)
    }
    conn = make_logs(tmp_path, "app.jsonl")
    conn.ctx.batch = True
    calls = 0
    parse = conn._parse_line

    def counting(raw: bytes, matched: frozenset[str]) -> Any:
        nonlocal calls
        calls += 1
        return parse(raw, matched)

    monkeypatch.setattr(conn, "_parse_line", counting)

    first = summary((await conn.collect(query(TICKET))).evidence)
    parsed_once = calls
    second = summary((await conn.collect(query(other))).evidence)

    assert first == alone[TICKET.id]
    assert second == alone[other.id]
    assert any("acc_2077" in t[3] for t in second) and not any("acc_1042" in t[3] for t in second)
    assert calls - parsed_once == 1  # only the acc_2077 info line was new to the parser
    assert extract(other).account_ids == ["acc_2077"]


async def test_investigation_baseline_in_the_config_reaches_the_log_connector(
    tmp_path: Path,
) -> None:
    """End to end: `investigation.baseline` decides whether an error seen 5 days ago is new."""
    from investigate.config import load_config
    from investigate.context import Context
    from investigate.options import RunOptions
    from investigate.pipeline import investigate

    (tmp_path / "tickets").mkdir()
    (tmp_path / "tickets" / "7001.json").write_text(
        json.dumps(
            {
                "id": "7001",
                "subject": "Quota sync broken",
                "description": "The quota sync fails for acc_5150 since this morning.",
                "created_at": iso(END),
                "requester": {"email": "ops@example.org"},
            }
        )
    )
    rows = [
        jline(START - timedelta(days=5, minutes=m), "error", "quota sync failed") for m in (1, 2)
    ]
    rows += [jline(at(m), "error", "quota sync failed") for m in (10, 20, 30)]
    write_lines(tmp_path / "app.jsonl", rows)

    async def titles(baseline: str | None) -> list[str]:
        settings = {"lookback": "1h", **({"baseline": baseline} if baseline else {})}
        config = {
            "ticket_source": "tickets",
            "investigation": settings,
            "connectors": {
                "tickets": {"type": "file", "path": "tickets"},
                "logs": {"type": "log_file", "paths": ["app.jsonl"]},
            },
        }
        path = tmp_path / "investigate.yaml"
        path.write_text(json.dumps(config))
        ctx = Context(config=load_config(path, env={}))
        options = RunOptions(ticket_id="7001", analyst="offline", until=iso(END))
        report = await investigate(ctx, options)
        return [e.title for e in report.evidence if e.source == "logs"]

    assert any("quota sync failed" in t for t in await titles(None))  # 3 d: not read, so new
    assert not any("quota sync failed" in t for t in await titles("7d"))  # 7 d: steady
