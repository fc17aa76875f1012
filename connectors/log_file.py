"""`log_file`: JSON-lines or plain-text log files (optionally gzip'd), streamed.

    logs:
      type: log_file
      paths: ["logs/*.jsonl", "logs/web.log.gz"]   # globs, relative to the config file

      format: auto        # or a name from `investigate.sdk.logformats.NAMES`, or regex:
      # format: regex
      # regex: '^(?P<time>[^ ]+ [^ ]+) (?P<level>[A-Z]+) (?P<service>[^:]+): (?P<message>.*)'
      # fields: {time: eventTime, level: sev, message: body, service: component}  # JSON keys

A file is read in 4 MiB blocks; only the lines that contain an entity string or a level marker
(the format's `markers`, found in one pass over the block, `investigate_connectors._logscan`) are split
out, widened to their whole record and parsed; a line is capped at `max_line_bytes`, and memory
stays flat for a 1 GB file. `format: auto` detects each file's format from its first lines
(`investigate check` shows which, and how many sampled lines it read): JSON lines (ECS, GCP, zap,
pino, bunyan, logstash, Serilog, Docker json-file), logfmt, syslog, nginx/Apache, Python, Rails,
Go, klog, Heroku, PostgreSQL, Serilog text, .NET console, Spring Boot, or "timestamp LEVEL
[service] message". Continuation lines (stack traces, tracebacks) are joined to the record they
follow, across block boundaries too. Invalid UTF-8 is replaced, broken lines are read as text,
records without a timestamp are skipped; naive timestamps are UTC, a missing year or date is
inferred from the file's mtime.

Only records from `investigation.baseline` (default 3 days) before the window to its end count;
in a time-ordered file (nine sampled lines in order, give or take 10 minutes) that range is found
by binary search on byte offsets, any other file is read whole; a `.gz` whose first line is after
the window, or that was last written a day before the baseline, is skipped. In `investigate
batch`, each file is scanned for level markers once for all its tickets (`_logscan.LevelIndex`:
each ticket still finds its own entity strings, one Hyperscan pass over its range); in a
single-line format (JSON lines, logfmt…) the file is mapped and its warning-or-worse lines are
parsed once and shared (up to 100,000 per file), and parsed records are kept for the run (by
offset, up to 100,000 per file), so tickets after the first parse only what is new to them. Every
ticket gets exactly the evidence its own scan gives (`tests/connectors/test_log_shared_scan.py`).

Returned: lines in the window that mention the ticket's entities, and error-level patterns that
are new (or spiking) in the window compared with the same files before it, grouped into patterns.
"""

from __future__ import annotations

import bisect
import functools
import glob
import gzip
import itertools
import mmap
import operator
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from pydantic import Field, field_validator, model_validator

from investigate.sdk import SourceError, in_thread, logformats
from investigate.sdk.contract import Check, Collected, Connector, ConnectorConfig, Query
from investigate.sdk.fieldmap import AccountField
from investigate.sdk.patterns import LogLine, PatternGrouper, account_keys
from investigate.sdk.textmatch import EntityMatcher
from investigate_connectors._logscan import (
    BLOCK_BYTES,
    ORDER_SLACK,
    EntityIndex,
    Finder,
    LevelIndex,
    Records,
    accelerated,
    blocks,
    first_time,
    line_at,
    scan_entities,
    seek_range,
)

_INTERESTING = {"warning", "error", "critical"}
_CODE_KEYS = ("error_code", "error.code", "err_code", "code")
_SAMPLE_LINES = 50
_SAMPLE_BYTES = 256_000
GZ_MTIME_SLACK = timedelta(days=1)
MAX_PARSED_LINES = 100_000
"""Parsed records kept per file for the rest of a batch (a few hundred bytes each)."""
_NOTHING_KEPT: dict[int, LogLine | None] = {}
_NONE: frozenset[str] = frozenset()
_INDEX_LOCK = threading.Lock()
_READING = threading.local()
"""The format of the file this thread is reading (`_parse_line`, `_time_of`): a connector may
scan for several tickets at once, one thread each."""


def _finder(
    matcher: EntityMatcher, limit: int, markers: tuple[bytes, ...], shared: LevelIndex | None
) -> Finder:
    return Finder([v.encode() for v in matcher.values], limit=limit, shared=shared, markers=markers)


class LogFileConfig(ConnectorConfig, AccountField):
    paths: list[str] = Field(min_length=1, description="Globs; relative to the config file.")
    format: str = Field(
        "auto", description="auto (per file), regex, or a format name (logformats.NAMES)."
    )
    regex: str | None = Field(
        None, description="For format: regex; named groups time, level, service, message."
    )
    fields: dict[str, str] | None = Field(
        None, description="JSON/logfmt keys for time, level, message, service."
    )
    service: str | None = Field(None, description="Service name for lines that carry none.")
    max_line_bytes: int = Field(65_536, ge=256)
    max_patterns: int = Field(60, ge=1)
    url_template: str | None = Field(
        None, description="Deep link for a pattern; {service}, {start}, {end} are filled in."
    )

    @field_validator("paths", mode="before")
    @classmethod
    def _one_path(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("format")
    @classmethod
    def _known_format(cls, value: str) -> str:
        if value not in logformats.NAMES:
            names = ", ".join(n for n in logformats.NAMES if n not in ("auto", "regex"))
            raise ValueError(f"unknown log format {value!r}; use auto, regex or one of {names}")
        return value

    @field_validator("regex")
    @classmethod
    def _usable_regex(cls, value: str | None) -> str | None:
        problem = logformats.check_regex(value) if value is not None else None
        if problem:
            raise ValueError(
                f"{problem} (hint: Python `re` syntax; groups time, level, service, message, "
                "any other named group becomes a field)"
            )
        return value

    @field_validator("fields")
    @classmethod
    def _known_roles(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        problem = logformats.check_keys(value or {})
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _regex_with_format_regex(self) -> LogFileConfig:
        if self.format == "regex" and not self.regex:
            raise ValueError(
                "format: regex needs a `regex:` with named groups, e.g. "
                "'^(?P<time>\\S+) (?P<level>\\w+) (?P<message>.*)'"
            )
        if self.regex and self.format != "regex":
            raise ValueError("`regex:` is used only with format: regex")
        return self


@dataclass
class ScanStats:
    bytes: int = 0
    unreadable: int = 0
    stopped_early: bool = False


@dataclass(slots=True)
class _Scan:
    """One investigation's scan, handed from file to file and record to record: the query, the
    grouper its lines go to, the ticket's entity values, and what was read."""

    query: Query
    grouper: PatternGrouper
    matcher: EntityMatcher
    stats: ScanStats


class LogFile(Connector[LogFileConfig]):
    type_name = "log_file"
    read_only_by = "local files, opened for reading"
    config_model = LogFileConfig
    description = "JSON-lines or plain-text log files (globs, .gz too), streamed"
    plans_batches = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._keys: dict[Path, tuple[object, ...]] = {}

    def files(self) -> list[Path]:
        base = self.ctx.config.base_dir
        found: dict[Path, None] = {}
        for pattern in self.config.paths:
            full = pattern if Path(pattern).expanduser().is_absolute() else str(base / pattern)
            for name in sorted(glob.glob(str(Path(full).expanduser()), recursive=True)):  # noqa: PTH207 (absolute globs)
                path = Path(name)
                if path.is_file():
                    found[path] = None
        return list(found)

    async def check(self) -> list[Check]:
        files = self.files()
        if not files:
            return [Check("files", False, f"no file matches {', '.join(self.config.paths)}")]
        size = sum(f.stat().st_size for f in files)
        plural = "s" if len(files) != 1 else ""
        lines, ok = [f"{len(files)} file{plural}, {size / 1e6:.1f} MB"], True
        for path in files[:20]:
            try:
                found = self.detection(path)
            except OSError as exc:
                lines.append(f"{path.name}: cannot read: {exc.strerror or exc}")
                ok = False
                continue
            if found.sampled and not found.parsed:
                ok = False
                lines.append(
                    f"{path.name}: {found.format.name}, none of {found.records} sampled records "
                    "has a time it can read; set format: (or regex:)"
                )
            else:
                lines.append(f"{path.name}: {found.describe()}")
        if len(files) > 20:
            lines.append(f"… and {len(files) - 20} more files")
        return [Check("files", ok, "\n".join(lines))]

    def detection(self, path: Path) -> logformats.Detection:
        """The format this file is read with, and how much of its first lines it reads (in a
        batch, detected once per file version for the run)."""
        if not self.ctx.batch:
            return self._detect(path)
        key = ("detection", *self._file_key(path))
        found: logformats.Detection | None = self.ctx.memo.get(key)
        if found is None:
            found = self.ctx.memo[key] = self._detect(path)
        return found

    def _detect(self, path: Path) -> logformats.Detection:
        sample = _sample(path)
        reference = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        keys = self.config.fields
        name = self.config.format
        if name == "auto":
            return logformats.assess(sample, reference, keys)
        if name == "regex":
            fmt: logformats.LogFormat = logformats.regex_format(self.config.regex or "", reference)
        elif name == "text":  # the generic reader, as before formats were detected
            fmt = logformats.by_name("text", keys, reference)
        else:
            fmt = logformats.by_name(name, keys, reference)
        return logformats.measure(fmt, sample)

    async def collect(self, query: Query) -> Collected:
        files = self.files()
        if not files:
            raise SourceError(
                f"no log file matches {', '.join(self.config.paths)}",
                hint="paths are globs relative to the config file's folder",
            )
        return await in_thread(self._scan, files, query)

    def _scan(self, files: list[Path], query: Query) -> Collected:
        grouper = PatternGrouper(query.window, account_keys=account_keys(self.config.account_field))
        matcher = EntityMatcher(query.entities.matchable())
        stats = ScanStats()
        scan = _Scan(query, grouper, matcher, stats)
        for path in files:
            if query.expired():
                stats.stopped_early = True
                break
            try:
                self._scan_file(path, scan)
            except OSError as exc:
                stats.unreadable += 1
                if len(files) == 1:
                    raise SourceError(f"cannot read {path.name}: {exc.strerror or exc}") from None
        evidence = grouper.evidence(
            self.name,
            f"scan {', '.join(self.config.paths)} for {len(matcher.values)} entity values and new "
            f"error patterns, {query.window.start:%Y-%m-%dT%H:%MZ}..{query.window.end:%Y-%m-%dT%H:%MZ}",
            url=self._url(query),
        )[: self.config.max_patterns]
        notes = []
        if stats.stopped_early:
            notes.append(
                f"{self.name}: scan stopped at the deadline after {stats.bytes / 1e6:,.1f} MB"
            )
        if stats.unreadable:
            notes.append(f"{self.name}: {stats.unreadable} log file(s) could not be read")
        return Collected(evidence=evidence, notes=notes, partial=stats.stopped_early)

    def _url(self, query: Query) -> Any:
        template = self.config.url_template
        if not template:
            return None

        def link(pattern: Any) -> str:
            values = {
                "service": ",".join(sorted(pattern.services)),
                "start": query.window.start.isoformat(),
                "end": query.window.end.isoformat(),
            }
            return template.format_map(_Missing(values))

        return link

    def _scan_file(self, path: Path, scan: _Scan) -> None:
        """Read the file in blocks; only candidate records (a line with an entity string or a
        level marker, found in one pass over the block, widened to its record) are parsed."""
        query, matcher, stats = scan.query, scan.matcher, scan.stats
        limit = self.config.max_line_bytes
        fmt = _READING.format = self.detection(path).format
        index = self._levels(path, fmt)
        # built only when needed (not in a planned batch)
        finder = functools.cache(lambda: _finder(matcher, limit, fmt.markers, index))
        parsed = self._parsed(path)
        if (
            index is not None
            and index.parsing
            and path.suffix != ".gz"
            and self._scan_mapped(path, scan, index, finder, parsed)
        ):
            return
        records = Records(finder(), fmt, limit)
        with _open(path) as handle:
            stop = self._seek(path, handle, query.baseline_start, query.window.end)
            if stop is None:
                return
            base, runs = handle.tell(), _Runs(scan)
            for offset, block in blocks(handle, limit, stop=stop):
                if query.expired():
                    stats.stopped_early = True
                    return
                stats.bytes += len(block)
                for where, raw, named in records.block(base + offset, block):
                    runs.line(self._counted(where, raw, named, scan, parsed))
                runs.feed()  # a block's lines at a time: memory stays flat
            for where, raw, named in records.finish():
                runs.line(self._counted(where, raw, named, scan, parsed))
            runs.feed()

    def _scan_mapped(
        self,
        path: Path,
        scan: _Scan,
        index: LevelIndex,
        finder: Callable[[], Finder],
        parsed: dict[int, LogLine | None],
    ) -> bool:
        """A batch's scan of a single-line format: the file mapped, not read; the level-marker
        lines of the range taken parsed from the shared index (scanned and parsed once for the
        run), only the lines naming this ticket's entities found (one Hyperscan pass) and
        parsed here, both in file order: the same lines in the same order as `_scan_file`'s
        blocks give. False when the file cannot be mapped or the index is full (then the
        caller reads it in blocks)."""
        query, stats = scan.query, scan.stats
        limit = self.config.max_line_bytes
        with path.open("rb") as handle:
            try:
                mapped = self._mapping(path, handle)
            except (OSError, ValueError):  # empty, or a file that cannot be mapped
                return False
            stop = self._seek(path, handle, query.baseline_start, query.window.end)
            if stop is None:
                return True
            begin, size = handle.tell(), len(mapped)
            end = size if stop < 0 else _line_end(mapped, begin + stop, size, begin)
            covered = end if index.covers(begin, end) else begin  # as a later ticket finds it
            while covered < end:  # in steps, so a deadline can stop a first, long scan
                if query.expired():
                    stats.stopped_early = True
                    end = covered
                    break
                step = _line_end(mapped, covered + BLOCK_BYTES, end, covered)
                index.cover(mapped, size, 0, covered, step)
                covered = step
            if not index.parsing:
                return False
            stats.bytes += end - begin
            planned = self._planned(path)
            wanted = [v.encode() for v in scan.matcher.values]
            named = planned.lines(mapped, begin, end, wanted) if planned else None
            if named is None:  # no plan, or a value it does not hold: a scan of our own
                named = scan_entities(finder(), mapped, begin, end)
            offsets, kept = index.kept(begin, end)
            raws = [(start, line_at(mapped, start, stop_, limit)) for start, stop_, _ in named]
        shared = _LevelLines(kept, scan)
        taken = [(where, self._counted(where, raw, True, scan, parsed)) for where, raw in raws]
        shared.merge(offsets, taken)
        return True

    def _counted(
        self, where: int, raw: bytes, named: bool, scan: _Scan, parsed: dict[int, LogLine | None]
    ) -> LogLine | None:
        """One candidate record at byte offset `where`: parsed (or found parsed earlier in the
        run); the line when it counts: it names an entity or is warning or worse, in the
        window or baseline."""
        matched = scan.matcher.find_bytes(raw) if named else _NONE
        if where in parsed:  # parsed for an earlier ticket of this run, with its entities
            line = parsed[where]
            if line is not None and line.matched != matched:
                line = replace(line, matched=matched)
        else:
            line = self._parse_line(raw, matched)
            if parsed is not _NOTHING_KEPT and len(parsed) < MAX_PARSED_LINES:
                parsed[where] = line
        query = scan.query
        if line is None or line.timestamp > query.window.end:
            return None
        if line.timestamp < query.baseline_start:
            return None
        if not matched and line.level not in _INTERESTING:
            return None
        return line

    def _file_key(self, path: Path) -> tuple[object, ...]:
        """This file's version and everything that decides how it is read (the version as this
        investigation first saw it: one `stat` per file, not one per cache it looks in)."""
        known = self._keys.get(path)
        if known is not None:
            return known
        info = path.stat()
        c = self.config
        fields = tuple(sorted((c.fields or {}).items()))
        key = (LogFile, str(path), info.st_size, info.st_mtime_ns, c.format, c.regex, fields)
        self._keys[path] = key
        return key

    def _levels(self, path: Path, fmt: logformats.LogFormat) -> LevelIndex | None:
        """In a batch (with Hyperscan), the level-marker lines of this file version, found once
        for the run, and for a single-line format those lines parsed, the warning-or-worse ones
        kept. Each ticket still finds its own entity strings (one pass at a few GB/s)."""
        if not self.ctx.batch or not accelerated():
            return None
        c = self.config
        key = ("levels", *self._file_key(path), c.service, c.max_line_bytes)
        with _INDEX_LOCK:
            found: LevelIndex | None = self.ctx.memo.get(key)
            if found is None:
                single = not fmt.multiline
                found = self.ctx.memo[key] = LevelIndex(
                    c.max_line_bytes,
                    parse=self._parse_level_line if single else None,
                    keep=_worth_keeping if single else None,
                    markers=fmt.markers,
                )
        return found

    def _mapping(self, path: Path, handle: IO[bytes]) -> mmap.mmap:
        """This file mapped once for the batch: its tickets read the same pages, where a
        mapping of their own each would fault them in again. One mapping per path, of the
        version this investigation saw (a newer version replaces it; a ticket still reading
        the older one holds it until done). Unmapped with the run's memo."""
        key, version = ("mapped", str(path)), self._file_key(path)
        with _INDEX_LOCK:
            found: tuple[tuple[object, ...], mmap.mmap] | None = self.ctx.memo.get(key)
            if found is None or found[0] != version:
                found = version, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
                self.ctx.memo[key] = found
        return found[1]

    def _planned(self, path: Path) -> EntityIndex | None:
        """In a planned batch, the lines naming any of its tickets' entity values in this file
        version, found in one pass for all of them (`EntityIndex`) instead of one per ticket."""
        if not self.ctx.planned:
            return None
        key = ("entities", *self._file_key(path), self.config.max_line_bytes)
        with _INDEX_LOCK:
            found: EntityIndex | None = self.ctx.memo.get(key)
            if found is None:
                found = self.ctx.memo[key] = EntityIndex(
                    self.ctx.planned, self.config.max_line_bytes
                )
        return found

    def _parse_level_line(self, raw: bytes) -> LogLine | None:
        return self._parse_line(raw, _NONE)

    def _parsed(self, path: Path) -> dict[int, LogLine | None]:
        """Records of this file parsed earlier in the run, by byte offset: a batch parses each
        candidate record once (a single ticket keeps nothing: memory stays flat). Keyed by the
        file's size and modification time and by how it is read (format, regex, fields): a
        file that grows or changes, or another reading of it, starts afresh."""
        if not self.ctx.batch:
            return _NOTHING_KEPT
        c = self.config
        key = (*self._file_key(path), c.service, c.max_line_bytes)
        found: dict[int, LogLine | None] | None = self.ctx.memo.get(key)
        if found is None:
            found = self.ctx.memo[key] = {}
        return found

    def _seek(self, path: Path, handle: IO[bytes], since: datetime, until: datetime) -> int | None:
        """Position the handle at the first line that can be timed `since` or later; the number
        of bytes worth reading from there (-1: to the end), or None to skip the file."""
        limit = self.config.max_line_bytes
        if path.suffix == ".gz":
            # A rotated .gz is written once: its modification time bounds its last line.
            modified = datetime.fromtimestamp(path.stat().st_mtime, UTC)
            if modified < since - GZ_MTIME_SLACK:
                return None
            try:
                first, _ = first_time(handle, 0, self._time_of, limit)
            except (EOFError, gzip.BadGzipFile, OSError):
                first = None
            handle.seek(0)
            return None if first is not None and first > until + ORDER_SLACK else -1
        size = path.stat().st_size
        probed = None
        if self.ctx.batch:  # the tickets of a batch probe the same offsets of this version
            with _INDEX_LOCK:
                probed = self.ctx.memo.setdefault(("probes", *self._file_key(path)), {})
        found = seek_range(handle, size, since, until, self._time_of, limit, probed)
        if found is None:
            handle.seek(0)
            return -1
        begin, stop = found
        handle.seek(begin)
        return -1 if stop < 0 else max(stop - begin, 0)

    def _time_of(self, raw: bytes) -> datetime | None:
        """A line's time, for seeking (a few dozen lines a file), read cheaply by the file's
        format; None for a continuation line or one without a time."""
        found = _READING.format.time_of(raw)
        return logformats.epoch(found) if found is not None else None

    def _parse_line(self, raw: bytes, matched: frozenset[str]) -> LogLine | None:
        """One record (its lines joined by newlines) → a `LogLine`, or None without a time."""
        parsed: logformats.ParsedLine | None = _READING.format.parse(raw)
        if parsed is None or parsed.time is None:
            return None
        return self._line(parsed, parsed.time, matched)

    def _line(
        self, parsed: logformats.ParsedLine, ts: datetime, matched: frozenset[str]
    ) -> LogLine:
        message, fields = parsed.message.strip(), parsed.fields
        code = ""
        for key in _CODE_KEYS:
            if fields.get(key):
                code = str(fields[key])
                break
        if code and code not in message:  # keep error codes visible and in the template
            message = f"{message} [{code}]"
        service = parsed.service or self.config.service or ""
        return LogLine(ts, parsed.level, message, service, fields, matched)


class _Runs:
    """Lines for a grouper in file order, each to the baseline or the window by its time;
    consecutive lines of one kind go as one run (`add_baseline_run`, `add_run`: the same
    result as one at a time, with the per-pattern work done once a run)."""

    def __init__(self, scan: _Scan) -> None:
        self.opens, self.grouper = scan.query.window.start, scan.grouper
        self._runs: list[tuple[bool, list[LogLine]]] = []

    def line(self, line: LogLine | None) -> None:
        """One line (None: a record that does not count)."""
        if line is not None:
            self.put(line.timestamp < self.opens, [line])

    def put(self, baseline: bool, lines: list[LogLine]) -> None:
        if self._runs and self._runs[-1][0] == baseline:
            self._runs[-1][1].extend(lines)
        else:
            self._runs.append((baseline, lines))

    def feed(self) -> None:
        """Hand the lines so far to the grouper."""
        for baseline, lines in self._runs:
            if baseline:
                self.grouper.add_baseline_run(lines)
            else:
                self.grouper.add_run(lines)
        self._runs = []


class _LevelLines:
    """A ticket's share of the batch's parsed level-marker lines (those of its byte range, in
    file order), merged with the lines naming its own entities into the order a scan of its
    own reads them. In a time-ordered file the window and baseline bounds are found by
    bisection and the merged lines go to the grouper in runs (`add_baseline_run`, `add_run`:
    the same result as one at a time); otherwise each line is placed by its own time."""

    def __init__(self, lines: list[LogLine], scan: _Scan) -> None:
        query = scan.query
        self.lines, self.query, self.runs = lines, query, _Runs(scan)
        stamps = [line.timestamp for line in lines]
        self.ordered = all(map(operator.le, stamps, itertools.islice(stamps, 1, None)))
        if self.ordered:
            self.lo = bisect.bisect_left(stamps, query.baseline_start)
            self.hi = max(self.lo, bisect.bisect_right(stamps, query.window.end))
            self.opens = bisect.bisect_left(stamps, query.window.start, self.lo, self.hi)

    def merge(self, offsets: Sequence[int], named: list[tuple[int, LogLine | None]]) -> None:
        """Feed the grouper these lines and the named ones (`(offset, line)` in file order,
        None for one that does not count) in file order; a level-marker line that also names
        an entity is taken as named."""
        i = 0
        for where, line in named:
            j = bisect.bisect_left(offsets, where, i)
            self._level(i, j)
            i = j + 1 if j < len(offsets) and offsets[j] == where else j
            self.runs.line(line)
        self._level(i, len(offsets))
        self.runs.feed()

    def _level(self, start: int, stop: int) -> None:
        """The level-marker lines `start` to `stop` (indices into the ticket's share)."""
        if start >= stop:
            return
        if not self.ordered:
            since, until = self.query.baseline_start, self.query.window.end
            for line in self.lines[start:stop]:
                if since <= line.timestamp <= until:
                    self.runs.line(line)
            return
        for baseline, first, last in (
            (True, max(start, self.lo), min(stop, self.opens)),
            (False, max(start, self.opens), min(stop, self.hi)),
        ):
            if first < last:
                self.runs.put(baseline, self.lines[first:last])


def _worth_keeping(line: LogLine | None) -> bool:
    """A level-marker line that counts without naming an entity: dated, warning or worse."""
    return line is not None and line.level in _INTERESTING


def _line_end(data: Any, at: int, size: int, floor: int) -> int:
    """Where the line holding byte `at - 1` ends (after its newline), at most `size`; `floor`
    when `at` is not past it (the lines that start before `at`, as `blocks(stop=…)` counts)."""
    if at <= floor:
        return floor
    if at >= size:
        return size
    newline = data.find(b"\n", at - 1, size)
    return size if newline < 0 else newline + 1


class _Missing(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _open(path: Path) -> IO[bytes]:
    if path.suffix == ".gz":
        return gzip.GzipFile(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def _sample(path: Path) -> list[bytes]:
    """The first lines of a file (a .gz too), for format detection."""
    with _open(path) as handle:
        lines = itertools.islice(_lines(handle, _SAMPLE_BYTES // 4), _SAMPLE_LINES)
        return [line for line in lines if line.strip()]


def _lines(handle: IO[bytes], limit: int) -> Iterator[bytes]:
    """Lines of at most `limit` bytes; the rest of an over-long line is skipped."""
    skipping = False
    while True:
        try:
            chunk = handle.readline(limit)
        except (EOFError, gzip.BadGzipFile, OSError):
            return  # a truncated .gz ends the file; what was read still counts
        if not chunk:
            return
        complete = chunk.endswith(b"\n")
        if not skipping:
            yield chunk
        skipping = not complete and len(chunk) >= limit
