"""`log_file` reads the logs people have: per-file format detection (fixtures written from each
format's documentation), stack traces joined to their line, `format: regex`, `fields:`, clear
config errors, and `investigate check` naming each file's format."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_log_file import collect, find, make_logs

from investigate.config import load_config
from investigate.errors import ConfigError
from investigate_connectors.log_file import LogFile

FIXTURES = Path(__file__).parent.parent / "fixtures" / "logformats"
WRITTEN = 1795521600  # 2026-11-24T12:00Z: the day the fixtures' clock-only lines belong to


def copy(tmp_path: Path, *names: str) -> None:
    (tmp_path / "logs").mkdir(parents=True, exist_ok=True)
    for name in names:
        target = tmp_path / "logs" / name
        shutil.copy(FIXTURES / name, target)
        os.utime(target, (WRITTEN, WRITTEN))


@pytest.mark.parametrize(
    ("name", "service", "level"),
    [
        ("spring-boot.log", "exporter", "error"),
        ("python.log", "exporter", "error"),
        ("pino.jsonl", "checkout", "error"),
        ("klog.log", "", "error"),
        ("heroku.log", "router", "error"),
        ("serilog-console.log", "", "error"),
        ("docker.jsonl", "exporter", "error"),
        ("postgresql.log", "", "error"),
        ("syslog-5424.log", "exporter", "error"),
    ],
)
async def test_an_error_in_each_format_is_found_with_its_service_and_level(
    tmp_path: Path, name: str, service: str, level: str
) -> None:
    copy(tmp_path, name)
    conn = make_logs(tmp_path, "logs/*")

    evidence = (await collect(conn)).evidence

    hits = [e for e in evidence if e.level == level and "acc_1042" in e.matched]
    assert hits, [(e.title, e.level, e.matched) for e in evidence]
    assert hits[0].services == ([service] if service else [])
    assert hits[0].timestamp is not None and hits[0].timestamp.minute == 13


async def test_a_stack_trace_is_one_record_and_its_frames_match_entities(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "app.log"
    log.parent.mkdir(parents=True)
    log.write_text(
        "2026-11-24 09:20:00,001 - exporter - ERROR - export crashed\n"
        "Traceback (most recent call last):\n"
        '  File "/app/export.py", line 12, in run\n'
        "    fetch('acc_1042')\n"
        "KeyError: 'acc_1042'\n"
        "2026-11-24 09:21:00,001 - exporter - INFO - idle\n"
    )
    conn = make_logs(tmp_path, "logs/app.log")

    evidence = (await collect(conn)).evidence

    (item,) = evidence
    assert item.examples == ["export crashed"]  # the frames are not lines of their own
    assert item.matched == ["acc_1042"]  # found in the traceback
    assert item.fields["exception"] == "KeyError"
    assert "fetch('acc_1042')" in item.fields["stack_trace"]


async def test_files_of_different_formats_under_one_glob(tmp_path: Path) -> None:
    copy(tmp_path, "zap.jsonl", "nginx-error.log", "rails.log")
    conn = make_logs(tmp_path, "logs/*")

    evidence = (await collect(conn)).evidence

    find(evidence, "failed to fetch URL")
    find(evidence, "upstream timed out")
    find(evidence, "ActiveRecord::RecordNotFound")


async def test_regex_format_reads_a_custom_layout(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text(
        "2026-11-24T09:13:02Z|E|billing|charge failed for acc_1042\n"
        "2026-11-24T09:14:02Z|I|billing|charge ok for acc_9999\n"
    )
    regex = r"^(?P<time>[^|]+)\|(?P<level>\w)\|(?P<service>[^|]+)\|(?P<message>.*)$"
    conn = make_logs(tmp_path, "app.log", format="regex", regex=regex)

    (item,) = (await collect(conn)).evidence

    assert (item.level, item.services, item.examples) == (
        "error",
        ["billing"],
        ["charge failed for acc_1042"],
    )
    (check,) = await conn.check()
    assert "app.log: regex, 2 of 2 sampled records parsed" in check.detail


async def test_fields_mapping_names_the_keys_of_a_custom_json_log(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    log.write_text(
        '{"eventTime":"2026-11-24T09:13:02Z","sev":"ERROR","body":"ledger down for acc_1042",'
        '"component":"ledger"}\n'
    )
    fields = {"time": "eventTime", "level": "sev", "message": "body", "service": "component"}
    conn = make_logs(tmp_path, "events.jsonl", fields=fields)

    (item,) = (await collect(conn)).evidence

    assert (item.level, item.services, item.examples) == (
        "error",
        ["ledger"],
        ["ledger down for acc_1042"],
    )


@pytest.mark.parametrize("batch", [False, True])
async def test_numeric_levels_under_a_files_own_key_are_scanned_for(
    tmp_path: Path, batch: bool
) -> None:
    # The scanner parses only lines with an entity or a level marker; numbers count as markers
    # under level keys, the file's own (`fields:`) included, in a ticket's scan and a batch's
    # shared one alike. These errors name no entity of the ticket.
    rows = [
        ("09:10:00", 30, "served GET /health", 12),
        ("09:13:02", 50, "ledger write timed out", 45),
        ("09:14:40", 60, "ledger process crashed", 47),
        ("09:15:00", 30, "served GET /api/exports", 55),
    ]
    (tmp_path / "events.jsonl").write_text(
        "".join(
            json.dumps({"at": f"2026-11-24T{t}Z", "sev_num": n, "body": m, "latency": ms}) + "\n"
            for t, n, m, ms in rows
        )
    )
    conn = make_logs(
        tmp_path, "events.jsonl", fields={"time": "at", "level": "sev_num", "message": "body"}
    )
    conn.ctx.batch = batch

    evidence = (await collect(conn)).evidence

    found = {(e.level, e.examples[0]) for e in evidence}
    assert found == {
        ("error", "ledger write timed out"),
        ("critical", "ledger process crashed"),
    }, found


async def test_a_named_format_is_used_as_is(tmp_path: Path) -> None:
    copy(tmp_path, "klog.log")
    conn = make_logs(tmp_path, "logs/klog.log", format="klog")

    (check,) = await conn.check()

    assert "klog.log: klog, 3 of 3 sampled records parsed" in check.detail


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ({"format": "regex"}, "format: regex needs a `regex:`"),
        ({"format": "regex", "regex": "(?P<time>[0-9"}, "the regex does not compile"),
        ({"format": "regex", "regex": "(?P<message>.*)"}, "no (?P<time>...) group"),
        ({"format": "nginx"}, "unknown log format 'nginx'; use auto, regex or one of"),
        ({"regex": "(?P<time>\\S+) (?P<message>.*)"}, "`regex:` is used only with format: regex"),
        ({"fields": {"when": "eventTime"}}, "unknown roles ['when']"),
    ],
)
def test_bad_format_options_are_a_config_error_with_a_hint(
    tmp_path: Path, section: dict[str, Any], expected: str
) -> None:
    path = tmp_path / "investigate.yaml"
    path.write_text(
        yaml.safe_dump({"connectors": {"logs": {"type": "log_file", "paths": "*.log", **section}}})
    )
    loaded = load_config(path, env={})

    with pytest.raises(ConfigError) as raised:
        loaded.connector_config("logs", LogFile.config_model)

    assert expected in raised.value.message
    assert "connectors.logs" in raised.value.message  # where to fix it
    assert "\n" not in raised.value.message


async def test_check_names_each_files_format_and_how_much_it_read(tmp_path: Path) -> None:
    copy(tmp_path, "spring-boot.log", "postgresql.log", "gcp.jsonl")
    conn = make_logs(tmp_path, "logs/*")

    (check,) = await conn.check()

    assert check.ok
    lines = check.detail.splitlines()
    assert lines[0].startswith("3 files")
    assert "gcp.jsonl: gcp-json, 3 of 3 sampled records parsed" in lines
    assert (
        "postgresql.log: postgresql, 3 of 3 sampled records parsed (2 continuation lines joined)"
        in lines
    )
    assert (
        "spring-boot.log: spring-boot, 3 of 3 sampled records parsed (5 continuation lines joined)"
        in lines
    )


async def test_check_fails_for_a_file_it_cannot_place_in_time(tmp_path: Path) -> None:
    copy(tmp_path, "python-basic.log", "klog.log")
    conn = make_logs(tmp_path, "logs/*")

    (check,) = await conn.check()

    assert not check.ok
    assert (
        "python-basic.log: python, none of 2 sampled records has a time it can read; "
        "set format: (or regex:)"
    ) in check.detail


def test_investigate_check_prints_the_formats(cli, write_config, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    copy(tmp_path, "klog.log", "heroku.log")
    config = write_config({"connectors": {"logs": {"type": "log_file", "paths": "logs/*"}}})

    result = cli("check", "-c", str(config))

    assert result.code == 0, result.out
    assert "klog," in result.out and "heroku," in result.out
    assert "sampled" in result.out
