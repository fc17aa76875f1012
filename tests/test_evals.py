"""The eval harness (investigate/evals.py) and the regression gate over tests/evals/."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace as NS

import pytest
import yaml

from investigate.evals import (
    Aggregate,
    CaseResult,
    Decisive,
    Summary,
    _aggregate,
    by_category,
    render_table,
    run_cases,
    score_report,
    summary_json,
)
from investigate.models import CATEGORIES

CASES = Path(__file__).parent / "evals"
HELD_OUT = "held-out"  # the tag of the gen-* worlds (tests/evals/build_world_cases.py)


def ev(
    i: int,
    source: str = "logs",
    kind: str = "log_pattern",
    title: str = "",
    detail: str = "",
    examples: list[str] | None = None,
) -> NS:
    return NS(
        id=f"E{i}", source=source, kind=kind, title=title, detail=detail, examples=examples or []
    )


def report(
    evidence: list[NS],
    category: str,
    cited: list[str],
    alt_cited: list[str] | None = None,
    draft_reply: str = "",
) -> NS:
    return NS(
        evidence=evidence,
        analysis=NS(
            root_cause=NS(category=category, evidence=cited),
            alternatives=[NS(evidence=alt_cited or [])],
            timeline=[],
            draft_reply=draft_reply,
        ),
        sources=[NS(status="ok"), NS(status="empty"), NS(status="error")],
    )


def filler(start: int, n: int) -> list[NS]:
    return [ev(i, title=f"noise {i}") for i in range(start, start + n)]


# --------------------------------------------------------------------------- metric math


def test_recall_at_k_math() -> None:
    items = [ev(1, title="ERR_A"), *filler(2, 5), ev(7, kind="log", detail="ERR_B")]
    items += [*filler(8, 5), ev(13, source="db", kind="customer", title="acc_1")]
    decisive = [
        Decisive(contains="err_a"),  # rank 1 (case-insensitive)
        Decisive(contains="ERR_B", source="logs", kind="log_pattern"),  # rank 7: `log` counts
        Decisive(contains="acc_1", source="db", kind="customer"),  # rank 13
        Decisive(contains="nowhere"),  # never
    ]
    r = CaseResult(name="x", tags=[])
    score_report(report(items, "bug", ["E1"]), decisive, "bug", r)
    assert r.found_at == [1, 7, 13, None]
    assert r.recall_5 == pytest.approx(0.25)
    assert r.recall_10 == pytest.approx(0.5)
    assert r.category_ok
    assert r.sources["ok"] == 1 and r.sources["empty"] == 1 and r.sources["error"] == 1


def test_decisive_filters_source_kind_and_searches_examples() -> None:
    items = [
        ev(1, source="other", title="X1"),
        ev(2, kind="alert", title="X1"),
        ev(3, examples=["line with X1 inside"]),
    ]
    r = CaseResult(name="x", tags=[])
    score_report(
        report(items, "bug", ["E3"]),
        [Decisive(contains="X1", source="logs", kind="log_pattern")],
        "bug",
        r,
    )
    assert r.found_at == [3]


def test_citation_validity() -> None:
    items = [ev(1, title="ERR_A"), ev(2, title="noise")]
    d = [Decisive(contains="ERR_A")]
    good = CaseResult(name="g", tags=[])
    score_report(report(items, "bug", ["E1", "E2"]), d, "bug", good)
    assert good.citation_valid
    missing = CaseResult(name="m", tags=[])  # cites an ID that is not in the evidence
    score_report(report(items, "bug", ["E1"], alt_cited=["E9"]), d, "bug", missing)
    assert not missing.citations_exist and not missing.citation_valid
    no_decisive = CaseResult(name="n", tags=[])  # valid IDs, but none of them decisive
    score_report(report(items, "bug", ["E2"]), d, "bug", no_decisive)
    assert no_decisive.citations_exist and not no_decisive.cites_decisive
    assert not no_decisive.citation_valid
    wrong = CaseResult(name="w", tags=[])
    score_report(report(items, "outage", ["E1"]), d, "bug", wrong)
    assert not wrong.category_ok


def test_reply_must_not_contain() -> None:
    items = [ev(1, title="ERR_A")]
    d = [Decisive(contains="ERR_A")]
    reply = "Hi Ana, please re-upload the certificate in settings → sso. We are restarting it now."
    bad = CaseResult(name="b", tags=[])
    score_report(
        report(items, "bug", ["E1"], draft_reply=reply),
        d,
        "bug",
        bad,
        ["Settings → SSO", "We are restarting", "Settings → Billing"],
    )
    assert not bad.reply_ok  # case-insensitive, every hit listed
    assert bad.reply_forbidden == ["Settings → SSO", "We are restarting"]
    assert bad.category_ok and bad.recall_10 == 1.0 and not bad.passed  # a bad reply fails the case
    good = CaseResult(name="g", tags=[])
    score_report(report(items, "bug", ["E1"], draft_reply=reply), d, "bug", good, ["SAML"])
    assert good.reply_ok and good.reply_forbidden == [] and good.passed
    unset = CaseResult(name="u", tags=[])  # no list: nothing to fail
    score_report(report(items, "bug", ["E1"], draft_reply=reply), d, "bug", unset)
    assert unset.reply_ok


def test_reply_lint_is_scored_on_the_final_reply() -> None:
    items = [ev(1, title="ERR_A")]
    d = [Decisive(contains="ERR_A")]
    leaky = CaseResult(name="l", tags=[])
    draft = "Hi Ana,\n\nSee E1: ERR_SYNC_FAILED on api-1.prod.internal. We are restarting it now."
    score_report(report(items, "bug", ["E1"], draft_reply=draft), d, "bug", leaky)
    rules = {p.split(":")[0] for p in leaky.reply_lint}
    assert {"evidence-id", "error-code", "internal-host", "unkept-promise"} <= rules
    clean = CaseResult(name="c", tags=[])
    fine = "Hi Ana,\n\nI can see errors on our side since 9 May. I will update you here."
    score_report(report(items, "bug", ["E1"], draft_reply=fine), d, "bug", clean)
    assert clean.reply_lint == []
    agg = _aggregate("x", [leaky, clean])
    assert agg.reply_lint_failures == 1
    assert "reply-lint failures 1" in render_table(
        Summary(cases=[leaky, clean], by_tag={}, overall=agg)
    )


def test_a_reply_the_linter_had_to_repair_is_a_lint_failure() -> None:
    """The eval scores the composer, not the linter's repair: a reply `enforce` fixed (it now
    passes the linter) still counts as a reply-lint failure."""
    from investigate.evidence.replylint import enforce, lint
    from investigate.models import Analysis, RootCause, Ticket

    t = Ticket(
        id="9",
        subject="Tee times not syncing",
        created_at="2026-05-02T08:00:00Z",
        requester={"name": "Ana Ruiz"},
    )
    analysis = Analysis(
        analyst="offline",
        summary="s",
        root_cause=RootCause(statement="x", category="bug", evidence=["E1"]),
        draft_reply="Hi Ana,\n\nThe sync fails with ERR_TEE_SYNC (E1). Thank you! Thanks again.",
    )
    enforce(analysis, [], t)
    assert lint(analysis.draft_reply, ticket=t) == []  # repaired: the final reply passes
    scored = CaseResult(name="r", tags=[])
    items = [ev(1, title="ERR_TEE_SYNC")]
    rep = report(items, "bug", ["E1"], draft_reply=analysis.draft_reply)
    rep.analysis.internal_note = analysis.internal_note
    rep.ticket = NS(requester=NS(name="Ana Ruiz"))
    score_report(rep, [Decisive(contains="ERR_TEE_SYNC")], "bug", scored)
    assert scored.reply_lint and all(p.startswith("repaired: ") for p in scored.reply_lint)
    assert "error-code" in scored.reply_lint[0] and "thanks-twice" in scored.reply_lint[0]
    assert _aggregate("x", [scored]).reply_lint_failures == 1


def result(
    name: str,
    expected: str,
    got: str,
    r5: float = 1.0,
    r10: float = 1.0,
    cite: bool = True,
    reply_ok: bool = True,
    error: str | None = None,
) -> CaseResult:
    r = CaseResult(name=name, tags=["t"], expected_category=expected, category=got)
    r.category_ok, r.recall_5, r.recall_10, r.citation_valid = got == expected, r5, r10, cite
    r.reply_ok, r.error = reply_ok, error
    r.reply_forbidden = [] if reply_ok else ["SSO"]
    return r


def test_per_category_accuracy_and_reply_failures() -> None:
    results = [
        result("a", "bug", "bug", r5=0.5),
        result("b", "bug", "outage", reply_ok=False),
        result("c", "bug", "bug", r10=0.0, cite=False),
        result("d", "access", "access"),
        result(
            "e", "access", "unknown", error="boom"
        ),  # could not run: a miss, not a reply failure
        result("f", "integration", "outage", r5=0.0, r10=0.5),
    ]
    cats = by_category(results)
    assert list(cats) == ["access", "bug", "integration"]
    assert cats["bug"].cases == 3 and cats["bug"].category_accuracy == pytest.approx(2 / 3)
    assert cats["bug"].recall_5 == pytest.approx(2.5 / 3)
    assert cats["bug"].recall_10 == pytest.approx(2 / 3)
    assert cats["bug"].citation_validity == pytest.approx(2 / 3)
    assert cats["bug"].reply_failures == 1 and cats["bug"].passed == 1
    assert cats["access"].category_accuracy == 0.5 and cats["access"].errors == 1
    assert cats["access"].reply_failures == 0
    assert cats["integration"].category_accuracy == 0.0 and cats["integration"].recall_10 == 0.5

    summary = Summary(cases=results, by_tag={}, overall=Aggregate(name="overall"), by_category=cats)
    table = render_table(summary)
    assert "category:bug" in table and "category:integration" in table
    assert "reply contains: SSO" in table  # the failing case says which string
    data = summary_json(summary)
    json.dumps(data)
    assert data["by_category"]["bug"]["reply_failures"] == 1
    assert data["by_category"]["access"]["category_accuracy"] == 0.5
    assert data["cases"][1]["reply_forbidden"] == ["SSO"] and not data["cases"][1]["passed"]


# ------------------------------------------------------------------ end to end on tmp cases


def make_case(
    root: Path,
    name: str,
    *,
    category: str,
    decisive: list[dict],
    tags: list[str],
    broken: bool = False,
) -> None:
    d = root / name
    (d / "tickets").mkdir(parents=True)
    (d / "logs").mkdir()
    (d / "tickets" / "1.json").write_text(
        json.dumps(
            {
                "id": "1",
                "subject": "Exports fail",
                "status": "open",
                "priority": "normal",
                "description": "Exports fail with ERR_EXPORT_BROKEN for account acc_77.",
                "created_at": "2026-11-24T09:00:00Z",
                "updated_at": "2026-11-24T09:00:00Z",
                "requester": {"name": "A", "email": "a@example.com"},
                "comments": [],
            }
        )
    )
    lines = [
        {
            "ts": f"2026-11-24T08:{m:02d}:00Z",
            "level": "error",
            "service": "worker",
            "msg": "export failed",
            "error_code": "ERR_EXPORT_BROKEN",
            "account_id": "acc_77",
        }
        for m in range(0, 50, 5)
    ]
    (d / "logs" / "app.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    config = {
        "ticket_source": "tickets",
        "llm": {"provider": "offline"},
        "connectors": {
            "tickets": {"type": "file", "path": "tickets"},
            "logs": {"type": "log_file", "paths": ["logs/*.jsonl"]},
        },
    }
    if broken:
        config["connectors"]["logs"]["no_such_key"] = 1
    (d / "investigate.yaml").write_text(yaml.safe_dump(config))
    (d / "case.yaml").write_text(
        yaml.safe_dump(
            {
                "ticket": "1",
                "config": "investigate.yaml",
                "until": "2026-11-24T10:00:00Z",
                "category": category,
                "decisive": decisive,
                "tags": tags,
            }
        )
    )


def test_run_cases_end_to_end_with_broken_case(tmp_path: Path) -> None:
    make_case(
        tmp_path,
        "a-good",
        category="bug",
        tags=["easy"],
        decisive=[{"source": "logs", "contains": "ERR_EXPORT_BROKEN"}, {"contains": "never-there"}],
    )
    make_case(
        tmp_path,
        "b-wrong-category",
        category="billing",
        tags=["easy", "x"],
        decisive=[{"contains": "ERR_EXPORT_BROKEN"}],
    )
    make_case(tmp_path, "c-broken", category="bug", tags=["x"], decisive=[], broken=True)
    (tmp_path / "d-bad-yaml").mkdir()
    (tmp_path / "d-bad-yaml" / "case.yaml").write_text("just: [a list\n")

    summary = run_cases(tmp_path)
    rows = {r.name: r for r in summary.cases}
    assert list(rows) == ["a-good", "b-wrong-category", "c-broken", "d-bad-yaml"]
    good = rows["a-good"]
    assert good.error is None
    assert good.recall_10 == pytest.approx(0.5) and good.found_at[1] is None
    assert good.sources["ok"] >= 1
    assert not rows["b-wrong-category"].category_ok
    assert rows["b-wrong-category"].recall_10 == 1.0
    assert rows["c-broken"].error and "no_such_key" in rows["c-broken"].error
    assert rows["d-bad-yaml"].error
    assert summary.overall.cases == 4 and summary.overall.errors == 2
    assert summary.by_tag["easy"].cases == 2
    assert summary.by_tag["easy"].recall_10 == pytest.approx(0.75)

    table = render_table(summary)
    assert "c-broken" in table and "ERROR" in table and "OVERALL" in table and "tag:easy" in table
    assert "category:billing" in table and "category:bug" in table  # per expected category
    assert summary.by_category["bug"].cases == 2 and summary.by_category["bug"].errors == 1
    assert summary.by_category["billing"].category_accuracy == 0.0
    data = summary_json(summary)
    json.dumps(data)  # serialisable
    assert data["overall"]["cases"] == 4
    assert data["by_category"]["bug"]["cases"] == 2 and data["by_category"]["bug"]["errors"] == 1
    assert next(c["name"] for c in data["cases"]) == "a-good"

    only = run_cases(tmp_path, only=["x"])  # by tag
    assert [r.name for r in only.cases] == ["b-wrong-category", "c-broken"]
    only = run_cases(tmp_path, only=["a-good"])  # by name
    assert [r.name for r in only.cases] == ["a-good"]


# ---------------------------------------------------------------------- regression gate

# Measured 2026-11-27 with the offline analyst; the gate fails if quality drops below.
GATE_RECALL_10 = 0.99  # measured 1.00 over the 33 gated cases
GATE_CATEGORY = 0.99  # measured 1.00
ALL_RECALL_10 = 0.97  # measured 0.993 over all 34 cases (known-failing included)
ALL_CATEGORY = 0.97  # measured 1.00
ALL_RECALL_5 = 0.92  # measured 0.951


def test_case_suite_shape() -> None:
    cases = sorted(p.parent.name for p in CASES.glob("*/case.yaml"))
    assert len(cases) >= 20
    categories = {yaml.safe_load((CASES / c / "case.yaml").read_text())["category"] for c in cases}
    assert categories >= set(CATEGORIES)  # every category of product.md §4


@pytest.mark.slow
def test_regression_gate() -> None:
    # the held-out `gen-*` worlds have their own gate (test_held_out_gate below)
    summary = run_cases(CASES, exclude_tags=[HELD_OUT])
    gated = [r for r in summary.cases if not {"slow", "known-failing"} & set(r.tags)]
    assert gated and all(r.error is None for r in summary.cases), render_table(summary)
    recall = sum(r.recall_10 for r in gated) / len(gated)
    accuracy = sum(r.category_ok for r in gated) / len(gated)
    table = render_table(summary)
    assert recall >= GATE_RECALL_10, table
    assert accuracy >= GATE_CATEGORY, table
    assert summary.overall.recall_10 >= ALL_RECALL_10, table
    assert summary.overall.category_accuracy >= ALL_CATEGORY, table
    assert summary.overall.recall_5 >= ALL_RECALL_5, table


# ------------------------------------------------------------- the held-out worlds (gen-*)

HELD_OUT_CATEGORY = 0.9  # issue 13's gate
HELD_OUT_RECALL_5 = 0.95


def held_out_cases() -> dict[str, dict]:
    return {
        p.parent.name: yaml.safe_load(p.read_text()) for p in sorted(CASES.glob("gen-*/case.yaml"))
    }


def test_held_out_suite_shape() -> None:
    cases = held_out_cases()
    assert len(cases) >= 60
    tags = [set(c["tags"]) for c in cases.values()]
    assert all(HELD_OUT in t for t in tags)
    domains = {t for ts in tags for t in ts if t.startswith("domain:")}
    assert len(domains) >= 6
    formats = {t for ts in tags for t in ts if t.startswith("format:")}
    assert {"format:json", "format:logfmt", "format:plain"} <= formats
    assert len({f for f in formats if f.startswith("format:json-")}) >= 3  # JSON key layouts
    per_category = dict.fromkeys(CATEGORIES, 0)
    for case in cases.values():
        per_category[case["category"]] += 1
        for d in case["decisive"]:
            assert d["contains"] and d["source"]
    assert min(per_category.values()) >= 4, per_category
    languages = {t for ts in tags for t in ts if t.startswith("lang:") and t != "lang:en"}
    assert len(languages) >= 2
    assert sum(1 for ts in tags if "tone:angry" in ts) >= 3
    assert sum(1 for ts in tags if "tone:vague" in ts) >= 3
    assert any(name.startswith("gen-newuser-") for name in cases)


# Issue 13's gate over ALL cases (existing and held-out), measured 2026-12-07 with the offline
# analyst over 105 cases: category 0.933, recall@5 0.951, reply-lint failures 0 (held-out alone:
# 0.901 / 0.951); with the log format detection of `investigate.sdk.logformats` merged, which reads
# the held-out worlds' logfmt and `ts/lvl/msg` layouts: 1.00 / 0.984 (held-out 1.00 / 1.00).
GATE_ALL_CATEGORY = 0.9
GATE_ALL_RECALL_5 = 0.95


@pytest.mark.slow
def test_issue13_gate_over_all_cases() -> None:
    summary = run_cases(CASES)
    table = render_table(summary)
    assert summary.overall.errors == 0, table
    assert summary.overall.category_accuracy >= GATE_ALL_CATEGORY, table
    assert summary.overall.recall_5 >= GATE_ALL_RECALL_5, table
    assert summary.overall.reply_lint_failures == 0, table
    assert summary.overall.reply_failures == 0, table


@pytest.mark.slow
def test_held_out_gate() -> None:
    summary = run_cases(CASES, only=[HELD_OUT])
    table = render_table(summary)
    assert summary.overall.cases >= 60 and summary.overall.errors == 0, table
    assert summary.overall.category_accuracy >= HELD_OUT_CATEGORY, table
    assert summary.overall.recall_5 >= HELD_OUT_RECALL_5, table
    assert summary.overall.reply_failures == 0, table
    assert summary.overall.reply_lint_failures == 0, table


KNOWN_MISSES = CASES / "_known_misses"


@pytest.mark.xfail(
    strict=True,
    reason="known misses of the offline analyst (tests/evals/_known_misses/README.md); when "
    "one passes, move it into tests/evals",
)
def test_known_misses() -> None:
    summary = run_cases(KNOWN_MISSES)
    assert summary.cases and all(r.error is None for r in summary.cases)
    assert all(r.passed for r in summary.cases), render_table(summary)
