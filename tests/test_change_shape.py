"""A recorded change is recognised by the shape of its row, whatever the product calls it:
audit tables of well-known tools (PaperTrail, Rails `audited`, Salesforce field history,
PostgreSQL audit triggers, Django's admin log) and a product's own settings history. Written
before the rule, from those tools' documented columns, not from any eval case."""

from __future__ import annotations

from typing import Any

import pytest

from investigate.evidence import signals
from investigate.models import Evidence


def db_row(title: str, row: dict[str, Any]) -> Evidence:
    return Evidence(source="db", kind="db_row", title=title, attributes={"row": row})


@pytest.mark.parametrize(
    ("title", "row"),
    [
        (  # PaperTrail `versions`
            "Version 9912 of Webhook 31",
            {"item_type": "Webhook", "item_id": 31, "whodunnit": "u_8", "object_changes": "{}"},
        ),
        (  # Rails `audited`
            "Audit 551",
            {"auditable_type": "Plan", "auditable_id": 4, "audited_changes": "{seats: [5, 3]}"},
        ),
        (  # Salesforce AccountHistory
            "Account 001xx field Tier",
            {"Field": "Tier", "OldValue": "Gold", "NewValue": "Silver", "CreatedById": "005xx"},
        ),
        (  # a PostgreSQL audit trigger (audit.logged_actions)
            "logged action 77",
            {"table_name": "tenants", "old_data": '{"sso": true}', "new_data": '{"sso": false}'},
        ),
        (  # a product's own settings history
            "Setting feed_url",
            {"setting": "feed_url", "old_value": "", "new_value": "https://x.example/rss"},
        ),
        (  # before/after columns
            "Quota for ws_12",
            {"quota_before": 500, "quota_after": 50, "by": "admin@ws12.example"},
        ),
        (  # who changed it, and when
            "Webhook secret",
            {"webhook": "wh_1", "modified_by": "ops@client.example", "modified_at": "2026-09-01"},
        ),
    ],
)
def test_a_row_shaped_like_a_change_is_a_change(title: str, row: dict[str, Any]) -> None:
    assert signals.is_change(db_row(title, row))


@pytest.mark.parametrize(
    ("title", "row"),
    [
        ("Order 5512", {"id": 5512, "status": "shipped", "total": 40, "created_at": "2026-09-01"}),
        ("Upload up_1 (3h)", {"id": "up_1", "state": "processing", "seconds": 11460}),
        ("Network net_1", {"id": "net_1", "name": "Harborline", "region": "eu-central"}),
        ("Price list", {"old_price_display": True, "currency": "EUR"}),  # one side only
        ("Route", {"from": "Lisbon", "to": "Porto", "carrier": "CTT"}),  # not a value pair
    ],
)
def test_an_ordinary_record_is_not_a_change(title: str, row: dict[str, Any]) -> None:
    assert not signals.is_change(db_row(title, row))
