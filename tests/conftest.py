"""Shared fixtures: the repository, the demo config, an in-process CLI runner, and the example
plugin registered through a real `investigate.connectors.v1` entry point."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import hypothesis  # noqa: F401 - imported up front, see below
import pytest
import yaml

# hypothesis is imported here, not first at the terminal summary: on CPython 3.11 a test that
# survives a RecursionError (deeply nested JSON/YAML) can leave the parser's recursion counter
# off, and the late import's ast.parse then fails with "AST constructor recursion depth
# mismatch" after every test has passed.
from investigate import registry
from investigate.cli import run
from investigate.secrets import MASKER

ROOT = Path(__file__).resolve().parent.parent
DEMO_CONFIG = ROOT / "config.example.yaml"
PLUGINS = Path(__file__).resolve().parent / "plugins"
sys.path.insert(0, str(PLUGINS))  # importable, but registered only by the fixture's entry points


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> dict:  # type: ignore[type-arg]
        return json.loads(self.out)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Run the CLI in-process: `cli("ticket", "4812", "--config", ...)` → Result."""
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("INVESTIGATE_CONFIG", raising=False)

    def invoke(*args: str) -> Result:
        capsys.readouterr()
        code = run(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return invoke


@pytest.fixture(autouse=True)
def _clean_masker() -> Iterator[None]:
    yield
    MASKER.clear()


@pytest.fixture
def example_plugin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Install tests/plugins as a distribution with entry points, the way pip would."""
    site = tmp_path_factory.mktemp("site")
    dist = site / "example_plugins-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: example-plugins\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[investigate.connectors.v1]\n"
        "example = example_connector:Example\n"
        "broken = broken_connector:Nothing\n"
    )
    sys.path.insert(0, str(site))
    registry.discover(refresh=True)
    from example_connector import Example

    Example.calls.clear()
    try:
        yield
    finally:
        sys.path.remove(str(site))
        registry.discover(refresh=True)


@pytest.fixture
def write_config(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write a config dict (or YAML text) to tmp_path/investigate.yaml and return its path."""

    def write(data: dict | str, name: str = "investigate.yaml") -> Path:  # type: ignore[type-arg]
        path = tmp_path / name
        path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
        return path

    return write


# --- the fast loop: `pytest -m "not slow"` -----------------------------------------------------

SLOW_FIXTURES = frozenset({"pg", "maria", "prom", "am", "postgres_admin", "mariadb_cursor"})
"""Fixtures that start a real server (PostgreSQL, MariaDB, Prometheus, Alertmanager)."""
SLOW_DIRS = ("faults",)
"""Folders whose every test is slow (tests/faults: the whole fault matrix and the load run)."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark `slow` every test on a real server or in a slow folder; single slow tests carry
    `@pytest.mark.slow` themselves (over ~2 s alone on a 2-core machine)."""
    here = Path(__file__).resolve().parent
    for item in items:
        try:
            folder = item.path.resolve().relative_to(here).parts[0]
        except ValueError:
            folder = ""
        if folder in SLOW_DIRS or SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
