"""`investigate check` and `investigate connectors`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from rich.table import Table
from rich.text import Text

from investigate.connector import Check, Connector, TicketSource
from investigate.context import Context
from investigate.errors import ConfigError, InvestigateError
from investigate.pipeline import build_connectors
from investigate.registry import discover
from investigate.render import safe
from investigate.secrets import MASKER
from investigate.writeback import write_permission

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


@dataclass
class CheckOutcome:
    ok: bool
    """Every check passed."""
    warnings: int
    """Checks that passed with a warning (a credential that could write, say)."""


async def run_checks(ctx: Context) -> CheckOutcome:
    """Print one row per check, then the read-only posture of each connector."""
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
    warnings = 0
    source = ctx.config.settings.ticket_source
    per_connector: dict[str, list[Check]] = {}
    for name, checks in zip(names, results, strict=True):
        instance = built.instances[name]
        if name == source and not isinstance(instance, TicketSource):
            checks = [
                *checks,
                Check("ticket source", False, "this connector cannot supply tickets"),
            ]
        per_connector[name] = checks
        for item in checks:
            ok &= item.ok
            warnings += item.ok and item.warning
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
    ctx.out.print(_posture_table(built.instances, per_connector))
    return CheckOutcome(ok=ok, warnings=warnings)


def _posture_table(
    instances: dict[str, Connector],  # type: ignore[type-arg]
    checks: dict[str, list[Check]],
) -> Table:
    """How read-only is guaranteed, per connector: the tool's own guard always; a credential
    verified as unable to write where the system can tell; a warning with the fix where the
    credential could write."""
    table = Table(title="Read-only posture", title_justify="left")
    for column in ("", "Connector", "Guaranteed by", "Credential"):
        table.add_column(column)
    for name, instance in instances.items():
        items = checks.get(name, [])
        risky = [c for c in items if c.ok and c.warning]
        verified = next((c.verified for c in items if c.verified), None)
        if risky:
            mark, credential = "⚠️", "; ".join(c.detail for c in risky)
        elif verified:
            mark, credential = "✅", f"verified: {verified}"
        elif instance.read_only_by.startswith("local files"):
            mark, credential = "✅", "no credential"
        else:
            mark, credential = "➖", "not verified: the guard is the boundary"
        table.add_row(mark, name, instance.read_only_by, Text(MASKER.mask(safe(credential))))
        write = write_permission(instance)
        if write is not None:  # a ticket source that can take notes: its one write, on or off
            table.add_row(write[0], name, Text(write[1]), Text(MASKER.mask(safe(write[2]))))
    return table


def list_connectors(ctx: Context) -> None:
    registry = discover()  # every type: this command is the catalogue
    for name, why in sorted(registry.broken.items()):
        ctx.err.print(
            f"warning: connector plugin '{name}' failed to load and is skipped: {why}",
            markup=False,
            highlight=False,
        )
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
