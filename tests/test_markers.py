"""The fast loop stays fast: every test that starts a real server (PostgreSQL, MariaDB,
Prometheus, Alertmanager: the `start_*` functions of tests/servers.py and
tests/monitoring_servers.py), itself or through a fixture, carries the `slow` marker, so
`pytest -m "not slow"` never waits for one.

Which tests start a server is found here from the source text of tests/ (an AST walk), not from
the conftest hook that adds the marker: a fixture the hook misses is caught. The check runs over
the items of the session it is part of: in the full run every server test must be marked; in
`pytest -m "not slow"` an unmarked one would have been selected and fails here."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
SERVER_FILES = ("servers.py", "monitoring_servers.py")
KNOWN = {"pg", "maria", "prom", "am", "postgres_admin", "mariadb_cursor"}
"""The real-server fixtures of today; the walk must find at least these."""


def _starters() -> set[str]:
    names: set[str] = set()
    for name in SERVER_FILES:
        tree = ast.parse((TESTS / name).read_text(encoding="utf-8"))
        names |= {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    return {n for n in names if n.startswith("start_")}


def _calls(func: ast.AST, starters: set[str]) -> bool:
    for node in ast.walk(func):
        if isinstance(node, ast.Call):
            callee = node.func
            name = callee.attr if isinstance(callee, ast.Attribute) else getattr(callee, "id", "")
            if name in starters:
                return True
    return False


def _is_fixture(func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any("fixture" in ast.unparse(d) for d in func.decorator_list)


@functools.cache
def server_users() -> tuple[frozenset[str], frozenset[tuple[str, str]]]:
    """(fixtures that start a real server, (file, test) pairs whose body starts one), by name,
    from every Python file under tests/ except the server modules themselves."""
    starters = _starters()
    fixtures: set[str] = set()
    tests: set[tuple[str, str]] = set()
    for path in sorted(TESTS.rglob("*.py")):
        if path.parent == TESTS and path.name in SERVER_FILES:
            continue
        source = path.read_text(encoding="utf-8")
        if not any(name in source for name in starters):  # no call without the name
            continue
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _calls(node, starters):
                if _is_fixture(node):
                    fixtures.add(node.name)
                elif node.name.startswith("test"):
                    tests.add((str(path.relative_to(TESTS)), node.name))
    return frozenset(fixtures), frozenset(tests)


def test_the_walk_finds_every_server_starter_and_fixture() -> None:
    assert _starters() >= {"start_postgres", "start_mariadb", "start_prometheus"}
    assert "start_alertmanager" in _starters()
    fixtures, _ = server_users()
    assert fixtures >= KNOWN, KNOWN - fixtures


def test_every_test_on_a_real_server_is_marked_slow(request: pytest.FixtureRequest) -> None:
    fixtures, direct = server_users()
    unmarked = []
    for item in request.session.items:
        closure = set(getattr(item, "fixturenames", ()))
        try:
            where = (str(item.path.relative_to(TESTS)), getattr(item, "originalname", item.name))
        except ValueError:  # a test outside tests/
            where = ("", item.name)
        uses = closure & fixtures or where in direct
        if uses and item.get_closest_marker("slow") is None:
            unmarked.append(f"{item.nodeid} (uses {sorted(closure & fixtures) or 'a starter'})")
    assert not unmarked, "start a real server but are not marked slow:\n" + "\n".join(unmarked)


def test_every_function_in_the_slow_list_exists() -> None:
    """tests/slow_tests.txt names test functions; a renamed or deleted one would silently stop
    being marked (and a stale line hides that the list needs rewriting: scripts/slow_tests.py)."""

    root = Path(__file__).resolve().parents[1]
    missing = []
    for line in (root / "tests" / "slow_tests.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        path, *scope = line.split("::")
        file = root / path
        names = (
            {
                n.name
                for n in ast.walk(ast.parse(file.read_text(encoding="utf-8")))
                if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            }
            if file.exists()
            else set()
        )
        if not set(scope) <= names:
            missing.append(line)
    assert missing == []
