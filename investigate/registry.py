"""Connector discovery through the entry-point group `investigate.connectors.v1`.

Our own connectors are listed in pyproject.toml under the same group, so a third-party package
is a first-class citizen. A connector that fails to import is reported and skipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points

from investigate.sdk.contract import ENTRY_POINT_GROUP, Connector
from investigate.secrets import MASKER

GROUP = ENTRY_POINT_GROUP
AnyConnector = type[Connector]  # type: ignore[type-arg]


@dataclass
class Registry:
    types: dict[str, AnyConnector] = field(default_factory=dict)
    broken: dict[str, str] = field(default_factory=dict)
    """Type name → why it could not be loaded."""
    points: dict[str, EntryPoint] = field(default_factory=dict)
    """Every registered type, loaded or not (reading entry points imports nothing)."""
    _origins: dict[str, str] = field(default_factory=dict)

    @property
    def origins(self) -> dict[str, str]:
        """Loaded type name → the distribution that registered it (read when asked: it parses
        each distribution's metadata, which a run does not need)."""
        for name in self.types.keys() - self._origins.keys():
            dist = self.points[name].dist
            self._origins[name] = dist.name if dist is not None else "?"
        return self._origins

    def load(self, names: Iterable[str]) -> None:
        """Import the named types that are not loaded yet: a command pays only for the
        connectors its config uses (importing all 27 built-ins costs half a second)."""
        for name in names:
            ep = self.points.get(name)
            if ep is not None and name not in self.types and name not in self.broken:
                _load(ep, self)


_CACHE: Registry | None = None


def discover(*, refresh: bool = False, only: Iterable[str] | None = None) -> Registry:
    """The registry, with `only` these types loaded (or every type when `only` is None)."""
    global _CACHE
    if _CACHE is None or refresh:
        registry = Registry()
        for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name):
            registry.points.setdefault(ep.name, ep)
        _CACHE = registry
    _CACHE.load(_CACHE.points if only is None else only)
    return _CACHE


def _load(ep: EntryPoint, registry: Registry) -> None:
    try:
        cls = ep.load()
    except Exception as exc:  # a broken plugin must never break the tool
        registry.broken[ep.name] = MASKER.mask(f"{type(exc).__name__}: {exc}")
        return
    if not (isinstance(cls, type) and issubclass(cls, Connector)):
        registry.broken[ep.name] = f"{ep.value} is not a Connector subclass"
        return
    registry.types[ep.name] = cls
