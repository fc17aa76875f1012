"""Grouping Accuracy of investigate.sdk.drain on the LogHub 2k samples (tuned vs default)."""

from __future__ import annotations

import csv
import json
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from investigate.sdk.drain import Drain, DrainSettings
from investigate.sdk.patterns import DRAIN, template

DATA = Path(__file__).resolve().parents[2] / "shared/data/loghub-2k"
PUBLISHED = {
    "HDFS": 0.9975,
    "Hadoop": 0.9475,
    "Spark": 0.92,
    "Zookeeper": 0.9665,
    "BGL": 0.9625,
    "HPC": 0.887,
    "Thunderbird": 0.955,
    "Windows": 0.997,
    "Linux": 0.69,
    "Android": 0.911,
    "HealthApp": 0.78,
    "Apache": 1.0,
    "Proxifier": 0.5265,
    "OpenSSH": 0.7875,
    "OpenStack": 0.7325,
    "Mac": 0.7865,
}


def contents(ds: str, log_format: str) -> list[str]:
    headers = re.findall(r"<(\w+)>", log_format)
    parts = re.split(r"(<\w+>)", log_format)
    rx = "".join(
        f"(?P<{p[1:-1]}>.*?)" if p.startswith("<") else re.sub(r" +", r"\\s+", p) for p in parts
    )
    pattern = re.compile("^" + rx + "$")
    out = []
    for line in (
        (DATA / ds / f"{ds}_2k.log").read_text(encoding="utf-8", errors="replace").splitlines()
    ):
        m = pattern.match(line.strip())
        out.append(m.group("Content") if m and "Content" in headers else line)
    return out


def ga(pred: list[int], truth: list[str]) -> float:
    p: dict[int, set[int]] = defaultdict(set)
    t: dict[str, set[int]] = defaultdict(set)
    for i, (a, b) in enumerate(zip(pred, truth, strict=True)):
        p[a].add(i)
        t[b].add(i)
    return sum(1 for i in range(len(pred)) if p[pred[i]] == t[truth[i]]) / len(pred)


def labels(ds: str, corrected: bool) -> list[str]:
    name = f"{ds}_2k.log_structured_corrected.csv" if corrected else f"{ds}_2k.log_structured.csv"
    path = DATA / ds / name
    if not path.exists():
        path, corrected = DATA / ds / f"{ds}_2k.log_structured.csv", False
    with path.open(encoding="utf-8", newline="") as f:
        return [r["EventTemplate"] if corrected else r["EventId"] for r in csv.DictReader(f)]


def run(ds: str, cfg: dict[str, object], tuned: bool) -> list[int]:
    masks = tuple((str(r), "<*>") for r in cfg.get("regex", [])) if tuned else None  # type: ignore[attr-defined]
    s = (
        DrainSettings(similarity=float(cfg["st"]), depth=int(cfg["depth"]), masks=masks)
        if tuned and masks is not None
        else DrainSettings()
    )  # type: ignore[arg-type]
    d = Drain(s)
    lines = contents(ds, str(cfg["log_format"]))
    for line in lines:
        d.add(line)
    return [(d.match(line) or d.add(line)).id for line in lines]


def run_product(ds: str, cfg: dict[str, object]) -> list[int]:
    """What `investigate` itself does with a log line: `patterns.template` masking, then a
    Drain miner with the grouper's settings (similarity 0.6, error codes as anchors)."""
    d = Drain(DRAIN)
    lines = [template(line).split() for line in contents(ds, str(cfg["log_format"]))]
    return [d.add_tokens(tokens).id for tokens in lines]


def main() -> int:
    if not DATA.is_dir():
        print(f"{DATA} not present (../shared/data/loghub-2k from the repo root)", file=sys.stderr)
        return 2
    settings = json.loads((DATA / "drain-benchmark-settings.json").read_text())
    start = time.perf_counter()
    rows = []
    print(
        f"{'dataset':12} {'tuned':>7} {'default':>7} {'product':>7} {'tunedC':>7} {'defC':>7} "
        f"{'publ':>7}"
    )
    for ds, pub in PUBLISHED.items():
        cfg = settings["settings"][ds]
        t, d, g = run(ds, cfg, True), run(ds, cfg, False), run_product(ds, cfg)
        orig, corr = labels(ds, False), labels(ds, True)
        row = (ga(t, orig), ga(d, orig), ga(g, orig), ga(t, corr), ga(d, corr), pub)
        rows.append(row)
        print(f"{ds:12} " + " ".join(f"{x:7.4f}" for x in row))
    means = [sum(c) / len(rows) for c in zip(*rows, strict=True)]
    print(f"{'MEAN':12} " + " ".join(f"{x:7.4f}" for x in means))
    print(
        f"wall time {time.perf_counter() - start:.1f}s (tunedC/defC = corrected GT by "
        "EventTemplate; product = patterns.template masking + the grouper's Drain settings)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
