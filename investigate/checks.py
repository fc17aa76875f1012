"""`investigate check` and `investigate connectors`."""

from __future__ import annotations

import asyncio
import importlib.util
from dataclasses import dataclass
from typing import Literal

from rich.table import Table
from rich.text import Text

from investigate.context import Context
from investigate.demo import example_config_location
from investigate.errors import ConfigError, InvestigateError
from investigate.instances import build_connectors
from investigate.models import SourceResult
from investigate.registry import discover
from investigate.render import safe
from investigate.sdk.contract import Check, Connector, TicketSource
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


@dataclass
class CheckRun:
    """Every check of every configured connector, before any printing."""

    instances: dict[str, Connector]  # type: ignore[type-arg]
    checks: dict[str, list[Check]]
    skipped: list[SourceResult]
    missing_source: str | None
    """The configured ticket source when it is not a configured, enabled connector."""

    @property
    def outcome(self) -> CheckOutcome:
        items = [c for checks in self.checks.values() for c in checks]
        return CheckOutcome(
            ok=all(c.ok for c in items) and self.missing_source is None,
            warnings=sum(c.ok and c.warning for c in items),
        )


async def collect_checks(ctx: Context) -> CheckRun:
    """Run every connector's checks concurrently (`investigate check`, the MCP `check` tool)."""
    built = build_connectors(ctx)
    names = list(built.instances)
    if not names and not built.skipped:
        raise ConfigError(
            f"no connectors are configured in {ctx.config.path}",
            hint=f"add a `connectors:` section; {example_config_location()} shows one of each type",
        )
    results = await asyncio.gather(*(_check_one(built.instances[n]) for n in names))
    source = ctx.config.settings.ticket_source
    per_connector: dict[str, list[Check]] = {}
    for name, checks in zip(names, results, strict=True):
        if name == source and not isinstance(built.instances[name], TicketSource):
            checks = [
                *checks,
                Check("ticket source", False, "this connector cannot supply tickets"),
            ]
        per_connector[name] = checks
    missing = source if source and source not in built.instances else None
    return CheckRun(built.instances, per_connector, built.skipped, missing)


Posture = Literal["ok", "warning", "unverified"]


def posture(instance: Connector, checks: list[Check]) -> tuple[Posture, str]:  # type: ignore[type-arg]
    """How read-only is guaranteed beyond the tool's own guard: ("ok" | "warning" | "unverified",
    what the credential was found to be)."""
    risky = [c for c in checks if c.ok and c.warning]
    verified = next((c.verified for c in checks if c.verified), None)
    if risky:
        return "warning", "; ".join(c.detail for c in risky)
    if verified:
        return "ok", f"verified: {verified}"
    if instance.read_only_by.startswith("local files"):
        return "ok", "no credential"
    return "unverified", "not verified: the guard is the boundary"


async def run_checks(ctx: Context) -> CheckOutcome:
    """Print one row per check, then the read-only posture of each connector."""
    run = await collect_checks(ctx)
    table = Table(title=f"Connectors in {ctx.config.path}", title_justify="left")
    for column in ("", "Connector", "Type", "Check", "Detail"):
        table.add_column(column)
    for name, checks in run.checks.items():
        instance = run.instances[name]
        for item in checks:
            mark = "✅" if item.ok and not item.warning else "⚠️" if item.ok else "❌"
            table.add_row(
                mark, name, instance.type_name, item.name, Text(MASKER.mask(safe(item.detail)))
            )
    for skipped in run.skipped:
        table.add_row(
            "➖",
            skipped.name,
            skipped.type,
            "skipped",
            Text(MASKER.mask(safe(skipped.error or ""))),
        )
    if run.missing_source is not None:
        table.add_row(
            "❌",
            run.missing_source,
            "?",
            "ticket source",
            Text("not a configured, enabled connector"),
        )
    ctx.out.print(table)
    ctx.out.print(_posture_table(run.instances, run.checks))
    return run.outcome


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
    marks = {"ok": "✅", "warning": "⚠️", "unverified": "➖"}
    for name, instance in instances.items():
        level, credential = posture(instance, checks.get(name, []))
        table.add_row(
            marks[level], name, instance.read_only_by, Text(MASKER.mask(safe(credential)))
        )
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
    missing: list[tuple[str, str]] = []
    for name, cls in sorted(registry.types.items()):
        description = Text(cls.description)
        if cls.driver is not None and importlib.util.find_spec(cls.driver[0]) is None:
            missing.append((name, cls.driver[1]))
            description.append(
                f" — driver missing: pip install 'investigate[{cls.driver[1]}]'", "yellow"
            )
        table.add_row(name, registry.origins.get(name, ""), description)
    for name, why in sorted(registry.broken.items()):
        table.add_row(name, "", Text(f"failed to load: {why}", style="red"))
    ctx.out.print(table)
    if missing:
        extras = ",".join(sorted({extra for _, extra in missing}))
        ctx.out.print(
            f"{len(missing)} type{'s' if len(missing) != 1 else ''} need an optional driver "
            f"that is not installed ({', '.join(n for n, _ in missing)}): "
            f"pip install 'investigate[{extras}]'",
            markup=False,
            highlight=False,
        )
    configured = ctx.config.settings.connectors
    if configured:
        inst = Table(title=f"Configured in {ctx.config.path}", title_justify="left")
        for column in ("Name", "Type", "Enabled"):
            inst.add_column(column)
        for name, section in configured.items():
            enabled = section.get("enabled", True) if isinstance(section, dict) else "?"
            inst.add_row(name, str(section.get("type", "?")), str(enabled))
        ctx.out.print(inst)
