"""Tabular rows (SQL results, exported records) → Evidence, one shared way."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from investigate.models import Evidence, EvidenceKind
from investigate.sdk.fieldmap import FieldMapping, apply, end_value, value_at
from investigate.sdk.textmatch import EntityMatcher

TIME_FIELDS = ("created_at", "created", "timestamp", "time", "updated_at", "started_at", "date")
MAX_CELL = 500


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def render_template(template: str, row: Mapping[str, Any]) -> str:
    """`"Invoice {id}: {status}"` filled from the row; unknown names become empty."""
    values = _Blank({str(k): _text(v) for k, v in row.items()})
    try:
        return template.format_map(values)
    except (ValueError, IndexError, AttributeError, KeyError):
        return template


def parse_time(value: Any) -> datetime | None:
    """A timestamp from whatever an API or a row holds, or None; never raises.

    datetimes (naive ones taken as UTC), dates (midnight UTC), Unix epochs as numbers or numeric
    strings in seconds, milliseconds, microseconds or nanoseconds (told apart by magnitude; before
    1970 too), and ISO 8601 strings (`Z` or an offset, `T` or a space). Numbers below 10^8 are
    counts or durations, not times; anything out of `datetime`'s range, not finite, or not a
    time → None."""
    if isinstance(value, datetime):
        when = value if value.tzinfo else value.replace(tzinfo=UTC)
        return when if _in_range(when) else None
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_epoch(value)
    if isinstance(value, str):
        text = value.strip()
        if _NUMBER.fullmatch(text):  # all digits: an epoch, never ISO's basic YYYYMMDDhhmmss
            if len(text) > 40:  # past any epoch (and int() refuses > 4300 digits)
                return None
            return _from_epoch(float(text) if "." in text else int(text))
        if len(text) < 10:
            return None
        try:
            parsed = datetime.fromisoformat(text.replace(" ", "T", 1))
        except ValueError:
            return None
        when = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        return when if _in_range(when) else None
    return None


_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# |value| below each bound → the unit it is read in: seconds up to the year 5138, then ms, µs, ns
_UNITS = ((10**11, 1), (10**14, 10**3), (10**17, 10**6), (10**20, 10**9))


def _from_epoch(value: float, *, smallest: float = 10**8) -> datetime | None:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if abs(value) < smallest:
        return None
    for bound, per_second in _UNITS:
        if abs(value) < bound:
            try:
                if isinstance(value, int):  # exact: no float rounding of a µs/ns count
                    whole, rest = divmod(value, per_second)
                    when = _EPOCH + timedelta(
                        seconds=whole, microseconds=rest * 10**6 // per_second
                    )
                else:
                    when = _EPOCH + timedelta(seconds=value / per_second)
            except (OverflowError, ValueError):
                return None
            return when
    return None


def _in_range(when: datetime) -> bool:
    """Whether `when` can be compared with other aware times (its UTC value exists)."""
    try:
        when.astimezone(UTC)
    except (OverflowError, ValueError):
        return False
    return True


def row_time(row: Mapping[str, Any], field: str | None) -> datetime | None:
    if field:
        return parse_time(value_at(row, field))
    for name in TIME_FIELDS:
        if name in row and (value := parse_time(row[name])) is not None:
            return value
    return None


def row_evidence(
    *,
    source: str,
    kind: EvidenceKind,
    row: Mapping[str, Any],
    query: str,
    matcher: EntityMatcher,
    title: str | None = None,
    default_title: str = "",
    time_field: str | None = None,
    url_template: str | None = None,
    match_fields: list[str] | None = None,
    fields: FieldMapping | None = None,
) -> Evidence:
    clean = row_cells(row)
    haystack = row_haystack(clean, match_fields)
    heading = render_template(title, clean) if title else default_title or _default_title(clean)
    evidence = Evidence(
        source=source,
        kind=kind,
        timestamp=row_time(row, time_field),
        title=heading[:300],
        detail="; ".join(f"{k}={_text(v)}" for k, v in clean.items() if v not in (None, ""))[:2000],
        url=render_template(url_template, clean) if url_template else None,
        matched=sorted(matcher.find(haystack)),
        query=query,
        record=clean,
        last_seen=parse_time(end_value(row, fields)),
    )
    return apply(evidence, row, fields)


def row_cells(row: Mapping[str, Any]) -> dict[str, Any]:
    """The row's cells as evidence keeps them (the first 60, capped, JSON for nested values)."""
    return {str(k): _cell(v) for k, v in list(row.items())[:60]}


def row_haystack(clean: Mapping[str, Any], match_fields: list[str] | None = None) -> str:
    """The text of `row_cells` that entities are matched in: `match_fields`, else every cell."""
    return " ".join(
        _text(clean.get(f)) for f in (match_fields or list(clean)) if clean.get(f) is not None
    )


def _default_title(row: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={_text(v)}" for k, v in list(row.items())[:4])


def _cell(value: Any) -> Any:
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str):
        return value[:MAX_CELL]
    if isinstance(value, int | float | bool) or value is None:
        return value
    return json.dumps(value, default=str)[:MAX_CELL]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def epoch_time(value: Any) -> datetime | None:
    """Unix seconds (Stripe, Chargebee) → an aware UTC time (a larger number is read in ms, µs
    or ns by its magnitude); not positive, out of range or anything else → None."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return _from_epoch(value, smallest=0)
    return None


def epoch_text(value: Any) -> str:
    when = epoch_time(value)
    return when.strftime("%Y-%m-%d %H:%M UTC") if when else "-"


def detail_pairs(pairs: Iterable[tuple[str, Any]], limit: int = 1500) -> str:
    """`key=value; …` for the values that are set."""
    out = "; ".join(f"{k}={v}" for k, v in pairs if v not in (None, "", [], {}))
    return out[:limit]
