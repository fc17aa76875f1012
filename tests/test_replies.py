"""Replies written from facts, and the reply linter every analyst's reply goes through."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from investigate.analysts import AnalystInput
from investigate.analysts.offline import analyse
from investigate.analysts.reply import cut, plain, topic
from investigate.config import ReplySettings
from investigate.evidence.ranking import rank
from investigate.evidence.replylint import enforce, lint
from investigate.models import Analysis, Entities, Evidence, RootCause, Ticket, Window

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
ENTITIES = Entities(account_ids=["brw_1042"], emails=["jan@hopfenwerk.example"])


def ticket(subject: str = "ERP gets no updates", description: str = "Nothing arrives.") -> Ticket:
    return Ticket(
        id="5",
        subject=subject,
        description=description,
        created_at=T0,
        requester={"name": "Jan Köhler", "email": "jan@hopfenwerk.example"},
    )


def log(title: str, example: str, level: str = "error", hours: float = -2) -> Evidence:
    start = T0 + timedelta(hours=hours)
    return Evidence(
        source="logs",
        kind="log_pattern",
        title=title,
        level=level,  # type: ignore[arg-type]
        novelty="new",
        matched=["brw_1042"],
        first_seen=start,
        timestamp=start,
        count=9,
        examples=[example],
    )


def analyse_with(items: list[Evidence], t: Ticket, reply: ReplySettings | None = None) -> Analysis:
    ranked = rank(items, ENTITIES, T0)
    data = AnalystInput(
        ticket=t,
        entities=ENTITIES,
        window=Window(start=T0 - timedelta(days=1), end=T0),
        evidence=ranked,
        sources=[],
        reply=reply or ReplySettings(),
    )
    return analyse(data)


# ------------------------------------------------------------------ the composer


def test_quotes_are_cut_at_word_boundaries() -> None:
    text = "delivery failed: certificate has expired for the receiving endpoint of the customer"
    short = cut(text, 40)
    assert short.endswith("…") and len(short) <= 41
    assert text.startswith(short[:-1]) and short[-2] != " "
    assert text[len(short) - 1] == " "  # the cut falls on a space, never mid-word


def test_plain_drops_codes_hosts_ids_and_stack_frames() -> None:
    e = log(
        "ERROR billing: x",
        "ERROR billing-7f.prod.internal: invoice render failed for acc=brw_1042 at "
        "pdf.render(Renderer.java:88) [ERR_PDF_RENDER] KeyError: 'font'",
    )
    said = plain(e)
    assert "invoice render failed" in said
    for leak in ("ERR_PDF", ".internal", "Renderer.java", "acc=", "KeyError"):
        assert leak not in said
    assert "ERR_PDF_RENDER" in plain(e, ReplySettings(public_codes=True))


def test_topic_does_not_shout_the_subject_back() -> None:
    assert topic("URGENT: RE: INVOICES WRONG!!!") == "Invoices wrong"


def test_a_customer_owned_endpoint_is_named_and_nothing_is_promised() -> None:
    items = [
        log(
            "ERROR webhooks: delivery failed",
            'delivery failed url=https://erp.hopfenwerk.example/hooks error="certificate has '
            'expired (CERT_HAS_EXPIRED)"',
        ),
        log(
            "ERROR webhooks: event dropped after <num> attempts",
            "event dropped after 3 attempts",
        ),
    ]
    analysis = analyse_with(items, ticket())
    assert analysis.root_cause.category == "integration"
    reply = analysis.draft_reply
    assert reply.startswith("Hi Jan,")
    assert "erp.hopfenwerk.example" in reply  # their endpoint, in their terms
    assert "certificate has expired" in reply
    assert "not completed after several attempts" in reply  # the evidence says: dropped
    for wrong in ("retrying", "SSO", "sign-on", "Settings →", "<add", "E1", "CERT_HAS_EXPIRED"):
        assert wrong not in reply
    assert lint(reply, ticket=ticket()) == []


def test_the_reply_section_sets_product_sign_off_tone_and_links() -> None:
    settings = ReplySettings(
        product="Brewlog",
        team="The Brewlog team",
        sign_off="Kind regards",
        tone="formal",
        help_links={"user_error": "https://help.brewlog.example/tanks"},
    )
    healthy = Evidence(
        source="db", kind="customer", title="Brewery Hopfenwerk", matched=["brw_1042"]
    )
    t = ticket("Tank setup", "How do I add a second fermenter?")
    reply = analyse_with([healthy], t, settings).draft_reply
    assert reply.startswith("Dear Jan,")
    assert "Brewlog shows no errors" in reply
    assert "https://help.brewlog.example/tanks" in reply
    assert reply.rstrip().endswith("Kind regards,\nThe Brewlog team")


def test_an_unanswerable_question_is_said_in_the_internal_note() -> None:
    healthy = Evidence(source="db", kind="customer", title="Brewery", matched=["brw_1042"])
    t = ticket("Limits", "How do I export a batch? Can the batch limit be raised to 500?")
    analysis = analyse_with([healthy], t)
    assert "batch limit be raised" in analysis.internal_note
    assert "not answerable from the evidence" in analysis.internal_note


# ------------------------------------------------------------------ the linter


@pytest.mark.parametrize(
    ("reply", "rule"),
    [
        ("Hi Jan,\n\nSee E4 for details.", "evidence-id"),
        ("Hi Jan,\n\nThe host db-3.prod.internal failed.", "internal-host"),
        ('Hi Jan,\n\nTraceback (most recent call last):\n  File "a.py", line 3', "stack-trace"),
        ("Hi Jan,\n\nWe saw ERR_LEDGER_SYNC.", "error-code"),
        ("Hi Jan,\n\n<add the how-to steps here>", "placeholder"),
        ("Hi Jan,\n\nWe are restarting it now.", "unkept-promise"),
        ("Hi Jan,\n\nOur system keeps retrying.", "unkept-promise"),
        ("Hi the user,\n\nAll good.", "greeting"),
        ("Hello,\n\nAll good.", "greeting"),
        ("Hi Jan,\n\nThanks for writing. Thank you for your patience.", "thanks-twice"),
        ("Hi Jan,\n\nAbout “URGENT: help”: fixed.", "shouting"),
    ],
)
def test_linter_rules(reply: str, rule: str) -> None:
    assert rule in {p.rule for p in lint(reply, ticket=ticket())}


def test_a_reply_contradicting_the_cited_evidence_fails() -> None:
    dropped = log("WARNING webhooks: event dropped after 3 attempts", "dropped after 3 attempts")
    problems = lint("Hi Jan,\n\nDeliveries will retry.", ticket=ticket(), cited=[dropped])
    assert "contradiction" in {p.rule for p in problems}


def test_public_codes_and_terms_are_allowed_when_configured() -> None:
    settings = ReplySettings(public_codes=True)
    assert lint("Hi Jan,\n\nThe code is ERR_LEDGER_SYNC.", ticket=ticket(), settings=settings) == []


def test_enforce_repairs_an_llm_reply_and_notes_what_it_did() -> None:
    analysis = Analysis(
        analyst="anthropic",
        summary="s",
        root_cause=RootCause(statement="x", category="bug", evidence=["E1"]),
        draft_reply="Hello the user,\n\nThanks! We are restarting it now. The error ERR_LEDGER_SYNC (E1) "
        "came from api-3.internal:8443.\n\nThanks again",
        internal_note="note",
    )
    left = enforce(analysis, [], ticket())
    reply = analysis.draft_reply
    assert left == []
    assert reply.startswith("Hi Jan,")
    for leak in ("restarting", "ERR_LEDGER_SYNC", "E1", "internal:8443", "the user"):
        assert leak not in reply
    assert "Reply lint repaired" in analysis.internal_note


def test_enforce_lists_what_it_cannot_repair() -> None:
    dropped = log("WARNING webhooks: event dropped after 3 attempts", "dropped after 3 attempts")
    dropped.id = "E1"
    analysis = Analysis(
        analyst="openai",
        summary="s",
        root_cause=RootCause(statement="x", category="integration", evidence=["E1"]),
        draft_reply="Hi Jan,\n\nDeliveries will retry on their own.",
    )
    left = enforce(analysis, [dropped], ticket())
    assert [p.rule for p in left] == ["contradiction"]
    assert "fix before sending" in analysis.internal_note


# ------------------------------------------------------------------ a change row in the reply


def person(title: str, status: str, at: datetime | None, **cells: str) -> Evidence:
    """A person's record as a SQL query titles it (`Name <e-mail>: role, status actor`)."""
    row = {"id": "stf_1", "email": "ana@hopfenwerk.example", "name": "Dr. Ana Ruiz"}
    row |= {"role": "brewer", "status": status, **cells}
    return Evidence(
        source="db",
        kind="db_row",
        title=title,
        timestamp=at,
        status=status,
        matched=["ana@hopfenwerk.example", "brw_1042"],
        record=row,
    )


def test_a_person_record_that_explains_the_denial_is_quoted_without_its_e_mail() -> None:
    """A deactivated member's row (no action cell: the title is all there is) is the change
    the reply names: in words, with no e-mail in angle brackets the linter would cut, taking
    the sentence (and a title's "Dr.") with it."""
    at = T0 - timedelta(hours=5)
    row = person(
        "Dr. Ana Ruiz <ana@hopfenwerk.example>: brewer, deactivated scim:okta",
        "deactivated",
        at,
        changed_at=at.isoformat(),
        changed_by="scim:okta",
    )
    denied = log(
        "WARNING portal: login refused: membership inactive",
        "login refused: membership inactive",
        level="warning",
        hours=-1,
    )
    t = ticket("Locked out", "I cannot log in since this morning.")
    analysis = analyse_with([row, denied], t)
    assert analysis.root_cause.category == "access"
    reply = analysis.draft_reply
    assert "a change was recorded in your organisation (Dr. Ana Ruiz: brewer, deactivated" in reply
    assert "@" not in reply and "<" not in reply
    assert lint(reply, ticket=t) == []  # nothing for the linter to cut


def test_a_how_to_reply_claims_no_change_the_evidence_does_not_date() -> None:
    """The requester's own row has empty `changed_at`/`changed_by` cells: it is shaped like a
    change, but nothing changed when. The reply must not say "on recently this change was
    made" about it."""
    healthy = Evidence(source="db", kind="customer", title="Brewery", matched=["brw_1042"])
    row = person(
        "Jan Köhler <jan@hopfenwerk.example>: owner, active",
        "active",
        None,
        changed_at="",
        changed_by="",
    )
    t = ticket("Second signer", "How do I add a second signer to a template?")
    analysis = analyse_with([healthy, row], t)
    assert analysis.root_cause.category == "user_error"
    reply = analysis.draft_reply
    assert "this change was made" not in reply and "recently" not in reply
    assert "shows no errors" in reply
    assert lint(reply, ticket=t) == []


def test_the_requesters_own_name_does_not_tie_a_change_to_the_question() -> None:
    """A how-to signed "Rosa" and an audit row "user.invited … by rosa@…" share only the
    requester's name: that change does not explain the question."""
    invited = Evidence(
        source="db",
        kind="db_row",
        title="Audit: user.invited on chloe@bluebird.example by rosa@bluebird.example",
        timestamp=T0 - timedelta(hours=3),
        matched=["brw_1042"],
        record={"action": "user.invited", "target": "chloe@bluebird.example"},
    )
    healthy = Evidence(source="db", kind="customer", title="Bluebird", matched=["brw_1042"])
    t = Ticket(
        id="6",
        subject="Schedule weekly PDF report?",
        description="How do I get our sales report e-mailed as a PDF every Monday?\n\nRosa",
        created_at=T0,
        requester={"name": "Rosa Delgado", "email": "rosa@bluebird.example"},
    )
    analysis = analyse_with([invited, healthy], t)
    assert analysis.root_cause.category == "user_error"
    assert "own recent action" not in analysis.root_cause.statement
    assert "invited" not in analysis.draft_reply
