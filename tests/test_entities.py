"""Entity extraction from realistic tickets, plus bounds and robustness."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from investigate.evidence.entities import MAX_PER_LIST, add_values, extract, keywords
from investigate.models import Comment, Organization, Person, Ticket

CREATED = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def ticket(
    subject: str = "",
    description: str = "",
    *,
    email: str | None = None,
    org_id: str | None = None,
    **extra: object,
) -> Ticket:
    return Ticket(
        id="4812",
        subject=subject,
        description=description,
        requester=Person(email=email),
        organization=Organization(id=org_id),
        created_at=CREATED,
        **extra,  # type: ignore[arg-type]
    )


BILLING = ticket(
    "Charged twice and now my card is declined",
    """Hi team,
Our invoice in_1PQxYZ2eZvKYlo2C was charged twice (charges ch_3PQxYZ2eZvKYlo2C1a and
py_3PQxAB2eZvKYlo2C9z). Now the renewal for subscription sub_1PQx9z8eZvKYlo fails with
card_declined, then insufficient_funds.
Stripe customer cus_PQxYZ2eZvK, payment intent pi_3PQxYZ2eZvKYlo2C0b.
Account ID: acct_88213. We have 500 users and need this fixed before 2026-11-25.
Billing contact: finance@acme.io, cc Dana@Acme.io
""",
    email="Dana@Acme.io",
    org_id="org_acme01",
)

BUG = ticket(
    "Export broken - HTTP 500 on /api/v2/exports",
    """Since 2026-11-24T09:12:00Z every CSV export fails.
POST /api/v2/exports returns 500 Internal Server Error. The UI shows ERR_EXPORT_SERIALIZE.
Request ID: req_8f2a9c1d7e, trace 3F2A9C1D-1111-2222-3333-444455556666.
Screenshot: https://acme.example.com/reports/123?tab=export.
Also GET /api/v2/users got 403 Forbidden, and the API said status 429 (rate limited).
My user id is usr_4411 in account acc_1042.""",
    email="ops@acme.io",
)

SSO = ticket(
    "SSO login loop with Okta",
    "After enabling SAML in Okta, users are sent back to the login page. "
    "Error: invalid_grant. Org ID org_77xz91. Started 2026-11-24 08:55 (UTC), "
    "and again at 2026-11-24T10:40:00+02:00.",
    email="it@globex.com",
)

HOWTO = ticket(
    "How do I schedule a PDF report?",
    "Hello, how can I schedule a weekly PDF report for my team? We have 500 users and "
    "12 dashboards, and 404 seats. Thanks!",
    email="kim@initech.com",
)


# --- realistic tickets ----------------------------------------------------------------------


def test_billing_complaint() -> None:
    e = extract(BILLING)

    assert e.requester_email == "dana@acme.io"
    assert e.emails == ["dana@acme.io", "finance@acme.io"]  # requester first, case-folded once
    assert e.account_ids == ["acct_88213"]
    assert e.org_ids == ["org_acme01"]
    assert e.invoice_ids == ["in_1PQxYZ2eZvKYlo2C"]
    assert e.charge_ids == ["ch_3PQxYZ2eZvKYlo2C1a", "py_3PQxAB2eZvKYlo2C9z"]
    assert e.subscription_ids == ["sub_1PQx9z8eZvKYlo"]
    assert e.customer_ids == ["cus_PQxYZ2eZvK"]
    assert e.payment_ids == ["pi_3PQxYZ2eZvKYlo2C0b"]
    assert e.error_codes == ["card_declined", "insufficient_funds"]
    assert e.http_statuses == []  # "500 users" is not a status
    assert "billing" in e.product_areas
    assert e.ticket_id == "4812"


def test_bug_report_with_request_id_status_and_error_code() -> None:
    e = extract(BUG)

    assert e.request_ids == ["req_8f2a9c1d7e", "3f2a9c1d-1111-2222-3333-444455556666"]
    assert e.user_ids == ["usr_4411"]
    assert e.account_ids == ["acc_1042"]
    assert e.error_codes == ["ERR_EXPORT_SERIALIZE"]
    assert e.http_statuses == [500, 403, 429]
    assert e.urls == ["https://acme.example.com/reports/123?tab=export"]
    assert e.endpoints == ["/api/v2/exports", "/api/v2/users"]
    assert e.times == [datetime(2026, 11, 24, 9, 12, tzinfo=UTC)]
    assert "exports" in e.product_areas
    assert "api" in e.product_areas
    assert any("500 Internal Server Error" in m for m in e.error_messages)
    assert "export" in e.keywords
    assert e.emails == ["ops@acme.io"]


def test_sso_ticket() -> None:
    e = extract(SSO)

    assert e.org_ids == ["org_77xz91"]
    assert e.error_codes == ["invalid_grant"]
    assert e.product_areas == ["login"]
    assert e.times == [
        datetime(2026, 11, 24, 8, 55, tzinfo=UTC),
        datetime(2026, 11, 24, 8, 40, tzinfo=UTC),  # +02:00 converted to UTC
    ]
    assert e.http_statuses == []
    assert e.account_ids == e.request_ids == e.invoice_ids == []


def test_how_to_question_has_no_identifiers() -> None:
    e = extract(HOWTO)

    assert e.emails == ["kim@initech.com"]
    for name in (
        "account_ids",
        "org_ids",
        "user_ids",
        "request_ids",
        "customer_ids",
        "invoice_ids",
        "charge_ids",
        "subscription_ids",
        "payment_ids",
        "error_codes",
        "http_statuses",
        "urls",
        "times",
    ):
        assert getattr(e, name) == [], name
    assert "reports" in e.product_areas
    assert "dashboards" in e.product_areas
    assert "billing" not in e.product_areas
    assert "schedule" in e.keywords
    assert "how" not in e.keywords  # stop words are dropped


def test_snake_case_words_are_not_identifiers() -> None:
    e = extract(
        ticket(
            "Export stuck",
            "The export is stuck in_progress; the request_timeout setting under "
            "account_settings does nothing, and user_preferences and sub_folder are unchanged.",
        )
    )

    assert e.invoice_ids == []
    assert e.request_ids == []
    assert e.account_ids == []
    assert e.user_ids == []
    assert e.subscription_ids == []


# --- HTTP statuses need context --------------------------------------------------------------


def test_http_statuses_only_with_context() -> None:
    text = (
        "HTTP 500 on upload. Then 403 Forbidden. The API answered with status 429. "
        "HTTP/1.1 502 Bad Gateway, then we got a 504, and error 401 unauthorized."
    )

    assert extract(ticket(description=text)).http_statuses == [500, 403, 429, 502, 504, 401]


def test_bare_numbers_are_not_http_statuses() -> None:
    text = (
        "We have 500 users, 404 seats and 200 projects; the plan costs $500, "
        "we exported 2500 rows, and version 3.500.1 is installed. Code 1500 means nothing."
    )

    assert extract(ticket(description=text)).http_statuses == []


# --- labels, custom fields, comments --------------------------------------------------------


def test_labelled_ids_need_a_digit() -> None:
    e = extract(
        ticket(
            description="Request ID: 7f3e-91ab-22. Account #88213. Org number 5512. "
            "User ID: unknown. trace id abcdefgh"
        )
    )

    assert e.request_ids == ["7f3e-91ab-22"]
    assert e.account_ids == ["88213"]
    assert e.org_ids == ["5512"]
    assert e.user_ids == []


def test_custom_fields_comments_and_org_feed_extraction() -> None:
    t = ticket(
        "Widget blank",
        "See below.",
        org_id="org_fromfield",
        custom_fields={"account": "acc_77777", "product_area": "dashboards", "ignored": [1, 2]},
        comments=[Comment(body="Found it: req_ab12cd34ef in the console", public=False)],
    )

    e = extract(t)

    assert e.account_ids == ["acc_77777"]
    assert e.org_ids == ["org_fromfield"]
    assert e.request_ids == ["req_ab12cd34ef"]
    assert e.product_areas[0] == "dashboards"


def test_urls_and_endpoints_drop_trailing_punctuation() -> None:
    e = extract(
        ticket(
            description="Open https://app.example.com/a/b?x=1, then call `/v1/reports/run`. "
            "Also (see /api/health)."
        )
    )

    assert e.urls == ["https://app.example.com/a/b?x=1"]
    assert e.endpoints == ["/v1/reports/run", "/api/health"]


# --- de-duplication and caps ------------------------------------------------------------------


def test_lists_are_deduplicated_in_first_seen_order() -> None:
    text = "acc_3333 and ACC_3333? no: acc_1111, acc_3333, acc_2222. Mail a@x.io or A@X.IO."

    e = extract(ticket(description=text))

    assert e.account_ids == ["acc_3333", "acc_1111", "acc_2222"]
    assert e.emails == ["a@x.io"]


def test_lists_are_capped() -> None:
    text = " ".join(f"acc_{i:05d} user{i}@example.com HTTP {400 + i}" for i in range(60))

    e = extract(ticket(description=text))

    assert len(e.account_ids) == MAX_PER_LIST
    assert e.account_ids[0] == "acc_00000"
    assert len(e.emails) == MAX_PER_LIST
    assert len(e.http_statuses) == MAX_PER_LIST
    assert len(e.keywords) <= 25


@pytest.mark.slow  # a megabyte ticket
def test_a_one_megabyte_hostile_ticket_completes_with_bounded_results() -> None:
    chunks = [
        "x@" * 50_000,
        "/a" * 50_000,
        "acc_" * 25_000,
        "HTTP 500 " * 10_000,
        "error " * 20_000,
        "A_" * 50_000,
        "2026-11-24T09:00" * 5_000,
        "1" * 100_000,
        "(" * 100_000,
        "req_abcdef12 " * 20_000,
        "a" * 200_000,
    ]
    text = "".join(chunks)
    assert len(text) >= 1_000_000

    e = extract(ticket(subject=text[:5_000], description=text))

    for name, value in e.model_dump().items():
        if isinstance(value, list):
            assert len(value) <= MAX_PER_LIST + 5, name
    assert len(e.keywords) <= 25


def test_out_of_range_times_in_a_ticket_do_not_crash_extraction() -> None:
    # Valid ISO text whose conversion to UTC falls outside datetime's range.
    e = extract(
        ticket(
            description="It started at 0001-01-01T00:00:00+01:00, or maybe "
            "9999-12-31T23:59:59-05:00, and again at 2026-11-24T09:30:00Z."
        )
    )

    assert e.times == [datetime(2026, 11, 24, 9, 30, tzinfo=UTC)]


_FRAGMENTS = st.sampled_from(
    [
        "acc_",
        "req_",
        "in_",
        "@",
        ".com",
        "HTTP ",
        "status ",
        "500",
        "-",
        "_",
        "ERR_",
        "://",
        "http",
        "/api/",
        "2026-11-24",
        "T",
        " ",
        "09:12",
        ":00",
        "Z",
        "+14:00",
        "-12:00",
        "9999-12-31",
        "0001-01-01",
        "9999-12-31T23:59",
        "0001-01-01T00:00",
        "23:59:59",
        "00:00:00",
        "Request ID: ",
        "\n",
        "é",
        "\x00",
    ]
)
_TEXT = st.one_of(st.text(max_size=300), st.lists(_FRAGMENTS | st.text(max_size=5)).map("".join))


@pytest.mark.slow  # 300 hypothesis examples
@settings(max_examples=300, deadline=None)
@given(subject=_TEXT, description=_TEXT)
@example(subject="", description="9999-12-31T12:00-1200")
def test_extract_never_raises(subject: str, description: str) -> None:
    e = extract(ticket(subject, description))

    assert e.ticket_id == "4812"
    assert all(100 <= s <= 599 for s in e.http_statuses)
    assert all(t.tzinfo is not None for t in e.times)


# --- helpers ----------------------------------------------------------------------------------


def test_add_values_adds_only_new_values_and_records_the_source() -> None:
    e = extract(ticket(description="acc_1042 is broken"))

    added = add_values(e, "account_id", ["ACC_1042", "acc_2001", "", "acc_2001", "acc_3003"], "db")

    assert added == ["acc_2001", "acc_3003"]
    assert e.account_ids == ["acc_1042", "acc_2001", "acc_3003"]
    assert e.resolved == {"acc_2001": "db", "acc_3003": "db"}


def test_keywords_skip_stop_words_ids_and_numbers() -> None:
    words = keywords("Hello team, the CSV export for acc_1042 fails 3 times since v2 today")

    assert words == ["csv", "export", "fails", "times"]
