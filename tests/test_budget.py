"""The evidence budget measures what the analyst is actually sent."""

from __future__ import annotations

from investigate.analysts.prompt import render_evidence
from investigate.budget import CHARS_PER_TOKEN, apply_budget, estimate_tokens
from investigate.models import Evidence


def item(title: str = "ERROR api: boom", **kw) -> Evidence:  # type: ignore[no-untyped-def]
    return Evidence(source="logs", kind="log_pattern", title=title, **kw)


def test_the_estimate_is_the_packed_text_not_the_raw_fields() -> None:
    e = item(detail="d" * 50_000, examples=["x" * 10_000] * 10)
    packed = render_evidence(e)
    assert estimate_tokens(e) == int(len(packed) / CHARS_PER_TOKEN) + 1
    assert estimate_tokens(e) < 1_500  # the prompt caps detail and examples; so does the budget


def test_the_query_text_is_not_sent_so_it_costs_nothing() -> None:
    short = item(query="scan logs")
    long = item(query="SELECT " + "x, " * 10_000 + "y FROM t")
    assert estimate_tokens(short) == estimate_tokens(long)


def test_the_budget_keeps_the_best_items_that_fit_and_counts_the_rest() -> None:
    items = [item(f"item {i}", detail="d" * 900) for i in range(10)]
    cost = estimate_tokens(items[0])
    kept, omitted = apply_budget(items, max_items=8, max_tokens=cost * 3 + 1)
    assert [e.title for e in kept] == ["item 0", "item 1", "item 2"]
    assert omitted == 7
    kept, omitted = apply_budget(items, max_items=8, max_tokens=10)
    assert len(kept) == 1 and omitted == 9  # the top item always goes through
