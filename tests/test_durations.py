"""Durations (`30s`, `1h30m`) and points in time (`6h`, ISO 8601, `now`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from investigate.durations import parse_duration, parse_time

NOW = datetime(2026, 11, 24, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("15m", timedelta(minutes=15)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("2d", timedelta(days=2)),
        ("1w", timedelta(weeks=1)),
        ("500ms", timedelta(milliseconds=500)),
        ("1.5h", timedelta(minutes=90)),
        ("1h 30m", timedelta(minutes=90)),
        (" 15M ", timedelta(minutes=15)),
        ("90", timedelta(seconds=90)),
        ("2.5", timedelta(seconds=2.5)),
        ("0", timedelta(0)),
    ],
)
def test_parse_duration_text(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(45, timedelta(seconds=45)), (1.5, timedelta(seconds=1.5)), (0, timedelta(0))],
)
def test_parse_duration_bare_numbers_are_seconds(value: float, expected: timedelta) -> None:
    assert parse_duration(value) == expected


def test_parse_duration_passes_a_timedelta_through() -> None:
    delta = timedelta(minutes=7, seconds=3)
    assert parse_duration(delta) is delta


@pytest.mark.parametrize("text", ["-5", "-5s", "-1h30m"])
def test_a_negative_duration_is_told_to_be_positive_not_garbage(text: str) -> None:
    """`--timeout -5s` is a duration with the wrong sign, not "not a duration" (issue 15)."""
    with pytest.raises(ValueError, match=r"a duration must be positive") as info:
        parse_duration(text)
    assert "30s" in str(info.value)


@pytest.mark.parametrize("text", ["abc", "--5", "", "   ", "1x", "1m30", "h", "1e5", "5 minutes"])
def test_parse_duration_rejects_garbage_with_an_example(text: str) -> None:
    with pytest.raises(ValueError, match=r"not a duration") as info:
        parse_duration(text)
    assert "30s" in str(info.value)  # the message shows what a duration looks like


@pytest.mark.parametrize("value", [-5, -0.5, True])
def test_parse_duration_rejects_negative_numbers_and_booleans(value: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["9999999999d", "99999999999999999999s", float("inf")])
def test_parse_duration_out_of_range_is_a_value_error(value: str | float) -> None:
    # A huge duration in a config file or on the command line must be reported as a bad
    # value (ValueError → a clean message), not crash with OverflowError.
    with pytest.raises(ValueError):
        parse_duration(value)


@given(st.text(alphabet="0123456789.smhdwx -", max_size=20))
def test_parse_duration_only_ever_raises_value_error(text: str) -> None:
    try:
        result = parse_duration(text)
    except ValueError:
        return
    assert isinstance(result, timedelta)
    assert result >= timedelta(0)


def test_parse_time_iso_with_z_is_utc() -> None:
    assert parse_time("2026-11-24T09:00:00Z", now=NOW) == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def test_parse_time_naive_iso_means_utc() -> None:
    parsed = parse_time("2026-11-24T09:00:00", now=NOW)
    assert parsed.tzinfo is not None
    assert parsed == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def test_parse_time_keeps_an_explicit_offset() -> None:
    parsed = parse_time("2026-11-24T09:00:00+02:00", now=NOW)
    assert parsed == datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
    assert parsed.utcoffset() == timezone(timedelta(hours=2)).utcoffset(None)


@pytest.mark.parametrize(
    ("text", "ago"),
    [("6h", timedelta(hours=6)), ("30m", timedelta(minutes=30)), ("2d", timedelta(days=2))],
)
def test_parse_time_duration_means_that_long_before_now(text: str, ago: timedelta) -> None:
    assert parse_time(text, now=NOW) == NOW - ago


@pytest.mark.parametrize("text", ["now", "NOW", " now "])
def test_parse_time_now(text: str) -> None:
    assert parse_time(text, now=NOW) == NOW


@pytest.mark.parametrize("text", ["yesterday", "2026-13-45", "soon", ""])
def test_parse_time_garbage_has_a_helpful_message(text: str) -> None:
    with pytest.raises(ValueError, match=r"not a time") as info:
        parse_time(text, now=NOW)
    message = str(info.value)
    assert "ISO 8601" in message
    assert "6h" in message


def test_parse_time_too_far_back_is_a_value_error() -> None:
    # `--since 999999d` is before year 1: a bad value, not an OverflowError traceback.
    with pytest.raises(ValueError):
        parse_time("999999d", now=NOW)
