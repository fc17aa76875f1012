"""Text relevance (Okapi BM25) between a ticket and a set of records such as bug reports."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

_TOKEN = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)*")
_STOP = frozenset(
    "a an and are as at be but by for from has have i in is it its of on or our that the this "
    "to was we were with you your not no can cannot does do".split()
)


def tokens(text: str) -> list[str]:
    out = []
    for token in _TOKEN.findall(text.lower()[:100_000]):
        if token in _STOP or len(token) < 2:
            continue
        out.append(token)
        if "_" in token:  # ERR_EXPORT_SERIALIZE also counts as export, serialize
            out.extend(p for p in token.split("_") if len(p) > 2 and p not in _STOP)
    return out


def bm25(query: str, documents: Sequence[str], k1: float = 1.2, b: float = 0.75) -> list[float]:
    """One score per document; 0 means no query term occurs in it."""
    docs = [Counter(tokens(d)) for d in documents]
    if not docs:
        return []
    avg = sum(sum(d.values()) for d in docs) / len(docs) or 1.0
    df: Counter[str] = Counter()
    for d in docs:
        df.update(d.keys())
    terms = set(tokens(query))
    n = len(docs)
    scores = []
    for d in docs:
        length = sum(d.values())
        score = 0.0
        for term in terms & d.keys():
            idf = math.log(1 + (n - df[term] + 0.5) / (df[term] + 0.5))
            tf = d[term]
            score += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / avg))
        scores.append(score)
    return scores
