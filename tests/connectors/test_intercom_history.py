"""`intercom` as a `TicketHistorySource`: conversations of the period from the read-only search
(cursor pages), with `statistics` and `conversation_rating` in the spec's shape mapped to first
reply, last close, reopens and a 1–5 rating; snoozed time is said to be missing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fakes.intercom import FakeIntercom, make_conversation

from investigate.context import Context
from investigate.sdk.history import HistoryQuery
from investigate.stats import compute
from investigate_connectors.intercom import Intercom

TOKEN = "ic_fake_token_123"
SINCE = datetime(2026, 11, 1, tzinfo=UTC)
UNTIL = datetime(2026, 11, 30, tzinfo=UTC)
T1 = int(datetime(2026, 11, 10, 9, tzinfo=UTC).timestamp())


@pytest.fixture
def fake() -> Iterator[FakeIntercom]:
    with FakeIntercom(token=TOKEN) as server:
        yield server
        server.check()


def connector(fake: FakeIntercom) -> Intercom:
    section = {"type": "intercom", "base_url": fake.url, "access_token": TOKEN}
    return Intercom("helpdesk", Intercom.config_model.model_validate(section), Context())


def statistics(**values: Any) -> dict[str, Any]:
    return {"type": "conversation_statistics", "count_reopens": 0, **values}


def seed(fake: FakeIntercom) -> None:
    fake.add_conversation(
        make_conversation(
            "101",
            created_at=T1,
            state="closed",
            open=False,
            statistics=statistics(
                first_admin_reply_at=T1 + 30 * 60,
                last_close_at=T1 + 5 * 3600,
                count_reopens=2,
            ),
            conversation_rating={
                "rating": 4,
                "remark": "",
                "created_at": T1 + 6 * 3600,
                "updated_at": T1 + 6 * 3600,
                "contact": {"type": "contact", "id": "c1", "external_id": None},
                "teammate": {"type": "admin", "id": "274"},
            },
        )
    )
    fake.add_conversation(make_conversation("102", contact="c2", created_at=T1 + 86400))
    fake.add_conversation(make_conversation("99", created_at=T1 - 40 * 86400))  # before


async def test_history_maps_statistics_and_ratings(fake: FakeIntercom) -> None:
    seed(fake)
    history = await connector(fake).ticket_history(HistoryQuery(SINCE, UNTIL))
    by_id = {t.id: t for t in history.tickets}
    assert set(by_id) == {"101", "102"}
    one = by_id["101"]
    assert compute.frt_minutes(one) == 30.0 and compute.mttr_minutes(one) == 300.0
    assert one.reopens == 2 and one.priority == "high" and one.customer == "contact c1"
    assert one.rating is not None and one.rating.scale == "1-5" and one.rating.score == 4
    two = by_id["102"]
    assert two.first_reply_at is None and two.solved_at is None and two.rating is None
    assert any("snoozed" in n for n in history.notes)
    terms = fake.searches[0]["query"]["value"]
    assert {t["field"] for t in terms} == {"created_at"}


async def test_query_narrows_by_message_text(fake: FakeIntercom) -> None:
    seed(fake)
    for i in range(3):
        fake.add_conversation(
            make_conversation(f"2{i}", body="<p>billing question</p>", created_at=T1 + i)
        )
    history = await connector(fake).ticket_history(HistoryQuery(SINCE, UNTIL, query="billing"))
    assert {t.id for t in history.tickets} == {"20", "21", "22"}
    assert fake.searches[0]["query"]["value"][-1] == {
        "field": "source.body",
        "operator": "~",
        "value": "billing",
    }
