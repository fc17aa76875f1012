"""Small, shared readings of an evidence item: its status, its error codes, whether it shows a
problem. Ranking and the offline analyst both use these, so they agree on what matters."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from investigate.evidence.entities import ERROR_CODE
from investigate.models import Evidence, as_number
from investigate.sdk.rows import parse_time
from investigate.states import PROBLEM_STATES


def row(e: Evidence) -> dict[str, Any]:
    """The item's record cells (empty for items that are not records)."""
    return e.record


def status(e: Evidence) -> str:
    """The item's status word as its source spells it, lower-cased (`past_due`, `firing`)."""
    return (e.status or "").strip().lower()


def text(e: Evidence) -> str:
    return f"{e.title}\n{e.detail}\n" + "\n".join(e.examples)


def error_codes(e: Evidence) -> set[str]:
    codes = set(e.error_codes)
    codes.update(ERROR_CODE.findall(text(e)))
    return {c for c in codes if not c.startswith(("HTTP_", "UTC_"))}


def is_severe_log(e: Evidence) -> bool:
    return e.kind in ("log", "log_pattern") and e.level in ("error", "critical")


def is_customers_new_problem(e: Evidence) -> bool:
    """A new or spiking log line, a warning or worse, that names the ticket's own entities."""
    return (
        e.kind in ("log", "log_pattern")
        and bool(e.matched)
        and e.level in ("warning", "error", "critical")
        and e.novelty in ("new", "spike")
    )


def is_problem(e: Evidence) -> bool:
    """Does this item, on its own, show something wrong? Logs by their level; everything else
    by its typed `state` (see `investigate.states`)."""
    if e.kind in ("log", "log_pattern"):
        return e.level in ("error", "critical", "warning")
    return e.state in PROBLEM_STATES


_CHANGE_KEYS = ("action", "event_type", "change", "changed_field", "operation")
_CHANGE_VERB = re.compile(
    r"\b\w*(?:changed|updated|removed|deleted|disabled|enabled|revoked|rotated|downgraded|"
    r"modified|renamed|created|added|set)\b",
    re.I,
)


def customer_onset(e: Evidence) -> datetime:
    """When the ticket's own entities first showed up in this item (else when it began)."""
    start = e.matched_first_seen or e.first_seen or e.timestamp
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
    if e.kind == "db_row" and _STATE_CHANGE.match(status(e)):
        return True  # a record left in a changed state: unpaired, deprovisioned, archived…
    if _shaped_like_a_change(r):
        return True
    return e.title.lower().startswith(("audit", "change"))


_OLD_SIDE = frozenset({"old", "previous", "prev", "before", "was", "original"})
_NEW_SIDE = frozenset({"new", "after", "current", "updated"})
_WHOLE_CHANGE = frozenset(
    {"object_changes", "audited_changes", "changes", "changeset", "diff", "whodunnit"}
)
_ACTOR = re.compile(r"^(?:changed|modified|updated|edited|performed|set)_?by(?:_?id)?$")
_KEY_TOKEN = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


def _shaped_like_a_change(r: dict[str, Any]) -> bool:
    """A row shaped like a recorded change, whatever the product calls it: a value before and
    after (`old_value`/`new_value`, `OldValue`/`NewValue`, `quota_before`/`quota_after`,
    `old_data`/`new_data`), a whole-change column (`object_changes`, `audited_changes`) or who
    changed it (`changed_by`, `modified_by`)."""
    sides: dict[tuple[str, ...], set[str]] = {}
    for key in r:
        name = str(key)
        lowered = name.lower()
        if lowered in _WHOLE_CHANGE or _ACTOR.match(lowered):
            return True
        tokens = [t.lower() for t in _KEY_TOKEN.findall(name)]
        side = next(("old" for t in tokens if t in _OLD_SIDE), None) or next(
            ("new" for t in tokens if t in _NEW_SIDE), None
        )
        if side is not None:
            stem = tuple(t for t in tokens if t not in _OLD_SIDE and t not in _NEW_SIDE)
            sides.setdefault(stem, set()).add(side)
    return any(found == {"old", "new"} for found in sides.values())


_STATE_CHANGE = re.compile(
    r"^(?:un[a-z]{3,}ed|deprovisioned|deactivated|disconnected|disabled|suspended|removed|deleted|"
    r"revoked|archived|cancell?ed|detached|paused|rotated)$"
)


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


_HOST = re.compile(
    r"(?<![\w@.-])(?:https?://)?((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+([a-z]{2,12}))"
    r"(?::\d{2,5})?(?![\w@-])"
)
_TLDS = frozenset(
    "com net org io co dev app cloud ai biz info example edu gov mil int eu us uk de fr es it nl "
    "be ch at se no dk fi pl cz pt ie ca au nz jp cn in br mx sg hk kr za ru tr".split()
)
"""Top-level domains read as public hosts (the reserved `example` included); a CamelCase or
`module.function` token is not a host."""
_INTERNAL_HOST = re.compile(
    r"(?:^|\.)(?:local|localhost|internal|intra|lan|svc|cluster\.local|corp|home|test|invalid)$|"
    r"^(?:localhost|db|redis|postgres|mysql|kafka)\b",
    re.I,
)
_NOT_HOSTS = re.compile(
    r"\.(?:py|js|ts|go|rb|java|json|yaml|yml|csv|pdf|png|jpg|log|txt|gz|zip)$", re.I
)
_NETWORK = re.compile(
    r"\bE(?:CONNRESET|CONNREFUSED|TIMEDOUT|HOSTUNREACH|NETUNREACH|AI_AGAIN|PIPE)\b|\bNXDOMAIN\b|"
    r"getaddrinfo|name or service not known|connection (?:reset|refused|timed out)|"
    r"ssl handshake|certificate verify failed|tls handshake|"
    r"\b50[234] from\b|third[- ]party|external (?:provider|service|api)|provider returned|"
    r"rejected by (?:the )?(?:receiver|remote|endpoint|recipient server)|"
    r"\b(?:webhook|callback) (?:delivery )?(?:failed|rejected|refused)",
    re.I,
)
HTTP_STATUS = re.compile(r"(?<![\w.:/-])([1-5]\d\d)(?![\w.:/-])")


def remote_hosts(e: Evidence) -> set[str]:
    """Public host names an item's text points at (a carrier's API, a vendor's webhook): the
    mark of a call to a third party. Internal names (`.internal`, `.svc`, `localhost`) and
    file names are not hosts."""
    hosts = set()
    for match in _HOST.finditer(f"{e.title}\n" + "\n".join(e.examples or [e.detail])):
        host = match.group(1).lower().rstrip(".")
        if match.group(2) not in _TLDS:
            continue
        if _INTERNAL_HOST.search(host) or _NOT_HOSTS.search(host) or host.count(".") < 1:
            continue
        hosts.add(host)
    return hosts


def calls_third_party(e: Evidence) -> bool:
    """An error about a call to someone else's system: a public host, or a network-level
    failure (connection reset, DNS, TLS, upstream)."""
    return bool(remote_hosts(e)) or bool(_NETWORK.search(text(e)))


def http_statuses(e: Evidence) -> set[int]:
    """HTTP statuses an item carries (typed attribute from the log's fields, else the text)."""
    found = set(e.http_statuses)
    if not found:
        for m in HTTP_STATUS.finditer(f"{e.title}\n" + "\n".join(e.examples[:1])):
            value = int(m.group(1))
            window = text(e)[max(0, m.start() - 12) : m.end() + 12].lower()
            if 400 <= value <= 599 and (
                "http" in window
                or "status" in window
                or any(w in window for w in (" returned", "code", "got"))
            ):
                found.add(value)
    return found


_DURATION_KEY = re.compile(
    r"^(?:duration|latency|elapsed|took|response_time|time_taken|runtime)"
    r"(?:_?(ms|s|sec|seconds|millis))?$",
    re.I,
)
_DURATION_TEXT = re.compile(
    r"\b(?:took|in|after|duration[=:]?)\s*(\d+(?:\.\d+)?)\s*(ms|s|sec|seconds)\b", re.I
)


def duration_ms(e: Evidence) -> float | None:
    """The longest duration an item reports, in milliseconds: a duration field of the log line
    (`duration_ms=15200`, `latency=12.3s`), else a `took 12.3 s` in its examples."""
    best: float | None = None
    if e.fields:
        for key, value in e.fields.items():
            m = _DURATION_KEY.match(str(key))
            if not m:
                continue
            number = as_number(
                str(value).rstrip("ms").rstrip("s") if isinstance(value, str) else value, float
            )
            if number is None:
                continue
            unit = (m.group(1) or ("ms" if "ms" in str(value) else "")).lower()
            scale = 1.0 if unit in ("ms", "millis") else 1000.0 if unit else 1.0
            best = max(best or 0.0, number * scale)
    for text_ in e.examples:
        for m in _DURATION_TEXT.finditer(text_):
            value = float(m.group(1)) * (1.0 if m.group(2).lower() == "ms" else 1000.0)
            best = max(best or 0.0, value)
    return best


_JOB_KEYS = ("started_at", "finished_at", "progress", "attempts", "job_id", "run_id")
_PARTIAL = re.compile(r"partial|with_?errors?|with_?warnings?|skipp", re.I)
_FINISHED = frozenset({"completed", "complete", "succeeded", "success", "done", "finished", "ok"})


def is_job(e: Evidence) -> bool:
    """A job or run record: it has a start/finish time or progress."""
    r = row(e)
    return any(k in r for k in _JOB_KEYS) or bool(re.search(r"\bjob\b|\brun\b", e.title, re.I))


def is_partial(e: Evidence) -> bool:
    """A job that finished, but with errors or skipped rows (a failed job is a failure, not a
    data gap)."""
    r = row(e)
    if _PARTIAL.search(status(e)):
        return True
    if status(e) not in _FINISHED:
        return False
    for key in ("errors", "skipped", "failures", "rejected"):
        value = r.get(key)
        if value not in (None, "", 0, "0", "[]", "null"):
            return True
    return False
