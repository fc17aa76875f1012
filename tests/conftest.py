"""Shared fixtures: the repository, the demo config, an in-process CLI runner, and the example
plugin registered through a real `investigate.connectors.v1` entry point."""

from __future__ import annotations

import ast
import inspect
import json
import sys
import types
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

TESTS = Path(__file__).resolve().parent
SERVER_MODULES = (TESTS / "servers.py", TESTS / "monitoring_servers.py")
"""Where the real servers are started: every top-level `start_*` function in these files runs a
real PostgreSQL, MariaDB, Prometheus or Alertmanager binary."""
SLOW_LIST = TESTS / "slow_tests.txt"
"""Test functions slow by measurement (scripts/slow_tests.py writes it from a durations run)."""
SLOW_DIRS = frozenset({"faults"})
"""Folders whose every test is slow (tests/faults: the whole fault matrix and the load run)."""


def server_starters() -> frozenset[str]:
    """The names of the `start_*` functions of SERVER_MODULES, read from their source (a new
    starter counts the day it is written; nothing is imported)."""
    names: set[str] = set()
    for module in SERVER_MODULES:
        tree = ast.parse(module.read_text(encoding="utf-8"))
        names.update(
            node.name
            for node in tree.body
            if isinstance(node, ast.FunctionDef) and node.name.startswith("start_")
        )
    return frozenset(names)


def _names(code: types.CodeType) -> Iterator[str]:
    """Every global or attribute name a function's code (and the code nested in it) refers to."""
    yield from code.co_names
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _names(const)


def starts_a_server(func: object, starters: frozenset[str]) -> bool:
    """Whether a fixture or test function calls one of the server starters (`with
    start_postgres() as server`, `from servers import start_mariadb`, `servers.start_x()`)."""
    code = getattr(inspect.unwrap(func), "__code__", None)  # type: ignore[arg-type]
    return isinstance(code, types.CodeType) and not starters.isdisjoint(_names(code))


def real_server_fixtures(item: pytest.Item, starters: frozenset[str]) -> set[str]:
    """The fixtures in the item's closure (the ones it asks for and the ones those ask for) that
    start a real server."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return set()
    return {
        name
        for name, defs in info.name2fixturedefs.items()
        if any(starts_a_server(d.func, starters) for d in defs)
    }


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark `slow` every test that starts a real server (itself or through any fixture in its
    closure), sits in a slow folder, or is listed in tests/slow_tests.txt (measured: slower than
    the threshold there). Single slow tests of a slow kind carry `@pytest.mark.slow` themselves:
    subprocess runs of the CLI, wheel builds, Chromium, long property or eval runs."""
    starters = server_starters()
    measured = {
        line.strip()
        for line in SLOW_LIST.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    folders: dict[Path, str] = {}
    for item in items:
        folder = folders.get(item.path)
        if folder is None:
            try:
                folder = item.path.relative_to(TESTS).parts[0]
            except ValueError:
                folder = ""
            folders[item.path] = folder
        func = getattr(item, "function", None)
        if (
            folder in SLOW_DIRS
            or item.nodeid.split("[", 1)[0] in measured
            or real_server_fixtures(item, starters)
            or (func is not None and starts_a_server(func, starters))
        ):
            item.add_marker(pytest.mark.slow)
