"""`records`: files of records — deploys, billing exports, bug lists, alerts.

    deploys:
      type: records
      path: deploys.yaml            # JSON (a list, or an object with one list), JSONL, CSV, YAML
      kind: deploy
      time_field: deployed_at
      title: "Deploy {service} {version}"
      url_template: "https://ci.example.com/deploys/{id}"
      select: window                 # matched | window | text | all (a list combines them)

A record is returned when it matches the ticket's entities in `match_fields` (`matched`), its
time falls in the window — or, with `end_field`, its span overlaps it (`window`) — or its
`text_fields` are relevant to the ticket by BM25 (`text`). Newest first, at most `max_items`.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, field_validator

from investigate.sdk import SAFE_LOADER, ConfigPath, Evidence, EvidenceKind, SourceError, in_thread
from investigate.sdk.contract import Check, Collected, Connector, ConnectorConfig, Provides, Query
from investigate.sdk.fieldmap import FieldMapping
from investigate.sdk.relevance import bm25
from investigate.sdk.rows import parse_time, row_cells, row_evidence, row_haystack, row_time
from investigate.sdk.textmatch import EntityMatcher

Select = Literal["matched", "window", "text", "all"]
MAX_FILE_BYTES = 200_000_000


class RecordsConfig(ConnectorConfig, FieldMapping):
    path: ConfigPath
    format: Literal["auto", "json", "jsonl", "csv", "yaml"] = "auto"
    kind: EvidenceKind
    select: list[Select] = Field(default_factory=lambda: list[Select](["matched"]))
    time_field: str | None = None
    id_field: str | None = None
    title_field: str | None = None
    title: str | None = Field(None, description="Template, e.g. 'Deploy {service} {version}'.")
    url_field: str | None = None
    url_template: str | None = None
    match_fields: list[str] = Field(default_factory=list, description="Empty: every field.")
    text_fields: list[str] = Field(default_factory=list)
    min_text_score: float = Field(2.0, ge=0)
    provides: Provides = Field(default_factory=dict)
    max_items: int = Field(10, ge=1, le=1000)

    @field_validator("select", mode="before")
    @classmethod
    def _one(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class Records(Connector[RecordsConfig]):
    type_name = "records"
    read_only_by = "local files, opened for reading"
    config_model = RecordsConfig
    description = "Records from JSON, JSONL, CSV or YAML files (deploys, billing, bugs, alerts)"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._done = False

    def provides(self) -> frozenset[str]:
        return frozenset(self.config.provides)

    async def check(self) -> list[Check]:
        try:
            records = await in_thread(load_records, self.config.path, self.config.format)
        except SourceError as exc:
            return [Check("file", False, exc.message)]
        return [Check("file", True, f"{self.config.path.name}: {len(records)} records")]

    async def collect(self, query: Query) -> Collected:
        if self._done or (query.stage == "resolve" and not self.config.provides):
            return Collected()
        self._done = True
        records = await in_thread(self._records)
        return self._select(records, query)

    def _records(self) -> list[dict[str, Any]]:
        """The file's records, read once per run (a batch shares them; they are not changed)."""
        path = self.config.path
        try:
            info = path.stat()
        except OSError:
            return load_records(path, self.config.format)  # worded by load_records
        key = ("records", str(path), info.st_size, info.st_mtime_ns, self.config.format)
        found: list[dict[str, Any]] | None = self.ctx.memo.get(key)
        if found is None:
            found = self.ctx.memo[key] = load_records(path, self.config.format)
        return found

    def _haystacks(self, records: list[dict[str, Any]]) -> list[str]:
        """Each record's text that entities are matched in (`rows.row_haystack`), made once per
        run for the records of this file (they are shared, and never changed)."""
        key = ("haystacks", id(records), tuple(self.config.match_fields or ()))
        found: tuple[list[dict[str, Any]], list[str]] | None = self.ctx.memo.get(key)
        if found is None or found[0] is not records:
            fields = self.config.match_fields or None
            found = (records, [row_haystack(row_cells(r), fields) for r in records])
            if self.ctx.batch:
                self.ctx.memo[key] = found
        return found[1]

    def _select(self, records: list[dict[str, Any]], query: Query) -> Collected:
        cfg = self.config
        matcher = EntityMatcher(query.entities.matchable())
        modes = set(cfg.select)
        text_scores = self._text_scores(records, query) if "text" in modes or "all" in modes else {}
        chosen: list[tuple[datetime | None, Evidence]] = []
        everything = "all" in modes
        haystacks = self._haystacks(records) if "matched" in modes and not everything else []
        for index, record in enumerate(records):
            # Evidence is built only for a record that can be selected (a model for every
            # record of the file, for every ticket, was most of this connector's time)
            if not (
                everything
                or index in text_scores
                or (haystacks and matcher.find(haystacks[index]))
                or ("window" in modes and self._in_window(record, query))
            ):
                continue
            evidence = self._evidence(record, matcher)
            reasons = []
            if evidence.matched and modes & {"matched", "all"}:
                reasons.append("matched")
            if modes & {"window", "all"} and self._in_window(record, query):
                reasons.append("window")
            if index in text_scores:
                reasons.append("text")
                evidence.text_score = round(text_scores[index], 2)
            if reasons or "all" in modes:
                evidence.attributes["selected_by"] = reasons or ["all"]
                chosen.append((evidence.timestamp, evidence))
        chosen.sort(key=lambda pair: pair[0].timestamp() if pair[0] else 0, reverse=True)
        out = Collected(evidence=[e for _, e in chosen[: cfg.max_items]])
        if len(chosen) > cfg.max_items:
            out.notes.append(
                f"{self.name}: {len(chosen)} records matched; kept the newest {cfg.max_items}"
            )
        for evidence in out.evidence:
            row = evidence.record
            for param, field in cfg.provides.items():
                if row.get(field) not in (None, ""):
                    out.provides.setdefault(param, []).append(str(row[field]))
        return out

    def _evidence(self, record: dict[str, Any], matcher: EntityMatcher) -> Evidence:
        cfg = self.config
        title = cfg.title or (f"{{{cfg.title_field}}}" if cfg.title_field else None)
        if title and cfg.id_field and not cfg.title:
            title = f"{{{cfg.id_field}}}: {title}"
        url_template = cfg.url_template or (f"{{{cfg.url_field}}}" if cfg.url_field else None)
        return row_evidence(
            source=self.name,
            kind=cfg.kind,
            row=record,
            query=f"records {cfg.path.name} select={'+'.join(cfg.select)}",
            matcher=matcher,
            title=title,
            time_field=cfg.time_field,
            url_template=url_template,
            match_fields=cfg.match_fields or None,
            fields=cfg,
        )

    def _in_window(self, record: dict[str, Any], query: Query) -> bool:
        start = row_time(record, self.config.time_field)
        if start is None:
            return False
        end = parse_time(record.get(self.config.end_field)) if self.config.end_field else None
        if self.config.end_field:
            return start <= query.window.end and (end is None or end >= query.window.start)
        return query.window.start <= start <= query.window.end

    def _text_scores(self, records: list[dict[str, Any]], query: Query) -> dict[int, float]:
        fields = self.config.text_fields
        if not fields:
            return {}
        e = query.entities
        text = " ".join(
            [query.ticket.subject, query.ticket.description, *e.error_codes, *e.keywords]
        )
        docs = [" ".join(str(r.get(f) or "") for f in fields) for r in records]
        scores = bm25(text, docs)
        return {i: s for i, s in enumerate(scores) if s >= self.config.min_text_score}


def load_records(path: Path, fmt: str = "auto") -> list[dict[str, Any]]:
    """Records from a file; raises SourceError with a one-line reason."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from None
    if size > MAX_FILE_BYTES:
        raise SourceError(f"{path.name} is {size / 1e6:.0f} MB; records files are capped at 200 MB")
    fmt = _format(path) if fmt == "auto" else fmt
    text = path.read_bytes().decode("utf-8-sig", errors="replace")  # Excel CSVs start with a BOM
    try:
        data = _parse(text, fmt)
    except (ValueError, yaml.YAMLError, csv.Error) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SourceError(f"{path.name}: not valid {fmt.upper()}: {first}") from None
    if isinstance(data, dict):
        lists = [v for v in data.values() if isinstance(v, list)]
        data = lists[0] if len(lists) == 1 else [data]
    if not isinstance(data, list):
        raise SourceError(f"{path.name}: expected a list of records")
    return [r for r in data if isinstance(r, dict)]


def _format(path: Path) -> str:
    suffix = path.suffix.lower()
    return {
        ".jsonl": "jsonl",
        ".ndjson": "jsonl",
        ".csv": "csv",
        ".yaml": "yaml",
        ".yml": "yaml",
    }.get(suffix, "json")


def _parse(text: str, fmt: str) -> Any:
    if fmt == "jsonl":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(text)))
    if fmt == "yaml":
        return yaml.load(text, Loader=SAFE_LOADER)  # noqa: S506 (a safe loader)
    return json.loads(text)
