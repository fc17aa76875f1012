"""Small, shared readings of an evidence item: its status, its error codes, whether it shows a
problem. Ranking and the offline analyst both use these, so they agree on what matters."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from investigate.models import Evidence
from investigate.rows import parse_time

_CODE = re.compile(r"\b(?:[A-Z][A-Z0-9]{1,15}_){1,6}[A-Z0-9]{2,20}\b")
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


def row(e: Evidence) -> dict[str, Any]:
    value = e.attributes.get("row")
    return value if isinstance(value, dict) else {}


def status(e: Evidence) -> str:
    value = row(e).get("status") or e.attributes.get("status") or ""
    return str(value).strip().lower()


def text(e: Evidence) -> str:
    return f"{e.title}\n{e.detail}\n" + "\n".join(e.examples)


def error_codes(e: Evidence) -> set[str]:
    codes = set(e.attributes.get("error_codes") or [])
    codes.update(_CODE.findall(text(e)))
    return {c for c in codes if not c.startswith(("HTTP_", "UTC_"))}


def is_severe_log(e: Evidence) -> bool:
    return e.kind in ("log", "log_pattern") and e.level in ("error", "critical")


def is_problem(e: Evidence) -> bool:
    """Does this item, on its own, show something wrong?"""
    if e.kind in ("log", "log_pattern"):
        return e.level in ("error", "critical", "warning")
    st = status(e)
    if e.kind == "invoice":
        attempts = _int(row(e).get("attempt_count"))
        return (
            st in BAD_STATUSES
            or (st == "open" and attempts > 0)
            or bool(row(e).get("last_payment_error"))
        )
    if e.kind == "issue":
        return st in OPEN_ISSUE
    if e.kind in ("alert", "incident"):
        return st in ("firing", "triggered", "acknowledged", "open", "active")
    if e.kind == "status":
        return st in DEGRADED or st in BAD_STATUSES
    return st in BAD_STATUSES


_CHANGE_KEYS = ("action", "event_type", "change", "changed_field", "operation")
_CHANGE_VERB = re.compile(
    r"\b\w*(?:changed|updated|removed|deleted|disabled|enabled|revoked|rotated|downgraded|"
    r"modified|renamed|created|added|set)\b",
    re.I,
)


def customer_onset(e: Evidence) -> datetime:
    """When the ticket's own entities first showed up in this item (else when it began)."""
    own = parse_time(e.attributes.get("matched_first_seen"))
    start = own or e.first_seen or e.timestamp
    assert start is not None
    return start


def is_change(e: Evidence) -> bool:
    """A deploy, or a recorded change to the customer's setup (an audit-log row such as
    `user.role_changed` or `sso.settings.updated`)."""
    if e.kind == "deploy":
        return True
    if e.kind not in ("db_row", "customer", "subscription"):
        return False
    r = row(e)
    for key in _CHANGE_KEYS:
        value = r.get(key)
        if isinstance(value, str) and _CHANGE_VERB.search(
            value.replace(".", " ").replace("_", " ")
        ):
            return True
    return e.title.lower().startswith(("audit", "change"))


RUNNING = frozenset({"running", "queued", "pending", "processing", "in_progress"})
STUCK_AFTER = timedelta(hours=2)


def is_stuck(e: Evidence, reference: datetime) -> bool:
    """A job still running or queued, unfinished, that started long before `reference`."""
    r = row(e)
    started = parse_time(r.get("started_at") or r.get("created_at"))
    return (
        status(e) in RUNNING
        and not r.get("finished_at")
        and started is not None
        and reference - started > STUCK_AFTER
    )


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
