"""What `investigate stats` reads from a ticket source: one `HistoryTicket` per ticket, with the
times the metrics need (first public agent reply, final solve, paused time, reopens), the
fields escalation is read from, and the satisfaction rating.

A connector that can supply this implements `TicketHistorySource` (an optional capability,
like `TicketSource`): it maps its vendor's data onto these models; the metrics never see a
vendor's JSON. `paused is None` means the source does not expose pending/on-hold time, which
the stats then say rather than guess.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, field_validator

from investigate.models import Comment, Person

Scale = Literal["1-5", "good_bad"]
DONE = frozenset({"solved", "closed", "resolved"})
PAUSED = frozenset({"pending", "on-hold", "on_hold", "hold", "waiting", "snoozed"})


def utc(value: datetime) -> datetime:
    """A time without a zone is taken as UTC; every other zone is converted to UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Rating(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)  # built when `stats` first uses it

    score: float = Field(description="1–5, or 1 (good) / 0 (bad) on the good_bad scale.")
    scale: Scale = "1-5"
    rated_at: datetime | None = None

    @property
    def satisfied(self) -> bool:
        return self.score >= 4 if self.scale == "1-5" else self.score >= 1


class HistoryTicket(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    id: str
    created_at: datetime
    subject: str = ""
    text: str = Field("", description="The customer's first message, for the incident radar.")
    customer: str | None = Field(None, description="Organisation, or the requester's domain.")
    priority: str | None = None
    channel: str | None = None
    category: str | None = None
    service: str | None = None
    status: str | None = None
    first_reply_at: datetime | None = None
    solved_at: datetime | None = Field(None, description="The last solve (after any reopen).")
    reopens: int = 0
    paused: timedelta | None = Field(
        None, description="Pending/on-hold time before the solve; None: the source has none."
    )
    group: str | None = None
    tags: list[str] = Field(default_factory=list)
    custom_fields: dict[str, Any] = Field(default_factory=dict)
    rating: Rating | None = None

    @field_validator("created_at", "first_reply_at", "solved_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return utc(value) if value is not None else None


@dataclass(frozen=True)
class HistoryQuery:
    since: datetime
    until: datetime
    query: str = ""
    limit: int = 5000


@dataclass
class History:
    tickets: list[HistoryTicket] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """What the source could not supply (e.g. "pending time not exposed"), or where it stopped."""


@runtime_checkable
class TicketHistorySource(Protocol):
    async def ticket_history(self, query: HistoryQuery) -> History:
        """Tickets created in [since, until) matching the source's own query syntax, read-only
        and paged; raise `TicketSourceError` when the source cannot be read."""
        ...


# helpers for connectors -------------------------------------------------------------------


def is_agent_reply(comment: Comment, requester: Person) -> bool:
    """A public comment by someone other than the requester."""
    who = (comment.author or "").lower()
    mine = {(requester.email or "").lower(), (requester.name or "").lower()} - {""}
    return comment.public and bool(who) and who not in mine


def first_agent_reply(comments: Iterable[Comment], requester: Person) -> datetime | None:
    times = [
        utc(c.created_at)
        for c in comments
        if c.created_at is not None and is_agent_reply(c, requester)
    ]
    return min(times) if times else None


@dataclass(frozen=True)
class StatusChange:
    status: str
    at: datetime


def from_status_changes(changes: Sequence[StatusChange]) -> tuple[datetime | None, int, timedelta]:
    """(final solve, reopens, paused time before that solve) from a status history.

    Paused time is the time spent in a pending/on-hold status; a ticket still open counts
    its paused time up to its last change."""
    ordered = sorted(changes, key=lambda c: c.at)
    solved_at: datetime | None = None
    reopens = 0
    paused = timedelta()
    paused_since: datetime | None = None
    was_done = False
    for change in ordered:
        status = change.status.lower()
        at = utc(change.at)
        if paused_since is not None:
            paused += at - paused_since
            paused_since = None
        if status in PAUSED:
            paused_since = at
        done = status in DONE
        if was_done and not done:
            reopens += 1
            solved_at = None
        if done and not was_done:
            solved_at = at
        was_done = done
    return solved_at, reopens, paused
