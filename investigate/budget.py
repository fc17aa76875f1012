"""The evidence budget: what the analyst sees is capped by count and by an estimate of tokens,
highest rank first."""

from __future__ import annotations

from investigate.analysts.prompt import CHARS_PER_TOKEN, render_evidence
from investigate.models import Evidence

__all__ = ["CHARS_PER_TOKEN", "apply_budget", "estimate_tokens"]


def estimate_tokens(e: Evidence) -> int:
    """Tokens of the item as packed into the prompt (capped fields, no query text)."""
    return int(len(render_evidence(e)) / CHARS_PER_TOKEN) + 1


def apply_budget(
    items: list[Evidence], max_items: int, max_tokens: int
) -> tuple[list[Evidence], int]:
    """Keep the best items that fit; return them and how many were left out."""
    kept: list[Evidence] = []
    used = 0
    for e in items[:max_items]:
        cost = estimate_tokens(e)
        if used + cost > max_tokens and kept:
            break
        kept.append(e)
        used += cost
    return kept, len(items) - len(kept)
