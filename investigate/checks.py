"""`investigate check` and `investigate connectors`."""

from __future__ import annotations

import asyncio

from rich.table import Table
from rich.text import Text

from investigate.connector import Check, Connector, TicketSource
from investigate.context import Context
from investigate.errors import ConfigError, InvestigateError
from investigate.pipeline import build_connectors
from investigate.registry import discover
from investigate.render import safe
from investigate.secrets import MASKER

CHECK_TIMEOUT = 15.0


async def _check_one(connector: Connector) -> list[Check]:  # type: ignore[type-arg]
    try:
        async with asyncio.timeout(CHECK_TIMEOUT):
            return await connector.check()
    except TimeoutError:
        return [Check("reachable", False, f"no answer within {CHECK_TIMEOUT:.0f}s")]
    except InvestigateError as exc:
        return [Check("check", False, exc.message)]
    except Exception as exc:  # a connector bug shows as a failed check, not a crash
        return [Check("check", False, f"internal error: {type(exc).__name__}: {exc}")]
    finally:
        await connector.aclose()


async def run_checks(ctx: Context) -> bool:
    """Print one row per check; True when every check passed."""
    built = build_connectors(ctx)
    names = list(built.instances)
    if not names and not built.skipped:
        raise ConfigError(
            f"no connectors are configured in {ctx.config.path or 'the default config'}",
            hint="add a `connectors:` section; config.example.yaml shows one of each type",
        )
    results = await asyncio.gather(*(_check_one(built.instances[n]) for n in names))
    table = Table(
        title=f"Connectors in {ctx.config.path or 'the default config'}", title_justify="left"
    )
    for column in ("", "Connector", "Type", "Check", "Detail"):
        table.add_column(column)
    ok = True
    source = ctx.config.settings.ticket_source
    for name, checks in zip(names, results, strict=True):
        instance = built.instances[name]
        if name == source and not isinstance(instance, TicketSource):
            checks = [
                *checks,
                Check("ticket source", False, "this connector cannot supply tickets"),
            ]
        for item in checks:
            ok &= item.ok
            mark = "✅" if item.ok and not item.warning else "⚠️" if item.ok else "❌"
            table.add_row(
                mark, name, instance.type_name, item.name, Text(MASKER.mask(safe(item.detail)))
            )
    for skipped in built.skipped:
        table.add_row("➖", skipped.name, skipped.type, "skipped", Text(skipped.error or ""))
    if source and source not in built.instances:
        ok = False
        table.add_row(
            "❌", source, "?", "ticket source", Text("not a configured, enabled connector")
        )
    ctx.out.print(table)
    return ok


def list_connectors(ctx: Context) -> None:
    registry = discover()
    table = Table(
        title="Connector types (entry points: investigate.connectors.v1)", title_justify="left"
    )
    for column in ("Type", "From", "Description"):
        table.add_column(column)
    for name, cls in sorted(registry.types.items()):
        table.add_row(name, registry.origins.get(name, ""), cls.description)
    for name, why in sorted(registry.broken.items()):
        table.add_row(name, "", Text(f"failed to load: {why}", style="red"))
    ctx.out.print(table)
    configured = ctx.config.settings.connectors
    if configured:
        inst = Table(title=f"Configured in {ctx.config.path}", title_justify="left")
        for column in ("Name", "Type", "Enabled"):
            inst.add_column(column)
        for name, section in configured.items():
            enabled = section.get("enabled", True) if isinstance(section, dict) else "?"
            inst.add_row(name, str(section.get("type", "?")), str(enabled))
        ctx.out.print(inst)
