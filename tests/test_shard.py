"""`batch --shard K/N`: shards are disjoint and cover every ID whatever the order or the
machine, `auto/N` reads the Kubernetes index, bad specs are one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from investigate.cli import app
from investigate.errors import UsageError
from investigate.shard import Shard, parse_shard

ROOT = Path(__file__).resolve().parent.parent
DEMO = [str(n) for n in range(4812, 4822)]

ids_strategy = st.lists(st.text(min_size=1, max_size=20).filter(str.strip), max_size=60)


@given(ids=ids_strategy, count=st.integers(min_value=1, max_value=12), seed=st.randoms())
@settings(max_examples=150, deadline=None)
def test_shards_are_disjoint_cover_everything_and_ignore_order(
    ids: list[str], count: int, seed: object
) -> None:
    shards = [Shard(k, count) for k in range(count)]
    shuffled = ids[:]
    seed.shuffle(shuffled)  # type: ignore[attr-defined]
    taken = [s.select(ids) for s in shards]
    assert sorted(i for share in taken for i in share) == sorted(ids)  # each ID exactly once
    # another machine sees the queue in another order: every ID lands in the same shard
    for shard, share in zip(shards, taken, strict=True):
        assert sorted(shard.select(shuffled)) == sorted(share)


def test_the_split_is_roughly_even() -> None:
    ids = [str(n) for n in range(100_000, 104_000)]
    sizes = [len(Shard(k, 4).select(ids)) for k in range(4)]
    assert all(900 <= size <= 1100 for size in sizes), sizes


def test_auto_takes_the_kubernetes_index_or_the_1_based_variable() -> None:
    assert parse_shard("auto/3", {"JOB_COMPLETION_INDEX": "2"}) == Shard(2, 3)
    assert parse_shard("auto/3", {"INVESTIGATE_SHARD": "1"}) == Shard(0, 3)
    assert parse_shard("2/3", {}) == Shard(1, 3)
    bad_specs: list[tuple[str, dict[str, str]]] = [
        ("0/3", {}),
        ("4/3", {}),
        ("a/b", {}),
        ("auto/3", {}),
        ("1/0", {}),
    ]
    for bad, env in bad_specs:
        with pytest.raises(UsageError):
            parse_shard(bad, env)


def test_batch_shards_split_the_demo_queue(tmp_path: Path) -> None:
    runner = CliRunner()
    seen: list[str] = []
    for k in (1, 2, 3):
        result = runner.invoke(
            app,
            [
                "batch",
                *DEMO,
                "--config",
                str(ROOT / "config.example.yaml"),
                "--analyst",
                "offline",
                "--shard",
                f"{k}/3",
            ],
        )
        assert result.exit_code == 0, result.output
        reports = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
        seen += [r["ticket"]["id"] for r in reports]
    assert sorted(seen) == sorted(DEMO)


def test_the_scale_out_recipes_in_docs_are_valid_yaml_using_real_options() -> None:
    import re

    import yaml

    text = (ROOT / "docs/ci.md").read_text()
    section = text[text.index("## Scaling out") :]
    blocks = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", section, re.S)]
    matrix, job = blocks
    run = matrix["jobs"]["investigate"]["steps"][-2]["run"]
    assert "--shard ${{ matrix.shard }}/4" in run
    assert matrix["jobs"]["investigate"]["strategy"]["matrix"]["shard"] == [1, 2, 3, 4]
    assert job["spec"]["completionMode"] == "Indexed"
    args = job["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[args.index("--shard") + 1] == "auto/4"
    help_text = CliRunner().invoke(app, ["batch", "--help"]).output
    for option in set(re.findall(r"(--[a-z-]+)", run + " ".join(args))):
        assert option in help_text, option
