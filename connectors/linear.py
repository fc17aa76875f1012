"""`linear`: Linear issues as tickets, and as known issues that match a ticket (GraphQL).

    bugs:
      type: linear
      api_key: ${LINEAR_API_KEY}        # Settings → Security & access → API keys (Read only)
      # oauth_token: ${LINEAR_TOKEN}    # instead: an OAuth access token (scope: read)
      # teams: [ENG, SUP]               # team keys the searches are limited to
      # max_searches: 2                 # searchIssues calls per ticket (30/min on Linear)

Ticket: `issue(id:)` (an identifier like ENG-123 or a UUID) with its comments, paged
(`comments(first: 50, after:)`, `pageInfo`), Markdown bodies as clean text, attachments listed
(title, URL), never downloaded.

Known issues (evidence kind "issue"): `searchIssues(term:)` once per error code or phrase,
merged, with state, assignee, linked pull requests (attachments from GitHub/GitLab), project
milestone or cycle, last update and link, scored against the ticket text.

Every GraphQL document is parsed with graphql-core and only a `query` operation may be sent:
a `mutation` or `subscription` is refused before a byte leaves (here and in the HTTP guard on
`POST /graphql`). Values travel as GraphQL variables, never inside the document. Linear's rate
limit (`RATELIMITED` in `errors`, with HTTP 200 or 400) becomes a 429 with `Retry-After` from
`X-RateLimit-Requests-Reset`, so the shared retry waits within the deadline or gives up with
one clear line.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, ClassVar

import graphql
import httpx2
from pydantic import Field, SecretStr, model_validator

from investigate import sdk
from investigate.sdk import helpdesk as hd
from investigate.sdk import notes as note_kit
from investigate.sdk import trackers
from investigate.sdk.contract import Check, Collected, Query
from investigate.sdk.helpdesk import as_dict, as_list, id_str, with_hint
from investigate.sdk.http import Bearer, HeaderKey, HttpConnector, Session, either
from investigate.sdk.jsonapi import read_upto
from investigate.sdk.rows import parse_time
from investigate.sdk.transport import ReadOnlyPost, WriteEndpoint, source_error

PEEK_BYTES = 65_536
_ISSUE_FIELDS = """
    id identifier title description url createdAt updatedAt priorityLabel
    state { name type }
    creator { name email }
    assignee { name }
    team { key name }
    labels { nodes { name } }
    attachments { nodes { title subtitle url sourceType } }
"""
_COMMENTS = """
    comments(first: 50, after: $after) {
      nodes { body createdAt user { name email } externalUser { name email } botActor { name } }
      pageInfo { hasNextPage endCursor }
    }
"""
ISSUE = f"""query Issue($id: String!, $after: String) {{
  issue(id: $id) {{ {_ISSUE_FIELDS} {_COMMENTS} }}
}}"""
COMMENTS = f"""query IssueComments($id: String!, $after: String) {{
  issue(id: $id) {{ id {_COMMENTS} }}
}}"""
SEARCH = """query SearchIssues($term: String!, $first: Int, $filter: IssueFilter) {
  searchIssues(term: $term, first: $first, filter: $filter) {
    nodes {
      id identifier title description url createdAt updatedAt
      state { name type }
      assignee { name }
      labels { nodes { name } }
      attachments { nodes { title url sourceType } }
      projectMilestone { name }
      cycle { name number }
    }
  }
}"""
TICKETS = """query Tickets($first: Int, $after: String, $filter: IssueFilter) {
  issues(first: $first, after: $after, filter: $filter, orderBy: createdAt) {
    nodes { identifier createdAt }
    pageInfo { hasNextPage endCursor }
  }
}"""
VIEWER = "query Viewer { viewer { id name email } }"
DOCUMENTS = (ISSUE, COMMENTS, SEARCH, TICKETS, VIEWER)

_STATE = {
    "triage": "triage",
    "backlog": "open",
    "unstarted": "open",
    "started": "in_progress",
    "completed": "resolved",
    "canceled": "closed",
    "duplicate": "closed",
}
_PR_SOURCES = ("github", "gitlab", "githubPullRequest", "gitlabMergeRequest")
_HINTS = {
    401: "set connectors.{name}.api_key to a valid Linear API key (or oauth_token)",
    403: "the Linear key in connectors.{name}.api_key (or oauth_token) cannot read this; give "
    "it Read access to the team",
    429: "Linear rate limit: the reset (Retry-After) did not fit in the deadline; try again later",
}


@lru_cache(maxsize=64)
def ensure_query(document: str) -> str:
    """The document if it parses and holds only `query` operations; else `ReadOnlyViolation`."""
    try:
        parsed = graphql.parse(document)
    except graphql.GraphQLError as exc:
        raise sdk.ReadOnlyViolation(
            f"refused a GraphQL document that does not parse: {exc.message}"
        ) from None
    for definition in parsed.definitions:
        if isinstance(definition, graphql.OperationDefinitionNode):
            kind = definition.operation.value
            if kind != "query":
                raise sdk.ReadOnlyViolation(
                    f"refused a GraphQL {kind}: investigate only sends queries",
                    hint="investigate never writes; only read queries are sent to Linear",
                )
    return document


def refuse_writes(body: bytes) -> None:
    """`ReadOnlyPost` check for `POST /graphql`: the body's `query` must be read-only."""
    try:
        payload = json.loads(body or b"{}")
    except ValueError:
        raise sdk.ReadOnlyViolation("refused a POST /graphql whose body is not JSON") from None
    document = payload.get("query") if isinstance(payload, dict) else None
    if not isinstance(document, str):
        raise sdk.ReadOnlyViolation("refused a POST /graphql without a query document")
    ensure_query(document)


class LinearConfig(trackers.TrackerConfig):
    write_back: note_kit.WriteBack = Field(default_factory=note_kit.WriteBack)
    """`--post-note`: a comment via `commentCreate`, the one mutation ever sent."""
    api_key: SecretStr | None = None
    oauth_token: SecretStr | None = None
    base_url: str = "https://api.linear.app"
    teams: list[str] = Field(default_factory=list, description="Team keys to search in.")
    max_searches: int = Field(2, ge=1, le=5)
    max_issues: int = Field(10, ge=1, le=50)
    max_comment_pages: int = Field(10, ge=1, le=100)
    max_response_bytes: int = Field(5_000_000, ge=10_000, le=100_000_000)
    known_issues: bool = Field(True, description="false: only a ticket source (no search).")

    @model_validator(mode="after")
    def _auth(self) -> LinearConfig:
        if self.api_key is None and self.oauth_token is None:
            raise ValueError("set api_key (a Linear API key) or oauth_token")
        return self


class LinearRateLimit(httpx2.AsyncBaseTransport):
    """Inner transport: a small GraphQL answer whose `errors` say `RATELIMITED` becomes a 429
    with `Retry-After` (from `X-RateLimit-Requests-Reset`, epoch milliseconds), so the shared
    deadline-bounded retry waits for it. Large answers are not peeked (streamed and capped)."""

    def __init__(self, inner: httpx2.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        response = await self.inner.handle_async_request(request)
        declared = response.headers.get("content-length", "")
        if response.status_code not in (200, 400) or not (
            declared.isdigit() and int(declared) <= PEEK_BYTES
        ):
            return response
        await response.aread()
        if not rate_limited(response.content):
            return response
        if "retry-after" not in response.headers:
            response.headers["Retry-After"] = str(reset_wait(response.headers))
        response.status_code = 429
        response.extensions["reason_phrase"] = b"Too Many Requests"
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def rate_limited(raw: bytes | Any) -> bool:
    try:
        body = json.loads(raw) if isinstance(raw, bytes | str) else raw
    except ValueError:
        return False
    return any(_code(e) == "RATELIMITED" for e in as_list(as_dict(body).get("errors")))


def reset_wait(headers: httpx2.Headers, now: float | None = None) -> int:
    """Seconds until Linear's request (or complexity) budget resets; 60 when unknown."""
    for name in ("x-ratelimit-requests-reset", "x-ratelimit-complexity-reset"):
        value = headers.get(name, "").strip()
        if value.isdigit():
            seconds = int(value) / 1000 - (now if now is not None else time.time())
            return max(0, math.ceil(seconds))
    return 60


def _code(error: dict[str, Any]) -> str:
    ext = as_dict(error.get("extensions"))
    return str(ext.get("code") or "").upper()


class Linear(HttpConnector[LinearConfig]):
    type_name = "linear"
    config_model = LinearConfig
    description = "Linear issues: tickets, and known issues matching a ticket"
    auth = either(HeaderKey("api_key", header="Authorization"), Bearer("oauth_token"))
    headers: ClassVar[Mapping[str, str]] = {"Content-Type": "application/json"}
    read_only_posts = (ReadOnlyPost("/graphql", check=refuse_writes),)
    pooled = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # a pure ticket source when known_issues is off: the fan-out leaves it out
        self.collects_evidence = self.config.known_issues  # type: ignore[misc]
        for document in DOCUMENTS:
            ensure_query(document)

    def transport(self, inner: httpx2.AsyncBaseTransport) -> httpx2.AsyncBaseTransport:
        return LinearRateLimit(inner)

    def _ticket_client(self) -> httpx2.AsyncClient:
        """A ticket fetch or search: the connector's timeout, a minute in all."""
        return self.client(None, timeout=self.own_timeout(), deadline=time.monotonic() + 60)

    async def _query(
        self, client: httpx2.AsyncClient, document: str, variables: Mapping[str, Any]
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """(data, errors) of one GraphQL query; transport and HTTP failures raise SourceError."""
        ensure_query(document)
        payload = json.dumps({"query": document, "variables": dict(variables)}).encode()
        cap = self.config.max_response_bytes
        try:
            async with client.stream("POST", "/graphql", content=payload) as response:
                raw = await read_upto(response, cap)
                if raw is None:
                    raise sdk.SourceError(
                        f"{self.label}: the response to POST /graphql is larger than {cap:,} bytes; stopped reading",
                        hint=f"raise connectors.{self.name}.max_response_bytes",
                    )
        except httpx2.HTTPError as exc:
            error = source_error(exc)  # a timeout stays a timeout
            error.message = f"{self.label}: {error.message}"
            raise error from None
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            kind = response.headers.get("content-type", "").split(";")[0] or "no content type"
            raise sdk.SourceError(
                f"{self.label}: expected JSON from POST /graphql but got HTTP {response.status_code} "
                f"with {kind} ({len(raw)} bytes)",
                hint="check base_url points at Linear's API (https://api.linear.app)",
            ) from None
        errors = as_list(as_dict(body).get("errors"))
        status = response.status_code
        if status >= 400 or any(_code(e) in _AUTH_CODES for e in errors) or rate_limited(body):
            raise self._failure(status, response.reason_phrase, errors)
        return as_dict(as_dict(body).get("data")), errors

    def _failure(self, status: int, reason: str, errors: list[dict[str, Any]]) -> sdk.SourceError:
        codes = {_code(e) for e in errors}
        said = "; ".join(str(e.get("message") or "") for e in errors[:2])[:200]
        text = f"{self.label}: HTTP {status} {reason} from POST /graphql" + (
            f": {said}" if said else ""
        )
        if "RATELIMITED" in codes or status == 429:
            key = 429
        elif "AUTHENTICATION_ERROR" in codes or status == 401:
            key = 401
        elif "FORBIDDEN" in codes or status == 403:
            key = 403
        else:
            key = status
        hint = _HINTS.get(key)
        if hint is None and status >= 500:
            hint = "Linear failed; try again later"
        return sdk.SourceError(
            sdk.MASKER.mask(" ".join(text.split())),
            hint=hint.format(name=self.name) if hint else None,
        )

    # ticket source ----------------------------------------------------------------------

    def note_channel(self) -> note_kit.NoteChannel:
        """A comment: `POST /graphql` with the `commentCreate` mutation (`issueId`, `body`) —
        the one mutation the write client lets through; any other document is refused."""
        wb = self.config.write_back
        key = {"Authorization": wb.token.get_secret_value()} if wb.token else {}  # no "Bearer"
        options = note_kit.note_options(self.config.base_url, self.config.timeout, headers=key)

        def build(ticket: sdk.Ticket, body: str) -> note_kit.NoteRequest:
            issue = as_dict(ticket.raw.get("issue"))
            issue_id = id_str(issue.get("id")) or ticket.id
            variables = {"input": {"issueId": issue_id, "body": body}}
            return note_kit.NoteRequest(
                "POST", "/graphql", {"query": COMMENT_CREATE, "variables": variables}
            )

        return note_kit.NoteChannel(
            vendor="Linear",
            format="markdown",
            settings=wb,
            endpoint=WriteEndpoint("POST", "/graphql", only_comment_create),
            label="POST /graphql commentCreate (the one mutation)",
            options=options,
            build=build,
            problem=None if wb.token else "set token (a Linear API key with comment access)",
        )

    async def fetch_ticket(self, ticket_id: str) -> sdk.Ticket:
        key = ticket_id.strip()
        if not key or len(key) > 64 or not all(ch.isalnum() or ch in "-_" for ch in key):
            shown = " ".join(ticket_id.split())[:60]
            raise sdk.TicketNotFound(
                f"ticket {shown!r} not found: Linear issues look like ENG-123",
                hint="pass the issue identifier shown in Linear",
            )
        async with self._ticket_client() as client:
            data, errors = await self._query(client, ISSUE, {"id": key})
            issue = data.get("issue")
            if not isinstance(issue, dict):
                if errors and not any(_not_found(e) for e in errors):
                    raise sdk.SourceError(
                        sdk.MASKER.mask(
                            f"{self.label}: {errors[0].get('message') or 'query failed'}"
                        )
                    )
                raise sdk.TicketNotFound(
                    f"ticket {key} not found in Linear",
                    hint="check the identifier, and that the key's user can see the team",
                )
            comments, notes = await self._comments(client, key, as_dict(issue.get("comments")))
        return self._to_ticket(issue, comments, notes)

    async def _comments(
        self, client: httpx2.AsyncClient, key: str, first: dict[str, Any]
    ) -> tuple[list[dict[str, Any]], list[str]]:
        comments = as_list(first.get("nodes"))
        page = as_dict(first.get("pageInfo"))
        for _ in range(self.config.max_comment_pages - 1):
            if not page.get("hasNextPage") or not page.get("endCursor"):
                return comments, []
            data, _errors = await self._query(
                client, COMMENTS, {"id": key, "after": page["endCursor"]}
            )
            more = as_dict(as_dict(data.get("issue")).get("comments"))
            comments += as_list(more.get("nodes"))
            page = as_dict(more.get("pageInfo"))
        if page.get("hasNextPage"):
            return comments, [
                f"only the first {self.config.max_comment_pages} pages of comments were read"
            ]
        return comments, []

    def _to_ticket(
        self, issue: dict[str, Any], comments: list[dict[str, Any]], notes: list[str]
    ) -> sdk.Ticket:
        ident = id_str(issue.get("identifier")) or id_str(issue.get("id"))
        created = hd.created(
            parse_time(issue.get("createdAt")), self.label, f"issue {ident} has no createdAt"
        )
        creator = as_dict(issue.get("creator"))
        files = [
            f"{a.get('title') or 'attachment'} ({a.get('url')})"
            for a in as_list(as_dict(issue.get("attachments")).get("nodes"))
        ]
        description = trackers.markdown_to_text(issue.get("description"))
        if files:
            description = f"{description}\n\n[links and attachments: {'; '.join(files)}]".strip()
        raw = hd.with_notes({"issue": {**issue, "comments": None}, "comments": comments}, notes)
        fields: dict[str, Any] = {}
        if as_dict(issue.get("team")).get("key"):
            fields["team"] = issue["team"]["key"]
        if as_dict(issue.get("assignee")).get("name"):
            fields["assignee"] = issue["assignee"]["name"]
        ordered = sorted(comments, key=lambda c: str(c.get("createdAt") or ""))
        return sdk.Ticket(
            id=ident,
            url=id_str(issue.get("url")) or None,
            subject=str(issue.get("title") or ""),
            description=description,
            comments=[self._comment(c) for c in ordered],
            requester=sdk.Person(name=creator.get("name"), email=creator.get("email")),
            created_at=created,
            updated_at=parse_time(issue.get("updatedAt")),
            priority=issue.get("priorityLabel"),
            status=as_dict(issue.get("state")).get("name"),
            tags=[str(n.get("name")) for n in as_list(as_dict(issue.get("labels")).get("nodes"))],
            custom_fields=fields,
            raw=raw,
        )

    def _comment(self, c: dict[str, Any]) -> sdk.Comment:
        who = as_dict(c.get("user")) or as_dict(c.get("externalUser")) or as_dict(c.get("botActor"))
        return sdk.Comment(
            author=who.get("name") or who.get("email"),
            body=trackers.markdown_to_text(c.get("body")),
            created_at=parse_time(c.get("createdAt")),
            public=True,
        )

    # ticket search ----------------------------------------------------------------------

    def _team_filter(self) -> dict[str, Any]:
        return {"team": {"key": {"in": self.config.teams}}} if self.config.teams else {}

    async def search_tickets(self, query: str, limit: int) -> list[str]:
        """Issues whose workflow state is named `query` (e.g. "Todo"), newest first."""
        state = query.strip()
        issue_filter: dict[str, Any] = self._team_filter()
        if state:
            issue_filter["state"] = {"name": {"eqIgnoreCase": state}}
        found: list[dict[str, Any]] = []
        after: str | None = None
        async with self._ticket_client() as client:
            while len(found) < limit:
                variables = {
                    "first": min(50, limit - len(found)),
                    "after": after,
                    "filter": issue_filter,
                }
                data, _errors = await self._query(client, TICKETS, variables)
                page = as_dict(data.get("issues"))
                found += as_list(page.get("nodes"))
                info = as_dict(page.get("pageInfo"))
                after = info.get("endCursor") if info.get("hasNextPage") else None
                if not after:
                    break
        found.sort(key=lambda n: str(n.get("createdAt") or ""), reverse=True)
        return [id_str(n.get("identifier")) for n in found if n.get("identifier")][:limit]

    # known issues -----------------------------------------------------------------------

    async def gather(self, api: Session, query: Query) -> Collected:
        terms = [t for t in trackers.search_terms(query, self.config.max_searches) if t.strip()]
        if not terms:
            return Collected(notes=[f"{self.label}: nothing in the ticket to search Linear for"])
        found: dict[str, tuple[dict[str, Any], str]] = {}
        notes: list[str] = []
        for term in terms:
            if query.expired():
                notes.append(f"{self.label}: stopped at the deadline")
                break
            variables: dict[str, Any] = {
                "term": " ".join(term.split())[:200],
                "first": self.config.max_issues,
            }
            if self.config.teams:
                variables["filter"] = self._team_filter()
            data, errors = await self._query(api.client, SEARCH, variables)
            notes += [f"{self.label}: {e.get('message')}" for e in errors[:1]]
            for node in as_list(as_dict(data.get("searchIssues")).get("nodes")):
                sent = f"POST /graphql searchIssues(term: {json.dumps(variables['term'])})"
                found.setdefault(id_str(node.get("id")), (node, sent))
        own = query.ticket.url
        issues = [
            self._known(node, sent)
            for node, sent in found.values()
            if not own or node.get("url") != own
        ][: self.config.max_issues]
        return Collected(evidence=trackers.issue_evidence(self.name, issues, query), notes=notes)

    def _known(self, node: dict[str, Any], request: str) -> trackers.KnownIssue:
        state = as_dict(node.get("state"))
        kind = id_str(state.get("type"))
        attachments = as_list(as_dict(node.get("attachments")).get("nodes"))
        links = [
            id_str(a.get("url"))
            for a in attachments
            if a.get("url")
            and (a.get("sourceType") in _PR_SOURCES or "/pull/" in id_str(a.get("url")))
        ]
        milestone = as_dict(node.get("projectMilestone")).get("name")
        cycle = as_dict(node.get("cycle"))
        fix = [f"milestone {milestone}"] if milestone else []
        if cycle.get("number") is not None:
            fix.append(f"cycle {cycle.get('name') or cycle['number']}")
        return trackers.KnownIssue(
            key=id_str(node.get("identifier")) or id_str(node.get("id")),
            title=str(node.get("title") or ""),
            url=id_str(node.get("url")) or None,
            status=_STATE.get(kind, kind or "unknown"),
            vendor_status=str(state.get("name") or kind),
            assignee=as_dict(node.get("assignee")).get("name"),
            fix=fix,
            links=links,
            created=parse_time(node.get("createdAt")),
            updated=parse_time(node.get("updatedAt")),
            body=trackers.markdown_to_text(node.get("description")),
            labels=[str(n.get("name")) for n in as_list(as_dict(node.get("labels")).get("nodes"))],
            request=request,
        )

    # check ------------------------------------------------------------------------------

    async def check(self) -> list[Check]:
        try:
            async with self.client(None) as client:
                data, _errors = await self._query(client, VIEWER, {})
        except sdk.SourceError as exc:
            return [Check("credentials", False, with_hint(exc))]
        viewer = as_dict(data.get("viewer"))
        if not viewer.get("id"):
            return [
                Check(
                    "credentials", False, f"{self.label}: Linear did not say who the key belongs to"
                )
            ]
        return [
            Check(
                "credentials",
                True,
                f"signed in to Linear as {viewer.get('name') or viewer.get('email')}",
            ),
            Check(
                "read-only",
                True,
                "not verified: Linear does not report an API key's permissions; create the key "
                "with Read access only (investigate sends queries only and refuses mutations)",
                warning=True,
            ),
        ]


_AUTH_CODES = frozenset({"AUTHENTICATION_ERROR", "FORBIDDEN"})


def _not_found(error: dict[str, Any]) -> bool:
    message = str(error.get("message") or "").lower()
    ext = as_dict(error.get("extensions"))
    return (
        "not found" in message
        or "could not find" in str(ext.get("userPresentableMessage") or "").lower()
    )


__all__ = ["Linear", "LinearConfig", "ensure_query", "refuse_writes", "reset_wait"]


COMMENT_CREATE = (
    "mutation InvestigateNote($input: CommentCreateInput!) "
    "{ commentCreate(input: $input) { success comment { id } } }"
)


def only_comment_create(body: bytes) -> None:
    """The write client's check: one mutation, `commentCreate`, with `issueId` and `body`."""
    data = note_kit.require_json(body)
    note_kit.only_keys(data, {"query", "variables"}, "Linear request")
    try:
        parsed = graphql.parse(str(data.get("query") or ""))
    except graphql.GraphQLError:
        raise sdk.ReadOnlyViolation("refused a GraphQL document that does not parse") from None
    ops = [d for d in parsed.definitions if isinstance(d, graphql.OperationDefinitionNode)]
    if len(parsed.definitions) != 1 or len(ops) != 1 or ops[0].operation.value != "mutation":
        raise sdk.ReadOnlyViolation(
            "refused a GraphQL request that is not one commentCreate mutation"
        )
    fields = ops[0].selection_set.selections
    if (
        len(fields) != 1
        or not isinstance(fields[0], graphql.FieldNode)
        or (fields[0].name.value != "commentCreate")
    ):
        raise sdk.ReadOnlyViolation("refused a GraphQL mutation other than commentCreate")
    variables = as_dict(data.get("variables"))
    note_kit.only_keys(variables, {"input"}, "Linear commentCreate")
    note_kit.only_keys(as_dict(variables.get("input")), {"issueId", "body"}, "Linear commentCreate")
