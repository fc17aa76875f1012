"""The `file` source as a `TicketHistorySource` (the demo's): status history → solve, reopens
and pending time; the first public agent reply from the comments; ratings on both scales;
`--query` and the period filter; a broken ticket skipped with a note."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from investigate.context import Context
from investigate.sdk.history import HistoryQuery
from investigate.stats import compute
from investigate_connectors.file import FileTickets

SINCE = datetime(2026, 11, 1, tzinfo=UTC)
UNTIL = datetime(2026, 11, 30, tzinfo=UTC)


def source(path: Path) -> FileTickets:
    config = FileTickets.config_model.model_validate({"type": "file", "path": str(path)})
    return FileTickets("history", config, Context())


def ticket(tid: str, created: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": tid,
        "subject": extra.pop("subject", "Export fails"),
        "created_at": created,
        "requester": {"name": "Dana", "email": "dana@acme.io"},
        "organization": {"name": "Acme"},
        **extra,
    }


async def test_history_from_comments_status_changes_and_ratings(tmp_path: Path) -> None:
    rows = [
        ticket(
            "1",
            "2026-11-10T10:00:00+01:00",  # 09:00 UTC
            status="solved",
            channel="chat",
            comments=[
                {"author": "Dana", "body": "hello?", "created_at": "2026-11-10T09:05:00Z"},
                {
                    "author": "Kay",
                    "body": "note",
                    "created_at": "2026-11-10T09:10:00Z",
                    "public": False,
                },
                {"author": "Kay", "body": "on it", "created_at": "2026-11-10T09:20:00Z"},
            ],
            status_changes=[
                {"status": "pending", "at": "2026-11-10T09:30:00Z"},
                {"status": "open", "at": "2026-11-10T11:30:00Z"},
                {"status": "solved", "at": "2026-11-10T13:00:00Z"},
                {"status": "open", "at": "2026-11-11T09:00:00Z"},
                {"status": "solved", "at": "2026-11-11T10:00:00Z"},
            ],
            satisfaction={"score": 4},
        ),
        ticket(
            "2", "2026-11-12T09:00:00Z", subject="Invoice question", satisfaction={"score": "bad"}
        ),
        ticket("3", "2026-10-01T09:00:00Z"),  # before the period
        {"subject": "no id"},
    ]
    path = tmp_path / "history.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    history = await source(path).ticket_history(HistoryQuery(SINCE, UNTIL))
    by_id = {t.id: t for t in history.tickets}
    assert set(by_id) == {"1", "2"}
    one = by_id["1"]
    assert compute.frt_minutes(one) == 20.0  # the internal note and the customer do not count
    assert one.reopens == 1 and one.paused == timedelta(hours=2)
    assert compute.mttr_minutes(one) == (25 * 60) - 120
    assert one.customer == "Acme" and one.channel == "chat"
    assert one.rating is not None and one.rating.scale == "1-5" and one.rating.satisfied
    two = by_id["2"]
    assert two.paused is None and two.first_reply_at is None  # no status history: not exposed
    assert two.rating is not None and two.rating.scale == "good_bad" and not two.rating.satisfied
    only = await source(path).ticket_history(HistoryQuery(SINCE, UNTIL, query="invoice"))
    assert [t.id for t in only.tickets] == ["2"]
