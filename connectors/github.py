"""`github`: GitHub issues as tickets, and as known issues that match a ticket.

    bugs:
      type: github
      token: ${GITHUB_TOKEN}           # fine-grained, read-only: Issues (read), Metadata (read)
      repo: acme/app                   # tickets: `investigate ticket 123` (or acme/other#123)
      # repos: [acme/app, acme/sdk]    # known-issue search (default: [repo])
      # search_filter: "is:issue"      # trusted qualifiers prepended to every search
      # base_url: https://ghe.acme.io/api/v3   # GitHub Enterprise Server
      # known_issues: false            # only a ticket source: no known-issue search

Ticket: `GET /repos/{owner}/{repo}/issues/{n}` and every comment page
(`/issues/{n}/comments?per_page=100`, `Link: rel="next"`, never off the API host, capped).
Markdown becomes clean text; uploaded files are listed (name, type), never downloaded.

Known issues (evidence kind "issue"): `GET /search/issues?advanced_search=true` with
`q = <search_filter> repo:… ("ERR_X" OR "phrase" …)`. Every ticket value is a quoted phrase with
`"`, `\\` and control characters removed, so no value can add a `repo:`/`is:` qualifier or an
operator. Results are scored against the ticket text (`text_score`, BM25). For the first
`max_timelines` results the linked pull requests come from the issue timeline
(`/issues/{n}/timeline`, `cross-referenced` events from a PR: URL and merged/open state).

Rate limits: a 403/429 with `x-ratelimit-remaining: 0` waits until `x-ratelimit-reset`, and a
secondary limit's `Retry-After` is honoured, both only within the deadline (else one clear
line). `check()` calls `GET /user` and warns when `x-oauth-scopes` grants writes.

The helpers at the bottom (Markdown → text, known-issue evidence) are shared with `jira` and
`linear`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any, ClassVar
from urllib.parse import quote

import httpx2
from pydantic import Field, SecretStr, field_validator, model_validator

from investigate import sdk
from investigate.sdk import helpdesk as hd
from investigate.sdk import notes as note_kit
from investigate.sdk import trackers
from investigate.sdk.contract import Check, Collected, Query
from investigate.sdk.fieldchecks import each, one
from investigate.sdk.helpdesk import as_dict, as_list, id_str, same_origin, with_hint
from investigate.sdk.http import Bearer, HttpConnector, Session
from investigate.sdk.jsonapi import JsonResponse
from investigate.sdk.rows import parse_time
from investigate.sdk.transport import WriteEndpoint

_REPO = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")


def _owner_name(value: str) -> bool:
    return bool(_REPO.match(value)) and ".." not in value


_TICKET = re.compile(r"^(?:([A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100})#)?#?(\d{1,12})$")
_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="([^"]+)"')
_UNSAFE = re.compile(r"[\"\\\x00-\x1f\x7f\u2028\u2029]+")
WRITE_SCOPES = ("repo", "public_repo", "write:", "admin:", "delete_repo", "workflow", "user")
_HINTS = {
    401: "set connectors.{name}.token to a valid GitHub token (fine-grained, Issues: read-only)",
    403: "the token in connectors.{name}.token cannot read this repository; grant it "
    "Issues (read) and Metadata (read) on the repo",
    404: "check connectors.{name}.repo / repos and that the token can see the repository",
    422: "GitHub rejected the search query; check connectors.{name}.search_filter",
    429: "GitHub rate limit reached and its reset (Retry-After) did not fit in the deadline; try "
    "again after "
    "the reset, or use a token with a higher limit (a GitHub App)",
}


class GitHubConfig(trackers.TrackerConfig):
    write_back: note_kit.WriteBack = Field(default_factory=note_kit.WriteBack)
    """`--post-note`: issue comments are public, so it also needs `public_ok: true`."""
    token: SecretStr
    repo: str | None = Field(None, description="owner/name the ticket numbers belong to.")
    repos: list[str] = Field(default_factory=list, description="Known-issue search scope.")
    base_url: str = "https://api.github.com"
    search_filter: str = Field("is:issue", description="Trusted qualifiers for every search.")
    max_terms: int = Field(4, ge=1, le=5)
    max_issues: int = Field(10, ge=1, le=100)
    max_pages: int = Field(2, ge=1, le=10)
    max_timelines: int = Field(3, ge=0, le=10, description="Issues whose linked PRs are read.")
    max_comment_pages: int = Field(10, ge=1, le=100)
    max_response_bytes: int = Field(5_000_000, ge=10_000, le=100_000_000)
    known_issues: bool = Field(True, description="false: only a ticket source (no search).")

    _repo = field_validator("repo")(one(_owner_name, "repo must be owner/name, e.g. acme/app"))
    _repos = field_validator("repos")(each(_owner_name, "{!r} is not owner/name, e.g. acme/app"))

    @model_validator(mode="after")
    def _scope(self) -> GitHubConfig:
        if not (self.repo or self.repos):
            raise ValueError("set repo (owner/name, e.g. acme/app) or repos")
        return self

    @property
    def scope(self) -> list[str]:
        return self.repos or ([self.repo] if self.repo else [])


class GitHubRateLimit(httpx2.AsyncBaseTransport):
    """Inner transport: GitHub's rate-limit answers (403 or 429 with `x-ratelimit-remaining: 0`,
    or a secondary limit's `Retry-After`) become a 429 with `Retry-After`, so the shared retry
    (deadline-bounded) waits exactly as long as GitHub asks."""

    def __init__(self, inner: httpx2.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        response = await self.inner.handle_async_request(request)
        if response.status_code not in (403, 429):
            return response
        headers = response.headers
        exhausted = headers.get("x-ratelimit-remaining", "").strip() == "0"
        if not exhausted and "retry-after" not in headers:
            return response
        if "retry-after" not in headers:
            reset = headers.get("x-ratelimit-reset", "").strip()
            wait = float(reset) - time.time() if reset.isdigit() else 60.0
            headers["Retry-After"] = str(max(0, int(wait) + 1))
        response.status_code = 429
        response.extensions["reason_phrase"] = b"Too Many Requests"
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


class GitHub(HttpConnector[GitHubConfig]):
    type_name = "github"
    config_model = GitHubConfig
    vendor_hints = _HINTS
    description = "GitHub issues: tickets, and known issues matching a ticket"
    auth = Bearer("token")
    headers: ClassVar[Mapping[str, str]] = {
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
    }
    pooled = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # a pure ticket source when known_issues is off: the fan-out leaves it out
        self.collects_evidence = self.config.known_issues  # type: ignore[misc]

    def transport(self, inner: httpx2.AsyncBaseTransport) -> httpx2.AsyncBaseTransport:
        return GitHubRateLimit(inner)

    def _ticket_session(self) -> AbstractAsyncContextManager[Session]:
        """A ticket fetch or search: the connector's timeout, a minute in all."""
        return self.session(None, timeout=self.own_timeout(), deadline=time.monotonic() + 60)

    # ticket source ----------------------------------------------------------------------

    def _locate(self, ticket_id: str) -> tuple[str, str]:
        match = _TICKET.match(ticket_id.strip())
        repo = match.group(1) if match else None
        repo = repo or self.config.repo
        if match is None or repo is None or ".." in repo:
            shown = " ".join(ticket_id.split())[:60]
            raise sdk.TicketNotFound(
                f"ticket {shown!r} not found: GitHub issues are numbers (123, #123 or owner/repo#123)",
                hint=f"pass an issue number; set connectors.{self.name}.repo for bare numbers",
            )
        return repo, match.group(2)

    def note_channel(self) -> note_kit.NoteChannel:
        """An issue comment: `POST /repos/{owner}/{repo}/issues/{n}/comments` with `{"body":
        markdown}`. Public: refused unless `write_back.public_ok: true`."""
        wb = self.config.write_back
        options = note_kit.note_options(
            self.config.base_url,
            self.config.timeout,
            bearer=wb.token,
            headers={"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"},
        )

        def build(ticket: sdk.Ticket, body: str) -> note_kit.NoteRequest:
            repo, number = self._locate(ticket.id)
            return note_kit.NoteRequest(
                "POST", f"/repos/{_path(repo)}/issues/{number}/comments", {"body": body}
            )

        return note_kit.NoteChannel(
            vendor="GitHub",
            format="markdown",
            settings=wb,
            endpoint=WriteEndpoint(
                "POST",
                r"/repos/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/issues/\d{1,20}/comments",
                _body_only,
            ),
            label="POST /repos/{owner}/{repo}/issues/{n}/comments (public comment)",
            options=options,
            build=build,
            public=True,
            problem=None if wb.token else "set token (Issues: write)",
        )

    async def fetch_ticket(self, ticket_id: str) -> sdk.Ticket:
        repo, number = self._locate(ticket_id)
        path = f"/repos/{_path(repo)}/issues/{number}"
        async with self._ticket_session() as api:
            found = await api.get(path, ok_statuses=frozenset({404, 410}))
            if not isinstance(found.body, dict):
                gone = "was deleted" if found.status == 410 else "not found"
                raise sdk.TicketNotFound(
                    f"ticket {repo}#{number} {gone} in GitHub ({self.config.base_url})",
                    hint="check the issue number and that the token can read the repository",
                )
            comments, notes = await self._comments(api, f"{path}/comments")
        return self._to_ticket(repo, number, found.body, comments, notes)

    async def _comments(self, api: Session, url: str) -> tuple[list[dict[str, Any]], list[str]]:
        comments: list[dict[str, Any]] = []
        params: dict[str, str] | None = {"per_page": "100"}
        for _ in range(self.config.max_comment_pages):
            page = await api.get(url, params)
            if not isinstance(page.body, list):
                raise sdk.SourceError(
                    f"{self.label}: expected a list of comments from {page.request}"
                )
            comments += as_list(page.body)
            nxt = link_next(page.headers.get("link", ""))
            if nxt is None:
                return comments, []
            if not same_origin(nxt, self.config.base_url):
                return comments, [
                    f"stopped paging comments: next link leaves {self.config.base_url}"
                ]
            url, params = nxt, None
        return comments, [
            f"only the first {self.config.max_comment_pages} pages of comments were read"
        ]

    def _to_ticket(
        self,
        repo: str,
        number: str,
        issue: dict[str, Any],
        comments: list[dict[str, Any]],
        notes: list[str],
    ) -> sdk.Ticket:
        created = hd.created(
            parse_time(issue.get("created_at")),
            self.label,
            f"issue {repo}#{number} has no created_at",
        )
        user = as_dict(issue.get("user"))
        raw = hd.with_notes({"issue": issue, "comments": comments}, notes)
        milestone = as_dict(issue.get("milestone"))
        assignees = [str(a.get("login")) for a in as_list(issue.get("assignees"))]
        fields: dict[str, Any] = {"repository": repo}
        if assignees:
            fields["assignees"] = assignees
        if milestone.get("title"):
            fields["milestone"] = milestone["title"]
        state = str(issue.get("state") or "")
        reason = issue.get("state_reason")
        return sdk.Ticket(
            id=number if repo == self.config.repo else f"{repo}#{number}",
            url=str(issue.get("html_url") or "") or None,
            subject=str(issue.get("title") or ""),
            description=trackers.markdown_to_text(issue.get("body")),
            comments=[self._comment(c) for c in comments],
            requester=sdk.Person(name=id_str(user.get("login")) or None),
            created_at=created,
            updated_at=parse_time(issue.get("updated_at")),
            status=f"{state} ({reason})" if reason and state == "closed" else state or None,
            tags=[str(label.get("name")) for label in as_list(issue.get("labels"))],
            custom_fields=fields,
            raw=raw,
        )

    def _comment(self, c: dict[str, Any]) -> sdk.Comment:
        user = as_dict(c.get("user"))
        return sdk.Comment(
            author=id_str(user.get("login")) or None,
            body=trackers.markdown_to_text(c.get("body")),
            created_at=parse_time(c.get("created_at")),
            public=True,
        )

    # ticket search ----------------------------------------------------------------------

    async def search_tickets(self, query: str, limit: int) -> list[str]:
        repo = self.config.repo
        if repo is None:
            raise sdk.SourceError(
                f"{self.label}: cannot search tickets without a repository",
                hint=f"set connectors.{self.name}.repo",
            )
        q = f"repo:{repo} is:issue {query}".strip()
        found: list[str] = []
        async with self._ticket_session() as api:
            for item, _page in await self._search(api, q, limit, sort="created"):
                found.append(id_str(item.get("number")))
        return [f for f in found if f][:limit]

    async def _search(
        self, api: Session, q: str, limit: int, *, sort: str | None = None
    ) -> list[tuple[dict[str, Any], JsonResponse]]:
        params: dict[str, str] | None = {
            "q": q,
            "advanced_search": "true",
            "per_page": str(max(1, min(limit, 100))),
        }
        assert params is not None
        if sort:
            params.update(sort=sort, order="desc")
        url = "/search/issues"
        out: list[tuple[dict[str, Any], JsonResponse]] = []
        for _ in range(self.config.max_pages if limit <= 100 else 1 + limit // 100):
            page = await api.get(url, params)
            body = page.body
            if not isinstance(body, dict) or not isinstance(body.get("items"), list):
                raise sdk.SourceError(f"{self.label}: expected search results from {page.request}")
            out += [(item, page) for item in as_list(body["items"])]
            nxt = link_next(page.headers.get("link", ""))
            if len(out) >= limit or nxt is None or not same_origin(nxt, self.config.base_url):
                break
            url, params = nxt, None
        return out[:limit]

    # known issues -----------------------------------------------------------------------

    def search_query(self, query: Query) -> str | None:
        """`<filter> repo:a/b ("ERR_X" OR "phrase")`, or None when the ticket gives nothing."""
        phrases = [quote_phrase(t) for t in trackers.search_terms(query, self.config.max_terms)]
        terms = [p for p in phrases if p]
        if not terms:
            return None
        scope = " ".join(f"repo:{r}" for r in self.config.scope)
        words = " OR ".join(terms)
        while len(words) > 200 and len(terms) > 1:  # GitHub caps q at 256 characters
            terms.pop()
            words = " OR ".join(terms)
        return " ".join(p for p in (self.config.search_filter.strip(), scope, f"({words})") if p)

    async def gather(self, api: Session, query: Query) -> Collected:
        q = self.search_query(query)
        if q is None:
            return Collected(notes=[f"{self.label}: nothing in the ticket to search GitHub for"])
        notes: list[str] = []
        results = await self._search(api, q, self.config.max_issues, sort=None)
        own = query.ticket.url
        issues = [
            github_issue(item, page.request)
            for item, page in results
            if item.get("html_url") != own
        ]
        for issue in issues[: self.config.max_timelines]:
            if query.expired():
                break
            try:
                issue.links += await self._linked_prs(api, issue)
            except sdk.SourceError as exc:  # the issue is still worth reporting
                notes.append(exc.message)
        return Collected(evidence=trackers.issue_evidence(self.name, issues, query), notes=notes)

    async def _linked_prs(self, api: Session, issue: trackers.KnownIssue) -> list[str]:
        """Pull requests that reference the issue (`cross-referenced` timeline events)."""
        repo, _, number = issue.key.partition("#")
        if not _REPO.match(repo) or ".." in repo or not number.isdigit():
            return []
        page = await api.get(f"/repos/{_path(repo)}/issues/{number}/timeline", {"per_page": "100"})
        out: list[str] = []
        for event in as_list(page.body):
            source = as_dict(as_dict(event.get("source")).get("issue"))
            pr = as_dict(source.get("pull_request"))
            if event.get("event") != "cross-referenced" or not pr.get("html_url"):
                continue
            state = "merged" if pr.get("merged_at") else str(source.get("state") or "")
            out.append(f"{pr['html_url']} ({state})" if state else str(pr["html_url"]))
        return list(dict.fromkeys(out))

    # check ------------------------------------------------------------------------------

    async def check(self) -> list[Check]:
        try:
            async with self.session(None) as api:
                me = await api.get("/user")
        except sdk.SourceError as exc:
            if getattr(exc, "http_status", None) == 404:  # no repository involved: the API root
                exc.hint = (
                    f"check connectors.{self.name}.base_url: GET /user is GitHub's identity call "
                    "(GitHub Enterprise Server: https://HOST/api/v3)"
                )
            return [Check("credentials", False, with_hint(exc))]
        login = as_dict(me.body).get("login") or "unknown user"
        checks = [Check("credentials", True, f"signed in to GitHub as {login}")]
        scopes = me.headers.get("x-oauth-scopes")
        if scopes is None:
            checks.append(
                Check(
                    "read-only",
                    True,
                    "not verified: a fine-grained token does not report its permissions; give it "
                    "Issues (read) and Metadata (read) only",
                    warning=True,
                )
            )
            return checks
        granted = [s.strip() for s in scopes.split(",") if s.strip()]
        writes = [s for s in granted if s.startswith(WRITE_SCOPES)]
        if writes:
            checks.append(
                Check(
                    "read-only",
                    False,
                    f"the token can write ({', '.join(writes)}); investigate only reads, so use a "
                    "fine-grained token with Issues (read) and Metadata (read)",
                    warning=True,
                )
            )
        else:
            shown = ", ".join(granted) or "none"
            checks.append(Check("read-only", True, f"token scopes: {shown} (no write scope)"))
        return checks


def _path(repo: str) -> str:
    owner, name = repo.split("/", 1)
    return f"{quote(owner, safe='')}/{quote(name, safe='')}"


def link_next(header: str) -> str | None:
    """The `rel="next"` URL of a `Link` header."""
    for url, rel in _LINK.findall(header):
        if "next" in rel.split():
            return str(url)
    return None


def quote_phrase(value: str, limit: int = 100) -> str | None:
    """A GitHub search phrase (`"…"`) that stays one term: GitHub has no escape inside quotes,
    so `"`, `\\` and control characters are removed and whitespace collapsed."""
    text = " ".join(_UNSAFE.sub(" ", value).split())[:limit].strip()
    return f'"{text}"' if len(text) >= 2 else None


def github_issue(item: dict[str, Any], request: str) -> trackers.KnownIssue:
    milestone = as_dict(item.get("milestone"))
    assignee = as_dict(item.get("assignee"))
    state = str(item.get("state") or "")
    reason = str(item.get("state_reason") or "")
    status = "open" if state == "open" else ("resolved" if reason != "not_planned" else "closed")
    pr = as_dict(item.get("pull_request"))
    repo_url = str(item.get("repository_url") or "")
    repo = "/".join(repo_url.rstrip("/").split("/")[-2:]) if repo_url else ""
    return trackers.KnownIssue(
        key=f"{repo}#{item.get('number')}" if repo else f"#{item.get('number')}",
        title=str(item.get("title") or ""),
        url=str(item.get("html_url") or "") or None,
        status=status,
        vendor_status=f"{state} ({reason})" if reason else state,
        assignee=id_str(assignee.get("login")) or None,
        fix=[f"milestone {milestone['title']}"] if milestone.get("title") else [],
        links=[str(pr.get("html_url"))] if pr.get("html_url") else [],
        created=parse_time(item.get("created_at")),
        updated=parse_time(item.get("updated_at")),
        body=trackers.markdown_to_text(item.get("body")),
        labels=[str(label.get("name")) for label in as_list(item.get("labels"))],
        request=request,
    )


def _body_only(body: bytes) -> None:
    note_kit.only_keys(note_kit.require_json(body), {"body"}, "GitHub issue comment")
