"""A tiny third-party-style connector, registered in tests through a real entry point.

It proves the contract: a config model of its own, a ticket source capability, evidence,
identity resolution, and the failure modes the pipeline must survive (slow, failing, crashing).
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Any, ClassVar

from pydantic import Field

from investigate.errors import SourceError, TicketNotFound
from investigate.models import Evidence, Ticket
from investigate.sdk.contract import Check, Collected, Connector, ConnectorConfig, Query
from investigate.threads import in_thread


class ExampleConfig(ConnectorConfig):
    tickets: dict[str, dict[str, Any]] = Field(default_factory=dict)
    evidence: list[dict[str, Any]] = Field(default_factory=list)
    provides: dict[str, list[str]] = Field(default_factory=dict)
    delay: float = 0.0
    block: float = 0.0
    """Seconds of blocking work in a thread (a parser that cannot be interrupted)."""
    fail: str | None = None
    crash: bool = False
    fail_tickets: str | None = None
    warn: str | None = None
    """A passing check with this warning (e.g. a credential that could write)."""
    verified: str | None = None


class Example(Connector[ExampleConfig]):
    type_name = "example"
    config_model = ExampleConfig
    description = "Test connector (tests/plugins)"

    calls: ClassVar[list[tuple[str, str]]] = []  # (instance name, stage), shared
    in_flight: ClassVar[dict[str, int]] = {}
    peak: ClassVar[dict[str, int]] = {}  # most concurrent collects seen, per instance name

    def provides(self) -> frozenset[str]:
        return frozenset(self.config.provides)

    async def fetch_ticket(self, ticket_id: str) -> Ticket:
        if self.config.fail_tickets:
            raise SourceError(self.config.fail_tickets)
        if ticket_id not in self.config.tickets:
            raise TicketNotFound(f"ticket {ticket_id} not found")
        return Ticket(id=ticket_id, **self.config.tickets[ticket_id])

    async def collect(self, query: Query) -> Collected:
        Example.calls.append((self.name, query.stage))
        if query.stage == "resolve":
            return Collected(provides=self.config.provides)
        Example.in_flight[self.name] = Example.in_flight.get(self.name, 0) + 1
        Example.peak[self.name] = max(Example.peak.get(self.name, 0), Example.in_flight[self.name])
        try:
            await asyncio.sleep(self.config.delay)
        finally:
            Example.in_flight[self.name] -= 1
        if self.config.block:
            await in_thread(time.sleep, self.config.block)
        if self.config.crash:
            raise RuntimeError("boom")
        if self.config.fail:
            raise SourceError(self.config.fail)
        evidence = [
            Evidence(source=self.name, **{"kind": "log", **item}) for item in self.config.evidence
        ]
        for e in evidence:
            e.matched = [v for v in query.entities.matchable() if v in e.title.lower()]
        return Collected(evidence=evidence)

    async def check(self) -> list[Check]:
        ok = not (self.config.fail or self.config.crash)
        checks = [Check("reachable", ok, self.config.fail or "fine", verified=self.config.verified)]
        if self.config.warn:
            checks.append(Check("credential", True, self.config.warn, warning=True))
        return checks


def ticket(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "subject": "Exports fail",
        "description": "Our export fails with ERR_EXPORT_FAILED for acc_1042.",
        "created_at": datetime(2026, 11, 24, 10, 0).isoformat() + "Z",
        "requester": {"name": "Dana Whitfield", "email": "dana@northwind.example"},
        "priority": "high",
    }
    return {**base, **overrides}
