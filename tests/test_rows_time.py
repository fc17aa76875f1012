"""`investigate.sdk.rows.parse_time` / `epoch_time`: every timestamp shape the connectors meet in
spec-valid answers (epochs in s/ms/µs/ns, numeric strings, ISO 8601 with `Z` or an offset),
and None, never an exception, for anything else (a spec-valid int64 such as Datadog's
`last_triggered_ts` = 5132614940156701 once raised `ValueError: year … out of range`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from investigate.sdk.rows import epoch_text, epoch_time, parse_time

WHEN = datetime(2026, 11, 24, 9, 20, 0, tzinfo=UTC)
SECONDS = int(WHEN.timestamp())


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (SECONDS, WHEN),
        (SECONDS * 1000 + 125, WHEN + timedelta(milliseconds=125)),
        (SECONDS * 10**6 + 125_001, WHEN + timedelta(microseconds=125_001)),
        (SECONDS * 10**9 + 125_001_999, WHEN + timedelta(microseconds=125_001)),
        (float(SECONDS) + 0.5, WHEN + timedelta(milliseconds=500)),
        (-SECONDS, datetime(1970, 1, 1, tzinfo=UTC) - (WHEN - datetime(1970, 1, 1, tzinfo=UTC))),
        (-(10**12), datetime(1938, 4, 24, 22, 13, 20, tzinfo=UTC)),  # ms before 1970
        (str(SECONDS), WHEN),
        (f" {SECONDS * 1000} ", WHEN),
        (f"{SECONDS}.25", WHEN + timedelta(milliseconds=250)),
        ("2026-11-24T09:20:00Z", WHEN),
        ("2026-11-24T09:20:00.000Z", WHEN),
        ("2026-11-24 10:20:00+01:00", WHEN),
        ("2026-11-24T04:20:00-05:00", WHEN),
        ("2026-11-24T09:20:00", WHEN),
        (datetime(2026, 11, 24, 9, 20), WHEN),
        (datetime(2026, 11, 24, 11, 20, tzinfo=timezone(timedelta(hours=2))), WHEN),
        (date(2026, 11, 24), datetime(2026, 11, 24, tzinfo=UTC)),
    ],
)
def test_every_timestamp_shape(value: object, expected: datetime) -> None:
    assert parse_time(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        5132614940156701 * 10**6,  # past any epoch unit
        10**25,
        -(10**25),
        10**400,  # more than a float can hold
        "9" * 400,
        "9" * 5000,
        1e300,
        float("nan"),
        float("inf"),
        -float("inf"),
        42,  # a count, not a time
        "42",
        True,
        None,
        "garbage that is long",
        "2026-13-45T99:99:99Z",
        "0001-01-01T00:00:00+05:00",  # before datetime.min in UTC
        "9999-12-31T23:59:59-05:00",  # after datetime.max in UTC
        "1" * 40,
        [SECONDS],
        {"at": SECONDS},
    ],
)
def test_out_of_range_and_garbage_are_none(value: object) -> None:
    assert parse_time(value) is None


def test_a_spec_valid_int64_epoch_is_a_time_not_an_exception() -> None:
    got = parse_time(5132614940156701)  # Datadog last_triggered_ts from a Prism mock
    assert got is not None and got.tzinfo is not None  # read as µs: 2132
    assert epoch_time(5132614940156701) == got


def test_epoch_time_is_unix_seconds() -> None:
    assert epoch_time(SECONDS) == WHEN
    assert epoch_time(1000) == datetime(1970, 1, 1, 0, 16, 40, tzinfo=UTC)
    for bad in (0, -5, 1e300, 10**25, float("nan"), True, "1764000000", None):
        assert epoch_time(bad) is None
    assert epoch_text(10**25) == "-"


def _usable(got: datetime | None) -> None:
    if got is not None:
        assert got.tzinfo is not None
        got.astimezone(UTC)  # comparable with the window: no overflow later either


@given(
    st.integers()
    | st.integers(min_value=10**17, max_value=10**500)
    | st.floats(allow_nan=True, allow_infinity=True)
)
def test_numbers_never_raise(value: float) -> None:
    _usable(parse_time(value))
    _usable(epoch_time(value))
    epoch_text(value)


@given(st.text() | st.from_regex(r"[+-]?\d{1,25}(\.\d{1,9})?", fullmatch=True))
def test_strings_never_raise(value: str) -> None:
    _usable(parse_time(value))


@given(st.datetimes(timezones=st.none() | st.timezones()))
def test_datetimes_never_raise(value: datetime) -> None:
    _usable(parse_time(value))
    _usable(parse_time(value.isoformat()))
