"""The SDK contract suite (`investigate.sdk.testing`) applied to the helpdesk, bug-tracker and
status-page connectors through their own fakes: each on its evidence path (`collect`) and each
ticket source again on its ticket path (`fetch_ticket`, `<name>:ticket`). Run by `test_contract.py`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from fakes.freshdesk import FakeFreshdesk, make_conversation, make_requester
from fakes.freshdesk import make_ticket as freshdesk_ticket
from fakes.github import FakeGitHub
from fakes.github import make_comment as github_comment
from fakes.github import make_issue as github_issue
from fakes.helpscout import FakeHelpScout, make_thread
from fakes.helpscout import make_conversation as helpscout_conversation
from fakes.intercom import FakeIntercom, make_part
from fakes.intercom import make_conversation as intercom_conversation
from fakes.jira import FakeJira, adf
from fakes.jira import make_comment as jira_comment
from fakes.jira import make_issue as jira_issue
from fakes.linear import FakeLinear
from fakes.linear import make_comment as linear_comment
from fakes.linear import make_issue as linear_issue
from fakes.statuspage import FakeStatuspage, make_incident
from fakes.zendesk import FakeZendesk, make_comment
from fakes.zendesk import make_ticket as zendesk_ticket

from investigate.sdk.testing import Contract, ticket_path
from investigate_connectors.freshdesk import Freshdesk
from investigate_connectors.github import GitHub
from investigate_connectors.helpscout import HelpScout
from investigate_connectors.intercom import Intercom
from investigate_connectors.jira import Jira
from investigate_connectors.linear import Linear
from investigate_connectors.statuspage import Statuspage
from investigate_connectors.zendesk import Zendesk

EMAIL = "agent@acme.io"
RECENT = "2026-11-24T07:00:00Z"  # inside the related-ticket lookback of every contract query


def _seed_zendesk(fake: FakeZendesk, n: int) -> int:
    """Other customers' tickets quoting the contract ticket's error code."""
    for i in range(n):
        fake.add_ticket(
            zendesk_ticket(
                100 + i, created_at=RECENT, requester_id=600 + i, organization_id=800 + i
            )
        )
    return n


def _seed_zendesk_ticket(fake: FakeZendesk, n: int) -> int:
    fake.page_size = 2
    thread = [make_comment(i, f"<p>Reply {i}</p>") for i in range(1, n + 1)]
    fake.add_ticket(zendesk_ticket(4812), comments=thread)
    return n + 1  # the ticket, then each comment


DANA = make_requester(11, name="Dana", email="dana@example.com")  # the contract ticket's requester


def _seed_freshdesk(fake: FakeFreshdesk, n: int) -> int:
    """The requester's other tickets."""
    for i in range(n):
        fake.add_ticket(freshdesk_ticket(100 + i, requester=DANA), requester=DANA)
    return n


def _seed_freshdesk_ticket(fake: FakeFreshdesk, n: int) -> int:
    fake.page_size = 2
    convs = [make_conversation(i, 7, body=f"<div>Reply {i}</div>") for i in range(1, n + 1)]
    fake.add_ticket(freshdesk_ticket(7, requester=DANA), convs, requester=DANA)
    return n + 1


def _seed_helpscout(fake: FakeHelpScout, n: int) -> int:
    """Other customers' conversations quoting the contract ticket's error code."""
    for i in range(n):
        thread = make_thread(1, "customer", "<p>ERR_EXPORT_SERIALIZE again</p>", when=RECENT)
        conv = helpscout_conversation(2000 + i, customer=600 + i, createdAt=RECENT)
        fake.add_conversation(conv, [thread])
    return n


def _seed_helpscout_ticket(fake: FakeHelpScout, n: int) -> int:
    fake.embed_limit = fake.page_size = 2
    threads = [make_thread(i, "message", f"<p>Reply {i}</p>") for i in range(1, n + 1)]
    opening = make_thread(0, "customer", "<p>It fails</p>", when="2026-11-24T10:00:00Z")
    fake.add_conversation(helpscout_conversation(1001), [opening, *threads])
    return n + 1  # the ticket (its description: the opening thread), then each reply


def _seed_intercom(fake: FakeIntercom, n: int) -> int:
    """Other contacts' conversations quoting the contract ticket's error code."""
    when = int(datetime.fromisoformat(RECENT).timestamp())
    for i in range(n):
        fake.add_conversation(intercom_conversation(str(300 + i), contact=f"c{i}", created_at=when))
    return n


def _seed_intercom_ticket(fake: FakeIntercom, n: int) -> int:
    parts = [make_part(str(i), f"<p>Reply {i}</p>") for i in range(1, n + 1)]
    fake.add_conversation(intercom_conversation("101", parts=parts))
    return n + 1


BUG = "ERR_EXPORT_SERIALIZE when exporting"  # a known issue the contract ticket's search finds


def _seed_jira(fake: FakeJira, n: int) -> int:
    fake.page_size_cap = 2
    for i in range(n):
        fake.add_issue(jira_issue(f"BUG-{100 + i}", summary=f"{BUG} {i}"))
    return n


def _seed_jira_ticket(fake: FakeJira, n: int) -> int:
    fake.page_size_cap = 2
    fake.add_issue(jira_issue("SUP-7", summary="CSV export fails"))
    fake.add_comments("SUP-7", [jira_comment(i, adf(f"Reply {i}")) for i in range(1, n + 1)])
    return n + 1


def _seed_linear(fake: FakeLinear, n: int) -> int:
    for i in range(n):
        fake.add_issue(linear_issue(f"ENG-{100 + i}", title=f"{BUG} {i}"))
    return n


def _seed_linear_ticket(fake: FakeLinear, n: int) -> int:
    fake.comment_page_cap = 2
    comments = [linear_comment(i, f"Reply {i}") for i in range(1, n + 1)]
    fake.add_issue(linear_issue("SUP-7", title="CSV export fails"), comments=comments)
    return n + 1


def _seed_github(fake: FakeGitHub, n: int) -> int:
    fake.page_size_cap = 2
    for i in range(n):
        fake.add_issue("acme/app", github_issue("acme/app", 100 + i, title=f"{BUG} {i}"))
    return n


def _seed_github_ticket(fake: FakeGitHub, n: int) -> int:
    fake.page_size_cap = 2
    fake.add_issue("acme/app", github_issue("acme/app", 7, title="CSV export fails", comments=n))
    fake.add_comments("acme/app", 7, [github_comment(i, f"Reply {i}") for i in range(1, n + 1)])
    return n + 1


def _seed_statuspage(fake: FakeStatuspage, n: int) -> int:
    fake.incidents += [make_incident(f"i{i}", f"Outage {i}", created_at=RECENT) for i in range(n)]
    return n


CONTRACTS: dict[str, Contract] = {
    "zendesk": Contract(
        connector=Zendesk,
        config=lambda url, secret: {"base_url": url, "email": EMAIL, "api_token": secret},
        credential_key="api_token",
        fake=lambda secret: FakeZendesk(email=EMAIL, token=secret),
        seed=_seed_zendesk,
        paged=False,  # one search page per signature, capped by max_related
    ),
    "freshdesk": Contract(
        connector=Freshdesk,
        config=lambda url, secret: {"base_url": url, "api_key": secret},
        credential_key="api_key",
        fake=lambda secret: FakeFreshdesk(api_key=secret),
        seed=_seed_freshdesk,
        paged=False,  # one page of the requester's most recent tickets
    ),
    "helpscout": Contract(
        connector=HelpScout,
        config=lambda url, secret: {"base_url": url, "app_id": "hs-app", "app_secret": secret},
        credential_key="app_secret",
        other_keys=("app_id",),
        fake=lambda secret: FakeHelpScout(app_id="hs-app", app_secret=secret),
        seed=_seed_helpscout,
        paged=False,  # one search page per signature, capped by max_related
    ),
    "intercom": Contract(
        connector=Intercom,
        config=lambda url, secret: {"base_url": url, "access_token": secret},
        credential_key="access_token",
        fake=lambda secret: FakeIntercom(token=secret),
        seed=_seed_intercom,
        paged=False,  # search pages are tested in test_intercom.py (their size follows the cap)
    ),
    "jira": Contract(
        connector=Jira,
        config=lambda url, secret: {
            "base_url": url,
            "deployment": "cloud",
            "email": EMAIL,
            "api_token": secret,
        },
        credential_key="api_token",
        fake=lambda secret: FakeJira(email=EMAIL, token=secret, pat="unused-pat"),
        seed=_seed_jira,
        page_config={"max_pages": 5},
    ),
    "linear": Contract(
        connector=Linear,
        config=lambda url, secret: {"base_url": url, "api_key": secret},
        credential_key="api_key",
        fake=lambda secret: FakeLinear(api_key=secret),
        seed=_seed_linear,
        paged=False,  # one search per term, `first: max_issues`
    ),
    "github": Contract(
        connector=GitHub,
        config=lambda url, secret: {"base_url": url, "token": secret, "repo": "acme/app"},
        credential_key="token",
        fake=lambda secret: FakeGitHub(token=secret),
        seed=_seed_github,
        page_config={"max_pages": 5},
    ),
    "statuspage": Contract(
        connector=Statuspage,
        config=lambda url, secret: {"base_url": url},
        credential_key="base_url",
        fake=lambda secret: FakeStatuspage(),
        seed=_seed_statuspage,
        paged=False,  # the public API has no paging (the 50 most recent incidents)
    ),
}


def _ticket_source(
    base: Contract, ticket_id: str, seed: Callable[[Any, int], int], *, paged: bool = True
) -> Contract:
    """The same connector, credential and fake as `base`, its `fetch_ticket` exercised."""
    return replace(base, seed=seed, exercise=ticket_path(ticket_id), page_config={}, paged=paged)


CONTRACTS |= {
    "zendesk:ticket": _ticket_source(CONTRACTS["zendesk"], "4812", _seed_zendesk_ticket),
    "freshdesk:ticket": _ticket_source(CONTRACTS["freshdesk"], "7", _seed_freshdesk_ticket),
    "helpscout:ticket": _ticket_source(CONTRACTS["helpscout"], "1001", _seed_helpscout_ticket),
    # one GET returns the conversation with (up to 500 of) its parts
    "intercom:ticket": _ticket_source(
        CONTRACTS["intercom"], "101", _seed_intercom_ticket, paged=False
    ),
    "jira:ticket": _ticket_source(CONTRACTS["jira"], "SUP-7", _seed_jira_ticket),
    "linear:ticket": _ticket_source(CONTRACTS["linear"], "SUP-7", _seed_linear_ticket),
    "github:ticket": _ticket_source(CONTRACTS["github"], "7", _seed_github_ticket),
}
