"""Prompt size per demo ticket: our packed, fenced prompt vs. sending every evidence item raw
(as JSON, no budget), and the share of each prompt that is cacheable (system prompt + tool).

    .venv/bin/python benchmarks/prompt_tokens.py

Token counts are our conservative estimate (characters / 3); the report's `usage` carries the
estimate next to the provider's `input_tokens` so the ratio can be calibrated on real traffic.
"""

from __future__ import annotations

import asyncio
import json
import statistics
from pathlib import Path

import yaml

from investigate.analysts.prompt import build_prompt
from investigate.budget import CHARS_PER_TOKEN
from investigate.config import load_config
from investigate.context import Context
from investigate.evidence.redaction import Redactor
from investigate.options import RunOptions
from investigate.pipeline import gather

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config.example.yaml"


def tokens(text: str) -> int:
    return int(len(text) / CHARS_PER_TOKEN) + 1


async def measure(ticket_id: str) -> tuple[int, int, int, float, int]:
    ctx = Context(config=load_config(CONFIG))
    packed_data = await gather(ctx, RunOptions(ticket_id=ticket_id))
    prompt = build_prompt(packed_data, Redactor())
    settings = ctx.config.settings.investigation
    settings.max_evidence, settings.evidence_budget_tokens = 500, 10**9
    everything = await gather(ctx, RunOptions(ticket_id=ticket_id))
    raw = json.dumps(
        {
            "ticket": everything.ticket.model_dump(mode="json"),
            "evidence": [e.model_dump(mode="json") for e in everything.evidence],
        }
    )
    raw_tokens = tokens(prompt.system) + tokens(raw)
    return (
        prompt.estimated_tokens,
        raw_tokens,
        len(everything.evidence),
        prompt.cacheable_share,
        len(packed_data.evidence),
    )


def main() -> None:
    expected = yaml.safe_load((ROOT / "examples/demo/expected.yaml").read_text())
    rows = [(t, *asyncio.run(measure(t))) for t in expected]
    print(f"{'ticket':<7} {'packed':>7} {'raw':>8} {'ratio':>6} {'items':>9} {'cacheable':>9}")
    for t, packed, raw, total, share, kept in rows:
        print(
            f"{t:<7} {packed:>7,} {raw:>8,} {raw / packed:>5.1f}x {kept:>3}/{total:<5} {share:>8.0%}"
        )
    ratios = [raw / packed for _, packed, raw, *_ in rows]
    print(
        f"median packed {statistics.median(r[1] for r in rows):,.0f} tokens; "
        f"raw/packed median {statistics.median(ratios):.1f}x; "
        f"cacheable median {statistics.median(r[4] for r in rows):.0%}"
    )


if __name__ == "__main__":
    main()
