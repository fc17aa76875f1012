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


# --- the rooms: investigate/sdk (the kit), investigate/evidence, the spine around them -----------

FOUNDATION = frozenset(
    f"investigate.{name}"
    for name in (
        "__version__",
        "models",
        "states",
        "errors",
        "durations",
        "config",
        "context",
        "secrets",
        "threads",
        "suggest",
        "demo",
        "safeconsole",
        "termsafe",
        "lazyre",
    )
)
"""The spine's foundation: data types, errors, config types, the secret masker, the run
context and small helpers (lazily compiled patterns). Every room may import these; they import
nothing of the evidence room or of the rest of the spine (pipeline, CLI, analysts, renderers)."""

HARNESS_MAY_EXTRACT = {"investigate.sdk.testing": {"investigate.evidence.entities"}}
"""The contract suite runs a connector as the pipeline would, so it extracts a hostile ticket's
entities with the real extractor; no connector imports `investigate.sdk.testing`."""


def _investigate_imports(path: Path) -> set[str]:
    """Modules of `investigate` imported by `path`; `from investigate import x` names `x`."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "investigate")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "investigate":
                found.update(f"investigate.{a.name}" for a in node.names)
            elif node.module.split(".")[0] == "investigate":
                found.add(node.module)
    return found


def _room_offenders(room: str, allowed_rooms: tuple[str, ...]) -> dict[str, list[str]]:
    offenders: dict[str, list[str]] = {}
    for path in _python_files(f"investigate/{room}"):
        module = _module_name(path)
        allowed = HARNESS_MAY_EXTRACT.get(module, set())
        bad = sorted(
            name
            for name in _investigate_imports(path)
            if name not in FOUNDATION
            and name not in allowed
            and not any(name == r or name.startswith(f"{r}.") for r in allowed_rooms)
        )
        if bad:
            offenders[module] = bad
    return offenders


def test_the_kit_imports_only_itself_and_the_foundation() -> None:
    assert _room_offenders("sdk", ("investigate.sdk",)) == {}


def test_the_evidence_room_imports_only_itself_the_kit_and_the_foundation() -> None:
    assert _room_offenders("evidence", ("investigate.evidence", "investigate.sdk")) == {}


def test_the_foundation_imports_nothing_above_the_kit() -> None:
    offenders: dict[str, list[str]] = {}
    for name in FOUNDATION - {"investigate.__version__"}:
        path = ROOT / (name.replace(".", "/") + ".py")
        bad = sorted(
            m
            for m in _investigate_imports(path)
            if m not in FOUNDATION and not m.startswith("investigate.sdk.")
        )
        if bad:
            offenders[name] = bad
    assert offenders == {}


def test_connectors_import_only_the_kit() -> None:
    """`investigate.sdk` (and its submodules) is the one public surface a connector builds on."""
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            name
            for name in _investigate_imports(path)
            if name != "investigate.sdk" and not name.startswith("investigate.sdk.")
        )
        for path in _python_files("connectors")
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_the_rooms_hold_what_their_names_say() -> None:
    """A guard against drifting back to one flat folder: the kit and evidence modules are not
    at the top level again."""
    flat = {p.stem for p in (ROOT / "investigate").glob("*.py")}
    rooms = {
        p.stem for room in ("sdk", "evidence") for p in (ROOT / "investigate" / room).glob("*.py")
    }
    assert flat & rooms == {"__init__"}


def test_no_vendor_connector_imports_another() -> None:
    """What vendor connectors share lives in the kit (or in a private `_module` of the package);
    a connector module never imports another vendor's module."""
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            name
            for name in _imports(path)
            if name.split(".")[0] == INSTALLED
            and len(name.split(".")) > 1
            and not name.split(".")[1].startswith("_")
        )
        for path in _python_files("connectors")
    }
    assert {path: names for path, names in offenders.items() if names} == {}
