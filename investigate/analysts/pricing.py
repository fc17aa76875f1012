"""Cost estimates. Built-in list prices in US dollars per million tokens; `llm.prices` in the
config overrides or extends them (negotiated rates, local models at zero)."""

from __future__ import annotations

from investigate.config import Price
from investigate.models import Usage

PRICES: dict[str, Price] = {
    "claude-opus-5-5": Price(input=15.0, output=75.0, cache_read=1.5, cache_write=18.75),
    "claude-sonnet-5-5": Price(input=3.0, output=15.0, cache_read=0.3, cache_write=3.75),
    "claude-haiku-5-5": Price(input=1.0, output=5.0, cache_read=0.1, cache_write=1.25),
}


def cost(model: str, usage: Usage, overrides: dict[str, Price]) -> float | None:
    """Dollars for this usage, or None when the model has no known price."""
    price = overrides.get(model) or PRICES.get(model)
    if price is None:
        return None
    total = (
        usage.input_tokens * price.input
        + usage.output_tokens * price.output
        + usage.cache_read_tokens * price.cache_read
        + usage.cache_write_tokens * price.cache_write
    )
    return round(total / 1_000_000, 6)
