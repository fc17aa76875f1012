"""`log_file`: JSON-lines or plain-text log files (optionally gzip'd), streamed.

    logs:
      type: log_file
      paths: ["logs/*.jsonl", "logs/web.log.gz"]   # globs, relative to the config file

A file is read in 4 MiB blocks; only the lines that contain an entity string or a level marker
are split out and parsed (`connectors._logscan`), a line is capped at `max_line_bytes`, and
memory stays flat for a 1 GB file. Only lines from `investigation.baseline` (default 3 days)
before the window to its end count; in a time-ordered file (nine sampled lines in order, give or
take 10 minutes) that range is found by binary search on byte offsets, any other file is read
whole; a `.gz` whose first line is after the window, or that was last written a day before the
baseline, is skipped. In `investigate batch`, parsed lines are kept for the run (by offset, up
to 100,000 per file), so tickets after the first parse only what is new to them. JSON lines: `timestamp|ts|time|@timestamp`, `level|severity|lvl`, `message|msg` are
detected and every other key is kept as a field. Plain text: a leading timestamp, a level word,
an optional `[service]`, then the message (`key=value` pairs become fields). Invalid UTF-8 is
replaced, broken lines are read as text, lines without a timestamp are skipped.

Returned: lines in the window that mention the ticket's entities, and error-level patterns that
are new (or spiking) in the window compared with the same files before it, grouped into patterns.
"""

from __future__ import annotations

import glob
import gzip
import json
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any, Literal

from pydantic import Field, field_validator

from connectors._logscan import (
    ORDER_SLACK,
    Finder,
    blocks,
    first_time,
    line_at,
    seek_range,
)
from investigate.connector import Check, Collected, Connector, ConnectorConfig, Query
from investigate.errors import SourceError
from investigate.models import Level
from investigate.patterns import LogLine, PatternGrouper
from investigate.textmatch import EntityMatcher
from investigate.threads import in_thread

_JSON_TS = re.compile(rb'"(?:@timestamp|timestamp|ts|time)"\s*:\s*"([^"]{10,40})"')
_JSON_LEVEL = re.compile(rb'"(?:level|severity|lvl|log\.level)"\s*:\s*"(\w{1,12})"')
_TEXT = re.compile(
    r"^\s*(?P<ts>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?)"
    r"\s+\[?(?P<level>[A-Za-z]{3,9})\]?:?\s+(?:\[(?P<service>[^\]]{1,60})\]\s+)?(?P<msg>.*)$"
)
_KV = re.compile(r"(\w{1,40})=(\"[^\"]{0,300}\"|\S{1,300})")
_LEVELS: dict[str, Level] = {
    "trace": "debug",
    "debug": "debug",
    "info": "info",
    "information": "info",
    "notice": "info",
    "warn": "warning",
    "warning": "warning",
    "err": "error",
    "error": "error",
    "fatal": "critical",
    "crit": "critical",
    "critical": "critical",
    "alert": "critical",
    "emerg": "critical",
    "panic": "critical",
}
_INTERESTING = {"warning", "error", "critical"}
_MESSAGE_KEYS = ("message", "msg", "log", "text")
_CODE_KEYS = ("error_code", "error.code", "err_code", "code")
_META_KEYS = {"@timestamp", "timestamp", "ts", "time", "level", "severity", "lvl", "log.level"}


GZ_MTIME_SLACK = timedelta(days=1)
MAX_PARSED_LINES = 100_000
"""Parsed lines kept per file for the rest of a batch (a few hundred bytes each)."""
_NOTHING_KEPT: dict[int, LogLine | None] = {}
_NONE: frozenset[str] = frozenset()


def _finder(matcher: EntityMatcher) -> Finder:
    return Finder([v.encode() for v in matcher.values])


class LogFileConfig(ConnectorConfig):
    paths: list[str] = Field(min_length=1, description="Globs; relative to the config file.")
    format: Literal["auto", "json", "text"] = "auto"
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


@dataclass
class ScanStats:
    lines: int = 0
    """Lines kept (in the window or the baseline)."""
    bytes: int = 0
    files: int = 0
    unreadable: int = 0
    stopped_early: bool = False


class LogFile(Connector[LogFileConfig]):
    type_name = "log_file"
    read_only_by = "local files, opened for reading"
    config_model = LogFileConfig
    description = "JSON-lines or plain-text log files (globs, .gz too), streamed"

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
        return [Check("files", True, f"{len(files)} files, {size / 1e6:.1f} MB")]

    async def collect(self, query: Query) -> Collected:
        files = self.files()
        if not files:
            raise SourceError(
                f"no log file matches {', '.join(self.config.paths)}",
                hint="paths are globs relative to the config file's folder",
            )
        return await in_thread(self._scan, files, query)

    def _scan(self, files: list[Path], query: Query) -> Collected:
        grouper = PatternGrouper(query.window)
        matcher = EntityMatcher(query.entities.matchable())
        stats = ScanStats()
        for path in files:
            if query.expired():
                stats.stopped_early = True
                break
            try:
                self._scan_file(path, query, grouper, matcher, stats)
            except OSError as exc:
                stats.unreadable += 1
                if len(files) == 1:
                    raise SourceError(f"cannot read {path.name}: {exc.strerror or exc}") from None
            stats.files += 1
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

    def _scan_file(
        self,
        path: Path,
        query: Query,
        grouper: PatternGrouper,
        matcher: EntityMatcher,
        stats: ScanStats,
    ) -> None:
        """Read the file in blocks; only candidate lines (an entity string or a level marker,
        found in one pass over the block) are split out and parsed."""
        since, start, end = query.baseline_start, query.window.start, query.window.end
        limit = self.config.max_line_bytes
        finder = _finder(matcher)
        parsed = self._parsed(path)
        with _open(path) as handle:
            stop = self._seek(path, handle, since, end)
            if stop is None:
                return
            base = handle.tell()
            for offset, block in blocks(handle, limit, stop=stop):
                if query.expired():
                    stats.stopped_early = True
                    return
                stats.bytes += len(block)
                for first, last, named in finder.lines(block):
                    raw = line_at(block, first, last, limit)
                    matched = matcher.find_bytes(raw) if named else _NONE
                    where = base + offset + first
                    if where in parsed:  # parsed for an earlier ticket of this run
                        line = parsed[where]
                        if line is not None and matched:
                            line = replace(line, matched=matched)
                    else:
                        line = self._parse_line(raw, matched)
                        if parsed is not _NOTHING_KEPT and len(parsed) < MAX_PARSED_LINES:
                            parsed[where] = (
                                line
                                if line is None or not matched
                                else replace(line, matched=frozenset())
                            )
                    if line is None or line.timestamp > end or line.timestamp < since:
                        continue
                    if not matched and line.level not in _INTERESTING:
                        continue
                    stats.lines += 1
                    if line.timestamp < start:
                        grouper.add_baseline(line)
                    else:
                        grouper.add(line)

    def _parsed(self, path: Path) -> dict[int, LogLine | None]:
        """Lines of this file parsed earlier in the run, by byte offset: a batch parses each
        candidate line once (a single ticket keeps nothing: memory stays flat). Keyed by the
        file's size and modification time: a file that grows or changes starts afresh."""
        if not self.ctx.batch:
            return _NOTHING_KEPT
        info = path.stat()
        c = self.config
        key = (
            LogFile,
            str(path),
            info.st_size,
            info.st_mtime_ns,
            c.format,
            c.service,
            c.max_line_bytes,
        )
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
        found = seek_range(handle, size, since, until, self._time_of, limit)
        if found is None:
            handle.seek(0)
            return -1
        begin, stop = found
        handle.seek(begin)
        return -1 if stop < 0 else max(stop - begin, 0)

    def _time_of(self, raw: bytes) -> datetime | None:
        """A line's time, for seeking (a few dozen lines a file): the one parse function, so
        format knowledge stays in one place."""
        line = self._parse_line(raw, _NONE)
        return line.timestamp if line is not None else None

    def _parse_line(self, raw: bytes, matched: frozenset[str]) -> LogLine | None:
        """One line (without its line ending) → a `LogLine`, or None when it has no time."""
        head = self._head(raw)
        if head is None:
            return None
        ts, level = head
        return self._parse(raw.decode("utf-8", errors="replace"), ts, level, matched)

    def _head(self, raw: bytes) -> tuple[datetime, Level] | None:
        """Timestamp and level, read cheaply without a full parse."""
        if self.config.format != "text" and raw.lstrip()[:1] == b"{":
            ts_match = _JSON_TS.search(raw)
            if ts_match:
                ts = _parse_ts(ts_match.group(1).decode("ascii", "replace"))
                level_match = _JSON_LEVEL.search(raw)
                level = _level(level_match.group(1).decode("ascii") if level_match else "info")
                return (ts, level) if ts else None
        if self.config.format == "json":
            return None
        match = _TEXT.match(raw[:200].decode("utf-8", errors="replace"))
        if not match:
            return None
        ts = _parse_ts(match.group("ts"))
        return (ts, _level(match.group("level"))) if ts else None

    def _parse(self, text: str, ts: datetime, level: Level, matched: frozenset[str]) -> LogLine:
        service = self.config.service or ""
        if text.lstrip().startswith("{"):
            try:
                data = json.loads(text)
            except ValueError:
                data = None
            if isinstance(data, dict):
                message = next((str(data[k]) for k in _MESSAGE_KEYS if k in data), text.strip())
                fields = {
                    k: v for k, v in data.items() if k not in _META_KEYS and k not in _MESSAGE_KEYS
                }
                code = next((str(fields[k]) for k in _CODE_KEYS if fields.get(k)), "")
                if code and code not in message:  # keep error codes visible and in the template
                    message = f"{message} [{code}]"
                service = str(fields.get("service") or service)
                return LogLine(ts, level, message, service, fields, matched)
        match = _TEXT.match(text)
        message = match.group("msg") if match else text.strip()
        if match and match.group("service"):
            service = match.group("service")
        fields = {k: v.strip('"') for k, v in _KV.findall(message)}
        return LogLine(ts, level, message, service, fields, matched)


class _Missing(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _open(path: Path) -> IO[bytes]:
    if path.suffix == ".gz":
        return gzip.GzipFile(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def _level(word: str) -> Level:
    return _LEVELS.get(word.lower(), "info")


def _parse_ts(text: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(text.replace(",", ".", 1))
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
