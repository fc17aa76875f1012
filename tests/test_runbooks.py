"""Runbooks: the organisation's guidance, matched on the diagnosis and this ticket's evidence."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from investigate.analysts import AnalystInput
from investigate.analysts.offline import analyse
from investigate.analysts.prompt import build_prompt
from investigate.errors import ConfigError
from investigate.evidence.ranking import rank
from investigate.evidence.redaction import Redactor
from investigate.evidence.runbooks import for_analysis, load, matching, parse
from investigate.models import Entities, Evidence, Ticket, Window

T0 = datetime(2026, 8, 1, 12, 0, tzinfo=UTC)
ENTITIES = Entities(account_ids=["std_7"], emails=["ana@quimera.example"])

CARRIER = """---
name: Carrier API down
match:
  category: [integration]
  regex: "ETIMEDOUT|ECONNRESET"
---
Carrier outages are posted on the partner portal.

## Next steps
- Check the carrier's partner status page
- Switch the depot to the backup carrier

## Reply
Labels are queued and print as soon as the carrier answers again.
"""
QUOTA = """---
name: Upload quota
match:
  error_code: [ERR_BUILD_TOO_LARGE]
  service: [builds]
---
## Next steps
1. Offer the large-build add-on
"""


def books(tmp_path: Path) -> Path:
    (tmp_path / "carrier.md").write_text(CARRIER)
    (tmp_path / "quota.md").write_text(QUOTA)
    (tmp_path / "notes.txt").write_text("not a runbook")
    return tmp_path


def timeout_error(matched: bool = True) -> Evidence:
    return Evidence(
        source="logs",
        kind="log_pattern",
        title="ERROR labels: label request failed: ETIMEDOUT",
        level="error",
        novelty="new",
        matched=["std_7"] if matched else [],
        first_seen=T0 - timedelta(hours=1),
        timestamp=T0 - timedelta(hours=1),
        services=["labels"],
        examples=["POST https://api.parcelhawk.example/v2/labels failed: ETIMEDOUT"],
    )


def data_for(items: list[Evidence], folder: Path) -> AnalystInput:
    ranked = rank(items, ENTITIES, T0)
    return AnalystInput(
        ticket=Ticket(
            id="9",
            subject="Labels not printing",
            created_at=T0,
            requester={"name": "Ana Ruiz", "email": "ana@quimera.example"},
        ),
        entities=ENTITIES,
        window=Window(start=T0 - timedelta(days=1), end=T0),
        evidence=ranked,
        sources=[],
        runbooks=matching(load(folder), ranked),
    )


def test_front_matter_steps_and_reply_are_read(tmp_path: Path) -> None:
    loaded = {b.name: b for b in load(books(tmp_path))}
    assert set(loaded) == {"Carrier API down", "Upload quota"}
    carrier = loaded["Carrier API down"]
    assert carrier.categories == ["integration"]
    assert carrier.steps == [
        "Check the carrier's partner status page",
        "Switch the depot to the backup carrier",
    ]
    assert carrier.reply.startswith("Labels are queued")
    assert loaded["Upload quota"].steps == ["Offer the large-build add-on"]


def test_a_matched_runbook_adds_steps_and_reply_guidance_and_is_named(tmp_path: Path) -> None:
    analysis = analyse(data_for([timeout_error()], books(tmp_path)))
    assert analysis.root_cause.category == "integration"
    assert analysis.runbooks == ["Carrier API down"]
    assert analysis.next_steps[0] == "Check the carrier's partner status page"
    assert "print as soon as the carrier answers again" in analysis.draft_reply


def test_every_criterion_must_match(tmp_path: Path) -> None:
    folder = books(tmp_path)
    quota = next(b for b in load(folder) if b.name == "Upload quota")
    wrong_service = Evidence(
        source="logs", kind="log", title="build rejected [ERR_BUILD_TOO_LARGE]", services=["cdn"]
    )
    right = wrong_service.model_copy(update={"services": ["builds"]})
    assert for_analysis([quota], "user_error", [wrong_service]) == []
    assert for_analysis([quota], "user_error", [right]) == [quota]


def test_another_tenants_errors_do_not_pull_in_a_runbook(tmp_path: Path) -> None:
    data = data_for([timeout_error(matched=False)], books(tmp_path))
    assert "Carrier API down" not in [b.name for b in data.runbooks]


def test_runbooks_go_to_the_llm_as_trusted_guidance_outside_the_fenced_data(
    tmp_path: Path,
) -> None:
    prompt = build_prompt(data_for([timeout_error()], books(tmp_path)), Redactor())
    assert "Organisation runbooks (trusted guidance" in prompt.system
    assert "Switch the depot to the backup carrier" in prompt.system
    assert "Switch the depot" not in prompt.user


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("no front matter here", "front matter"),
        ("---\nmatch: {colour: red}\n---\nbody", "unknown match key"),
        ("---\nmatch: {regex: '('}\n---\nbody", "runbook bad.md"),
    ],
)
def test_a_bad_runbook_is_a_one_line_config_error(text: str, hint: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse(Path("bad.md"), text)
    assert hint in raised.value.message and "\n" not in raised.value.message


def test_a_missing_folder_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        load(tmp_path / "nope")


def test_a_missing_folder_is_a_gap_in_a_run_not_a_failed_investigation(tmp_path: Path) -> None:
    from investigate.evidence.runbooks import load_or_note

    found, notes = load_or_note(tmp_path / "nope")
    assert found == [] and notes and "does not exist" in notes[0]


def test_after_an_llm_diagnosis_a_runbook_matches_a_connector_by_its_type(tmp_path: Path) -> None:
    """An analysis that names no runbook (an LLM's) gets those fitting its category and cited
    evidence; a runbook's `connector` names a type (`zendesk`) as well as a connector's name."""
    from investigate.models import Analysis, RootCause, SourceResult
    from investigate.pipeline import runbooks_for

    (tmp_path / "refund.md").write_text(
        "---\nname: Refund desk\nmatch:\n  category: [billing]\n  connector: [zendesk]\n---\nbody\n"
    )
    note = Evidence(id="E1", source="helpdesk", kind="ticket", title="Refund asked twice")
    data = replace(
        data_for([], tmp_path),
        evidence=[note],
        sources=[SourceResult(name="helpdesk", type="zendesk", status="ok", items=1)],
        runbooks=load(tmp_path),
    )

    def diagnosis(category: str, cited: list[str]) -> Analysis:
        return Analysis(
            analyst="anthropic:claude-sonnet-5-5",
            summary="Refund",
            root_cause=RootCause(statement="refund", category=category, evidence=cited),  # type: ignore[arg-type]
        )

    assert runbooks_for(data, diagnosis("billing", ["E1"])) == ["Refund desk"]
    assert runbooks_for(data, diagnosis("billing", [])) == []
    assert runbooks_for(data, diagnosis("configuration", ["E1"])) == []
