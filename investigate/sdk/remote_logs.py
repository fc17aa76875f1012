"""What the remote log connectors (`loki`, `elasticsearch`, `datadog_logs`) share.

    scan = RemoteScan(query, limits)
    async for page in pages(...):          # each connector pages its own API
        if not scan.add_page(page, phase):  # False: a cap was reached, stop asking
            break
    return scan.collected(source, request_text, url=link)

A `RemoteScan` turns fetched entries into `LogLine`s and feeds one `PatternGrouper` and one
`EntityMatcher`, exactly as `connectors/log_file.py` does for files: lines before the window
train the baseline (so novelty works), lines in the window become patterns. Entries are
de-duplicated by their key (page boundaries), and the scan stops at `max_lines` lines or
`max_bytes` bytes of log text, saying so in the notes. `read_json` is the one HTTP read: it
streams the body and gives up past a byte cap, so memory stays bounded whatever the server sends.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Literal, TypeVar
from urllib.parse import quote

import httpx2
from pydantic import Field, SecretStr, field_validator

from investigate.config import Duration
from investigate.errors import SourceError, SourceTimeout
from investigate.models import Level
from investigate.sdk import logformats
from investigate.sdk.contract import Check, Collected, Connector, ConnectorConfig, Query
from investigate.sdk.fieldchecks import http_url
from investigate.sdk.fieldmap import AccountField
from investigate.sdk.patterns import ACCOUNT_KEYS, LogLine, Pattern, PatternGrouper, account_keys
from investigate.sdk.querylang import MAX_VALUE
from investigate.sdk.textmatch import EntityMatcher
from investigate.sdk.transport import HttpOptions, ReadOnlyPost, describe, source_error
from investigate.secrets import MASKER

Phase = Literal["matches", "errors", "baseline"]
LEVELS: dict[str, Level] = {
    "trace": "debug",
    "debug": "debug",
    "info": "info",
    "information": "info",
    "informational": "info",
    "notice": "info",
    "ok": "info",
    "warn": "warning",
    "warning": "warning",
    "err": "error",
    "error": "error",
    "fatal": "critical",
    "crit": "critical",
    "critical": "critical",
    "alert": "critical",
    "emerg": "critical",
    "emergency": "critical",
    "panic": "critical",
}
ERROR_WORDS = ("error", "err", "fatal", "critical", "crit", "panic", "alert", "emerg", "emergency")
_MESSAGE_KEYS = ("message", "msg", "log", "text")
_LEVEL_KEYS = ("level", "severity", "lvl", "log.level", "status")
"""`status` counts only when it holds a level word (Datadog), never an HTTP status."""
_SERVICE_KEYS = ("service", "service_name", "app", "application", "job")
_CODE_KEYS = ("error_code", "error.code", "err_code", "code")
_META_KEYS = {"@timestamp", "timestamp", "ts", "time", "level", "severity", "lvl", "log.level"}
_HINTS = {
    401: "check the credentials in connectors.{name}",
    403: "the credentials in connectors.{name} lack permission to read logs",
    404: "check connectors.{name}.base_url (and the index or path)",
    429: "rate limited; try again later or lower connectors.{name}.page_size",
}


class LogScanConfig(ConnectorConfig, AccountField):
    """The caps and baseline every log-scanning connector accepts (`RemoteScan`'s limits)."""

    page_size: int = Field(1000, ge=1, le=10_000)
    max_pages: int = Field(
        100, ge=1, le=10_000, description="Per query (matches, errors, baseline)."
    )
    max_lines: int = Field(50_000, ge=1, description="Lines read in the window, in all.")
    max_baseline_lines: int = Field(20_000, ge=0)
    max_bytes: int = Field(50_000_000, ge=1_000, description="Bytes of log text read, in all.")
    max_response_bytes: int = Field(20_000_000, ge=10_000, description="Per response.")
    max_patterns: int = Field(60, ge=1)
    max_values: int = Field(20, ge=1, le=200, description="Entity values put in one filter.")
    baseline: Duration | None = Field(
        None,
        description="How far before the window the baseline query looks "
        "(default: investigation.baseline).",
    )

    def limits(self) -> Limits:
        return Limits(
            max_lines=self.max_lines,
            max_baseline_lines=self.max_baseline_lines,
            max_bytes=self.max_bytes,
            max_patterns=self.max_patterns,
        )

    def request_timeout(self, query: Query) -> float:
        configured = self.timeout.total_seconds() if self.timeout else 30.0
        return max(0.5, min(configured, query.remaining))


class RemoteLogsConfig(LogScanConfig):
    """Keys every remote log connector over HTTP accepts."""

    base_url: str
    url_template: str | None = Field(
        None,
        description="Deep link to the log UI; {query}, {start}, {end}, {start_ms}, {end_ms}, "
        "{service} are filled in (URL-encoded).",
    )

    _base = field_validator("base_url")(http_url("base_url must start with https:// (or http://)"))

    @property
    def root(self) -> str:
        """The API's base URL."""
        return self.base_url

    @property
    def link_template(self) -> str | None:
        """The evidence's deep link (`url_template`)."""
        return self.url_template


def basic_auth_alone(username: str | None, password: object, other: object, both: str) -> None:
    """username/password go together, and not with `other` (an API key or a token)."""
    if (username is None) != (password is None):
        raise ValueError("username and password go together (basic auth)")
    if other is not None and password is not None:
        raise ValueError(both)


_ENTITY_LISTS = (
    "request_ids",
    "emails",
    "account_ids",
    "org_ids",
    "user_ids",
    "customer_ids",
    "invoice_ids",
    "charge_ids",
    "subscription_ids",
    "payment_ids",
    "error_codes",
)


def entity_values(query: Query, limit: int) -> list[str]:
    """The ticket's identifying values as written (4 to `MAX_VALUE` characters, no duplicates
    ignoring case), request IDs first: the most specific values go in when `limit` bites."""
    seen: dict[str, str] = {}
    for name in _ENTITY_LISTS:
        for value in getattr(query.entities, name):
            text = str(value).strip()
            if 4 <= len(text) <= MAX_VALUE:
                seen.setdefault(text.lower(), text)
    return list(seen.values())[:limit]


def link(
    template: str | None, query_text: str, start: datetime, end: datetime
) -> Callable[[Pattern], str | None] | None:
    """A deep-link builder for `PatternGrouper.evidence` from a URL template."""
    if not template:
        return None

    def build(pattern: Pattern) -> str:
        values = {
            "query": query_text,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "start_ms": str(int(start.timestamp() * 1000)),
            "end_ms": str(int(end.timestamp() * 1000)),
            "service": ",".join(sorted(pattern.services)),
        }
        return template.format_map(_Quoted(values))

    return build


class _Quoted(dict[str, str]):
    def __getitem__(self, key: str) -> str:
        if key not in self:
            return "{" + key + "}"
        return quote(super().__getitem__(key), safe="")


def flatten(data: Mapping[str, Any], limit: int = 60) -> dict[str, Any]:
    """Nested objects as dotted keys (`{"usr": {"email": x}}` → `{"usr.email": x}`), scalars only."""
    return logformats.flatten(data, limit, scalars=True)


def level_of(word: Any) -> Level:
    return LEVELS.get(str(word).strip().lower(), "info") if word is not None else "info"


@dataclass
class Entry:
    """One fetched log record, before parsing."""

    timestamp: datetime
    message: str
    level: str | None = None
    service: str | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)
    key: Hashable | None = None
    """De-duplication key (page boundaries); None: never a duplicate."""


def json_object(text: str) -> dict[str, Any] | None:
    """`text` as a JSON object when it is one (a structured log message), else None."""
    if not text.lstrip().startswith("{"):
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def to_line(entry: Entry, matched: frozenset[str]) -> LogLine:
    """An `Entry` as a `LogLine`; a JSON message is unpacked like `log_file` does."""
    message, fields = entry.message, dict(entry.fields)
    level, service = entry.level, entry.service
    data = json_object(message)
    if data is not None:
        message = next((str(data[k]) for k in _MESSAGE_KEYS if k in data), message.strip())
        inner = {k: v for k, v in data.items() if k not in _META_KEYS and k not in _MESSAGE_KEYS}
        fields = {**fields, **inner}
        # the line's own level and service are more specific than the stream's labels
        words = (str(data[k]) for k in _LEVEL_KEYS if k in data)
        level = next((w for w in words if w.strip().lower() in LEVELS), None) or level
        service = next((str(data[k]) for k in _SERVICE_KEYS if data.get(k)), None) or service
    code = next((str(fields[k]) for k in _CODE_KEYS if fields.get(k)), "")
    if code and code not in message:  # keep error codes visible and in the template
        message = f"{message} [{code}]"
    return LogLine(
        entry.timestamp, level_of(level), message.strip(), service or "", fields, matched
    )


@dataclass
class Limits:
    max_lines: int = 50_000
    """Lines read in the window (entity matches and error lines together)."""
    max_baseline_lines: int = 20_000
    max_bytes: int = 50_000_000
    """Bytes of log text read in all (window and baseline)."""
    max_patterns: int = 60


@dataclass
class RemoteScan:
    query: Query
    limits: Limits
    account_keys: tuple[str, ...] = ACCOUNT_KEYS
    """The line fields naming the tenant (`account_field`), for "accounts affected"."""
    grouper: PatternGrouper = field(init=False)
    matcher: EntityMatcher = field(init=False)
    lines: int = 0
    baseline_lines: int = 0
    bytes: int = 0
    pages: int = 0
    notes: list[str] = field(default_factory=list)
    partial: bool = False
    stopped: str = ""
    _seen: set[Hashable] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.grouper = PatternGrouper(self.query.window, account_keys=self.account_keys)
        self.matcher = EntityMatcher(self.query.entities.matchable())

    @property
    def scanned(self) -> int:
        return self.lines + self.baseline_lines

    def add_page(self, entries: list[Entry], phase: Phase) -> bool:
        """Feed one page; False when a cap or the deadline says to stop reading."""
        self.pages += 1
        for entry in entries:
            if not self.add(entry, phase):
                return False
        if phase != "baseline" and self.lines >= self.limits.max_lines:
            self.stopped = f"{self.limits.max_lines:,} lines"
            return False
        if self.query.expired():
            self.partial = True
            self.stopped = "the deadline"
            return False
        return True

    def add(self, entry: Entry, phase: Phase) -> bool:
        if entry.key is not None:
            if entry.key in self._seen:
                return True
            self._seen.add(entry.key)
        baseline = phase == "baseline"
        if baseline and self.baseline_lines >= self.limits.max_baseline_lines:
            self.stopped = self.stopped or f"{self.limits.max_baseline_lines:,} baseline lines"
            return False
        if not baseline and self.lines >= self.limits.max_lines:
            self.stopped = f"{self.limits.max_lines:,} lines"
            return False
        size = len(entry.message)
        if self.bytes + size > self.limits.max_bytes:
            self.stopped = f"{self.limits.max_bytes:,} bytes"
            return False
        self.bytes += size
        window = self.query.window
        if baseline or entry.timestamp < window.start:
            self.baseline_lines += 1
            self.grouper.add_baseline(to_line(entry, self._matched(entry)))
        elif entry.timestamp <= window.end:
            self.lines += 1
            self.grouper.add(to_line(entry, self._matched(entry)))
        return True

    def _matched(self, entry: Entry) -> frozenset[str]:
        """Entity values in the message or in any field value (an attribute can carry them)."""
        if not self.matcher:
            return frozenset()
        if not entry.fields:
            return self.matcher.find(entry.message)
        values = " ".join(str(v) for v in entry.fields.values() if isinstance(v, str | int))
        return self.matcher.find(f"{entry.message}\n{values}")

    def note(self, text: str) -> None:
        self.notes.append(text)

    def collected(
        self, source: str, request: str, url: Callable[[Pattern], str | None] | None = None
    ) -> Collected:
        evidence = self.grouper.evidence(source, request, url=url)[: self.limits.max_patterns]
        notes = list(self.notes)
        if self.stopped:
            notes.append(
                f"{source}: stopped reading at {self.stopped} after {self.scanned:,} lines in "
                f"{self.pages} pages; patterns are from what was read"
            )
        return Collected(evidence=evidence, notes=notes, partial=self.partial)


async def drain(scan: RemoteScan, phase: Phase, pages: AsyncGenerator[list[Entry], None]) -> bool:
    """Feed every page of one query to the scan; False when nothing more should be asked.

    A failure after some lines were read keeps them: the failure becomes a note (and a timeout
    marks the result partial) instead of throwing the lines away.
    """
    try:
        async for page in pages:
            if not scan.add_page(page, phase):
                break
    except SourceError as exc:
        if not scan.scanned:
            raise
        scan.partial = scan.partial or isinstance(exc, SourceTimeout)
        scan.note(f"{exc.message} (kept the {scan.scanned:,} lines read before it)")
        return False
    finally:
        await pages.aclose()
    return not (scan.stopped and phase != "baseline")


class TooBig(SourceError):
    """A single response was larger than the byte cap."""


@dataclass
class Reply:
    status: int
    body: Any
    text: str
    sent: str


async def read_json(
    client: httpx2.AsyncClient,
    method: str,
    url: str,
    *,
    label: str,
    name: str,
    params: Mapping[str, str] | None = None,
    body: Any = None,
    max_bytes: int,
    passthrough: frozenset[int] = frozenset(),
    hints: Mapping[int, str] | None = None,
) -> Reply:
    """Send one request and decode its JSON body, reading at most `max_bytes` of it.

    A status in `passthrough` comes back with `body=None` and the (capped) text, for callers
    that read the server's error (e.g. Loki's entry limit). Every other failure is a
    `SourceError` whose message starts with `label` and whose hint names `connectors.<name>`.
    """
    try:
        async with client.stream(method, url, params=params, json=body) as response:
            sent = MASKER.mask(f"{method} {response.request.url}")
            cap = min(max_bytes, 64_000) if not response.is_success else max_bytes
            raw = await _read_capped(response, cap, label, name)
            if response.status_code in passthrough:
                return Reply(response.status_code, None, raw.decode("utf-8", "replace"), sent)
            if not response.is_success:
                error = httpx2.HTTPStatusError("", request=response.request, response=response)
                hint = {**_HINTS, **(hints or {})}.get(response.status_code)
                hint = hint.format(name=name) if hint else None
                wait = MASKER.mask(response.headers.get("retry-after", ""))[:40]
                if response.status_code == 429 and wait:
                    said = f"Retry-After asked for {wait}s, more than the time left"
                    hint = f"{said}; {hint}" if hint else said
                reason = _server_reason(raw)
                raise SourceError(
                    f"{label}: {describe(error)}" + (f": {reason}" if reason else ""), hint=hint
                )
    except httpx2.HTTPError as exc:
        failure = source_error(exc)
        failure.message = f"{label}: {failure.message}"
        raise failure from None
    return Reply(response.status_code, _decode(raw, response, label, sent), "", sent)


async def _read_capped(response: httpx2.Response, max_bytes: int, label: str, name: str) -> bytes:
    declared = response.headers.get("content-length", "")
    if response.is_success and declared.isdigit() and int(declared) > max_bytes:
        raise _too_big(response, max_bytes, label, name)
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            if not response.is_success:  # an error page: its head is enough
                chunks.append(chunk[: max(0, max_bytes - size + len(chunk))])
                break
            raise _too_big(response, max_bytes, label, name)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_big(response: httpx2.Response, max_bytes: int, label: str, name: str) -> TooBig:
    return TooBig(
        f"{label}: a response from {response.request.url.copy_with(query=None)} is larger than "
        f"{max_bytes:,} bytes; stopped reading",
        hint=f"lower connectors.{name}.page_size or raise connectors.{name}.max_response_bytes",
    )


def _server_reason(raw: bytes) -> str:
    """A short, masked, one-line reason from an error body (JSON `error`/`message` or text)."""
    text = raw[:2000].decode("utf-8", "replace").strip()
    if not text or text.startswith("<"):
        return ""
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        found = data.get("error") or data.get("message") or data.get("errors")
        if isinstance(found, dict):
            found = found.get("reason") or found.get("type") or found
        if isinstance(found, list) and found:
            found = found[0]
        text = str(found) if found else ""
    return MASKER.mask(" ".join(text.split()))[:200]


def _decode(raw: bytes, response: httpx2.Response, label: str, sent: str) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        kind = response.headers.get("content-type", "").split(";")[0].strip() or "no content type"
        looks_html = raw.lstrip()[:1] == b"<" or "html" in kind
        what = "an HTML page" if looks_html else f"invalid JSON ({kind}: {exc})"
        raise SourceError(
            f"{label}: expected JSON from {sent} but got {what}",
            hint="a login page or proxy may be answering; check base_url and the credentials"
            if looks_html
            else "check that base_url points at the log API",
        ) from None


def bad_shape(label: str, sent: str, what: str) -> SourceError:
    return SourceError(
        f"{label}: unexpected response from {sent}: {what}",
        hint="check that base_url points at the log API (not a UI or proxy)",
    )


def epoch_ms(value: datetime) -> int:
    """An aware time as Unix milliseconds (Elasticsearch, Datadog, CloudWatch)."""
    return int((value - datetime(1970, 1, 1, tzinfo=UTC)) / timedelta(milliseconds=1))


def baseline_of(configured: timedelta | None, query: Query) -> timedelta:
    """The connector's own `baseline` if set, else the investigation's (`Query.baseline`)."""
    return query.baseline if configured is None else configured


# --- the connector base ------------------------------------------------------------------------

R = TypeVar("R", bound=RemoteLogsConfig)


class RemoteLogConnector(Connector[R]):
    """An HTTP log connector: three searches (the window's lines that mention the ticket's
    entities, its error lines, the same error lines over the baseline), each paged into one
    `RemoteScan`. A vendor gives its client options (`options`), its searches (`searches`:
    phase and the vendor's own query), how one search is sent (`prepare`: the text shown as
    provenance and the payload `pages` sends), how it pages (`pages`), how the requests read
    in the evidence (`request_text`), and `check`'s read (`probe`, `probe_ok`)."""

    read_only_posts: ClassVar[Sequence[ReadOnlyPost | str]] = ()
    baseline_gap: ClassVar[timedelta] = timedelta(0)
    """The baseline search ends this long before the window starts."""
    window_pad: ClassVar[timedelta] = timedelta(0)
    """The window's searches end this long after the window."""
    vendor_hints: ClassVar[Mapping[int, str]] = {}
    """Hints by HTTP status over the shared ones (`{name}`: the connector's name)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for value in self.config.__dict__.values():
            if isinstance(value, SecretStr):
                MASKER.add(value)
        self.label = f"{self.type_name} '{self.name}'"

    def options(self) -> HttpOptions:
        """Headers and auth (the base URL, timeout and deadline are filled in)."""
        return HttpOptions()

    def _client(self, deadline: float | None, timeout: float) -> httpx2.AsyncClient:
        own = self.options()
        return self.ctx.http(
            replace(
                own,
                base_url=self.config.root,
                timeout=timeout,
                deadline=deadline,
                read_only_posts=self.read_only_posts,
            )
        )

    async def read_json(
        self,
        client: httpx2.AsyncClient,
        method: str,
        url: str,
        *,
        max_bytes: int,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        passthrough: frozenset[int] = frozenset(),
    ) -> Reply:
        """`read_json` for this connector: its label and name in errors, its `vendor_hints`."""
        return await read_json(
            client,
            method,
            url,
            label=self.label,
            name=self.name,
            params=params,
            body=body,
            max_bytes=max_bytes,
            passthrough=passthrough,
            hints=self.vendor_hints,
        )

    async def probe(self, client: httpx2.AsyncClient) -> None:
        raise NotImplementedError

    def probe_ok(self) -> str:
        raise NotImplementedError

    async def check(self) -> list[Check]:
        try:
            async with self._client(None, 10) as client:
                await self.probe(client)
        except SourceError as exc:
            return [Check("auth", False, exc.message + (f" ({exc.hint})" if exc.hint else ""))]
        return [Check("auth", True, self.probe_ok())]

    def searches(self, query: Query) -> list[tuple[Phase, Any]]:
        """The matches search (when the ticket has entity values the vendor can phrase), the
        errors search and, with a baseline, the same errors search over it."""
        c = self.config
        out: list[tuple[Phase, Any]] = []
        values = entity_values(query, c.max_values)
        matches = self.match_search(values) if values else None
        if matches is not None:
            out.append(("matches", matches))
        errors = self.error_search()
        out.append(("errors", errors))
        if baseline_of(c.baseline, query) and c.max_baseline_lines:
            out.append(("baseline", errors))
        return out

    def match_search(self, values: list[str]) -> Any:
        """The vendor's search for lines naming any of `values`; None: none can be phrased."""
        raise NotImplementedError

    def error_search(self) -> Any:
        """The vendor's search for error-level lines."""
        raise NotImplementedError

    def prepare(self, search: Any, start: datetime, end: datetime) -> tuple[str, Any]:
        raise NotImplementedError

    def pages(
        self, client: httpx2.AsyncClient, scan: RemoteScan, payload: Any
    ) -> AsyncGenerator[list[Entry], None]:
        raise NotImplementedError

    def request_text(self, sent: list[str]) -> str:
        raise NotImplementedError

    def span(self, phase: Phase, query: Query) -> tuple[datetime, datetime]:
        window = query.window
        if phase == "baseline":
            return (
                window.start - baseline_of(self.config.baseline, query),
                window.start - self.baseline_gap,
            )
        return window.start, window.end + self.window_pad

    async def collect(self, query: Query) -> Collected:
        if query.stage == "resolve":
            return Collected()
        c = self.config
        scan = RemoteScan(query, c.limits(), account_keys(c.account_field))
        sent: list[str] = []
        async with self._client(query.deadline, c.request_timeout(query)) as client:
            for phase, search in self.searches(query):
                shown, payload = self.prepare(search, *self.span(phase, query))
                sent.append(shown)
                if not await drain(scan, phase, self.pages(client, scan, payload)):
                    break
        url = link(self.config.link_template, sent[0], query.window.start, query.window.end)
        return scan.collected(self.name, self.request_text(sent), url=url)
