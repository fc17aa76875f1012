"""`records`: JSON, JSONL, CSV and YAML files of records, selected by entity match, window
(or span overlap) and text relevance; newest first, capped, titled, linked."""

from __future__ import annotations

import csv
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from investigate.config import load_config
from investigate.context import Context
from investigate.errors import SourceError
from investigate.evidence.entities import extract
from investigate.models import Person, Ticket, Window
from investigate.sdk.contract import Collected, Query
from investigate_connectors.records import Records

WINDOW = Window(
    start=datetime(2026, 11, 24, 9, 0, tzinfo=UTC), end=datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
)
TICKET = Ticket(
    id="4812",
    subject="CSV export fails",
    description="Every CSV export fails with ERR_EXPORT_SERIALIZE for account acc_1042.",
    requester=Person(email="dana@acme.io"),
    created_at=WINDOW.end,
)

DEPLOYS = [
    {
        "id": "d1",
        "service": "api",
        "version": "1.4.0",
        "deployed_at": "2026-11-24T08:00:00Z",
        "link": "https://ci.example.com/d1",
    },
    {
        "id": "d2",
        "service": "exporter",
        "version": "2.7.1",
        "deployed_at": "2026-11-24T09:30:00Z",
        "link": "https://ci.example.com/d2",
    },
    {
        "id": "d3",
        "service": "web",
        "version": "5.0.2",
        "deployed_at": "2026-11-24T11:00:00Z",
        "link": "https://ci.example.com/d3",
    },
]


def write_records(path: Path, records: list[dict[str, Any]], fmt: str) -> Path:
    if fmt == "json":
        path.write_text(json.dumps(records))
    elif fmt == "json_wrapped":
        path.write_text(json.dumps({"generated": "2026-11-24", "deploys": records}))
    elif fmt == "jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in records))
    elif fmt == "csv":
        with path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(records[0]))
            writer.writeheader()
            writer.writerows(records)
    elif fmt == "yaml":
        path.write_text(yaml.safe_dump(records))
    return path


def make_records(tmp_path: Path, filename: str, **options: Any) -> Records:
    section = {"type": "records", "path": filename, **options}
    config_path = tmp_path / "investigate.yaml"
    config_path.write_text(yaml.safe_dump({"connectors": {"recs": section}}))
    loaded = load_config(config_path, env={})
    ctx = Context(config=loaded)
    return Records("recs", loaded.connector_config("recs", Records.config_model), ctx)


def query(ticket: Ticket = TICKET, stage: str = "collect") -> Query:
    return Query(
        ticket,
        extract(ticket),
        WINDOW,
        stage=stage,  # type: ignore[arg-type]
        deadline=time.monotonic() + 30,
    )


async def collect(conn: Records, q: Query | None = None) -> Collected:
    return await conn.collect(q or query())


# --- formats -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "filename"),
    [
        ("json", "deploys.json"),
        ("json_wrapped", "deploys.json"),
        ("jsonl", "deploys.jsonl"),
        ("csv", "deploys.csv"),
        ("yaml", "deploys.yaml"),
    ],
)
async def test_every_file_format_is_read(tmp_path: Path, fmt: str, filename: str) -> None:
    write_records(tmp_path / filename, DEPLOYS, fmt)
    conn = make_records(
        tmp_path,
        filename,
        kind="deploy",
        select="all",
        time_field="deployed_at",
        title="Deploy {service} {version}",
    )

    result = await collect(conn)

    assert [e.title for e in result.evidence] == [
        "Deploy web 5.0.2",
        "Deploy exporter 2.7.1",
        "Deploy api 1.4.0",
    ]
    assert all(e.kind == "deploy" for e in result.evidence)
    assert result.evidence[1].timestamp == datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
    assert result.evidence[1].record["id"] == "d2"
    assert result.notes == []
    (check,) = await conn.check()
    assert check.ok
    assert "3 records" in check.detail


async def test_format_can_be_forced_for_an_unusual_extension(tmp_path: Path) -> None:
    write_records(tmp_path / "deploys.txt", DEPLOYS, "jsonl")
    conn = make_records(tmp_path, "deploys.txt", kind="deploy", select="all", format="jsonl")

    assert len((await collect(conn)).evidence) == 3


# --- selection ---------------------------------------------------------------------------

INVOICES = [
    {"id": "in_1", "account": "acc_1042", "status": "open", "created_at": "2026-11-20T00:00:00Z"},
    {"id": "in_2", "account": "acc_2001", "status": "paid", "created_at": "2026-11-21T00:00:00Z"},
    {
        "id": "in_3",
        "account": "acc_2002",
        "status": "paid",
        "notes": "moved from acc_1042",
        "created_at": "2026-11-22T00:00:00Z",
    },
    {"id": "in_4", "account": "ACC_1042", "status": "void", "created_at": "2026-11-23T00:00:00Z"},
]


async def test_select_matched_returns_records_that_mention_the_tickets_entities(
    tmp_path: Path,
) -> None:
    write_records(tmp_path / "invoices.json", INVOICES, "json")
    conn = make_records(tmp_path, "invoices.json", kind="invoice", select="matched")

    result = await collect(conn)

    assert [e.record["id"] for e in result.evidence] == ["in_4", "in_3", "in_1"]
    assert all(e.matched == ["acc_1042"] for e in result.evidence)
    assert all(e.attributes["selected_by"] == ["matched"] for e in result.evidence)


async def test_match_fields_limit_where_entities_are_looked_for(tmp_path: Path) -> None:
    write_records(tmp_path / "invoices.json", INVOICES, "json")
    conn = make_records(
        tmp_path, "invoices.json", kind="invoice", select="matched", match_fields=["account"]
    )

    result = await collect(conn)

    assert [e.record["id"] for e in result.evidence] == ["in_4", "in_1"]


async def test_select_window_returns_records_timed_inside_the_window(tmp_path: Path) -> None:
    write_records(tmp_path / "deploys.json", DEPLOYS, "json")
    conn = make_records(
        tmp_path, "deploys.json", kind="deploy", select="window", time_field="deployed_at"
    )

    result = await collect(conn)

    assert [e.record["id"] for e in result.evidence] == ["d2"]
    assert result.evidence[0].attributes["selected_by"] == ["window"]


ALERTS = [
    {"id": "a_before", "started_at": "2026-11-24T07:00:00Z", "ended_at": "2026-11-24T08:00:00Z"},
    {"id": "a_overlap", "started_at": "2026-11-24T08:30:00Z", "ended_at": "2026-11-24T09:15:00Z"},
    {"id": "a_inside", "started_at": "2026-11-24T09:20:00Z", "ended_at": "2026-11-24T09:40:00Z"},
    {"id": "a_ongoing", "started_at": "2026-11-24T06:00:00Z", "ended_at": None},
    {"id": "a_spanning", "started_at": "2026-11-24T08:00:00Z", "ended_at": "2026-11-24T12:00:00Z"},
    {"id": "a_after", "started_at": "2026-11-24T10:30:00Z", "ended_at": "2026-11-24T11:00:00Z"},
]


def spans(tmp_path: Path) -> Records:
    """ALERTS as records selected by the window, each a span from started_at to ended_at."""
    write_records(tmp_path / "alerts.json", ALERTS, "json")
    return make_records(
        tmp_path,
        "alerts.json",
        kind="alert",
        select="window",
        time_field="started_at",
        end_field="ended_at",
        title_field="id",
    )


async def test_select_window_with_end_field_uses_span_overlap(tmp_path: Path) -> None:
    result = await collect(spans(tmp_path))

    assert sorted(e.title for e in result.evidence) == [
        "a_inside",
        "a_ongoing",
        "a_overlap",
        "a_spanning",
    ]


async def test_the_end_field_lands_in_the_evidence_as_last_seen(tmp_path: Path) -> None:
    by_id = {e.record["id"]: e for e in (await collect(spans(tmp_path))).evidence}

    assert by_id["a_overlap"].timestamp == datetime(2026, 11, 24, 8, 30, tzinfo=UTC)
    assert by_id["a_overlap"].last_seen == datetime(2026, 11, 24, 9, 15, tzinfo=UTC)
    assert by_id["a_ongoing"].last_seen is None  # no end yet: still going


async def test_select_window_without_end_field_uses_the_start_only(tmp_path: Path) -> None:
    write_records(tmp_path / "alerts.json", ALERTS, "json")
    conn = make_records(
        tmp_path, "alerts.json", kind="alert", select="window", time_field="started_at"
    )

    result = await collect(conn)

    assert [e.record["id"] for e in result.evidence] == ["a_inside"]


BUGS = [
    {
        "key": "BUG-12",
        "title": "CSV export fails with ERR_EXPORT_SERIALIZE",
        "body": "Large workspaces cannot export CSV; the serializer throws.",
        "link": "https://bugs.example.com/BUG-12",
        "opened": "2026-11-01T00:00:00Z",
    },
    {
        "key": "BUG-13",
        "title": "Dark mode for dashboards",
        "body": "Feature request: a dark theme.",
        "link": "https://bugs.example.com/BUG-13",
        "opened": "2026-11-02T00:00:00Z",
    },
    {
        "key": "BUG-14",
        "title": "Export button misaligned on Safari",
        "body": "Cosmetic.",
        "link": "https://bugs.example.com/BUG-14",
        "opened": "2026-11-03T00:00:00Z",
    },
]


async def test_select_text_uses_bm25_relevance_above_the_minimum(tmp_path: Path) -> None:
    write_records(tmp_path / "bugs.yaml", BUGS, "yaml")
    conn = make_records(
        tmp_path,
        "bugs.yaml",
        kind="issue",
        select="text",
        text_fields=["title", "body"],
        min_text_score=2.0,
        time_field="opened",
        title_field="title",
        id_field="key",
        url_field="link",
    )

    result = await collect(conn)

    (bug,) = result.evidence
    assert bug.title == "BUG-12: CSV export fails with ERR_EXPORT_SERIALIZE"
    assert bug.url == "https://bugs.example.com/BUG-12"
    assert bug.kind == "issue"
    assert bug.attributes["selected_by"] == ["text"]
    assert bug.text_score >= 2.0


async def test_a_higher_min_text_score_drops_weak_matches(tmp_path: Path) -> None:
    write_records(tmp_path / "bugs.yaml", BUGS, "yaml")
    loose = make_records(
        tmp_path,
        "bugs.yaml",
        kind="issue",
        select="text",
        text_fields=["title"],
        min_text_score=0.1,
    )
    loose_ids = [e.record["key"] for e in (await collect(loose)).evidence]
    strict = make_records(
        tmp_path,
        "bugs.yaml",
        kind="issue",
        select="text",
        text_fields=["title"],
        min_text_score=1000,
    )

    assert sorted(loose_ids) == ["BUG-12", "BUG-14"]  # "Dark mode" shares no term
    assert (await collect(strict)).evidence == []


async def test_select_all_returns_everything_and_combined_modes_record_why(
    tmp_path: Path,
) -> None:
    records = [
        {"id": "r1", "at": "2026-11-24T09:10:00Z", "note": "for acc_1042"},
        {"id": "r2", "at": "2026-11-24T09:20:00Z", "note": "someone else"},
        {"id": "r3", "at": "2026-11-01T00:00:00Z", "note": "for acc_1042"},
        {"id": "r4", "at": "2026-11-02T00:00:00Z", "note": "unrelated"},
    ]
    write_records(tmp_path / "r.json", records, "json")
    everything = make_records(tmp_path, "r.json", kind="ticket", select="all", time_field="at")
    combined = make_records(
        tmp_path, "r.json", kind="ticket", select=["matched", "window"], time_field="at"
    )

    all_result = await collect(everything)
    combined_result = await collect(combined)

    assert [e.record["id"] for e in all_result.evidence] == ["r2", "r1", "r4", "r3"]
    why = {e.record["id"]: e.attributes["selected_by"] for e in combined_result.evidence}
    assert why == {"r1": ["matched", "window"], "r2": ["window"], "r3": ["matched"]}


async def test_newest_first_and_max_items_with_a_note(tmp_path: Path) -> None:
    records = [
        {"id": f"e{i}", "at": f"2026-11-24T09:{i:02d}:00Z", "account": "acc_1042"}
        for i in (5, 40, 12, 55, 1, 33)
    ]
    write_records(tmp_path / "events.jsonl", records, "jsonl")
    conn = make_records(
        tmp_path, "events.jsonl", kind="alert", select="matched", time_field="at", max_items=3
    )

    result = await collect(conn)

    assert [e.record["id"] for e in result.evidence] == ["e55", "e40", "e33"]
    assert result.notes == ["recs: 6 records matched; kept the newest 3"]


async def test_records_without_a_time_sort_last(tmp_path: Path) -> None:
    records = [
        {"id": "undated", "account": "acc_1042"},
        {"id": "dated", "created_at": "2026-11-20T00:00:00Z", "account": "acc_1042"},
    ]
    write_records(tmp_path / "r.json", records, "json")
    conn = make_records(tmp_path, "r.json", kind="ticket")

    result = await collect(conn)

    assert [e.record["id"] for e in result.evidence] == ["dated", "undated"]


async def test_title_template_and_url_template(tmp_path: Path) -> None:
    write_records(tmp_path / "deploys.csv", DEPLOYS, "csv")
    conn = make_records(
        tmp_path,
        "deploys.csv",
        kind="deploy",
        select="window",
        time_field="deployed_at",
        title="Deploy {service} {version} ({missing})",
        url_template="https://deploys.example.com/{id}",
    )

    (item,) = (await collect(conn)).evidence

    assert item.title == "Deploy exporter 2.7.1 ()"
    assert item.url == "https://deploys.example.com/d2"


async def test_url_field_links_to_the_records_own_url(tmp_path: Path) -> None:
    write_records(tmp_path / "deploys.json", DEPLOYS, "json")
    conn = make_records(
        tmp_path,
        "deploys.json",
        kind="deploy",
        select="window",
        time_field="deployed_at",
        url_field="link",
    )

    (item,) = (await collect(conn)).evidence

    assert item.url == "https://ci.example.com/d2"


# --- identity resolution -------------------------------------------------------------------


async def test_provides_runs_at_resolve_and_returns_entity_values(tmp_path: Path) -> None:
    customers = [
        {"email": "dana@acme.io", "account": "acc_1042", "customer": "cus_AcmeCorp01"},
        {"email": "hank@globex.com", "account": "acc_2001", "customer": "cus_Globex0001"},
    ]
    write_records(tmp_path / "customers.json", customers, "json")
    conn = make_records(
        tmp_path,
        "customers.json",
        kind="customer",
        provides={"account_id": "account", "customer_id": "customer"},
        match_fields=["email"],
    )
    q = query(
        Ticket(
            id="1", subject="help", requester=Person(email="dana@acme.io"), created_at=WINDOW.end
        )
    )
    assert conn.provides() == frozenset({"account_id", "customer_id"})

    first = await conn.collect(Query(q.ticket, q.entities, q.window, "resolve", q.deadline))
    second = await conn.collect(q)

    assert first.provides == {"account_id": ["acc_1042"], "customer_id": ["cus_AcmeCorp01"]}
    assert [e.record["account"] for e in first.evidence] == ["acc_1042"]
    assert second.evidence == []  # already returned; not repeated in the collect stage


async def test_without_provides_nothing_runs_at_resolve(tmp_path: Path) -> None:
    write_records(tmp_path / "invoices.json", INVOICES, "json")
    conn = make_records(tmp_path, "invoices.json", kind="invoice")

    first = await conn.collect(query(stage="resolve"))
    second = await conn.collect(query())

    assert first.evidence == []
    assert len(second.evidence) == 3


def test_providing_an_unknown_parameter_is_a_config_error(tmp_path: Path) -> None:
    from investigate.errors import ConfigError

    with pytest.raises(ConfigError, match="favourite_colour"):
        make_records(tmp_path, "x.json", kind="customer", provides={"favourite_colour": "c"})


# --- failures --------------------------------------------------------------------------------


async def test_malformed_json_is_a_source_error_with_a_one_line_reason(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text('[{"id": "x",\n  "oops"\n')
    conn = make_records(tmp_path, "bad.json", kind="deploy", select="all")

    with pytest.raises(SourceError) as caught:
        await collect(conn)

    assert "\n" not in caught.value.message
    assert "bad.json" in caught.value.message
    assert "not valid JSON" in caught.value.message
    (check,) = await conn.check()
    assert not check.ok


async def test_malformed_jsonl_is_a_source_error(tmp_path: Path) -> None:
    (tmp_path / "bad.jsonl").write_text('{"id": 1}\n{"id": \n')
    conn = make_records(tmp_path, "bad.jsonl", kind="deploy", select="all")

    with pytest.raises(SourceError, match=r"bad\.jsonl") as caught:
        await collect(conn)
    assert "\n" not in caught.value.message


async def test_a_file_without_a_list_is_a_source_error(tmp_path: Path) -> None:
    (tmp_path / "scalar.json").write_text('"just a string"')
    conn = make_records(tmp_path, "scalar.json", kind="deploy", select="all")

    with pytest.raises(SourceError, match="list of records"):
        await collect(conn)


async def test_a_missing_file_is_a_source_error(tmp_path: Path) -> None:
    conn = make_records(tmp_path, "nowhere.json", kind="deploy", select="all")

    with pytest.raises(SourceError, match=r"nowhere\.json"):
        await collect(conn)
    (check,) = await conn.check()
    assert not check.ok


def test_a_csv_with_a_utf8_bom_keeps_its_first_column(tmp_path: Path) -> None:
    from investigate_connectors.records import load_records

    path = tmp_path / "export.csv"
    path.write_bytes("\ufeffid,status\nin_1,open\n".encode())
    assert load_records(path) == [{"id": "in_1", "status": "open"}]
