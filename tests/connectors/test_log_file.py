"""`log_file`: JSON lines and plain text, .gz, globs, the window, entity matches, novelty
against the baseline, pattern grouping, hostile input and bounded memory."""

from __future__ import annotations

import gzip
import json
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from investigate.config import load_config
from investigate.context import Context
from investigate.errors import SourceError
from investigate.evidence.entities import extract
from investigate.models import Evidence, Person, Ticket, Window
from investigate.sdk.contract import Collected, Query
from investigate_connectors.log_file import LogFile

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
END = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
WINDOW = Window(start=START, end=END)

TICKET = Ticket(
    id="4812",
    subject="CSV export fails with an error",
    description=(
        "Since this morning every CSV export fails for our account acc_1042. "
        "The request ID shown was req_8f2a9c1d."
    ),
    requester=Person(name="Dana", email="dana@acme.io"),
    created_at=END,
)


def at(minute: int, hour: int = 9, second: int = 0) -> datetime:
    return datetime(2026, 11, 24, hour, 0, tzinfo=UTC) + timedelta(minutes=minute, seconds=second)


def iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def jline(ts: datetime, level: str, msg: str, **fields: Any) -> str:
    return json.dumps({"ts": iso(ts), "level": level, "msg": msg, **fields})


def write_lines(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def make_logs(config_dir: Path, paths: list[str] | str, **extra: Any) -> LogFile:
    config_dir.mkdir(parents=True, exist_ok=True)
    config_path = config_dir / "investigate.yaml"
    section = {"type": "log_file", "paths": paths, **extra}
    config_path.write_text(yaml.safe_dump({"connectors": {"logs": section}}))
    loaded = load_config(config_path, env={})
    ctx = Context(config=loaded)
    return LogFile("logs", loaded.connector_config("logs", LogFile.config_model), ctx)


def query(ticket: Ticket = TICKET, *, deadline: float | None = None) -> Query:
    return Query(
        ticket,
        extract(ticket),
        WINDOW,
        stage="collect",
        deadline=time.monotonic() + 30 if deadline is None else deadline,
    )


async def collect(conn: LogFile, q: Query | None = None) -> Collected:
    return await conn.collect(q or query())


def find(evidence: list[Evidence], text: str) -> Evidence:
    hits = [e for e in evidence if any(text in example for example in e.examples)]
    assert len(hits) == 1, f"expected one item with {text!r}, got {[e.title for e in evidence]}"
    return hits[0]


def absent(evidence: list[Evidence], text: str) -> bool:
    return not any(text in ex for e in evidence for ex in e.examples) and not any(
        text in e.title for e in evidence
    )


# --- formats ---------------------------------------------------------------------------


async def test_json_lines_detect_timestamp_level_and_message_key_variants(tmp_path: Path) -> None:
    lines = [
        json.dumps({"ts": iso(at(1)), "level": "error", "msg": "alpha failed for acc_1042"}),
        json.dumps(
            {"timestamp": iso(at(2)), "severity": "WARN", "message": "bravo slow for acc_1042"}
        ),
        json.dumps({"time": iso(at(3)), "lvl": "info", "msg": "charlie done for acc_1042"}),
        json.dumps(
            {
                "@timestamp": iso(at(4)),
                "level": "ERROR",
                "message": "delta failed for acc_1042",
                "service": "exporter",
                "path": "/api/exports",
                "status": 500,
                "account_id": "acc_1042",
            }
        ),
    ]
    conn = make_logs(tmp_path, ["app.jsonl"])
    write_lines(tmp_path / "app.jsonl", lines)

    evidence = (await collect(conn)).evidence

    alpha = find(evidence, "alpha failed")
    assert alpha.examples == ["alpha failed for acc_1042"]  # the message, not the raw JSON
    assert alpha.level == "error"
    assert alpha.timestamp == at(1)
    bravo = find(evidence, "bravo slow")
    assert bravo.level == "warning"
    assert bravo.timestamp == at(2)
    charlie = find(evidence, "charlie done")
    assert charlie.level == "info"
    assert charlie.timestamp == at(3)
    delta = find(evidence, "delta failed")
    assert delta.level == "error"
    assert delta.timestamp == at(4)
    assert delta.services == ["exporter"]
    fields = delta.fields
    assert fields["path"] == "/api/exports"
    assert fields["status"] == 500
    assert fields["account_id"] == "acc_1042"
    assert not {"@timestamp", "level", "message"} & set(fields)
    assert delta.http_statuses == [500]
    for item in (alpha, bravo, charlie, delta):
        assert item.matched == ["acc_1042"]
        assert item.source == "logs"


async def test_plain_text_lines_with_service_fields_and_comma_millis(tmp_path: Path) -> None:
    lines = [
        "2026-11-24T09:13:02.123Z ERROR [web] export failed for acc_1042 status=500 path=/api/x",
        "2026-11-24 09:14:05,250 WARN slow query for dana@acme.io took 1532ms",
        "2026-11-24T09:15:00Z INFO [web] unrelated healthcheck ok",
    ]
    conn = make_logs(tmp_path, "web.log")
    write_lines(tmp_path / "web.log", lines)

    evidence = (await collect(conn)).evidence

    export = find(evidence, "export failed")
    assert export.level == "error"
    assert export.services == ["web"]
    assert export.timestamp == datetime(2026, 11, 24, 9, 13, 2, 123000, tzinfo=UTC)
    assert export.examples == ["export failed for acc_1042 status=500 path=/api/x"]
    assert export.fields["status"] == "500"
    assert export.fields["path"] == "/api/x"
    assert export.http_statuses == [500]
    slow = find(evidence, "slow query")
    assert slow.level == "warning"
    assert slow.timestamp == datetime(2026, 11, 24, 9, 14, 5, 250000, tzinfo=UTC)
    assert slow.matched == ["dana@acme.io"]
    assert absent(evidence, "healthcheck")


async def test_service_from_config_for_lines_without_one(tmp_path: Path) -> None:
    conn = make_logs(tmp_path, "worker.log", service="billing-worker")
    write_lines(tmp_path / "worker.log", ["2026-11-24T09:20:00Z ERROR charge retry for acc_1042"])

    (item,) = (await collect(conn)).evidence

    assert item.services == ["billing-worker"]


async def test_gzip_file_is_read(tmp_path: Path) -> None:
    lines = [
        jline(at(5), "info", "other tenant acc_9999 logged in"),
        jline(at(10), "info", "export requested by dana@acme.io", service="api"),
    ]
    conn = make_logs(tmp_path, "logs/*.log.gz")
    (tmp_path / "logs").mkdir()
    with gzip.open(tmp_path / "logs" / "api.log.gz", "wt", encoding="utf-8") as handle:
        handle.write("".join(line + "\n" for line in lines))

    evidence = (await collect(conn)).evidence

    item = find(evidence, "export requested")
    assert item.matched == ["dana@acme.io"]
    assert item.services == ["api"]
    assert absent(evidence, "other tenant")


async def test_truncated_gzip_keeps_the_lines_before_the_damage(tmp_path: Path) -> None:
    lines = [jline(at(1), "info", "first export step for acc_1042")]
    lines += [jline(at(2), "info", f"filler line {i} " + "x" * 200) for i in range(5000)]
    raw = gzip.compress("".join(line + "\n" for line in lines).encode())
    (tmp_path / "cut.log.gz").write_bytes(raw[: len(raw) // 2])
    conn = make_logs(tmp_path, "cut.log.gz")

    evidence = (await collect(conn)).evidence

    assert find(evidence, "first export step").matched == ["acc_1042"]


async def test_globs_resolve_against_the_config_folder_not_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conf = tmp_path / "conf"
    write_lines(conf / "logs" / "api.jsonl", [jline(at(1), "info", "api saw acc_1042")])
    write_lines(
        conf / "logs" / "old" / "web.log", ["2026-11-24T09:02:00Z INFO [web] web saw acc_1042"]
    )
    write_lines(conf / "logs" / "notes.txt", ["2026-11-24T09:03:00Z INFO notes saw acc_1042"])
    elsewhere = tmp_path / "elsewhere"
    write_lines(elsewhere / "logs" / "api.jsonl", [jline(at(4), "info", "decoy saw acc_1042")])
    monkeypatch.chdir(elsewhere)
    conn = make_logs(conf, ["logs/*.jsonl", "logs/**/*.log"])

    evidence = (await collect(conn)).evidence

    find(evidence, "api saw")
    find(evidence, "web saw")
    assert absent(evidence, "notes saw")
    assert absent(evidence, "decoy saw")
    assert {p.name for p in conn.files()} == {"api.jsonl", "web.log"}


# --- the window and entities ----------------------------------------------------------


async def test_lines_outside_the_window_are_excluded(tmp_path: Path) -> None:
    lines = [
        jline(at(-30), "error", "archived early job for acc_1042"),
        jline(at(0), "info", "opening bell for acc_1042"),
        jline(at(30), "info", "midway export for acc_1042"),
        jline(at(60), "info", "closing bell for acc_1042"),
        jline(at(61), "error", "late night job for acc_1042"),
        jline(at(0, hour=12), "error", "much later job for acc_1042"),
    ]
    conn = make_logs(tmp_path, "app.jsonl")
    write_lines(tmp_path / "app.jsonl", lines)

    evidence = (await collect(conn)).evidence

    find(evidence, "opening bell")  # the window's bounds are inclusive
    find(evidence, "midway export")
    find(evidence, "closing bell")
    assert absent(evidence, "archived early")
    assert absent(evidence, "late night")
    assert absent(evidence, "much later")


async def test_timezone_offsets_are_converted_to_utc(tmp_path: Path) -> None:
    lines = [
        # 10:30+02:00 is 08:30Z: before the window.
        json.dumps({"ts": "2026-11-24T10:30:00+02:00", "level": "info", "msg": "east acc_1042"}),
        # 04:30-05:00 is 09:30Z: inside it.
        json.dumps({"ts": "2026-11-24T04:30:00-05:00", "level": "info", "msg": "west acc_1042"}),
    ]
    conn = make_logs(tmp_path, "app.jsonl")
    write_lines(tmp_path / "app.jsonl", lines)

    evidence = (await collect(conn)).evidence

    assert find(evidence, "west").timestamp == at(30)
    assert absent(evidence, "east")


async def test_info_lines_that_mention_the_tickets_entities_are_returned(tmp_path: Path) -> None:
    lines = [
        jline(at(1), "info", "login ok for Dana@Acme.io"),
        jline(at(2), "info", "export queued for ACC_1042 rows 120"),
        jline(at(3), "debug", "trace for request req_8f2a9c1d started"),
        jline(at(4), "info", "export queued for acc_10420 rows 7"),  # a different account
        jline(at(5), "info", "export queued for someone else entirely"),
    ]
    conn = make_logs(tmp_path, "app.jsonl")
    write_lines(tmp_path / "app.jsonl", lines)

    evidence = (await collect(conn)).evidence

    assert find(evidence, "login ok").matched == ["dana@acme.io"]
    export = find(evidence, "ACC_1042")
    assert export.matched == ["acc_1042"]
    assert export.count == 1
    assert find(evidence, "trace for request").matched == ["req_8f2a9c1d"]
    assert absent(evidence, "acc_10420")
    assert absent(evidence, "someone else")
    assert all(e.novelty == "new" for e in evidence)


# --- novelty ----------------------------------------------------------------------------


async def test_an_error_new_in_the_window_is_returned_as_new(tmp_path: Path) -> None:
    baseline = [
        jline(at(m, hour=8), "error", "cache miss storm on node-3") for m in range(0, 60, 6)
    ]
    window = [jline(at(m), "error", "cache miss storm on node-3") for m in range(0, 60, 6)]
    window += [
        jline(at(m), "error", f"export serializer crashed: ERR_EXPORT_SERIALIZE job {m}")
        for m in (10, 20, 30)
    ]
    conn = make_logs(tmp_path, "app.jsonl")
    write_lines(tmp_path / "app.jsonl", baseline + window)

    evidence = (await collect(conn)).evidence

    (item,) = evidence
    assert item.novelty == "new"
    assert item.count == 3
    assert item.matched == []
    assert item.attributes["baseline_count"] == 0
    assert item.error_codes == ["ERR_EXPORT_SERIALIZE"]
    assert "never seen before the window" in item.detail


async def test_steady_errors_are_left_out_unless_they_mention_an_entity(tmp_path: Path) -> None:
    # The same two error templates at the same rate in the hour before and the hour of the
    # window; only the one that mentions the ticket's account comes back, marked steady.
    before = [
        jline(at(m, hour=8), "error", "db pool exhausted after 30s wait") for m in range(0, 60, 6)
    ]
    before += [
        jline(at(m, hour=8), "error", f"webhook timed out for acc_{2000 + m}")
        for m in range(0, 60, 6)
    ]
    during = [jline(at(m), "error", "db pool exhausted after 30s wait") for m in range(0, 60, 6)]
    during += [
        jline(at(m), "error", f"webhook timed out for acc_{3000 + m}") for m in range(0, 54, 6)
    ]
    during += [jline(at(57), "error", "webhook timed out for acc_1042")]
    conn = make_logs(tmp_path, "app.jsonl")
    write_lines(tmp_path / "app.jsonl", before + during)

    evidence = (await collect(conn)).evidence

    assert absent(evidence, "db pool exhausted")
    (item,) = evidence
    assert item.novelty == "steady"
    assert item.matched == ["acc_1042"]
    assert item.count == 10
    assert item.attributes["baseline_count"] == 10
    assert item.examples[0] == "webhook timed out for acc_1042"


async def test_an_error_at_three_times_the_baseline_rate_is_a_spike(tmp_path: Path) -> None:
    before = [jline(at(m, hour=8), "error", "upstream 502 from billing-api") for m in (10, 40)]
    during = [jline(at(m), "error", "upstream 502 from billing-api") for m in range(0, 60, 5)]
    conn = make_logs(tmp_path, "app.jsonl")
    write_lines(tmp_path / "app.jsonl", before + during)

    (item,) = (await collect(conn)).evidence

    assert item.novelty == "spike"
    assert item.count == 12
    assert item.attributes["baseline_count"] == 2


async def test_a_modest_increase_is_not_a_spike(tmp_path: Path) -> None:
    before = [
        jline(at(m, hour=8), "error", "upstream 502 from billing-api") for m in range(0, 60, 10)
    ]
    during = [jline(at(m), "error", "upstream 502 from billing-api") for m in range(0, 60, 5)]
    conn = make_logs(tmp_path, "app.jsonl")
    write_lines(tmp_path / "app.jsonl", before + during)

    assert (await collect(conn)).evidence == []


async def test_warnings_new_in_the_window_are_not_returned_without_an_entity(
    tmp_path: Path,
) -> None:
    conn = make_logs(tmp_path, "app.jsonl")
    write_lines(tmp_path / "app.jsonl", [jline(at(m), "warn", "disk 91% full") for m in (1, 2)])

    assert (await collect(conn)).evidence == []


# --- grouping ---------------------------------------------------------------------------


async def test_repeated_lines_collapse_into_one_pattern(tmp_path: Path) -> None:
    def line(minute: int, account: str, ms: int) -> str:
        return jline(
            at(minute),
            "error",
            f"export failed for {account}: ERR_EXPORT_SERIALIZE after {ms}ms",
            service="exporter",
            account_id=account,
        )

    # Two files whose lines interleave in time.
    write_lines(
        tmp_path / "a.jsonl",
        [line(5, "acc_2001", 310), line(20, "acc_2002", 420), line(40, "acc_2001", 530)],
    )
    write_lines(
        tmp_path / "b.jsonl",
        [
            line(3, "acc_2002", 120),
            line(12, "acc_2001", 230),
            line(33, "acc_1042", 640),
            line(51, "acc_2002", 750),
        ],
    )
    conn = make_logs(tmp_path, "*.jsonl")

    evidence = (await collect(conn)).evidence

    (item,) = evidence
    assert item.kind == "log_pattern"
    assert item.count == 7
    assert item.first_seen == at(3)
    assert item.last_seen == at(51)
    assert 1 <= len(item.examples) <= 3
    assert item.examples[0] == "export failed for acc_1042: ERR_EXPORT_SERIALIZE after 640ms"
    assert item.services == ["exporter"]
    assert item.accounts_affected == 3
    assert item.error_codes == ["ERR_EXPORT_SERIALIZE"]
    assert item.matched == ["acc_1042"]
    assert item.novelty == "new"
    assert "ERR_EXPORT_SERIALIZE" in item.title
    assert "7×" in item.detail


async def test_the_same_message_from_two_services_is_two_patterns(tmp_path: Path) -> None:
    lines = [
        f"2026-11-24T09:0{m}:00Z ERROR [{svc}] timeout calling ledger"
        for m, svc in ((1, "api"), (2, "api"), (3, "worker"))
    ]
    conn = make_logs(tmp_path, "app.log")
    write_lines(tmp_path / "app.log", lines)

    evidence = (await collect(conn)).evidence

    assert sorted((e.services[0], e.count) for e in evidence) == [("api", 2), ("worker", 1)]


# --- hostile input ----------------------------------------------------------------------


async def test_invalid_utf8_and_a_truncated_last_line_do_not_stop_the_scan(
    tmp_path: Path,
) -> None:
    data = b"".join(
        [
            jline(at(1), "info", "before the junk for acc_1042").encode() + b"\n",
            b"\xff\xfe\x00\x80 not text at all \xc3\x28\n",
            b'{"ts": "2026-11-24T09:02:00Z", "level": "info", "msg": "bad \xff byte acc_1042"}\n',
            b"2026-11-24T09:03:00Z INFO [web] caf\xe9 latin-1 line for acc_1042\n",
            jline(at(4), "info", "after the junk for acc_1042").encode() + b"\n",
            b'{"ts": "2026-11-24T09:05:00Z", "level": "error", "msg": "cut off for acc_1042',
        ]
    )
    (tmp_path / "app.log").write_bytes(data)
    conn = make_logs(tmp_path, "app.log")

    evidence = (await collect(conn)).evidence

    find(evidence, "before the junk")
    find(evidence, "after the junk")
    assert "\ufffd" in find(evidence, "byte acc_1042").examples[0]
    assert find(evidence, "latin-1 line").services == ["web"]
    truncated = find(evidence, "cut off for acc_1042")  # a broken line is read as text
    assert truncated.level == "error"
    assert truncated.timestamp == at(5)


async def test_a_one_megabyte_line_is_capped_and_the_next_lines_are_read(tmp_path: Path) -> None:
    limit = 65_536
    head = '{"ts": "2026-11-24T09:10:00Z", "level": "error", "msg": "huge payload for acc_1042 '
    head += "x" * (limit - len(head))
    # Text that would look like a log line if the rest of the long line were read as one.
    ghost = "2026-11-24T09:11:00Z ERROR ghost line for acc_1042 " + "y" * 1_000_000 + '"}'
    assert len(head.encode()) == limit
    data = "\n".join(
        [
            jline(at(9), "info", "before huge for acc_1042"),
            head + ghost,
            jline(at(12), "info", "after huge for acc_1042"),
        ]
    )
    (tmp_path / "app.jsonl").write_text(data + "\n")
    conn = make_logs(tmp_path, "app.jsonl")

    evidence = (await collect(conn)).evidence

    find(evidence, "before huge")
    find(evidence, "after huge")
    huge = find(evidence, "huge payload")
    assert len(huge.examples[0]) <= 500
    assert len(huge.title) <= 300
    assert absent(evidence, "ghost line")


async def test_lines_without_a_timestamp_are_skipped(tmp_path: Path) -> None:
    lines = [
        "ERROR export failed for acc_1042 with no timestamp",
        json.dumps({"level": "error", "msg": "json without a time for acc_1042"}),
        json.dumps({"ts": "yesterday-ish", "level": "error", "msg": "bad time for acc_1042"}),
        "    at com.example.Exporter.run(Exporter.java:42) acc_1042",
        jline(at(7), "error", "stamped export failure for acc_1042"),
    ]
    conn = make_logs(tmp_path, "app.log")
    write_lines(tmp_path / "app.log", lines)

    evidence = (await collect(conn)).evidence

    assert [e.examples[0] for e in evidence] == ["stamped export failure for acc_1042"]


async def test_out_of_range_timestamps_are_skipped_not_fatal(tmp_path: Path) -> None:
    # Converting these to UTC leaves the range of `datetime`; a corrupt line must not sink the
    # whole source.
    lines = [
        "0001-01-01T00:00:00+01:00 ERROR corrupt clock for acc_1042",
        json.dumps({"ts": "9999-12-31T23:59:59-05:00", "level": "error", "msg": "far acc_1042"}),
        jline(at(7), "error", "stamped export failure for acc_1042"),
    ]
    conn = make_logs(tmp_path, "app.log")
    write_lines(tmp_path / "app.log", lines)

    evidence = (await collect(conn)).evidence

    assert [e.examples[0] for e in evidence] == ["stamped export failure for acc_1042"]


# --- errors, deadlines, memory ---------------------------------------------------------


async def test_no_matching_file_is_a_source_error(tmp_path: Path) -> None:
    conn = make_logs(tmp_path, ["logs/*.jsonl"])

    with pytest.raises(SourceError, match=r"no log file matches logs/\*\.jsonl"):
        await collect(conn)
    (check,) = await conn.check()
    assert not check.ok


async def test_check_counts_the_files(tmp_path: Path) -> None:
    write_lines(tmp_path / "a.log", ["2026-11-24T09:00:00Z INFO a"])
    write_lines(tmp_path / "b.log", ["2026-11-24T09:00:00Z INFO b"])
    conn = make_logs(tmp_path, "*.log")

    (check,) = await conn.check()

    assert check.ok
    assert check.detail.startswith("2 files")


async def test_an_expired_deadline_returns_with_a_note(tmp_path: Path) -> None:
    write_lines(tmp_path / "app.jsonl", [jline(at(1), "error", "export failed for acc_1042")])
    conn = make_logs(tmp_path, "app.jsonl")

    result = await collect(conn, query(deadline=time.monotonic() - 1))

    assert any("scan stopped at the deadline" in note for note in result.notes)


async def test_a_50_mb_file_is_streamed_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    filler = "k" * 380
    block = "".join(
        jline(at(-30 + i % 90), "info", f"request {i} served", pad=filler) + "\n"
        for i in range(1000)
    )
    errors = "".join(
        jline(at(i % 60), "error", f"export failed for acc_{3000 + i % 7}") + "\n"
        for i in range(100)
    )
    with path.open("w") as handle:
        while handle.tell() < 50_000_000:
            handle.write(block)
            handle.write(errors)
        handle.write(jline(at(59), "info", "last line mentions acc_1042") + "\n")
    size = path.stat().st_size
    assert size >= 50_000_000
    conn = make_logs(tmp_path, "big.jsonl")
    q = query(deadline=time.monotonic() + 3600)

    tracemalloc.start()
    try:
        result = await collect(conn, q)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert peak < 20_000_000, f"peak {peak / 1e6:.1f} MB for a {size / 1e6:.0f} MB file"
    assert result.notes == []
    find(result.evidence, "last line mentions acc_1042")  # the scan reached the end
    failures = find(result.evidence, "export failed")
    assert failures.count > 10_000
    assert failures.accounts_affected == 7


async def test_account_field_names_the_tenant_key_for_accounts_affected(tmp_path: Path) -> None:
    """A log whose tenant key is not a usual name (`shop`) counts no accounts until the config
    names it; `account_field` then counts distinct shops, and only that key."""
    lines = [
        jline(at(m), "error", "checkout failed: ERR_TAX_LOOKUP", shop=shop, client_id=f"cli_{m}")
        for m, shop in [(3, "north"), (9, "south"), (14, "north"), (22, "east"), (40, "west")]
    ]
    write_lines(tmp_path / "shop.jsonl", lines)
    shop_ticket = TICKET.model_copy(update={"description": "Checkout fails: ERR_TAX_LOOKUP"})

    async def affected(**extra: Any) -> int | None:
        conn = make_logs(tmp_path / str(len(extra)), str(tmp_path / "shop.jsonl"), **extra)
        (item,) = (await collect(conn, query(shop_ticket))).evidence
        return item.accounts_affected

    assert await affected() == 5  # the default keys read `client_id`: one per line, wrongly
    assert await affected(account_field="shop") == 4
