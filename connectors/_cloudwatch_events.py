"""CloudWatch Logs events as log entries for the `cloudwatch_logs` connector: the message,
level, service and fields of an event's text (JSON or a plain line with a level word), a Logs
Insights result row as an event, and the service a log group names (`/aws/lambda/billing`)."""

from __future__ import annotations

import functools
import hashlib
import re
from datetime import UTC, datetime
from typing import Any

from investigate.sdk.remote_logs import LEVELS, Entry, epoch_ms, flatten, json_object
from investigate.sdk.rows import parse_time

_TEXT = re.compile(
    r"^\s*(?:\[?\d{4}-\d{2}-\d{2}[T ][\d:.,]+(?:Z|[+-]\d{2}:?\d{2})?\]?\s+)?"
    r"(?:[0-9a-fA-F]{8}-[0-9a-fA-F-]{27}\s+)?"  # a Lambda request id
    r"\[?(?P<level>[A-Za-z]{3,9})\]?:?\s+(?:\[(?P<service>[^\]]{1,60})\]\s+)?(?P<msg>.*)$",
    re.S,
)
_LEVEL_WORD = re.compile(
    r"\b(TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERR|ERROR|FATAL|CRIT|CRITICAL|PANIC|"
    r"trace|debug|info|notice|warn|warning|err|error|fatal|crit|critical|panic|"
    r"Error|Fatal|Critical|Warning|Exception|Traceback)\b"
)
_MESSAGE_KEYS = ("message", "msg", "log", "text")
_LEVEL_KEYS = ("level", "severity", "lvl", "log.level")
_SERVICE_KEYS = ("service", "service_name", "app", "application")
_META_KEYS = {"@timestamp", "timestamp", "ts", "time", *_LEVEL_KEYS, *_MESSAGE_KEYS}


@functools.lru_cache(maxsize=256)
def group_service(group: str) -> str:
    """`/aws/lambda/billing` → `billing`."""
    parts = [p for p in group.split("/") if p]
    return parts[-1] if parts else group


def parse_event(message: str) -> tuple[str, str | None, str | None, dict[str, Any]]:
    """(message, level, service, fields) from a CloudWatch event's text (JSON or plain)."""
    text = message.rstrip("\n")
    data = json_object(text)
    if data is not None:
        body = next((str(data[k]) for k in _MESSAGE_KEYS if k in data), text.strip())
        fields = flatten({k: v for k, v in data.items() if k not in _META_KEYS})
        level = next((str(data[k]) for k in _LEVEL_KEYS if k in data), None)
        service = next((str(data[k]) for k in _SERVICE_KEYS if data.get(k)), None)
        return body, level, service, fields
    head = _TEXT.match(text)
    if head and head.group("level").lower() in LEVELS:
        return head.group("msg").strip(), head.group("level"), head.group("service"), {}
    word = _LEVEL_WORD.search(text[:300])
    level = None
    if word:
        found = word.group(1).lower()
        level = "error" if found in ("exception", "traceback") else found
    return text.strip(), level, None, {}


def event_entry(group: str, event: Any, service: str) -> Entry | None:
    """A FilterLogEvents event of `group` as an entry (`service` unless the line names its
    own); None for an event without a usable timestamp."""
    if not isinstance(event, dict) or not isinstance(event.get("timestamp"), int):
        return None
    try:
        ts = datetime.fromtimestamp(event["timestamp"] / 1000, UTC)
    except (ValueError, OverflowError, OSError):
        return None
    raw = str(event.get("message") or "")
    message, level, own_service, fields = parse_event(raw)
    # the same event through FilterLogEvents and Logs Insights: one key for both
    digest = hashlib.blake2b(raw.encode("utf-8", "replace"), digest_size=12).digest()
    key = (group, str(event.get("logStreamName") or ""), event["timestamp"], digest)
    return Entry(
        ts, message, level, own_service or service, {**fields, "log_group": group}, key=key
    )


def insights_event(row: Any) -> tuple[str, dict[str, Any]] | None:
    """A Logs Insights result row as (log group, FilterLogEvents-shaped event)."""
    if not isinstance(row, list):
        return None
    cells = {
        str(cell.get("field")): str(cell.get("value") or "")
        for cell in row
        if isinstance(cell, dict)
    }
    raw = cells.get("@timestamp", "")
    ts = parse_time(int(raw) if raw.isdigit() else raw)
    if ts is None:
        return None
    group = cells.get("@log", "")
    account, _, name = group.partition(":")
    group = name if name and account.isdigit() else group  # "123456789012:/ecs/api"
    event = {
        "timestamp": epoch_ms(ts),
        "message": cells.get("@message", ""),
        "logStreamName": cells.get("@logStream", ""),
    }
    return group, event
