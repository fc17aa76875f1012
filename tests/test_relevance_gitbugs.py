"""Duplicate-bug retrieval on real Hadoop JIRA reports (GitBugs, CC BY 4.0, Patil 2025).

Needs ../shared/data/gitbugs-hadoop; skipped when absent. Floors sit ~0.03 below the numbers
measured with the tuned defaults (benchmarks/gitbugs_recall.py prints the full table).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "gitbugs-hadoop"

pytestmark = pytest.mark.skipif(
    not (DATA / "hadoop_bugs.csv").is_file(),
    reason=f"GitBugs-Hadoop data absent ({DATA}); it lives in ../shared beside the repo",
)


def _benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gitbugs_recall", REPO / "benchmarks" / "gitbugs_recall.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return _benchmark()


@pytest.fixture(scope="module")
def results(bench: ModuleType) -> dict[tuple[str, str], Any]:
    corpus = bench.load_corpus(DATA)
    assert len(corpus.ids) == 2503
    rows = bench.run(
        corpus, {"baseline": bench.baseline, "improved": bench.improved}, ("train", "test"), DATA
    )
    return {(r.method, r.split): r for r in rows}


def test_pairs_are_loaded_with_the_comma_separated_row_split(bench: ModuleType) -> None:
    test = bench.load_pairs("test", DATA)

    assert len(bench.load_pairs("train", DATA)) == 100
    assert test["13438913"] == {"13547000", "13396667"}


@pytest.mark.slow  # ranks every git-bug world (the `results` fixture)
@pytest.mark.parametrize("split", ["train", "test"])
def test_improved_beats_the_baseline(results: dict[tuple[str, str], Any], split: str) -> None:
    base, new = results["baseline", split], results["improved", split]

    assert new.mrr > base.mrr
    assert new.r5 >= base.r5 and new.r10 > base.r10


# Measured with the tuned defaults: train R@1 .58 R@5 .81 R@10 .85 MRR .674; test .346 .808 .885 .538.
FLOORS = {
    "train": {"r1": 0.58 - 0.03, "r5": 0.81 - 0.03, "r10": 0.85 - 0.03, "mrr": 0.674 - 0.03},
    "test": {"r1": 0.346 - 0.03, "r5": 0.808 - 0.03, "r10": 0.885 - 0.03, "mrr": 0.538 - 0.03},
}


@pytest.mark.slow  # ranks every git-bug world (the `results` fixture)
@pytest.mark.parametrize("split", ["train", "test"])
def test_improved_reaches_its_floor(results: dict[tuple[str, str], Any], split: str) -> None:
    row = results["improved", split]
    for metric, floor in FLOORS[split].items():
        assert getattr(row, metric) >= floor, (
            f"{split} {metric} {getattr(row, metric):.3f} < {floor:.3f}"
        )


# Index and query times are printed by benchmarks/gitbugs_recall.py, not asserted: the machines
# are shared and noisy (a 2 s bound failed at 6.3 s under load).


@pytest.mark.slow  # ranks every git-bug world (the `results` fixture)
def test_the_table_shows_both_methods_side_by_side(
    bench: ModuleType, results: dict[tuple[str, str], Any]
) -> None:
    text = bench.table(list(results.values()))

    lines = text.splitlines()
    assert lines[0].split() == [
        "method",
        "split",
        "n",
        "R@1",
        "R@5",
        "R@10",
        "MRR",
        "index",
        "per-query",
    ]
    assert {tuple(line.split()[:2]) for line in lines[2:]} == set(results)
