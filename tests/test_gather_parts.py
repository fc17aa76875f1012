"""`investigate.sdk.contract.gather_parts`: a connector's own concurrent calls keep what answered
when some fail, and the report says which failed (status `error`/`timeout`, the reason, the
items kept); all failing is still the source failing."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import pytest

from investigate.errors import SourceError, SourceTimeout
from investigate.models import Evidence
from investigate.pipeline import _combine
from investigate.recording import Cache, result_from_json, result_to_json
from investigate.sdk.contract import Collected, gather_parts


async def ok(value: int) -> int:
    await asyncio.sleep(0)
    return value


async def fails(message: str, cls: type[SourceError] = SourceError) -> int:
    await asyncio.sleep(0)
    raise cls(message, hint="check the key's permissions")


async def test_the_parts_that_answer_are_kept_and_the_failures_recorded() -> None:
    out = Collected()
    got = await gather_parts(out, [ok(1), fails("HTTP 403 from GET /v1/invoices"), ok(3)], -1)
    assert got == [1, -1, 3]
    assert [f.message for f in out.failures] == ["HTTP 403 from GET /v1/invoices"]


async def test_all_failing_is_the_source_failing() -> None:
    out = Collected()
    with pytest.raises(SourceError, match="first"):
        await gather_parts(out, [fails("first"), fails("second")], 0)
    assert await gather_parts(out, [], 0) == []


async def test_a_bug_is_not_swallowed() -> None:
    async def broken() -> int:
        raise KeyError("bug")

    with pytest.raises(KeyError):
        await gather_parts(Collected(), [ok(1), broken()], 0)


def evidence(n: int) -> list[Evidence]:
    return [Evidence(source="billing", kind="invoice", title=f"in_{i}") for i in range(n)]


def test_the_report_shows_the_failure_and_keeps_the_evidence() -> None:
    out = Collected(evidence=evidence(2))
    out.failures += [
        SourceError("stripe 'billing': HTTP 403 from GET /v1/invoices", hint="grant read access"),
        SourceError("stripe 'billing': HTTP 403 from GET /v1/charges"),
    ]
    [source], items, _ = _combine({"billing": "stripe"}, {"billing": (out, 40)}, {})
    assert source.status == "error" and source.items == 2 and len(items) == 2
    assert source.error == (
        "stripe 'billing': HTTP 403 from GET /v1/invoices (grant read access); partial: 2 "
        "item(s) from the calls that answered, 1 more call(s) failed"
    )
    timed_out = Collected(evidence=evidence(1), failures=[SourceTimeout("no answer")])
    [source], _, _ = _combine({"b": "stripe"}, {"b": (timed_out, 40)}, {})
    assert source.status == "timeout" and source.items == 1


def test_failures_survive_a_recording_and_are_not_cached(tmp_path: Path) -> None:
    out = Collected(evidence=evidence(1), failures=[SourceTimeout("no answer", hint="h")])
    back, _ = result_from_json(json.loads(json.dumps(result_to_json(out, 7))))
    assert isinstance(back, Collected)
    [failure] = back.failures
    assert isinstance(failure, SourceTimeout) and (failure.message, failure.hint) == (
        "no answer",
        "h",
    )
    cache = Cache(tmp_path, timedelta(minutes=10))
    cache.put("k", out, 7)
    assert cache.get("k") is None
    cache.put("k", Collected(evidence=evidence(1)), 7)
    assert cache.get("k") is not None
