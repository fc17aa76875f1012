"""`jira`: Jira (platform or Service Management) issues as tickets, and known issues that
match a ticket.

    bugs:
      type: jira
      base_url: https://acme.atlassian.net  # Cloud; Data Center: https://jira.acme.io
      email: ${JIRA_EMAIL}                  # Cloud: the account the API token belongs to
      api_token: ${JIRA_API_TOKEN}          # id.atlassian.com → Security → API tokens
      # pat: ${JIRA_PAT}                    # Data Center: a personal access token (Bearer)
      # deployment: cloud                   # cloud | datacenter (default: by host name)
      # service_desk: true                  # tickets are JSM customer requests
      # jql: "project = BUG AND type = Bug" # base JQL for the known-issue search (trusted)

Ticket (platform): `GET /rest/api/3/issue/{key}` (Data Center: `/rest/api/2`), ADF bodies
rendered to text, then every comment page (`/issue/{key}/comment`, `startAt`/`total`).
Ticket (`service_desk: true`): `GET /rest/servicedeskapi/request/{key}`, its comments
(`/comment?public=true&internal=true`, `start`/`isLastPage`) and attachments (listed only).

Known issues (evidence kind "issue"): Cloud `GET /rest/api/3/search/jql` (`nextPageToken`
paging; the old `/search` answers 410), Data Center `GET /rest/api/2/search` (`startAt`), with
`(<jql>) AND (text ~ "\\"ERR_X\\"" OR …) ORDER BY updated DESC`. Each ticket value is a JQL
string with `\\` and `"` escaped, control characters removed and Lucene operators stripped, so
it is one phrase and can never close the string, add a clause or an operator.

History (`investigate stats`): the JQL search for issues created in the period (`--query` is
your own JQL, ANDed), with the JSM SLA custom fields named in `sla_fields` (`first_response`,
`resolution`: `completedCycles` / `ongoingCycle` with `elapsedTime.millis`): the first response
is when the first-response cycle stopped; the resolution cycle's wall time less its elapsed time
is its paused time (JSM also leaves out time outside the SLA calendar), and each cycle after
the first is a reopen. `resolutiondate` is the solve; `satisfaction_field` (JSM's request
feedback field, `{"rating": 1–5}`) is the rating. Without `sla_fields` the stats say so.

`check()` calls `/myself` and `/mypermissions?permissions=EDIT_ISSUES` and warns when the
account could edit issues (investigate never does, but a read-only account is safer).
"""

from __future__ import annotations

import re
import time
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Literal
from urllib.parse import quote, urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator

from investigate import sdk
from investigate.sdk import helpdesk as hd
from investigate.sdk import notes as note_kit
from investigate.sdk.adf import adf_to_text
from investigate.sdk.contract import Check, Collected, Query
from investigate.sdk.history import History, HistoryQuery, HistoryTicket, Rating
from investigate.sdk.http import Basic, Bearer, HttpConnector, Session, either
from investigate.sdk.rows import parse_time
from investigate.sdk.trackers import KnownIssue, TrackerConfig, issue_evidence, search_terms

_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,49}-\d{1,12}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
# Lucene's special characters in a `text ~` value (and the quote and backslash of JQL itself).
_LUCENE = re.compile(r'[+\-&|!(){}\[\]^~*?\\:"/]+')
_ORDER_BY = re.compile(r"\border\s+by\b", re.I)
_CATEGORY = {"new": "open", "indeterminate": "in_progress", "done": "resolved"}
_FIELDS = "summary,status,assignee,fixVersions,updated,created,description,labels,resolution"
_HINTS = {
    401: "set connectors.{name}.email and connectors.{name}.api_token (Cloud) or "
    "connectors.{name}.pat (Data Center) to valid credentials",
    403: "the Jira account behind connectors.{name}.api_token (or pat) lacks permission for "
    "this read (Browse projects), or Jira wants a CAPTCHA: sign in once in a browser",
    404: "check connectors.{name}.base_url (and service_desk for JSM requests)",
    400: "Jira rejected the query; check connectors.{name}.jql",
    410: "this Jira no longer has that API; check connectors.{name}.deployment",
    429: "Jira rate limit: the Retry-After did not fit in the deadline; try again later",
}


class JiraWriteBack(note_kit.WriteBack):
    visibility_type: Literal["role", "group"] = "role"
    visibility: str | None = None
    """The project role (or group) that may see the comment, e.g. Developers."""


class JiraConfig(TrackerConfig):
    base_url_example: ClassVar[str] = "https://acme.atlassian.net"
    write_back: JiraWriteBack = Field(default_factory=JiraWriteBack)
    """`--post-note`: a comment restricted to a role/group (JSM: an internal comment)."""
    base_url: str
    deployment: Literal["cloud", "datacenter"] | None = Field(
        None, description="Default: cloud for *.atlassian.net, else datacenter."
    )
    email: str | None = None
    api_token: SecretStr | None = None
    pat: SecretStr | None = Field(None, description="Data Center personal access token.")
    service_desk: bool = False
    jql: str = Field("", description="Base JQL for the known-issue search (trusted config).")
    max_terms: int = Field(4, ge=1, le=10)
    max_issues: int = Field(10, ge=1, le=100)
    max_pages: int = Field(2, ge=1, le=20)
    max_comment_pages: int = Field(20, ge=1, le=200)
    max_response_bytes: int = Field(5_000_000, ge=10_000, le=100_000_000)
    known_issues: bool = Field(True, description="false: only a ticket source (no search).")
    sla_fields: dict[Literal["first_response", "resolution"], str] = Field(
        default_factory=dict, description="JSM SLA custom fields, e.g. customfield_10030."
    )
    satisfaction_field: str | None = Field(None, description="JSM request feedback field.")

    @field_validator("jql")
    @classmethod
    def _jql(cls, value: str) -> str:
        if _ORDER_BY.search(value):
            raise ValueError("jql must not contain ORDER BY (results are ordered by update)")
        return value.strip()

    @model_validator(mode="after")
    def _auth(self) -> JiraConfig:
        if self.pat is None and (self.api_token is None or not self.email):
            raise ValueError(
                "set email and api_token (Jira Cloud) or pat (Data Center personal access token)"
            )
        return self

    @property
    def cloud(self) -> bool:
        if self.deployment is not None:
            return self.deployment == "cloud"
        host = urlsplit(self.base_url).hostname or ""
        return host.endswith((".atlassian.net", ".jira.com"))

    @property
    def api(self) -> str:
        return "/rest/api/3" if self.cloud else "/rest/api/2"


_INTERNAL = "POST /rest/servicedeskapi/request/{key}/comment (internal comment only)"
_RESTRICTED = "POST /rest/api/2/issue/{key}/comment (restricted by visibility only)"


class Jira(HttpConnector[JiraConfig]):
    type_name = "jira"
    config_model = JiraConfig
    vendor_hints = _HINTS
    description = "Jira / Jira Service Management: tickets, and known issues matching a ticket"
    auth = either(Basic("api_token", user_key="email"), Bearer("pat"))
    pooled = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # a pure ticket source when known_issues is off: the fan-out leaves it out
        self.collects_evidence = self.config.known_issues  # type: ignore[misc]

    def _ticket_session(self) -> AbstractAsyncContextManager[Session]:
        """A ticket fetch or search: the connector's timeout, a minute in all."""
        return self.session(None, timeout=self.own_timeout(), deadline=time.monotonic() + 60)

    # ticket source ----------------------------------------------------------------------

    def _key(self, ticket_id: str) -> str:
        value = ticket_id.strip()
        if not _KEY.match(value):
            shown = " ".join(ticket_id.split())[:60]
            raise sdk.TicketNotFound(
                f"ticket {shown!r} not found: Jira keys look like ABC-123",
                hint="pass the issue key shown in Jira",
            )
        return value.upper()

    def _not_found(self, key: str) -> sdk.TicketNotFound:
        return sdk.TicketNotFound(
            f"ticket {key} not found in Jira ({self.config.base_url})",
            hint="check the key, and that the account can browse the project",
        )

    def note_channel(self) -> note_kit.NoteChannel:
        """Jira: `POST /rest/api/2/issue/{key}/comment` with `{"body": wiki, "visibility":
        {"type": "role"|"group", "value": …}}`; Jira Service Management (`service_desk: true`):
        `POST /rest/servicedeskapi/request/{key}/comment` with `{"body": wiki, "public": false}`.
        The v2 comment API takes wiki markup on Cloud and Data Center alike."""
        wb = self.config.write_back
        basic = wb.token is not None and bool(wb.email)
        options = note_kit.note_options(  # Cloud: email + API token; Data Center: a PAT as bearer
            self.config.base_url,
            self.config.timeout,
            bearer=None if basic else wb.token,
            auth=(str(wb.email), wb.token.get_secret_value()) if basic and wb.token else None,
        )
        vendor, label, check = "Jira", _RESTRICTED, _restricted_comment
        extra: dict[str, Any] = {
            "visibility": {"type": wb.visibility_type, "value": wb.visibility or ""}
        }
        problem = None if wb.token else "set token (and email for Jira Cloud)"
        if self.config.service_desk:
            vendor, label, check = "Jira Service Management", _INTERNAL, _jsm_internal
            extra = {"public": False}
        elif not problem and not wb.visibility:
            problem = "set visibility (a role or group)"
        route = hd.NoteRoute(
            vendor,
            label,
            check,
            lambda note: {"body": note, **extra},
            "jira",
            lambda ticket: quote(self._key(ticket.id)),
            r"[A-Za-z0-9_-]{1,64}",
        )
        return route.channel(wb, options, problem)

    async def fetch_ticket(self, ticket_id: str) -> sdk.Ticket:
        key = self._key(ticket_id)
        async with self._ticket_session() as api:
            if self.config.service_desk:
                return await self._request(api, key)
            return await self._issue(api, key)

    async def _issue(self, api: Session, key: str) -> sdk.Ticket:
        path = f"{self.config.api}/issue/{quote(key)}"
        found = await api.get(path, ok_statuses=hd.MISSING)
        if not isinstance(found.body, dict) or not isinstance(found.body.get("fields"), dict):
            raise self._not_found(key)
        issue = found.body
        comments, notes = await self._comments(api, f"{path}/comment")
        f = issue["fields"]
        description = hd.with_attachments(
            adf_to_text(f.get("description")), _files(f.get("attachment"))
        )
        created = hd.created(
            parse_time(f.get("created")), self.label, f"issue {key} has no created time"
        )
        raw = hd.with_notes({"issue": issue, "comments": comments}, notes)
        fields: dict[str, Any] = {}
        if hd.as_dict(f.get("assignee")).get("displayName"):
            fields["assignee"] = f["assignee"]["displayName"]
        versions = [str(v.get("name")) for v in hd.as_list(f.get("fixVersions"))]
        if versions:
            fields["fix_versions"] = versions
        return sdk.Ticket(
            id=str(issue.get("key") or key),
            url=f"{self.config.base_url}/browse/{issue.get('key') or key}",
            subject=str(f.get("summary") or ""),
            description=description,
            comments=[self._comment(c) for c in comments],
            requester=_person(f.get("reporter")),
            created_at=created,
            updated_at=parse_time(f.get("updated")),
            priority=hd.as_dict(f.get("priority")).get("name"),
            status=hd.as_dict(f.get("status")).get("name"),
            tags=[str(x) for x in f.get("labels") or [] if isinstance(x, str)],
            custom_fields=fields,
            raw=raw,
        )

    async def _comments(self, api: Session, url: str) -> tuple[list[dict[str, Any]], list[str]]:
        comments: list[dict[str, Any]] = []
        start = 0
        for _ in range(self.config.max_comment_pages):
            params = {"startAt": str(start), "maxResults": "100", "orderBy": "created"}
            page = await api.get(url, params)
            body = hd.as_dict(page.body)
            batch = hd.as_list(body.get("comments"))
            comments += batch
            start += len(batch)
            total = body.get("total")
            if not batch or not isinstance(total, int) or start >= total:
                return comments, []
        return comments, [
            f"only the first {self.config.max_comment_pages} pages of comments were read"
        ]

    def _comment(self, c: dict[str, Any]) -> sdk.Comment:
        author = hd.as_dict(c.get("author"))
        return sdk.Comment(
            author=author.get("displayName") or author.get("emailAddress"),
            body=adf_to_text(c.get("body")),
            created_at=parse_time(c.get("created")),
            public=c.get("jsdPublic") is not False,
        )

    async def _request(self, api: Session, key: str) -> sdk.Ticket:
        base = f"/rest/servicedeskapi/request/{quote(key)}"
        found = await api.get(base, ok_statuses=hd.MISSING)
        if not isinstance(found.body, dict) or not found.body.get("issueKey"):
            raise self._not_found(key)
        request = found.body
        comments: list[dict[str, Any]] = []
        notes: list[str] = []
        start = 0
        for page_no in range(self.config.max_comment_pages):
            params = {"public": "true", "internal": "true", "start": str(start), "limit": "50"}
            page = hd.as_dict((await api.get(f"{base}/comment", params)).body)
            batch = hd.as_list(page.get("values"))
            comments += batch
            start += len(batch)
            if page.get("isLastPage") is not False or not batch:
                break
            if page_no == self.config.max_comment_pages - 1:
                notes.append("only the first comment pages were read")
        files: list[str] = []
        try:
            listed = await api.get(f"{base}/attachment", {"start": "0", "limit": "50"})
            files = _files(hd.as_dict(listed.body).get("values"))
        except sdk.SourceError as exc:  # the request is still worth reading without them
            notes.append(exc.message)
        values = {
            str(v.get("fieldId")): v.get("value")
            for v in hd.as_list(request.get("requestFieldValues"))
        }
        description = hd.with_attachments(adf_to_text(values.get("description")), files)
        created = hd.created(
            _jsm_time(request.get("createdDate")), self.label, f"request {key} has no createdDate"
        )
        status = hd.as_dict(request.get("currentStatus"))
        raw = hd.with_notes({"request": request, "comments": comments}, notes)
        web = hd.as_dict(request.get("_links")).get("web")
        extra = {
            k: v
            for k, v in values.items()
            if k not in ("summary", "description") and v not in (None, "", [])
        }
        return sdk.Ticket(
            id=str(request.get("issueKey") or key),
            url=str(web) if isinstance(web, str) else f"{self.config.base_url}/browse/{key}",
            subject=str(values.get("summary") or ""),
            description=description,
            comments=[
                sdk.Comment(
                    author=hd.as_dict(c.get("author")).get("displayName"),
                    body=adf_to_text(c.get("body")),
                    created_at=_jsm_time(c.get("created")),
                    public=c.get("public") is not False,
                )
                for c in comments
            ],
            requester=_person(request.get("reporter")),
            created_at=created,
            status=hd.id_str(status.get("status")) or None,
            custom_fields=extra,
            raw=raw,
        )

    # ticket search ----------------------------------------------------------------------

    async def search_tickets(self, query: str, limit: int) -> list[str]:
        """The user's own JQL, as given (it is theirs, not ticket text), newest first."""
        jql = query.strip()
        if not _ORDER_BY.search(jql):
            jql = f"{jql} ORDER BY created DESC" if jql else "ORDER BY created DESC"
        async with self._ticket_session() as api:
            issues, _ = await self._search(api, jql, limit, "key,created")
        return [hd.id_str(i.get("key")) for i in issues if i.get("key")][:limit]

    async def _search(
        self, api: Session, jql: str, limit: int, fields: str
    ) -> tuple[list[dict[str, Any]], str]:
        cfg = self.config
        per_page = str(max(1, min(limit, 100)))
        issues: list[dict[str, Any]] = []
        first = ""
        token: str | None = None
        pages = max(cfg.max_pages, -(-limit // 100))
        for _ in range(pages):
            params = {"jql": jql, "maxResults": per_page, "fields": fields}
            if cfg.cloud:
                url = f"{cfg.api}/search/jql"
                if token:
                    params["nextPageToken"] = token
            else:
                url = f"{cfg.api}/search"
                params["startAt"] = str(len(issues))
            page = await api.get(url, params)
            first = first or page.request
            body = page.body
            if not isinstance(body, dict) or not isinstance(body.get("issues"), list):
                raise sdk.SourceError(f"{self.label}: expected search results from {page.request}")
            batch = hd.as_list(body["issues"])
            issues += batch
            if len(issues) >= limit or not batch:
                break
            if cfg.cloud:
                token = (
                    body.get("nextPageToken")
                    if isinstance(body.get("nextPageToken"), str)
                    else None
                )
                if body.get("isLast") is True or not token:
                    break
            elif len(issues) >= int(body.get("total") or 0):
                break
        return issues[:limit], first

    # history (`investigate stats`) --------------------------------------------------------

    async def ticket_history(self, query: HistoryQuery) -> History:
        cfg = self.config
        span = f'created >= "{_jql_time(query.since)}" AND created <= "{_jql_time(query.until)}"'
        mine = query.query.strip()
        if _ORDER_BY.search(mine):
            raise sdk.UsageError("--query: leave out ORDER BY (history is read newest first)")
        jql = f"({mine}) AND {span}" if mine else span
        extra = [
            *cfg.sla_fields.values(),
            *([cfg.satisfaction_field] if cfg.satisfaction_field else []),
        ]
        fields = ",".join([*_HISTORY_FIELDS, *extra])
        async with self.session(None, timeout=self.own_timeout()) as api:
            issues, _ = await self._search(api, f"{jql} ORDER BY created DESC", query.limit, fields)
        out = History()
        if not cfg.sla_fields:
            out.notes.append(
                f"{self.label}: no sla_fields configured: first response unknown, "
                "pending time not excluded"
            )
        for issue in issues:
            found = self._history(issue)
            if found is not None:
                out.tickets.append(found)
        return out

    def _history(self, issue: dict[str, Any]) -> HistoryTicket | None:
        f = hd.as_dict(issue.get("fields"))
        created = parse_time(f.get("created"))
        if created is None:
            return None
        first = hd.as_dict(f.get(self.config.sla_fields.get("first_response", "")))
        resolution = hd.as_dict(f.get(self.config.sla_fields.get("resolution", "")))
        cycles = hd.as_list(resolution.get("completedCycles"))
        paused: timedelta | None = None
        if self.config.sla_fields.get("resolution"):
            paused = timedelta()
            for c in cycles:
                start, stop = _jsm_time(c.get("startTime")), _jsm_time(c.get("stopTime"))
                elapsed = hd.as_dict(c.get("elapsedTime")).get("millis")
                if start and stop and isinstance(elapsed, int):
                    paused += max(stop - start - timedelta(milliseconds=elapsed), timedelta())
        replied = [_jsm_time(c.get("stopTime")) for c in hd.as_list(first.get("completedCycles"))]
        rating = hd.as_dict(f.get(self.config.satisfaction_field or "")).get("rating")
        reporter = hd.as_dict(f.get("reporter"))
        email = str(reporter.get("emailAddress") or "")
        status = hd.as_dict(f.get("status"))
        done = hd.as_dict(status.get("statusCategory")).get("key") == "done"
        return HistoryTicket(
            id=hd.id_str(issue.get("key")),
            created_at=created,
            subject=str(f.get("summary") or ""),
            text=adf_to_text(f.get("description"))[:2000]
            if isinstance(f.get("description"), dict)
            else str(f.get("description") or "")[:2000],
            customer=email.rpartition("@")[2].lower()
            if "@" in email
            else reporter.get("displayName"),
            priority=str(hd.as_dict(f.get("priority")).get("name") or "").lower() or None,
            category=hd.as_dict(f.get("issuetype")).get("name"),
            status="resolved" if done else status.get("name"),
            first_reply_at=next((r for r in replied if r is not None), None),
            solved_at=parse_time(f.get("resolutiondate")) if done else None,
            reopens=max(len(cycles) - 1, 0)
            + (1 if cycles and resolution.get("ongoingCycle") else 0),
            paused=paused,
            tags=[str(x) for x in f.get("labels") or [] if isinstance(x, str)],
            rating=Rating(score=float(rating), scale="1-5")
            if isinstance(rating, int) and 1 <= rating <= 5
            else None,
        )

    # known issues -----------------------------------------------------------------------

    def search_jql(self, query: Query) -> str | None:
        phrases = [jql_text(t) for t in search_terms(query, self.config.max_terms)]
        clauses = [f"text ~ {p}" for p in phrases if p]
        if not clauses:
            return None
        parts = [f"({self.config.jql})"] if self.config.jql else []
        parts.append(f"({' OR '.join(clauses)})")
        own = query.ticket.id
        if (
            _KEY.match(own)
            and query.ticket.url
            and query.ticket.url.startswith(self.config.base_url)
        ):
            parts.append(f"key != {jql_string(own)}")
        return " AND ".join(parts) + " ORDER BY updated DESC"

    async def gather(self, api: Session, query: Query) -> Collected:
        jql = self.search_jql(query)
        if jql is None:
            return Collected(notes=[f"{self.label}: nothing in the ticket to search Jira for"])
        issues, sent = await self._search(api, jql, self.config.max_issues, _FIELDS)
        known = [self._known(i, sent) for i in issues]
        return Collected(evidence=issue_evidence(self.name, known, query))

    def _known(self, issue: dict[str, Any], request: str) -> KnownIssue:
        f = hd.as_dict(issue.get("fields"))
        status = hd.as_dict(f.get("status"))
        category = hd.id_str(hd.as_dict(status.get("statusCategory")).get("key"))
        key = hd.id_str(issue.get("key"))
        return KnownIssue(
            key=key,
            title=str(f.get("summary") or ""),
            url=f"{self.config.base_url}/browse/{key}",
            status=_CATEGORY.get(category, category or "unknown"),
            vendor_status=str(status.get("name") or category or ""),
            assignee=hd.as_dict(f.get("assignee")).get("displayName"),
            fix=[str(v.get("name")) for v in hd.as_list(f.get("fixVersions")) if v.get("name")],
            created=parse_time(f.get("created")),
            updated=parse_time(f.get("updated")),
            body=adf_to_text(f.get("description")),
            labels=[str(x) for x in f.get("labels") or [] if isinstance(x, str)],
            request=request,
        )

    # check ------------------------------------------------------------------------------

    async def check(self) -> list[Check]:
        path = self.config.api
        try:
            async with self.session(None) as api:
                me = await api.get(f"{path}/myself")
                who = hd.as_dict(me.body)
                checks = [
                    Check(
                        "credentials",
                        True,
                        f"signed in to Jira as {who.get('displayName') or who.get('emailAddress') or 'unknown'}",
                    )
                ]
                try:
                    perms = await api.get(f"{path}/mypermissions", {"permissions": "EDIT_ISSUES"})
                except sdk.SourceError as exc:
                    checks.append(
                        Check("read-only", True, f"not verified: {exc.message}", warning=True)
                    )
                    return checks
        except sdk.SourceError as exc:
            return [Check("credentials", False, hd.with_hint(exc))]
        edit = hd.as_dict(hd.as_dict(hd.as_dict(perms.body).get("permissions")).get("EDIT_ISSUES"))
        if edit.get("havePermission") is True:
            checks.append(
                Check(
                    "read-only",
                    False,
                    "this account can edit issues; investigate only reads, but a read-only "
                    "account (Browse projects only) is safer",
                    warning=True,
                )
            )
        else:
            checks.append(Check("read-only", True, "the account cannot edit issues"))
        return checks


def jql_string(value: str) -> str:
    """A JQL string literal: `\\` and `"` escaped, control characters (newlines) removed."""
    text = " ".join(_CONTROL.sub(" ", value).split())
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def jql_text(value: str, limit: int = 100) -> str | None:
    """A `text ~` value that is one exact phrase: Lucene operators and quotes removed, then
    phrase-quoted inside a JQL string (`"\\"ERR_X at row\\""`). None when nothing is left."""
    text = " ".join(_LUCENE.sub(" ", _CONTROL.sub(" ", value)).split())[:limit].strip()
    if len(text) < 2:
        return None
    return jql_string(f'"{text}"')


_HISTORY_FIELDS = (
    *("summary", "description", "created", "resolutiondate", "priority", "status"),
    *("labels", "reporter", "issuetype"),
)


def _jql_time(value: datetime) -> str:
    """JQL's date format, in UTC (a JQL date has no zone: the searching user's is assumed,
    so give the Jira account the UTC time zone for exact boundaries)."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def _jsm_time(value: Any) -> datetime | None:
    d = hd.as_dict(value)
    return parse_time(d.get("iso8601")) or parse_time(d.get("epochMillis"))


__all__ = ["Jira", "JiraConfig", "jql_string", "jql_text"]


def _restricted_comment(body: bytes) -> None:
    data = note_kit.require_json(body)
    note_kit.only_keys(data, {"body", "visibility"}, "Jira comment")
    seen = data.get("visibility")
    if (
        not isinstance(seen, dict)
        or seen.get("type") not in ("role", "group")
        or not isinstance(seen.get("value"), str)
        or not seen["value"].strip()
    ):
        raise sdk.ReadOnlyViolation("refused a Jira comment without a role/group visibility")


def _jsm_internal(body: bytes) -> None:
    data = note_kit.require_json(body)
    note_kit.only_keys(data, {"body", "public"}, "Jira Service Management comment")
    if data.get("public") is not False:
        raise sdk.ReadOnlyViolation("refused a Jira Service Management comment that is public")


def _files(attachments: Any) -> list[str]:
    """Jira's attachments (an issue's, a request's), listed not downloaded."""
    return [
        hd.attachment_note(a.get("filename"), a.get("size"), a.get("mimeType"))
        for a in hd.as_list(attachments)
    ]


def _person(user: Any) -> sdk.Person:
    """A Jira user (an issue's or a request's reporter) as the requester."""
    found = hd.as_dict(user)
    return sdk.Person(name=found.get("displayName"), email=found.get("emailAddress") or None)
