"""Durations (`90s`, `15m`, `1h30m`, `2d`) and points in time (ISO 8601 or a duration ago)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")


def parse_duration(value: str | int | float | timedelta) -> timedelta:
    try:
        return _parse_duration(value)
    except OverflowError:
        raise ValueError(f"duration out of range: {value!r}") from None


def _parse_duration(value: str | int | float | timedelta) -> timedelta:
    """`"1h30m"` → 90 minutes. A bare number is seconds.

    >>> parse_duration("1h30m")
    datetime.timedelta(seconds=5400)
    """
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"a duration cannot be negative: {value!r}")
        return timedelta(seconds=value)
    if not isinstance(value, str):  # null, a list, a mapping, a date from YAML
        raise ValueError(f"not a duration: {value!r} (use e.g. 30s, 15m, 24h, 7d)")
    text = value.strip().lower().replace(" ", "")
    if text.startswith("-") and _parses(text[1:]):
        raise ValueError(f"a duration must be positive: {value!r} (use e.g. 30s, 15m, 24h, 7d)")
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return timedelta(seconds=float(text))
    pos, total = 0, 0.0
    for match in _PART.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos != len(text) or not text:
        raise ValueError(f"not a duration: {value!r} (use e.g. 30s, 15m, 24h, 7d)")
    return timedelta(seconds=total)


def _parses(text: str) -> bool:
    try:
        _parse_duration(text)
    except ValueError:
        return False
    return True


def option_duration(option: str, value: str | None) -> timedelta | None:
    """A command-line duration that must be more than zero (`--timeout 0` is a mistake)."""
    from investigate.errors import UsageError

    if value is None:
        return None
    try:
        parsed = parse_duration(value)
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}", hint=f"e.g. {option} 30s") from None
    if parsed.total_seconds() <= 0:
        raise UsageError(
            f"{option}: must be more than 0 (got {value!r})", hint=f"e.g. {option} 30s"
        )
    return parsed


def parse_time(value: str, *, now: datetime) -> datetime:
    """An ISO 8601 time (naive means UTC), `now`, or a duration meaning that long before `now`."""
    text = value.strip()
    if text.lower() == "now":
        return now
    try:
        return now - parse_duration(text)
    except ValueError:
        pass
    except OverflowError:
        raise ValueError(f"time out of range: {value!r}") from None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"not a time: {value!r} (use ISO 8601 like 2026-11-24T09:00:00Z, or a duration like 6h)"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
