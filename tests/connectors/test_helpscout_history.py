"""`helpscout` as a `TicketHistorySource`: conversations of the period with embedded threads
(HAL pages), the first agent reply and the pending time read from the threads, and the
happiness ratings report (great = satisfied), which is said to be missing on plans without it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fakes.helpscout import FakeHelpScout, make_conversation, make_rating_row, make_thread

from investigate.context import Context
from investigate.sdk.history import HistoryQuery
from investigate.stats import compute
from investigate_connectors.helpscout import HelpScout

APP_ID, SECRET = "hs_app_id_123", "hs_secret_456"
SINCE = datetime(2026, 11, 1, tzinfo=UTC)
UNTIL = datetime(2026, 11, 30, tzinfo=UTC)
CUSTOMER = ("customer", "Dana", "Scully")


@pytest.fixture
def fake() -> Iterator[FakeHelpScout]:
    with FakeHelpScout(app_id=APP_ID, app_secret=SECRET) as server:
        yield server
        server.check()


def connector(fake: FakeHelpScout) -> HelpScout:
    section: dict[str, Any] = {
        "type": "helpscout",
        "base_url": fake.url,
        "app_id": APP_ID,
        "app_secret": SECRET,
    }
    return HelpScout("helpdesk", HelpScout.config_model.model_validate(section), Context())


def thread(
    tid: int, kind: str, when: str, status: str, by: tuple[str, str, str] = ("user", "Agent", "Kay")
) -> dict[str, Any]:
    return {**make_thread(tid, kind, by=by, when=when), "status": status}


def seed(fake: FakeHelpScout) -> None:
    fake.add_conversation(
        make_conversation(
            1001, createdAt="2026-11-10T09:00:00Z", status="closed", closedAt="2026-11-10T17:00:00Z"
        ),
        [
            thread(1, "customer", "2026-11-10T09:00:00Z", "active", CUSTOMER),
            thread(2, "reply", "2026-11-10T09:40:00Z", "pending"),  # asks; waits 09:40 → 12:40
            thread(3, "customer", "2026-11-10T12:40:00Z", "active", CUSTOMER),
            thread(4, "note", "2026-11-10T13:00:00Z", "nochange"),
            thread(5, "reply", "2026-11-10T17:00:00Z", "closed"),
        ],
    )
    fake.add_conversation(
        make_conversation(1002, createdAt="2026-11-12T09:00:00Z"),
        [thread(6, "customer", "2026-11-12T09:00:00Z", "active", CUSTOMER)],
    )
    fake.add_conversation(make_conversation(1003, createdAt="2026-10-01T09:00:00Z"))  # before
    fake.ratings += [
        make_rating_row(1001, 1, "2026-11-10T18:00:00Z"),
        make_rating_row(1002, 2, "2026-11-12T18:00:00Z"),  # okay: not satisfied
    ]


async def test_history_reads_threads_and_ratings(fake: FakeHelpScout) -> None:
    seed(fake)
    fake.list_page_size = 1  # two conversations → two pages through _links.next
    history = await connector(fake).ticket_history(HistoryQuery(SINCE, UNTIL))
    by_id = {t.id: t for t in history.tickets}
    assert set(by_id) == {"1001", "1002"}
    one = by_id["1001"]
    assert compute.frt_minutes(one) == 40.0  # the note and the customer's threads are not replies
    assert one.paused == timedelta(hours=3)
    assert compute.mttr_minutes(one) == 8 * 60 - 3 * 60
    assert one.rating is not None and one.rating.satisfied
    two = by_id["1002"]
    assert two.first_reply_at is None and two.rating is not None and not two.rating.satisfied
    assert fake.queries[0] == "(createdAt:[2026-11-01T00:00:00Z TO 2026-11-30T00:00:00Z])"
    assert len([r for r in fake.requests if r.path == "/v2/conversations"]) == 2


async def test_plans_without_reports_say_so(fake: FakeHelpScout) -> None:
    seed(fake)
    fake.reports_forbidden = True
    history = await connector(fake).ticket_history(HistoryQuery(SINCE, UNTIL))
    assert all(t.rating is None for t in history.tickets)
    assert any("no happiness ratings" in n for n in history.notes)
