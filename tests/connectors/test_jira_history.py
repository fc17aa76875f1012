"""`jira` (Service Management) as a `TicketHistorySource`: issues created in the period by JQL
(token pages), with the JSM SLA fields in their documented shape (`completedCycles`,
`ongoingCycle`, `elapsedTime.millis`) mapped to first response, paused time and reopens, the
request feedback field to a 1–5 rating, and the missing SLA fields said."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fakes.jira import FakeJira, adf, make_issue, person

from investigate.context import Context
from investigate.sdk.history import HistoryQuery
from investigate.stats import compute
from investigate_connectors.jira import Jira

EMAIL = "bot@acme.io"
TOKEN = "jira_fake_token_123"
SINCE = datetime(2026, 11, 1, tzinfo=UTC)
UNTIL = datetime(2026, 11, 30, tzinfo=UTC)
FIRST, RESOLUTION, FEEDBACK = "customfield_10030", "customfield_10031", "customfield_10040"


@pytest.fixture
def fake() -> Iterator[FakeJira]:
    with FakeJira(email=EMAIL, token=TOKEN) as server:
        yield server
        server.check()


def connector(fake: FakeJira, **extra: Any) -> Jira:
    section: dict[str, Any] = {
        "type": "jira",
        "base_url": fake.url,
        "deployment": "cloud",
        "email": EMAIL,
        "api_token": TOKEN,
        "service_desk": True,
        **extra,
    }
    return Jira("desk", Jira.config_model.model_validate(section), Context())


def moment(iso: str) -> dict[str, Any]:
    when = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return {
        "iso8601": when.strftime("%Y-%m-%dT%H:%M:%S+0000"),
        "jira": when.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
        "friendly": "today",
        "epochMillis": int(when.timestamp() * 1000),
    }


def cycle(start: str, stop: str, elapsed_minutes: int, goal_minutes: int) -> dict[str, Any]:
    def span(minutes: int) -> dict[str, Any]:
        return {"millis": minutes * 60_000, "friendly": f"{minutes}m"}

    return {
        "startTime": moment(start),
        "stopTime": moment(stop),
        "breachTime": moment(start),
        "breached": elapsed_minutes > goal_minutes,
        "goalDuration": span(goal_minutes),
        "elapsedTime": span(elapsed_minutes),
        "remainingTime": span(goal_minutes - elapsed_minutes),
    }


def sla(
    name: str, cycles: list[dict[str, Any]], ongoing: dict[str, Any] | None = None
) -> dict[str, Any]:
    field: dict[str, Any] = {"id": "1", "name": name, "completedCycles": cycles}
    if ongoing is not None:
        field["ongoingCycle"] = ongoing
    return field


def seed(fake: FakeJira) -> None:
    fake.add_issue(
        make_issue(
            "HELP-1",
            summary="Exports fail",
            description=adf("ERR_EXPORT_SERIALIZE on every export"),
            category="done",
            status="Resolved",
            created="2026-11-10T09:00:00.000+0000",
            resolutiondate="2026-11-10T17:00:00.000+0000",
            reporter=person("Dana Scully", "dana@acme.io"),
            **{
                FIRST: sla(
                    "Time to first response",
                    [cycle("2026-11-10T09:00:00Z", "2026-11-10T09:30:00Z", 30, 60)],
                ),
                RESOLUTION: sla(
                    "Time to resolution",  # 8h wall, 6h counted: 2h waiting for the customer
                    [
                        cycle("2026-11-10T09:00:00Z", "2026-11-10T12:00:00Z", 150, 480),
                        cycle("2026-11-10T14:00:00Z", "2026-11-10T17:00:00Z", 150, 480),
                    ],
                ),
                FEEDBACK: {"rating": 2},
            },
        )
    )
    fake.add_issue(make_issue("HELP-2", created="2026-11-12T09:00:00.000+0000"))
    fake.add_issue(make_issue("HELP-3", created="2026-10-01T09:00:00.000+0000"))  # before


async def test_history_maps_sla_fields_and_feedback(fake: FakeJira) -> None:
    seed(fake)
    source = connector(
        fake,
        sla_fields={"first_response": FIRST, "resolution": RESOLUTION},
        satisfaction_field=FEEDBACK,
    )
    history = await source.ticket_history(HistoryQuery(SINCE, UNTIL, query="project = HELP"))
    by_id = {t.id: t for t in history.tickets}
    assert set(by_id) == {"HELP-1", "HELP-2"}
    one = by_id["HELP-1"]
    assert compute.frt_minutes(one) == 30.0
    assert one.paused == timedelta(minutes=30 + 30)  # (3h − 2.5h) in each cycle
    assert one.reopens == 1 and one.customer == "acme.io" and one.priority == "high"
    assert compute.mttr_minutes(one) == 8 * 60 - 60
    assert one.rating is not None and one.rating.score == 2 and not one.rating.satisfied
    assert by_id["HELP-2"].first_reply_at is None and by_id["HELP-2"].solved_at is None
    clauses = fake.parsed[-1]
    assert ("project", "=", "HELP") in clauses
    assert ("created", ">=", "2026-11-01 00:00") in clauses
    assert ("created", "<=", "2026-11-30 00:00") in clauses


async def test_without_sla_fields_the_gap_is_said(fake: FakeJira) -> None:
    seed(fake)
    history = await connector(fake).ticket_history(HistoryQuery(SINCE, UNTIL))
    assert len(history.tickets) == 2
    assert all(t.first_reply_at is None and t.paused is None for t in history.tickets)
    assert any("no sla_fields configured" in n for n in history.notes)
