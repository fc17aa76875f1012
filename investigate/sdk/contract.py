"""The connector contract. Every system `investigate` reads from is one module, one class:

    class Stripe(Connector[StripeConfig]):
        type_name = "stripe"
        config_model = StripeConfig
        description = "Stripe customers, subscriptions, invoices and charges"

        async def collect(self, query: Query) -> Collected: ...

registered under the entry-point group `investigate.connectors.v1` (see `registry`).
Optional capabilities are separate protocols: a connector that can supply tickets also
implements `TicketSource`. Identity resolution: a connector whose `provides()` is not empty is
run first (stage "resolve") and the entity values it returns in `Collected.provides` are
added before every connector runs (stage "collect").
"""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import (
    TYPE_CHECKING,
    Annotated,
    ClassVar,
    Generic,
    Literal,
    Protocol,
    TypeVar,
    runtime_checkable,
)

from pydantic import AfterValidator

from investigate.config import Duration, Strict
from investigate.errors import SourceError
from investigate.models import LIST_PARAMS, Entities, Evidence, Ticket, Window

if TYPE_CHECKING:
    from investigate.context import Context

ENTRY_POINT_GROUP = "investigate.connectors.v1"
"""The entry-point group connectors register under; the `v1` is the major version of the SDK."""

Stage = Literal["resolve", "collect"]
DEFAULT_BASELINE = timedelta(days=3)
"""How far before the window log connectors look for the baseline (`investigation.baseline`)."""


def _known_provides(value: dict[str, str]) -> dict[str, str]:
    unknown = sorted(set(value) - set(LIST_PARAMS))
    if unknown:
        raise ValueError(f"cannot provide {unknown}; choose from {sorted(LIST_PARAMS)}")
    return value


Provides = Annotated[dict[str, str], AfterValidator(_known_provides)]
"""Identity resolution in a config: entity parameter → the column or field that holds it."""


class ConnectorConfig(Strict):
    """Keys every connector accepts; each connector's model extends this one."""

    type: str
    enabled: bool = True
    timeout: Duration | None = None


class HttpConnectorConfig(ConnectorConfig):
    base_url: str


C = TypeVar("C", bound=ConnectorConfig)


@dataclass
class Query:
    """What a connector is asked about."""

    ticket: Ticket
    entities: Entities
    window: Window
    stage: Stage = "collect"
    deadline: float = field(default_factory=lambda: time.monotonic() + 30)
    baseline: timedelta = DEFAULT_BASELINE
    """The period before the window that novelty is judged against; nothing older is read."""

    @property
    def baseline_start(self) -> datetime:
        return self.window.start - self.baseline

    @property
    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def expired(self) -> bool:
        return time.monotonic() >= self.deadline

    def ticket_services(self, fields: Sequence[str] = ()) -> list[str]:
        """Services the ticket names: its product areas and the given custom fields, once each
        (first spelling kept, compared caselessly)."""
        names = list(self.entities.product_areas)
        for name in fields:
            value = self.ticket.custom_fields.get(name)
            values = value if isinstance(value, list) else [value]
            names += [str(v) for v in values if isinstance(v, str | int) and str(v).strip()]
        seen: dict[str, str] = {}
        for n in names:
            seen.setdefault(n.strip().lower(), n.strip())
        return list(seen.values())

    def params(self) -> dict[str, list[str]]:
        """Bindable values by parameter name (see `models.PARAMS`)."""
        e = self.entities
        values: dict[str, list[str]] = {p: list(getattr(e, f)) for p, f in LIST_PARAMS.items()}
        values["requester_email"] = [e.requester_email] if e.requester_email else []
        values["ticket_id"] = [self.ticket.id]
        values["window_start"] = [_sql_time(self.window.start)]
        values["window_end"] = [_sql_time(self.window.end)]
        return values


def _sql_time(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Collected:
    evidence: list[Evidence] = field(default_factory=list)
    provides: dict[str, list[str]] = field(default_factory=dict)
    """Entity values found, keyed by parameter name (`account_id`, `customer_id`, …)."""
    notes: list[str] = field(default_factory=list)
    """What this source could not do (surfaced as gaps)."""
    partial: bool = False
    """The source stopped at its deadline: the evidence is incomplete (status `timeout`)."""
    failures: list[SourceError] = field(default_factory=list)
    """Calls of this source that failed while others answered (`gather_parts`): the evidence is
    kept and the source's status is the first failure's (`error`, or `timeout`), with its reason."""


T = TypeVar("T")


async def gather_parts(out: Collected, parts: Iterable[Awaitable[T]], default: T) -> list[T]:
    """A connector's own concurrent calls, all-or-something instead of all-or-nothing.

    Each result in order; a part that raised `SourceError` gives `default` instead and is added
    to `out.failures` (reported with the evidence the other parts found). If every part failed,
    the first failure is raised: the source failed as a whole, as before. Anything that is not a
    `SourceError` (a bug, a cancellation) propagates."""
    results = await asyncio.gather(*parts, return_exceptions=True)
    failed: list[SourceError] = []
    for result in results:
        if isinstance(result, SourceError):
            failed.append(result)
        elif isinstance(result, BaseException):
            raise result
    if failed and len(failed) == len(results):
        raise failed[0]
    out.failures += failed
    return [default if isinstance(r, BaseException) else r for r in results]


@dataclass(frozen=True)
class Check:
    """One line of `investigate check`."""

    name: str
    ok: bool
    detail: str = ""
    warning: bool = False
    verified: str | None = None
    """Set on the check that verified the credential cannot write, e.g. "SELECT-only role"."""


class Connector(ABC, Generic[C]):
    type_name: ClassVar[str]
    config_model: ClassVar[type[ConnectorConfig]]
    description: ClassVar[str] = ""
    collects_evidence: ClassVar[bool] = True
    """False for a pure ticket source, which the fan-out leaves out."""
    read_only_by: ClassVar[str] = "HTTP guard: only GET/HEAD and allow-listed read-only POSTs"
    """What keeps this connector from writing, whatever its credential (`investigate check`)."""
    driver: ClassVar[tuple[str, str] | None] = None
    """An optional driver: (module to import, pip extra), e.g. ("psycopg", "postgres");
    `investigate connectors` shows when it is missing and the command that installs it."""
    plans_batches: ClassVar[bool] = False
    """True: in a batch, this connector uses `ctx.planned` (every ticket's entity values, known
    up front), so the batch fetches its tickets before investigating them."""

    def __init__(self, name: str, config: C, ctx: Context) -> None:
        self.name = name
        self.config = config
        self.ctx = ctx

    def provides(self) -> frozenset[str]:
        """Parameter names this connector can resolve (identity resolution)."""
        return frozenset()

    @abstractmethod
    async def collect(self, query: Query) -> Collected:
        """Return evidence for the query, or raise `SourceError`."""

    async def check(self) -> list[Check]:
        """Cheap checks for `investigate check` (configuration, reachability, auth)."""
        return [Check("configured", True, f"{self.type_name} connector configured")]

    async def aclose(self) -> None:
        """Release clients and connections."""


@runtime_checkable
class TicketSource(Protocol):
    async def fetch_ticket(self, ticket_id: str) -> Ticket:
        """The ticket, or raise `TicketNotFound` / `TicketSourceError`."""
        ...


@runtime_checkable
class TicketSearch(Protocol):
    async def search_tickets(self, query: str, limit: int) -> list[str]:
        """IDs of the tickets matching the source's own query syntax (`investigate batch
        --query`), newest first, at most `limit`."""
        ...
