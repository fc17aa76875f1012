"""Baseline vs window for one Prometheus range-vector series (the `prometheus` connector's
"did it change?"): the median before the window, the window's max and last value, and the first
step in the window above the change threshold."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from investigate.sdk.evidence import str_map


class Thresholds(Protocol):
    """What makes a step a change: above `threshold`, else above `factor` × the baseline
    median; never at or below `min_value`."""

    @property
    def threshold(self) -> float | None: ...

    @property
    def factor(self) -> float: ...

    @property
    def min_value(self) -> float: ...


@dataclass
class Summary:
    labels: dict[str, str]
    baseline: float | None
    baseline_points: int
    window_max: float | None
    window_last: float | None
    last_at: datetime | None
    threshold: float | None
    changed_at: datetime | None
    changed_value: float | None


def summarise(series: Any, q: Thresholds, window_start: datetime) -> Summary | None:
    """Baseline (median before the window) vs the window, and the first step past the threshold."""
    if not isinstance(series, dict) or not isinstance(series.get("values"), list):
        return None
    points = []
    for pair in series["values"]:
        if isinstance(pair, list) and len(pair) == 2:
            try:
                when, value = float(pair[0]), float(pair[1])
            except (TypeError, ValueError):
                continue
            if math.isfinite(value):
                points.append((datetime.fromtimestamp(when, tz=UTC), value))
    before = [v for t, v in points if t < window_start]
    during = [(t, v) for t, v in points if t >= window_start]
    baseline = statistics.median(before) if before else None
    if q.threshold is not None:
        threshold: float | None = q.threshold
    elif baseline is not None:
        threshold = baseline * q.factor
    else:
        threshold = None
    changed = next(
        ((t, v) for t, v in during if threshold is not None and v > threshold and v > q.min_value),
        None,
    )
    return Summary(
        labels=str_map(series.get("metric"), 100),
        baseline=baseline,
        baseline_points=len(before),
        window_max=max((v for _, v in during), default=None),
        window_last=during[-1][1] if during else None,
        last_at=during[-1][0] if during else None,
        threshold=threshold,
        changed_at=changed[0] if changed else None,
        changed_value=changed[1] if changed else None,
    )


def num(value: float | None) -> str:
    return "none" if value is None else f"{value:.4g}"


def describe(s: Summary, promql: str) -> str:
    """The detail lines of a series' evidence."""
    crossed = f", first crossed at {s.changed_at:%Y-%m-%d %H:%M:%S} UTC" if s.changed_at else ""
    return "\n".join(
        [
            f"baseline median {num(s.baseline)} ({s.baseline_points} points before the window)",
            f"window max {num(s.window_max)}, last {num(s.window_last)}",
            f"change threshold {num(s.threshold)}{crossed}",
            f"promql: {promql}",
        ]
    )


def rfc3339(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
