"""Import rules checked on the source: the core never imports the connectors, its modules
import each other one way (no cycles, lazy imports included), and nothing imports the
connector package by a top-level name other than the installed one."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INSTALLED = "investigate_connectors"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _python_files(*folders: str) -> list[Path]:
    return [p for folder in folders for p in sorted((ROOT / folder).rglob("*.py"))]


def test_the_core_never_imports_the_connectors() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            name for name in _imports(path) if name.split(".")[0] in {"connectors", INSTALLED}
        )
        for path in _python_files("investigate")
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_core_modules_import_each_other_without_cycles() -> None:
    """Function-level (lazy) imports count too: a cycle hidden in a function still means two
    modules that cannot be understood, tested or moved apart."""
    modules = {_module_name(p): p for p in _python_files("investigate")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                # a package's own modules may import the package (its __init__), not vice versa
                if target and target != name and not name.startswith(f"{target}."):
                    graph[name].add(target)
    assert _cycles(graph) == []


def test_the_connector_package_is_imported_only_by_its_installed_name() -> None:
    """The folder is `connectors/`; a wheel installs it as `investigate_connectors` (a
    top-level `connectors` would collide with other distributions). Importing it as
    `connectors` works in a checkout only and would load every module twice."""
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            name for name in _imports(path) if name.split(".")[0] == "connectors"
        )
        for path in _python_files("investigate", "connectors", "tests", "benchmarks", "docs")
    }
    assert {path: names for path, names in offenders.items() if names} == {}
    link = ROOT / INSTALLED
    assert link.is_symlink() and link.resolve() == (ROOT / "connectors").resolve()


def test_entry_points_name_the_installed_package() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    targets = project["entry-points"]["investigate.connectors.v1"].values()
    assert all(t.startswith(f"{INSTALLED}.") for t in targets)
