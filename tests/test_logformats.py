"""`logformats`: every documented format (fixtures in tests/fixtures/logformats, each written from
the format's documentation) is detected and read with the right time, level, service and
message; continuation lines join their record; ambiguous samples; regex and key mappings."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from investigate.sdk import logformats
from investigate.sdk.logformats import ParsedLine, assess, detect, records

FIXTURES = Path(__file__).parent / "fixtures" / "logformats"
REFERENCE = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
"""The fixtures' files were "written" that day: years and dates missing from a line come from
the file's mtime."""


def at(second: int, minute: int = 13, micro: int = 0) -> datetime:
    return datetime(2026, 11, 24, 9, minute, second, micro, tzinfo=UTC)


@dataclass(frozen=True)
class Case:
    file: str
    format: str
    records: int
    index: int
    """Which record to check."""
    time: datetime
    level: str
    service: str
    message: str


CASES = [
    Case("ecs.jsonl", "ecs-json", 3, 1, at(2, micro=120000), "error", "billing-api",
         "export failed for acc_1042"),
    Case("gcp.jsonl", "gcp-json", 3, 1, at(2, micro=120000), "error", "exporter",
         "export failed for acc_1042"),
    Case("zap.jsonl", "zap-json", 3, 1, at(2, micro=120000), "error", "exporter",
         "failed to fetch URL"),
    Case("pino.jsonl", "pino-json", 3, 1, at(2, micro=636000), "error", "checkout",
         "payment declined for acc_1042"),
    Case("bunyan.jsonl", "bunyan-json", 2, 1, at(2, micro=120000), "warning", "myapp",
         "au revoir"),
    Case("logstash.jsonl", "logstash-json", 2, 1, at(2, micro=120000), "error",
         "com.example.ExportService", "Export failed for acc_1042"),
    Case("serilog.clef", "serilog-json", 3, 1, at(2, micro=120000), "error", "Exporter.Worker",
         "Export 17 failed for acc_1042"),
    Case("docker.jsonl", "docker-json(python)", 3, 1, at(2, micro=120000), "error", "exporter",
         "export failed for acc_1042"),
    Case("docker-dotnet.jsonl", "docker-json(dotnet-console)", 2, 1, at(2, micro=120000),
         "error", "Microsoft.AspNetCore.Server.Kestrel",
         'Connection id "0HMV8", Request id "0HMV8:00000001": An unhandled exception was '
         "thrown by the application."),
    Case("logfmt.log", "logfmt", 3, 1, at(2, micro=120000), "error", "dockerd", "HTTP Error"),
    Case("syslog-3164.log", "syslog-3164", 3, 0, at(2), "critical", "su",
         "'su root' failed for lonvick on /dev/pts/8"),
    Case("syslog-5424.log", "syslog-5424", 3, 1, at(2, micro=120000), "error", "exporter",
         "export failed for acc_1042"),
    Case("access.log", "access", 3, 1, at(2), "error", "",
         "POST /api/exports?account=acc_1042 502"),
    Case("nginx-error.log", "nginx-error", 3, 1, at(2), "error", "",
         "upstream timed out (110: Connection timed out) while reading response header from "
         "upstream"),
    Case("apache-error.log", "apache-error", 3, 0, at(2, micro=902022), "error", "",
         "File does not exist: /usr/local/apache2/htdocs/favicon.ico"),
    Case("python.log", "python", 3, 1, at(2, micro=618000), "error", "exporter",
         "export failed for acc_1042"),
    Case("rails.log", "rails", 3, 1, at(2, micro=120000), "error", "",
         "ActiveRecord::RecordNotFound (Couldn't find Account with 'id'=acc_1042):"),
    Case("go-log.log", "go-log", 3, 1, at(2), "error", "",
         "ERROR: export failed for acc_1042: ledger timeout"),
    Case("klog.log", "klog", 3, 1, at(2, micro=120931), "error", "", "Failed to sync pod"),
    Case("heroku.log", "heroku", 3, 1, at(2), "error", "router",
         "H12 Request timeout GET /exports/acc_1042"),
    Case("postgresql.log", "postgresql", 3, 1, at(2, micro=120000), "error", "",
         'relation "exports" does not exist at character 15'),
    Case("serilog-console.log", "serilog-text", 3, 1, at(2), "error", "",
         "Export 17 failed for acc_1042"),
    Case("serilog-file.log", "serilog-text", 2, 1, at(2, micro=120000), "critical", "",
         "Export worker crashed for acc_1042"),
    Case("dotnet-console.log", "dotnet-console", 3, 1, at(2), "error",
         "Microsoft.AspNetCore.Server.Kestrel",
         'Connection id "0HMV8", Request id "0HMV8:00000001": An unhandled exception was '
         "thrown by the application."),
    Case("spring-boot.log", "spring-boot", 3, 1, at(2, micro=120000), "error", "exporter",
         "Export failed for acc_1042"),
]  # fmt: skip


def read(name: str) -> tuple[list[bytes], list[ParsedLine | None], logformats.Detection]:
    lines = (FIXTURES / name).read_bytes().splitlines(keepends=True)
    found = assess(lines, REFERENCE)
    parsed = [found.format.parse(r) for r in records(lines, found.format)]
    return lines, parsed, found


@pytest.mark.parametrize("case", CASES, ids=[c.file for c in CASES])
def test_each_documented_format_is_detected_and_read(case: Case) -> None:
    lines, parsed, found = read(case.file)

    assert found.format.name == case.format
    assert found.records == case.records
    assert found.parsed == case.records, found.describe()  # every record has its time
    item = parsed[case.index]
    assert item is not None
    assert (item.time, item.level, item.service, item.message) == (
        case.time,
        case.level,
        case.service,
        case.message,
    )
    assert all(p is not None and p.time is not None and p.time.tzinfo is UTC for p in parsed)
    # Docker's cheap time is the wrapper's (when the daemon read the line): within a second.
    tolerance = 1.0 if case.format.startswith("docker") else 1e-6
    assert found.format.time_of(list(records(lines, found.format))[case.index]) == pytest.approx(
        case.time.timestamp(), abs=tolerance
    )


def test_every_fixture_file_is_covered_by_a_case() -> None:
    files = {p.name for p in FIXTURES.iterdir() if p.name != "README.md"}
    assert files - {c.file for c in CASES} == {"python-basic.log"}  # no time: its own test
    readme = (FIXTURES / "README.md").read_text()
    assert all(name in readme for name in files)


def test_python_basic_format_has_no_time_but_level_and_logger() -> None:
    _, parsed, found = read("python-basic.log")

    assert found.format.name == "python"
    assert found.parsed == 0  # nothing to place in a window: `check` says so
    assert [(p.level, p.service, p.message) for p in parsed if p] == [
        ("warning", "root", "Watch out!"),
        ("error", "exporter", "export failed for acc_1042"),
    ]


# --- levels, services and fields the formats carry ----------------------------------------


def test_levels_from_numbers_words_abbreviations_and_letters() -> None:
    _, pino, _ = read("pino.jsonl")
    assert [p.level for p in pino if p] == ["info", "error", "critical"]  # 30, 50, 60
    _, zap, _ = read("zap.jsonl")
    assert [p.level for p in zap if p] == ["info", "error", "critical"]  # dpanic
    _, serilog, _ = read("serilog.clef")
    assert [p.level for p in serilog if p] == ["info", "error", "warning"]  # no @l = Information
    _, klog, _ = read("klog.log")
    assert [p.level for p in klog if p] == ["info", "error", "warning"]  # I, E, W
    _, pg, _ = read("postgresql.log")
    assert [p.level for p in pg if p] == ["info", "error", "critical"]  # LOG, ERROR, FATAL
    _, dotnet, _ = read("dotnet-console.log")
    assert [p.level for p in dotnet if p] == ["info", "error", "critical"]  # info, fail, crit
    _, access, _ = read("access.log")
    assert [p.level for p in access if p] == ["info", "error", "warning"]  # 200, 502, 401
    _, syslog, _ = read("syslog-5424.log")
    assert [p.level for p in syslog if p] == ["info", "error", "info"]  # PRI 165, 11, 14
    for word, level in [("WRN", "warning"), ("FTL", "critical"), ("ERR", "error"),
                        ("Information", "info"), ("VRB", "debug"), ("fail", "error"),
                        ("E", "error"), ("40000", "error"), (20, "debug"), (None, "info")]:  # fmt: skip
        assert logformats.level_of(word) == level, word


def test_fields_keep_what_the_line_carries() -> None:
    _, access, _ = read("access.log")
    assert access[1] is not None
    assert access[1].fields["status"] == 502
    assert access[1].fields["method"] == "POST"
    _, heroku, _ = read("heroku.log")
    assert heroku[1] is not None
    assert heroku[1].fields["code"] == "H12"
    assert heroku[1].fields["status"] == 503
    _, klog, _ = read("klog.log")
    assert klog[1] is not None
    assert klog[1].fields["pod"] == "default/exporter-0"
    assert klog[1].fields["err"] == "export failed for acc_1042"
    _, nginx, _ = read("nginx-error.log")
    assert nginx[1] is not None
    assert nginx[1].fields["request"] == "GET /api/exports/acc_1042 HTTP/1.1"
    _, syslog, _ = read("syslog-5424.log")
    assert syslog[0] is not None
    assert syslog[0].fields["eventID"] == "1011"
    _, ecs, _ = read("ecs.jsonl")
    assert ecs[1] is not None
    assert ecs[1].fields["trace.id"] == "2869b25b5469590610fea49ac04af7da"
    assert "log.level" not in ecs[1].fields


def test_missing_year_and_date_are_inferred_from_the_reference() -> None:
    fmt = detect([b"E0102 00:00:01.000000 1 main.go:1] new year"], REFERENCE)
    parsed = fmt.parse(b"E0102 00:00:01.000000 1 main.go:1] new year")
    assert parsed is not None
    assert parsed.time == datetime(2026, 1, 2, 0, 0, 1, tzinfo=UTC)
    december = fmt.parse(b"E1231 23:59:59.000000 1 main.go:1] last year")
    assert december is not None
    assert december.time == datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC)  # not the future


def test_offsets_and_zone_names_become_utc() -> None:
    assert logformats.parse_time("24/Nov/2026:10:13:02 +0100") == at(2)
    assert logformats.parse_time("2026-11-24 10:13:02.120 +01:00") == at(2, micro=120000)
    assert logformats.parse_time("2026-11-24 04:13:02 EST") == at(2)
    assert logformats.parse_time("2026-11-24T01:13:02-08:00") == at(2)
    assert logformats.parse_time("1795511582120") == at(2, micro=120000)  # epoch ms
    assert logformats.parse_time("not a time") is None


# --- multi-line records -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "index", "exception", "in_trace"),
    [
        ("python.log", 1, "ZeroDivisionError", 'File "/app/export.py", line 12'),
        ("spring-boot.log", 1, "java.net.SocketTimeoutException", "ExportService.java:42"),
        ("serilog-console.log", 1, "System.InvalidOperationException", "Worker.cs:line 42"),
        ("dotnet-console.log", 1, "System.InvalidOperationException", "Exporter.cs:line 42"),
        ("docker.jsonl", 1, "ValueError", "rows = fetch(account)"),
        ("serilog.clef", 1, "System.InvalidOperationException", "Worker.cs:line 42"),
    ],
)
def test_stack_traces_join_the_record_they_follow(
    file: str, index: int, exception: str, in_trace: str
) -> None:
    _, parsed, _ = read(file)

    item = parsed[index]
    assert item is not None
    assert item.fields["exception"] == exception  # the root cause: Python's last, Java's Caused by
    assert in_trace in item.fields["stack_trace"]
    nxt = parsed[index + 1]
    assert nxt is not None
    assert nxt.time is not None and item.time is not None and nxt.time > item.time


def test_postgres_detail_and_statement_lines_belong_to_their_message() -> None:
    _, parsed, found = read("postgresql.log")

    assert found.sampled - found.records == 2
    assert parsed[1] is not None
    assert "SELECT * FROM exports WHERE account_id = 'acc_1042'" in parsed[1].fields["stack_trace"]
    assert parsed[2] is not None
    assert "pg_hba.conf line 99" in parsed[2].fields["stack_trace"]


def test_a_record_is_capped_in_lines_and_bytes() -> None:
    fmt = detect([b"2026-11-24 09:13:02,618 - app - ERROR - boom"])
    lines = [b"2026-11-24 09:13:02,618 - app - ERROR - boom\n"]
    lines += [b"  frame %d\n" % i for i in range(10_000)]
    lines += [b"2026-11-24 09:13:03,000 - app - INFO - next\n"]

    joined = list(records(lines, fmt, max_bytes=4096))

    assert len(joined) == 2
    assert len(joined[0]) < 4096 + 100
    assert joined[1].startswith(b"2026-11-24 09:13:03")


# --- detection ----------------------------------------------------------------------------


def test_a_mixed_file_takes_the_majority_format_and_still_reads_the_odd_line() -> None:
    lines = [
        b'{"level":"error","ts":1795511582.12,"logger":"exporter","msg":"one"}',
        b'{"level":"info","ts":1795511583.12,"logger":"exporter","msg":"two"}',
        b"2026-11-24T09:13:04Z ERROR [web] plain text line",
    ]

    fmt = detect(lines, REFERENCE)

    assert fmt.name == "zap-json"
    odd = fmt.parse(lines[2])
    assert odd is not None
    assert (odd.time, odd.level, odd.service) == (at(4), "error", "web")


def test_ambiguous_lines_go_to_the_more_specific_format() -> None:
    # nginx's error log also reads as Go's `log` (date, time, text); the [level] pid# wins.
    nginx = (FIXTURES / "nginx-error.log").read_bytes().splitlines()
    assert detect(nginx).name == "nginx-error"
    # Spring Boot lines also read as the generic "time LEVEL message".
    spring = (FIXTURES / "spring-boot.log").read_bytes().splitlines()
    assert detect(spring).name == "spring-boot"
    # Heroku lines look like ISO-stamped syslog without a host.
    heroku = (FIXTURES / "heroku.log").read_bytes().splitlines()
    assert detect(heroku).name == "heroku"


def test_unrecognised_text_falls_back_to_the_generic_reader() -> None:
    found = assess([b"hello world", b"no timestamps here"], REFERENCE)

    assert found.format.name == "text"
    assert found.parsed == 0


# --- user-defined formats -----------------------------------------------------------------


def test_regex_format_with_named_groups() -> None:
    fmt = logformats.regex_format(
        r"^(?P<time>\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2})\|(?P<level>\w+)\|(?P<service>[^|]+)"
        r"\|(?P<request_id>[^|]*)\|(?P<message>.*)$"
    )

    parsed = fmt.parse(b"11/24/2026 09:13:02|ERR|billing|req_8f2a|charge failed for acc_1042")

    # `11/24/2026` is not a layout the reader knows: the time group must say ISO or a known one
    assert parsed is None
    iso = logformats.regex_format(
        r"^(?P<time>\S+) \[(?P<level>\w+)\] (?P<service>[\w-]+) rid=(?P<request_id>\S+) "
        r"(?P<message>.*)$"
    )
    item = iso.parse(b"2026-11-24T09:13:02Z [ERR] billing rid=req_8f2a charge failed acc_1042")
    assert item is not None
    assert (item.time, item.level, item.service, item.message) == (
        at(2), "error", "billing", "charge failed acc_1042"
    )  # fmt: skip
    assert item.fields["request_id"] == "req_8f2a"


def test_regex_without_a_time_group_or_that_does_not_compile_is_refused() -> None:
    assert "does not compile" in (logformats.check_regex("(?P<time>[") or "")
    assert "(?P<time>...)" in (logformats.check_regex("(?P<message>.*)") or "")
    with pytest.raises(ValueError, match="does not compile"):
        logformats.regex_format("(unclosed")


def test_fields_mapping_reads_custom_json_keys() -> None:
    keys = {"time": "eventTime", "level": "sev", "message": "body", "service": "meta.component"}
    line = (
        b'{"eventTime":"2026-11-24T09:13:02Z","sev":"FATAL","body":"ledger down for acc_1042",'
        b'"meta":{"component":"ledger"},"ts":"1999-01-01T00:00:00Z","message":"decoy"}'
    )

    found = assess([line], REFERENCE, keys)

    item = found.format.parse(line)
    assert item is not None
    assert (item.time, item.level, item.service, item.message) == (
        at(2), "critical", "ledger", "ledger down for acc_1042"
    )  # fmt: skip
    assert item.fields["message"] == "decoy"  # a mapped file's other keys are plain fields
    assert found.format.time_of(line) == at(2).timestamp()
    assert logformats.check_keys({"when": "x"}) is not None


def test_epoch_and_zone_forms_of_time_of_agree_with_parse() -> None:
    for name in ("zap.jsonl", "pino.jsonl", "gcp.jsonl", "klog.log", "syslog-3164.log"):
        lines, parsed, found = read(name)
        for record, item in zip(records(lines, found.format), parsed, strict=True):
            assert item is not None and item.time is not None
            assert found.format.time_of(record) == pytest.approx(item.time.timestamp()), name


def test_time_zone_offset_record_is_converted() -> None:
    _, parsed, _ = read("syslog-5424.log")
    assert parsed[2] is not None
    assert parsed[2].time == datetime(2026, 11, 24, 9, 13, 9, tzinfo=timezone(timedelta(hours=1)))


def test_the_cheap_level_check_never_drops_a_warning_or_worse() -> None:
    # A scanner parses only records that match an entity or pass `interesting`: it must hold
    # for every warning-or-worse record of every format.
    checked = 0
    for path in sorted(FIXTURES.iterdir()):
        if path.name == "README.md":
            continue
        lines = path.read_bytes().splitlines(keepends=True)
        fmt = assess(lines, REFERENCE).format
        markers = re.compile(b"|".join(fmt.markers), re.IGNORECASE | re.MULTILINE)
        for record in records(lines, fmt):
            item = fmt.parse(record)
            if item is not None and item.level in ("warning", "error", "critical"):
                assert fmt.interesting(record), (path.name, record[:80])
                assert markers.search(record), (path.name, record[:80])
                checked += 1
    assert checked >= 40
    quiet = b'{"ts":"2026-11-24T08:45:49Z","level":"info","msg":"request 7 served","attempt":1}'
    markers = re.compile(b"|".join(logformats.LEVEL_MARKERS), re.IGNORECASE | re.MULTILINE)
    assert not logformats.detect([quiet]).interesting(quiet)
    assert not markers.search(quiet)
    notice = b"<13>Nov 24 09:14:20 web-1 exporter[990]: export finished"  # severity 5
    assert not logformats.detect([notice]).interesting(notice)


_NUMERIC_LEVELS = st.sampled_from([40, 45, 50, 55, 59, 60, 69, 30000, 40000, 50000])
_OTHER_FIELDS = st.dictionaries(
    st.sampled_from(["duration_ms", "attempt", "port", "pid", "msg_id", "user", "count"]),
    st.one_of(st.integers(-99, 99_999), st.text("abc 42:,", max_size=8)),
    max_size=3,
)


def _numeric_record(key: str, number: int, style: str, others: dict[str, object]) -> bytes:
    """A record whose level is `number` under `key`, written in `style`."""
    value: object = str(number) if style == "quoted" else number
    head, _, leaf = key.rpartition(".")
    body = {"time": "2026-11-24T09:13:02Z", "msg": "export 42 failed for acc_1042", **others}
    if style == "nested" and head:
        body[head] = {leaf: value}
    else:
        body[key] = value
    line = json.dumps(body, separators=(",", ":"))
    if style == "spaced":
        line = json.dumps(body, separators=(", ", " : "))
    if style == "logfmt":
        pairs = [f"{k}={v}" for k, v in body.items() if not isinstance(v, dict)]
        line = " ".join(f'{p.split("=", 1)[0]}="{p.split("=", 1)[1]}"' if " " in p else p
                        for p in pairs)  # fmt: skip
    if style == "docker":
        inner = json.dumps(body, separators=(",", ":")) + "\n"
        line = json.dumps({"log": inner, "stream": "stdout", "time": "2026-11-24T09:13:02Z"})
    return line.encode()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from([*logformats.LEVEL_KEYS, "levelno", "sev", "event.sev_num", "Level"]),
    _NUMERIC_LEVELS,
    st.sampled_from(["plain", "nested", "spaced", "quoted", "logfmt", "docker"]),
    _OTHER_FIELDS,
)
def test_a_numeric_level_under_any_level_key_is_a_candidate(
    key: str, number: int, style: str, others: dict[str, object]
) -> None:
    # Numbers are markers only under a level key (not after every `":`): every way a reader
    # here takes a number as a level must still be found, the file's own key (`fields:`) too.
    line = _numeric_record(key, number, style, others)
    custom = key not in (*logformats.LEVEL_KEYS, "levelno")
    keys = {"level": key} if custom else None
    fmt = assess([line], REFERENCE, keys).format
    item = fmt.parse(line)
    if item is None or item.level not in ("warning", "error", "critical"):
        return  # e.g. `status` with a number outside a level's range, or a key not read
    markers = re.compile(b"|".join(fmt.markers), re.IGNORECASE | re.MULTILINE)
    assert fmt.interesting(line), (fmt.name, line)
    assert markers.search(line), (fmt.name, line)


def test_numeric_levels_in_the_documented_shapes_are_read_and_found() -> None:
    # pino, Python's JSON logger, log4j's numbers, a Docker-wrapped pino line and
    # a file's own key: each read as warning or worse, and each a candidate for the scanner.
    cases = [
        (b'{"level":50,"time":1795860000000,"pid":7,"hostname":"h","msg":"boom"}', None),
        (b'{"asctime":"2026-11-24 09:13:02","levelno":40,"message":"boom"}', None),
        (b'{"@timestamp":"2026-11-24T09:13:02Z","level":40000,"message":"boom"}', None),
        (
            b'{"log":"{\\"level\\":60,\\"time\\":1795860000000,\\"msg\\":\\"boom\\"}\\n",'
            b'"stream":"stdout","time":"2026-11-24T09:13:02Z"}',
            None,
        ),
        (b'{"t":"2026-11-24T09:13:02Z","sev_num":55,"body":"boom"}', {"level": "sev_num"}),
    ]
    for line, keys in cases:
        fmt = assess([line], REFERENCE, keys).format
        item = fmt.parse(line)
        assert item is not None and item.level in ("warning", "error", "critical"), (line, item)
        assert fmt.interesting(line), line
    regex = logformats.regex_format(r"^(?P<time>\S+) (?P<level>\d+) (?P<message>.*)$")
    numeric = b"2026-11-24T09:13:02Z 50 disk full"
    assert regex.parse(numeric) is not None and regex.parse(numeric).level == "error"  # type: ignore[union-attr]
    assert regex.interesting(numeric)


def test_a_number_under_another_key_is_not_a_level_marker() -> None:
    # The reason markers are keyed: `"duration_ms":45,` is on many info lines.
    for line in (
        b'{"ts":"2026-11-24T08:45:49Z","level":"info","msg":"served","duration_ms":45,"n":50}',
        b"ts=2026-11-24T08:45:49Z level=info msg=served duration_ms=45",
    ):
        fmt = assess([line], REFERENCE).format
        assert not fmt.interesting(line), line


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300), st.sampled_from(sorted(p.name for p in FIXTURES.glob("*.*"))))
def test_no_line_makes_a_reader_raise(line: bytes, fixture: str) -> None:
    if fixture == "README.md":
        return
    fmt = detect((FIXTURES / fixture).read_bytes().splitlines(), REFERENCE)
    for candidate in (
        line,
        b"{" + line,
        b"<13>" + line,
        b"2026-11-24 09:13:02,1 - a - ERROR - " + line,
    ):
        parsed = fmt.parse(candidate)
        assert parsed is None or parsed.time is None or parsed.time.tzinfo is UTC
        fmt.is_continuation(candidate)
        fmt.time_of(candidate)
        fmt.interesting(candidate)


def test_record_span_widens_a_candidate_line_to_its_record_in_a_block() -> None:
    block = (FIXTURES / "spring-boot.log").read_bytes()
    fmt = detect(block.splitlines(), REFERENCE)

    def line_of(text: bytes) -> tuple[int, int]:
        start = block.index(text)
        return start, block.index(b"\n", start)

    error = line_of(b"2026-11-24T09:13:02.120Z ERROR")
    cause = line_of(b"Caused by: java.net.SocketTimeoutException")
    frames = line_of(b"\t... 12 common frames omitted")

    span = logformats.record_span(block, *cause, fmt)

    assert span == logformats.record_span(block, *error, fmt) == (error[0], frames[1])
    item = fmt.parse(block[span[0] : span[1]])
    assert item is not None
    assert (item.message, item.fields["exception"]) == (
        "Export failed for acc_1042",
        "java.net.SocketTimeoutException",
    )
    first = line_of(b"2026-11-24T09:12:41.608Z")
    assert logformats.record_span(block, *first, fmt) == first  # a one-line record
    json_block = (FIXTURES / "zap.jsonl").read_bytes()
    json_fmt = detect(json_block.splitlines())
    assert logformats.record_span(json_block, 0, json_block.index(b"\n"), json_fmt) == (
        0,
        json_block.index(b"\n"),
    )


def exhaustive_choice(lines: list[bytes]) -> logformats.LogFormat | None:
    """Detection by its definition: every candidate scored, the most lines read (a line with a
    time counts twice), ties to the earlier (more specific) candidate."""
    clean = [ln.rstrip(b"\r\n") for ln in lines if ln.strip()]
    best: tuple[int, logformats.LogFormat] | None = None
    for candidate in logformats._candidates(clean, REFERENCE, None):
        score = sum(logformats._score(candidate, ln) for ln in clean)
        if score and (best is None or score > best[0]):
            best = (score, candidate)
    return best[1] if best else None


@pytest.mark.parametrize(
    "name", sorted(p.name for p in FIXTURES.iterdir() if p.name != "README.md")
)
def test_detection_stops_early_only_where_no_candidate_could_do_better(name: str) -> None:
    """`assess` stops at the first candidate that reads every sampled line with its time; that
    is the format the full search picks, in every fixture and in every mix of two of them."""
    lines = (FIXTURES / name).read_bytes().splitlines(keepends=True)
    others = sorted(p for p in FIXTURES.iterdir() if p.name not in ("README.md", name))
    for sample in [
        lines,
        *(lines[:6] + p.read_bytes().splitlines(keepends=True)[:4] for p in others),
    ]:
        chosen = logformats.assess(sample, REFERENCE).format
        expected = exhaustive_choice(sample)
        assert isinstance(chosen, logformats.AutoFormat)
        assert chosen.primary.name == (expected.name if expected else "text")
        assert type(chosen.primary) is type(expected or chosen.primary)
