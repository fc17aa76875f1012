"""Recall@k / MRR of duplicate-bug retrieval on GitBugs Hadoop (baseline BM25)."""

from __future__ import annotations

import csv
import math
import sys
import time
from collections import Counter
from pathlib import Path

from investigate.relevance import tokens

DATA = Path(__file__).resolve().parents[2] / "shared/data/gitbugs-hadoop"


def pairs(name: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    with open(DATA / name, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            for d in row["Duplicate id"].split(","):
                out.setdefault(row["Issue id"].strip(), set()).add(d.strip())
    return out


def main() -> int:
    if not DATA.is_dir():
        print(f"data folder absent: {DATA}", file=sys.stderr)
        return 2
    with open(DATA / "hadoop_bugs.csv", newline="", encoding="utf-8") as f:
        bugs = list(csv.DictReader(f))
    ids = [b["Issue id"] for b in bugs]
    texts = [b["Summary"] + "\n" + b["Description"] for b in bugs]
    t0 = time.perf_counter()
    docs = [Counter(tokens(t)) for t in texts]
    lens = [sum(d.values()) for d in docs]
    avg = sum(lens) / len(docs)
    df: Counter[str] = Counter()
    for d in docs:
        df.update(d.keys())
    n = len(docs)
    build = time.perf_counter() - t0
    k1, b = 1.2, 0.75
    for split in ("train", "test", "combined"):
        p = pairs(f"hadoop_bugs-{split}.csv")
        r1 = r5 = r10 = mrr = 0.0
        t1 = time.perf_counter()
        for q, targets in p.items():
            qi = ids.index(q)
            terms = set(tokens(texts[qi]))
            scores = []
            for i, d in enumerate(docs):
                s = 0.0
                for term in terms & d.keys():
                    idf = math.log(1 + (n - df[term] + 0.5) / (df[term] + 0.5))
                    tf = d[term]
                    s += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * lens[i] / avg))
                scores.append(s)
            order = [i for i in sorted(range(n), key=lambda i: -scores[i]) if i != qi]
            rank = next(r for r, i in enumerate(order, 1) if ids[i] in targets)
            r1 += rank <= 1
            r5 += rank <= 5
            r10 += rank <= 10
            mrr += 1 / rank
        m = len(p)
        per_q = (time.perf_counter() - t1) / m * 1000
        print(
            f"{split:9} baseline queries={m:3} R@1={r1 / m:.3f} R@5={r5 / m:.3f} "
            f"R@10={r10 / m:.3f} MRR={mrr / m:.3f} per-query={per_q:.1f}ms"
        )
    print(f"index build {build:.2f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
