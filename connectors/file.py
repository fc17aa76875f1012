"""`file`: tickets from local files — a folder of `*.json`/`*.yaml` (one ticket each) or one
JSON/JSONL/YAML file holding a list. Exports from any helpdesk fit once mapped to:

    id, subject, description, status, priority (urgent|high|normal|low), created_at,
    updated_at, requester {name, email}, organization {id, name}, tags, custom_fields,
    comments [{author, body, created_at, public}], url

Unknown fields are kept in `Ticket.raw`. With `write_back: {enabled: true, folder: notes}`,
`--post-note` writes the report as a new Markdown file `notes/<id>/<UTC time>-<hash>.md`
(`investigate.notefile`); the tickets themselves are only ever read. For `investigate stats` (`TicketHistorySource`) a
ticket may also carry `channel`, `group`, `category`, `solved_at`, `status_changes`
[{status, at}] (pending/on-hold time and reopens come from these) and `satisfaction`
{score: 1–5 or good/bad, rated_at}; the first public agent reply is read from `comments`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError

from investigate.sdk import (
    SAFE_LOADER,
    Comment,
    ConfigPath,
    Organization,
    Person,
    Ticket,
    TicketNotFound,
    TicketSourceError,
    in_thread,
)
from investigate.sdk.contract import Check, Collected, Connector, ConnectorConfig, Query
from investigate.sdk.history import (
    History,
    HistoryQuery,
    HistoryTicket,
    Rating,
    StatusChange,
    first_agent_reply,
    from_status_changes,
)
from investigate.sdk.notefolder import FileWriteBack, NoteFolder
from investigate.sdk.rows import parse_time

_SUFFIXES = (".json", ".yaml", ".yml", ".jsonl")
MAX_TICKET_BYTES = 20_000_000


class FileConfig(ConnectorConfig):
    path: ConfigPath
    write_back: FileWriteBack = Field(default_factory=FileWriteBack)
    """`--post-note`: the report as a new Markdown file in `write_back.folder` (off by default)."""


class FileTickets(Connector[FileConfig]):
    type_name = "file"
    read_only_by = "local files, opened for reading"
    config_model = FileConfig
    description = "Tickets from local JSON/YAML files (a folder, or one file with a list)"
    collects_evidence = False

    async def collect(self, query: Query) -> Collected:
        return Collected()  # a ticket source; it adds no evidence of its own

    async def check(self) -> list[Check]:
        try:
            count = len(await in_thread(self._all))
        except TicketSourceError as exc:
            return [Check("tickets", False, exc.message)]
        return [Check("tickets", True, f"{count} tickets in {self.config.path}")]

    async def fetch_ticket(self, ticket_id: str) -> Ticket:
        return await in_thread(self._fetch, ticket_id)

    def note_folder(self) -> NoteFolder:
        """`--post-note` writes new note files here (`investigate.notefile`); nothing else."""
        write_back = self.config.write_back
        folder = write_back.folder or self.config.path.parent / "notes"
        return NoteFolder(write_back, folder, "write_back" in self.config.model_fields_set)

    async def search_tickets(self, query: str, limit: int) -> list[str]:
        """`status:new priority:high export`: every `field:value` must equal the ticket's field
        (caseless); bare words must appear in the subject or description. Newest first."""
        return await in_thread(self._search, query, limit)

    async def ticket_history(self, query: HistoryQuery) -> History:
        """Every ticket created in [since, until] that matches `query` (as for search)."""
        return await in_thread(self._history, query)

    def _history(self, query: HistoryQuery) -> History:
        wanted = set(self._search(query.query, 10**9)) if query.query.strip() else None
        out = History()
        skipped = 0
        for data, origin in self._all():
            if "id" not in data or (wanted is not None and str(data["id"]) not in wanted):
                continue
            try:
                ticket = to_ticket(data, origin)
            except TicketSourceError:
                skipped += 1
                continue
            if query.since <= ticket.created_at <= query.until:
                out.tickets.append(history_ticket(ticket, data))
        out.tickets.sort(key=lambda t: t.created_at)
        if len(out.tickets) > query.limit:
            out.notes.append(
                f"only the newest {query.limit} of {len(out.tickets)} tickets were read"
            )
            out.tickets = out.tickets[-query.limit :]
        if skipped:
            out.notes.append(f"{skipped} invalid ticket(s) in {self.config.path} were skipped")
        return out

    def _search(self, query: str, limit: int) -> list[str]:
        filters: dict[str, str] = {}
        words: list[str] = []
        for part in query.split():
            key, sep, value = part.partition(":")
            if sep and key and value:
                filters[key.lower()] = value.lower()
            else:
                words.append(part.lower())
        hits: list[tuple[str, str]] = []
        for data, _ in self._all():
            if "id" not in data:
                continue
            if any(str(data.get(k, "")).lower() != v for k, v in filters.items()):
                continue
            text = f"{data.get('subject', '')} {data.get('description', '')}".lower()
            if all(w in text for w in words):
                hits.append((str(data.get("created_at", "")), str(data["id"])))
        hits.sort(reverse=True)
        return [tid for _, tid in hits[:limit]]

    def _fetch(self, ticket_id: str) -> Ticket:
        path = self.config.path
        if path.is_dir():
            for suffix in _SUFFIXES[:3]:
                candidate = path / f"{ticket_id}{suffix}"
                if candidate.is_file() and candidate.parent.resolve() == path.resolve():
                    data = _read(candidate)
                    if not isinstance(data, dict) or str(data.get("id", ticket_id)) == ticket_id:
                        return to_ticket(data, candidate)
        for data, origin in self._all():
            if str(data.get("id")) == ticket_id:
                return to_ticket(data, origin)
        raise TicketNotFound(
            f"ticket {ticket_id} not found in {path}",
            hint=f"list the tickets with: ls {path}" if path.is_dir() else None,
        )

    def _all(self) -> list[tuple[dict[str, Any], Path]]:
        path = self.config.path
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix in _SUFFIXES and p.is_file())
        elif path.is_file():
            files = [path]
        else:
            raise TicketSourceError(f"ticket path not found: {path}")
        out: list[tuple[dict[str, Any], Path]] = []
        for file in files:
            try:
                data = _read(file)
            except TicketSourceError:
                if len(files) == 1:
                    raise
                continue  # one broken file must not hide every other ticket
            items = data if isinstance(data, list) else [data]
            out += [(item, file) for item in items if isinstance(item, dict)]
        return out


def _read(path: Path) -> Any:
    try:
        if path.stat().st_size > MAX_TICKET_BYTES:
            raise TicketSourceError(f"{path.name} is larger than 20 MB; refusing to load it")
        text = path.read_bytes().decode("utf-8", errors="replace")
    except OSError as exc:
        raise TicketSourceError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        if path.suffix == ".jsonl":
            return [json.loads(line) for line in text.splitlines() if line.strip()]
        if path.suffix in (".yaml", ".yml"):
            return yaml.load(text, Loader=SAFE_LOADER)  # noqa: S506 (a safe loader)
        return json.loads(text)
    except RecursionError:
        raise TicketSourceError(f"{path.name}: ticket file is nested too deeply") from None
    # A YAML tag with a bad value (`!!bool maybe`, `!!timestamp soon`) fails in the constructor
    # with KeyError/AttributeError/OverflowError rather than a YAMLError.
    except (ValueError, yaml.YAMLError, KeyError, AttributeError, TypeError, OverflowError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise TicketSourceError(f"{path.name}: cannot parse ticket file: {first}") from None


def to_ticket(data: Any, origin: Path) -> Ticket:
    if not isinstance(data, dict):
        raise TicketSourceError(f"{origin.name}: a ticket must be an object")
    try:
        return Ticket(
            id=str(data["id"]),
            url=data.get("url"),
            subject=str(data.get("subject") or ""),
            description=str(data.get("description") or ""),
            comments=[Comment(**_known(c, Comment)) for c in data.get("comments") or []],
            requester=Person(**_known(data.get("requester") or {}, Person)),
            organization=Organization(**_known(data.get("organization") or {}, Organization)),
            created_at=data["created_at"],
            updated_at=data.get("updated_at"),
            priority=data.get("priority"),
            status=data.get("status"),
            tags=[str(t) for t in data.get("tags") or []],
            custom_fields=_mapping(data.get("custom_fields"), "custom_fields"),
            raw=data,
        )
    except KeyError as exc:
        raise TicketSourceError(f"{origin.name}: ticket is missing '{exc.args[0]}'") from None
    except (ValidationError, TypeError, ValueError) as exc:
        raise TicketSourceError(f"{origin.name}: invalid ticket: {_first_error(exc)}") from None
    except RecursionError:
        raise TicketSourceError(f"{origin.name}: ticket is nested too deeply") from None


def history_ticket(ticket: Ticket, data: dict[str, Any]) -> HistoryTicket:
    """The stats view of a file ticket: times from its comments and status history."""
    changes = [
        StatusChange(str(c.get("status")), at)
        for c in data.get("status_changes") or []
        if isinstance(c, dict) and (at := parse_time(c.get("at"))) is not None
    ]
    solved_at, reopens, paused = from_status_changes(changes)
    if not changes:
        solved_at = parse_time(data.get("solved_at"))
    cf = ticket.custom_fields
    return HistoryTicket(
        id=ticket.id,
        created_at=ticket.created_at,
        subject=ticket.subject,
        text=ticket.description,
        customer=ticket.organization.name or _domain(ticket.requester.email),
        priority=ticket.priority,
        channel=_str(data.get("channel")),
        category=_str(data.get("category") or cf.get("category")),
        service=_str(cf.get("service") or cf.get("product_area")),
        status=ticket.status,
        first_reply_at=first_agent_reply(ticket.comments, ticket.requester),
        solved_at=solved_at,
        reopens=reopens,
        paused=paused if changes else None,
        group=_str(data.get("group")),
        tags=ticket.tags,
        custom_fields=cf,
        rating=_rating(data.get("satisfaction")),
    )


def _rating(value: Any) -> Rating | None:
    if not isinstance(value, dict) or value.get("score") in (None, "", "offered", "unoffered"):
        return None
    score = value["score"]
    rated_at = parse_time(value.get("rated_at"))
    if isinstance(score, str) and score.lower() in ("good", "bad"):
        return Rating(
            score=1 if score.lower() == "good" else 0, scale="good_bad", rated_at=rated_at
        )
    try:
        number = float(score)
    except (TypeError, ValueError):
        return None
    return Rating(score=number, scale="1-5", rated_at=rated_at) if 1 <= number <= 5 else None


def _str(value: Any) -> str | None:
    return str(value) if isinstance(value, str | int) and str(value).strip() else None


def _domain(email: str | None) -> str | None:
    return email.rpartition("@")[2].lower() if email and "@" in email else None


def _mapping(value: Any, name: str) -> dict[str, Any]:
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{name} must be an object, not {type(value).__name__}")
    return dict(value)


def _known(data: Any, model: type[Any]) -> dict[str, Any]:
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if k in model.model_fields}


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        err = exc.errors(include_url=False)[0]
        return f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
    return str(exc)
