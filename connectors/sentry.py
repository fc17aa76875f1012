"""`sentry`: Sentry issues (error groups) that match the ticket, with their latest event.

    errors:
      type: sentry
      organization: acme                     # slug or ID
      auth_token: ${SENTRY_AUTH_TOKEN}       # org:read / event:read / project:read
      region: us                             # us | de (https://{region}.sentry.io), or:
      # base_url: https://sentry.internal    # self-hosted
      # projects: [api, web]                 # slugs or IDs (default: all accessible)
      # environments: [production]
      # filter: "is:unresolved"              # prepended to every search (trusted config)
      # request_id_tag: request_id           # the tag your SDK sets for request IDs

Searches (`GET /api/0/organizations/{org}/issues/`, one per kind of entity, in the ticket's
window): `user.email`, `user.id`, `trace` (32-hex IDs) or the request-ID tag, `message` for
error messages and codes, and `release` from the ticket's custom fields. Every value is quoted
and escaped per Sentry's search grammar (`"` → `\\"`, no control characters, no trailing
backslash), so a value can never add a qualifier. Pages follow the `Link` header's
`rel="next"; results="true"; cursor=…` up to `max_pages`. For the top `max_events` issues the
latest event is read (`/issues/{id}/events/latest/`) and its exception and top in-app frames
summarised.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import quote

import httpx2
from pydantic import Field, SecretStr, field_validator

from investigate import sdk
from investigate.sdk.fieldchecks import http_url, one
from investigate.sdk.jsonapi import JsonResponse, fetch_json, request_timeout
from investigate.sdk.relevance import bm25
from investigate.sdk.rows import parse_time
from investigate.sdk.textmatch import EntityMatcher
from investigate.sdk.transport import HttpOptions

_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
_TAG = re.compile(r"^[A-Za-z][A-Za-z0-9_.:-]{0,63}$")
_TRACE = re.compile(r"^[0-9a-fA-F]{32}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
_LINK = re.compile(r'<[^>]*>\s*((?:;\s*[a-z]+="[^"]*"\s*)+)')
_LEVEL: dict[str, sdk.Level] = {
    "fatal": "critical",
    "error": "error",
    "warning": "warning",
    "info": "info",
    "debug": "debug",
    "sample": "debug",
}
# The core's vocabulary for an open known issue (investigate.states.OPEN_ISSUE), Sentry's words.
_STATUS = {"unresolved": "open", "resolved": "resolved", "ignored": "ignored"}
_HINTS = {
    401: "set connectors.{name}.auth_token to a valid Sentry auth token",
    403: "the token in connectors.{name}.auth_token needs the org:read, project:read and "
    "event:read scopes",
    404: "check connectors.{name}.organization (the slug or ID) and the region / base_url",
}


class SentryConfig(sdk.ConnectorConfig):
    organization: str
    auth_token: SecretStr
    region: Literal["us", "de"] = "us"
    base_url: str | None = Field(None, description="Self-hosted Sentry; overrides region.")
    projects: list[str] = Field(default_factory=list)
    environments: list[str] = Field(default_factory=list)
    filter: str = Field("", description="Prepended to every search, e.g. 'is:unresolved'.")
    request_id_tag: str = "request_id"
    release_fields: list[str] = Field(
        default_factory=lambda: ["release", "app_version", "version"],
        description="Ticket custom fields that hold the customer's release.",
    )
    max_values: int = Field(5, ge=1, le=20)
    max_text_searches: int = Field(3, ge=0, le=10)
    max_issues: int = Field(10, ge=1, le=100)
    max_pages: int = Field(2, ge=1, le=20)
    max_events: int = Field(5, ge=0, le=25)
    max_response_bytes: int = Field(5_000_000, ge=10_000, le=100_000_000)

    _slug = field_validator("organization")(
        one(_SLUG.match, "organization must be a Sentry slug or ID (letters, digits, - and _)")
    )
    _tag = field_validator("request_id_tag")(
        one(_TAG.match, "request_id_tag must be a plain tag name, e.g. request_id")
    )
    _base = field_validator("base_url")(http_url("base_url must start with https:// (or http://)"))

    @property
    def root(self) -> str:
        return self.base_url or f"https://{self.region}.sentry.io"


def quote_value(value: str, limit: int = 200) -> str | None:
    """A Sentry search value as a quoted string that is always exactly one token.

    Sentry's grammar reads `"` … `"` with `\\"` as the only escape, so quotes are escaped,
    control characters and newlines become spaces and a trailing backslash (which would escape
    the closing quote) is dropped. `None` when nothing is left.
    """
    text = _CONTROL.sub(" ", value).strip()[:limit].rstrip("\\").strip()
    if not text:
        return None
    return '"' + text.replace('"', '\\"') + '"'


def term(key: str, values: list[str]) -> str | None:
    """`key:"v"` or `key:["v1", "v2"]`; None when no value survives quoting."""
    quoted = [q for q in (quote_value(v) for v in values) if q is not None]
    if not quoted:
        return None
    return f"{key}:{quoted[0]}" if len(quoted) == 1 else f"{key}:[{', '.join(quoted)}]"


@dataclass
class Search:
    query: str
    values: list[str]
    """The entity values behind this search (they are what the issues matched)."""


@dataclass
class Found:
    issue: dict[str, Any]
    searches: list[Search] = field(default_factory=list)
    request: str = ""
    event: dict[str, Any] | None = None


def next_cursor(link: str) -> str | None:
    """The cursor of the `rel="next"` link when it says `results="true"`."""
    for match in _LINK.finditer(link):
        attrs: dict[str, str] = dict(re.findall(r'([a-z]+)="([^"]*)"', match.group(1)))
        cursor = attrs.get("cursor")
        if attrs.get("rel") == "next" and attrs.get("results") == "true" and cursor:
            return cursor
    return None


class Sentry(sdk.Connector[SentryConfig]):
    type_name = "sentry"
    config_model = SentryConfig
    description = "Sentry issues matching the ticket, with the latest event's stack trace"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sdk.MASKER.add(self.config.auth_token)
        self.label = f"sentry '{self.name}'"
        self._done = False

    @property
    def _org_path(self) -> str:
        return f"/api/0/organizations/{quote(self.config.organization, safe='')}"

    def _client(self, deadline: float | None, timeout: float) -> httpx2.AsyncClient:
        token = self.config.auth_token.get_secret_value()
        return self.ctx.http(
            HttpOptions(
                base_url=self.config.root,
                timeout=timeout,
                headers={"Authorization": f"Bearer {token}"},
                deadline=deadline,
            )
        )

    async def check(self) -> list[sdk.Check]:
        try:
            async with self._client(None, 10) as client:
                await self._get(
                    client, f"{self._org_path}/issues/", {"limit": "1", "statsPeriod": "24h"}
                )
        except sdk.SourceError as exc:
            return [sdk.Check("auth", False, exc.message + (f" ({exc.hint})" if exc.hint else ""))]
        return [sdk.Check("auth", True, f"token can read issues of {self.config.organization}")]

    async def collect(self, query: sdk.Query) -> sdk.Collected:
        if query.stage == "resolve" or self._done:
            return sdk.Collected()
        self._done = True
        searches = self.searches(query)
        if not searches:
            return sdk.Collected(
                notes=[f"{self.label}: nothing in the ticket to search Sentry for"]
            )
        out = sdk.Collected()
        async with self._client(query.deadline, request_timeout(self.config, query)) as client:
            found = await self._search_all(client, searches, query, out)
            top = sorted(found.values(), key=_last_seen, reverse=True)[: self.config.max_issues]
            out.notes += await self._latest_events(client, top[: self.config.max_events])
        out.evidence = self._evidence(top, query)
        if len(found) > len(top):
            out.notes.append(f"{self.label}: {len(found)} issues matched; kept {len(top)}")
        return out

    def searches(self, query: sdk.Query) -> list[Search]:
        """One search per kind of entity; values quoted so none can add a qualifier."""
        e, cfg = query.entities, self.config
        n = cfg.max_values
        emails = _unique([*([e.requester_email] if e.requester_email else []), *e.emails])[:n]
        traces = [r for r in e.request_ids if _TRACE.match(r)][:n]
        requests = [r for r in e.request_ids if not _TRACE.match(r)][:n]
        releases = [
            str(query.ticket.custom_fields[f])
            for f in cfg.release_fields
            if query.ticket.custom_fields.get(f) not in (None, "")
        ][:n]
        plan = [
            ("user.email", emails),
            ("user.id", e.user_ids[:n]),
            ("trace", traces),
            (cfg.request_id_tag, requests),
            ("release", releases),
        ]
        texts = _unique([*e.error_messages, *e.error_codes])[: cfg.max_text_searches]
        plan += [("message", [t]) for t in texts]
        out = []
        for key, values in plan:
            token = term(key, values) if values else None
            if token is not None:
                out.append(Search(" ".join(filter(None, [cfg.filter.strip(), token])), values))
        return out

    async def _search_all(
        self,
        client: httpx2.AsyncClient,
        searches: list[Search],
        query: sdk.Query,
        out: sdk.Collected,
    ) -> dict[str, Found]:
        results = await sdk.gather_parts(
            out, [self._search(client, s, query) for s in searches], ([], "")
        )
        found: dict[str, Found] = {}
        for search, (issues, request) in zip(searches, results, strict=True):
            for issue in issues:
                entry = found.setdefault(str(issue.get("id")), Found(issue, request=request))
                entry.searches.append(search)
        return found

    async def _search(
        self, client: httpx2.AsyncClient, search: Search, query: sdk.Query
    ) -> tuple[list[dict[str, Any]], str]:
        cfg = self.config
        params: dict[str, str | list[str]] = {
            "query": search.query,
            "start": _iso(query.window.start),
            "end": _iso(query.window.end),
            "sort": "date",
            "limit": str(min(cfg.max_issues, 100)),
        }
        if cfg.projects:
            params["project"] = cfg.projects
        if cfg.environments:
            params["environment"] = cfg.environments
        issues: list[dict[str, Any]] = []
        first = ""
        for _ in range(cfg.max_pages):
            page = await self._get(client, f"{self._org_path}/issues/", params)
            first = first or page.request
            if not isinstance(page.body, list):
                raise sdk.SourceError(
                    f"{self.label}: expected a list of issues from {page.request}"
                )
            issues += [i for i in page.body if isinstance(i, dict) and i.get("id") is not None]
            cursor = next_cursor(page.headers.get("link", ""))
            if cursor is None or len(issues) >= cfg.max_issues:
                break
            params = {**params, "cursor": cursor}
        return issues[: cfg.max_issues], first

    async def _latest_events(self, client: httpx2.AsyncClient, top: list[Found]) -> list[str]:
        async def one(entry: Found) -> str | None:
            issue_id = quote(str(entry.issue["id"]), safe="")
            try:
                page = await self._get(
                    client, f"{self._org_path}/issues/{issue_id}/events/latest/", None
                )
            except sdk.SourceError as exc:  # the issue list is still worth reporting
                return exc.message
            entry.event = page.body if isinstance(page.body, dict) else None
            return None

        limit = asyncio.Semaphore(4)

        async def bounded(entry: Found) -> str | None:
            async with limit:
                return await one(entry)

        return [n for n in await asyncio.gather(*(bounded(f) for f in top)) if n]

    async def _get(
        self, client: httpx2.AsyncClient, path: str, params: Mapping[str, str | list[str]] | None
    ) -> JsonResponse:
        return await fetch_json(
            client,
            path,
            label=self.label,
            name=self.name,
            params=params,
            max_bytes=self.config.max_response_bytes,
            hints=_HINTS,
        )

    def _evidence(self, found: list[Found], query: sdk.Query) -> list[sdk.Evidence]:
        matcher = EntityMatcher(query.entities.matchable())
        items = [self._one(f, matcher, query) for f in found]
        ticket = " ".join(
            [query.ticket.subject, query.ticket.description, *query.entities.error_codes]
        )
        scores = bm25(ticket, [f"{e.title}\n{e.detail}" for e in items]) if items else []
        for item, score in zip(items, scores, strict=True):
            if score > 0:
                item.text_score = round(score, 2)
        return items

    def _one(self, entry: Found, matcher: EntityMatcher, query: sdk.Query) -> sdk.Evidence:
        issue = entry.issue
        first, last = parse_time(issue.get("firstSeen")), parse_time(issue.get("lastSeen"))
        status = str(issue.get("status") or "")
        summary = summarise_event(entry.event) if entry.event else {}
        owner = issue.get("project")
        project = str(owner.get("slug") or "") if isinstance(owner, dict) else ""
        lines = [
            f"{status or 'unknown status'}"
            + (f" ({issue['substatus']})" if issue.get("substatus") else ""),
            f"{issue.get('count', '?')} events, {issue.get('userCount', '?')} users affected",
            f"first seen {_when(first)}, last seen {_when(last)}",
            f"project {project}" if project else "",
            f"culprit {issue['culprit']}" if issue.get("culprit") else "",
            *summary.get("lines", []),
        ]
        detail = "\n".join(line for line in lines if line)[:2000]
        title = f"{issue.get('shortId') or issue.get('id')}: {issue.get('title') or ''}".strip()
        matched = matcher.find(f"{title}\n{detail}\n{summary.get('user', '')}")
        searched = {v.lower() for s in entry.searches for v in s.values}
        novelty = _novelty(issue, first, query)
        return sdk.Evidence(
            source=self.name,
            kind="issue",  # a known issue to the ranking and the analysts
            timestamp=last,
            first_seen=first,
            last_seen=last,
            title=title[:300],
            detail=detail,
            url=link if (link := str(issue.get("permalink") or "")).startswith("http") else None,
            level=_LEVEL.get(str(issue.get("level") or "")),
            count=max(1, _int(issue.get("count"))),
            novelty=novelty,
            matched=sorted(matched | (searched & set(query.entities.matchable()))),
            query=sdk.MASKER.mask(entry.request),
            services=[project] if project else [],
            status=_STATUS.get(status, status).lower() or None,
            attributes={
                "sentry_status": status,
                "substatus": issue.get("substatus"),
                "user_count": _int(issue.get("userCount")),
                "issue_id": str(issue.get("id")),
                "searches": [s.query for s in entry.searches],
                **{k: v for k, v in summary.items() if k in ("exception", "frames", "event_id")},
            },
        )


def summarise_event(event: Mapping[str, Any]) -> dict[str, Any]:
    """The raised exception (type: value), the top in-app frames, release and environment."""
    out: dict[str, Any] = {"event_id": event.get("eventID") or event.get("id"), "lines": []}
    exceptions: list[dict[str, Any]] = []
    for entry in event.get("entries") or []:
        if isinstance(entry, dict) and entry.get("type") == "exception":
            values = (entry.get("data") or {}).get("values") or []
            exceptions += [v for v in values if isinstance(v, dict)]
    if exceptions:
        raised = exceptions[-1]  # Sentry lists chained exceptions cause-first
        kind, value = raised.get("type") or "Exception", raised.get("value") or ""
        out["exception"] = f"{kind}: {value}".strip().rstrip(":")[:300]
        out["frames"] = top_frames(raised)
        out["lines"].append(f"exception {out['exception']}")
        out["lines"] += [f"  at {f}" for f in out["frames"]]
    tags = {
        str(t.get("key")): str(t.get("value"))
        for t in event.get("tags") or []
        if isinstance(t, dict)
    }
    for key in ("release", "environment"):
        if tags.get(key):
            out["lines"].append(f"{key} {tags[key][:100]}")
    user = event.get("user") if isinstance(event.get("user"), dict) else {}
    out["user"] = " ".join(str(v) for v in (user or {}).values() if isinstance(v, str))
    when = parse_time(event.get("dateCreated"))
    if when:
        out["lines"].append(f"latest event {out['event_id']} at {_when(when)}")
    return out


def top_frames(exception: Mapping[str, Any], limit: int = 3) -> list[str]:
    """Innermost in-app frames first (Sentry lists frames outermost-first)."""
    frames = [
        f for f in ((exception.get("stacktrace") or {}).get("frames") or []) if isinstance(f, dict)
    ]
    chosen = [f for f in reversed(frames) if f.get("inApp")][:limit] or list(reversed(frames))[
        :limit
    ]
    out = []
    for f in chosen:
        where = f.get("filename") or f.get("module") or f.get("absPath") or "?"
        line = f":{f['lineNo']}" if f.get("lineNo") else ""
        out.append(f"{f.get('function') or '?'} ({where}{line})"[:200])
    return out


def _novelty(issue: Mapping[str, Any], first: datetime | None, query: sdk.Query) -> Any:
    if first is not None and first >= query.window.start:
        return "new"
    if issue.get("substatus") in ("regressed", "escalating"):
        return "spike"
    return None


def _last_seen(entry: Found) -> float:
    when = parse_time(entry.issue.get("lastSeen"))
    return when.timestamp() if when else 0.0


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "?"


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _unique(values: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for v in values:
        if v and v.lower() not in seen:
            seen.add(v.lower())
            out.append(v)
    return out
