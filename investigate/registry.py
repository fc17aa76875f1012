"""Connector discovery through the entry-point group `investigate.connectors.v1`.

Our own connectors are listed in pyproject.toml under the same group, so a third-party package
is a first-class citizen. A connector that fails to import is reported and skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points

from investigate.connector import Connector
from investigate.secrets import MASKER

GROUP = "investigate.connectors.v1"
AnyConnector = type[Connector]  # type: ignore[type-arg]


@dataclass
class Registry:
    types: dict[str, AnyConnector] = field(default_factory=dict)
    broken: dict[str, str] = field(default_factory=dict)
    """Type name → why it could not be loaded."""
    origins: dict[str, str] = field(default_factory=dict)


_CACHE: Registry | None = None


def discover(*, refresh: bool = False) -> Registry:
    global _CACHE
    if _CACHE is not None and not refresh:
        return _CACHE
    registry = Registry()
    for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        if ep.name in registry.types:
            continue
        _load(ep, registry)
    _CACHE = registry
    return registry


def _load(ep: EntryPoint, registry: Registry) -> None:
    origin = ep.dist.name if ep.dist is not None else "?"
    try:
        cls = ep.load()
    except Exception as exc:  # a broken plugin must never break the tool
        registry.broken[ep.name] = MASKER.mask(f"{type(exc).__name__}: {exc}")
        return
    if not (isinstance(cls, type) and issubclass(cls, Connector)):
        registry.broken[ep.name] = f"{ep.value} is not a Connector subclass"
        return
    registry.types[ep.name] = cls
    registry.origins[ep.name] = origin
