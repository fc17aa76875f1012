"""The note client of every helpdesk and tracker: it sends the one documented internal note
and refuses every other write before a byte leaves the machine (a status, assignee or tag
change, a public reply, another endpoint), through the connector's own `note_channel()`.

Zendesk's and Linear's refusals are also exercised against their fakes (`test_writeback.py`,
`connectors/test_linear.py`); this covers every channel the same way, with a recording
transport in place of the network."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import httpx2
import pytest

from investigate.context import Context
from investigate.errors import ReadOnlyViolation
from investigate.sdk.contract import Connector
from investigate_connectors.freshdesk import Freshdesk
from investigate_connectors.github import GitHub
from investigate_connectors.helpscout import HelpScout
from investigate_connectors.intercom import Intercom
from investigate_connectors.jira import Jira
from investigate_connectors.linear import Linear
from investigate_connectors.zendesk import Zendesk

BASE = "https://helpdesk.test"
JIRA = {
    "type": "jira",
    "base_url": BASE,
    "deployment": "cloud",
    "email": "a@acme.io",
    "api_token": "read",
}
NOTE = "<p>investigate: internal analysis</p>"
Write = tuple[str, str, Any]
"""Method, path, JSON body."""


@dataclass
class Channel:
    name: str
    build: Callable[[], Any]
    allowed: Write
    refused: list[Write] = field(default_factory=list)


def _make(cls: type[Connector[Any]], section: dict[str, Any]) -> Callable[[], Any]:
    return lambda: cls("helpdesk", cls.config_model.model_validate(section), Context())


CHANNELS = [
    Channel(
        "zendesk",
        _make(
            Zendesk,
            {
                "type": "zendesk",
                "base_url": BASE,
                "email": "a@acme.io",
                "api_token": "read",
                "write_back": {"enabled": True, "email": "b@acme.io", "token": "note"},
            },
        ),
        (
            "PUT",
            "/api/v2/tickets/7.json",
            {"ticket": {"comment": {"html_body": NOTE, "public": False}}},
        ),
        [
            ("PUT", "/api/v2/tickets/7.json", {"ticket": {"status": "solved"}}),
            (
                "PUT",
                "/api/v2/tickets/7.json",
                {"ticket": {"comment": {"body": "x", "public": True}}},
            ),
        ],
    ),
    Channel(
        "freshdesk",
        _make(
            Freshdesk,
            {
                "type": "freshdesk",
                "base_url": BASE,
                "api_key": "read",
                "write_back": {"enabled": True, "token": "note"},
            },
        ),
        ("POST", "/api/v2/tickets/7/notes", {"body": NOTE, "private": True}),
        [
            ("POST", "/api/v2/tickets/7/notes", {"body": NOTE, "private": False}),
            ("POST", "/api/v2/tickets/7/notes", {"body": NOTE}),
            (
                "POST",
                "/api/v2/tickets/7/notes",
                {"body": NOTE, "private": True, "notify_emails": ["x@evil.example"]},
            ),
            ("POST", "/api/v2/tickets/7/reply", {"body": NOTE}),
            ("PUT", "/api/v2/tickets/7", {"status": 5}),
        ],
    ),
    Channel(
        "helpscout",
        _make(
            HelpScout,
            {
                "type": "helpscout",
                "base_url": BASE,
                "app_id": "app",
                "app_secret": "secret",
                "write_back": {"enabled": True, "token": "note"},
            },
        ),
        ("POST", "/v2/conversations/7/notes", {"text": NOTE}),
        [
            ("POST", "/v2/conversations/7/notes", {"text": NOTE, "status": "closed"}),
            ("POST", "/v2/conversations/7/notes", {"text": NOTE, "user": 1, "assignTo": 2}),
            ("POST", "/v2/conversations/7/reply", {"text": NOTE, "customer": {"id": 1}}),
            (
                "PATCH",
                "/v2/conversations/7",
                {"op": "replace", "path": "/status", "value": "closed"},
            ),
        ],
    ),
    Channel(
        "intercom",
        _make(
            Intercom,
            {
                "type": "intercom",
                "base_url": BASE,
                "access_token": "read",
                "write_back": {"enabled": True, "token": "note", "admin_id": "991"},
            },
        ),
        (
            "POST",
            "/conversations/7/reply",
            {"message_type": "note", "type": "admin", "admin_id": "991", "body": NOTE},
        ),
        [
            (
                "POST",
                "/conversations/7/reply",
                {"message_type": "comment", "type": "admin", "admin_id": "991", "body": NOTE},
            ),
            (
                "POST",
                "/conversations/7/reply",
                {"message_type": "note", "type": "user", "body": NOTE},
            ),
            (
                "POST",
                "/conversations/7/reply",
                {
                    "message_type": "note",
                    "type": "admin",
                    "admin_id": "991",
                    "body": NOTE,
                    "attachment_urls": ["https://evil.example/x"],
                },
            ),
            (
                "POST",
                "/conversations/7/parts",
                {"message_type": "close", "type": "admin", "admin_id": "991"},
            ),
            ("PUT", "/conversations/7", {"read": True}),
        ],
    ),
    Channel(
        "jira",
        _make(
            Jira,
            JIRA
            | {
                "write_back": {
                    "enabled": True,
                    "email": "b@acme.io",
                    "token": "note",
                    "visibility": "Developers",
                },
            },
        ),
        (
            "POST",
            "/rest/api/2/issue/SUP-7/comment",
            {"body": NOTE, "visibility": {"type": "role", "value": "Developers"}},
        ),
        [
            ("POST", "/rest/api/2/issue/SUP-7/comment", {"body": NOTE}),
            (
                "POST",
                "/rest/api/2/issue/SUP-7/comment",
                {"body": NOTE, "visibility": {"type": "role", "value": " "}},
            ),
            (
                "POST",
                "/rest/api/2/issue/SUP-7/comment",
                {
                    "body": NOTE,
                    "visibility": {"type": "role", "value": "Developers"},
                    "properties": [],
                },
            ),
            ("POST", "/rest/api/2/issue/SUP-7/transitions", {"transition": {"id": "31"}}),
            ("PUT", "/rest/api/2/issue/SUP-7", {"fields": {"assignee": {"id": "1"}}}),
            ("PUT", "/rest/api/2/issue/SUP-7/comment/10", {"body": NOTE}),
        ],
    ),
    Channel(
        "jira service desk",
        _make(
            Jira,
            JIRA
            | {
                "service_desk": True,
                "write_back": {"enabled": True, "email": "b@acme.io", "token": "note"},
            },
        ),
        ("POST", "/rest/servicedeskapi/request/HELP-9/comment", {"body": NOTE, "public": False}),
        [
            ("POST", "/rest/servicedeskapi/request/HELP-9/comment", {"body": NOTE, "public": True}),
            ("POST", "/rest/servicedeskapi/request/HELP-9/comment", {"body": NOTE}),
            ("POST", "/rest/servicedeskapi/request/HELP-9/transition", {"id": "761"}),
            ("POST", "/rest/api/2/issue/HELP-9/comment", {"body": NOTE}),
        ],
    ),
    Channel(
        "github",
        _make(
            GitHub,
            {
                "type": "github",
                "base_url": BASE,
                "token": "read",
                "repo": "acme/app",
                "write_back": {"enabled": True, "token": "note", "public_ok": True},
            },
        ),
        ("POST", "/repos/acme/app/issues/7/comments", {"body": NOTE}),
        [
            ("POST", "/repos/acme/app/issues/7/comments", {"body": NOTE, "state": "closed"}),
            ("PATCH", "/repos/acme/app/issues/7", {"state": "closed"}),
            ("POST", "/repos/acme/app/issues/7/labels", {"labels": ["wontfix"]}),
            ("POST", "/repos/acme/app/issues/7/assignees", {"assignees": ["x"]}),
            ("PATCH", "/repos/acme/app/issues/comments/1", {"body": NOTE}),
        ],
    ),
    Channel(
        "linear",
        _make(
            Linear,
            {
                "type": "linear",
                "base_url": BASE,
                "api_key": "read",
                "write_back": {"enabled": True, "token": "note"},
            },
        ),
        (
            "POST",
            "/graphql",
            {
                "query": "mutation($input: CommentCreateInput!) { commentCreate(input: $input) { success } }",
                "variables": {"input": {"issueId": "abc", "body": NOTE}},
            },
        ),
        [
            (
                "POST",
                "/graphql",
                {
                    "query": 'mutation($id: String!) { issueUpdate(id: $id, input: {stateId: "done"}) { success } }',
                    "variables": {"id": "abc"},
                },
            ),
            ("PUT", "/graphql", {"query": "{ viewer { id } }"}),
        ],
    ),
]


async def _send(channel_of: Callable[[], Any], write: Write, sent: list[httpx2.Request]) -> None:
    """Send `write` through the channel's note client; what reaches the network lands in `sent`."""

    def handler(request: httpx2.Request) -> httpx2.Response:
        sent.append(request)
        return httpx2.Response(201, json={"id": 1})

    channel = channel_of().note_channel()
    options = replace(channel.options, write=channel.endpoint, max_attempts=1, read_only_posts=())
    method, path, body = write
    async with Context(transport=httpx2.MockTransport(handler)).http(options) as client:
        await client.request(method, path, json=body)


@pytest.mark.parametrize("case", CHANNELS, ids=[c.name for c in CHANNELS])
async def test_the_documented_note_request_is_sent(case: Channel) -> None:
    sent: list[httpx2.Request] = []
    await _send(case.build, case.allowed, sent)
    assert [(r.method, r.url.path) for r in sent] == [case.allowed[:2]]


@pytest.mark.parametrize(
    ("case", "write"),
    [(c, w) for c in CHANNELS for w in c.refused],
    ids=[f"{c.name}-{w[0]} {w[1]}-{i}" for c in CHANNELS for i, w in enumerate(c.refused)],
)
async def test_every_other_write_is_refused_before_it_is_sent(case: Channel, write: Write) -> None:
    sent: list[httpx2.Request] = []
    with pytest.raises(ReadOnlyViolation):
        await _send(case.build, write, sent)
    assert sent == []
