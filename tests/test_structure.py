"""Diagnosis from the structure of the evidence, on worlds unlike the demo (freight, payroll,
clinic booking, e-learning…): causal links, the count test, typed field mapping, true-duplicate
folding, ticket intent in four languages, and the categories they lead to."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from investigate.analysts import AnalystInput, intent
from investigate.analysts.offline import analyse
from investigate.evidence import causal, signals
from investigate.evidence.ranking import dedupe, rank
from investigate.models import Analysis, Entities, Evidence, Ticket, Window
from investigate.sdk.fieldmap import FieldMapping, apply
from investigate.sdk.patterns import count_test, poisson_tail
from investigate.sdk.rows import row_evidence
from investigate.sdk.textmatch import EntityMatcher

T0 = datetime(2026, 3, 9, 15, 0, tzinfo=UTC)
ACCOUNT = "ten_7731"
ENTITIES = Entities(account_ids=[ACCOUNT], emails=["rosa@harbourfreight.example"])


def error(
    title: str,
    *,
    hours: float = -1.0,
    service: str = "",
    matched: bool = True,
    novelty: str = "new",
    level: str = "error",
    accounts: int = 1,
    example: str = "",
) -> Evidence:
    start = T0 + timedelta(hours=hours)
    return Evidence(
        source="logs",
        kind="log_pattern",
        title=f"{level.upper()} {service or 'log'}: {title}",
        level=level,  # type: ignore[arg-type]
        novelty=novelty,  # type: ignore[arg-type]
        matched=[ACCOUNT] if matched else [],
        timestamp=start,
        first_seen=start,
        last_seen=T0,
        count=14,
        services=[service] if service else [],
        examples=[example or title],
        accounts_affected=accounts,
        attributes={"accounts_affected": accounts},
    )


def deploy(app: str, hours: float) -> Evidence:
    return Evidence(
        source="deploys",
        kind="deploy",
        title=f"Deploy {app} v42",
        timestamp=T0 + timedelta(hours=hours),
        services=[app],
        attributes={"row": {"app": app, "version": "v42"}},
    )


def audit(action: str, hours: float, matched: bool = True) -> Evidence:
    return Evidence(
        source="db",
        kind="db_row",
        title=f"Audit: {action} by rosa@harbourfreight.example",
        timestamp=T0 + timedelta(hours=hours),
        matched=[ACCOUNT] if matched else [],
        attributes={"row": {"action": action, "tenant_id": ACCOUNT if matched else "ten_1"}},
    )


def customer(**row: Any) -> Evidence:
    return Evidence(
        source="db",
        kind="customer",
        title=f"Tenant {ACCOUNT} Harbour Freight",
        matched=[ACCOUNT],
        attributes={"row": {"id": ACCOUNT, "status": "active", **row}},
    )


def ticket(subject: str, description: str = "") -> Ticket:
    return Ticket(
        id="77",
        subject=subject,
        description=description,
        created_at=T0,
        requester={"name": "Rosa Lindqvist", "email": "rosa@harbourfreight.example"},
    )


def diagnose(items: list[Evidence], t: Ticket | None = None) -> Analysis:
    t = t or ticket("Labels are not printing")
    ranked = rank(items, ENTITIES, t.created_at)
    data = AnalystInput(
        ticket=t,
        entities=ENTITIES,
        window=Window(start=T0 - timedelta(days=1), end=T0),
        evidence=ranked,
        sources=[],
    )
    return analyse(data)


def cited(analysis: Analysis, items: list[Evidence]) -> list[str]:
    by_id = {e.id: e.title for e in items}
    return [by_id[i] for i in analysis.root_cause.evidence]


# ---------------------------------------------------------------- causal links


def test_a_deploy_8h_before_the_first_new_error_of_its_service_is_linked_through_an_alias() -> None:
    culprit = deploy("acme-import", hours=-9)
    first = error("row rejected: could not serialize access", hours=-1, service="import")
    links = causal.find_links([culprit, first])
    assert len(links) == 1
    link = links[0]
    assert link.cause is culprit and link.effect is first
    assert link.model.same_service and link.model.gap_minutes == 480
    assert 0 < link.model.strength < 1


def test_a_deploy_of_another_service_is_never_linked_however_close() -> None:
    decoy = deploy("billing-web", hours=-1.2)
    first = error("row rejected: could not serialize access", hours=-1, service="import")
    assert causal.find_links([decoy, first]) == []


def test_only_the_first_new_error_after_a_change_is_linked() -> None:
    change = deploy("roster", hours=-10)
    first = error("shift swap failed: UnicodeDecodeError", hours=-6, service="roster")
    later = error("calendar feed 500", hours=-2, service="roster")
    links = causal.find_links([change, later, first])
    assert [link.effect for link in links] == [first]


def test_links_fall_with_the_gap_and_stop_at_the_configured_horizon() -> None:
    near = causal.find_links([deploy("api", -2), error("x failed", hours=-1.5, service="api")])
    far = causal.find_links([deploy("api", -20), error("x failed", hours=-1.5, service="api")])
    assert near[0].model.strength > far[0].model.strength
    short = causal.find_links(
        [deploy("api", -20), error("x failed", hours=-1.5, service="api")],
        horizon=timedelta(hours=12),
    )
    assert short == []


def test_a_customer_change_links_only_to_that_customers_errors() -> None:
    theirs = audit("webhook.secret_rotated", hours=-5)
    other_tenant = audit("webhook.secret_rotated", hours=-5, matched=False)
    mine = error("signature mismatch HTTP 401", hours=-4.5, service="webhooks")
    assert [link.cause for link in causal.find_links([theirs, mine])] == [theirs]
    assert causal.find_links([other_tenant, mine]) == []


def test_aliases_match_by_affix_and_by_configured_groups() -> None:
    default = causal.Aliases()
    assert default.same("acme-import", "import")
    assert default.same("payroll_api", "payroll")
    assert not default.same("import", "export")
    assert not default.same("imports", "import")
    configured = causal.Aliases({"ledger": ["books-svc"]})
    assert configured.same("books-svc", "ledger")


def test_ranking_records_the_link_with_ids_on_the_change() -> None:
    items = rank(
        [deploy("acme-import", -9), error("serialize failure", hours=-1, service="import")],
        ENTITIES,
        T0,
    )
    change = next(e for e in items if e.kind == "deploy")
    assert change.links and change.links[0].cause == change.id
    assert change.links[0].effect == next(e.id for e in items if e.kind == "log_pattern")
    assert any("before a new error" in r for r in change.reasons)


# ---------------------------------------------------------------- count test


def test_a_background_error_as_frequent_as_in_the_baseline_is_steady() -> None:
    # 176 lines in a 24 h window against 221 in a 30 h baseline: the same rate.
    assert count_test(176, 221, 24, 30) == "steady"


def test_a_real_jump_is_a_spike_and_a_few_lines_are_not() -> None:
    assert count_test(90, 20, 24, 72) == "spike"
    assert count_test(4, 0, 24, 72) == "new"
    assert count_test(4, 1, 24, 72) == "steady"  # too few lines to call a spike


def test_poisson_tail() -> None:
    assert poisson_tail(0, 3.0) == 1.0
    assert poisson_tail(1, 2.0) == pytest.approx(1 - 2.718281828**-2.0, rel=1e-6)
    assert poisson_tail(60, 10.0) < 1e-15


def test_one_customer_share_rising_in_steady_background_is_not_a_spike() -> None:
    from investigate.models import Window as W
    from investigate.sdk.patterns import LogLine, PatternGrouper

    window = W(start=T0 - timedelta(hours=24), end=T0)
    grouper = PatternGrouper(window)
    for i in range(221):  # 30 h of baseline, one of them this customer's
        ts = window.start - timedelta(hours=30) + timedelta(minutes=8 * i)
        who = frozenset({ACCOUNT}) if i == 0 else frozenset()
        grouper.add_baseline(LogLine(ts, "error", "pdf render failed", "docs", {}, who))
    for i in range(176):
        ts = window.start + timedelta(minutes=8 * i)
        who = frozenset({ACCOUNT}) if i % 25 == 0 else frozenset()
        grouper.add(LogLine(ts, "error", "pdf render failed", "docs", {}, who))
    (item,) = grouper.evidence("logs", "q")
    assert item.novelty == "steady"


# ---------------------------------------------------------------- field mapping


def _alert(row: dict[str, Any], mapping: FieldMapping | None = None) -> Evidence:
    e = Evidence(source="alerts", kind="alert", title="alert", attributes={"row": row})
    return apply(e, row, mapping)


def test_alert_states_are_read_from_state_or_mapped_fields() -> None:
    assert _alert({"state": "firing"}).state == "firing"
    assert _alert({"status": "Alerting"}).state == "firing"
    assert _alert({"phase": "ok"}).state == "resolved"
    custom = FieldMapping(status_field="health", status_values={"red": "firing"})
    assert _alert({"health": "red", "status": "ok"}, custom).state == "firing"


def test_service_account_region_come_from_common_or_configured_fields() -> None:
    e = _alert({"app": "carrier-sync", "org_id": "o_9", "labels": {"region": "EU-West"}})
    assert e.services == ["carrier-sync"] and e.accounts == ["o_9"] and e.region == "eu-west"
    m = FieldMapping(service_field="meta.svc", account_field="school")
    e = _alert({"meta": {"svc": "grades"}, "school": "s_12"}, m)
    assert e.services == ["grades"] and e.accounts == ["s_12"]


def test_an_active_subscription_stays_healthy() -> None:
    e = Evidence(source="billing", kind="subscription", title="sub")
    apply(e, {"status": "active"})
    assert e.status == "active" and e.state == "healthy"  # `active` means firing only for alerts


# ---------------------------------------------------------------- dedupe


def test_rows_that_share_a_title_are_not_merged() -> None:
    rows = [
        Evidence(source="db", kind="db_row", title="Shipment", attributes={"row": {"id": i}})
        for i in (1, 2, 3)
    ]
    twice = Evidence(source="db", kind="db_row", title="Shipment", attributes={"row": {"id": 3}})
    kept = dedupe([*rows, twice])
    assert len(kept) == 3
    assert kept[2].merged == 1


# ---------------------------------------------------------------- intent


@pytest.mark.parametrize(
    "text",
    [
        "Do you support exporting timesheets to Parquet? consider this a vote",
        "Bulk-cancel of appointments: is that on your roadmap?",
        "¿Tienen planes de integrar con Google Calendar? Sería muy útil.",
        "Wäre toll, wenn ihr einen Export nach DATEV hinzufügen könntet.",
        "Pourriez-vous ajouter un export SCORM ? Ce serait utile.",
        # phrasings of a request by kind (a wish, a plan, a need), not one sentence each
        "It'd be really handy if exports could go to S3.",
        "Are you planning to add a dark mode?",
        "We need the ability to export invoices to Excel.",
        "Any chance you'll support SAML on the Basic plan?",
        "Me gustaría que añadieran exportación a Excel.",
        "¿Van a añadir un modo oscuro?",
        "Könnt ihr bitte eine Exportfunktion nach Excel einbauen?",
        "Ich wünsche mir einen Dunkelmodus.",
        "J'aimerais pouvoir exporter en CSV.",
        "Est-ce que vous comptez ajouter un mode sombre ?",
    ],
)
def test_feature_requests_and_votes_in_four_languages(text: str) -> None:
    assert intent.read(text).feature


@pytest.mark.parametrize(
    "text",
    [
        "How would I move a course to another teacher?",
        "¿Cómo puedo cambiar el idioma de las facturas?",
        "Wie kann ich einen zweiten Standort anlegen?",
        "Comment faire pour inviter un formateur externe ?",
        # where to find something, a procedure, a need to know how
        "Is there any way to bulk-delete old bookings?",
        "What's the procedure to add a second admin?",
        "¿Dónde se cambia la contraseña?",
        "Necesito saber cómo exportar los datos.",
        "Wo finde ich die Rechnungen?",
        "Où puis-je trouver mes factures ?",
    ],
)
def test_how_tos_in_four_languages(text: str) -> None:
    asked = intent.read(text)
    assert asked.howto and not asked.feature


@pytest.mark.parametrize(
    "text",
    [
        "Any chance you could check why the export fails?",
        "Wo ist mein Export? Er schlägt seit gestern fehl.",
        "We need the export fixed, it fails every night.",
    ],
)
def test_a_problem_asked_as_a_wish_is_still_a_problem_and_no_feature(text: str) -> None:
    asked = intent.read(text)
    assert asked.problem and not asked.feature


@pytest.mark.parametrize(
    "text",
    [
        "Is your upload broken?",
        "Die Synchronisierung funktioniert nicht mehr",
        "La réservation échoue depuis ce matin",
        "No puedo descargar el recibo",
    ],
)
def test_problem_reports_are_not_how_tos(text: str) -> None:
    assert intent.read(text).problem


# ---------------------------------------------------------------- categories from structure


def test_a_secret_rotation_followed_by_401s_is_configuration_not_access() -> None:
    items = [
        audit("webhook.secret_rotated", hours=-3),
        error(
            "webhook signature mismatch: HTTP 401 Unauthorized",
            hours=-2.8,
            service="webhooks",
            level="warning",
        ),
        customer(),
    ]
    analysis = diagnose(items, ticket("Our webhooks stopped arriving"))
    assert analysis.root_cause.category == "configuration"
    assert any("secret_rotated" in t for t in cited(analysis, items))


def test_a_setting_change_followed_by_404s_is_configuration_without_any_keyword() -> None:
    items = [
        audit("storefront.base_path_updated", hours=-6),
        error("GET returned 404 for catalogue page", hours=-5, service="storefront"),
        customer(),
    ]
    analysis = diagnose(items, ticket("Menu page gone"))
    assert analysis.root_cause.category == "configuration"


def test_a_role_change_followed_by_denials_is_access() -> None:
    items = [
        audit("member.role_changed", hours=-2),
        error("not permitted to approve payroll run", hours=-1.5, service="payroll"),
        customer(),
    ]
    assert diagnose(items, ticket("Cannot approve payroll")).root_cause.category == "access"


def test_a_deploy_8h_before_the_first_new_error_is_a_bug() -> None:
    items = [
        deploy("acme-import", -9),
        deploy("billing-web", -1.5),  # decoy: another service, closer
        error("row rejected: could not serialize access", hours=-1, service="import"),
        customer(),
    ]
    analysis = diagnose(items, ticket("Imports keep failing"))
    assert analysis.root_cause.category == "bug"
    titles = cited(analysis, items)
    assert any("acme-import" in t for t in titles)
    assert not any("billing-web" in t for t in titles)


def test_a_vendor_we_never_heard_of_timing_out_for_many_tenants_is_integration() -> None:
    items = [
        error(
            "label request failed: ETIMEDOUT",
            service="shipping",
            accounts=25,
            example="POST https://api.parcelpigeon.example.net/v3/labels failed: ETIMEDOUT",
        ),
        customer(),
    ]
    assert diagnose(items).root_cause.category == "integration"


def test_an_alert_for_another_region_is_not_this_customers_outage() -> None:
    alert = Evidence(
        source="alerts",
        kind="alert",
        title="BookingLatencyHigh",
        timestamp=T0 - timedelta(hours=1),
        state="firing",
        region="ap-south-1",
        services=["booking"],
        attributes={"row": {"state": "firing", "region": "ap-south-1", "service": "booking"}},
    )
    items = [
        alert,
        error("booking slot lookup failed", service="booking"),
        customer(region="eu-central-1"),
    ]
    assert diagnose(items).root_cause.category != "outage"
    alert.region = "eu-central-1"
    alert.record["region"] = "eu-central-1"
    assert (
        diagnose(
            [
                alert,
                error("booking slot lookup failed", service="booking"),
                customer(region="eu-central-1"),
            ]
        ).root_cause.category
        == "outage"
    )


def test_a_roadmap_item_matching_the_question_is_feature_request_evidence() -> None:
    roadmap = Evidence(
        source="roadmap",
        kind="issue",
        title="Bulk-cancel appointments",
        attributes={"row": {"type": "feature", "status": "planned"}, "text_score": 7.5},
    )
    items = [roadmap, customer()]
    analysis = diagnose(items, ticket("Bulk-cancel?", "Can we cancel many appointments at once?"))
    assert analysis.root_cause.category == "feature_request"
    assert "Bulk-cancel appointments" in cited(analysis, items)


def test_a_week_old_steady_warning_is_not_performance() -> None:
    items = [
        error("query took too long (timeout)", novelty="steady", level="warning"),
        customer(),
    ]
    assert diagnose(items).root_cause.category != "performance"


def _coded(title: str, code: str, level: str = "error", **fields: Any) -> Evidence:
    e = error(title, level=level, example=f"{title} [{code}]")
    e.error_codes = [code]
    e.fields = dict(fields)
    return e


def test_an_error_whose_code_says_timeout_is_an_error_not_latency() -> None:
    """A vet lab's result sync failing with `E_LIS_TIMEOUT` at error level is a failure; the word
    TIMEOUT inside an error code is no measurement of latency."""
    items = [_coded("lab result sync failed", "E_LIS_TIMEOUT", duration_ms=850), customer()]
    analysis = diagnose(items, ticket("Lab results stopped appearing in patient files"))
    texts = [analysis.root_cause.statement, *(a.statement for a in analysis.alternatives)]
    assert analysis.root_cause.category != "performance"
    assert not any(t.startswith("Performance") for t in texts)


def test_a_timeout_that_measured_the_wait_is_latency_even_at_error_level() -> None:
    """A ferry booking's gateway cutting a request after 31 s (504, duration field) is latency,
    whatever level the gateway logs it at."""
    slow = _coded("upstream request cut", "GW_DEADLINE", duration_ms=31000)
    slow.http_statuses = [504]
    analysis = diagnose([slow, customer()], ticket("Seat map takes forever and then gives up"))
    assert analysis.root_cause.category == "performance"


def test_a_slow_warning_without_any_code_is_latency() -> None:
    items = [error("sensor batch query slow (4.8 s)", level="warning"), customer()]
    analysis = diagnose(items, ticket("Greenhouse dashboard crawls since this morning"))
    assert analysis.root_cause.category == "performance"


def test_a_failed_job_is_called_failed_not_stuck() -> None:
    """A payroll run that ended `failed` an hour ago is no stuck job."""
    run = Evidence(
        source="db",
        kind="db_row",
        title="Payroll run pr_5512 failed",
        timestamp=T0 - timedelta(hours=1),
        matched=[ACCOUNT],
        status="failed",
        record={
            "job_id": "pr_5512",
            "status": "failed",
            "started_at": (T0 - timedelta(hours=1)).isoformat(),
            "finished_at": (T0 - timedelta(minutes=50)).isoformat(),
        },
    )
    analysis = diagnose([run, customer()], ticket("Payslips were not generated this month"))
    texts = [analysis.root_cause.statement, *(a.statement for a in analysis.alternatives)]
    data = [t for t in texts if t.startswith("Data delay")]
    assert data and "a job failed" in data[0]
    assert not any("stuck" in t for t in texts)


def test_another_tenants_invoice_error_does_not_make_a_question_billing() -> None:
    items = [
        error("invoice pdf render failed", matched=False, accounts=12, novelty="spike"),
        customer(),
    ]
    analysis = diagnose(items, ticket("Export question", "How do I export last year's invoices?"))
    assert analysis.root_cause.category == "user_error"


def test_a_customer_side_cause_claims_no_breadth_from_a_common_error_message() -> None:
    denial = error("not permitted to approve payroll run", hours=-1.5, service="payroll")
    denial.accounts_affected = 9
    items = [audit("member.role_changed", hours=-2), denial, customer()]
    analysis = diagnose(items, ticket("Cannot approve payroll"))
    assert analysis.root_cause.category == "access"
    assert "accounts" not in analysis.customer_impact


def test_background_errors_of_other_tenants_are_no_alternative() -> None:
    items = [
        audit("member.role_changed", hours=-2),
        error("not permitted to approve payroll run", hours=-1.5, service="payroll"),
        error("ledger export failed", matched=False, accounts=15, novelty="steady"),
        customer(),
    ]
    analysis = diagnose(items, ticket("Cannot approve payroll"))
    assert all("ledger" not in a.statement for a in analysis.alternatives)


def test_intent_phrases_are_extensible_in_config() -> None:
    # "Wunschliste" (a wish noun) is read without configuration since intent became grammatical;
    # team jargon still needs the configured phrase
    assert intent.read("Kommt auf die Wunschliste: Schichtplan als PDF.").feature
    t = ticket("Idee", "Für den Ideenpool: Schichtplan als PDF.")
    ranked = rank([customer()], ENTITIES, t.created_at)
    data = AnalystInput(
        ticket=t,
        entities=ENTITIES,
        window=Window(start=T0 - timedelta(days=1), end=T0),
        evidence=ranked,
        sources=[],
    )
    assert analyse(data).root_cause.category != "feature_request"
    data.intent_phrases = {"feature": ["ideenpool"]}
    assert analyse(data).root_cause.category == "feature_request"


def test_a_deploy_naming_the_failing_thing_links_when_the_logs_carry_no_service() -> None:
    culprit = Evidence(
        source="deploys",
        kind="deploy",
        title="fragrun-matchmaker 9.1.0: Party merge rewrite",
        timestamp=T0 - timedelta(hours=13),
        services=["fragrun-matchmaker"],
    )
    other = Evidence(
        source="deploys",
        kind="deploy",
        title="fragrun-stats 2.0.0: Leaderboard rewrite",
        timestamp=T0 - timedelta(hours=12),
        services=["fragrun-stats"],
    )
    failing = error("party merge failed: index out of range", hours=-2)  # no service field
    links = causal.find_links([culprit, other, failing])
    assert [link.cause for link in links] == [culprit]


def test_masked_identities_never_merge_rows() -> None:
    rows = [
        Evidence(
            source="bugs",
            kind="issue",
            title=f"BUG-{i} [open] something",
            url=f"https://tracker.example/browse/BUG-{i}",
            attributes={"row": {"key": "***"}},
        )
        for i in (1, 2, 3)
    ]
    assert len(dedupe(rows)) == 3


# ---------------------------------------------------------------- typed signals

ROOT = Path(__file__).resolve().parent.parent


def _attribute_key_uses(path: Path, root: Path = ROOT) -> list[str]:
    """`x.attributes["key"]` and `x.attributes.get("key")` (or pop/setdefault) in one file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        target: ast.expr | None = None
        key: ast.expr | None = None
        if isinstance(node, ast.Subscript):
            target, key = node.value, node.slice
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("get", "pop", "setdefault")
            and node.args
        ):
            target, key = node.func.value, node.args[0]
        if (
            isinstance(target, ast.Attribute)
            and target.attr == "attributes"
            and isinstance(key, ast.Constant)
            and isinstance(key.value, str)
        ):
            found.append(f"{path.relative_to(root)}:{node.lineno} attributes[{key.value!r}]")
    return found


def test_the_core_reads_no_attribute_keys() -> None:
    """What the core reads of an evidence item is a declared, typed field (`state`, `status`,
    `record`, `text_score`, `relation`, `error_codes`…); `attributes` is free-form display
    data a connector may fill as it likes. The connector kit (`investigate/sdk`) is exempt: it
    is connector code that lives in the core package."""
    core = ROOT / "investigate"
    uses = [
        use
        for path in sorted(core.rglob("*.py"))
        if "sdk" not in path.relative_to(core).parts
        for use in _attribute_key_uses(path)
    ]
    assert uses == []


def test_the_scan_sees_reads_and_writes_of_attribute_keys(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    source = 'a = e.attributes["row"]\nb = e.attributes.get("text_score")\ne.attributes["x"] = 1\n'
    sample.write_text(
        source + 'c = e.record["row"]\nd = data.get("attributes")\n', encoding="utf-8"
    )
    assert len(_attribute_key_uses(sample, tmp_path)) == 3


def test_old_recordings_lift_attribute_signals_into_typed_fields() -> None:
    """Evidence stored before the typed fields (signals in `attributes`, the status word in
    `state`) replays with the same readings."""
    invoice = Evidence.model_validate(
        {
            "source": "billing",
            "kind": "invoice",
            "title": "Invoice in_1",
            "attributes": {
                "row": {"id": "in_1", "status": "open", "attempt_count": 2},
                "text_score": 3.5,
                "stripe_object": "invoice",
            },
        }
    )
    assert invoice.record["id"] == "in_1" and invoice.status == "open"
    assert invoice.payment_attempts == 2 and invoice.state == "problem"
    assert invoice.text_score == 3.5 and invoice.attributes == {"stripe_object": "invoice"}
    pattern = Evidence.model_validate(
        {
            "source": "logs",
            "kind": "log_pattern",
            "title": "ERROR api: upstream reset",
            "attributes": {
                "accounts_affected": 14,
                "baseline_all": 0,
                "matched_first_seen": "2026-03-02T09:10:00+00:00",
                "error_codes": ["ERR_UPSTREAM_RESET"],
                "http_statuses": [502],
                "fields": {"duration_ms": "1500"},
            },
        }
    )
    assert pattern.accounts_affected == 14 and pattern.baseline_all == 0
    assert pattern.matched_first_seen == datetime(2026, 3, 2, 9, 10, tzinfo=UTC)
    assert pattern.error_codes == ["ERR_UPSTREAM_RESET"] and pattern.http_statuses == [502]
    assert pattern.fields == {"duration_ms": "1500"} and pattern.attributes == {}
    row = Evidence.model_validate(
        {"source": "db", "kind": "subscription", "title": "sub", "state": "past_due"}
    )
    assert row.status == "past_due" and row.state == "problem"
    ticket = Evidence.model_validate(
        {"source": "zd", "kind": "ticket", "title": "#9", "attributes": {"relation": "requester"}}
    )
    assert ticket.relation == "requester"


def test_the_row_mapper_reads_an_invoice_export_into_typed_fields() -> None:
    """Stripe-shaped exports (`attempt_count`, `last_payment_error`) are read once, by the
    shared row mapper; the core then reads only the typed fields."""
    matcher = EntityMatcher({})
    retried = row_evidence(
        source="billing",
        kind="invoice",
        row={"id": "in_7", "status": "open", "attempt_count": 3},
        query="q",
        matcher=matcher,
    )
    assert retried.status == "open" and retried.payment_attempts == 3
    assert retried.state == "problem" and signals.is_problem(retried)
    declined = row_evidence(
        source="billing",
        kind="invoice",
        row={"id": "in_8", "status": "draft", "last_payment_error": {"code": "card_declined"}},
        query="q",
        matcher=matcher,
    )
    assert declined.payment_error is not None and "card_declined" in declined.payment_error
    assert declined.state == "problem"
    fresh = row_evidence(
        source="billing",
        kind="invoice",
        row={"id": "in_9", "status": "open", "attempt_count": 0},
        query="q",
        matcher=matcher,
    )
    assert fresh.state == "context" and not signals.is_problem(fresh)


def test_a_connector_declares_the_state_in_its_own_vocabulary() -> None:
    """A new alerting connector maps its words into `state` (or gives the word and lets the
    generic vocabulary read it); the core needs no edit for Opsgenie's `acked`."""
    acked = Evidence(source="opsgenie", kind="alert", title="Disk full", status="acked")
    assert acked.state == "acknowledged" and signals.is_problem(acked)
    declared = Evidence(
        source="opsgenie", kind="alert", title="Disk full", status="snoozed", state="firing"
    )
    assert signals.is_problem(declared) and signals.status(declared) == "snoozed"
    closed = Evidence(source="opsgenie", kind="alert", title="Disk full", status="closed")
    assert closed.state == "resolved" and not signals.is_problem(closed)


# ---------------------------------------------------------------- connector imports


def _connector_imports(path: Path) -> set[str]:
    """The connector modules one connector module imports (absolute, by the installed name
    `investigate_connectors`, or relative), as `investigate_connectors.<module>`."""
    package = "investigate_connectors"
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith(f"{package}.")}
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:  # `from . import x` / `from .x import y` inside connectors/
                module = package + (f".{module}" if module else "")
            if module == package:
                out |= {f"{package}.{a.name}" for a in node.names}
            elif module.startswith(f"{package}."):
                out.add(module)
    return out


def test_no_connector_imports_another_vendor_connector() -> None:
    """A vendor connector (`connectors/<vendor>.py`) imports the core and the connector kit
    (`investigate.sdk.*`: alerts, helpdesk, trackers), never another vendor's module: what two
    vendors share lives in the kit. A private family base (`connectors/_<family>.py`, such as
    `_sqlbase` for postgres/mysql or `_logscan` for log_file) may be imported by the vendors of
    its family, and itself imports only the core, never a connector module."""
    folder = ROOT / "connectors"
    wrong = []
    for path in sorted(folder.glob("*.py")):
        if path.name == "__init__.py":
            continue
        for module in sorted(_connector_imports(path)):
            family = module.split(".", 1)[1].startswith("_")
            if path.stem.startswith("_") or not family:
                wrong.append(f"{path.name} imports {module}")
    assert wrong == []


def test_the_import_scan_sees_absolute_and_relative_imports(tmp_path: Path) -> None:
    sample = tmp_path / "vendor.py"
    sample.write_text(
        "import investigate_connectors.a\nfrom investigate_connectors.b import x\n"
        "from . import c\nfrom .d import y\n"
        "from investigate_connectors import _family\nfrom investigate.sdk.alerts import clean\n",
        encoding="utf-8",
    )
    assert _connector_imports(sample) == {
        "investigate_connectors.a",
        "investigate_connectors.b",
        "investigate_connectors.c",
        "investigate_connectors.d",
        "investigate_connectors._family",
    }
