from investigate.sdk.drain import Drain, DrainSettings


def test_groups_and_wildcards() -> None:
    d = Drain()
    a = d.add("conn from alice closed")
    b = d.add("conn from bob closed")
    assert a.id == b.id and b.template == "conn from <*> closed" and b.size == 2


def test_masks_whole_tokens_only() -> None:
    d = Drain()
    c = d.add("user usr_81 took 532 ms on node12")
    assert c.template == "user <ID> took <NUM> ms on node12"


def test_match_does_not_learn() -> None:
    d = Drain()
    d.add("disk full on sda")
    assert d.match("totally different line here") is None
    assert len(d.clusters) == 1
    m = d.match("disk full on sdb")
    assert m is not None and m.size == 1


def test_max_clusters_bound() -> None:
    d = Drain(DrainSettings(max_clusters=2))
    for i in range(50):
        d.add(f"w{i} " * (i % 7 + 1))
    assert len(d.clusters) <= 3


def test_loghub_ga_tuned() -> None:
    import importlib.util
    import json
    from pathlib import Path

    import pytest

    root = Path(__file__).resolve().parents[1]
    if not (root.parent / "shared/data/loghub-2k").is_dir():
        pytest.skip("../shared/data/loghub-2k not present")
    spec = importlib.util.spec_from_file_location("loghub_ga", root / "benchmarks/loghub_ga.py")
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    cfg = json.loads((bench.DATA / "drain-benchmark-settings.json").read_text())["settings"]
    # Proxifier: Drain's published GA is 0.5265, so 0.9 is out of reach for any Drain.
    for ds, floor in {"HDFS": 0.9, "Apache": 0.9, "Proxifier": 0.52}.items():
        assert bench.ga(bench.run(ds, cfg[ds], True), bench.labels(ds, False)) >= floor, ds
