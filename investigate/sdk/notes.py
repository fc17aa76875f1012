"""What a ticket source declares for `--post-note`, the one write (see `investigate.writeback`).

A source that can take notes implements `NoteTarget`: it describes its documented create-note
endpoint as a `NoteChannel` (method and path fence, body check, markup, the write credential
from its own `write_back:` section, how to build the request). The core does the rest.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import SecretStr

from investigate.config import Strict
from investigate.errors import ReadOnlyViolation
from investigate.models import Ticket
from investigate.sdk.transport import HttpOptions, WriteEndpoint

NoteFormat = Literal["html", "markdown", "jira"]
"""The markup a helpdesk renders in a note."""


class WriteBack(Strict):
    """A ticket source's `write_back:` section: off unless enabled, with its own credential."""

    enabled: bool = False
    token: SecretStr | None = None
    """The write credential (API token, key or bearer token), separate from the read one."""
    email: str | None = None
    """The user for basic auth where the helpdesk wants one (Zendesk agent, Jira account)."""
    redact_notes: bool = False
    """Apply the hosted-LLM redaction to the note (default: agents see real values)."""
    public_ok: bool = False
    """Allow a channel whose comments are public (GitHub issues)."""


@dataclass(frozen=True)
class NoteRequest:
    method: str
    path: str
    json: dict[str, Any]


@dataclass(frozen=True)
class NoteChannel:
    """What a ticket source tells the core about its one write."""

    vendor: str
    format: NoteFormat
    settings: WriteBack
    endpoint: WriteEndpoint
    label: str
    """The documented endpoint for people, e.g. `PUT /api/v2/tickets/{id} (private comment)`."""
    options: HttpOptions
    """Base URL, timeout and the write credential's headers/auth (no `write`: the core sets it)."""
    build: Callable[[Ticket, str], NoteRequest]
    public: bool = False
    problem: str | None = None
    """Why a real post cannot happen (e.g. no credential); a dry run still shows the request."""


@runtime_checkable
class NoteTarget(Protocol):
    def note_channel(self) -> NoteChannel:
        """The create-note endpoint and the write credential from `write_back:`."""
        ...


def note_options(
    base_url: str,
    timeout: timedelta | None,
    *,
    bearer: SecretStr | None = None,
    headers: dict[str, str] | None = None,
    auth: tuple[str, str] | None = None,
) -> HttpOptions:
    """The note client's options for `NoteChannel.options` (the core adds the write fence)."""
    extra = dict(headers or {})
    if bearer is not None:
        extra["Authorization"] = f"Bearer {bearer.get_secret_value()}"
    seconds = timeout.total_seconds() if timeout else 30.0
    return HttpOptions(base_url=base_url, timeout=seconds, headers=extra, auth=auth)


def require_json(body: bytes) -> dict[str, Any]:
    """For body checks: the JSON object sent, or a refusal."""
    try:
        data = json.loads(body or b"null")
    except ValueError:
        raise ReadOnlyViolation("refused a note request whose body is not JSON") from None
    if not isinstance(data, dict):
        raise ReadOnlyViolation("refused a note request whose body is not a JSON object")
    return data


def only_keys(data: dict[str, Any], allowed: set[str], what: str) -> None:
    """Refuse a body with any field beyond the documented note fields."""
    extra = sorted(set(data) - allowed)
    if extra:
        raise ReadOnlyViolation(
            f"refused a {what} that also sets {', '.join(extra)}: only an internal note is allowed"
        )
