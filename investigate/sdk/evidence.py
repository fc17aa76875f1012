"""Small helpers for turning vendor records into `Evidence`: one safe line of text, a link
that is really a web link, the normalised alert state, matching the ticket's entities, time
from the shapes APIs use, and a quoted phrase for Lucene-like search syntaxes."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from investigate.models import Window
from investigate.sdk.contract import Query
from investigate.sdk.fieldmap import STATE_VALUES
from investigate.sdk.rows import parse_time
from investigate.sdk.textmatch import EntityMatcher
from investigate.secrets import MASKER
from investigate.states import State, classify

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069]+")


def one_line(value: Any, limit: int = 300) -> str:
    """Masked, control and bidi characters turned to spaces, at most `limit` characters."""
    text = _CONTROL.sub(" ", str(value if value is not None else "")).strip()
    text = MASKER.mask(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def str_map(value: Any, limit: int = 60) -> dict[str, str]:
    """Labels, tags or annotations as `{str: str}` (at most `limit`); anything else → `{}`."""
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in list(value.items())[:limit]}


def web_link(value: Any) -> str | None:
    """`value` when it is an http(s) URL of sane length, else None."""
    text = str(value or "")
    return text if text.startswith(("http://", "https://")) and len(text) < 2000 else None


def alert_state(value: Any, extra: Mapping[str, str] | None = None) -> State | None:
    """The typed evidence `state` of a vendor's alert/incident status word: `firing`,
    `acknowledged`, `resolved`, or `context` for a word that says neither (`pending`);
    `extra` maps the vendor's own words first (`{"alerting": "firing"}`). Keep the word itself
    in `Evidence.status`."""
    text = str(value or "").strip().lower()
    if not text:
        return None
    return classify("alert", (extra or {}).get(text) or STATE_VALUES.get(text) or text)


def entity_matcher(query: Query) -> EntityMatcher:
    """Finds the ticket's identifying values (emails, account IDs, error codes…) in text."""
    return EntityMatcher(query.entities.matchable())


def matched(query: Query, texts: Iterable[Any]) -> list[str]:
    """The ticket's entity values found in any of `texts`, sorted."""
    found = entity_matcher(query).find(" ".join(str(t) for t in texts if t))
    return sorted(found)


def time_of(value: Any) -> datetime | None:
    """ISO 8601 text, epoch seconds or milliseconds → an aware UTC time; the zero times APIs
    use for "never" (year 1 or 1970) → None."""
    parsed = parse_time(value)
    return parsed if parsed is not None and parsed.year > 1970 else None


def epoch_ms(value: datetime) -> int:
    return int(value.astimezone(UTC).timestamp() * 1000)


def overlaps(window: Window, start: datetime | None, end: datetime | None = None) -> bool:
    """Did something that began at `start` (and ended at `end`, if it did) touch the window?"""
    if start is not None and start > window.end:
        return False
    return end is None or end >= window.start


def lucene_phrase(value: str, limit: int = 200) -> str:
    """One value as a double-quoted phrase for Lucene-like search syntaxes (Opsgenie,
    Elasticsearch `query_string`, Jira text): `\\` and `"` escaped, control characters become
    spaces, so the value can never close the phrase or add an operator."""
    text = _CONTROL.sub(" ", value)[:limit]
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
