"""A batch scans each log file once for all its tickets (`_logscan.LevelIndex`): every ticket
gets exactly the evidence its own scan gives, in whatever order and concurrency the tickets
come, for single-line formats (the file mapped, level-marker lines parsed once) and multi-line
ones (blocks, level-marker lines found once), whatever the block size. That holds because
whether a line is a candidate depends on the line alone, never on where a block begins."""

from __future__ import annotations

import asyncio
import io
import itertools
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import investigate_connectors._logscan as logscan
from investigate.evidence.entities import extract
from investigate.models import Person, Ticket, Window
from investigate.sdk.contract import Query
from investigate_connectors._logscan import Finder, LevelIndex, blocks
from investigate_connectors.log_file import LogFile
from tests.connectors.test_log_file import make_logs

pytestmark = pytest.mark.skipif(not logscan.accelerated(), reason="the shared scan needs Hyperscan")

END = datetime(2026, 11, 28, 12, tzinfo=UTC)
DAYS = 8
ACCOUNTS = [f"acc_{n}" for n in range(2001, 2009)]
CODES = ["ERR_LEDGER_TIMEOUT", "ERR_LEDGER_DENIED", "ERR_LEDGER_BUSY", "ERR_LEDGER_GONE"]
CODES += ["ERR_PDF_FONT", "ERR_QUOTA_HIT"]  # only in the last day: new there


def json_log(path: Path, seed: int = 3) -> None:
    """A time-ordered JSON-lines log over DAYS days: info noise, warnings and errors (some
    new in the last day), entity mentions of every account, a numeric level, a few over-long
    lines and a level word past the cap."""
    rng = random.Random(seed)
    start = END - timedelta(days=DAYS)
    rows = []
    for i in range(9000):
        ts = (start + timedelta(seconds=i * DAYS * 86400 / 9000)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        late = i > 8000
        roll = rng.random()
        account = rng.choice(ACCOUNTS)
        if roll < 0.05:
            code = rng.choice(CODES[: 4 if not late else 6])
            row = f'{{"ts": "{ts}", "level": "error", "msg": "{code} ledger call failed", "account_id": "{account}"}}'
        elif roll < 0.08:
            row = f'{{"ts": "{ts}", "level": 50, "msg": "worker {rng.randint(1, 9)} crashed"}}'
        elif roll < 0.12:
            row = f'{{"ts": "{ts}", "level": "warn", "msg": "slow export for {account}"}}'
        elif roll < 0.13:
            row = f'{{"ts": "{ts}", "level": "info", "msg": "{"x" * 700} then an error"}}'
        elif roll < 0.2:
            row = f'{{"ts": "{ts}", "level": "info", "msg": "export queued for {account}"}}'
        else:
            row = f'{{"ts": "{ts}", "level": "info", "msg": "GET /dash/{rng.randint(1, 99999)} 200", "n": {rng.randint(0, 99)}}}'
        rows.append(row)
    path.write_text("\n".join(rows) + "\n")


def shuffled_json_log(path: Path) -> None:
    """`json_log` with its lines shuffled within runs of 40: not time-ordered, so lines are
    placed in the window or baseline one at a time by their own times."""
    json_log(path)
    rows = path.read_text().splitlines()
    rng = random.Random(11)
    for start in range(0, len(rows), 40):
        run = rows[start : start + 40]
        rng.shuffle(run)
        rows[start : start + 40] = run
    path.write_text("\n".join(rows) + "\n")


def python_log(path: Path, seed: int = 5) -> None:
    """The same shape in Python's logging format, with tracebacks (multi-line records)."""
    rng = random.Random(seed)
    start = END - timedelta(days=DAYS)
    out = []
    for i in range(7000):
        ts = (start + timedelta(seconds=i * DAYS * 86400 / 7000)).strftime("%Y-%m-%d %H:%M:%S,%f")[
            :-3
        ]
        account = rng.choice(ACCOUNTS)
        roll = rng.random()
        if roll < 0.05:
            code = rng.choice(CODES[: 4 if i < 6200 else 6])
            out.append(f"{ts} - ledger - ERROR - {code} call failed for {account}")
            out += ["Traceback (most recent call last):", '  File "/app/l.py", line 3, in run',
                    f"    charge({account!r})", f"LedgerError: code {rng.randint(1, 5)}"]  # fmt: skip
        elif roll < 0.1:
            out.append(f"{ts} - web - WARNING - slow page for {account}")
        else:
            out.append(f"{ts} - web - INFO - served {rng.randint(1, 9999)} for {account}")
    path.write_text("\n".join(out) + "\n")


def tickets() -> list[Ticket]:
    """Tickets with their own accounts and windows spread over the last days."""
    return [
        Ticket(
            id=str(100 + k),
            subject=f"Exports fail for {account}",
            description=f"Every export for {account} fails.",
            requester=Person(name="Dana", email=f"dana{k}@northwind.example"),
            created_at=END - timedelta(hours=7 * k),
        )
        for k, account in enumerate(ACCOUNTS)
    ]


def ask(ticket: Ticket) -> Query:
    window = Window(start=ticket.created_at - timedelta(hours=20), end=ticket.created_at)
    return Query(
        ticket,
        extract(ticket),
        window,
        deadline=time.monotonic() + 60,
        baseline=timedelta(days=2),
    )


def dump(evidence: list[Any]) -> list[dict[str, Any]]:
    return [e.model_dump(mode="json") for e in evidence]


async def alone(folder: Path, name: str, ticket: Ticket) -> list[dict[str, Any]]:
    conn = make_logs(folder, name)
    assert not conn.ctx.batch
    return dump((await conn.collect(ask(ticket))).evidence)


def index_of(conn: LogFile) -> LevelIndex:
    found = [v for v in conn.ctx.memo.values() if isinstance(v, LevelIndex)]
    assert len(found) == 1
    return found[0]


@pytest.mark.parametrize(
    ("name", "write"),
    [("app.jsonl", json_log), ("app.log", python_log), ("shuffled.jsonl", shuffled_json_log)],
)
@pytest.mark.parametrize("block", [4096, logscan.BLOCK_BYTES])
async def test_a_shared_scan_gives_each_ticket_the_evidence_of_its_own_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, write: Any, block: int
) -> None:
    monkeypatch.setattr(logscan, "PROBE_BYTES", 4096)  # seek by time in this small file too
    write(tmp_path / name)
    every = tickets()
    expected = {t.id: await alone(tmp_path, name, t) for t in every}
    assert sum(len(v) for v in expected.values()) > len(every)  # there is evidence to compare
    assert any(any(e["matched"] for e in v) for v in expected.values())
    assert any(any(e["novelty"] == "new" for e in v) for v in expected.values())

    monkeypatch.setattr(logscan, "BLOCK_BYTES", block)
    conn = make_logs(tmp_path, name)
    conn.ctx.batch = True
    order = [every[3], every[0], every[7], every[1], every[5], every[2], every[6], every[4]]
    got = {t.id: dump((await conn.collect(ask(t))).evidence) for t in order}

    assert got == expected
    index = index_of(conn)
    assert 0 < index.scanned <= (tmp_path / name).stat().st_size  # each byte scanned once
    assert index.parsing == name.endswith(".jsonl")  # single-line: parsed once, kept


@pytest.mark.parametrize("name", ["app.jsonl", "app.log"])
async def test_concurrent_tickets_of_a_batch_get_the_evidence_of_their_own_scans(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setattr(logscan, "PROBE_BYTES", 4096)
    (json_log if name.endswith(".jsonl") else python_log)(tmp_path / name)
    every = tickets()
    expected = [await alone(tmp_path, name, t) for t in every]

    conn = make_logs(tmp_path, name)
    conn.ctx.batch = True
    results = await asyncio.gather(*(conn.collect(ask(t)) for t in every))

    assert [dump(r.evidence) for r in results] == expected


async def test_a_planned_batch_finds_every_tickets_lines_in_one_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With every ticket's entity values planned (`ctx.planned`), one Hyperscan pass per part
    of the file finds them all (`EntityIndex`), and each ticket still gets exactly the evidence
    of its own scan, concurrent or one after another; a ticket with a value the plan lacks
    scans for itself."""
    monkeypatch.setattr(logscan, "PROBE_BYTES", 4096)
    json_log(tmp_path / "app.jsonl")
    every = tickets()
    expected = {t.id: await alone(tmp_path, "app.jsonl", t) for t in every}
    values = {v.lower() for t in every for v in extract(t).matchable() if len(v) >= 4}

    conn = make_logs(tmp_path, "app.jsonl")
    conn.ctx.batch = True
    conn.ctx.planned = tuple(sorted(values - {"acc_2003"}))  # ticket 102's account left out
    own_scans = []
    real = logscan.scan_entities

    def counting(*args: Any) -> Any:
        own_scans.append(args)
        return real(*args)

    monkeypatch.setattr("investigate_connectors.log_file.scan_entities", counting)
    got = await asyncio.gather(*(conn.collect(ask(t)) for t in every[:4]))
    got += [await conn.collect(ask(t)) for t in every[4:]]

    assert {t.id: dump(r.evidence) for t, r in zip(every, got, strict=True)} == expected
    assert len(own_scans) == 1  # only the ticket whose account was not planned
    planned = [v for v in conn.ctx.memo.values() if isinstance(v, logscan.EntityIndex)]
    assert len(planned) == 1
    assert 0 < planned[0].scanned <= (tmp_path / "app.jsonl").stat().st_size  # each byte once


async def test_tickets_naming_the_same_lines_each_get_their_own_matches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A line parsed for one ticket of a batch is reused by the next that names it (or that
    takes it as a level-marker line), with that ticket's own entities on it."""
    monkeypatch.setattr(logscan, "PROBE_BYTES", 4096)
    json_log(tmp_path / "app.jsonl")
    first, second = ACCOUNTS[0], ACCOUNTS[1]
    every = [
        Ticket(
            id=str(200 + k),
            subject=subject,
            description="Exports fail.",
            requester=Person(name="Dana", email="dana@northwind.example"),
            created_at=END - timedelta(hours=3),
        )
        for k, subject in enumerate(
            [f"{first} and {second}", f"Exports for {first}", "Exports fail", f"{second} too"]
        )
    ]
    expected = {t.id: await alone(tmp_path, "app.jsonl", t) for t in every}
    assert any(e["matched"] for e in expected["201"])

    conn = make_logs(tmp_path, "app.jsonl")
    conn.ctx.batch = True
    got = {t.id: dump((await conn.collect(ask(t))).evidence) for t in every}

    assert got == expected


async def test_a_batch_maps_each_file_once_and_a_grown_file_afresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tickets of a batch read one mapping of the file (not one each); an investigation
    that sees the file grown maps the new version, which replaces the old one, and still gets
    the evidence of its own scan."""
    monkeypatch.setattr(logscan, "PROBE_BYTES", 4096)
    json_log(tmp_path / "app.jsonl")
    every = tickets()
    conn = make_logs(tmp_path, "app.jsonl")
    conn.ctx.batch = True
    for t in every[:4]:
        await conn.collect(ask(t))
    maps = [v for k, v in conn.ctx.memo.items() if k[0] == "mapped"]
    assert len(maps) == 1
    first = maps[0][1]

    with (tmp_path / "app.jsonl").open("a") as handle:
        handle.write('{"ts": "2026-11-24T09:00:00Z", "level": "info", "msg": "later"}\n')
    expected = await alone(tmp_path, "app.jsonl", every[5])
    later = LogFile("logs", conn.config, conn.ctx)  # the next investigation of the batch
    assert dump((await later.collect(ask(every[5]))).evidence) == expected
    maps = [v for k, v in conn.ctx.memo.items() if k[0] == "mapped"]
    assert len(maps) == 1 and maps[0][1] is not first
    assert len(maps[0][1]) == (tmp_path / "app.jsonl").stat().st_size


async def test_a_full_index_hands_over_to_block_reading_with_the_same_evidence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logscan, "PROBE_BYTES", 4096)
    json_log(tmp_path / "app.jsonl")
    every = tickets()
    expected = {t.id: await alone(tmp_path, "app.jsonl", t) for t in every}

    monkeypatch.setattr(logscan, "MAX_KEPT_LINES", 150)  # full after the first ticket or two
    conn = make_logs(tmp_path, "app.jsonl")
    conn.ctx.batch = True
    got = {t.id: dump((await conn.collect(ask(t))).evidence) for t in every}

    assert got == expected
    assert not index_of(conn).parsing


# --- the pieces: candidates are a property of the line -----------------------------------

LINE = st.one_of(
    st.sampled_from([b"", b"plain info", b"an ERROR here", b'{"level":50}', b'{"level": 40,',
                     b'x":', b"50,", b"E1128 klog", b"acc_7 seen", b"ACC_7 and warn"]),
    st.binary(max_size=12).map(lambda b: b.replace(b"\n", b" ")),
    st.integers(20, 60).map(lambda n: b"y" * n + b" fatal"),
)  # fmt: skip


def candidates(finder: Finder, data: bytes, cuts: list[int]) -> list[tuple[int, bool]]:
    """(line number, named) of every candidate line, scanning `data` in pieces that begin at
    the line starts `cuts`."""
    out = []
    edges = [0, *cuts, len(data)]
    for a, b in itertools.pairwise(edges):
        out += [(data.count(b"\n", 0, a + s), named) for s, _, named in finder.lines(data[a:b], a)]
    return out


@settings(max_examples=200, deadline=None)
@given(st.lists(LINE, max_size=25), st.data())
def test_candidate_lines_do_not_depend_on_where_blocks_begin(lines: list[bytes], data: Any) -> None:
    text = b"\n".join(lines) + b"\n"
    starts = [i + 1 for i, c in enumerate(text[:-1]) if c == 10]
    cuts = sorted(set(data.draw(st.lists(st.sampled_from(starts), max_size=4)))) if starts else []
    whole = Finder([b"acc_7"], limit=24)
    pieces = Finder([b"acc_7"], limit=24)
    shared = Finder([b"acc_7"], limit=24, shared=LevelIndex(24))

    expected = candidates(whole, text, [])
    assert candidates(pieces, text, cuts) == expected
    assert candidates(shared, text, cuts) == expected
    assert candidates(shared, text, []) == expected  # served from the index this time
    # a block that holds only the first `limit` bytes of a long line (as `blocks` cuts it)
    capped = b"\n".join(line[:24] for line in lines) + b"\n"
    assert candidates(Finder([b"acc_7"], limit=24), capped, []) == expected


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(0, 70), max_size=12),
    st.booleans(),
    st.integers(-1, 400),
    st.sampled_from([3, 8, 25, 100]),
)
def test_blocks_yield_the_lines_that_start_before_stop_whatever_the_block_size(
    lengths: list[int], newline_at_end: bool, stop: int, size: int
) -> None:
    data = b"\n".join(b"x" * n for n in lengths) + (b"\n" if newline_at_end else b"")
    limit = 20
    expected = []
    pos = 0
    while pos < len(data) and (stop < 0 or pos < stop):
        end = data.find(b"\n", pos)
        end = len(data) if end < 0 else end
        expected.append((pos, data[pos:end][:limit]))
        pos = end + 1
    got = []
    for offset, block in blocks(io.BytesIO(data), limit=limit, size=size, stop=stop):
        raw = bytes(block)
        for i, line in enumerate(raw.split(b"\n")):
            if i == raw.count(b"\n") and not line:
                break  # after the block's last newline
            got.append((offset + sum(len(x) + 1 for x in raw.split(b"\n")[:i]), line[:limit]))
    assert got == expected
