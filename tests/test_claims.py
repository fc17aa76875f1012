"""Every field of a model's report is checked against the evidence that was sent."""

from __future__ import annotations

from llm_support import tool_input

from investigate.analysts.claims import check_claims
from investigate.models import Analysis, Evidence


def _evidence() -> list[Evidence]:
    return [
        Evidence(id="E1", source="billing", kind="invoice", title="Invoice in_1 payment failed"),
        Evidence(id="E2", source="billing", kind="charge", title="Card declined"),
        Evidence(id="E3", source="alerts", kind="alert", title="billing-api error rate high"),
        Evidence(
            id="E4",
            source="tickets",
            kind="ticket",
            title="Read only workspace",
            attributes={"row": {"id": "905"}},
        ),
        Evidence(id="E5", source="billing", kind="charge", title="Refund re_1 issued: 49.00"),
    ]


def _checked(**overrides: object) -> Analysis:
    return check_claims(
        Analysis.model_validate({**tool_input(**overrides), "analyst": "t"}), _evidence()
    )


def test_an_incident_keeps_real_alerts_and_seen_tickets_only() -> None:
    a = _checked(
        incident={
            "suspected": True,
            "reason": "billing-api is failing (E3)",
            "alerts": ["E3", "E2", "E98"],
            "related_tickets": ["#905", "777"],
        }
    )
    assert a.incident.suspected and a.incident.alerts == ["E3"]
    assert a.incident.related_tickets == ["#905"]
    assert any("E98" in g for g in a.gaps) and any("not an alert" in g for g in a.gaps)
    assert any("777" in g for g in a.gaps)


def test_an_incident_with_nothing_behind_it_is_not_flagged() -> None:
    a = _checked(incident={"suspected": True, "reason": "probably an outage", "alerts": []})
    assert not a.incident.suspected
    assert any("suspected an incident" in g for g in a.gaps)


def test_sev1_needs_cited_evidence() -> None:
    assert _checked(severity="sev1").severity == "sev1"
    unsupported = _checked(
        severity="sev1",
        root_cause={"statement": "x", "category": "outage", "evidence": ["E50"]},
    )
    assert unsupported.severity == "sev3"


def test_a_refund_is_promised_only_when_cited_evidence_shows_one() -> None:
    promise = "Hi,\n\nWe refunded your card. Please retry.\n\nBest"
    a = _checked(draft_reply=promise)
    assert "refund" not in a.draft_reply.lower() and "Please retry." in a.draft_reply
    assert any("refund" in g for g in a.gaps)
    backed = _checked(
        draft_reply=promise,
        root_cause={"statement": "Refunded", "category": "billing", "evidence": ["E5"]},
    )
    assert backed.draft_reply == promise


def test_mixed_citations_keep_the_claim_without_the_fake_id() -> None:
    a = _checked(summary="The card was declined (E2, E77). Nothing else.")
    assert a.summary == "The card was declined (E2). Nothing else."
    b = _checked(summary="Declined [E88, E2] and E99 (E97).")
    assert "[E2]" in b.summary and not any(x in b.summary for x in ("E88", "E99", "E97"))
    assert a.next_steps == tool_input()["next_steps"]
