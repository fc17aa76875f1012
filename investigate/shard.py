"""`investigate batch --shard K/N`: a stable, disjoint share of the ticket IDs, so N machines
(a GitHub Actions matrix, a Kubernetes Indexed Job) split one queue with no coordinator.

An ID belongs to shard `int(sha256(id)[:8 bytes]) % N` (1-based K on the command line), so the
split does not depend on the order, the number or the duplicates of the IDs each machine sees:
every machine may read the same queue, and each takes its own share. `--shard auto/N` takes K
from `JOB_COMPLETION_INDEX` (Kubernetes Indexed Jobs, 0-based) or `INVESTIGATE_SHARD` (1-based).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from investigate.errors import UsageError

_SPEC = re.compile(r"(?P<k>\d+|auto)/(?P<n>\d+)")
_HINT = (
    "use K/N with 1 <= K <= N, e.g. --shard 2/4, or --shard auto/N under a Kubernetes Indexed Job"
)


@dataclass(frozen=True)
class Shard:
    index: int
    """0-based."""
    count: int

    def __str__(self) -> str:
        return f"{self.index + 1}/{self.count}"

    def owns(self, ticket_id: str) -> bool:
        return shard_of(ticket_id, self.count) == self.index

    def select(self, ids: Sequence[str]) -> list[str]:
        return [i for i in ids if self.owns(i)]


def shard_of(ticket_id: str, count: int) -> int:
    digest = hashlib.sha256(ticket_id.strip().encode()).digest()
    return int.from_bytes(digest[:8], "big") % count


def parse_shard(spec: str, env: Mapping[str, str]) -> Shard:
    match = _SPEC.fullmatch(spec.strip())
    if not match:
        raise UsageError(f"--shard {spec!r} is not K/N", hint=_HINT)
    count = int(match["n"])
    if not 1 <= count <= 10_000:
        raise UsageError(f"--shard {spec}: N must be 1..10000", hint=_HINT)
    if match["k"] == "auto":
        if env.get("JOB_COMPLETION_INDEX", "").strip().isdigit():
            index = int(env["JOB_COMPLETION_INDEX"])
        elif env.get("INVESTIGATE_SHARD", "").strip().isdigit():
            index = int(env["INVESTIGATE_SHARD"]) - 1
        else:
            raise UsageError(
                f"--shard {spec}: neither JOB_COMPLETION_INDEX nor INVESTIGATE_SHARD is set",
                hint="set INVESTIGATE_SHARD=K (1-based) or run as a Kubernetes Indexed Job",
            )
    else:
        index = int(match["k"]) - 1
    if not 0 <= index < count:
        raise UsageError(f"--shard {spec}: shard {index + 1} is not in 1..{count}", hint=_HINT)
    return Shard(index, count)
