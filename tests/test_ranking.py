"""Ranking: each signal moves an item the right way, and says why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from investigate.evidence.ranking import rank
from investigate.models import Entities, Evidence

T = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
ENTITIES = Entities(account_ids=["acc_1"], emails=["ana@acme.io"])


def at(hours: float) -> datetime:
    return T + timedelta(hours=hours)


def pattern(
    title: str,
    *,
    hours: float = -1,
    level: str = "error",
    novelty: str = "new",
    matched: tuple[str, ...] = (),
    services: tuple[str, ...] = ("api",),
    **attributes: Any,
) -> Evidence:
    return Evidence(
        source="logs",
        kind="log_pattern",
        title=title,
        timestamp=at(hours),
        first_seen=at(hours),
        last_seen=at(hours + 0.5),
        level=level,  # type: ignore[arg-type]
        novelty=novelty,  # type: ignore[arg-type]
        count=10,
        matched=list(matched),
        services=list(services),
        attributes=attributes,
    )


def row(
    title: str, *, hours: float, kind: str = "db_row", matched: bool = True, **fields: Any
) -> Evidence:
    return Evidence(
        source="db",
        kind=kind,  # type: ignore[arg-type]
        title=title,
        timestamp=at(hours),
        matched=["acc_1"] if matched else [],
        attributes={"row": fields},
    )


def ranked(*items: Evidence) -> list[str]:
    return [e.title for e in rank(list(items), ENTITIES, T)]


def reasons(items: list[Evidence], title: str) -> str:
    return " | ".join(next(e for e in items if e.title == title).reasons)


def test_an_error_that_began_after_the_ticket_is_marked_but_a_bug_filed_later_is_not() -> None:
    late_error = pattern("late error", hours=3)
    bug = Evidence(
        source="bugs",
        kind="issue",
        title="BUG-1 export fails",
        timestamp=at(3),
        attributes={"text_score": 9.0, "row": {"status": "open"}},
    )
    items = rank([late_error, bug], ENTITIES, T)

    assert "cannot be its cause" in reasons(items, "late error")
    assert "cannot be its cause" not in reasons(items, "BUG-1 export fails")


def test_an_audit_change_just_before_the_customers_new_error_explains_it() -> None:
    problem = pattern(
        "forbidden [ERR_PERMISSION_DENIED]", hours=-5, level="warning", matched=("acc_1",)
    )
    before = row("Audit: user.role_changed on ana", hours=-6, action="user.role_changed")
    after = row("Audit: dashboard.created on d1", hours=-1, action="dashboard.created")
    unrelated = row("Job job_1 (ingest): succeeded", hours=-6, status="succeeded")
    items = rank([problem, before, after, unrelated], ENTITIES, T)

    assert "changed shortly before this customer's problem" in reasons(items, before.title)
    assert "changed shortly before" not in reasons(items, after.title)
    assert "changed shortly before" not in reasons(items, unrelated.title)
    order = [e.title for e in items]
    assert order.index(before.title) < order.index(after.title)
    assert order.index(before.title) < order.index(unrelated.title)


def test_another_customers_change_explains_nothing() -> None:
    problem = pattern("forbidden", hours=-5, level="warning", matched=("acc_1",))
    theirs = row(
        "Audit: user.role_changed on bob", hours=-6, matched=False, action="user.role_changed"
    )

    items = rank([problem, theirs], ENTITIES, T)

    assert "changed shortly before" not in reasons(items, theirs.title)


def test_the_customers_own_onset_is_used_not_the_patterns_global_first_line() -> None:
    # Other accounts hit the error for a day; this customer only after their role changed.
    problem = pattern(
        "forbidden",
        hours=-23,
        level="warning",
        matched=("acc_1",),
        matched_first_seen=at(-5).isoformat(),
    )
    change = row("Audit: user.role_changed on ana", hours=-6, action="user.role_changed")

    items = rank([problem, change], ENTITIES, T)

    assert "changed shortly before" in reasons(items, change.title)


def test_the_tickets_account_record_is_context_near_the_top() -> None:
    account = row(
        "Account acc_1 Acme (growth, active)", hours=-100, kind="customer", status="active"
    )
    paid = row("Invoice in_1: paid", hours=-100, kind="invoice", status="paid")

    items = rank([paid, account], ENTITIES, T)

    assert items[0].title == account.title
    assert "the ticket's account" in reasons(items, account.title)


def test_errors_that_share_nothing_with_the_ticket_rank_below_the_customers_own() -> None:
    theirs = pattern("ERROR web: upstream reset", hours=-1, services=("web",), accounts_affected=14)
    mine = pattern("WARNING api: quota exceeded", hours=-1, level="warning", matched=("acc_1",))
    alert = Evidence(
        source="alerts",
        kind="alert",
        title="APIHighErrorRate firing",
        timestamp=at(-1),
        attributes={"row": {"status": "firing"}},
    )
    items = rank([theirs, mine, alert], ENTITIES, T)
    order = [e.title for e in items]

    assert order.index(mine.title) < order.index(theirs.title)
    assert "not linked to this ticket" in reasons(items, theirs.title)
    assert "not linked" not in reasons(items, alert.title)  # alerts are about everyone


def test_a_new_error_in_the_same_service_just_before_the_customers_problem_is_a_cause() -> None:
    mine = pattern(
        "WARNING ingest: lag for acc_1",
        hours=-10,
        level="warning",
        matched=("acc_1",),
        services=("ingest",),
    )
    cause = pattern("ERROR ingest: partition rebalance stuck", hours=-10.5, services=("ingest",))
    elsewhere = pattern("ERROR web: tiles failed", hours=-10.5, services=("web",))

    items = rank([mine, cause, elsewhere], ENTITIES, T)

    assert "began just before this customer's problem" in reasons(items, cause.title)
    assert "began just before" not in reasons(items, elsewhere.title)
    order = [e.title for e in items]
    assert order.index(cause.title) < order.index(elsewhere.title)


def test_repeats_of_the_same_shape_step_down_so_other_facts_surface() -> None:
    charges = [
        row(f"Charge ch_{i}: failed card_declined", hours=-2, kind="charge", status="failed")
        for i in range(3)
    ]
    subscription = row(
        "Subscription sub_1: past_due", hours=-2, kind="subscription", status="past_due"
    )

    items = rank([*charges, subscription], ENTITIES, T)
    order = [e.title for e in items]

    assert order.index(subscription.title) == 1  # after the first charge, before the repeats
    assert sum("repeats an item above" in " ".join(e.reasons) for e in items) == 2


def test_every_item_carries_reasons_that_add_up_to_its_score() -> None:
    items = rank(
        [
            pattern("a", matched=("acc_1",)),
            pattern("b"),
            row("Audit: x.updated", hours=-2, action="x.updated"),
        ],
        ENTITIES,
        T,
    )
    for e in items:
        assert e.reasons
        total = sum(float(r.split(" ", 1)[0]) for r in e.reasons)
        assert abs(total - e.score) < 0.1 * len(e.reasons)


def test_a_firing_alert_with_a_severity_label_still_counts_as_firing() -> None:
    labelled = Evidence(
        source="alerts",
        kind="alert",
        title="HighErrorRate (critical)",
        level="critical",
        timestamp=at(-1),
        attributes={"row": {"status": "firing"}},
    )
    items = rank([labelled], ENTITIES, T)
    assert "+3.5 alert firing" in items[0].reasons


def test_only_kept_items_are_numbered_and_no_link_points_at_a_dropped_one() -> None:
    """IDs are given after the budget: a change keeps its link to an error only when both are
    in the report (a link to a dropped item would cite an ID the report does not have)."""
    from investigate.evidence import causal
    from investigate.evidence.ranking import number
    from investigate.models import CausalLink, Evidence

    deploy = Evidence(source="deploys", kind="deploy", title="Deploy api v2")
    shown = Evidence(source="logs", kind="log_pattern", title="ERROR api: KeyError")
    dropped = Evidence(source="logs", kind="log_pattern", title="ERROR api: timeout")
    links = [
        causal.Link(deploy, shown, CausalLink(change="deploy", strength=0.9)),
        causal.Link(deploy, dropped, CausalLink(change="deploy", strength=0.8)),
    ]
    kept = number([deploy, shown], links)
    assert [e.id for e in kept] == ["E1", "E2"] and dropped.id == ""
    assert [(link.cause, link.effect) for link in deploy.links] == [("E1", "E2")]
