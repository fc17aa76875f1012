"""The typed state of an evidence item, and the generic vocabulary that reads it from a status
word when a source gives only the word.

A connector that knows its vendor's words sets `Evidence.state` itself (Opsgenie `acked` →
`acknowledged`); a generic row source (SQL, records, HTTP) gives only `Evidence.status`, the
word as the record spells it, and `classify` decides. The core reads `state`, never the word,
to decide whether an item shows a problem; the word stays for display and for the few rules
that need its detail (a job still `running`, a person `deprovisioned`).

This module imports nothing from the project, so `investigate.models` can use it.
"""

from __future__ import annotations

from typing import Literal

State = Literal["problem", "firing", "acknowledged", "resolved", "healthy", "context"]
"""- `problem`: the record itself shows something wrong (an unpaid invoice, a failed charge, a
  suspended account, an open known bug, a degraded status-page component);
- `firing` / `acknowledged` / `resolved`: an alert's or incident's lifecycle (acknowledged is
  still a problem: someone is on it, it is not over);
- `healthy`: the record says all is well (a paid invoice, an operational component);
- `context`: a state word that says neither (a plan name, `trialing`, `pending`)."""
STATES: tuple[str, ...] = State.__args__  # type: ignore[attr-defined]
PROBLEM_STATES = frozenset({"problem", "firing", "acknowledged"})

BAD_STATUSES = frozenset(
    {
        "past_due",
        "unpaid",
        "canceled",
        "cancelled",
        "incomplete",
        "incomplete_expired",
        "failed",
        "uncollectible",
        "firing",
        "triggered",
        "stuck",
        "suspended",
        "locked",
        "disabled",
        "declined",
        "error",
        "open_failed",
    }
)
OPEN_ISSUE = frozenset(
    {"open", "in_progress", "in progress", "reopened", "todo", "triage", "new", "unresolved"}
)
DEGRADED = frozenset({"degraded_performance", "partial_outage", "major_outage"})
"""Status-page component states that show a problem."""
FIRING = frozenset({"firing", "triggered", "open", "active"})
ACKNOWLEDGED = frozenset({"acknowledged", "acked", "ack"})
RESOLVED = frozenset(
    {"resolved", "closed", "ok", "inactive", "normal", "recovered", "done", "completed", "fixed"}
)
HEALTHY = frozenset(
    {
        "active",
        "paid",
        "succeeded",
        "success",
        "operational",
        "ok",
        "healthy",
        "enabled",
        "completed",
        "complete",
        "done",
        "finished",
        "resolved",
        "closed",
    }
)
ALERTING_KINDS = frozenset({"alert", "incident"})


def classify(
    kind: str,
    status: str | None,
    *,
    payment_attempts: int | None = None,
    payment_error: str | None = None,
) -> State | None:
    """The state a status word shows for an item of this kind (None: no word, no signal).

    Logs have no state (their level speaks). An invoice also shows a problem through a failed
    payment attempt or a payment error, whatever its status word."""
    if kind in ("log", "log_pattern"):
        return None
    st = (status or "").strip().lower()
    if kind == "invoice" and (
        (st == "open" and (payment_attempts or 0) > 0) or bool(payment_error)
    ):
        return "problem"
    if not st:
        return None
    if kind in ALERTING_KINDS:
        if st in ACKNOWLEDGED:
            return "acknowledged"
        if st in FIRING:
            return "firing"
        return "resolved" if st in RESOLVED else "context"
    if kind == "issue":
        if st in OPEN_ISSUE:
            return "problem"
        return "resolved" if st in RESOLVED else "context"
    if st in BAD_STATUSES or (kind == "status" and st in DEGRADED):
        return "problem"
    return "healthy" if st in HEALTHY else "context"
