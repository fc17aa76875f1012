"""Fixtures for the hostile corpus: a throwaway copy of the demo setup whose ticket source is a
folder we fill with hostile tickets, and an in-process CLI runner that times every call."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from busyclock import Stopwatch
from corpus import Setup, Timed

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "demo"
DEMO_CONFIG = ROOT / "config.example.yaml"
TIME_LIMIT_S = 60.0
"""A hang detector, not a speed test (speed is measured in benchmarks/): one hostile input
that makes a run take a minute is a bug; a loaded CI machine taking 12 s is not."""


def _demo_settings(root: Path) -> dict[str, Any]:
    """config.example.yaml with every path absolute, tickets in `root/tickets`, a DB copy."""
    settings: dict[str, Any] = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))
    settings["llm"] = {"provider": "offline"}
    connectors = settings["connectors"]
    connectors["tickets"]["path"] = "tickets"
    connectors["db"]["path"] = "demo.db"
    connectors["logs"]["paths"] = [str(ROOT / p) for p in connectors["logs"]["paths"]]
    for name, section in connectors.items():
        if name not in ("tickets", "db", "logs") and "path" in section:
            section["path"] = str(ROOT / section["path"])
    return settings


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    (tmp_path / "tickets").mkdir()
    shutil.copy(DEMO / "demo.db", tmp_path / "demo.db")
    settings = _demo_settings(tmp_path)
    config = tmp_path / "investigate.yaml"
    config.write_text(yaml.safe_dump(settings, sort_keys=False), encoding="utf-8")
    return Setup(tmp_path, config, tmp_path / "tickets", tmp_path / "demo.db", settings)


@pytest.fixture
def timed(cli: Callable[..., Any]) -> Callable[..., Timed]:
    """`timed("ticket", "x", ...)`: the CLI in-process, its result and how long it took; every
    call must finish within TIME_LIMIT_S."""

    def invoke(*args: str) -> Timed:
        with Stopwatch() as watch:
            result = cli(*args)
        assert watch.busy_free < TIME_LIMIT_S, f"{args[:2]} took {watch}"
        return Timed(result.code, result.out, result.err, watch.busy_free)

    return invoke


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the CLI's stdout console believe it is a colour terminal (the real make_console,
    driven by the environment rich honours)."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("COLORTERM", "truecolor")
    monkeypatch.setenv("COLUMNS", "120")
