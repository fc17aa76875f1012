"""Log line formats: detect a file's format from its first lines, then parse its records.

    fmt = detect(first_lines, reference=file_mtime)   # a `LogFormat`, per file
    fmt.parse(b'I1107 12:34:56.789012 1 main.go:9] started')   # -> ParsedLine | None
    fmt.is_continuation(b'\\tat com.example.Run(Run.java:3)')  # joined to the record above
    fmt.time_of(line)                                          # epoch seconds, cheaply
    fmt.interesting(line)        # False: cannot be warning or worse (skip unless an entity matches)
    assess(first_lines, reference, keys)  # the format and how many sampled records it read

Formats (`NAMES`): JSON lines in their common dialects (ECS, GCP, zap, pino, bunyan, logstash,
Serilog compact, and Docker's json-file wrapper around any of these), logfmt, syslog RFC 3164 and
RFC 5424, nginx/Apache access and error logs, Python `logging`, Rails (Ruby `Logger`), Go's `log`,
klog, Heroku (logplex), PostgreSQL, Serilog's text layouts, .NET's console, Spring Boot, and the
generic "timestamp LEVEL [service] message" text. `regex_format(pattern)` (named groups) and
`JsonFormat(keys={...})` / `assess(..., keys=...)` (a file's own JSON or logfmt keys) cover the
rest. Levels are normalised from words, abbreviations (WRN, FTL, E/W/I/F) and
numbers (pino 10–60, syslog PRI); times become aware UTC datetimes (naive ones are read as UTC;
a year or a date missing from the line is inferred from `reference`, the file's mtime).

A record can span lines (stack traces, tracebacks, a .NET message under its header, PostgreSQL's
DETAIL/STATEMENT lines): `records()` joins continuation lines to the line that starts the record,
and `parse` keeps them in `fields["stack_trace"]` (and the exception it names in
`fields["exception"]`), the message being the first line's. A block scanner finds candidate
lines with the format's `markers` (`level_markers`: numbers only under a level key, the file's own
included) and its entity strings, widens each with `record_span`, and parses only those.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from functools import cached_property, lru_cache
from typing import Any

import orjson

from investigate.models import Level

# --- levels ---------------------------------------------------------------------------------

_LEVEL_WORDS: dict[str, Level] = {
    **dict.fromkeys(
        (
            "trace",
            "trc",
            "trce",
            "debug",
            "dbg",
            "dbug",
            "debu",
            "verbose",
            "vrb",
            "fine",
            "finer",
            "finest",
            "debug1",
            "debug2",
            "debug3",
            "debug4",
            "debug5",
            "d",
            "t",
            "v",
        ),
        "debug",
    ),
    **dict.fromkeys(
        (
            "info",
            "inf",
            "information",
            "informational",
            "notice",
            "ok",
            "log",
            "default",
            "config",
            "i",
            "n",
            "statement",
            "detail",
            "hint",
            "context",
        ),
        "info",
    ),
    **dict.fromkeys(("warn", "wrn", "warning", "w"), "warning"),
    **dict.fromkeys(("err", "erro", "error", "eror", "fail", "severe", "e"), "error"),
    **dict.fromkeys(
        (
            "fatal",
            "fata",
            "ftl",
            "crit",
            "critical",
            "alert",
            "emerg",
            "emergency",
            "panic",
            "pani",
            "dpanic",
            "f",
            "c",
            "a",
        ),
        "critical",
    ),
}
_SYSLOG_SEVERITY: tuple[Level, ...] = (
    "critical", "critical", "critical", "error", "warning", "info", "info", "debug",
)  # fmt: skip


def level_of(value: object, default: Level = "info") -> Level:
    """A level word, abbreviation, letter or number (pino/bunyan 10–60, log4j 10000–50000)."""
    if type(value) is str:  # the usual case first: the same as below, without the checks
        text = value.strip().lower()
        return level_of(int(text), default) if text.isdigit() else _LEVEL_WORDS.get(text, default)
    if value is None or isinstance(value, bool):
        return default
    if isinstance(value, int | float):
        number = int(value)
        if number >= 1000:  # log4j / logstash `level_value`: 10000 DEBUG … 50000 FATAL
            number = {1: 20, 2: 30, 3: 40, 4: 50}.get(number // 10000, 60 if number > 0 else 10)
        if number <= 20:
            return "debug"
        return "info" if number < 40 else "warning" if number < 50 else "error" if number < 60 else "critical"  # fmt: skip
    text = str(value).strip().lower()
    if text.isdigit():
        return level_of(int(text), default)
    return _LEVEL_WORDS.get(text, default)


def is_level_word(value: str) -> bool:
    return value.strip().lower() in _LEVEL_WORDS and len(value.strip()) > 1


_SNIFF = re.compile(
    r"^\s*[\[<(]?(TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|FATAL|CRITICAL|CRIT|PANIC)"
    r"[\]>)]?(?::|\s)",
    re.IGNORECASE,
)


def _sniff_level(message: str) -> Level:
    """A level written at the start of a message that has no level of its own (Go's `log`)."""
    match = _SNIFF.match(message)
    if match:
        return level_of(match.group(1))
    return "critical" if message.startswith("panic:") else "info"


# --- times ----------------------------------------------------------------------------------

_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}
_ZONES = {"UTC": 0, "GMT": 0, "Z": 0, "UT": 0, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5,
          "MST": -7, "MDT": -6, "PST": -8, "PDT": -7, "CET": 1, "CEST": 2, "BST": 1, "EET": 2,
          "EEST": 3, "IST": 5.5, "JST": 9, "AEST": 10, "AEDT": 11}  # fmt: skip
_OFFSET_TAIL = re.compile(r"\s*(?:([+-]\d\d):?(\d\d)|([A-Z]{1,5}))$")
_CLF = re.compile(r"(\d{1,2})/(\w{3})/(\d{4}):(\d\d):(\d\d):(\d\d)(?:\.(\d+))?\s*([+-]\d{4})?")
_SLASHED = re.compile(r"(\d{4})/(\d\d)/(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d+))?")
_CTIME = re.compile(r"(?:\w{3} )?(\w{3}) +(\d{1,2}) (\d\d):(\d\d):(\d\d)(?:\.(\d+))?(?: (\d{4}))?")
_CLOCK = re.compile(r"(\d\d):(\d\d):(\d\d)(?:[.,](\d+))?")


def to_utc(value: datetime) -> datetime | None:
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def _micro(digits: str | None) -> int:
    return int((digits or "0")[:6].ljust(6, "0"))


Clock = tuple[int, int, int, int]
"""Hours, minutes, seconds, microseconds."""


def _infer_year(month: int, day: int, clock: Clock, reference: datetime) -> datetime:
    """The latest date with this month and day that is not after the reference (+1 day)."""
    hh, mm, ss, us = clock
    for year in (reference.year, reference.year - 1):
        try:
            value = datetime(year, month, day, hh, mm, ss, us, tzinfo=UTC)
        except ValueError:
            continue
        if value <= reference + timedelta(days=1):
            return value
    return datetime(reference.year - 1, month, min(day, 28), hh, mm, ss, us, tzinfo=UTC)


def parse_time(text: str, reference: datetime | None = None) -> datetime | None:
    """ISO 8601 / RFC 3339 (with `,` or `.` fractions, a space before the zone, a zone name),
    epoch seconds/ms/µs/ns, CLF `10/Oct/2000:13:55:36 -0700`, `2016/09/27 13:05:22`, ctime
    `Fri Sep 09 10:42:29.902022 2011`, syslog `Oct 11 22:14:15` and `12:34:56` (both inferred
    from `reference`). Naive times are UTC; the result is an aware UTC datetime or None."""
    text = text.strip()
    if not text:
        return None
    if text[0].isdigit() and len(text) >= 10 and text[4] == "-":
        return _iso(text)
    if text.replace(".", "", 1).isdigit():
        return epoch(float(text))
    match = _CLF.fullmatch(text)
    if match:
        day, mon, year, hh, mm, ss, frac, off = match.groups()
        month = _MONTHS.get(mon.lower())
        clock = (int(hh), int(mm), int(ss), _micro(frac))
        zone = _offset(off) if off else UTC
        return _build(int(year), month, int(day), clock, zone) if month else None
    match = _SLASHED.fullmatch(text)
    if match:
        year, mo, day, hh, mm, ss, frac = match.groups()
        return _build(int(year), int(mo), int(day), (int(hh), int(mm), int(ss), _micro(frac)))
    match = _CTIME.fullmatch(text)
    if match:
        mon, day, hh, mm, ss, frac, year = match.groups()
        month = _MONTHS.get(mon.lower())
        clock = (int(hh), int(mm), int(ss), _micro(frac))
        if not month:
            return None
        if year:
            return _build(int(year), month, int(day), clock)
        return _infer_year(month, int(day), clock, reference or datetime.now(UTC))
    match = _CLOCK.fullmatch(text)
    if match:
        ref = reference or datetime.now(UTC)
        hh, mm, ss, frac = match.groups()
        value = _build(ref.year, ref.month, ref.day, (int(hh), int(mm), int(ss), _micro(frac)))
        if value and value > ref + timedelta(minutes=5):
            value -= timedelta(days=1)
        return value
    return None


def _offset(text: str) -> timezone:
    sign = -1 if text[0] == "-" else 1
    return timezone(sign * timedelta(hours=int(text[1:3]), minutes=int(text[-2:])))


def _build(year: int, month: int, day: int, clock: Clock, zone: timezone = UTC) -> datetime | None:
    hh, mm, ss, us = clock
    try:
        return datetime(year, month, day, hh, mm, ss, us, tzinfo=zone).astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def _iso(text: str) -> datetime | None:
    text = text.replace(",", ".", 1)
    try:
        return to_utc(datetime.fromisoformat(text))
    except ValueError:
        pass
    match = _OFFSET_TAIL.search(text)  # "2024-01-01 12:00:00.123 UTC", "... +0100"
    if not match or match.start() < 10:
        return None
    head = text[: match.start()]
    if match.group(3):
        hours = _ZONES.get(match.group(3))
        if hours is None:
            return None
        zone = timezone(timedelta(hours=hours))
    else:
        zone = _offset(match.group(1) + match.group(2))
    try:
        value = datetime.fromisoformat(head)
    except ValueError:
        return None
    return to_utc(value.replace(tzinfo=zone) if value.tzinfo is None else value)


def epoch(value: float) -> datetime | None:
    """Epoch seconds, milliseconds, microseconds or nanoseconds (told apart by magnitude)."""
    for scale in (1, 1e3, 1e6, 1e9):
        if abs(value) < 1e11 * scale:
            try:
                return datetime.fromtimestamp(value / scale, UTC)
            except (ValueError, OverflowError, OSError):
                return None
    return None


def _time_value(value: Any, reference: datetime | None) -> datetime | None:
    if isinstance(value, str):  # the usual case first
        return parse_time(value, reference)
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return epoch(float(value))
    if isinstance(value, Mapping) and "seconds" in value:  # GCP / protobuf Timestamp
        try:
            return epoch(float(value["seconds"]) + float(value.get("nanos", 0)) / 1e9)
        except (TypeError, ValueError):
            return None
    return None


# --- records --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedLine:
    """One log record, normalised."""

    time: datetime | None
    """Aware UTC; None when the format carries no time (a wrapper such as Docker's gives it)."""
    level: Level
    message: str
    service: str = ""
    fields: dict[str, Any] = field(default_factory=dict)


_EXCEPTION = re.compile(
    r"^(?:Caused by: )?([A-Za-z_][\w.$]*(?:Error|Exception|Exit|Interrupt|Fault|Panic)\w*)\b"
)
_STACK_CAP = 8_000


def _with_stack(line: ParsedLine, rest: str) -> ParsedLine:
    rest = rest.strip("\r\n")
    if not rest.strip():
        return line
    fields = dict(line.fields)
    fields["stack_trace"] = rest[:_STACK_CAP]
    names = [m.group(1) for ln in rest.splitlines() if (m := _EXCEPTION.match(ln.strip()))]
    if names:
        fields["exception"] = names[-1]  # Python's last line; Java's root "Caused by:"
    return replace(line, fields=fields)


_PRI_WARNING_OR_WORSE = "|".join(str(p) for p in range(192) if p % 8 <= 4)
LEVEL_KEYS = ("level", "log.level", "severity", "lvl", "@l", "loglevel", "levelname",
              "level_name", "status")  # fmt: skip
"""`status` counts only when it holds a level word (Datadog), never an HTTP status."""
NUMBER_KEYS = (*LEVEL_KEYS, "levelno")
"""The keys whose number a JSON or logfmt reader takes as a level (by their last segment; and
Python's `levelno`); a file's own level key (`JsonFormat(keys=...)`) is added to them."""
_LEVEL_NUMBER = rb'"?(?:[4-6]\d|[3-5]0000)(?:[",}\s\\]|$)'
"""40–69 (pino, bunyan, Python's levelno) or 30000–50000 (log4j), quoted or not."""


def level_markers(keys: Iterable[str] = (), *, any_number: bool = False) -> tuple[bytes, ...]:
    """The level markers of a format (see `LEVEL_MARKERS`) whose numeric levels sit under
    `NUMBER_KEYS` and `keys` (`level":50`, `level=50`, `\\"level\\":50` inside a Docker
    wrapper), or, with `any_number`, anywhere in the line (a user's regex with a `level` group).
    Anchoring numbers to their keys keeps the scan fast: `":` followed by a number is on every
    JSON line, so the unanchored pattern cost Hyperscan 5x the time of the rest."""
    if any_number:
        number = rb"(?:^|[^\w.])" + _LEVEL_NUMBER
    else:
        names = dict.fromkeys(k.rsplit(".", 1)[-1].lower() for k in (*NUMBER_KEYS, *keys))
        alternation = b"|".join(re.escape(n).encode() for n in names if n)
        number = rb"(?:" + alternation + rb')\\?"?[ \t]*[:=][ \t]*' + _LEVEL_NUMBER
    return (
        rb"warn|wrn|err|eror|fail|fatal|ftl|crit|panic|alert|emerg|severe",
        number + rb'|" [45]\d\d ',
        rb"^(?:<(?:" + _PRI_WARNING_OR_WORSE.encode() + rb")>|[ewf]\d{4} |[ewfa], \[)",
    )


LEVEL_MARKERS: tuple[bytes, ...] = level_markers()
"""Byte patterns, matched case-insensitively with `^` at a line's start, that every warning-or-
worse record of every format here contains (with the format's own level key: each format's
`markers`): level words and abbreviations (.NET `fail`, Serilog `WRN`/`FTL`, zap `dpanic`);
numbers 40–69 (pino, bunyan, Python's levelno) and 30000–50000 (log4j) under a level key; an
HTTP 4xx/5xx in an access line; a syslog PRI of severity warning or worse; klog's and Ruby's
level letters. A line with none of them is never warning or worse; a superset only costs a
parse (`tests/test_logformats.py` holds this over every fixture and generated records)."""


def merged_markers(groups: Iterable[tuple[bytes, ...]]) -> tuple[bytes, ...]:
    """Markers matching what any of `groups` matches (an `AutoFormat`'s readers)."""
    parts = list(zip(*groups, strict=True))
    return tuple(b"|".join(dict.fromkeys(p)) for p in parts)


@lru_cache(maxsize=64)
def _marker_res(markers: tuple[bytes, ...]) -> tuple[re.Pattern[bytes], ...]:
    words, numbers, heads = markers
    return re.compile(words), re.compile(numbers, re.M), re.compile(heads)


def _interesting(line: bytes, markers: tuple[bytes, ...]) -> bool:
    words, numbers, heads = _marker_res(markers)
    low = line.lower()
    return bool(words.search(low) or numbers.search(low) or heads.match(low))


class LogFormat:
    """A way to read a file's lines. Subclasses implement `_parse_one` and may override the
    cheap checks `starts_record` and `time_of`."""

    name = "text"
    markers = LEVEL_MARKERS
    """What every warning-or-worse record of this format contains (see `level_markers`)."""
    multiline = True
    """Whether a record can span lines (False: every line is a record, `records` is a no-op)."""

    def parse(self, line: bytes) -> ParsedLine | None:
        """One record: a line, or a line with its continuation lines joined by newlines."""
        head, _, rest = line.rstrip(b"\r\n").partition(b"\n")
        parsed = self._parse_one(head.rstrip(b"\r"))
        if parsed is None or not rest:
            return parsed
        return _with_stack(parsed, rest.decode("utf-8", "replace"))

    def _parse_one(self, line: bytes) -> ParsedLine | None:
        raise NotImplementedError  # pragma: no cover (every format defines it)

    def starts_record(self, line: bytes) -> bool:
        return self._parse_one(line.rstrip(b"\r\n")) is not None

    def interesting(self, line: bytes) -> bool:
        """Cheap and conservative: False only when the record cannot be a warning or worse in
        this format (none of its `markers`; a scanner parses only entity matches and these)."""
        return _interesting(line, self.markers)

    def is_continuation(self, line: bytes) -> bool:
        """A line that belongs to the record before it (a stack frame, a traceback line)."""
        stripped = line.rstrip(b"\r\n")
        if not stripped.strip():
            return False
        return not self.starts_record(stripped)

    def time_of(self, line: bytes) -> float | None:
        """The record's time as epoch seconds, or None."""
        parsed = self._parse_one(line.partition(b"\n")[0].rstrip(b"\r"))
        return parsed.time.timestamp() if parsed and parsed.time else None

    def __repr__(self) -> str:
        return f"<LogFormat {self.name}>"


def records(lines: Iterable[bytes], fmt: LogFormat, max_bytes: int = 65_536) -> Iterator[bytes]:
    """Lines grouped into records: continuation lines joined to the line before them (capped at
    `max_bytes` and 200 lines a record; the excess is dropped)."""
    if not fmt.multiline:
        yield from lines
        return
    current: list[bytes] = []
    size = 0
    for line in lines:
        if current and fmt.is_continuation(line):
            if size < max_bytes and len(current) < 200:
                current.append(line.rstrip(b"\r\n"))
                size += len(line)
            continue
        if current:
            yield b"\n".join(current) + b"\n"
        current, size = [line.rstrip(b"\r\n")], len(line)
    if current:
        yield b"\n".join(current) + b"\n"


def record_span(
    block: bytes | bytearray,
    start: int,
    end: int,
    fmt: LogFormat,
    max_lines: int = 200,
    size: int | None = None,
) -> tuple[int, int]:
    """For a block scanner: widen the line `block[start:end]` (no newline) to the whole record
    it belongs to within the block: back to the line that starts it, on over the continuation
    lines after it. Two candidate lines of one record give the same span (skip the repeat).
    `size`: where the block ends when `block` is a larger (reused) buffer."""
    if not fmt.multiline:
        return start, end
    for _ in range(max_lines):
        if start == 0 or not fmt.is_continuation(bytes(block[start:end])):
            break
        prev_start = block.rfind(b"\n", 0, start - 1) + 1
        if prev_start == start:
            break
        start, end = prev_start, start - 1
    size = len(block) if size is None else size
    for _ in range(max_lines):
        if end >= size:
            break
        nxt_end = block.find(b"\n", end + 1, size)
        nxt_end = size if nxt_end < 0 else nxt_end
        if not fmt.is_continuation(bytes(block[end + 1 : nxt_end])):
            break
        end = nxt_end
    return start, end


# --- JSON lines -----------------------------------------------------------------------------

# LEVEL_KEYS is with the level markers above (they take its numbers as levels).
TIME_KEYS = ("@timestamp", "timestamp", "ts", "time", "@t", "t", "date", "datetime", "asctime",
             "eventTime", "receiveTimestamp")  # fmt: skip
MESSAGE_KEYS = ("message", "msg", "@m", "textPayload", "jsonPayload.message", "log", "text",
                "event")  # fmt: skip
SERVICE_KEYS = ("service", "service.name", "service_name", "app", "application",
                "serviceContext.service", "logger", "logger_name", "SourceContext")  # fmt: skip
_NAME_MARKERS = ("hostname", "pid")  # pino and bunyan put the app in `name`
_MAPPABLE = ("time", "level", "message", "service")
_TEMPLATE_HOLE = re.compile(r"\{([@$]?)([A-Za-z_][\w]*)(?:[,:][^}]*)?\}")


def flatten(data: Mapping[str, Any], limit: int = 80, *, scalars: bool = False) -> dict[str, Any]:
    """Nested objects as dotted keys (`{"log": {"level": "x"}}` → `log.level`); lists, empty
    objects, timestamps (`{"seconds": …}`) and objects 4 deep kept as values. `scalars`: only
    strings, numbers and nulls kept, every object walked (4 deep at most)."""
    out: dict[str, Any] = {}

    def walk(prefix: str, node: Mapping[str, Any], depth: int) -> None:
        for key, value in node.items():
            if len(out) >= limit:
                return
            name = f"{prefix}{key}"
            if (
                type(value) is dict
                and depth < 4
                and (scalars or (value and "seconds" not in value))
            ):
                walk(name + ".", value, depth + 1)
            elif not scalars or value is None or isinstance(value, str | int | float):
                out[name] = value

    walk("", data, 0)
    return out


def loads(text: bytes | str) -> Any:
    """JSON by orjson (5× the stdlib on log lines, see benchmarks/log_parsers.py); raises
    ValueError on bad JSON and on invalid UTF-8."""
    return orjson.loads(text)


def _flavour(data: Mapping[str, Any]) -> str:
    keys = data.keys()
    if "@t" in keys and ("@mt" in keys or "@m" in keys):
        return "serilog-json"
    if "ecs.version" in keys or "log.level" in keys or "ecs" in keys:
        return "ecs-json"
    if (
        "logName" in keys
        or "logging.googleapis.com/trace" in keys
        or ("severity" in keys and ("textPayload" in keys or "jsonPayload" in keys))
    ):
        return "gcp-json"
    if isinstance(data.get("level"), int) and "hostname" in keys:
        return "bunyan-json" if "v" in keys else "pino-json"
    if isinstance(data.get("ts"), int | float) and ("caller" in keys or "msg" in keys):
        return "zap-json"
    if "@version" in keys or "level_value" in keys:
        return "logstash-json"
    if "severity" in keys and "message" in keys:
        return "gcp-json"
    return "json"


class JsonFormat(LogFormat):
    """JSON lines; keys found by the dialects' names, or by `keys` (time/level/message/service
    → the file's own key, dotted for nested objects)."""

    def __init__(
        self,
        name: str = "json",
        keys: Mapping[str, str] | None = None,
        reference: datetime | None = None,
    ) -> None:
        self.name = name
        self.keys = dict(keys or {})
        self.reference = reference
        if "level" in self.keys:
            self.markers = level_markers((self.keys["level"],))
        self._roles = {
            role: (self.keys[role],) if role in self.keys else default
            for role, default in (
                ("time", TIME_KEYS),
                ("level", LEVEL_KEYS),
                ("message", MESSAGE_KEYS),
                ("service", SERVICE_KEYS),
            )
        }
        key = self.keys.get("time")
        names = [key] if key else list(TIME_KEYS)
        alternatives = "|".join(re.escape(k.rsplit(".", 1)[-1]) for k in names)
        self._time_re = re.compile(
            rb'"(?:' + alternatives.encode() + rb')"\s*:\s*(?:"([^"]{1,64})"|(-?\d[\d.eE+]{0,30}))'
        )

    def _parse_one(self, line: bytes) -> ParsedLine | None:
        if line.lstrip()[:1] != b"{":
            return None
        try:
            data = loads(line)
        except ValueError:
            try:
                data = loads(line.decode("utf-8", "replace"))
            except ValueError:
                return self._salvage(line)
        if not isinstance(data, dict):
            return None
        return self.from_mapping(data)

    def _salvage(self, line: bytes) -> ParsedLine | None:
        """A cut or broken JSON line: its time and level by pattern, the text as the message."""
        when = self._quick_time(line)
        if when is None:
            return None
        match = _JSON_LEVEL.search(line)
        level = level_of(match.group(1).decode("ascii")) if match else "info"
        text = line.decode("utf-8", "replace").strip()
        return ParsedLine(epoch(when), level, text, "", {})

    def from_mapping(self, data: Mapping[str, Any]) -> ParsedLine | None:
        flat = flatten(data) if dict in map(type, data.values()) else data  # nested objects
        used: set[str] = set()
        roles = self._roles
        when = None
        for key in roles["time"]:
            raw = flat.get(key)
            if raw is not None and raw != "":
                when = _time_value(raw, self.reference)
                if when is not None:
                    used.add(key)
                    break
        raw_level = _pick(flat, roles["level"], used, _is_level)
        level = level_of(raw_level)
        if raw_level is None and type(flat.get("levelno")) is int:
            level = level_of(_python_levelno(flat["levelno"]))
        message = _pick(flat, roles["message"], used, _is_scalar)
        if message is None and "@mt" in flat:  # Serilog compact: render the template
            used.add("@mt")
            message = _render(str(flat["@mt"]), flat)
        service = _pick(flat, roles["service"], used, _is_text)
        if service is None and "service" not in self.keys:
            service = _implicit_service(flat, used)
        fields = {k: v for k, v in flat.items() if k not in used}
        text = str(message) if message is not None else ""
        parsed = ParsedLine(when, level, text, str(service or ""), fields)
        if "@x" in flat:  # Serilog's exception
            parsed = _with_stack(replace(parsed, fields=fields), str(flat["@x"]))
        return parsed

    def time_of(self, line: bytes) -> float | None:
        quick = self._quick_time(line)
        return quick if quick is not None else super().time_of(line)

    def _quick_time(self, line: bytes) -> float | None:
        match = self._time_re.search(line)
        if not match:
            return None
        text = match.group(1) or match.group(2)
        when = parse_time(text.decode("ascii", "replace"), self.reference)
        return when.timestamp() if when else None

    multiline = False

    def starts_record(self, line: bytes) -> bool:
        return line.lstrip()[:1] == b"{"

    def is_continuation(self, line: bytes) -> bool:
        return False


def _pick(
    flat: Mapping[str, Any], names: Sequence[str], used: set[str], accept: Callable[[Any], bool]
) -> Any:
    """The first of `names` with an acceptable value (its key marked as used)."""
    for key in names:
        value = flat.get(key)
        if value is not None and value != "" and accept(value):
            used.add(key)
            return value
    return None


def _is_scalar(value: Any) -> bool:
    return type(value) in (str, int, float)


def _is_text(value: Any) -> bool:
    return type(value) is str


_JSON_LEVEL = re.compile(rb'"(?:level|severity|lvl|log\.level|@l)"\s*:\s*"(\w{1,12})"')


def _is_level(value: Any) -> bool:
    if type(value) is str:  # the usual case first
        return is_level_word(value) or len(value.strip()) == 1
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return 0 < value <= 60 or 1000 <= value <= 60000
    return is_level_word(str(value)) or len(str(value).strip()) == 1


def _python_levelno(number: int) -> str:
    return {10: "debug", 20: "info", 30: "warning", 40: "error", 50: "critical"}.get(number, "info")


def _render(template: str, values: Mapping[str, Any]) -> str:
    def fill(match: re.Match[str]) -> str:
        value = values.get(match.group(2))
        return match.group(0) if value is None else str(value)

    return _TEMPLATE_HOLE.sub(fill, template)


def _implicit_service(flat: Mapping[str, Any], used: set[str]) -> str | None:
    name = flat.get("name")
    if isinstance(name, str) and any(k in flat for k in _NAME_MARKERS):
        used.add("name")
        return name
    log_name = flat.get("logName")
    if isinstance(log_name, str) and "/logs/" in log_name:  # GCP: projects/p/logs/<name>
        return log_name.rsplit("/logs/", 1)[1].replace("%2F", "/")
    return None


class DockerFormat(LogFormat):
    """Docker's json-file driver: `{"log": "...\\n", "stream": "stdout", "time": "..."}`; the
    inner line is read with `inner` (its own time wins; the wrapper's fills in)."""

    def __init__(self, inner: LogFormat) -> None:
        self.inner = inner
        self.name = f"docker-json({inner.name})"
        self.multiline = inner.multiline
        self.markers = inner.markers
        self._wrapper = JsonFormat("docker-json")

    def parse(self, line: bytes) -> ParsedLine | None:
        wrapped = [self._unwrap(part) for part in line.rstrip(b"\r\n").split(b"\n")]
        if not wrapped or wrapped[0] is None:
            return None
        outer_time, stream, first = wrapped[0]
        text = first.rstrip("\r\n")
        for item in wrapped[1:]:
            if item is not None:
                text += "\n" + item[2].rstrip("\r\n")
        inner = self.inner.parse(text.encode())
        if inner is None:
            inner = ParsedLine(None, "info", text.split("\n", 1)[0], "", {})
            inner = _with_stack(inner, text.partition("\n")[2])
        fields = {**inner.fields, "stream": stream}
        return replace(inner, time=inner.time or outer_time, fields=fields)

    def _parse_one(self, line: bytes) -> ParsedLine | None:
        return self.parse(line)

    def _unwrap(self, line: bytes) -> tuple[datetime | None, str, str] | None:
        try:
            data = loads(line)
        except ValueError:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("log"), str):
            return None
        return _time_value(data.get("time"), None), str(data.get("stream", "")), data["log"]

    def is_continuation(self, line: bytes) -> bool:
        match = _DOCKER_LOG_HEAD.search(line)
        if not match:
            return False
        try:
            head = loads(b'"' + match.group(1).rstrip(b"\\") + b'"')
        except ValueError:
            return False
        return bool(head.strip()) and self.inner.is_continuation(head.encode())

    def time_of(self, line: bytes) -> float | None:
        return self._wrapper.time_of(line)


_DOCKER_LOG_HEAD = re.compile(rb'"log"\s*:\s*"((?:[^"\\]|\\.){0,160})')


# --- text formats ---------------------------------------------------------------------------

Builder = Callable[[dict[str, str], "TextFormat"], ParsedLine | None]


class TextFormat(LogFormat):
    """A line format given by a regular expression over bytes with named groups `time`,
    `level`, `service`, `message`; `build` turns the groups into a record."""

    def __init__(
        self,
        name: str,
        pattern: bytes,
        build: Builder | None = None,
        reference: datetime | None = None,
        flags: int = 0,
    ) -> None:
        self.name = name
        self.pattern, self.flags = pattern, flags
        self.build = build or _standard
        self.reference = reference

    def at(self, reference: datetime | None) -> TextFormat:
        """The same format, inferring missing years and dates from `reference`."""
        copy = TextFormat(self.name, self.pattern, self.build, reference, self.flags)
        copy.markers = self.markers
        return copy

    @cached_property
    def regex(self) -> re.Pattern[bytes]:
        """Compiled on first use (start-up stays cheap; `re` caches across instances)."""
        return re.compile(self.pattern, self.flags)

    def groups(self, line: bytes) -> dict[str, str] | None:
        match = self.regex.match(line)
        if not match:
            return None
        return {
            k: v.decode("utf-8", "replace") for k, v in match.groupdict().items() if v is not None
        }

    def _parse_one(self, line: bytes) -> ParsedLine | None:
        groups = self.groups(line)
        return self.build(groups, self) if groups is not None else None

    def starts_record(self, line: bytes) -> bool:
        return self.regex.match(line) is not None

    def time_of(self, line: bytes) -> float | None:
        match = self.regex.match(line)
        if not match or "time" not in self.regex.groupindex or match.group("time") is None:
            return super().time_of(line) if match else None
        when = parse_time(match.group("time").decode("ascii", "replace"), self.reference)
        return when.timestamp() if when else None


_KV = re.compile(r'([A-Za-z_][\w.\-/]{0,60})=("[^"\\]*(?:\\.[^"\\]*)*"|[^\s"]*)')


def kv_fields(text: str) -> dict[str, str]:
    """`key=value` and `key="quoted value"` pairs (logfmt), values unquoted."""
    out: dict[str, str] = {}
    if "=" not in text:
        return out
    for key, value in _KV.findall(text):
        if value.startswith('"') and value.endswith('"') and len(value) >= 2:
            value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        out[key] = value
    return out


def _standard(groups: dict[str, str], fmt: TextFormat) -> ParsedLine | None:
    """time, level, service, message groups; other groups become fields; `key=value` pairs in
    the message become fields too."""
    when = parse_time(groups["time"], fmt.reference) if "time" in groups else None
    if "time" in groups and when is None:
        return None
    message = groups.get("message", "").strip()
    level = level_of(groups["level"]) if groups.get("level") else _sniff_level(message)
    roles = ("time", "level", "service", "message")
    fields: dict[str, Any] = {k: v for k, v in groups.items() if k not in roles}
    fields.update((k, v) for k, v in kv_fields(message).items() if k not in fields)
    return ParsedLine(when, level, message, groups.get("service", "").strip(), fields)


def _access(groups: dict[str, str], fmt: TextFormat) -> ParsedLine | None:
    when = parse_time(groups["time"], fmt.reference)
    if when is None:
        return None
    status = int(groups["status"])
    level: Level = "error" if status >= 500 else "warning" if status >= 400 else "info"
    request = groups.get("request", "")
    method, _, rest = request.partition(" ")
    path = rest.rsplit(" ", 1)[0] if " HTTP/" in rest else rest
    fields: dict[str, Any] = {
        "remote_addr": groups["remote"],
        "status": status,
        "method": method,
        "path": path,
        "bytes": int(groups["bytes"]) if groups["bytes"].isdigit() else 0,
    }
    for key in ("user", "referer", "user_agent"):
        if groups.get(key) not in (None, "-", ""):
            fields[key] = groups[key]
    return ParsedLine(when, level, f"{method} {path} {status}".strip(), "", fields)


_NGINX_CONTEXT = re.compile(r', (client|server|request|upstream|host|referrer): ("[^"]*"|[^,]*)')


def _nginx_error(groups: dict[str, str], fmt: TextFormat) -> ParsedLine | None:
    parsed = _standard(groups, fmt)
    if parsed is None:
        return None
    message = parsed.message
    context = {k: v.strip('"') for k, v in _NGINX_CONTEXT.findall(message)}
    cut = message.find(", client: ")
    if cut > 0:
        message = message[:cut]
    fields = {k: v for k, v in parsed.fields.items() if k in ("pid", "tid", "connection")}
    return replace(parsed, message=message, fields={**fields, **context})


def _syslog(groups: dict[str, str], fmt: TextFormat) -> ParsedLine | None:
    parsed = _standard(groups, fmt)
    if parsed is None:
        return None
    fields = dict(parsed.fields)
    level = parsed.level
    pri = fields.pop("pri", None)
    if pri is not None and pri.isdigit():
        level = _SYSLOG_SEVERITY[int(pri) & 7]
        fields["facility"] = int(pri) >> 3
    for key in ("sd", "procid", "msgid"):
        if fields.get(key) == "-":
            del fields[key]
    if "sd" in fields:
        fields.update(kv_fields(fields.pop("sd")))
    message = parsed.message.lstrip("\ufeff")
    return replace(parsed, level=level, message=message, fields=fields)


def _klog(groups: dict[str, str], fmt: TextFormat) -> ParsedLine | None:
    ref = fmt.reference or datetime.now(UTC)
    hh, mm, ss = (int(x) for x in groups["clock"][:8].split(":"))
    when = _infer_year(
        int(groups["month"]), int(groups["day"]), (hh, mm, ss, _micro(groups["clock"][9:])), ref
    )
    message = groups["message"]
    fields: dict[str, Any] = {"thread": groups["thread"], "source": groups["source"]}
    if message.startswith('"'):  # structured: "msg" key="value" ...
        end = _closing_quote(message)
        if end > 0:
            fields.update(kv_fields(message[end + 1 :]))
            message = message[1:end].replace('\\"', '"')
    return ParsedLine(when, level_of(groups["level"]), message, "", fields)


def _closing_quote(text: str) -> int:
    i = 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == '"':
            return i
        i += 1
    return -1


def _heroku(groups: dict[str, str], fmt: TextFormat) -> ParsedLine | None:
    when = parse_time(groups["time"], fmt.reference)
    if when is None:
        return None
    message = groups["message"].strip()
    fields: dict[str, Any] = {"source": groups["source"], "dyno": groups["dyno"]}
    pairs = kv_fields(message)
    fields.update(pairs)
    level = level_of(pairs["at"]) if "at" in pairs else _sniff_level(message)
    if groups["source"] == "heroku":
        service = groups["dyno"].split(".")[0]  # router, web, worker…
    else:
        service = groups["dyno"].split(".")[0]
    if pairs.get("code"):
        parts = [
            pairs["code"],
            pairs.get("desc", ""),
            pairs.get("method", ""),
            pairs.get("path", ""),
        ]
        message = " ".join(p for p in parts if p)
    if str(pairs.get("status", "")).isdigit():
        fields["status"] = int(pairs["status"])
    return ParsedLine(when, level, message, service, fields)


def _postgres(groups: dict[str, str], fmt: TextFormat) -> ParsedLine | None:
    parsed = _standard(groups, fmt)
    if parsed is None:
        return None
    fields = {k: v for k, v in parsed.fields.items() if k in ("pid", "user", "database")}
    fields["severity"] = groups["level"]
    return replace(parsed, fields=fields)


class PostgresFormat(TextFormat):
    """PostgreSQL's server log with the default `log_line_prefix = '%m [%p] '`; DETAIL, HINT,
    STATEMENT, CONTEXT, QUERY and LOCATION lines belong to the message before them."""

    _ATTACHED = re.compile(rb"^\S+ \S+(?: \S+)? \[\d+\][^:]*? (?:DETAIL|HINT|STATEMENT|CONTEXT|QUERY|LOCATION):")  # fmt: skip

    def __init__(self, reference: datetime | None = None) -> None:
        super().__init__("postgresql", _PG, _postgres, reference)

    def at(self, reference: datetime | None) -> TextFormat:
        return PostgresFormat(reference)

    def is_continuation(self, line: bytes) -> bool:
        if self._ATTACHED.match(line):
            return True
        return super().is_continuation(line)


class DotnetFormat(TextFormat):
    """`Microsoft.Extensions.Logging`'s console: `fail: Category[EventId]` and the message on
    the indented lines below it (an optional timestamp before the level)."""

    def __init__(self, reference: datetime | None = None) -> None:
        super().__init__("dotnet-console", _DOTNET, _dotnet, reference)

    def at(self, reference: datetime | None) -> TextFormat:
        return DotnetFormat(reference)

    def parse(self, line: bytes) -> ParsedLine | None:
        head, _, rest = line.rstrip(b"\r\n").partition(b"\n")
        parsed = self._parse_one(head.rstrip(b"\r"))
        if parsed is None:
            return None
        body = rest.decode("utf-8", "replace").split("\n")
        if not parsed.message and body and body[0].strip():
            parsed = replace(parsed, message=body.pop(0).strip())
        return _with_stack(parsed, "\n".join(body))


def _dotnet(groups: dict[str, str], fmt: TextFormat) -> ParsedLine | None:
    when = None
    if groups.get("time"):
        when = parse_time(groups["time"].strip("[] "), fmt.reference)
        if when is None:
            return None
    fields = {"event_id": int(groups["event"]), "category": groups["service"]}
    return ParsedLine(when, level_of(groups["level"]), groups.get("message", "").strip(), groups["service"], fields)  # fmt: skip


def _spring(groups: dict[str, str], fmt: TextFormat) -> ParsedLine | None:
    parsed = _standard(groups, fmt)
    if parsed is None:
        return None
    brackets = re.findall(r"\[\s*([^\]]*?)\s*\]", groups.get("brackets", ""))
    fields: dict[str, Any] = {"pid": groups["pid"], "logger": groups["logger"]}
    service = ""
    if brackets:
        fields["thread"] = brackets[-1]
        if len(brackets) >= 2:
            service = brackets[0]
    return replace(parsed, service=service, fields=fields)


def _logfmt(groups: dict[str, str], fmt: TextFormat) -> ParsedLine | None:
    pairs = kv_fields(groups["all"])
    if len(pairs) < 2 or not isinstance(fmt, LogfmtFormat):
        return None
    return fmt.reader.from_mapping(pairs)


class LogfmtFormat(TextFormat):
    def __init__(
        self, keys: Mapping[str, str] | None = None, reference: datetime | None = None
    ) -> None:
        self.keys = dict(keys or {})
        self.reader = JsonFormat("logfmt", keys, reference)
        self.markers = self.reader.markers
        super().__init__("logfmt", rb"^(?P<all>[A-Za-z_][\w.\-/]*=\S.*)$", _logfmt, reference)

    def at(self, reference: datetime | None) -> TextFormat:
        return LogfmtFormat(self.keys, reference)

    def time_of(self, line: bytes) -> float | None:
        return LogFormat.time_of(self, line)


def _serilog_text(groups: dict[str, str], fmt: TextFormat) -> ParsedLine | None:
    """The file sink's full timestamp, or the console's clock (the date from the file)."""
    when = groups.pop("time", None) or groups.pop("clock", "")
    groups.pop("clock", None)
    return _standard({**groups, "time": when}, fmt)


def _python(groups: dict[str, str], fmt: TextFormat) -> ParsedLine | None:
    """`asctime - name - LEVEL - message`, or `basicConfig`'s `LEVEL:name:message`."""
    basic = {"level": groups.pop("blevel", ""), "service": groups.pop("bservice", "")}
    return _standard({**basic, **groups}, fmt)


_ISO = rb"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?"
_PG = (
    rb"^(?P<time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?(?: [A-Z]{2,5}| ?[+-]\d\d(?::?\d\d)?)?)"
    rb" \[(?P<pid>\d+)\](?:-\d+)?:? (?:(?P<user>[\w.\-\[\]]+)@(?P<database>[\w.\-\[\]]+) )?"
    rb"(?P<level>DEBUG[1-5]?|INFO|NOTICE|WARNING|ERROR|LOG|FATAL|PANIC|DETAIL|HINT|QUERY|"
    rb"CONTEXT|LOCATION|STATEMENT):\s+(?P<message>.*)"
)
_DOTNET = (
    rb"^(?P<time>\[?[\d:/ .T+\-]{8,40}\]? )?(?P<level>trce|dbug|info|warn|fail|crit): "
    rb"(?P<service>[^\s\[]+)\[(?P<event>\d+)\]\s*(?P<message>.*)"
)

FORMATS: tuple[TextFormat, ...] = (
    TextFormat(
        "syslog-5424",
        rb"^<(?P<pri>\d{1,3})>1 (?P<time>\S+) (?P<host>\S+) (?P<service>\S+) (?P<procid>\S+) "
        rb"(?P<msgid>\S+) (?P<sd>-|(?:\[(?:[^\]\\]|\\.)*\])+)(?: (?P<message>.*))?",
        _syslog,
    ),
    TextFormat(
        "heroku",
        rb"^(?P<time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) "
        rb"(?P<source>[a-z][\w-]*)\[(?P<dyno>[\w.\-]+)\]: (?P<message>.*)",
        _heroku,
    ),
    TextFormat(
        "syslog-3164",
        rb"^(?:<(?P<pri>\d{1,3})>)?(?P<time>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d|"
        rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) (?P<host>[\w.\-:]+) "
        rb"(?P<service>[^\s:\[]+)(?:\[(?P<procid>\d+)\])?: (?P<message>.*)",
        _syslog,
    ),
    TextFormat(
        "access",
        rb'^(?P<remote>\S+) \S+ (?P<user>\S+) \[(?P<time>[^\]]+)\] "(?P<request>[^"]*)" '
        rb'(?P<status>\d{3}) (?P<bytes>\d+|-)(?: "(?P<referer>[^"]*)" "(?P<user_agent>[^"]*)")?',
        _access,
    ),
    TextFormat(
        "nginx-error",
        rb"^(?P<time>\d{4}/\d\d/\d\d \d\d:\d\d:\d\d) \[(?P<level>[a-z]+)\] (?P<pid>\d+)#"
        rb"(?P<tid>\d+): (?:\*(?P<connection>\d+) )?(?P<message>.*)",
        _nginx_error,
    ),
    TextFormat(
        "apache-error",
        rb"^\[(?P<time>\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)? \d{4})\] "
        rb"\[(?:(?P<module>[^:\]\s]*):)?(?P<level>[a-z]+\d?)\] (?:\[pid (?P<pid>\d+)[^\]]*\] )?"
        rb"(?:\[client (?P<client>[^\]]+)\] )?(?P<message>.*)",
    ),
    TextFormat(
        "klog",
        rb"^(?P<level>[IWEF])(?P<month>\d\d)(?P<day>\d\d) (?P<clock>\d\d:\d\d:\d\d\.\d{6})\s+"
        rb"(?P<thread>\d+) (?P<source>[^:\]\s]+:\d+)\] (?P<message>.*)",
        _klog,
    ),
    TextFormat(
        "rails",
        rb"^[DIWEFAU], \[(?P<time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?) #(?P<pid>\d+)\]\s+"
        rb"(?P<level>[A-Z]+) -- (?P<service>[^:]*): (?P<message>.*)",
    ),
    TextFormat(
        "go-log",
        rb"^(?P<time>\d{4}/\d\d/\d\d \d\d:\d\d:\d\d(?:\.\d{1,9})?) "
        rb"(?:(?P<file>[\w./\-]+\.go:\d+): )?(?P<message>.*)",
    ),
    PostgresFormat(),
    TextFormat(
        "spring-boot",
        rb"^(?P<time>" + _ISO + rb")\s+(?P<level>TRACE|DEBUG|INFO|WARN|ERROR|FATAL)\s+"
        rb"(?P<pid>\d+) --- (?P<brackets>(?:\[[^\]]*\]\s*)+)(?P<logger>\S+)\s*: (?P<message>.*)",
        _spring,
    ),
    TextFormat(
        "serilog-text",
        rb"^(?:(?P<time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? [+-]\d\d:\d\d) \[|\[(?P<clock>"
        rb"\d\d:\d\d:\d\d) )(?P<level>VRB|DBG|INF|WRN|ERR|FTL)\] (?P<message>.*)",
        _serilog_text,
    ),
    DotnetFormat(),
    TextFormat(
        "python",
        rb"^(?:(?P<time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) - (?P<service>\S+) - "
        rb"(?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL) - |"
        rb"(?P<blevel>DEBUG|INFO|WARNING|ERROR|CRITICAL):(?P<bservice>[^:\s]*):)(?P<message>.*)",
        _python,
    ),
    LogfmtFormat(),
    TextFormat(
        "text",
        rb"^\s*(?P<time>" + _ISO + rb")\s+\[?(?P<level>[A-Za-z]{3,9})\]?:?\s+"
        rb"(?:\[(?P<service>[^\]]{1,60})\]\s+)?(?P<message>.*)",
    ),
)
"""Text formats in the order detection prefers them on a tie (the most specific first)."""

_BY_NAME = {f.name: f for f in FORMATS}
JSON_NAMES = ("json", "ecs-json", "gcp-json", "zap-json", "pino-json", "bunyan-json",
              "logstash-json", "serilog-json", "docker-json")  # fmt: skip
NAMES = ("auto", *JSON_NAMES, *_BY_NAME, "regex")
"""Every value of a `format:` option."""


# --- detection ------------------------------------------------------------------------------


class AutoFormat(LogFormat):
    """The detected format first, then the generic JSON and text readers for the odd line."""

    def __init__(self, primary: LogFormat, others: Sequence[LogFormat]) -> None:
        self.primary = primary
        self.others = [o for o in others if o.name != primary.name]
        self.name = primary.name
        self.multiline = primary.multiline
        self.markers = merged_markers([primary.markers, *(o.markers for o in self.others)])

    def parse(self, line: bytes) -> ParsedLine | None:
        parsed = self.primary.parse(line)
        if parsed is not None and parsed.time is not None:
            return parsed
        for other in self.others:
            fallback = other.parse(line)
            if fallback is not None and fallback.time is not None:
                return fallback
        return parsed

    def _parse_one(self, line: bytes) -> ParsedLine | None:
        return self.parse(line)

    def is_continuation(self, line: bytes) -> bool:
        if self.primary.starts_record(line):  # it knows its own attached lines (PostgreSQL)
            return self.primary.is_continuation(line)
        if not self.primary.is_continuation(line):
            return False
        return not any(o.starts_record(line) for o in self.others)

    def starts_record(self, line: bytes) -> bool:
        return self.primary.starts_record(line) or any(o.starts_record(line) for o in self.others)

    def time_of(self, line: bytes) -> float | None:
        value = self.primary.time_of(line)
        if value is not None:
            return value
        return next((t for o in self.others if (t := o.time_of(line)) is not None), None)


@dataclass(frozen=True)
class Detection:
    format: LogFormat
    sampled: int
    """Lines in the sample (blank lines not counted)."""
    records: int
    """Records after joining continuation lines."""
    parsed: int
    """Records that parsed with a time."""

    def describe(self) -> str:
        joined = self.sampled - self.records
        extra = f" ({joined} continuation lines joined)" if joined else ""
        return f"{self.format.name}, {self.parsed} of {self.records} sampled records parsed{extra}"


def detect(sample_lines: Sequence[bytes], reference: datetime | None = None) -> LogFormat:
    """The format that reads the most of these lines (ties go to the more specific one)."""
    return assess(sample_lines, reference).format


def assess(
    sample_lines: Sequence[bytes],
    reference: datetime | None = None,
    keys: Mapping[str, str] | None = None,
) -> Detection:
    """`detect`, with how many sampled lines the chosen format reads (`investigate check`);
    `keys` maps time/level/message/service to a JSON or logfmt file's own keys."""
    lines = [ln.rstrip(b"\r\n") for ln in sample_lines if ln.strip()]
    best: tuple[int, LogFormat] | None = None
    for candidate in _candidates(lines, reference, keys):
        score = sum(_score(candidate, ln) for ln in lines)
        if score and (best is None or score > best[0]):
            best = (score, candidate)
            if score == 2 * len(lines):  # every line read, with its time: none can do better,
                break  # and a tie goes to the earlier (more specific) candidate anyway
    chosen = best[1] if best else _BY_NAME["text"].at(reference)
    fallbacks = [JsonFormat("json", keys, reference), _BY_NAME["text"].at(reference)]
    fmt = AutoFormat(chosen, fallbacks)
    return measure(fmt, lines)


def measure(fmt: LogFormat, lines: Sequence[bytes]) -> Detection:
    """How many of these lines `fmt` reads (records joined first)."""
    lines = [ln for ln in lines if ln.strip()]
    grouped = list(records(lines, fmt))
    parsed = 0
    for record in grouped:
        item = fmt.parse(record)
        parsed += item is not None and item.time is not None
    return Detection(fmt, len(lines), len(grouped), parsed)


def _score(fmt: LogFormat, line: bytes) -> int:
    parsed = fmt.parse(line)
    if parsed is None:
        return 0
    return 2 if parsed.time is not None else 1


def _candidates(
    lines: Sequence[bytes], reference: datetime | None, keys: Mapping[str, str] | None
) -> Iterator[LogFormat]:
    """The formats to try, the more specific first (made as they are tried)."""
    objects = []
    for line in lines[:50]:
        if line.lstrip()[:1] == b"{":
            try:
                data = loads(line)
            except ValueError:
                continue
            if isinstance(data, dict):
                objects.append(data)
    if objects:
        if sum(isinstance(o.get("log"), str) and "stream" in o for o in objects) * 2 > len(objects):
            inner = [str(o["log"]).encode() for o in objects if isinstance(o.get("log"), str)]
            yield DockerFormat(assess(inner, reference, keys).format)
        flavours = [_flavour(o) for o in objects]
        top = max(set(flavours), key=lambda f: (flavours.count(f), f != "json"))
        yield JsonFormat(top, keys, reference)
    for f in FORMATS:
        yield LogfmtFormat(keys, reference) if f.name == "logfmt" else f.at(reference)


def by_name(
    name: str, keys: Mapping[str, str] | None = None, reference: datetime | None = None
) -> LogFormat:
    """A format named in a config (`NAMES`, not `auto` or `regex`)."""
    if name in JSON_NAMES and name != "docker-json":
        return JsonFormat(name, keys, reference)
    if name == "docker-json":
        return DockerFormat(JsonFormat("json", keys, reference))
    if name == "logfmt":
        return LogfmtFormat(keys, reference)
    return _BY_NAME[name].at(reference)


# --- user-defined ---------------------------------------------------------------------------


def check_regex(pattern: str) -> str | None:
    """Why `pattern` cannot be a `format: regex`, or None if it can."""
    try:
        compiled = re.compile(pattern.encode())  # lines are matched as bytes
    except re.error as exc:
        return f"the regex does not compile: {exc}"
    if "time" not in compiled.groupindex:
        return "the regex has no (?P<time>...) group; each record needs a time"
    if "message" not in compiled.groupindex:
        return "the regex has no (?P<message>...) group"
    return None


def regex_format(pattern: str, reference: datetime | None = None) -> TextFormat:
    """Named groups `time`, `level`, `service`, `message`; other groups become fields."""
    problem = check_regex(pattern)
    if problem:
        raise ValueError(problem)
    fmt = TextFormat("regex", pattern.encode(), None, reference)
    if "level" in fmt.regex.groupindex:  # a number there may be a level: look for any
        fmt.markers = level_markers(any_number=True)
    return fmt


def check_keys(keys: Mapping[str, str]) -> str | None:
    unknown = sorted(set(keys) - set(_MAPPABLE))
    if unknown:
        return f"unknown roles {unknown}; map any of {list(_MAPPABLE)} to your JSON keys"
    return None
