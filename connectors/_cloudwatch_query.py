"""What the `cloudwatch_logs` connector sends: FilterLogEvents patterns built from the ticket's
values (each one quoted term, `querylang.cloudwatch_term`), the Logs Insights query for error
lines, and the console link for the same search."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from investigate.sdk.querylang import QueryValueError, cloudwatch_term, re2_escape
from investigate.sdk.remote_logs import epoch_ms

MAX_PATTERN = 1024
"""FilterLogEvents rejects a longer `filterPattern`."""


def any_of(values: list[str], limit: int = MAX_PATTERN) -> list[str]:
    """Filter patterns matching events that contain any value (`?"a" ?"b"`), each pattern at
    most `limit` characters; one value is a bare quoted term. Unusable values are skipped."""
    terms: list[str] = []
    for value in values:
        try:
            term = cloudwatch_term(value)
        except QueryValueError:
            continue
        if len(term) < limit and term not in terms:
            terms.append(term)
    out: list[list[str]] = []
    for term in terms:
        if out and len(" ".join("?" + t for t in [*out[-1], term])) <= limit:
            out[-1].append(term)
        else:
            out.append([term])
    return [group[0] if len(group) == 1 else " ".join("?" + t for t in group) for group in out]


def insights_query(error_terms: list[str], limit: int) -> str:
    """The Logs Insights query for error lines (trusted config terms, regex-escaped)."""
    regex = "|".join(re2_escape(t) for t in error_terms)
    return (
        "fields @timestamp, @message, @logStream, @log"
        f" | filter @message like /{regex}/"
        f" | sort @timestamp desc | limit {limit}"
    )


def console_url(region: str, group: str, pattern: str, start: datetime, end: datetime) -> str:
    """The CloudWatch console's log-events view of `group`, filtered, for the window."""

    def dollar(text: str) -> str:
        return quote(quote(text, safe=""), safe="").replace("%", "$")

    fragment = (
        f"logsV2:log-groups/log-group/{dollar(group)}/log-events"
        f"$3FfilterPattern$3D{dollar(pattern)}$26start$3D{epoch_ms(start)}$26end$3D{epoch_ms(end)}"
    )
    return (
        f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={quote(region)}#{fragment}"
    )
