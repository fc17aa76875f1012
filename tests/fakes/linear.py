"""A loopback fake of Linear's GraphQL API that executes queries against Linear's own schema.

    with FakeLinear(api_key="lin_api_test") as fake:
        fake.add_issue(make_issue("ENG-7", title="Export fails", description="..."),
                       comments=[make_comment(1, "me too")])
        ... Linear(base_url=fake.url, api_key="lin_api_test") ...

`POST /graphql` bodies are parsed and validated with graphql-core against
../shared/specs/linear.graphql (built once per process, ~1-2 s) and then executed with that
schema, so a field, argument or variable Linear does not have fails exactly as it would there
(400 `GRAPHQL_VALIDATION_FAILED`); problems are kept in `fake.problems` and `check()` fails on
them. A `mutation` or `subscription` that reaches the fake is recorded in `fake.writes` (tests
assert it stays empty) and refused. Resolvers: `issue(id:)` (identifier or id; unknown →
`Entity not found` error like Linear), `Issue.comments(first:, after:)` with cursor paging,
`searchIssues(term:, first:, filter:)`, `issues(first:, after:, filter:)` (state name and team
key filters) and `viewer`. The `Authorization` header must be the API key (or `Bearer` OAuth
token); otherwise a 400 with `AUTHENTICATION_ERROR` as Linear answers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import graphql

from .anthropic_api import Recorded, Reply, Response, ScriptedServer


@lru_cache(maxsize=1)
def linear_schema() -> graphql.GraphQLSchema:
    """Linear's schema, built once per process (skip the caller's test when it is absent)."""
    from spec_validation import require_spec

    return graphql.build_schema(require_spec("linear.graphql").read_text(encoding="utf-8"))


def make_issue(identifier: str, **overrides: Any) -> dict[str, Any]:
    team = identifier.split("-")[0]
    issue: dict[str, Any] = {
        "id": f"uuid-{identifier.lower()}",
        "identifier": identifier,
        "title": f"Issue {identifier}",
        "description": None,
        "url": f"https://linear.app/acme/issue/{identifier.lower()}",
        "createdAt": "2026-11-24T11:00:00.000Z",
        "updatedAt": "2026-11-24T11:30:00.000Z",
        "priorityLabel": "High",
        "state": {"name": "Todo", "type": "unstarted"},
        "creator": {"name": "Dana Scully", "email": "dana@acme.io"},
        "assignee": None,
        "team": {"key": team, "name": team.title()},
        "labels": {"nodes": []},
        "attachments": {"nodes": []},
        "projectMilestone": None,
        "cycle": None,
    }
    issue.update(overrides)
    return issue


def make_comment(n: int, body: str, name: str = "Agent Kay") -> dict[str, Any]:
    return {
        "body": body,
        "createdAt": f"2026-11-24T12:{n % 60:02d}:00.000Z",
        "user": {"name": name, "email": f"{name.split()[0].lower()}@acme.io"},
        "externalUser": None,
        "botActor": None,
    }


def error_body(message: str, code: str, **extensions: Any) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code, **extensions}}]}


@dataclass
class _Scripted:
    reply: Reply


class FakeLinear(ScriptedServer):
    def __init__(self, *, api_key: str = "lin_api_fake_key_123", oauth: str | None = None) -> None:
        super().__init__()
        self.api_key = api_key
        self.oauth = oauth
        self.comment_page_cap = 50
        self.issues: dict[str, dict[str, Any]] = {}
        self.comments: dict[str, list[dict[str, Any]]] = {}
        self.queries: list[dict[str, Any]] = []
        """Every executed operation: {"name", "variables", "root"}."""
        self.writes: list[str] = []
        """Any other mutation or subscription (tests assert it stays empty)."""
        self.notes: list[dict[str, Any]] = []
        """`commentCreate` inputs (the one write investigate may send, with --post-note)."""
        self.problems: list[str] = []
        self._scripted: list[_Scripted] = []
        self.schema = linear_schema()

    def add_issue(
        self, issue: dict[str, Any], comments: list[dict[str, Any]] | None = None
    ) -> None:
        self.issues[issue["identifier"]] = issue
        self.comments[issue["identifier"]] = comments or []

    def script(self, reply: Reply) -> None:
        with self._lock:
            self._scripted.append(_Scripted(reply))

    def check(self) -> None:
        super().check()
        if self.problems or self.writes:
            raise AssertionError(f"FakeLinear: problems {self.problems}, writes {self.writes}")

    # serving --------------------------------------------------------------------------------

    def _handle(self, request: Recorded) -> Response:
        if request.method != "POST" or request.path != "/graphql":
            return self._json(404, {"errors": [{"message": "Not found"}]})
        payload = request.json if isinstance(request.json, dict) else {}
        document = payload.get("query")
        if not isinstance(document, str):
            return self._json(400, error_body("Must provide query string.", "BAD_REQUEST"))
        try:
            parsed = graphql.parse(document)
        except graphql.GraphQLError as exc:
            with self._lock:
                self.problems.append(f"syntax: {exc.message}")
            return self._json(400, error_body(exc.message, "GRAPHQL_PARSE_FAILED"))
        kinds = {
            d.operation.value
            for d in parsed.definitions
            if isinstance(d, graphql.OperationDefinitionNode)
        }
        if kinds - {"query"} and not _only_comment_create(parsed):
            with self._lock:
                self.writes.append(document)
            return self._json(400, error_body("writes are not served", "FORBIDDEN"))
        invalid = graphql.validate(self.schema, parsed)
        if invalid:
            with self._lock:
                self.problems += [e.message for e in invalid]
            return self._json(400, error_body(invalid[0].message, "GRAPHQL_VALIDATION_FAILED"))
        with self._lock:
            hit = self._scripted.pop(0) if self._scripted else None
        if hit is not None:
            return hit.reply.render(self, request)
        auth = request.headers.get("authorization", "")
        if auth not in (self.api_key, f"Bearer {self.oauth}" if self.oauth else None):
            return self._json(
                400,
                error_body(
                    "Authentication required, not authenticated",
                    "AUTHENTICATION_ERROR",
                    type="authentication error",
                    userPresentableMessage="You need to authenticate to access this operation.",
                ),
            )
        variables = payload.get("variables") or {}
        result = graphql.execute_sync(
            self.schema,
            parsed,
            root_value=self._root(),
            variable_values=variables,
            operation_name=payload.get("operationName"),
        )
        with self._lock:
            root = next(
                (
                    s.name.value
                    for d in parsed.definitions
                    if isinstance(d, graphql.OperationDefinitionNode)
                    for s in d.selection_set.selections
                    if isinstance(s, graphql.FieldNode)
                ),
                "",
            )
            self.queries.append({"root": root, "variables": variables})
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [e.formatted for e in result.errors]
        return self._json(200, body)

    # resolvers ------------------------------------------------------------------------------

    def _root(self) -> dict[str, Any]:
        return {
            "issue": self._issue,
            "searchIssues": self._search,
            "issues": self._issues,
            "viewer": {"id": "user-1", "name": "Support Bot", "email": "bot@acme.io"},
            "commentCreate": self._comment_create,
        }

    def _comment_create(self, _info: Any, input: dict[str, Any]) -> dict[str, Any]:
        issue = self._find(str(input.get("issueId", "")))
        if issue is None:
            raise graphql.GraphQLError("Entity not found: Issue")
        with self._lock:
            self.notes.append(dict(input))
            thread = self.comments[issue["identifier"]]
            thread.append(make_comment(40 + len(thread), str(input.get("body", "")), "Support Bot"))
        return {"success": True, "comment": {"id": f"comment-{len(self.notes)}"}}

    def _find(self, key: str) -> dict[str, Any] | None:
        return self.issues.get(key.upper()) or next(
            (i for i in self.issues.values() if i["id"] == key), None
        )

    def _issue(self, _info: Any, id: str) -> dict[str, Any]:
        issue = self._find(id)
        if issue is None:
            raise graphql.GraphQLError(
                "Entity not found: Issue",
                extensions={
                    "type": "invalid input",
                    "code": "INPUT_ERROR",
                    "userPresentableMessage": "Could not find referenced Issue.",
                },
            )
        thread = self.comments.get(issue["identifier"], [])

        def comments(_info: Any, first: int = 50, after: str | None = None, **_: Any) -> Any:
            start = int(after) if after else 0
            size = min(first, self.comment_page_cap)
            end = start + size
            return {
                "nodes": thread[start:end],
                "pageInfo": {"hasNextPage": end < len(thread), "endCursor": str(end)},
            }

        return {**issue, "comments": comments}

    def _matches_filter(self, issue: dict[str, Any], f: dict[str, Any] | None) -> bool:
        if not f:
            return True
        team = ((f.get("team") or {}).get("key") or {}).get("in")
        if team is not None and issue["team"]["key"] not in team:
            return False
        state = ((f.get("state") or {}).get("name") or {}).get("eqIgnoreCase")
        return state is None or issue["state"]["name"].lower() == state.lower()

    def _search(self, _info: Any, term: str, first: int = 50, filter: Any = None, **_: Any) -> Any:
        words = term.lower().split()
        hits = [
            i
            for i in self.issues.values()
            if self._matches_filter(i, filter)
            and all(w in f"{i['title']} {i['description'] or ''}".lower() for w in words)
        ]
        return {"nodes": hits[:first]}

    def _issues(
        self,
        _info: Any,
        first: int = 50,
        after: str | None = None,
        filter: Any = None,
        **_: Any,
    ) -> Any:
        hits = sorted(
            (i for i in self.issues.values() if self._matches_filter(i, filter)),
            key=lambda i: i["createdAt"],
            reverse=True,
        )
        start = int(after) if after else 0
        end = start + first
        return {
            "nodes": hits[start:end],
            "pageInfo": {"hasNextPage": end < len(hits), "endCursor": str(end)},
        }


def rate_limited_reply_body() -> str:
    return json.dumps(error_body("Rate limit exceeded", "RATELIMITED"))


def _only_comment_create(parsed: graphql.DocumentNode) -> bool:
    ops = [d for d in parsed.definitions if isinstance(d, graphql.OperationDefinitionNode)]
    return (
        len(ops) == 1
        and ops[0].operation.value == "mutation"
        and [
            s.name.value
            for s in ops[0].selection_set.selections
            if isinstance(s, graphql.FieldNode)
        ]
        == ["commentCreate"]
    )
