"""A connector that never answers (a stalled source), registered through a real entry point.

It writes `started` to its `marker` file when a collect begins and `cancelled` when the
collect is cancelled, so a test in another process can see an investigation really stop.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from investigate.connector import Check, Collected, Connector, ConnectorConfig, Query


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
