"""`batch --workers N`: the same reports, in the order of the IDs, and the same files, for any N."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
IDS = ["4815", "4812", "4821", "4813", "4818", "4814", "4820", "4816", "4819", "4817", "nope"]
VOLATILE = {"generated_at", "elapsed_ms", "minutes_left"}


def stable(value: Any) -> Any:
    """The report without the fields that measure time."""
    if isinstance(value, dict):
        return {k: stable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [stable(v) for v in value]
    return value


def batch(*extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "investigate",
            "batch",
            *IDS,
            "--config",
            str(ROOT / "config.example.yaml"),
            "--analyst",
            "offline",
            "--until",
            "2026-11-30T00:00:00Z",  # the window's end, else "now" differs between runs
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.slow
def test_reports_come_out_in_id_order_and_the_same_for_one_or_two_workers(tmp_path: Path) -> None:
    one = batch("--workers", "1")
    two = batch("--workers", "2", "--concurrency", "2")

    assert one.returncode == two.returncode == 3  # "nope" is not a ticket
    first = [stable(json.loads(line)) for line in one.stdout.splitlines()]
    second = [stable(json.loads(line)) for line in two.stdout.splitlines()]
    assert [r["ticket"]["id"] for r in first] == IDS[:-1]
    assert first == second
    assert "10 ok" in one.stderr.replace("\n", " ") and "10 ok" in two.stderr.replace("\n", " ")
    assert "failed nope" in two.stderr


@pytest.mark.slow
def test_output_files_are_the_same_for_one_or_two_workers(tmp_path: Path) -> None:
    batch("--workers", "1", "-d", str(tmp_path / "one"))
    batch("--workers", "2", "-d", str(tmp_path / "two"))

    names = sorted(p.name for p in (tmp_path / "one").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "two").iterdir())
    assert len(names) == 10
    for name in names:
        one = stable(json.loads((tmp_path / "one" / name).read_text()))
        assert one == stable(json.loads((tmp_path / "two" / name).read_text())), name
