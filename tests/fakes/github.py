"""A loopback fake of GitHub's REST issues and search API, checked against the vendor spec.

    with FakeGitHub(token="ghp_test") as fake:
        fake.add_issue("acme/app", make_issue("acme/app", 7, title="Export fails", body="..."))
        fake.add_comments("acme/app", 7, [make_comment(1, "me too")])
        ... GitHub(base_url=fake.url, token="ghp_test", repo="acme/app") ...

Serves `GET /repos/{owner}/{repo}/issues/{n}`, `.../comments` (`per_page`/`page` with a
`Link` header like GitHub's), `/search/issues` and `/user` (with `x-oauth-scopes`). The search
`q` is parsed with GitHub's syntax (qualifiers `key:value` or `key:"quoted"`, `"phrases"`,
words, `( … OR … )`); `fake.parsed` keeps each parsed query so tests can prove ticket text never
became a qualifier. The bearer token is enforced (401 "Bad credentials").

When ../shared/specs/github.json is present every request to a specced path and every 2xx
JSON response is validated with openapi-core; problems land in `fake.problems` and `check()`
fails on them. `fake.script(reply, path=...)` makes the next request whose path contains `path`
take the reply instead (rate limits, errors).
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode

from .anthropic_api import Recorded, Reply, Response, ScriptedServer

HOST_URL = "https://api.github.com"
_ISSUE = re.compile(r"^/repos/([^/]+)/([^/]+)/issues/(\d+)$")
_COMMENTS = re.compile(r"^/repos/([^/]+)/([^/]+)/issues/(\d+)/(comments|timeline)$")
Token = tuple[str, str]  # (kind, value): qualifier "key:value", phrase, word, op, paren


def user(login: str, uid: int = 1) -> dict[str, Any]:
    base = f"https://api.github.com/users/{login}"
    return {
        "login": login,
        "id": uid,
        "node_id": f"U_{uid}",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{uid}",
        "gravatar_id": "",
        "url": base,
        "html_url": f"https://github.com/{login}",
        "followers_url": f"{base}/followers",
        "following_url": f"{base}/following{{/other_user}}",
        "gists_url": f"{base}/gists{{/gist_id}}",
        "starred_url": f"{base}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{base}/subscriptions",
        "organizations_url": f"{base}/orgs",
        "repos_url": f"{base}/repos",
        "events_url": f"{base}/events{{/privacy}}",
        "received_events_url": f"{base}/received_events",
        "type": "User",
        "site_admin": False,
    }


def make_issue(repo: str, number: int, **overrides: Any) -> dict[str, Any]:
    """An issue as `GET /repos/{owner}/{repo}/issues/{n}` returns it (every required field)."""
    api = f"https://api.github.com/repos/{repo}"
    issue: dict[str, Any] = {
        "id": 1000 + number,
        "node_id": f"I_{number}",
        "url": f"{api}/issues/{number}",
        "repository_url": api,
        "labels_url": f"{api}/issues/{number}/labels{{/name}}",
        "comments_url": f"{api}/issues/{number}/comments",
        "events_url": f"{api}/issues/{number}/events",
        "html_url": f"https://github.com/{repo}/issues/{number}",
        "number": number,
        "state": "open",
        "state_reason": None,
        "title": f"Issue {number}",
        "body": "",
        "user": user("octocat"),
        "labels": [],
        "assignee": None,
        "assignees": [],
        "milestone": None,
        "locked": False,
        "comments": 0,
        "closed_at": None,
        "created_at": "2026-11-20T09:00:00Z",
        "updated_at": "2026-11-23T09:00:00Z",
        "author_association": "MEMBER",
    }
    issue.update(overrides)
    return issue


def label(name: str, lid: int = 1) -> dict[str, Any]:
    return {
        "id": lid,
        "node_id": f"L_{lid}",
        "url": f"https://api.github.com/labels/{name}",
        "name": name,
        "color": "d73a4a",
        "default": False,
        "description": None,
    }


def milestone(title: str, repo: str = "acme/app") -> dict[str, Any]:
    api = f"https://api.github.com/repos/{repo}/milestones/1"
    return {
        "url": api,
        "html_url": f"https://github.com/{repo}/milestone/1",
        "labels_url": f"{api}/labels",
        "id": 1,
        "node_id": "M_1",
        "number": 1,
        "state": "open",
        "title": title,
        "description": None,
        "creator": user("octocat"),
        "open_issues": 1,
        "closed_issues": 0,
        "created_at": "2026-11-01T00:00:00Z",
        "updated_at": "2026-11-01T00:00:00Z",
        "closed_at": None,
        "due_on": None,
    }


def make_comment(cid: int, body: str, login: str = "octocat", **overrides: Any) -> dict[str, Any]:
    comment: dict[str, Any] = {
        "id": cid,
        "node_id": f"IC_{cid}",
        "url": f"https://api.github.com/repos/acme/app/issues/comments/{cid}",
        "html_url": f"https://github.com/acme/app/issues/1#issuecomment-{cid}",
        "issue_url": "https://api.github.com/repos/acme/app/issues/1",
        "body": body,
        "user": user(login, 10 + cid),
        "created_at": f"2026-11-24T10:{cid % 60:02d}:00Z",
        "updated_at": f"2026-11-24T10:{cid % 60:02d}:00Z",
        "author_association": "NONE",
    }
    comment.update(overrides)
    return comment


def cross_reference(repo: str, number: int, *, merged: bool = False) -> dict[str, Any]:
    """A `cross-referenced` timeline event: pull request `repo#number` mentions the issue."""
    pr = make_issue(
        repo,
        number,
        title=f"Fix {number}",
        state="closed" if merged else "open",
        pull_request={
            "url": f"https://api.github.com/repos/{repo}/pulls/{number}",
            "html_url": f"https://github.com/{repo}/pull/{number}",
            "diff_url": f"https://github.com/{repo}/pull/{number}.diff",
            "patch_url": f"https://github.com/{repo}/pull/{number}.patch",
            "merged_at": "2026-11-24T09:00:00Z" if merged else None,
        },
    )
    return {
        "event": "cross-referenced",
        "actor": user("kay", 6),
        "created_at": "2026-11-24T09:00:00Z",
        "updated_at": "2026-11-24T09:00:00Z",
        "source": {"type": "issue", "issue": pr},
    }


class QueryError(ValueError):
    pass


def parse_q(q: str) -> list[Token]:
    """GitHub search syntax, reduced to tokens: ("qualifier", "repo:a/b"), ("phrase", "x y"),
    ("word", "x"), ("op", "OR"), ("paren", "(")."""
    tokens: list[Token] = []
    i, n = 0, len(q)
    while i < n:
        c = q[i]
        if c.isspace():
            i += 1
        elif c in "()":
            tokens.append(("paren", c))
            i += 1
        elif c == '"':
            end = q.find('"', i + 1)
            if end < 0:
                raise QueryError(f"unterminated phrase at {i}")
            tokens.append(("phrase", q[i + 1 : end]))
            i = end + 1
        else:
            m = re.compile(r"(-?[A-Za-z_-]+):(\"[^\"]*\"|[^\s()]+)").match(q, i)
            if m:
                tokens.append(("qualifier", f"{m.group(1)}:{m.group(2).strip(chr(34))}"))
                i = m.end()
                continue
            m = re.compile(r"[^\s()\"]+").match(q, i)
            assert m is not None
            word = m.group(0)
            tokens.append(("op", word) if word in ("OR", "AND", "NOT") else ("word", word))
            i = m.end()
    return tokens


@dataclass
class _Scripted:
    path: str
    reply: Reply


class FakeGitHub(ScriptedServer):
    def __init__(
        self, *, token: str = "ghp_fake_token_123", scopes: str | None = None, validate: bool = True
    ) -> None:
        super().__init__()
        self.token = token
        self.scopes = scopes
        """`x-oauth-scopes` on /user (None: a fine-grained token, no header)."""
        self.page_size_cap = 100
        self.issues: dict[tuple[str, int], dict[str, Any]] = {}
        self.comments: dict[tuple[str, int], list[dict[str, Any]]] = {}
        self.timelines: dict[tuple[str, int], list[dict[str, Any]]] = {}
        self.parsed: list[list[Token]] = []
        self.notes: list[dict[str, Any]] = []
        """Bodies of `POST /repos/{owner}/{repo}/issues/{n}/comments` (public comments)."""
        self.problems: list[str] = []
        self.validated = 0
        self._scripted: list[_Scripted] = []
        self._spec: Any = None
        self._spec_lock = threading.Lock()
        if validate:
            from spec_validation import SpecCheck, spec_missing_reason

            if spec_missing_reason("github.json") is None:
                self._spec = SpecCheck("github.json", host_url=HOST_URL)

    def add_issue(self, repo: str, issue: dict[str, Any]) -> None:
        self.issues[(repo.lower(), int(issue["number"]))] = issue

    def add_comments(self, repo: str, number: int, comments: list[dict[str, Any]]) -> None:
        self.comments.setdefault((repo.lower(), number), []).extend(comments)

    def script(self, reply: Reply, *, path: str = "") -> None:
        with self._lock:
            self._scripted.append(_Scripted(path, reply))

    @property
    def spec_active(self) -> bool:
        return self._spec is not None

    def check(self) -> None:
        super().check()
        if self.problems:
            raise AssertionError("FakeGitHub: spec problems:\n" + "\n".join(self.problems))

    # serving --------------------------------------------------------------------------------

    def _handle(self, request: Recorded) -> Response:
        if request.method == "POST" and (m := _COMMENTS.match(request.path)):
            return self._create_comment(m, request)  # not in the trimmed spec
        specced = request.path != "/user"
        if self._spec is not None and specced:
            with self._spec_lock:
                self.validated += 1
                self.problems += self._spec.request(
                    request.method, unquote(request.path), query=request.query
                )
        with self._lock:
            hit = next((s for s in self._scripted if s.path in request.path), None)
            if hit is not None:
                self._scripted.remove(hit)
        if hit is not None:
            return hit.reply.render(self, request)
        response = self._route(request)
        if self._spec is not None and specced and 200 <= response.status < 300:
            assert isinstance(response.body, bytes)
            with self._spec_lock:
                self.problems += self._spec.response(
                    request.method,
                    unquote(request.path),
                    query=request.query,
                    status=response.status,
                    body=response.body,
                )
        return response

    def _create_comment(self, m: re.Match[str], request: Recorded) -> Response:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return self._error(401, "Bad credentials")
        key = (f"{unquote(m.group(1))}/{unquote(m.group(2))}".lower(), int(m.group(3)))
        if m.group(4) != "comments" or key not in self.issues:
            return self._error(404, "Not Found")
        body = request.json if isinstance(request.json, dict) else {}
        if set(body) != {"body"} or not isinstance(body["body"], str):
            return self._error(422, "Invalid request.")
        with self._lock:
            self.notes.append(body)
            thread = self.comments.setdefault(key, [])
            comment = make_comment(5000 + len(thread), body["body"], "support-bot")
            thread.append(comment)
        return self._json(201, comment)

    def _error(self, status: int, message: str) -> Response:
        return self._json(
            status, {"message": message, "documentation_url": "https://docs.github.com/rest"}
        )

    def _route(self, request: Recorded) -> Response:
        if request.method != "GET":
            return self._error(404, "Not Found")
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return self._error(401, "Bad credentials")
        args = {k: v[0] for k, v in parse_qs(request.query, keep_blank_values=True).items()}
        if request.path == "/user":
            headers = [("x-oauth-scopes", self.scopes)] if self.scopes is not None else []
            return self._json(200, user("support-bot", 42), headers)
        if request.path == "/search/issues":
            return self._search(args)
        if m := _ISSUE.match(request.path):
            key = (f"{unquote(m.group(1))}/{unquote(m.group(2))}".lower(), int(m.group(3)))
            issue = self.issues.get(key)
            return self._json(200, issue) if issue else self._error(404, "Not Found")
        if m := _COMMENTS.match(request.path):
            key = (f"{unquote(m.group(1))}/{unquote(m.group(2))}".lower(), int(m.group(3)))
            if key not in self.issues:
                return self._error(404, "Not Found")
            found = self.comments if m.group(4) == "comments" else self.timelines
            return self._page(request.path, args, found.get(key, []))
        return self._error(404, "Not Found")

    def _page(self, path: str, args: dict[str, str], items: list[Any]) -> Response:
        size = min(int(args.get("per_page", "30")), self.page_size_cap)
        page = int(args.get("page", "1"))
        chunk = items[(page - 1) * size : page * size]
        headers = []
        if page * size < len(items):
            nxt = urlencode({**args, "page": str(page + 1)})
            headers.append(("link", f'<{self.url}{path}?{nxt}>; rel="next"'))
        return self._json(200, chunk, headers)

    def _search(self, args: dict[str, str]) -> Response:
        try:
            tokens = parse_q(args.get("q", ""))
        except QueryError as exc:
            return self._json(422, {"message": "Validation Failed", "errors": [str(exc)]})
        with self._lock:
            self.parsed.append(tokens)
        quals = [v for k, v in tokens if k == "qualifier"]
        repos = {q.split(":", 1)[1].lower() for q in quals if q.startswith("repo:")}
        depth = 0
        required: list[str] = []
        any_of: list[str] = []
        for kind, value in tokens:
            if kind == "paren":
                depth += 1 if value == "(" else -1
            elif kind in ("phrase", "word"):
                (any_of if depth else required).append(value.lower())
        hits = []
        for (repo, _n), issue in sorted(self.issues.items()):
            if repos and repo not in repos:
                continue
            if not all(self._qualifier(q, issue) for q in quals if not q.startswith("repo:")):
                continue
            text = f"{issue.get('title')} {issue.get('body') or ''}".lower()
            if not all(t in text for t in required):
                continue
            if any_of and not any(t in text for t in any_of):
                continue
            hits.append({**issue, "score": 1.0})
        if args.get("sort") == "created":
            hits.sort(key=lambda i: str(i["created_at"]), reverse=args.get("order") != "asc")
        size = min(int(args.get("per_page", "30")), 100)
        page = int(args.get("page", "1"))
        chunk = hits[(page - 1) * size : page * size]
        headers = []
        if page * size < len(hits):
            nxt = urlencode({**args, "page": str(page + 1)})
            headers.append(("link", f'<{self.url}/search/issues?{nxt}>; rel="next"'))
        body = {
            "total_count": len(hits),
            "incomplete_results": False,
            "items": chunk,
            "search_type": "lexical",
        }
        return self._json(200, body, headers)

    @staticmethod
    def _qualifier(q: str, issue: dict[str, Any]) -> bool:
        key, value = q.split(":", 1)
        if key == "is":
            if value in ("issue", "pr", "pull-request"):
                return ("pull_request" in issue) == (value != "issue")
            return issue.get("state") == value
        if key == "state":
            return issue.get("state") == value
        if key == "label":
            return value in [label.get("name") for label in issue.get("labels", [])]
        return False  # an unknown qualifier matches nothing (surfaces injections in tests)


def rate_limited(reset_in: int = 1, status: int = 403) -> tuple[int, str, dict[str, str]]:
    """(status, body, headers) of GitHub's primary rate-limit answer."""
    import time

    body = json.dumps({"message": "API rate limit exceeded for user ID 42."})
    return (
        status,
        body,
        {
            "x-ratelimit-limit": "5000",
            "x-ratelimit-remaining": "0",
            "x-ratelimit-reset": str(int(time.time()) + reset_in),
        },
    )
