"""Connectors for the MCP server's tests, registered through a real entry point.

`Stall` never answers (a stalled source): it writes `started` to its `marker` file when a
collect begins and `cancelled` when the collect is cancelled, so a test in another process can
see an investigation really stop. `Echo` returns evidence that quotes its own credential and
the requester's email, as a careless log line would.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from pydantic import SecretStr

from investigate.models import Evidence
from investigate.sdk.contract import Check, Collected, Connector, ConnectorConfig, Query


class StallConfig(ConnectorConfig):
    marker: Path


class Stall(Connector[StallConfig]):
    type_name = "stall"
    config_model = StallConfig
    description = "Test connector that never answers (tests/plugins)"

    async def collect(self, query: Query) -> Collected:
        with self.config.marker.open("a") as f:
            f.write("started\n")
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            with self.config.marker.open("a") as f:
                f.write("cancelled\n")
            raise
        return Collected()

    async def check(self) -> list[Check]:
        return [Check("reachable", True, "never answers a query")]


class EchoConfig(ConnectorConfig):
    api_key: SecretStr


class Echo(Connector[EchoConfig]):
    type_name = "echo"
    config_model = EchoConfig
    description = "Test connector whose evidence quotes its credential (tests/plugins)"

    async def collect(self, query: Query) -> Collected:
        key = self.config.api_key.get_secret_value()
        email = query.ticket.requester.email or ""
        line = f"auth failed for {email} with {key}"
        return Collected(
            evidence=[
                Evidence(source=self.name, kind="log", title=line, detail=line, matched=[email])
            ]
        )

    async def check(self) -> list[Check]:
        return [Check("reachable", True, "fine")]
