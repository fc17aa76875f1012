"""`zendesk` as a `TicketHistorySource` for `investigate stats`: tickets of the period from
search (offset pages), their metric sets (cursor pages, read until older than the period) and
satisfaction ratings (cursor pages; a 403 for non-admins falls back to each ticket's rating),
mapped to first reply, solve, pending + on-hold time, reopens and good/bad ratings."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fakes.zendesk import FakeZendesk, make_metric, make_rating, make_ticket

from investigate.context import Context
from investigate.sdk.history import HistoryQuery, TicketHistorySource
from investigate.stats import compute
from investigate_connectors.zendesk import Zendesk

EMAIL = "agent@acme.io"
TOKEN = "zd_fake_token_123"
SINCE = datetime(2026, 11, 1, tzinfo=UTC)
UNTIL = datetime(2026, 11, 30, tzinfo=UTC)


@pytest.fixture
def fake() -> Iterator[FakeZendesk]:
    with FakeZendesk(email=EMAIL, token=TOKEN) as server:
        yield server
        server.check()


def connector(fake: FakeZendesk, **extra: Any) -> Zendesk:
    section = {"type": "zendesk", "base_url": fake.url, "email": EMAIL, "api_token": TOKEN}
    section.update(extra)
    return Zendesk("helpdesk", Zendesk.config_model.model_validate(section), Context())


def seed(fake: FakeZendesk) -> None:
    fake.add_ticket(make_ticket(1, created_at="2026-11-10T09:00:00Z", status="solved"))
    fake.metrics.append(
        make_metric(
            1,
            "2026-11-10T09:00:00Z",
            reply_time_in_minutes=45,
            agent_wait_time_in_minutes=120,  # pending
            on_hold_time_in_minutes=30,
            solved_at="2026-11-10T15:00:00Z",
            reopens=1,
        )
    )
    fake.add_ticket(
        make_ticket(
            2,
            created_at="2026-11-12T09:00:00Z",
            status="open",
            organization_id=88,
            satisfaction_rating={"score": "bad"},
        )
    )
    fake.metrics.append(make_metric(2, "2026-11-12T09:00:00Z", reply_time_in_minutes=10))
    fake.add_ticket(make_ticket(3, created_at="2026-10-01T09:00:00Z"))  # before the period
    fake.metrics.append(make_metric(3, "2026-10-01T09:00:00Z", reply_time_in_minutes=5))
    fake.ratings.append(make_rating(701, 1, "good", "2026-11-10T16:00:00Z"))


async def test_history_maps_metrics_and_ratings(fake: FakeZendesk) -> None:
    seed(fake)
    source = connector(fake)
    assert isinstance(source, TicketHistorySource)
    history = await source.ticket_history(HistoryQuery(SINCE, UNTIL))
    by_id = {t.id: t for t in history.tickets}
    assert set(by_id) == {"1", "2"}
    one = by_id["1"]
    assert one.first_reply_at == datetime(2026, 11, 10, 9, 45, tzinfo=UTC)
    assert one.solved_at == datetime(2026, 11, 10, 15, tzinfo=UTC)
    assert one.paused == timedelta(minutes=150) and one.reopens == 1
    assert one.rating is not None and one.rating.scale == "good_bad" and one.rating.satisfied
    assert one.channel == "email" and one.customer == "organization 77" and one.group == "12"
    assert compute.mttr_minutes(one) == 360 - 150  # six hours less pending and on-hold
    two = by_id["2"]
    assert two.customer == "organization 88" and two.solved_at is None
    assert two.rating is None  # the list has no rating for it: received ratings only
    search = fake.parsed[0]
    assert ("created", ">=", "2026-11-01T00:00:00Z") in search
    assert ("created", "<=", "2026-11-30T00:00:00Z") in search
    rated = next(r for r in fake.requests if "satisfaction_ratings" in r.path)
    assert "score=received" in rated.query and f"start_time={int(SINCE.timestamp())}" in rated.query


async def test_paging_stops_once_metrics_are_older_than_the_period(fake: FakeZendesk) -> None:
    seed(fake)
    for i in range(10, 40):  # thirty older tickets' metrics after the period's
        fake.metrics.append(make_metric(i, f"2026-09-{i - 9:02d}T09:00:00Z"))
    fake.page_size = 2
    fake.search_page_size = 1  # two tickets → two search pages via next_page
    history = await connector(fake).ticket_history(HistoryQuery(SINCE, UNTIL))
    assert {t.id for t in history.tickets} == {"1", "2"}
    metric_pages = [r for r in fake.requests if "ticket_metrics" in r.path]
    assert len(metric_pages) == 2  # the second page holds ticket 3's (October): stop there
    assert len([r for r in fake.requests if "search" in r.path]) == 2


async def test_non_admins_fall_back_to_the_rating_on_the_ticket(fake: FakeZendesk) -> None:
    seed(fake)
    fake.ratings_forbidden = True
    history = await connector(fake).ticket_history(HistoryQuery(SINCE, UNTIL))
    two = next(t for t in history.tickets if t.id == "2")
    assert two.rating is not None and not two.rating.satisfied  # "bad" on the ticket
    assert any("using the rating on each ticket" in n for n in history.notes)


async def test_the_page_cap_is_said(fake: FakeZendesk) -> None:
    seed(fake)
    fake.search_page_size = 1
    history = await connector(fake, max_history_pages=1).ticket_history(HistoryQuery(SINCE, UNTIL))
    assert len(history.tickets) == 1
    assert any("only the first 1 pages of results" in n for n in history.notes)
