"""The configured connectors, instantiated once per run: each validates its own section; an
unknown type or name is a config error with a suggestion; a type whose driver is missing is
skipped with the reason."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from investigate.context import Context
from investigate.errors import ConfigError, UsageError
from investigate.models import SourceResult
from investigate.registry import discover
from investigate.sdk.contract import Connector
from investigate.secrets import MASKER
from investigate.suggest import did_you_mean

AnyConnector = Connector[Any]


@dataclass
class Connectors:
    instances: dict[str, AnyConnector]
    skipped: list[SourceResult]

    async def aclose(self) -> None:
        for instance in self.instances.values():
            try:
                await instance.aclose()
            except Exception:  # noqa: S112 - closing must never mask the real outcome
                continue


def build_connectors(
    ctx: Context, only: Sequence[str] = (), skip: Sequence[str] = ()
) -> Connectors:
    """Instantiate every configured connector, each validating its own section."""
    configured = ctx.config.settings.connectors
    registry = discover(
        only={str(v.get("type")) for v in configured.values() if isinstance(v, dict)}
    )
    for name in [*only, *skip]:
        if name not in configured:
            raise UsageError(
                f"no connector named '{name}' in the config{did_you_mean(name, configured)}",
                hint=f"configured: {', '.join(configured) or 'none'}",
            )
    instances: dict[str, AnyConnector] = {}
    skipped: list[SourceResult] = []
    for name, section in configured.items():
        type_name = section.get("type") if isinstance(section, dict) else None
        if not isinstance(type_name, str):
            line = ctx.config.lines.get(("connectors", name))
            raise ConfigError(
                f"{ctx.config.path}:{line}: connectors.{name}: missing 'type'",
                hint=f"available types: {', '.join(sorted(registry.points))}",
            )
        if type_name in registry.broken:
            reason = f"connector type '{type_name}' failed to load: {registry.broken[type_name]}"
            skipped.append(SourceResult(name=name, type=type_name, status="skipped", error=reason))
            continue
        cls = registry.types.get(type_name)
        if cls is None:
            line = ctx.config.lines.get(("connectors", name, "type"))
            raise ConfigError(
                f"{ctx.config.path}:{line}: connectors.{name}.type: unknown connector type "
                f"'{type_name}'{did_you_mean(type_name, registry.points)}",
                hint=f"available types: {', '.join(sorted(registry.points))} (investigate connectors)",
            )
        config = ctx.config.connector_config(name, cls.config_model)
        MASKER.collect(config)
        if not config.enabled:
            skipped.append(
                SourceResult(
                    name=name, type=type_name, status="skipped", error="disabled in config"
                )
            )
            continue
        instances[name] = cls(name, config, ctx)
    return Connectors(instances, skipped)
