"""Reading what the stats need: batch reports from a folder, NPS answers from an export or an
endpoint, and alerts from the configured alert sources (through their ordinary `collect`)."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from investigate.config import NPSSource
from investigate.context import Context
from investigate.errors import SourceError, UsageError
from investigate.models import Entities, Evidence, Report, Ticket, Window, as_number
from investigate.sdk.contract import Query
from investigate.sdk.rows import parse_time

MAX_FILE_BYTES = 50_000_000


def read_reports(folder: Path) -> tuple[list[Report], list[str]]:
    """Every report in `folder` (`*.json`, one each, and `*.jsonl`, one a line: what `batch`
    writes); files that are not reports are skipped with a note."""
    if not folder.is_dir():
        raise UsageError(f"--reports: not a folder: {folder}", hint="give the batch --output-dir")
    reports: dict[str, Report] = {}
    skipped = 0
    for path in sorted(folder.iterdir()):
        if path.suffix not in (".json", ".jsonl") or not path.is_file():
            continue
        if path.stat().st_size > MAX_FILE_BYTES:
            skipped += 1
            continue
        text = path.read_bytes().decode("utf-8", errors="replace")
        chunks = text.splitlines() if path.suffix == ".jsonl" else [text]
        for chunk in (c for c in chunks if c.strip()):
            try:
                report = Report.model_validate_json(chunk)
            except ValidationError:
                skipped += 1
                continue
            reports[report.ticket.id] = report  # a rerun's newer report replaces the old
    notes = (
        [f"{skipped} file(s) or line(s) in {folder} are not reports; skipped"] if skipped else []
    )
    return list(reports.values()), notes


async def read_nps(
    ctx: Context, source: NPSSource
) -> tuple[list[tuple[datetime | None, float]], int, str]:
    """(time, score) answers, how many were not 0–10 scores, and where they came from."""
    if source.path is not None:
        rows, where = _rows_from_file(source.path), str(source.path.name)
    elif source.url is not None:
        rows, where = await _rows_from_url(ctx, source), source.url
    else:
        raise UsageError("stats.nps: set path or url", hint="see config.example.yaml")
    answers: list[tuple[datetime | None, float]] = []
    invalid = 0
    for row in rows:
        score = _score(row.get(source.score_field))
        if score is None:
            invalid += 1
            continue
        answers.append((parse_time(row.get(source.time_field)), score))
    return answers, invalid, where


def _score(value: Any) -> float | None:
    score = as_number(value, float)
    return score if score is not None and 0 <= score <= 10 else None


def _rows_from_file(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_bytes()[:MAX_FILE_BYTES].decode("utf-8", errors="replace")
    except OSError as exc:
        raise UsageError(f"stats.nps.path: cannot read {path}: {exc.strerror or exc}") from None
    try:
        if path.suffix == ".csv":
            return list(csv.DictReader(io.StringIO(text)))
        if path.suffix == ".jsonl":
            data: Any = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            data = json.loads(text)
    except ValueError as exc:
        raise UsageError(f"stats.nps.path: {path.name} is not valid JSON: {exc}") from None
    return [r for r in (data if isinstance(data, list) else []) if isinstance(r, dict)]


async def _rows_from_url(ctx: Context, source: NPSSource) -> list[dict[str, Any]]:
    from investigate.sdk.jsonapi import fetch_json
    from investigate.sdk.transport import HttpOptions

    assert source.url is not None
    async with ctx.http(HttpOptions(timeout=30.0)) as client:
        found = await fetch_json(client, source.url, label="stats.nps", name="stats.nps")
    body = found.body
    if isinstance(body, dict) and source.items:
        body = body.get(source.items)
    return [r for r in (body if isinstance(body, list) else []) if isinstance(r, dict)]


async def collect_alerts(
    ctx: Context, names: list[str], window: Window
) -> tuple[list[Evidence], list[str]]:
    """Alerts and incidents in `window` from the named connectors (their `collect`, with an
    empty probe ticket: a `records` alert export selects by time)."""
    if not names:
        return [], []
    from investigate.instances import build_connectors

    connectors = build_connectors(ctx, only=names)
    probe = Ticket(id="radar", subject="incident radar", created_at=window.end)
    notes: list[str] = []
    found: list[Evidence] = []
    try:
        for name in names:
            connector = connectors.instances.get(name)
            if connector is None:
                notes.append(f"alert source '{name}' was skipped")
                continue
            try:
                got = await connector.collect(
                    Query(ticket=probe, entities=Entities(), window=window)
                )
            except SourceError as exc:
                notes.append(f"alert source '{name}' failed: {exc.message}")
                continue
            found += [e for e in got.evidence if e.kind in ("alert", "incident")]
    finally:
        await connectors.aclose()
    return found, notes
