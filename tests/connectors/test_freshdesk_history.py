"""`freshdesk` as a `TicketHistorySource`: the ticket list with stats (link-header pages,
stopping once older than the period) and satisfaction ratings mapped to first reply, solve,
reopens and good/bad; pending time is said to be missing; --query is refused in one line."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fakes.freshdesk import FakeFreshdesk, make_rating, make_requester, make_stats, make_ticket

from investigate.context import Context
from investigate.errors import TicketSourceError
from investigate.sdk.history import HistoryQuery
from investigate.stats import compute
from investigate_connectors.freshdesk import Freshdesk

KEY = "fd_fake_key_123"
SINCE = datetime(2026, 11, 1, tzinfo=UTC)
UNTIL = datetime(2026, 11, 30, tzinfo=UTC)


@pytest.fixture
def fake() -> Iterator[FakeFreshdesk]:
    with FakeFreshdesk(api_key=KEY) as server:
        yield server
        server.check()


def connector(fake: FakeFreshdesk) -> Freshdesk:
    section = {"type": "freshdesk", "base_url": fake.url, "api_key": KEY}
    return Freshdesk("helpdesk", Freshdesk.config_model.model_validate(section), Context())


def seed(fake: FakeFreshdesk) -> None:
    who = make_requester(11)
    when = {1: "2026-11-10T09:00:00Z", 2: "2026-11-12T09:00:00Z", 3: "2026-10-02T09:00:00Z"}
    for number, created in when.items():
        fake.add_ticket(
            make_ticket(
                number, requester=who, created_at=created, updated_at="2026-11-20T00:00:00Z"
            ),
            requester=who,
        )
    fake.tickets["1"].update(status=4, source=7, priority=4)
    fake.stats["1"] = make_stats(
        first_responded_at="2026-11-10T09:20:00Z",
        resolved_at="2026-11-10T13:00:00Z",
        reopened_at="2026-11-10T12:00:00Z",
    )
    fake.stats["2"] = make_stats(first_responded_at="2026-11-12T10:00:00Z")
    fake.ratings += [
        make_rating(1, 1, 103, "2026-11-10T14:00:00Z"),
        make_rating(2, 2, 100, "2026-11-12T14:00:00Z"),  # neutral: not satisfied
    ]


async def test_history_maps_stats_and_ratings(fake: FakeFreshdesk) -> None:
    seed(fake)
    history = await connector(fake).ticket_history(HistoryQuery(SINCE, UNTIL))
    by_id = {t.id: t for t in history.tickets}
    assert set(by_id) == {"1", "2"}  # ticket 3 was created before the period
    one = by_id["1"]
    assert one.channel == "chat" and one.priority == "urgent" and one.status == "solved"
    assert compute.frt_minutes(one) == 20.0 and compute.mttr_minutes(one) == 240.0
    assert one.reopens == 1 and one.paused is None and one.customer == "company 55"
    assert one.rating is not None and one.rating.satisfied
    assert by_id["2"].rating is not None and not by_id["2"].rating.satisfied
    assert any("does not expose time spent pending" in n for n in history.notes)
    listed = next(r for r in fake.requests if r.path == "/api/v2/tickets")
    assert (
        "include=stats" in listed.query and "updated_since=2026-11-01T00%3A00%3A00Z" in listed.query
    )


async def test_paging_stops_at_tickets_older_than_the_period(fake: FakeFreshdesk) -> None:
    seed(fake)
    fake.page_size = 1
    history = await connector(fake).ticket_history(HistoryQuery(SINCE, UNTIL))
    assert len(history.tickets) == 2
    pages = [r for r in fake.requests if r.path == "/api/v2/tickets"]
    assert len(pages) == 3  # the third holds the October ticket: no fourth request


async def test_query_is_refused_in_one_line(fake: FakeFreshdesk) -> None:
    with pytest.raises(TicketSourceError, match="--query is not supported"):
        await connector(fake).ticket_history(HistoryQuery(SINCE, UNTIL, query="priority:4"))
